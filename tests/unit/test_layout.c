/*
 * Layout tests of the deep3d filter through the public libavfilter API:
 * buffer -> deep3d -> buffersink, with frames of known content. Checks the
 * output size, every sample of each eye against an independent computation
 * (libavutil's av_read_image_line2, not the filter's own plane maths), the
 * AV_FRAME_DATA_STEREO3D side data, and the errors for sizes and streams the
 * filter must refuse.
 *
 * The filter runs a real (tiny, random) model with strength=0 and
 * renormalize=1, which renders the second eye as an exact copy of the first,
 * so every sample is predictable. Usage: test_layout MODEL.safetensors
 *
 * Prints one "ok"/"not ok" line per check and ends with "N passed, M failed".
 */

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "libavfilter/avfilter.h"
#include "libavfilter/buffersink.h"
#include "libavfilter/buffersrc.h"
#include "libavutil/frame.h"
#include "libavutil/imgutils.h"
#include "libavutil/mem.h"
#include "libavutil/pixdesc.h"
#include "libavutil/stereo3d.h"

static int passed, failed;
static const char *model;

static void check(int cond, const char *fmt, ...)
{
    va_list ap;
    printf(cond ? "ok - " : "not ok - ");
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    if (cond)
        passed++;
    else
        failed++;
}

typedef struct Layout {
    const char *name;
    int sbs, half, right_first, mono; /* mono: 1 = left only, 2 = right only */
    enum AVStereo3DType type;
} Layout;

static const Layout layouts[] = {
    { "sbsl",  1, 0, 0, 0, AV_STEREO3D_SIDEBYSIDE },
    { "sbsr",  1, 0, 1, 0, AV_STEREO3D_SIDEBYSIDE },
    { "sbs2l", 1, 1, 0, 0, AV_STEREO3D_SIDEBYSIDE },
    { "sbs2r", 1, 1, 1, 0, AV_STEREO3D_SIDEBYSIDE },
    { "abl",   0, 0, 0, 0, AV_STEREO3D_TOPBOTTOM  },
    { "abr",   0, 0, 1, 0, AV_STEREO3D_TOPBOTTOM  },
    { "ab2l",  0, 1, 0, 0, AV_STEREO3D_TOPBOTTOM  },
    { "ab2r",  0, 1, 1, 0, AV_STEREO3D_TOPBOTTOM  },
    { "ml",    0, 0, 0, 1, AV_STEREO3D_2D         },
    { "mr",    0, 0, 0, 2, AV_STEREO3D_2D         },
    /* aliases */
    { "sbs",   1, 0, 0, 0, AV_STEREO3D_SIDEBYSIDE },
    { "hsbs",  1, 1, 0, 0, AV_STEREO3D_SIDEBYSIDE },
    { "tb",    0, 0, 0, 0, AV_STEREO3D_TOPBOTTOM  },
    { "htb",   0, 1, 0, 0, AV_STEREO3D_TOPBOTTOM  },
};

/* Deterministic, non-smooth content: neighbours differ, so a copy from the
 * wrong column, row or eye shows. */
static unsigned pattern(int comp, int x, int y, int depth)
{
    uint32_t v = (uint32_t)(x * 7919 + y * 104729 + comp * 15485863 + 12345);
    v ^= v >> 13;
    v *= 0x5bd1e995;
    v ^= v >> 15;
    return v & ((1u << depth) - 1);
}

static int comp_w(const AVPixFmtDescriptor *d, int c, int w)
{
    return (c == 1 || c == 2) && !(d->flags & AV_PIX_FMT_FLAG_RGB) ? AV_CEIL_RSHIFT(w, d->log2_chroma_w) : w;
}

static int comp_h(const AVPixFmtDescriptor *d, int c, int h)
{
    return (c == 1 || c == 2) && !(d->flags & AV_PIX_FMT_FLAG_RGB) ? AV_CEIL_RSHIFT(h, d->log2_chroma_h) : h;
}

static AVFrame *make_frame(enum AVPixelFormat fmt, int w, int h, int64_t pts)
{
    const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(fmt);
    AVFrame *f = av_frame_alloc();
    uint16_t *line;

    if (!f)
        return NULL;
    f->format = fmt;
    f->width  = w;
    f->height = h;
    f->pts    = pts;
    /* Padding beyond the width (align 64) tests linesize != width. */
    if (av_frame_get_buffer(f, 64) < 0 || !(line = av_malloc_array(w, sizeof(*line)))) {
        av_frame_free(&f);
        return NULL;
    }
    /* av_write_image_line2() ORs samples into place: start from zeroed planes */
    for (int p = 0; p < FF_ARRAY_ELEMS(f->buf) && f->buf[p]; p++)
        memset(f->buf[p]->data, 0, f->buf[p]->size);
    for (int c = 0; c < d->nb_components; c++) {
        int cw = comp_w(d, c, w), ch = comp_h(d, c, h);
        for (int y = 0; y < ch; y++) {
            for (int x = 0; x < cw; x++)
                line[x] = pattern(c, x, y, d->comp[c].depth);
            av_write_image_line2(line, f->data, f->linesize, d, 0, y, c, cw, 2);
        }
    }
    av_free(line);
    return f;
}

