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
 * The soft renderer and the packing of both eyes in one kernel: the twin of
 * deep3d_render_soft.c followed by deep3d_pack.c, without the rendered eye
 * ever being a frame.
 */

#ifndef DEEP3D_RENDER_PACK_CUH
#define DEEP3D_RENDER_PACK_CUH

#include "deep3d_cuda.cuh"
#include "deep3d_cuda_frame.h"

#define RP_MAX_COMPS 2

/*
 * Sample (x, y) of the rendered eye of a plane (docs/model-format.md section
 * 5), rounded and clamped: the probabilities of planes 1..D sampled
 * bilinearly where the host's tables say, each weighing the input row shifted
 * by s_k = -(shift_int[k] + shift_frac[k]) samples, linearly interpolated,
 * edge samples repeated; in deep3d_render_soft.c's float order, each product
 * and sum rounded on its own.
 */
/*
 * The input rows of a tile in shared memory: row r holds samples
 * clamp(lo + j) of row ry0 + r, j < width, as floats, components
 * interleaved; null when they do not fit (read from the frame instead).
 */
typedef struct RowSegment {
    const float *f;
    int lo, width, ry0;
} RowSegment;

template<typename T>
static inline __device__ void render_sample(const Deep3DRenderPackArgs &a, int p, int x, int y,
                                            int *out, const RowSegment *seg)
{
    const int t = a.chroma[p], w = a.w[p], comps = a.comps[p];
    const Deep3DSampleAxis *s = &a.sample[t];
    const unsigned char *src = (const unsigned char *)a.src[p];
    const int *si = (const int *)a.shift_int[t];
    const float *sf = (const float *)a.shift_frac[t];
    long long plane = (long long)a.net_w * a.net_h;
    int x0 = ((const int *)s->x0)[x], y0 = ((const int *)s->y0)[y];
    int x1 = min(x0 + 1, a.net_w - 1), y1 = min(y0 + 1, a.net_h - 1);
    float fx = ((const float *)s->fx)[x], fy = ((const float *)s->fy)[y];
    float acc[RP_MAX_COMPS] = { 0.0f }, mass = 0.0f;
    const float *pr = (const float *)a.probs + plane;

    for (int k = 0; k < a.nb_disp; k++, pr += plane) {
        const float *r0 = pr + (long long)y0 * a.net_w, *r1 = pr + (long long)y1 * a.net_w;
        float h0 = d3_add(r0[x0], d3_mul(fx, d3_add(r0[x1], -r0[x0])));
        float h1 = d3_add(r1[x0], d3_mul(fx, d3_add(r1[x1], -r1[x0])));
        float pt = d3_add(h0, d3_mul(fy, d3_add(h1, -h0)));
        float f  = sf[k], g = d3_add(1.0f, -f);
        int xs = x + si[k];
        int i0 = d3_clampi(xs, 0, w - 1), i1 = d3_clampi(xs + 1, 0, w - 1);

        mass = d3_add(mass, pt);
        for (int c = 0; c < comps; c++) {
            float l0, l1;
            if (seg->f) {
                /* x + s_k and the next sample lie in the segment: its clamp is the frame's */
                const float *r = seg->f + ((long long)(y - seg->ry0) * seg->width + xs - seg->lo) * comps;
                l0 = r[c];
                l1 = r[comps + c];
            } else {
                l0 = (float)d3_load<T>(src, a.src_pitch[p], i0, y, comps, c, a.shift);
                l1 = (float)d3_load<T>(src, a.src_pitch[p], i1, y, comps, c, a.shift);
            }
            acc[c] = d3_add(acc[c], d3_mul(pt, d3_add(d3_mul(g, l0), d3_mul(f, l1))));
        }
    }
    for (int c = 0; c < comps; c++) {
        float o = a.renormalize && mass > 0.0f ? acc[c] / mass : acc[c];
        out[c] = d3_clampi((int)d3_add(o, 0.5f), 0, a.maxval);
    }
}

/*
 * One output tile of plane blockIdx.z: the rendered samples it needs (2:1
 * squeezed layouts: twice as many) into shared memory, computed once each by
 * the block's threads; a barrier; then each thread writes its sample of both
 * eyes: the input eye copied or squeezed from the frame, the rendered one
 * from the tile (deep3d_pack.c: copies keep the container's value, the
 * squeezed means are rounded half up; interleaved layouts: the owner's
 * sample, or the rounded mean where a chroma sample covers both eyes).
 * Shared memory: (TILE_W << half_w) x (TILE_H << half_h) x comps ints, then
 * the input rows (TILE_H << half_h) x seg_cap x comps floats.
 */
