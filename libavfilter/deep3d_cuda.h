/*
 * deep3d: the CUDA path (CUDA frames in, stereo CUDA frames out)
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

#ifndef AVFILTER_DEEP3D_CUDA_H
#define AVFILTER_DEEP3D_CUDA_H

#include <stddef.h>

#include "config.h"

#include "libavutil/buffer.h"
#include "libavutil/frame.h"
#include "libavutil/pixfmt.h"

#include "deep3d_model.h"
#include "deep3d_pack.h"
#include "deep3d_precision.h"
#include "deep3d_render.h"
#include "deep3d_render_soft.h"
#include "deep3d_source.h"
#include "deep3d_temporal.h"

/*
 * Whether this build has the CUDA path: ffnvcodec and a CUDA compiler (clang
 * with --enable-cuda-llvm, or nvcc), the same condition as the objects in the
 * libavfilter/Makefile hunk of patches/0001-register-deep3d.patch.
 */
#define DEEP3D_HAVE_CUDA (CONFIG_CUDA && CONFIG_FFNVCODEC && (CONFIG_CUDA_LLVM || CONFIG_CUDA_NVCC))

/*
 * AV_PIX_FMT_CUDA frames go through the network and the selection on the
 * GPU and come out as AV_PIX_FMT_CUDA frames of the packed layout, from the
 * filter's own frame pool, with the input's sw_format: no frame data ever
 * crosses host memory. Formats: nv12, p010, yuv420p, yuv444p. Layouts: every
 * stereo layout of deep3d_pack.h (the alternating ones as the picture of both
 * frames stacked, which the caller splits), the depth picture and the
 * anaglyphs.
 */

typedef struct Deep3DCuda Deep3DCuda;

/** The cuda_graph option (deep3d_cuda_graph.c). */
enum Deep3DCudaGraphMode {
    DEEP3D_CUDA_GRAPH_AUTO,     ///< graphs where they capture, else plain launches (VERBOSE)
    DEEP3D_CUDA_GRAPH_OFF,
    DEEP3D_CUDA_GRAPH_ON,       ///< a capture that fails is an error
};

typedef struct Deep3DCudaConfig {
    Deep3DSource *source;       ///< the depth, with a GPU engine; must outlive the Deep3DCuda
    const Deep3DPack *pack;     ///< the layout planned for the frames' sw_format (copied)
    float strength, convergence;    ///< the user's; ff_deep3d_cuda_set_shift() changes them
    int renormalize;
    int swap;                   ///< exchange the eyes
    const char *cudnn_path;     ///< library file or directory; NULL: $DEEP3D_CUDNN, then the default
    const Deep3DTemporalParams *temporal;   ///< smoothing, dilation, auto convergence; NULL: off
    int render;                 ///< enum Deep3DRenderMode
    AVRational time_base, frame_rate;       ///< of the input link (timestamp resets)
    int precision;              ///< enum Deep3DPrecision
    int output;                 ///< enum Deep3DOutput
    int anaglyph;               ///< enum Deep3DAnaglyphType, for DEEP3D_OUTPUT_ANAGLYPH
    int batch;                  ///< frames per network pass (1..32; 0 is 1)
    int cuda_graph;             ///< enum Deep3DCudaGraphMode (deep3d_cuda_graph.h); 0: auto
} Deep3DCudaConfig;

/** Nonzero if CUDA frames of this sw_format can be processed. */
int ff_deep3d_cuda_format_supported(enum AVPixelFormat sw_format);

/**
 * Nonzero if the CUDA driver library can be loaded: a quiet check before
 * device=auto opens a CUDA device for software frames (FFmpeg's own loader
 * logs an error when it is missing, which is no error on a machine without a
 * GPU).
 */
int ff_deep3d_cuda_driver_present(void);

/**
 * Check that src has a GPU engine and that its runtime (cuDNN 9) can be
 * loaded (device=cuda at init, before any frame): AVERROR(ENOSYS) with a
 * message saying why not.
 */
int ff_deep3d_cuda_probe(void *log_ctx, const Deep3DSource *src, const char *cudnn_path);

/**
 * Set up the GPU path for frames of in_frames (an AVHWFramesContext of a
 * CUDA device): load cuDNN, build the network, the kernels and the output
 * frame pool, returned in *out_frames (a new reference, for the output link).
 * Errors: AVERROR(EINVAL) for an unsupported sw_format or an
 * uninitialised device, AVERROR(ENOSYS) without cuDNN, AVERROR(ENOMEM) when
 * the GPU memory does not suffice, AVERROR_EXTERNAL for a failing CUDA/cuDNN
 * call; each with an error message.
 */
int ff_deep3d_cuda_init(Deep3DCuda **c, void *log_ctx, const Deep3DCudaConfig *cfg,
                        AVBufferRef *in_frames, AVBufferRef **out_frames);

/**
 * Render the stereo frame of in (a CUDA frame of the configured size) into
 * out, which receives a buffer from the output pool. Work is queued on the
 * device's stream; nothing is synchronised or copied to the host.
 */
int ff_deep3d_cuda_render(Deep3DCuda *c, AVFrame *out, const AVFrame *in);

/**
 * Render nb frames (1 to the configured batch) with one forward pass of the
 * network: out[i] receives the rendering of in[i], exactly as
 * ff_deep3d_cuda_render() would give one at a time, in order (temporal
 * state included). A partial batch runs the full-size network pass.
 */
int ff_deep3d_cuda_render_batch(Deep3DCuda *c, AVFrame *const *out, AVFrame *const *in,
                                int nb);

/**
 * The user's strength and convergence for the frames rendered from now on
 * (commands); the shift tables are rewritten when they change.
 */
int ff_deep3d_cuda_set_shift(Deep3DCuda *c, float strength, float convergence);

/** The GPU path's stream (a CUstream), where its work and the filter's copies are queued. */
void *ff_deep3d_cuda_stream(const Deep3DCuda *c);

/** The batch the network was built for. */
int ff_deep3d_cuda_batch(const Deep3DCuda *c);

/** A line for the log: device name and GPU memory held. */
void ff_deep3d_cuda_describe(const Deep3DCuda *c, char *buf, size_t size);

void ff_deep3d_cuda_free(Deep3DCuda **c);

#endif /* AVFILTER_DEEP3D_CUDA_H */
