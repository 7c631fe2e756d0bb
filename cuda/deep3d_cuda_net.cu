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
 * and the transposed convolutions; these kernels do the rest of
 * docs/model-format.md section 4 on float NCHW tensors of batch 1: bias and
 * ReLU, 2x2 max pooling fused with the branches' BatchNorm, and the softmax
 * over the K probability channels fused with the last bias.
 *
 * The fp16 network (the *_h kernels) keeps its activations in half, NHWC
 * (channels innermost, the layout of cuDNN's tensor-core convolutions), and
 * computes in float: parameters stay float, every half is widened on load
 * and rounded to nearest even on store. Its input is converted from the
 * float NCHW the input kernel writes, and its softmax writes float NCHW
 * probabilities, so the frame kernels are the same for both precisions.
 */

#include "deep3d_cuda.cuh"

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

extern "C" {

/* x[c][i] = x[c][i] + bias[c], then max(0, .) if relu; n = c * hw elements. */
__global__ void deep3d_bias_act(float *x, const float *bias, int c, int hw, int relu)
{
    long long i = d3_index();
    float v;

    if (i >= (long long)c * hw)
        return;
    v = x[i] + bias[i / hw];
    x[i] = relu && v < 0.0f ? 0.0f : v;
}

/*
 * out = maxpool2x2/2(in) for c channels of h x w (h, w even); and, when bn
 * is not NULL, bn = scale * (out - mean) + beta per channel: BatchNorm with
 * the stored inverse standard deviation folded into scale = gamma * inv_std.
 */
__global__ void deep3d_pool_bn(const float *in, float *out, float *bn,
                               const float *scale, const float *mean, const float *beta,
                               int c, int h, int w)
{
    long long i = d3_index();
    int oh = h / 2, ow = w / 2, ch, oy, ox;
    const float *r0, *r1;
    float m;

    if (i >= (long long)c * oh * ow)
        return;
    ch = i / ((long long)oh * ow);
    oy = i / ow % oh;
    ox = i % ow;
    r0 = in + ((long long)ch * h + 2 * oy) * w + 2 * ox;
    r1 = r0 + w;
    m  = max(max(r0[0], r0[1]), max(r1[0], r1[1]));
    out[i] = m;
    if (bn)
        bn[i] = scale[ch] * (m - mean[ch]) + beta[ch];
}

/*
 * The softmax over k channels at each of hw pixels, after adding the last
 * convolution's bias: one thread per pixel, the maximum subtracted first.
 */
__global__ void deep3d_bias_softmax(float *x, const float *bias, int k, int hw)
{
    long long i = d3_index();
    float mx, sum = 0.0f, inv;
    float *p;

    if (i >= hw)
        return;
    p  = x + i;
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

/* ---- fp16, NHWC ---- */

/* out[p][ch] = half(in[ch][p]): the float NCHW network input to half NHWC. */
__global__ void deep3d_to_half(const float *in, unsigned short *out, int c, int hw)
{
    long long i = d3_index();

    if (i >= (long long)c * hw)
        return;
    out[i] = d3_f2h(in[(i % c) * hw + i / c]);
}

/* deep3d_bias_act on half NHWC: the channel is the innermost index. */
__global__ void deep3d_bias_act_h(unsigned short *x, const float *bias, int c, int hw, int relu)
{
    long long i = d3_index();
    float v;

    if (i >= (long long)c * hw)
        return;
    v = d3_h2f(x[i]) + bias[i % c];
    x[i] = d3_f2h(relu && v < 0.0f ? 0.0f : v);
}

/* deep3d_pool_bn on half NHWC. */
__global__ void deep3d_pool_bn_h(const unsigned short *in, unsigned short *out, unsigned short *bn,
                                 const float *scale, const float *mean, const float *beta,
                                 int c, int h, int w)
{
    long long i = d3_index();
    int oh = h / 2, ow = w / 2, ch, oy, ox;
    const unsigned short *r0, *r1;
    float m;

    if (i >= (long long)c * oh * ow)
        return;
    ch = i % c;
    ox = i / c % ow;
    oy = i / ((long long)c * ow);
    r0 = in + ((long long)2 * oy * w + 2 * ox) * c + ch;
    r1 = r0 + (long long)w * c;
    m  = max(max(d3_h2f(r0[0]), d3_h2f(r0[c])), max(d3_h2f(r1[0]), d3_h2f(r1[c])));
    out[i] = d3_f2h(m);     /* exact: m is one of the inputs */
    if (bn)
        bn[i] = d3_f2h(scale[ch] * (m - mean[ch]) + beta[ch]);
}

/*
 * deep3d_bias_softmax from half NHWC logits (k per pixel) to float NCHW
 * probabilities, the selection kernel's input: computed in float.
 */
__global__ void deep3d_bias_softmax_h(const unsigned short *x, const float *bias, float *probs,
                                      int k, int hw)
{
    long long i = d3_index();
    const unsigned short *p;
    float mx, sum = 0.0f, inv;

    if (i >= hw)
        return;
    p  = x + i * k;
    mx = d3_h2f(p[0]) + bias[0];
    for (int j = 1; j < k; j++)
        mx = max(mx, d3_h2f(p[j]) + bias[j]);
    for (int j = 0; j < k; j++) {
        float e = __expf(d3_h2f(p[j]) + bias[j] - mx);
        probs[(long long)j * hw + i] = e;
        sum += e;
    }
    inv = 1.0f / sum;
    for (int j = 0; j < k; j++)
        probs[(long long)j * hw + i] *= inv;
}

}
