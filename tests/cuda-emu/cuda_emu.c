/*
 * A host emulation of the CUDA driver API, as libcuda.so.1, for testing the
 * deep3d CUDA path where there is no GPU (tests/unit/test_cuda.sh).
 *
 * FFmpeg loads libcuda.so.1 with dlopen (ffnvcodec); with this library first
 * on LD_LIBRARY_PATH, the unmodified ffmpeg binary creates a "CUDA device",
 * uploads and downloads frames (hwupload, hwdownload), and the deep3d filter
 * runs its CUDA path: device memory is host memory, streams are synchronous,
 * and kernels are the deep3d kernels compiled for the host (kernels.cpp),
 * found by name in the "module" whatever PTX is given. Everything else the
 * loader requires is a stub that succeeds. Freshly allocated memory is
 * filled with 0xff bytes (float NaN), so a read of memory nobody wrote
 * shows up in the results.
 *
 * Events are real: a record takes the host clock (the work queued before it
 * is done: streams are synchronous), cuEventElapsedTime gives the time
 * between two records and fails, as the driver does, for an event never
 * recorded or created with CU_EVENT_DISABLE_TIMING; cuEventQuery and
 * cuEventSynchronize fail for an event destroyed or never created. Pinned
 * host memory (cuMemAllocHost_v2) is counted: cuMemFreeHost of anything
 * else fails, and $D3EMU_LEAK_CHECK reports what is still held at exit.
 *
 * What this cannot check: the PTX itself, real GPU concurrency and timing,
 * cuDNN's numerics (cudnn_emu.c stands in for cuDNN).
 */

#define _POSIX_C_SOURCE 200112L /* clock_gettime */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <ffnvcodec/dynlink_cuda.h>

#define EMU_ERROR_NOT_FOUND 500

const void *d3emu_kernel(const char *name);
void d3emu_launch(const void *kernel, unsigned gx, unsigned gy, unsigned gz,
                  unsigned bx, unsigned by, unsigned bz, void **args);

static int dummy_object;
#define DUMMY ((void *)&dummy_object)

CUresult cuInit(unsigned flags) { return CUDA_SUCCESS; }
CUresult cuDriverGetVersion(int *v) { *v = 12080; return CUDA_SUCCESS; }
CUresult cuDeviceGetCount(int *n) { *n = 1; return CUDA_SUCCESS; }
CUresult cuDeviceGet(CUdevice *d, int ordinal) { *d = 0; return ordinal ? 101 : CUDA_SUCCESS; }
CUresult cuCtxGetDevice(CUdevice *d) { *d = 0; return CUDA_SUCCESS; }

/* The emulated compute capability: 9.0, or $D3EMU_CC ("6.1"): precision=auto
 * chooses fp16 from 7.0 on (tensor cores). */
static void compute_capability(int *major, int *minor)
{
    const char *cc = getenv("D3EMU_CC");
    if (!cc || sscanf(cc, "%d.%d", major, minor) != 2) {
        *major = 9;
        *minor = 0;
    }
}

CUresult cuDeviceGetAttribute(int *v, CUdevice_attribute attr, CUdevice dev)
{
    int major, minor;

    compute_capability(&major, &minor);
    switch ((int)attr) {
    case CU_DEVICE_ATTRIBUTE_TEXTURE_ALIGNMENT: *v = 512;   break;
    case 75: /* CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR */ *v = major; break;
    case 76: /* CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR */ *v = minor; break;
    default: *v = 1;
    }
    return CUDA_SUCCESS;
}

CUresult cuDeviceGetName(char *name, int len, CUdevice dev)
{
    snprintf(name, len, "deep3d host CUDA emulator");
    return CUDA_SUCCESS;
}

CUresult cuDeviceComputeCapability(int *major, int *minor, CUdevice dev)
{
    compute_capability(major, minor);
    return CUDA_SUCCESS;
}

/* The primary context is an object of its own, so a check that a context is the
 * primary one (the ONNX source's, deep3d_source_onnx_cuda.c) can fail here too. */
