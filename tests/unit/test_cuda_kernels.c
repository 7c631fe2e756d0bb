/*
 * The CUDA frame kernels on the host CUDA emulator (tests/cuda-emu), against
 * the CPU path, bit for bit:
 * - the input kernel (tap tables of deep3d_cuda_tables.c, one launch for a
 *   batch of frames, gridDim.z = slot) against ff_deep3d_input_convert():
 *   nv12, p010le, yuv420p, yuv444p; down- and upscaling, odd sizes, limited
 *   and full range, BT.601 / BT.709, RGB and BGR models;
 * - render_pack (the soft renderer into a shared-memory tile, both eyes
 *   packed directly) against ff_deep3d_render_soft_rows() then
 *   ff_deep3d_pack_slice(): every stereo layout, swap, renormalize, in 8 and
 *   10 bits, at even, odd and tiny sizes, under the emulator's forward and
 *   reverse thread schedules (a missing barrier shows as a difference).
 * The same probabilities go to both paths, so the outputs must be identical:
 * no tolerance. Usage: test_cuda_kernels LIBCUDA (the emulator's libcuda.so.1).
 */

#define _POSIX_C_SOURCE 200112L /* setenv */
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "libavfilter/deep3d_cuda_tables.h"
#include "libavfilter/deep3d_input.h"
#include "libavfilter/deep3d_model.h"
#include "libavfilter/deep3d_net.h"
#include "libavfilter/deep3d_pack.h"
#include "libavfilter/deep3d_render_soft.h"
#include "libavutil/common.h"
#include "libavutil/frame.h"
#include "libavutil/imgutils.h"
#include "libavutil/log.h"
#include "libavutil/mem.h"
#include "libavutil/pixdesc.h"

/* the two driver entry points used, as the emulator exports them */
typedef int (*GetFunctionFn)(void **f, void *module, const char *name);
typedef int (*LaunchFn)(void *f, unsigned gx, unsigned gy, unsigned gz, unsigned bx,
                        unsigned by, unsigned bz, unsigned shared, void *stream, void **args,
                        void **extra);
static GetFunctionFn get_function;
static LaunchFn launch_kernel;

static uint32_t rng = 12345;
static uint32_t rnd(void)
{
    rng = rng * 1664525u + 1013904223u;
    return rng >> 8;
}

static const enum AVPixelFormat formats[] = {
    AV_PIX_FMT_NV12, AV_PIX_FMT_P010, AV_PIX_FMT_YUV420P, AV_PIX_FMT_YUV444P,
};

/* a frame of random samples on the format's grid (p010: 6 low bits zero) */
static AVFrame *random_frame(enum AVPixelFormat fmt, int w, int h)
{
    const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(fmt);
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
    for (int p = 0; p < 4 && f->data[p]; p++) {
        int rows = p ? AV_CEIL_RSHIFT(h, d->log2_chroma_h) : h;
        for (int y = 0; y < rows; y++)
            for (int x = 0; x < f->linesize[p]; x++)
                f->data[p][y * f->linesize[p] + x] = rnd();
        if (d->comp[0].shift)
            for (int y = 0; y < rows; y++)
                for (int x = 0; x < f->linesize[p] / 2; x++)
                    ((uint16_t *)(f->data[p] + y * f->linesize[p]))[x] &= 0xffc0;
    }
    return f;
}

static void run_jobs(void *opaque, Deep3DJobFunc *job, void *arg, int nb_jobs)
{
    for (int j = 0; j < nb_jobs; j++)
        job(arg, j, nb_jobs);
}

static int launch(const char *name, unsigned gx, unsigned gy, unsigned gz, unsigned bx,
                  unsigned by, unsigned shared, void *args)
{
    void *f = NULL, *argv[] = { args };
    if (get_function(&f, NULL, name))
        return -1;
    return launch_kernel(f, gx, gy, gz, bx, by, 1, shared, NULL, argv, NULL);
}

