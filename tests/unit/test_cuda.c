/*
 * CPU-side tests of deep3d's CUDA path: everything that can be checked
 * without a GPU.
 *
 * - The cuDNN loader (deep3d_cudnn.c): a missing file, a directory without
 *   the library, a library without cuDNN's symbols, $DEEP3D_CUDNN, all
 *   AVERROR(ENOSYS) with a message naming what was tried; with a real cuDNN 9
 *   (CUDNN argument), every symbol resolves, the version is 9.x and status
 *   codes map to AVERROR codes.
 * - The device option on software frames: auto and cpu run the CPU path and
 *   say so in the log; cuda fails at init without cuDNN and at configuration
 *   with software frames, each with a clear message; a bad cudnn path does
 *   not matter to auto on software frames.
 * - Format negotiation with CUDA frames, on a CUDA device context that is
 *   allocated but not initialised (no GPU needed): the filter takes
 *   AV_PIX_FMT_CUDA, refuses unsupported sw_formats, modes and device=cpu
 *   with their errors, and for the supported sw_formats and layouts goes on
 *   to load cuDNN (ENOSYS without it) and then to the device (EINVAL: not
 *   initialised), never to a host copy.
 *
 * - The half conversions of the fp16 network (deep3d_half.h): every half
 *   survives a round trip, ties round to even, overflow gives infinity,
 *   subnormals are kept; and every 4093rd float against the compiler's
 *   _Float16 where it has one.
 * - The precision option: listed with its values (bf16 is the CPU's), a bad value refused.
 *
 * Usage: test_cuda MODEL.safetensors [CUDNN_LIBRARY]
 * Prints one "ok"/"not ok" line per check and ends with "N passed, M failed".
 */

#define _POSIX_C_SOURCE 200112L /* setenv */

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "libavfilter/avfilter.h"
#include "libavfilter/buffersink.h"
#include "libavfilter/buffersrc.h"
#include "libavfilter/deep3d_cuda.h"
#include "libavfilter/deep3d_cudnn.h"
#include "libavfilter/deep3d_half.h"
#include "libavutil/error.h"
#include "libavutil/frame.h"
#include "libavutil/hwcontext.h"
#include "libavutil/log.h"
#include "libavutil/macros.h"
#include "libavutil/mem.h"
#include "libavutil/opt.h"
#include "libavutil/pixdesc.h"

static const char *model, *cudnn;
static char logbuf[16384];

static void skip(const char *what)
{
    printf("ok - %s # skip: no cuDNN 9 on this machine\n", what);
    passed++;
}

/* Messages up to INFO are collected; the tests look for the words users see. */
static int nb_errors;   ///< lines at error level or worse since logbuf was cleared

static void log_cb(void *avcl, int level, const char *fmt, va_list vl)
{
    size_t len = strlen(logbuf);
    if (level <= AV_LOG_ERROR)
        nb_errors++;
    if (level > AV_LOG_INFO || len >= sizeof(logbuf) - 1)
        return;
    vsnprintf(logbuf + len, sizeof(logbuf) - len, fmt, vl);
}

static int logged(const char *s)
{
    return strstr(logbuf, s) != NULL;
}

/* ---- the loader ---- */

static void test_load_fails(const char *path, const char *env, const char *want_msg,
                            const char *what)
{
    Deep3DCudnn *dnn = (Deep3DCudnn *)1;
    int ret;

    logbuf[0] = 0;
    if (env)
        setenv(DEEP3D_CUDNN_ENV, env, 1);
    ret = ff_deep3d_cudnn_load(&dnn, NULL, path);
    unsetenv(DEEP3D_CUDNN_ENV);
    check(ret == AVERROR(ENOSYS) && !dnn && logged(want_msg),
          "loader, %s: ENOSYS (%s) and a message with '%s'", what, av_err2str(ret), want_msg);
    ff_deep3d_cudnn_free(&dnn);
}

