/*
 * deep3d: device memory of the CUDA path
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

#ifndef AVFILTER_DEEP3D_CUDA_MEM_H
#define AVFILTER_DEEP3D_CUDA_MEM_H

#include <stddef.h>

#include "libavutil/hwcontext.h"
#include "libavutil/hwcontext_cuda_internal.h"

/**
 * cuMemAlloc in the current context. On failure *p is 0 and one error names
 * what the memory was for: AVERROR(ENOMEM) when the GPU is out of memory,
 * else AVERROR_EXTERNAL. bytes == 0 allocates nothing (*p = 0). held, if not
 * NULL, counts the bytes its owner holds: increased here, and quoted in the
 * out-of-memory message.
 */
int ff_deep3d_cuda_alloc(void *log_ctx, CudaFunctions *cu, CUdeviceptr *p, size_t bytes,
                         const char *what, size_t *held);

/** cuMemFree of *p if set; *p = 0. */
void ff_deep3d_cuda_free_mem(void *log_ctx, CudaFunctions *cu, CUdeviceptr *p);

#endif /* AVFILTER_DEEP3D_CUDA_MEM_H */
