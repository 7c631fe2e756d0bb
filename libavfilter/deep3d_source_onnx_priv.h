/*
 * deep3d: the ONNX depth source's state, shared by its CPU and GPU parts
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

#ifndef AVFILTER_DEEP3D_SOURCE_ONNX_PRIV_H
#define AVFILTER_DEEP3D_SOURCE_ONNX_PRIV_H

#include <stdint.h>

#include "deep3d_depthmap.h"
#include "deep3d_input.h"
#include "deep3d_model.h"
#include "deep3d_ort.h"

/* deep3d_source_onnx.c opens and checks the model and runs it on the CPU;
 * deep3d_source_onnx_cuda.c runs a second session of it on the GPU with the
 * shapes, types and names found here. */
typedef struct Deep3DSourceOnnx {
    Deep3DOrt *ort;
    const OrtApi *api;
    OrtEnv *env;
    OrtSessionOptions *options;
    OrtSession *session;
    OrtMemoryInfo *mem;
    char *in_name, *out_name;
    int64_t in_shape[4], out_shape[4];
    int out_rank;
    float *in_buf, *out_buf;    ///< the tensors' data, or their float copies (fp16 tensors)
    ONNXTensorElementDataType in_type, out_type;    ///< float32 or float16
    uint16_t *in_half, *out_half;   ///< the fp16 tensors' data
    OrtValue *in_val, *out_val;

    Deep3DModel in_conv;        ///< the input tensor's convention, for deep3d_input.c
    float in_scale[3];          ///< 1 / std
    Deep3DModel geometry;       ///< the depth map's size and the disparity planes
    Deep3DInput *input;         ///< frame -> input tensor
    Deep3DInput *image_input;   ///< frame -> src->image at the depth map's size
    Deep3DDepthMap *depthmap;

    const char *path;
    int threads;
    int64_t nb_frames, t_input, t_ort, t_map;
} Deep3DSourceOnnx;

/** Bytes per element of a float32 or float16 tensor. */
size_t ff_deep3d_onnx_elem_size(ONNXTensorElementDataType type);

#endif /* AVFILTER_DEEP3D_SOURCE_ONNX_PRIV_H */
