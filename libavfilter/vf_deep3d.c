/*
 * deep3d: 2D to stereo 3D conversion with a Deep3D network
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

/**
 * @file
 * Turn 2D video into stereo 3D with a Deep3D network: the network predicts a
 * probability over horizontal disparity planes for every pixel, and the
 * selection layer renders the right eye from shifted copies of the input at
 * full resolution. The two eyes are packed into the requested stereo layout
 * and the frame is tagged with AV_FRAME_DATA_STEREO3D side data.
 */

#include <string.h>

#include "libavutil/hwcontext.h"
#include "libavutil/mem.h"
#include "libavutil/time.h"
#include "libavutil/opt.h"
#include "libavutil/pixdesc.h"
#include "libavutil/stereo3d.h"

#include "avfilter.h"
#include "filters.h"
#include "formats.h"
#include "video.h"

#include "deep3d_anaglyph.h"
#include "deep3d_cuda.h"
#include "deep3d_default_model.h"
#include "deep3d_hard.h"
#include "deep3d_input.h"
#include "deep3d_model.h"
#include "deep3d_net.h"
#include "deep3d_pack.h"
#include "deep3d_select.h"
#include "deep3d_temporal.h"

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

enum Deep3DRender {
    DEEP3D_RENDER_SOFT,     ///< Deep3D's selection layer (docs/model-format.md section 5)
    DEEP3D_RENDER_HARD,     ///< forward warp by the expected disparity (deep3d_hard.h)
};

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
    int render;             ///< enum Deep3DRender
    float conv_percentile, conv_smooth, max_popout, max_depth;
    int precision;          ///< enum Deep3DPrecision (CUDA path)
    int batch;              ///< frames per network pass (GPU path)

    Deep3DModel *model;
    Deep3DNet *net;
    Deep3DInput *input;
    float *net_input, *probs;
    Deep3DSelectParams select;
    Deep3DTemporal *temporal;   ///< set when smoothing, dilation or auto convergence is on
    float *ed;              ///< expected disparity at network resolution (render=hard)
    float **scratch;        ///< one per slice job
    int nb_jobs;
    AVFrame *right;         ///< the rendered eye (or the depth picture)
    Deep3DPack pack;
    Deep3DAnaglyph *anaglyph;   ///< anaglyph modes only
    struct Deep3DCuda *cuda;    ///< set when frames are processed on the GPU
    /* software frames on the GPU: uploaded to frames of upload_frames, rendered into
     * frames of upload_out and downloaded */
    int upload;
    AVBufferRef *upload_frames, *upload_out;
    int log_level_offset;       ///< raised while device=auto probes the GPU quietly
    char gpu_why[160];          ///< why software frames are not on the GPU, for the log
    int64_t nb_configs;     ///< config_output calls that built an engine
    int warned_stereo_input;
    /* batch > 1 on the GPU: the frames waiting for their network pass */
    AVFrame *pending[DEEP3D_MAX_BATCH];
    int nb_pending;
    int deferred_error;     ///< returned after the frames flushed before it went out
    int64_t seq_duration;   ///< al, ar: an input frame's nominal duration (input time base)

    /* time spent per stage, reported at the end (verbose) for benchmarks */
    int64_t nb_frames, t_input, t_network, t_temporal, t_select, t_pack;
} Deep3DContext;

typedef struct ThreadData {
    AVFrame *out;
    const AVFrame *left, *right;
} ThreadData;

static const enum AVPixelFormat pix_fmts[] = {
    AV_PIX_FMT_GRAY8,
    AV_PIX_FMT_YUV420P, AV_PIX_FMT_YUV422P, AV_PIX_FMT_YUV444P,
    AV_PIX_FMT_YUVJ420P, AV_PIX_FMT_YUVJ422P, AV_PIX_FMT_YUVJ444P,
    AV_PIX_FMT_NV12,
    AV_PIX_FMT_RGB24, AV_PIX_FMT_BGR24, AV_PIX_FMT_RGBA, AV_PIX_FMT_BGRA, AV_PIX_FMT_GBRP,
    AV_PIX_FMT_YUV420P10, AV_PIX_FMT_YUV422P10, AV_PIX_FMT_YUV444P10,
    AV_PIX_FMT_P010,
    AV_PIX_FMT_NONE
};

/* An anaglyph needs colour: gray is not offered to the anaglyph modes, so
 * FFmpeg converts gray input to a colour format on the way in. */
static int query_formats(const AVFilterContext *ctx, AVFilterFormatsConfig **cfg_in,
                         AVFilterFormatsConfig **cfg_out)
{
    const Deep3DContext *s = ctx->priv;
    enum AVPixelFormat fmts[FF_ARRAY_ELEMS(pix_fmts) + 1];
    int n = 0;

    for (int i = 0; pix_fmts[i] != AV_PIX_FMT_NONE; i++)
        if (!IS_ANAGLYPH(s->mode) || ff_deep3d_anaglyph_format_supported(pix_fmts[i]))
            fmts[n++] = pix_fmts[i];
#if DEEP3D_HAVE_CUDA
    /* Offered whatever the mode and device: config_output then says clearly
     * what CUDA frames cannot do, where a failed negotiation would not. */
    fmts[n++] = AV_PIX_FMT_CUDA;
#endif
    fmts[n] = AV_PIX_FMT_NONE;
    return ff_set_common_formats_from_list2(ctx, cfg_in, cfg_out, fmts);
}

/* The network's jobs run on the filter graph's slice threads. */
typedef struct ExecuteArgs {
    Deep3DJobFunc *job;
    void *arg;
} ExecuteArgs;

static int execute_job(AVFilterContext *ctx, void *arg, int jobnr, int nb_jobs)
{
    ExecuteArgs *e = arg;
    return e->job(e->arg, jobnr, nb_jobs);
}

static void execute(void *opaque, Deep3DJobFunc *job, void *arg, int nb_jobs)
{
    ExecuteArgs e = { job, arg };
    ff_filter_execute(opaque, execute_job, &e, NULL, nb_jobs);
}

static av_cold int init(AVFilterContext *ctx)
{
    Deep3DContext *s = ctx->priv;
    int ret;

    if (s->convergence > DEEP3D_CONV_MAX && s->convergence != DEEP3D_CONV_AUTO) {
        av_log(ctx, AV_LOG_ERROR, "convergence=%g: the range is -%d..%d (percent of the "
               "width), or auto.\n", s->convergence, DEEP3D_CONV_MAX, DEEP3D_CONV_MAX);
        return AVERROR(ERANGE);
    }
    if (s->model_path) {
        ret = ff_deep3d_model_load(&s->model, ctx, s->model_path);
    } else {
        ret = ff_deep3d_model_parse(&s->model, ctx, ff_deep3d_default_model,
                                    ff_deep3d_default_model_size);
        if (ret >= 0)
            av_log(ctx, AV_LOG_INFO, "model: the built-in default, an interim model trained "
                   "on the CPU with weak depth (sha256 %.12s; model=FILE picks another)\n",
                   ff_deep3d_default_model_sha256);
    }
    if (ret < 0)
        return ret;
    /* absurd hyperparameters fail here, not at the first frame's allocation */
    ret = ff_deep3d_net_check(ctx, s->model);
    if (ret < 0)
        return ret;
    av_log(ctx, AV_LOG_VERBOSE, "model %s: arch %s, input %dx%d, %d disparity planes "
           "(%d..%d px at width %d), %zu weights\n", s->model_path ? s->model_path : "built-in",
           s->model->arch == DEEP3D_ARCH_ORIGINAL ? "original" : "fcn",
           s->model->in_w, s->model->in_h, s->model->nb_disp, s->model->disp_min,
           s->model->disp_max, s->model->disp_width, s->model->nb_params);

    /* device=cuda fails here, before any frame, when the GPU path cannot run */
    if (s->device == DEEP3D_DEVICE_CUDA) {
#if DEEP3D_HAVE_CUDA
        ret = ff_deep3d_cuda_probe(ctx, s->cudnn_path);
        if (ret < 0) {
            av_log(ctx, AV_LOG_ERROR, "device=cuda: the GPU path needs cuDNN 9.\n");
            return ret;
        }
#else
        av_log(ctx, AV_LOG_ERROR, "device=cuda: this build has no CUDA path (it needs "
               "ffnvcodec and --enable-cuda-llvm or --enable-cuda-nvcc).\n");
        return AVERROR(ENOSYS);
#endif
    }
    return 0;
}

