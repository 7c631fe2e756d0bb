/*
 * A host emulation of the CUDA driver API, as libcuda.so.1, for testing the
 * deep3d CUDA path where there is no GPU (tests/unit/test_cuda.sh).
 *
 * FFmpeg loads libcuda.so.1 with dlopen (ffnvcodec); with this library first
 * on LD_LIBRARY_PATH, the unmodified ffmpeg binary creates a "CUDA device",
 * uploads and downloads frames (hwupload, hwdownload), and the deep3d filter
 * runs its CUDA path: device memory is host memory, streams are synchronous,
 * and kernels are the deep3d kernels compiled for the host (kernels.cpp),
 * found by name in the "module" whatever PTX is given (launch.cpp runs them,
 * with __syncthreads and shared memory). Everything else the
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
 * Streams are objects (cuStreamCreate) that can be captured into graphs
 * (cuStreamBeginCapture_v2 ... cuStreamEndCapture), with the rules a driver
 * enforces in thread-local capture mode: while this thread captures, a
 * synchronous call (stream, event or context synchronisation, a synchronous
 * copy, an allocation or free) or work on the legacy NULL stream fails with
 * CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED and invalidates the capture, whose
 * end then fails with CUDA_ERROR_STREAM_CAPTURE_INVALIDATED. Captured
 * launches become kernel nodes holding copies of their argument values (the
 * sizes of the kernel's own parameters, kernels.cpp), copies and clears
 * become nodes too, and cudnn_emu.c defers its calls on a captured stream
 * as host nodes (d3emu_capture_host). cuStreamGetCaptureInfo_v2 names the
 * last node; an instantiated graph runs its nodes in capture order at
 * cuGraphLaunch, and cuGraphExecKernelNodeSetParams gives one of its kernel
 * nodes new arguments (same function, as the driver requires).
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

#define EMU_CAPTURE_UNSUPPORTED 900     /* CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED */
#define EMU_CAPTURE_INVALIDATED 901     /* CUDA_ERROR_STREAM_CAPTURE_INVALIDATED */
#define EMU_LAUNCH_FAILED       719     /* CUDA_ERROR_LAUNCH_FAILED */
#define EMU_INVALID_HANDLE 400      /* CUDA_ERROR_INVALID_HANDLE */
#define EMU_INVALID_VALUE  1        /* CUDA_ERROR_INVALID_VALUE */

#define EMU_ERROR_NOT_FOUND 500

const void *d3emu_kernel(const char *name);
int d3emu_kernel_args(const void *kernel, const size_t **sizes);
int d3emu_launch(const void *kernel, unsigned gx, unsigned gy, unsigned gz,
                 unsigned bx, unsigned by, unsigned bz, unsigned shared, void **args);

static int dummy_object;
#define DUMMY ((void *)&dummy_object)

/* ---- streams, capture and graphs ---- */

enum NodeType { NODE_KERNEL, NODE_COPY, NODE_SET, NODE_HOST };

typedef struct EmuNode {
    enum NodeType type;
    const void *kernel;
    unsigned grid[3], block[3];
    unsigned shared;                /* kernel: dynamic shared memory, bytes */
    unsigned char *blob;            /* kernel: argument values; host: the closure's data */
    void **args;                    /* kernel: pointers into blob */
    int nb_args;
    void *dst;
    const void *src;
    size_t n;
    unsigned char value;
    int (*fn)(void *);
} EmuNode;

typedef struct EmuGraph {
    unsigned magic;
    EmuNode *nodes;
    int nb_nodes;
} EmuGraph;

typedef struct EmuStream {
    unsigned magic;
    EmuGraph *capture;              /* being captured into, or NULL */
    int invalid;                    /* the capture was invalidated */
} EmuStream;

#define EMU_STREAM_MAGIC 0x64337374u
#define EMU_GRAPH_MAGIC  0x64336772u
#define EMU_EXEC_MAGIC   0x64336578u

/* The stream this thread captures (thread-local capture mode). */
static _Thread_local EmuStream *capturing;

