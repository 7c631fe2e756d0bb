/*
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

/*
 * The filter's frames out: properties and stereo side data, and the
 * alternating layouts (al, ar), whose one packed picture goes out as two
 * frames at twice the input's frame rate.
 */

#include "libavutil/stereo3d.h"

#include "deep3d_filter.h"
#include "filters.h"
#include "video.h"

/*
 * Alternating layouts: the output runs at twice the input's frame rate, in
 * half its time base, so that every input timestamp t becomes 2t for the
 * first frame and 2t + d for the second, d being the input frame's duration
 * in the input time base: exactly half a frame later, and each output frame
 * lasts d output ticks (half the input's frame).
 */
void ff_deep3d_filter_config_timing(AVFilterLink *outlink)
{
    AVFilterLink *inlink = outlink->src->inputs[0];
    Deep3DContext *s     = outlink->src->priv;
    AVRational rate      = ff_filter_link(inlink)->frame_rate;

    if (ff_deep3d_pack_layout_frames(ff_deep3d_mode_layout(s->mode)) < 2)
        return;
    outlink->time_base = av_mul_q(inlink->time_base, (AVRational){ 1, 2 });
    ff_filter_link(outlink)->frame_rate = rate.num > 0 && rate.den > 0 ?
                                          av_mul_q(rate, (AVRational){ 2, 1 }) : rate;
    /* frames without a duration last one frame of the nominal rate */
    s->seq_duration = rate.num > 0 && rate.den > 0 ?
                      FFMAX(1, av_rescale_q(1, av_inv_q(rate), inlink->time_base)) : 1;
    if (rate.num <= 0 || rate.den <= 0)
        av_log(outlink->src, AV_LOG_WARNING, "Alternating frames of an input without a "
               "frame rate: frames without a duration are shown one tick of %d/%d apart.\n",
               outlink->time_base.num, outlink->time_base.den);
}

AVFrame *ff_deep3d_filter_get_buffer(AVFilterLink *outlink)
{
    const Deep3DContext *s = outlink->src->priv;

    return ff_get_video_buffer(outlink, s->pack.out_w, s->pack.pic_h);
}

/*
 * Alternating layouts: out holds both frames stacked (deep3d_pack.h); it
 * goes out as the first frame, a second reference to it as the second, each
 * with its own stereo side data naming its eye. out is freed on every path.
 */
static int output_sequence(AVFilterContext *ctx, AVFrame *out)
{
    Deep3DContext *s = ctx->priv;
    int64_t d = out->duration > 0 ? out->duration : s->seq_duration;
    AVFrame *second = av_frame_clone(out);
    AVStereo3D *s3d[2];
    int ret;

    if (!second) {
        av_frame_free(&out);
        return AVERROR(ENOMEM);
    }
    /* the clone shares out's side data buffers: it gets its own */
    av_frame_remove_side_data(second, AV_FRAME_DATA_STEREO3D);
    s3d[0] = (AVStereo3D *)av_frame_get_side_data(out, AV_FRAME_DATA_STEREO3D)->data;
    if (!(s3d[1] = av_stereo3d_create_side_data(second))) {
        av_frame_free(&out);
        av_frame_free(&second);
        return AVERROR(ENOMEM);
    }
    ff_deep3d_pack_stereo3d(&s->pack, s3d[1]);
    ff_deep3d_pack_sequence_frame(&s->pack, out, 0, s3d[0]);
    ff_deep3d_pack_sequence_frame(&s->pack, second, 1, s3d[1]);
    if (out->pts != AV_NOPTS_VALUE) {
        out->pts    = out->pts * 2;
        second->pts = out->pts + d;
    }
    out->duration = second->duration = d;

    ret = ff_filter_frame(ctx->outputs[0], out);
    if (ret < 0) {
        av_frame_free(&second);
        return ret;
    }
    return ff_filter_frame(ctx->outputs[0], second);
}

/* Properties and stereo side data of in onto out, and out downstream; in and
 * out are freed on every path. */
int ff_deep3d_filter_output(AVFilterContext *ctx, AVFrame *in, AVFrame *out)
{
    Deep3DContext *s = ctx->priv;
    AVStereo3D *s3d;
    int ret;

    ret = av_frame_copy_props(out, in);
    if (ret < 0)
        goto fail;
    av_frame_remove_side_data(out, AV_FRAME_DATA_STEREO3D);
    /* An anaglyph is one ordinary picture to a player: no stereo side data. */
    if (!IS_ANAGLYPH(s->mode)) {
        s3d = av_stereo3d_create_side_data(out);
        if (!s3d) {
            ret = AVERROR(ENOMEM);
            goto fail;
        }
        ff_deep3d_pack_stereo3d(&s->pack, s3d);
    }
    av_frame_free(&in);
    if (s->pack.frames > 1)
        return output_sequence(ctx, out);
    return ff_filter_frame(ctx->outputs[0], out);

fail:
    av_frame_free(&in);
    av_frame_free(&out);
    return ret;
}
