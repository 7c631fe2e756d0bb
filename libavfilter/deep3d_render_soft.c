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

#include "config.h"

#include "libavutil/avassert.h"
#include "libavutil/common.h"
#include "libavutil/cpu.h"

#include "deep3d_render_soft.h"
#include "deep3d_shift.h"
#include "deep3d_simd.h"

/* Margin of the padded left-eye row: the largest |shift| plus the 2 taps. */
static int row_margin(const Deep3DRenderParams *p, int w)
{
    Deep3DShift sh = ff_deep3d_shift(p, w);
    double dmax = FFMAX(abs(p->disp_min), abs(p->disp_min + p->nb_disp - 1));
    return (int)ceil(dmax * fabs(sh.gain) + fabs(sh.offset)) + 2;
}

#define MAX_ROWS DEEP3D_RENDER_MAX_ROWS
#define CHUNK    DEEP3D_RENDER_CHUNK    /* columns per step: the probabilities stay in L1 */

size_t ff_deep3d_render_soft_scratch_size(const Deep3DRenderParams *p, int w)
{
    int margin = row_margin(p, w);
    /* x0, fx; two cached low-res rows (D x w each); padded left rows; output
     * rows; mass row; one chunk of probabilities */
    return 2 * (size_t)w + 2 * (size_t)p->nb_disp * w +
           MAX_ROWS * (w + 2 * (size_t)margin) + MAX_ROWS * (size_t)w + w + CHUNK + 64;
}

typedef Deep3DSoftRows RowState;

static void row_state_init(RowState *st, const Deep3DRenderParams *p, int w, float *scratch)
{
    Deep3DShift sh;
    float *next;

    st->p      = p;
    st->w      = w;
    st->margin = row_margin(p, w);
    st->x0     = (int32_t *)scratch;
    st->fx     = scratch + w;
    st->hrow[0] = st->fx + w;
    st->hrow[1] = st->hrow[0] + (size_t)p->nb_disp * w;
    st->hrow_y[0] = st->hrow_y[1] = -1;
    next = st->hrow[1] + (size_t)p->nb_disp * w;
    for (int i = 0; i < MAX_ROWS; i++, next += w + 2 * st->margin)
        st->lp[i] = next;
    for (int i = 0; i < MAX_ROWS; i++, next += w)
        st->out[i] = next;
    st->mass = next;
    st->pt   = st->mass + w;
    ff_deep3d_render_soft_dsp_init(&st->dsp, av_get_cpu_flags());

    for (int x = 0; x < w; x++) {
        /* in double: in float, u near 384 carries an error of 3e-5 px */
        double u = av_clipd((x + 0.5) * p->net_w / w - 0.5, 0, p->net_w - 1);
        int x0 = (int)u;
        st->x0[x] = x0;
        st->fx[x] = u - x0;
    }
    sh = ff_deep3d_shift(p, w);
    for (int k = 0; k < p->nb_disp; k++) {
        double s = (p->disp_min + k) * sh.gain + sh.offset;
        double a = floor(-s);
        st->shift_int[k]  = (int)a;
        st->shift_frac[k] = (float)(-s - a);
    }
}

DEEP3D_VECTOR_CLONES
static void upsample_c(float *dst, const float *src, ptrdiff_t stride, int nb,
                       const int32_t *x0, const float *fx, int w, int net_w)
{
    for (int k = 0; k < nb; k++) {
        const float *restrict row = src + k * stride;
        float *restrict d = dst + (size_t)k * w;
        for (int x = 0; x < w; x++) {
            int a = x0[x], b = FFMIN(a + 1, net_w - 1);
            d[x] = row[a] + fx[x] * (row[b] - row[a]);
        }
    }
}

/* Low-res row r of planes 1..D, interpolated to every output column. */
static void upsample_row(const RowState *st, const float *probs, int r, float *dst)
{
    const Deep3DRenderParams *p = st->p;
    size_t plane = (size_t)p->net_w * p->net_h;

    st->dsp.upsample(dst, probs + plane + (size_t)r * p->net_w, plane, p->nb_disp,
                     st->x0, st->fx, st->w, p->net_w);
}

/* Make hrow[] hold the two low-res rows around output row y. Output rows
 * between the same two low-res rows reuse their horizontal upsampling. */
static void row_probs(RowState *st, const float *probs, int y, int h)
{
    const Deep3DRenderParams *p = st->p;
    double v = av_clipd((y + 0.5) * p->net_h / h - 0.5, 0, p->net_h - 1);
    int y0 = (int)v, y1 = FFMIN(y0 + 1, p->net_h - 1);

    st->fy = v - y0;
    if (st->hrow_y[0] != y0) {
        if (st->hrow_y[1] == y0) {      /* moving down: the old lower row is the new upper */
            FFSWAP(float *, st->hrow[0], st->hrow[1]);
            FFSWAP(int, st->hrow_y[0], st->hrow_y[1]);
        } else {
            upsample_row(st, probs, y0, st->hrow[0]);
            st->hrow_y[0] = y0;
        }
    }
    if (st->hrow_y[1] != y1) {
        upsample_row(st, probs, y1, st->hrow[1]);
        st->hrow_y[1] = y1;
    }
}