static EmuStream *stream_of(CUstream s)
{
    EmuStream *st = (EmuStream *)s;
    return st && st->magic == EMU_STREAM_MAGIC ? st : NULL;
}

/* A call the driver refuses while this thread captures: the capture is invalidated. */
static int capture_forbids(void)
{
    if (!capturing)
        return 0;
    capturing->invalid = 1;
    return 1;
}
#define REFUSED_IN_CAPTURE() do { if (capture_forbids()) return EMU_CAPTURE_UNSUPPORTED; } while (0)

/* Work queued on s: 1 when it is captured (the caller records a node), 0 when
 * it runs now, < 0 (an error code, negated) when refused. */
static int queued(CUstream s)
{
    EmuStream *st = stream_of(s);
    if (st && st->capture)
        return st->invalid ? -EMU_CAPTURE_INVALIDATED : 1;
    /* the legacy stream synchronises with every other: not while capturing */
    if (!s && capture_forbids())
        return -EMU_CAPTURE_UNSUPPORTED;
    return 0;
}

static EmuNode *add_node(EmuStream *st)
{
    EmuGraph *g = st->capture;
    EmuNode *n = realloc(g->nodes, (g->nb_nodes + 1) * sizeof(*n));
    if (!n) {
        st->invalid = 1;
        return NULL;
    }
    g->nodes = n;
    n = &g->nodes[g->nb_nodes++];
    memset(n, 0, sizeof(*n));
    return n;
}

/* The argument values of a kernel launch, copied into the node (16-byte slots
 * aligned as any parameter needs). */
static int set_kernel_args(EmuNode *n, const void *kernel, void **args)
{
    const size_t *size;
    int nb = d3emu_kernel_args(kernel, &size);
    size_t total = 0, off = 0;
    unsigned char *blob;
    void **ptrs;

    for (int i = 0; i < nb; i++)
        total += (size[i] + 15) & ~(size_t)15;
    blob = malloc(total + 16);
    ptrs = malloc((nb + 1) * sizeof(*ptrs));
    if (!blob || !ptrs) {
        free(blob);
        free(ptrs);
        return -1;
    }
    for (int i = 0; i < nb; i++) {
        memcpy(blob + off, args[i], size[i]);
        ptrs[i] = blob + off;
        off += (size[i] + 15) & ~(size_t)15;
    }
    free(n->blob);
    free(n->args);
    n->kernel  = kernel;
    n->blob    = blob;
    n->args    = ptrs;
    n->nb_args = nb;
    return 0;
}

static int run_node(const EmuNode *n)
{
    switch (n->type) {
    case NODE_KERNEL:
        return d3emu_launch(n->kernel, n->grid[0], n->grid[1], n->grid[2], n->block[0],
                            n->block[1], n->block[2], n->shared, n->args) ? -1 : 0;
    case NODE_COPY:
        memmove(n->dst, n->src, n->n);
        return 0;
    case NODE_SET:
        memset(n->dst, n->value, n->n);
        return 0;
    case NODE_HOST:
        return n->fn(n->blob);
    }
    return -1;
}

static void graph_free(EmuGraph *g)
{
    if (!g)
        return;
    for (int i = 0; i < g->nb_nodes; i++) {
        free(g->nodes[i].blob);
        free(g->nodes[i].args);
    }
    free(g->nodes);
    g->magic = 0;
    free(g);
}

/* A copy of g (an executable graph: its own argument values). */
static EmuGraph *graph_copy(const EmuGraph *g, unsigned magic)
{
    EmuGraph *c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    c->magic = magic;
    if (g->nb_nodes && !(c->nodes = calloc(g->nb_nodes, sizeof(*c->nodes)))) {
        free(c);
        return NULL;
    }
    for (int i = 0; i < g->nb_nodes; i++) {
        const EmuNode *n = &g->nodes[i];
        c->nodes[i] = *n;
        c->nodes[i].blob = NULL;
        c->nodes[i].args = NULL;
        c->nb_nodes = i + 1;
        if (n->type == NODE_KERNEL && set_kernel_args(&c->nodes[i], n->kernel, n->args) < 0) {
            graph_free(c);
            return NULL;
        }
        if (n->type == NODE_HOST) {
            if (!(c->nodes[i].blob = malloc(n->n))) {
                graph_free(c);
                return NULL;
            }
            memcpy(c->nodes[i].blob, n->blob, n->n);
        }
    }
    return c;
}

