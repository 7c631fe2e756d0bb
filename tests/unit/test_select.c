/*
 * The selection layer's kernel versions and the one-pass renderer.
 *
 * 1. Every kernel version this CPU runs (avx2, avx512: deep3d_render_soft_x86.c)
 *    against the C version (deep3d_render_soft.c), bit for bit, on random
 *    cases: widths that are and are not multiples of the vector lengths, 1 to
 *    8 rows, 1 to 64 disparity planes, shifts across the padding, with and
 *    without renormalisation; the upsampling of probability rows (up and
 *    down); the conversions of 8- and 16-bit rows with shifts, and of floats
 *    out of the sample range (negative, far above; not beyond int, nor NaN:
 *    the C conversion is undefined there, and the renderer never produces
 *    them: its sums are of probabilities times samples). No tolerance: every version does
 *    the same float operations in the same order, so any difference is a bug.
 * 2. The whole renderer (ff_deep3d_render_soft_rows) on frames of every plane
 *    layout (1 to 4 planes; interleaved components; 8-, 10- and 16-bit; high-bit
 *    containers) with each version forced by av_force_cpu_flags(): the same
 *    frames as with C.
 * 3. The one-pass stereo output (ff_deep3d_render_eye, which packs as it
 *    renders) against the two passes it replaces, written here from the
 *    building blocks (ff_deep3d_render_soft_rows / _hard_rows into a full eye
 *    frame, then ff_deep3d_pack_slice), for every layout, several formats,
 *    odd sizes, swap, render=soft and hard, 1 and 3 jobs: identical frames.
 *
 * Ends with "N passed, M failed".
 */

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "libavfilter/deep3d_render.h"
#include "libavfilter/deep3d_render_hard.h"
#include "libavfilter/deep3d_temporal.h"
#include "libavutil/common.h"
#include "libavutil/cpu.h"
#include "libavutil/frame.h"
#include "libavutil/intreadwrite.h"
#include "libavutil/log.h"
#include "libavutil/mem.h"
#include "libavutil/pixdesc.h"

static uint64_t rng = 88172645463325252ULL;

static uint32_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng >> 32;
}

static float rndf(float lo, float hi)
{
    return lo + (hi - lo) * (rnd() / 4294967296.0f);
}

typedef struct Isa {
    const char *name;
    int flag;
} Isa;

static const Isa isas[] = { { "avx2", AV_CPU_FLAG_AVX2 }, { "avx512", AV_CPU_FLAG_AVX512 } };

/* The flags av_get_cpu_flags() reports for a version: its own and all below. */
static int isa_flags(int real, int flag)
{
    return real & (flag | (flag - 1));
}

