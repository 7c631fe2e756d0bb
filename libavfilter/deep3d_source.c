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

#include "libavutil/error.h"
#include "libavutil/mem.h"

#include "deep3d_source.h"

int ff_deep3d_source_open(Deep3DSource **psrc, const Deep3DSourceOps *ops, void *log_ctx,
                          const Deep3DSourceConfig *cfg)
{
    Deep3DSource *src;
    int ret;

    *psrc = NULL;
    src = av_mallocz(sizeof(*src));
    if (!src)
        return AVERROR(ENOMEM);
    src->ops = ops;
    if (ops->priv_size && !(src->priv = av_mallocz(ops->priv_size))) {
        av_free(src);
        return AVERROR(ENOMEM);
    }
    ret = ops->open(src, log_ctx, cfg);
    if (ret < 0) {
        ff_deep3d_source_free(&src);
        return ret;
    }
    *psrc = src;
    return 0;
}

int ff_deep3d_source_configure(Deep3DSource *src, void *log_ctx, const Deep3DSourceConfig *cfg)
{
    src->execute = cfg->execute;
    src->opaque  = cfg->opaque;
    src->nb_jobs = FFMAX(1, cfg->nb_jobs);
    return src->ops->configure(src, log_ctx, cfg);
}

void ff_deep3d_source_free(Deep3DSource **psrc)
{
    Deep3DSource *src = *psrc;

    if (!src)
        return;
    src->ops->close(src);
    av_freep(&src->priv);
    av_freep(psrc);
}
