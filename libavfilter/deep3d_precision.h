/*
 * deep3d: arithmetic of the GPU network
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

#ifndef AVFILTER_DEEP3D_PRECISION_H
#define AVFILTER_DEEP3D_PRECISION_H

/** Arithmetic of the GPU network (the precision option). */
enum Deep3DPrecision {
    DEEP3D_PRECISION_AUTO,      ///< fp16 where the GPU has tensor cores, else fp32
    DEEP3D_PRECISION_FP32,
    DEEP3D_PRECISION_FP16,
};

#endif /* AVFILTER_DEEP3D_PRECISION_H */
