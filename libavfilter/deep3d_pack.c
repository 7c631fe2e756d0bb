/*
 * deep3d: packing of a left and a right eye into a stereo frame layout
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

#include <string.h>

#include "libavutil/common.h"
#include "libavutil/error.h"
#include "libavutil/imgutils.h"
#include "libavutil/log.h"
#include "libavutil/pixdesc.h"

#include "deep3d_pack.h"

typedef struct LayoutDesc {
    const char *name;
    int side_by_side;       ///< eyes next to each other (else above-below)
    int half;               ///< each eye squeezed 2:1 along the packing axis
    int right_first;        ///< right eye on the left / on top / on the even pixels / shown first
    int mono;               ///< 1: left eye only, 2: right eye only
    int weave;              ///< enum Deep3DWeave: eyes on alternate pixels, at full size
    int sequence;           ///< eyes in alternate frames (stacked as above-below here)
} LayoutDesc;

static const LayoutDesc layouts[DEEP3D_LAYOUT_NB] = {
    [DEEP3D_LAYOUT_SBSL]  = { "sbsl",  1, 0, 0, 0 },
    [DEEP3D_LAYOUT_SBSR]  = { "sbsr",  1, 0, 1, 0 },
    [DEEP3D_LAYOUT_SBS2L] = { "sbs2l", 1, 1, 0, 0 },
    [DEEP3D_LAYOUT_SBS2R] = { "sbs2r", 1, 1, 1, 0 },
    [DEEP3D_LAYOUT_ABL]   = { "abl",   0, 0, 0, 0 },
    [DEEP3D_LAYOUT_ABR]   = { "abr",   0, 0, 1, 0 },
    [DEEP3D_LAYOUT_AB2L]  = { "ab2l",  0, 1, 0, 0 },
    [DEEP3D_LAYOUT_AB2R]  = { "ab2r",  0, 1, 1, 0 },
    [DEEP3D_LAYOUT_ML]    = { "ml",    0, 0, 0, 1 },
    [DEEP3D_LAYOUT_MR]    = { "mr",    0, 0, 0, 2 },
    [DEEP3D_LAYOUT_IRL]   = { "irl",   0, 0, 0, 0, DEEP3D_WEAVE_ROWS },
    [DEEP3D_LAYOUT_IRR]   = { "irr",   0, 0, 1, 0, DEEP3D_WEAVE_ROWS },
    [DEEP3D_LAYOUT_ICL]   = { "icl",   0, 0, 0, 0, DEEP3D_WEAVE_COLUMNS },
    [DEEP3D_LAYOUT_ICR]   = { "icr",   0, 0, 1, 0, DEEP3D_WEAVE_COLUMNS },
    [DEEP3D_LAYOUT_CHL]   = { "chl",   0, 0, 0, 0, DEEP3D_WEAVE_CHECKER },
    [DEEP3D_LAYOUT_CHR]   = { "chr",   0, 0, 1, 0, DEEP3D_WEAVE_CHECKER },
    [DEEP3D_LAYOUT_AL]    = { "al",    0, 0, 0, 0, 0, 1 },
    [DEEP3D_LAYOUT_AR]    = { "ar",    0, 0, 1, 0, 0, 1 },
};

int ff_deep3d_pack_format_supported(enum AVPixelFormat fmt)
{
    const AVPixFmtDescriptor *desc = av_pix_fmt_desc_get(fmt);

    if (!desc || desc->flags & (AV_PIX_FMT_FLAG_PAL | AV_PIX_FMT_FLAG_BITSTREAM |
                                AV_PIX_FMT_FLAG_HWACCEL | AV_PIX_FMT_FLAG_BE |
                                AV_PIX_FMT_FLAG_FLOAT | AV_PIX_FMT_FLAG_BAYER))
        return 0;
    for (int i = 0; i < desc->nb_components; i++) {
        const AVComponentDescriptor *c = &desc->comp[i];
        int elem = c->depth + c->shift > 8 ? 2 : 1;
        /* Every sample must fill whole bytes of its own: no 565, no 10-bit packing. */
        if (c->depth + c->shift > 16 || c->offset % elem || c->step % elem)
            return 0;
    }
    return 1;
}

static int plane_is_chroma(const AVPixFmtDescriptor *desc, int plane)
{
    if (desc->flags & AV_PIX_FMT_FLAG_RGB || desc->nb_components < 3)
        return 0;
    return desc->comp[1].plane == plane || desc->comp[2].plane == plane;
}