static int primary_object;
#define PRIMARY ((void *)&primary_object)

CUresult cuDevicePrimaryCtxRetain(CUcontext *ctx, CUdevice dev) { *ctx = PRIMARY; return CUDA_SUCCESS; }
CUresult cuDevicePrimaryCtxRelease_v2(CUdevice dev) { return CUDA_SUCCESS; }
CUresult cuDevicePrimaryCtxRelease(CUdevice dev) { return CUDA_SUCCESS; }
CUresult cuDevicePrimaryCtxSetFlags_v2(CUdevice dev, unsigned flags) { return CUDA_SUCCESS; }
CUresult cuDevicePrimaryCtxSetFlags(CUdevice dev, unsigned flags) { return CUDA_SUCCESS; }
CUresult cuDevicePrimaryCtxGetState(CUdevice dev, unsigned *flags, int *active)
{
    *flags  = 0;
    *active = 0;
    return CUDA_SUCCESS;
}

/* Device memory is host memory here: what the ONNX source's GPU engine looks for
 * (dlsym) to run ONNX Runtime's CPU execution provider on the device buffers. */
int d3emu_device_memory_is_host(void);
int d3emu_device_memory_is_host(void) { return 1; }

CUresult cuCtxCreate_v2(CUcontext *ctx, unsigned flags, CUdevice dev) { *ctx = DUMMY; return CUDA_SUCCESS; }
CUresult cuCtxGetCurrent(CUcontext *ctx) { *ctx = DUMMY; return CUDA_SUCCESS; }
CUresult cuCtxPushCurrent_v2(CUcontext ctx) { return CUDA_SUCCESS; }
CUresult cuCtxPopCurrent_v2(CUcontext *ctx) { if (ctx) *ctx = DUMMY; return CUDA_SUCCESS; }
CUresult cuCtxDestroy_v2(CUcontext ctx) { return CUDA_SUCCESS; }

CUresult cuMemAlloc_v2(CUdeviceptr *p, size_t size)
{
    void *m = aligned_alloc(256, (size + 255) & ~(size_t)255);
    if (!m)
        return 2; /* out of memory */
    memset(m, 0xff, size);
    *p = (CUdeviceptr)(uintptr_t)m;
    return CUDA_SUCCESS;
}

CUresult cuMemAllocPitch_v2(CUdeviceptr *p, size_t *pitch, size_t width, size_t height,
                            unsigned elem)
{
    *pitch = (width + 255) & ~(size_t)255;
    return cuMemAlloc_v2(p, *pitch * height);
}

CUresult cuMemFree_v2(CUdeviceptr p) { free((void *)(uintptr_t)p); return CUDA_SUCCESS; }

CUresult cuMemsetD8Async(CUdeviceptr p, unsigned char v, size_t n, CUstream s)
{
    memset((void *)(uintptr_t)p, v, n);
    return CUDA_SUCCESS;
}

CUresult cuMemcpy(CUdeviceptr dst, CUdeviceptr src, size_t n)
{
    memcpy((void *)(uintptr_t)dst, (const void *)(uintptr_t)src, n);
    return CUDA_SUCCESS;
}

CUresult cuMemcpyAsync(CUdeviceptr dst, CUdeviceptr src, size_t n, CUstream s) { return cuMemcpy(dst, src, n); }
CUresult cuMemcpyDtoD_v2(CUdeviceptr dst, CUdeviceptr src, size_t n) { return cuMemcpy(dst, src, n); }
CUresult cuMemcpyDtoDAsync_v2(CUdeviceptr dst, CUdeviceptr src, size_t n, CUstream s) { return cuMemcpy(dst, src, n); }
CUresult cuMemcpyHtoD_v2(CUdeviceptr dst, const void *src, size_t n) { return cuMemcpy(dst, (uintptr_t)src, n); }
CUresult cuMemcpyHtoDAsync_v2(CUdeviceptr dst, const void *src, size_t n, CUstream s) { return cuMemcpy(dst, (uintptr_t)src, n); }
CUresult cuMemcpyDtoH_v2(void *dst, CUdeviceptr src, size_t n) { return cuMemcpy((uintptr_t)dst, src, n); }
CUresult cuMemcpyDtoHAsync_v2(void *dst, CUdeviceptr src, size_t n, CUstream s) { return cuMemcpy((uintptr_t)dst, src, n); }

