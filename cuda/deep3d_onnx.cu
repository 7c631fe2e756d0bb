/*
 * deep3d: CUDA kernels of the ONNX depth source (its own PTX module)
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
 * What the CPU ONNX source (deep3d_source_onnx.c) does around the model,
 * on the device (deep3d_source_onnx_cuda.c drives them):
 *  - the frame as the model's input tensor: deep3d_input.c's resampling and
 *    colour (the same code as deep3d_input.cuh), then pixel * (1 / std) -
 *    mean / std per channel, in float or rounded to half;
 *  - a half depth map widened to float;
 *  - the two percentiles of deep3d_depthmap.c, exact: a radix select over
 *    the float bits made order-preserving as unsigned keys, 8 bits a pass,
 *    4 passes (histogram per block, sums, the choice of the bin by one
 *    thread), both order statistics at once; no shared memory or barriers,
 *    so the host emulator (tests/cuda-emu) runs them as they are;
 *  - the depth map as disparity planes, deep3d_depthmap.c's arithmetic.
 * The state of a selection (one per batch slot) is 8 unsigned ints:
 * prefix lo, prefix hi, rank lo, rank hi (left within the prefix), the count
 * of values that are not finite, the lo and hi values' bits.
 */

#include "deep3d_cuda.cuh"
#include "deep3d_input.cuh"

#ifdef __CUDA_ARCH__
static inline __device__ float d3o_h2f(unsigned short h)
{
    float f;
    asm("cvt.f32.f16 %0, %1;" : "=f"(f) : "h"(h));
    return f;
}

static inline __device__ unsigned short d3o_f2h(float f)
{
    unsigned short h;
    asm("cvt.rn.f16.f32 %0, %1;" : "=h"(h) : "f"(f));
    return h;
}

static inline __device__ unsigned d3o_bits(float f)
{
    union { float f; unsigned u; } x;
    x.f = f;
    return x.u;
}

static inline __device__ float d3o_float(unsigned u)
{
    union { float f; unsigned u; } x;
    x.u = u;
    return x.f;
}
#else
#include <string.h>
#include "deep3d_half.h"
static inline float d3o_h2f(unsigned short h) { return ff_deep3d_half_to_float(h); }
static inline unsigned short d3o_f2h(float f) { return ff_deep3d_float_to_half(f); }
static inline unsigned d3o_bits(float f) { unsigned u; memcpy(&u, &f, 4); return u; }
static inline float d3o_float(unsigned u) { float f; memcpy(&f, &u, 4); return f; }
#endif

/* Blocks of the histogram kernel: each has its own 2 x 256 counters, so the
 * atomic adds of a map whose values share their top bits spread over them. */
#define D3O_HIST_BLOCKS 64
#define D3O_BINS 256

enum { D3O_PREFIX = 0, D3O_RANK = 2, D3O_BAD = 4, D3O_VALUE = 5 };

/* Float bits as a key whose unsigned order is the floats' order. */
static inline __device__ unsigned d3o_key(unsigned u)
{
    return u & 0x80000000u ? ~u : u | 0x80000000u;
}

static inline __device__ unsigned d3o_unkey(unsigned k)
{
    return k & 0x80000000u ? k & 0x7fffffffu : ~k;
}

template<typename T>
static inline __device__ void onnx_input(const unsigned char *py, int pitch_y,
                                         const unsigned char *pu, int pitch_u,
                                         const unsigned char *pv, int pitch_v,
                                         int w, int h, int cw, int ch, int uv_comps, int shift,
                                         void *dst, int half, int nw, int nh,
                                         float y_off, float y_mul, float c_off, float c_mul,
                                         float crv, float cgu, float cgv, float cbu,
                                         float s0, float s1, float s2,
                                         float m0, float m1, float m2)
{
    int X = d3_x(), Y = d3_y();
    long long plane = (long long)nw * nh, idx;
    float yv, uv, vv, v[3];

    if (X >= nw || Y >= nh)
        return;
    yv = (resample<T>(py, pitch_y, w, h, 1, 0, shift, X, Y, nw, nh) - y_off) * y_mul;
    uv = (resample<T>(pu, pitch_u, cw, ch, uv_comps, 0, shift, X, Y, nw, nh) - c_off) * c_mul;
    vv = (resample<T>(pv, pitch_v, cw, ch, uv_comps, uv_comps - 1, shift, X, Y, nw, nh) - c_off) *
         c_mul;
    v[0] = d3_clampf(yv + crv * vv, 0.0f, 1.0f) * s0 - m0;
    v[1] = d3_clampf(yv + cgu * uv + cgv * vv, 0.0f, 1.0f) * s1 - m1;
    v[2] = d3_clampf(yv + cbu * uv, 0.0f, 1.0f) * s2 - m2;
    idx = (long long)Y * nw + X;
    for (int c = 0; c < 3; c++) {
        if (half)
            ((unsigned short *)dst)[idx + c * plane] = d3o_f2h(v[c]);
        else
            ((float *)dst)[idx + c * plane] = v[c];
    }
}

