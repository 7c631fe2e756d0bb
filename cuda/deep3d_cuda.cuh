/*
 * deep3d: helpers shared by the CUDA kernels
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

#ifndef AVFILTER_DEEP3D_CUDA_CUH
#define AVFILTER_DEEP3D_CUDA_CUH

/*
 * Written for FFmpeg's header-free CUDA subset (compat/cuda/cuda_runtime.h,
 * compiled by clang with --enable-cuda-llvm): no CUDA headers, no libdevice.
 */

#ifndef D3EMU_HOST
/* The block's dynamic shared memory (cuLaunchKernel's sharedMemBytes) and its
 * barrier; the host emulator (tests/cuda-emu/host_cuda.h) has its own. */
extern __attribute__((shared)) int d3_smem[];
#define D3_SMEM(type) ((type *)d3_smem)
#define __syncthreads() asm volatile("bar.sync 0;" ::: "memory")
#endif

/*
 * A float product and sum, each rounded on its own: never contracted into an
 * FMA (the CPU path, built in ISO C, has none), so the kernels that use them
 * give the CPU path's bits.
 */
#ifndef D3EMU_HOST
/* PTX's explicit .rn keeps ptxas from fusing them (LLVM's own intrinsics
 * become plain fmul / fadd and are contracted again) */
static inline __device__ float d3_mul(float a, float b)
{
    float r;
    asm("mul.rn.f32 %0, %1, %2;" : "=f"(r) : "f"(a), "f"(b));
    return r;
}

static inline __device__ float d3_add(float a, float b)
{
    float r;
    asm("add.rn.f32 %0, %1, %2;" : "=f"(r) : "f"(a), "f"(b));
    return r;
}
#else
static inline float d3_mul(float a, float b) { return a * b; }
static inline float d3_add(float a, float b) { return a + b; }
#endif

static inline __device__ int d3_clampi(int v, int lo, int hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

static inline __device__ float d3_clampf(float v, float lo, float hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

static inline __device__ double d3_clampd(double v, double lo, double hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

/* 2D thread coordinates of the calling thread. */
static inline __device__ int d3_x(void)
{
    return blockIdx.x * blockDim.x + threadIdx.x;
}

static inline __device__ int d3_y(void)
{
    return blockIdx.y * blockDim.y + threadIdx.y;
}

/* A 1D index: grids of up to 2^31 - 1 blocks in x (sm_30 and later). */
static inline __device__ long long d3_index(void)
{
    return (long long)blockIdx.x * blockDim.x + threadIdx.x;
}

/* Sample c of pixel x in row y of a plane of T containers (uchar or ushort),
 * comps interleaved components per pixel, value stored shift bits up (p010). */
template<typename T>
static inline __device__ int d3_load(const unsigned char *plane, int pitch, int x, int y,
                                     int comps, int c, int shift)
{
    const T *row = (const T *)(plane + (long long)y * pitch);
    return row[x * comps + c] >> shift;
}

template<typename T>
static inline __device__ void d3_store(unsigned char *plane, int pitch, int x, int y,
                                       int comps, int c, int shift, int v)
{
    T *row = (T *)(plane + (long long)y * pitch);
    row[x * comps + c] = (T)(v << shift);
}

#endif /* AVFILTER_DEEP3D_CUDA_CUH */