static void test_load_real(void)
{
    Deep3DCudnn *dnn = NULL;
    int ret, all = 1;

    if (!cudnn) {
        skip("loader, real cuDNN 9: every symbol");
        skip("loader, status codes to AVERROR");
        skip("loader, option beats $DEEP3D_CUDNN");
        return;
    }
    ret = ff_deep3d_cudnn_load(&dnn, NULL, cudnn);
    if (ret < 0 || !dnn) {
        check(0, "loader, real cuDNN %s: %s", cudnn, av_err2str(ret));
        return;
    }
#define HAS(name, required) all &= !required || dnn->name != NULL;
    DEEP3D_CUDNN_FUNCTIONS(HAS)
#undef HAS
    check(all && dnn->version / 10000 == 9, "loader, real cuDNN %d.%d.%d (%s): every required "
          "symbol", dnn->version / 10000, dnn->version / 100 % 100, dnn->version % 100, dnn->path);

    logbuf[0] = 0;
    check(ff_deep3d_cudnn_check(dnn, NULL, CUDNN_STATUS_SUCCESS, "x") == 0 &&
          ff_deep3d_cudnn_check(dnn, NULL, 3000, "cudnnX") == AVERROR_EXTERNAL &&
          logged("cudnnX failed: CUDNN_STATUS_NOT_SUPPORTED") &&
          ff_deep3d_cudnn_check(dnn, NULL, CUDNN_STATUS_INTERNAL_ERROR_DEVICE_ALLOCATION_FAILED,
                                "y") == AVERROR(ENOMEM),
          "loader, status codes to AVERROR with cuDNN's own words");
    ff_deep3d_cudnn_free(&dnn);

    /* the option names the library even when the environment names another */
    setenv(DEEP3D_CUDNN_ENV, "/nonexistent/env/libcudnn.so.9", 1);
    ret = ff_deep3d_cudnn_load(&dnn, NULL, cudnn);
    unsetenv(DEEP3D_CUDNN_ENV);
    check(ret == 0 && dnn, "loader, option beats $DEEP3D_CUDNN (%s)", av_err2str(ret));
    ff_deep3d_cudnn_free(&dnn);
}

/* ---- the filter ---- */

typedef struct Graph {
    AVFilterGraph *graph;
    AVFilterContext *src, *sink;
} Graph;

/*
 * buffer -> deep3d=args -> buffersink. fmt AV_PIX_FMT_CUDA makes the source
 * carry CUDA frames of sw_format from an uninitialised CUDA device.
 */
static int graph_open(Graph *g, enum AVPixelFormat fmt, enum AVPixelFormat sw_format,
                      int w, int h, const char *args)
{
    AVBufferSrcParameters *par = av_buffersrc_parameters_alloc();
    AVBufferRef *device = NULL, *frames = NULL;
    AVFilterContext *deep3d;
    int ret;

    memset(g, 0, sizeof(*g));
    g->graph = avfilter_graph_alloc();
    if (!g->graph || !par) {
        ret = AVERROR(ENOMEM);
        goto end;
    }
    g->graph->nb_threads = 1;
    par->format              = fmt;
    par->width               = w;
    par->height              = h;
    par->time_base           = (AVRational){ 1, 25 };
    par->sample_aspect_ratio = (AVRational){ 1, 1 };
    if (fmt == AV_PIX_FMT_CUDA) {
        AVHWFramesContext *fc;
        /* allocated, not initialised: no GPU is needed, and none is used */
        device = av_hwdevice_ctx_alloc(AV_HWDEVICE_TYPE_CUDA);
        if (!device || !(frames = av_hwframe_ctx_alloc(device))) {
            ret = AVERROR(ENOMEM);
            goto end;
        }
        fc = (AVHWFramesContext *)frames->data;
        fc->format    = AV_PIX_FMT_CUDA;
        fc->sw_format = sw_format;
        fc->width     = w;
        fc->height    = h;
        par->hw_frames_ctx = frames;
    }
    g->src = avfilter_graph_alloc_filter(g->graph, avfilter_get_by_name("buffer"), "in");
    if (!g->src) {
        ret = AVERROR(ENOMEM);
        goto end;
    }
    if ((ret = av_buffersrc_parameters_set(g->src, par)) < 0 ||
        (ret = avfilter_init_str(g->src, NULL)) < 0 ||
        (ret = avfilter_graph_create_filter(&deep3d, avfilter_get_by_name("deep3d"), "deep3d",
                                            args, NULL, g->graph)) < 0 ||
        (ret = avfilter_graph_create_filter(&g->sink, avfilter_get_by_name("buffersink"), "out",
                                            NULL, NULL, g->graph)) < 0 ||
        (ret = avfilter_link(g->src, 0, deep3d, 0)) < 0 ||
        (ret = avfilter_link(deep3d, 0, g->sink, 0)) < 0)
        goto end;
    ret = avfilter_graph_config(g->graph, NULL);
end:
    av_free(par);
    av_buffer_unref(&frames);
    av_buffer_unref(&device);
    return ret;
}