/* For cudnn_emu.c: fn(data) as a host node of the graph s is captured into
 * (1), or nothing when s is not captured (0: the caller runs it now); < 0
 * when the capture is invalid or out of memory. fn NULL: whether s is
 * captured, recording nothing. */
int d3emu_capture_host(void *s, int (*fn)(void *), const void *data, size_t size);
int d3emu_capture_host(void *s, int (*fn)(void *), const void *data, size_t size)
{
    EmuStream *st = stream_of((CUstream)s);
    int q = queued((CUstream)s);
    EmuNode *n;

    if (q <= 0)
        return q < 0 ? -1 : 0;
    if (!fn)        /* a query: the stream is captured */
        return 1;
    if (!(n = add_node(st)) || !(n->blob = malloc(size)))
        return -1;
    n->type = NODE_HOST;
    n->fn   = fn;
    n->n    = size;
    memcpy(n->blob, data, size);
    return 1;
}

CUresult cuStreamCreate(CUstream *s, unsigned flags)
{
    EmuStream *st = calloc(1, sizeof(*st));
    if (!st)
        return 2;
    st->magic = EMU_STREAM_MAGIC;
    *s = (CUstream)st;
    return CUDA_SUCCESS;
}

CUresult cuStreamDestroy_v2(CUstream s)
{
    EmuStream *st = stream_of(s);
    if (!st || st->capture)
        return EMU_INVALID_HANDLE;
    st->magic = 0;
    free(st);
    return CUDA_SUCCESS;
}

CUresult cuStreamSynchronize(CUstream s) { REFUSED_IN_CAPTURE(); return CUDA_SUCCESS; }
CUresult cuCtxSynchronize(void);
CUresult cuCtxSynchronize(void) { REFUSED_IN_CAPTURE(); return CUDA_SUCCESS; }

CUresult cuStreamWaitEvent(CUstream s, CUevent e, unsigned flags)
{
    int q = queued(s);
    return q < 0 ? -q : CUDA_SUCCESS;
}

CUresult cuStreamBeginCapture_v2(CUstream s, int mode);
CUresult cuStreamBeginCapture_v2(CUstream s, int mode)
{
    EmuStream *st = stream_of(s);
    if (!st)        /* the legacy stream cannot be captured */
        return EMU_CAPTURE_UNSUPPORTED;
    if (st->capture || capturing)
        return EMU_INVALID_VALUE;
    if (!(st->capture = calloc(1, sizeof(*st->capture))))
        return 2;
    st->capture->magic = EMU_GRAPH_MAGIC;
    st->invalid = 0;
    capturing = st;
    return CUDA_SUCCESS;
}

CUresult cuStreamEndCapture(CUstream s, void **graph);
CUresult cuStreamEndCapture(CUstream s, void **graph)
{
    EmuStream *st = stream_of(s);
    if (!st || !st->capture || capturing != st)
        return EMU_INVALID_VALUE;   /* CUDA_ERROR_ILLEGAL_STATE in spirit */
    capturing = NULL;
    *graph = NULL;
    if (st->invalid) {
        graph_free(st->capture);
        st->capture = NULL;
        return EMU_CAPTURE_INVALIDATED;
    }
    *graph = st->capture;
    st->capture = NULL;
    return CUDA_SUCCESS;
}

CUresult cuStreamGetCaptureInfo_v2(CUstream s, int *status, unsigned long long *id, void **graph,
                                   void *const **deps, size_t *nb_deps);
CUresult cuStreamGetCaptureInfo_v2(CUstream s, int *status, unsigned long long *id, void **graph,
                                   void *const **deps, size_t *nb_deps)
{
    EmuStream *st = stream_of(s);
    /* the last node's handle: its index + 1 (nodes move as the array grows) */
    static _Thread_local void *last;

    *status = st && st->capture ? (st->invalid ? 2 : 1) : 0;
    if (id)
        *id = 1;
    if (graph)
        *graph = st ? st->capture : NULL;
    if (deps) {
        int n = st && st->capture ? st->capture->nb_nodes : 0;
        last = (void *)(uintptr_t)n;
        *deps = &last;
        if (nb_deps)
            *nb_deps = n > 0;
    } else if (nb_deps) {
        *nb_deps = st && st->capture && st->capture->nb_nodes > 0;
    }
    return CUDA_SUCCESS;
}

