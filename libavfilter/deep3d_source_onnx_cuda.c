/*
 * deep3d: ONNX depth models on the GPU
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

/*
 * The ONNX source's engine on the GPU path (deep3d_cuda.c): a second ONNX
 * Runtime session of the model, with the CUDA execution provider working on
 * the GPU path's stream (user_compute_stream), its input and output bound
 * (IoBinding) to our device buffers, so frames never visit the host. Per
 * frame, on the stream: the frame as the model's input tensor (fp32 or fp16;
 * cuda/deep3d_onnx.cu), the model, the fp16 output widened, the two
 * percentiles by radix select, the disparity planes. One wait per batch:
 * the count of values that are not finite comes to the host, so a model
 * that gives NaN fails on that frame, as on the CPU.
 *
 * ONNX Runtime's CUDA provider runs in the device's primary context (the
 * CUDA runtime's): the device must use it (primary_ctx=1, which the upload
 * path of deep3d_upload.c does), else our stream and buffers are not its.
 *
 * On the host CUDA emulator (tests/cuda-emu), which exports
 * d3emu_device_memory_is_host, device memory is host memory: the same
 * session, bindings and kernels run with ONNX Runtime's CPU provider on the
 * same buffers, so the tests compare this path with the CPU one.
 * $DEEP3D_ONNX_EMU_CUDA_EP=1 asks for the CUDA provider there anyway, to
 * test the error of a runtime without it.
 */

#include <dlfcn.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "libavutil/avstring.h"
#include "libavutil/common.h"
#include "libavutil/cuda_check.h"
#include "libavutil/error.h"
#include "libavutil/hwcontext.h"
#include "libavutil/hwcontext_cuda_internal.h"
#include "libavutil/log.h"
#include "libavutil/mem.h"

#include "cuda/load_helper.h"
#include "deep3d_cuda_mem.h"
#include "deep3d_depthmap.h"
#include "deep3d_input.h"
#include "deep3d_source.h"
#include "deep3d_source_onnx.h"
#include "deep3d_source_onnx_priv.h"

#define CHECK_CU(x) FF_CUDA_CHECK_DL(g->log_ctx, g->cu, x)
#define BLOCK_X 32
#define BLOCK_Y 8
#define HIST_BLOCKS 64          ///< D3O_HIST_BLOCKS of cuda/deep3d_onnx.cu
#define STATE_WORDS 8           ///< per slot, cuda/deep3d_onnx.cu
#define EMU_CUDA_EP_ENV "DEEP3D_ONNX_EMU_CUDA_EP"
#define CUDA_EP "CUDAExecutionProvider"

extern const unsigned char ff_deep3d_onnx_ptx_data[];
extern const unsigned int ff_deep3d_onnx_ptx_len;

typedef struct OnnxGPU {
    void *log_ctx;
    const OrtApi *api;
    CudaFunctions *cu;
    CUstream stream;
    int emulated;               ///< host CUDA emulator: ORT's CPU provider on our buffers
    int batch;

    CUmodule module;
    CUfunction input[2], widen, reset, hist_fn, hist_sum, select, probs;

    OrtSessionOptions *options;
    OrtRunOptions *run_options;
    OrtSession *session;
    OrtMemoryInfo *mem;
    OrtIoBinding **bind;        ///< per slot: its input, the one output
    OrtValue **in_val, *out_val;

    CUdeviceptr in, out, depth; ///< model inputs (batch), its output, the float map
    CUdeviceptr state, hist, sums;
    size_t in_bytes, device_bytes;
    uint32_t *state_host;       ///< batch x STATE_WORDS
    int64_t nb_frames;
} OnnxGPU;

/* Whether libcuda is the host emulator: it says so by a symbol of its own. */
static int cuda_is_emulated(void)
{
    void *lib = dlopen("libcuda.so.1", RTLD_LAZY | RTLD_LOCAL);
    int (*is_host)(void) = lib ? (int (*)(void))dlsym(lib, "d3emu_device_memory_is_host") : NULL;
    int ret = is_host && is_host();

    if (lib)
        dlclose(lib);
    return ret;
}

static int want_cuda_ep(int emulated)
{
    const char *env = getenv(EMU_CUDA_EP_ENV);
    return !emulated || (env && atoi(env));
}

