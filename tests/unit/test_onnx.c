/*
 * The ONNX depth source: file kinds, the order statistics and the depth map
 * mapping (deep3d_depthmap.c), loading ONNX Runtime (deep3d_ort.c), the model
 * contract's checks (one clear error per bad model, at open) and runs of the
 * tiny test models on real frames.
 *
 * Usage: test_onnx DIR ORT_LIBRARY
 * DIR (tests/unit/test_onnx.sh) holds the models of tools/make_onnx_model.py,
 * maps.txt (lines "map NAME W H": NAME.f32, a depth map) and frames.txt (lines
 * "frame NAME PIX_FMT W H RANGE MATRIX MODEL [OW OH]": NAME.raw, FFmpeg
 * rawvideo, for MODEL.onnx run at its input size or OWxOH). It writes, for
 * tests/unit/onnx_check.py to compare with the numpy references exactly or
 * within stated bounds:
 *   NAME.probs.f32 for each map (the probabilities);
 *   NAME.{input,depth,image,probs}.f32 for each frame (the input tensor, the
 *   model's depth map, src->image and src->probs).
 *
 * Ends with "N passed, M failed".
 */

#undef _XOPEN_SOURCE
#define _XOPEN_SOURCE 700     /* setenv */

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "fixture.h"
#include "libavfilter/deep3d_depthmap.h"
#include "libavfilter/deep3d_ort.h"
#include "libavfilter/deep3d_source_onnx.h"
#include "libavfilter/deep3d_temporal.h"
#include "libavutil/common.h"
#include "libavutil/error.h"
#include "libavutil/frame.h"
#include "libavutil/imgutils.h"
#include "libavutil/intreadwrite.h"
#include "libavutil/log.h"
#include "libavutil/mem.h"
#include "libavutil/pixdesc.h"

static const char *dir, *ort_lib;

/* ---- the log: errors are kept so tests can check what they say ---- */

static char last_error[4096];

static void log_callback(void *avcl, int level, const char *fmt, va_list vl)
{
    if (level <= AV_LOG_ERROR) {
        size_t n = strlen(last_error);
        if (n < sizeof(last_error) - 1)
            vsnprintf(last_error + n, sizeof(last_error) - n, fmt, vl);
    }
}

static int write_f32(const char *name, const char *suffix, const float *v, size_t n)
{
    char path[1024];
    FILE *f;
    size_t done;

    snprintf(path, sizeof(path), "%s/%s%s", dir, name, suffix);
    if (!(f = fopen(path, "wb")))
        return -1;
    done = fwrite(v, sizeof(*v), n, f);
    return fclose(f) || done != n ? -1 : 0;
}

/* ---- 1. file kinds ---- */

static void test_file_kinds(void)
{
    uint8_t st[16] = { 0 }, onnx[16] = { 0x08, 0x07, 0x12, 0x05 };
    enum Deep3DFileKind kind;
    char path[1024];
    int ret;

    /* safetensors: an 8-byte little-endian length, then '{' */
    AV_WL64(st, 264);       /* its first byte is 0x08, ir_version's tag in ONNX */
    st[8] = '{';
    check(ff_deep3d_file_kind(st, 16, 8 + 264) == DEEP3D_FILE_SAFETENSORS,
          "file kind: a safetensors header whose length starts with byte 0x08 is safetensors");
    check(ff_deep3d_file_kind(st, 16, 8 + 100) != DEEP3D_FILE_SAFETENSORS,
          "file kind: a header length past the end of the file is not safetensors");
    check(ff_deep3d_file_kind(onnx, 16, 1000) == DEEP3D_FILE_ONNX,
          "file kind: 08 07 (ir_version 7) is ONNX");
    onnx[0] = 0x3a;
    check(ff_deep3d_file_kind(onnx, 16, 1000) == DEEP3D_FILE_ONNX, "file kind: 3a (graph) is ONNX");
    onnx[0] = 0x89;         /* PNG */
    check(ff_deep3d_file_kind(onnx, 16, 1000) == DEEP3D_FILE_UNKNOWN, "file kind: 0x89 is unknown");
    check(ff_deep3d_file_kind(onnx, 0, 0) == DEEP3D_FILE_UNKNOWN, "file kind: an empty file is unknown");

    snprintf(path, sizeof(path), "%s/luma.onnx", dir);
    ret = ff_deep3d_file_kind_path(NULL, path, &kind);
    check(ret == 0 && kind == DEEP3D_FILE_ONNX, "file kind: luma.onnx (python3-onnx) is ONNX");
    snprintf(path, sizeof(path), "%s/model.safetensors", dir);
    ret = ff_deep3d_file_kind_path(NULL, path, &kind);
    check(ret == 0 && kind == DEEP3D_FILE_SAFETENSORS, "file kind: a deep3d model is safetensors");
    snprintf(path, sizeof(path), "%s/no-such-file", dir);
    check(ff_deep3d_file_kind_path(NULL, path, &kind) == AVERROR(ENOENT),
          "file kind: a missing file is ENOENT");
}

