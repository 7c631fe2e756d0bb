/*
 * A stand-in for cuDNN 9, as libcudnn.so.9, for the host CUDA emulator
 * (cuda_emu.c): the functions libavfilter/deep3d_cudnn.h declares, each
 * defined with that header's type, computing on "device" memory that is host
 * memory. Convolutions and transposed convolutions (backward data) are plain
 * loops in float over NCHW or NHWC tensors, with cuDNN's alpha / beta
 * semantics (beta == 0: the output is not read). Tensors and filters of
 * CUDNN_DATA_HALF are read as half and widened to float, computed in float
 * (cuDNN's "pseudo half", float compute type) and rounded to nearest even on
 * store, with the conversion of libavfilter/deep3d_half.h. The algorithm
 * queries offer a tensor-core result first, which deep3d must skip in fp32
 * (running it on float tensors is an error here: that would be TF32) and may
 * take in fp16, then an FMA one with a small workspace, which deep3d must
 * allocate and pass. The timed searches (Find*AlgorithmEx) rank otherwise,
 * in a fixed order as if timed: the tensor-core result, then FMA algorithm
 * 2, then 0; an algorithm whose workspace exceeds the one given fails there
 * with an allocation status, as cuDNN reports it. They check the buffers and
 * overwrite the output, as cuDNN may. The fused convolution + bias + ReLU
 * (cudnnConvolutionBiasActivationForward) takes cuDNN's float configuration
 * (float data, float bias) and its half one (half data, half bias, float
 * sums): the sum, + alpha2 z, + the bias, the ReLU, rounded once on store.
 * With $D3EMU_NO_HALF set, half tensors are refused (CUDNN_STATUS_NOT_SUPPORTED),
 * as by a cuDNN or GPU without them.
 *
 * On a stream being captured into a CUDA graph (cuda_emu.c), the computing
 * calls are checked and recorded as host nodes of the graph, run when it is
 * launched; with $D3EMU_CUDNN_NO_CAPTURE set they refuse a captured stream
 * (CUDNN_STATUS_NOT_SUPPORTED), as a cuDNN whose engine cannot be captured
 * would, so the fallback to plain launches can be tested.
 */

#define _GNU_SOURCE /* RTLD_NOLOAD */
#include <dlfcn.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "libavfilter/deep3d_cudnn.h"
#include "libavfilter/deep3d_half.h"

#define EMU_WORKSPACE 4096

struct cudnnContext { void *stream; };
/* type: CUDNN_DATA_FLOAT or _HALF; nhwc: the memory order (filters: KRSC) */
struct cudnnTensorStruct { int n, c, h, w, type, nhwc; };
struct cudnnFilterStruct { int k, c, h, w, type, nhwc; };
struct cudnnConvolutionStruct { int pad_h, pad_w, u, v, dil_h, dil_w, math, compute; };
struct cudnnActivationStruct { int mode, nan_opt, set; double coef; };

#define TENSOR_ALGO 1   /* the tensor-core result of the algorithm queries */

#define CHECKED(name, required) t##name name;
DEEP3D_CUDNN_FUNCTIONS(CHECKED)

size_t cudnnGetVersion(void) { return 91900; }

/* ---- graph capture (cuda_emu.c's d3emu_capture_host) ---- */

#define STATUS_NOT_SUPPORTED 3000

typedef int capture_host_fn(void *s, int (*fn)(void *), const void *data, size_t size);

/* fn(data, size bytes) deferred into the graph h's stream is captured into:
 * 1 when deferred, 0 when the stream is not captured (run now), or a
 * status (< 0: negated) when refused. */
static int deferred(cudnnHandle_t h, int (*fn)(void *), const void *data, size_t size)
{
    static capture_host_fn *capture;
    int r;

    if (!h->stream)
        return 0;
    if (!capture) {
        void *lib = dlopen("libcuda.so.1", RTLD_NOW | RTLD_NOLOAD);
        capture = lib ? (capture_host_fn *)dlsym(lib, "d3emu_capture_host") : NULL;
        if (!capture)
            return 0;   /* not the emulator's libcuda: nothing is captured */
    }
    if (getenv("D3EMU_CUDNN_NO_CAPTURE")) {
        /* only a query here: recording nothing */
        r = capture(h->stream, NULL, NULL, 0);
        return r ? -STATUS_NOT_SUPPORTED : 0;
    }
    r = capture(h->stream, fn, data, size);
    return r < 0 ? -STATUS_NOT_SUPPORTED : r;
}

