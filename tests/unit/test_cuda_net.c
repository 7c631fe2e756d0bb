/*
 * The GPU network's own arithmetic on the host CUDA emulator (tests/cuda-emu:
 * our kernels compiled for the host, cuDNN as plain loops), against the CPU
 * engine:
 * - deep3d_deconv_sum, the branches' transposed convolutions + their sum +
 *   bias + ReLU in one kernel, against the CPU engine's transposed
 *   convolutions (deep3d_net.c, by output phases and GEMM: another
 *   algorithm), on every branch of both tiny models, two frames per launch;
 *   deep3d_deconv_sum_h on half NHWC inputs with channels padded to 8:
 *   exactly the fp32 kernel's sums rounded to half, padded channels zero.
 * - The whole network: fp32 against the CPU engine; fp16 (padded) against
 *   fp32; a batch of 3 against 3 passes of batch 1, slot by slot.
 * - precision=auto: the choice from injected timings (faster fp16, faster
 *   fp32, tie, failed measurements), and the measured choice on the
 *   emulator: the logged times, the pick that follows from them, the
 *   winner's memory alone held; fp32 when cuDNN refuses half.
 * Usage: test_cuda_net TINY_FCN TINY_ORIGINAL LIBCUDNN (the emulator's).
 */

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "fixture.h"
#include "libavfilter/deep3d_cuda_deconv.h"
#include "libavfilter/deep3d_cuda_net.h"
#include "libavfilter/deep3d_cudnn.h"
#include "libavfilter/deep3d_half.h"
#include "libavfilter/deep3d_layers.h"
#include "libavfilter/deep3d_model.h"
#include "libavfilter/deep3d_net.h"
#include "libavfilter/deep3d_precision.h"
#include "libavutil/avstring.h"
#include "libavutil/error.h"
#include "libavutil/hwcontext.h"
#include "libavutil/hwcontext_cuda_internal.h"
#include "libavfilter/cuda/load_helper.h"
#include "libavutil/log.h"
#include "libavutil/mem.h"

extern const unsigned char ff_deep3d_cuda_net_ptx_data[];
extern const unsigned int ff_deep3d_cuda_net_ptx_len;

static AVCUDADeviceContext *hwctx;
static CudaFunctions *cu;
static Deep3DCudnn *dnn;
static char logbuf[8192];

static void log_cb(void *avcl, int level, const char *fmt, va_list vl)
{
    size_t len = strlen(logbuf);
    if (level <= AV_LOG_VERBOSE && len < sizeof(logbuf) - 1)
        vsnprintf(logbuf + len, sizeof(logbuf) - len, fmt, vl);
}

/* A reproducible value in [-1, 1). */
static float noise(unsigned *state)
{
    *state = *state * 1664525u + 1013904223u;
    return (float)(*state >> 8) / (1 << 23) - 1.0f;
}

static CUdeviceptr upload(const void *src, size_t bytes)
{
    CUdeviceptr p = 0;
    if (cu->cuMemAlloc(&p, bytes) != CUDA_SUCCESS)
        return 0;
    if (src)
        cu->cuMemcpyHtoD(p, src, bytes);
    return p;
}

static void gpu_free(CUdeviceptr *p)
{
    if (*p)
        cu->cuMemFree(*p);
    *p = 0;
}

/* ---- the fused transposed-convolution sum ---- */

#define FRAMES 2

static int launch(CUfunction f, size_t n, void **args)
{
    return cu->cuLaunchKernel(f, (n + 255) / 256, 1, 1, 256, 1, 1, 0, hwctx->stream, args,
                              NULL) == CUDA_SUCCESS ? 0 : AVERROR_EXTERNAL;
}