/* ---- 2. order statistics ---- */

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

static void test_select(void)
{
    static const size_t sizes[] = { 1, 2, 3, 7, 64, 1001 };
    unsigned seed = 1;
    int bad = 0, cases = 0;
    float *v = av_malloc_array(1001, sizeof(*v)), *sorted = av_malloc_array(1001, sizeof(*v)),
          *work = av_malloc_array(1001, sizeof(*v));

    if (!v || !sorted || !work) {
        check(0, "select: allocate");
        goto end;
    }
    /* patterns: random, few distinct values, all equal, ascending, descending, organ pipe */
    for (int pat = 0; pat < 6; pat++) {
        for (int s = 0; s < FF_ARRAY_ELEMS(sizes); s++) {
            size_t n = sizes[s];
            for (size_t i = 0; i < n; i++) {
                seed = seed * 1103515245u + 12345u;
                switch (pat) {
                case 0: v[i] = (float)(seed >> 8) / (1 << 24) - 0.5f; break;
                case 1: v[i] = (float)((seed >> 16) % 3); break;
                case 2: v[i] = 1.5f; break;
                case 3: v[i] = i; break;
                case 4: v[i] = -(float)i; break;
                default: v[i] = FFMIN(i, n - i); break;
                }
            }
            memcpy(sorted, v, n * sizeof(*v));
            qsort(sorted, n, sizeof(*v), cmp_float);
            for (size_t k = 0; k < n; k += 1 + n / 50) {
                memcpy(work, v, n * sizeof(*v));
                cases++;
                bad += ff_deep3d_select_kth(work, n, k) != sorted[k];
            }
            memcpy(work, v, n * sizeof(*v));
            cases++;
            bad += ff_deep3d_select_kth(work, n, n - 1) != sorted[n - 1];
        }
    }
    check(!bad, "select: the k-th order statistic equals the sorted array's, %d cases "
          "(random, 3 values, constant, ascending, descending, organ pipe; %d wrong)", cases, bad);
end:
    av_free(v);
    av_free(sorted);
    av_free(work);
}

/* ---- 3. depth map -> probabilities ---- */

static void geometry(Deep3DModel *g, int w, int h)
{
    memset(g, 0, sizeof(*g));
    g->in_w = w;
    g->in_h = h;
    g->disp_min = DEEP3D_DEPTHMAP_DISP_MIN;
    g->disp_max = DEEP3D_DEPTHMAP_DISP_MAX;
    g->disp_width = DEEP3D_DEPTHMAP_DISP_WIDTH;
    g->nb_disp = g->disp_max - g->disp_min + 1;
    g->nb_prob = g->nb_disp + 1;
    g->input_scale = 1;
}