const char *cudnnGetErrorString(cudnnStatus_t s)
{
    return s == CUDNN_STATUS_SUCCESS ? "CUDNN_STATUS_SUCCESS" : "CUDNN_STATUS_EMULATED_ERROR";
}

void cudnnGetLastErrorString(char *message, size_t size)
{
    if (size)
        message[0] = 0;
}

#define ALLOC(type, p) do { if (!(*(p) = calloc(1, sizeof(**(p))))) return 4003; } while (0)
cudnnStatus_t cudnnCreate(cudnnHandle_t *h) { ALLOC(struct cudnnContext, h); return 0; }
cudnnStatus_t cudnnDestroy(cudnnHandle_t h) { free(h); return 0; }
cudnnStatus_t cudnnSetStream(cudnnHandle_t h, cudaStream_t s) { h->stream = s; return 0; }
cudnnStatus_t cudnnCreateTensorDescriptor(cudnnTensorDescriptor_t *d) { ALLOC(struct cudnnTensorStruct, d); return 0; }
cudnnStatus_t cudnnDestroyTensorDescriptor(cudnnTensorDescriptor_t d) { free(d); return 0; }
cudnnStatus_t cudnnCreateFilterDescriptor(cudnnFilterDescriptor_t *d) { ALLOC(struct cudnnFilterStruct, d); return 0; }
cudnnStatus_t cudnnDestroyFilterDescriptor(cudnnFilterDescriptor_t d) { free(d); return 0; }
cudnnStatus_t cudnnCreateConvolutionDescriptor(cudnnConvolutionDescriptor_t *d) { ALLOC(struct cudnnConvolutionStruct, d); return 0; }
cudnnStatus_t cudnnDestroyConvolutionDescriptor(cudnnConvolutionDescriptor_t d) { free(d); return 0; }

static int format_ok(cudnnTensorFormat_t format, cudnnDataType_t type)
{
    return (format == CUDNN_TENSOR_NCHW || format == CUDNN_TENSOR_NHWC) &&
           (type == CUDNN_DATA_FLOAT || type == CUDNN_DATA_HALF);
}

/* $D3EMU_NO_HALF set: a cuDNN or GPU without half support (tensors refused). */
static int half_refused(cudnnDataType_t type)
{
    return type == CUDNN_DATA_HALF && getenv("D3EMU_NO_HALF");
}

cudnnStatus_t cudnnSetTensor4dDescriptor(cudnnTensorDescriptor_t d, cudnnTensorFormat_t format,
                                         cudnnDataType_t type, int n, int c, int h, int w)
{
    if (!format_ok(format, type) || n < 1 || c < 1 || h < 1 || w < 1 || half_refused(type))
        return 3000;
    *d = (struct cudnnTensorStruct){ n, c, h, w, type, format == CUDNN_TENSOR_NHWC };
    return 0;
}

cudnnStatus_t cudnnSetFilter4dDescriptor(cudnnFilterDescriptor_t d, cudnnDataType_t type,
                                         cudnnTensorFormat_t format, int k, int c, int h, int w)
{
    if (!format_ok(format, type) || k < 1 || c < 1 || h < 1 || w < 1)
        return 3000;
    *d = (struct cudnnFilterStruct){ k, c, h, w, type, format == CUDNN_TENSOR_NHWC };
    return 0;
}

/* Element (n, c, y, x) of a tensor of C x H x W in either memory order. */
static size_t at(int nhwc, int C, int H, int W, int n, int c, int y, int x)
{
    return nhwc ? (((size_t)n * H + y) * W + x) * C + c : (((size_t)n * C + c) * H + y) * W + x;
}
#define AT_T(t, n, ch, y, x) at((t)->nhwc, (t)->c, (t)->h, (t)->w, n, ch, y, x)
#define AT_F(f, k, ch, y, x) at((f)->nhwc, (f)->c, (f)->h, (f)->w, k, ch, y, x)

static float load(const void *p, int type, size_t i)
{
    return type == CUDNN_DATA_HALF ? ff_deep3d_half_to_float(((const uint16_t *)p)[i]) :
                                     ((const float *)p)[i];
}