/* 1a. The render kernel on random cases. */
static void test_kernel(const Deep3DSoftDSP *ref, const Deep3DSoftDSP *dsp, int cases)
{
    int bad = 0, first_bad = -1;

    for (int c = 0; c < cases; c++) {
        int n = 1 + rnd() % DEEP3D_RENDER_MAX_ROWS, nb_disp = 1 + rnd() % 64;
        int w = c < 40 ? 1 + c : 1 + rnd() % 300, margin = 2 + rnd() % 40;
        int shift_int[64];
        float shift_frac[64];
        size_t hsize = (size_t)nb_disp * w, lsize = w + 2 * (size_t)margin;
        float *h = av_malloc_array(2 * hsize, sizeof(float));
        float *lp = av_malloc_array(n * lsize, sizeof(float));
        float *out = av_malloc_array(2 * n * (size_t)w, sizeof(float));
        float *mass = av_malloc_array(w, sizeof(float)), *pt = av_malloc_array(DEEP3D_RENDER_CHUNK, sizeof(float));
        Deep3DSoftKernel k = { .n = n, .w = w, .nb_disp = nb_disp, .fy = rndf(0, 1),
                               .shift_int = shift_int, .shift_frac = shift_frac, .pt = pt };

        if (!h || !lp || !out || !mass || !pt) {
            check(0, "kernel: out of memory");
            return;
        }
        for (size_t i = 0; i < 2 * hsize; i++)
            /* some zero mass (renormalisation skips it), some negative values */
            h[i] = rnd() % 8 == 0 ? 0.0f : rndf(-0.05f, 1.0f);
        for (size_t i = 0; i < n * lsize; i++)
            lp[i] = rnd() % 4 ? (float)(rnd() % 1024) : rndf(-10, 1100);
        for (int d = 0; d < nb_disp; d++) {
            /* the kernel reads x + shift_int and the sample after it */
            shift_int[d]  = -margin + (int)(rnd() % (2 * margin - 1));
            shift_frac[d] = rnd() % 5 ? rndf(0, 1) : 0.0f;
        }
        k.hrow[0] = h;
        k.hrow[1] = h + hsize;
        for (int r = 0; r < n; r++)
            k.lp[r] = lp + r * lsize + margin;
        for (int pass = 0; pass < 2; pass++) {
            const Deep3DSoftDSP *d = pass ? dsp : ref;
            for (int r = 0; r < n; r++)
                k.out[r] = out + ((size_t)pass * n + r) * w;
            k.mass = c & 1 ? mass : NULL;
            d->render(&k);
        }
        if (memcmp(out, out + (size_t)n * w, (size_t)n * w * sizeof(float))) {
            bad++;
            if (first_bad < 0)
                first_bad = c;
        }
        av_free(h); av_free(lp); av_free(out); av_free(mass); av_free(pt);
    }
    check(!bad, "%s render kernel == c bit for bit on %d random cases (widths 1..300, 1..8 rows, "
          "1..64 planes, renormalised or not)%s", dsp->name, cases,
          bad ? " -- first differing case differs" : "");
    if (bad)
        printf("# %d cases differ, first %d\n", bad, first_bad);
}

/* 1b. Upsampling of low-res rows, w above and below net_w. */
static void test_upsample(const Deep3DSoftDSP *ref, const Deep3DSoftDSP *dsp, int cases)
{
    int bad = 0;

    for (int c = 0; c < cases; c++) {
        int net_w = 1 + rnd() % 300, w = c % 4 == 3 ? 1 + rnd() % 400 : net_w + rnd() % 2000;
        int nb = 1 + rnd() % 20, stride = net_w + rnd() % 5;
        float *src = av_malloc_array((size_t)nb * stride, sizeof(float));
        float *a = av_malloc_array((size_t)nb * w, sizeof(float)), *b = av_malloc_array((size_t)nb * w, sizeof(float));
        int32_t *x0 = av_malloc_array(w, sizeof(*x0));
        float *fx = av_malloc_array(w, sizeof(*fx));

        if (!src || !a || !b || !x0 || !fx) {
            check(0, "upsample: out of memory");
            return;
        }
        for (size_t i = 0; i < (size_t)nb * stride; i++)
            src[i] = rndf(-1, 1);
        /* as row_state_init() computes them */
        for (int x = 0; x < w; x++) {
            double u = av_clipd((x + 0.5) * net_w / w - 0.5, 0, net_w - 1);
            x0[x] = (int)u;
            fx[x] = u - x0[x];
        }
        ref->upsample(a, src, stride, nb, x0, fx, w, net_w);
        dsp->upsample(b, src, stride, nb, x0, fx, w, net_w);
        bad += !!memcmp(a, b, (size_t)nb * w * sizeof(float));
        av_free(src); av_free(a); av_free(b); av_free(x0); av_free(fx);
    }
    check(!bad, "%s upsampling == c bit for bit on %d random cases (%d differ)", dsp->name, cases, bad);
}

