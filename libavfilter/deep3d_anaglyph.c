/*
 * deep3d: anaglyphs of a left and a right eye
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
 * Each output sample is an exact linear combination of the six R, G, B
 * samples of both eyes at the same place, rounded half up and clipped to the
 * sample range. RGB frames are mixed in place of their own format; YUV frames
 * are converted to 16-bit planar RGB with libswscale (the frame's matrix and
 * range), mixed, and converted back, so the mix itself loses nothing to an
 * 8-bit intermediate.
 */

#include "libavutil/common.h"
#include "libavutil/error.h"
#include "libavutil/log.h"
#include "libavutil/mem.h"
#include "libavutil/pixdesc.h"
#include "libswscale/swscale.h"

#include "deep3d_anaglyph.h"
#include "deep3d_pack.h"

/* Coefficients are stored in units of 1e-8, so that the published decimal
 * values are represented exactly and the mix is exact integer arithmetic. */
#define ONE     100000000
#define C(x)    ((int32_t)((x) * ONE + ((x) < 0 ? -0.5 : 0.5)))

/* ITU-R BT.601 luma weights, the usual grey of anaglyph conversions. */
#define GREY    C(0.299), C(0.587), C(0.114)

/* Rows: output R, G, B; columns: left R, G, B, then right R, G, B. */
static const int32_t coefs[DEEP3D_ANAGLYPH_NB][3][6] = {
    [DEEP3D_ANAGLYPH_ARCG] = {
        { GREY,          0,      0,      0 },
        { 0,      0,     0,      GREY      },
        { 0,      0,     0,      GREY      },
    },
    [DEEP3D_ANAGLYPH_ARCH] = {
        { GREY,          0,      0,      0 },
        { 0,      0,     0,      0, C(1), 0 },
        { 0,      0,     0,      0, 0, C(1) },
    },
    [DEEP3D_ANAGLYPH_ARCC] = {
        { C(1),   0,     0,      0, 0,    0 },
        { 0,      0,     0,      0, C(1), 0 },
        { 0,      0,     0,      0, 0, C(1) },
    },
    /* E. Dubois, "Conversion of a stereo pair to anaglyph with the
     * least-squares projection method", 2009, red/cyan matrices (left, then
     * right), from https://www.site.uottawa.ca/~edubois/anaglyph/ ; method in
     * E. Dubois, "A projection method to generate anaglyph stereo images",
     * Proc. IEEE ICASSP 2001, vol. 3, pp. 1661-1664. */
    [DEEP3D_ANAGLYPH_ARCD] = {
        { C( 0.4561),     C( 0.500484),   C( 0.176381),
          C(-0.0434706),  C(-0.0879388),  C(-0.00155529) },
        { C(-0.0400822),  C(-0.0378246),  C(-0.0157589),
          C( 0.378476),   C( 0.73364),    C(-0.0184503) },
        { C(-0.0152161),  C(-0.0205971),  C(-0.00546856),
          C(-0.0721527),  C(-0.112961),   C( 1.2264) },
    },
    /* Green/magenta: the left eye looks through green, so it goes to G. */
    [DEEP3D_ANAGLYPH_AGMG] = {
        { 0,      0,     0,      GREY      },
        { GREY,          0,      0,      0 },
        { 0,      0,     0,      GREY      },
    },
    [DEEP3D_ANAGLYPH_AGMH] = {
        { 0,      0,     0,      C(1), 0, 0 },
        { GREY,          0,      0,      0  },
        { 0,      0,     0,      0, 0, C(1) },
    },
    [DEEP3D_ANAGLYPH_AGMC] = {
        { 0,      0,     0,      C(1), 0, 0 },
        { 0,      C(1),  0,      0,    0, 0 },
        { 0,      0,     0,      0, 0, C(1) },
    },
    /* Dubois' green/magenta and amber/blue matrices as published to three
     * decimals (same sources as arcd); vf_stereo3d's 16.16 integers for agmd
     * and aybd are these values times 65536, rounded. */
    [DEEP3D_ANAGLYPH_AGMD] = {
        { C(-0.062), C(-0.158), C(-0.039),   C( 0.529), C( 0.705), C( 0.024) },
        { C( 0.284), C( 0.668), C( 0.143),   C(-0.016), C(-0.015), C(-0.065) },
        { C(-0.015), C(-0.027), C( 0.021),   C( 0.009), C( 0.075), C( 0.937) },
    },
    /* Amber (yellow)/blue: the left eye looks through amber (red and green),
     * as vf_stereo3d documents and as its aybd matrix has it; its aybg, aybh
     * and aybc matrices put the left eye in blue instead. We follow the
     * documentation: left eye in R and G, right eye in B. */
    [DEEP3D_ANAGLYPH_AYBG] = {
        { GREY,          0,      0,      0 },
        { GREY,          0,      0,      0 },
        { 0,      0,     0,      GREY      },
    },
    [DEEP3D_ANAGLYPH_AYBH] = {
        { C(1),   0,     0,      0, 0, 0 },
        { 0,      C(1),  0,      0, 0, 0 },
        { 0,      0,     0,      GREY    },
    },
    [DEEP3D_ANAGLYPH_AYBC] = {
        { C(1),   0,     0,      0, 0, 0    },
        { 0,      C(1),  0,      0, 0, 0    },
        { 0,      0,     0,      0, 0, C(1) },
    },
    [DEEP3D_ANAGLYPH_AYBD] = {
        { C( 1.062), C(-0.205), C( 0.299),   C(-0.016), C(-0.123), C(-0.017) },
        { C(-0.026), C( 0.908), C( 0.068),   C( 0.006), C( 0.062), C(-0.017) },
        { C(-0.038), C(-0.173), C( 0.022),   C( 0.094), C( 0.185), C( 0.911) },
    },
    /* Red/green and red/blue: grey only, as in vf_stereo3d. */
    [DEEP3D_ANAGLYPH_ARGG] = {
        { GREY,          0,      0,      0 },
        { 0,      0,     0,      GREY      },
        { 0,      0,     0,      0, 0, 0   },
    },
    [DEEP3D_ANAGLYPH_ARBG] = {
        { GREY,          0,      0,      0 },
        { 0,      0,     0,      0, 0, 0   },
        { 0,      0,     0,      GREY      },
    },
};

