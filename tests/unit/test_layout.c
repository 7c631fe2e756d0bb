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
 * so every sample is predictable. For the modes that mix or alternate the
 * eyes (interleaved rows, anaglyphs) a convergence is added that makes every
 * shift the same integer s = convergence / 100 * width (docs/model-format.md,
 * section 5): the right eye is then exactly the input moved s samples to the
 * right, edge samples repeated. Usage: test_layout MODEL.safetensors
 *
 * Prints one "ok"/"not ok" line per check and ends with "N passed, M failed".
 */

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "libavfilter/avfilter.h"
#include "libavfilter/buffersink.h"
#include "libavfilter/buffersrc.h"
#include "libavfilter/deep3d_pack.h"
#include "libavutil/frame.h"
#include "libavutil/imgutils.h"
#include "libavutil/mem.h"
#include "libavutil/pixdesc.h"
#include "libavutil/stereo3d.h"

static const char *model;

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

/* filter is "deep3d" unless given; the source carries the frame's colour matrix and range. */
static int graph_open2(Graph *g, enum AVPixelFormat fmt, int w, int h, enum AVColorSpace csp,
                       enum AVColorRange range, const char *filter, const char *args)
{
    char src_args[256];
    AVFilterContext *deep3d;
    int ret;

    memset(g, 0, sizeof(*g));
    g->graph = avfilter_graph_alloc();
    if (!g->graph)
        return AVERROR(ENOMEM);
    snprintf(src_args, sizeof(src_args), "video_size=%dx%d:pix_fmt=%d:time_base=1/25:pixel_aspect=1/1"
             ":colorspace=%d:range=%d", w, h, fmt, csp, range);
    ret = avfilter_graph_create_filter(&g->src, avfilter_get_by_name("buffer"), "in", src_args, NULL, g->graph);
    if (ret < 0)
        return ret;
    ret = avfilter_graph_create_filter(&deep3d, avfilter_get_by_name(filter ? filter : "deep3d"),
                                       "deep3d", args, NULL, g->graph);
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

static int graph_open(Graph *g, enum AVPixelFormat fmt, int w, int h, const char *args)
{
    return graph_open2(g, fmt, w, h, AVCOL_SPC_UNSPECIFIED, AVCOL_RANGE_UNSPECIFIED, NULL, args);
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

    snprintf(args, sizeof(args), "model=%s:device=cpu:strength=0:renormalize=1:mode=%s", model, l->name);
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

/* ---- Modes that mix or alternate the eyes: interleaved rows, anaglyphs ---- */

static int is_chroma(const AVPixFmtDescriptor *d, int c)
{
    return (c == 1 || c == 2) && !(d->flags & AV_PIX_FMT_FLAG_RGB);
}

/* Sample of one eye at (x, y) of component c: eye 0 is the input, eye 1 the
 * input moved s luma samples to the right (edge repeated), as the filter
 * renders it with strength=0 and convergence = 100 * s / width. */
static unsigned eye_sample(const AVFrame *in, const AVPixFmtDescriptor *d, int c, int eye,
                           int s, int x, int y)
{
    if (eye) {
        int sc = is_chroma(d, c) ? s >> d->log2_chroma_w : s;
        x = av_clip(x - sc, 0, comp_w(d, c, in->width) - 1);
    }
    return read_sample(in, d, c, x, y);
}

/* Push in through a graph and pull one frame into out; 0 on success. */
static int run_graph(Graph *g, AVFrame *in, AVFrame *out)
{
    int ret = av_buffersrc_add_frame_flags(g->src, in, AV_BUFFERSRC_FLAG_KEEP_REF);
    return ret < 0 ? ret : av_buffersink_get_frame(g->sink, out);
}

/*
 * The right eye as mode=mr renders it with these options, for sizes whose
 * shift is no whole number of samples in every plane (an odd width: its
 * chroma plane is not half as wide): the tests of the modes that combine the
 * eyes then check the combining alone, against the filter's own right eye.
 */
static AVFrame *render_right(AVFrame *in, double convergence)
{
    AVFrame *out = av_frame_alloc();
    char args[1200];
    Graph g;
    int ret;

    snprintf(args, sizeof(args), "model=%s:device=cpu:strength=0:renormalize=1:convergence=%g:mode=mr",
             model, convergence);
    if (!out || (ret = graph_open(&g, in->format, in->width, in->height, args)) < 0 ||
        (ret = run_graph(&g, in, out)) < 0)
        av_frame_free(&out);
    graph_close(&g);
    return out;
}

/* Eye 0 (the input) or 1 (right: shifted by s, or, with right set, read from it). */
static unsigned eye_at(const AVFrame *in, const AVFrame *right, const AVPixFmtDescriptor *d,
                       int c, int eye, int s, int x, int y)
{
    return eye && right ? read_sample(right, d, c, x, y) : eye_sample(in, d, c, eye, s, x, y);
}

static int stereo3d_count(const AVFrame *f)
{
    int n = 0;
    for (int i = 0; i < f->nb_side_data; i++)
        n += f->side_data[i]->type == AV_FRAME_DATA_STEREO3D;
    return n;
}

/*
 * Interleaved eyes: irl / irr (rows), icl / icr (columns), chl / chr
 * (checkerboard). Luma pixel (x, y) belongs to the even eye when y, x or
 * x + y is even (irl, icl, chl: the left eye is the even one). A chroma sample
 * whose luma footprint holds pixels of both eyes is the rounded mean of both
 * eyes' samples; one covering pixels of one eye only (an edge of an odd size,
 * or no subsampling) is that eye's sample. The footprint is walked pixel by
 * pixel here, not derived from the filter's parity formula.
 */
enum { WEAVE_ROWS, WEAVE_COLUMNS, WEAVE_CHECKER };
static const char *const weave_names[3][2] = { { "irl", "irr" }, { "icl", "icr" }, { "chl", "chr" } };
static const enum AVStereo3DType weave_types[3] = {
    AV_STEREO3D_LINES, AV_STEREO3D_COLUMNS, AV_STEREO3D_CHECKERBOARD,
};

static int weave_owner(int weave, int x, int y)
{
    return (weave == WEAVE_ROWS ? y : weave == WEAVE_COLUMNS ? x : x + y) & 1;
}

static void test_interleave(int weave, enum AVPixelFormat fmt, int right_on_even, int swap,
                            int w, int h, int s, double convergence)
{
    const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(fmt);
    const char *mode = weave_names[weave][right_on_even];
    AVFrame *in = make_frame(fmt, w, h, 0), *out = av_frame_alloc();
    AVFrame *right = in && s < 0 ? render_right(in, convergence) : NULL;
    const AVFrameSideData *sd;
    /* which eye (0 input, 1 shifted) the even luma pixels show */
    int even_eye = right_on_even ^ swap;
    char args[1200];
    Graph g;
    int ret, bad = 0;

    snprintf(args, sizeof(args), "model=%s:device=cpu:strength=0:renormalize=1:convergence=%g:swap=%d:mode=%s",
             model, convergence, swap, mode);
    if (!in || !out || (s < 0 && !right) || (ret = graph_open(&g, fmt, w, h, args)) < 0) {
        check(0, "%s %s swap=%d %dx%d: graph setup", d->name, mode, swap, w, h);
        goto end;
    }
    if ((ret = run_graph(&g, in, out)) < 0) {
        check(0, "%s %s swap=%d %dx%d: filtering (%s)", d->name, mode, swap, w, h, av_err2str(ret));
        graph_close(&g);
        goto end;
    }
    check(out->width == w && out->height == h && out->format == fmt,
          "%s %s swap=%d %dx%d: output %dx%d %s", d->name, mode, swap, w, h, out->width,
          out->height, av_get_pix_fmt_name(out->format));
    for (int c = 0; c < d->nb_components && out->width == w && out->height == h && !bad; c++) {
        int sx = is_chroma(d, c) ? d->log2_chroma_w : 0;
        int sy = is_chroma(d, c) ? d->log2_chroma_h : 0;
        for (int y = 0; y < comp_h(d, c, h) && !bad; y++) {
            for (int x = 0; x < comp_w(d, c, w) && !bad; x++) {
                unsigned a = eye_at(in, right, d, c, even_eye, s, x, y);
                unsigned b = eye_at(in, right, d, c, !even_eye, s, x, y);
                int owners = 0; /* bit 0: the even eye has a pixel here, bit 1: the odd one */
                unsigned want, got;
                for (int ly = y << sy; ly < FFMIN((y + 1) << sy, h); ly++)
                    for (int lx = x << sx; lx < FFMIN((x + 1) << sx, w); lx++)
                        owners |= 1 << weave_owner(weave, lx, ly);
                want = owners == 3 ? (a + b + 1) >> 1 : owners == 2 ? b : a;
                got  = read_sample(out, d, c, x, y);
                if (got != want) {
                    check(0, "%s %s swap=%d %dx%d: comp %d at (%d,%d) = %u, want %u (even eye %u, "
                          "odd eye %u)", d->name, mode, swap, w, h, c, x, y, got, want, a, b);
                    bad = 1;
                }
            }
        }
    }
    if (!bad && out->width == w)
        check(1, "%s %s swap=%d %dx%d: every sample from its eye", d->name, mode, swap, w, h);
    sd = av_frame_get_side_data(out, AV_FRAME_DATA_STEREO3D);
    check(sd && ((AVStereo3D *)sd->data)->type == weave_types[weave] &&
          ((AVStereo3D *)sd->data)->flags == (right_on_even ? AV_STEREO3D_FLAG_INVERT : 0) &&
          ((AVStereo3D *)sd->data)->view == AV_STEREO3D_VIEW_PACKED,
          "%s %s: side data %s%s", d->name, mode, av_stereo3d_type_name(weave_types[weave]),
          right_on_even ? ", inverted" : "");
    graph_close(&g);
end:
    av_frame_free(&in);
    av_frame_free(&out);
    av_frame_free(&right);
}

/*
 * al / ar: two frames per input frame, each one eye at the input size (al:
 * left first), at twice the frame rate in half the time base: input pts t and
 * duration d (or one frame of the nominal rate when the frame has none) give
 * pts 2t and 2t + d, each lasting d ticks of the new time base. The side data
 * names each frame's eye. tb_den / rate: the input link's time base 1/tb_den
 * and frame rate; dur: the input frames' duration (0: none).
 */
static void test_sequence(enum AVPixelFormat fmt, int right_first, int swap, int w, int h,
                          int s, double convergence, int tb_den, int rate, int64_t dur)
{
    const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(fmt);
    const char *mode = right_first ? "ar" : "al";
    const int nb_in = 3;
    int64_t step = dur ? dur : tb_den / rate;   /* the input's frame spacing */
    AVFrame *in = make_frame(fmt, w, h, 0), *out = av_frame_alloc();
    AVFrame *right_eye = in && s < 0 ? render_right(in, convergence) : NULL;
    AVFilterContext *d3;
    AVRational tb = { 0, 1 }, fr = { 0, 1 };
    char args[1200], src_args[256];
    Graph g = { 0 };
    int ret, n = 0, bad = 0, bad_ts = 0, bad_sd = 0;

    snprintf(args, sizeof(args), "model=%s:device=cpu:strength=0:renormalize=1:convergence=%g:swap=%d:mode=%s",
             model, convergence, swap, mode);
    snprintf(src_args, sizeof(src_args), "video_size=%dx%d:pix_fmt=%d:time_base=1/%d:frame_rate=%d/1"
             ":pixel_aspect=1/1", w, h, fmt, tb_den, rate);
    if (!in || !out || (s < 0 && !right_eye) || !(g.graph = avfilter_graph_alloc()) ||
        avfilter_graph_create_filter(&g.src, avfilter_get_by_name("buffer"), "in", src_args, NULL, g.graph) < 0 ||
        avfilter_graph_create_filter(&d3, avfilter_get_by_name("deep3d"), "d", args, NULL, g.graph) < 0 ||
        avfilter_graph_create_filter(&g.sink, avfilter_get_by_name("buffersink"), "out", NULL, NULL, g.graph) < 0 ||
        avfilter_link(g.src, 0, d3, 0) < 0 || avfilter_link(d3, 0, g.sink, 0) < 0 ||
        avfilter_graph_config(g.graph, NULL) < 0) {
        check(0, "%s %s swap=%d %dx%d: graph setup", d->name, mode, swap, w, h);
        goto end;
    }
    tb = av_buffersink_get_time_base(g.sink);
    fr = av_buffersink_get_frame_rate(g.sink);
    check(tb.num == 1 && tb.den == 2 * tb_den && fr.num == 2 * rate && fr.den == 1,
          "%s %s 1/%d at %d fps: output time base %d/%d, frame rate %d/%d", d->name, mode,
          tb_den, rate, tb.num, tb.den, fr.num, fr.den);
    for (int i = 0; i < nb_in; i++) {
        in->pts      = 5 * step + i * step;     /* not starting at 0: 2t must show */
        in->duration = dur;
        if ((ret = av_buffersrc_add_frame_flags(g.src, in, AV_BUFFERSRC_FLAG_KEEP_REF)) < 0)
            break;
    }
    if (av_buffersrc_add_frame(g.src, NULL) < 0)
        check(0, "%s %s: end of stream refused", d->name, mode);
    while ((ret = av_buffersink_get_frame(g.sink, out)) >= 0) {
        int first = n % 2 == 0, t = n / 2;
        /* the eye this frame's slot holds: left first for al; swap exchanges the pictures */
        int right = !first ^ right_first, eye = right ^ swap;
        int64_t want_pts = 2 * (5 * step + t * step) + (first ? 0 : step);
        const AVFrameSideData *sd = av_frame_get_side_data(out, AV_FRAME_DATA_STEREO3D);
        const AVStereo3D *s3d = sd ? (const AVStereo3D *)sd->data : NULL;

        if (out->pts != want_pts || out->duration != step) {
            if (!bad_ts)
                check(0, "%s %s: frame %d pts %"PRId64" duration %"PRId64", want %"PRId64" and %"PRId64,
                      d->name, mode, n, out->pts, out->duration, want_pts, step);
            bad_ts = 1;
        }
        if (!s3d || s3d->type != AV_STEREO3D_FRAMESEQUENCE || stereo3d_count(out) != 1 ||
            s3d->view != (right ? AV_STEREO3D_VIEW_RIGHT : AV_STEREO3D_VIEW_LEFT) ||
            s3d->flags != (right_first ? AV_STEREO3D_FLAG_INVERT : 0)) {
            if (!bad_sd)
                check(0, "%s %s: frame %d side data %s view %s flags %d", d->name, mode, n,
                      s3d ? av_stereo3d_type_name(s3d->type) : "none",
                      s3d ? av_stereo3d_view_name(s3d->view) : "-", s3d ? s3d->flags : -1);
            bad_sd = 1;
        }
        if (out->width != w || out->height != h || out->format != fmt) {
            if (!bad)
                check(0, "%s %s: frame %d is %dx%d %s", d->name, mode, n, out->width,
                      out->height, av_get_pix_fmt_name(out->format));
            bad = 1;
        }
        for (int c = 0; c < d->nb_components && !bad; c++)
            for (int y = 0; y < comp_h(d, c, h) && !bad; y++)
                for (int x = 0; x < comp_w(d, c, w) && !bad; x++) {
                    unsigned got = read_sample(out, d, c, x, y);
                    unsigned want = eye_at(in, right_eye, d, c, eye, s, x, y);
                    if (got != want) {
                        check(0, "%s %s swap=%d %dx%d: frame %d comp %d at (%d,%d) = %u, want "
                              "%u (%s eye)", d->name, mode, swap, w, h, n, c, x, y, got, want,
                              right ? "right" : "left");
                        bad = 1;
                    }
                }
        av_frame_unref(out);
        n++;
    }
    check(n == 2 * nb_in, "%s %s swap=%d %dx%d: %d frames out of %d", d->name, mode, swap, w, h,
          n, nb_in);
    if (n == 2 * nb_in) {
        if (!bad)
            check(1, "%s %s swap=%d %dx%d: every sample of every frame from its eye", d->name,
                  mode, swap, w, h);
        if (!bad_ts)
            check(1, "%s %s 1/%d, duration %"PRId64": pts 2t and 2t + %"PRId64", durations %"PRId64,
                  d->name, mode, tb_den, dur, step, step);
        if (!bad_sd)
            check(1, "%s %s: frame-sequence side data, views %s", d->name, mode,
                  right_first ? "right, left" : "left, right");
    }
end:
    graph_close(&g);
    av_frame_free(&in);
    av_frame_free(&out);
    av_frame_free(&right_eye);
}

/*
 * Anaglyph matrices as published, applied to (left R, G, B, right R, G, B).
 * Grey is BT.601 luma; Dubois: E. Dubois, "Conversion of a stereo pair to
 * anaglyph with the least-squares projection method", 2009 (red/cyan to 6
 * digits, green/magenta and amber/blue to 3 decimals). The first colour of a
 * name is the left eye's filter (vf_stereo3d's documentation).
 */
#define G3 0.299, 0.587, 0.114
#define NB_ANA 14
static const char *const ana_names[NB_ANA] = {
    "arcg", "arch", "arcc", "arcd", "agmg", "agmh", "agmc", "agmd",
    "aybg", "aybh", "aybc", "aybd", "argg", "arbg",
};
static const double ana_matrix[NB_ANA][3][6] = {
    { { G3, 0, 0, 0 }, { 0, 0, 0, G3 }, { 0, 0, 0, G3 } },
    { { G3, 0, 0, 0 }, { 0, 0, 0, 0, 1, 0 }, { 0, 0, 0, 0, 0, 1 } },
    { { 1, 0, 0, 0, 0, 0 }, { 0, 0, 0, 0, 1, 0 }, { 0, 0, 0, 0, 0, 1 } },
    { {  0.4561,     0.500484,   0.176381,   -0.0434706, -0.0879388, -0.00155529 },
      { -0.0400822, -0.0378246, -0.0157589,   0.378476,   0.73364,   -0.0184503 },
      { -0.0152161, -0.0205971, -0.00546856, -0.0721527, -0.112961,   1.2264 } },
    { { 0, 0, 0, G3 }, { G3, 0, 0, 0 }, { 0, 0, 0, G3 } },
    { { 0, 0, 0, 1, 0, 0 }, { G3, 0, 0, 0 }, { 0, 0, 0, 0, 0, 1 } },
    { { 0, 0, 0, 1, 0, 0 }, { 0, 1, 0, 0, 0, 0 }, { 0, 0, 0, 0, 0, 1 } },
    { { -0.062, -0.158, -0.039,  0.529,  0.705,  0.024 },
      {  0.284,  0.668,  0.143, -0.016, -0.015, -0.065 },
      { -0.015, -0.027,  0.021,  0.009,  0.075,  0.937 } },
    { { G3, 0, 0, 0 }, { G3, 0, 0, 0 }, { 0, 0, 0, G3 } },
    { { 1, 0, 0, 0, 0, 0 }, { 0, 1, 0, 0, 0, 0 }, { 0, 0, 0, G3 } },
    { { 1, 0, 0, 0, 0, 0 }, { 0, 1, 0, 0, 0, 0 }, { 0, 0, 0, 0, 0, 1 } },
    { {  1.062, -0.205,  0.299, -0.016, -0.123, -0.017 },
      { -0.026,  0.908,  0.068,  0.006,  0.062, -0.017 },
      { -0.038, -0.173,  0.022,  0.094,  0.185,  0.911 } },
    { { G3, 0, 0, 0 }, { 0, 0, 0, G3 }, { 0, 0, 0, 0, 0, 0 } },
    { { G3, 0, 0, 0 }, { 0, 0, 0, 0, 0, 0 }, { 0, 0, 0, G3 } },
};
/* vf_stereo3d's aybg, aybh and aybc matrices hold the eyes the other way
 * round from its documentation (left eye in blue): compared with the eyes
 * exchanged. */
static int stereo3d_swaps_eyes(int mode)
{
    return mode >= 8 && mode <= 10;
}

/* The exact mix of integer samples, rounded half up and clipped: the
 * coefficients have at most 8 decimals, so in units of 1e-8 the sum is exact. */
static unsigned ana_exact(int mode, int c, const unsigned *v, unsigned maxval)
{
    int64_t sum = 0;
    for (int k = 0; k < 6; k++)
        sum += llround(ana_matrix[mode][c][k] * 1e8) * (int64_t)v[k];
    if (sum <= 0)
        return 0;
    return FFMIN((sum + 50000000) / 100000000, maxval);
}

static const char *conv_args(char *buf, size_t size, const char *mode, double convergence)
{
    snprintf(buf, size, "model=%s:device=cpu:strength=0:renormalize=1:convergence=%g:mode=%s",
             model, convergence, mode);
    return buf;
}

/* RGB formats are mixed directly: every sample exactly, alpha the mean of the eyes. */
static void test_anaglyph_rgb(enum AVPixelFormat fmt, int mode, int w, int h, int s,
                              double convergence)
{
    const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(fmt);
    AVFrame *in = make_frame(fmt, w, h, 0), *out = av_frame_alloc();
    unsigned maxval = (1u << d->comp[0].depth) - 1;
    char args[1200];
    Graph g;
    int ret, bad = 0;

    if (!in || !out || (ret = graph_open(&g, fmt, w, h, conv_args(args, sizeof(args),
                                         ana_names[mode], convergence))) < 0) {
        check(0, "%s %s %dx%d: graph setup", d->name, ana_names[mode], w, h);
        goto end;
    }
    if ((ret = run_graph(&g, in, out)) < 0) {
        check(0, "%s %s %dx%d: filtering (%s)", d->name, ana_names[mode], w, h, av_err2str(ret));
        graph_close(&g);
        goto end;
    }
    check(out->width == w && out->height == h && out->format == fmt,
          "%s %s %dx%d: output %dx%d %s", d->name, ana_names[mode], w, h, out->width,
          out->height, av_get_pix_fmt_name(out->format));
    for (int y = 0; y < h && out->width == w && out->height == h && !bad; y++)
        for (int x = 0; x < w && !bad; x++) {
            unsigned v[6], want[4], got[4];
            for (int k = 0; k < 3; k++) {
                v[k]     = eye_sample(in, d, k, 0, s, x, y);
                v[k + 3] = eye_sample(in, d, k, 1, s, x, y);
            }
            for (int c = 0; c < 3; c++)
                want[c] = ana_exact(mode, c, v, maxval);
            if (d->nb_components > 3)
                want[3] = (eye_sample(in, d, 3, 0, s, x, y) + eye_sample(in, d, 3, 1, s, x, y) + 1) >> 1;
            for (int c = 0; c < d->nb_components; c++) {
                got[c] = read_sample(out, d, c, x, y);
                if (got[c] != want[c] && !bad) {
                    check(0, "%s %s %dx%d: comp %d at (%d,%d) = %u, want %u", d->name,
                          ana_names[mode], w, h, c, x, y, got[c], want[c]);
                    bad = 1;
                }
            }
        }
    if (!bad && out->width == w)
        check(1, "%s %s %dx%d: every sample is the exact rounded mix", d->name, ana_names[mode], w, h);
    check(stereo3d_count(out) == 0, "%s %s: no stereo 3D side data (%d found)", d->name,
          ana_names[mode], stereo3d_count(out));
    graph_close(&g);
end:
    av_frame_free(&in);
    av_frame_free(&out);
}

static void clear_frame(AVFrame *f)
{
    for (int p = 0; p < FF_ARRAY_ELEMS(f->buf) && f->buf[p]; p++)
        memset(f->buf[p]->data, 0, f->buf[p]->size);
}

/* Cross-check against FFmpeg's own stereo3d filter, whose matrices are the
 * same ones rounded to 3 decimals in 16.16 fixed point: at most 2 codes apart.
 * in_swapped: vf_stereo3d gets the eyes exchanged (in=sbsr). */
static int anaglyph_vs_stereo3d(int mode, int in_swapped)
{
    const enum AVPixelFormat fmt = AV_PIX_FMT_RGB24;
    const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(fmt);
    const int w = 64, h = 36, s = 8;
    AVFrame *in = make_frame(fmt, w, h, 0), *sbs = make_frame(fmt, 2 * w, h, 0);
    AVFrame *a = av_frame_alloc(), *b = av_frame_alloc();
    uint16_t line[128];
    char args[1200], s3d_args[64];
    Graph g1, g2;
    int maxdiff = -1;

    if (!in || !sbs || !a || !b)
        goto end;
    /* the side-by-side picture vf_stereo3d takes: the input, then its shifted copy */
    clear_frame(sbs);
    for (int c = 0; c < 3; c++)
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < 2 * w; x++)
                line[x] = eye_sample(in, d, c, x >= w, s, x % w, y);
            av_write_image_line2(line, sbs->data, sbs->linesize, d, 0, y, c, 2 * w, 2);
        }
    snprintf(s3d_args, sizeof(s3d_args), "in=%s:out=%s", in_swapped ? "sbsr" : "sbsl",
             ana_names[mode]);
    if (graph_open(&g1, fmt, w, h, conv_args(args, sizeof(args), ana_names[mode], 100.0 * s / w)) >= 0) {
        if (graph_open2(&g2, fmt, 2 * w, h, AVCOL_SPC_UNSPECIFIED, AVCOL_RANGE_UNSPECIFIED,
                        "stereo3d", s3d_args) >= 0) {
            if (run_graph(&g1, in, a) >= 0 && run_graph(&g2, sbs, b) >= 0 &&
                a->width == b->width && a->height == b->height && a->format == b->format) {
                maxdiff = 0;
                for (int c = 0; c < 3; c++)
                    for (int y = 0; y < h; y++)
                        for (int x = 0; x < w; x++)
                            maxdiff = FFMAX(maxdiff, abs((int)read_sample(a, d, c, x, y) -
                                                         (int)read_sample(b, d, c, x, y)));
            }
            graph_close(&g2);
        }
        graph_close(&g1);
    }
end:
    av_frame_free(&in);
    av_frame_free(&sbs);
    av_frame_free(&a);
    av_frame_free(&b);
    return maxdiff;
}

