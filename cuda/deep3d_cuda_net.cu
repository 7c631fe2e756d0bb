/*
 * deep3d: CUDA kernels of the network that cuDNN does not run
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
 * cuDNN runs the convolutions, the fully connected layers (as convolutions)
 * and the last transposed convolution; these kernels do the rest of
 * docs/model-format.md section 4 on float NCHW tensors of n frames, each in
 * one launch for the whole batch: bias and ReLU, 2x2 max pooling fused with
 * the branches' BatchNorm, the transposed convolutions of the branches with
 * their sum, biases and ReLU, and the softmax over the K probability
 * channels fused with the last bias.
 *
 * The fp16 network (the *_h kernels) keeps its activations in half, NHWC
 * (channels innermost, the layout of cuDNN's tensor-core convolutions) with
 * the channel count c padded to a multiple of 8 (cp), the padded channels
 * zero; it computes in float: parameters stay float, every half is widened
 * on load and rounded to nearest even on store. Its input is converted from
 * the float NCHW the input kernel writes, and its softmax writes float NCHW
 * probabilities, so the frame kernels are the same for both precisions.
 */

#include "deep3d_cuda.cuh"
#include "deep3d_cuda_deconv.h"

/* Half without cuda_fp16.h: a PTX conversion on the GPU; in the host
 * emulator (tests/cuda-emu) the unit-tested C conversion of deep3d_half.h,
 * which rounds the same way. */
#ifdef __CUDA_ARCH__
static inline __device__ float d3_h2f(unsigned short h)
{
    float f;
    asm("cvt.f32.f16 %0, %1;" : "=f"(f) : "h"(h));
    return f;
}

static inline __device__ unsigned short d3_f2h(float f)
{
    unsigned short h;
    asm("cvt.rn.f16.f32 %0, %1;" : "=h"(h) : "f"(f));
    return h;
}
#else
#include "deep3d_half.h"
static inline float d3_h2f(unsigned short h) { return ff_deep3d_half_to_float(h); }
static inline unsigned short d3_f2h(float f) { return ff_deep3d_float_to_half(f); }
#endif

/* Loads of the two precisions, widened to float. */
static inline __device__ float d3_load(const float *p, long long i) { return p[i]; }
static inline __device__ float d3_load(const unsigned short *p, long long i) { return d3_h2f(p[i]); }

/*
 * Output channel o (of k) at (n, y, x) of the sum of the transposed
 * convolutions of nb branches (deep3d_cuda_deconv.h), plus their summed
 * bias, rectified. Each branch gathers the taps whose stride phase lands
 * on y and x: input row iy contributes through kernel row
 * ky = y + p - iy * s for ky in [0, k) (cross-correlation, no flip), and
 * likewise for columns; the weight is the model's (ci, co = k, k, k).
 */
template<typename T>
static inline __device__ float d3_deconv_sum(const long long *desc, int nb, const float *bias,
                                             int k, int o, long long n, int y, int x)
{
    float acc = bias[o];

    for (int b = 0; b < nb; b++) {
        const long long *d = desc + b * DEEP3D_DECONV_FIELDS;
        const T *in    = (const T *)d[DEEP3D_DECONV_IN];
        const float *w = (const float *)d[DEEP3D_DECONV_W];
        int c  = (int)d[DEEP3D_DECONV_C],  ih = (int)d[DEEP3D_DECONV_IH];
        int iw = (int)d[DEEP3D_DECONV_IW], kk = (int)d[DEEP3D_DECONV_K];
        int s  = (int)d[DEEP3D_DECONV_S],  ty = y + (int)d[DEEP3D_DECONV_P];
        int tx = x + (int)d[DEEP3D_DECONV_P];
        long long sc = d[DEEP3D_DECONV_SC], sy = d[DEEP3D_DECONV_SY], sx = d[DEEP3D_DECONV_SX];
        long long wc = (long long)k * kk * kk;      /* weight stride of one input channel */

        in += n * d[DEEP3D_DECONV_SN];
        for (int ky = ty % s; ky < kk; ky += s) {
            int iy = (ty - ky) / s;     /* falls as ky rises */
            if (iy < 0)
                break;
            if (iy >= ih)
                continue;
            for (int kx = tx % s; kx < kk; kx += s) {
                int ix = (tx - kx) / s;
                const T *at;
                const float *wt;
                if (ix < 0)
                    break;
                if (ix >= iw)
                    continue;
                at = in + iy * sy + ix * sx;
                wt = w + ((long long)o * kk + ky) * kk + kx;
                for (int ci = 0; ci < c; ci++)
                    acc += d3_load(at, ci * sc) * wt[ci * wc];
            }
        }
    }
    return acc < 0.0f ? 0.0f : acc;
}