struct Deep3DAnaglyph {
    const int32_t (*coef)[6];
    enum AVPixelFormat format;      ///< of the frames given and returned
    enum AVPixelFormat mix_format;  ///< of the pictures mixed: format itself, or GBRP16 for YUV
    int w, h;
    /* sample layout of the mixed pictures: R, G, B and alpha (if any) */
    int nb_comps, elem_size, shift, maxval;
    int plane[4], offset[4], step[4];

    struct SwsContext *to_rgb, *from_rgb;   ///< YUV only
    AVFrame *rgb[2];                        ///< both eyes as RGB; the mix lands in rgb[0]
    int colorspace, full_range;             ///< what the converters are set for (-1: nothing yet)

    /* the pictures of the render call in progress */
    const AVFrame *src[2];
    AVFrame *dst;
};

int ff_deep3d_anaglyph_format_supported(enum AVPixelFormat fmt)
{
    const AVPixFmtDescriptor *desc = av_pix_fmt_desc_get(fmt);

    if (!desc || desc->nb_components < 3 || desc->flags & AV_PIX_FMT_FLAG_XYZ ||
        !ff_deep3d_pack_format_supported(fmt))
        return 0;
    if (desc->flags & AV_PIX_FMT_FLAG_RGB)
        return desc->comp[0].depth <= 16;
    return sws_isSupportedInput(fmt) && sws_isSupportedOutput(fmt);
}

int ff_deep3d_anaglyph_init(Deep3DAnaglyph **pa, void *log_ctx, enum Deep3DAnaglyphType type,
                            enum AVPixelFormat fmt, int w, int h)
{
    const AVPixFmtDescriptor *desc = av_pix_fmt_desc_get(fmt), *mix;
    /* Accurate, deterministic conversions: chroma interpolated at full
     * resolution both ways, and no SIMD path that rounds differently. */
    const int flags = SWS_BILINEAR | SWS_ACCURATE_RND | SWS_BITEXACT |
                      SWS_FULL_CHR_H_INT | SWS_FULL_CHR_H_INP;
    Deep3DAnaglyph *a;
    int ret;

    *pa = NULL;
    if (type < 0 || type >= DEEP3D_ANAGLYPH_NB) {
        av_log(log_ctx, AV_LOG_ERROR, "Unknown anaglyph type %d.\n", type);
        return AVERROR(EINVAL);
    }
    if (!ff_deep3d_anaglyph_format_supported(fmt)) {
        av_log(log_ctx, AV_LOG_ERROR, "Anaglyphs need a colour format with R, G, B or Y, U, V; "
               "%s is not one.\n", desc ? desc->name : "none");
        return AVERROR(EINVAL);
    }
    a = av_mallocz(sizeof(*a));
    if (!a)
        return AVERROR(ENOMEM);
    a->coef       = coefs[type];
    a->format     = fmt;
    a->w          = w;
    a->h          = h;
    a->colorspace = a->full_range = -1;
    a->mix_format = desc->flags & AV_PIX_FMT_FLAG_RGB ? fmt : AV_PIX_FMT_GBRP16;