/* ---- the input kernel ---- */

static void test_input(enum AVPixelFormat fmt, int w, int h, int nw, int nh, int bgr,
                       enum AVColorSpace csp, enum AVColorRange range)
{
    const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(fmt);
    Deep3DModel m = { 0 };
    Deep3DInput *in = NULL;
    Deep3DCudaTables t;
    Deep3DColour colour[3];
    const Deep3DColour *pc[3] = { &colour[0], &colour[1], &colour[2] };
    AVFrame *f[3] = { NULL };
    size_t n = 3 * (size_t)nw * nh;
    float *cpu = av_malloc_array(3 * n, sizeof(float)), *gpu = av_malloc_array(3 * n, sizeof(float));
    Deep3DInputArgs *a = av_mallocz(sizeof(*a));
    int cw = AV_CEIL_RSHIFT(w, d->log2_chroma_w), ch = AV_CEIL_RSHIFT(h, d->log2_chroma_h);
    int uv_comps = d->comp[1].plane == d->comp[2].plane ? 2 : 1, same = 1, ret;
    long long first = -1;

    m.in_w = nw;
    m.in_h = nh;
    m.bgr  = bgr;
    m.input_scale   = 255.0f;
    m.input_mean[0] = 123.7f;
    m.input_mean[1] = 116.3f;
    m.input_mean[2] = 103.5f;
    if (!cpu || !gpu || !a || ff_deep3d_input_init(&in, &m, 3) < 0 ||
        ff_deep3d_cuda_tables_build(&t, w, h, cw, ch, nw, nh, nw, nh) < 0) {
        check(0, "input %s %dx%d: setup", d->name, w, h);
        goto end;
    }
    ff_deep3d_cuda_tables_place(&t, (uintptr_t)t.host);    /* emulator: device = host memory */
    memset(gpu, 0xff, 3 * n * sizeof(float));
    for (int i = 0; i < 3; i++) {
        if (!(f[i] = random_frame(fmt, w, h))) {
            check(0, "input: frame");
            goto end;
        }
        /* the slots differ in colour tags too: each frame its own coefficients */
        f[i]->colorspace  = i == 1 ? AVCOL_SPC_BT470BG : csp;
        f[i]->color_range = i == 2 ? AVCOL_RANGE_JPEG : range;
        ff_deep3d_colour_init(&colour[i], NULL, fmt, f[i]->colorspace, f[i]->color_range);
        if ((ret = ff_deep3d_input_convert(in, NULL, f[i], cpu + i * n, run_jobs, NULL)) < 0) {
            check(0, "input: CPU conversion failed");
            goto end;
        }
    }
    ff_deep3d_cuda_input_args(a, &t, &m, (const AVFrame *const *)f, pc, 3, uv_comps,
                              d->comp[0].shift, (uintptr_t)gpu);
    ret = launch(d->comp[0].depth > 8 ? "deep3d_input_16" : "deep3d_input_8",
                 (nw + DEEP3D_IN_BLOCK_X - 1) / DEEP3D_IN_BLOCK_X,
                 (nh + DEEP3D_IN_BLOCK_Y - 1) / DEEP3D_IN_BLOCK_Y, 3,
                 DEEP3D_IN_BLOCK_X, DEEP3D_IN_BLOCK_Y, 0, a);
    for (size_t i = 0; i < 3 * n; i++)
        if (memcmp(&cpu[i], &gpu[i], sizeof(float))) {
            same = 0;
            if (first < 0)
                first = i;
        }
    check(!ret && same, "input kernel = CPU input, bit for bit: %s %dx%d -> %dx%d, %s, %s, "
          "3 frames in one launch (slot colours differ)%s", d->name, w, h, nw, nh,
          bgr ? "BGR" : "RGB", av_color_range_name(range),
          same ? "" : " -- first difference at float %lld");
    if (!same)
        printf("# float %lld: CPU %.9g, GPU %.9g\n", first, cpu[first], gpu[first]);
end:
    for (int i = 0; i < 3; i++)
        av_frame_free(&f[i]);
    ff_deep3d_input_free(&in);
    ff_deep3d_cuda_tables_free(&t);
    av_free(cpu);
    av_free(gpu);
    av_free(a);
}