CUresult cuMemcpy2D_v2(const CUDA_MEMCPY2D *c)
{
    const uint8_t *src = c->srcMemoryType == CU_MEMORYTYPE_HOST ? c->srcHost :
                         (const uint8_t *)(uintptr_t)c->srcDevice;
    uint8_t *dst = c->dstMemoryType == CU_MEMORYTYPE_HOST ? c->dstHost :
                   (uint8_t *)(uintptr_t)c->dstDevice;

    src += c->srcY * c->srcPitch + c->srcXInBytes;
    dst += c->dstY * c->dstPitch + c->dstXInBytes;
    for (size_t y = 0; y < c->Height; y++)
        memcpy(dst + y * c->dstPitch, src + y * c->srcPitch, c->WidthInBytes);
    return CUDA_SUCCESS;
}

CUresult cuMemcpy2DAsync_v2(const CUDA_MEMCPY2D *c, CUstream s) { return cuMemcpy2D_v2(c); }

CUresult cuGetErrorName(CUresult err, const char **s) { *s = "CUDA_ERROR_EMULATED"; return CUDA_SUCCESS; }
CUresult cuGetErrorString(CUresult err, const char **s) { *s = "error in the host CUDA emulator"; return CUDA_SUCCESS; }

CUresult cuStreamCreate(CUstream *s, unsigned flags) { *s = DUMMY; return CUDA_SUCCESS; }
CUresult cuStreamSynchronize(CUstream s) { return CUDA_SUCCESS; }
CUresult cuStreamDestroy_v2(CUstream s) { return CUDA_SUCCESS; }

#define EMU_EVENT_MAGIC 0x64336576u
#define EMU_INVALID_HANDLE 400      /* CUDA_ERROR_INVALID_HANDLE */
#define EMU_INVALID_VALUE  1        /* CUDA_ERROR_INVALID_VALUE */
#define EMU_CU_EVENT_DISABLE_TIMING 2

typedef struct EmuEvent {
    unsigned magic, flags;
    int recorded;
    double t;                       /* seconds, CLOCK_MONOTONIC, at the last record */
} EmuEvent;

static EmuEvent *event_of(CUevent e)
{
    EmuEvent *ev = (EmuEvent *)e;
    return ev && ev->magic == EMU_EVENT_MAGIC ? ev : NULL;
}

CUresult cuEventCreate(CUevent *e, unsigned flags)
{
    EmuEvent *ev = calloc(1, sizeof(*ev));
    if (!ev)
        return 2;
    ev->magic = EMU_EVENT_MAGIC;
    ev->flags = flags;
    *e = (CUevent)ev;
    return CUDA_SUCCESS;
}

CUresult cuEventDestroy_v2(CUevent e)
{
    EmuEvent *ev = event_of(e);
    if (!ev)
        return EMU_INVALID_HANDLE;
    ev->magic = 0;
    free(ev);
    return CUDA_SUCCESS;
}

CUresult cuEventRecord(CUevent e, CUstream s)
{
    EmuEvent *ev = event_of(e);
    struct timespec ts;
    if (!ev)
        return EMU_INVALID_HANDLE;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ev->t = ts.tv_sec + ts.tv_nsec / 1e9;
    ev->recorded = 1;
    return CUDA_SUCCESS;
}

/* Streams are synchronous: a recorded event has been reached. */
CUresult cuEventQuery(CUevent e) { return event_of(e) ? CUDA_SUCCESS : EMU_INVALID_HANDLE; }
CUresult cuEventSynchronize(CUevent e) { return event_of(e) ? CUDA_SUCCESS : EMU_INVALID_HANDLE; }