static unsigned read_sample(const AVFrame *f, const AVPixFmtDescriptor *d, int c, int x, int y)
{
    uint16_t v;
    av_read_image_line2(&v, (const uint8_t **)f->data, f->linesize, d, x, y, c, 1, 0, 2);
    return v;
}

/* The expected value of one sample of an eye at eye-local (x, y): the input
 * itself, or the rounded mean of the 2 samples a squeezed eye covers. */
static unsigned expected_sample(const AVFrame *in, const AVPixFmtDescriptor *d, const Layout *l,
                                int c, int x, int y)
{
    if (!l->half)
        return read_sample(in, d, c, x, y);
    if (l->sbs)
        return (read_sample(in, d, c, 2 * x, y) + read_sample(in, d, c, 2 * x + 1, y) + 1) >> 1;
    return (read_sample(in, d, c, x, 2 * y) + read_sample(in, d, c, x, 2 * y + 1) + 1) >> 1;
}

typedef struct Graph {
    AVFilterGraph *graph;
    AVFilterContext *src, *sink;
} Graph;

static int graph_open(Graph *g, enum AVPixelFormat fmt, int w, int h, const char *args)
{
    char src_args[256];
    AVFilterContext *deep3d;
    int ret;

    memset(g, 0, sizeof(*g));
    g->graph = avfilter_graph_alloc();
    if (!g->graph)
        return AVERROR(ENOMEM);
    snprintf(src_args, sizeof(src_args), "video_size=%dx%d:pix_fmt=%d:time_base=1/25:pixel_aspect=1/1",
             w, h, fmt);
    ret = avfilter_graph_create_filter(&g->src, avfilter_get_by_name("buffer"), "in", src_args, NULL, g->graph);
    if (ret < 0)
        return ret;
    ret = avfilter_graph_create_filter(&deep3d, avfilter_get_by_name("deep3d"), "deep3d", args, NULL, g->graph);
    if (ret < 0)
        return ret;
    ret = avfilter_graph_create_filter(&g->sink, avfilter_get_by_name("buffersink"), "out", NULL, NULL, g->graph);
    if (ret < 0)
        return ret;
    if ((ret = avfilter_link(g->src, 0, deep3d, 0)) < 0 ||
        (ret = avfilter_link(deep3d, 0, g->sink, 0)) < 0)
        return ret;
    return avfilter_graph_config(g->graph, NULL);
}

static void graph_close(Graph *g)
{
    avfilter_graph_free(&g->graph);
}

