/*
 * The oneDNN engine against the OpenBLAS engine (the reference, itself
 * checked against the float64 Python reference by test_engine) on the same
 * model and input.
 *
 * Usage: test_onednn MODEL.safetensors...
 * With DEEP3D_EXPECT_ONEDNN=0 (a build or machine without oneDNN) it checks
 * instead that the engine refuses cleanly.
 *
 * Tolerances (probabilities, which lie in [0, 1]):
 * - fp32: 1e-4, test_engine's bound of the BLAS engine against float64; the
 *   two float32 engines differ only by summation order and blocking (seen:
 *   below 1e-6 on these models);
 * - bf16 (where the CPU has avx512_bf16 or AMX): weights and activations are
 *   rounded to 8 significant bits (relative error 2^-9 per rounding) through
 *   up to 13 layers, so single probabilities move by up to a few percent;
 *   the bound is on what the renderer uses, the expected disparity of each
 *   pixel (sum of p_k d_k, in pixels at the model's disparity width):
 *   DEEP3D_ONEDNN_BF16_DISP_TOL on average and 8x that at the worst pixel (seen: 0.09 px mean, 1.14 px worst on the 384x160 original with random weights),
 *   and the probabilities within 0.1. The same bound decides precision=auto.
 *
 * Also (each function says how): the buffer plan against separate buffers,
 * the plan's check, the sub-pixel deconvolutions and their fallback, the
 * weights held once (the engine, and the source that frees and re-reads
 * them), precision=auto's choice, and ff_deep3d_disparity_diff() on a hand
 * case.
 *
 * Ends with "N passed, M failed".
 */

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "fixture.h"
#include "libavfilter/deep3d_cpu_precision.h"
#include "libavfilter/deep3d_model.h"
#include "libavfilter/deep3d_net.h"
#include "libavfilter/deep3d_net_onednn.h"
#include "libavfilter/deep3d_source.h"
#include "libavutil/frame.h"
#include "libavutil/common.h"
#include "libavutil/error.h"
#include "libavutil/log.h"
#include "libavutil/mem.h"

/* A picture-like input: smooth gradients, an edge and some noise, in the
 * model's input convention (x * scale - mean, x in [0, 1]). */
static void make_input(float *in, const Deep3DModel *m, unsigned seed)
{
    int w = m->in_w, h = m->in_h;
    for (int c = 0; c < 3; c++)
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) {
                float v = 0.5f + 0.3f * sinf(0.07f * x * (c + 1) + 0.05f * y) + (x > w / 2 ? 0.15f : 0);
                seed = seed * 1664525u + 1013904223u;
                v += ((seed >> 8) / 16777216.0f - 0.5f) * 0.1f;
                in[((size_t)c * h + y) * w + x] = av_clipf(v, 0, 1) * m->input_scale - m->input_mean[c];
            }
}

/* Mean and largest difference of the expected disparity, planes 1..D at disp_min.. */
static void disparity_diff(const Deep3DModel *m, const float *a, const float *b,
                           double *mean, double *worst)
{
    size_t hw = (size_t)m->in_w * m->in_h;
    double sum = 0;

    *worst = 0;
    for (size_t i = 0; i < hw; i++) {
        double da = 0, db = 0;
        for (int k = 1; k < m->nb_prob; k++) {
            da += (double)a[k * hw + i] * (m->disp_min + k - 1);
            db += (double)b[k * hw + i] * (m->disp_min + k - 1);
        }
        sum += fabs(da - db);
        *worst = FFMAX(*worst, fabs(da - db));
    }
    *mean = sum / hw;
}

/*
 * The buffer plan, the sub-pixel deconvolutions and the weights held once:
 * - the planned arena against every activation in its own buffer: the same
 *   primitives on other addresses, so the output must be identical (memcmp),
 *   and the arena no larger;
 * - a plan with two live activations on the same bytes (PLAN_FAULT) is
 *   refused by the plan's check (AVERROR_BUG), not run;
 * - every transposed convolution of these models (strides 1..16) runs as a
 *   sub-pixel convolution, none on the fallback; the fallback
 *   (NO_SUBPIXEL) is within the same fp32 bound of BLAS;
 * - the engine keeps no pointer into the model: with the model's weights
 *   overwritten by NaN after init, the output does not change.
 */