static void test_maps(void)
{
    char line[256], path[1024];
    FILE *list;
    int nb = 0;

    snprintf(path, sizeof(path), "%s/maps.txt", dir);
    if (!(list = fopen(path, "r"))) {
        check(0, "maps: open %s", path);
        return;
    }
    while (fgets(line, sizeof(line), list)) {
        char name[128];
        int w, h, ret;
        Deep3DModel g;
        Deep3DDepthMap *dm = NULL;
        float *depth, *probs = NULL, *ed = NULL, lo, hi;
        size_t n, bad;

        if (sscanf(line, "map %127s %d %d", name, &w, &h) != 3)
            continue;
        nb++;
        geometry(&g, w, h);
        n = (size_t)w * h;
        depth = (float *)read_exact(dir, name, ".f32", n * sizeof(float));
        probs = av_malloc_array(n * g.nb_prob, sizeof(float));
        ed    = av_malloc_array(n, sizeof(float));
        ret = ff_deep3d_depthmap_init(&dm, n, DEEP3D_DEPTHMAP_LO_PCT, DEEP3D_DEPTHMAP_HI_PCT);
        if (!depth || !probs || !ed || ret < 0) {
            check(0, "map %s: read and allocate", name);
        } else {
            ret = ff_deep3d_depthmap_to_probs(dm, &g, depth, probs, &lo, &hi, &bad);
            check(ret == 0 && !write_f32(name, ".probs.f32", probs, n * g.nb_prob),
                  "map %s (%dx%d): mapped (range %g .. %g) and written", name, w, h, lo, hi);
            /* the renderers' view: expected disparity in the planes' range */
            ff_deep3d_expected_disparity(&g, probs, ed);
            for (size_t i = 0; i < n; i++)
                if (!(ed[i] >= g.disp_min - 1e-4 && ed[i] <= g.disp_max + 1e-4)) {
                    check(0, "map %s: expected disparity %g at %zu outside the planes", name, ed[i], i);
                    break;
                }
            /* a NaN or an infinity anywhere is refused, naming the first */
            depth[n / 2] = NAN;
            depth[n - 1] = INFINITY;
            bad = 0;
            ret = ff_deep3d_depthmap_to_probs(dm, &g, depth, probs, NULL, NULL, &bad);
            check(ret == AVERROR_INVALIDDATA && bad == n / 2,
                  "map %s: a NaN is AVERROR_INVALIDDATA at its index %zu (got %zu)", name, n / 2, bad);
        }
        ff_deep3d_depthmap_free(&dm);
        av_free(depth);
        av_free(probs);
        av_free(ed);
    }
    fclose(list);
    check(nb > 0, "maps: %d maps listed", nb);
}

/* ---- 4. loading ONNX Runtime ---- */

static void test_load(void)
{
    Deep3DOrt *ort = NULL;
    char libdir[1024];
    const char *slash = strrchr(ort_lib, '/');
    int ret;

    unsetenv(DEEP3D_ORT_ENV);
    ret = ff_deep3d_ort_load(&ort, NULL, ort_lib);
    check(ret == 0 && ort && ort->api && ort->version && *ort->version,
          "ort: %s loads (ONNX Runtime %s)", ort_lib, ort ? ort->version : "-");
    ff_deep3d_ort_free(&ort);

    snprintf(libdir, sizeof(libdir), "%.*s", slash ? (int)(slash - ort_lib) : 1, slash ? ort_lib : ".");
    ret = ff_deep3d_ort_load(&ort, NULL, libdir);
    check(ret == 0 && ort, "ort: its directory %s loads", libdir);
    ff_deep3d_ort_free(&ort);

    last_error[0] = 0;
    ret = ff_deep3d_ort_load(&ort, NULL, "/nonexistent/libonnxruntime.so");
    check(ret == AVERROR(ENOSYS) && !ort && strstr(last_error, "ort=PATH") &&
          strstr(last_error, "does not exist"), "ort: a missing file is ENOSYS with a clear error (%s)",
          last_error);

    /* a library that is not ONNX Runtime, by the dynamic linker's name: libz, which
     * ffmpeg needs anyway */
    last_error[0] = 0;
    ret = ff_deep3d_ort_load(&ort, NULL, "libz.so.1");
    check(ret == AVERROR(ENOSYS) && strstr(last_error, "OrtGetApiBase"),
          "ort: another library (libz) is ENOSYS: not ONNX Runtime (%s)", last_error);

    setenv(DEEP3D_ORT_ENV, "/nonexistent/dir", 1);
    last_error[0] = 0;
    ret = ff_deep3d_ort_load(&ort, NULL, NULL);
    check(ret == AVERROR(ENOSYS) && strstr(last_error, "$" DEEP3D_ORT_ENV),
          "ort: a bad $DEEP3D_ORT is ENOSYS naming it, no further search");
    setenv(DEEP3D_ORT_ENV, ort_lib, 1);
    ret = ff_deep3d_ort_load(&ort, NULL, NULL);
    check(ret == 0 && ort, "ort: $DEEP3D_ORT loads");
    ff_deep3d_ort_free(&ort);
    unsetenv(DEEP3D_ORT_ENV);
}

