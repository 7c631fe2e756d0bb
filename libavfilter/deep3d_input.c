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

/*
 * Our own resampling and colour conversion, defined in docs/model-format.md
 * section 4a and mirrored by tools/deep3d_frame.py and the CUDA input
 * kernel: libswscale's float output maps 8-bit 255 to 65280/65535 and goes
 * through its own fixed-point paths, which no reference can reproduce.
 */

#include <math.h>

#include "libavutil/csp.h"
#include "libavutil/error.h"
#include "libavutil/intreadwrite.h"
#include "libavutil/log.h"
#include "libavutil/mem.h"
#include "libavutil/pixdesc.h"

#include "deep3d_input.h"
#include "deep3d_simd.h"

/* The taps of one axis: output o reads source samples idx[off[o] .. off[o] + len[o] - 1]
 * (already clamped to the plane) with weights wt[], which sum to 1. */
typedef struct Deep3DTaps {
    int src, dst;
    int *off, *len, *idx;
    float *wt;
} Deep3DTaps;

struct Deep3DInput {
    const Deep3DModel *m;
    int w, h, format;
    enum AVColorSpace colorspace;
    enum AVColorRange range;
    Deep3DColour colour;
    float scale[3];             ///< per channel of the model's order: input_scale unless set
    Deep3DTaps tx[2], ty[2];    ///< [0] full-size planes, [1] subsampled chroma
    int nb_jobs;
    float **acc;                ///< per job: one vertically filtered source row

    /* the frame being converted, for the jobs */
    const AVFrame *frame;
    float *dst;
};

static void taps_free(Deep3DTaps *t)
{
    av_freep(&t->off);
    av_freep(&t->len);
    av_freep(&t->idx);
    av_freep(&t->wt);
    t->src = t->dst = 0;
}

/* Centre-aligned tent filter: output o is centred on source position
 * c = (o + 0.5) * src / dst - 0.5, with radius r = max(src / dst, 1) and
 * weights 1 - |i - c| / r, normalised; samples outside are the edge sample. */
static int taps_init(Deep3DTaps *t, int src, int dst)
{
    double scale = (double)src / dst, r = FFMAX(scale, 1.0);
    int max_taps = 2 * (int)ceil(r) + 1, n = 0;

    if (t->src == src && t->dst == dst)
        return 0;
    taps_free(t);
    t->off = av_malloc_array(dst, sizeof(*t->off));
    t->len = av_malloc_array(dst, sizeof(*t->len));
    t->idx = av_malloc_array((size_t)dst * max_taps, sizeof(*t->idx));
    t->wt  = av_malloc_array((size_t)dst * max_taps, sizeof(*t->wt));
    if (!t->off || !t->len || !t->idx || !t->wt) {
        taps_free(t);
        return AVERROR(ENOMEM);
    }
    for (int o = 0; o < dst; o++) {
        double c = (o + 0.5) * scale - 0.5, sum = 0.0;
        int lo = (int)floor(c - r) + 1, hi = FFMIN((int)ceil(c + r) - 1, lo + max_taps - 1);

        for (int i = lo; i <= hi; i++)
            sum += FFMAX(1.0 - fabs(i - c) / r, 0.0);
        t->off[o] = n;
        for (int i = lo; i <= hi; i++) {
            double wgt = 1.0 - fabs(i - c) / r;
            if (wgt <= 0.0)
                continue;
            t->idx[n] = av_clip(i, 0, src - 1);
            t->wt[n++] = wgt / sum;
        }
        t->len[o] = n - t->off[o];
    }
    t->src = src;
    t->dst = dst;
    return 0;
}

int ff_deep3d_input_init(Deep3DInput **pin, const Deep3DModel *m, int nb_jobs)
{
    Deep3DInput *in = av_mallocz(sizeof(*in));
    if (!in)
        return AVERROR(ENOMEM);
    in->m       = m;
    in->format  = AV_PIX_FMT_NONE;
    in->nb_jobs = FFMAX(1, FFMIN(nb_jobs, m->in_h));
    for (int c = 0; c < 3; c++)
        in->scale[c] = m->input_scale;
    in->acc     = av_calloc(in->nb_jobs, sizeof(*in->acc));
    if (!in->acc) {
        av_free(in);
        return AVERROR(ENOMEM);
    }
    *pin = in;
    return 0;
}

void ff_deep3d_colour_init(Deep3DColour *c, void *log_ctx, enum AVPixelFormat format,
                           enum AVColorSpace colorspace, enum AVColorRange range)
{
    const AVPixFmtDescriptor *desc = av_pix_fmt_desc_get(format);
    int depth = desc->comp[0].depth, maxval = (1 << depth) - 1;
    const AVLumaCoefficients *luma = NULL;
    double kr, kb, kg;
    int full;