template<typename T>
static inline __device__ void render_pack(const Deep3DRenderPackArgs &a)
{
    const int p = blockIdx.z;
    const int tid = threadIdx.y * blockDim.x + threadIdx.x, nt = blockDim.x * blockDim.y;
    int *tile = D3_SMEM(int);
    int ox0, oy0, rx0, ry0, rw, rh, w, h, comps, shift, x, y;

    if (p >= a.nb_planes)
        return;
    /* blocks beyond this plane's eye: all threads of the block leave together */
    ox0 = blockIdx.x * DEEP3D_RP_TILE_W;
    oy0 = blockIdx.y * DEEP3D_RP_TILE_H;
    if (ox0 >= a.eye_w[p] || oy0 >= a.eye_h[p])
        return;
    w = a.w[p];
    h = a.h[p];
    comps = a.comps[p];
    shift = a.shift;
    rx0 = ox0 << a.half_w;
    ry0 = oy0 << a.half_h;
    rw  = DEEP3D_RP_TILE_W << a.half_w;
    rh  = DEEP3D_RP_TILE_H << a.half_h;

    /* the input rows the tile's shifts reach, staged in shared memory when the
     * span of the shift table (read here: convergence=auto writes it on the
     * device) fits a.seg_cap samples; the decision is the same for every
     * thread of the block */
    {
        const int *si = (const int *)a.shift_int[a.chroma[p]];
        RowSegment seg = { 0 };
        int smin = si[0], smax = si[0];

        for (int k = 1; k < a.nb_disp; k++) {
            smin = min(smin, si[k]);
            smax = max(smax, si[k]);
        }
        seg.lo    = rx0 + smin;
        seg.width = rw + smax - smin + 1;
        seg.ry0   = ry0;
        if (a.rendered && seg.width <= a.seg_cap) {
            float *f = (float *)(tile + rw * rh * comps);
            const unsigned char *src = (const unsigned char *)a.src[p];
            for (int i = tid; i < rh * seg.width * comps; i += nt) {
                int c = i % comps, j = i / comps % seg.width, r = i / comps / seg.width;
                if (ry0 + r < h)
                    f[i] = (float)d3_load<T>(src, a.src_pitch[p], d3_clampi(seg.lo + j, 0, w - 1),
                                             ry0 + r, comps, c, shift);
            }
            seg.f = f;
        }
        __syncthreads();
        if (a.rendered)
            for (int i = tid; i < rw * rh; i += nt) {
                int rx = rx0 + i % rw, ry = ry0 + i / rw;
                if (rx < w && ry < h)
                    render_sample<T>(a, p, rx, ry, tile + i * comps, &seg);
            }
    }
    __syncthreads();

    x = ox0 + threadIdx.x;
    y = oy0 + threadIdx.y;
    if (x >= a.eye_w[p] || y >= a.eye_h[p])
        return;
#define TILE(xx, yy, c) tile[(((yy) - ry0) * rw + (xx) - rx0) * comps + (c)]
    if (a.weave) {
        /* both eyes at the input size; deep3d_pack.cuh interleave() */
        int luma0 = y << a.sub_y[p], luma1 = min((y + 1) << a.sub_y[p], a.luma_h);
        int col0  = x << a.sub_x[p], col1  = min((x + 1) << a.sub_x[p], a.luma_w);
        int both, odd;
        unsigned char *out = (unsigned char *)a.out[p];
        const unsigned char *src = (const unsigned char *)a.src[p];

        if (a.weave == 1) {
            both = luma1 - luma0 > 1;
            odd  = luma0 & 1;
        } else if (a.weave == 2) {
            both = col1 - col0 > 1;
            odd  = col0 & 1;
        } else {
            both = luma1 - luma0 > 1 || col1 - col0 > 1;
            odd  = (luma0 + col0) & 1;
        }
        for (int c = 0; c < comps; c++) {
            int r = TILE(x, y, c), v;
            if (both)
                v = ((d3_load<T>(src, a.src_pitch[p], x, y, comps, c, shift) + r + 1) >> 1) << shift;
            else if (odd == a.odd_rendered)
                v = r << shift;
            else
                v = d3_load<T>(src, a.src_pitch[p], x, y, comps, c, 0);
            d3_store<T>(out, a.dst_pitch[p], x, y, comps, c, 0, v);
        }
        return;
    }
    {
        int x0 = a.half_w ? 2 * x : x, x1 = a.half_w ? min(2 * x + 1, w - 1) : x;
        int y0 = a.half_h ? 2 * y : y, y1 = a.half_h ? min(2 * y + 1, h - 1) : y;
        int squeeze = a.half_w || a.half_h;
        const unsigned char *src = (const unsigned char *)a.src[p];

        if (a.in[p]) {
            unsigned char *out = (unsigned char *)a.in[p];
            for (int c = 0; c < comps; c++) {
                int v;
                if (!squeeze) {
                    /* a plain copy keeps the container's value, low bits included */
                    v = d3_load<T>(src, a.src_pitch[p], x, y, comps, c, 0);
                } else {
                    int p00 = d3_load<T>(src, a.src_pitch[p], x0, y0, comps, c, shift);
                    int p01 = d3_load<T>(src, a.src_pitch[p], x1, y0, comps, c, shift);
                    int p10 = d3_load<T>(src, a.src_pitch[p], x0, y1, comps, c, shift);
                    int p11 = d3_load<T>(src, a.src_pitch[p], x1, y1, comps, c, shift);
                    v = (a.half_w && a.half_h ? (p00 + p01 + p10 + p11 + 2) >> 2 :
                         a.half_w ? (p00 + p01 + 1) >> 1 : (p00 + p10 + 1) >> 1) << shift;
                }
                d3_store<T>(out, a.dst_pitch[p], x, y, comps, c, 0, v);
            }
        }
        if (a.rend[p]) {
            unsigned char *out = (unsigned char *)a.rend[p];
            for (int c = 0; c < comps; c++) {
                int p00 = TILE(x0, y0, c), p01 = TILE(x1, y0, c);
                int p10 = TILE(x0, y1, c), p11 = TILE(x1, y1, c);
                int v = !squeeze ? p00 :
                        a.half_w && a.half_h ? (p00 + p01 + p10 + p11 + 2) >> 2 :
                        a.half_w ? (p00 + p01 + 1) >> 1 : (p00 + p10 + 1) >> 1;
                d3_store<T>(out, a.dst_pitch[p], x, y, comps, c, shift, v);
            }
        }
    }
#undef TILE
}

#endif /* DEEP3D_RENDER_PACK_CUH */
