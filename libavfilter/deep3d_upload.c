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

#include "libavutil/cuda_check.h"
#include "libavutil/dict.h"
#include "libavutil/error.h"
#include "libavutil/hwcontext.h"
#include "libavutil/hwcontext_cuda_internal.h"
#include "libavutil/imgutils.h"
#include "libavutil/mem.h"
#include "libavutil/pixdesc.h"

#include "deep3d_cuda.h"
#include "deep3d_cuda_driver.h"
#include "deep3d_filter.h"
#include "deep3d_upload.h"
#include "video.h"

#define CHECK_CU(x) FF_CUDA_CHECK_DL(st->log_ctx, st->cu, x)
/* Staging buffers for uploads beyond the batch: the host waits for one only
 * when the GPU is this many frames behind. */
#define UPLOAD_SPARE 2

/* A pinned buffer holding one picture, and the event after the copy that uses it. */
typedef struct Stage {
    uint8_t *host;
    uint8_t *data[4];
    int linesize[4];
    CUevent done;
    int queued;                 ///< a copy from or to it has been queued
} Stage;

struct Deep3DUploadStaging {
    void *log_ctx;
    AVCUDADeviceContext *hwctx;
    CudaFunctions *cu;
    Deep3DCudaDriver drv;
    CUstream stream;
    Stage *up, *down;
    int nb_up, nb_down, next_up;
};

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

/* A pinned picture of fmt, w x h, with its event (allocated on first use). */
static int stage_alloc(Deep3DUploadStaging *st, Stage *sg, enum AVPixelFormat fmt, int w, int h)
{
    int size = av_image_get_buffer_size(fmt, w, h, 64), ret;

    if (size < 0)
        return size;
    if ((ret = CHECK_CU(st->drv.cuMemAllocHost((void **)&sg->host, size))) < 0) {
        sg->host = NULL;
        return ret;
    }
    if ((ret = CHECK_CU(st->cu->cuEventCreate(&sg->done, CU_EVENT_DISABLE_TIMING))) < 0) {
        sg->done = NULL;
        return ret;
    }
    return av_image_fill_arrays(sg->data, sg->linesize, sg->host, fmt, w, h, 64);
}

static void stage_free(Deep3DUploadStaging *st, Stage *sg)
{
    if (sg->done) {
        if (sg->queued)
            CHECK_CU(st->cu->cuEventSynchronize(sg->done));
        CHECK_CU(st->cu->cuEventDestroy(sg->done));
    }
    if (sg->host)
        CHECK_CU(st->drv.cuMemFreeHost(sg->host));
    *sg = (Stage){ 0 };
}

/* Rows of plane i of a picture of height h. */
static int plane_rows(const AVPixFmtDescriptor *desc, int i, int h)
{
    return i == 1 || i == 2 ? AV_CEIL_RSHIFT(h, desc->log2_chroma_h) : h;
}

/* The planes of a picture between host (pinned) and device memory on the stream. */
static int copy_planes(Deep3DUploadStaging *st, enum AVPixelFormat fmt, int w, int h,
                       uint8_t *const *host, const int *host_ls, uint8_t *const *dev,
                       const int *dev_ls, int up)
{
    const AVPixFmtDescriptor *desc = av_pix_fmt_desc_get(fmt);
    int bytes[4], ret;

    if ((ret = av_image_fill_linesizes(bytes, fmt, w)) < 0)
        return ret;
    for (int i = 0; i < 4 && host[i] && dev[i]; i++) {
        CUDA_MEMCPY2D cpy = {
            .srcMemoryType = up ? CU_MEMORYTYPE_HOST : CU_MEMORYTYPE_DEVICE,
            .dstMemoryType = up ? CU_MEMORYTYPE_DEVICE : CU_MEMORYTYPE_HOST,
            .WidthInBytes  = bytes[i],
            .Height        = plane_rows(desc, i, h),
        };
        if (up) {
            cpy.srcHost   = host[i];
            cpy.srcPitch  = host_ls[i];
            cpy.dstDevice = (CUdeviceptr)dev[i];
            cpy.dstPitch  = dev_ls[i];
        } else {
            cpy.srcDevice = (CUdeviceptr)dev[i];
            cpy.srcPitch  = dev_ls[i];
            cpy.dstHost   = host[i];
            cpy.dstPitch  = host_ls[i];
        }
        if ((ret = CHECK_CU(st->cu->cuMemcpy2DAsync(&cpy, st->stream))) < 0)
            return ret;
    }
    return 0;
}

