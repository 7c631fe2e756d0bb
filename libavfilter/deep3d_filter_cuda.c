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

/*
 * The GPU path's configuration for the filter: CUDA frames in and out, or
 * software frames uploaded and downloaded by the filter (deep3d_upload.c),
 * and frames through it in batches.
 */

#include "libavutil/hwcontext.h"
#include "libavutil/pixdesc.h"

#include "deep3d_cuda.h"
#include "deep3d_filter.h"
#include "filters.h"

#if DEEP3D_HAVE_CUDA
/* The GPU path for in_frames (the input's CUDA frames, or the upload pool),
 * its output pool into *out_frames. */
static int init_cuda(AVFilterContext *ctx, void *log_ctx, AVBufferRef *in_frames,
                     AVBufferRef **out_frames)
{
    Deep3DContext *s = ctx->priv;
    AVFilterLink *inlink = ctx->inputs[0];
    Deep3DTemporalParams tp = ff_deep3d_temporal_params(s);
    Deep3DCudaConfig cfg = {
        .source = s->source, .pack = &s->pack,
        .strength = s->strength, .convergence = ff_deep3d_user_convergence(s),
        .renormalize = s->renormalize, .swap = s->swap, .cudnn_path = s->cudnn_path,
        .temporal = ff_deep3d_temporal_on(s) ? &tp : NULL, .render = s->render,
        .time_base = inlink->time_base, .frame_rate = ff_filter_link(inlink)->frame_rate,
        .precision = s->precision, .output = ff_deep3d_mode_output(s->mode),
        .anaglyph = IS_ANAGLYPH(s->mode) ? s->mode - DEEP3D_MODE_ARCG : 0,
        .batch = s->batch, .cuda_graph = s->cuda_graph,
    };

    return ff_deep3d_cuda_init(&s->cuda, log_ctx, &cfg, in_frames, out_frames);
}

/* The INFO line: the GPU, cuDNN, the precision and the memory held, and why. */
static void log_cuda(AVFilterContext *ctx, const char *why)
{
    Deep3DContext *s = ctx->priv;
    char desc[512], line[700];

    ff_deep3d_cuda_describe(s->cuda, desc, sizeof(desc));
    snprintf(line, sizeof(line), "%s; %s", desc, why);
    ff_deep3d_filter_log_device(ctx, "cuda", line);
}
#endif


int ff_deep3d_filter_probe_cuda(AVFilterContext *ctx)
{
#if DEEP3D_HAVE_CUDA
    Deep3DContext *s = ctx->priv;
    int ret = ff_deep3d_cuda_probe(ctx, s->source, s->cudnn_path);

    if (ret < 0)
        av_log(ctx, AV_LOG_ERROR, "device=cuda: the GPU path needs %s.\n",
               s->source->ops->device ? s->source->ops->device->runtime : "a depth source with a GPU engine");
    return ret;
#else
    av_log(ctx, AV_LOG_ERROR, "device=cuda: this build has no CUDA path (it needs "
           "ffnvcodec and --enable-cuda-llvm or --enable-cuda-nvcc).\n");
    return AVERROR(ENOSYS);
#endif
}

void ff_deep3d_filter_free_gpu(AVFilterContext *ctx)
{
    Deep3DContext *s = ctx->priv;

#if DEEP3D_HAVE_CUDA
    ff_deep3d_cuda_free(&s->cuda);
#endif
    ff_deep3d_upload_uninit(&s->up);
    s->upload = 0;
}

/* CUDA frames: everything on the GPU, CUDA frames out (deep3d_cuda.c). */
int ff_deep3d_filter_config_cuda(AVFilterLink *outlink)
{
    AVFilterContext *ctx = outlink->src;
#if DEEP3D_HAVE_CUDA
    AVFilterLink *inlink = ctx->inputs[0];
    Deep3DContext *s     = ctx->priv;
    FilterLink *inl  = ff_filter_link(inlink);
    FilterLink *outl = ff_filter_link(outlink);
    AVHWFramesContext *in_fc;
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
    ret = ff_deep3d_pack_init(&s->pack, ctx, ff_deep3d_mode_layout(s->mode), in_fc->sw_format, inlink->w,
                              inlink->h);
    if (ret < 0)
        return ret;
    av_buffer_unref(&outl->hw_frames_ctx);
    ret = init_cuda(ctx, ctx, inl->hw_frames_ctx, &outl->hw_frames_ctx);
    if (ret < 0) {
        /* falling back to the CPU would copy every frame through host memory */
        if (s->device == DEEP3D_DEVICE_AUTO)
            av_log(ctx, AV_LOG_ERROR, "device=auto: CUDA frames run on the GPU only; add "
                   "hwdownload,format=%s before deep3d for the CPU path.\n",
                   av_get_pix_fmt_name(in_fc->sw_format));
        return ret;
    }
    ff_deep3d_filter_set_output_size(outlink, &s->pack);
    log_cuda(ctx, s->device == DEEP3D_DEVICE_AUTO ? "auto: CUDA frames" : "requested");
    return 0;
#else
    av_log(ctx, AV_LOG_ERROR, "CUDA frames: this build has no CUDA path.\n");
    return AVERROR(ENOSYS);
#endif
}

