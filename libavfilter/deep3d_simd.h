/*
 * deep3d: wider vector code for the hot loops
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

#ifndef AVFILTER_DEEP3D_SIMD_H
#define AVFILTER_DEEP3D_SIMD_H

/*
 * FFmpeg's C is compiled for the baseline ISA (SSE2 on x86-64) and, with GCC,
 * with -fno-tree-vectorize. The selection layer and the im2col loops are plain
 * element-wise float loops that the compiler vectorises well when allowed to:
 * these functions turn vectorisation back on, and target_clones builds AVX-512
 * and AVX2 versions and picks one at load time (ifunc). The loops contain no
 * reductions and FFmpeg compiles in ISO C mode (no FMA contraction), so every
 * version computes bit-identical results.
 */
/* clang 14 names the resolver of an external target_clones function
 * "name.ifunc" and emits no "name" (an undefined reference when another file
 * calls it, e.g. ff_deep3d_expected_disparity): no clones before clang 15. */

/* GCC does not contract a * b + c into an FMA in ISO C mode; clang does by
 * default wherever FMA exists (the AVX2 and AVX-512 clones), which changes
 * the last bits. Off, clang builds give GCC's results (and FATE's). */
#ifdef __clang__
#pragma STDC FP_CONTRACT OFF
#endif

#if defined(__x86_64__) && defined(__ELF__) && \
    ((defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 6) || \
     (defined(__clang__) && __clang_major__ >= 15)) && \
    !defined(__SANITIZE_ADDRESS__)
#if defined(__clang__)
#define DEEP3D_VECTOR_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
/* two attributes: GCC 12 given both in one list vectorises only the default clone */
#define DEEP3D_VECTOR_CLONES __attribute__((target_clones("avx512f", "avx2", "default"))) \
                             __attribute__((optimize("tree-vectorize")))
#endif
#elif defined(__GNUC__) && !defined(__clang__)
#define DEEP3D_VECTOR_CLONES __attribute__((optimize("tree-vectorize")))
#else
#define DEEP3D_VECTOR_CLONES
#endif

#endif /* AVFILTER_DEEP3D_SIMD_H */
