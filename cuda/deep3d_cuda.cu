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
 * The GPU twins of deep3d_input.c, deep3d_select.c and deep3d_pack.c for the
 * YUV formats of CUDA frames (nv12, p010, yuv420p, yuv444p). Each computes
 * what its CPU twin computes, in the same float order where it matters, so
 * the two paths agree to within float rounding (tests/fate/deep3d.mak,
 * FATE_HW). Samples are read straight from the frame's planes (pitch in
 * bytes); 16-bit containers hold the value `shift` bits up (p010: 6).
 */

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
 * The motion-weighted moving average of the probability volume, one thread
 * per network pixel; fresh: the state becomes this frame's volume. The input
 * is then kept for the next frame's difference.
 */
static inline __device__ void smooth(const float *in, float *prev, const float *probs, float *state,
                       int npix, int nb_prob, float alpha0, float inv_motion, int fresh)
{
    long long i = d3_index();

    if (i >= npix)
        return;
    if (fresh) {
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

/* ---- entry points: 8-bit and 16-bit containers ---- */

#define INPUT_ARGS                                                                  \
    const unsigned char *py, int pitch_y, const unsigned char *pu, int pitch_u,     \
    const unsigned char *pv, int pitch_v, int w, int h, int cw, int ch,             \
    int uv_comps, int shift, float *dst, int nw, int nh,                            \
    float y_off, float y_mul, float c_off, float c_mul,                             \
    float crv, float cgu, float cgv, float cbu,                                     \
    float scale, float m0, float m1, float m2, int bgr
#define INPUT_PASS py, pitch_y, pu, pitch_u, pv, pitch_v, w, h, cw, ch, uv_comps,   \
    shift, dst, nw, nh, y_off, y_mul, c_off, c_mul, crv, cgu, cgv, cbu,             \
    scale, m0, m1, m2, bgr

#define SELECT_ARGS                                                                 \
    const unsigned char *src, int src_pitch, unsigned char *dst, int dst_pitch,     \
    int w, int h, int comps, int shift, int maxval, const float *probs,             \
    int net_w, int net_h, int nb_disp, const int *shift_int,                        \
    const float *shift_frac, int renormalize
#define SELECT_PASS src, src_pitch, dst, dst_pitch, w, h, comps, shift, maxval,     \
    probs, net_w, net_h, nb_disp, shift_int, shift_frac, renormalize

#define PACK_ARGS                                                                   \
    const unsigned char *src, int src_pitch, unsigned char *dst, int dst_pitch,     \
    int eye_w, int eye_h, int src_w, int src_h, int comps, int half_w, int half_h,  \
    int shift
#define PACK_PASS src, src_pitch, dst, dst_pitch, eye_w, eye_h, src_w, src_h,       \
    comps, half_w, half_h, shift

#define INTERLEAVE_ARGS                                                             \
    const unsigned char *even, int even_pitch, const unsigned char *odd,            \
    int odd_pitch, unsigned char *dst, int dst_pitch, int w, int h, int comps,      \
    int sub_y, int luma_h, int shift, int sub_x, int luma_w, int weave
#define INTERLEAVE_PASS even, even_pitch, odd, odd_pitch, dst, dst_pitch, w, h,     \
    comps, sub_y, luma_h, shift, sub_x, luma_w, weave

#define DEPTH_ARGS                                                                  \
    unsigned char *dst, int dst_pitch, int w, int h, int comps, int shift,          \
    int maxval, int chroma, const float *probs, int net_w, int net_h, int nb_disp
#define DEPTH_PASS dst, dst_pitch, w, h, comps, shift, maxval, chroma, probs,       \
    net_w, net_h, nb_disp

#define ANAGLYPH_ARGS                                                               \
    const unsigned char *ly, const unsigned char *lu, const unsigned char *lv,      \
    int l_pitch_y, int l_pitch_c, const unsigned char *ry, const unsigned char *ru, \
    const unsigned char *rv, int r_pitch_y, int r_pitch_c, unsigned char *dy,       \
    unsigned char *du, unsigned char *dv, int d_pitch_y, int d_pitch_c, int w,      \
    int h, int cw, int ch, int sub_x, int sub_y, int uv_comps, int shift,           \
    int maxval, const float *k, float *uv
#define ANAGLYPH_PASS ly, lu, lv, l_pitch_y, l_pitch_c, ry, ru, rv, r_pitch_y,      \
    r_pitch_c, dy, du, dv, d_pitch_y, d_pitch_c, w, h, cw, ch, sub_x, sub_y,        \
    uv_comps, shift, maxval, k, uv

#define ANAGLYPH_CHROMA_ARGS                                                        \
    const float *uv, int w, int h, unsigned char *du, unsigned char *dv,            \
    int d_pitch_c, int cw, int ch, int sub_x, int sub_y, int uv_comps, int shift,   \
    int maxval, const float *k
#define ANAGLYPH_CHROMA_PASS uv, w, h, du, dv, d_pitch_c, cw, ch, sub_x, sub_y,     \
    uv_comps, shift, maxval, k

#define HARD_ARGS                                                                   \
    const unsigned char *src, int src_pitch, unsigned char *dst, int dst_pitch,     \
    int w, int h, int comps, int shift, int maxval, const float *ed,                \
    int net_w, int net_h, double k, double c, float *scratch
#define HARD_PASS src, src_pitch, dst, dst_pitch, w, h, comps, shift, maxval, ed,   \
    net_w, net_h, k, c, scratch

extern "C" {

__global__ void deep3d_scene_rows(const float *in, const float *prev, float *rows, int net_w,
                                  int nb_rows)
{
    scene_rows(in, prev, rows, net_w, nb_rows);
}
__global__ void deep3d_smooth(const float *in, float *prev, const float *probs, float *state,
                              int npix, int nb_prob, float alpha0, float inv_motion, int fresh)
{
    smooth(in, prev, probs, state, npix, nb_prob, alpha0, inv_motion, fresh);
}
__global__ void deep3d_expected(const float *probs, float *ed, int npix, int nb_disp,
                                int disp_min, float disp_max)
{
    expected(probs, ed, npix, nb_disp, disp_min, disp_max);
}
__global__ void deep3d_dilate(const float *state, const float *ed, float *dst, int net_w,
                              int net_h, int nb_prob, int r)
{
    dilate(state, ed, dst, net_w, net_h, nb_prob, r);
}
__global__ void deep3d_hard_8(HARD_ARGS)     { hard<unsigned char>(HARD_PASS); }
__global__ void deep3d_hard_16(HARD_ARGS)    { hard<unsigned short>(HARD_PASS); }

__global__ void deep3d_input_8(INPUT_ARGS)   { input<unsigned char>(INPUT_PASS); }
__global__ void deep3d_input_16(INPUT_ARGS)  { input<unsigned short>(INPUT_PASS); }
__global__ void deep3d_select_8(SELECT_ARGS) { select<unsigned char>(SELECT_PASS); }
__global__ void deep3d_select_16(SELECT_ARGS){ select<unsigned short>(SELECT_PASS); }
__global__ void deep3d_pack_8(PACK_ARGS)     { pack<unsigned char>(PACK_PASS); }
__global__ void deep3d_pack_16(PACK_ARGS)    { pack<unsigned short>(PACK_PASS); }
__global__ void deep3d_interleave_8(INTERLEAVE_ARGS)  { interleave<unsigned char>(INTERLEAVE_PASS); }
__global__ void deep3d_interleave_16(INTERLEAVE_ARGS) { interleave<unsigned short>(INTERLEAVE_PASS); }
__global__ void deep3d_depth_8(DEPTH_ARGS)   { depth<unsigned char>(DEPTH_PASS); }
__global__ void deep3d_depth_16(DEPTH_ARGS)  { depth<unsigned short>(DEPTH_PASS); }
__global__ void deep3d_anaglyph_8(ANAGLYPH_ARGS)  { anaglyph<unsigned char>(ANAGLYPH_PASS); }
__global__ void deep3d_anaglyph_16(ANAGLYPH_ARGS) { anaglyph<unsigned short>(ANAGLYPH_PASS); }
__global__ void deep3d_anaglyph_chroma_8(ANAGLYPH_CHROMA_ARGS)
{
    anaglyph_chroma<unsigned char>(ANAGLYPH_CHROMA_PASS);
}
__global__ void deep3d_anaglyph_chroma_16(ANAGLYPH_CHROMA_ARGS)
{
    anaglyph_chroma<unsigned short>(ANAGLYPH_CHROMA_PASS);
}

}
