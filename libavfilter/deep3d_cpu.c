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

#include <inttypes.h>

#include "libavutil/error.h"
#include "libavutil/log.h"
#include "libavutil/mem.h"
#include "libavutil/time.h"

#include "deep3d_cpu.h"

struct Deep3DCpu {
    Deep3DCpuConfig cfg;
    Deep3DSource *src;
    Deep3DRender *render;
    Deep3DTemporal *temporal;
    int auto_conv;
    /* time spent per stage, reported at free (verbose) for benchmarks */
    int64_t nb_frames, t_input, t_network, t_temporal, t_select, t_pack;
};

int ff_deep3d_cpu_init(Deep3DCpu **pc, void *log_ctx, const Deep3DCpuConfig *cfg)
{
    Deep3DSourceConfig scfg = {
        .nb_jobs = cfg->nb_jobs, .execute = cfg->execute, .opaque = cfg->opaque,
        .cpu_engine = cfg->cpu_engine, .precision = cfg->precision,
    };
    Deep3DRenderConfig rcfg = {
        .geometry = cfg->source->geometry, .pack = cfg->pack, .render = cfg->render,
        .output = cfg->output, .anaglyph = cfg->anaglyph, .swap = cfg->swap,
        .nb_jobs = cfg->nb_jobs, .execute = cfg->execute, .opaque = cfg->opaque,
    };
    Deep3DCpu *c;
    int ret;

    *pc = NULL;
    if (!(c = av_mallocz(sizeof(*c))))
        return AVERROR(ENOMEM);
    c->cfg = *cfg;
    c->cfg.temporal = NULL;     /* the caller's, read here only */
    c->src = cfg->source;
    if ((ret = ff_deep3d_source_configure(c->src, log_ctx, &scfg)) < 0 ||
        (ret = ff_deep3d_render_init(&c->render, log_ctx, &rcfg)) < 0)
        goto fail;
    if (cfg->temporal) {
        c->auto_conv = cfg->temporal->auto_conv;
        if ((ret = ff_deep3d_temporal_init(&c->temporal, c->src->geometry, cfg->temporal)) < 0)
            goto fail;
    }
    *pc = c;
    return 0;
fail:
    ff_deep3d_cpu_free(&c, log_ctx);
    return ret;
}

int ff_deep3d_cpu_render(Deep3DCpu *c, void *log_ctx, AVFrame *out, const AVFrame *in,
                         float strength, float convergence)
{
    Deep3DRenderParams sel = ff_deep3d_render_params(c->src->geometry, strength, convergence,
                                                     c->cfg.renormalize);
    int64_t t0, t1, t2, t3;
    int ret;

    t0 = av_gettime_relative();
    if (ff_deep3d_render_needs_depth(c->render)) {
        Deep3DAutoConv conv;
        if ((ret = ff_deep3d_source_run(c->src, log_ctx, in)) < 0)
            return ret;
        t1 = av_gettime_relative();
        if (c->temporal) {
            ff_deep3d_temporal_process(c->temporal, log_ctx, c->src->image, c->src->probs,
                                       in->pts, c->cfg.time_base, c->cfg.frame_rate,
                                       strength, &conv);
            if (c->auto_conv) {
                sel.strength    = strength * conv.gain;
                sel.convergence = conv.convergence;
            }
        }
        t2 = av_gettime_relative();
        if ((ret = ff_deep3d_render_eye(c->render, out, in, c->src->probs, &sel)) < 0)
            return ret;
        t3 = av_gettime_relative();
        c->t_input    += c->src->t_input;
        c->t_network  += t1 - t0 - c->src->t_input;
        c->t_temporal += t2 - t1;
        c->t_select   += t3 - t2;
    }
    t0 = av_gettime_relative();
    ret = ff_deep3d_render_pack(c->render, log_ctx, out, in);
    c->t_pack += av_gettime_relative() - t0;
    c->nb_frames++;
    return ret;
}

void ff_deep3d_cpu_free(Deep3DCpu **pc, void *log_ctx)
{
    Deep3DCpu *c = *pc;
    int64_t n;

    if (!c)
        return;
    if (c->temporal) {
        int64_t frames, resets;
        ff_deep3d_temporal_stats(c->temporal, &frames, &resets);
        av_log(log_ctx, AV_LOG_VERBOSE, "temporal: %"PRId64" frames, %"PRId64" resets\n",
               frames, resets);
    }
    if ((n = c->nb_frames))
        av_log(log_ctx, AV_LOG_VERBOSE, "%"PRId64" frames, ms per frame: input %.3f network %.3f "
               "temporal %.3f selection %.3f packing %.3f\n", n, c->t_input / 1e3 / n,
               c->t_network / 1e3 / n, c->t_temporal / 1e3 / n, c->t_select / 1e3 / n,
               c->t_pack / 1e3 / n);
    ff_deep3d_temporal_free(&c->temporal);
    ff_deep3d_render_free(&c->render);
    av_freep(pc);
}