    memset(c, 0, sizeof(*c));
    if (desc->flags & AV_PIX_FMT_FLAG_RGB) {
        c->rgb   = 1;
        c->y_mul = 1.0f / maxval;
        return;
    }
    c->gray = desc->nb_components < 3;
    if (c->gray)
        full = range != AVCOL_RANGE_MPEG;
    else
        full = range == AVCOL_RANGE_JPEG || format == AV_PIX_FMT_YUVJ420P ||
               format == AV_PIX_FMT_YUVJ422P || format == AV_PIX_FMT_YUVJ444P;
    /* 8-bit levels (16..235, 128 +- 112) scaled to the sample depth */
    c->y_off = full ? 0.0f : 16 << (depth - 8);
    c->y_mul = 1.0f / (full ? maxval : 219 << (depth - 8));
    c->c_off = 1 << (depth - 1);
    c->c_mul = 1.0f / (full ? maxval : 224 << (depth - 8));

    if (colorspace != AVCOL_SPC_UNSPECIFIED && colorspace != AVCOL_SPC_RGB &&
        colorspace != AVCOL_SPC_YCGCO)
        luma = av_csp_luma_coeffs_from_avcsp(colorspace);
    if (!luma) {
        if (colorspace != AVCOL_SPC_UNSPECIFIED && !c->gray && log_ctx)
            av_log(log_ctx, AV_LOG_WARNING, "Colour matrix %s of the input not supported; "
                   "using BT.601.\n", av_color_space_name(colorspace));
        luma = av_csp_luma_coeffs_from_avcsp(AVCOL_SPC_BT470BG);
    }
    kr = av_q2d(luma->cr);
    kb = av_q2d(luma->cb);
    kg = 1.0 - kr - kb;
    c->crv = 2.0 * (1.0 - kr);
    c->cbu = 2.0 * (1.0 - kb);
    c->cgu = -2.0 * kb * (1.0 - kb) / kg;
    c->cgv = -2.0 * kr * (1.0 - kr) / kg;
}

/* acc[x] (+)= wgt * sample x: the contiguous cases, vectorised */
DEEP3D_VECTOR_CLONES
static void row_madd8(float *restrict acc, const uint8_t *restrict row, int w, float wgt, int first)
{
    if (first)
        for (int x = 0; x < w; x++)
            acc[x] = wgt * row[x];
    else
        for (int x = 0; x < w; x++)
            acc[x] += wgt * row[x];
}

DEEP3D_VECTOR_CLONES
static void row_madd16(float *restrict acc, const uint16_t *restrict row, int w, int shift,
                       float wgt, int first)
{
    if (first)
        for (int x = 0; x < w; x++)
            acc[x] = wgt * (row[x] >> shift);
    else
        for (int x = 0; x < w; x++)
            acc[x] += wgt * (row[x] >> shift);
}

/* acc[x] = sum over the taps of row oy of weight * sample x of that row */
static void filter_rows(float *acc, const uint8_t *base, ptrdiff_t linesize, int w,
                        int step, int bytes, int shift, const Deep3DTaps *ty, int oy)
{
    const int *idx = ty->idx + ty->off[oy];
    const float *wt = ty->wt + ty->off[oy];

    for (int k = 0; k < ty->len[oy]; k++) {
        const uint8_t *row = base + idx[k] * linesize;
        float wgt = wt[k];
        if (step == bytes) {
            if (bytes == 1)
                row_madd8(acc, row, w, wgt, !k);
            else
                row_madd16(acc, (const uint16_t *)row, w, shift, wgt, !k);
        } else if (bytes == 1) {
            for (int x = 0; x < w; x++)
                acc[x] = (k ? acc[x] : 0.0f) + wgt * row[x * step];
        } else {
            for (int x = 0; x < w; x++)
                acc[x] = (k ? acc[x] : 0.0f) + wgt * (AV_RN16(row + x * step) >> shift);
        }
    }
}

/* Rows [y0, y1) of one component resampled to nw floats each, in sample units. */
static void resample(const Deep3DInput *in, const AVComponentDescriptor *comp, int sub,
                     float *dst, float *acc, int y0, int y1)
{
    const Deep3DTaps *tx = &in->tx[sub], *ty = &in->ty[sub];
    const AVFrame *f = in->frame;
    const uint8_t *base = f->data[comp->plane] + comp->offset;
    int bytes = comp->depth > 8 ? 2 : 1;

    for (int oy = y0; oy < y1; oy++) {
        float *out = dst + (size_t)oy * tx->dst;
        filter_rows(acc, base, f->linesize[comp->plane], tx->src, comp->step, bytes,
                    comp->shift, ty, oy);
        for (int ox = 0; ox < tx->dst; ox++) {
            const int *idx = tx->idx + tx->off[ox];
            const float *wt = tx->wt + tx->off[ox];
            float v = 0.0f;
            for (int k = 0; k < tx->len[ox]; k++)
                v += wt[k] * acc[idx[k]];
            out[ox] = v;
        }
    }
}