/* Push one frame, pull one, and compare it with the layout's definition. */
static void test_layout(enum AVPixelFormat fmt, const Layout *l, int w, int h)
{
    const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(fmt);
    const char *fn = d->name;
    int cw = l->half && l->sbs ? 1 << (d->log2_chroma_w + 1) : 1;
    int chh = l->half && !l->sbs ? 1 << (d->log2_chroma_h + 1) : 1;
    int eye_w = l->half && l->sbs ? w / cw * cw / 2 : w;
    int eye_h = l->half && !l->sbs ? h / chh * chh / 2 : h;
    int exp_w = l->mono || !l->sbs ? eye_w : 2 * eye_w;
    int exp_h = l->mono ||  l->sbs ? eye_h : 2 * eye_h;
    AVFrame *in = make_frame(fmt, w, h, 0), *out = av_frame_alloc();
    const AVFrameSideData *sd;
    char args[1200];
    Graph g;
    int ret, bad = 0;

    snprintf(args, sizeof(args), "model=%s:strength=0:renormalize=1:mode=%s", model, l->name);
    if (!in || !out || (ret = graph_open(&g, fmt, w, h, args)) < 0) {
        check(0, "%s %s %dx%d: graph setup", fn, l->name, w, h);
        goto end;
    }
    /* keep our reference: the expected values are read from the input afterwards */
    ret = av_buffersrc_add_frame_flags(g.src, in, AV_BUFFERSRC_FLAG_KEEP_REF);
    if (ret >= 0)
        ret = av_buffersink_get_frame(g.sink, out);
    if (ret < 0) {
        check(0, "%s %s %dx%d: filtering (%s)", fn, l->name, w, h, av_err2str(ret));
        graph_close(&g);
        goto end;
    }

    check(out->width == exp_w && out->height == exp_h && out->format == fmt,
          "%s %s %dx%d: output %dx%d %s (want %dx%d)", fn, l->name, w, h,
          out->width, out->height, av_get_pix_fmt_name(out->format), exp_w, exp_h);

    for (int eye = 0; eye < 2 && out->width == exp_w && out->height == exp_h; eye++) {
        /* eye 0 = left, 1 = right; with zero disparity both show the input */
        int slot;
        if (l->mono && l->mono != eye + 1)
            continue;
        slot = l->mono ? 0 : (eye ^ l->right_first);
        for (int c = 0; c < d->nb_components; c++) {
            int ew = comp_w(d, c, eye_w), eh = comp_h(d, c, eye_h);
            int ox = l->sbs && !l->mono ? slot * ew : 0;
            int oy = !l->sbs && !l->mono ? slot * eh : 0;
            for (int y = 0; y < eh && !bad; y++)
                for (int x = 0; x < ew && !bad; x++) {
                    unsigned got  = read_sample(out, d, c, ox + x, oy + y);
                    unsigned want = expected_sample(in, d, l, c, x, y);
                    if (got != want) {
                        check(0, "%s %s %dx%d: %s eye comp %d at (%d,%d) = %u, want %u",
                              fn, l->name, w, h, eye ? "right" : "left", c, x, y, got, want);
                        bad = 1;
                    }
                }
        }
    }
    if (!bad)
        check(out->width == exp_w, "%s %s %dx%d: every sample of each eye", fn, l->name, w, h);

    sd = av_frame_get_side_data(out, AV_FRAME_DATA_STEREO3D);
    if (!sd) {
        check(0, "%s %s: stereo3d side data present", fn, l->name);
    } else {
        const AVStereo3D *s3d = (const AVStereo3D *)sd->data;
        int want_flags = l->right_first ? AV_STEREO3D_FLAG_INVERT : 0;
        int want_view  = l->mono == 1 ? AV_STEREO3D_VIEW_LEFT :
                         l->mono == 2 ? AV_STEREO3D_VIEW_RIGHT : AV_STEREO3D_VIEW_PACKED;
        check(s3d->type == l->type && s3d->flags == want_flags && s3d->view == want_view,
              "%s %s: side data type %s flags %d view %s", fn, l->name,
              av_stereo3d_type_name(s3d->type), s3d->flags, av_stereo3d_view_name(s3d->view));
    }
    graph_close(&g);
end:
    av_frame_free(&in);
    av_frame_free(&out);
}

static void test_config_error(enum AVPixelFormat fmt, const char *mode, int w, int h)
{
    char args[1200];
    Graph g;
    int ret;

    snprintf(args, sizeof(args), "model=%s:mode=%s", model, mode);
    ret = graph_open(&g, fmt, w, h, args);
    check(ret == AVERROR(EINVAL), "%s %s %dx%d refused at configuration (%s)",
          av_get_pix_fmt_name(fmt), mode, w, h, av_err2str(ret));
    graph_close(&g);
}

static void test_size_change(void)
{
    AVFrame *a = make_frame(AV_PIX_FMT_YUV420P, 32, 16, 0);
    AVFrame *b = make_frame(AV_PIX_FMT_YUV420P, 64, 16, 1);
    AVFrame *out = av_frame_alloc();
    Graph g;
    int ret = -1, ret2 = -1;

    char args[1200];

    snprintf(args, sizeof(args), "model=%s:mode=sbs", model);
    if (a && b && out && graph_open(&g, AV_PIX_FMT_YUV420P, 32, 16, args) >= 0) {
        ret = av_buffersrc_add_frame(g.src, a);
        if (ret >= 0)
            ret = av_buffersink_get_frame(g.sink, out);
        /* buffersrc lets the new size through (with a warning); deep3d must refuse it */
        av_frame_unref(out);
        ret2 = av_buffersrc_add_frame(g.src, b);
        if (ret2 >= 0)
            ret2 = av_buffersink_get_frame(g.sink, out);
        graph_close(&g);
    }
    check(ret >= 0 && ret2 == AVERROR(EINVAL), "mid-stream size change refused (%d, %d)", ret, ret2);
    av_frame_free(&a);
    av_frame_free(&b);
    av_frame_free(&out);
}