int ff_deep3d_pack_init(Deep3DPack *p, void *log_ctx, enum Deep3DLayout layout,
                        enum AVPixelFormat fmt, int w, int h)
{
    const AVPixFmtDescriptor *desc = av_pix_fmt_desc_get(fmt);
    const LayoutDesc *ld;
    int align_w, align_h, eye_w, eye_h, stack_h, ret;

    memset(p, 0, sizeof(*p));
    if (layout < 0 || layout >= DEEP3D_LAYOUT_NB) {
        av_log(log_ctx, AV_LOG_ERROR, "Unknown stereo layout %d.\n", layout);
        return AVERROR(EINVAL);
    }
    if (!ff_deep3d_pack_format_supported(fmt)) {
        av_log(log_ctx, AV_LOG_ERROR, "Pixel format %s is not supported.\n",
               desc ? desc->name : "none");
        return AVERROR(EINVAL);
    }
    if (w <= 0 || h <= 0) {
        av_log(log_ctx, AV_LOG_ERROR, "Invalid frame size %dx%d.\n", w, h);
        return AVERROR(EINVAL);
    }
    ld = &layouts[layout];
    align_w = 1 << desc->log2_chroma_w;
    align_h = 1 << desc->log2_chroma_h;

    /* A squeezed eye must start on a chroma sample: round its size down to the
     * chroma alignment, dropping at most a few edge pixels (logged). A full-size
     * eye cannot be rounded without losing picture, so it must be aligned.
     * Interleaved eyes share one picture of the input size (any size), and the
     * two frames of an alternating layout are stacked with the second one
     * starting on the first chroma row after the first (any size). */
    eye_w = w;
    eye_h = h;
    if (!ld->mono && ld->side_by_side) {
        if (ld->half) {
            eye_w = (w / 2) & ~(align_w - 1);
        } else if (w % align_w) {
            av_log(log_ctx, AV_LOG_ERROR, "Layout %s with %s needs a width divisible by %d, "
                   "got %d; crop or scale the input first.\n", ld->name, desc->name, align_w, w);
            return AVERROR(EINVAL);
        }
    } else if (!ld->mono && !ld->weave && !ld->sequence) {
        if (ld->half) {
            eye_h = (h / 2) & ~(align_h - 1);
        } else if (h % align_h) {
            av_log(log_ctx, AV_LOG_ERROR, "Layout %s with %s needs a height divisible by %d, "
                   "got %d; crop or scale the input first.\n", ld->name, desc->name, align_h, h);
            return AVERROR(EINVAL);
        }
    }
    if (eye_w <= 0 || eye_h <= 0) {
        av_log(log_ctx, AV_LOG_ERROR, "Frame size %dx%d is too small for layout %s with %s.\n",
               w, h, ld->name, desc->name);
        return AVERROR(EINVAL);
    }

    p->layout    = layout;
    p->format    = fmt;
    p->in_w      = w;
    p->in_h      = h;
    p->half_w    = ld->half &&  ld->side_by_side;
    p->half_h    = ld->half && !ld->side_by_side && !ld->mono;
    p->has_left  = ld->mono != 2;
    p->has_right = ld->mono != 1;
    p->interleave    = ld->weave;
    p->right_on_even = ld->weave && ld->right_first;
    p->frames    = ld->sequence ? 2 : 1;
    stack_h      = ld->sequence ? FFALIGN(eye_h, align_h) : eye_h;
    p->out_w     = ld->mono || !ld->side_by_side ? eye_w : 2 * (int64_t)eye_w > INT_MAX ? -1 : 2 * eye_w;
    p->out_h     = ld->mono || ld->side_by_side || ld->weave || ld->sequence ? eye_h :
                   2 * (int64_t)eye_h > INT_MAX ? -1 : 2 * eye_h;
    p->pic_h     = !ld->sequence ? p->out_h : (int64_t)stack_h + eye_h > INT_MAX ? -1 : stack_h + eye_h;
    if (p->out_w < 0 || p->out_h < 0 || p->pic_h < 0 ||
        (ret = av_image_check_size(p->out_w, p->pic_h, 0, log_ctx)) < 0) {
        av_log(log_ctx, AV_LOG_ERROR, "Output size for layout %s from %dx%d is too large.\n",
               ld->name, w, h);
        return AVERROR(EINVAL);
    }
    if (ld->half && (ld->side_by_side ? 2 * eye_w != w : 2 * eye_h != h))
        av_log(log_ctx, AV_LOG_WARNING, "Layout %s with %s: %dx%d packs to %dx%d; the last "
               "%s of the picture are dropped.\n", ld->name, desc->name, w, h, p->out_w, p->out_h,
               ld->side_by_side ? "columns" : "rows");