static void test_anaglyph_vs_stereo3d(int mode)
{
    const int tol = 2;
    int swapped = stereo3d_swaps_eyes(mode), maxdiff = anaglyph_vs_stereo3d(mode, swapped);

    check(maxdiff >= 0 && maxdiff <= tol, "rgb24 %s agrees with stereo3d=%s:%s within %d "
          "(largest difference %d)", ana_names[mode], swapped ? "sbsr" : "sbsl", ana_names[mode],
          tol, maxdiff);
    if (swapped) {
        maxdiff = anaglyph_vs_stereo3d(mode, 0);
        check(maxdiff > 10 * tol, "rgb24 %s: stereo3d=sbsl:%s, eyes as given, differs by %d "
              "(its matrix puts the left eye in blue)", ana_names[mode], ana_names[mode], maxdiff);
    }
}

/*
 * YUV anaglyphs go through RGB with the frame's matrix and range, and chroma
 * is resampled on the way, so they are compared with a double-precision
 * reference within a tolerance, on content made of flat 16x16 blocks (the
 * shift is a multiple of 16), away from block edges where the chroma
 * interpolation of the conversions legitimately blends neighbours.
 */
#define BLOCK 16

static void luma_weights(enum AVColorSpace csp, double *kr, double *kb)
{
    switch (csp) {
    case AVCOL_SPC_BT709:      *kr = 0.2126; *kb = 0.0722; break;
    case AVCOL_SPC_BT2020_NCL: *kr = 0.2627; *kb = 0.0593; break;
    default:                   *kr = 0.299;  *kb = 0.114;  break; /* BT.601, also when unspecified */
    }
}

