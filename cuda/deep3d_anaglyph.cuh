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
 * Anaglyphs on the GPU: the twin of deep3d_anaglyph.c.
 */

#ifndef DEEP3D_ANAGLYPH_CUH
#define DEEP3D_ANAGLYPH_CUH

#include "deep3d_cuda.cuh"

/* ---- anaglyphs (deep3d_anaglyph.c) ---- */

/*
 * k: the parameter block of deep3d_cuda.c (anaglyph_params): the mix (rows
 * output R, G, B; columns left R, G, B, right R, G, B), the RGB to y, u, v
 * matrix, then y_off, y_mul, c_off, c_mul, crv, cgu, cgv, cbu of
 * ff_deep3d_colour_init().
 */
#define AK_MIX  0
#define AK_INV  18
#define AK_COL  27

/* The chroma of luma pixel (x, y): bilinear between the centre-sited chroma
 * samples of a subsampled plane, edges repeated. */
template<typename T>
static inline __device__ float chroma_at(const unsigned char *p, int pitch, int x, int y,
                                         int cw, int ch, int sub_x, int sub_y, int comps,
                                         int comp, int shift)
{
    float u = d3_clampf((x + 0.5f) / (1 << sub_x) - 0.5f, 0.0f, cw - 1);
    float v = d3_clampf((y + 0.5f) / (1 << sub_y) - 0.5f, 0.0f, ch - 1);
    int x0 = (int)u, y0 = (int)v, x1 = min(x0 + 1, cw - 1), y1 = min(y0 + 1, ch - 1);
    float fx = u - x0, fy = v - y0;
    float a = d3_load<T>(p, pitch, x0, y0, comps, comp, shift);
    float b = d3_load<T>(p, pitch, x1, y0, comps, comp, shift);
    float c = d3_load<T>(p, pitch, x0, y1, comps, comp, shift);
    float d = d3_load<T>(p, pitch, x1, y1, comps, comp, shift);
    float top = a + fx * (b - a), bottom = c + fx * (d - c);
    return top + fy * (bottom - top);
}

/* R, G, B in 0..1 of one eye's pixel (x, y). */
template<typename T>
static inline __device__ void eye_rgb(const unsigned char *py, int pitch_y,
                                      const unsigned char *pu, const unsigned char *pv,
                                      int pitch_c, int x, int y, int cw, int ch,
                                      int sub_x, int sub_y, int uv_comps, int shift,
                                      const float *k, float *rgb)
{
    const float *col = k + AK_COL;
    float yv = (d3_load<T>(py, pitch_y, x, y, 1, 0, shift) - col[0]) * col[1];
    float uv = (chroma_at<T>(pu, pitch_c, x, y, cw, ch, sub_x, sub_y, uv_comps, 0, shift) -
                col[2]) * col[3];
    float vv = (chroma_at<T>(pv, pitch_c, x, y, cw, ch, sub_x, sub_y, uv_comps, uv_comps - 1,
                             shift) - col[2]) * col[3];

    rgb[0] = d3_clampf(yv + col[4] * vv, 0.0f, 1.0f);
    rgb[1] = d3_clampf(yv + col[5] * uv + col[6] * vv, 0.0f, 1.0f);
    rgb[2] = d3_clampf(yv + col[7] * uv, 0.0f, 1.0f);
}

static inline __device__ int to_sample(float s, int maxval)
{
    return d3_clampi((int)(d3_clampf(s, -1.0f, maxval + 1.0f) + 0.5f), 0, maxval);
}

/*
 * One pixel per thread: both eyes to RGB (chroma interpolated to the pixel),
 * mixed, clipped, and back to y, u, v with the frame's matrix. Y is stored;
 * u and v are stored too when the chroma is not subsampled, else written to
 * uv (2 x w x h floats) for anaglyph_chroma.
 */
