/*
 * deep3d: a CUDA graph per batch size for the GPU path's per-batch work
 *
 * This file is part of FFmpeg.
 *
 * FFmpeg is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Lesser General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 *
 * FFmpeg is distributed in the hope that it will be useful,
 * but WITHOUT ANY WARRANTY; without even the implied warranty of
 * MERCHANTABILITY or FITNESS FOR A PARTICULAR PURPOSE.  See the GNU
 * Lesser General Public License for more details.
 *
 * You should have received a copy of the GNU Lesser General Public
 * License along with FFmpeg; if not, write to the Free Software
 * Foundation, Inc., 51 Franklin Street, Fifth Floor, Boston, MA 02110-1301 USA
 */

#ifndef AVFILTER_DEEP3D_CUDA_GRAPH_H
#define AVFILTER_DEEP3D_CUDA_GRAPH_H

#include "deep3d_cuda.h"
#include "deep3d_cuda_driver.h"

/*
 * The work of a batch (input conversion, network, temporal steps, rendering)
 * is the same sequence of launches from one batch to the next, with other
 * frame pointers and per-frame scalars. Per batch size: the first batch runs
 * plainly (it allocates, loads modules, warms cuDNN up), the second is
 * captured from the stream into a graph, instantiated and launched; later
 * ones replay it, after the kernel nodes of ours have been given the
 * batch's arguments (cuGraphExecKernelNodeSetParams). The caller runs the
 * same sequence in every mode and sends its kernel launches here; in replay
 * the work not launched through here (cuDNN) is not issued again.
 */

/** How the current batch runs. */
enum Deep3DCudaGraphRun {
    DEEP3D_GRAPH_PLAIN,         ///< launches go to the stream
    DEEP3D_GRAPH_CAPTURE,       ///< the stream is being captured
    DEEP3D_GRAPH_REPLAY,        ///< launches update the instantiated graph's nodes
};

typedef struct Deep3DCudaGraphs Deep3DCudaGraphs;

/**
 * mode: enum Deep3DCudaGraphMode (deep3d_cuda.h); max_batch: the largest batch. With
 * DEEP3D_CUDA_GRAPH_ON, AVERROR(ENOSYS) when the driver has no graph API.
 */
int ff_deep3d_cuda_graphs_init(Deep3DCudaGraphs **g, void *log_ctx, CudaFunctions *cu,
                               const Deep3DCudaDriver *drv, int mode, int max_batch);

/**
 * Begin a batch of nb frames on stream: the way it runs (enum
 * Deep3DCudaGraphRun); a capture has begun when DEEP3D_GRAPH_CAPTURE. A
 * capture that cannot begin leaves the size plain (logged), or is an error
 * (< 0) with DEEP3D_CUDA_GRAPH_ON.
 */
int ff_deep3d_cuda_graphs_begin(Deep3DCudaGraphs *g, CUstream stream, int nb);

/** A kernel launch of the batch, in the way the batch runs. */
int ff_deep3d_cuda_graphs_launch(Deep3DCudaGraphs *g, CUstream stream, CUfunction f,
                                 unsigned gx, unsigned gy, unsigned gz, unsigned bx,
                                 unsigned by, unsigned bz, unsigned shared, void **args);

/**
 * The end of the batch's sequence (ok: it succeeded): a capture is ended
 * and instantiated. Returns 1 when the batch must be run again plainly (the
 * capture failed, the graph of this size is given up, logged at VERBOSE),
 * 0 when it is ready for ff_deep3d_cuda_graphs_run() (or ran plainly), < 0 on
 * error (a failed capture with DEEP3D_CUDA_GRAPH_ON).
 */
int ff_deep3d_cuda_graphs_end(Deep3DCudaGraphs *g, CUstream stream, int ok);

/** Launch the batch's graph (captured or replayed) on stream; nothing when plain. */
int ff_deep3d_cuda_graphs_run(Deep3DCudaGraphs *g, CUstream stream);

/** The way the current batch runs. */
int ff_deep3d_cuda_graphs_current(const Deep3DCudaGraphs *g);

/** Graphs launched so far (captures and replays), for the log and the tests. */
int64_t ff_deep3d_cuda_graphs_launched(const Deep3DCudaGraphs *g);

void ff_deep3d_cuda_graphs_free(Deep3DCudaGraphs **g);

#endif /* AVFILTER_DEEP3D_CUDA_GRAPH_H */
