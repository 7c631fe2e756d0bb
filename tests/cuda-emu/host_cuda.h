/*
 * The host stand-in for FFmpeg's compat/cuda/cuda_runtime.h: compiles the
 * deep3d kernels (cuda/deep3d_cuda*.cu) as ordinary C++ functions, run by the
 * emulated cuLaunchKernel (cuda_emu.c, launch.cpp): one thread at a time, or,
 * for the kernels registered as cooperative (they use __syncthreads and shared
 * memory), the threads of a block as fibers that meet at each barrier. Only
 * what the deep3d kernels use: thread coordinates, min/max, the float
 * functions, the barrier, dynamic shared memory.
 */
#ifndef DEEP3D_HOST_CUDA_H
#define DEEP3D_HOST_CUDA_H

#include <math.h>

#define D3EMU_HOST 1

#define __global__
#define __device__

struct d3emu_dim3 { unsigned x, y, z; };
extern thread_local d3emu_dim3 d3emu_block_idx, d3emu_block_dim, d3emu_thread_idx, d3emu_grid_dim;
#define blockIdx  d3emu_block_idx
#define blockDim  d3emu_block_dim
#define threadIdx d3emu_thread_idx
#define gridDim   d3emu_grid_dim

/* The barrier of the block: the calling thread waits until every thread of its
 * block has reached a __syncthreads (launch.cpp); a thread that exits
 * while others wait, or a kernel not registered as cooperative that calls it,
 * is reported and the process aborts. */
void d3emu_syncthreads(void);
#define __syncthreads() d3emu_syncthreads()

/* The block's dynamic shared memory (the launch's sharedMemBytes): allocated
 * per block, filled with 0xff bytes, so a read before any write shows. */
void *d3emu_shared(void);
#define D3_SMEM(type) ((type *)d3emu_shared())

#define max(a, b) ((a) > (b) ? (a) : (b))
#define min(a, b) ((a) < (b) ? (a) : (b))

/* kernels run one thread at a time: the builtin is atomic anyway */
#define atomicAdd(a, b) __atomic_fetch_add(a, b, __ATOMIC_SEQ_CST)

/* glibc declares __expf itself: the GPU intrinsic becomes expf */
#define __expf(x) expf(x)

#endif
