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
 * The temporal steps at network resolution on the GPU: the twin of
 * deep3d_temporal.c.
 */

#ifndef DEEP3D_TEMPORAL_CUH
#define DEEP3D_TEMPORAL_CUH

#include "deep3d_cuda.cuh"

/* ---- temporal steps and edges at network resolution (deep3d_temporal.c) ---- */

static inline __device__ float d3_absf(float v)
{
    return v < 0.0f ? -v : v;
}

/* Sum of |in - prev| over each of the nb_rows rows (3 x net_h), in order:
 * one thread per row, as the CPU adds them. */
static inline __device__ void scene_rows(const float *in, const float *prev, float *rows, int net_w, int nb_rows)
{
    long long r = d3_index();
    const float *a, *b;
    float sum = 0.0f;

    if (r >= nb_rows)
        return;
    a = in + r * net_w;
    b = prev + r * net_w;
    for (int x = 0; x < net_w; x++)
        sum += d3_absf(a[x] - b[x]);
    rows[r] = sum;
}

/*
 * The scene-cut decision of deep3d_temporal.c on the device, one thread: the
 * row sums added in order in double, the distance in 8-bit levels as
 * ff_deep3d_temporal_distance() computes it (denom = 3.0 * net_w * net_h,
 * levels = 255.0f / input_scale), and the comparison with scenecut in
 * double. Launched for every frame (a CUDA graph keeps its shape); measure
 * 0 (a frame the host resets anyway): no cut. *cut stays on the device for
 * the smoothing and auto convergence; the distance goes to *dist, pinned
 * host memory, for the log, read there a batch later without a wait.
 */
static inline __device__ void scene_decide(const float *rows, int nb_rows, double denom,
                                           float levels, float scenecut, int measure, int *cut,
                                           double *dist)
{
    double sum = 0.0, d;

    if (d3_index() != 0)
        return;
    if (!measure) {
        *cut = 0;
        return;
    }
    for (int r = 0; r < nb_rows; r++)
        sum += rows[r];
    d = sum / denom * (double)levels;
    *dist = d;
    *cut  = d > (double)scenecut;
}

/*
 * The motion-weighted moving average of the probability volume, one thread
 * per network pixel; fresh (or *cut, the scene-cut decision on the device,
 * when cut is set): the state becomes this frame's volume. The input is then
 * kept for the next frame's difference.
 */
static inline __device__ void smooth(const float *in, float *prev, const float *probs, float *state,
                       int npix, int nb_prob, float alpha0, float inv_motion, int fresh,
                       const int *cut)
{
    long long i = d3_index();

    if (i >= npix)
        return;
    if (fresh || (cut && *cut)) {
        for (int k = 0; k < nb_prob; k++)
            state[k * (long long)npix + i] = probs[k * (long long)npix + i];
    } else {
        float d = (d3_absf(in[i] - prev[i]) + d3_absf(in[npix + i] - prev[npix + i]) +
                   d3_absf(in[2LL * npix + i] - prev[2LL * npix + i])) * inv_motion;
        float w = d < 1.0f ? d : 1.0f;
        float a = alpha0 + (1.0f - alpha0) * w * w;
        for (int k = 0; k < nb_prob; k++) {
            float *st = &state[k * (long long)npix + i];
            float v = *st + a * (probs[k * (long long)npix + i] - *st);
            *st = v >= 1e-30f ? v : 0.0f;
        }
    }
    for (int c = 0; c < 3; c++)
        prev[c * (long long)npix + i] = in[c * (long long)npix + i];
}

/* Expected disparity over planes 1..D of every network pixel. */
static inline __device__ void expected(const float *probs, float *ed, int npix, int nb_disp, int disp_min,
                         float disp_max)
{
    long long i = d3_index();
    float sum = 0.0f, mass = 0.0f;

    if (i >= npix)
        return;
    for (int k = 0; k < nb_disp; k++) {
        float pk = probs[(k + 1) * (long long)npix + i];
        sum  += pk * (float)(disp_min + k);
        mass += pk;
    }
    ed[i] = mass > 0.0f ? sum / mass : disp_max;
}

/* Near-side dilation: the probabilities of the nearest pixel in the square of
 * radius r, ties to the first in scan order (the CPU's separable search picks
 * the same pixel). */
static inline __device__ void dilate(const float *state, const float *ed, float *dst, int net_w, int net_h,
                       int nb_prob, int r)
{
    int x = d3_x(), y = d3_y(), best;
    long long npix = (long long)net_w * net_h;

    if (x >= net_w || y >= net_h)
        return;
    best = max(0, y - r) * net_w + max(0, x - r);
    for (int yy = max(0, y - r); yy <= min(net_h - 1, y + r); yy++)
        for (int xx = max(0, x - r); xx <= min(net_w - 1, x + r); xx++)
            if (ed[yy * net_w + xx] < ed[best])
                best = yy * net_w + xx;
    for (int k = 0; k < nb_prob; k++)
        dst[k * npix + (long long)y * net_w + x] = state[k * npix + best];
}

#endif /* DEEP3D_TEMPORAL_CUH */