/* Append the CUDA execution provider to options (stream: ours; 0: probe only).
 * AVERROR(ENOSYS) naming what is missing when the runtime has no such provider. */
static int append_cuda_ep(const Deep3DOrt *ort, void *log_ctx, OrtSessionOptions *options,
                          int device, CUstream stream, int have_stream)
{
    const OrtApi *api = ort->api;
    OrtCUDAProviderOptionsV2 *cuda = NULL;
    OrtStatus *st;
    char **providers = NULL, id[16];
    const char *keys[] = { "device_id" }, *values[] = { id };
    int nb = 0, found = 0, ret;

    if ((ret = ff_deep3d_ort_check(ort, log_ctx, api->GetAvailableProviders(&providers, &nb),
                                   "ONNX Runtime: its providers")) < 0)
        return ret;
    for (int i = 0; i < nb; i++)
        found |= !strcmp(providers[i], CUDA_EP);
    api->ReleaseStatus(api->ReleaseAvailableProviders(providers, nb));
    if (!found) {
        av_log(log_ctx, AV_LOG_ERROR, "ONNX Runtime %s (%s) has no CUDA execution provider: it "
               "is a CPU-only build, without libonnxruntime_providers_cuda.so. ONNX models on the "
               "GPU need the onnxruntime-gpu build (pip install onnxruntime-gpu; ort= its "
               "onnxruntime/capi directory).\n", ort->version, ort->path);
        return AVERROR(ENOSYS);
    }
    snprintf(id, sizeof(id), "%d", device);
    if ((ret = ff_deep3d_ort_check(ort, log_ctx, api->CreateCUDAProviderOptions(&cuda),
                                   "ONNX Runtime: CUDA provider options")) < 0)
        return ret;
    ret = ff_deep3d_ort_check(ort, log_ctx, api->UpdateCUDAProviderOptions(cuda, keys, values, 1),
                              "ONNX Runtime: CUDA provider options");
    if (ret >= 0 && have_stream)
        ret = ff_deep3d_ort_check(ort, log_ctx,
                                  api->UpdateCUDAProviderOptionsWithValue(cuda, "user_compute_stream",
                                                                          (void *)stream),
                                  "ONNX Runtime: CUDA provider options");
    if (ret >= 0 && (st = api->SessionOptionsAppendExecutionProvider_CUDA_V2(options, cuda))) {
        /* typically libonnxruntime_providers_cuda.so or the CUDA libraries it needs
         * (cuBLAS, cuDNN 9, the CUDA runtime) cannot be loaded */
        ff_deep3d_ort_check(ort, log_ctx, st, "ONNX Runtime: its CUDA execution provider "
                            "cannot be used (libonnxruntime_providers_cuda.so and the CUDA "
                            "libraries it needs)");
        ret = AVERROR(ENOSYS);
    }
    api->ReleaseCUDAProviderOptions(cuda);
    return ret;
}

static int onnx_gpu_probe(void *log_ctx, const Deep3DSourceDeviceConfig *cfg)
{
    const Deep3DSourceOnnx *o = cfg->source->priv;
    OrtSessionOptions *options = NULL;
    int ret;

    if (!want_cuda_ep(cuda_is_emulated()))
        return 0;
    if ((ret = ff_deep3d_ort_check(o->ort, log_ctx, o->api->CreateSessionOptions(&options),
                                   "ONNX Runtime: session options")) < 0)
        return ret;
    ret = append_cuda_ep(o->ort, log_ctx, options, 0, NULL, 0);
    o->api->ReleaseSessionOptions(options);
    return ret;
}

#define ORT(call, what)                                                                 \
    do {                                                                                \
        int err_ = ff_deep3d_ort_check(o->ort, g->log_ctx, g->api->call, what);         \
        if (err_ < 0)                                                                   \
            return err_;                                                                \
    } while (0)

static int dev_alloc(OnnxGPU *g, CUdeviceptr *p, size_t bytes, const char *what)
{
    return ff_deep3d_cuda_alloc(g->log_ctx, g->cu, p, bytes, what, &g->device_bytes);
}

