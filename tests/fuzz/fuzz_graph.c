/*
 * libFuzzer target: deep3d in a filter graph (buffer -> deep3d -> buffersink)
 * driven by a decoded sequence of steps. Each step picks a pixel format (the
 * filter's own and others it does not take, which the graph converts), a size
 * from 1x1 up to 16384 wide, options (every mode, strength, convergence, swap,
 * renormalize, threads), a frame count, frame alignment / a negative
 * linesize, and whether the frames go into a new graph or into the previous
 * one (a mid-stream size or format change, which the filter must refuse).
 *
 * Asserted: configuration either fails with an error code or gives an output
 * of the size and a format the layout defines; every frame either fails with
 * an error code or comes out with that size and format. ASan and UBSan catch
 * memory and arithmetic errors, libFuzzer's leak check the leaks.
 *
 * Work is capped per input (at most 4 steps, 3 frames each, 32768 pixels per
 * frame: the widest frames are one or two rows) so an execution stays fast.
 * Models: the tiny test models, from $DEEP3D_FUZZ_DATA or DEEP3D_FUZZ_DATA_DIR
 * (tests/data). Seeds: tests/fuzz/corpus/graph/.
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libavfilter/avfilter.h"
#include "libavfilter/buffersink.h"
#include "libavfilter/buffersrc.h"
#include "libavutil/frame.h"
#include "libavutil/imgutils.h"
#include "libavutil/intfloat.h"
#include "libavutil/intreadwrite.h"
#include "libavutil/log.h"
#include "libavutil/mem.h"
#include "libavutil/pixdesc.h"
#include "../unit/deep3d_graph.h"

#ifndef DEEP3D_FUZZ_DATA_DIR
#define DEEP3D_FUZZ_DATA_DIR "tests/data"
#endif

#define MAX_STEPS   4
#define MAX_FRAMES  3
#define MAX_PIXELS  32768

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Formats deep3d takes, then formats it does not (converted by the graph). */
static const enum AVPixelFormat formats[] = {
    AV_PIX_FMT_GRAY8, AV_PIX_FMT_YUV420P, AV_PIX_FMT_YUV422P, AV_PIX_FMT_YUV444P,
    AV_PIX_FMT_YUVJ420P, AV_PIX_FMT_YUVJ422P, AV_PIX_FMT_YUVJ444P, AV_PIX_FMT_NV12,
    AV_PIX_FMT_RGB24, AV_PIX_FMT_BGR24, AV_PIX_FMT_RGBA, AV_PIX_FMT_BGRA, AV_PIX_FMT_GBRP,
    AV_PIX_FMT_YUV420P10, AV_PIX_FMT_YUV422P10, AV_PIX_FMT_YUV444P10, AV_PIX_FMT_P010,
    /* not supported by deep3d */
    AV_PIX_FMT_YUV410P, AV_PIX_FMT_YUV411P, AV_PIX_FMT_YUVA420P, AV_PIX_FMT_NV21,
    AV_PIX_FMT_GRAY16, AV_PIX_FMT_YA8, AV_PIX_FMT_RGB565, AV_PIX_FMT_PAL8,
    AV_PIX_FMT_MONOBLACK, AV_PIX_FMT_YUV420P12, AV_PIX_FMT_GBRAP, AV_PIX_FMT_RGB48,
    AV_PIX_FMT_UYVY422, AV_PIX_FMT_P016, AV_PIX_FMT_YUV440P, AV_PIX_FMT_GRAYF32,
};

static const enum AVPixelFormat supported[] = {
    AV_PIX_FMT_GRAY8, AV_PIX_FMT_YUV420P, AV_PIX_FMT_YUV422P, AV_PIX_FMT_YUV444P,
    AV_PIX_FMT_YUVJ420P, AV_PIX_FMT_YUVJ422P, AV_PIX_FMT_YUVJ444P, AV_PIX_FMT_NV12,
    AV_PIX_FMT_RGB24, AV_PIX_FMT_BGR24, AV_PIX_FMT_RGBA, AV_PIX_FMT_BGRA, AV_PIX_FMT_GBRP,
    AV_PIX_FMT_YUV420P10, AV_PIX_FMT_YUV422P10, AV_PIX_FMT_YUV444P10, AV_PIX_FMT_P010,
};

/* Output geometry per mode: 'w' doubles the width, 'h' the height, 'x' halves
 * (rounding down to the chroma grid) the width, 'y' the height, '1' keeps it. */