CUresult cuGraphInstantiateWithFlags(void **exec, void *graph, unsigned long long flags);
CUresult cuGraphInstantiateWithFlags(void **exec, void *graph, unsigned long long flags)
{
    EmuGraph *g = graph;
    REFUSED_IN_CAPTURE();
    if (!g || g->magic != EMU_GRAPH_MAGIC)
        return EMU_INVALID_VALUE;
    if (!(*exec = graph_copy(g, EMU_EXEC_MAGIC)))
        return 2;
    return CUDA_SUCCESS;
}

CUresult cuGraphLaunch(void *exec, CUstream s);
CUresult cuGraphLaunch(void *exec, CUstream s)
{
    EmuGraph *g = exec;
    int q = queued(s);

    if (!g || g->magic != EMU_EXEC_MAGIC)
        return EMU_INVALID_VALUE;
    if (q)  /* into a capture: not emulated */
        return q < 0 ? -q : EMU_CAPTURE_UNSUPPORTED;
    for (int i = 0; i < g->nb_nodes; i++)
        if (run_node(&g->nodes[i]) < 0) {
            fprintf(stderr, "d3emu: node %d of a graph failed\n", i);
            return EMU_LAUNCH_FAILED;
        }
    return CUDA_SUCCESS;
}

/* The layout of CUDA_KERNEL_NODE_PARAMS_v2 (v1 plus kern and ctx). */
typedef struct EmuKernelNodeParams {
    void *func;
    unsigned gx, gy, gz, bx, by, bz, shared;
    void **params, **extra;
    void *kern, *ctx;
} EmuKernelNodeParams;

static CUresult exec_set_params(void *exec, void *node, const EmuKernelNodeParams *p)
{
    EmuGraph *g = exec;
    uintptr_t i = (uintptr_t)node;
    EmuNode *n;

    REFUSED_IN_CAPTURE();
    if (!g || g->magic != EMU_EXEC_MAGIC || i < 1 || i > (uintptr_t)g->nb_nodes || !p ||
        !p->params || p->extra)
        return EMU_INVALID_VALUE;
    n = &g->nodes[i - 1];
    /* a kernel node keeps its function */
    if (n->type != NODE_KERNEL || n->kernel != p->func)
        return EMU_INVALID_VALUE;
    n->grid[0] = p->gx; n->grid[1] = p->gy; n->grid[2] = p->gz;
    n->block[0] = p->bx; n->block[1] = p->by; n->block[2] = p->bz;
    if (p->shared > 48 << 10)
        return EMU_INVALID_VALUE;
    n->shared = p->shared;
    return set_kernel_args(n, p->func, p->params) < 0 ? 2 : CUDA_SUCCESS;
}

CUresult cuGraphExecKernelNodeSetParams_v2(void *exec, void *node, const EmuKernelNodeParams *p);
CUresult cuGraphExecKernelNodeSetParams_v2(void *exec, void *node, const EmuKernelNodeParams *p)
{
    return exec_set_params(exec, node, p);
}

CUresult cuGraphExecDestroy(void *exec);
CUresult cuGraphExecDestroy(void *exec)
{
    EmuGraph *g = exec;
    if (!g || g->magic != EMU_EXEC_MAGIC)
        return EMU_INVALID_VALUE;
    graph_free(g);
    return CUDA_SUCCESS;
}

CUresult cuGraphDestroy(void *graph);
CUresult cuGraphDestroy(void *graph)
{
    EmuGraph *g = graph;
    if (!g || g->magic != EMU_GRAPH_MAGIC)
        return EMU_INVALID_VALUE;
    graph_free(g);
    return CUDA_SUCCESS;
}

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
    void *m;
    REFUSED_IN_CAPTURE();
    m = aligned_alloc(256, (size + 255) & ~(size_t)255);
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

