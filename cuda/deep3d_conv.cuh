/*
 * deep3d: convergence=auto on the GPU
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
 * convergence=auto on the device: the twin of ff_deep3d_temporal_auto_conv()
 * (deep3d_temporal.c), so the host neither waits for the stream nor copies
 * the expected disparity back each frame. The histogram kernel bins the
 * expected disparity (integer counts: the order of the atomic additions does
 * not matter); one thread then takes the percentiles, smooths the decision
 * in the state it keeps on the device, and writes the shift tables the
 * renderers read, exactly as the host computes them (upload_params() and
 * ff_deep3d_shift()). Every double operation is rounded on its own (no fused
 * multiply-add, which the compiler would otherwise form), so the bits are
 * those of the CPU path. The constants come from deep3d_autoconv.h and the
 * host (Deep3DConvConsts), in the CPU's own precision.
 */

#ifndef DEEP3D_CONV_CUH
#define DEEP3D_CONV_CUH

#include "deep3d_cuda.cuh"
#include "deep3d_autoconv.h"

#ifdef __CUDA_ARCH__
static inline __device__ double d3_dmul(double a, double b)
{
    double r;
    asm("mul.rn.f64 %0, %1, %2;" : "=d"(r) : "d"(a), "d"(b));
    return r;
}
static inline __device__ double d3_dadd(double a, double b)
{
    double r;
    asm("add.rn.f64 %0, %1, %2;" : "=d"(r) : "d"(a), "d"(b));
    return r;
}
/* a division the compiler cannot turn into a product to fuse (x / 1024) */
static inline __device__ double d3_ddiv(double a, double b)
{
    double r;
    asm("div.rn.f64 %0, %1, %2;" : "=d"(r) : "d"(a), "d"(b));
    return r;
}
#else
/* the host emulator (tests/cuda-emu): x86-64 has no contraction without FMA */
static inline double d3_dmul(double a, double b) { return a * b; }
static inline double d3_dadd(double a, double b) { return a + b; }
static inline double d3_ddiv(double a, double b) { return a / b; }
#endif

/* The histogram bin of every network pixel's expected disparity. */
static inline __device__ void conv_hist(const float *ed, int npix, int disp_min, double range,
                                        unsigned *hist)
{
    long long i = d3_index();
    int b;

    if (i >= npix)
        return;
    b = range > 0 ? (int)d3_dmul(d3_ddiv((double)(ed[i] - (float)disp_min), range),
                                 DEEP3D_CONV_HIST_BINS) : 0;
    atomicAdd(&hist[d3_clampi(b, 0, DEEP3D_CONV_HIST_BINS - 1)], 1u);
}

static inline __device__ double conv_percentile(const unsigned *hist, const Deep3DConvConsts *k,
                                                unsigned long long target, int disp_max)
{
    unsigned long long acc = 0;

    if (k->range <= 0)
        return k->lo;
    for (int b = 0; b < DEEP3D_CONV_HIST_BINS; b++) {
        acc += hist[b];
        if (acc >= target)
            return d3_dadd(k->lo, d3_ddiv(d3_dmul(b + 0.5, k->range), DEEP3D_CONV_HIST_BINS));
    }
    return disp_max;
}

/* One plane's shift table (upload_params()'s shift_table()) and the hard
 * renderer's gain and offset for a plane of width w. */
static inline __device__ void conv_table(float strength, float convergence, int disp_min,
                                         int disp_width, int nb_disp, int w, int *si, float *sf,
                                         double *kc)
{
    double gain   = d3_dmul(d3_ddiv((double)strength, (double)disp_width), (double)w);
    double offset = d3_dmul(d3_ddiv((double)convergence, 100.0), (double)w);

    for (int d = 0; d < nb_disp; d++) {
        double s = d3_dadd(d3_dmul((double)(disp_min + d), gain), offset);
        double a = floor(-s);
        si[d] = (int)a;
        sf[d] = (float)(-s - a);
    }
    kc[0] = gain;
    kc[1] = offset;
}

/*
 * The decision, one thread. state: conv, gain (percent of the width, depth
 * gain) across frames; reset: this frame starts afresh on the host's word,
 * or *cut (the scene-cut decision on the device) when cut is set. The shift
 * tables go to tables (luma ints, luma floats, chroma ints, chroma floats,
 * nb_disp each) and the hard renderer's gain and offset per plane to kc; the
 * numbers for the log to *report when set. The histogram is cleared for the
 * next frame.
 */
static inline __device__ void conv_decide(unsigned *hist, Deep3DConvConsts k, double *state,
                                          int reset, const int *cut, float strength,
                                          int disp_min, int disp_max, int disp_width,
                                          int nb_disp, int luma_w, int chroma_w,
                                          unsigned char *tables, double *kc,
                                          Deep3DConvReport *report)
{
    double e_q, e_lo, e_hi, spread, target_g, target_c, g, c, c_min, c_max, hi;
    float st, cf;

    if (d3_index() != 0)
        return;
    e_q  = d3_dmul(conv_percentile(hist, &k, k.target_q, disp_max), k.to_pct);
    e_lo = d3_dmul(conv_percentile(hist, &k, k.target_lo, disp_max), k.to_pct);
    e_hi = d3_dmul(conv_percentile(hist, &k, k.target_hi, disp_max), k.to_pct);
    spread   = e_hi - e_lo;
    target_g = spread > k.budget ? d3_ddiv(k.budget, spread) : 1.0;
    target_c = d3_dmul(-e_q, target_g);
    if (reset || (cut && *cut) || !k.smooth) {
        state[0] = target_c;
        state[1] = target_g;
    } else {
        state[0] = d3_dadd(state[0], d3_dmul(k.a, target_c - state[0]));
        state[1] = d3_dadd(state[1], d3_dmul(k.a, target_g - state[1]));
    }
    /* hard limits on this frame: FFMIN, av_clipd as the CPU writes them */
    g     = state[1] > target_g ? target_g : state[1];
    c_min = -k.max_popout - d3_dmul(g, e_lo);
    c_max =  k.max_depth  - d3_dmul(g, e_hi);
    hi    = c_min > c_max ? c_min : c_max;
    c = state[0] > c_min ? state[0] : c_min;
    c = c > hi ? hi : c;
    c = c > -DEEP3D_CONV_MAX ? c : -DEEP3D_CONV_MAX;
    c = c > DEEP3D_CONV_MAX ? DEEP3D_CONV_MAX : c;
    /* the render parameters of the CPU path: float strength and convergence */
    st = (float)d3_dmul((double)strength, g);
    cf = (float)c;
    conv_table(st, cf, disp_min, disp_width, nb_disp, luma_w, (int *)tables,
               (float *)(tables + 4 * nb_disp), kc);
    conv_table(st, cf, disp_min, disp_width, nb_disp, chroma_w, (int *)(tables + 8 * nb_disp),
               (float *)(tables + 12 * nb_disp), kc + 2);
    if (report) {
        report->conv   = c;
        report->target = target_c;
        report->gain   = g;
        report->par_lo = d3_dadd(d3_dmul(g, e_lo), c);
        report->par_hi = d3_dadd(d3_dmul(g, e_hi), c);
    }
    for (int b = 0; b < DEEP3D_CONV_HIST_BINS; b++)
        hist[b] = 0;
}

#endif /* DEEP3D_CONV_CUH */
