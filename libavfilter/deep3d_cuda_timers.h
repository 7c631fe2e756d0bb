/*
 * deep3d: per-stage GPU timers of the CUDA path (CUDA events, read without waiting)
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

#ifndef AVFILTER_DEEP3D_CUDA_TIMERS_H
#define AVFILTER_DEEP3D_CUDA_TIMERS_H

#include "libavutil/hwcontext.h"
#include "libavutil/hwcontext_cuda_internal.h"

#include "deep3d_cuda_driver.h"
#include "deep3d_stats.h"

/*
 * Where the GPU's time goes, per frame: CUDA events recorded on the stream
 * between the stages of each batch, read back when their slot of a ring of
 * batches comes round again (by then long complete: no wait in practice) or
 * at the end. Input conversion and the network run once per batch: each of
 * its frames is given the batch's time divided by their number. The
 * per-frame stages: temporal (smoothing, resets, dilation, auto convergence,
 * render=hard's expected disparity), selection (the rendered eye, or the
 * depth picture), packing (the input eye, the squeezed eye, interleaving or
 * anaglyph). Costs 3 + 3 x batch cuEventRecord calls per batch, so they are
 * on only when the summary will be logged (verbose level).
 */
enum Deep3DStage {
    DEEP3D_STAGE_INPUT,
    DEEP3D_STAGE_NETWORK,
    DEEP3D_STAGE_TEMPORAL,
    DEEP3D_STAGE_SELECT,
    DEEP3D_STAGE_PACK,
    DEEP3D_STAGE_TOTAL,     ///< the sum of the above, per frame
    DEEP3D_STAGE_NB
};

typedef struct Deep3DCudaTimers Deep3DCudaTimers;

/** Events for batches of up to batch frames. The context must be current. */
int ff_deep3d_cuda_timers_init(Deep3DCudaTimers **t, void *log_ctx, CudaFunctions *cu,
                               const Deep3DCudaDriver *drv, int batch);

/** A batch of nb frames starts on stream s (its start event is recorded). */
int ff_deep3d_cuda_timers_begin(Deep3DCudaTimers *t, CUstream s, int nb);

/**
 * The end of stage (not TOTAL) on s: INPUT and NETWORK once per batch, the
 * others once per frame (frame: 0 .. nb - 1), each in stage order.
 */
int ff_deep3d_cuda_timers_mark(Deep3DCudaTimers *t, CUstream s, enum Deep3DStage stage,
                               int frame);

/**
 * After the stream has drained: read every batch not yet read and log the
 * mean and 99th percentile of each stage per frame at verbose level.
 */
void ff_deep3d_cuda_timers_log(Deep3DCudaTimers *t, void *log_ctx);

/**
 * The end of a batch begun with ff_deep3d_cuda_timers_begin() that ran as a
 * CUDA graph (no marks inside: events recorded while a stream is captured
 * are no timing points); counted in the total only.
 */
int ff_deep3d_cuda_timers_whole(Deep3DCudaTimers *t, CUstream stream);

/** The statistics of one stage so far (for tests). */
const Deep3DStats *ff_deep3d_cuda_timers_stats(const Deep3DCudaTimers *t,
                                               enum Deep3DStage stage);

/** Destroy the events; the context must be current. */
void ff_deep3d_cuda_timers_free(Deep3DCudaTimers **t);

#endif /* AVFILTER_DEEP3D_CUDA_TIMERS_H */
