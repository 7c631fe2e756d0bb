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

#include "deep3d_default_model.h"

/* written by tools/embed_model.py from weights/deep3d-default.safetensors
 * (scripts/prepare-tree.sh), rewritten only when the model changes */
#include "deep3d_default_model.inc"

const uint8_t *const ff_deep3d_default_model = (const uint8_t *)deep3d_default_model_data;
const size_t ff_deep3d_default_model_size    = DEEP3D_DEFAULT_MODEL_SIZE;
const char ff_deep3d_default_model_sha256[]  = DEEP3D_DEFAULT_MODEL_SHA256;
