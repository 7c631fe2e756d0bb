/*
 * deep3d: CUDA kernels on video frames (network input, selection, packing)
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
 * The hard renderer on the GPU: the twin of deep3d_render_hard.c.
 */

#ifndef DEEP3D_RENDER_HARD_CUH
#define DEEP3D_RENDER_HARD_CUH

#include "deep3d_cuda.cuh"

/*
 * render=hard (deep3d_hard.c): the forward warp of one row by the expected
 * disparity, one thread per row (the warp is sequential along the row).
 * scratch: (3 + comps) x w floats per row.
 */
#define HARD_EMPTY 1e30f
#define HARD_GAP   2.0f
template<typename T>
static inline __device__ void hard(const unsigned char *src, int src_pitch, unsigned char *dst,
                                   int dst_pitch, int w, int h, int comps, int shift, int maxval,
                                   const float *ed, int net_w, int net_h, double k, double c,
                                   float *scratch)
{
    long long y = d3_index();
    float *pos, *sh, *zb, *out;
    const float *e0, *e1;
    double v;
    int v0, v1, last;
    float fy;

    if (y >= h)
        return;
    pos = scratch + y * w * (3 + comps);
    sh  = pos + w;
    zb  = sh + w;
    out = zb + w;
    v  = d3_clampd((y + 0.5) * net_h / h - 0.5, 0, net_h - 1);
    v0 = (int)v;
    v1 = min(v0 + 1, net_h - 1);
    fy = (float)(v - v0);
    e0 = ed + (long long)v0 * net_w;
    e1 = ed + (long long)v1 * net_w;
    for (int x = 0; x < w; x++) {
        double u = d3_clampd((x + 0.5) * net_w / w - 0.5, 0, net_w - 1);
        int u0 = (int)u, u1 = min(u0 + 1, net_w - 1);
        float fx = (float)(u - u0);
        float a = e0[u0] + fx * (e0[u1] - e0[u0]);
        float b = e1[u0] + fx * (e1[u1] - e1[u0]);
        float e = a + fy * (b - a);
        sh[x]  = (float)(e * k + c);
        pos[x] = x + sh[x];
        zb[x]  = HARD_EMPTY;
    }
    for (int x = 0; x + 1 < w || (w == 1 && x == 0); x++) {
        int x1 = w > 1 ? x + 1 : x;
        float a = pos[x], b = pos[x1];
        int xa = (int)ceilf(a), xb = (int)floorf(b), hole = b - a > HARD_GAP;
        int far = sh[x1] > sh[x] ? x1 : x;
        if (b < a)
            continue;
        for (int X = max(xa, 0); X <= min(xb, w - 1); X++) {
            float t = b > a ? (X - a) / (b - a) : 0.0f;
            float z = hole ? sh[far] : sh[x] + t * (sh[x1] - sh[x]);
            if (!(z < zb[X]))
                continue;
            zb[X] = z;
            for (int cc = 0; cc < comps; cc++) {
                float l0 = d3_load<T>(src, src_pitch, x, (int)y, comps, cc, shift);
                float l1 = d3_load<T>(src, src_pitch, x1, (int)y, comps, cc, shift);
                out[cc * w + X] = hole ? d3_load<T>(src, src_pitch, far, (int)y, comps, cc, shift) :
                                         l0 + t * (l1 - l0);
            }
        }
    }
    last = -1;
    for (int X = 0; X < w; X++) {
        if (zb[X] != HARD_EMPTY) {
            if (last < 0)
                for (int Y = 0; Y < X; Y++)
                    for (int cc = 0; cc < comps; cc++)
                        out[cc * w + Y] = out[cc * w + X];
            last = X;
        } else if (last >= 0) {
            for (int cc = 0; cc < comps; cc++)
                out[cc * w + X] = out[cc * w + last];
        }
    }
    if (last < 0)
        for (int X = 0; X < w; X++) {
            int xs = d3_clampi((int)floorf(X - sh[X]), 0, w - 1);
            for (int cc = 0; cc < comps; cc++)
                out[cc * w + X] = d3_load<T>(src, src_pitch, xs, (int)y, comps, cc, shift);
        }
    for (int X = 0; X < w; X++)
        for (int cc = 0; cc < comps; cc++)
            d3_store<T>(dst, dst_pitch, X, (int)y, comps, cc, shift,
                        d3_clampi((int)(out[cc * w + X] + 0.5f), 0, maxval));
}

#endif /* DEEP3D_RENDER_HARD_CUH */