static void free_engine(Deep3DContext *s)
{
    ff_deep3d_net_free(&s->net);
    ff_deep3d_input_free(&s->input);
    av_freep(&s->net_input);
    av_freep(&s->probs);
    av_freep(&s->ed);
    ff_deep3d_temporal_free(&s->temporal);
    for (int i = 0; s->scratch && i < s->nb_jobs; i++)
        av_free(s->scratch[i]);
    av_freep(&s->scratch);
    av_frame_free(&s->right);
}

static av_cold void uninit(AVFilterContext *ctx)
{
    Deep3DContext *s = ctx->priv;

    if (s->temporal) {
        int64_t frames, resets;
        ff_deep3d_temporal_stats(s->temporal, &frames, &resets);
        av_log(ctx, AV_LOG_VERBOSE, "temporal: %"PRId64" frames, %"PRId64" resets\n",
               frames, resets);
    }
    /* the GPU path reports its own throughput when it is freed */
    if (s->nb_frames && !s->cuda)
        av_log(ctx, AV_LOG_VERBOSE, "%"PRId64" frames, ms per frame: input %.3f network %.3f "
               "temporal %.3f selection %.3f packing %.3f\n", s->nb_frames,
               s->t_input / 1e3 / s->nb_frames, s->t_network / 1e3 / s->nb_frames,
               s->t_temporal / 1e3 / s->nb_frames,
               s->t_select / 1e3 / s->nb_frames, s->t_pack / 1e3 / s->nb_frames);

    free_engine(s);
    for (int i = 0; i < s->nb_pending; i++)
        av_frame_free(&s->pending[i]);
    s->nb_pending = 0;
#if DEEP3D_HAVE_CUDA
    ff_deep3d_cuda_free(&s->cuda);
#endif
    av_buffer_unref(&s->upload_frames);
    av_buffer_unref(&s->upload_out);
    ff_deep3d_anaglyph_free(&s->anaglyph);
    ff_deep3d_model_free(&s->model);
}

static Deep3DSelectParams select_params(const Deep3DContext *s)
{
    const Deep3DModel *m = s->model;
    return (Deep3DSelectParams){
        .net_w = m->in_w, .net_h = m->in_h, .nb_disp = m->nb_disp,
        .disp_min = m->disp_min, .disp_width = m->disp_width,
        .strength = s->strength,
        /* auto: set per frame; the scratch is sized for the extreme */
        .convergence = s->convergence == DEEP3D_CONV_AUTO ? DEEP3D_CONV_MAX : s->convergence,
        .renormalize = s->renormalize,
    };
}

/* The layout planned for a mode: one eye's picture for the depth and the anaglyphs. */
static enum Deep3DLayout mode_layout(int mode)
{
    return mode >= DEEP3D_LAYOUT_NB ? DEEP3D_LAYOUT_ML : mode;
}

static int temporal_on(const Deep3DContext *s)
{
    return s->smooth > 0 || s->dilate > 0 || s->convergence == DEEP3D_CONV_AUTO;
}

static Deep3DTemporalParams temporal_params(const Deep3DContext *s)
{
    return (Deep3DTemporalParams){
        .smooth = s->smooth, .motion = s->motion, .scenecut = s->scenecut,
        .dilate = s->dilate, .auto_conv = s->convergence == DEEP3D_CONV_AUTO,
        .conv_percentile = s->conv_percentile, .conv_smooth = s->conv_smooth,
        .max_popout = s->max_popout, .max_depth = s->max_depth, .strength = s->strength,
    };
}

#if DEEP3D_HAVE_CUDA
/* The GPU path's configuration for s: the depth picture and the anaglyphs are
 * drawn at one eye's size, planned as the mono layout as on the CPU path. */
static Deep3DCudaConfig cuda_config(Deep3DContext *s, const Deep3DTemporalParams *tp,
                                    AVFilterLink *inlink)
{
    return (Deep3DCudaConfig){
        .model = s->model, .pack = &s->pack, .select = select_params(s),
        .swap = s->swap, .cudnn_path = s->cudnn_path,
        .temporal = temporal_on(s) ? tp : NULL,
        .render_hard = s->render == DEEP3D_RENDER_HARD,
        .time_base = inlink->time_base, .frame_rate = ff_filter_link(inlink)->frame_rate,
        .precision = s->precision,
        .output = s->mode == DEEP3D_MODE_DEPTH ? DEEP3D_CUDA_DEPTH :
                  IS_ANAGLYPH(s->mode) ? DEEP3D_CUDA_ANAGLYPH : DEEP3D_CUDA_STEREO,
        .anaglyph = IS_ANAGLYPH(s->mode) ? s->mode - DEEP3D_MODE_ARCG : 0,
        .batch = s->batch,
    };
}
#endif

/* CUDA frames: everything on the GPU, CUDA frames out (deep3d_cuda.c). */
static int config_cuda(AVFilterLink *outlink)
{
    AVFilterContext *ctx = outlink->src;
#if DEEP3D_HAVE_CUDA
    AVFilterLink *inlink = ctx->inputs[0];
    Deep3DContext *s     = ctx->priv;
    FilterLink *inl  = ff_filter_link(inlink);
    FilterLink *outl = ff_filter_link(outlink);
    AVHWFramesContext *in_fc;
    Deep3DCudaConfig cfg;
    Deep3DTemporalParams tp;
    char desc[512];
    int ret;

    if (s->device == DEEP3D_DEVICE_CPU) {
        av_log(ctx, AV_LOG_ERROR, "device=cpu cannot take CUDA frames: add "
               "hwdownload,format=<the frames' sw_format> before deep3d, or use device=auto.\n");
        return AVERROR(EINVAL);
    }
    if (!inl->hw_frames_ctx) {
        av_log(ctx, AV_LOG_ERROR, "CUDA frames without a hardware frames context.\n");
        return AVERROR(EINVAL);
    }
    in_fc = (AVHWFramesContext *)inl->hw_frames_ctx->data;
    if (!ff_deep3d_cuda_format_supported(in_fc->sw_format)) {
        av_log(ctx, AV_LOG_ERROR, "CUDA frames of %s are not supported: the GPU path takes "
               "nv12, p010le, yuv420p and yuv444p (convert with scale_cuda=format=nv12, or "
               "hwdownload for the CPU path).\n", av_get_pix_fmt_name(in_fc->sw_format));
        return AVERROR(EINVAL);
    }
    ret = ff_deep3d_pack_init(&s->pack, ctx, mode_layout(s->mode), in_fc->sw_format, inlink->w,
                              inlink->h);
    if (ret < 0)
        return ret;

    free_engine(s);
    ff_deep3d_anaglyph_free(&s->anaglyph);
    ff_deep3d_cuda_free(&s->cuda);
    av_buffer_unref(&outl->hw_frames_ctx);
    tp = temporal_params(s);
    cfg = cuda_config(s, &tp, inlink);
    ret = ff_deep3d_cuda_init(&s->cuda, ctx, &cfg, inl->hw_frames_ctx, &outl->hw_frames_ctx);
    if (ret < 0) {
        /* falling back to the CPU would copy every frame through host memory */
        if (s->device == DEEP3D_DEVICE_AUTO)
            av_log(ctx, AV_LOG_ERROR, "device=auto: CUDA frames run on the GPU only; add "
                   "hwdownload,format=%s before deep3d for the CPU path.\n",
                   av_get_pix_fmt_name(in_fc->sw_format));
        return ret;
    }

    outlink->w = s->pack.out_w;
    outlink->h = s->pack.out_h;
    outlink->sample_aspect_ratio = inlink->sample_aspect_ratio;
    ff_deep3d_cuda_describe(s->cuda, desc, sizeof(desc));
    av_log(ctx, AV_LOG_INFO, "device: cuda (%s; %s)\n", desc,
           s->device == DEEP3D_DEVICE_AUTO ? "auto: CUDA frames" : "requested");
    av_log(ctx, AV_LOG_VERBOSE, "%dx%d %s (CUDA) -> %dx%d, network %dx%d, %.2f GMAC/frame\n",
           inlink->w, inlink->h, av_get_pix_fmt_name(in_fc->sw_format), outlink->w, outlink->h,
           s->model->in_w, s->model->in_h, ff_deep3d_net_macs(s->model) / 1e9);
    return 0;
#else
    av_log(ctx, AV_LOG_ERROR, "CUDA frames: this build has no CUDA path.\n");
    return AVERROR(ENOSYS);
#endif
}