/* ONNX Runtime's CUDA provider uses the device's primary context. */
static int check_primary(OnnxGPU *g, AVCUDADeviceContext *hwctx)
{
    CUcontext primary = NULL;
    int ret;

    if (hwctx->internal->flags & AV_CUDA_USE_PRIMARY_CONTEXT)
        return 0;
    if ((ret = CHECK_CU(g->cu->cuDevicePrimaryCtxRetain(&primary, hwctx->internal->cuda_device))) < 0)
        return ret;
    CHECK_CU(g->cu->cuDevicePrimaryCtxRelease(hwctx->internal->cuda_device));
    if (primary == hwctx->cuda_ctx)
        return 0;
    av_log(g->log_ctx, AV_LOG_ERROR, "ONNX models on CUDA frames need the CUDA device's primary "
           "context (ONNX Runtime's CUDA provider works in it): create the device with "
           "primary_ctx=1, e.g. -init_hw_device cuda=gpu:0,primary_ctx=1 -hwaccel_device gpu "
           "(or -filter_hw_device gpu).\n");
    return AVERROR(EINVAL);
}

static int load_kernels(OnnxGPU *g, AVCUDADeviceContext *hwctx)
{
    static const char *const names[] = { "deep3d_onnx_input_8", "deep3d_onnx_input_16",
        "deep3d_onnx_widen", "deep3d_onnx_reset", "deep3d_onnx_hist", "deep3d_onnx_hist_sum",
        "deep3d_onnx_select", "deep3d_onnx_probs" };
    CUfunction *f[] = { &g->input[0], &g->input[1], &g->widen, &g->reset, &g->hist_fn,
                        &g->hist_sum, &g->select, &g->probs };
    int ret = ff_cuda_load_module(g->log_ctx, hwctx, &g->module, ff_deep3d_onnx_ptx_data,
                                  ff_deep3d_onnx_ptx_len);

    for (int i = 0; i < FF_ARRAY_ELEMS(names) && ret >= 0; i++)
        ret = CHECK_CU(g->cu->cuModuleGetFunction(f[i], g->module, names[i]));
    return ret;
}

