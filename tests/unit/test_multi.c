/*
 * Several deep3d instances in one process, more slice jobs than cores, and
 * frames whose linesize differs from their width, through the public
 * libavfilter API (buffer -> deep3d -> buffersink):
 *
 * - two graphs with two different models, alive at once and fed alternately,
 *   give exactly the frames of each model run alone (no state shared between
 *   instances: the network's buffers, BLAS, the model);
 * - threads=16 on a 16-thread graph (more than this machine's cores) gives
 *   the frames of threads=1 up to the float rounding of the network (see
 *   test_threads), and really runs 16 jobs;
 * - a tightly packed frame (linesize = width in bytes, unaligned), a frame
 *   with a wide padded linesize and a bottom-up frame (negative linesize)
 *   give exactly the frames of an aligned frame of the same picture.
 *
 * Usage: test_multi DATA_DIR (tests/data, with the two tiny models).
 * Prints one "ok"/"not ok" line per check and ends with "N passed, M failed".
 */

#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "deep3d_graph.h"
#include "libavfilter/avfilter.h"
#include "libavfilter/buffersink.h"
#include "libavfilter/buffersrc.h"
#include "libavutil/cpu.h"
#include "libavutil/frame.h"
#include "libavutil/imgutils.h"
#include "libavutil/intreadwrite.h"
#include "libavutil/log.h"
#include "libavutil/mem.h"
#include "libavutil/pixdesc.h"

#define NB_FRAMES 3

static char fcn[1024], orig[1024];
static int logged_jobs;

/* The filter says how many jobs it runs at -v verbose ("..., N jobs, ..."). */
static void log_callback(void *avcl, int level, const char *fmt, va_list vl)
{
    char line[1024];
    const char *at;

    if (level > AV_LOG_VERBOSE)
        return;
    vsnprintf(line, sizeof(line), fmt, vl);
    if ((at = strstr(line, " jobs, ")))
        while (at > line && at[-1] != ' ')
            at--;
    if (at && strstr(line, "network"))
        sscanf(at, "%d", &logged_jobs);
    if (level <= AV_LOG_WARNING)
        fprintf(stderr, "%s", line);
}

typedef struct Graph {
    AVFilterGraph *graph;
    AVFilterContext *src, *sink;
} Graph;

static int graph_open(Graph *g, enum AVPixelFormat fmt, int w, int h, int graph_threads,
                      const char *args)
{
    char src_args[128];

    memset(g, 0, sizeof(*g));
    if (!(g->graph = avfilter_graph_alloc()))
        return AVERROR(ENOMEM);
    g->graph->nb_threads = graph_threads;
    snprintf(src_args, sizeof(src_args), "video_size=%dx%d:pix_fmt=%d:time_base=1/25:"
             "pixel_aspect=1/1", w, h, fmt);
    return deep3d_graph_build(g->graph, &g->src, &g->sink, src_args, args);
}

static int run(Graph *g, AVFrame *in, AVFrame *out)
{
    int ret = av_buffersrc_add_frame_flags(g->src, in, AV_BUFFERSRC_FLAG_KEEP_REF);
    return ret < 0 ? ret : av_buffersink_get_frame(g->sink, out);
}

enum Packing { ALIGNED, TIGHT, PADDED, BOTTOM_UP };

/* Frame n of a deterministic picture, with the given row layout. Samples of
 * formats over 8 bits are kept within their depth (and shifted as p010 is). */