static void graph_close(Graph *g)
{
    avfilter_graph_free(&g->graph);
}

/* One software frame through the graph; 0 on success. */
static int run_one(Graph *g, int w, int h)
{
    AVFrame *in = av_frame_alloc(), *out = av_frame_alloc();
    int ret = AVERROR(ENOMEM);

    if (!in || !out)
        goto end;
    in->format = AV_PIX_FMT_YUV420P;
    in->width  = w;
    in->height = h;
    if ((ret = av_frame_get_buffer(in, 0)) < 0)
        goto end;
    for (int p = 0; p < 3; p++)
        memset(in->data[p], 100 + 20 * p, in->linesize[p] * (p ? h / 2 : h));
    if ((ret = av_buffersrc_add_frame(g->src, in)) >= 0)
        ret = av_buffersink_get_frame(g->sink, out);
    if (ret >= 0 && (out->width != 2 * w || out->format != AV_PIX_FMT_YUV420P))
        ret = AVERROR_BUG;
end:
    av_frame_free(&in);
    av_frame_free(&out);
    return ret;
}

static void test_help(void)
{
    const AVFilter *f = avfilter_get_by_name("deep3d");
    const AVOption *cuda = NULL, *lib = NULL;

    for (const AVOption *o = f && f->priv_class ? f->priv_class->option : NULL; o && o->name; o++) {
        if (o->type == AV_OPT_TYPE_CONST && o->unit && !strcmp(o->unit, "device") &&
            !strcmp(o->name, "cuda"))
            cuda = o;
        if (!strcmp(o->name, "cudnn") && o->type == AV_OPT_TYPE_STRING)
            lib = o;
    }
    check(cuda && lib, "options: device=cuda and cudnn are listed");
}

/* ---- half precision ---- */

static float bits_to_float(uint32_t x)
{
    float f;
    memcpy(&f, &x, sizeof(f));
    return f;
}