    p->nb_planes = av_pix_fmt_count_planes(fmt);
    for (int i = 0; i < p->nb_planes; i++) {
        Deep3DPackPlane *pl = &p->planes[i];
        int sx = plane_is_chroma(desc, i) ? desc->log2_chroma_w : 0;
        int sy = plane_is_chroma(desc, i) ? desc->log2_chroma_h : 0;

        for (int c = 0; c < desc->nb_components; c++) {
            const AVComponentDescriptor *comp = &desc->comp[c];
            if (comp->plane != i)
                continue;
            pl->bytes_per_pixel = FFMAX(pl->bytes_per_pixel, comp->step);
            pl->elem_size       = comp->depth + comp->shift > 8 ? 2 : 1;
            pl->shift           = comp->shift;
        }
        pl->w     = AV_CEIL_RSHIFT(w, sx);
        pl->h     = AV_CEIL_RSHIFT(h, sy);
        /* eye sizes are multiples of the chroma alignment unless full and mono-axis */
        pl->eye_w = AV_CEIL_RSHIFT(eye_w, sx);
        pl->eye_h = AV_CEIL_RSHIFT(eye_h, sy);
        pl->sub_x = sx;
        pl->sub_y = sy;
        if (ld->side_by_side && !ld->mono) {
            pl->left_x  = ld->right_first ? pl->eye_w : 0;
            pl->right_x = ld->right_first ? 0 : pl->eye_w;
        } else if (!ld->mono && !ld->weave) {
            /* above-below; alternating frames stacked, the second on its own chroma row */
            int second = stack_h >> sy;
            pl->left_y  = ld->right_first ? second : 0;
            pl->right_y = ld->right_first ? 0 : second;
        }
    }
    return 0;
}

/* Mean of two samples of the same component, rounded half up, staying on the
 * container's bit grid (p010 keeps its low 6 bits zero). */
#define AVG2(a, b, s) (((((a) >> (s)) + ((b) >> (s)) + 1) >> 1) << (s))
#define AVG4(a, b, c, d, s) (((((a) >> (s)) + ((b) >> (s)) + ((c) >> (s)) + ((d) >> (s)) + 2) >> 2) << (s))

#define DEFINE_SQUEEZE(name, type)                                                        \
static void name(uint8_t *dst8, const uint8_t *row0, const uint8_t *row1,                 \
                 int eye_w, int src_w, int comps, int half_w, int shift)                  \
{                                                                                         \
    type *dst = (type *)dst8;                                                             \
    const type *a = (const type *)row0, *b = (const type *)row1;                          \
    for (int x = 0; x < eye_w; x++) {                                                     \
        int x0 = half_w ? 2 * x : x;                                                      \
        int x1 = half_w ? FFMIN(2 * x + 1, src_w - 1) : x;                                \
        for (int c = 0; c < comps; c++) {                                                 \
            unsigned p00 = a[x0 * comps + c], p01 = a[x1 * comps + c];                    \
            if (b) {                                                                      \
                unsigned p10 = b[x0 * comps + c], p11 = b[x1 * comps + c];                \
                dst[x * comps + c] = half_w ? AVG4(p00, p01, p10, p11, shift)             \
                                            : AVG2(p00, p10, shift);                      \
            } else {                                                                      \
                dst[x * comps + c] = AVG2(p00, p01, shift);                               \
            }                                                                             \
        }                                                                                 \
    }                                                                                     \
}

DEFINE_SQUEEZE(squeeze_row8,  uint8_t)
DEFINE_SQUEEZE(squeeze_row16, uint16_t)

/* Output row y of one eye in a non-interleaved layout, from its eye row r0
 * (and r1, the row below, when the eye is squeezed vertically). */
static void pack_eye_row(const Deep3DPack *p, const Deep3DPackPlane *pl, uint8_t *d,
                         const uint8_t *r0, const uint8_t *r1)
{
    int comps = pl->bytes_per_pixel / pl->elem_size;

    if (!p->half_w && !p->half_h)
        memcpy(d, r0, (size_t)pl->eye_w * pl->bytes_per_pixel);
    else if (pl->elem_size == 1)
        squeeze_row8 (d, r0, p->half_h ? r1 : NULL, pl->eye_w, pl->w, comps, p->half_w, pl->shift);
    else
        squeeze_row16(d, r0, p->half_h ? r1 : NULL, pl->eye_w, pl->w, comps, p->half_w, pl->shift);
}