/* 1c. Conversions: 8-bit, 16-bit with shifts 0..6, floats out of range. */
static void test_convert(const Deep3DSoftDSP *ref, const Deep3DSoftDSP *dsp, int cases)
{
    int bad_load = 0, bad_store = 0;

    for (int c = 0; c < cases; c++) {
        int w = c < 40 ? 1 + c : 1 + rnd() % 700, shift = rnd() % 7;
        int depth = 8 + rnd() % 9, maxval = (1 << FFMIN(depth, 16 - shift)) - 1;
        uint8_t *s8 = av_malloc(w), *d8a = av_malloc(w), *d8b = av_malloc(w);
        uint16_t *s16 = av_malloc_array(w, 2), *d16a = av_malloc_array(w, 2), *d16b = av_malloc_array(w, 2);
        float *fa = av_malloc_array(w, sizeof(float)), *fb = av_malloc_array(w, sizeof(float));
        float *f = av_malloc_array(w, sizeof(float));

        if (!s8 || !d8a || !d8b || !s16 || !d16a || !d16b || !fa || !fb || !f) {
            check(0, "convert: out of memory");
            return;
        }
        for (int x = 0; x < w; x++) {
            int kind = rnd() % 16;
            s8[x]  = rnd();
            s16[x] = rnd();
            f[x] = kind == 0 ? -rndf(0, 1e9f) : kind == 1 ? rndf(0, 1e9f) : kind == 2 ? -0.49f :
                   kind == 3 ? rndf(-2, 2) : kind == 4 ? (float)(rnd() % 300) - 0.5f :
                   rndf(-20, 70000);
        }
        ref->load8(fa, s8, w);
        dsp->load8(fb, s8, w);
        bad_load += !!memcmp(fa, fb, w * sizeof(float));
        ref->load16(fa, s16, w, shift);
        dsp->load16(fb, s16, w, shift);
        bad_load += !!memcmp(fa, fb, w * sizeof(float));
        ref->store8(d8a, f, w);
        dsp->store8(d8b, f, w);
        bad_store += !!memcmp(d8a, d8b, w);
        ref->store16(d16a, f, w, maxval, shift);
        dsp->store16(d16b, f, w, maxval, shift);
        bad_store += !!memcmp(d16a, d16b, w * 2);
        av_free(s8); av_free(d8a); av_free(d8b); av_free(s16); av_free(d16a); av_free(d16b);
        av_free(fa); av_free(fb); av_free(f);
    }
    check(!bad_load, "%s row loads (8-bit; 16-bit, shifts 0..6) == c on %d cases", dsp->name, cases);
    check(!bad_store, "%s row stores (rounded, clipped; -1e9 .. 1e9) == c on %d cases",
          dsp->name, cases);
}

/* ---- frames ---- */

static Deep3DModel geometry(int net_w, int net_h, int dmin, int dmax)
{
    Deep3DModel m = { .in_w = net_w, .in_h = net_h, .disp_min = dmin, .disp_max = dmax,
                      .nb_disp = dmax - dmin + 1, .nb_prob = dmax - dmin + 2, .disp_width = net_w };
    return m;
}

static float *random_probs(const Deep3DModel *m)
{
    size_t np = (size_t)m->in_w * m->in_h;
    float *p = av_malloc_array(np * m->nb_prob, sizeof(*p));

    for (size_t i = 0; p && i < np; i++) {
        float sum = 0;
        for (int k = 0; k < m->nb_prob; k++)
            sum += p[k * np + i] = rndf(0, 1) * rndf(0, 1);
        for (int k = 0; k < m->nb_prob; k++)
            p[k * np + i] /= sum;
    }
    return p;
}

static AVFrame *random_frame(enum AVPixelFormat fmt, int w, int h)
{
    const AVPixFmtDescriptor *desc = av_pix_fmt_desc_get(fmt);
    AVFrame *f = av_frame_alloc();

    if (!f)
        return NULL;
    f->format = fmt;
    f->width  = w;
    f->height = h;
    if (av_frame_get_buffer(f, 0) < 0) {
        av_frame_free(&f);
        return NULL;
    }
    /* every sample a valid value of its component (the low bits of high-bit
     * containers zero), so that the layouts' box filters see real data */
    for (int c = 0; c < desc->nb_components; c++) {
        const AVComponentDescriptor *cd = &desc->comp[c];
        int cw = c == 1 || c == 2 ? AV_CEIL_RSHIFT(w, desc->log2_chroma_w) : w;
        int ch = c == 1 || c == 2 ? AV_CEIL_RSHIFT(h, desc->log2_chroma_h) : h;
        if (desc->flags & AV_PIX_FMT_FLAG_RGB)
            cw = w, ch = h;
        for (int y = 0; y < ch; y++)
            for (int x = 0; x < cw; x++) {
                uint8_t *p = f->data[cd->plane] + y * f->linesize[cd->plane] + x * cd->step + cd->offset;
                unsigned v = (rnd() % (1u << cd->depth)) << cd->shift;
                if (cd->depth + cd->shift > 8)
                    AV_WN16(p, v);
                else
                    *p = v;
            }
    }
    return f;
}