    mix = av_pix_fmt_desc_get(a->mix_format);
    /* pixdesc lists the components of RGB formats as R, G, B, A */
    a->nb_comps  = FFMIN(mix->nb_components, 4);
    a->elem_size = mix->comp[0].depth + mix->comp[0].shift > 8 ? 2 : 1;
    a->shift     = mix->comp[0].shift;
    a->maxval    = (1 << mix->comp[0].depth) - 1;
    for (int c = 0; c < a->nb_comps; c++) {
        a->plane[c]  = mix->comp[c].plane;
        a->offset[c] = mix->comp[c].offset;
        a->step[c]   = mix->comp[c].step / a->elem_size;
    }

    if (a->mix_format != fmt) {
        a->to_rgb   = sws_getContext(w, h, fmt, w, h, a->mix_format, flags, NULL, NULL, NULL);
        a->from_rgb = sws_getContext(w, h, a->mix_format, w, h, fmt, flags, NULL, NULL, NULL);
        if (!a->to_rgb || !a->from_rgb) {
            av_log(log_ctx, AV_LOG_ERROR, "Cannot convert %s %dx%d to RGB and back.\n",
                   desc->name, w, h);
            ret = AVERROR(EINVAL);
            goto fail;
        }
        for (int i = 0; i < 2; i++) {
            if (!(a->rgb[i] = av_frame_alloc())) {
                ret = AVERROR(ENOMEM);
                goto fail;
            }
            a->rgb[i]->format = a->mix_format;
            a->rgb[i]->width  = w;
            a->rgb[i]->height = h;
            if ((ret = av_frame_get_buffer(a->rgb[i], 0)) < 0)
                goto fail;
        }
    }
    *pa = a;
    return 0;

fail:
    ff_deep3d_anaglyph_free(&a);
    return ret;
}

/* One mixed sample: the exact sum rounded half up, clipped to [0, maxval]. */
static av_always_inline int mix1(const int32_t *m, const int64_t *v, int maxval)
{
    int64_t sum = m[0] * v[0] + m[1] * v[1] + m[2] * v[2] +
                  m[3] * v[3] + m[4] * v[4] + m[5] * v[5];
    return sum <= 0 ? 0 : FFMIN((sum + ONE / 2) / ONE, maxval);
}

/* Rows [y0, y1). dst may be src[0]: every pixel is read before it is written. */
#define DEFINE_MIX(name, type)                                                         \
static void name(const Deep3DAnaglyph *a, int y0, int y1)                              \
{                                                                                      \
    for (int y = y0; y < y1; y++) {                                                    \
        const type *l[4], *r[4];                                                       \
        type *d[4];                                                                    \
        for (int c = 0; c < a->nb_comps; c++) {                                        \
            int p = a->plane[c];                                                       \
            l[c] = (const type *)(a->src[0]->data[p] + y * a->src[0]->linesize[p] +   \
                                  a->offset[c]);                                       \
            r[c] = (const type *)(a->src[1]->data[p] + y * a->src[1]->linesize[p] +   \
                                  a->offset[c]);                                       \
            d[c] = (type *)(a->dst->data[p] + y * a->dst->linesize[p] + a->offset[c]); \
        }                                                                              \
        for (int x = 0; x < a->w; x++) {                                               \
            int64_t v[6];                                                              \
            int out[4];                                                                \
            for (int c = 0; c < 3; c++) {                                              \
                v[c]     = l[c][x * a->step[c]] >> a->shift;                           \
                v[c + 3] = r[c][x * a->step[c]] >> a->shift;                           \
            }                                                                          \
            for (int c = 0; c < 3; c++)                                                \
                out[c] = mix1(a->coef[c], v, a->maxval);                               \
            /* alpha belongs to both eyes: their rounded mean */                       \
            if (a->nb_comps > 3)                                                       \
                out[3] = ((l[3][x * a->step[3]] >> a->shift) +                         \
                          (r[3][x * a->step[3]] >> a->shift) + 1) >> 1;                \
            for (int c = 0; c < a->nb_comps; c++)                                      \
                d[c][x * a->step[c]] = out[c] << a->shift;                             \
        }                                                                              \
    }                                                                                  \
}