static AVFrame *make_frame(enum AVPixelFormat fmt, int w, int h, int n, enum Packing packing)
{
    const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(fmt);
    int linesize[4] = { 0 }, heights[4] = { 0 };
    ptrdiff_t ls[4];
    size_t sizes[4];
    AVFrame *f = av_frame_alloc();
    size_t total = 0;

    if (!f)
        return NULL;
    f->format = fmt;
    f->width  = w;
    f->height = h;
    f->pts    = n;
    if (av_image_fill_linesizes(linesize, fmt, w) < 0)
        goto fail;
    for (int p = 0; p < 4 && linesize[p]; p++) {
        if (packing == ALIGNED)
            linesize[p] = FFALIGN(linesize[p], 64);
        else if (packing == PADDED)
            linesize[p] = FFALIGN(linesize[p], 64) + 192;
        ls[p] = linesize[p];
    }
    if (av_image_fill_plane_sizes(sizes, fmt, h, ls) < 0)
        goto fail;
    for (int p = 0; p < 4 && linesize[p]; p++) {
        heights[p] = sizes[p] / linesize[p];
        total += sizes[p];
    }
    if (!(f->buf[0] = av_buffer_allocz(total + 64)))
        goto fail;
    av_image_fill_pointers(f->data, fmt, h, f->buf[0]->data, linesize);
    memcpy(f->linesize, linesize, sizeof(linesize));
    for (int p = 0; p < 4 && linesize[p]; p++) {
        int bytes = av_image_get_linesize(fmt, w, p);
        for (int y = 0; y < heights[p]; y++) {
            uint8_t *row = f->data[p] + (size_t)y * linesize[p];
            for (int x = 0; x < bytes; x++) {
                uint32_t v = (uint32_t)(x * 7919 + y * 104729 + p * 15485863 + n * 31337);
                v ^= v >> 13;
                v *= 0x5bd1e995;
                v ^= v >> 15;
                row[x] = v;
            }
            if (d->comp[0].depth > 8)
                for (int x = 0; x < bytes / 2; x++)
                    AV_WN16(row + 2 * x, (AV_RN16(row + 2 * x) & ((1 << d->comp[0].depth) - 1))
                                         << d->comp[0].shift);
        }
        if (packing == BOTTOM_UP) {
            /* the same picture, rows stored last to first */
            uint8_t *tmp = av_malloc(linesize[p]);
            if (!tmp)
                goto fail;
            for (int y = 0; y < heights[p] / 2; y++) {
                uint8_t *a = f->data[p] + (size_t)y * linesize[p];
                uint8_t *b = f->data[p] + (size_t)(heights[p] - 1 - y) * linesize[p];
                memcpy(tmp, a, linesize[p]);
                memcpy(a, b, linesize[p]);
                memcpy(b, tmp, linesize[p]);
            }
            av_free(tmp);
            f->data[p] += (size_t)(heights[p] - 1) * linesize[p];
            f->linesize[p] = -linesize[p];
        }
    }
    f->extended_data = f->data;
    return f;
fail:
    av_frame_free(&f);
    return NULL;
}

/* Same size, format and visible bytes (padding ignored). */
static int same_picture(const AVFrame *a, const AVFrame *b)
{
    int heights[4] = { 0 };
    size_t sizes[4];
    ptrdiff_t ls[4];

    if (a->width != b->width || a->height != b->height || a->format != b->format)
        return 0;
    for (int p = 0; p < 4; p++)
        ls[p] = a->data[p] ? FFABS(a->linesize[p]) : 0;
    if (av_image_fill_plane_sizes(sizes, a->format, a->height, ls) < 0)
        return 0;
    for (int p = 0; p < 4 && a->data[p]; p++) {
        int bytes = av_image_get_linesize(a->format, a->width, p);
        heights[p] = sizes[p] / ls[p];
        for (int y = 0; y < heights[p]; y++)
            if (memcmp(a->data[p] + (ptrdiff_t)y * a->linesize[p],
                       b->data[p] + (ptrdiff_t)y * b->linesize[p], bytes)) {
                const uint8_t *ra = a->data[p] + (ptrdiff_t)y * a->linesize[p];
                const uint8_t *rb = b->data[p] + (ptrdiff_t)y * b->linesize[p];
                int x = 0;
                while (ra[x] == rb[x])
                    x++;
                printf("# first difference: plane %d, row %d, byte %d: %d vs %d\n", p, y, x,
                       ra[x], rb[x]);
                return 0;
            }
    }
    return 1;
}

/* Largest difference between two frames of the same geometry, in units of
 * the sample (8- or 16-bit storage), and how many samples differ. */