int ff_deep3d_upload_start(Deep3DUpload *u, void *log_ctx, void *stream, int batch)
{
    AVHWFramesContext *fc = (AVHWFramesContext *)u->frames->data;
    Deep3DUploadStaging *st;
    int ret;

    if (!(st = u->staging = av_mallocz(sizeof(*st))))
        return AVERROR(ENOMEM);
    st->log_ctx = log_ctx;
    st->hwctx   = fc->device_ctx->hwctx;
    st->cu      = st->hwctx->internal->cuda_dl;
    st->stream  = stream;
    st->nb_up   = batch + UPLOAD_SPARE;
    st->nb_down = batch;
    if ((ret = ff_deep3d_cuda_driver_load(&st->drv, log_ctx)) < 0)
        return ret;
    if (!(st->up = av_calloc(st->nb_up, sizeof(*st->up))) ||
        !(st->down = av_calloc(st->nb_down, sizeof(*st->down))))
        return AVERROR(ENOMEM);
    return 0;
}

/* Through staging: the frame into a pinned buffer on the host, up on the stream. */
static int upload_staged(Deep3DUpload *u, const AVFrame *in, AVFrame *gpu)
{
    Deep3DUploadStaging *st = u->staging;
    Stage *sg = &st->up[st->next_up];
    CUcontext dummy;
    int ret;

    st->next_up = (st->next_up + 1) % st->nb_up;
    if ((ret = CHECK_CU(st->cu->cuCtxPushCurrent(st->hwctx->cuda_ctx))) < 0)
        return ret;
    if (!sg->host)
        ret = stage_alloc(st, sg, in->format, in->width, in->height);
    /* the copy that last read this buffer must be done before it is rewritten */
    else if (sg->queued)
        ret = CHECK_CU(st->cu->cuEventSynchronize(sg->done));
    if (ret >= 0) {
        av_image_copy(sg->data, sg->linesize, (const uint8_t **)in->data, in->linesize,
                      in->format, in->width, in->height);
        ret = copy_planes(st, in->format, in->width, in->height, sg->data, sg->linesize,
                          gpu->data, gpu->linesize, 1);
    }
    if (ret >= 0 && (ret = CHECK_CU(st->cu->cuEventRecord(sg->done, st->stream))) >= 0)
        sg->queued = 1;
    CHECK_CU(st->cu->cuCtxPopCurrent(&dummy));
    return ret;
}

int ff_deep3d_upload_frame(Deep3DUpload *u, const AVFrame *in, AVFrame **pgpu)
{
    AVFrame *gpu = av_frame_alloc();
    int ret;

    if (!gpu)
        return AVERROR(ENOMEM);
    if ((ret = av_hwframe_get_buffer(u->frames, gpu, 0)) < 0 ||
        (ret = u->staging ? upload_staged(u, in, gpu) : av_hwframe_transfer_data(gpu, in, 0)) < 0 ||
        (ret = av_frame_copy_props(gpu, in)) < 0)
        av_frame_free(&gpu);
    *pgpu = gpu;
    return ret;
}

