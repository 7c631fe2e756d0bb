/*
 * The ONNX source's depth-map kernels (cuda/deep3d_onnx.cu), built for the
 * host in the CUDA emulator (tests/cuda-emu), against the CPU mapping of
 * deep3d_depthmap.c: the radix-select percentiles and the disparity planes
 * must be the same bits, on maps made to be hard for a selection (ties,
 * negative values and zeros of both signs, a flat map, values spanning many
 * binades, one outlier), and the count of values that are not finite must be
 * exact. The launch sequence is deep3d_source_onnx_cuda.c's depth_to_probs().
 * Usage: test_onnx_gpu EMU_DIR (the directory of the emulator's libcuda.so.1).
 * test_onnx_gpu.sh runs it, then the filter on both paths.
 */

#include <dlfcn.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "libavfilter/deep3d_depthmap.h"
#include "libavutil/lfg.h"
#include "libavutil/mem.h"

typedef int (*GetFunction)(void **f, void *module, const char *name);
typedef int (*Launch)(void *f, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by,
                      unsigned bz, unsigned shared, void *stream, void **args, void **extra);

static GetFunction get_function;
static Launch launch;
static void *k_reset, *k_hist, *k_sum, *k_select, *k_probs, *k_widen;

#define HIST_BLOCKS 64

static int run_1d(void *k, long long n, void **args)
{
    return launch(k, (n + 255) / 256, 1, 1, 256, 1, 1, 0, NULL, args, NULL);
}

/* depth_to_probs() of deep3d_source_onnx_cuda.c on host memory; *bad: the count. */
static int gpu_probs(const Deep3DModel *m, float *depth, float *probs, float *lo, float *hi,
                     uint32_t *bad)
{
    int n = m->in_w * m->in_h, D = m->nb_disp, dmin = m->disp_min, dmax = m->disp_max, ret = 0;
    unsigned klo = floor(DEEP3D_DEPTHMAP_LO_PCT * (n - 1) / 100.0);
    unsigned khi = floor(DEEP3D_DEPTHMAP_HI_PCT * (n - 1) / 100.0);
    uint32_t state[8], *hist = av_calloc(2 * HIST_BLOCKS * 256, 4), sums[512];
    void *ps = state, *ph = hist, *psums = sums, *pd = depth, *pp = probs;
    void *reset_args[] = { &ps, &klo, &khi };
    void *sum_args[]   = { &ph, &psums };
    void *probs_args[] = { &pd, &ps, &pp, &n, &D, &dmin, &dmax };

    if (!hist)
        return -1;
    ret |= run_1d(k_reset, 1, reset_args);
    for (int pass = 0; pass < 4; pass++) {
        void *hist_args[] = { &pd, &n, &ps, &ph, &pass };
        void *sel_args[]  = { &psums, &ps, &pass };
        ret |= launch(k_hist, HIST_BLOCKS, 1, 1, 256, 1, 1, 0, NULL, hist_args, NULL);
        ret |= run_1d(k_sum, 512, sum_args);
        ret |= run_1d(k_select, 1, sel_args);
    }
    ret |= run_1d(k_probs, n, probs_args);
    memcpy(lo, &state[5], 4);
    memcpy(hi, &state[6], 4);
    *bad = state[4];
    for (int i = 0; i < 2 * HIST_BLOCKS * 256; i++)
        ret |= hist[i] != 0;    /* the sums leave the counters zeroed for the next map */
    av_free(hist);
    return ret;
}

static Deep3DModel geometry(int w, int h)
{
    Deep3DModel m = { 0 };
    m.in_w = w;
    m.in_h = h;
    m.disp_min = DEEP3D_DEPTHMAP_DISP_MIN;
    m.disp_max = DEEP3D_DEPTHMAP_DISP_MAX;
    m.nb_disp  = m.disp_max - m.disp_min + 1;
    m.nb_prob  = m.nb_disp + 1;
    return m;
}

static void compare(const char *what, int w, int h, const float *depth)
{
    Deep3DModel m = geometry(w, h);
    size_t n = (size_t)w * h, np = n * m.nb_prob;
    float *cpu = av_malloc_array(np, 4), *gpu = av_malloc_array(np, 4);
    float *copy = av_malloc_array(n, 4), lo_c, hi_c, lo_g, hi_g;
    Deep3DDepthMap *dm = NULL;
    uint32_t bad;
    size_t diff = 0;

    if (!cpu || !gpu || !copy || ff_deep3d_depthmap_init(&dm, n, DEEP3D_DEPTHMAP_LO_PCT,
                                                         DEEP3D_DEPTHMAP_HI_PCT) < 0) {
        check(0, "%s: allocation", what);
        goto end;
    }
    memcpy(copy, depth, n * 4);
    memset(gpu, 0xff, np * 4);  /* NaN: a plane the kernel leaves unwritten shows */
    if (ff_deep3d_depthmap_to_probs(dm, &m, depth, cpu, &lo_c, &hi_c, NULL) < 0 ||
        gpu_probs(&m, copy, gpu, &lo_g, &hi_g, &bad) < 0) {
        check(0, "%s: a mapping failed", what);
        goto end;
    }
    for (size_t i = 0; i < np; i++)
        diff += memcmp(&cpu[i], &gpu[i], 4) != 0;
    check(lo_c == lo_g && hi_c == hi_g, "%s (%dx%d): percentiles %.9g %.9g on the device, "
          "%.9g %.9g on the CPU", what, w, h, lo_g, hi_g, lo_c, hi_c);
    check(!diff && !bad, "%s: the %zu probabilities are the CPU's bit for bit (%zu differ), "
          "no value counted as not finite (%u)", what, np, diff, bad);
end:
    ff_deep3d_depthmap_free(&dm);
    av_free(cpu);
    av_free(gpu);
    av_free(copy);
}