static int max_diff(const AVFrame *a, const AVFrame *b, int *nb_diff, int *nb_samples)
{
    const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(a->format);
    int bytes_per = d->comp[0].depth > 8 ? 2 : 1, m = 0;
    size_t sizes[4];
    ptrdiff_t ls[4];

    *nb_diff = *nb_samples = 0;
    if (a->width != b->width || a->height != b->height || a->format != b->format)
        return INT_MAX;
    for (int p = 0; p < 4; p++)
        ls[p] = a->data[p] ? FFABS(a->linesize[p]) : 0;
    if (av_image_fill_plane_sizes(sizes, a->format, a->height, ls) < 0)
        return INT_MAX;
    for (int p = 0; p < 4 && a->data[p]; p++) {
        int n = av_image_get_linesize(a->format, a->width, p) / bytes_per;
        for (int y = 0; y < (int)(sizes[p] / ls[p]); y++) {
            const uint8_t *ra = a->data[p] + (ptrdiff_t)y * a->linesize[p];
            const uint8_t *rb = b->data[p] + (ptrdiff_t)y * b->linesize[p];
            for (int x = 0; x < n; x++) {
                int va = bytes_per == 2 ? AV_RN16(ra + 2 * x) : ra[x];
                int vb = bytes_per == 2 ? AV_RN16(rb + 2 * x) : rb[x];
                m = FFMAX(m, FFABS(va - vb));
                *nb_diff += va != vb;
                (*nb_samples)++;
            }
        }
    }
    return m;
}

/* Run NB_FRAMES frames through one graph into out[]. */
static int run_alone(const char *args, int graph_threads, enum AVPixelFormat fmt, int w, int h,
                     enum Packing packing, AVFrame **out)
{
    Graph g;
    int ret = graph_open(&g, fmt, w, h, graph_threads, args);

    for (int n = 0; ret >= 0 && n < NB_FRAMES; n++) {
        AVFrame *in = make_frame(fmt, w, h, n, packing);
        out[n] = av_frame_alloc();
        ret = in && out[n] ? run(&g, in, out[n]) : AVERROR(ENOMEM);
        av_frame_free(&in);
    }
    avfilter_graph_free(&g.graph);
    return ret;
}

static void free_frames(AVFrame **f)
{
    for (int n = 0; n < NB_FRAMES; n++)
        av_frame_free(&f[n]);
}

static void test_two_graphs(enum AVPixelFormat fmt, int w, int h, const char *mode)
{
    char args_a[1200], args_b[1200];
    AVFrame *ref_a[NB_FRAMES] = { 0 }, *ref_b[NB_FRAMES] = { 0 };
    AVFrame *out_a[NB_FRAMES] = { 0 }, *out_b[NB_FRAMES] = { 0 };
    Graph a, b;
    int ret, same = 1, differ = 0;

    /* fp32 named: the test is of instances, not of precision=auto's choice */
    snprintf(args_a, sizeof(args_a), "model=%s:mode=%s:threads=2:precision=fp32", fcn, mode);
    snprintf(args_b, sizeof(args_b), "model=%s:mode=%s:threads=2:precision=fp32", orig, mode);
    ret = run_alone(args_a, 2, fmt, w, h, ALIGNED, ref_a);
    if (ret >= 0)
        ret = run_alone(args_b, 2, fmt, w, h, ALIGNED, ref_b);
    if (ret >= 0 && (ret = graph_open(&a, fmt, w, h, 2, args_a)) >= 0)
        ret = graph_open(&b, fmt, w, h, 2, args_b);
    /* alternate: a frame through one instance, then the other */
    for (int n = 0; ret >= 0 && n < NB_FRAMES; n++) {
        AVFrame *in = make_frame(fmt, w, h, n, ALIGNED);
        out_a[n] = av_frame_alloc();
        out_b[n] = av_frame_alloc();
        if (!in || !out_a[n] || !out_b[n])
            ret = AVERROR(ENOMEM);
        if (ret >= 0)
            ret = run(&a, in, out_a[n]);
        if (ret >= 0)
            ret = run(&b, in, out_b[n]);
        if (ret >= 0) {
            same &= same_picture(out_a[n], ref_a[n]) && same_picture(out_b[n], ref_b[n]);
            differ |= !same_picture(out_a[n], out_b[n]);
        }
        av_frame_free(&in);
    }
    check(ret >= 0 && same && differ, "two graphs, two models (fcn, original), %s %dx%d %s, "
          "fed alternately: each gives the frames of its model alone, and they differ (%s)",
          av_get_pix_fmt_name(fmt), w, h, mode, av_err2str(ret));
    avfilter_graph_free(&a.graph);
    avfilter_graph_free(&b.graph);
    free_frames(ref_a); free_frames(ref_b); free_frames(out_a); free_frames(out_b);
}