/* ---- render_pack ---- */

/* the CPU path: the rendered eye as a frame, then the packing */
static int cpu_render_pack(const Deep3DPack *p, const Deep3DRenderParams *sel, const float *probs,
                           const AVFrame *in, AVFrame *rend, AVFrame *out, int swap)
{
    const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(in->format);
    float *scratch;
    int cw = AV_CEIL_RSHIFT(in->width, d->log2_chroma_w);
    int ch = AV_CEIL_RSHIFT(in->height, d->log2_chroma_h);
    size_t size = FFMAX(ff_deep3d_render_soft_scratch_size(sel, in->width),
                        ff_deep3d_render_soft_scratch_size(sel, cw));

    if (!(scratch = av_malloc_array(size, sizeof(float))))
        return AVERROR(ENOMEM);
    /* luma, then the chroma planes together (one geometry) */
    for (int g = 0; g < 2; g++) {
        const Deep3DPackPlane *pl = &p->planes[g];
        Deep3DPlaneFormat pf = { pl->bytes_per_pixel / pl->elem_size, pl->elem_size, pl->shift,
                                 d->comp[0].depth };
        int nb = g ? p->nb_planes - 1 : 1;
        const uint8_t *src[2] = { in->data[g], in->data[g + 1] };
        uint8_t *dst[2] = { rend->data[g], rend->data[g + 1] };
        int sl[2] = { in->linesize[g], in->linesize[g + 1] };
        int dl[2] = { rend->linesize[g], rend->linesize[g + 1] };
        ff_deep3d_render_soft_rows(sel, &pf, probs, nb, src, sl, dst, dl, g ? cw : in->width,
                                   g ? ch : in->height, 0, g ? ch : in->height, scratch);
    }
    av_free(scratch);
    ff_deep3d_pack_slice(p, out, swap ? rend : in, swap ? in : rend, 0, 1);
    return 0;
}

static int frames_equal(const Deep3DPack *p, const AVFrame *a, const AVFrame *b, int *plane,
                        int *row)
{
    const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(a->format);

    for (int i = 0; i < p->nb_planes; i++) {
        int rows = i ? AV_CEIL_RSHIFT(p->pic_h, d->log2_chroma_h) : p->pic_h;
        int bytes = av_image_get_linesize(a->format, p->out_w, i);
        for (int y = 0; y < rows; y++)
            if (memcmp(a->data[i] + y * a->linesize[i], b->data[i] + y * b->linesize[i], bytes)) {
                *plane = i;
                *row   = y;
                return 0;
            }
    }
    return 1;
}

static const char *const layout_names[] = {
    "sbsl", "sbsr", "sbs2l", "sbs2r", "abl", "abr", "ab2l", "ab2r", "ml", "mr",
    "irl", "irr", "icl", "icr", "chl", "chr", "al", "ar",
};