static int onnx_gpu_init(Deep3DSource *src, void *log_ctx, const Deep3DSourceDeviceConfig *cfg)
{
    Deep3DSourceOnnx *o = src->priv;
    const Deep3DModel *m = &o->geometry;
    AVCUDADeviceContext *hwctx = cfg->hwctx;
    size_t npix = (size_t)m->in_w * m->in_h, in_elems = (size_t)3 * o->in_shape[2] * o->in_shape[3];
    size_t in_esize = ff_deep3d_onnx_elem_size(o->in_type), out_esize = ff_deep3d_onnx_elem_size(o->out_type);
    int device = hwctx->internal->cuda_device, ret;
    OnnxGPU *g;

    if (!(g = src->device_priv = av_mallocz(sizeof(*g))))
        return AVERROR(ENOMEM);
    g->log_ctx  = log_ctx;
    g->api      = o->api;
    g->cu       = hwctx->internal->cuda_dl;
    g->stream   = cfg->stream;      /* the GPU path's (non-blocking) */
    g->batch    = FFMAX(cfg->batch, 1);
    g->emulated = cuda_is_emulated();
    g->in_bytes = in_elems * in_esize;
    if ((ret = check_primary(g, hwctx)) < 0)
        return ret;

    ORT(CreateSessionOptions(&g->options), "ONNX Runtime: session options");
    ORT(SetIntraOpNumThreads(g->options, 1), "ONNX Runtime: threads");
    ORT(SetSessionGraphOptimizationLevel(g->options, ORT_ENABLE_ALL), "ONNX Runtime: session options");
    if (want_cuda_ep(g->emulated) &&
        (ret = append_cuda_ep(o->ort, log_ctx, g->options, device, g->stream, 1)) < 0)
        return ret;
    ret = ff_deep3d_ort_check(o->ort, log_ctx, g->api->CreateSession(o->env, o->path, g->options,
                                                                     &g->session),
                              "ONNX model: ONNX Runtime cannot load it for the GPU");
    if (ret < 0)
        return ret;
    /* everything is queued on our stream, in order: ORT need not wait for it at the end of
     * each run; the one wait is ours, per batch (onnx_gpu_run) */
    ORT(CreateRunOptions(&g->run_options), "ONNX Runtime: run options");
    ORT(AddRunConfigEntry(g->run_options, "disable_synchronize_execution_providers", "1"),
        "ONNX Runtime: run options");
    if (g->emulated)
        ORT(CreateCpuMemoryInfo(OrtDeviceAllocator, OrtMemTypeDefault, &g->mem), "ONNX Runtime");
    else
        ORT(CreateMemoryInfo("Cuda", OrtDeviceAllocator, device, OrtMemTypeDefault, &g->mem),
            "ONNX Runtime: CUDA memory");

    if ((ret = load_kernels(g, hwctx)) < 0 ||
        (ret = dev_alloc(g, &g->in, g->batch * g->in_bytes, "the ONNX model's input")) < 0 ||
        (ret = dev_alloc(g, &g->out, npix * out_esize, "the ONNX model's output")) < 0 ||
        (out_esize != sizeof(float) &&
         (ret = dev_alloc(g, &g->depth, npix * sizeof(float), "the depth map")) < 0) ||
        (ret = dev_alloc(g, &g->state, g->batch * STATE_WORDS * sizeof(uint32_t),
                         "the percentile selection")) < 0 ||
        (ret = dev_alloc(g, &g->hist, 2 * HIST_BLOCKS * 256 * sizeof(uint32_t),
                         "the percentile histograms")) < 0 ||
        (ret = dev_alloc(g, &g->sums, 2 * 256 * sizeof(uint32_t), "the percentile histograms")) < 0 ||
        (ret = CHECK_CU(g->cu->cuMemsetD8Async(g->hist, 0, 2 * HIST_BLOCKS * 256 * sizeof(uint32_t),
                                               g->stream))) < 0)
        return ret;
    if (!g->depth)
        g->depth = g->out;
    if (!(g->state_host = av_calloc(g->batch * STATE_WORDS, sizeof(*g->state_host))) ||
        !(g->bind = av_calloc(g->batch, sizeof(*g->bind))) ||
        !(g->in_val = av_calloc(g->batch, sizeof(*g->in_val))))
        return AVERROR(ENOMEM);
    ORT(CreateTensorWithDataAsOrtValue(g->mem, (void *)(uintptr_t)g->out, npix * out_esize,
                                       o->out_shape, o->out_rank, o->out_type, &g->out_val),
        "ONNX Runtime: the output tensor on the GPU");
    for (int i = 0; i < g->batch; i++) {
        ORT(CreateTensorWithDataAsOrtValue(g->mem, (void *)(uintptr_t)(g->in + i * g->in_bytes),
                                           g->in_bytes, o->in_shape, 4, o->in_type, &g->in_val[i]),
            "ONNX Runtime: the input tensor on the GPU");
        ORT(CreateIoBinding(g->session, &g->bind[i]), "ONNX Runtime: binding");
        ORT(BindInput(g->bind[i], o->in_name, g->in_val[i]), "ONNX Runtime: binding the input");
        ORT(BindOutput(g->bind[i], o->out_name, g->out_val), "ONNX Runtime: binding the output");
    }
    av_log(log_ctx, AV_LOG_VERBOSE, "ONNX model on the GPU: %s, input %s, output %s, batch %d "
           "(one model run per frame)\n", g->emulated && !want_cuda_ep(1) ? "ONNX Runtime's CPU "
           "provider on the host CUDA emulator's memory" : "ONNX Runtime's CUDA execution provider "
           "on the GPU path's stream", o->in_type == ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT16 ?
           "fp16" : "fp32", o->out_type == ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT16 ? "fp16" : "fp32",
           g->batch);
    return 0;
}