#if DEEP3D_HAVE_CUDA
/*
 * Software frames on the GPU (device=auto or cuda): a CUDA device (the
 * graph's, else one of our own), an upload pool of the input's format and the
 * GPU path with its own output pool; each frame goes up, through the GPU path
 * and down. With quiet set (device=auto), why it cannot run is logged at
 * verbose level only, and the caller falls back to the CPU.
 */
static int config_upload_device(AVFilterLink *outlink, int quiet)
{
    AVFilterContext *ctx = outlink->src;
    AVFilterLink *inlink = ctx->inputs[0];
    Deep3DContext *s     = ctx->priv;
    /* quiet: our messages through the priv context, its errors lowered to verbose */
    void *log_ctx = quiet ? (void *)s : (void *)ctx;
    int level = quiet ? AV_LOG_VERBOSE : AV_LOG_ERROR;
    AVBufferRef *device = NULL;
    AVHWFramesContext *fc;
    Deep3DCudaConfig cfg;
    Deep3DTemporalParams tp;
    char desc[512];
    int ret;

    if (!ff_deep3d_cuda_format_supported(inlink->format)) {
        snprintf(s->gpu_why, sizeof(s->gpu_why), "the GPU path takes no %s frames",
                 av_get_pix_fmt_name(inlink->format));
        av_log(ctx, level, "The GPU path does not take %s frames (it takes nv12, p010le, "
               "yuv420p and yuv444p).\n", av_get_pix_fmt_name(inlink->format));
        return AVERROR(ENOSYS);
    }
    if (ctx->hw_device_ctx &&
        ((AVHWDeviceContext *)ctx->hw_device_ctx->data)->type == AV_HWDEVICE_TYPE_CUDA) {
        if (!(device = av_buffer_ref(ctx->hw_device_ctx)))
            return AVERROR(ENOMEM);
    } else {
        if (!ff_deep3d_cuda_driver_present()) {
            snprintf(s->gpu_why, sizeof(s->gpu_why), "no CUDA driver");
            av_log(ctx, level, "No CUDA driver (libcuda) on this machine.\n");
            return AVERROR(ENOSYS);
        }
        /* before opening a device: cuDNN is the likelier absence */
        if (quiet && (ret = ff_deep3d_cuda_probe(log_ctx, s->cudnn_path)) < 0) {
            snprintf(s->gpu_why, sizeof(s->gpu_why), "no cuDNN 9");
            return ret;
        }
        ret = av_hwdevice_ctx_create(&device, AV_HWDEVICE_TYPE_CUDA, NULL, NULL, 0);
        if (ret < 0) {
            snprintf(s->gpu_why, sizeof(s->gpu_why), "no CUDA device (%s)", av_err2str(ret));
            av_log(ctx, level, "Cannot open a CUDA device: %s.\n", av_err2str(ret));
            return ret;
        }
    }
    av_buffer_unref(&s->upload_frames);
    av_buffer_unref(&s->upload_out);
    s->upload_frames = av_hwframe_ctx_alloc(device);
    av_buffer_unref(&device);
    if (!s->upload_frames)
        return AVERROR(ENOMEM);
    fc = (AVHWFramesContext *)s->upload_frames->data;
    fc->format    = AV_PIX_FMT_CUDA;
    fc->sw_format = inlink->format;
    fc->width     = inlink->w;
    fc->height    = inlink->h;
    if ((ret = av_hwframe_ctx_init(s->upload_frames)) < 0 ||
        (ret = ff_deep3d_pack_init(&s->pack, ctx, mode_layout(s->mode), inlink->format,
                                   inlink->w, inlink->h)) < 0) {
        snprintf(s->gpu_why, sizeof(s->gpu_why), "no CUDA frames of this size (%s)",
                 av_err2str(ret));
        goto fail;
    }

    tp = temporal_params(s);
    cfg = cuda_config(s, &tp, inlink);
    ret = ff_deep3d_cuda_init(&s->cuda, log_ctx, &cfg, s->upload_frames, &s->upload_out);
    if (ret < 0) {
        snprintf(s->gpu_why, sizeof(s->gpu_why), "the GPU path failed to start (%s)",
                 av_err2str(ret));
        goto fail;
    }
    s->upload = 1;
    outlink->w = s->pack.out_w;
    outlink->h = s->pack.out_h;
    outlink->sample_aspect_ratio = inlink->sample_aspect_ratio;
    ff_deep3d_cuda_describe(s->cuda, desc, sizeof(desc));
    av_log(ctx, AV_LOG_INFO, "device: cuda (%s; %s: software frames uploaded and "
           "downloaded)\n", desc, s->device == DEEP3D_DEVICE_AUTO ? "auto" : "requested");
    return 0;

fail:
    ff_deep3d_cuda_free(&s->cuda);
    av_buffer_unref(&s->upload_frames);
    av_buffer_unref(&s->upload_out);
    return ret;
}

static int config_upload(AVFilterLink *outlink, int quiet)
{
    Deep3DContext *s = outlink->src->priv;
    int ret;

    s->log_level_offset = quiet ? AV_LOG_VERBOSE - AV_LOG_ERROR : 0;
    snprintf(s->gpu_why, sizeof(s->gpu_why), "unknown");
    ret = config_upload_device(outlink, quiet);
    s->log_level_offset = 0;
    return ret;
}

/* One software frame through the GPU path: up, render, down. */
static int render_upload(AVFilterContext *ctx, AVFrame *in, AVFrame **pout)
{
    AVFilterLink *outlink = ctx->outputs[0];
    Deep3DContext *s      = ctx->priv;
    AVFrame *gin = av_frame_alloc(), *gout = av_frame_alloc(), *out = NULL;
    int ret;

    if (!gin || !gout) {
        ret = AVERROR(ENOMEM);
        goto end;
    }
    if ((ret = av_hwframe_get_buffer(s->upload_frames, gin, 0)) < 0 ||
        (ret = av_hwframe_transfer_data(gin, in, 0)) < 0 ||
        (ret = av_frame_copy_props(gin, in)) < 0 ||
        (ret = ff_deep3d_cuda_render(s->cuda, gout, gin)) < 0)
        goto end;
    out = ff_get_video_buffer(outlink, s->pack.out_w, s->pack.pic_h);
    if (!out) {
        ret = AVERROR(ENOMEM);
        goto end;
    }
    ret = av_hwframe_transfer_data(out, gout, 0);
end:
    av_frame_free(&gin);
    av_frame_free(&gout);
    if (ret < 0)
        av_frame_free(&out);
    *pout = out;
    return ret;
}
#endif

/*
 * Alternating layouts (al, ar): the output runs at twice the input's frame
 * rate, in half its time base, so that every input timestamp t becomes 2t
 * for the first frame and 2t + d for the second, d being the input frame's
 * duration in the input time base: exactly half a frame later, and each
 * output frame lasts d output ticks (half the input's frame).
 */
