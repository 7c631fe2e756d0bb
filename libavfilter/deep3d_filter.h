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

#ifndef AVFILTER_DEEP3D_FILTER_H
#define AVFILTER_DEEP3D_FILTER_H

/*
 * The filter's own state, shared by vf_deep3d.c (options, formats, the CPU
 * path, batching, activate) and deep3d_filter_cuda.c (the GPU path's
 * configuration: CUDA frames and uploaded software frames).
 */

#include "libavutil/frame.h"

#include "avfilter.h"
#include "deep3d_cpu.h"
#include "deep3d_pack.h"
#include "deep3d_render.h"
#include "deep3d_source.h"
#include "deep3d_upload.h"

struct Deep3DCuda;

enum Deep3DDevice {
    DEEP3D_DEVICE_AUTO,     ///< the GPU when it can run, else the CPU
    DEEP3D_DEVICE_CPU,
    DEEP3D_DEVICE_CUDA,     ///< the GPU only: CUDA frames, cuDNN 9
};

/* Output modes beyond the stereo layouts of deep3d_pack.h. */
enum Deep3DMode {
    DEEP3D_MODE_DEPTH = DEEP3D_LAYOUT_NB,   ///< the expected disparity as a grey picture
    DEEP3D_MODE_ARCG,                       ///< anaglyphs, in enum Deep3DAnaglyphType order
    DEEP3D_MODE_ARCH,
    DEEP3D_MODE_ARCC,
    DEEP3D_MODE_ARCD,
    DEEP3D_MODE_AGMG,
    DEEP3D_MODE_AGMH,
    DEEP3D_MODE_AGMC,
    DEEP3D_MODE_AGMD,
    DEEP3D_MODE_AYBG,
    DEEP3D_MODE_AYBH,
    DEEP3D_MODE_AYBC,
    DEEP3D_MODE_AYBD,
    DEEP3D_MODE_ARGG,
    DEEP3D_MODE_ARBG,
    DEEP3D_MODE_NB
};
#define IS_ANAGLYPH(mode) ((mode) >= DEEP3D_MODE_ARCG && (mode) <= DEEP3D_MODE_ARBG)

/* convergence=auto: a value beyond the numeric range of the option, which
 * only the named constant sets (init refuses the numbers in between). */
#define DEEP3D_CONV_MAX  50
#define DEEP3D_CONV_AUTO 1000
/* the largest batch option */
#define DEEP3D_MAX_BATCH 32

typedef struct Deep3DContext {
    const AVClass *class;

    char *model_path;
    int mode;               ///< enum Deep3DLayout or enum Deep3DMode
    float strength;
    float convergence;
    int swap;
    int renormalize;
    int device;             ///< enum Deep3DDevice
    char *cudnn_path;       ///< cuDNN library file or directory (CUDA path)
    float smooth, motion, scenecut;
    int dilate;
    int render;             ///< enum Deep3DRenderMode
    float conv_percentile, conv_smooth, max_popout, max_depth;
    int precision;          ///< enum Deep3DPrecision
    int cpu_engine;         ///< enum Deep3DCpuEngine (CPU path)
    int batch;              ///< frames per network pass (GPU path)
    int cuda_graph;         ///< enum Deep3DCudaGraphMode (GPU path)
    char *ort_path;         ///< ONNX Runtime library file or directory (ONNX models)
    int onnx_w, onnx_h;     ///< ONNX models with a free input size: the size they run at
    char *onnx_mean, *onnx_std; ///< ONNX models: the input normalisation, "R,G,B"
    int onnx;               ///< the source is an ONNX model (CPU path only, for now)

    Deep3DSource *source;       ///< the depth, opened at init
    Deep3DPack pack;
    Deep3DCpu *cpu;             ///< software frames on the CPU
    struct Deep3DCuda *cuda;    ///< frames on the GPU (CUDA frames, or uploaded ones)
    int upload;                 ///< software frames go up to the GPU path and down
    Deep3DUpload up;
    int log_level_offset;       ///< raised while device=auto probes the GPU quietly
    int64_t nb_configs;         ///< configurations that built a path
    int warned_stereo_input;
    /* batch > 1 on the GPU: the frames waiting for their network pass */
    AVFrame *pending[DEEP3D_MAX_BATCH];
    int nb_pending;
    int deferred_error;         ///< returned after the frames flushed before it went out
    int64_t seq_duration;       ///< al, ar: an input frame's nominal duration (input time base)
} Deep3DContext;

