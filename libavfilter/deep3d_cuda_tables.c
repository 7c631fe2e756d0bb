/*
 * deep3d: host-side tables and arguments of the CUDA frame kernels
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
 * The double-precision position maths of the CPU path, done once per frame
 * size here instead of per pixel in the kernels: the kernels read the
 * results, so they see the CPU path's taps, weights and sampling positions
 * exactly (tests/unit/test_cuda_kernels.c compares the outputs bit for bit).
 */

#include <math.h>
#include <string.h>

#include "libavutil/common.h"
#include "libavutil/error.h"
#include "libavutil/mem.h"

#include "deep3d_cuda_tables.h"
#include "deep3d_shift.h"

/* the taps of one axis: deep3d_input.c taps_init(), in a fixed stride */
static int tap_stride(int src, int dst)
{
    double r = FFMAX((double)src / dst, 1.0);
    return 2 * (int)ceil(r) + 1;
}

static void taps_fill(uint8_t *base, const Deep3DTapAxis *ax, int src, int dst)
{
    int32_t *len = (int32_t *)(base + ax->len), *idx = (int32_t *)(base + ax->idx);
    float *wt = (float *)(base + ax->wt);
    double scale = (double)src / dst, r = FFMAX(scale, 1.0);
    int max_taps = ax->stride;

    for (int o = 0; o < dst; o++) {
        double c = (o + 0.5) * scale - 0.5, sum = 0.0;
        int lo = (int)floor(c - r) + 1, hi = FFMIN((int)ceil(c + r) - 1, lo + max_taps - 1);
        int n = 0;

        for (int i = lo; i <= hi; i++)
            sum += FFMAX(1.0 - fabs(i - c) / r, 0.0);
        for (int i = lo; i <= hi; i++) {
            double wgt = 1.0 - fabs(i - c) / r;
            if (wgt <= 0.0)
                continue;
            idx[o * max_taps + n] = av_clip(i, 0, src - 1);
            wt[o * max_taps + n]  = wgt / sum;
            n++;
        }
        len[o] = n;
    }
}

/* where output sample x of n samples the probabilities (0 .. net - 1):
 * deep3d_render_soft.c row_state_init() and row_probs() */
static void sample_fill(uint8_t *base, uint64_t off0, uint64_t offf, int n, int net)
{
    int32_t *i0 = (int32_t *)(base + off0);
    float *f = (float *)(base + offf);

    for (int x = 0; x < n; x++) {
        double u = av_clipd((x + 0.5) * net / n - 0.5, 0, net - 1);
        i0[x] = (int)u;
        f[x]  = u - i0[x];
    }
}

int ff_deep3d_cuda_tables_build(Deep3DCudaTables *t, int w, int h, int cw, int ch,
                                int net_w, int net_h, int prob_w, int prob_h)
{
    const int src[4] = { w, h, cw, ch }, dst[4] = { net_w, net_h, net_w, net_h };
    Deep3DTapAxis *ax[4] = { &t->tx[0], &t->ty[0], &t->tx[1], &t->ty[1] };
    size_t off = 0;

    memset(t, 0, sizeof(*t));
    if (w < 1 || h < 1 || cw < 1 || ch < 1 || net_w < 1 || net_h < 1 || prob_w < 1 || prob_h < 1)
        return AVERROR(EINVAL);
    /* 4-byte entries throughout: offsets stay aligned */
    for (int i = 0; i < 4; i++) {
        ax[i]->stride = tap_stride(src[i], dst[i]);
        ax[i]->len = off;
        off += 4 * (size_t)dst[i];
        ax[i]->idx = off;
        off += 4 * (size_t)dst[i] * ax[i]->stride;
        ax[i]->wt  = off;
        off += 4 * (size_t)dst[i] * ax[i]->stride;
    }
    for (int g = 0; g < 2; g++) {
        int sw = g ? cw : w, sh = g ? ch : h;
        t->sample[g].x0 = off;  off += 4 * (size_t)sw;
        t->sample[g].fx = off;  off += 4 * (size_t)sw;
        t->sample[g].y0 = off;  off += 4 * (size_t)sh;
        t->sample[g].fy = off;  off += 4 * (size_t)sh;
    }
    if (!(t->host = av_mallocz(off)))
        return AVERROR(ENOMEM);
    t->size = off;
    for (int i = 0; i < 4; i++)
        taps_fill(t->host, ax[i], src[i], dst[i]);
    for (int g = 0; g < 2; g++) {
        sample_fill(t->host, t->sample[g].x0, t->sample[g].fx, g ? cw : w, prob_w);
        sample_fill(t->host, t->sample[g].y0, t->sample[g].fy, g ? ch : h, prob_h);
    }
    return 0;
}