static void test_plan(Deep3DModel *m, const char *name, const float *input, const float *ref,
                      float *out, float *out2, size_t np)
{
    Deep3DNetOneDNN *dnn = NULL;
    Deep3DOneDNNStats st, sep;
    float *saved = NULL;
    double d;
    int ret;

    if ((ret = ff_deep3d_onednn_init(&dnn, NULL, m, 2, 0, DEEP3D_ONEDNN_PLAN_SEPARATE)) < 0 ||
        (ret = ff_deep3d_onednn_forward(dnn, input, out2, serial_execute, NULL)) < 0) {
        check(0, "%s: separate buffers (%s)", name, av_err2str(ret));
        goto end;
    }
    ff_deep3d_onednn_stats(dnn, &sep);
    ff_deep3d_onednn_free(&dnn);
    check(sep.act_bytes == sep.act_bytes_separate, "%s: PLAN_SEPARATE: arena %zu = the sum %zu",
          name, sep.act_bytes, sep.act_bytes_separate);

    if ((ret = ff_deep3d_onednn_init(&dnn, NULL, m, 2, 0, 0)) < 0) {
        check(0, "%s: planned buffers (%s)", name, av_err2str(ret));
        goto end;
    }
    ff_deep3d_onednn_stats(dnn, &st);
    check(st.act_bytes < st.act_bytes_separate && st.act_bytes_separate == sep.act_bytes_separate,
          "%s: planned activations %zu KiB < %zu KiB each in its own buffer", name,
          st.act_bytes >> 10, st.act_bytes_separate >> 10);
    check(st.nb_host_deconv == 0 && st.nb_subpixel == m->nb_branches + (m->arch == DEEP3D_ARCH_ORIGINAL) + 1,
          "%s: %d transposed convolutions as sub-pixel convolutions, %d on the fallback", name,
          st.nb_subpixel, st.nb_host_deconv);
    /* the weights held once: the model's copy no longer matters */
    if (!(saved = av_malloc_array(m->nb_params, sizeof(float)))) {
        check(0, "%s: memory", name);
        goto end;
    }
    memcpy(saved, m->storage, m->nb_params * sizeof(float));
    memset(m->storage, 0xff, m->nb_params * sizeof(float));
    memset(out, 0, np * sizeof(*out));
    ret = ff_deep3d_onednn_forward(dnn, input, out, serial_execute, NULL);
    memcpy(m->storage, saved, m->nb_params * sizeof(float));
    check(ret >= 0 && !memcmp(out, out2, np * sizeof(*out)), "%s: planned buffers give the output of "
          "separate ones exactly, with the model's weights overwritten after init", name);
    ff_deep3d_onednn_free(&dnn);

    av_log_set_level(AV_LOG_QUIET);     /* the refusal is logged as an error */
    ret = ff_deep3d_onednn_init(&dnn, NULL, m, 2, 0, DEEP3D_ONEDNN_PLAN_FAULT);
    av_log_set_level(AV_LOG_ERROR);
    check(ret == AVERROR_BUG && !dnn, "%s: a plan with two live activations on the same bytes is "
          "refused (%s)", name, av_err2str(ret));
    ff_deep3d_onednn_free(&dnn);

    if ((ret = ff_deep3d_onednn_init(&dnn, NULL, m, 2, 0, DEEP3D_ONEDNN_NO_SUBPIXEL)) < 0 ||
        (ret = ff_deep3d_onednn_forward(dnn, input, out, serial_execute, NULL)) < 0) {
        check(0, "%s: the fallback deconvolutions (%s)", name, av_err2str(ret));
        goto end;
    }
    ff_deep3d_onednn_stats(dnn, &st);
    d = max_abs_diff(out, ref, np);
    check(st.nb_subpixel == 0 && d <= 1e-4, "%s: NO_SUBPIXEL: %d on the fallback, within 1e-4 of "
          "BLAS (max diff %.2e)", name, st.nb_host_deconv, d);
end:
    av_free(saved);
    ff_deep3d_onednn_free(&dnn);
}