static void store(void *p, int type, size_t i, float v)
{
    if (type == CUDNN_DATA_HALF)
        ((uint16_t *)p)[i] = ff_deep3d_float_to_half(v);
    else
        ((float *)p)[i] = v;
}

/* What cuDNN would run: one data type throughout, a float compute type for
 * float data, and no tensor cores (TF32) on float data, which deep3d skips. */
static int types_ok(const cudnnConvolutionDescriptor_t c, int algo, const cudnnTensorDescriptor_t x,
                    const cudnnFilterDescriptor_t w, const cudnnTensorDescriptor_t y)
{
    return x->type == w->type && x->type == y->type &&
           (x->type == CUDNN_DATA_HALF || (c->compute == CUDNN_DATA_FLOAT && algo != TENSOR_ALGO));
}

cudnnStatus_t cudnnSetConvolution2dDescriptor(cudnnConvolutionDescriptor_t d, int pad_h, int pad_w,
                                              int u, int v, int dil_h, int dil_w,
                                              cudnnConvolutionMode_t mode, cudnnDataType_t type)
{
    if (mode != CUDNN_CROSS_CORRELATION || (type != CUDNN_DATA_FLOAT && type != CUDNN_DATA_HALF) ||
        u < 1 || v < 1)
        return 3000;
    *d = (struct cudnnConvolutionStruct){ pad_h, pad_w, u, v, dil_h, dil_w, CUDNN_DEFAULT_MATH, type };
    return 0;
}

cudnnStatus_t cudnnSetConvolutionMathType(cudnnConvolutionDescriptor_t d, cudnnMathType_t m)
{
    d->math = m;
    return 0;
}

cudnnStatus_t cudnnGetConvolution2dForwardOutputDim(const cudnnConvolutionDescriptor_t c,
                                                    const cudnnTensorDescriptor_t x,
                                                    const cudnnFilterDescriptor_t w,
                                                    int *n, int *k, int *h, int *wd)
{
    if (x->c != w->c)
        return 2000;
    *n  = x->n;
    *k  = w->k;
    *h  = (x->h + 2 * c->pad_h - c->dil_h * (w->h - 1) - 1) / c->u + 1;
    *wd = (x->w + 2 * c->pad_w - c->dil_w * (w->w - 1) - 1) / c->v + 1;
    return 0;
}

/* Does y = conv(x, w) have these shapes? */
static int shapes_ok(const cudnnConvolutionDescriptor_t c, const cudnnTensorDescriptor_t x,
                     const cudnnFilterDescriptor_t w, const cudnnTensorDescriptor_t y)
{
    int n, k, h, wd;
    return !cudnnGetConvolution2dForwardOutputDim(c, x, w, &n, &k, &h, &wd) &&
           n == y->n && k == y->c && h == y->h && wd == y->w;
}

/*
 * The heuristic queries, forward and backward data alike (the perf structs
 * share one layout: deep3d_cudnn.c's _Static_assert): two results, a
 * tensor-core one first, which fp32 must skip, then FMA.
 */
static void heuristic(const cudnnConvolutionDescriptor_t c, int requested, int *returned,
                      cudnnConvolutionFwdAlgoPerf_t *perf)
{
    int n = requested < 2 ? requested : 2;

    *returned = 0;
    if (n < 1)
        return;
    memset(perf, 0, sizeof(*perf) * n);
    perf[0].algo     = TENSOR_ALGO;
    perf[0].mathType = CUDNN_TENSOR_OP_MATH;
    if (n > 1) {
        perf[1].algo     = 0;
        perf[1].mathType = c->math;
    }
    *returned = n;
}

cudnnStatus_t cudnnGetConvolutionForwardAlgorithm_v7(cudnnHandle_t h, const cudnnTensorDescriptor_t x,
                                                     const cudnnFilterDescriptor_t w,
                                                     const cudnnConvolutionDescriptor_t c,
                                                     const cudnnTensorDescriptor_t y, const int requested,
                                                     int *returned, cudnnConvolutionFwdAlgoPerf_t *perf)
{
    if (!shapes_ok(c, x, w, y))
        return 2000;
    heuristic(c, requested, returned, (cudnnConvolutionFwdAlgoPerf_t *)perf);
    return 0;
}