static int frames_equal(const AVFrame *a, const AVFrame *b, int planes, const Deep3DPack *pack)
{
    for (int i = 0; i < planes; i++) {
        const Deep3DPackPlane *pl = &pack->planes[i];
        int rows = AV_CEIL_RSHIFT(pack->pic_h, pl->sub_y);
        int bytes = AV_CEIL_RSHIFT(pack->out_w, pl->sub_x) * pl->bytes_per_pixel;
        for (int y = 0; y < rows; y++)
            if (memcmp(a->data[i] + y * a->linesize[i], b->data[i] + y * b->linesize[i], bytes))
                return 0;
    }
    return 1;
}

static int pack_plane_group(const Deep3DPack *pack, int i)
{
    int n = 1;
    while (i + n < pack->nb_planes &&
           pack->planes[i + n].w == pack->planes[i].w && pack->planes[i + n].h == pack->planes[i].h &&
           pack->planes[i + n].bytes_per_pixel == pack->planes[i].bytes_per_pixel &&
           pack->planes[i + n].sub_x == pack->planes[i].sub_x && pack->planes[i + n].sub_y == pack->planes[i].sub_y)
        n++;
    return n;
}

/* The second eye of in, every plane, rendered whole by the row functions. */
static int render_eye_frame(const Deep3DPack *pack, const Deep3DModel *m, const Deep3DRenderParams *sel,
                            int hard, const float *probs, const AVFrame *in, AVFrame *eye)
{
    const AVPixFmtDescriptor *desc = av_pix_fmt_desc_get(in->format);
    size_t need = FFMAX(ff_deep3d_render_soft_scratch_size(sel, pack->in_w),
                        ff_deep3d_render_hard_scratch_size(pack->in_w));
    float *scratch = av_malloc_array(need, sizeof(float));
    float *ed = av_malloc_array((size_t)m->in_w * m->in_h, sizeof(float));

    if (!scratch || !ed) {
        av_free(scratch);
        av_free(ed);
        return -1;
    }
    ff_deep3d_expected_disparity(m, probs, ed);
    for (int i = 0, n; i < pack->nb_planes; i += n) {
        const Deep3DPackPlane *pl = &pack->planes[i];
        Deep3DPlaneFormat f = { pl->bytes_per_pixel / pl->elem_size, pl->elem_size, pl->shift,
                                desc->comp[0].depth };
        n = pack_plane_group(pack, i);
        if (hard)
            ff_deep3d_render_hard_rows(sel, &f, ed, n, (const uint8_t *const *)in->data + i,
                                       in->linesize + i, eye->data + i, eye->linesize + i,
                                       pl->w, pl->h, 0, pl->h, scratch);
        else
            ff_deep3d_render_soft_rows(sel, &f, probs, n, (const uint8_t *const *)in->data + i,
                                       in->linesize + i, eye->data + i, eye->linesize + i,
                                       pl->w, pl->h, 0, pl->h, scratch);
    }
    av_free(scratch);
    av_free(ed);
    return 0;
}

static void run_serial(void *opaque, Deep3DJobFunc *job, void *arg, int nb_jobs)
{
    for (int i = 0; i < nb_jobs; i++)
        job(arg, i, nb_jobs);
}