/*
 * precision=auto: the engine it keeps is the one its reason names (the
 * describe() string says fp32 or bf16), and its output is within that
 * precision's bound of BLAS (fp32: 1e-4; bf16: the disparity bounds above).
 * The rule is fixed: fp32 without avx512_bf16/AMX or below
 * DEEP3D_BF16_MIN_GMACS, and a second call decides the same.
 */
static void test_auto(Deep3DModel *m, const char *name, const float *input, const float *ref,
                      float *out, size_t np)
{
    Deep3DNetOneDNN *dnn = NULL;
    char why[256] = "", desc[256] = "";
    double d, mean, worst;
    int ret, bf16;

    ret = ff_deep3d_cpu_precision_auto(&dnn, NULL, m, 2, serial_execute, NULL, why, sizeof(why));
    if (ret < 0 || (ret = ff_deep3d_onednn_forward(dnn, input, out, serial_execute, NULL)) < 0) {
        check(0, "%s: precision=auto (%s)", name, av_err2str(ret));
        goto end;
    }
    ff_deep3d_onednn_describe(dnn, desc, sizeof(desc));
    bf16 = !strncmp(why, "auto: bf16", 10);
    check((bf16 || !strncmp(why, "auto: fp32", 10)) && !!strstr(desc, bf16 ? "bf16" : "fp32") &&
          (bf16 ? ff_deep3d_onednn_has_bf16() && ff_deep3d_net_macs(m) >= DEEP3D_BF16_MIN_GMACS * 1e9 : 1),
          "%s: precision=auto runs what it says: %s; %s", name, why, desc);
    if (!ff_deep3d_onednn_has_bf16() || ff_deep3d_net_macs(m) < DEEP3D_BF16_MIN_GMACS * 1e9)
        check(!bf16, "%s: precision=auto is fp32 without bf16 in the ISA or below %.2f GMAC/frame "
              "(%.4f): %s", name, DEEP3D_BF16_MIN_GMACS, ff_deep3d_net_macs(m) / 1e9, why);
    {
        Deep3DNetOneDNN *again = NULL;
        char why2[256] = "";
        ret = ff_deep3d_cpu_precision_auto(&again, NULL, m, 2, serial_execute, NULL, why2, sizeof(why2));
        check(ret >= 0 && !strncmp(why, why2, 10), "%s: precision=auto decides the same twice "
              "(%s / %s)", name, why, why2);
        ff_deep3d_onednn_free(&again);
    }
    d = max_abs_diff(out, ref, np);
    ff_deep3d_disparity_diff(m, out, ref, &mean, &worst);
    check(bf16 ? mean <= DEEP3D_ONEDNN_BF16_DISP_TOL && worst <= 8 * DEEP3D_ONEDNN_BF16_DISP_TOL : d <= 1e-4,
          "%s: precision=auto's output within its precision's bound of BLAS (max diff %.2e, "
          "disparity %.3f px mean, %.3f px worst)", name, d, mean, worst);
end:
    ff_deep3d_onednn_free(&dnn);
}

/* ff_deep3d_disparity_diff() on a hand-made case: 2 pixels, planes 0..2 at shifts -1, 0. */
static void test_disparity_diff(void)
{
    Deep3DModel m = { .in_w = 2, .in_h = 1, .nb_prob = 3, .disp_min = -1 };
    /* pixel 0: all on plane 1 (-1 px) vs all on plane 2 (0 px): 1 px; pixel 1: equal */
    const float a[6] = { 0, 0.5f, 1, 0, 0, 0.5f }, b[6] = { 0, 0.5f, 0, 0, 1, 0.5f };
    double mean, worst;

    ff_deep3d_disparity_diff(&m, a, b, &mean, &worst);
    check(fabs(worst - 1) < 1e-12 && fabs(mean - 0.5) < 1e-12, "disparity_diff: 1 px worst, "
          "0.5 px mean on the hand case (got %g, %g)", worst, mean);
}

/*
 * The Deep3D source frees the model's weights once the oneDNN engine holds
 * its own copy, and reads them again when a later configure needs them: the
 * OpenBLAS engine after oneDNN gives the same probabilities (fp32 bound), and
 * oneDNN again repeats its first output exactly.
 */