static void config_sequence(AVFilterLink *outlink)
{
    AVFilterLink *inlink = outlink->src->inputs[0];
    Deep3DContext *s     = outlink->src->priv;
    AVRational rate      = ff_filter_link(inlink)->frame_rate;

    if (ff_deep3d_pack_layout_frames(mode_layout(s->mode)) < 2)
        return;
    outlink->time_base = av_mul_q(inlink->time_base, (AVRational){ 1, 2 });
    ff_filter_link(outlink)->frame_rate = rate.num > 0 && rate.den > 0 ?
                                          av_mul_q(rate, (AVRational){ 2, 1 }) : rate;
    /* frames without a duration last one frame of the nominal rate */
    s->seq_duration = rate.num > 0 && rate.den > 0 ?
                      FFMAX(1, av_rescale_q(1, av_inv_q(rate), inlink->time_base)) : 1;
    if (rate.num <= 0 || rate.den <= 0)
        av_log(outlink->src, AV_LOG_WARNING, "Alternating frames of an input without a "
               "frame rate: frames without a duration are shown one tick of %d/%d apart.\n",
               outlink->time_base.num, outlink->time_base.den);
}

static int config_output(AVFilterLink *outlink)
{
    AVFilterContext *ctx  = outlink->src;
    AVFilterLink *inlink  = ctx->inputs[0];
    Deep3DContext *s      = ctx->priv;
    const Deep3DModel *m  = s->model;
    enum Deep3DLayout layout = mode_layout(s->mode);
    size_t scratch = 0;
    char why[200] = "auto: no CUDA path in this build";
    int ret;

    /* frames of an earlier configuration cannot go through the new engine */
    if (s->nb_pending) {
        av_log(ctx, AV_LOG_WARNING, "Reconfigured with %d frames of a batch pending: "
               "dropped.\n", s->nb_pending);
        for (int i = 0; i < s->nb_pending; i++)
            av_frame_free(&s->pending[i]);
        s->nb_pending = 0;
    }
    config_sequence(outlink);
    if (inlink->format == AV_PIX_FMT_CUDA)
        return config_cuda(outlink);
#if DEEP3D_HAVE_CUDA
    ff_deep3d_cuda_free(&s->cuda);
    s->upload = 0;
    if (s->device != DEEP3D_DEVICE_CPU) {
        ret = config_upload(outlink, s->device == DEEP3D_DEVICE_AUTO);
        if (ret >= 0)
            return 0;
        if (s->device == DEEP3D_DEVICE_CUDA) {
            av_log(ctx, AV_LOG_ERROR, "device=cuda: the GPU path cannot run %s frames (see "
                   "above); device=auto would use the CPU.\n", av_get_pix_fmt_name(inlink->format));
            return ret;
        }
        snprintf(why, sizeof(why), "auto: %s; -v verbose says more", s->gpu_why);
    }
#else
    if (s->device == DEEP3D_DEVICE_CUDA) {
        av_log(ctx, AV_LOG_ERROR, "device=cuda: this build has no CUDA path.\n");
        return AVERROR(ENOSYS);
    }
#endif

    ret = ff_deep3d_pack_init(&s->pack, ctx, layout, inlink->format, inlink->w, inlink->h);
    if (ret < 0)
        return ret;
    ff_deep3d_anaglyph_free(&s->anaglyph);
    if (IS_ANAGLYPH(s->mode) &&
        (ret = ff_deep3d_anaglyph_init(&s->anaglyph, ctx, s->mode - DEEP3D_MODE_ARCG,
                                       inlink->format, inlink->w, inlink->h)) < 0)
        return ret;

    free_engine(s);
    s->nb_jobs = FFMAX(1, ff_filter_get_nb_threads(ctx));
    ret = ff_deep3d_net_init(&s->net, ctx, m, s->nb_jobs);
    if (ret < 0)
        return ret;
    ret = ff_deep3d_input_init(&s->input, m, s->nb_jobs);
    if (ret < 0)
        return ret;
    s->net_input = av_malloc_array((size_t)3 * m->in_w * m->in_h, sizeof(float));
    s->probs     = av_malloc_array((size_t)m->nb_prob * m->in_w * m->in_h, sizeof(float));
    s->scratch   = av_calloc(s->nb_jobs, sizeof(*s->scratch));
    s->right     = av_frame_alloc();
    if (!s->net_input || !s->probs || !s->scratch || !s->right)
        return AVERROR(ENOMEM);

    s->select = select_params(s);
    scratch = ff_deep3d_select_scratch_size(&s->select, inlink->w);
    if (s->render == DEEP3D_RENDER_HARD) {
        scratch = FFMAX(scratch, ff_deep3d_hard_scratch_size(inlink->w));
        if (!(s->ed = av_malloc_array((size_t)m->in_w * m->in_h, sizeof(*s->ed))))
            return AVERROR(ENOMEM);
    }
    if (temporal_on(s)) {
        Deep3DTemporalParams tp = temporal_params(s);
        ret = ff_deep3d_temporal_init(&s->temporal, m, &tp);
        if (ret < 0)
            return ret;
        /* a new size or format starts the history afresh */
        if (s->nb_configs)
            av_log(ctx, AV_LOG_VERBOSE, "temporal state reset: new input %dx%d %s\n",
                   inlink->w, inlink->h, av_get_pix_fmt_name(inlink->format));
    }
    s->nb_configs++;
    for (int i = 0; i < s->nb_jobs; i++)
        if (!(s->scratch[i] = av_malloc_array(scratch, sizeof(float))))
            return AVERROR(ENOMEM);

    s->right->format = inlink->format;
    s->right->width  = inlink->w;
    s->right->height = inlink->h;
    ret = av_frame_get_buffer(s->right, 0);
    if (ret < 0)
        return ret;

    outlink->w = s->pack.out_w;
    outlink->h = s->pack.out_h;
    /* Squeezed layouts keep the input's sample aspect ratio, as vf_stereo3d
     * does: the packed frame displays with the shape of one eye. */
    outlink->sample_aspect_ratio = inlink->sample_aspect_ratio;

    /* one line says which device runs, and for auto why not the GPU */
    av_log(ctx, AV_LOG_INFO, "device: cpu (%s)\n", s->device == DEEP3D_DEVICE_CPU ? "requested" : why);
    av_log(ctx, AV_LOG_VERBOSE, "%dx%d %s -> %dx%d, network %dx%d, %d jobs, %.2f GMAC/frame\n",
           inlink->w, inlink->h, av_get_pix_fmt_name(inlink->format), outlink->w, outlink->h,
           m->in_w, m->in_h, s->nb_jobs, ff_deep3d_net_macs(m) / 1e9);
    return 0;
}

/* Render the right eye: every plane, rows split across the jobs. */
static int select_slice(AVFilterContext *ctx, void *arg, int job, int nb_jobs)
{
    Deep3DContext *s = ctx->priv;
    const AVFrame *in = arg;
    const AVPixFmtDescriptor *desc = av_pix_fmt_desc_get(in->format);

    for (int i = 0, n; i < s->pack.nb_planes; i += n) {
        const Deep3DPackPlane *pl = &s->pack.planes[i];
        Deep3DPlaneFormat f = {
            .comps     = pl->bytes_per_pixel / pl->elem_size,
            .elem_size = pl->elem_size,
            .shift     = pl->shift,
            .depth     = desc->comp[0].depth,
        };
        /* planes of one geometry (U and V) share the probability rows */
        for (n = 1; i + n < s->pack.nb_planes; n++) {
            const Deep3DPackPlane *next = &s->pack.planes[i + n];
            if (next->w != pl->w || next->h != pl->h || next->bytes_per_pixel != pl->bytes_per_pixel)
                break;
        }
        if (s->render == DEEP3D_RENDER_HARD)
            ff_deep3d_hard_rows(&s->select, &f, s->ed, n,
                                (const uint8_t *const *)in->data + i, in->linesize + i,
                                s->right->data + i, s->right->linesize + i, pl->w, pl->h,
                                pl->h * job / nb_jobs, pl->h * (job + 1) / nb_jobs,
                                s->scratch[job]);
        else
            ff_deep3d_select_rows(&s->select, &f, s->probs, n,
                                  (const uint8_t *const *)in->data + i, in->linesize + i,
                                  s->right->data + i, s->right->linesize + i, pl->w, pl->h,
                                  pl->h * job / nb_jobs, pl->h * (job + 1) / nb_jobs,
                                  s->scratch[job]);
    }
    return 0;
}