static int onnx_gpu_input(Deep3DSource *src, const Deep3DSourceFrame *f, int slot)
{
    Deep3DSourceOnnx *o = src->priv;
    OnnxGPU *g = src->device_priv;
    const Deep3DColour *k = f->colour;
    CUdeviceptr py = f->data[0], pu = f->data[1], pv = f->data[2];
    CUdeviceptr dst = g->in + slot * g->in_bytes;
    int pitch_y = f->pitch[0], pitch_u = f->pitch[1], pitch_v = f->pitch[2];
    int w = f->w, h = f->h, cw = f->cw, ch = f->ch, uv_comps = f->uv_comps, shift = f->shift;
    int half = o->in_type == ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT16;
    int nw = o->in_shape[3], nh = o->in_shape[2];
    float s0 = o->in_scale[0], s1 = o->in_scale[1], s2 = o->in_scale[2];
    float m0 = o->in_conv.input_mean[0], m1 = o->in_conv.input_mean[1], m2 = o->in_conv.input_mean[2];
    float y_off = k->y_off, y_mul = k->y_mul, c_off = k->c_off, c_mul = k->c_mul;
    float crv = k->crv, cgu = k->cgu, cgv = k->cgv, cbu = k->cbu;
    void *args[] = { &py, &pitch_y, &pu, &pitch_u, &pv, &pitch_v, &w, &h, &cw, &ch, &uv_comps,
                     &shift, &dst, &half, &nw, &nh, &y_off, &y_mul, &c_off, &c_mul,
                     &crv, &cgu, &cgv, &cbu, &s0, &s1, &s2, &m0, &m1, &m2 };

    if (slot < 0 || slot >= g->batch)
        return AVERROR_BUG;
    return CHECK_CU(g->cu->cuLaunchKernel(g->input[f->elem_size > 1], FFALIGN(nw, BLOCK_X) / BLOCK_X,
                                          FFALIGN(nh, BLOCK_Y) / BLOCK_Y, 1, BLOCK_X, BLOCK_Y, 1, 0,
                                          g->stream, args, NULL));
}

static int launch_1d(OnnxGPU *g, CUfunction f, long long n, void **args)
{
    return CHECK_CU(g->cu->cuLaunchKernel(f, FFALIGN(n, 256) / 256, 1, 1, 256, 1, 1, 0,
                                          g->stream, args, NULL));
}

/* The depth map in g->depth as disparity planes in probs, slot's selection state. */
static int depth_to_probs(OnnxGPU *g, const Deep3DModel *m, CUdeviceptr state, CUdeviceptr probs)
{
    int n = m->in_w * m->in_h, D = m->nb_disp, dmin = m->disp_min, dmax = m->disp_max, ret;
    /* the ranks of deep3d_depthmap.c */
    unsigned klo = FFMIN((size_t)floor(DEEP3D_DEPTHMAP_LO_PCT * (n - 1) / 100.0), (size_t)n - 1);
    unsigned khi = FFMIN((size_t)floor(DEEP3D_DEPTHMAP_HI_PCT * (n - 1) / 100.0), (size_t)n - 1);
    void *reset_args[] = { &state, &klo, &khi };
    void *sum_args[]   = { &g->hist, &g->sums };
    void *probs_args[] = { &g->depth, &state, &probs, &n, &D, &dmin, &dmax };

    if ((ret = launch_1d(g, g->reset, 1, reset_args)) < 0)
        return ret;
    for (int pass = 0; pass < 4; pass++) {
        void *hist_args[] = { &g->depth, &n, &state, &g->hist, &pass };
        void *sel_args[]  = { &g->sums, &state, &pass };
        if ((ret = CHECK_CU(g->cu->cuLaunchKernel(g->hist_fn, HIST_BLOCKS, 1, 1, 256, 1, 1, 0,
                                                  g->stream, hist_args, NULL))) < 0 ||
            (ret = launch_1d(g, g->hist_sum, 512, sum_args)) < 0 ||
            (ret = launch_1d(g, g->select, 1, sel_args)) < 0)
            return ret;
    }
    return launch_1d(g, g->probs, n, probs_args);
}

