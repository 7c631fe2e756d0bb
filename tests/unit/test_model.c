/*
 * The strict model loader against corrupt, truncated and inconsistent files.
 * Starts from a valid model, edits its JSON header or its data, and checks
 * that each defect is refused with AVERROR_INVALIDDATA and an error message
 * that names what is wrong.
 *
 * Hostile but well-formed models (absurd hyperparameters) must fail at load,
 * before any allocation of that size: those checks run with av_max_alloc()
 * lowered to 64 MiB, so an attempt to allocate would show as ENOMEM.
 *
 * Usage: test_model MODEL.safetensors [F16MODEL.safetensors] (a valid fcn model
 * with conv1_1..conv5_1, e.g. tests/data/deep3d-tiny-fcn.safetensors; any
 * valid F16 model). Ends with "N passed, M failed".
 */

/* mkstemp, fdopen */
#define _XOPEN_SOURCE 700

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "deep3d_graph.h"
#include "libavfilter/avfilter.h"
#include "libavfilter/buffersink.h"
#include "libavfilter/buffersrc.h"
#include "libavfilter/deep3d_model.h"
#include "libavfilter/deep3d_net.h"
#include "libavutil/error.h"
#include "libavutil/frame.h"
#include "libavutil/intreadwrite.h"
#include "libavutil/log.h"
#include "libavutil/mem.h"

static char last_error[1024];

static void log_callback(void *avcl, int level, const char *fmt, va_list vl)
{
    if (level <= AV_LOG_ERROR)
        vsnprintf(last_error, sizeof(last_error), fmt, vl);
}

typedef struct File {
    uint8_t *data;
    size_t size;
} File;

static File original;
static char *header;            /* the original JSON header, NUL-terminated */
static size_t header_len, data_len;

/* A copy of the model with the first `from` in the header replaced by `to`. */
static File edit_header(const char *from, const char *to)
{
    File f = { 0 };
    const char *at = strstr(header, from);
    size_t len;

    if (!at)
        return f;
    len = header_len - strlen(from) + strlen(to);
    f.size = 8 + len + data_len;
    f.data = av_malloc(f.size);
    if (!f.data)
        return f;
    AV_WL64(f.data, len);
    memcpy(f.data + 8, header, at - header);
    memcpy(f.data + 8 + (at - header), to, strlen(to));
    strcpy((char *)f.data + 8 + (at - header) + strlen(to), at + strlen(from));
    memcpy(f.data + 8 + len, original.data + 8 + header_len, data_len);
    return f;
}

static File copy_file(size_t size)
{
    File f = { av_malloc(size ? size : 1), size };
    if (f.data)
        memcpy(f.data, original.data, FFMIN(size, original.size));
    return f;
}

static void expect_invalid(File f, const char *what, const char *needle)
{
    Deep3DModel *m = NULL;
    int ret;

    if (!f.data) {
        check(0, "%s: could not build the test file", what);
        return;
    }
    last_error[0] = 0;
    ret = ff_deep3d_model_parse(&m, NULL, f.data, f.size);
    check(ret == AVERROR_INVALIDDATA && !m && strstr(last_error, needle),
          "%s: refused (%s) with a message naming '%s': %s", what, av_err2str(ret), needle,
          last_error);
    ff_deep3d_model_free(&m);
    av_free(f.data);
}

/* The header entry of one tensor, as written by tools/safetensors_io.py. */
static const char *entry(const char *name)
{
    static char buf[256];
    const char *at;
    const char *end;

    snprintf(buf, sizeof(buf), "\"%s\":", name);
    at = strstr(header, buf);
    if (!at)
        return "";
    end = strchr(at, '}');
    snprintf(buf, sizeof(buf), "%.*s", (int)(end - at + 1), at);
    return buf;
}

/* Parses (the loader's format checks pass) but is refused by the load-time
 * size check of the network, and by the filter's init, without allocating. */
