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

#include <math.h>
#include <string.h>

#include "libavutil/cpu.h"
#include "libavutil/hwcontext.h"
#include "libavutil/mem.h"
#include "libavutil/opt.h"
#include "libavutil/pixdesc.h"
#include "libavutil/stereo3d.h"

#include "avfilter.h"
#include "filters.h"
#include "formats.h"
#include "video.h"

#include "deep3d_cuda.h"
#include "deep3d_filter.h"
#include "deep3d_source_onnx.h"

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

/* The engines' jobs run on the filter graph's slice threads. */
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

/* "R|G|B" (or with '/' or an escaped ',': a plain comma separates filters in a graph):
 * three numbers, each > 0 when positive is set; def when str is NULL. */
static int parse_rgb(AVFilterContext *ctx, const char *name, const char *str, const float def[3],
                     int positive, float out[3])
{
    char *end;

    if (!str) {
        memcpy(out, def, 3 * sizeof(*out));
        return 0;
    }
    for (int c = 0; c < 3; c++) {
        out[c] = strtof(str, &end);
        if (end == str || (positive && !(out[c] > 0)) || !isfinite(out[c]) ||
            (c < 2 ? !*end || !strchr("|/,", *end) : *end != '\0'))
            goto fail;
        str = end + 1;
    }
    return 0;
fail:
    av_log(ctx, AV_LOG_ERROR, "%s: three numbers R|G|B are needed%s.\n", name,
           positive ? ", each above 0" : "");
    return AVERROR(EINVAL);
}

/* Which depth source the model option names: an ONNX file (recognised by its content,
 * docs/onnx.md section 1) or a Deep3D model (safetensors, or the built-in one). */
static int open_source(AVFilterContext *ctx)
{
    Deep3DContext *s = ctx->priv;
    Deep3DOnnxOptions onnx = { .ort_path = s->ort_path, .width = s->onnx_w, .height = s->onnx_h };
    Deep3DSourceConfig cfg = { .model_path = s->model_path };
    enum Deep3DFileKind kind = DEEP3D_FILE_UNKNOWN;
    int ret;

    if (s->model_path && (ret = ff_deep3d_file_kind_path(ctx, s->model_path, &kind)) < 0)
        return ret;
    s->onnx = kind == DEEP3D_FILE_ONNX;
    if (!s->onnx) {
        if (s->ort_path || s->onnx_w || s->onnx_mean || s->onnx_std) {
            av_log(ctx, AV_LOG_ERROR, "ort, onnx_size, onnx_mean and onnx_std are for ONNX "
                   "models; %s is a Deep3D model.\n", s->model_path ? s->model_path : "the built-in model");
            return AVERROR(EINVAL);
        }
        return ff_deep3d_source_open(&s->source, &ff_deep3d_source_deep3d, ctx, &cfg);
    }
    if ((ret = parse_rgb(ctx, "onnx_mean", s->onnx_mean, ff_deep3d_onnx_imagenet_mean, 0, onnx.mean)) < 0 ||
        (ret = parse_rgb(ctx, "onnx_std", s->onnx_std, ff_deep3d_onnx_imagenet_std, 1, onnx.std)) < 0)
        return ret;
    /* ONNX Runtime's intra-op threads: the filter's threads; by default no more than the
     * cores (ffmpeg gives filter graphs one thread more, which would oversubscribe them) */
    cfg.nb_jobs = FFMAX(1, ff_filter_get_nb_threads(ctx));
    if (ctx->nb_threads <= 0)
        cfg.nb_jobs = FFMIN(cfg.nb_jobs, av_cpu_count());
    cfg.onnx    = &onnx;
    return ff_deep3d_source_open(&s->source, &ff_deep3d_source_onnx, ctx, &cfg);
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
    ret = open_source(ctx);
    if (ret < 0)
        return ret;

    /* device=cuda fails here, before any frame, when the GPU path cannot run */
    if (s->device == DEEP3D_DEVICE_CUDA)
        return ff_deep3d_filter_probe_cuda(ctx);
    return 0;
}

