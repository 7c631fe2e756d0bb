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

#include "deep3d_cuda_frame.h"

/* ---- network input (docs/model-format.md, section 4a) ---- */

/*
 * Per-pixel positions in double, for the ONNX engine's input kernel
 * (deep3d_onnx.cu): a centre-aligned tent filter, centre c = (o + 0.5) *
 * src / dst - 0.5, radius r = max(src / dst, 1), weights 1 - |i - c| / r
 * normalised per axis, taps outside the plane clamped to its edge; the sums
 * in float. The built-in network's input kernel below reads the host's
 * tables instead.
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
 * One component of one plane resampled to network pixel (X, Y) as
 * deep3d_input.c does it, with its tap tables (computed on the host by
 * deep3d_cuda_tables.c, the CPU path's maths): the source columns filtered
 * vertically first (acc = w0 s0, then acc += wj sj), then the columns summed
 * with their horizontal weights (v = 0, v += wk acc_k), each product and sum
 * rounded on its own: the CPU path's floats, bit for bit.
 */
template<typename T>
static inline __device__ float resample(const unsigned char *p, int pitch, int comps, int comp,
                                        int shift, const Deep3DTapAxis *tx,
                                        const Deep3DTapAxis *ty, int X, int Y)
{
    const int *lx = (const int *)tx->len, *ly = (const int *)ty->len;
    const int *ix = (const int *)tx->idx + (long long)X * tx->stride;
    const int *iy = (const int *)ty->idx + (long long)Y * ty->stride;
    const float *wx = (const float *)tx->wt + (long long)X * tx->stride;
    const float *wy = (const float *)ty->wt + (long long)Y * ty->stride;
    int nx = lx[X], ny = ly[Y];
    float v = 0.0f;

    for (int k = 0; k < nx; k++) {
        float acc = d3_mul(wy[0], (float)d3_load<T>(p, pitch, ix[k], iy[0], comps, comp, shift));
        for (int j = 1; j < ny; j++)
            acc = d3_add(acc, d3_mul(wy[j], (float)d3_load<T>(p, pitch, ix[k], iy[j], comps,
                                                               comp, shift)));
        v = d3_add(v, d3_mul(wx[k], acc));
    }
    return v;
}

/*
 * Slot blockIdx.z of the batch: its frame to 3 x nh x nw floats in the
 * model's channel order, pixel * scale - mean. Chroma is read from u / v
 * (component 0), or from u alone with two interleaved components (nv12,
 * p010: uv_comps = 2). Samples become RGB in 0..1 with the coefficients of
 * ff_deep3d_colour_init(): y = (Y - y_off) * y_mul, u and v = (C - c_off) *
 * c_mul, R = y + crv v, G = y + cgu u + cgv v, B = y + cbu u, each clamped.
 */
template<typename T>
static inline __device__ void input(const Deep3DInputArgs &a)
{
    int X = d3_x(), Y = d3_y(), z = blockIdx.z;
    const Deep3DInputFrame *f = &a.frame[z];
    long long plane = (long long)a.nw * a.nh, idx;
    float *dst = (float *)a.dst + z * a.slot_floats;
    float yv, uv, vv, r, g, b, c0, c2;

    if (X >= a.nw || Y >= a.nh)
        return;
    yv = resample<T>((const unsigned char *)f->y, f->pitch_y, 1, 0, a.shift,
                     &a.tx[0], &a.ty[0], X, Y);
    uv = resample<T>((const unsigned char *)f->u, f->pitch_u, a.uv_comps, 0, a.shift,
                     &a.tx[1], &a.ty[1], X, Y);
    vv = resample<T>((const unsigned char *)f->v, f->pitch_v, a.uv_comps, a.uv_comps - 1,
                     a.shift, &a.tx[1], &a.ty[1], X, Y);
    yv = d3_mul(d3_add(yv, -f->y_off), f->y_mul);
    uv = d3_mul(d3_add(uv, -f->c_off), f->c_mul);
    vv = d3_mul(d3_add(vv, -f->c_off), f->c_mul);

    r = d3_clampf(d3_add(yv, d3_mul(f->crv, vv)), 0.0f, 1.0f);
    g = d3_clampf(d3_add(d3_add(yv, d3_mul(f->cgu, uv)), d3_mul(f->cgv, vv)), 0.0f, 1.0f);
    b = d3_clampf(d3_add(yv, d3_mul(f->cbu, uv)), 0.0f, 1.0f);
    c0 = a.bgr ? b : r;
    c2 = a.bgr ? r : b;

    idx = (long long)Y * a.nw + X;
    dst[idx]             = d3_add(d3_mul(c0, a.scale), -a.mean[0]);
    dst[idx + plane]     = d3_add(d3_mul(g,  a.scale), -a.mean[1]);
    dst[idx + 2 * plane] = d3_add(d3_mul(c2, a.scale), -a.mean[2]);
}

#endif /* DEEP3D_INPUT_CUH */