static void expect_too_large(File f, const char *what)
{
    char path[] = "/tmp/deep3d-test-model-XXXXXX";
    char args[256];
    Deep3DModel *m = NULL;
    AVFilterGraph *graph = NULL;
    AVFilterContext *ctx = NULL;
    FILE *fp;
    int ret, fd;

    if (!f.data) {
        check(0, "%s: could not build the test file", what);
        return;
    }
    av_max_alloc(64 << 20);
    last_error[0] = 0;
    ret = ff_deep3d_model_parse(&m, NULL, f.data, f.size);
    if (ret >= 0)
        ret = ff_deep3d_net_check(NULL, m);
    check(ret == AVERROR(EINVAL) && strstr(last_error, "activations"),
          "%s: the model parses, the size check refuses it (%s): %s", what, av_err2str(ret),
          last_error);
    ff_deep3d_model_free(&m);

    fd = mkstemp(path);
    fp = fd >= 0 ? fdopen(fd, "wb") : NULL;
    if (!fp || fwrite(f.data, 1, f.size, fp) != f.size) {
        check(0, "%s: could not write %s", what, path);
    } else {
        fclose(fp);
        fp = NULL;
        snprintf(args, sizeof(args), "model=%s", path);
        last_error[0] = 0;
        graph = avfilter_graph_alloc();
        ret = graph ? avfilter_graph_create_filter(&ctx, avfilter_get_by_name("deep3d"), "d",
                                                   args, NULL, graph) : AVERROR(ENOMEM);
        check(ret == AVERROR(EINVAL) && strstr(last_error, "activations"),
              "%s: deep3d=model=... fails at init (%s): %s", what, av_err2str(ret), last_error);
        avfilter_graph_free(&graph);
    }
    if (fp)
        fclose(fp);
    if (fd >= 0)
        unlink(path);
    av_max_alloc(INT_MAX);
    av_free(f.data);
}

/* Finite but huge weights (every convolution0 weight 3e38) overflow the
 * logits to inf and NaN. The loader cannot know; the filter must still
 * render defined output. Under check-sanitize, UBSan fails this test if a
 * NaN reaches a float-to-int conversion. */
static void test_huge_weights(void)
{
    char path[] = "/tmp/deep3d-test-model-XXXXXX";
    char args[256];
    const char *e = entry("convolution0_weight"), *o = strstr(e, "\"data_offsets\":[");
    long begin = -1, end = -1;
    File f = copy_file(original.size);
    AVFilterGraph *graph = avfilter_graph_alloc();
    AVFilterContext *src = NULL, *sink = NULL;
    AVFrame *in = av_frame_alloc(), *out = av_frame_alloc();
    FILE *fp = NULL;
    int fd = -1, ret = AVERROR(ENOMEM), ok_frames = 0;

    if (o && sscanf(o + strlen("\"data_offsets\":["), "%ld,%ld", &begin, &end) != 2)
        begin = -1;
    if (!f.data || !graph || !in || !out || begin < 0)
        goto end;
    for (long k = begin; k + 4 <= end; k += 4)
        AV_WL32(f.data + 8 + header_len + k, k & 4 ? 0x7F61B1E6 : 0xFF61B1E6);  /* +-3e38 */
    fd = mkstemp(path);
    fp = fd >= 0 ? fdopen(fd, "wb") : NULL;
    if (!fp || fwrite(f.data, 1, f.size, fp) != f.size)
        goto end;
    fclose(fp);
    fp = NULL;
    for (int mode = 0; mode < 2; mode++) {
        snprintf(args, sizeof(args), "model=%s:mode=%s:threads=1", path, mode ? "depth" : "sbsl");
        avfilter_graph_free(&graph);
        if (!(graph = avfilter_graph_alloc()))
            break;
        if ((ret = deep3d_graph_build(graph, &src, &sink,
                                      "video_size=64x32:pix_fmt=yuv420p:time_base=1/25", args)) < 0)
            break;
        av_frame_unref(in);
        in->format = AV_PIX_FMT_YUV420P;
        in->width  = 64;
        in->height = 32;
        if ((ret = av_frame_get_buffer(in, 0)) < 0)
            break;
        for (int p = 0; p < 3; p++)
            for (int y = 0; y < (p ? 16 : 32); y++)
                for (int x = 0; x < (p ? 32 : 64); x++)
                    in->data[p][y * in->linesize[p] + x] = x * 7 + y * 13 + p * 50;
        if ((ret = av_buffersrc_add_frame(src, in)) < 0 ||
            (ret = av_buffersink_get_frame(sink, out)) < 0)
            break;
        ok_frames += out->width == (mode ? 64 : 128) && out->height == 32;
        av_frame_unref(out);
    }
end:
    check(ret >= 0 && ok_frames == 2, "weights of +-3e38 (finite; logits overflow): sbsl and depth "
          "frames rendered (%s)", av_err2str(ret));
    if (fp)
        fclose(fp);
    if (fd >= 0)
        unlink(path);
    avfilter_graph_free(&graph);
    av_frame_free(&in);
    av_frame_free(&out);
    av_free(f.data);
}