template<typename T>
static inline __device__ void anaglyph(const unsigned char *ly, const unsigned char *lu,
                                       const unsigned char *lv, int l_pitch_y, int l_pitch_c,
                                       const unsigned char *ry, const unsigned char *ru,
                                       const unsigned char *rv, int r_pitch_y, int r_pitch_c,
                                       unsigned char *dy, unsigned char *du, unsigned char *dv,
                                       int d_pitch_y, int d_pitch_c, int w, int h, int cw,
                                       int ch, int sub_x, int sub_y, int uv_comps, int shift,
                                       int maxval, const float *k, float *uv)
{
    int x = d3_x(), y = d3_y();
    const float *m = k + AK_MIX, *inv = k + AK_INV, *col = k + AK_COL;
    float in[6], out[3], yy, u, v;

    if (x >= w || y >= h)
        return;
    eye_rgb<T>(ly, l_pitch_y, lu, lv, l_pitch_c, x, y, cw, ch, sub_x, sub_y, uv_comps, shift,
               k, in);
    eye_rgb<T>(ry, r_pitch_y, ru, rv, r_pitch_c, x, y, cw, ch, sub_x, sub_y, uv_comps, shift,
               k, in + 3);
    for (int c = 0; c < 3; c++) {
        float sum = 0.0f;
        for (int j = 0; j < 6; j++)
            sum += m[c * 6 + j] * in[j];
        out[c] = d3_clampf(sum, 0.0f, 1.0f);
    }
    yy = inv[0] * out[0] + inv[1] * out[1] + inv[2] * out[2];
    u  = inv[3] * out[0] + inv[4] * out[1] + inv[5] * out[2];
    v  = inv[6] * out[0] + inv[7] * out[1] + inv[8] * out[2];
    d3_store<T>(dy, d_pitch_y, x, y, 1, 0, shift, to_sample(yy / col[1] + col[0], maxval));
    if (!sub_x && !sub_y) {
        d3_store<T>(du, d_pitch_c, x, y, uv_comps, 0, shift, to_sample(u / col[3] + col[2], maxval));
        d3_store<T>(dv, d_pitch_c, x, y, uv_comps, uv_comps - 1, shift,
                    to_sample(v / col[3] + col[2], maxval));
    } else {
        uv[(long long)y * w + x] = u;
        uv[(long long)w * h + (long long)y * w + x] = v;
    }
}

/*
 * Subsampled chroma of the mixed picture: the full-resolution u and v
 * filtered by the 2:1 triangle (1 3 3 1) / 8 along each subsampled axis,
 * centred on the chroma sample, edges repeated.
 */
template<typename T>
static inline __device__ void anaglyph_chroma(const float *uv, int w, int h, unsigned char *du,
                                              unsigned char *dv, int d_pitch_c, int cw, int ch,
                                              int sub_x, int sub_y, int uv_comps, int shift,
                                              int maxval, const float *k)
{
    const float *col = k + AK_COL;
    const float tw[4] = { 0.125f, 0.375f, 0.375f, 0.125f };
    int cx = d3_x(), cy = d3_y();
    float su = 0.0f, sv = 0.0f;

    if (cx >= cw || cy >= ch)
        return;
    for (int j = 0; j < (sub_y ? 4 : 1); j++) {
        int yy = sub_y ? d3_clampi(2 * cy - 1 + j, 0, h - 1) : cy;
        float wy = sub_y ? tw[j] : 1.0f;
        for (int i = 0; i < (sub_x ? 4 : 1); i++) {
            int xx = sub_x ? d3_clampi(2 * cx - 1 + i, 0, w - 1) : cx;
            float wgt = wy * (sub_x ? tw[i] : 1.0f);
            su += wgt * uv[(long long)yy * w + xx];
            sv += wgt * uv[(long long)w * h + (long long)yy * w + xx];
        }
    }
    d3_store<T>(du, d_pitch_c, cx, cy, uv_comps, 0, shift, to_sample(su / col[3] + col[2], maxval));
    d3_store<T>(dv, d_pitch_c, cx, cy, uv_comps, uv_comps - 1, shift,
                to_sample(sv / col[3] + col[2], maxval));
}

#endif /* DEEP3D_ANAGLYPH_CUH */
