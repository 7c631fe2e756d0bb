/*
 * deep3d: the selection layer, rendering the second eye at output resolution
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

#include <math.h>
#include <string.h>

#include "libavutil/common.h"

#include "deep3d_select.h"

/* Margin of the padded left-eye row: the largest |shift| plus the 2 taps. */
static int row_margin(const Deep3DSelectParams *p, int w)
{
    double dmax = FFMAX(abs(p->disp_min), abs(p->disp_min + p->nb_disp - 1));
    double smax = (dmax * fabs(p->strength) / p->disp_width + fabs(p->convergence) / 100) * w;
    return (int)ceil(smax) + 2;
}

size_t ff_deep3d_select_scratch_size(const Deep3DSelectParams *p, int w)
{
    int margin = row_margin(p, w);
    /* x0, fx, vertical rows, horizontal rows, padded row, sum, weights */
    return 2 * (size_t)w + (size_t)p->nb_disp * p->net_w + (size_t)p->nb_disp * w +
           (w + 2 * (size_t)margin) + 2 * (size_t)w + 16;
}

typedef struct RowState {
    const Deep3DSelectParams *p;
    int w, margin;
    int32_t *x0;            ///< left probability column of each output column
    float *fx;              ///< its weight of the right column
    float *pv;              ///< D x net_w: probabilities interpolated to this row
    float *pt;              ///< D x w: ... and to each output column
    float *lp;              ///< the left-eye row, padded by edge samples
    float *mass;            ///< sum of planes 1..D per column (renormalize)
    int shift_int[256];     ///< floor(-s_k)
    float shift_frac[256];  ///< -s_k - floor(-s_k)
} RowState;

static void row_state_init(RowState *st, const Deep3DSelectParams *p, int w, float *scratch)
{
    st->p      = p;
    st->w      = w;
    st->margin = row_margin(p, w);
    st->x0     = (int32_t *)scratch;
    st->fx     = scratch + w;
    st->pv     = st->fx + w;
    st->pt     = st->pv + (size_t)p->nb_disp * p->net_w;
    st->lp     = st->pt + (size_t)p->nb_disp * w;
    st->mass   = st->lp + w + 2 * st->margin;

    for (int x = 0; x < w; x++) {
        /* in double: in float, u near 384 carries an error of 3e-5 px */
        double u = av_clipd((x + 0.5) * p->net_w / w - 0.5, 0, p->net_w - 1);
        int x0 = (int)u;
        st->x0[x] = x0;
        st->fx[x] = u - x0;
    }
    for (int k = 0; k < p->nb_disp; k++) {
        double d = p->disp_min + k;
        double s = (d * p->strength / p->disp_width + p->convergence / 100) * w;
        double a = floor(-s);
        st->shift_int[k]  = (int)a;
        st->shift_frac[k] = (float)(-s - a);
    }
}

/* Probabilities of planes 1..D at every column of output row y. */
static void row_probs(RowState *st, const float *probs, int y, int h)
{
    const Deep3DSelectParams *p = st->p;
    size_t plane = (size_t)p->net_w * p->net_h;
    double v = av_clipd((y + 0.5) * p->net_h / h - 0.5, 0, p->net_h - 1);
    int y0 = (int)v, y1 = FFMIN(y0 + 1, p->net_h - 1);
    float fy = v - y0;

    for (int k = 0; k < p->nb_disp; k++) {
        const float *r0 = probs + (k + 1) * plane + (size_t)y0 * p->net_w;
        const float *r1 = probs + (k + 1) * plane + (size_t)y1 * p->net_w;
        float *pv = st->pv + (size_t)k * p->net_w, *pt = st->pt + (size_t)k * st->w;
        for (int x = 0; x < p->net_w; x++)
            pv[x] = r0[x] + fy * (r1[x] - r0[x]);
        for (int x = 0; x < st->w; x++) {
            int x0 = st->x0[x], x1 = FFMIN(x0 + 1, p->net_w - 1);
            pt[x] = pv[x0] + st->fx[x] * (pv[x1] - pv[x0]);
        }
    }
    if (p->renormalize) {
        memset(st->mass, 0, st->w * sizeof(*st->mass));
        for (int k = 0; k < p->nb_disp; k++) {
            const float *pt = st->pt + (size_t)k * st->w;
            for (int x = 0; x < st->w; x++)
                st->mass[x] += pt[x];
        }
    }
}