/* every layout of one format and size; returns the cases compared */
static void test_render_pack(enum AVPixelFormat fmt, int w, int h, const char *schedule,
                             float strength)
{
    const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(fmt);
    int net_w = 40, net_h = 24, D = 17, cw = AV_CEIL_RSHIFT(w, d->log2_chroma_w);
    Deep3DRenderParams sel = { net_w, net_h, D, -8, net_w, strength, 2.0f, 0 };
    size_t plane = (size_t)net_w * net_h;
    float *probs = av_malloc_array((D + 1) * plane, sizeof(float));
    int32_t si[2][32];
    float sf[2][32];
    uint64_t psi[2] = { (uintptr_t)si[0], (uintptr_t)si[1] };
    uint64_t psf[2] = { (uintptr_t)sf[0], (uintptr_t)sf[1] };
    Deep3DRenderPackArgs *a = av_mallocz(sizeof(*a));
    AVFrame *in = random_frame(fmt, w, h), *rend = random_frame(fmt, w, h);
    Deep3DCudaTables t;
    int cases = 0, bad = 0, refused = 0, span = 0;
    char first[160] = "";

    setenv("D3EMU_SCHEDULE", schedule, 1);
    if (!probs || !a || !in || !rend ||
        ff_deep3d_cuda_tables_build(&t, w, h, cw, AV_CEIL_RSHIFT(h, d->log2_chroma_h),
                                    net_w, net_h, net_w, net_h) < 0) {
        check(0, "render_pack %s %dx%d: setup", d->name, w, h);
        goto end;
    }
    ff_deep3d_cuda_tables_place(&t, (uintptr_t)t.host);
    /* positive weights that need not sum to 1 (renormalize divides by their mass) */
    for (size_t i = 0; i < (D + 1) * plane; i++)
        probs[i] = (rnd() % 1000) / 8000.0f;
    for (int layout = 0; layout < DEEP3D_LAYOUT_NB; layout++)
        for (int swap = 0; swap < 2; swap++) {
            Deep3DPack p;
            AVFrame *cpu = NULL, *gpu = NULL;
            unsigned grid[3], shared;
            int rendered, pl = -1, row = -1, ret;

            sel.renormalize = (layout + swap) & 1;
            if (ff_deep3d_pack_init(&p, NULL, layout, fmt, w, h) < 0) {
                refused++;
                continue;
            }
            rendered = p.interleave || (swap ? p.has_left : p.has_right);
            ff_deep3d_cuda_shift_table(&sel, w, si[0], sf[0]);
            ff_deep3d_cuda_shift_table(&sel, cw, si[1], sf[1]);
            /* the luma input row span of a 2:1 squeezed tile: staged in shared memory
             * up to DEEP3D_RP_SEG_CAP, else read from the frame */
            span = 2 * DEEP3D_RP_TILE_W + si[0][D - 1] - si[0][0] + 1;
            span = FFMAX(span, 2 * DEEP3D_RP_TILE_W + si[0][0] - si[0][D - 1] + 1);
            /* the same random picture in both: rows neither path writes (the gap of
             * an alternating layout at an odd height) compare equal unless written */
            cpu = random_frame(fmt, p.out_w, p.pic_h);
            gpu = random_frame(fmt, p.out_w, p.pic_h);
            if (!cpu || !gpu || av_frame_copy(gpu, cpu) < 0 ||
                cpu_render_pack(&p, &sel, probs, in, rend, cpu, swap) < 0) {
                bad++;
                av_frame_free(&cpu);
                av_frame_free(&gpu);
                continue;
            }
            ff_deep3d_cuda_render_pack_args(a, &t, &p, &sel, swap, rendered, d->comp[0].depth,
                                            in, gpu, (uintptr_t)probs, psi, psf, grid, &shared);
            ret = launch(d->comp[0].depth > 8 ? "deep3d_render_pack_16" : "deep3d_render_pack_8",
                         grid[0], grid[1], grid[2], DEEP3D_RP_TILE_W, DEEP3D_RP_TILE_H, shared, a);
            cases++;
            if (ret || !frames_equal(&p, cpu, gpu, &pl, &row)) {
                if (!bad++)
                    snprintf(first, sizeof(first), " -- first: %s swap=%d%s", layout_names[layout],
                             swap, ret ? " launch failed" : "");
                if (!ret)
                    printf("# %s swap=%d: plane %d row %d differs\n", layout_names[layout], swap,
                           pl, row);
            }
            av_frame_free(&cpu);
            av_frame_free(&gpu);
        }
    check(cases > 0 && !bad, "render_pack = CPU render + pack, bit for bit: %s %dx%d, %d layout "
          "x swap cases (%d refused by the layout), %s schedule, strength %g (input rows %s)%s",
          d->name, w, h, cases, refused, schedule, strength,
          span <= DEEP3D_RP_SEG_CAP ? "staged in shared memory" : "read from the frame: "
          "their span exceeds the shared segment", first);
end:
    ff_deep3d_cuda_tables_free(&t);
    av_frame_free(&in);
    av_frame_free(&rend);
    av_free(probs);
    av_free(a);
}