cudnnStatus_t cudnnGetConvolutionBackwardDataAlgorithm_v7(cudnnHandle_t h, const cudnnFilterDescriptor_t w,
                                                          const cudnnTensorDescriptor_t dy,
                                                          const cudnnConvolutionDescriptor_t c,
                                                          const cudnnTensorDescriptor_t dx, const int requested,
                                                          int *returned, cudnnConvolutionBwdDataAlgoPerf_t *perf)
{
    if (!shapes_ok(c, dx, w, dy))
        return 2000;
    heuristic(c, requested, returned, (cudnnConvolutionFwdAlgoPerf_t *)perf);
    return 0;
}

/* Every algorithm's workspace, forward and backward data alike (x: the larger side). */
static cudnnStatus_t workspace_size(const cudnnConvolutionDescriptor_t c,
                                    const cudnnTensorDescriptor_t x, const cudnnFilterDescriptor_t w,
                                    const cudnnTensorDescriptor_t y, size_t *size)
{
    *size = EMU_WORKSPACE;
    return shapes_ok(c, x, w, y) ? 0 : 2000;
}

cudnnStatus_t cudnnGetConvolutionForwardWorkspaceSize(cudnnHandle_t h, const cudnnTensorDescriptor_t x,
                                                      const cudnnFilterDescriptor_t w,
                                                      const cudnnConvolutionDescriptor_t c,
                                                      const cudnnTensorDescriptor_t y,
                                                      cudnnConvolutionFwdAlgo_t algo, size_t *size)
{
    return workspace_size(c, x, w, y, size);
}

cudnnStatus_t cudnnGetConvolutionBackwardDataWorkspaceSize(cudnnHandle_t h, const cudnnFilterDescriptor_t w,
                                                           const cudnnTensorDescriptor_t dy,
                                                           const cudnnConvolutionDescriptor_t c,
                                                           const cudnnTensorDescriptor_t dx,
                                                           cudnnConvolutionBwdDataAlgo_t algo, size_t *size)
{
    /* the forward convolution of dx gives dy */
    return workspace_size(c, dx, w, dy, size);
}

/* The workspace must be the promised size of device memory: touch all of it. */
static int workspace_ok(void *ws, size_t size)
{
    if (size < EMU_WORKSPACE || !ws)
        return 0;
    memset(ws, 0, size);
    return 1;
}

/* The float sum of output (n, k, oy, ox) of conv(x, w): cross-correlation, zero padding. */
static float conv_sum(const cudnnConvolutionDescriptor_t c, const cudnnTensorDescriptor_t xd,
                      const void *xv, const cudnnFilterDescriptor_t wd, const void *wv,
                      int n, int k, int oy, int ox)
{
    float acc = 0.0f;

    for (int ch = 0; ch < xd->c; ch++)
        for (int ky = 0; ky < wd->h; ky++)
            for (int kx = 0; kx < wd->w; kx++) {
                int iy = oy * c->u - c->pad_h + ky * c->dil_h;
                int ix = ox * c->v - c->pad_w + kx * c->dil_w;
                if (iy < 0 || iy >= xd->h || ix < 0 || ix >= xd->w)
                    continue;
                acc += load(xv, xd->type, AT_T(xd, n, ch, iy, ix)) *
                       load(wv, wd->type, AT_F(wd, k, ch, ky, kx));
            }
    return acc;
}

/* A deferred call: its arguments by value, alpha and beta included. */
typedef struct FwdCall {
    float alpha, beta;
    cudnnTensorDescriptor_t xd, yd;
    const void *xv, *wv;
    cudnnFilterDescriptor_t wd;
    cudnnConvolutionDescriptor_t c;
    cudnnConvolutionFwdAlgo_t algo;
    void *ws, *yv;
    size_t ws_size;
} FwdCall;

static int fwd_replay(void *p)
{
    const FwdCall *a = p;
    struct cudnnContext now = { NULL };
    return cudnnConvolutionForward(&now, &a->alpha, a->xd, a->xv, a->wd, a->wv, a->c, a->algo,
                                   a->ws, a->ws_size, &a->beta, a->yd, a->yv) ? -1 : 0;
}

