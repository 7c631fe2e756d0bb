/*
 * deep3d: hard renderer, the second eye warped from the expected disparity
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

#ifndef AVFILTER_DEEP3D_RENDER_HARD_H
#define AVFILTER_DEEP3D_RENDER_HARD_H

#include <stddef.h>
#include <stdint.h>

#include "deep3d_render_soft.h"

/*
 * The alternative to the soft selection (render=hard): every left-eye sample
 * moves by the shift of its expected disparity, s = (E[d] * strength /
 * disparity_width + convergence / 100) * W, as in docs/model-format.md
 * section 5 but with one shift per pixel instead of a mixture. A forward warp
 * row by row: between two neighbouring samples the picture is interpolated
 * linearly, where they land on the same place the nearer one (smaller shift)
 * wins, and where they move apart by more than HOLE_GAP samples (a
 * disocclusion) the gap is filled with the farther of the two, the
 * background, instead of being stretched. Samples nothing lands on (the
 * borders) take the nearest written sample of the row.
 */

/** Floats of scratch one call needs for a plane of width w. */
size_t ff_deep3d_render_hard_scratch_size(int w);

/**
 * Render rows [y0, y1) of nb_planes planes of the same size and format, as
 * ff_deep3d_render_soft_rows() does, from ed: the expected disparity of every
 * network pixel (net_h x net_w, pixels at disp_width), sampled bilinearly
 * with pixel-centre alignment.
 */
void ff_deep3d_render_hard_rows(const Deep3DRenderParams *p, const Deep3DPlaneFormat *f,
                         const float *ed, int nb_planes,
                         const uint8_t *const *src, const int *src_linesize,
                         uint8_t *const *dst, const int *dst_linesize,
                         int w, int h, int y0, int y1, float *scratch);

#endif /* AVFILTER_DEEP3D_RENDER_HARD_H */
