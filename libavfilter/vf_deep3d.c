/*
 * deep3d: 2D to stereo 3D conversion with a Deep3D network
 *
 * This file is part of FFmpeg.
 *
 * FFmpeg is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Lesser General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 *
 * FFmpeg is distributed in the hope that it will be useful,
 * but WITHOUT ANY WARRANTY; without even the implied warranty of
 * MERCHANTABILITY or FITNESS FOR A PARTICULAR PURPOSE.  See the GNU
 * Lesser General Public License for more details.
 *
 * You should have received a copy of the GNU Lesser General Public
 * License along with FFmpeg; if not, write to the Free Software
 * Foundation, Inc., 51 Franklin Street, Fifth Floor, Boston, MA 02110-1301 USA
 */

/**
 * @file
 * Turn 2D video into stereo 3D. At this stage the second eye is the input
 * picture itself (zero disparity); the frame is packed into the requested
 * stereo layout and tagged with AV_FRAME_DATA_STEREO3D side data.
 */

#include "libavutil/opt.h"
#include "libavutil/pixdesc.h"
#include "libavutil/stereo3d.h"

#include "avfilter.h"
#include "filters.h"
#include "formats.h"
#include "video.h"

#include "deep3d_pack.h"

typedef struct Deep3DContext {
    const AVClass *class;

    int mode;               ///< enum Deep3DLayout

    Deep3DPack pack;
    int warned_stereo_input;
} Deep3DContext;

typedef struct ThreadData {
    AVFrame *out;
    const AVFrame *left, *right;
} ThreadData;

static const enum AVPixelFormat pix_fmts[] = {
    AV_PIX_FMT_GRAY8,
    AV_PIX_FMT_YUV420P, AV_PIX_FMT_YUV422P, AV_PIX_FMT_YUV444P,
    AV_PIX_FMT_YUVJ420P, AV_PIX_FMT_YUVJ422P, AV_PIX_FMT_YUVJ444P,
    AV_PIX_FMT_NV12,
    AV_PIX_FMT_RGB24, AV_PIX_FMT_BGR24, AV_PIX_FMT_RGBA, AV_PIX_FMT_BGRA, AV_PIX_FMT_GBRP,
    AV_PIX_FMT_YUV420P10, AV_PIX_FMT_YUV422P10, AV_PIX_FMT_YUV444P10,
    AV_PIX_FMT_P010,
    AV_PIX_FMT_NONE
};

static int config_output(AVFilterLink *outlink)
{
    AVFilterContext *ctx  = outlink->src;
    AVFilterLink *inlink  = ctx->inputs[0];
    Deep3DContext *s      = ctx->priv;
    int ret;

    ret = ff_deep3d_pack_init(&s->pack, ctx, s->mode, inlink->format, inlink->w, inlink->h);
    if (ret < 0)
        return ret;

    outlink->w = s->pack.out_w;
    outlink->h = s->pack.out_h;
    /* Squeezed layouts keep the input's sample aspect ratio, as vf_stereo3d
     * does: the packed frame displays with the shape of one eye. */
    outlink->sample_aspect_ratio = inlink->sample_aspect_ratio;

    av_log(ctx, AV_LOG_VERBOSE, "%dx%d %s -> %dx%d, zero disparity (no model yet)\n",
           inlink->w, inlink->h, av_get_pix_fmt_name(inlink->format),
           outlink->w, outlink->h);
    return 0;
}

static int pack_slice(AVFilterContext *ctx, void *arg, int job, int nb_jobs)
{
    Deep3DContext *s = ctx->priv;
    ThreadData *td   = arg;

    ff_deep3d_pack_slice(&s->pack, td->out, td->left, td->right, job, nb_jobs);
    return 0;
}

static int filter_frame(AVFilterLink *inlink, AVFrame *in)
{
    AVFilterContext *ctx  = inlink->dst;
    AVFilterLink *outlink = ctx->outputs[0];
    Deep3DContext *s      = ctx->priv;
    const AVFrameSideData *sd;
    AVStereo3D *s3d;
    ThreadData td;
    AVFrame *out;
    int ret;

    if (in->width != s->pack.in_w || in->height != s->pack.in_h ||
        in->format != s->pack.format) {
        av_log(ctx, AV_LOG_ERROR, "Frame changed from %dx%d %s to %dx%d %s mid-stream; "
               "the filter graph must be reconfigured for this.\n",
               s->pack.in_w, s->pack.in_h, av_get_pix_fmt_name(s->pack.format),
               in->width, in->height, av_get_pix_fmt_name(in->format));
        av_frame_free(&in);
        return AVERROR(EINVAL);
    }

    sd = av_frame_get_side_data(in, AV_FRAME_DATA_STEREO3D);
    if (sd && !s->warned_stereo_input &&
        ((const AVStereo3D *)sd->data)->type != AV_STEREO3D_2D) {
        av_log(ctx, AV_LOG_WARNING, "Input is already stereo 3D (%s); converting it as 2D.\n",
               av_stereo3d_type_name(((const AVStereo3D *)sd->data)->type));
        s->warned_stereo_input = 1;
    }

    out = ff_get_video_buffer(outlink, outlink->w, outlink->h);
    if (!out) {
        av_frame_free(&in);
        return AVERROR(ENOMEM);
    }
    ret = av_frame_copy_props(out, in);
    if (ret < 0)
        goto fail;
    av_frame_remove_side_data(out, AV_FRAME_DATA_STEREO3D);
    s3d = av_stereo3d_create_side_data(out);
    if (!s3d) {
        ret = AVERROR(ENOMEM);
        goto fail;
    }
    ff_deep3d_pack_stereo3d(&s->pack, s3d);

    td.out   = out;
    td.left  = in;
    td.right = in;
    ff_filter_execute(ctx, pack_slice, &td, NULL,
                      FFMIN(s->pack.planes[0].eye_h, ff_filter_get_nb_threads(ctx)));

    av_frame_free(&in);
    return ff_filter_frame(outlink, out);

fail:
    av_frame_free(&in);
    av_frame_free(&out);
    return ret;
}

