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
 * The network input on the GPU: the twin of deep3d_input.c.
 */

#ifndef DEEP3D_INPUT_CUH
#define DEEP3D_INPUT_CUH

#include "deep3d_cuda.cuh"

/* ---- network input (docs/model-format.md, section 4a) ---- */

/*
 * One plane resampled to the network size as deep3d_input.c does it: a
 * centre-aligned tent filter, centre c = (o + 0.5) * src / dst - 0.5, radius
 * r = max(src / dst, 1), weights 1 - |i - c| / r normalised per axis, taps
 * outside the plane clamped to its edge. Positions in double, so the taps are
 * the CPU path's; the sums in float.
 */
typedef struct Taps {
    int lo, hi;             ///< source samples lo .. hi
    double c, r;
    float norm;             ///< 1 / sum of the weights
} Taps;

static inline __device__ float tap_weight(const Taps *t, int i)
{
    double w = 1.0 - fabs(i - t->c) / t->r;
    return w > 0.0 ? (float)w : 0.0f;
}

static inline __device__ Taps taps(int src, int dst, int o)
{
    double scale = (double)src / dst, sum = 0.0;
    Taps t;

    t.r  = scale > 1.0 ? scale : 1.0;
    t.c  = (o + 0.5) * scale - 0.5;
    t.lo = (int)floor(t.c - t.r) + 1;
    t.hi = (int)ceil(t.c + t.r) - 1;
    for (int i = t.lo; i <= t.hi; i++) {
        double w = 1.0 - fabs(i - t.c) / t.r;
        sum += w > 0.0 ? w : 0.0;
    }
    t.norm = (float)(1.0 / sum);
    return t;
}

template<typename T>
static inline __device__ float resample(const unsigned char *p, int pitch, int pw, int ph,
                                        int comps, int comp, int shift,
                                        int X, int Y, int nw, int nh)
{
    Taps tx = taps(pw, nw, X), ty = taps(ph, nh, Y);
    float sum = 0.0f;

    for (int j = ty.lo; j <= ty.hi; j++) {
        float wy = tap_weight(&ty, j) * ty.norm, row = 0.0f;
        int yy = d3_clampi(j, 0, ph - 1);
        if (wy <= 0.0f)
            continue;
        for (int i = tx.lo; i <= tx.hi; i++)
            row += tap_weight(&tx, i) * tx.norm *
                   d3_load<T>(p, pitch, d3_clampi(i, 0, pw - 1), yy, comps, comp, shift);
        sum += wy * row;
    }
    return sum;
}

/*
 * dst: 3 x nh x nw floats in the model's channel order, pixel * scale - mean.
 * Chroma is read from pu / pv (component 0), or from pu alone with two
 * interleaved components (nv12, p010: uv_comps = 2). Samples become RGB in
 * 0..1 with the coefficients of ff_deep3d_colour_init(): y = (Y - y_off) *
 * y_mul, u and v = (C - c_off) * c_mul, R = y + crv v, G = y + cgu u + cgv v,
 * B = y + cbu u, each clamped.
 */
template<typename T>
static inline __device__ void input(const unsigned char *py, int pitch_y,
                                    const unsigned char *pu, int pitch_u,
                                    const unsigned char *pv, int pitch_v,
                                    int w, int h, int cw, int ch, int uv_comps, int shift,
                                    float *dst, int nw, int nh,
                                    float y_off, float y_mul, float c_off, float c_mul,
                                    float crv, float cgu, float cgv, float cbu,
                                    float scale, float m0, float m1, float m2, int bgr)
{
    int X = d3_x(), Y = d3_y();
    long long plane = (long long)nw * nh, idx;
    float yv, uv, vv, r, g, b;

    if (X >= nw || Y >= nh)
        return;
    yv = (resample<T>(py, pitch_y, w, h, 1, 0, shift, X, Y, nw, nh) - y_off) * y_mul;
    uv = (resample<T>(pu, pitch_u, cw, ch, uv_comps, 0, shift, X, Y, nw, nh) - c_off) * c_mul;
    vv = (resample<T>(pv, pitch_v, cw, ch, uv_comps, uv_comps - 1, shift, X, Y, nw, nh) - c_off) *
         c_mul;

    r = d3_clampf(yv + crv * vv, 0.0f, 1.0f);
    g = d3_clampf(yv + cgu * uv + cgv * vv, 0.0f, 1.0f);
    b = d3_clampf(yv + cbu * uv, 0.0f, 1.0f);

    idx = (long long)Y * nw + X;
    dst[idx]             = (bgr ? b : r) * scale - m0;
    dst[idx + plane]     = g * scale - m1;
    dst[idx + 2 * plane] = (bgr ? r : b) * scale - m2;
}

#endif /* DEEP3D_INPUT_CUH */