/* One job: network rows [y0, y1) of every component, then their colours. */
static int convert_rows(void *arg, int job, int nb_jobs)
{
    Deep3DInput *in = arg;
    const Deep3DModel *m = in->m;
    const Deep3DColour *c = &in->colour;
    const AVPixFmtDescriptor *desc = av_pix_fmt_desc_get(in->frame->format);
    size_t plane = (size_t)m->in_w * m->in_h;
    int y0 = m->in_h * job / nb_jobs, y1 = m->in_h * (job + 1) / nb_jobs;
    /* where R, G and B go in the model's channel order */
    int ir = m->bgr ? 2 : 0, ib = m->bgr ? 0 : 2;
    const float *scale = in->scale;
    float *dst = in->dst;

    /* components 0..2 (Y, U, V or R, G, B) into planes 0..2 of dst */
    for (int i = 0; i < (c->gray ? 1 : 3); i++)
        resample(in, &desc->comp[i], !c->rgb && i > 0, dst + i * plane, in->acc[job], y0, y1);

    for (size_t i = (size_t)y0 * m->in_w; i < (size_t)y1 * m->in_w; i++) {
        float r, g, b;
        if (c->rgb) {
            r = (dst[i] - c->y_off) * c->y_mul;
            g = (dst[i + plane] - c->y_off) * c->y_mul;
            b = (dst[i + 2 * plane] - c->y_off) * c->y_mul;
        } else {
            float y = (dst[i] - c->y_off) * c->y_mul, u = 0.0f, v = 0.0f;
            if (!c->gray) {
                u = (dst[i + plane] - c->c_off) * c->c_mul;
                v = (dst[i + 2 * plane] - c->c_off) * c->c_mul;
            }
            r = y + c->crv * v;
            g = y + c->cgu * u + c->cgv * v;
            b = y + c->cbu * u;
        }
        dst[i + ir * plane] = av_clipf(r, 0.0f, 1.0f) * scale[ir] - m->input_mean[ir];
        dst[i + plane]      = av_clipf(g, 0.0f, 1.0f) * scale[1]  - m->input_mean[1];
        dst[i + ib * plane] = av_clipf(b, 0.0f, 1.0f) * scale[ib] - m->input_mean[ib];
    }
    return 0;
}

static int setup(Deep3DInput *in, void *log_ctx, const AVFrame *f)
{
    const AVPixFmtDescriptor *desc = av_pix_fmt_desc_get(f->format);
    const Deep3DModel *m = in->m;
    int cw, ch, ret;

    if (!desc || (desc->flags & (AV_PIX_FMT_FLAG_HWACCEL | AV_PIX_FMT_FLAG_BITSTREAM |
                                 AV_PIX_FMT_FLAG_PAL | AV_PIX_FMT_FLAG_BE | AV_PIX_FMT_FLAG_FLOAT)) ||
        desc->comp[0].depth < 8 || desc->comp[0].depth > 16 || f->width < 1 || f->height < 1) {
        av_log(log_ctx, AV_LOG_ERROR, "Cannot convert %s %dx%d to the network input.\n",
               desc ? desc->name : "unknown", f->width, f->height);
        return AVERROR(EINVAL);
    }
    cw = AV_CEIL_RSHIFT(f->width, desc->log2_chroma_w);
    ch = AV_CEIL_RSHIFT(f->height, desc->log2_chroma_h);
    if ((ret = taps_init(&in->tx[0], f->width, m->in_w)) < 0 ||
        (ret = taps_init(&in->ty[0], f->height, m->in_h)) < 0 ||
        (ret = taps_init(&in->tx[1], cw, m->in_w)) < 0 ||
        (ret = taps_init(&in->ty[1], ch, m->in_h)) < 0)
        return ret;
    for (int j = 0; j < in->nb_jobs; j++) {
        av_freep(&in->acc[j]);
        if (!(in->acc[j] = av_malloc_array(f->width, sizeof(**in->acc))))
            return AVERROR(ENOMEM);
    }
    ff_deep3d_colour_init(&in->colour, log_ctx, f->format, f->colorspace, f->color_range);
    in->w          = f->width;
    in->h          = f->height;
    in->format     = f->format;
    in->colorspace = f->colorspace;
    in->range      = f->color_range;
    return 0;
}

int ff_deep3d_input_convert(Deep3DInput *in, void *log_ctx, const AVFrame *f, float *dst,
                            Deep3DExecute *execute, void *opaque)
{
    int ret;

    if (f->width != in->w || f->height != in->h || f->format != in->format ||
        f->colorspace != in->colorspace || f->color_range != in->range) {
        in->format = AV_PIX_FMT_NONE;   /* set again once setup succeeds */
        if ((ret = setup(in, log_ctx, f)) < 0)
            return ret;
    }
    in->frame = f;
    in->dst   = dst;
    execute(opaque, convert_rows, in, in->nb_jobs);
    in->frame = NULL;
    in->dst   = NULL;
    return 0;
}

void ff_deep3d_input_set_scale(Deep3DInput *in, const float scale[3])
{
    for (int c = 0; c < 3; c++)
        in->scale[c] = scale[c];
}

void ff_deep3d_input_free(Deep3DInput **pin)
{
    Deep3DInput *in = *pin;
    if (!in)
        return;
    for (int i = 0; i < 2; i++) {
        taps_free(&in->tx[i]);
        taps_free(&in->ty[i]);
    }
    for (int j = 0; j < in->nb_jobs; j++)
        av_freep(&in->acc[j]);
    av_freep(&in->acc);
    av_freep(pin);
}
