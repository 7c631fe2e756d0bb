/*
 * deep3d: the selection layer, rendering the second eye at output resolution
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

#ifndef AVFILTER_DEEP3D_RENDER_SOFT_H
#define AVFILTER_DEEP3D_RENDER_SOFT_H

#include <stddef.h>
#include <stdint.h>

/*
 * docs/model-format.md, section 5: the disparity probabilities (K planes at
 * network resolution) are sampled bilinearly at each output sample, and the
 * right eye is the probability-weighted sum of D horizontally shifted,
 * linearly interpolated copies of the left eye. Plane 0 renders nothing.
 * Never materialises full-resolution probability volumes: one row at a time.
 */

#define DEEP3D_RENDER_MAX_DISP 256

typedef struct Deep3DRenderParams {
    int net_w, net_h;       ///< size of the probability planes
    int nb_disp;            ///< D; the probabilities have D + 1 planes
    int disp_min;           ///< shift of plane 1, in pixels at disp_width
    int disp_width;
    float strength;         ///< disparity multiplier
    float convergence;      ///< added to every shift, in percent of the width
    int renormalize;        ///< divide by the mass of planes 1..D
} Deep3DRenderParams;

/* How the samples of one image plane are stored. */
typedef struct Deep3DPlaneFormat {
    int comps;              ///< interleaved components (3 for rgb24, 2 for nv12 UV)
    int elem_size;          ///< 1 or 2 bytes per component
    int shift;              ///< bits the sample sits above bit 0 (p010: 6)
    int depth;              ///< bits per sample
} Deep3DPlaneFormat;

/** Floats of scratch one call needs for a plane of width w. */
size_t ff_deep3d_render_soft_scratch_size(const Deep3DRenderParams *p, int w);

/**
 * Render rows [y0, y1) of nb_planes planes of the same size w x h and sample
 * format (the U and V planes share their probabilities); nb_planes times the
 * components per pixel is at most 8. src[i] and dst[i]
 * are plane i of the left and the right eye. probs: (D + 1) x net_h x net_w.
 */
void ff_deep3d_render_soft_rows(const Deep3DRenderParams *p, const Deep3DPlaneFormat *f,
                           const float *probs, int nb_planes,
                           const uint8_t *const *src, const int *src_linesize,
                           uint8_t *const *dst, const int *dst_linesize,
                           int w, int h, int y0, int y1, float *scratch);

/**
 * The same on float planes (no rounding): for tests against the reference.
 */
void ff_deep3d_render_soft_rows_float(const Deep3DRenderParams *p, const float *probs,
                                 const float *src, float *dst, int w, int h,
                                 int y0, int y1, float *scratch);

/**
 * Draw rows [y0, y1) of the expected disparity over planes 1..D as a picture:
 * the nearest shift (disp_min) is white, the farthest black. Chroma planes
 * (chroma != 0) are written neutral grey.
 */
void ff_deep3d_render_depth_rows(const Deep3DRenderParams *p, const Deep3DPlaneFormat *f,
                                 const float *probs, int chroma, uint8_t *dst,
                                 ptrdiff_t dst_linesize, int w, int h, int y0, int y1,
                                 float *scratch);

#endif /* AVFILTER_DEEP3D_RENDER_SOFT_H */