static void test_deconv_sum(const char *path, CUmodule mod)
{
    const char *name = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    Deep3DModel *m = NULL;
    Deep3DLayers *layers = av_mallocz(sizeof(*layers));
    const Deep3DLayer *br[DEEP3D_DECONV_MAX_BRANCHES];
    float *in[DEEP3D_DECONV_MAX_BRANCHES] = { NULL }, *ref = NULL, *got = NULL, *scratch = NULL;
    uint16_t *in_h[DEEP3D_DECONV_MAX_BRANCHES] = { NULL }, *got_h = NULL;
    CUdeviceptr d_in[DEEP3D_DECONV_MAX_BRANCHES] = { 0 }, d_inh[DEEP3D_DECONV_MAX_BRANCHES] = { 0 };
    CUdeviceptr d_w[DEEP3D_DECONV_MAX_BRANCHES] = { 0 }, d_desc = 0, d_desch = 0, d_bias = 0;
    CUdeviceptr d_out = 0, d_outh = 0;
    long long desc[DEEP3D_DECONV_MAX_BRANCHES * DEEP3D_DECONV_FIELDS] = { 0 };
    long long desch[DEEP3D_DECONV_MAX_BRANCHES * DEEP3D_DECONV_FIELDS] = { 0 };
    float bias[64] = { 0 };
    Deep3DDeconv *dc[DEEP3D_DECONV_MAX_BRANCHES] = { NULL };
    CUfunction f32, f16;
    unsigned seed = 12345;
    int nb = 0, k = 0, kp, oh = 0, ow = 0, ret, exact = 1, pad_zero = 1;
    size_t n_out, scratch_n = 1;
    double err = 0, peak = 0;

    if (!layers || ff_deep3d_model_load(&m, NULL, path) < 0 ||
        ff_deep3d_layers_build(layers, m) < 0) {
        check(0, "%s: model and layer list", name);
        goto end;
    }
    for (int i = 0; i < layers->nb_layers; i++) {
        const Deep3DLayer *l = &layers->layer[i];
        if (l->op == DEEP3D_OP_DECONV && !l->relu && nb < DEEP3D_DECONV_MAX_BRANCHES)
            br[nb++] = l;
    }
    k  = br[0]->out.c;
    kp = FFALIGN(k, 8);
    oh = br[0]->out.h;
    ow = br[0]->out.w;
    n_out = (size_t)k * oh * ow;
    if (k > FF_ARRAY_ELEMS(bias) ||
        cu->cuModuleGetFunction(&f32, mod, "deep3d_deconv_sum") != CUDA_SUCCESS ||
        cu->cuModuleGetFunction(&f16, mod, "deep3d_deconv_sum_h") != CUDA_SUCCESS) {
        check(0, "%s: the sum kernels", name);
        goto end;
    }

    /* per branch: random input (its values made exact in half, so both kernels read the
     * same numbers), NCHW float and padded NHWC half, the float weight, the descriptors */
    for (int b = 0; b < nb; b++) {
        const Deep3DLayer *l = br[b];
        int c = l->in.c, cp = FFALIGN(c, 8), hw = l->in.h * l->in.w;
        size_t ne = (size_t)FRAMES * c * hw, nw = (size_t)c * k * l->k * l->k;
        long long *d = desc + b * DEEP3D_DECONV_FIELDS, *dh = desch + b * DEEP3D_DECONV_FIELDS;

        in[b]   = av_malloc_array(ne, sizeof(float));
        in_h[b] = av_calloc((size_t)FRAMES * cp * hw, sizeof(uint16_t));
        if (!in[b] || !in_h[b] || ff_deep3d_deconv_init(&dc[b], l) < 0) {
            check(0, "%s: buffers", name);
            goto end;
        }
        scratch_n = FFMAX(scratch_n, ff_deep3d_deconv_scratch(dc[b]));
        for (int s = 0; s < FRAMES; s++)
            for (int ch = 0; ch < c; ch++)
                for (int p = 0; p < hw; p++) {
                    uint16_t h = ff_deep3d_float_to_half(noise(&seed));
                    in[b][((size_t)s * c + ch) * hw + p] = ff_deep3d_half_to_float(h);
                    in_h[b][((size_t)s * hw + p) * cp + ch] = h;
                }
        for (int o = 0; o < k; o++)
            bias[o] += l->b[o];
        d_in[b]  = upload(in[b], ne * sizeof(float));
        d_inh[b] = upload(in_h[b], (size_t)FRAMES * cp * hw * sizeof(uint16_t));
        d_w[b]   = upload(l->w, nw * sizeof(float));
        if (!d_in[b] || !d_inh[b] || !d_w[b]) {
            check(0, "%s: device buffers", name);
            goto end;
        }
        d[DEEP3D_DECONV_C]  = dh[DEEP3D_DECONV_C]  = c;
        d[DEEP3D_DECONV_IH] = dh[DEEP3D_DECONV_IH] = l->in.h;
        d[DEEP3D_DECONV_IW] = dh[DEEP3D_DECONV_IW] = l->in.w;
        d[DEEP3D_DECONV_K]  = dh[DEEP3D_DECONV_K]  = l->k;
        d[DEEP3D_DECONV_S]  = dh[DEEP3D_DECONV_S]  = l->stride;
        d[DEEP3D_DECONV_P]  = dh[DEEP3D_DECONV_P]  = l->pad;
        d[DEEP3D_DECONV_W]  = dh[DEEP3D_DECONV_W]  = (long long)d_w[b];
        d[DEEP3D_DECONV_IN]  = (long long)d_in[b];
        d[DEEP3D_DECONV_SN]  = (long long)c * hw;
        d[DEEP3D_DECONV_SC]  = hw;
        d[DEEP3D_DECONV_SY]  = l->in.w;
        d[DEEP3D_DECONV_SX]  = 1;
        dh[DEEP3D_DECONV_IN] = (long long)d_inh[b];
        dh[DEEP3D_DECONV_SN] = (long long)cp * hw;
        dh[DEEP3D_DECONV_SC] = 1;
        dh[DEEP3D_DECONV_SY] = (long long)l->in.w * cp;
        dh[DEEP3D_DECONV_SX] = cp;
    }

    /* the CPU engine: branch after branch accumulated (each with its bias), the last
     * rectifying the sum */
    ref     = av_calloc(FRAMES * n_out, sizeof(float));
    got     = av_malloc_array(FRAMES * n_out, sizeof(float));
    got_h   = av_malloc_array((size_t)FRAMES * kp * oh * ow, sizeof(uint16_t));
    scratch = av_malloc_array(scratch_n, sizeof(float));
    if (!ref || !got || !got_h || !scratch) {
        check(0, "%s: buffers", name);
        goto end;
    }
    for (int s = 0; s < FRAMES; s++)
        for (int b = 0; b < nb; b++) {
            const Deep3DLayer *l = br[b];
            ff_deep3d_deconv_run(dc[b], in[b] + (size_t)s * l->in.c * l->in.h * l->in.w,
                                 ref + s * n_out, b > 0, b == nb - 1, &scratch, scratch_n, 1,
                                 serial_execute, NULL);
        }

    /* the GPU kernels, both frames in one launch each */
    d_desc  = upload(desc, sizeof(desc));
    d_desch = upload(desch, sizeof(desch));
    d_bias  = upload(bias, k * sizeof(float));
    d_out   = upload(NULL, FRAMES * n_out * sizeof(float));
    d_outh  = upload(NULL, (size_t)FRAMES * kp * oh * ow * sizeof(uint16_t));
    {
        int n = FRAMES;
        void *a32[] = { &d_desc, &nb, &d_bias, &d_out, &k, &oh, &ow, &n };
        void *a16[] = { &d_desch, &nb, &d_bias, &d_outh, &k, &kp, &oh, &ow, &n };
        ret = !d_desc || !d_desch || !d_bias || !d_out || !d_outh ? AVERROR(ENOMEM) :
              launch(f32, FRAMES * n_out, a32);
        if (ret >= 0)
            ret = launch(f16, (size_t)FRAMES * kp * oh * ow, a16);
    }
    if (ret < 0 ||
        cu->cuMemcpyDtoH(got, d_out, FRAMES * n_out * sizeof(float)) != CUDA_SUCCESS ||
        cu->cuMemcpyDtoH(got_h, d_outh, (size_t)FRAMES * kp * oh * ow * sizeof(uint16_t)) !=
        CUDA_SUCCESS) {
        check(0, "%s: the sum kernels ran (%s)", name, av_err2str(ret));
        goto end;
    }
    err  = max_abs_diff(got, ref, FRAMES * n_out);
    for (size_t i = 0; i < FRAMES * n_out; i++)
        peak = FFMAX(peak, fabs(ref[i]));
    /*
     * The same terms summed in another order (bias first, then branch by branch and tap by
     * tap, against the CPU's per-branch GEMMs): each output differs by float roundings of
     * partial sums of at most a few hundred terms of magnitude about 1, far below 1e-5 of
     * the largest output; a wrong tap, phase or weight index is off by the size of a term.
     */
    check(nb >= 4 && err <= 1e-5 * FFMAX(1.0, peak),
          "%s: deep3d_deconv_sum (%d branches, %dx%dx%d, %d frames in one launch) = the CPU "
          "engine's transposed convolutions + sum + ReLU (max diff %.3g, outputs up to %.3g)",
          name, nb, k, oh, ow, FRAMES, err, peak);
    for (int s = 0; s < FRAMES; s++)
        for (int o = 0; o < kp; o++)
            for (int p = 0; p < oh * ow; p++) {
                uint16_t h = got_h[((size_t)s * oh * ow + p) * kp + o];
                if (o >= k)
                    pad_zero &= h == 0;
                else
                    exact &= h == ff_deep3d_float_to_half(got[((size_t)s * k + o) * oh * ow + p]);
            }
    check(exact && pad_zero, "%s: deep3d_deconv_sum_h on half NHWC, %d channels padded to %d: "
          "the fp32 kernel's sums rounded to half exactly%s", name, k, kp,
          pad_zero ? ", padded channels zero" : "; a padded channel is not zero");
end:
    for (int b = 0; b < DEEP3D_DECONV_MAX_BRANCHES; b++) {
        av_free(in[b]);
        av_free(in_h[b]);
        gpu_free(&d_in[b]);
        gpu_free(&d_inh[b]);
        gpu_free(&d_w[b]);
        ff_deep3d_deconv_free(&dc[b]);
    }
    gpu_free(&d_desc);
    gpu_free(&d_desch);
    gpu_free(&d_bias);
    gpu_free(&d_out);
    gpu_free(&d_outh);
    av_free(ref);
    av_free(got);
    av_free(got_h);
    av_free(scratch);
    av_free(layers);
    ff_deep3d_model_free(&m);
}

