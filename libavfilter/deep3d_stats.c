/*
 * deep3d: mean and percentiles of per-frame durations in constant memory
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

#include <math.h>

#include "libavutil/common.h"

#include "deep3d_stats.h"

static int bin_of(double us)
{
    double b;

    if (!(us > DEEP3D_STATS_MIN_US))
        return 0;
    b = floor(log(us / DEEP3D_STATS_MIN_US) / log(DEEP3D_STATS_STEP));
    return b >= DEEP3D_STATS_BINS - 1 ? DEEP3D_STATS_BINS - 1 : (int)b;
}

void ff_deep3d_stats_add(Deep3DStats *s, double us)
{
    s->n++;
    s->sum += us;
    s->max  = s->n == 1 ? us : FFMAX(s->max, us);
    s->hist[bin_of(us)]++;
}

double ff_deep3d_stats_mean(const Deep3DStats *s)
{
    return s->n ? s->sum / s->n : 0;
}

double ff_deep3d_stats_percentile(const Deep3DStats *s, double pct)
{
    int64_t target = (int64_t)ceil(pct / 100 * s->n), acc = 0;

    if (!s->n)
        return 0;
    target = av_clip64(target, 1, s->n);
    for (int b = 0; b < DEEP3D_STATS_BINS; b++) {
        acc += s->hist[b];
        if (acc >= target)
            return FFMIN(DEEP3D_STATS_MIN_US * pow(DEEP3D_STATS_STEP, b + 0.5), s->max);
    }
    return s->max;
}
