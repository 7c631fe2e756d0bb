/*
 * deep3d: conversion of a video frame to the network input
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

#include "libavutil/error.h"
#include "libavutil/log.h"
#include "libavutil/mem.h"
#include "libavutil/pixdesc.h"
#include "libswscale/swscale.h"

#include "deep3d_input.h"

struct Deep3DInput {
    const Deep3DModel *m;
    struct SwsContext *sws;
    int w, h, format;
    enum AVColorSpace colorspace;
    int full_range;
};

int ff_deep3d_input_init(Deep3DInput **pin, const Deep3DModel *m)
{
    Deep3DInput *in = av_mallocz(sizeof(*in));
    if (!in)
        return AVERROR(ENOMEM);
    in->m      = m;
    in->format = AV_PIX_FMT_NONE;
    *pin = in;
    return 0;
}

static int is_full_range(const AVFrame *f)
{
    switch (f->format) {
    case AV_PIX_FMT_YUVJ420P:
    case AV_PIX_FMT_YUVJ422P:
    case AV_PIX_FMT_YUVJ444P:
        return 1;
    }
    return f->color_range == AVCOL_RANGE_JPEG;
}

int ff_deep3d_input_convert(Deep3DInput *in, void *log_ctx, const AVFrame *f, float *dst)
{
    const Deep3DModel *m = in->m;
    size_t plane = (size_t)m->in_w * m->in_h;
    int full = is_full_range(f);
    /* GBRP order: plane 0 is G, 1 is B, 2 is R; point them at our channel order */
    int ib = m->bgr ? 0 : 2, ir = m->bgr ? 2 : 0;
    uint8_t *out[4] = { (uint8_t *)(dst + plane), (uint8_t *)(dst + ib * plane),
                        (uint8_t *)(dst + ir * plane), NULL };
    int out_ls[4] = { m->in_w * sizeof(float), m->in_w * sizeof(float), m->in_w * sizeof(float), 0 };
    int ret;

    if (!in->sws || f->width != in->w || f->height != in->h || f->format != in->format ||
        f->colorspace != in->colorspace || full != in->full_range) {
        const AVPixFmtDescriptor *desc = av_pix_fmt_desc_get(f->format);
        sws_freeContext(in->sws);
        in->sws = sws_getContext(f->width, f->height, f->format, m->in_w, m->in_h,
                                 AV_PIX_FMT_GBRPF32, SWS_BILINEAR | SWS_ACCURATE_RND |
                                 SWS_FULL_CHR_H_INT, NULL, NULL, NULL);
        if (!in->sws) {
            av_log(log_ctx, AV_LOG_ERROR, "Cannot convert %s %dx%d to the network input.\n",
                   av_get_pix_fmt_name(f->format), f->width, f->height);
            return AVERROR(EINVAL);
        }
        if (!(desc->flags & AV_PIX_FMT_FLAG_RGB) && desc->nb_components >= 3) {
            const int *coeffs = sws_getCoefficients(f->colorspace == AVCOL_SPC_UNSPECIFIED ?
                                                    SWS_CS_DEFAULT : f->colorspace);
            ret = sws_setColorspaceDetails(in->sws, coeffs, full, sws_getCoefficients(SWS_CS_DEFAULT),
                                           1, 0, 1 << 16, 1 << 16);
            if (ret < 0)
                av_log(log_ctx, AV_LOG_WARNING, "Colour matrix of the input not supported; "
                       "using BT.601.\n");
        }
        in->w          = f->width;
        in->h          = f->height;
        in->format     = f->format;
        in->colorspace = f->colorspace;
        in->full_range = full;
    }

    ret = sws_scale(in->sws, (const uint8_t *const *)f->data, f->linesize, 0, f->height,
                    out, out_ls);
    if (ret < 0)
        return ret;
    for (int c = 0; c < 3; c++) {
        float *p = dst + c * plane, scale = m->input_scale, mean = m->input_mean[c];
        for (size_t i = 0; i < plane; i++)
            p[i] = p[i] * scale - mean;
    }
    return 0;
}

void ff_deep3d_input_free(Deep3DInput **pin)
{
    if (!*pin)
        return;
    sws_freeContext((*pin)->sws);
    av_freep(pin);
}
