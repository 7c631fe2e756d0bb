/*
 * The host stand-in for FFmpeg's compat/cuda/cuda_runtime.h: compiles the
 * deep3d kernels (cuda/deep3d_cuda*.cu) as ordinary C++ functions, run one thread at a
 * time by the emulated cuLaunchKernel (cuda_emu.c). Only what the deep3d
 * kernels use: thread coordinates, min/max, the float functions.
 */
#ifndef DEEP3D_HOST_CUDA_H
#define DEEP3D_HOST_CUDA_H

#include <math.h>

#define __global__
#define __device__

struct d3emu_dim3 { unsigned x, y, z; };
extern thread_local d3emu_dim3 d3emu_block_idx, d3emu_block_dim, d3emu_thread_idx;
#define blockIdx  d3emu_block_idx
#define blockDim  d3emu_block_dim
#define threadIdx d3emu_thread_idx

#define max(a, b) ((a) > (b) ? (a) : (b))
#define min(a, b) ((a) < (b) ? (a) : (b))

/* kernels run one thread at a time: the builtin is atomic anyway */
#define atomicAdd(a, b) __atomic_fetch_add(a, b, __ATOMIC_SEQ_CST)

/* glibc declares __expf itself: the GPU intrinsic becomes expf */
#define __expf(x) expf(x)

#endif
