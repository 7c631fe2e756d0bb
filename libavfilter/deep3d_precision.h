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

/** Arithmetic of the network (the precision option). */
enum Deep3DPrecision {
    DEEP3D_PRECISION_AUTO,      ///< GPU: fp16 with tensor cores; CPU (oneDNN): bf16 where measured safe
    DEEP3D_PRECISION_FP32,
    DEEP3D_PRECISION_FP16,      ///< the GPU's; the CPU runs fp32
    DEEP3D_PRECISION_BF16,      ///< the CPU's oneDNN engine; the GPU runs fp32
};

/** The CPU engine of the Deep3D network (the cpu_engine option). */
enum Deep3DCpuEngine {
    DEEP3D_CPU_ENGINE_AUTO,     ///< oneDNN when it can run, else OpenBLAS
    DEEP3D_CPU_ENGINE_ONEDNN,
    DEEP3D_CPU_ENGINE_BLAS,
};

#endif /* AVFILTER_DEEP3D_PRECISION_H */
