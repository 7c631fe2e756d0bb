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

#ifndef AVFILTER_DEEP3D_STATS_H
#define AVFILTER_DEEP3D_STATS_H

#include <stdint.h>

/*
 * Durations in microseconds, any number of them: the exact count, sum and
 * maximum, and a histogram of logarithmic bins, each DEEP3D_STATS_STEP times
 * the one below, from DEEP3D_STATS_MIN_US (below: the first bin) to about a
 * minute (above: the last), so a percentile is known to within half a bin
 * (1%) at any run length.
 */
#define DEEP3D_STATS_BINS   1024
#define DEEP3D_STATS_MIN_US 0.1
#define DEEP3D_STATS_STEP   1.02

typedef struct Deep3DStats {
    int64_t n;
    double sum, max;
    uint32_t hist[DEEP3D_STATS_BINS];
} Deep3DStats;

void ff_deep3d_stats_add(Deep3DStats *s, double us);

/** The mean; 0 without samples. */
double ff_deep3d_stats_mean(const Deep3DStats *s);

/**
 * The pct-th percentile (0 < pct <= 100): the geometric centre of the bin
 * holding the ceil(pct / 100 * n)-th smallest sample, at most the maximum;
 * 0 without samples.
 */
double ff_deep3d_stats_percentile(const Deep3DStats *s, double pct);

#endif /* AVFILTER_DEEP3D_STATS_H */
