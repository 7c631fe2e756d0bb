/*
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

#ifndef AVFILTER_DEEP3D_SOURCE_H
#define AVFILTER_DEEP3D_SOURCE_H

#include <stddef.h>
#include <stdint.h>

#include "libavutil/frame.h"

#include "deep3d_model.h"
#include "deep3d_net.h"
#include "deep3d_precision.h"

/*
 * A depth source turns a frame into what every renderer, the temporal
 * smoothing and every layout take (docs/model-format.md section 5):
 *  - probs: K = nb_prob planes of disparity probabilities at the source's
 *    resolution (geometry->in_w x in_h); plane 0 renders nothing, planes
 *    1..D shift by disp_min .. disp_max pixels at disp_width;
 *  - image: the picture the source saw at that resolution (3 planes in the
 *    geometry's input units), which the temporal smoothing compares frame to
 *    frame for motion and scene cuts.
 * A source that predicts a depth map instead (ONNX models) turns it into a
 * narrow distribution over the same planes, so every renderer works
 * unchanged.
 *
 * Two phases, as a filter needs them: open() at filter init (loads and checks
 * the model: a bad model fails before any frame), configure() when the input
 * link is known (buffers, threads). run() then fills image and probs on the
 * host. A source with an engine on the GPU (ops->device) is driven by the
 * GPU path (deep3d_cuda.h), which owns the device buffers.
 */

typedef struct Deep3DSource Deep3DSource;

typedef struct Deep3DSourceConfig {
    const char *model_path;     ///< NULL: the built-in model
    int nb_jobs;                ///< slice jobs run() may split work into
    Deep3DExecute *execute;     ///< runs the jobs (the filter's slice threads)
    void *opaque;               ///< for execute
    const struct Deep3DOnnxOptions *onnx;  ///< the onnx source's options (deep3d_source_onnx.h)
    int cpu_engine;             ///< enum Deep3DCpuEngine (configure)
    int precision;              ///< enum Deep3DPrecision (configure, on the CPU)
} Deep3DSourceConfig;

struct AVCUDADeviceContext;

/** What a source's GPU engine runs on (the GPU path's device, deep3d_cuda.c). */
typedef struct Deep3DSourceDeviceConfig {
    const Deep3DSource *source; ///< the source whose engine this is (probe: its options)
    struct AVCUDADeviceContext *hwctx;  ///< its context is current during the calls below
    struct CUstream_st *stream; ///< the GPU path's stream (non-blocking): all work goes there
    const char *cudnn_path;     ///< cuDNN library file or directory; NULL: the default
    int precision;              ///< enum Deep3DPrecision
    int batch;                  ///< frames per run()
} Deep3DSourceDeviceConfig;

struct Deep3DColour;

/** A CUDA frame as a source's own input conversion reads it (device addresses). */
typedef struct Deep3DSourceFrame {
    uint64_t data[3];           ///< Y, U, V planes; V == U for interleaved chroma (nv12, p010)
    int pitch[3];               ///< bytes
    int w, h, cw, ch;           ///< luma and chroma plane sizes
    int uv_comps;               ///< 2: interleaved chroma
    int shift;                  ///< 16-bit containers: the value this many bits up (p010: 6)
    int elem_size;              ///< bytes per sample: 1 or 2
    const struct Deep3DColour *colour;  ///< the frame's YUV -> RGB coefficients
} Deep3DSourceFrame;

/**
 * A source's engine on the GPU (optional): it takes the pictures the GPU
 * path converted (its own input kernel, the same conversion as
 * deep3d_input.c) and queues its work on the GPU path's stream; nothing is
 * synchronised or copied to the host.
 */