static int onnx_gpu_run(Deep3DSource *src, uint64_t image, uint64_t probs, int nb)
{
    Deep3DSourceOnnx *o = src->priv;
    OnnxGPU *g = src->device_priv;
    const Deep3DModel *m = &o->geometry;
    size_t npix = (size_t)m->in_w * m->in_h;
    int ret;

    for (int i = 0; i < nb; i++) {
        CUdeviceptr state = g->state + i * STATE_WORDS * sizeof(uint32_t);
        ret = ff_deep3d_ort_check(o->ort, g->log_ctx, g->api->RunWithBinding(g->session, g->run_options, g->bind[i]),
                                  "ONNX model: running it on the GPU failed");
        if (ret < 0)
            return ret;
        if (g->depth != g->out) {
            int n = npix;
            void *args[] = { &g->out, &g->depth, &n };
            if ((ret = launch_1d(g, g->widen, n, args)) < 0)
                return ret;
        }
        if ((ret = depth_to_probs(g, m, state, probs + i * m->nb_prob * npix * sizeof(float))) < 0)
            return ret;
    }
    /* the one wait: a depth map that is not finite fails its frame */
    if ((ret = CHECK_CU(g->cu->cuStreamSynchronize(g->stream))) < 0 ||
        (ret = CHECK_CU(g->cu->cuMemcpyDtoH(g->state_host, g->state,
                                            nb * STATE_WORDS * sizeof(uint32_t)))) < 0)
        return ret;
    for (int i = 0; i < nb; i++) {
        uint32_t bad = g->state_host[i * STATE_WORDS + 4];
        if (bad) {
            av_log(g->log_ctx, AV_LOG_ERROR, "ONNX model %s: its depth map for frame %"PRId64
                   " has %"PRIu32" values that are not finite (NaN or infinite).\n", o->path,
                   g->nb_frames + i, bad);
            return AVERROR_INVALIDDATA;
        }
    }
    g->nb_frames += nb;
    return 0;
}

static void onnx_gpu_describe(const Deep3DSource *src, char *buf, size_t size)
{
    const Deep3DSourceOnnx *o = src->priv;
    const OnnxGPU *g = src->device_priv;

    snprintf(buf, size, "ONNX model %s (input %"PRId64"x%"PRId64" %s, depth %dx%d) on ONNX "
             "Runtime %s, %s", o->path, o->in_shape[3], o->in_shape[2],
             o->in_type == ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT16 ? "fp16" : "fp32",
             o->geometry.in_w, o->geometry.in_h, o->ort->version,
             g && g->emulated && !want_cuda_ep(1) ? "CPU provider on the host CUDA emulator" :
             "CUDA execution provider");
}

static size_t onnx_gpu_device_bytes(const Deep3DSource *src)
{
    const OnnxGPU *g = src->device_priv;
    return g ? g->device_bytes : 0;
}

static void onnx_gpu_uninit(Deep3DSource *src)
{
    OnnxGPU *g = src->device_priv;
    const OrtApi *api;

    if (!g)
        return;
    api = g->api;
    for (int i = 0; g->bind && i < g->batch; i++)
        api->ReleaseIoBinding(g->bind[i]);
    for (int i = 0; g->in_val && i < g->batch; i++)
        api->ReleaseValue(g->in_val[i]);
    api->ReleaseValue(g->out_val);
    api->ReleaseMemoryInfo(g->mem);
    api->ReleaseSession(g->session);
    api->ReleaseRunOptions(g->run_options);
    api->ReleaseSessionOptions(g->options);
    if (g->cu) {
        CUdeviceptr *b[] = { &g->in, &g->out, &g->state, &g->hist, &g->sums };
        if (g->depth && g->depth != g->out)
            CHECK_CU(g->cu->cuMemFree(g->depth));
        for (int i = 0; i < FF_ARRAY_ELEMS(b); i++)
            if (*b[i])
                CHECK_CU(g->cu->cuMemFree(*b[i]));
        if (g->module)
            CHECK_CU(g->cu->cuModuleUnload(g->module));
    }
    av_freep(&g->bind);
    av_freep(&g->in_val);
    av_freep(&g->state_host);
    av_freep(&src->device_priv);
}

const Deep3DSourceDeviceOps ff_deep3d_source_onnx_device = {
    .runtime      = "ONNX Runtime's CUDA execution provider (onnxruntime-gpu)",
    /* ONNX Runtime allocates and waits inside a run, and run() waits once per batch */
    .capturable   = 0,
    .probe        = onnx_gpu_probe,
    .init         = onnx_gpu_init,
    .input        = onnx_gpu_input,
    .run          = onnx_gpu_run,
    .describe     = onnx_gpu_describe,
    .device_bytes = onnx_gpu_device_bytes,
    .uninit       = onnx_gpu_uninit,
};