static const struct { const char *name; char geom; } modes[] = {
    { "sbsl", 'w' }, { "sbsr", 'w' }, { "sbs2l", 'x' }, { "sbs2r", 'x' },
    { "abl", 'h' }, { "abr", 'h' }, { "ab2l", 'y' }, { "ab2r", 'y' },
    { "ml", '1' }, { "mr", '1' }, { "depth", '1' }, { "irl", '1' }, { "irr", '1' },
    { "arcg", '1' }, { "arch", '1' }, { "arcc", '1' }, { "arcd", '1' },
    { "sbs", 'w' }, { "hsbs", 'x' }, { "tb", 'h' }, { "htb", 'y' }, { "right", '1' },
};

static char models[2][1024];

typedef struct Reader {
    const uint8_t *p;
    size_t left;
} Reader;

static unsigned get8(Reader *r)
{
    if (!r->left)
        return 0;
    r->left--;
    return *r->p++;
}

static unsigned get16(Reader *r)
{
    unsigned v = get8(r);
    return v | get8(r) << 8;
}

typedef struct Graph {
    AVFilterGraph *graph;
    AVFilterContext *src, *sink;
    int mode;
} Graph;

static int graph_open(Graph *g, enum AVPixelFormat fmt, int w, int h, int graph_threads,
                      const char *args)
{
    char src_args[128];

    g->graph = avfilter_graph_alloc();
    if (!g->graph)
        return AVERROR(ENOMEM);
    g->graph->nb_threads = graph_threads;
    snprintf(src_args, sizeof(src_args), "video_size=%dx%d:pix_fmt=%d:time_base=1/25:"
             "pixel_aspect=1/1", w, h, fmt);
    return deep3d_graph_build(g->graph, &g->src, &g->sink, src_args, args);
}

static int is_supported(enum AVPixelFormat fmt)
{
    for (int i = 0; i < FF_ARRAY_ELEMS(supported); i++)
        if (supported[i] == fmt)
            return 1;
    return 0;
}

/* The configured output must be what the mode defines for the input size. */
static void check_output_config(const Graph *g, int w, int h)
{
    int ow = av_buffersink_get_w(g->sink), oh = av_buffersink_get_h(g->sink);
    int ok;

    switch (modes[g->mode].geom) {
    case 'w': ok = ow == 2 * w && oh == h;                     break;
    case 'h': ok = ow == w && oh == 2 * h;                     break;
    case 'x': ok = oh == h && ow <= w && ow >= w - 3 && ow > 0; break;
    case 'y': ok = ow == w && oh <= h && oh >= h - 3 && oh > 0; break;
    default:  ok = ow == w && oh == h;                         break;
    }
    if (!ok || !is_supported(av_buffersink_get_format(g->sink))) {
        fprintf(stderr, "mode %s: %dx%d gave %dx%d %s\n", modes[g->mode].name, w, h, ow, oh,
                av_get_pix_fmt_name(av_buffersink_get_format(g->sink)));
        abort();
    }
}

