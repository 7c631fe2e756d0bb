/*
 * deep3d: driver API functions beyond ffnvcodec's loader (event timing, pinned memory)
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

#ifndef AVFILTER_DEEP3D_CUDA_DRIVER_H
#define AVFILTER_DEEP3D_CUDA_DRIVER_H

#include <stddef.h>

#include "libavutil/hwcontext.h"
#include "libavutil/hwcontext_cuda_internal.h"

/*
 * ffnvcodec's CudaFunctions lacks cuEventElapsedTime and the pinned host
 * allocator; they are taken from the libcuda.so.1 FFmpeg has already loaded
 * (same library, same context), with the driver API's own signatures.
 */
typedef CUresult CUDAAPI tcuEventElapsedTime(float *ms, CUevent start, CUevent end);
typedef CUresult CUDAAPI tcuMemAllocHost_v2(void **p, size_t bytes);
typedef CUresult CUDAAPI tcuMemFreeHost(void *p);

typedef struct Deep3DCudaDriver {
    void *lib;
    tcuEventElapsedTime *cuEventElapsedTime;
    tcuMemAllocHost_v2  *cuMemAllocHost;
    tcuMemFreeHost      *cuMemFreeHost;
} Deep3DCudaDriver;

/** The driver API's CUDA_ERROR_NOT_READY: an event or stream not reached yet. */
#define DEEP3D_CU_NOT_READY 600

/**
 * Resolve the functions above; AVERROR(ENOSYS) with an error message when
 * the driver library or one of them is missing.
 */
int ff_deep3d_cuda_driver_load(Deep3DCudaDriver *drv, void *log_ctx);

void ff_deep3d_cuda_driver_unload(Deep3DCudaDriver *drv);

#endif /* AVFILTER_DEEP3D_CUDA_DRIVER_H */