/* Y, U, V codes of block (bx, by): random, inside the nominal range. */
static unsigned block_code(int c, int bx, int by, int depth, int full)
{
    unsigned v = pattern(c, bx, by, 8);
    if (!full)
        v = c ? 16 + v * 224 / 255 : 16 + v * 219 / 255;
    return v << (depth - 8);
}

static AVFrame *make_block_frame(enum AVPixelFormat fmt, int w, int h, enum AVColorSpace csp,
                                 int full)
{
    const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(fmt);
    AVFrame *f = make_frame(fmt, w, h, 0);
    uint16_t line[512];

    if (!f || w > 512) {
        av_frame_free(&f);
        return NULL;
    }
    f->colorspace  = csp;
    f->color_range = full ? AVCOL_RANGE_JPEG : AVCOL_RANGE_MPEG;
    clear_frame(f);
    for (int c = 0; c < d->nb_components; c++) {
        int sx = is_chroma(d, c) ? d->log2_chroma_w : 0, sy = is_chroma(d, c) ? d->log2_chroma_h : 0;
        for (int y = 0; y < comp_h(d, c, h); y++) {
            for (int x = 0; x < comp_w(d, c, w); x++)
                line[x] = block_code(c, (x << sx) / BLOCK, (y << sy) / BLOCK, d->comp[c].depth, full);
            av_write_image_line2(line, f->data, f->linesize, d, 0, y, c, comp_w(d, c, w), 2);
        }
    }
    return f;
}