static void test_half(void)
{
    static const struct { float f; uint16_t h; const char *what; } cases[] = {
        { 0.0f,                    0x0000, "0" },
        { -0.0f,                   0x8000, "-0" },
        { 1.0f,                    0x3c00, "1" },
        { -2.5f,                   0xc100, "-2.5" },
        { 1.0f + 0x1p-11f,         0x3c00, "1 + 2^-11: a tie, to even (down)" },
        { 1.0f + 3 * 0x1p-11f,     0x3c02, "1 + 3 * 2^-11: a tie, to even (up)" },
        { 1.0f + 0x1p-11f + 0x1p-20f, 0x3c01, "just above a tie: up" },
        { 0.1f,                    0x2e66, "0.1" },
        { 65504.0f,                0x7bff, "65504, the largest half" },
        { 65519.0f,                0x7bff, "65519: rounds down to 65504" },
        { 65520.0f,                0x7c00, "65520: a tie, to even, which is infinity" },
        { 1e10f,                   0x7c00, "1e10: infinity" },
        { -1e10f,                  0xfc00, "-1e10: -infinity" },
        { INFINITY,                0x7c00, "infinity" },
        { 0x1p-14f,                0x0400, "2^-14, the smallest normal" },
        { 0x1p-24f,                0x0001, "2^-24, the smallest subnormal" },
        { 1023 * 0x1p-24f,         0x03ff, "the largest subnormal" },
        { 1023.5f * 0x1p-24f,      0x0400, "a tie below 2^-14: to even, the smallest normal" },
        { 1.5f * 0x1p-24f,         0x0002, "1.5 * 2^-24: a tie, to even (up)" },
        { 2.5f * 0x1p-24f,         0x0002, "2.5 * 2^-24: a tie, to even (down)" },
        { 0x1p-25f,                0x0000, "2^-25: a tie, to even (0)" },
        { 0x1p-25f * 1.0001f,      0x0001, "just above 2^-25: 2^-24" },
        { -0x1p-26f,               0x8000, "-2^-26: -0" },
        { 0x1p-149f,               0x0000, "the smallest float subnormal: 0" },
    };
    int bad = 0, first = -1;

    for (int i = 0; i < FF_ARRAY_ELEMS(cases); i++) {
        uint16_t h = ff_deep3d_float_to_half(cases[i].f);
        check(h == cases[i].h, "half: %s: %g -> 0x%04x (want 0x%04x)", cases[i].what,
              cases[i].f, h, cases[i].h);
    }
    check(isnan(ff_deep3d_half_to_float(ff_deep3d_float_to_half(NAN))) &&
          (ff_deep3d_float_to_half(NAN) & 0x7c00) == 0x7c00, "half: NaN stays NaN");

    /* every half that is not a NaN, there and back */
    for (uint32_t h = 0; h < 0x10000; h++) {
        float f = ff_deep3d_half_to_float(h);
        if ((h & 0x7c00) == 0x7c00 && (h & 0x3ff))
            continue;
        if (ff_deep3d_float_to_half(f) != h && !bad++)
            first = h;
    }
    check(!bad, "half: all 63488 non-NaN halves survive a round trip (%d do not; first: 0x%04x)",
          bad, bad ? first : 0);
    check(ff_deep3d_half_to_float(0x0001) == 0x1p-24f && ff_deep3d_half_to_float(0x8400) == -0x1p-14f &&
          ff_deep3d_half_to_float(0x7bff) == 65504.0f && isinf(ff_deep3d_half_to_float(0xfc00)),
          "half: to float, subnormal, normal, largest and infinite values");

#ifdef __FLT16_MAX__
    /* the compiler's conversion (round to nearest even, IEEE) over the whole float range */
    bad = 0;
    for (uint64_t x = 0; x <= 0xffffffffu; x += 4093) {
        float f = bits_to_float(x);
        _Float16 ref = (_Float16)f;
        uint16_t want;
        if (isnan(f))
            continue;
        memcpy(&want, &ref, sizeof(want));
        if (ff_deep3d_float_to_half(f) != want && !bad++)
            first = x;
    }
    check(!bad, "half: 1049344 floats over the whole range convert as _Float16 does (%d differ; "
          "first: 0x%08x)", bad, bad ? first : 0);
#else
    (void)bits_to_float;
    printf("ok - half: against _Float16 # skip: the compiler has no _Float16\n");
    passed++;
#endif
}