/* The F16 path: a half-precision infinity or NaN is refused as a float one is. */
static void test_f16(const char *path)
{
    uint8_t *buf = NULL;
    size_t size = 0, hlen;
    const char *at;
    long begin;
    FILE *fp = fopen(path, "rb");
    Deep3DModel *m = NULL;
    int ret;

    if (fp && !fseek(fp, 0, SEEK_END) && (size = ftell(fp)) > 8 && !fseek(fp, 0, SEEK_SET) &&
        (buf = av_malloc(size + 1)) && fread(buf, 1, size, fp) == size) {
        hlen = AV_RL64(buf);
        ret = ff_deep3d_model_parse(&m, NULL, buf, size);
        check(ret == 0 && m, "the valid F16 model %s loads (%s)", path, av_err2str(ret));
        ff_deep3d_model_free(&m);
        for (int i = 0; i < 2; i++) {
            /* weight 1 of conv1_1_weight: +inf, then a NaN */
            char *h = av_strndup((char *)buf + 8, hlen);
            at = h ? strstr(h, "\"conv1_1_weight\"") : NULL;
            at = at ? strstr(at, "\"data_offsets\":[") : NULL;
            begin = at ? strtol(at + strlen("\"data_offsets\":["), NULL, 10) : -1;
            av_free(h);
            if (begin < 0 || 8 + hlen + begin + 4 > size) {
                check(0, "F16 model: conv1_1_weight not found");
                break;
            }
            AV_WL16(buf + 8 + hlen + begin + 2, i ? 0x7E00 : 0x7C00);
            last_error[0] = 0;
            ret = ff_deep3d_model_parse(&m, NULL, buf, size);
            check(ret == AVERROR_INVALIDDATA && !m && strstr(last_error, "NaN or infinite value at index 1"),
                  "an F16 %s weight: refused (%s): %s", i ? "NaN" : "infinite", av_err2str(ret), last_error);
            ff_deep3d_model_free(&m);
        }
    } else {
        check(0, "read %s", path);
    }
    if (fp)
        fclose(fp);
    av_free(buf);
}

