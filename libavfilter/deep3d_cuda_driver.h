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
#include <stdint.h>

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

typedef CUresult CUDAAPI tcuMemHostGetDevicePointer_v2(CUdeviceptr *dptr, void *p, unsigned flags);

/*
 * CUDA graphs (driver API 11.4 and later; deep3d_cuda_graph.c): opaque
 * handles, and the kernel node parameters in the layout of
 * CUDA_KERNEL_NODE_PARAMS_v2 (v1 plus two fields left NULL, which the v1
 * entry point ignores).
 */
typedef struct Deep3DCuGraph_st     *Deep3DCuGraph;
typedef struct Deep3DCuGraphExec_st *Deep3DCuGraphExec;
typedef struct Deep3DCuGraphNode_st *Deep3DCuGraphNode;
typedef struct Deep3DKernelNodeParams {
    CUfunction func;
    unsigned grid_x, grid_y, grid_z, block_x, block_y, block_z, shared;
    void **params, **extra;
    void *kern;                 ///< CUkernel: NULL
    CUcontext ctx;              ///< NULL: the function's context
} Deep3DKernelNodeParams;
/** CU_STREAM_CAPTURE_MODE_THREAD_LOCAL: other threads' CUDA calls are not affected */
#define DEEP3D_CU_CAPTURE_THREAD_LOCAL 1
/** CU_STREAM_CAPTURE_STATUS_ACTIVE */
#define DEEP3D_CU_CAPTURE_ACTIVE 1
/** CU_STREAM_NON_BLOCKING */
#define DEEP3D_CU_STREAM_NON_BLOCKING 1

typedef CUresult CUDAAPI tcuStreamBeginCapture_v2(CUstream s, int mode);
typedef CUresult CUDAAPI tcuStreamEndCapture(CUstream s, Deep3DCuGraph *graph);
typedef CUresult CUDAAPI tcuStreamGetCaptureInfo_v2(CUstream s, int *status, uint64_t *id,
                                                    Deep3DCuGraph *graph,
                                                    const Deep3DCuGraphNode **deps,
                                                    size_t *nb_deps);
/* the same with edge data (CUDA 12.3 and later), for a driver without _v2 */
typedef CUresult CUDAAPI tcuStreamGetCaptureInfo_v3(CUstream s, int *status, uint64_t *id,
                                                    Deep3DCuGraph *graph,
                                                    const Deep3DCuGraphNode **deps,
                                                    const void **edges, size_t *nb_deps);
typedef CUresult CUDAAPI tcuGraphInstantiateWithFlags(Deep3DCuGraphExec *exec,
                                                      Deep3DCuGraph graph,
                                                      unsigned long long flags);
typedef CUresult CUDAAPI tcuGraphLaunch(Deep3DCuGraphExec exec, CUstream s);
typedef CUresult CUDAAPI tcuGraphExecKernelNodeSetParams(Deep3DCuGraphExec exec,
                                                         Deep3DCuGraphNode node,
                                                         const Deep3DKernelNodeParams *p);
typedef CUresult CUDAAPI tcuGraphExecDestroy(Deep3DCuGraphExec exec);
typedef CUresult CUDAAPI tcuGraphDestroy(Deep3DCuGraph graph);

typedef struct Deep3DCudaGraphApi {
    tcuStreamBeginCapture_v2        *cuStreamBeginCapture;
    tcuStreamEndCapture             *cuStreamEndCapture;
    tcuStreamGetCaptureInfo_v2      *cuStreamGetCaptureInfo;     ///< or NULL and:
    tcuStreamGetCaptureInfo_v3      *cuStreamGetCaptureInfo_v3;
    tcuGraphInstantiateWithFlags    *cuGraphInstantiate;
    tcuGraphLaunch                  *cuGraphLaunch;
    tcuGraphExecKernelNodeSetParams *cuGraphExecKernelNodeSetParams;
    tcuGraphExecDestroy             *cuGraphExecDestroy;
    tcuGraphDestroy                 *cuGraphDestroy;
} Deep3DCudaGraphApi;

typedef struct Deep3DCudaDriver {
    void *lib;
    tcuEventElapsedTime *cuEventElapsedTime;
    tcuMemAllocHost_v2  *cuMemAllocHost;
    tcuMemFreeHost      *cuMemFreeHost;
    tcuMemHostGetDevicePointer_v2 *cuMemHostGetDevicePointer;
    Deep3DCudaGraphApi graph;   ///< all set, or has_graphs is 0
    int has_graphs;
} Deep3DCudaDriver;

/** The driver API's CUDA_ERROR_NOT_READY: an event or stream not reached yet. */
#define DEEP3D_CU_NOT_READY 600

/**
 * Resolve the functions above; AVERROR(ENOSYS) with an error message when
 * the driver library or one of them is missing. The graph functions are
 * optional (has_graphs).
 */
int ff_deep3d_cuda_driver_load(Deep3DCudaDriver *drv, void *log_ctx);

void ff_deep3d_cuda_driver_unload(Deep3DCudaDriver *drv);

#endif /* AVFILTER_DEEP3D_CUDA_DRIVER_H */