/* out = sum over k of pt_k * (left row shifted by s_k); lp[margin ..] holds the row. */
static void render_row(const RowState *st, float *out)
{
    const float *lp = st->lp + st->margin;
    int w = st->w;

    memset(out, 0, w * sizeof(*out));
    for (int k = 0; k < st->p->nb_disp; k++) {
        const float *pt = st->pt + (size_t)k * w;
        const float *l0 = lp + st->shift_int[k], *l1 = l0 + 1;
        float f = st->shift_frac[k], g = 1.0f - f;
        for (int x = 0; x < w; x++)
            out[x] += pt[x] * (g * l0[x] + f * l1[x]);
    }
    if (st->p->renormalize)
        for (int x = 0; x < w; x++)
            if (st->mass[x] > 0)
                out[x] /= st->mass[x];
}

static void pad_row(RowState *st)
{
    float *lp = st->lp + st->margin;
    for (int i = 1; i <= st->margin; i++) {
        lp[-i] = lp[0];
        lp[st->w - 1 + i] = lp[st->w - 1];
    }
}

void ff_deep3d_select_rows(const Deep3DSelectParams *p, const Deep3DPlaneFormat *f,
                           const float *probs, const uint8_t *src, ptrdiff_t src_linesize,
                           uint8_t *dst, ptrdiff_t dst_linesize, int w, int h,
                           int y0, int y1, float *scratch)
{
    RowState st;
    int maxval = (1 << f->depth) - 1;
    float *out;

    row_state_init(&st, p, w, scratch);
    out = st.mass + w;
    for (int y = y0; y < y1; y++) {
        const uint8_t *s = src + y * src_linesize;
        uint8_t *d = dst + y * dst_linesize;

        row_probs(&st, probs, y, h);
        for (int c = 0; c < f->comps; c++) {
            float *lp = st.lp + st.margin;
            if (f->elem_size == 1) {
                for (int x = 0; x < w; x++)
                    lp[x] = s[x * f->comps + c];
            } else {
                const uint16_t *s16 = (const uint16_t *)s;
                for (int x = 0; x < w; x++)
                    lp[x] = s16[x * f->comps + c] >> f->shift;
            }
            pad_row(&st);
            render_row(&st, out);
            if (f->elem_size == 1) {
                for (int x = 0; x < w; x++)
                    d[x * f->comps + c] = av_clip_uint8((int)(out[x] + 0.5f));
            } else {
                uint16_t *d16 = (uint16_t *)d;
                for (int x = 0; x < w; x++)
                    d16[x * f->comps + c] = av_clip((int)(out[x] + 0.5f), 0, maxval) << f->shift;
            }
        }
    }
}

void ff_deep3d_select_rows_float(const Deep3DSelectParams *p, const float *probs,
                                 const float *src, float *dst, int w, int h,
                                 int y0, int y1, float *scratch)
{
    RowState st;

    row_state_init(&st, p, w, scratch);
    for (int y = y0; y < y1; y++) {
        row_probs(&st, probs, y, h);
        memcpy(st.lp + st.margin, src + (size_t)y * w, w * sizeof(*src));
        pad_row(&st);
        render_row(&st, dst + (size_t)y * w);
    }
}

void ff_deep3d_select_depth_rows(const Deep3DSelectParams *p, const Deep3DPlaneFormat *f,
                                 const float *probs, int chroma, uint8_t *dst,
                                 ptrdiff_t dst_linesize, int w, int h, int y0, int y1,
                                 float *scratch)
{
    RowState st;
    int maxval = (1 << f->depth) - 1;
    float range = p->nb_disp - 1, *val;

    row_state_init(&st, p, w, scratch);
    val = st.mass + w;
    for (int y = y0; y < y1; y++) {
        uint8_t *d = dst + y * dst_linesize;

        if (!chroma) {
            row_probs(&st, probs, y, h);
            /* E[d] over planes 1..D, as 0..1 with the nearest (most negative) at 1 */
            memset(val, 0, w * sizeof(*val));
            memset(st.mass, 0, w * sizeof(*st.mass));
            for (int k = 0; k < p->nb_disp; k++) {
                const float *pt = st.pt + (size_t)k * w;
                float t = (range - k) / range;
                for (int x = 0; x < w; x++) {
                    val[x] += pt[x] * t;
                    st.mass[x] += pt[x];
                }
            }
            for (int x = 0; x < w; x++)
                val[x] = st.mass[x] > 0 ? val[x] / st.mass[x] : 0.0f;
        }
        for (int c = 0; c < f->comps; c++) {
            for (int x = 0; x < w; x++) {
                /* chroma is neutral; an alpha component (4th) is opaque */
                int v = chroma ? 1 << (f->depth - 1) : c == 3 ? maxval :
                        (int)(val[x] * maxval + 0.5f);
                if (f->elem_size == 1)
                    d[x * f->comps + c] = v;
                else
                    ((uint16_t *)d)[x * f->comps + c] = v << f->shift;
            }
        }
    }
}
