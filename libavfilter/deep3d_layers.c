/*
 * deep3d: the network of a model as a list of layers
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

#include <stdio.h>
#include <string.h>

#include "libavutil/common.h"
#include "libavutil/error.h"

#include "deep3d_layers.h"

typedef struct Builder {
    Deep3DLayers *l;
    int overflow;
    Deep3DLayer spare;      ///< written past the end of the list, never read: the build fails
} Builder;

static int new_buffer(Builder *b)
{
    if (b->l->nb_buffers >= DEEP3D_MAX_BUFFERS) {
        b->overflow = 1;
        return DEEP3D_BUF_INTERNAL;
    }
    return b->l->nb_buffers++;
}

static void grow(Deep3DLayers *l, int buf, Deep3DShape s)
{
    if (buf >= 0)
        l->buffer_elems[buf] = FFMAX(l->buffer_elems[buf], ff_deep3d_shape_elems(s));
}

/* Append a layer; the caller fills in what its op needs beyond these. */
static Deep3DLayer *add(Builder *b, enum Deep3DLayerOp op, const char *name, int src, int dst,
                        Deep3DShape in, Deep3DShape out, const float *w, const float *bias,
                        int relu)
{
    Deep3DLayers *l = b->l;
    Deep3DLayer *layer = &b->spare;

    if (l->nb_layers < DEEP3D_MAX_LAYERS)
        layer = &l->layer[l->nb_layers++];
    else
        b->overflow = 1;
    *layer = (Deep3DLayer){ .op = op, .src = src, .dst = dst, .side = -1, .in = in, .out = out,
                            .w = w, .b = bias, .relu = relu };
    snprintf(layer->name, sizeof(layer->name), "%s", name);
    grow(l, src, in);
    grow(l, dst, out);
    return layer;
}

static void conv3x3(Builder *b, const char *name, int src, int dst, Deep3DShape in, int co,
                    const float *w, const float *bias, int relu)
{
    Deep3DLayer *layer = add(b, DEEP3D_OP_CONV, name, src, dst, in,
                             (Deep3DShape){ co, in.h, in.w }, w, bias, relu);
    layer->k      = 3;
    layer->stride = 1;
    layer->pad    = 1;
}

static void deconv(Builder *b, const char *name, int src, int dst, Deep3DShape in,
                   Deep3DShape out, int k, int s, int p, const float *w, const float *bias,
                   int relu, int accumulate)
{
    Deep3DLayer *layer = add(b, DEEP3D_OP_DECONV, name, src, dst, in, out, w, bias, relu);
    layer->k          = k;
    layer->stride     = s;
    layer->pad        = p;
    layer->accumulate = accumulate;
}