/* Expected Y, U, V (as codes, unrounded) of the anaglyph of two flat blocks. */
static void yuv_reference(int mode, enum AVColorSpace csp, int full, int depth,
                          const unsigned *left, const unsigned *right, double *out)
{
    double kr, kb, kg, rgb[6], mixed[3], y, scale = 1 << (depth - 8), max = (1 << depth) - 1;

    luma_weights(csp, &kr, &kb);
    kg = 1 - kr - kb;
    for (int e = 0; e < 2; e++) {
        const unsigned *v = e ? right : left;
        double yn, u, vn, *p = rgb + 3 * e;
        if (full) {
            yn = v[0] / max;
            u  = (v[1] - 128 * scale) / max;
            vn = (v[2] - 128 * scale) / max;
        } else {
            yn = (v[0] - 16 * scale) / (219 * scale);
            u  = (v[1] - 128 * scale) / (224 * scale);
            vn = (v[2] - 128 * scale) / (224 * scale);
        }
        p[0] = yn + 2 * (1 - kr) * vn;
        p[2] = yn + 2 * (1 - kb) * u;
        p[1] = (yn - kr * p[0] - kb * p[2]) / kg;
        for (int k = 0; k < 3; k++)
            p[k] = av_clipd(p[k], 0, 1);
    }
    for (int c = 0; c < 3; c++) {
        double sum = 0;
        for (int k = 0; k < 6; k++)
            sum += ana_matrix[mode][c][k] * rgb[k];
        mixed[c] = av_clipd(sum, 0, 1);
    }
    y = kr * mixed[0] + kg * mixed[1] + kb * mixed[2];
    if (full) {
        out[0] = y * max;
        out[1] = 128 * scale + (mixed[2] - y) / (2 * (1 - kb)) * max;
        out[2] = 128 * scale + (mixed[0] - y) / (2 * (1 - kr)) * max;
    } else {
        out[0] = 16 * scale + 219 * scale * y;
        out[1] = 128 * scale + 224 * scale * (mixed[2] - y) / (2 * (1 - kb));
        out[2] = 128 * scale + 224 * scale * (mixed[0] - y) / (2 * (1 - kr));
    }
}

