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
 * The Deep3D network as a depth source on the GPU: cuDNN 9 loaded at run
 * time (deep3d_cudnn.c) and the forward pass of deep3d_cuda_net.c for a batch
 * of pictures, on the GPU path's context and stream.
 */

#include "libavutil/hwcontext.h"
#include "libavutil/hwcontext_cuda_internal.h"
#include "libavutil/mem.h"

#include "deep3d_cuda_net.h"
#include "deep3d_cudnn.h"
#include "deep3d_source.h"

typedef struct Deep3DSourceGPU {
    Deep3DCudnn *dnn;
    Deep3DCudaNet *net;
} Deep3DSourceGPU;

static int gpu_probe(void *log_ctx, const Deep3DSourceDeviceConfig *cfg)
{
    Deep3DCudnn *dnn;
    int ret = ff_deep3d_cudnn_load(&dnn, log_ctx, cfg->cudnn_path);

    ff_deep3d_cudnn_free(&dnn);
    return ret;
}

static int gpu_init(Deep3DSource *src, void *log_ctx, const Deep3DSourceDeviceConfig *cfg)
{
    Deep3DSourceGPU *g;
    int ret;

    if (!(g = src->device_priv = av_mallocz(sizeof(*g))))
        return AVERROR(ENOMEM);
    if ((ret = ff_deep3d_cudnn_load(&g->dnn, log_ctx, cfg->cudnn_path)) < 0 ||
        (ret = ff_deep3d_source_deep3d_weights(src, log_ctx)) < 0)
        return ret;
    return ff_deep3d_cuda_net_init(&g->net, log_ctx, src->geometry, cfg->hwctx, cfg->stream, g->dnn,
                                   cfg->precision, cfg->batch);
}

static int gpu_run(Deep3DSource *src, uint64_t image, uint64_t probs, int nb)
{
    /* a partial batch runs whole: the slots not filled are not read */
    const Deep3DSourceGPU *g = src->device_priv;
    return ff_deep3d_cuda_net_forward(g->net, image, probs);
}

static void gpu_describe(const Deep3DSource *src, char *buf, size_t size)
{
    const Deep3DSourceGPU *g = src->device_priv;

    snprintf(buf, size, "cuDNN %d.%d.%d, %s", g->dnn->version / 10000,
             g->dnn->version / 100 % 100, g->dnn->version % 100,
             ff_deep3d_cuda_net_precision(g->net));
}

static size_t gpu_device_bytes(const Deep3DSource *src)
{
    const Deep3DSourceGPU *g = src->device_priv;

    return g->net ? ff_deep3d_cuda_net_device_bytes(g->net) : 0;
}

static void gpu_uninit(Deep3DSource *src)
{
    Deep3DSourceGPU *g = src->device_priv;

    if (!g)
        return;
    ff_deep3d_cuda_net_free(&g->net);
    ff_deep3d_cudnn_free(&g->dnn);
    av_freep(&src->device_priv);
}

const Deep3DSourceDeviceOps ff_deep3d_source_deep3d_device = {
    .runtime      = "cuDNN 9",
    .capturable   = 1,
    .probe        = gpu_probe,
    .init         = gpu_init,
    .run          = gpu_run,
    .describe     = gpu_describe,
    .device_bytes = gpu_device_bytes,
    .uninit       = gpu_uninit,
};