/* Pad left-eye rows [0, n) with their edge samples. */
static void pad_rows(RowState *st, int n)
{
    for (int r = 0; r < n; r++) {
        float *lp = st->lp[r] + st->margin;
        for (int i = 1; i <= st->margin; i++) {
            lp[-i] = lp[0];
            lp[st->w - 1 + i] = lp[st->w - 1];
        }
    }
}

/*
 * The C version of the kernel: out[r] = sum over k of pt_k * (lp[r] shifted
 * by s_k), for rows r < n that share the probabilities pt_k = hrow[0] + fy *
 * (hrow[1] - hrow[0]). Column chunks keep pt in L1 while every row uses it.
 */
DEEP3D_VECTOR_CLONES
static void render_c(const Deep3DSoftKernel *kn)
{
    float fy = kn->fy, *restrict pt = kn->pt;

    for (int x0 = 0; x0 < kn->w; x0 += CHUNK) {
        int len = FFMIN(CHUNK, kn->w - x0);
        for (int r = 0; r < kn->n; r++)
            memset(kn->out[r] + x0, 0, len * sizeof(float));
        if (kn->mass)
            memset(kn->mass + x0, 0, len * sizeof(float));
        for (int k = 0; k < kn->nb_disp; k++) {
            const float *restrict h0 = kn->hrow[0] + (size_t)k * kn->w + x0;
            const float *restrict h1 = kn->hrow[1] + (size_t)k * kn->w + x0;
            float f = kn->shift_frac[k], g = 1.0f - f;
            for (int i = 0; i < len; i++)
                pt[i] = h0[i] + fy * (h1[i] - h0[i]);
            if (kn->mass) {
                float *restrict mass = kn->mass + x0;
                for (int i = 0; i < len; i++)
                    mass[i] += pt[i];
            }
            for (int r = 0; r < kn->n; r++) {
                const float *restrict l0 = kn->lp[r] + x0 + kn->shift_int[k];
                const float *restrict l1 = l0 + 1;
                float *restrict out = kn->out[r] + x0;
                for (int i = 0; i < len; i++)
                    out[i] += pt[i] * (g * l0[i] + f * l1[i]);
            }
        }
        if (kn->mass)
            for (int r = 0; r < kn->n; r++)
                for (int i = x0; i < x0 + len; i++)
                    if (kn->mass[i] > 0)
                        kn->out[r][i] /= kn->mass[i];
    }
}

static void load8_c(float *dst, const uint8_t *src, int w)
{
    for (int x = 0; x < w; x++)
        dst[x] = src[x];
}

static void load16_c(float *dst, const uint16_t *src, int w, int shift)
{
    for (int x = 0; x < w; x++)
        dst[x] = src[x] >> shift;
}

static void store8_c(uint8_t *dst, const float *src, int w)
{
    for (int x = 0; x < w; x++)
        dst[x] = av_clip_uint8((int)(src[x] + 0.5f));
}

static void store16_c(uint16_t *dst, const float *src, int w, int maxval, int shift)
{
    for (int x = 0; x < w; x++)
        dst[x] = av_clip((int)(src[x] + 0.5f), 0, maxval) << shift;
}

void ff_deep3d_render_soft_dsp_init(Deep3DSoftDSP *dsp, int cpu_flags)
{
    *dsp = (Deep3DSoftDSP){
        .name = "c", .render = render_c, .upsample = upsample_c,
        .load8 = load8_c, .load16 = load16_c, .store8 = store8_c, .store16 = store16_c,
    };
#if ARCH_X86
    ff_deep3d_render_soft_dsp_init_x86(dsp, cpu_flags);
#endif
}

static void render_rows(RowState *st, int n)
{
    Deep3DSoftKernel kn = {
        .n = n, .w = st->w, .nb_disp = st->p->nb_disp,
        .hrow = { st->hrow[0], st->hrow[1] }, .fy = st->fy,
        .shift_int = st->shift_int, .shift_frac = st->shift_frac,
        .mass = st->p->renormalize ? st->mass : NULL, .pt = st->pt,
    };

    for (int r = 0; r < n; r++) {
        kn.lp[r]  = st->lp[r] + st->margin;
        kn.out[r] = st->out[r];
    }
    st->dsp.render(&kn);
}