/* ---- the whole network ---- */

/* batch frames of input through a GPU network of this precision; probs on the host. */
static int gpu_forward(const Deep3DModel *m, int precision, int batch, const float *input,
                       float *probs, char *what, size_t what_size)
{
    Deep3DCudaNet *net = NULL;
    size_t ni = (size_t)3 * m->in_w * m->in_h * batch;
    size_t np = (size_t)m->nb_prob * m->in_w * m->in_h * batch;
    CUdeviceptr in = upload(input, ni * sizeof(float)), out = upload(NULL, np * sizeof(float));
    int ret = !in || !out ? AVERROR(ENOMEM) :
              ff_deep3d_cuda_net_init(&net, NULL, m, hwctx, hwctx->stream, dnn, precision, batch);

    if (ret >= 0) {
        av_strlcpy(what, ff_deep3d_cuda_net_precision(net), what_size);
        ret = ff_deep3d_cuda_net_forward(net, in, out);
    }
    if (ret >= 0 && cu->cuMemcpyDtoH(probs, out, np * sizeof(float)) != CUDA_SUCCESS)
        ret = AVERROR_EXTERNAL;
    ff_deep3d_cuda_net_free(&net);
    gpu_free(&in);
    gpu_free(&out);
    return ret;
}

static void test_network(const char *path)
{
    const char *name = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    Deep3DModel *m = NULL;
    Deep3DNet *cpu = NULL;
    float *input = NULL, *ref = NULL, *p32 = NULL, *p16 = NULL, *pb = NULL;
    char what[160];
    size_t ni, np;
    unsigned seed = 777;
    int ret, same = 1;
    double e32, e16;

    if (ff_deep3d_model_load(&m, NULL, path) < 0 || ff_deep3d_net_init(&cpu, NULL, m, 1) < 0) {
        check(0, "%s: model and CPU engine", name);
        goto end;
    }
    ni = (size_t)3 * m->in_w * m->in_h;
    np = (size_t)m->nb_prob * m->in_w * m->in_h;
    input = av_malloc_array(3 * ni, sizeof(float));
    ref   = av_malloc_array(3 * np, sizeof(float));
    p32   = av_malloc_array(3 * np, sizeof(float));
    p16   = av_malloc_array(np, sizeof(float));
    pb    = av_malloc_array(3 * np, sizeof(float));
    if (!input || !ref || !p32 || !p16 || !pb) {
        check(0, "%s: buffers", name);
        goto end;
    }
    /* three different frames, values of a scaled, mean-subtracted picture */
    for (size_t i = 0; i < 3 * ni; i++)
        input[i] = 100.0f * noise(&seed);
    for (int s = 0; s < 3; s++)
        ff_deep3d_net_forward(cpu, input + s * ni, ref + s * np, serial_execute, NULL);

    ret = gpu_forward(m, DEEP3D_PRECISION_FP32, 1, input, p32, what, sizeof(what));
    e32 = ret < 0 ? INFINITY : max_abs_diff(p32, ref, np);
    /* float sums in another order (loops against GEMM): probabilities agree to about 1e-6 */
    check(ret >= 0 && e32 <= 1e-5, "%s: GPU fp32 (branch sum fused) = CPU engine (max "
          "probability diff %.3g, %s)", name, e32, ret < 0 ? av_err2str(ret) : what);

    ret = gpu_forward(m, DEEP3D_PRECISION_FP16, 1, input, p16, what, sizeof(what));
    e16 = ret < 0 ? INFINITY : max_abs_diff(p16, p32, np);
    /*
     * Activations stored in half: each store rounds by up to 2^-11 relative, over ~20 layers
     * of the tiny models; the logits move by about 1% of their size, the probabilities
     * (softmax of ~30 logits) by well under 0.02. Padding that leaked into a real channel, or
     * a wrong channel stride, moves them by the size of a probability (0.1 to 1).
     */
    check(ret >= 0 && e16 <= 0.02 && e16 > 0, "%s: GPU fp16, channels padded to 8 = GPU fp32 "
          "within 0.02 (max probability diff %.3g, %s)", name, e16,
          ret < 0 ? av_err2str(ret) : what);

    ret = gpu_forward(m, DEEP3D_PRECISION_FP32, 3, input, pb, what, sizeof(what));
    if (ret >= 0)
        for (int s = 1; s < 3; s++)
            ret = ret < 0 ? ret : gpu_forward(m, DEEP3D_PRECISION_FP32, 1, input + s * ni,
                                               p32 + s * np, what, sizeof(what));
    same = ret >= 0 && !memcmp(pb, p32, 3 * np * sizeof(float));
    check(same, "%s: GPU fp32 batch 3 (one launch per kernel) = three passes of batch 1, "
          "bit for bit", name);
    ret = gpu_forward(m, DEEP3D_PRECISION_FP16, 3, input, pb, what, sizeof(what));
    if (ret >= 0)
        ret = gpu_forward(m, DEEP3D_PRECISION_FP16, 1, input + 2 * ni, p16, what, sizeof(what));
    check(ret >= 0 && !memcmp(pb + 2 * np, p16, np * sizeof(float)),
          "%s: GPU fp16 batch 3, its last frame = that frame alone, bit for bit", name);
end:
    av_free(input);
    av_free(ref);
    av_free(p32);
    av_free(p16);
    av_free(pb);
    ff_deep3d_net_free(&cpu);
    ff_deep3d_model_free(&m);
}