/* The mode option split into the layout planned and what is drawn: the depth
 * picture and the anaglyphs are one eye's picture, planned as the mono layout. */
static inline enum Deep3DLayout ff_deep3d_mode_layout(int mode)
{
    return mode >= DEEP3D_LAYOUT_NB ? DEEP3D_LAYOUT_ML : mode;
}

static inline enum Deep3DOutput ff_deep3d_mode_output(int mode)
{
    return mode == DEEP3D_MODE_DEPTH ? DEEP3D_OUTPUT_DEPTH :
           IS_ANAGLYPH(mode) ? DEEP3D_OUTPUT_ANAGLYPH : DEEP3D_OUTPUT_STEREO;
}

/* The convergence the renderers start from: with auto, the extreme, until the
 * first frame's depth sets it. */
static inline float ff_deep3d_user_convergence(const Deep3DContext *s)
{
    return s->convergence == DEEP3D_CONV_AUTO ? DEEP3D_CONV_MAX : s->convergence;
}

static inline int ff_deep3d_temporal_on(const Deep3DContext *s)
{
    return s->smooth > 0 || s->dilate > 0 || s->convergence == DEEP3D_CONV_AUTO;
}

static inline Deep3DTemporalParams ff_deep3d_temporal_params(const Deep3DContext *s)
{
    return (Deep3DTemporalParams){
        .smooth = s->smooth, .motion = s->motion, .scenecut = s->scenecut,
        .dilate = s->dilate, .auto_conv = s->convergence == DEEP3D_CONV_AUTO,
        .conv_percentile = s->conv_percentile, .conv_smooth = s->conv_smooth,
        .max_popout = s->max_popout, .max_depth = s->max_depth,
    };
}

/* vf_deep3d.c */
/** The one INFO line: which device runs which model, and for auto why. */
void ff_deep3d_filter_log_device(AVFilterContext *ctx, const char *device, const char *why);
void ff_deep3d_filter_set_output_size(AVFilterLink *outlink, const Deep3DPack *pack);
/** Free the CPU and GPU paths (a new configuration, or the end). */
void ff_deep3d_filter_free_paths(AVFilterContext *ctx);
/* deep3d_filter_output.c */
/** The output link's timing: alternating layouts (al, ar) double the frame rate. */
void ff_deep3d_filter_config_timing(AVFilterLink *outlink);
/** A frame of the packed picture (pic_h rows: both frames of al / ar). */
AVFrame *ff_deep3d_filter_get_buffer(AVFilterLink *outlink);
/** Properties and stereo side data of in onto out, out downstream (as two frames for
 *  al / ar); both freed on every path. */
int ff_deep3d_filter_output(AVFilterContext *ctx, AVFrame *in, AVFrame *out);

/* deep3d_filter_cuda.c: AVERROR(ENOSYS) in a build without the CUDA path */
/** device=cuda at init: whether the GPU path can run (cuDNN 9), with an error saying why not. */
int ff_deep3d_filter_probe_cuda(AVFilterContext *ctx);
/** Free the GPU path and the upload pools. */
void ff_deep3d_filter_free_gpu(AVFilterContext *ctx);
/** CUDA frames: everything on the GPU, CUDA frames out. */
int ff_deep3d_filter_config_cuda(AVFilterLink *outlink);
/** Software frames through the GPU path; quiet (device=auto): failures at verbose level. */
int ff_deep3d_filter_config_upload(AVFilterLink *outlink, int quiet, char *why, size_t why_size);
/** nb frames (at most the batch) through the GPU path and out; all freed or passed on. */
int ff_deep3d_filter_render_gpu(AVFilterContext *ctx, AVFrame **in, int nb);

#endif /* AVFILTER_DEEP3D_FILTER_H */