CUresult cuMemFree_v2(CUdeviceptr p)
{
    REFUSED_IN_CAPTURE();
    free((void *)(uintptr_t)p);
    return CUDA_SUCCESS;
}

CUresult cuMemsetD8Async(CUdeviceptr p, unsigned char v, size_t n, CUstream s)
{
    int q = queued(s);
    EmuNode *node;

    if (q < 0)
        return -q;
    if (q) {
        if (!(node = add_node(stream_of(s))))
            return 2;
        node->type = NODE_SET;
        node->dst = (void *)(uintptr_t)p;
        node->value = v;
        node->n = n;
        return CUDA_SUCCESS;
    }
    memset((void *)(uintptr_t)p, v, n);
    return CUDA_SUCCESS;
}

/* A copy queued on s: a node when s is captured. */
static CUresult copy_async(void *dst, const void *src, size_t n, CUstream s)
{
    int q = queued(s);
    EmuNode *node;

    if (q < 0)
        return -q;
    if (q) {
        if (!(node = add_node(stream_of(s))))
            return 2;
        node->type = NODE_COPY;
        node->dst = dst;
        node->src = src;
        node->n = n;
        return CUDA_SUCCESS;
    }
    memcpy(dst, src, n);
    return CUDA_SUCCESS;
}

/* A synchronous copy: refused while capturing. */
static CUresult copy_sync(void *dst, const void *src, size_t n)
{
    REFUSED_IN_CAPTURE();
    memcpy(dst, src, n);
    return CUDA_SUCCESS;
}

#define PTR(p) ((void *)(uintptr_t)(p))
CUresult cuMemcpy(CUdeviceptr dst, CUdeviceptr src, size_t n) { return copy_sync(PTR(dst), PTR(src), n); }
CUresult cuMemcpyAsync(CUdeviceptr dst, CUdeviceptr src, size_t n, CUstream s) { return copy_async(PTR(dst), PTR(src), n, s); }
CUresult cuMemcpyDtoD_v2(CUdeviceptr dst, CUdeviceptr src, size_t n) { return copy_sync(PTR(dst), PTR(src), n); }
CUresult cuMemcpyDtoDAsync_v2(CUdeviceptr dst, CUdeviceptr src, size_t n, CUstream s) { return copy_async(PTR(dst), PTR(src), n, s); }
CUresult cuMemcpyHtoD_v2(CUdeviceptr dst, const void *src, size_t n) { return copy_sync(PTR(dst), src, n); }
CUresult cuMemcpyHtoDAsync_v2(CUdeviceptr dst, const void *src, size_t n, CUstream s) { return copy_async(PTR(dst), src, n, s); }
CUresult cuMemcpyDtoH_v2(void *dst, CUdeviceptr src, size_t n) { return copy_sync(dst, PTR(src), n); }
CUresult cuMemcpyDtoHAsync_v2(void *dst, CUdeviceptr src, size_t n, CUstream s) { return copy_async(dst, PTR(src), n, s); }

/* 2D copies: run at once (FFmpeg's transfers); not captured. */
static CUresult copy_2d(const CUDA_MEMCPY2D *c)
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

CUresult cuMemcpy2D_v2(const CUDA_MEMCPY2D *c)
{
    REFUSED_IN_CAPTURE();
    return copy_2d(c);
}

CUresult cuMemcpy2DAsync_v2(const CUDA_MEMCPY2D *c, CUstream s)
{
    int q = queued(s);
    if (q)  /* a 2D copy node is not emulated: refused rather than run out of order */
        return q < 0 ? -q : EMU_CAPTURE_UNSUPPORTED;
    return copy_2d(c);
}

CUresult cuGetErrorName(CUresult err, const char **s) { *s = "CUDA_ERROR_EMULATED"; return CUDA_SUCCESS; }
CUresult cuGetErrorString(CUresult err, const char **s) { *s = "error in the host CUDA emulator"; return CUDA_SUCCESS; }


#define EMU_EVENT_MAGIC 0x64336576u
#define EMU_CU_EVENT_DISABLE_TIMING 2