static void test_anaglyph_yuv(enum AVPixelFormat fmt, int mode, enum AVColorSpace csp, int full,
                              double tol)
{
    const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(fmt);
    const int w = 128, h = 64, s = BLOCK;
    /* a matrix the filter must not use: proves the comparison can tell them apart */
    enum AVColorSpace wrong = csp == AVCOL_SPC_BT709 ? AVCOL_SPC_BT470BG : AVCOL_SPC_BT709;
    AVFrame *in = make_block_frame(fmt, w, h, csp, full), *out = av_frame_alloc();
    double err = -1, err_wrong = 0;
    char args[1200];
    Graph g;

    if (in && out && graph_open2(&g, fmt, w, h, csp, full ? AVCOL_RANGE_JPEG : AVCOL_RANGE_MPEG,
                                 NULL, conv_args(args, sizeof(args), ana_names[mode],
                                                 100.0 * s / w)) >= 0) {
        if (run_graph(&g, in, out) >= 0 && out->width == w && out->height == h &&
            out->format == fmt) {
            err = 0;
            for (int c = 0; c < 3; c++) {
                int sx = is_chroma(d, c) ? d->log2_chroma_w : 0;
                int sy = is_chroma(d, c) ? d->log2_chroma_h : 0;
                int bw = BLOCK >> sx, bh = BLOCK >> sy, mx = 4 >> sx, my = 4 >> sy;
                for (int y = 0; y < comp_h(d, c, h); y++)
                    for (int x = 0; x < comp_w(d, c, w); x++) {
                        int bx = (x << sx) / BLOCK, by = (y << sy) / BLOCK;
                        unsigned l[3], r[3];
                        double ref[3], ref_wrong[3], got;
                        if (x % bw < mx || x % bw >= bw - mx || y % bh < my || y % bh >= bh - my)
                            continue;
                        for (int k = 0; k < 3; k++) {
                            l[k] = block_code(k, bx, by, d->comp[k].depth, full);
                            r[k] = block_code(k, FFMAX(bx - s / BLOCK, 0), by, d->comp[k].depth, full);
                        }
                        yuv_reference(mode, csp, full, d->comp[c].depth, l, r, ref);
                        yuv_reference(mode, wrong, full, d->comp[c].depth, l, r, ref_wrong);
                        got = read_sample(out, d, c, x, y);
                        err       = FFMAX(err, fabs(got - ref[c]));
                        err_wrong = FFMAX(err_wrong, fabs(got - ref_wrong[c]));
                    }
            }
        }
        graph_close(&g);
    }
    check(err >= 0 && err <= tol, "%s %s %s %s range: within %g of the reference "
          "(largest difference %.2f)", d->name, ana_names[mode], av_color_space_name(csp),
          full ? "full" : "limited", tol, err);
    check(err_wrong > 2 * tol, "%s %s %s: the reference with %s differs by %.2f, so the "
          "matrix is checked", d->name, ana_names[mode], av_color_space_name(csp),
          av_color_space_name(wrong), err_wrong);
    check(out && stereo3d_count(out) == 0, "%s %s: no stereo 3D side data", d->name, ana_names[mode]);
    av_frame_free(&in);
    av_frame_free(&out);
}