/* The precision option: its values listed with help; a bad one refused. */
static void test_precision_option(void)
{
    const AVFilter *f = avfilter_get_by_name("deep3d");
    const AVOption *opt = NULL;
    int found = 0, helped = 1;
    AVFilterGraph *graph;
    AVFilterContext *ctx = NULL;
    char args[1200];
    int ret;

    for (const AVOption *o = f && f->priv_class ? f->priv_class->option : NULL; o && o->name; o++) {
        if (!strcmp(o->name, "precision") && o->type == AV_OPT_TYPE_INT)
            opt = o;
        if (o->type == AV_OPT_TYPE_CONST && o->unit && !strcmp(o->unit, "precision")) {
            found |= !strcmp(o->name, "auto") ? 1 : !strcmp(o->name, "fp32") ? 2 :
                     !strcmp(o->name, "fp16") ? 4 : !strcmp(o->name, "bf16") ? 8 : 16;
            helped &= o->help && *o->help;
        }
    }
    check(opt && opt->unit && !strcmp(opt->unit, "precision") && opt->help && found == 15 && helped &&
          opt->default_val.i64 == DEEP3D_PRECISION_AUTO,
          "options: precision listed with auto, fp32, fp16 and bf16 (the CPU's), each with help; auto by default");

    for (int i = 0; i < 6; i++) {
        static const char *const vals[] = { "auto", "fp32", "fp16", "bf16", "fp8", "4" };
        static const int want[] = { DEEP3D_PRECISION_AUTO, DEEP3D_PRECISION_FP32,
                                    DEEP3D_PRECISION_FP16, DEEP3D_PRECISION_BF16, -1, -1 };
        int64_t v = -1;

        graph = avfilter_graph_alloc();
        if (!graph) {
            check(0, "precision=%s: no memory", vals[i]);
            continue;
        }
        snprintf(args, sizeof(args), "model=%s:precision=%s", model, vals[i]);
        logbuf[0] = 0;
        ret = avfilter_graph_create_filter(&ctx, f, "deep3d", args, NULL, graph);
        if (ret >= 0)
            av_opt_get_int(ctx->priv, "precision", 0, &v);
        if (want[i] >= 0)
            check(ret >= 0 && v == want[i], "options: precision=%s parses (%s, value %"PRId64")",
                  vals[i], av_err2str(ret), v);
        else
            check(ret < 0 && logged("precision"), "options: precision=%s refused (%s) with a "
                  "message naming the option", vals[i], av_err2str(ret));
        avfilter_graph_free(&graph);
    }
}

/* Software frames with a device option: which device runs, or which error. */
static void test_software(const char *extra, int want, const char *want_msg)
{
    char args[1200];
    Graph g;
    int ret;

    snprintf(args, sizeof(args), "model=%s:mode=sbsl%s", model, extra);
    logbuf[0] = 0;
    nb_errors = 0;
    ret = graph_open(&g, AV_PIX_FMT_YUV420P, AV_PIX_FMT_NONE, 32, 16, args);
    if (ret >= 0)
        ret = run_one(&g, 32, 16);
    check(ret == want && logged(want_msg), "software frames, '%s': %s (want %s) and '%s' in the "
          "log", extra, av_err2str(ret), av_err2str(want), want_msg);
    if (want >= 0) {
        /* a fallback is quiet: one line names the device, nothing at error level */
        const char *first = strstr(logbuf, "device: ");
        check(!nb_errors && first && !strstr(first + 1, "device: "), "software frames, '%s': "
              "one device line and no error (%d error lines)", extra, nb_errors);
    }
    graph_close(&g);
}

/* CUDA frames of sw_format on an uninitialised device: the error and message. */
static void test_cuda_frames(enum AVPixelFormat sw_format, int w, int h, const char *extra,
                             int want, const char *want_msg)
{
    char args[1200];
    Graph g;
    int ret;

    snprintf(args, sizeof(args), "model=%s%s", model, extra);
    logbuf[0] = 0;
    ret = graph_open(&g, AV_PIX_FMT_CUDA, sw_format, w, h, args);
    check(ret == want && logged(want_msg), "CUDA frames of %s %dx%d, '%s': %s (want %s) and '%s' "
          "in the log", av_get_pix_fmt_name(sw_format), w, h, extra, av_err2str(ret),
          av_err2str(want), want_msg);
    graph_close(&g);
}

