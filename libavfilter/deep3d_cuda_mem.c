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

#include "libavutil/cuda_check.h"
#include "libavutil/error.h"
#include "libavutil/log.h"

#include "deep3d_cuda_mem.h"

/* ffnvcodec declares few CUresult values; this is the driver API's CUDA_ERROR_OUT_OF_MEMORY. */
#define CU_ERR_OUT_OF_MEMORY 2

int ff_deep3d_cuda_alloc(void *log_ctx, CudaFunctions *cu, CUdeviceptr *p, size_t bytes,
                         const char *what, size_t *held)
{
    CUresult err;

    *p = 0;
    if (!bytes)
        return 0;
    err = cu->cuMemAlloc(p, bytes);
    if (err != CUDA_SUCCESS) {
        *p = 0;
        if (err != CU_ERR_OUT_OF_MEMORY)
            FF_CUDA_CHECK_DL(log_ctx, cu, err);
        av_log(log_ctx, AV_LOG_ERROR, "Cannot allocate %zu KiB of GPU memory for %s "
               "(%zu KiB held so far).\n", bytes >> 10, what, held ? *held >> 10 : 0);
        return err == CU_ERR_OUT_OF_MEMORY ? AVERROR(ENOMEM) : AVERROR_EXTERNAL;
    }
    if (held)
        *held += bytes;
    return 0;
}

void ff_deep3d_cuda_free_mem(void *log_ctx, CudaFunctions *cu, CUdeviceptr *p)
{
    if (*p)
        FF_CUDA_CHECK_DL(log_ctx, cu, cu->cuMemFree(*p));
    *p = 0;
}