/*
 * Interleaved eyes (rows, columns, checkerboard): each output sample is the
 * same sample of the eye that owns it. A sample of subsampled chroma whose
 * luma footprint holds pixels of both eyes gets the rounded mean of the two
 * eyes' samples (for rows and columns, the 2:1 box-filtered chroma of the
 * interleaved picture); one covering pixels of one eye only (the last row or
 * column of an odd size, or a plane without subsampling) takes that eye's.
 *
 * weave_row: one row of columns or checkerboard; row_parity is the parity of
 * the luma row the output row covers, or -1 when it covers rows of both
 * parities (checkerboard 4:2:0: every sample then holds both eyes).
 */
#define DEFINE_WEAVE_ROW(name, type)                                                      \
static void name(uint8_t *dst8, const uint8_t *even8, const uint8_t *odd8, int w,         \
                 int comps, int shift, int sub_x, int luma_w, int row_parity)             \
{                                                                                         \
    type *dst = (type *)dst8;                                                             \
    const type *e = (const type *)even8, *o = (const type *)odd8;                         \
    for (int x = 0; x < w; x++) {                                                         \
        int l0 = x << sub_x, l1 = FFMIN((x + 1) << sub_x, luma_w);                        \
        int both = l1 - l0 > 1 || row_parity < 0;                                         \
        const type *from = (l0 + row_parity) & 1 ? o : e;                                 \
        for (int c = 0; c < comps; c++) {                                                 \
            int i = x * comps + c;                                                        \
            dst[i] = both ? AVG2(e[i], o[i], shift) : from[i];                            \
        }                                                                                 \
    }                                                                                     \
}

DEFINE_WEAVE_ROW(weave_row8,  uint8_t)
DEFINE_WEAVE_ROW(weave_row16, uint16_t)

/* Which eyes an interleaved output row y of plane pl shows: bit 0 the even
 * eye, bit 1 the odd one. */
static int weave_eyes(const Deep3DPack *p, const Deep3DPackPlane *pl, int y)
{
    int luma0 = y << pl->sub_y, luma1 = FFMIN((y + 1) << pl->sub_y, p->in_h);

    if (p->interleave != DEEP3D_WEAVE_ROWS || luma1 - luma0 > 1)
        return 3;
    return luma0 & 1 ? 2 : 1;
}

/* Output row y of an interleaved layout from row y of the even and the odd eye
 * (either NULL where weave_eyes() says the row does not show it). */
static void pack_interleaved_row(const Deep3DPack *p, const Deep3DPackPlane *pl, uint8_t *d,
                                 int y, const uint8_t *e, const uint8_t *o)
{
    int luma0 = y << pl->sub_y, luma1 = FFMIN((y + 1) << pl->sub_y, p->in_h);
    int comps = pl->bytes_per_pixel / pl->elem_size;

    if (p->interleave != DEEP3D_WEAVE_ROWS) {
        int parity = p->interleave == DEEP3D_WEAVE_COLUMNS ? 0 :
                     luma1 - luma0 > 1 ? -1 : luma0 & 1;
        if (pl->elem_size == 1)
            weave_row8 (d, e, o, pl->eye_w, comps, pl->shift, pl->sub_x, p->in_w, parity);
        else
            weave_row16(d, e, o, pl->eye_w, comps, pl->shift, pl->sub_x, p->in_w, parity);
    } else if (luma1 - luma0 > 1) {
        if (pl->elem_size == 1)
            squeeze_row8 (d, e, o, pl->eye_w, pl->w, comps, 0, pl->shift);
        else
            squeeze_row16(d, e, o, pl->eye_w, pl->w, comps, 0, pl->shift);
    } else {
        memcpy(d, luma0 & 1 ? o : e, (size_t)pl->eye_w * pl->bytes_per_pixel);
    }
}

int ff_deep3d_pack_rows_needed(const Deep3DPack *p, int plane, int y, int right, int *first)
{
    const Deep3DPackPlane *pl = &p->planes[plane];

    *first = y;
    if (p->interleave) {
        int even = p->right_on_even ? right : !right;
        return !!(weave_eyes(p, pl, y) & (even ? 1 : 2));
    }
    if (!(right ? p->has_right : p->has_left))
        return 0;
    if (!p->half_h)
        return 1;
    *first = 2 * y;
    return 2 * y + 1 < pl->h ? 2 : 1;
}