/* ---- 5. the contract's checks at open ---- */

static int open_model(Deep3DSource **src, const char *model, int w, int h, int jobs)
{
    char path[1024];
    Deep3DOnnxOptions opt = { .ort_path = ort_lib, .width = w, .height = h };
    Deep3DSourceConfig cfg = { .model_path = path, .nb_jobs = jobs, .execute = serial_execute,
                               .onnx = &opt };

    snprintf(path, sizeof(path), "%s/%s.onnx", dir, model);
    last_error[0] = 0;
    return ff_deep3d_source_open(src, &ff_deep3d_source_onnx, NULL, &cfg);
}

static void test_bad_models(void)
{
    static const struct {
        const char *model;
        int w, h;
        int err;
        const char *says;
    } cases[] = {
        { "bad-rank",       0,  0, AVERROR_INVALIDDATA, "input has shape [3, 24, 32]" },
        { "bad-channels",   0,  0, AVERROR_INVALIDDATA, "input has shape [1, 1, 24, 32]" },
        { "bad-type",       0,  0, AVERROR_INVALIDDATA, "input is int64" },
        { "bad-out-type",   0,  0, AVERROR_INVALIDDATA, "output is int64" },
        { "bad-out-batch",  0,  0, AVERROR_INVALIDDATA, "shape [2, 24, 32]" },
        { "bad-two-inputs", 0,  0, AVERROR_INVALIDDATA, "2 inputs" },
        { "bad-no-output",  0,  0, AVERROR_INVALIDDATA, "0 outputs" },
        { "bad-nan",        0,  0, AVERROR_INVALIDDATA, "not finite" },
        { "bad-inf",        0,  0, AVERROR_INVALIDDATA, "not finite" },
        { "bad-corrupt",    0,  0, AVERROR_INVALIDDATA, "could not be loaded" },
        { "bad-truncated",  0,  0, AVERROR_INVALIDDATA, "could not be loaded" },
        { "no-such-model",  0,  0, AVERROR(ENOENT),     "could not be loaded" },
        /* a fixed 32x24 input cannot take another size */
        { "luma",          64, 48, AVERROR(EINVAL),     "fixed at 32x24" },
        /* luma-half's 2x2 pooling of a 4x3 input: a 2x1 depth map */
        { "luma-half-dyn",  4,  3, AVERROR_INVALIDDATA, "depth map is 2x1" },
    };

    for (int i = 0; i < FF_ARRAY_ELEMS(cases); i++) {
        Deep3DSource *src = NULL;
        int ret = open_model(&src, cases[i].model, cases[i].w, cases[i].h, 1);
        char *nl = strchr(last_error, '\n');
        check(ret == cases[i].err && !src && strstr(last_error, cases[i].says),
              "open %s: %s, saying \"%s\" (got %s: %.*s)", cases[i].model,
              av_err2str(cases[i].err), cases[i].says, av_err2str(ret),
              nl ? (int)(nl - last_error) : 300, last_error);
        ff_deep3d_source_free(&src);
    }
}

/* ---- 6. runs on real frames ---- */

static AVFrame *load_frame(const char *name, enum AVPixelFormat fmt, int w, int h)
{
    AVFrame *f = av_frame_alloc();
    int size = av_image_get_buffer_size(fmt, w, h, 1);
    uint8_t *raw = size > 0 ? read_exact(dir, name, ".raw", size) : NULL;
    const uint8_t *src[4];
    int src_ls[4];

    if (!f || !raw)
        goto fail;
    f->format = fmt;
    f->width  = w;
    f->height = h;
    if (av_frame_get_buffer(f, 64) < 0 ||
        av_image_fill_arrays((uint8_t **)src, src_ls, raw, fmt, w, h, 1) < 0)
        goto fail;
    av_image_copy2(f->data, f->linesize, (uint8_t **)src, src_ls, fmt, w, h);
    av_free(raw);
    return f;
fail:
    av_free(raw);
    av_frame_free(&f);
    return NULL;
}

