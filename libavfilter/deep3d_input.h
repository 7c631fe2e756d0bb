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

#include "deep3d_model.h"

typedef struct Deep3DInput Deep3DInput;

int ff_deep3d_input_init(Deep3DInput **in, const Deep3DModel *m);

/**
 * Resize and colour-convert frame to the network input: 3 x in_h x in_w
 * floats in the model's channel order, times input_scale, minus input_mean.
 * The YUV matrix and range come from the frame (BT.601 when unspecified, as
 * swscale assumes).
 */
int ff_deep3d_input_convert(Deep3DInput *in, void *log_ctx, const AVFrame *frame, float *dst);

void ff_deep3d_input_free(Deep3DInput **in);

#endif /* AVFILTER_DEEP3D_INPUT_H */