static int depth_slice(AVFilterContext *ctx, void *arg, int job, int nb_jobs)
{
    Deep3DContext *s = ctx->priv;
    const AVPixFmtDescriptor *desc = av_pix_fmt_desc_get(s->right->format);

    for (int i = 0; i < s->pack.nb_planes; i++) {
        const Deep3DPackPlane *pl = &s->pack.planes[i];
        int chroma = !(desc->flags & AV_PIX_FMT_FLAG_RGB) && i > 0 && desc->nb_components > 2;
        Deep3DPlaneFormat f = {
            .comps     = pl->bytes_per_pixel / pl->elem_size,
            .elem_size = pl->elem_size,
            .shift     = pl->shift,
            .depth     = desc->comp[0].depth,
        };
        ff_deep3d_select_depth_rows(&s->select, &f, s->probs, chroma,
                                    s->right->data[i], s->right->linesize[i], pl->w, pl->h,
                                    pl->h * job / nb_jobs, pl->h * (job + 1) / nb_jobs,
                                    s->scratch[job]);
    }
    return 0;
}

static int pack_slice(AVFilterContext *ctx, void *arg, int job, int nb_jobs)
{
    Deep3DContext *s = ctx->priv;
    ThreadData *td   = arg;

    ff_deep3d_pack_slice(&s->pack, td->out, td->left, td->right, job, nb_jobs);
    return 0;
}

/* Software frames: network, selection and packing on the CPU. */
static int render_cpu(AVFilterContext *ctx, AVFrame *in, AVFrame **pout)
{
    AVFilterLink *outlink = ctx->outputs[0];
    Deep3DContext *s      = ctx->priv;
    ThreadData td;
    AVFrame *out;
    int64_t t0, t1, t2, t3, t4;
    int ret, need_net;

    /* The right eye is rendered unless only the left one is shown. */
    need_net = s->mode == DEEP3D_MODE_DEPTH || s->pack.has_right || s->swap || s->anaglyph;
    t0 = av_gettime_relative();
    if (need_net) {
        ret = ff_deep3d_input_convert(s->input, ctx, in, s->net_input, execute, ctx);
        if (ret < 0)
            return ret;
        t1 = av_gettime_relative();
        ff_deep3d_net_forward(s->net, s->net_input, s->probs, execute, ctx);
        t2 = av_gettime_relative();
        if (s->temporal)
            ff_deep3d_temporal_process(s->temporal, ctx, s->net_input, s->probs, in->pts,
                                       ctx->inputs[0]->time_base,
                                       ff_filter_link(ctx->inputs[0])->frame_rate, &s->select);
        if (s->ed)
            ff_deep3d_expected_disparity(s->model, s->probs, s->ed);
        t4 = av_gettime_relative();
        ret = av_frame_make_writable(s->right);
        if (ret < 0)
            return ret;
        ff_filter_execute(ctx, s->mode == DEEP3D_MODE_DEPTH ? depth_slice : select_slice, in,
                          NULL, FFMIN(s->pack.planes[0].h, s->nb_jobs));
        t3 = av_gettime_relative();
        s->t_input   += t1 - t0;
        s->t_network += t2 - t1;
        s->t_temporal += t4 - t2;
        s->t_select  += t3 - t4;
    }
    t0 = av_gettime_relative();

    out = ff_get_video_buffer(outlink, s->pack.out_w, s->pack.pic_h);
    if (!out)
        return AVERROR(ENOMEM);

    td.out   = out;
    td.left  = in;
    td.right = s->right;
    if (s->mode == DEEP3D_MODE_DEPTH)
        td.left = s->right;
    else if (s->swap)
        FFSWAP(const AVFrame *, td.left, td.right);
    if (s->anaglyph) {
        ret = ff_deep3d_anaglyph_render(s->anaglyph, ctx, out, td.left, td.right,
                                        execute, ctx, s->nb_jobs);
        if (ret < 0) {
            av_frame_free(&out);
            return ret;
        }
    } else {
        ff_filter_execute(ctx, pack_slice, &td, NULL,
                          FFMIN(s->pack.planes[0].eye_h, s->nb_jobs));
    }
    s->t_pack += av_gettime_relative() - t0;
    *pout = out;
    return 0;
}

/*
 * Alternating layouts: out holds both frames stacked (deep3d_pack.h); it
 * goes out as the first frame, a second reference to it as the second, each
 * with its own stereo side data naming its eye. out is freed on every path.
 */
static int output_sequence(AVFilterContext *ctx, AVFrame *out)
{
    Deep3DContext *s = ctx->priv;
    int64_t d = out->duration > 0 ? out->duration : s->seq_duration;
    AVFrame *second = av_frame_clone(out);
    AVStereo3D *s3d[2];
    int ret;

    if (!second) {
        av_frame_free(&out);
        return AVERROR(ENOMEM);
    }
    /* the clone shares out's side data buffers: it gets its own */
    av_frame_remove_side_data(second, AV_FRAME_DATA_STEREO3D);
    s3d[0] = (AVStereo3D *)av_frame_get_side_data(out, AV_FRAME_DATA_STEREO3D)->data;
    if (!(s3d[1] = av_stereo3d_create_side_data(second))) {
        av_frame_free(&out);
        av_frame_free(&second);
        return AVERROR(ENOMEM);
    }
    ff_deep3d_pack_stereo3d(&s->pack, s3d[1]);
    ff_deep3d_pack_sequence_frame(&s->pack, out, 0, s3d[0]);
    ff_deep3d_pack_sequence_frame(&s->pack, second, 1, s3d[1]);
    if (out->pts != AV_NOPTS_VALUE) {
        out->pts    = out->pts * 2;
        second->pts = out->pts + d;
    }
    out->duration = second->duration = d;

    ret = ff_filter_frame(ctx->outputs[0], out);
    if (ret < 0) {
        av_frame_free(&second);
        return ret;
    }
    return ff_filter_frame(ctx->outputs[0], second);
}

/* Properties and stereo side data of in onto out, and out downstream; in and
 * out are freed on every path. */
static int output_frame(AVFilterContext *ctx, AVFrame *in, AVFrame *out)
{
    Deep3DContext *s = ctx->priv;
    AVStereo3D *s3d;
    int ret;

    ret = av_frame_copy_props(out, in);
    if (ret < 0)
        goto fail;
    av_frame_remove_side_data(out, AV_FRAME_DATA_STEREO3D);
    /* An anaglyph is one ordinary picture to a player: no stereo side data
     * (s->anaglyph is the CPU path's only). */
    if (!IS_ANAGLYPH(s->mode)) {
        s3d = av_stereo3d_create_side_data(out);
        if (!s3d) {
            ret = AVERROR(ENOMEM);
            goto fail;
        }
        ff_deep3d_pack_stereo3d(&s->pack, s3d);
    }
    s->nb_frames++;

    av_frame_free(&in);
    if (s->pack.frames > 1)
        return output_sequence(ctx, out);
    return ff_filter_frame(ctx->outputs[0], out);

fail:
    av_frame_free(&in);
    av_frame_free(&out);
    return ret;
}

/* Whether frames are held for batches: the GPU path with batch > 1. */
static int batching(const Deep3DContext *s)
{
#if DEEP3D_HAVE_CUDA
    return s->cuda && ff_deep3d_cuda_batch(s->cuda) > 1;
#else
    return 0;
#endif
}