static void free_pending(Deep3DContext *s)
{
    for (int i = 0; i < s->nb_pending; i++)
        av_frame_free(&s->pending[i]);
    s->nb_pending = 0;
}

void ff_deep3d_filter_free_paths(AVFilterContext *ctx)
{
    Deep3DContext *s = ctx->priv;

    ff_deep3d_cpu_free(&s->cpu, ctx);
    ff_deep3d_filter_free_gpu(ctx);
}

static av_cold void uninit(AVFilterContext *ctx)
{
    Deep3DContext *s = ctx->priv;

    ff_deep3d_filter_free_paths(ctx);
    free_pending(s);
    ff_deep3d_source_free(&s->source);
}

/* The one INFO line: which device runs which model, and for auto why. */
void ff_deep3d_filter_log_device(AVFilterContext *ctx, const char *device, const char *why)
{
    Deep3DContext *s = ctx->priv;
    char model[768];

    s->source->ops->describe(s->source, model, sizeof(model));
    av_log(ctx, AV_LOG_INFO, "device: %s (%s); model: %s\n", device, why, model);
}

void ff_deep3d_filter_set_output_size(AVFilterLink *outlink, const Deep3DPack *pack)
{
    AVFilterLink *inlink = outlink->src->inputs[0];

    outlink->w = pack->out_w;
    outlink->h = pack->out_h;
    /* Squeezed layouts keep the input's sample aspect ratio, as vf_stereo3d
     * does: the packed frame displays with the shape of one eye. */
    outlink->sample_aspect_ratio = inlink->sample_aspect_ratio;
}

/* Software frames on the CPU. */
static int config_cpu(AVFilterLink *outlink, const char *why)
{
    AVFilterContext *ctx = outlink->src;
    AVFilterLink *inlink = ctx->inputs[0];
    Deep3DContext *s     = ctx->priv;
    Deep3DTemporalParams tp = ff_deep3d_temporal_params(s);
    Deep3DCpuConfig cfg = {
        .source = s->source, .pack = &s->pack, .render = s->render,
        .output = ff_deep3d_mode_output(s->mode),
        .anaglyph = IS_ANAGLYPH(s->mode) ? s->mode - DEEP3D_MODE_ARCG : 0,
        .swap = s->swap, .renormalize = s->renormalize,
        .temporal = ff_deep3d_temporal_on(s) ? &tp : NULL,
        .time_base = inlink->time_base, .frame_rate = ff_filter_link(inlink)->frame_rate,
        .nb_jobs = FFMAX(1, ff_filter_get_nb_threads(ctx)), .execute = execute, .opaque = ctx,
        .cpu_engine = s->cpu_engine, .precision = s->precision,
    };
    int ret;

    ret = ff_deep3d_pack_init(&s->pack, ctx, ff_deep3d_mode_layout(s->mode), inlink->format, inlink->w,
                              inlink->h);
    if (ret < 0 || (ret = ff_deep3d_cpu_init(&s->cpu, ctx, &cfg)) < 0)
        return ret;
    ff_deep3d_filter_set_output_size(outlink, &s->pack);
    ff_deep3d_filter_log_device(ctx, "cpu", s->device == DEEP3D_DEVICE_CPU ? "requested" : why);
    av_log(ctx, AV_LOG_VERBOSE, "%dx%d %s -> %dx%d, %d jobs, depth network %dx%d\n", inlink->w,
           inlink->h, av_get_pix_fmt_name(inlink->format), outlink->w, outlink->h, cfg.nb_jobs,
           s->source->geometry->in_w, s->source->geometry->in_h);
    return 0;
}