int main(int argc, char **argv)
{
    Deep3DModel *m = NULL;
    FILE *fp;
    char from[256], to[256];
    const char *bias;
    int ret;

    if (argc < 2) {
        fprintf(stderr, "usage: %s MODEL.safetensors\n", argv[0]);
        return 2;
    }
    av_log_set_callback(log_callback);

    fp = fopen(argv[1], "rb");
    if (!fp) {
        printf("not ok - open %s\n0 passed, 1 failed\n", argv[1]);
        return 1;
    }
    fseek(fp, 0, SEEK_END);
    original.size = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    original.data = av_malloc(original.size);
    if (!original.data || fread(original.data, 1, original.size, fp) != original.size) {
        printf("not ok - read %s\n0 passed, 1 failed\n", argv[1]);
        return 1;
    }
    fclose(fp);
    header_len = AV_RL64(original.data);
    data_len   = original.size - 8 - header_len;
    header     = av_strndup((char *)original.data + 8, header_len);

    ret = ff_deep3d_model_parse(&m, NULL, original.data, original.size);
    check(ret == 0 && m && m->arch == DEEP3D_ARCH_FCN, "the valid model loads (%s)", av_err2str(ret));
    ff_deep3d_model_free(&m);

    /* container */
    expect_invalid(copy_file(5), "5-byte file", "too short");
    expect_invalid(copy_file(original.size - 1), "file cut by one byte", "outside");
    expect_invalid(copy_file(8 + header_len - 10), "file cut inside the header", "does not fit");
    {
        File f = copy_file(original.size);
        if (f.data)
            AV_WL64(f.data, (uint64_t)1 << 62);
        expect_invalid(f, "header length 2^62", "header length");
    }
    {
        File f = copy_file(original.size + 4);
        if (f.data)
            memset(f.data + original.size, 0, 4);
        expect_invalid(f, "4 bytes after the last tensor", "unused bytes after");
    }
    expect_invalid(edit_header("{", "["), "header is an array", "JSON");
    expect_invalid(edit_header("\"__metadata__\"", "\"__metadata__\" x"), "header syntax error", "not valid JSON");
    expect_invalid(edit_header("\"F32\"", "\"F64\""), "dtype F64", "F64");
    expect_invalid(edit_header("\"F32\"", "\"I8\""), "dtype I8", "is not F32 or F16");

    /* tensors: shape, name, presence, data */
    bias = entry("conv1_1_bias");
    snprintf(from, sizeof(from), "%s", bias);
    snprintf(to, sizeof(to), "%s", bias);
    if (strstr(to, "[4]"))
        memcpy(strstr(to, "[4]"), "[5]", 3);
    expect_invalid(edit_header(from, to), "conv1_1_bias shape (5) instead of (4)", "conv1_1_bias");
    expect_invalid(edit_header("\"conv1_1_bias\"", "\"conv1_1_biaz\""), "a renamed tensor",
                   "unexpected tensor 'conv1_1_biaz'");
    snprintf(from, sizeof(from), "%s,", bias);
    expect_invalid(edit_header(from, ""), "a tensor left out", "'conv1_1_bias' is missing");
    expect_invalid(edit_header("\"deconv_predup_bias\"", "\"fc6_weight\""),
                   "an FC tensor in an fcn model", "unexpected tensor 'fc6_weight'");
    {
        /* conv3_1_bias (8) is pointed at the bytes of conv2_1_bias (8) */
        char e[256], moved[256];
        const char *offs;
        snprintf(e, sizeof(e), "%s", entry("conv2_1_bias"));
        offs = strstr(e, "\"data_offsets\"");
        snprintf(from, sizeof(from), "%s", entry("conv3_1_bias"));
        snprintf(moved, sizeof(moved), "%s", from);
        if (offs && strstr(moved, "\"data_offsets\"")) {
            /* same shape (8): give conv3_1_bias the bytes of conv2_1_bias */
            snprintf(strstr(moved, "\"data_offsets\""), sizeof(moved) - (strstr(moved, "\"data_offsets\"") - moved),
                     "%s", offs);
        }
        expect_invalid(edit_header(from, moved), "two tensors on the same bytes", "overlap");
    }
    {
        File f = copy_file(original.size);
        const char *e = entry("conv1_1_weight");
        long begin = 0;
        const char *o = strstr(e, "\"data_offsets\":[");
        if (o)
            begin = strtol(o + strlen("\"data_offsets\":["), NULL, 10);
        if (f.data)
            AV_WL32(f.data + 8 + header_len + begin + 8, 0x7FC00000);  /* NaN */
        expect_invalid(f, "a NaN weight", "NaN or infinite value at index 2");
    }
    {
        File f = copy_file(original.size);
        const char *e = entry("deconv_pred5_bias");
        long begin = 0;
        const char *o = strstr(e, "\"data_offsets\":[");
        if (o)
            begin = strtol(o + strlen("\"data_offsets\":["), NULL, 10);
        if (f.data)
            AV_WL32(f.data + 8 + header_len + begin + 4, 0xFF800000);  /* -inf */
        expect_invalid(f, "an infinite weight", "NaN or infinite value at index 1");
    }

    /* metadata */
    expect_invalid(edit_header("\"deep3d.arch\":\"fcn\"", "\"deep3d.arch\":\"vgg\""), "unknown arch",
                   "deep3d.arch 'vgg'");
    expect_invalid(edit_header("\"deep3d.input_width\":\"64\"", "\"deep3d.input_width\":\"100\""),
                   "input width not a multiple of 32", "deep3d.input_width '100'");
    expect_invalid(edit_header("\"deep3d.input_width\":\"64\"", "\"deep3d.input_width\":\"1048576\""),
                   "absurd input width", "deep3d.input_width");
    expect_invalid(edit_header("\"deep3d.stage_channels\":\"4,8,8,8,8\"",
                               "\"deep3d.stage_channels\":\"4,8,1000000,8,8\""),
                   "a million channels", "deep3d.stage_channels");
    expect_invalid(edit_header("\"deep3d.disparity_max\":\"4\"", "\"deep3d.disparity_max\":\"-3\""),
                   "a one-plane disparity range", "disparity range");
    expect_invalid(edit_header("\"deep3d.disparity_max\":\"4\"", "\"deep3d.disparity_max\":\"-9\""),
                   "max below min", "disparity range");
    expect_invalid(edit_header("\"deep3d.version\":\"1\"", "\"deep3d.version\":\"2\""),
                   "a future version", "deep3d.version");
    expect_invalid(edit_header("\"deep3d.version\":\"1\"", "\"deep3d.version\":1"),
                   "a metadata value that is not a string", "not a string");
    expect_invalid(edit_header("\"deep3d.version\":\"1\"", "\"deep3d.version\":\"1\",\"deep3d.mystery\":\"1\""),
                   "an unknown deep3d.* field", "unknown metadata field 'deep3d.mystery'");
    expect_invalid(edit_header("\"deep3d.version\":\"1\"", "\"deep3d.version\":\"1\",\"deep3d.version\":\"1\""),
                   "a duplicate key", "duplicate key");
    expect_invalid(edit_header("\"deep3d.version\":\"1\",", ""), "a missing field", "'deep3d.version' is missing");
    expect_invalid(edit_header("\"deep3d.color_order\":\"bgr\"", "\"deep3d.color_order\":\"yuv\""),
                   "an unknown colour order", "deep3d.color_order");
    expect_invalid(edit_header("\"deep3d.input_mean\":\"0,0,0\"", "\"deep3d.input_mean\":\"0,0\""),
                   "two means for three channels", "deep3d.input_mean");

    expect_invalid(edit_header("\"deep3d.disparity_width\":\"64\"", "\"deep3d.disparity_width\":\"0\""),
                   "a zero disparity width", "deep3d.disparity_width");
    expect_invalid(edit_header("\"deep3d.disparity_width\":\"64\"", "\"deep3d.disparity_width\":\"3\""),
                   "disparities of more than the width (4 px at width 3)", "shift by more than");
    expect_invalid(edit_header("\"deep3d.input_scale\":\"255\"", "\"deep3d.input_scale\":\"nan\""),
                   "a NaN input scale", "deep3d.input_scale");
    expect_invalid(edit_header("\"deep3d.input_scale\":\"255\"", "\"deep3d.input_scale\":\"1e309\""),
                   "an infinite input scale", "deep3d.input_scale");
    expect_invalid(edit_header("\"deep3d.input_mean\":\"0,0,0\"", "\"deep3d.input_mean\":\"0,inf,0\""),
                   "an infinite input mean", "deep3d.input_mean");
    expect_invalid(edit_header("\"deep3d.disparity_min\":\"-3\"", "\"deep3d.disparity_min\":\"-99999999999999999999\""),
                   "a disparity beyond 64 bits", "deep3d.disparity_min");
    expect_invalid(edit_header("\"deep3d.stage_channels\":\"4,8,8,8,8\"",
                               "\"deep3d.stage_channels\":\"4096,8,8,8,8\""),
                   "4096 channels that the file's weights cannot hold", "the architecture needs");

    /* Well-formed, absurd: the fcn weights do not depend on the input size, so
     * a 4096x4096 input (the format's limit) parses with the tiny file's
     * weights, but its activations would need gigabytes. */
    expect_too_large(edit_header("\"deep3d.input_width\":\"64\",\"deep3d.input_height\":\"32\"",
                                 "\"deep3d.input_width\":\"4096\",\"deep3d.input_height\":\"4096\""),
                     "a 4096x4096 network input");
    test_huge_weights();
    if (argc > 2)
        test_f16(argv[2]);

    ff_deep3d_model_free(&m);
    av_free(original.data);
    av_free(header);
    return check_summary();
}