#define OFFSET(x) offsetof(Deep3DContext, x)
#define FLAGS (AV_OPT_FLAG_FILTERING_PARAM | AV_OPT_FLAG_VIDEO_PARAM)

static const AVOption deep3d_options[] = {
    { "mode", "stereo layout of the output", OFFSET(mode), AV_OPT_TYPE_INT,
        { .i64 = DEEP3D_LAYOUT_SBSL }, 0, DEEP3D_LAYOUT_NB - 1, FLAGS, .unit = "mode" },
    { "sbsl",  "side by side, left eye first",             0, AV_OPT_TYPE_CONST, { .i64 = DEEP3D_LAYOUT_SBSL  }, 0, 0, FLAGS, .unit = "mode" },
    { "sbsr",  "side by side, right eye first",            0, AV_OPT_TYPE_CONST, { .i64 = DEEP3D_LAYOUT_SBSR  }, 0, 0, FLAGS, .unit = "mode" },
    { "sbs2l", "half-width side by side, left eye first",  0, AV_OPT_TYPE_CONST, { .i64 = DEEP3D_LAYOUT_SBS2L }, 0, 0, FLAGS, .unit = "mode" },
    { "sbs2r", "half-width side by side, right eye first", 0, AV_OPT_TYPE_CONST, { .i64 = DEEP3D_LAYOUT_SBS2R }, 0, 0, FLAGS, .unit = "mode" },
    { "abl",   "above-below, left eye on top",             0, AV_OPT_TYPE_CONST, { .i64 = DEEP3D_LAYOUT_ABL   }, 0, 0, FLAGS, .unit = "mode" },
    { "abr",   "above-below, right eye on top",            0, AV_OPT_TYPE_CONST, { .i64 = DEEP3D_LAYOUT_ABR   }, 0, 0, FLAGS, .unit = "mode" },
    { "ab2l",  "half-height above-below, left eye on top", 0, AV_OPT_TYPE_CONST, { .i64 = DEEP3D_LAYOUT_AB2L  }, 0, 0, FLAGS, .unit = "mode" },
    { "ab2r",  "half-height above-below, right eye on top",0, AV_OPT_TYPE_CONST, { .i64 = DEEP3D_LAYOUT_AB2R  }, 0, 0, FLAGS, .unit = "mode" },
    { "tbl",   "same as abl",                              0, AV_OPT_TYPE_CONST, { .i64 = DEEP3D_LAYOUT_ABL   }, 0, 0, FLAGS, .unit = "mode" },
    { "tbr",   "same as abr",                              0, AV_OPT_TYPE_CONST, { .i64 = DEEP3D_LAYOUT_ABR   }, 0, 0, FLAGS, .unit = "mode" },
    { "tb2l",  "same as ab2l",                             0, AV_OPT_TYPE_CONST, { .i64 = DEEP3D_LAYOUT_AB2L  }, 0, 0, FLAGS, .unit = "mode" },
    { "tb2r",  "same as ab2r",                             0, AV_OPT_TYPE_CONST, { .i64 = DEEP3D_LAYOUT_AB2R  }, 0, 0, FLAGS, .unit = "mode" },
    { "ml",    "mono, left eye only",                      0, AV_OPT_TYPE_CONST, { .i64 = DEEP3D_LAYOUT_ML    }, 0, 0, FLAGS, .unit = "mode" },
    { "mr",    "mono, right eye only",                     0, AV_OPT_TYPE_CONST, { .i64 = DEEP3D_LAYOUT_MR    }, 0, 0, FLAGS, .unit = "mode" },
    { "sbs",   "same as sbsl",                             0, AV_OPT_TYPE_CONST, { .i64 = DEEP3D_LAYOUT_SBSL  }, 0, 0, FLAGS, .unit = "mode" },
    { "hsbs",  "same as sbs2l",                            0, AV_OPT_TYPE_CONST, { .i64 = DEEP3D_LAYOUT_SBS2L }, 0, 0, FLAGS, .unit = "mode" },
    { "tb",    "same as abl",                              0, AV_OPT_TYPE_CONST, { .i64 = DEEP3D_LAYOUT_ABL   }, 0, 0, FLAGS, .unit = "mode" },
    { "htb",   "same as ab2l",                             0, AV_OPT_TYPE_CONST, { .i64 = DEEP3D_LAYOUT_AB2L  }, 0, 0, FLAGS, .unit = "mode" },
    { NULL }
};

AVFILTER_DEFINE_CLASS(deep3d);

static const AVFilterPad deep3d_inputs[] = {
    {
        .name         = "default",
        .type         = AVMEDIA_TYPE_VIDEO,
        .filter_frame = filter_frame,
    },
};

static const AVFilterPad deep3d_outputs[] = {
    {
        .name         = "default",
        .type         = AVMEDIA_TYPE_VIDEO,
        .config_props = config_output,
    },
};

const AVFilter ff_vf_deep3d = {
    .name          = "deep3d",
    .description   = NULL_IF_CONFIG_SMALL("Convert 2D video to stereo 3D with a Deep3D network."),
    .priv_size     = sizeof(Deep3DContext),
    .priv_class    = &deep3d_class,
    FILTER_INPUTS(deep3d_inputs),
    FILTER_OUTPUTS(deep3d_outputs),
    FILTER_PIXFMTS_ARRAY(pix_fmts),
    .flags         = AVFILTER_FLAG_SLICE_THREADS,
};