/* the tables themselves: taps sum to 1 (to float rounding) and stay in the plane */
static void test_tables(void)
{
    Deep3DCudaTables t;
    int ok = ff_deep3d_cuda_tables_build(&t, 1920, 1080, 960, 540, 256, 160, 256, 160) >= 0;
    int good = ok;

    if (ok) {
        const Deep3DTapAxis *ax = &t.tx[0];
        const int32_t *len = (const int32_t *)(t.host + ax->len);
        const int32_t *idx = (const int32_t *)(t.host + ax->idx);
        const float *wt = (const float *)(t.host + ax->wt);
        for (int o = 0; o < 256; o++) {
            double s = 0;
            for (int k = 0; k < len[o]; k++) {
                s += wt[o * ax->stride + k];
                good &= idx[o * ax->stride + k] >= 0 && idx[o * ax->stride + k] < 1920;
            }
            good &= len[o] > 0 && len[o] <= ax->stride && s > 0.99999 && s < 1.00001;
        }
    }
    check(good, "tap tables 1920 -> 256: 1..stride taps per output, in the plane, weights "
          "summing to 1 (1e-5: float weights)");
    ff_deep3d_cuda_tables_free(&t);
    check(ff_deep3d_cuda_tables_build(&t, 0, 1080, 960, 540, 256, 160, 256, 160) ==
          AVERROR(EINVAL), "tap tables for an empty frame: EINVAL");
}

int main(int argc, char **argv)
{
    void *lib;

    av_log_set_level(AV_LOG_QUIET);
    if (argc < 2 || !(lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL))) {
        check(0, "load the host CUDA emulator (%s)", argc < 2 ? "no path given" : dlerror());
        return check_summary();
    }
    get_function  = (GetFunctionFn)dlsym(lib, "cuModuleGetFunction");
    launch_kernel = (LaunchFn)dlsym(lib, "cuLaunchKernel");
    if (!get_function || !launch_kernel) {
        check(0, "the emulator's cuModuleGetFunction and cuLaunchKernel");
        return check_summary();
    }
    test_tables();
    for (int i = 0; i < FF_ARRAY_ELEMS(formats); i++) {
        test_input(formats[i], 640, 360, 256, 160, 0, AVCOL_SPC_BT709, AVCOL_RANGE_MPEG);
        test_input(formats[i], 97, 61, 64, 32, 1, AVCOL_SPC_UNSPECIFIED, AVCOL_RANGE_MPEG);
        test_input(formats[i], 37, 23, 64, 32, 0, AVCOL_SPC_BT709, AVCOL_RANGE_JPEG);
    }
    test_input(AV_PIX_FMT_NV12, 1920, 1080, 256, 160, 0, AVCOL_SPC_BT709, AVCOL_RANGE_MPEG);
    for (int i = 0; i < FF_ARRAY_ELEMS(formats); i++) {
        test_render_pack(formats[i], 98, 62, "forward", 1.5f);
        test_render_pack(formats[i], 97, 61, "forward", 1.5f);
        test_render_pack(formats[i], 7, 5, "forward", 1.5f);
        test_render_pack(formats[i], 98, 62, "reverse", 1.5f);
    }
    test_render_pack(AV_PIX_FMT_NV12, 130, 70, "reverse", 1.5f);
    /* shifts of up to 8 x 60 samples: the input rows do not fit the shared segment */
    test_render_pack(AV_PIX_FMT_NV12, 200, 62, "forward", 12.0f);
    test_render_pack(AV_PIX_FMT_P010, 200, 62, "reverse", 12.0f);
    return check_summary();
}
