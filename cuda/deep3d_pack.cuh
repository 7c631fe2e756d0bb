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
 * Packing and interleaving the eyes on the GPU: the twin of deep3d_pack.c.
 */

#ifndef DEEP3D_PACK_CUH
#define DEEP3D_PACK_CUH

#include "deep3d_cuda.cuh"

/* ---- packing (deep3d_pack.c) ---- */

/*
 * One eye of one plane into its place in the output: copied, or squeezed 2:1
 * (half_w / half_h) by the rounded mean of 2 or 4 samples, last column / row
 * repeated for an odd source size. dst points at the eye's top-left sample.
 */
template<typename T>
static inline __device__ void pack(const unsigned char *src, int src_pitch,
                                   unsigned char *dst, int dst_pitch,
                                   int eye_w, int eye_h, int src_w, int src_h,
                                   int comps, int half_w, int half_h, int shift)
{
    int x = d3_x(), y = d3_y();
    int x0, x1, y0, y1;

    if (x >= eye_w || y >= eye_h)
        return;
    if (!half_w && !half_h) {
        /* a plain copy keeps the container's value, low bits included */
        for (int c = 0; c < comps; c++)
            d3_store<T>(dst, dst_pitch, x, y, comps, c, 0,
                        d3_load<T>(src, src_pitch, x, y, comps, c, 0));
        return;
    }
    x0 = half_w ? 2 * x : x;
    x1 = half_w ? min(2 * x + 1, src_w - 1) : x;
    y0 = half_h ? 2 * y : y;
    y1 = half_h ? min(2 * y + 1, src_h - 1) : y;
    for (int c = 0; c < comps; c++) {
        int p00 = d3_load<T>(src, src_pitch, x0, y0, comps, c, shift);
        int p01 = d3_load<T>(src, src_pitch, x1, y0, comps, c, shift);
        int p10 = d3_load<T>(src, src_pitch, x0, y1, comps, c, shift);
        int p11 = d3_load<T>(src, src_pitch, x1, y1, comps, c, shift);
        int v = half_w && half_h ? (p00 + p01 + p10 + p11 + 2) >> 2 :
                half_w           ? (p00 + p01 + 1) >> 1 : (p00 + p10 + 1) >> 1;
        d3_store<T>(dst, dst_pitch, x, y, comps, c, shift, v);
    }
}

/*
 * Interleaved eyes (deep3d_pack.c, pack_interleaved): sample (x, y) of a plane
 * is the same sample of the eye owning the first luma pixel it covers (weave
 * 1: by its row's parity, 2: its column's, 3: their sum's; the even eye owns
 * the even ones); a sample of subsampled chroma covering luma pixels of both
 * eyes is the rounded mean of the two eyes' samples. Copies keep the
 * container's value.
 */
template<typename T>
static inline __device__ void interleave(const unsigned char *even, int even_pitch,
                                         const unsigned char *odd, int odd_pitch,
                                         unsigned char *dst, int dst_pitch, int w, int h,
                                         int comps, int sub_y, int luma_h, int shift,
                                         int sub_x, int luma_w, int weave)
{
    int x = d3_x(), y = d3_y();
    int luma0, luma1, col0, col1, both, odd_eye;

    if (x >= w || y >= h)
        return;
    luma0 = y << sub_y;
    luma1 = min((y + 1) << sub_y, luma_h);
    col0  = x << sub_x;
    col1  = min((x + 1) << sub_x, luma_w);
    if (weave == 1) {
        both    = luma1 - luma0 > 1;
        odd_eye = luma0 & 1;
    } else if (weave == 2) {
        both    = col1 - col0 > 1;
        odd_eye = col0 & 1;
    } else {
        both    = luma1 - luma0 > 1 || col1 - col0 > 1;
        odd_eye = (luma0 + col0) & 1;
    }
    for (int c = 0; c < comps; c++) {
        int v;
        if (both)
            v = ((d3_load<T>(even, even_pitch, x, y, comps, c, shift) +
                  d3_load<T>(odd, odd_pitch, x, y, comps, c, shift) + 1) >> 1) << shift;
        else
            v = odd_eye ? d3_load<T>(odd, odd_pitch, x, y, comps, c, 0) :
                          d3_load<T>(even, even_pitch, x, y, comps, c, 0);
        d3_store<T>(dst, dst_pitch, x, y, comps, c, 0, v);
    }
}

#endif /* DEEP3D_PACK_CUH */