cudnnStatus_t cudnnConvolutionForward(cudnnHandle_t h, const void *alpha_p,
                                      const cudnnTensorDescriptor_t xd, const void *xv,
                                      const cudnnFilterDescriptor_t wd, const void *wv,
                                      const cudnnConvolutionDescriptor_t c,
                                      cudnnConvolutionFwdAlgo_t algo, void *ws, size_t ws_size,
                                      const void *beta_p, const cudnnTensorDescriptor_t yd, void *yv)
{
    /* alpha and beta are float for float and half data alike */
    const float alpha = *(const float *)alpha_p, beta = *(const float *)beta_p;
    FwdCall call = { alpha, beta, xd, yd, xv, wv, wd, c, algo, ws, yv, ws_size };
    int d;

    if (!shapes_ok(c, xd, wd, yd) || !workspace_ok(ws, ws_size))
        return 2000;
    if (!types_ok(c, algo, xd, wd, yd))
        return 3000;
    if ((d = deferred(h, fwd_replay, &call, sizeof(call))))
        return d < 0 ? -d : 0;
    for (int n = 0; n < yd->n; n++)
        for (int k = 0; k < yd->c; k++)
            for (int oy = 0; oy < yd->h; oy++)
                for (int ox = 0; ox < yd->w; ox++) {
                    size_t out = AT_T(yd, n, k, oy, ox);
                    float acc = conv_sum(c, xd, xv, wd, wv, n, k, oy, ox);
                    store(yv, yd->type, out, alpha * acc +
                          (beta != 0.0f ? beta * load(yv, yd->type, out) : 0.0f));
                }
    return 0;
}

typedef struct BwdCall {
    float alpha, beta;
    cudnnFilterDescriptor_t wd;
    const void *wv, *dyv;
    cudnnTensorDescriptor_t dyd, dxd;
    cudnnConvolutionDescriptor_t c;
    cudnnConvolutionBwdDataAlgo_t algo;
    void *ws, *dxv;
    size_t ws_size;
} BwdCall;

static int bwd_replay(void *p)
{
    const BwdCall *a = p;
    struct cudnnContext now = { NULL };
    return cudnnConvolutionBackwardData(&now, &a->alpha, a->wd, a->wv, a->dyd, a->dyv, a->c,
                                        a->algo, a->ws, a->ws_size, &a->beta, a->dxd,
                                        a->dxv) ? -1 : 0;
}

cudnnStatus_t cudnnConvolutionBackwardData(cudnnHandle_t h, const void *alpha_p,
                                           const cudnnFilterDescriptor_t wd, const void *wv,
                                           const cudnnTensorDescriptor_t dyd, const void *dyv,
                                           const cudnnConvolutionDescriptor_t c,
                                           cudnnConvolutionBwdDataAlgo_t algo, void *ws,
                                           size_t ws_size, const void *beta_p,
                                           const cudnnTensorDescriptor_t dxd, void *dxv)
{
    const float alpha = *(const float *)alpha_p, beta = *(const float *)beta_p;
    size_t n_dx = (size_t)dxd->n * dxd->c * dxd->h * dxd->w;
    BwdCall call = { alpha, beta, wd, wv, dyv, dyd, dxd, c, algo, ws, dxv, ws_size };
    float *acc;
    int d;

    if (!shapes_ok(c, dxd, wd, dyd) || !workspace_ok(ws, ws_size))
        return 2000;
    if (!types_ok(c, algo, dxd, wd, dyd))
        return 3000;
    if ((d = deferred(h, bwd_replay, &call, sizeof(call))))
        return d < 0 ? -d : 0;
    /* acc is in dx's memory order */
    if (!(acc = calloc(n_dx, sizeof(*acc))))
        return 4003;
    /* scatter: dx[c][oy*u - pad + ky][...] += dy[k][oy][ox] * w[k][c][ky][kx] */
    for (int n = 0; n < dyd->n; n++)
        for (int k = 0; k < dyd->c; k++)
            for (int oy = 0; oy < dyd->h; oy++)
                for (int ox = 0; ox < dyd->w; ox++) {
                    float g = load(dyv, dyd->type, AT_T(dyd, n, k, oy, ox));
                    for (int ch = 0; ch < dxd->c; ch++)
                        for (int ky = 0; ky < wd->h; ky++)
                            for (int kx = 0; kx < wd->w; kx++) {
                                int iy = oy * c->u - c->pad_h + ky * c->dil_h;
                                int ix = ox * c->v - c->pad_w + kx * c->dil_w;
                                if (iy < 0 || iy >= dxd->h || ix < 0 || ix >= dxd->w)
                                    continue;
                                acc[AT_T(dxd, n, ch, iy, ix)] +=
                                    g * load(wv, wd->type, AT_F(wd, k, ch, ky, kx));
                            }
                }
    for (size_t i = 0; i < n_dx; i++)
        store(dxv, dxd->type, i, alpha * acc[i] +
              (beta != 0.0f ? beta * load(dxv, dxd->type, i) : 0.0f));
    free(acc);
    return 0;
}

