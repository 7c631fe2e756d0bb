/*
 * Speed of the selection layer and the packing alone (no network), on one
 * core: milliseconds per yuv420p frame converted to full side-by-side, for
 * each kernel version this CPU runs (c: the compiler's vectorised C; avx2;
 * avx512: deep3d_render_soft_x86.c), picked with av_force_cpu_flags() as
 * FFmpeg's checkasm does, and for two designs:
 *   one-pass: the filter's (ff_deep3d_render_eye packs the output as it renders);
 *   two-pass: the eye rendered into a frame, then packed (the design before
 *             the one-pass renderer; the same kernels).
 * Probabilities are random (softmax of uniform noise) at the built-in model's
 * geometry unless given; the cost does not depend on their values.
 *
 * Usage: render_speed [REPS [NET_W NET_H DISP_MIN DISP_MAX DISP_WIDTH]]
 * Times are the CPU time of the thread (everything runs on it, one job): the
 * machine is shared, and wall time would count the time slices others take.
 * Prints one line per size, design and version: "SIZE DESIGN ISA median_ms min_ms".
 * Run by bench/render_speed.sh.
 */

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "libavfilter/deep3d_render.h"
#include "libavutil/cpu.h"
#include "libavutil/frame.h"
#include "libavutil/mem.h"

static void run_serial(void *opaque, Deep3DJobFunc *job, void *arg, int nb_jobs)
{
    for (int i = 0; i < nb_jobs; i++)
        job(arg, i, nb_jobs);
}

static double thread_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static AVFrame *new_frame(int w, int h)
{
    AVFrame *f = av_frame_alloc();
    if (!f)
        return NULL;
    f->format = AV_PIX_FMT_YUV420P;
    f->width  = w;
    f->height = h;
    if (av_frame_get_buffer(f, 0) < 0)
        av_frame_free(&f);
    return f;
}

/* Two passes: every plane of the eye into a frame, then pack_slice. */
static void two_pass(const Deep3DRenderParams *sel, const Deep3DPack *pack, const float *probs,
                     AVFrame *out, const AVFrame *in, AVFrame *eye, float *scratch)
{
    for (int i = 0; i < pack->nb_planes; i++) {
        const Deep3DPackPlane *pl = &pack->planes[i];
        Deep3DPlaneFormat f = { 1, 1, 0, 8 };
        /* yuv420p: U and V share the probabilities */
        int n = i == 1 ? 2 : 1;
        ff_deep3d_render_soft_rows(sel, &f, probs, n, (const uint8_t *const *)in->data + i,
                                   in->linesize + i, eye->data + i, eye->linesize + i,
                                   pl->w, pl->h, 0, pl->h, scratch);
        i += n - 1;
    }
    ff_deep3d_pack_slice(pack, out, in, eye, 0, 1);
}

