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
 */

#include "deep3d_cuda.cuh"

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

}