DEFINE_MIX(mix_rows8,  uint8_t)
DEFINE_MIX(mix_rows16, uint16_t)

static int mix_job(void *arg, int job, int nb_jobs)
{
    const Deep3DAnaglyph *a = arg;
    int y0 = a->h *  job      / nb_jobs;
    int y1 = a->h * (job + 1) / nb_jobs;

    if (a->elem_size == 1)
        mix_rows8(a, y0, y1);
    else
        mix_rows16(a, y0, y1);
    return 0;
}

static int is_full_range(const AVFrame *f)
{
    switch (f->format) {
    case AV_PIX_FMT_YUVJ420P:
    case AV_PIX_FMT_YUVJ422P:
    case AV_PIX_FMT_YUVJ444P:
    case AV_PIX_FMT_YUVJ440P:
    case AV_PIX_FMT_YUVJ411P:
        return 1;
    }
    return f->color_range == AVCOL_RANGE_JPEG;
}

/* Point both converters at the frame's YUV matrix and range; swscale falls
 * back to BT.601 for an unspecified matrix, as everywhere in FFmpeg. */
static int set_colour(Deep3DAnaglyph *a, void *log_ctx, const AVFrame *f)
{
    int full = is_full_range(f);
    const int *yuv;

    if (f->colorspace == a->colorspace && full == a->full_range)
        return 0;
    yuv = sws_getCoefficients(f->colorspace == AVCOL_SPC_UNSPECIFIED ? SWS_CS_DEFAULT
                                                                     : f->colorspace);
    if (sws_setColorspaceDetails(a->to_rgb, yuv, full, yuv, 1, 0, 1 << 16, 1 << 16) < 0 ||
        sws_setColorspaceDetails(a->from_rgb, yuv, 1, yuv, full, 0, 1 << 16, 1 << 16) < 0) {
        av_log(log_ctx, AV_LOG_ERROR, "Cannot set the colour matrix %s (%s range) for the "
               "anaglyph conversion.\n", av_color_space_name(f->colorspace),
               full ? "full" : "limited");
        return AVERROR(EINVAL);
    }
    a->colorspace = f->colorspace;
    a->full_range = full;
    return 0;
}

int ff_deep3d_anaglyph_render(Deep3DAnaglyph *a, void *log_ctx, AVFrame *out,
                              const AVFrame *left, const AVFrame *right,
                              Deep3DAnaglyphExecute *execute, void *opaque, int nb_jobs)
{
    int ret;

    nb_jobs = av_clip(nb_jobs, 1, a->h);
    if (!a->to_rgb) {
        a->src[0] = left;
        a->src[1] = right;
        a->dst    = out;
        execute(opaque, mix_job, a, nb_jobs);
        return 0;
    }

    if ((ret = set_colour(a, log_ctx, out)) < 0)
        return ret;
    for (int i = 0; i < 2; i++) {
        const AVFrame *eye = i ? right : left;
        ret = sws_scale(a->to_rgb, (const uint8_t *const *)eye->data, eye->linesize, 0, a->h,
                        a->rgb[i]->data, a->rgb[i]->linesize);
        if (ret < 0)
            return ret;
    }
    a->src[0] = a->rgb[0];
    a->src[1] = a->rgb[1];
    a->dst    = a->rgb[0];
    execute(opaque, mix_job, a, nb_jobs);
    ret = sws_scale(a->from_rgb, (const uint8_t *const *)a->rgb[0]->data, a->rgb[0]->linesize,
                    0, a->h, out->data, out->linesize);
    return ret < 0 ? ret : 0;
}

void ff_deep3d_anaglyph_free(Deep3DAnaglyph **pa)
{
    Deep3DAnaglyph *a = *pa;

    if (!a)
        return;
    sws_freeContext(a->to_rgb);
    sws_freeContext(a->from_rgb);
    av_frame_free(&a->rgb[0]);
    av_frame_free(&a->rgb[1]);
    av_freep(pa);
}

int ff_deep3d_anaglyph_matrix(enum Deep3DAnaglyphType type, float m[3][6])
{
    if (type < 0 || type >= DEEP3D_ANAGLYPH_NB)
        return AVERROR(EINVAL);
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 6; j++)
            m[i][j] = (double)coefs[type][i][j] / ONE;
    return 0;
}