int main(int argc, char **argv)
{
    static const int sizes[][2] = { { 960, 540 }, { 1920, 1080 } };
    static const struct { const char *name; int flags; } isas[] = {
        { "c",      0 },
        { "avx2",   AV_CPU_FLAG_AVX2 },
        { "avx512", AV_CPU_FLAG_AVX512 },
    };
    int reps = argc > 1 ? atoi(argv[1]) : 15;
    Deep3DModel m = { .in_w = 256, .in_h = 160, .disp_min = -8, .disp_max = 8, .disp_width = 256 };
    int real_flags = av_get_cpu_flags(), ret = 0;
    float *probs;
    size_t np;

    if (argc > 6) {
        m.in_w = atoi(argv[2]); m.in_h = atoi(argv[3]);
        m.disp_min = atoi(argv[4]); m.disp_max = atoi(argv[5]); m.disp_width = atoi(argv[6]);
    }
    m.nb_disp = m.disp_max - m.disp_min + 1;
    m.nb_prob = m.nb_disp + 1;
    if (reps < 1 || m.nb_disp < 1 || m.nb_disp > DEEP3D_RENDER_MAX_DISP || m.in_w < 1 || m.in_h < 1) {
        fprintf(stderr, "usage: %s [REPS [NET_W NET_H DISP_MIN DISP_MAX DISP_WIDTH]]\n", argv[0]);
        return 2;
    }
    np = (size_t)m.in_w * m.in_h;
    if (!(probs = av_malloc_array(np * m.nb_prob, sizeof(*probs))))
        return 1;
    srand(1);
    for (size_t i = 0; i < np; i++) {
        double sum = 0;
        for (int k = 0; k < m.nb_prob; k++)
            sum += probs[k * np + i] = expf(4.0f * rand() / RAND_MAX);
        for (int k = 0; k < m.nb_prob; k++)
            probs[k * np + i] /= sum;
    }

    for (int s = 0; s < FF_ARRAY_ELEMS(sizes); s++) {
        int w = sizes[s][0], h = sizes[s][1];
        Deep3DRenderParams sel = ff_deep3d_render_params(&m, 1.0f, 0.0f, 0);
        AVFrame *in = new_frame(w, h), *out = NULL, *eye = new_frame(w, h);
        Deep3DPack pack;
        float *scratch = NULL;

        if (!in || !eye || ff_deep3d_pack_init(&pack, NULL, DEEP3D_LAYOUT_SBSL, AV_PIX_FMT_YUV420P, w, h) < 0 ||
            !(out = new_frame(pack.out_w, pack.out_h)) ||
            !(scratch = av_malloc_array(ff_deep3d_render_soft_scratch_size(&sel, w), sizeof(float)))) {
            fprintf(stderr, "render_speed: out of memory\n");
            ret = 1;
            goto next;
        }
        for (int i = 0; i < 3; i++)
            for (int y = 0; y < (i ? h / 2 : h); y++)
                for (int x = 0; x < (i ? w / 2 : w); x++)
                    in->data[i][y * in->linesize[i] + x] = (x * 7 + y * 13 + i * 50) & 255;

        for (int design = 0; design < 2; design++) {
            for (int v = 0; v < FF_ARRAY_ELEMS(isas); v++) {
                Deep3DRenderConfig cfg = {
                    .geometry = &m, .pack = &pack, .render = DEEP3D_RENDER_SOFT,
                    .output = DEEP3D_OUTPUT_STEREO, .nb_jobs = 1, .execute = run_serial,
                };
                Deep3DRender *r = NULL;
                double *t;

                if (isas[v].flags & ~real_flags)
                    continue;   /* this CPU does not run it */
                av_force_cpu_flags(isas[v].flags ? real_flags & (isas[v].flags | (isas[v].flags - 1)) : 0);
                if (!(t = av_malloc_array(reps, sizeof(*t))) ||
                    (design == 0 && ff_deep3d_render_init(&r, NULL, &cfg) < 0)) {
                    av_free(t);
                    ret = 1;
                    continue;
                }
                for (int i = -2; i < reps; i++) {   /* two warm-up frames */
                    double t0 = thread_ms();
                    if (design == 0) {
                        ff_deep3d_render_eye(r, out, in, probs, &sel);
                        ff_deep3d_render_pack(r, NULL, out, in);
                    } else {
                        two_pass(&sel, &pack, probs, out, in, eye, scratch);
                    }
                    if (i >= 0)
                        t[i] = thread_ms() - t0;
                }
                qsort(t, reps, sizeof(*t), cmp_double);
                printf("%dx%d %s %s %.3f %.3f\n", w, h, design ? "two-pass" : "one-pass",
                       isas[v].name, t[reps / 2], t[0]);
                fflush(stdout);
                av_free(t);
                ff_deep3d_render_free(&r);
            }
        }
        av_force_cpu_flags(-1);
next:
        av_frame_free(&in);
        av_frame_free(&out);
        av_frame_free(&eye);
        av_free(scratch);
    }
    av_free(probs);
    return ret;
}