void ff_deep3d_pack_row(const Deep3DPack *p, int plane, AVFrame *out, int y,
                        const uint8_t *const *left, const uint8_t *const *right)
{
    const Deep3DPackPlane *pl = &p->planes[plane];
    ptrdiff_t ls = out->linesize[plane];
    uint8_t *base = out->data[plane];

    if (p->interleave) {
        const uint8_t *e = p->right_on_even ? right[0] : left[0];
        const uint8_t *o = p->right_on_even ? left[0]  : right[0];
        pack_interleaved_row(p, pl, base + y * ls, y, e, o);
        return;
    }
    /* the squeezed last row of an odd height repeats itself, as in pack_slice */
    if (p->has_left)
        pack_eye_row(p, pl, base + (pl->left_y + y) * ls + pl->left_x * pl->bytes_per_pixel,
                     left[0], left[1] ? left[1] : left[0]);
    if (p->has_right)
        pack_eye_row(p, pl, base + (pl->right_y + y) * ls + pl->right_x * pl->bytes_per_pixel,
                     right[0], right[1] ? right[1] : right[0]);
}

void ff_deep3d_pack_slice(const Deep3DPack *p, AVFrame *out,
                          const AVFrame *left, const AVFrame *right,
                          int job, int nb_jobs)
{
    for (int i = 0; i < p->nb_planes; i++) {
        const Deep3DPackPlane *pl = &p->planes[i];
        int y0 = pl->eye_h *  job      / nb_jobs;
        int y1 = pl->eye_h * (job + 1) / nb_jobs;

        for (int y = y0; y < y1; y++) {
            const uint8_t *l[2] = { NULL, NULL }, *r[2] = { NULL, NULL };
            int first, n;
            if ((n = ff_deep3d_pack_rows_needed(p, i, y, 0, &first)))
                for (int j = 0; j < n; j++)
                    l[j] = left->data[i] + (first + j) * left->linesize[i];
            if ((n = ff_deep3d_pack_rows_needed(p, i, y, 1, &first)))
                for (int j = 0; j < n; j++)
                    r[j] = right->data[i] + (first + j) * right->linesize[i];
            ff_deep3d_pack_row(p, i, out, y, l, r);
        }
    }
}

void ff_deep3d_pack_stereo3d(const Deep3DPack *p, AVStereo3D *s3d)
{
    const LayoutDesc *ld = &layouts[p->layout];

    s3d->flags = 0;
    if (ld->mono) {
        s3d->type = AV_STEREO3D_2D;
        s3d->view = ld->mono == 1 ? AV_STEREO3D_VIEW_LEFT : AV_STEREO3D_VIEW_RIGHT;
        return;
    }
    s3d->type = ld->weave == DEEP3D_WEAVE_ROWS    ? AV_STEREO3D_LINES :
                ld->weave == DEEP3D_WEAVE_COLUMNS ? AV_STEREO3D_COLUMNS :
                ld->weave == DEEP3D_WEAVE_CHECKER ? AV_STEREO3D_CHECKERBOARD :
                ld->sequence     ? AV_STEREO3D_FRAMESEQUENCE :
                ld->side_by_side ? AV_STEREO3D_SIDEBYSIDE : AV_STEREO3D_TOPBOTTOM;
    /* a frame of a sequence is one eye, named; packed frames hold both */
    s3d->view = !ld->sequence ? AV_STEREO3D_VIEW_PACKED :
                ld->right_first ? AV_STEREO3D_VIEW_RIGHT : AV_STEREO3D_VIEW_LEFT;
    if (ld->right_first)
        s3d->flags |= AV_STEREO3D_FLAG_INVERT;
}

int ff_deep3d_pack_layout_frames(enum Deep3DLayout layout)
{
    return layout >= 0 && layout < DEEP3D_LAYOUT_NB && layouts[layout].sequence ? 2 : 1;
}

void ff_deep3d_pack_sequence_frame(const Deep3DPack *p, AVFrame *f, int index,
                                   AVStereo3D *s3d)
{
    int right = index ^ layouts[p->layout].right_first;

    /* the frame shown first is on top; the other starts at its own rows */
    if (index)
        for (int i = 0; i < p->nb_planes; i++) {
            const Deep3DPackPlane *pl = &p->planes[i];
            f->data[i] += (ptrdiff_t)FFMAX(pl->left_y, pl->right_y) * f->linesize[i];
        }
    f->width  = p->out_w;
    f->height = p->out_h;
    if (s3d)
        s3d->view = right ? AV_STEREO3D_VIEW_RIGHT : AV_STEREO3D_VIEW_LEFT;
}