void ff_deep3d_render_soft_start(Deep3DSoftRows *st, const Deep3DRenderParams *p,
                                 const Deep3DPlaneFormat *f, const float *probs,
                                 int nb_planes, int w, int h, float *scratch)
{
    av_assert0(nb_planes * f->comps <= MAX_ROWS && p->nb_disp <= DEEP3D_RENDER_MAX_DISP);
    row_state_init(st, p, w, scratch);
    st->f         = *f;
    st->probs     = probs;
    st->nb_planes = nb_planes;
    st->n         = nb_planes * f->comps;
    st->h         = h;
}

void ff_deep3d_render_soft_row(Deep3DSoftRows *st, int y, const uint8_t *const *src,
                               uint8_t *const *dst)
{
    const Deep3DPlaneFormat *f = &st->f;
    int maxval = (1 << f->depth) - 1, w = st->w;

    for (int i = 0; i < st->nb_planes; i++) {
        const uint8_t *s = src[i];
        for (int c = 0; c < f->comps; c++) {
            float *lp = st->lp[i * f->comps + c] + st->margin;
            if (f->comps == 1 && f->elem_size == 1) {
                st->dsp.load8(lp, s, w);
            } else if (f->comps == 1) {
                st->dsp.load16(lp, (const uint16_t *)s, w, f->shift);
            } else if (f->elem_size == 1) {
                for (int x = 0; x < w; x++)
                    lp[x] = s[x * f->comps + c];
            } else {
                const uint16_t *s16 = (const uint16_t *)s;
                for (int x = 0; x < w; x++)
                    lp[x] = s16[x * f->comps + c] >> f->shift;
            }
        }
    }
    pad_rows(st, st->n);
    /* one set of probabilities serves every plane of this geometry (U and V) */
    row_probs(st, st->probs, y, st->h);
    render_rows(st, st->n);
    for (int i = 0; i < st->nb_planes; i++) {
        uint8_t *d = dst[i];
        for (int c = 0; c < f->comps; c++) {
            const float *out = st->out[i * f->comps + c];
            if (f->comps == 1 && f->elem_size == 1) {
                st->dsp.store8(d, out, w);
            } else if (f->comps == 1) {
                st->dsp.store16((uint16_t *)d, out, w, maxval, f->shift);
            } else if (f->elem_size == 1) {
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

void ff_deep3d_render_soft_rows(const Deep3DRenderParams *p, const Deep3DPlaneFormat *f,
                           const float *probs, int nb_planes,
                           const uint8_t *const *src, const int *src_linesize,
                           uint8_t *const *dst, const int *dst_linesize,
                           int w, int h, int y0, int y1, float *scratch)
{
    RowState st;

    ff_deep3d_render_soft_start(&st, p, f, probs, nb_planes, w, h, scratch);
    for (int y = y0; y < y1; y++) {
        const uint8_t *s[MAX_ROWS];
        uint8_t *d[MAX_ROWS];
        for (int i = 0; i < nb_planes; i++) {
            s[i] = src[i] + (ptrdiff_t)y * src_linesize[i];
            d[i] = dst[i] + (ptrdiff_t)y * dst_linesize[i];
        }
        ff_deep3d_render_soft_row(&st, y, s, d);
    }
}

void ff_deep3d_render_soft_rows_float(const Deep3DRenderParams *p, const float *probs,
                                 const float *src, float *dst, int w, int h,
                                 int y0, int y1, float *scratch)
{
    RowState st;

    row_state_init(&st, p, w, scratch);
    for (int y = y0; y < y1; y++) {
        memcpy(st.lp[0] + st.margin, src + (size_t)y * w, w * sizeof(*src));
        pad_rows(&st, 1);
        row_probs(&st, probs, y, h);
        render_rows(&st, 1);
        memcpy(dst + (size_t)y * w, st.out[0], w * sizeof(*dst));
    }
}

void ff_deep3d_render_depth_rows(const Deep3DRenderParams *p, const Deep3DPlaneFormat *f,
                                 const float *probs, int chroma, uint8_t *dst,
                                 ptrdiff_t dst_linesize, int w, int h, int y0, int y1,
                                 float *scratch)
{
    RowState st;
    int maxval = (1 << f->depth) - 1;
    float range = p->nb_disp - 1, *val;

    row_state_init(&st, p, w, scratch);
    val = st.out[0];
    for (int y = y0; y < y1; y++) {
        uint8_t *d = dst + y * dst_linesize;

        if (!chroma) {
            row_probs(&st, probs, y, h);
            /* E[d] over planes 1..D, as 0..1 with the nearest (most negative) at 1 */
            memset(val, 0, w * sizeof(*val));
            memset(st.mass, 0, w * sizeof(*st.mass));
            for (int k = 0; k < p->nb_disp; k++) {
                const float *h0 = st.hrow[0] + (size_t)k * w, *h1 = st.hrow[1] + (size_t)k * w;
                float t = (range - k) / range;
                for (int x = 0; x < w; x++) {
                    float pk = h0[x] + st.fy * (h1[x] - h0[x]);
                    val[x] += pk * t;
                    st.mass[x] += pk;
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