static AVFrame *make_frame(Reader *r, enum AVPixelFormat fmt, int w, int h, int64_t pts)
{
    const AVPixFmtDescriptor *desc = av_pix_fmt_desc_get(fmt);
    unsigned flags = get8(r), seed = get8(r) * 0x01000193u + 1;
    AVFrame *f = av_frame_alloc();

    if (!f)
        return NULL;
    f->format = fmt;
    f->width  = w;
    f->height = h;
    f->pts    = pts;
    /* alignment 1..64: linesize equal to or beyond the width */
    if (av_frame_get_buffer(f, 1 << (flags & 7) > 64 ? 64 : 1 << (flags & 7)) < 0) {
        av_frame_free(&f);
        return NULL;
    }
    /* Random samples within the format's range: what decoders and filters
     * deliver. Out-of-range high bits in 10/12-bit samples make libswscale
     * itself overflow (signed int, yuv2gbrpf32_full_X_c), see DEVELOPERS.md. */
    for (int p = 0; p < FF_ARRAY_ELEMS(f->buf) && f->buf[p]; p++) {
        uint8_t *d = f->buf[p]->data;
        size_t n = f->buf[p]->size;
        if (desc->flags & AV_PIX_FMT_FLAG_FLOAT) {
            for (size_t i = 0; i + 4 <= n; i += 4) {
                seed = seed * 1103515245u + 12345u;
                AV_WN32(d + i, av_float2int((seed >> 16) / 65535.0f));
            }
        } else if (desc->comp[0].depth > 8) {
            unsigned mask = ((1u << desc->comp[0].depth) - 1) << desc->comp[0].shift;
            for (size_t i = 0; i + 2 <= n; i += 2) {
                seed = seed * 1103515245u + 12345u;
                AV_WN16(d + i, (seed >> 8) & mask);
            }
        } else {
            for (size_t i = 0; i < n; i++) {
                seed = seed * 1103515245u + 12345u;
                d[i] = seed >> 16;
            }
        }
    }
    /* bottom-up planes (negative linesize), as vflip produces them */
    if (flags & 8 && !(desc->flags & (AV_PIX_FMT_FLAG_PAL | AV_PIX_FMT_FLAG_BITSTREAM))) {
        for (int p = 0; p < 4 && f->data[p]; p++) {
            int ph = p == 1 || p == 2 ? AV_CEIL_RSHIFT(h, desc->log2_chroma_h) : h;
            if (desc->flags & AV_PIX_FMT_FLAG_RGB || desc->nb_components < 3)
                ph = h;
            f->data[p] += (ptrdiff_t)(ph - 1) * f->linesize[p];
            f->linesize[p] = -f->linesize[p];
        }
    }
    return f;
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    const char *dir = getenv("DEEP3D_FUZZ_DATA");
    if (!dir)
        dir = DEEP3D_FUZZ_DATA_DIR;
    snprintf(models[0], sizeof(models[0]), "%s/deep3d-tiny-fcn.safetensors", dir);
    snprintf(models[1], sizeof(models[1]), "%s/deep3d-tiny-original.safetensors", dir);
    av_log_set_level(getenv("DEEP3D_FUZZ_VERBOSE") ? AV_LOG_VERBOSE : AV_LOG_QUIET);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    Reader r = { data, size };
    Graph g = { 0 };
    AVFrame *out = av_frame_alloc();
    int cur_w = 0, cur_h = 0;
    int64_t pts = 0;

    if (!out)
        return 0;
    for (int step = 0; step < MAX_STEPS && r.left; step++) {
        enum AVPixelFormat fmt = formats[get8(&r) % FF_ARRAY_ELEMS(formats)];
        int w = get16(&r) % 16384 + 1, h = get8(&r) % 256 + 1;
        unsigned mode = get8(&r) % FF_ARRAY_ELEMS(modes), opt = get8(&r);
        unsigned strength = get8(&r), conv = get8(&r), threads = get8(&r);
        int nb_frames = get8(&r) % (MAX_FRAMES + 1), reuse = opt & 0x80 && g.graph;
        char args[1400];

        if ((int64_t)w * h > MAX_PIXELS)
            h = FFMAX(1, MAX_PIXELS / w);
        if (!reuse) {
            avfilter_graph_free(&g.graph);
            /* strength 0..10 (the option's range, and a little beyond in steps
             * of 0.25 to see refusal), convergence -50..50 in steps of 0.5 */
            snprintf(args, sizeof(args), "model=%s:mode=%s:strength=%g:convergence=%g:"
                     "swap=%d:renormalize=%d:threads=%d", models[opt & 1], modes[mode].name,
                     (strength % 44) * 0.25, ((int)(conv % 202) - 101) * 0.5,
                     !!(opt & 2), !!(opt & 4), (threads & 31) % 17);
            g.mode = mode;
            if (graph_open(&g, fmt, w, h, 1 + (threads >> 5), args) < 0) {
                avfilter_graph_free(&g.graph);
                cur_w = 0;
                continue;
            }
            cur_w = w;
            cur_h = h;
            check_output_config(&g, w, h);
        }
        for (int i = 0; i < nb_frames; i++) {
            AVFrame *in = make_frame(&r, fmt, w, h, pts++);
            int ret;
            if (!in)
                break;
            ret = av_buffersrc_add_frame(g.src, in);
            av_frame_free(&in);
            if (ret < 0)
                break;      /* a refused change of size or format is an error code */
            while ((ret = av_buffersink_get_frame(g.sink, out)) >= 0) {
                if (out->width != av_buffersink_get_w(g.sink) ||
                    out->height != av_buffersink_get_h(g.sink) ||
                    out->format != av_buffersink_get_format(g.sink) || !cur_w) {
                    fprintf(stderr, "frame %dx%d %s from a graph configured for %dx%d %s "
                            "(input %dx%d)\n", out->width, out->height,
                            av_get_pix_fmt_name(out->format), av_buffersink_get_w(g.sink),
                            av_buffersink_get_h(g.sink),
                            av_get_pix_fmt_name(av_buffersink_get_format(g.sink)), cur_w, cur_h);
                    abort();
                }
                av_frame_unref(out);
            }
            if (ret != AVERROR(EAGAIN))
                break;
        }
    }
    if (g.graph && av_buffersrc_close(g.src, pts, 0) >= 0)
        while (av_buffersink_get_frame(g.sink, out) >= 0)
            av_frame_unref(out);
    avfilter_graph_free(&g.graph);
    av_frame_free(&out);
    return 0;
}