/*
 * The pending frames through the GPU path with one network pass, then out in
 * order. Software frames (upload) go up one by one, through the batch, and
 * down. Every frame is freed or passed on, on every path.
 */
static int flush_batch(AVFilterContext *ctx)
{
    Deep3DContext *s = ctx->priv;
    AVFrame *in[DEEP3D_MAX_BATCH], *dev_out[DEEP3D_MAX_BATCH] = { NULL };
    AVFrame *gin[DEEP3D_MAX_BATCH] = { NULL };
    int nb = s->nb_pending, ret = 0, i;

    if (!nb)
        return 0;
    memcpy(in, s->pending, nb * sizeof(*in));
    s->nb_pending = 0;
#if DEEP3D_HAVE_CUDA
    for (i = 0; i < nb; i++) {
        if (!(dev_out[i] = av_frame_alloc())) {
            ret = AVERROR(ENOMEM);
            goto end;
        }
        if (!s->upload)
            continue;
        if (!(gin[i] = av_frame_alloc())) {
            ret = AVERROR(ENOMEM);
            goto end;
        }
        if ((ret = av_hwframe_get_buffer(s->upload_frames, gin[i], 0)) < 0 ||
            (ret = av_hwframe_transfer_data(gin[i], in[i], 0)) < 0 ||
            (ret = av_frame_copy_props(gin[i], in[i])) < 0)
            goto end;
    }
    ret = ff_deep3d_cuda_render_batch(s->cuda, dev_out, s->upload ? gin : in, nb);
    if (ret < 0)
        goto end;
    for (i = 0; i < nb; i++) {
        AVFrame *out = dev_out[i];
        AVFilterLink *outlink = ctx->outputs[0];

        if (s->upload) {
            out = ff_get_video_buffer(outlink, s->pack.out_w, s->pack.pic_h);
            if (!out) {
                ret = AVERROR(ENOMEM);
                goto end;
            }
            ret = av_hwframe_transfer_data(out, dev_out[i], 0);
            av_frame_free(&dev_out[i]);
            if (ret < 0) {
                av_frame_free(&out);
                goto end;
            }
        }
        dev_out[i] = NULL;
        ret = output_frame(ctx, in[i], out);
        in[i] = NULL;
        if (ret < 0)
            goto end;
    }
#else
    ret = AVERROR_BUG;
#endif
end:
    for (i = 0; i < nb; i++) {
        av_frame_free(&in[i]);
        av_frame_free(&dev_out[i]);
        av_frame_free(&gin[i]);
    }
    return ret;
}

static int filter_frame(AVFilterLink *inlink, AVFrame *in)
{
    AVFilterContext *ctx  = inlink->dst;
    Deep3DContext *s      = ctx->priv;
    enum AVPixelFormat fmt = s->cuda && !s->upload ? AV_PIX_FMT_CUDA : s->pack.format;
    const AVFrameSideData *sd;
    AVFrame *out = NULL;
    int ret;

    if (in->width != s->pack.in_w || in->height != s->pack.in_h || in->format != fmt) {
        av_log(ctx, AV_LOG_ERROR, "Frame changed from %dx%d %s to %dx%d %s mid-stream; "
               "the filter graph must be reconfigured for this.\n",
               s->pack.in_w, s->pack.in_h, av_get_pix_fmt_name(fmt),
               in->width, in->height, av_get_pix_fmt_name(in->format));
        av_frame_free(&in);
        if (!s->nb_pending)
            return AVERROR(EINVAL);
        /* the frames of the old size still go out, and reach the sink before
         * the error stops the graph, as they would have with batch=1 */
        s->deferred_error = AVERROR(EINVAL);
        return flush_batch(ctx);
    }

    sd = av_frame_get_side_data(in, AV_FRAME_DATA_STEREO3D);
    if (sd && !s->warned_stereo_input &&
        ((const AVStereo3D *)sd->data)->type != AV_STEREO3D_2D) {
        av_log(ctx, AV_LOG_WARNING, "Input is already stereo 3D (%s); converting it as 2D.\n",
               av_stereo3d_type_name(((const AVStereo3D *)sd->data)->type));
        s->warned_stereo_input = 1;
    }

    if (batching(s)) {
        s->pending[s->nb_pending++] = in;
#if DEEP3D_HAVE_CUDA
        if (s->nb_pending == ff_deep3d_cuda_batch(s->cuda))
            return flush_batch(ctx);
#endif
        return 0;
    }

#if DEEP3D_HAVE_CUDA
    if (s->upload) {
        ret = render_upload(ctx, in, &out);
    } else if (s->cuda) {
        out = av_frame_alloc();
        ret = out ? ff_deep3d_cuda_render(s->cuda, out, in) : AVERROR(ENOMEM);
    } else
#endif
        ret = render_cpu(ctx, in, &out);
    if (ret < 0) {
        av_frame_free(&in);
        av_frame_free(&out);
        return ret;
    }
    return output_frame(ctx, in, out);
}

/*
 * One frame per call, as filter_frame() would get them; at the end of the
 * input the pending batch goes out before the status is passed on.
 */
static int activate(AVFilterContext *ctx)
{
    AVFilterLink *inlink  = ctx->inputs[0];
    AVFilterLink *outlink = ctx->outputs[0];
    Deep3DContext *s      = ctx->priv;
    AVFrame *in;
    int64_t pts;
    int ret, status;

    if (s->deferred_error)
        return s->deferred_error;
    FF_FILTER_FORWARD_STATUS_BACK(outlink, inlink);

    ret = ff_inlink_consume_frame(inlink, &in);
    if (ret < 0)
        return ret;
    if (ret > 0) {
        ret = filter_frame(inlink, in);
        if (ret < 0)
            return ret;
        if (s->deferred_error) {
            ff_filter_set_ready(ctx, 100);
            return 0;
        }
    }
    if (ff_inlink_acknowledge_status(inlink, &status, &pts)) {
        ret = flush_batch(ctx);
        ff_outlink_set_status(outlink, status, pts);
        return ret;
    }
    if (ff_inlink_queued_frames(inlink)) {
        ff_filter_set_ready(ctx, 100);
        return 0;
    }
    FF_FILTER_FORWARD_WANTED(outlink, inlink);
    return FFERROR_NOT_READY;
}

#define OFFSET(x) offsetof(Deep3DContext, x)
#define FLAGS (AV_OPT_FLAG_FILTERING_PARAM | AV_OPT_FLAG_VIDEO_PARAM)

