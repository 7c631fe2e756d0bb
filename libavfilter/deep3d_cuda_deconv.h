/*
 * deep3d: the branches of the fused transposed-convolution sum (GPU)
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

#ifndef AVFILTER_DEEP3D_CUDA_DECONV_H
#define AVFILTER_DEEP3D_CUDA_DECONV_H

/*
 * deep3d_deconv_sum (cuda/deep3d_cuda_net.cu) reads its branches from a
 * device array of long long, DEEP3D_DECONV_FIELDS per branch, in this order;
 * plain C, included by the kernels and by the host code that fills it. The
 * input of a branch is element (n, c, y, x) at
 * IN + n * SN + c * SC + y * SY + x * SX (elements: float in the fp32
 * kernel, half in the fp16 one); W is the model's float (ci, co, k, k)
 * weight of that transposed convolution (co: the output's real channels).
 */
enum Deep3DDeconvField {
    DEEP3D_DECONV_IN,           ///< device address of the input
    DEEP3D_DECONV_W,            ///< device address of the float weight
    DEEP3D_DECONV_C,            ///< input channels (real, not padded)
    DEEP3D_DECONV_IH,
    DEEP3D_DECONV_IW,
    DEEP3D_DECONV_K,            ///< kernel size
    DEEP3D_DECONV_S,            ///< stride
    DEEP3D_DECONV_P,            ///< padding
    DEEP3D_DECONV_SN,           ///< strides in elements
    DEEP3D_DECONV_SC,
    DEEP3D_DECONV_SY,
    DEEP3D_DECONV_SX,
    DEEP3D_DECONV_FIELDS
};

/** The most branches one sum takes (DEEP3D_STAGES of the model format). */
#define DEEP3D_DECONV_MAX_BRANCHES 8

#endif /* AVFILTER_DEEP3D_CUDA_DECONV_H */