/* ---- precision=auto ---- */

static void test_pick(void)
{
    check(ff_deep3d_cuda_net_pick_half(0.50f, 0.30f) == 1, "auto: fp16 measured faster "
          "(0.30 ms against 0.50 ms): fp16");
    check(ff_deep3d_cuda_net_pick_half(0.30f, 0.50f) == 0, "auto: fp16 measured slower "
          "(0.50 ms against 0.30 ms): fp32");
    check(ff_deep3d_cuda_net_pick_half(0.40f, 0.40f) == 0, "auto: a tie (0.40 ms each): fp32");
    check(ff_deep3d_cuda_net_pick_half(0.40f, nextafterf(0.40f, 1.0f)) == 0 &&
          ff_deep3d_cuda_net_pick_half(nextafterf(0.40f, 1.0f), 0.40f) == 1,
          "auto: one float step either way decides");
    check(ff_deep3d_cuda_net_pick_half(INFINITY, INFINITY) == 0 &&
          ff_deep3d_cuda_net_pick_half(NAN, 0.1f) == 0 &&
          ff_deep3d_cuda_net_pick_half(0.1f, NAN) == 0,
          "auto: nothing measured (infinite or NaN times): fp32");
}

static void test_auto(const char *path)
{
    const char *name = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    Deep3DModel *m = NULL;
    Deep3DCudaNet *net = NULL, *alone = NULL;
    const char *line;
    float t32 = -1, t16 = -1;
    char pick[8] = "";
    int ret, half;

    if (ff_deep3d_model_load(&m, NULL, path) < 0) {
        check(0, "%s: model", name);
        return;
    }
    logbuf[0] = 0;
    av_log_set_callback(log_cb);
    av_log_set_level(AV_LOG_VERBOSE);
    ret = ff_deep3d_cuda_net_init(&net, NULL, m, hwctx, hwctx->stream, dnn, DEEP3D_PRECISION_AUTO, 2);
    av_log_set_callback(av_log_default_callback);
    av_log_set_level(AV_LOG_INFO);
    line = strstr(logbuf, "precision=auto: one forward pass of batch 2 takes ");
    if (line)
        sscanf(line, "precision=auto: one forward pass of batch 2 takes %f ms in fp32, %f ms in "
               "fp16 (least of %*d rounds of %*d): %4s", &t32, &t16, pick);
    half = ret >= 0 && !strncmp(ff_deep3d_cuda_net_precision(net), "fp16", 4);
    check(ret >= 0 && t32 > 0 && t16 > 0 &&
          !strcmp(pick, ff_deep3d_cuda_net_pick_half(t32, t16) ? "fp16" : "fp32") &&
          !strncmp(pick, ff_deep3d_cuda_net_precision(net), 4),
          "%s: auto on the emulator (compute capability 9.0): both timed (fp32 %.3f ms, fp16 "
          "%.3f ms), the faster kept: %s", name, t32, t16,
          ret >= 0 ? ff_deep3d_cuda_net_precision(net) : av_err2str(ret));
    /* the loser and the stand-in buffers freed: what is held is one network's */
    if (ret >= 0)
        ret = ff_deep3d_cuda_net_init(&alone, NULL, m, hwctx, hwctx->stream, dnn,
                                      half ? DEEP3D_PRECISION_FP16 : DEEP3D_PRECISION_FP32, 2);
    check(ret >= 0 && ff_deep3d_cuda_net_device_bytes(net) ==
          ff_deep3d_cuda_net_device_bytes(alone),
          "%s: auto holds the device memory of the chosen network alone (%zu bytes)", name,
          net ? ff_deep3d_cuda_net_device_bytes(net) : 0);
    ff_deep3d_cuda_net_free(&net);
    ff_deep3d_cuda_net_free(&alone);

    /* fp16 refused by cuDNN (the emulator's $D3EMU_NO_HALF): auto runs fp32 and says why;
     * precision=fp16 fails with an error */
    setenv("D3EMU_NO_HALF", "1", 1);
    ret = ff_deep3d_cuda_net_init(&net, NULL, m, hwctx, hwctx->stream, dnn, DEEP3D_PRECISION_AUTO, 1);
    check(ret >= 0 && strstr(ff_deep3d_cuda_net_precision(net), "fp32 (auto: compute capability "
                             "9.0, fp16 failed: "),
          "%s: auto where cuDNN refuses half: fp32 (%s)", name,
          ret >= 0 ? ff_deep3d_cuda_net_precision(net) : av_err2str(ret));
    ff_deep3d_cuda_net_free(&net);
    ret = ff_deep3d_cuda_net_init(&net, NULL, m, hwctx, hwctx->stream, dnn, DEEP3D_PRECISION_FP16, 1);
    check(ret < 0 && !net, "%s: precision=fp16 where cuDNN refuses half: an error (%s)", name,
          av_err2str(ret));
    unsetenv("D3EMU_NO_HALF");
    ff_deep3d_model_free(&m);
}