static void test_source_reload(const char *path)
{
    Deep3DSource *src = NULL;
    Deep3DSourceConfig cfg = { .model_path = path, .nb_jobs = 2, .execute = serial_execute,
                               .precision = DEEP3D_PRECISION_FP32 };
    AVFrame *f = av_frame_alloc();
    float *first = NULL;
    size_t np = 0;
    double d;
    int ret;

    if (!f || (ret = ff_deep3d_source_open(&src, &ff_deep3d_source_deep3d, NULL, &cfg)) < 0) {
        check(0, "source: open %s", path);
        goto end;
    }
    np = (size_t)src->geometry->nb_prob * src->geometry->in_w * src->geometry->in_h;
    f->format = AV_PIX_FMT_YUV420P;
    f->width  = 2 * src->geometry->in_w;
    f->height = 2 * src->geometry->in_h;
    if (av_frame_get_buffer(f, 64) < 0 || !(first = av_malloc_array(np, sizeof(*first)))) {
        check(0, "source: memory");
        goto end;
    }
    for (int p = 0; p < 3; p++)
        for (int y = 0; y < (p ? f->height / 2 : f->height); y++)
            for (int x = 0; x < (p ? f->width / 2 : f->width); x++)
                f->data[p][y * f->linesize[p] + x] = p ? 128 + (x - y) % 32 : (x * 7 + y * 3) & 255;

    for (int round = 0; round < 3; round++) {
        cfg.cpu_engine = round == 1 ? DEEP3D_CPU_ENGINE_BLAS : DEEP3D_CPU_ENGINE_ONEDNN;
        if ((ret = ff_deep3d_source_configure(src, NULL, &cfg)) < 0 ||
            (ret = ff_deep3d_source_run(src, NULL, f)) < 0) {
            check(0, "source: configure and run, round %d (%s)", round, av_err2str(ret));
            goto end;
        }
        if (round == 0) {
            check(!src->geometry->storage, "source: the model's weights are freed once oneDNN holds its own");
            memcpy(first, src->probs, np * sizeof(*first));
        } else if (round == 1) {
            d = max_abs_diff(src->probs, first, np);
            check(src->geometry->storage && d <= 1e-4, "source: OpenBLAS after oneDNN reads the weights "
                  "again and agrees (max diff %.2e)", d);
        } else {
            check(!memcmp(src->probs, first, np * sizeof(*first)), "source: oneDNN again repeats its "
                  "first output exactly");
        }
    }
end:
    ff_deep3d_source_free(&src);
    av_frame_free(&f);
    av_free(first);
}

