/*
 * deep3d: the built-in default model
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

#ifndef AVFILTER_DEEP3D_DEFAULT_MODEL_H
#define AVFILTER_DEEP3D_DEFAULT_MODEL_H

#include <stddef.h>
#include <stdint.h>

/**
 * The model used when the `model` option is not set: the bytes of
 * weights/deep3d-default.safetensors, compiled in (see weights/MODEL_CARD.md).
 */
extern const uint8_t *const ff_deep3d_default_model;
extern const size_t ff_deep3d_default_model_size;
/** sha256 of those bytes, hexadecimal, for the log */
extern const char ff_deep3d_default_model_sha256[];

#endif /* AVFILTER_DEEP3D_DEFAULT_MODEL_H */