int main(int argc, char **argv)
{
    AVBufferRef *dev = NULL;
    CUmodule mod = NULL;
    CUcontext dummy;
    int ret;

    if (argc < 4) {
        fprintf(stderr, "usage: %s TINY_FCN TINY_ORIGINAL LIBCUDNN\n", argv[0]);
        return 2;
    }
    av_log_set_level(AV_LOG_ERROR);
    test_pick();
    ret = av_hwdevice_ctx_create(&dev, AV_HWDEVICE_TYPE_CUDA, NULL, NULL, 0);
    if (ret < 0 || (ret = ff_deep3d_cudnn_load(&dnn, NULL, argv[3])) < 0) {
        check(0, "a CUDA device (the host emulator) and cuDNN %s: %s", argv[3], av_err2str(ret));
        av_buffer_unref(&dev);
        return check_summary();
    }
    hwctx = ((AVHWDeviceContext *)dev->data)->hwctx;
    cu    = hwctx->internal->cuda_dl;
    cu->cuCtxPushCurrent(hwctx->cuda_ctx);
    ret = ff_cuda_load_module(NULL, hwctx, &mod, ff_deep3d_cuda_net_ptx_data,
                              ff_deep3d_cuda_net_ptx_len);
    check(ret >= 0, "the network kernels' module");
    if (ret >= 0) {
        test_deconv_sum(argv[1], mod);
        test_deconv_sum(argv[2], mod);
        cu->cuModuleUnload(mod);
    }
    test_network(argv[1]);
    test_network(argv[2]);
    test_auto(argv[1]);
    test_auto(argv[2]);
    cu->cuCtxPopCurrent(&dummy);
    ff_deep3d_cudnn_free(&dnn);
    av_buffer_unref(&dev);
    return check_summary();
}
