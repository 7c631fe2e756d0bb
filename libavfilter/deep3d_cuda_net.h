/*
 * deep3d: forward pass of the Deep3D network family on the GPU (cuDNN)
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

#ifndef AVFILTER_DEEP3D_CUDA_NET_H
#define AVFILTER_DEEP3D_CUDA_NET_H

#include <stddef.h>

#include "libavutil/hwcontext.h"
#include "libavutil/hwcontext_cuda_internal.h"

#include "deep3d_cudnn.h"
#include "deep3d_model.h"
#include "deep3d_precision.h"

/*
 * The network of docs/model-format.md section 4, batch N, on the filter's
 * CUDA context and the GPU path's stream. Convolutions, the FC layers (as convolutions whose
 * kernel covers pool5) and the last transposed convolution
 * (cudnnConvolutionBackwardData) run in cuDNN with algorithms timed at init
 * and one workspace; bias, ReLU, pooling with BatchNorm, the branches'
 * transposed convolutions with their sum, biases and ReLU (one kernel), and
 * the softmax are our kernels (cuda/deep3d_cuda_net.cu), one launch each
 * for the whole batch.
 *
 * fp32: float NCHW; tensor-core math (TF32) is not allowed, the output must
 * match the CPU path. fp16: half NHWC activations and filters (converted on
 * the host at init, round to nearest even) with every channel count padded
 * to a multiple of 8 (zero filters and biases: the padded channels stay
 * zero), so that cuDNN's tensor-core kernels apply; float accumulation,
 * tensor-core algorithms allowed; our kernels compute in float. The input
 * and the probabilities are float NCHW in both.
 */

typedef struct Deep3DCudaNet Deep3DCudaNet;

/**
 * Upload the weights of m, allocate every activation (batch frames deep) and
 * the workspace, and choose the algorithms. The CUDA context of hwctx must
 * be current. m must outlive the network; dnn too. precision is an enum
 * Deep3DPrecision. auto on a GPU of compute capability 7.0 or later (tensor
 * cores) builds both precisions, times a few forward passes of each on
 * buffers of the real sizes, keeps the faster (ff_deep3d_cuda_net_pick_half)
 * and frees the other, logging both times at verbose level; below 7.0 it is
 * fp32. fp32 too when a filter cuDNN reads holds a value beyond the half
 * range (which precision=fp16 refuses with AVERROR(ERANGE)).
 */
int ff_deep3d_cuda_net_init(Deep3DCudaNet **net, void *log_ctx, const Deep3DModel *m,
                            AVCUDADeviceContext *hwctx, CUstream stream, const Deep3DCudnn *dnn,
                            int precision, int batch);

/**
 * Queue one forward pass of the whole batch on the stream: input is
 * batch x 3 x in_h x in_w floats (model channel order, scaled, mean
 * subtracted), probs receives batch x nb_prob x in_h x in_w softmax. Both
 * are device pointers. A partial batch runs whole: the slots not filled
 * compute garbage that nobody reads. The CUDA context must be current.
 * Nothing is synchronised.
 */
int ff_deep3d_cuda_net_forward(Deep3DCudaNet *net, CUdeviceptr input, CUdeviceptr probs);

/**
 * precision=auto's choice from the measured times of one forward pass:
 * 1 (fp16) only when it is faster; a tie keeps fp32.
 */
int ff_deep3d_cuda_net_pick_half(float ms_fp32, float ms_fp16);

/** What runs and why, e.g. "fp16 NHWC (auto: compute capability 8.6, tensor cores)". */
const char *ff_deep3d_cuda_net_precision(const Deep3DCudaNet *net);

/** Bytes of device memory the network holds (weights, activations, workspace). */
size_t ff_deep3d_cuda_net_device_bytes(const Deep3DCudaNet *net);

/** Free everything; the CUDA context must be current. */
void ff_deep3d_cuda_net_free(Deep3DCudaNet **net);

#endif /* AVFILTER_DEEP3D_CUDA_NET_H */