static void test_threads(const char *model, enum AVPixelFormat fmt, int w, int h, const char *mode)
{
    char args1[1200], args16[1200];
    AVFrame *one[NB_FRAMES] = { 0 }, *many[NB_FRAMES] = { 0 };
    int ret, same = 1;

    snprintf(args1, sizeof(args1), "model=%s:mode=%s:threads=1", model, mode);
    snprintf(args16, sizeof(args16), "model=%s:mode=%s:threads=16", model, mode);
    logged_jobs = 0;
    ret = run_alone(args1, 1, fmt, w, h, ALIGNED, one);
    check(ret >= 0 && logged_jobs == 1, "threads=1 runs 1 job (logged: %d)", logged_jobs);
    logged_jobs = 0;
    if (ret >= 0)
        ret = run_alone(args16, 16, fmt, w, h, ALIGNED, many);
    /* The network's GEMMs are split by job, and OpenBLAS picks its kernel by
     * matrix size (a small-matrix kernel with another summation order), so
     * the probabilities differ in their last bits between job counts and a
     * rare sample rounds the other way: allow one step of the 8-bit scale
     * on under 1% of the samples. Packing and selection add no difference. */
    for (int n = 0; ret >= 0 && n < NB_FRAMES; n++) {
        int nd, ns, md = max_diff(one[n], many[n], &nd, &ns);
        int step = av_pix_fmt_desc_get(fmt)->comp[0].depth > 8 ?
                   1 << (av_pix_fmt_desc_get(fmt)->comp[0].depth - 8 + av_pix_fmt_desc_get(fmt)->comp[0].shift) : 1;
        same &= md <= step && nd * 100 <= ns;
        if (md)
            printf("# frame %d: %d of %d samples differ, by at most %d\n", n, nd, ns, md);
    }
    check(ret >= 0 && same && logged_jobs == 16, "threads=16 (16 jobs on %d cores, logged: %d) "
          "gives the frames of threads=1 (within one 8-bit step on under 1%% of the samples): "
          "%s %dx%d %s (%s)", av_cpu_count(), logged_jobs,
          av_get_pix_fmt_name(fmt), w, h, mode, av_err2str(ret));
    free_frames(one);
    free_frames(many);
}

static void test_linesize(enum AVPixelFormat fmt, int w, int h, const char *mode)
{
    static const char *const names[] = { "aligned", "tight", "padded", "bottom-up" };
    char args[1200];
    AVFrame *ref[NB_FRAMES] = { 0 };
    int ret;

    snprintf(args, sizeof(args), "model=%s:mode=%s:threads=2", fcn, mode);
    ret = run_alone(args, 2, fmt, w, h, ALIGNED, ref);
    for (enum Packing p = TIGHT; p <= BOTTOM_UP; p++) {
        AVFrame *out[NB_FRAMES] = { 0 };
        int r = ret, same = 1;
        if (r >= 0)
            r = run_alone(args, 2, fmt, w, h, p, out);
        for (int n = 0; r >= 0 && n < NB_FRAMES; n++)
            same &= same_picture(out[n], ref[n]);
        check(r >= 0 && same, "%s %dx%d %s: %s rows give the frames of aligned rows (%s)",
              av_get_pix_fmt_name(fmt), w, h, mode, names[p], av_err2str(r));
        free_frames(out);
    }
    free_frames(ref);
}

/*
 * strength and convergence as commands (sendcmd, zmq): the frames after the
 * command equal those of a graph started with the new values. The temporal
 * state (smoothing on by default) is the probability volume, which does not
 * depend on the shift, so the equality is exact. Switching convergence to
 * auto, or beyond its range, is refused and changes nothing.
 */
