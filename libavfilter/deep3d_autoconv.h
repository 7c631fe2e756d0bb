/*
 * deep3d: the constants of convergence=auto shared by the CPU and the GPU
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

#ifndef AVFILTER_DEEP3D_AUTOCONV_H
#define AVFILTER_DEEP3D_AUTOCONV_H

/*
 * Plain C with no includes: read by deep3d_temporal.c and by the kernel of
 * cuda/deep3d_conv.cuh, so the two compute the same decision from the same
 * numbers (docs/temporal.md).
 */

/** Bins of the expected-disparity histogram (disp_min .. disp_max). */
#define DEEP3D_CONV_HIST_BINS 1024
/** Percent of the picture outside the hard parallax limits (each side). */
#define DEEP3D_CONV_LIMIT_PERCENTILE 1.0
/** The convergence is kept within +-DEEP3D_CONV_MAX percent of the width. */
#define DEEP3D_CONV_MAX 50

/*
 * The frame-independent numbers of the decision, computed once on the host
 * (ff_deep3d_temporal_conv_consts()) in the CPU path's own precision, so
 * the GPU receives them bit for bit rather than recomputing them.
 */
typedef struct Deep3DConvConsts {
    double lo, range;           ///< disp_min, disp_max - disp_min
    double to_pct;              ///< disparity -> percent of the width (float precision, as the CPU)
    double budget;              ///< max_popout + max_depth (summed in float, as the CPU)
    double max_popout, max_depth;
    double a;                   ///< the smoothing step 1 - exp(-1 / conv_smooth)
    int smooth;                 ///< conv_smooth > 0: the decision is smoothed over time
    unsigned long long target_q, target_lo, target_hi;   ///< pixel counts of the percentiles
} Deep3DConvConsts;

/* What one frame's decision was, for the debug log (the GPU leaves it in pinned memory). */
typedef struct Deep3DConvReport {
    double conv, target, gain, par_lo, par_hi;
} Deep3DConvReport;

#endif /* AVFILTER_DEEP3D_AUTOCONV_H */