/* ---- timed searches ---- */

/*
 * A timed search of conv(x, w) = y, where out (y forward, x backward data)
 * is written: three results as if timed, fastest first; those needing more
 * workspace than given fail with
 * CUDNN_STATUS_INTERNAL_ERROR_DEVICE_ALLOCATION_FAILED. The output is
 * overwritten (NaN): whoever reads it as a result after a search is wrong.
 */
static cudnnStatus_t find(const cudnnConvolutionDescriptor_t c, const cudnnTensorDescriptor_t x,
                          const cudnnFilterDescriptor_t w, const cudnnTensorDescriptor_t y,
                          const cudnnTensorDescriptor_t od, void *out, int requested, int *returned,
                          cudnnConvolutionFwdAlgoPerf_t *perf, void *ws, size_t ws_size)
{
    static const int algos[3] = { TENSOR_ALGO, 2, 0 };
    static const float times[3] = { 0.05f, 0.10f, 0.20f };
    int n = requested < 3 ? requested : 3;

    if (!shapes_ok(c, x, w, y) || !out || (ws_size && !ws) || requested < 1)
        return 2000;
    memset(perf, 0, sizeof(*perf) * n);
    for (int i = 0; i < n; i++) {
        perf[i].algo     = algos[i];
        perf[i].time     = times[i];
        perf[i].memory   = EMU_WORKSPACE;
        perf[i].mathType = algos[i] == TENSOR_ALGO ? CUDNN_TENSOR_OP_MATH : c->math;
        perf[i].status   = ws_size >= EMU_WORKSPACE ? CUDNN_STATUS_SUCCESS :
                           CUDNN_STATUS_INTERNAL_ERROR_DEVICE_ALLOCATION_FAILED;
    }
    *returned = n;
    memset(out, 0xff, (size_t)od->n * od->c * od->h * od->w * (od->type == CUDNN_DATA_HALF ? 2 : 4));
    return 0;
}

cudnnStatus_t cudnnFindConvolutionForwardAlgorithmEx(cudnnHandle_t h, const cudnnTensorDescriptor_t x,
                                                     const void *xv, const cudnnFilterDescriptor_t w,
                                                     const void *wv, const cudnnConvolutionDescriptor_t c,
                                                     const cudnnTensorDescriptor_t y, void *yv,
                                                     const int requested, int *returned,
                                                     cudnnConvolutionFwdAlgoPerf_t *perf, void *ws,
                                                     size_t ws_size)
{
    if (!xv || !wv)
        return 2000;
    return find(c, x, w, y, y, yv, requested, returned, perf, ws, ws_size);
}

cudnnStatus_t cudnnFindConvolutionBackwardDataAlgorithmEx(cudnnHandle_t h, const cudnnFilterDescriptor_t w,
                                                          const void *wv, const cudnnTensorDescriptor_t dy,
                                                          const void *dyv, const cudnnConvolutionDescriptor_t c,
                                                          const cudnnTensorDescriptor_t dx, void *dxv,
                                                          const int requested, int *returned,
                                                          cudnnConvolutionBwdDataAlgoPerf_t *perf,
                                                          void *ws, size_t ws_size)
{
    if (!dyv || !wv)
        return 2000;
    /* the same results: the perf structs share one layout (deep3d_cudnn.c's _Static_assert) */
    return find(c, dx, w, dy, dx, dxv, requested, returned, (cudnnConvolutionFwdAlgoPerf_t *)perf,
                ws, ws_size);
}

