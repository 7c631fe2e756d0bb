/*
 * deep3d: CPU forward pass of the Deep3D network family
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

#ifndef AVFILTER_DEEP3D_NET_H
#define AVFILTER_DEEP3D_NET_H

#include "deep3d_model.h"

/**
 * Run job(arg, jobnr, nb_jobs) for jobnr = 0 .. nb_jobs - 1, possibly in
 * parallel, and return when all are done. nb_jobs never exceeds the thread
 * count the network was created with. The filter maps this onto
 * ff_filter_execute(); tests run the jobs in a loop.
 */
typedef int (Deep3DJobFunc)(void *arg, int jobnr, int nb_jobs);
typedef void (Deep3DExecute)(void *opaque, Deep3DJobFunc *job, void *arg, int nb_jobs);

typedef struct Deep3DNet Deep3DNet;

/**
 * Check, from the hyperparameters alone, that the activations of one job fit
 * the limit of ff_deep3d_net_init(); run at model load so an absurd model is
 * refused before any frame. Logs and returns AVERROR(EINVAL) if not.
 */
int ff_deep3d_net_check(void *log_ctx, const Deep3DModel *m);

/**
 * Prepare the forward pass of model m for up to nb_threads parallel jobs:
 * buffers are allocated here, once. Refuses (AVERROR(EINVAL)) networks whose
 * activations would need more than 2 GiB.
 */
int ff_deep3d_net_init(Deep3DNet **net, void *log_ctx, const Deep3DModel *m, int nb_threads);

/**
 * input: 3 x in_h x in_w floats in the model's channel order, already scaled
 * and mean-subtracted. probs: nb_prob x in_h x in_w floats, the softmax.
 */
void ff_deep3d_net_forward(Deep3DNet *net, const float *input, float *probs,
                           Deep3DExecute *execute, void *opaque);

/** Floats of scratch each job of ff_deep3d_softmax() needs. */
#define DEEP3D_SOFTMAX_SCRATCH 2048

/**
 * In place, the softmax over the c planes of hw floats at each pixel, with
 * logits held in the float range first (NaN to -FLT_MAX) so huge weights
 * still give a distribution; scratch: one DEEP3D_SOFTMAX_SCRATCH-float
 * buffer per job, nb_threads of them.
 */
void ff_deep3d_softmax(float *data, int c, int hw, float *const *scratch, int nb_threads,
                       Deep3DExecute *execute, void *opaque);

/**
 * One transposed convolution of the layer list (struct Deep3DLayer, op
 * DECONV) by output phases, as this engine runs it, for another engine that
 * lacks a fast one: plain C x H x W float arrays in and out; accumulate adds
 * to what out holds, relu rectifies after. scratch: one array of at least
 * ff_deep3d_deconv_scratch() floats (more: larger GEMMs) per job,
 * nb_threads of them. The layer's weights must outlive d.
 */
typedef struct Deep3DDeconv Deep3DDeconv;
struct Deep3DLayer;
int ff_deep3d_deconv_init(Deep3DDeconv **d, const struct Deep3DLayer *l);
size_t ff_deep3d_deconv_scratch(const Deep3DDeconv *d);
void ff_deep3d_deconv_run(const Deep3DDeconv *d, const float *in, float *out, int accumulate,
                          int relu, float *const *scratch, size_t scratch_floats, int nb_threads,
                          Deep3DExecute *execute, void *opaque);
void ff_deep3d_deconv_free(Deep3DDeconv **d);

/** Multiply-accumulates of one forward pass, for throughput figures. */
double ff_deep3d_net_macs(const Deep3DModel *m);

void ff_deep3d_net_free(Deep3DNet **net);

#endif /* AVFILTER_DEEP3D_NET_H */
