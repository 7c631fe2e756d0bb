/*
 * deep3d: conversion of a video frame to the network input
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

#ifndef AVFILTER_DEEP3D_INPUT_H
#define AVFILTER_DEEP3D_INPUT_H

#include "libavutil/frame.h"
#include "libavutil/pixdesc.h"

#include "deep3d_model.h"
#include "deep3d_net.h"

/**
 * How resampled components become RGB in 0..1 (docs/model-format.md,
 * section 4a). RGB formats: c = (sample - y_off) * y_mul for each of R, G, B.
 * YUV and gray: y = (Y - y_off) * y_mul, u = (U - c_off) * c_mul,
 * v = (V - c_off) * c_mul, then R = y + crv v, G = y + cgu u + cgv v,
 * B = y + cbu u; each clamped to 0..1.
 */
typedef struct Deep3DColour {
    int rgb;                    ///< components are R, G, B
    int gray;                   ///< one component: R = G = B = y
    float y_off, y_mul, c_off, c_mul;
    float crv, cgu, cgv, cbu;
} Deep3DColour;

/**
 * The conversion for a (software) format and a frame's matrix and range: BT.601 when the
 * matrix is unspecified (or not a luma/chroma matrix, with a warning);
 * YUV is limited range unless the frame says full range (or is a yuvj
 * format), gray is full range unless the frame says limited.
 */
void ff_deep3d_colour_init(Deep3DColour *c, void *log_ctx, enum AVPixelFormat format,
                           enum AVColorSpace colorspace, enum AVColorRange range);

typedef struct Deep3DInput Deep3DInput;

/** nb_jobs: how many jobs convert() splits the network rows into. */
int ff_deep3d_input_init(Deep3DInput **in, const Deep3DModel *m, int nb_jobs);

/**
 * Resize and colour-convert frame to the network input: 3 x in_h x in_w
 * floats in the model's channel order, times input_scale, minus input_mean.
 * Each component plane is resampled on its own with a centre-aligned tent
 * filter (section 4a), then converted per pixel with ff_deep3d_colour_init().
 * The rows are split into jobs run by execute(opaque, ...); the result does
 * not depend on how many.
 */
int ff_deep3d_input_convert(Deep3DInput *in, void *log_ctx, const AVFrame *frame, float *dst,
                            Deep3DExecute *execute, void *opaque);

/**
 * A scale per channel (in the model's channel order) instead of the model's
 * one input_scale: channel c becomes pixel * scale[c] - input_mean[c]. For an
 * input normalised as (pixel - mean) / std: scale = 1 / std, input_mean =
 * mean / std.
 */
void ff_deep3d_input_set_scale(Deep3DInput *in, const float scale[3]);

void ff_deep3d_input_free(Deep3DInput **in);

#endif /* AVFILTER_DEEP3D_INPUT_H */