extern "C" {

/* x[s][ch][i] += bias[ch], then max(0, .) if relu: n frames of c x hw. */
__global__ void deep3d_bias_act(float *x, const float *bias, int c, int hw, int n, int relu)
{
    long long i = d3_index();
    float v;

    if (i >= (long long)n * c * hw)
        return;
    v = x[i] + bias[i / hw % c];
    x[i] = relu && v < 0.0f ? 0.0f : v;
}

/*
 * out = maxpool2x2/2(in) for n frames of c channels of h x w (h, w even):
 * planes = n * c planes, contiguous; and, when bn is not NULL,
 * bn = scale * (out - mean) + beta per channel: BatchNorm with the stored
 * inverse standard deviation folded into scale = gamma * inv_std.
 */
__global__ void deep3d_pool_bn(const float *in, float *out, float *bn,
                               const float *scale, const float *mean, const float *beta,
                               int c, int h, int w, int n)
{
    long long i = d3_index();
    int oh = h / 2, ow = w / 2, ch, oy, ox;
    long long plane;
    const float *r0, *r1;
    float m;

    if (i >= (long long)n * c * oh * ow)
        return;
    plane = i / ((long long)oh * ow);
    ch = plane % c;
    oy = i / ow % oh;
    ox = i % ow;
    r0 = in + (plane * h + 2 * oy) * w + 2 * ox;
    r1 = r0 + w;
    m  = max(max(r0[0], r0[1]), max(r1[0], r1[1]));
    out[i] = m;
    if (bn)
        bn[i] = scale[ch] * (m - mean[ch]) + beta[ch];
}

/*
 * The softmax over k channels at each of the hw pixels of n frames, after
 * adding the last convolution's bias: one thread per pixel, the maximum
 * subtracted first.
 */
__global__ void deep3d_bias_softmax(float *x, const float *bias, int k, int hw, int n)
{
    long long i = d3_index();
    float mx, sum = 0.0f, inv;
    float *p;

    if (i >= (long long)n * hw)
        return;
    p  = x + i / hw * k * hw + i % hw;
    mx = p[0] + bias[0];
    for (int j = 1; j < k; j++)
        mx = max(mx, p[(long long)j * hw] + bias[j]);
    for (int j = 0; j < k; j++) {
        float e = __expf(p[(long long)j * hw] + bias[j] - mx);
        p[(long long)j * hw] = e;
        sum += e;
    }
    inv = 1.0f / sum;
    for (int j = 0; j < k; j++)
        p[(long long)j * hw] *= inv;
}

/*
 * out = ReLU(bias + sum of the nb branches' transposed convolutions): n
 * frames of k x oh x ow, float NCHW; replaces a cuDNN call per branch and a
 * bias + ReLU pass.
 */
__global__ void deep3d_deconv_sum(const long long *desc, int nb, const float *bias, float *out,
                                  int k, int oh, int ow, int n)
{
    long long i = d3_index();

    if (i >= (long long)n * k * oh * ow)
        return;
    out[i] = d3_deconv_sum<float>(desc, nb, bias, k, (int)(i / ((long long)oh * ow) % k),
                                  i / ((long long)k * oh * ow), (int)(i / ow % oh), (int)(i % ow));
}

/* ---- fp16, NHWC, channels padded ---- */

/* out[s][p][ch] = half(in[s][ch][p]), zero for ch >= c: n frames of float NCHW to padded half NHWC. */
__global__ void deep3d_to_half(const float *in, unsigned short *out, int c, int cp, int hw, int n)
{
    long long i = d3_index(), pix;
    int ch;

    if (i >= (long long)n * hw * cp)
        return;
    ch  = i % cp;
    pix = i / cp;
    out[i] = ch < c ? d3_f2h(in[(pix / hw * c + ch) * hw + pix % hw]) : 0;
}

/* deep3d_bias_act on half NHWC: the channel is the innermost index (cp of them). */
__global__ void deep3d_bias_act_h(unsigned short *x, const float *bias, int cp, int hw, int n,
                                  int relu)
{
    long long i = d3_index();
    float v;

    if (i >= (long long)n * cp * hw)
        return;
    v = d3_h2f(x[i]) + bias[i % cp];
    x[i] = d3_f2h(relu && v < 0.0f ? 0.0f : v);
}

/* deep3d_pool_bn on half NHWC, cp channels. */
__global__ void deep3d_pool_bn_h(const unsigned short *in, unsigned short *out, unsigned short *bn,
                                 const float *scale, const float *mean, const float *beta,
                                 int cp, int h, int w, int n)
{
    long long i = d3_index(), s;
    int oh = h / 2, ow = w / 2, ch, oy, ox;
    const unsigned short *r0, *r1;
    float m;

    if (i >= (long long)n * cp * oh * ow)
        return;
    ch = i % cp;
    ox = i / cp % ow;
    oy = i / ((long long)cp * ow) % oh;
    s  = i / ((long long)cp * ow * oh);
    r0 = in + ((s * h + 2 * oy) * w + 2 * ox) * cp + ch;
    r1 = r0 + (long long)w * cp;
    m  = max(max(d3_h2f(r0[0]), d3_h2f(r0[cp])), max(d3_h2f(r1[0]), d3_h2f(r1[cp])));
    out[i] = d3_f2h(m);     /* exact: m is one of the inputs */
    if (bn)
        bn[i] = d3_f2h(scale[ch] * (m - mean[ch]) + beta[ch]);
}

/*
 * deep3d_bias_softmax from half NHWC logits (k real of kp per pixel) to
 * float NCHW probabilities, the selection kernel's input: computed in float.
 */
__global__ void deep3d_bias_softmax_h(const unsigned short *x, const float *bias, float *probs,
                                      int k, int kp, int hw, int n)
{
    long long i = d3_index();
    const unsigned short *p;
    float mx, sum = 0.0f, inv;
    float *q;

    if (i >= (long long)n * hw)
        return;
    p  = x + i * kp;
    q  = probs + i / hw * k * hw + i % hw;
    mx = d3_h2f(p[0]) + bias[0];
    for (int j = 1; j < k; j++)
        mx = max(mx, d3_h2f(p[j]) + bias[j]);
    for (int j = 0; j < k; j++) {
        float e = __expf(d3_h2f(p[j]) + bias[j] - mx);
        q[(long long)j * hw] = e;
        sum += e;
    }
    inv = 1.0f / sum;
    for (int j = 0; j < k; j++)
        q[(long long)j * hw] *= inv;
}

/* deep3d_deconv_sum from half branches to half NHWC, kp channels (zero from k on). */
__global__ void deep3d_deconv_sum_h(const long long *desc, int nb, const float *bias,
                                    unsigned short *out, int k, int kp, int oh, int ow, int n)
{
    long long i = d3_index(), pix;
    int o;

    if (i >= (long long)n * kp * oh * ow)
        return;
    o   = i % kp;
    pix = i / kp;
    out[i] = o < k ? d3_f2h(d3_deconv_sum<unsigned short>(desc, nb, bias, k, o,
                                                          pix / ((long long)oh * ow),
                                                          (int)(pix / ow % oh), (int)(pix % ow)))
                   : 0;
}

}