#if DEEP3D_HAVE_CUDA
/*
 * Software frames on the GPU (device=auto or cuda). With quiet set
 * (device=auto), why it cannot run is logged at verbose level only, and the
 * caller falls back to the CPU.
 */
int ff_deep3d_filter_config_upload(AVFilterLink *outlink, int quiet, char *why, size_t why_size)
{
    AVFilterContext *ctx = outlink->src;
    AVFilterLink *inlink = ctx->inputs[0];
    Deep3DContext *s     = ctx->priv;
    /* quiet: errors of the probe and the GPU path through the priv context,
     * whose log level offset lowers them to verbose */
    void *log_ctx = quiet ? (void *)s : (void *)ctx;
    int ret;

    s->log_level_offset = quiet ? AV_LOG_VERBOSE - AV_LOG_ERROR : 0;
    snprintf(why, why_size, "unknown");
    ret = ff_deep3d_upload_init(&s->up, ctx, log_ctx, s->source, s->cudnn_path, quiet, why, why_size);
    if (ret >= 0 &&
        (ret = ff_deep3d_pack_init(&s->pack, ctx, ff_deep3d_mode_layout(s->mode), inlink->format,
                                   inlink->w, inlink->h)) < 0)
        snprintf(why, why_size, "no CUDA frames of this size (%s)", av_err2str(ret));
    if (ret >= 0 &&
        (ret = init_cuda(ctx, log_ctx, s->up.frames, &s->up.out_frames)) < 0)
        snprintf(why, why_size, "the GPU path failed to start (%s)", av_err2str(ret));
    /* the copies through pinned buffers on the GPU path's stream */
    if (ret >= 0 &&
        (ret = ff_deep3d_upload_start(&s->up, ctx, ff_deep3d_cuda_stream(s->cuda),
                                      ff_deep3d_cuda_batch(s->cuda))) < 0)
        snprintf(why, why_size, "no pinned staging buffers (%s)", av_err2str(ret));
    s->log_level_offset = 0;
    if (ret < 0) {
        ff_deep3d_filter_free_gpu(ctx);
        return ret;
    }
    s->upload = 1;
    ff_deep3d_filter_set_output_size(outlink, &s->pack);
    log_cuda(ctx, s->device == DEEP3D_DEVICE_AUTO ? "auto: software frames uploaded and "
             "downloaded" : "requested: software frames uploaded and downloaded");
    return 0;
}
#else
int ff_deep3d_filter_config_upload(AVFilterLink *outlink, int quiet, char *why, size_t why_size)
{
    snprintf(why, why_size, "no CUDA path in this build");
    return AVERROR(ENOSYS);
}
#endif

/*
 * Frames through the GPU path with one network pass, then out in order;
 * software frames go up one by one, through the batch, and down. Every frame
 * is freed or passed on, on every path.
 */
int ff_deep3d_filter_render_gpu(AVFilterContext *ctx, AVFrame **in, int nb)
{
    int ret = 0;
#if DEEP3D_HAVE_CUDA
    Deep3DContext *s = ctx->priv;
    AVFrame *gin[DEEP3D_MAX_BATCH] = { NULL }, *gout[DEEP3D_MAX_BATCH] = { NULL };
    AVFrame *down[DEEP3D_MAX_BATCH] = { NULL };
    int i;

    ret = ff_deep3d_cuda_set_shift(s->cuda, s->strength, ff_deep3d_user_convergence(s));
    for (i = 0; i < nb && ret >= 0; i++) {
        if (!(gout[i] = av_frame_alloc()))
            ret = AVERROR(ENOMEM);
        else if (s->upload)
            ret = ff_deep3d_upload_frame(&s->up, in[i], &gin[i]);
    }
    if (ret >= 0)
        ret = ff_deep3d_cuda_render_batch(s->cuda, gout, s->upload ? gin : in, nb);
    /* software frames: the whole batch down with one wait */
    if (ret >= 0 && s->upload)
        ret = ff_deep3d_upload_download(&s->up, ctx->outputs[0], gout, down, nb);
    for (i = 0; i < nb && ret >= 0; i++) {
        AVFrame *out = s->upload ? down[i] : gout[i];
        if (s->upload)
            down[i] = NULL;
        else
            gout[i] = NULL;
        ret = ff_deep3d_filter_output(ctx, in[i], out);
        in[i] = NULL;
    }
    for (i = 0; i < nb; i++) {
        av_frame_free(&gin[i]);
        av_frame_free(&gout[i]);
        av_frame_free(&down[i]);
    }
#else
    ret = AVERROR_BUG;
#endif
    for (int i = 0; i < nb; i++)
        av_frame_free(&in[i]);
    return ret;
}