/* ---- convolution + bias + activation ---- */

cudnnStatus_t cudnnCreateActivationDescriptor(cudnnActivationDescriptor_t *d) { ALLOC(struct cudnnActivationStruct, d); return 0; }
cudnnStatus_t cudnnDestroyActivationDescriptor(cudnnActivationDescriptor_t d) { free(d); return 0; }

cudnnStatus_t cudnnSetActivationDescriptor(cudnnActivationDescriptor_t d, cudnnActivationMode_t mode,
                                           cudnnNanPropagation_t nan_opt, double coef)
{
    if (mode != CUDNN_ACTIVATION_RELU)
        return 3000;    /* the only mode emulated */
    *d = (struct cudnnActivationStruct){ mode, nan_opt, 1, coef };
    return 0;
}

typedef struct FusedCall {
    float alpha1, alpha2;
    cudnnTensorDescriptor_t xd, zd, bd, yd;
    const void *xv, *wv, *zv, *bv;
    cudnnFilterDescriptor_t wd;
    cudnnConvolutionDescriptor_t c;
    cudnnConvolutionFwdAlgo_t algo;
    cudnnActivationDescriptor_t act;
    void *ws, *yv;
    size_t ws_size;
} FusedCall;

static int fused_replay(void *p)
{
    const FusedCall *a = p;
    struct cudnnContext now = { NULL };
    return cudnnConvolutionBiasActivationForward(&now, &a->alpha1, a->xd, a->xv, a->wd, a->wv,
                                                 a->c, a->algo, a->ws, a->ws_size, &a->alpha2,
                                                 a->zd, a->zv, a->bd, a->bv, a->act, a->yd,
                                                 a->yv) ? -1 : 0;
}

cudnnStatus_t cudnnConvolutionBiasActivationForward(cudnnHandle_t h, const void *alpha1_p,
                                                    const cudnnTensorDescriptor_t xd, const void *xv,
                                                    const cudnnFilterDescriptor_t wd, const void *wv,
                                                    const cudnnConvolutionDescriptor_t c,
                                                    cudnnConvolutionFwdAlgo_t algo, void *ws,
                                                    size_t ws_size, const void *alpha2_p,
                                                    const cudnnTensorDescriptor_t zd, const void *zv,
                                                    const cudnnTensorDescriptor_t bd, const void *bv,
                                                    const cudnnActivationDescriptor_t act,
                                                    const cudnnTensorDescriptor_t yd, void *yv)
{
    const float alpha1 = *(const float *)alpha1_p, alpha2 = *(const float *)alpha2_p;
    FusedCall call = { alpha1, alpha2, xd, zd, bd, yd, xv, wv, zv, bv, wd, c, algo, act, ws, yv,
                       ws_size };
    int d;

    if (!shapes_ok(c, xd, wd, yd) || !workspace_ok(ws, ws_size) || !act || !act->set)
        return 2000;
    if (!types_ok(c, algo, xd, wd, yd))
        return 3000;
    /* z of y's shape; bias 1 x K x 1 x 1 of y's type */
    if (zd->n != yd->n || zd->c != yd->c || zd->h != yd->h || zd->w != yd->w ||
        zd->type != yd->type || bd->n != 1 || bd->c != yd->c || bd->h != 1 || bd->w != 1 ||
        bd->type != yd->type || !bv || !zv)
        return 2000;
    if ((d = deferred(h, fused_replay, &call, sizeof(call))))
        return d < 0 ? -d : 0;
    for (int n = 0; n < yd->n; n++)
        for (int k = 0; k < yd->c; k++)
            for (int oy = 0; oy < yd->h; oy++)
                for (int ox = 0; ox < yd->w; ox++) {
                    size_t out = AT_T(yd, n, k, oy, ox);
                    float acc = conv_sum(c, xd, xv, wd, wv, n, k, oy, ox), v;
                    /* as a convolution, then the bias, then the ReLU, each rounded to float */
                    v = alpha1 * acc + (alpha2 != 0.0f ? alpha2 * load(zv, zd->type, AT_T(zd, n, k, oy, ox)) : 0.0f);
                    v = v + load(bv, bd->type, k);
                    store(yv, yd->type, out, v < 0.0f ? 0.0f : v);
                }
    return 0;
}