void ff_deep3d_cuda_tables_place(Deep3DCudaTables *t, uint64_t base)
{
    for (int i = 0; i < 2; i++) {
        Deep3DTapAxis *ax[2] = { &t->tx[i], &t->ty[i] };
        for (int j = 0; j < 2; j++) {
            ax[j]->len += base;
            ax[j]->idx += base;
            ax[j]->wt  += base;
        }
        t->sample[i].x0 += base;
        t->sample[i].fx += base;
        t->sample[i].y0 += base;
        t->sample[i].fy += base;
    }
}

void ff_deep3d_cuda_tables_free(Deep3DCudaTables *t)
{
    av_freep(&t->host);
    t->size = 0;
}

void ff_deep3d_cuda_shift_table(const Deep3DRenderParams *p, int w, int32_t *si, float *sf)
{
    Deep3DShift sh = ff_deep3d_shift(p, w);

    for (int k = 0; k < p->nb_disp; k++) {
        double s = (p->disp_min + k) * sh.gain + sh.offset;
        double a = floor(-s);
        si[k] = (int32_t)a;
        sf[k] = (float)(-s - a);
    }
}

void ff_deep3d_cuda_input_args(Deep3DInputArgs *a, const Deep3DCudaTables *t,
                               const Deep3DModel *m, const AVFrame *const *in,
                               const Deep3DColour *const *colour, int nb, int uv_comps,
                               int shift, uint64_t dst)
{
    memset(a, 0, sizeof(*a));
    for (int i = 0; i < 2; i++) {
        a->tx[i] = t->tx[i];
        a->ty[i] = t->ty[i];
    }
    a->dst         = dst;
    a->slot_floats = 3LL * m->in_w * m->in_h;
    a->nw          = m->in_w;
    a->nh          = m->in_h;
    a->uv_comps    = uv_comps;
    a->shift       = shift;
    a->bgr         = m->bgr;
    a->scale       = m->input_scale;
    for (int c = 0; c < 3; c++)
        a->mean[c] = m->input_mean[c];
    for (int i = 0; i < nb && i < DEEP3D_CUDA_MAX_BATCH; i++) {
        Deep3DInputFrame *f = &a->frame[i];
        const Deep3DColour *k = colour[i];
        int v = uv_comps == 2 ? 1 : 2;
        f->y = (uintptr_t)in[i]->data[0];
        f->u = (uintptr_t)in[i]->data[1];
        f->v = (uintptr_t)in[i]->data[v];
        f->pitch_y = in[i]->linesize[0];
        f->pitch_u = in[i]->linesize[1];
        f->pitch_v = in[i]->linesize[v];
        f->y_off = k->y_off; f->y_mul = k->y_mul; f->c_off = k->c_off; f->c_mul = k->c_mul;
        f->crv = k->crv;     f->cgu = k->cgu;     f->cgv = k->cgv;     f->cbu = k->cbu;
    }
}