typedef struct Deep3DSourceDeviceOps {
    /** What the engine needs besides CUDA, for the log ("cuDNN 9"). */
    const char *runtime;
    /** run() can be captured into a CUDA graph (see run()); else the GPU path
     *  launches plainly whatever cuda_graph says (on: an error). */
    int capturable;
    /** Whether the engine's runtime can be loaded (before any device is opened):
     *  AVERROR(ENOSYS) with a message saying why not. */
    int (*probe)(void *log_ctx, const Deep3DSourceDeviceConfig *cfg);
    /** Load the runtime (cuDNN, ...), upload the weights, allocate for cfg->batch frames. */
    int (*init)(Deep3DSource *src, void *log_ctx, const Deep3DSourceDeviceConfig *cfg);
    /** Optional: convert frame into the engine's own input for slot (0 .. batch - 1),
     *  queued before run(); for a model whose input differs from the geometry's picture. */
    int (*input)(Deep3DSource *src, const Deep3DSourceFrame *frame, int slot);
    /** image: nb x 3 x in_h x in_w floats, probs: nb x nb_prob x in_h x in_w (device addresses).
     *  With capturable set: only asynchronous work on the stream, the same for the same
     *  addresses and nb, and no state kept on the host, so that it may be captured into a
     *  CUDA graph, which later batches replay without calling it (deep3d_cuda_graph.h). */
    int (*run)(Deep3DSource *src, uint64_t image, uint64_t probs, int nb);
    /** The runtime and the arithmetic, e.g. "cuDNN 9.19.0, fp16 NHWC (auto: ...)". */
    void (*describe)(const Deep3DSource *src, char *buf, size_t size);
    /** Bytes of device memory held. */
    size_t (*device_bytes)(const Deep3DSource *src);
    /** Free what init() made; the context must be current. */
    void (*uninit)(Deep3DSource *src);
} Deep3DSourceDeviceOps;

typedef struct Deep3DSourceOps {
    const char *name;           ///< "deep3d", "onnx": the log and the option values
    size_t priv_size;

    /**
     * Load and check the model at cfg->model_path; set geometry. Each defect
     * is one error naming it: AVERROR_INVALIDDATA, AVERROR(ENOSYS) for a
     * missing runtime, AVERROR(ENOMEM).
     */
    int (*open)(Deep3DSource *src, void *log_ctx, const Deep3DSourceConfig *cfg);
    /** Prepare run() for cfg->nb_jobs jobs: allocate image and probs. */
    int (*configure)(Deep3DSource *src, void *log_ctx, const Deep3DSourceConfig *cfg);
    /** Fill src->image and src->probs for frame (a software frame). */
    int (*run)(Deep3DSource *src, void *log_ctx, const AVFrame *frame);
    /** One line for the log: what the model is. */
    void (*describe)(const Deep3DSource *src, char *buf, size_t size);
    /** Free what open() and configure() made (priv itself is freed by the caller). */
    void (*close)(Deep3DSource *src);
    /** The engine on the GPU; NULL: the source runs on the CPU only. */
    const Deep3DSourceDeviceOps *device;
} Deep3DSourceOps;

struct Deep3DSource {
    const Deep3DSourceOps *ops;
    void *priv;
    /** Set by open(): the planes' size, the disparity planes and the input
     *  convention. For a Deep3D network it is the model itself. */
    const Deep3DModel *geometry;
    float *image;               ///< 3 x in_h x in_w, valid after run()
    float *probs;               ///< nb_prob x in_h x in_w, valid after run()
    int64_t t_input;            ///< microseconds the last run() spent on the input (the rest: the model)
    Deep3DExecute *execute;
    void *opaque;
    int nb_jobs;
    void *device_priv;          ///< the GPU engine's state (ops->device)
};

extern const Deep3DSourceOps ff_deep3d_source_deep3d;
extern const Deep3DSourceDeviceOps ff_deep3d_source_deep3d_device, ff_deep3d_source_onnx_device;

/**
 * The Deep3D source's model weights, read again if the CPU engine freed them
 * (it holds its own copy): call before an engine reads src->geometry's weights.
 */
int ff_deep3d_source_deep3d_weights(Deep3DSource *src, void *log_ctx);

/** Allocate src with ops and open it; *src is NULL on failure. */
int ff_deep3d_source_open(Deep3DSource **src, const Deep3DSourceOps *ops, void *log_ctx,
                          const Deep3DSourceConfig *cfg);

/** (Re)build the per-stream state for cfg->nb_jobs jobs. */
int ff_deep3d_source_configure(Deep3DSource *src, void *log_ctx, const Deep3DSourceConfig *cfg);

static inline int ff_deep3d_source_run(Deep3DSource *src, void *log_ctx, const AVFrame *frame)
{
    return src->ops->run(src, log_ctx, frame);
}

void ff_deep3d_source_free(Deep3DSource **src);

#endif /* AVFILTER_DEEP3D_SOURCE_H */