static int config_output(AVFilterLink *outlink)
{
    AVFilterContext *ctx  = outlink->src;
    AVFilterLink *inlink  = ctx->inputs[0];
    Deep3DContext *s      = ctx->priv;
    char why[200] = "auto";
    int ret;

    /* frames of an earlier configuration cannot go through the new engine */
    if (s->nb_pending) {
        av_log(ctx, AV_LOG_WARNING, "Reconfigured with %d frames of a batch pending: "
               "dropped.\n", s->nb_pending);
        free_pending(s);
    }
    ff_deep3d_filter_free_paths(ctx);
    ff_deep3d_filter_config_timing(outlink);
    /* a new size or format starts the temporal history afresh */
    if (s->nb_configs++ && ff_deep3d_temporal_on(s))
        av_log(ctx, AV_LOG_VERBOSE, "temporal state reset: new input %dx%d %s\n",
               inlink->w, inlink->h, av_get_pix_fmt_name(inlink->format));
    if (inlink->format == AV_PIX_FMT_CUDA)
        return ff_deep3d_filter_config_cuda(outlink);
    if (s->device != DEEP3D_DEVICE_CPU) {
        char gpu_why[160];
        ret = ff_deep3d_filter_config_upload(outlink, s->device == DEEP3D_DEVICE_AUTO, gpu_why,
                                             sizeof(gpu_why));
        if (ret >= 0)
            return 0;
        if (s->device == DEEP3D_DEVICE_CUDA) {
            av_log(ctx, AV_LOG_ERROR, "device=cuda: the GPU path cannot run %s frames (see "
                   "above); device=auto would use the CPU.\n", av_get_pix_fmt_name(inlink->format));
            return ret;
        }
        snprintf(why, sizeof(why), "auto: %s; -v verbose says more", gpu_why);
    }
    return config_cpu(outlink, why);
}

/* Software frames through the CPU path. */
static int render_cpu(AVFilterContext *ctx, AVFrame *in, AVFrame **pout)
{
    AVFilterLink *outlink = ctx->outputs[0];
    Deep3DContext *s      = ctx->priv;
    AVFrame *out = ff_deep3d_filter_get_buffer(outlink);
    int ret;

    if (!out)
        return AVERROR(ENOMEM);
    ret = ff_deep3d_cpu_render(s->cpu, ctx, out, in, s->strength, s->convergence);
    if (ret < 0)
        av_frame_free(&out);
    *pout = out;
    return ret;
}