/* Gray input: an anaglyph needs colour, so the filter does not take gray and
 * FFmpeg converts it to a colour format; arcg of a gray picture then has red
 * from the left eye and equal green and blue from the right. */
static void test_anaglyph_gray(void)
{
    const enum AVPixelFormat fmt = AV_PIX_FMT_GRAY8;
    const int w = 64, h = 36, s = 8;
    AVFrame *in = make_frame(fmt, w, h, 0), *out = av_frame_alloc();
    const AVPixFmtDescriptor *od = NULL;
    int ret = AVERROR(ENOMEM), gb_equal = 1, r_differs = 0;
    char args[1200];
    Graph g;

    if (in && out && (ret = graph_open(&g, fmt, w, h, conv_args(args, sizeof(args), "arcg",
                                                                100.0 * s / w))) >= 0) {
        ret = run_graph(&g, in, out);
        graph_close(&g);
    }
    if (ret >= 0)
        od = av_pix_fmt_desc_get(out->format);
    check(od && od->nb_components >= 3 && out->width == w && out->height == h,
          "gray arcg: accepted, output %dx%d %s (colour)", out ? out->width : 0,
          out ? out->height : 0, od ? od->name : av_err2str(ret));
    if (od && od->flags & AV_PIX_FMT_FLAG_RGB) {
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) {
                gb_equal  &= read_sample(out, od, 1, x, y) == read_sample(out, od, 2, x, y);
                r_differs |= read_sample(out, od, 0, x, y) != read_sample(out, od, 1, x, y);
            }
        check(gb_equal && r_differs, "gray arcg: green = blue everywhere, red differs where "
              "the eyes do");
    }
    av_frame_free(&in);
    av_frame_free(&out);
}

