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

#if !defined(_WIN32)
#include <dlfcn.h>
#endif

#include "libavutil/error.h"
#include "libavutil/log.h"

#include "deep3d_cuda_driver.h"

#if !defined(_WIN32)
/* The graph API, by the names of CUDA 12 (kept by later drivers); the kernel
 * node update prefers _v2, whose parameter layout Deep3DKernelNodeParams has. */
static void graph_load(Deep3DCudaDriver *drv)
{
    Deep3DCudaGraphApi *g = &drv->graph;

    g->cuStreamBeginCapture   = (tcuStreamBeginCapture_v2 *)dlsym(drv->lib, "cuStreamBeginCapture_v2");
    g->cuStreamEndCapture     = (tcuStreamEndCapture *)dlsym(drv->lib, "cuStreamEndCapture");
    g->cuStreamGetCaptureInfo = (tcuStreamGetCaptureInfo_v2 *)dlsym(drv->lib, "cuStreamGetCaptureInfo_v2");
    if (!g->cuStreamGetCaptureInfo)
        g->cuStreamGetCaptureInfo_v3 =
            (tcuStreamGetCaptureInfo_v3 *)dlsym(drv->lib, "cuStreamGetCaptureInfo_v3");
    g->cuGraphInstantiate     = (tcuGraphInstantiateWithFlags *)dlsym(drv->lib, "cuGraphInstantiateWithFlags");
    g->cuGraphLaunch          = (tcuGraphLaunch *)dlsym(drv->lib, "cuGraphLaunch");
    g->cuGraphExecKernelNodeSetParams =
        (tcuGraphExecKernelNodeSetParams *)dlsym(drv->lib, "cuGraphExecKernelNodeSetParams_v2");
    if (!g->cuGraphExecKernelNodeSetParams)
        g->cuGraphExecKernelNodeSetParams =
            (tcuGraphExecKernelNodeSetParams *)dlsym(drv->lib, "cuGraphExecKernelNodeSetParams");
    g->cuGraphExecDestroy     = (tcuGraphExecDestroy *)dlsym(drv->lib, "cuGraphExecDestroy");
    g->cuGraphDestroy         = (tcuGraphDestroy *)dlsym(drv->lib, "cuGraphDestroy");
    drv->has_graphs = g->cuStreamBeginCapture && g->cuStreamEndCapture &&
                      (g->cuStreamGetCaptureInfo || g->cuStreamGetCaptureInfo_v3) &&
                      g->cuGraphInstantiate && g->cuGraphLaunch &&
                      g->cuGraphExecKernelNodeSetParams && g->cuGraphExecDestroy &&
                      g->cuGraphDestroy;
}
#endif

int ff_deep3d_cuda_driver_load(Deep3DCudaDriver *drv, void *log_ctx)
{
    *drv = (Deep3DCudaDriver){ 0 };
#if !defined(_WIN32)
    /* FFmpeg's loader opened it: this takes a reference to the same library */
    drv->lib = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
    if (drv->lib) {
        drv->cuEventElapsedTime = (tcuEventElapsedTime *)dlsym(drv->lib, "cuEventElapsedTime");
        drv->cuMemAllocHost     = (tcuMemAllocHost_v2 *)dlsym(drv->lib, "cuMemAllocHost_v2");
        drv->cuMemFreeHost      = (tcuMemFreeHost *)dlsym(drv->lib, "cuMemFreeHost");
        drv->cuMemHostGetDevicePointer =
            (tcuMemHostGetDevicePointer_v2 *)dlsym(drv->lib, "cuMemHostGetDevicePointer_v2");
        graph_load(drv);
    }
#endif
    if (!drv->cuEventElapsedTime || !drv->cuMemAllocHost || !drv->cuMemFreeHost ||
        !drv->cuMemHostGetDevicePointer) {
        av_log(log_ctx, AV_LOG_ERROR, "The CUDA driver library (libcuda.so.1) lacks "
               "cuEventElapsedTime, cuMemAllocHost_v2, cuMemFreeHost or "
               "cuMemHostGetDevicePointer_v2.\n");
        ff_deep3d_cuda_driver_unload(drv);
        return AVERROR(ENOSYS);
    }
    return 0;
}

void ff_deep3d_cuda_driver_unload(Deep3DCudaDriver *drv)
{
#if !defined(_WIN32)
    if (drv->lib)
        dlclose(drv->lib);
#endif
    *drv = (Deep3DCudaDriver){ 0 };
}
