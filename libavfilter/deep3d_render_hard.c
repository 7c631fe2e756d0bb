/*
 * deep3d: hard renderer, the second eye warped from the expected disparity
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

#include "libavutil/avassert.h"
#include "libavutil/common.h"

#include "deep3d_render_hard.h"
#include "deep3d_shift.h"

#define MAX_ROWS 8          /* planes x components, as in deep3d_render_soft.c */
/* Neighbours that move apart by more than this (in samples) open a hole. */
#define HOLE_GAP 2.0f
/* depth of a sample nothing has landed on yet (the CUDA kernel uses the same) */
#define EMPTY 1e30f

size_t ff_deep3d_render_hard_scratch_size(int w)
{
    /* target positions, shifts, depth buffer, row of ed; left rows, output rows */
    return (4 + 2 * MAX_ROWS) * (size_t)w + 64;
}

void ff_deep3d_render_hard_rows(const Deep3DRenderParams *p, const Deep3DPlaneFormat *f,
                         const float *ed, int nb_planes,
                         const uint8_t *const *src, const int *src_linesize,
                         uint8_t *const *dst, const int *dst_linesize,
                         int w, int h, int y0, int y1, float *scratch)
{
    int n = nb_planes * f->comps, maxval = (1 << f->depth) - 1;
    float *pos = scratch, *shift = pos + w, *zbuf = shift + w, *erow = zbuf + w;
    float *lp[MAX_ROWS], *out[MAX_ROWS];
    Deep3DShift sh = ff_deep3d_shift(p, w);

    av_assert0(n <= MAX_ROWS);
    for (int r = 0; r < n; r++) {
        lp[r]  = erow + w + (size_t)r * w;
        out[r] = erow + w + (size_t)(MAX_ROWS + r) * w;
    }

    for (int y = y0; y < y1; y++) {
        double v = av_clipd((y + 0.5) * p->net_h / h - 0.5, 0, p->net_h - 1);
        int v0 = (int)v, v1 = FFMIN(v0 + 1, p->net_h - 1);
        float fy = v - v0;
        const float *e0 = ed + (size_t)v0 * p->net_w, *e1 = ed + (size_t)v1 * p->net_w;
        int last;

        for (int x = 0; x < w; x++) {
            double u = av_clipd((x + 0.5) * p->net_w / w - 0.5, 0, p->net_w - 1);
            int u0 = (int)u, u1 = FFMIN(u0 + 1, p->net_w - 1);
            float fx = u - u0;
            float a = e0[u0] + fx * (e0[u1] - e0[u0]);
            float b = e1[u0] + fx * (e1[u1] - e1[u0]);
            erow[x]  = a + fy * (b - a);
            shift[x] = erow[x] * sh.gain + sh.offset;
            pos[x]   = x + shift[x];
            zbuf[x]  = EMPTY;
        }
        for (int i = 0; i < nb_planes; i++) {
            const uint8_t *s = src[i] + y * src_linesize[i];
            for (int cc = 0; cc < f->comps; cc++) {
                float *l = lp[i * f->comps + cc];
                if (f->elem_size == 1)
                    for (int x = 0; x < w; x++)
                        l[x] = s[x * f->comps + cc];
                else
                    for (int x = 0; x < w; x++)
                        l[x] = ((const uint16_t *)s)[x * f->comps + cc] >> f->shift;
            }
        }

        /* forward warp of each span between neighbouring samples */
        for (int x = 0; x + 1 < w || (w == 1 && x == 0); x++) {
            float a = pos[x], b = w > 1 ? pos[x + 1] : pos[x];
            int xa = (int)ceilf(a), xb = (int)floorf(b), hole = b - a > HOLE_GAP;
            int far = w > 1 && shift[x + 1] > shift[x] ? x + 1 : x;
            if (b < a)
                continue;       /* folded: the span is hidden by what lands there */
            for (int X = FFMAX(xa, 0); X <= FFMIN(xb, w - 1); X++) {
                float t = b > a ? (X - a) / (b - a) : 0.0f, z;
                if (hole) {
                    z = shift[far];
                    if (z < zbuf[X]) {
                        zbuf[X] = z;
                        for (int r = 0; r < n; r++)
                            out[r][X] = lp[r][far];
                    }
                } else {
                    z = shift[x] + t * ((w > 1 ? shift[x + 1] : shift[x]) - shift[x]);
                    if (z < zbuf[X]) {
                        int x1 = w > 1 ? x + 1 : x;
                        zbuf[X] = z;
                        for (int r = 0; r < n; r++)
                            out[r][X] = lp[r][x] + t * (lp[r][x1] - lp[r][x]);
                    }
                }
            }
        }
        /* samples nothing landed on take the nearest written one of the row */
        last = -1;
        for (int X = 0; X < w; X++) {
            if (zbuf[X] != EMPTY) {
                if (last < 0)   /* leading gap: the first written sample */
                    for (int Y = 0; Y < X; Y++)
                        for (int r = 0; r < n; r++)
                            out[r][Y] = out[r][X];
                last = X;
            } else if (last >= 0) {
                for (int r = 0; r < n; r++)
                    out[r][X] = out[r][last];
            }
        }
        if (last < 0)           /* the whole row moved out: edge samples */
            for (int X = 0; X < w; X++) {
                int xs = av_clip((int)floorf(X - shift[X]), 0, w - 1);
                for (int r = 0; r < n; r++)
                    out[r][X] = lp[r][xs];
            }

        for (int i = 0; i < nb_planes; i++) {
            uint8_t *d = dst[i] + y * dst_linesize[i];
            for (int cc = 0; cc < f->comps; cc++) {
                const float *o = out[i * f->comps + cc];
                if (f->elem_size == 1)
                    for (int x = 0; x < w; x++)
                        d[x * f->comps + cc] = av_clip_uint8((int)(o[x] + 0.5f));
                else
                    for (int x = 0; x < w; x++)
                        ((uint16_t *)d)[x * f->comps + cc] =
                            av_clip((int)(o[x] + 0.5f), 0, maxval) << f->shift;
            }
        }
    }
}