static void test_frames(void)
{
    char line[512], path[1024];
    FILE *list;
    int nb = 0;

    snprintf(path, sizeof(path), "%s/frames.txt", dir);
    if (!(list = fopen(path, "r"))) {
        check(0, "frames: open %s", path);
        return;
    }
    while (fgets(line, sizeof(line), list)) {
        char name[128], fmt_name[32], range[16], matrix[32], model[64];
        int w, h, ow = 0, oh = 0, ret, jobs = 1 + nb % 2;
        Deep3DSource *src = NULL;
        AVFrame *f = NULL;
        const float *input, *depth;

        if (sscanf(line, "frame %127s %31s %d %d %15s %31s %63s %d %d", name, fmt_name, &w, &h,
                   range, matrix, model, &ow, &oh) < 7)
            continue;
        nb++;
        ret = open_model(&src, model, ow, oh, jobs);
        if (ret >= 0) {
            Deep3DSourceConfig cfg = { .nb_jobs = jobs, .execute = serial_execute };
            ret = ff_deep3d_source_configure(src, NULL, &cfg);
        }
        f = load_frame(name, av_get_pix_fmt(fmt_name), w, h);
        if (ret < 0 || !f) {
            check(0, "%s: open %s and read the frame (%s: %s)", name, model, av_err2str(ret), last_error);
        } else {
            const Deep3DModel *g = src->geometry;
            size_t npix = (size_t)g->in_w * g->in_h;
            int iw, ih;
            f->color_range = strcmp(range, "unknown") ? av_color_range_from_name(range)
                                                      : AVCOL_RANGE_UNSPECIFIED;
            f->colorspace  = strcmp(matrix, "unknown") ? av_color_space_from_name(matrix)
                                                       : AVCOL_SPC_UNSPECIFIED;
            ret = ff_deep3d_source_run(src, NULL, f);
            ff_deep3d_source_onnx_buffers(src, &input, &iw, &ih, &depth);
            check(ret == 0 && !write_f32(name, ".input.f32", input, (size_t)3 * iw * ih) &&
                  !write_f32(name, ".depth.f32", depth, npix) &&
                  !write_f32(name, ".image.f32", src->image, 3 * npix) &&
                  !write_f32(name, ".probs.f32", src->probs, g->nb_prob * npix),
                  "%s: %s on %s %dx%d with %d jobs ran (input %dx%d, depth %dx%d) and its "
                  "tensors were written", name, model, fmt_name, w, h, jobs, iw, ih, g->in_w, g->in_h);
            if (ret == 0) {
                /* a second run of the same frame: the same probabilities (no hidden state) */
                size_t np = g->nb_prob * npix;
                float *first = av_memdup(src->probs, np * sizeof(float));
                ret = first ? ff_deep3d_source_run(src, NULL, f) : AVERROR(ENOMEM);
                check(ret == 0 && max_abs_diff(first, src->probs, np) == 0,
                      "%s: a second run gives the same probabilities", name);
                av_free(first);
            }
            check(g->nb_prob == 18 && g->disp_min == -8 && g->disp_max == 8 && g->disp_width == 256 &&
                  g->input_scale == 1, "%s: geometry: 17 planes, -8..8 at width 256, image in 0..1", name);
        }
        av_frame_free(&f);
        ff_deep3d_source_free(&src);
    }
    fclose(list);
    check(nb > 0, "frames: %d frames listed", nb);
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s DIR ORT_LIBRARY\n", argv[0]);
        return 2;
    }
    dir = argv[1];
    ort_lib = argv[2];
    av_log_set_level(AV_LOG_ERROR);
    av_log_set_callback(log_callback);

    test_file_kinds();
    test_select();
    test_maps();
    test_load();
    test_bad_models();
    test_frames();
    return check_summary();
}