/* Through staging: all frames down on the stream, one wait, then out of the pinned buffers. */
static int download_staged(Deep3DUpload *u, AVFilterLink *outlink, AVFrame *const *gpu,
                           AVFrame **out, int nb)
{
    Deep3DUploadStaging *st = u->staging;
    AVHWFramesContext *fc = (AVHWFramesContext *)gpu[0]->hw_frames_ctx->data;
    enum AVPixelFormat fmt = fc->sw_format;
    const AVPixFmtDescriptor *desc = av_pix_fmt_desc_get(fmt);
    CUcontext dummy;
    int ret;

    if (nb > st->nb_down)
        return AVERROR_BUG;
    if ((ret = CHECK_CU(st->cu->cuCtxPushCurrent(st->hwctx->cuda_ctx))) < 0)
        return ret;
    for (int i = 0; i < nb && ret >= 0; i++) {
        Stage *sg = &st->down[i];
        if (!sg->host && (ret = stage_alloc(st, sg, fmt, gpu[i]->width, gpu[i]->height)) < 0)
            break;
        ret = copy_planes(st, fmt, gpu[i]->width, gpu[i]->height, sg->data, sg->linesize,
                          gpu[i]->data, gpu[i]->linesize, 0);
    }
    /* the one wait of the batch: its frames are on the host */
    if (ret >= 0 && (ret = CHECK_CU(st->cu->cuEventRecord(st->down[0].done, st->stream))) >= 0)
        ret = CHECK_CU(st->cu->cuEventSynchronize(st->down[0].done));
    CHECK_CU(st->cu->cuCtxPopCurrent(&dummy));
    for (int i = 0; i < nb && ret >= 0; i++) {
        const Stage *sg = &st->down[i];
        int bytes[4];
        if (!(out[i] = ff_deep3d_filter_get_buffer(outlink)))
            return AVERROR(ENOMEM);
        if ((ret = av_image_fill_linesizes(bytes, fmt, gpu[i]->width)) < 0)
            return ret;
        for (int p = 0; p < 4 && sg->data[p] && out[i]->data[p]; p++)
            av_image_copy_plane(out[i]->data[p], out[i]->linesize[p], sg->data[p],
                                sg->linesize[p], FFMIN(bytes[p], out[i]->linesize[p]),
                                FFMIN(plane_rows(desc, p, gpu[i]->height),
                                      plane_rows(desc, p, out[i]->height)));
    }
    return ret;
}

int ff_deep3d_upload_download(Deep3DUpload *u, AVFilterLink *outlink, AVFrame *const *gpu,
                              AVFrame **out, int nb)
{
    int ret = 0;

    for (int i = 0; i < nb; i++)
        out[i] = NULL;
    if (u->staging)
        ret = download_staged(u, outlink, gpu, out, nb);
    for (int i = 0; i < nb && ret >= 0 && !u->staging; i++) {
        if (!(out[i] = ff_deep3d_filter_get_buffer(outlink)))
            ret = AVERROR(ENOMEM);
        else
            ret = av_hwframe_transfer_data(out[i], gpu[i], 0);
    }
    if (ret < 0)
        for (int i = 0; i < nb; i++)
            av_frame_free(&out[i]);
    return ret;
}

void ff_deep3d_upload_uninit(Deep3DUpload *u)
{
    Deep3DUploadStaging *st = u->staging;

    if (st) {
        CUcontext dummy;
        if (st->cu && CHECK_CU(st->cu->cuCtxPushCurrent(st->hwctx->cuda_ctx)) >= 0) {
            for (int i = 0; st->up && i < st->nb_up; i++)
                stage_free(st, &st->up[i]);
            for (int i = 0; st->down && i < st->nb_down; i++)
                stage_free(st, &st->down[i]);
            CHECK_CU(st->cu->cuCtxPopCurrent(&dummy));
        }
        av_freep(&st->up);
        av_freep(&st->down);
        ff_deep3d_cuda_driver_unload(&st->drv);
        av_freep(&u->staging);
    }
    av_buffer_unref(&u->frames);
    av_buffer_unref(&u->out_frames);
}
