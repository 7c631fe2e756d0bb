/*
 * The strict model loader against corrupt, truncated and inconsistent files.
 * Starts from a valid model, edits its JSON header or its data, and checks
 * that each defect is refused with AVERROR_INVALIDDATA and an error message
 * that names what is wrong.
 *
 * Usage: test_model MODEL.safetensors (a valid fcn model with conv1_1..conv5_1,
 * e.g. tests/data/deep3d-tiny-fcn.safetensors). Ends with "N passed, M failed".
 */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "libavfilter/deep3d_model.h"
#include "libavutil/error.h"
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

    ff_deep3d_model_free(&m);
    av_free(original.data);
    av_free(header);
    return check_summary();
}