static void test_command(enum AVPixelFormat fmt, int w, int h, const char *mode, const char *render)
{
    char args_a[1200], args_b[1200];
    AVFrame *ref_a[NB_FRAMES] = { 0 }, *ref_b[NB_FRAMES] = { 0 }, *out[NB_FRAMES] = { 0 };
    char res[64];
    int ret, same = 1, refused = 1;
    Graph g = { 0 };

    snprintf(args_a, sizeof(args_a), "model=%s:mode=%s:render=%s", fcn, mode, render);
    snprintf(args_b, sizeof(args_b), "model=%s:mode=%s:render=%s:strength=2.5:convergence=-3",
             fcn, mode, render);
    ret = run_alone(args_a, 1, fmt, w, h, ALIGNED, ref_a);
    if (ret >= 0)
        ret = run_alone(args_b, 1, fmt, w, h, ALIGNED, ref_b);
    if (ret >= 0)
        ret = graph_open(&g, fmt, w, h, 1, args_a);
    for (int n = 0; ret >= 0 && n < NB_FRAMES; n++) {
        AVFrame *in = make_frame(fmt, w, h, n, ALIGNED);
        if (n == 1) {
            refused &= avfilter_graph_send_command(g.graph, "deep3d", "convergence", "auto",
                                                   res, sizeof(res), 0) == AVERROR(EINVAL);
            refused &= avfilter_graph_send_command(g.graph, "deep3d", "convergence", "70",
                                                   res, sizeof(res), 0) == AVERROR(EINVAL);
            if ((ret = avfilter_graph_send_command(g.graph, "deep3d", "strength", "2.5",
                                                   res, sizeof(res), 0)) >= 0)
                ret = avfilter_graph_send_command(g.graph, "deep3d", "convergence", "-3",
                                                  res, sizeof(res), 0);
        }
        out[n] = av_frame_alloc();
        if (ret >= 0)
            ret = in && out[n] ? run(&g, in, out[n]) : AVERROR(ENOMEM);
        if (ret >= 0)
            same &= same_picture(out[n], n < 1 ? ref_a[n] : ref_b[n]);
        av_frame_free(&in);
    }
    check(ret >= 0 && same && refused && !same_picture(ref_a[1], ref_b[1]),
          "commands strength=2.5, convergence=-3 after frame 0: frame 0 as strength=1, the "
          "rest as a graph started with the new values (they differ); convergence=auto and 70 "
          "refused: %s %dx%d %s render=%s (%s)", av_get_pix_fmt_name(fmt), w, h, mode, render,
          av_err2str(ret));
    if (g.graph)
        avfilter_graph_free(&g.graph);
    free_frames(ref_a); free_frames(ref_b); free_frames(out);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s DATA_DIR\n", argv[0]);
        return 2;
    }
    snprintf(fcn, sizeof(fcn), "%s/deep3d-tiny-fcn.safetensors", argv[1]);
    snprintf(orig, sizeof(orig), "%s/deep3d-tiny-original.safetensors", argv[1]);
    av_log_set_level(AV_LOG_VERBOSE);
    av_log_set_callback(log_callback);

    test_two_graphs(AV_PIX_FMT_YUV420P, 96, 64, "sbsl");
    test_two_graphs(AV_PIX_FMT_RGB24, 50, 30, "arcd");

    test_threads(fcn, AV_PIX_FMT_YUV420P, 96, 64, "sbsl");
    test_threads(orig, AV_PIX_FMT_NV12, 70, 46, "irl");
    test_threads(fcn, AV_PIX_FMT_RGBA, 64, 40, "arcc");
    test_threads(fcn, AV_PIX_FMT_YUV420P10, 48, 36, "depth");

    test_command(AV_PIX_FMT_YUV420P, 96, 64, "sbsl", "soft");
    test_command(AV_PIX_FMT_NV12, 70, 46, "abr", "hard");
    test_command(AV_PIX_FMT_RGB24, 50, 30, "arcd", "soft");

    test_linesize(AV_PIX_FMT_YUV420P, 38, 21, "sbsl");
    test_linesize(AV_PIX_FMT_RGB24, 33, 17, "ab2l");
    test_linesize(AV_PIX_FMT_NV12, 34, 20, "irr");
    test_linesize(AV_PIX_FMT_P010, 34, 18, "sbs2r");
    test_linesize(AV_PIX_FMT_YUV444P10, 31, 9, "arcd");
    test_linesize(AV_PIX_FMT_GBRP, 29, 13, "depth");
    test_linesize(AV_PIX_FMT_GRAY8, 41, 7, "abr");
    return check_summary();
}