static const AVOption deep3d_options[] = {
    { "model", "model file (safetensors); default: the built-in model", OFFSET(model_path), AV_OPT_TYPE_STRING, { .str = NULL }, 0, 0, FLAGS },
    { "strength", "disparity multiplier; 0 gives 2D", OFFSET(strength), AV_OPT_TYPE_FLOAT, { .dbl = 1 }, 0, 10, FLAGS },
    { "convergence", "shift added to every disparity, in percent of the width (moves the screen plane; positive pushes the scene back), or auto",
        OFFSET(convergence), AV_OPT_TYPE_FLOAT, { .dbl = 0 }, -DEEP3D_CONV_MAX, DEEP3D_CONV_AUTO, FLAGS, .unit = "convergence" },
    { "auto", "from the disparity distribution of each frame, smoothed, within max_popout and max_depth",
        0, AV_OPT_TYPE_CONST, { .i64 = DEEP3D_CONV_AUTO }, 0, 0, FLAGS, .unit = "convergence" },
    { "conv_percentile", "convergence=auto: percent of the picture placed in front of the screen",
        OFFSET(conv_percentile), AV_OPT_TYPE_FLOAT, { .dbl = 5 }, 0, 100, FLAGS },
    { "conv_smooth", "convergence=auto: time constant in frames (0: every frame on its own)",
        OFFSET(conv_smooth), AV_OPT_TYPE_FLOAT, { .dbl = 12 }, 0, 1000, FLAGS },
    { "max_popout", "convergence=auto: largest parallax in front of the screen, percent of the width",
        OFFSET(max_popout), AV_OPT_TYPE_FLOAT, { .dbl = 1 }, 0, 50, FLAGS },
    { "max_depth", "convergence=auto: largest parallax behind the screen, percent of the width",
        OFFSET(max_depth), AV_OPT_TYPE_FLOAT, { .dbl = 2 }, 0, 50, FLAGS },
    { "smooth", "temporal smoothing of the disparity estimate: time constant in frames (0: off)",
        OFFSET(smooth), AV_OPT_TYPE_FLOAT, { .dbl = 8 }, 0, 1000, FLAGS },
    { "motion", "frame difference (8-bit levels, network resolution) at which a pixel follows the new estimate at once",
        OFFSET(motion), AV_OPT_TYPE_FLOAT, { .dbl = 16 }, 0.1, 255, FLAGS },
    { "scenecut", "mean frame difference (8-bit levels, network resolution) that resets the temporal state (0: never)",
        OFFSET(scenecut), AV_OPT_TYPE_FLOAT, { .dbl = 20 }, 0, 255, FLAGS },
    { "dilate", "grow near objects over the background by this many network pixels (0: off)",
        OFFSET(dilate), AV_OPT_TYPE_INT, { .i64 = 0 }, 0, 16, FLAGS },
    { "render", "how the second eye is rendered", OFFSET(render), AV_OPT_TYPE_INT,
        { .i64 = DEEP3D_RENDER_SOFT }, 0, DEEP3D_RENDER_HARD, FLAGS, .unit = "render" },
    { "soft", "Deep3D selection: probability-weighted shifted copies", 0, AV_OPT_TYPE_CONST, { .i64 = DEEP3D_RENDER_SOFT }, 0, 0, FLAGS, .unit = "render" },
    { "hard", "warp by the expected disparity, holes filled from the background", 0, AV_OPT_TYPE_CONST, { .i64 = DEEP3D_RENDER_HARD }, 0, 0, FLAGS, .unit = "render" },
    { "swap", "exchange the eyes", OFFSET(swap), AV_OPT_TYPE_BOOL, { .i64 = 0 }, 0, 1, FLAGS },
    { "device", "where the network runs", OFFSET(device), AV_OPT_TYPE_INT,
        { .i64 = DEEP3D_DEVICE_AUTO }, 0, DEEP3D_DEVICE_CUDA, FLAGS, .unit = "device" },
    { "auto", "the GPU when a CUDA device and cuDNN 9 can be had (software frames uploaded), else the CPU", 0, AV_OPT_TYPE_CONST, { .i64 = DEEP3D_DEVICE_AUTO }, 0, 0, FLAGS, .unit = "device" },
    { "cpu",  "the CPU (software frames only)",            0, AV_OPT_TYPE_CONST, { .i64 = DEEP3D_DEVICE_CPU  }, 0, 0, FLAGS, .unit = "device" },
    { "cuda", "the GPU (cuDNN 9; software frames uploaded); fails if it cannot run", 0, AV_OPT_TYPE_CONST, { .i64 = DEEP3D_DEVICE_CUDA }, 0, 0, FLAGS, .unit = "device" },
    { "cudnn", "cuDNN 9 library file or directory for the GPU path (default: $DEEP3D_CUDNN, then a search)",
        OFFSET(cudnn_path), AV_OPT_TYPE_STRING, { .str = NULL }, 0, 0, FLAGS },
    { "precision", "arithmetic of the GPU network", OFFSET(precision), AV_OPT_TYPE_INT,
        { .i64 = DEEP3D_PRECISION_AUTO }, 0, DEEP3D_PRECISION_FP16, FLAGS, .unit = "precision" },
    { "auto", "fp16 on GPUs with tensor cores (compute capability 7.0 and later), else fp32", 0, AV_OPT_TYPE_CONST, { .i64 = DEEP3D_PRECISION_AUTO }, 0, 0, FLAGS, .unit = "precision" },
    { "fp32", "float32: matches the CPU path closely",      0, AV_OPT_TYPE_CONST, { .i64 = DEEP3D_PRECISION_FP32 }, 0, 0, FLAGS, .unit = "precision" },
    { "fp16", "half precision, NHWC, tensor-core algorithms allowed; less exact than fp32", 0, AV_OPT_TYPE_CONST, { .i64 = DEEP3D_PRECISION_FP16 }, 0, 0, FLAGS, .unit = "precision" },
    { "batch", "frames per network pass on the GPU (held back, flushed at the end and before a size change); the CPU path ignores it",
        OFFSET(batch), AV_OPT_TYPE_INT, { .i64 = 1 }, 1, DEEP3D_MAX_BATCH, FLAGS },
    { "renormalize", "divide by the probability of the rendering planes (no darkening by plane 0)",
        OFFSET(renormalize), AV_OPT_TYPE_BOOL, { .i64 = 0 }, 0, 1, FLAGS },
    { "mode", "output: a stereo layout, one eye or the disparity", OFFSET(mode), AV_OPT_TYPE_INT,
        { .i64 = DEEP3D_LAYOUT_SBSL }, 0, DEEP3D_MODE_NB - 1, FLAGS, .unit = "mode" },
    { "sbsl",  "side by side, left eye first",             0, AV_OPT_TYPE_CONST, { .i64 = DEEP3D_LAYOUT_SBSL  }, 0, 0, FLAGS, .unit = "mode" },
    { "sbsr",  "side by side, right eye first",            0, AV_OPT_TYPE_CONST, { .i64 = DEEP3D_LAYOUT_SBSR  }, 0, 0, FLAGS, .unit = "mode" },
    { "sbs2l", "half-width side by side, left eye first",  0, AV_OPT_TYPE_CONST, { .i64 = DEEP3D_LAYOUT_SBS2L }, 0, 0, FLAGS, .unit = "mode" },
    { "sbs2r", "half-width side by side, right eye first", 0, AV_OPT_TYPE_CONST, { .i64 = DEEP3D_LAYOUT_SBS2R }, 0, 0, FLAGS, .unit = "mode" },
    { "abl",   "above-below, left eye on top",             0, AV_OPT_TYPE_CONST, { .i64 = DEEP3D_LAYOUT_ABL   }, 0, 0, FLAGS, .unit = "mode" },
    { "abr",   "above-below, right eye on top",            0, AV_OPT_TYPE_CONST, { .i64 = DEEP3D_LAYOUT_ABR   }, 0, 0, FLAGS, .unit = "mode" },
    { "ab2l",  "half-height above-below, left eye on top", 0, AV_OPT_TYPE_CONST, { .i64 = DEEP3D_LAYOUT_AB2L  }, 0, 0, FLAGS, .unit = "mode" },
    { "ab2r",  "half-height above-below, right eye on top",0, AV_OPT_TYPE_CONST, { .i64 = DEEP3D_LAYOUT_AB2R  }, 0, 0, FLAGS, .unit = "mode" },
    { "tbl",   "same as abl",                              0, AV_OPT_TYPE_CONST, { .i64 = DEEP3D_LAYOUT_ABL   }, 0, 0, FLAGS, .unit = "mode" },
    { "tbr",   "same as abr",                              0, AV_OPT_TYPE_CONST, { .i64 = DEEP3D_LAYOUT_ABR   }, 0, 0, FLAGS, .unit = "mode" },
    { "tb2l",  "same as ab2l",                             0, AV_OPT_TYPE_CONST, { .i64 = DEEP3D_LAYOUT_AB2L  }, 0, 0, FLAGS, .unit = "mode" },
    { "tb2r",  "same as ab2r",                             0, AV_OPT_TYPE_CONST, { .i64 = DEEP3D_LAYOUT_AB2R  }, 0, 0, FLAGS, .unit = "mode" },
    { "ml",    "mono, left eye only",                      0, AV_OPT_TYPE_CONST, { .i64 = DEEP3D_LAYOUT_ML    }, 0, 0, FLAGS, .unit = "mode" },
    { "mr",    "mono, right eye only",                     0, AV_OPT_TYPE_CONST, { .i64 = DEEP3D_LAYOUT_MR    }, 0, 0, FLAGS, .unit = "mode" },
    { "sbs",   "same as sbsl",                             0, AV_OPT_TYPE_CONST, { .i64 = DEEP3D_LAYOUT_SBSL  }, 0, 0, FLAGS, .unit = "mode" },
    { "hsbs",  "same as sbs2l",                            0, AV_OPT_TYPE_CONST, { .i64 = DEEP3D_LAYOUT_SBS2L }, 0, 0, FLAGS, .unit = "mode" },
    { "tb",    "same as abl",                              0, AV_OPT_TYPE_CONST, { .i64 = DEEP3D_LAYOUT_ABL   }, 0, 0, FLAGS, .unit = "mode" },
    { "htb",   "same as ab2l",                             0, AV_OPT_TYPE_CONST, { .i64 = DEEP3D_LAYOUT_AB2L  }, 0, 0, FLAGS, .unit = "mode" },
    { "right", "the second eye only (same as mr)",         0, AV_OPT_TYPE_CONST, { .i64 = DEEP3D_LAYOUT_MR    }, 0, 0, FLAGS, .unit = "mode" },
    { "depth", "expected disparity as a grey picture, near is bright", 0, AV_OPT_TYPE_CONST, { .i64 = DEEP3D_MODE_DEPTH }, 0, 0, FLAGS, .unit = "mode" },
    { "irl",   "interleaved rows, left eye on even rows",  0, AV_OPT_TYPE_CONST, { .i64 = DEEP3D_LAYOUT_IRL   }, 0, 0, FLAGS, .unit = "mode" },
    { "irr",   "interleaved rows, right eye on even rows", 0, AV_OPT_TYPE_CONST, { .i64 = DEEP3D_LAYOUT_IRR   }, 0, 0, FLAGS, .unit = "mode" },
    { "arcg",  "anaglyph red/cyan grey",                   0, AV_OPT_TYPE_CONST, { .i64 = DEEP3D_MODE_ARCG    }, 0, 0, FLAGS, .unit = "mode" },
    { "arch",  "anaglyph red/cyan half colour",            0, AV_OPT_TYPE_CONST, { .i64 = DEEP3D_MODE_ARCH    }, 0, 0, FLAGS, .unit = "mode" },
    { "arcc",  "anaglyph red/cyan colour",                 0, AV_OPT_TYPE_CONST, { .i64 = DEEP3D_MODE_ARCC    }, 0, 0, FLAGS, .unit = "mode" },
    { "arcd",  "anaglyph red/cyan Dubois (least squares)", 0, AV_OPT_TYPE_CONST, { .i64 = DEEP3D_MODE_ARCD    }, 0, 0, FLAGS, .unit = "mode" },
    { "icl",   "interleaved columns, left eye on even columns",  0, AV_OPT_TYPE_CONST, { .i64 = DEEP3D_LAYOUT_ICL }, 0, 0, FLAGS, .unit = "mode" },
    { "icr",   "interleaved columns, right eye on even columns", 0, AV_OPT_TYPE_CONST, { .i64 = DEEP3D_LAYOUT_ICR }, 0, 0, FLAGS, .unit = "mode" },
    { "chl",   "checkerboard, left eye first",             0, AV_OPT_TYPE_CONST, { .i64 = DEEP3D_LAYOUT_CHL   }, 0, 0, FLAGS, .unit = "mode" },
    { "chr",   "checkerboard, right eye first",            0, AV_OPT_TYPE_CONST, { .i64 = DEEP3D_LAYOUT_CHR   }, 0, 0, FLAGS, .unit = "mode" },
    { "al",    "alternating frames, left eye first (double frame rate)",  0, AV_OPT_TYPE_CONST, { .i64 = DEEP3D_LAYOUT_AL }, 0, 0, FLAGS, .unit = "mode" },
    { "ar",    "alternating frames, right eye first (double frame rate)", 0, AV_OPT_TYPE_CONST, { .i64 = DEEP3D_LAYOUT_AR }, 0, 0, FLAGS, .unit = "mode" },
    { "agmg",  "anaglyph green/magenta grey",              0, AV_OPT_TYPE_CONST, { .i64 = DEEP3D_MODE_AGMG    }, 0, 0, FLAGS, .unit = "mode" },
    { "agmh",  "anaglyph green/magenta half colour",       0, AV_OPT_TYPE_CONST, { .i64 = DEEP3D_MODE_AGMH    }, 0, 0, FLAGS, .unit = "mode" },
    { "agmc",  "anaglyph green/magenta colour",            0, AV_OPT_TYPE_CONST, { .i64 = DEEP3D_MODE_AGMC    }, 0, 0, FLAGS, .unit = "mode" },
    { "agmd",  "anaglyph green/magenta Dubois",            0, AV_OPT_TYPE_CONST, { .i64 = DEEP3D_MODE_AGMD    }, 0, 0, FLAGS, .unit = "mode" },
    { "aybg",  "anaglyph amber/blue grey",                 0, AV_OPT_TYPE_CONST, { .i64 = DEEP3D_MODE_AYBG    }, 0, 0, FLAGS, .unit = "mode" },
    { "aybh",  "anaglyph amber/blue half colour",          0, AV_OPT_TYPE_CONST, { .i64 = DEEP3D_MODE_AYBH    }, 0, 0, FLAGS, .unit = "mode" },
    { "aybc",  "anaglyph amber/blue colour",               0, AV_OPT_TYPE_CONST, { .i64 = DEEP3D_MODE_AYBC    }, 0, 0, FLAGS, .unit = "mode" },
    { "aybd",  "anaglyph amber/blue Dubois",               0, AV_OPT_TYPE_CONST, { .i64 = DEEP3D_MODE_AYBD    }, 0, 0, FLAGS, .unit = "mode" },
    { "argg",  "anaglyph red/green grey",                  0, AV_OPT_TYPE_CONST, { .i64 = DEEP3D_MODE_ARGG    }, 0, 0, FLAGS, .unit = "mode" },
    { "arbg",  "anaglyph red/blue grey",                   0, AV_OPT_TYPE_CONST, { .i64 = DEEP3D_MODE_ARBG    }, 0, 0, FLAGS, .unit = "mode" },
    { NULL }
};