int main(int argc, char **argv)
{
    static const enum AVPixelFormat gpu_fmts[] = {
        AV_PIX_FMT_NV12, AV_PIX_FMT_P010, AV_PIX_FMT_YUV420P, AV_PIX_FMT_YUV444P,
    };
    static const char *const gpu_modes[] = {
        "sbsl", "sbsr", "sbs2l", "sbs2r", "abl", "abr", "ab2l", "ab2r", "ml", "mr",
        "irl", "irr", "depth", "arcg", "arch", "arcc", "arcd",
    };
    char extra[1200];

    if (argc < 2) {
        fprintf(stderr, "usage: %s MODEL.safetensors [CUDNN_LIBRARY]\n", argv[0]);
        return 2;
    }
    model = argv[1];
    cudnn = argc > 2 && *argv[2] ? argv[2] : NULL;
    av_log_set_callback(log_cb);
    unsetenv(DEEP3D_CUDNN_ENV);

    /* the loader's failure paths */
    test_load_fails("/nonexistent/libcudnn.so.9", NULL, "Cannot load cuDNN from "
                    "/nonexistent/libcudnn.so.9", "missing file");
    test_load_fails("/dev", NULL, "/dev/libcudnn.so.9", "directory without the library");
    test_load_fails("libz.so.1", NULL, "has no symbol cudnnGetVersion", "library without cuDNN");
    test_load_fails(NULL, "/nonexistent/env/libcudnn.so.9", "/nonexistent/env/libcudnn.so.9",
                    "$DEEP3D_CUDNN");
    test_load_real();

    test_half();

    /* the device option on software frames */
    test_help();
    test_precision_option();
    /* on the CPU the option is accepted and changes nothing */
    test_software(":device=cpu:precision=fp16", 0, "device: cpu (requested)");
    test_software("", 0, "device: cpu (auto");
    /* without a driver, the reason is given; with one (a GPU machine), it depends on the GPU */
    test_software(":device=auto", 0, ff_deep3d_cuda_driver_present() ? "device: " :
                  "device: cpu (auto: no CUDA driver;");
    test_software(":device=auto:cudnn=/nonexistent/libcudnn.so.9", 0, "device: cpu (auto");
    test_software(":device=cpu", 0, "device: cpu (requested)");
    test_software(":device=cuda:cudnn=/nonexistent/libcudnn.so.9", AVERROR(ENOSYS),
                  "device=cuda: the GPU path needs cuDNN 9");
    if (cudnn) {
        /* software frames go to the GPU when there is one: here, no CUDA driver */
        snprintf(extra, sizeof(extra), ":device=cuda:cudnn=%s", cudnn);
        test_software(extra, AVERROR(ENOSYS), "device=cuda: the GPU path cannot run yuv420p");
    } else {
        test_software(":device=cuda", AVERROR(ENOSYS), "device=cuda: the GPU path needs cuDNN 9");
    }

    /* CUDA frames: what the GPU path refuses before touching the device */
    test_cuda_frames(AV_PIX_FMT_NV12, 64, 32, ":device=cpu", AVERROR(EINVAL),
                     "device=cpu cannot take CUDA frames");
    test_cuda_frames(AV_PIX_FMT_YUV444P16, 64, 32, "", AVERROR(EINVAL),
                     "CUDA frames of yuv444p16le are not supported");
    test_cuda_frames(AV_PIX_FMT_BGR0, 64, 32, "", AVERROR(EINVAL),
                     "CUDA frames of bgr0 are not supported");
    test_cuda_frames(AV_PIX_FMT_NV12, 63, 32, ":mode=sbsl", AVERROR(EINVAL),
                     "needs a width divisible by 2");

    /* every supported sw_format and mode reaches cuDNN, then the device */
    for (int f = 0; f < 4; f++) {
        for (int l = 0; l < FF_ARRAY_ELEMS(gpu_modes); l++) {
            snprintf(extra, sizeof(extra), ":mode=%s:cudnn=/nonexistent/libcudnn.so.9",
                     gpu_modes[l]);
            test_cuda_frames(gpu_fmts[f], 64, 32, extra, AVERROR(ENOSYS),
                             "device=auto: CUDA frames run on the GPU only");
        }
        if (cudnn) {
            snprintf(extra, sizeof(extra), ":device=cuda:cudnn=%s", cudnn);
            test_cuda_frames(gpu_fmts[f], 64, 32, extra, AVERROR(EINVAL),
                             "CUDA device of the input frames is not initialised");
        } else {
            skip("CUDA frames reach the device with a real cuDNN");
        }
    }

    return check_summary();
}