int main(int argc, char **argv)
{
    char path[4096];
    void *lib;
    AVLFG lfg;
    int w = 61, h = 37, n = w * h;
    float *d = av_malloc_array(n, 4);
    uint16_t *half = av_malloc_array(n, 2);

    if (argc < 2 || !d || !half) {
        fprintf(stderr, "usage: test_onnx_gpu EMU_DIR\n");
        return 2;
    }
    snprintf(path, sizeof(path), "%s/libcuda.so.1", argv[1]);
    if (!(lib = dlopen(path, RTLD_NOW | RTLD_LOCAL))) {
        check(0, "the host CUDA emulator: %s", dlerror());
        return check_summary();
    }
    get_function = (GetFunction)dlsym(lib, "cuModuleGetFunction");
    launch = (Launch)dlsym(lib, "cuLaunchKernel");
    check(get_function && launch &&
          !get_function(&k_reset, NULL, "deep3d_onnx_reset") &&
          !get_function(&k_hist, NULL, "deep3d_onnx_hist") &&
          !get_function(&k_sum, NULL, "deep3d_onnx_hist_sum") &&
          !get_function(&k_select, NULL, "deep3d_onnx_select") &&
          !get_function(&k_probs, NULL, "deep3d_onnx_probs") &&
          !get_function(&k_widen, NULL, "deep3d_onnx_widen"),
          "the emulator has the ONNX source's kernels");
    if (!k_probs || !k_widen)
        return check_summary();

    av_lfg_init(&lfg, 15);
    for (int i = 0; i < n; i++)
        d[i] = (av_lfg_get(&lfg) / 4294967296.0f - 0.5f) * 7.0f;
    compare("uniform values of both signs", w, h, d);
    for (int i = 0; i < n; i++)
        d[i] = (float)(av_lfg_get(&lfg) % 5) - 2.0f;
    compare("five values, many ties", w, h, d);
    for (int i = 0; i < n; i++)
        d[i] = i % 3 ? 0.0f : -0.0f;
    compare("zeros of both signs (a flat map)", w, h, d);
    for (int i = 0; i < n; i++)
        d[i] = ldexpf(1.0f + (av_lfg_get(&lfg) & 1023) / 1024.0f, (int)(av_lfg_get(&lfg) % 80) - 40) *
               (i & 1 ? 1 : -1);
    compare("values over 80 binades", w, h, d);
    for (int i = 0; i < n; i++)
        d[i] = 1000.0f + (float)(i % 7) * 1e-4f;
    d[n / 2] = 3e38f;
    compare("close values and one outlier", w, h, d);
    compare("one row", w, 1, d);
    compare("two values", 2, 1, d);

    /* not finite: counted, each of them */
    {
        Deep3DModel m = geometry(w, h);
        float *probs = av_malloc_array((size_t)n * m.nb_prob, 4), lo, hi;
        uint32_t bad = 0;
        for (int i = 0; i < n; i++)
            d[i] = (float)i;
        d[5] = NAN;
        d[77] = INFINITY;
        d[n - 1] = -INFINITY;
        int ran = probs && !gpu_probs(&m, d, probs, &lo, &hi, &bad);
        check(ran && bad == 3, "a NaN, +inf and -inf are counted as 3 values not finite (%u)", bad);
        av_free(probs);
    }

    /* fp16 output: widened exactly (every half that is finite) */
    {
        float *out = av_malloc_array(65536, 4);
        uint16_t *all = av_malloc_array(65536, 2);
        int cnt = 65536, wrong = 0;
        void *pin = all, *pout = out;
        void *args[] = { &pin, &pout, &cnt };
        for (int i = 0; i < 65536; i++)
            all[i] = i;
        if (out && all && !run_1d(k_widen, cnt, args)) {
            for (int i = 0; i < 65536; i++) {
                int e = (i >> 10) & 31, mant = i & 1023;
                double v = e ? ldexp(1024 + mant, e - 25) : ldexp(mant, -24);
                if (e == 31)
                    continue;
                if ((double)out[i] != ((i & 0x8000) ? -v : v))
                    wrong++;
            }
            check(!wrong, "fp16 widening: all 63488 finite halves exact (%d wrong)", wrong);
        } else {
            check(0, "fp16 widening ran");
        }
        av_free(out);
        av_free(all);
    }
    av_free(d);
    av_free(half);
    dlclose(lib);
    return check_summary();
}