static const AVClass deep3d_class = {
    .class_name = "deep3d",
    .item_name  = av_default_item_name,
    .option     = deep3d_options,
    .version    = LIBAVUTIL_VERSION_INT,
    .category   = AV_CLASS_CATEGORY_FILTER,
    /* device=auto's quiet GPU probe lowers the errors it provokes to verbose */
    .log_level_offset_offset = OFFSET(log_level_offset),
};

static const AVFilterPad deep3d_inputs[] = {
    {
        .name         = "default",
        .type         = AVMEDIA_TYPE_VIDEO,
    },
};

static const AVFilterPad deep3d_outputs[] = {
    {
        .name         = "default",
        .type         = AVMEDIA_TYPE_VIDEO,
        .config_props = config_output,
    },
};

const AVFilter ff_vf_deep3d = {
    .name          = "deep3d",
    .description   = NULL_IF_CONFIG_SMALL("Convert 2D video to stereo 3D with a Deep3D network."),
    .priv_size     = sizeof(Deep3DContext),
    .priv_class    = &deep3d_class,
    .init          = init,
    .uninit        = uninit,
    .activate      = activate,
    FILTER_INPUTS(deep3d_inputs),
    FILTER_OUTPUTS(deep3d_outputs),
    FILTER_QUERY_FUNC2(query_formats),
    /* HWDEVICE: -filter_hw_device picks the GPU for software frames */
    .flags         = AVFILTER_FLAG_SLICE_THREADS | AVFILTER_FLAG_HWDEVICE,
    /* CUDA frames: the output link gets the filter's own frame pool */
    .flags_internal = FF_FILTER_FLAG_HWFRAME_AWARE,
};
