/*
 * deep3d: ONNX depth models as a depth source
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

#ifndef AVFILTER_DEEP3D_SOURCE_ONNX_H
#define AVFILTER_DEEP3D_SOURCE_ONNX_H

#include <stddef.h>
#include <stdint.h>

#include "deep3d_source.h"

/* The model contract (docs/onnx.md): one input, float32 NCHW RGB (N = 1 or
 * free, C = 3), the picture as (pixel in 0..1 - mean) / std; one output (the
 * first is used), float32 of shape [H', W'], [1, H', W'] or [1, 1, H', W']:
 * relative inverse depth, larger = nearer, any scale and offset. */

/* The input size for a model that leaves it free: 518 (Depth Anything's
 * training width) by 294, both multiples of 14 (ViT/14), about 16:9. */
#define DEEP3D_ONNX_DEFAULT_W 518
#define DEEP3D_ONNX_DEFAULT_H 294
#define DEEP3D_ONNX_MAX_SIZE  4096

typedef struct Deep3DOnnxOptions {
    const char *ort_path;       ///< ONNX Runtime library or directory; NULL: the search
    int width, height;          ///< model input size; 0: the model's own, else the default
    float mean[3], std[3];      ///< RGB normalisation; std 0: the ImageNet defaults
} Deep3DOnnxOptions;

extern const Deep3DSourceOps ff_deep3d_source_onnx;

/** ImageNet's mean and std, the Depth Anything and MiDaS input convention. */
extern const float ff_deep3d_onnx_imagenet_mean[3], ff_deep3d_onnx_imagenet_std[3];

/** For tests: the input tensor (3 x h x w) and the depth map of the last run(). */
void ff_deep3d_source_onnx_buffers(const Deep3DSource *src, const float **input, int *w, int *h,
                                   const float **depth);

/**
 * What a model file holds, from its first bytes (docs/onnx.md, "Model files"):
 * DEEP3D_FILE_SAFETENSORS when bytes 0..7 are a little-endian header length
 * between 2 and the rest of the file and byte 8 is '{'; else
 * DEEP3D_FILE_ONNX when byte 0 is the protobuf tag of a field of an ONNX
 * ModelProto (0x08 ir_version, 0x12..0x3a the strings, opset and graph, 0x72
 * metadata); else DEEP3D_FILE_UNKNOWN.
 */
enum Deep3DFileKind {
    DEEP3D_FILE_UNKNOWN,
    DEEP3D_FILE_SAFETENSORS,
    DEEP3D_FILE_ONNX,
};

enum Deep3DFileKind ff_deep3d_file_kind(const uint8_t *head, size_t head_size, int64_t file_size);

/** The kind of the file at path; AVERROR(errno) when it cannot be read. */
int ff_deep3d_file_kind_path(void *log_ctx, const char *path, enum Deep3DFileKind *kind);

#endif /* AVFILTER_DEEP3D_SOURCE_ONNX_H */