/* 2. ff_deep3d_render_soft_rows on every plane layout, each version == C. */
static void test_frames(int real)
{
    static const enum AVPixelFormat fmts[] = {
        AV_PIX_FMT_GRAY8, AV_PIX_FMT_YUV420P, AV_PIX_FMT_YUVA420P, AV_PIX_FMT_GBRP, AV_PIX_FMT_NV12,
        AV_PIX_FMT_RGB24, AV_PIX_FMT_RGBA, AV_PIX_FMT_YUV420P10LE, AV_PIX_FMT_P010LE,
        AV_PIX_FMT_YUV444P16LE, AV_PIX_FMT_GRAY10LE, AV_PIX_FMT_GBRAP10LE,
    };
    Deep3DModel m = geometry(37, 23, -6, 9);
    float *probs = random_probs(&m);

    for (int fi = 0; fi < FF_ARRAY_ELEMS(fmts); fi++) {
        const char *name = av_get_pix_fmt_name(fmts[fi]);
        int w = 2 * (17 + rnd() % 60) + 1, h = 2 * (5 + rnd() % 10) + 1;
        AVFrame *in, *ref = NULL, *got = NULL;
        Deep3DPack pack;
        Deep3DRenderParams sel = ff_deep3d_render_params(&m, rndf(0.5f, 3.0f), rndf(-5, 5), fi & 1);

        /* ml: a plan of the planes for any size; out_w, pic_h as the input */
        if (!probs || ff_deep3d_pack_init(&pack, NULL, DEEP3D_LAYOUT_ML, fmts[fi], w, h) < 0 ||
            !(in = random_frame(fmts[fi], w, h))) {
            check(0, "frames %s: setup", name);
            continue;
        }
        for (int v = -1; v < (int)FF_ARRAY_ELEMS(isas); v++) {
            AVFrame *eye;
            if (v >= 0 && (isas[v].flag & ~real))
                continue;
            av_force_cpu_flags(v < 0 ? 0 : isa_flags(real, isas[v].flag));
            if (!(eye = random_frame(fmts[fi], w, h)) ||
                render_eye_frame(&pack, &m, &sel, 0, probs, in, eye) < 0) {
                check(0, "frames %s: render", name);
                av_frame_free(&eye);
                continue;
            }
            if (v < 0) {
                ref = eye;
                continue;
            }
            got = eye;
            pack.out_w = w;
            pack.pic_h = h;
            check(frames_equal(ref, got, pack.nb_planes, &pack),
                  "%s renders the same %s %dx%d frame as c (%d planes)", isas[v].name, name, w, h,
                  pack.nb_planes);
            av_frame_free(&got);
        }
        av_force_cpu_flags(-1);
        av_frame_free(&ref);
        av_frame_free(&in);
    }
    av_free(probs);
}