int ff_deep3d_layers_build(Deep3DLayers *l, const Deep3DModel *m)
{
    Builder b = { .l = l };
    int K = m->nb_prob, H = m->in_h, W = m->in_w, cin = 3, h = H, w = W;
    int trunk[2], bn = -1, pred = -1, sum, up, x = DEEP3D_BUF_INPUT, first = 1;
    Deep3DShape half = { K, H / 2, W / 2 };
    char name[24];

    memset(l, 0, sizeof(*l));
    l->nb_buffers = DEEP3D_BUF_INTERNAL;
    trunk[0] = new_buffer(&b);
    trunk[1] = new_buffer(&b);
    sum      = new_buffer(&b);

    for (int s = 0; s < DEEP3D_STAGES; s++) {
        int c = m->stage_channels[s], branch = s < m->nb_branches;
        Deep3DLayer *pool;
        Deep3DShape pooled = { c, h / 2, w / 2 };

        /* the trunk alternates between two buffers */
        for (int i = 0; i < m->stage_convs[s]; i++, cin = c) {
            int y = x == trunk[0] ? trunk[1] : trunk[0];
            snprintf(name, sizeof(name), "conv%d_%d", s + 1, i + 1);
            conv3x3(&b, name, x, y, (Deep3DShape){ cin, h, w }, c,
                    m->conv_w[s][i], m->conv_b[s][i], 1);
            x = y;
        }
        /* pool into the other trunk buffer: it feeds the next stage and the FC head */
        snprintf(name, sizeof(name), "pool%d", s + 1);
        pool = add(&b, DEEP3D_OP_POOL, name, x, x == trunk[0] ? trunk[1] : trunk[0],
                   (Deep3DShape){ c, h, w }, pooled, NULL, NULL, 0);
        x = pool->dst;
        h /= 2;
        w /= 2;
        if (!branch)
            continue;
        /* a branch: BatchNorm of the pooled map, a prediction, upsampled into the sum */
        if (bn < 0) {
            bn   = new_buffer(&b);
            pred = new_buffer(&b);
        }
        pool->side       = bn;
        pool->bn_gamma   = m->bn_gamma[s];
        pool->bn_beta    = m->bn_beta[s];
        pool->bn_mean    = m->bn_mean[s];
        pool->bn_inv_std = m->bn_inv_std[s];
        grow(l, bn, pooled);
        snprintf(name, sizeof(name), "pred%d", s + 1);
        conv3x3(&b, name, bn, pred, pooled, K, m->pred_w[s], m->pred_b[s], 1);
        snprintf(name, sizeof(name), "deconv_pred%d", s + 1);
        deconv(&b, name, pred, sum, (Deep3DShape){ K, h, w }, half, m->deconv_k[s],
               m->deconv_s[s], m->deconv_p[s], m->deconv_w[s], m->deconv_b[s], 0, !first);
        first = 0;
    }

    if (m->arch == DEEP3D_ARCH_ORIGINAL) {
        /* the FC head on pool5; pred5's vector is the (K, h5, w5) map in C order */
        Deep3DShape fc = { m->fc_channels, 1, 1 }, p5 = { K, h, w };
        int fc6 = new_buffer(&b), fc7 = new_buffer(&b), pred5 = new_buffer(&b);
        add(&b, DEEP3D_OP_FC, "fc6", x, fc6, (Deep3DShape){ m->stage_channels[4], h, w }, fc,
            m->fc6_w, m->fc6_b, 1);
        add(&b, DEEP3D_OP_FC, "fc7", fc6, fc7, fc, fc, m->fc7_w, m->fc7_b, 1);
        add(&b, DEEP3D_OP_FC, "pred5", fc7, pred5, fc, p5, m->pred5_w, m->pred5_b, 1);
        deconv(&b, "deconv_pred5", pred5, sum, p5, half, m->deconv_k[4], m->deconv_s[4],
               m->deconv_p[4], m->deconv_w[4], m->deconv_b[4], 0, !first);
    }

    /* the sum of the branches, rectified, upsampled to the input size, refined, softmax */
    up = new_buffer(&b);
    add(&b, DEEP3D_OP_RELU, "relu_sum", sum, sum, half, half, NULL, NULL, 1);
    deconv(&b, "deconv_predup", sum, up, half, (Deep3DShape){ K, H, W }, 4, 2, 1,
           m->up_w, m->up_b, 1, 0);
    conv3x3(&b, "convolution0", up, DEEP3D_BUF_OUTPUT, (Deep3DShape){ K, H, W }, K,
            m->final_w, m->final_b, 0);
    add(&b, DEEP3D_OP_SOFTMAX, "softmax", DEEP3D_BUF_OUTPUT, DEEP3D_BUF_OUTPUT,
        (Deep3DShape){ K, H, W }, (Deep3DShape){ K, H, W }, NULL, NULL, 0);
    return b.overflow ? AVERROR_BUG : 0;
}

double ff_deep3d_layer_macs(const Deep3DLayer *layer)
{
    double out = ff_deep3d_shape_elems(layer->out), f;

    switch (layer->op) {
    case DEEP3D_OP_CONV:
        return out * layer->in.c * layer->k * layer->k;
    case DEEP3D_OP_DECONV:
        /* each output gathers (k / stride)^2 taps per input channel */
        f = layer->k / (double)layer->stride;
        return out * layer->in.c * f * f;
    case DEEP3D_OP_FC:
        return out * ff_deep3d_shape_elems(layer->in);
    default:
        return 0;
    }
}

double ff_deep3d_layers_macs(const Deep3DLayers *l)
{
    double macs = 0;

    for (int i = 0; i < l->nb_layers; i++)
        macs += ff_deep3d_layer_macs(&l->layer[i]);
    return macs;
}
