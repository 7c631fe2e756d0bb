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

#include "libavutil/dict.h"
#include "libavutil/error.h"
#include "libavutil/hwcontext.h"
#include "libavutil/pixdesc.h"

#include "deep3d_cuda.h"
#include "deep3d_filter.h"
#include "deep3d_upload.h"
#include "video.h"

int ff_deep3d_upload_init(Deep3DUpload *u, AVFilterContext *ctx, void *log_ctx,
                          const Deep3DSource *src, const char *cudnn_path, int quiet, char *why, size_t why_size)
{
    AVFilterLink *inlink = ctx->inputs[0];
    int level = quiet ? AV_LOG_VERBOSE : AV_LOG_ERROR;
    AVBufferRef *device = NULL;
    AVDictionary *opts = NULL;
    AVHWFramesContext *fc;
    int ret;

    ff_deep3d_upload_uninit(u);
    if (!ff_deep3d_cuda_format_supported(inlink->format)) {
        snprintf(why, why_size, "the GPU path takes no %s frames",
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
            snprintf(why, why_size, "no CUDA driver");
            av_log(ctx, level, "No CUDA driver (libcuda) on this machine.\n");
            return AVERROR(ENOSYS);
        }
        /* before opening a device: cuDNN is the likelier absence */
        if (quiet && (ret = ff_deep3d_cuda_probe(log_ctx, src, cudnn_path)) < 0) {
            snprintf(why, why_size, "no %s", src->ops->device ? src->ops->device->runtime :
                     "GPU engine for this model");
            return ret;
        }
        /* the device's primary context: the one the CUDA runtime (ONNX Runtime's CUDA
         * execution provider) works in, so it can share our stream and buffers */
        if ((ret = av_dict_set(&opts, "primary_ctx", "1", 0)) < 0)
            return ret;
        ret = av_hwdevice_ctx_create(&device, AV_HWDEVICE_TYPE_CUDA, NULL, opts, 0);
        av_dict_free(&opts);
        if (ret < 0) {
            snprintf(why, why_size, "no CUDA device (%s)", av_err2str(ret));
            av_log(ctx, level, "Cannot open a CUDA device: %s.\n", av_err2str(ret));
            return ret;
        }
    }
    u->frames = av_hwframe_ctx_alloc(device);
    av_buffer_unref(&device);
    if (!u->frames)
        return AVERROR(ENOMEM);
    fc = (AVHWFramesContext *)u->frames->data;
    fc->format    = AV_PIX_FMT_CUDA;
    fc->sw_format = inlink->format;
    fc->width     = inlink->w;
    fc->height    = inlink->h;
    if ((ret = av_hwframe_ctx_init(u->frames)) < 0) {
        snprintf(why, why_size, "no CUDA frames of this size (%s)", av_err2str(ret));
        ff_deep3d_upload_uninit(u);
    }
    return ret;
}

int ff_deep3d_upload_frame(Deep3DUpload *u, const AVFrame *in, AVFrame **pgpu)
{
    AVFrame *gpu = av_frame_alloc();
    int ret;

    if (!gpu)
        return AVERROR(ENOMEM);
    if ((ret = av_hwframe_get_buffer(u->frames, gpu, 0)) < 0 ||
        (ret = av_hwframe_transfer_data(gpu, in, 0)) < 0 ||
        (ret = av_frame_copy_props(gpu, in)) < 0)
        av_frame_free(&gpu);
    *pgpu = gpu;
    return ret;
}

int ff_deep3d_upload_download(AVFilterLink *outlink, const AVFrame *gpu, AVFrame **pout)
{
    AVFrame *out = ff_deep3d_filter_get_buffer(outlink);
    int ret;

    if (!out)
        return AVERROR(ENOMEM);
    ret = av_hwframe_transfer_data(out, gpu, 0);
    if (ret < 0)
        av_frame_free(&out);
    *pout = out;
    return ret;
}

void ff_deep3d_upload_uninit(Deep3DUpload *u)
{
    av_buffer_unref(&u->frames);
    av_buffer_unref(&u->out_frames);
}