static void test_model(const char *path)
{
    Deep3DModel *m = NULL;
    Deep3DNet *blas = NULL;
    Deep3DNetOneDNN *dnn = NULL;
    float *input = NULL, *ref = NULL, *out = NULL, *out2 = NULL;
    const char *name = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    size_t np;
    int ret;

    ret = ff_deep3d_model_load(&m, NULL, path);
    check(ret >= 0, "%s: load (%s)", name, av_err2str(ret));
    if (ret < 0)
        return;
    np    = (size_t)m->nb_prob * m->in_w * m->in_h;
    input = av_malloc_array((size_t)3 * m->in_w * m->in_h, sizeof(float));
    ref   = av_malloc_array(np, sizeof(float));
    out   = av_malloc_array(np, sizeof(float));
    out2  = av_malloc_array(np, sizeof(float));
    if (!input || !ref || !out || !out2 || ff_deep3d_net_init(&blas, NULL, m, 1) < 0) {
        check(0, "%s: buffers and the BLAS engine", name);
        goto end;
    }
    make_input(input, m, 7);
    ff_deep3d_net_forward(blas, input, ref, serial_execute, NULL);

    for (int threads = 1; threads <= 2; threads++) {
        double d;
        ret = ff_deep3d_onednn_init(&dnn, NULL, m, threads, 0, 0);
        check(ret >= 0, "%s: oneDNN fp32 engine, %d threads (%s)", name, threads, av_err2str(ret));
        if (ret < 0)
            goto end;
        /* twice: nothing may depend on the state the first pass leaves */
        for (int pass = 0; pass < 2; pass++) {
            float *o = pass ? out2 : out;
            memset(o, 0xff, np * sizeof(*o));   /* NaN: every output must be written */
            ret = ff_deep3d_onednn_forward(dnn, input, o, serial_execute, NULL);
            d = max_abs_diff(o, ref, np);
            check(ret >= 0 && d <= 1e-4, "%s %s %dx%d K=%d, %d threads, pass %d: fp32 "
                  "probabilities within 1e-4 of BLAS (max diff %.2e)", name,
                  m->arch == DEEP3D_ARCH_ORIGINAL ? "original" : "fcn", m->in_w, m->in_h,
                  m->nb_prob, threads, pass, d);
        }
        check(!memcmp(out, out2, np * sizeof(*out)), "%s, %d threads: the second pass repeats "
              "the first exactly", name, threads);
        ff_deep3d_onednn_free(&dnn);
    }

    test_plan(m, name, input, ref, out, out2, np);
    test_auto(m, name, input, ref, out, np);

    if (ff_deep3d_onednn_has_bf16()) {
        double d, mean, worst;
        ret = ff_deep3d_onednn_init(&dnn, NULL, m, 2, 1, 0);
        check(ret >= 0, "%s: oneDNN bf16 engine (%s)", name, av_err2str(ret));
        if (ret < 0)
            goto end;
        ret = ff_deep3d_onednn_forward(dnn, input, out, serial_execute, NULL);
        d = max_abs_diff(out, ref, np);
        disparity_diff(m, out, ref, &mean, &worst);
        check(ret >= 0 && d <= 0.1 && mean <= DEEP3D_ONEDNN_BF16_DISP_TOL &&
              worst <= 8 * DEEP3D_ONEDNN_BF16_DISP_TOL,
              "%s: bf16 within tolerance of fp32: probabilities max diff %.3f (<= 0.1), expected "
              "disparity %.3f px mean (<= %g), %.3f px worst (<= %g)", name, d, mean,
              DEEP3D_ONEDNN_BF16_DISP_TOL, worst, 8 * DEEP3D_ONEDNN_BF16_DISP_TOL);
    } else {
        printf("# %s: no avx512_bf16/AMX here: bf16 not tested\n", name);
    }
end:
    ff_deep3d_onednn_free(&dnn);
    ff_deep3d_net_free(&blas);
    av_free(input);
    av_free(ref);
    av_free(out);
    av_free(out2);
    ff_deep3d_model_free(&m);
}

/* Without the library (or the headers in the build): a clean ENOSYS and a reason. */
static void test_refusal(const char *path)
{
    Deep3DModel *m = NULL;
    Deep3DNetOneDNN *dnn = NULL;
    char why[256] = "";
    int ret = ff_deep3d_onednn_probe(why, sizeof(why));

    check(ret == AVERROR(ENOSYS) && why[0], "without oneDNN: probe says ENOSYS: %s", why);
    check(!ff_deep3d_onednn_has_bf16(), "without oneDNN: no bf16");
    if (ff_deep3d_model_load(&m, NULL, path) < 0) {
        check(0, "load %s", path);
        return;
    }
    ret = ff_deep3d_onednn_init(&dnn, NULL, m, 1, 0, 0);
    check(ret == AVERROR(ENOSYS) && !dnn, "without oneDNN: init refuses with ENOSYS");
    ff_deep3d_model_free(&m);
}

int main(int argc, char **argv)
{
    const char *expect = getenv("DEEP3D_EXPECT_ONEDNN");
    char why[256];

    if (argc < 2) {
        fprintf(stderr, "usage: %s MODEL...\n", argv[0]);
        return 2;
    }
    av_log_set_level(AV_LOG_ERROR);
    if (expect && !strcmp(expect, "0")) {
        test_refusal(argv[1]);
        return check_summary();
    }
    if (ff_deep3d_onednn_probe(why, sizeof(why)) < 0) {
        check(0, "oneDNN can run (scripts/deps.sh installs libdnnl-dev): %s", why);
        return check_summary();
    }
    test_disparity_diff();
    test_source_reload(argv[1]);
    for (int i = 1; i < argc; i++)
        test_model(argv[i]);
    return check_summary();
}