typedef struct EmuEvent {
    unsigned magic, flags;
    int recorded;
    int captured;                   /* last recorded into a capture: no time, not waitable */
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
    int q = queued(s);
    if (!ev)
        return EMU_INVALID_HANDLE;
    if (q < 0)
        return -q;
    /* in a capture, a record orders streams only: no point in time when the graph runs */
    ev->captured = q;
    if (q)
        return CUDA_SUCCESS;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ev->t = ts.tv_sec + ts.tv_nsec / 1e9;
    ev->recorded = 1;
    return CUDA_SUCCESS;
}

/* Streams are synchronous: a recorded event has been reached. */
CUresult cuEventQuery(CUevent e)
{
    EmuEvent *ev = event_of(e);
    return ev && !ev->captured ? CUDA_SUCCESS : EMU_INVALID_HANDLE;
}

CUresult cuEventSynchronize(CUevent e)
{
    REFUSED_IN_CAPTURE();
    return cuEventQuery(e);
}

CUresult cuEventElapsedTime(float *ms, CUevent start, CUevent end);
CUresult cuEventElapsedTime(float *ms, CUevent start, CUevent end)
{
    EmuEvent *a = event_of(start), *b = event_of(end);
    if (!a || !b || !ms)
        return EMU_INVALID_HANDLE;
    if ((a->flags | b->flags) & EMU_CU_EVENT_DISABLE_TIMING || !a->recorded || !b->recorded ||
        a->captured || b->captured)
        return EMU_INVALID_HANDLE;
    *ms = (float)((b->t - a->t) * 1e3);
    return CUDA_SUCCESS;
}

/* Pinned host memory: a count of blocks held, checked at exit on request. */
static int pinned_held;

CUresult cuMemAllocHost_v2(void **p, size_t size);
CUresult cuMemAllocHost_v2(void **p, size_t size)
{
    size_t *m;
    REFUSED_IN_CAPTURE();
    m = malloc(size + 16);
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
    REFUSED_IN_CAPTURE();
    if (!m || m[0] != EMU_EVENT_MAGIC + 1)
        return EMU_INVALID_VALUE;
    m[0] = 0;
    pinned_held--;
    free(m);
    return CUDA_SUCCESS;
}

/* Pinned memory as the device sees it: the same address (unified addressing). */
CUresult cuMemHostGetDevicePointer_v2(CUdeviceptr *d, void *p, unsigned flags);
CUresult cuMemHostGetDevicePointer_v2(CUdeviceptr *d, void *p, unsigned flags)
{
    size_t *m = p ? (size_t *)((char *)p - 16) : NULL;
    if (!m || m[0] != EMU_EVENT_MAGIC + 1 || flags)
        return EMU_INVALID_VALUE;
    *d = (CUdeviceptr)(uintptr_t)p;
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
    int q = queued(s);
    EmuNode *n;

    if (!f || !args || extra)
        return 1; /* invalid value */
    /* 48 KiB: the dynamic shared memory a launch gets without opting in */
    if (shared > 48 << 10)
        return 1;
    if (q < 0)
        return -q;
    if (q) {
        if (!(n = add_node(stream_of(s))))
            return 2;
        n->type = NODE_KERNEL;
        n->grid[0] = gx; n->grid[1] = gy; n->grid[2] = gz;
        n->block[0] = bx; n->block[1] = by; n->block[2] = bz;
        n->shared = shared;
        if (set_kernel_args(n, f, args) < 0) {
            stream_of(s)->invalid = 1;
            return 2;
        }
        return CUDA_SUCCESS;
    }
    return d3emu_launch(f, gx, gy, gz, bx, by, bz, shared, args) ? 1 : CUDA_SUCCESS;
}

/* Everything else the loader requires: present, and a success. */
#define STUB(name) CUresult name(void); CUresult name(void) { return CUDA_SUCCESS; }
STUB(cuCtxSetLimit)
STUB(cuMemAllocManaged)
STUB(cuDevicePrimaryCtxReset)
STUB(cuStreamQuery)
STUB(cuStreamAddCallback)
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