static int flush_batch(AVFilterContext *ctx)
{
    Deep3DContext *s = ctx->priv;
    int nb = s->nb_pending;

    s->nb_pending = 0;
    return nb ? ff_deep3d_filter_render_gpu(ctx, s->pending, nb) : 0;
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

    if (!s->cuda) {
        ret = render_cpu(ctx, in, &out);
        if (ret < 0) {
            av_frame_free(&in);
            return ret;
        }
        return ff_deep3d_filter_output(ctx, in, out);
    }
    /* the GPU path holds frames for its batch */
    s->pending[s->nb_pending++] = in;
    return s->nb_pending == s->batch ? flush_batch(ctx) : 0;
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

/*
 * strength and convergence change at run time (sendcmd, zmq): the next frame
 * renders with them. Switching convergence to or from auto would need other
 * state: refused, and the old value kept.
 */
static int process_command(AVFilterContext *ctx, const char *cmd, const char *args,
                           char *res, int res_len, int flags)
{
    Deep3DContext *s = ctx->priv;
    float old_conv = s->convergence;
    int ret = ff_filter_process_command(ctx, cmd, args, res, res_len, flags);

    if (ret < 0)
        return ret;
    if ((old_conv == DEEP3D_CONV_AUTO) != (s->convergence == DEEP3D_CONV_AUTO) ||
        (s->convergence > DEEP3D_CONV_MAX && s->convergence != DEEP3D_CONV_AUTO)) {
        av_log(ctx, AV_LOG_ERROR, "convergence=%s: at run time the range is -%d..%d, and "
               "auto cannot be switched on or off.\n", args, DEEP3D_CONV_MAX, DEEP3D_CONV_MAX);
        s->convergence = old_conv;
        return AVERROR(EINVAL);
    }
    av_log(ctx, AV_LOG_VERBOSE, "command %s=%s: strength %g, convergence %g\n", cmd, args,
           s->strength, s->convergence);
    return 0;
}

#define OFFSET(x) offsetof(Deep3DContext, x)
#define FLAGS (AV_OPT_FLAG_FILTERING_PARAM | AV_OPT_FLAG_VIDEO_PARAM)
#define TFLAGS (FLAGS | AV_OPT_FLAG_RUNTIME_PARAM)

static const AVOption deep3d_options[] = {
    { "model", "model file: a Deep3D model (safetensors) or a depth model (ONNX), told apart by content; default: the built-in model", OFFSET(model_path), AV_OPT_TYPE_STRING, { .str = NULL }, 0, 0, FLAGS },
    { "onnx_size", "ONNX models with a free input size: the size they run at (default 518x294)",
        OFFSET(onnx_w), AV_OPT_TYPE_IMAGE_SIZE, { .str = NULL }, 0, 0, FLAGS },
    { "onnx_mean", "ONNX models: the input's mean R|G|B, for pixels in 0..1 (default ImageNet's 0.485|0.456|0.406)",
        OFFSET(onnx_mean), AV_OPT_TYPE_STRING, { .str = NULL }, 0, 0, FLAGS },
    { "onnx_std", "ONNX models: the input's standard deviation R|G|B (default ImageNet's 0.229|0.224|0.225)",
        OFFSET(onnx_std), AV_OPT_TYPE_STRING, { .str = NULL }, 0, 0, FLAGS },
    { "ort", "ONNX Runtime library file or directory for ONNX models (default: $DEEP3D_ORT, then the system's and the Python wheels')",
        OFFSET(ort_path), AV_OPT_TYPE_STRING, { .str = NULL }, 0, 0, FLAGS },
    { "strength", "disparity multiplier; 0 gives 2D", OFFSET(strength), AV_OPT_TYPE_FLOAT, { .dbl = 1 }, 0, 10, TFLAGS },
    { "convergence", "shift added to every disparity, in percent of the width (moves the screen plane; positive pushes the scene back), or auto",
        OFFSET(convergence), AV_OPT_TYPE_FLOAT, { .dbl = 0 }, -DEEP3D_CONV_MAX, DEEP3D_CONV_AUTO, TFLAGS, .unit = "convergence" },
    { "auto", "from the disparity distribution of each frame, smoothed, within max_popout and max_depth",
        0, AV_OPT_TYPE_CONST, { .i64 = DEEP3D_CONV_AUTO }, 0, 0, TFLAGS, .unit = "convergence" },
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
    { "auto", "the GPU when a CUDA device and cuDNN 9 (ONNX models: onnxruntime-gpu) can be had (software frames uploaded), else the CPU", 0, AV_OPT_TYPE_CONST, { .i64 = DEEP3D_DEVICE_AUTO }, 0, 0, FLAGS, .unit = "device" },
    { "cpu",  "the CPU (software frames only)",            0, AV_OPT_TYPE_CONST, { .i64 = DEEP3D_DEVICE_CPU  }, 0, 0, FLAGS, .unit = "device" },
    { "cuda", "the GPU (cuDNN 9; software frames uploaded); fails if it cannot run", 0, AV_OPT_TYPE_CONST, { .i64 = DEEP3D_DEVICE_CUDA }, 0, 0, FLAGS, .unit = "device" },
    { "cudnn", "cuDNN 9 library file or directory for the GPU path (default: $DEEP3D_CUDNN, then the system's)",
        OFFSET(cudnn_path), AV_OPT_TYPE_STRING, { .str = NULL }, 0, 0, FLAGS },
    { "precision", "arithmetic of the network", OFFSET(precision), AV_OPT_TYPE_INT,
        { .i64 = DEEP3D_PRECISION_AUTO }, 0, DEEP3D_PRECISION_BF16, FLAGS, .unit = "precision" },
    { "auto", "GPU: fp16 with tensor cores (compute capability 7.0 and later), else fp32; CPU (oneDNN): bf16 where the CPU has avx512_bf16/AMX and the model's output stays within tolerance, else fp32", 0, AV_OPT_TYPE_CONST, { .i64 = DEEP3D_PRECISION_AUTO }, 0, 0, FLAGS, .unit = "precision" },
    { "fp32", "float32: matches the CPU path closely",      0, AV_OPT_TYPE_CONST, { .i64 = DEEP3D_PRECISION_FP32 }, 0, 0, FLAGS, .unit = "precision" },
    { "fp16", "GPU: half precision, NHWC, tensor-core algorithms allowed; less exact than fp32 (the CPU runs fp32)", 0, AV_OPT_TYPE_CONST, { .i64 = DEEP3D_PRECISION_FP16 }, 0, 0, FLAGS, .unit = "precision" },
    { "bf16", "CPU, oneDNN engine: bfloat16 weights and activations, fp32 accumulation; needs avx512_bf16 or AMX (the GPU runs fp32)", 0, AV_OPT_TYPE_CONST, { .i64 = DEEP3D_PRECISION_BF16 }, 0, 0, FLAGS, .unit = "precision" },
    { "cpu_engine", "what runs the network on the CPU", OFFSET(cpu_engine), AV_OPT_TYPE_INT,
        { .i64 = DEEP3D_CPU_ENGINE_AUTO }, 0, DEEP3D_CPU_ENGINE_BLAS, FLAGS, .unit = "cpu_engine" },
    { "auto",   "oneDNN when the build has it and libdnnl.so.2 loads, else OpenBLAS", 0, AV_OPT_TYPE_CONST, { .i64 = DEEP3D_CPU_ENGINE_AUTO }, 0, 0, FLAGS, .unit = "cpu_engine" },
    { "onednn", "oneDNN (libdnnl.so.2, loaded at run time); fails if it cannot run", 0, AV_OPT_TYPE_CONST, { .i64 = DEEP3D_CPU_ENGINE_ONEDNN }, 0, 0, FLAGS, .unit = "cpu_engine" },
    { "blas",   "OpenBLAS: im2col and SGEMM on the filter's threads, the reference", 0, AV_OPT_TYPE_CONST, { .i64 = DEEP3D_CPU_ENGINE_BLAS }, 0, 0, FLAGS, .unit = "cpu_engine" },
    { "batch", "frames per network pass on the GPU (held back, flushed at the end and before a size change); the CPU path ignores it",
        OFFSET(batch), AV_OPT_TYPE_INT, { .i64 = 1 }, 1, DEEP3D_MAX_BATCH, FLAGS },
    { "cuda_graph", "GPU path: launch each batch as a CUDA graph (captured at the second batch of a size, then replayed)",
        OFFSET(cuda_graph), AV_OPT_TYPE_INT, { .i64 = DEEP3D_CUDA_GRAPH_AUTO }, DEEP3D_CUDA_GRAPH_AUTO, DEEP3D_CUDA_GRAPH_ON, FLAGS, .unit = "cuda_graph" },
    { "auto", "graphs where the batch can be captured, else plain launches (said at verbose level)", 0, AV_OPT_TYPE_CONST, { .i64 = DEEP3D_CUDA_GRAPH_AUTO }, 0, 0, FLAGS, .unit = "cuda_graph" },
    { "off",  "plain launches (and per-stage GPU timers at verbose level)", 0, AV_OPT_TYPE_CONST, { .i64 = DEEP3D_CUDA_GRAPH_OFF }, 0, 0, FLAGS, .unit = "cuda_graph" },
    { "on",   "graphs; a batch that cannot be captured is an error", 0, AV_OPT_TYPE_CONST, { .i64 = DEEP3D_CUDA_GRAPH_ON }, 0, 0, FLAGS, .unit = "cuda_graph" },
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
    .process_command = process_command,
    FILTER_INPUTS(deep3d_inputs),
    FILTER_OUTPUTS(deep3d_outputs),
    FILTER_QUERY_FUNC2(query_formats),
    /* HWDEVICE: -filter_hw_device picks the GPU for software frames */
    .flags         = AVFILTER_FLAG_SLICE_THREADS | AVFILTER_FLAG_HWDEVICE,
    /* CUDA frames: the output link gets the filter's own frame pool */
    .flags_internal = FF_FILTER_FLAG_HWFRAME_AWARE,
};