void ff_deep3d_cuda_render_pack_args(Deep3DRenderPackArgs *a, const Deep3DCudaTables *t,
                                     const Deep3DPack *p, const Deep3DRenderParams *sel,
                                     int swap, int rendered, int depth,
                                     const AVFrame *in, const AVFrame *out, uint64_t probs,
                                     const uint64_t shift_int[2], const uint64_t shift_frac[2],
                                     unsigned grid[3], unsigned *shared)
{
    int max_w = 0, max_h = 0, max_comps = 1;

    memset(a, 0, sizeof(*a));
    a->nb_planes = FFMIN(p->nb_planes, DEEP3D_CUDA_MAX_PLANES);
    for (int i = 0; i < a->nb_planes; i++) {
        const Deep3DPackPlane *pl = &p->planes[i];
        /* with swap the rendered eye takes the left slot and the input the right one */
        int in_x = swap ? pl->right_x : pl->left_x, in_y = swap ? pl->right_y : pl->left_y;
        int r_x  = swap ? pl->left_x : pl->right_x, r_y = swap ? pl->left_y : pl->right_y;
        int in_shown = swap ? p->has_right : p->has_left;
        int r_shown  = rendered && (swap ? p->has_left : p->has_right);
        uint8_t *o = out->data[i];
        ptrdiff_t ls = out->linesize[i];

        a->src[i]       = (uintptr_t)in->data[i];
        a->src_pitch[i] = in->linesize[i];
        a->dst_pitch[i] = ls;
        a->out[i]       = (uintptr_t)o;
        if (!p->interleave) {
            a->in[i]   = in_shown ? (uintptr_t)(o + in_y * ls + (ptrdiff_t)in_x * pl->bytes_per_pixel) : 0;
            a->rend[i] = r_shown  ? (uintptr_t)(o + r_y * ls + (ptrdiff_t)r_x * pl->bytes_per_pixel) : 0;
        }
        a->w[i]      = pl->w;
        a->h[i]      = pl->h;
        a->eye_w[i]  = pl->eye_w;
        a->eye_h[i]  = pl->eye_h;
        a->comps[i]  = pl->bytes_per_pixel / pl->elem_size;
        a->chroma[i] = pl->w != p->in_w || pl->h != p->in_h;
        a->sub_x[i]  = pl->sub_x;
        a->sub_y[i]  = pl->sub_y;
        max_w = FFMAX(max_w, pl->eye_w);
        max_h = FFMAX(max_h, pl->eye_h);
        max_comps = FFMAX(max_comps, a->comps[i]);
    }
    a->half_w       = p->half_w;
    a->half_h       = p->half_h;
    a->shift        = p->planes[0].shift;
    a->maxval       = (1 << depth) - 1;
    a->renormalize  = sel->renormalize;
    a->weave        = p->interleave;
    /* the odd samples belong to the left eye when the right one has the even ones */
    a->odd_rendered = p->right_on_even ? swap : !swap;
    a->luma_w       = p->in_w;
    a->luma_h       = p->in_h;
    a->rendered     = rendered || p->interleave;
    a->probs        = probs;
    a->net_w        = sel->net_w;
    a->net_h        = sel->net_h;
    a->nb_disp      = sel->nb_disp;
    for (int g = 0; g < 2; g++) {
        a->shift_int[g]  = shift_int[g];
        a->shift_frac[g] = shift_frac[g];
        a->sample[g]     = t->sample[g];
    }
    grid[0] = (max_w + DEEP3D_RP_TILE_W - 1) / DEEP3D_RP_TILE_W;
    grid[1] = (max_h + DEEP3D_RP_TILE_H - 1) / DEEP3D_RP_TILE_H;
    grid[2] = a->nb_planes;
    a->seg_cap = DEEP3D_RP_SEG_CAP;
    /* the rendered tile (ints), then the input rows (floats) */
    *shared = (DEEP3D_RP_TILE_W << a->half_w) * (DEEP3D_RP_TILE_H << a->half_h) * max_comps *
              sizeof(int) + (DEEP3D_RP_TILE_H << a->half_h) * DEEP3D_RP_SEG_CAP * max_comps *
              sizeof(float);
}
