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

#ifndef AVFILTER_DEEP3D_LAYERS_H
#define AVFILTER_DEEP3D_LAYERS_H

#include <stddef.h>

#include "deep3d_model.h"

/*
 * The topology of docs/model-format.md section 4, written once: the CPU
 * engine (deep3d_net.c) and the CUDA engine (deep3d_cuda_net.c) execute this
 * list in order and know nothing of architectures. Every activation lives in
 * a numbered buffer; a layer reads src and writes dst (and POOL's BatchNorm
 * side). Buffer 0 is the network input (3 x in_h x in_w, model channel
 * order, scaled and mean-subtracted), buffer 1 the output (nb_prob x in_h x
 * in_w); the others are the engine's, sized by buffer_elems.
 */

enum Deep3DLayerOp {
    DEEP3D_OP_CONV,         ///< 3x3, pad 1, stride 1: dst = conv(src) + b, then ReLU if relu
    DEEP3D_OP_POOL,         ///< 2x2 max, stride 2; with bn_*: side = BatchNorm(dst)
    DEEP3D_OP_DECONV,       ///< transposed k x k: dst (+)= deconv(src) + b, ReLU if relu
    DEEP3D_OP_FC,           ///< dst = W src + b (both flattened in C order), ReLU if relu
    DEEP3D_OP_RELU,         ///< in place: src == dst
    DEEP3D_OP_SOFTMAX,      ///< over the channels at each pixel, in place: src == dst
};

enum {
    DEEP3D_BUF_INPUT,
    DEEP3D_BUF_OUTPUT,
    DEEP3D_BUF_INTERNAL,    ///< the first of the engine's buffers
};

#define DEEP3D_MAX_LAYERS  (DEEP3D_STAGES * (DEEP3D_MAX_CONVS + 3) + 8)
#define DEEP3D_MAX_BUFFERS 16

typedef struct Deep3DShape {
    int c, h, w;
} Deep3DShape;

typedef struct Deep3DLayer {
    enum Deep3DLayerOp op;
    char name[24];                  ///< the model's tensor name stem, e.g. "conv2_1", "fc6"
    int src, dst, side;             ///< buffer ids; side: POOL's BatchNorm output, else -1
    Deep3DShape in, out;            ///< FC: out.c * out.h * out.w outputs, the map in C order
    int k, stride, pad;             ///< CONV and DECONV
    int relu;
    int accumulate;                 ///< DECONV: add to what dst holds
    const float *w, *b;             ///< the model's weights, layouts of the format document
    const float *bn_gamma, *bn_beta, *bn_mean, *bn_inv_std; ///< POOL with side
} Deep3DLayer;

typedef struct Deep3DLayers {
    int nb_layers;
    Deep3DLayer layer[DEEP3D_MAX_LAYERS];
    int nb_buffers;
    size_t buffer_elems[DEEP3D_MAX_BUFFERS]; ///< per frame: the largest tensor each holds
} Deep3DLayers;

/**
 * Describe the network of m (validated by the loader). The weight pointers
 * point into m, which must outlive the list. Returns AVERROR_BUG if the
 * model does not fit the limits above (the loader's limits keep it inside).
 */
int ff_deep3d_layers_build(Deep3DLayers *l, const Deep3DModel *m);

/** Multiply-accumulates of one layer / of one forward pass. */
double ff_deep3d_layer_macs(const Deep3DLayer *layer);
double ff_deep3d_layers_macs(const Deep3DLayers *l);

/** Elements of a shape. */
static inline size_t ff_deep3d_shape_elems(Deep3DShape s)
{
    return (size_t)s.c * s.h * s.w;
}

#endif /* AVFILTER_DEEP3D_LAYERS_H */