static void test_config_error(enum AVPixelFormat fmt, const char *mode, int w, int h)
{
    char args[1200];
    Graph g;
    int ret;

    snprintf(args, sizeof(args), "model=%s:device=cpu:mode=%s", model, mode);
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

    snprintf(args, sizeof(args), "model=%s:device=cpu:mode=sbs", model);
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

/* A frame that already says it is stereo gets our side data, not its own;
 * an anaglyph (want_type < 0) gets none: it is not frame-packed stereo. */
/* A mid-stream change of pixel format is refused like a change of size. */
static void test_format_change(void)
{
    AVFrame *a = make_frame(AV_PIX_FMT_YUV420P, 32, 16, 0);
    AVFrame *b = make_frame(AV_PIX_FMT_YUV444P, 32, 16, 1);
    AVFrame *out = av_frame_alloc();
    char args[1200];
    Graph g;
    int ret = -1, ret2 = -1;

    snprintf(args, sizeof(args), "model=%s:mode=sbs", model);
    if (a && b && out && graph_open(&g, AV_PIX_FMT_YUV420P, 32, 16, args) >= 0) {
        ret = run_graph(&g, a, out);
        av_frame_unref(out);
        ret2 = run_graph(&g, b, out);
        graph_close(&g);
    }
    check(ret >= 0 && ret2 == AVERROR(EINVAL), "mid-stream format change refused (%d, %d)", ret, ret2);
    av_frame_free(&a);
    av_frame_free(&b);
    av_frame_free(&out);
}

/* A pixel format deep3d does not take: converted by the graph when automatic
 * conversion is on, a failed configuration when it is off. */
static void test_unsupported_format(void)
{
    AVFrame *in = make_frame(AV_PIX_FMT_YUV410P, 32, 16, 0);
    AVFrame *out = av_frame_alloc();
    char args[1200];
    Graph g;
    int ret;

    snprintf(args, sizeof(args), "model=%s:mode=sbs", model);
    ret = graph_open(&g, AV_PIX_FMT_YUV410P, 32, 16, args);
    if (ret >= 0 && in && out)
        ret = run_graph(&g, in, out);
    check(ret >= 0 && out && out->width == 64 && out->height == 16 &&
          ff_deep3d_pack_format_supported(out->format),
          "yuv410p input is converted by the graph to a format deep3d takes (%s, %s)",
          av_err2str(ret), out ? av_get_pix_fmt_name(out->format) : "?");
    graph_close(&g);
    memset(&g, 0, sizeof(g));
    g.graph = avfilter_graph_alloc();
    if (g.graph) {
        AVFilterContext *d3 = NULL;
        char src_args[128];
        avfilter_graph_set_auto_convert(g.graph, AVFILTER_AUTO_CONVERT_NONE);
        snprintf(src_args, sizeof(src_args), "video_size=32x16:pix_fmt=%d:time_base=1/25",
                 AV_PIX_FMT_YUV410P);
        ret = avfilter_graph_create_filter(&g.src, avfilter_get_by_name("buffer"), "in", src_args, NULL, g.graph);
        if (ret >= 0)
            ret = avfilter_graph_create_filter(&d3, avfilter_get_by_name("deep3d"), "d", args, NULL, g.graph);
        if (ret >= 0)
            ret = avfilter_graph_create_filter(&g.sink, avfilter_get_by_name("buffersink"), "out", NULL, NULL, g.graph);
        if (ret >= 0 && (ret = avfilter_link(g.src, 0, d3, 0)) >= 0 &&
            (ret = avfilter_link(d3, 0, g.sink, 0)) >= 0)
            ret = avfilter_graph_config(g.graph, NULL);
        check(ret < 0, "yuv410p without automatic conversion: the graph fails to configure (%s)",
              av_err2str(ret));
        graph_close(&g);
    }
    av_frame_free(&in);
    av_frame_free(&out);
}

static void test_replaces_side_data(const char *mode, int want_type, int want_flags)
{
    AVFrame *in = make_frame(AV_PIX_FMT_YUV420P, 32, 16, 0), *out = av_frame_alloc();
    AVStereo3D *s3d_in;
    const AVFrameSideData *sd;
    int count = -1, ok = 0;
    char args[1200];
    Graph g;

    snprintf(args, sizeof(args), "model=%s:device=cpu:mode=%s", model, mode);
    if (in && out && (s3d_in = av_stereo3d_create_side_data(in)) &&
        graph_open(&g, AV_PIX_FMT_YUV420P, 32, 16, args) >= 0) {
        s3d_in->type = AV_STEREO3D_CHECKERBOARD;
        if (av_buffersrc_add_frame(g.src, in) >= 0 && av_buffersink_get_frame(g.sink, out) >= 0) {
            count = stereo3d_count(out);
            sd = av_frame_get_side_data(out, AV_FRAME_DATA_STEREO3D);
            ok = want_type < 0 ? count == 0 :
                 count == 1 && sd && ((AVStereo3D *)sd->data)->type == want_type &&
                 ((AVStereo3D *)sd->data)->flags == want_flags;
        }
        graph_close(&g);
    }
    check(ok, "%s: input stereo side data replaced by exactly %d entr%s (%d found)", mode,
          want_type < 0 ? 0 : 1, want_type < 0 ? "ies" : "y", count);
    av_frame_free(&in);
    av_frame_free(&out);
}

/* Options the filter must refuse at initialisation. */
static void test_init_error(const char *args, int want, const char *what)
{
    Graph g;
    int ret = graph_open(&g, AV_PIX_FMT_YUV420P, 32, 16, args);
    if (want)
        check(ret == want, "%s: '%s' refused with %s (got %s)", what, args, av_err2str(want),
              av_err2str(ret));
    else
        check(ret == 0, "%s: '%s' accepted (got %s)", what, args, av_err2str(ret));
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

    /* without model= the built-in default model runs */
    test_init_error("mode=sbs", 0, "no model (the built-in one)");
    /* convergence: a number within +-50, or the named constant auto (a sentinel beyond) */
    test_init_error("convergence=auto", 0, "automatic convergence");
    test_init_error("convergence=60", AVERROR(ERANGE), "convergence between 50 and auto");
    test_init_error("convergence=-51", AVERROR(ERANGE), "convergence below -50");
    test_init_error("model=/nonexistent/deep3d.safetensors", AVERROR(ENOENT), "missing model file");
    test_init_error("model=/dev/null", AVERROR_INVALIDDATA, "empty model file");

    /* Interleaved rows, columns and checkerboard, with eyes that differ (a
     * shift of s samples; s < 0: the right eye as mode=mr renders it, for an
     * odd width), any size: odd widths and heights are well defined
     * (the edge chroma takes the eye it covers). */
    {
        static const struct { int w, h, s; double convergence; } is[] = {
            { 64, 36, 8, 12.5 }, { 30, 22, 6, 20 }, { 32, 7, 8, 25 }, { 25, 9, -1, 40 },
        };
        for (int weave = 0; weave < 3; weave++) {
            for (int f = 0; f < FF_ARRAY_ELEMS(fmts); f++)
                for (int i = 0; i < FF_ARRAY_ELEMS(is); i++)
                    for (int r = 0; r < 2; r++)
                        test_interleave(weave, fmts[f], r, 0, is[i].w, is[i].h, is[i].s, is[i].convergence);
            /* swap: the rendered eye on the even pixels */
            test_interleave(weave, AV_PIX_FMT_YUV420P, 0, 1, 64, 36, 8, 12.5);
            test_interleave(weave, AV_PIX_FMT_P010,    1, 1, 32, 7, 8, 25);
            test_interleave(weave, AV_PIX_FMT_NV12,    1, 1, 25, 9, -1, 40);
            test_interleave(weave, AV_PIX_FMT_GRAY8,   0, 0, 1, 1, 0, 0);
            test_interleave(weave, AV_PIX_FMT_YUV420P, 1, 0, 2, 1, 0, 0);
            test_interleave(weave, AV_PIX_FMT_YUV420P, 0, 0, 1, 2, 0, 0);
            test_interleave(weave, AV_PIX_FMT_NV12,    0, 0, 6, 5, 0, 0);
        }
    }

    /* Alternating frames: every format, odd heights (stacked on a chroma row),
     * swap, and the timestamps of three time bases and durations. */
    for (int f = 0; f < FF_ARRAY_ELEMS(fmts); f++)
        for (int r = 0; r < 2; r++)
            test_sequence(fmts[f], r, 0, 64, 36, 8, 12.5, 25, 25, 0);
    test_sequence(AV_PIX_FMT_YUV420P, 0, 0, 30, 7, 6, 20, 25, 25, 0);
    test_sequence(AV_PIX_FMT_NV12,    1, 0, 25, 9, -1, 40, 25, 25, 0);
    test_sequence(AV_PIX_FMT_P010,    0, 1, 32, 7, 8, 25, 25, 25, 0);
    test_sequence(AV_PIX_FMT_YUV420P, 1, 1, 64, 36, 8, 12.5, 25, 25, 0);
    test_sequence(AV_PIX_FMT_YUV420P, 0, 0, 32, 16, 8, 25, 90000, 25, 0);    /* 3600 from the rate */
    test_sequence(AV_PIX_FMT_YUV420P, 1, 0, 32, 16, 8, 25, 90000, 25, 1800); /* the frames' own */
    test_sequence(AV_PIX_FMT_GRAY8,   0, 0, 1, 1, 0, 0, 1000, 30, 0);        /* 33 ms from 30 fps */

    /* Anaglyphs: RGB exactly, YUV through RGB within a tolerance. */
    {
        static const enum AVPixelFormat rgb[] = {
            AV_PIX_FMT_RGB24, AV_PIX_FMT_BGR24, AV_PIX_FMT_RGBA, AV_PIX_FMT_BGRA, AV_PIX_FMT_GBRP,
        };
        for (int f = 0; f < FF_ARRAY_ELEMS(rgb); f++)
            for (int m = 0; m < NB_ANA; m++) {
                test_anaglyph_rgb(rgb[f], m, 64, 36, 8, 12.5);
                test_anaglyph_rgb(rgb[f], m, 30, 5, 6, 20);
            }
        for (int m = 0; m < NB_ANA; m++)
            test_anaglyph_vs_stereo3d(m);
        for (int m = 0; m < NB_ANA; m++)
            test_anaglyph_yuv(AV_PIX_FMT_YUV420P, m, AVCOL_SPC_BT709, 0, 2);
        test_anaglyph_yuv(AV_PIX_FMT_YUV444P,   7,  AVCOL_SPC_BT709,     1, 2);  /* agmd */
        test_anaglyph_yuv(AV_PIX_FMT_NV12,      11, AVCOL_SPC_BT470BG,   0, 2);  /* aybd */
        test_anaglyph_yuv(AV_PIX_FMT_YUV420P10, 9,  AVCOL_SPC_BT2020_NCL, 0, 4); /* aybh */
        test_anaglyph_yuv(AV_PIX_FMT_YUV420P,   3, AVCOL_SPC_UNSPECIFIED, 0, 2);
        test_anaglyph_yuv(AV_PIX_FMT_YUVJ420P,  3, AVCOL_SPC_BT470BG,   1, 2);
        test_anaglyph_yuv(AV_PIX_FMT_YUV444P,   3, AVCOL_SPC_BT709,     1, 2);
        test_anaglyph_yuv(AV_PIX_FMT_YUV422P,   3, AVCOL_SPC_SMPTE170M, 0, 2);
        test_anaglyph_yuv(AV_PIX_FMT_NV12,      3, AVCOL_SPC_BT709,     0, 2);
        test_anaglyph_yuv(AV_PIX_FMT_YUV420P10, 3, AVCOL_SPC_BT2020_NCL, 0, 4);
        test_anaglyph_yuv(AV_PIX_FMT_YUV444P10, 0, AVCOL_SPC_BT709,     0, 4);
        test_anaglyph_yuv(AV_PIX_FMT_P010,      3, AVCOL_SPC_BT709,     0, 4);
        test_anaglyph_gray();
    }

    test_size_change();
    test_format_change();
    test_unsupported_format();
    test_replaces_side_data("abr", AV_STEREO3D_TOPBOTTOM, AV_STEREO3D_FLAG_INVERT);
    test_replaces_side_data("irr", AV_STEREO3D_LINES, AV_STEREO3D_FLAG_INVERT);
    test_replaces_side_data("arcd", -1, 0);
    test_replaces_side_data("icr", AV_STEREO3D_COLUMNS, AV_STEREO3D_FLAG_INVERT);
    test_replaces_side_data("chl", AV_STEREO3D_CHECKERBOARD, 0);
    test_replaces_side_data("ar", AV_STEREO3D_FRAMESEQUENCE, AV_STEREO3D_FLAG_INVERT);
    test_replaces_side_data("aybd", -1, 0);

    return check_summary();
}