/* 3. One pass == render, then pack: every layout. */
static void test_one_pass(void)
{
    static const enum AVPixelFormat fmts[] = {
        AV_PIX_FMT_YUV420P, AV_PIX_FMT_NV12, AV_PIX_FMT_RGB24, AV_PIX_FMT_P010LE,
        AV_PIX_FMT_YUV422P10LE, AV_PIX_FMT_GBRP, AV_PIX_FMT_GRAY8, AV_PIX_FMT_YUVA444P,
    };
    static const int sizes[][2] = { { 64, 36 }, { 50, 30 }, { 37, 21 } };
    Deep3DModel m = geometry(29, 17, -4, 7);
    float *probs = random_probs(&m);
    int total = 0, same = 0, skipped = 0;

    for (int layout = 0; layout < DEEP3D_LAYOUT_NB; layout++) {
        int layout_cases = 0, layout_same = 0;
        for (int fi = 0; fi < FF_ARRAY_ELEMS(fmts); fi++)
            for (int si = 0; si < FF_ARRAY_ELEMS(sizes); si++)
                for (int variant = 0; variant < 4; variant++) {
                    int w = sizes[si][0], h = sizes[si][1], swap = variant & 1, hard = variant >> 1;
                    int jobs = (fi + si + variant) % 2 ? 3 : 1;
                    Deep3DPack pack;
                    Deep3DRenderParams sel = ff_deep3d_render_params(&m, rndf(0.5f, 4.0f),
                                                                     rndf(-8, 8), variant == 1);
                    Deep3DRenderConfig cfg = {
                        .geometry = &m, .pack = &pack, .render = hard ? DEEP3D_RENDER_HARD : DEEP3D_RENDER_SOFT,
                        .output = DEEP3D_OUTPUT_STEREO, .swap = swap, .nb_jobs = jobs, .execute = run_serial,
                    };
                    Deep3DRender *r = NULL;
                    AVFrame *in = NULL, *eye = NULL, *ref = NULL, *got = NULL;

                    av_log_set_level(AV_LOG_QUIET);     /* sizes some layouts refuse */
                    if (ff_deep3d_pack_init(&pack, NULL, layout, fmts[fi], w, h) < 0) {
                        skipped++;
                        continue;
                    }
                    av_log_set_level(AV_LOG_ERROR);
                    if (!(in = random_frame(fmts[fi], w, h)) || !(eye = random_frame(fmts[fi], w, h)) ||
                        !(ref = random_frame(fmts[fi], pack.out_w, pack.pic_h)) ||
                        !(got = random_frame(fmts[fi], pack.out_w, pack.pic_h)) ||
                        ff_deep3d_render_init(&r, NULL, &cfg) < 0 ||
                        render_eye_frame(&pack, &m, &sel, hard, probs, in, eye) < 0) {
                        check(0, "one pass: setup of layout %d", layout);
                        goto next;
                    }
                    /* identical background: layouts that do not cover the frame */
                    av_frame_copy(got, ref);
                    if (ff_deep3d_render_needs_depth(r)) {
                        ff_deep3d_pack_slice(&pack, ref, swap ? eye : in, swap ? in : eye, 0, 1);
                        if (ff_deep3d_render_eye(r, got, in, probs, &sel) < 0) {
                            check(0, "one pass: render_eye failed");
                            goto next;
                        }
                    } else {
                        ff_deep3d_pack_slice(&pack, ref, in, in, 0, 1);
                    }
                    ff_deep3d_render_pack(r, NULL, got, in);
                    layout_cases++;
                    if (frames_equal(ref, got, pack.nb_planes, &pack))
                        layout_same++;
                    else
                        printf("# differs: layout %d %s %dx%d swap %d hard %d jobs %d\n", layout,
                               av_get_pix_fmt_name(fmts[fi]), w, h, swap, hard, jobs);
next:
                    ff_deep3d_render_free(&r);
                    av_frame_free(&in);
                    av_frame_free(&eye);
                    av_frame_free(&ref);
                    av_frame_free(&got);
                }
        check(layout_cases > 0 && layout_same == layout_cases,
              "layout %d: one pass == render then pack in %d of %d cases (formats, odd sizes, swap, "
              "soft/hard, 1/3 jobs)", layout, layout_same, layout_cases);
        total += layout_cases;
        same  += layout_same;
    }
    printf("# one pass: %d of %d cases equal, %d refused by the layout (sizes)\n", same, total, skipped);
    av_free(probs);
}

int main(void)
{
    int real = av_get_cpu_flags();
    Deep3DSoftDSP ref;

    av_log_set_level(AV_LOG_ERROR);
    ff_deep3d_render_soft_dsp_init(&ref, 0);
    check(!strcmp(ref.name, "c"), "no CPU flags: the C version (%s)", ref.name);
    for (int v = 0; v < FF_ARRAY_ELEMS(isas); v++) {
        Deep3DSoftDSP dsp;
        if (isas[v].flag & ~real) {
            printf("# %s: not on this CPU, not tested\n", isas[v].name);
            continue;
        }
        ff_deep3d_render_soft_dsp_init(&dsp, isa_flags(real, isas[v].flag));
        check(!strcmp(dsp.name, isas[v].name), "%s flags select the %s version (%s)",
              isas[v].name, isas[v].name, dsp.name);
        test_kernel(&ref, &dsp, 3000);
        test_upsample(&ref, &dsp, 400);
        test_convert(&ref, &dsp, 400);
    }
    test_frames(real);
    test_one_pass();
    return check_summary();
}
