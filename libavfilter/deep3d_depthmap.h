/*
 * deep3d: a depth map as disparity planes
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

#ifndef AVFILTER_DEEP3D_DEPTHMAP_H
#define AVFILTER_DEEP3D_DEPTHMAP_H

#include <stddef.h>

#include "deep3d_model.h"

/*
 * A relative inverse-depth map (larger = nearer, known only up to scale and
 * offset) becomes disparity probabilities (docs/onnx.md, "From depth to
 * disparity"):
 *  1. lo, hi: the lo_pct and hi_pct percentiles of the map, each the order
 *     statistic of index floor(pct * (n - 1) / 100) (0-based, ascending);
 *  2. t = clip((z - lo) / (hi - lo), 0, 1) in double, rounded to float
 *     (t = 0.5 everywhere when hi <= lo: a flat map sits mid-range);
 *  3. disparity d = disp_max - t * (disp_max - disp_min) in double, rounded
 *     to float: the nearest points get disp_min (in front of the screen),
 *     the farthest disp_max;
 *  4. f = d - disp_min, k = min(floor(f), D - 2), w = f - k (float): plane
 *     1 + k gets 1 - w, plane 2 + k gets w, every other plane (plane 0
 *     included) 0. So the expected disparity is d, and the soft renderer, the
 *     hard renderer, the temporal smoothing and every layout take it as they
 *     take a network's probabilities.
 * tools/deep3d_depthmap.py is the reference.
 */

/* The disparity planes of an ONNX depth source: those of the built-in model
 * (17 planes, -8..8 px at width 256, so +-3.1% of the width), so strength,
 * convergence, max_popout and max_depth mean the same as with it and the
 * soft renderer costs the same. */
#define DEEP3D_DEPTHMAP_DISP_MIN   -8
#define DEEP3D_DEPTHMAP_DISP_MAX    8
#define DEEP3D_DEPTHMAP_DISP_WIDTH  256
/* Percentiles of the robust range: 2% of the picture may lie beyond each end. */
#define DEEP3D_DEPTHMAP_LO_PCT      2.0
#define DEEP3D_DEPTHMAP_HI_PCT      98.0

typedef struct Deep3DDepthMap Deep3DDepthMap;

/** For maps of npix values. */
int ff_deep3d_depthmap_init(Deep3DDepthMap **dm, size_t npix, double lo_pct, double hi_pct);

/**
 * The order statistic of index k (0-based, ascending) of v[0..n-1]; v is
 * reordered. Exact, O(n) expected, O(n log n) at worst.
 */
float ff_deep3d_select_kth(float *v, size_t n, size_t k);

/**
 * Map depth (m->in_h x m->in_w values) to m->nb_prob planes of probs for the
 * geometry m. Returns AVERROR_INVALIDDATA, with *bad set to the index of the
 * first one, when a value is not finite; else 0, with *lo and *hi the
 * percentiles used (either pointer may be NULL).
 */
int ff_deep3d_depthmap_to_probs(Deep3DDepthMap *dm, const Deep3DModel *m, const float *depth,
                                float *probs, float *lo, float *hi, size_t *bad);

void ff_deep3d_depthmap_free(Deep3DDepthMap **dm);

#endif /* AVFILTER_DEEP3D_DEPTHMAP_H */