extern "C" {

#define ONNX_INPUT_ARGS                                                             \
    const unsigned char *py, int pitch_y, const unsigned char *pu, int pitch_u,     \
    const unsigned char *pv, int pitch_v, int w, int h, int cw, int ch,             \
    int uv_comps, int shift, void *dst, int half, int nw, int nh,                   \
    float y_off, float y_mul, float c_off, float c_mul,                             \
    float crv, float cgu, float cgv, float cbu,                                     \
    float s0, float s1, float s2, float m0, float m1, float m2
#define ONNX_INPUT_PASS py, pitch_y, pu, pitch_u, pv, pitch_v, w, h, cw, ch, uv_comps, \
    shift, dst, half, nw, nh, y_off, y_mul, c_off, c_mul, crv, cgu, cgv, cbu,        \
    s0, s1, s2, m0, m1, m2

/* The model input, 3 x nh x nw (RGB), from a frame of 8-bit / 16-bit containers. */
__global__ void deep3d_onnx_input_8(ONNX_INPUT_ARGS)
{
    onnx_input<unsigned char>(ONNX_INPUT_PASS);
}

__global__ void deep3d_onnx_input_16(ONNX_INPUT_ARGS)
{
    onnx_input<unsigned short>(ONNX_INPUT_PASS);
}

/* out[i] = in[i] widened, n values. */
__global__ void deep3d_onnx_widen(const unsigned short *in, float *out, int n)
{
    long long i = d3_index();

    if (i < n)
        out[i] = d3o_h2f(in[i]);
}

/* One thread: a fresh selection of the order statistics of ranks klo and khi. */
__global__ void deep3d_onnx_reset(unsigned *state, unsigned klo, unsigned khi)
{
    if (d3_index())
        return;
    state[D3O_PREFIX] = state[D3O_PREFIX + 1] = 0;
    state[D3O_RANK] = klo;
    state[D3O_RANK + 1] = khi;
    state[D3O_BAD] = 0;
}

/*
 * Pass p (0..3) of the selection: each value whose key has the selection's
 * prefix in its top 8p bits counts in the bin of its next 8 bits, in this
 * block's counters (hist: 2 x D3O_HIST_BLOCKS x 256, zero before). Pass 0
 * also counts the values that are not finite. Grid: D3O_HIST_BLOCKS blocks.
 */
__global__ void deep3d_onnx_hist(const float *depth, int n, unsigned *state, unsigned *hist,
                                 int pass)
{
    int shift = 24 - 8 * pass;
    unsigned mask = pass ? ~0u << (32 - 8 * pass) : 0u;
    unsigned p0 = state[D3O_PREFIX], p1 = state[D3O_PREFIX + 1];
    unsigned *h0 = hist + (long long)blockIdx.x * D3O_BINS;
    unsigned *h1 = hist + (long long)(D3O_HIST_BLOCKS + blockIdx.x) * D3O_BINS;
    long long stride = (long long)D3O_HIST_BLOCKS * blockDim.x;
    unsigned bad = 0;

    for (long long i = d3_index(); i < n; i += stride) {
        unsigned u = d3o_bits(depth[i]), k = d3o_key(u);
        if ((u & 0x7f800000u) == 0x7f800000u)
            bad++;
        if ((k & mask) == p0)
            atomicAdd(&h0[(k >> shift) & 255], 1u);
        if ((k & mask) == p1)
            atomicAdd(&h1[(k >> shift) & 255], 1u);
    }
    if (!pass && bad)
        atomicAdd(&state[D3O_BAD], bad);
}

/* 2 x 256 threads: the bins summed over the blocks into sums, the counters zeroed. */
__global__ void deep3d_onnx_hist_sum(unsigned *hist, unsigned *sums)
{
    long long t = d3_index();
    unsigned s, bin, total = 0;

    if (t >= 2 * D3O_BINS)
        return;
    s   = t / D3O_BINS;
    bin = t % D3O_BINS;
    for (int b = 0; b < D3O_HIST_BLOCKS; b++) {
        unsigned *c = &hist[((long long)s * D3O_HIST_BLOCKS + b) * D3O_BINS + bin];
        total += *c;
        *c = 0;
    }
    sums[t] = total;
}

/* One thread: for each selection, the bin holding its rank becomes the prefix's
 * next 8 bits; after pass 3 the prefix is the value's key. */
__global__ void deep3d_onnx_select(const unsigned *sums, unsigned *state, int pass)
{
    int shift = 24 - 8 * pass;

    if (d3_index())
        return;
    for (int s = 0; s < 2; s++) {
        unsigned k = state[D3O_RANK + s], cum = 0;
        int bin;
        for (bin = 0; bin < D3O_BINS - 1; bin++) {
            unsigned c = sums[s * D3O_BINS + bin];
            if (k < cum + c)
                break;
            cum += c;
        }
        state[D3O_RANK + s]    = k - cum;
        state[D3O_PREFIX + s] |= (unsigned)bin << shift;
        if (pass == 3)
            state[D3O_VALUE + s] = d3o_unkey(state[D3O_PREFIX + s]);
    }
}

/*
 * The depth map (n values) as nb_disp + 1 planes of probabilities, with the
 * percentiles of state: deep3d_depthmap.c's steps 2 to 4, in its precision.
 */
__global__ void deep3d_onnx_probs(const float *depth, const unsigned *state, float *probs, int n,
                                  int nb_disp, int disp_min, int disp_max)
{
    long long i = d3_index();
    float lo, hi, t, d, f, w;
    float range = (float)(disp_max - disp_min), dmax = (float)disp_max, dmin = (float)disp_min;
    int k, kmax = nb_disp - 2;

    if (i >= n)
        return;
    lo = d3o_float(state[D3O_VALUE]);
    hi = d3o_float(state[D3O_VALUE + 1]);
    if (hi > lo) {
        double td = ((double)depth[i] - lo) / ((double)hi - lo);
        t = (float)d3_clampd(td, 0.0, 1.0);
    } else {
        t = 0.5f;
    }
    d = (float)((double)dmax - (double)t * range);
    f = d - dmin;
    k = (int)f;
    k = k < kmax ? k : kmax;
    w = f - (float)k;
    for (int p = 0; p <= nb_disp; p++)
        probs[(long long)p * n + i] = p == 1 + k ? 1.0f - w : p == 2 + k ? w : 0.0f;
}

} /* extern "C" */