CUresult cuEventElapsedTime(float *ms, CUevent start, CUevent end);
CUresult cuEventElapsedTime(float *ms, CUevent start, CUevent end)
{
    EmuEvent *a = event_of(start), *b = event_of(end);
    if (!a || !b || !ms)
        return EMU_INVALID_HANDLE;
    if ((a->flags | b->flags) & EMU_CU_EVENT_DISABLE_TIMING || !a->recorded || !b->recorded)
        return EMU_INVALID_HANDLE;
    *ms = (float)((b->t - a->t) * 1e3);
    return CUDA_SUCCESS;
}

/* Pinned host memory: a count of blocks held, checked at exit on request. */
static int pinned_held;

CUresult cuMemAllocHost_v2(void **p, size_t size);
CUresult cuMemAllocHost_v2(void **p, size_t size)
{
    size_t *m = malloc(size + 16);
    if (!m)
        return 2;
    m[0] = EMU_EVENT_MAGIC + 1;     /* a tag: cuMemFreeHost takes only these blocks */
    pinned_held++;
    *p = (char *)m + 16;
    return CUDA_SUCCESS;
}

CUresult cuMemFreeHost(void *p);
CUresult cuMemFreeHost(void *p)
{
    size_t *m = p ? (size_t *)((char *)p - 16) : NULL;
    if (!m || m[0] != EMU_EVENT_MAGIC + 1)
        return EMU_INVALID_VALUE;
    m[0] = 0;
    pinned_held--;
    free(m);
    return CUDA_SUCCESS;
}

__attribute__((destructor)) static void pinned_check(void)
{
    if (getenv("D3EMU_LEAK_CHECK") && pinned_held)
        fprintf(stderr, "d3emu: %d pinned host blocks not freed\n", pinned_held);
}

CUresult cuModuleLoadData(CUmodule *m, const void *image) { *m = DUMMY; return CUDA_SUCCESS; }
CUresult cuModuleUnload(CUmodule m) { return CUDA_SUCCESS; }

CUresult cuModuleGetFunction(CUfunction *f, CUmodule m, const char *name)
{
    *f = (CUfunction)d3emu_kernel(name);
    return *f ? CUDA_SUCCESS : EMU_ERROR_NOT_FOUND;
}

CUresult cuLaunchKernel(CUfunction f, unsigned gx, unsigned gy, unsigned gz,
                        unsigned bx, unsigned by, unsigned bz, unsigned shared,
                        CUstream s, void **args, void **extra)
{
    if (!f || !args || extra)
        return 1; /* invalid value */
    d3emu_launch(f, gx, gy, gz, bx, by, bz, args);
    return CUDA_SUCCESS;
}

/* Everything else the loader requires: present, and a success. */
#define STUB(name) CUresult name(void); CUresult name(void) { return CUDA_SUCCESS; }
STUB(cuCtxSetLimit)
STUB(cuMemAllocManaged)
STUB(cuDevicePrimaryCtxReset)
STUB(cuStreamQuery)
STUB(cuStreamAddCallback)
STUB(cuStreamWaitEvent)
STUB(cuLinkCreate)
STUB(cuLinkAddData)
STUB(cuLinkComplete)
STUB(cuLinkDestroy)
STUB(cuModuleGetGlobal)
STUB(cuTexObjectCreate)
STUB(cuTexObjectDestroy)
STUB(cuGLGetDevices_v2)
STUB(cuGraphicsGLRegisterImage)
STUB(cuGraphicsUnregisterResource)
STUB(cuGraphicsMapResources)
STUB(cuGraphicsUnmapResources)
STUB(cuGraphicsSubResourceGetMappedArray)
STUB(cuGraphicsResourceGetMappedPointer_v2)
STUB(cuArrayCreate_v2)
STUB(cuArray3DCreate_v2)
STUB(cuArrayDestroy)