/* A frame that already says it is stereo gets our side data, not its own. */
static void test_replaces_side_data(void)
{
    AVFrame *in = make_frame(AV_PIX_FMT_YUV420P, 32, 16, 0), *out = av_frame_alloc();
    AVStereo3D *s3d_in;
    const AVFrameSideData *sd;
    int count = 0, ok = 0;
    char args[1200];
    Graph g;

    snprintf(args, sizeof(args), "model=%s:mode=abr", model);
    if (in && out && (s3d_in = av_stereo3d_create_side_data(in)) &&
        graph_open(&g, AV_PIX_FMT_YUV420P, 32, 16, args) >= 0) {
        s3d_in->type = AV_STEREO3D_CHECKERBOARD;
        if (av_buffersrc_add_frame(g.src, in) >= 0 && av_buffersink_get_frame(g.sink, out) >= 0) {
            for (int i = 0; i < out->nb_side_data; i++)
                count += out->side_data[i]->type == AV_FRAME_DATA_STEREO3D;
            sd = av_frame_get_side_data(out, AV_FRAME_DATA_STEREO3D);
            ok = count == 1 && sd && ((AVStereo3D *)sd->data)->type == AV_STEREO3D_TOPBOTTOM;
        }
        graph_close(&g);
    }
    check(ok, "input stereo side data replaced by exactly one entry (%d found)", count);
    av_frame_free(&in);
    av_frame_free(&out);
}

/* Options the filter must refuse at initialisation. */
static void test_init_error(const char *args, int want, const char *what)
{
    Graph g;
    int ret = graph_open(&g, AV_PIX_FMT_YUV420P, 32, 16, args);
    check(ret == want, "%s: '%s' refused with %s (got %s)", what, args, av_err2str(want),
          av_err2str(ret));
    graph_close(&g);
}

int main(int argc, char **argv)
{
    static const enum AVPixelFormat fmts[] = {
        AV_PIX_FMT_YUV420P, AV_PIX_FMT_YUV422P, AV_PIX_FMT_YUV444P, AV_PIX_FMT_NV12,
        AV_PIX_FMT_GRAY8, AV_PIX_FMT_RGB24, AV_PIX_FMT_BGR24, AV_PIX_FMT_RGBA, AV_PIX_FMT_GBRP,
        AV_PIX_FMT_YUV420P10, AV_PIX_FMT_P010,
    };
    static const int sizes[][2] = { { 64, 36 }, { 30, 22 } };

    if (argc < 2) {
        fprintf(stderr, "usage: %s MODEL.safetensors\n", argv[0]);
        return 2;
    }
    model = argv[1];
    av_log_set_level(AV_LOG_QUIET);

    for (int f = 0; f < FF_ARRAY_ELEMS(fmts); f++)
        for (int l = 0; l < FF_ARRAY_ELEMS(layouts); l++)
            for (int s = 0; s < FF_ARRAY_ELEMS(sizes); s++)
                test_layout(fmts[f], &layouts[l], sizes[s][0], sizes[s][1]);

    /* Odd and tiny sizes that can be packed. */
    test_layout(AV_PIX_FMT_GRAY8,   &layouts[0], 1, 1);
    test_layout(AV_PIX_FMT_GRAY8,   &layouts[4], 1, 1);
    test_layout(AV_PIX_FMT_YUV444P, &layouts[2], 3, 5);
    test_layout(AV_PIX_FMT_YUV420P, &layouts[2], 854, 4);   /* 854 -> 852: drops 2 columns */
    test_layout(AV_PIX_FMT_YUV420P, &layouts[6], 6, 7);     /* 7 rows -> 2 eyes of 2 rows */
    test_layout(AV_PIX_FMT_YUV420P, &layouts[0], 2, 3);     /* sbs takes an odd height */

    /* Sizes that cannot be packed without resampling: a clear error. */
    test_config_error(AV_PIX_FMT_YUV420P, "sbsl", 33, 16);
    test_config_error(AV_PIX_FMT_NV12,    "sbsr", 33, 16);
    test_config_error(AV_PIX_FMT_YUV420P, "abl",  32, 15);
    test_config_error(AV_PIX_FMT_P010,    "abr",  32, 15);
    test_config_error(AV_PIX_FMT_YUV420P, "sbs2l", 3, 16);
    test_config_error(AV_PIX_FMT_GRAY8,   "sbs2l", 1, 1);
    test_config_error(AV_PIX_FMT_GRAY8,   "ab2l",  1, 1);
    test_config_error(AV_PIX_FMT_GRAY8,   "sbsl",  600000, 128); /* output over the size limit */

    test_init_error("mode=sbs", AVERROR(EINVAL), "no model");
    test_init_error("model=/nonexistent/deep3d.safetensors", AVERROR(ENOENT), "missing model file");
    test_init_error("model=/dev/null", AVERROR_INVALIDDATA, "empty model file");

    test_size_change();
    test_replaces_side_data();

    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
