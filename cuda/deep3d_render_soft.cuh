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
 * The soft renderer (the selection layer) and the depth picture on the GPU: the
 * twins of deep3d_render_soft.c.
 */

#ifndef DEEP3D_RENDER_SOFT_CUH
#define DEEP3D_RENDER_SOFT_CUH

#include "deep3d_cuda.cuh"

/* ---- selection (docs/model-format.md, section 5) ---- */

#define MAX_COMPS 4

/*
 * The second eye of one plane (w x h, comps interleaved components), one
 * output pixel per thread: the probabilities of planes 1..D are sampled
 * bilinearly at the pixel (centre-aligned), and each weighs the left-eye row
 * shifted by s_k = -(shift_int[k] + shift_frac[k]) samples, linearly
 * interpolated with the edge samples repeated. Plane 0 renders nothing.
 */
template<typename T>
static inline __device__ void select(const unsigned char *src, int src_pitch,
                                     unsigned char *dst, int dst_pitch,
                                     int w, int h, int comps, int shift, int maxval,
                                     const float *probs, int net_w, int net_h, int nb_disp,
                                     const int *shift_int, const float *shift_frac,
                                     int renormalize)
{
    int x = d3_x(), y = d3_y();
    long long plane = (long long)net_w * net_h;
    float acc[MAX_COMPS] = { 0.0f }, mass = 0.0f, fx, fy;
    const float *p;
    int x0, x1, y0, y1;
    double u, v;

    if (x >= w || y >= h)
        return;
    /* in double, as the CPU path: in float, u near 384 is off by 3e-5 px */
    u  = d3_clampd((x + 0.5) * net_w / w - 0.5, 0, net_w - 1);
    v  = d3_clampd((y + 0.5) * net_h / h - 0.5, 0, net_h - 1);
    x0 = (int)u;
    y0 = (int)v;
    x1 = min(x0 + 1, net_w - 1);
    y1 = min(y0 + 1, net_h - 1);
    fx = (float)(u - x0);
    fy = (float)(v - y0);

    p = probs + plane;
    for (int k = 0; k < nb_disp; k++, p += plane) {
        const float *r0 = p + (long long)y0 * net_w, *r1 = p + (long long)y1 * net_w;
        float h0 = r0[x0] + fx * (r0[x1] - r0[x0]);
        float h1 = r1[x0] + fx * (r1[x1] - r1[x0]);
        float pt = h0 + fy * (h1 - h0);
        float f  = shift_frac[k], g = 1.0f - f;
        int xs = x + shift_int[k];
        int i0 = d3_clampi(xs, 0, w - 1), i1 = d3_clampi(xs + 1, 0, w - 1);

        mass += pt;
        for (int c = 0; c < comps; c++)
            acc[c] += pt * (g * d3_load<T>(src, src_pitch, i0, y, comps, c, shift) +
                            f * d3_load<T>(src, src_pitch, i1, y, comps, c, shift));
    }
    for (int c = 0; c < comps; c++) {
        float o = renormalize && mass > 0.0f ? acc[c] / mass : acc[c];
        d3_store<T>(dst, dst_pitch, x, y, comps, c, shift, d3_clampi((int)(o + 0.5f), 0, maxval));
    }
}

/* ---- the depth picture (deep3d_select.c, ff_deep3d_select_depth_rows) ---- */

/*
 * The expected disparity over planes 1..D at each pixel of a luma plane, as
 * 0..maxval with the nearest disparity (the most negative) at maxval; the
 * probabilities are sampled as the selection samples them, and summed in the
 * CPU path's order. Chroma planes (chroma set) are neutral.
 */
template<typename T>
static inline __device__ void depth(unsigned char *dst, int dst_pitch, int w, int h, int comps,
                                    int shift, int maxval, int chroma, const float *probs,
                                    int net_w, int net_h, int nb_disp)
{
    int x = d3_x(), y = d3_y(), v;
    long long plane = (long long)net_w * net_h;

    if (x >= w || y >= h)
        return;
    if (chroma) {
        v = (maxval + 1) >> 1;
    } else {
        float range = nb_disp - 1, val = 0.0f, mass = 0.0f, fx, fy;
        double u  = d3_clampd((x + 0.5) * net_w / w - 0.5, 0, net_w - 1);
        double vv = d3_clampd((y + 0.5) * net_h / h - 0.5, 0, net_h - 1);
        int x0 = (int)u, y0 = (int)vv;
        int x1 = min(x0 + 1, net_w - 1), y1 = min(y0 + 1, net_h - 1);
        const float *p = probs + plane;

        fx = (float)(u - x0);
        fy = (float)(vv - y0);
        for (int k = 0; k < nb_disp; k++, p += plane) {
            const float *r0 = p + (long long)y0 * net_w, *r1 = p + (long long)y1 * net_w;
            float h0 = r0[x0] + fx * (r0[x1] - r0[x0]);
            float h1 = r1[x0] + fx * (r1[x1] - r1[x0]);
            float pk = h0 + fy * (h1 - h0);
            val  += pk * ((range - k) / range);
            mass += pk;
        }
        val = mass > 0.0f ? val / mass : 0.0f;
        v = (int)(val * maxval + 0.5f);
    }
    for (int c = 0; c < comps; c++)
        d3_store<T>(dst, dst_pitch, x, y, comps, c, shift, v);
}

#endif /* DEEP3D_RENDER_SOFT_CUH */
