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

/* Planes x components rendered with one set of probabilities. */
#define DEEP3D_RENDER_MAX_ROWS 8

/*
 * The inner loops of the selection layer, in C (the compiler's vectorised
 * clones, deep3d_simd.h) or with AVX2 / AVX-512 intrinsics
 * (deep3d_render_soft_x86.c), picked at run time from av_get_cpu_flags().
 * Every version performs the same float operations in the same order (no
 * FMA), so all give bit-identical results.
 */
typedef struct Deep3DSoftKernel {
    int n;                  ///< rows rendered with these probabilities
    int w, nb_disp;
    const float *hrow[2];   ///< D x w: probabilities of the low-res rows above and below
    float fy;               ///< weight of hrow[1]
    const int *shift_int;   ///< per disparity plane: floor(-s_k)
    const float *shift_frac;///< and -s_k - floor(-s_k)
    const float *lp[DEEP3D_RENDER_MAX_ROWS];  ///< left-eye rows (x = 0), padded by edge samples
    float *out[DEEP3D_RENDER_MAX_ROWS];       ///< rendered rows
    float *mass;            ///< renormalize: scratch for the mass of planes 1..D (else NULL)
    float *pt;              ///< scratch of DEEP3D_RENDER_CHUNK floats (C version)
} Deep3DSoftKernel;

#define DEEP3D_RENDER_CHUNK 256

typedef struct Deep3DSoftDSP {
    const char *name;       ///< "c", "avx2", "avx512"
    /** out[r][x] = sum_k pt_k(x) * (lp[r] shifted by s_k)(x), divided by the mass if set */
    void (*render)(const Deep3DSoftKernel *k);
    /**
     * dst[k * w + x] = row_k[x0[x]] + fx[x] * (row_k[x1] - row_k[x0[x]]), x1 =
     * min(x0[x] + 1, net_w - 1), for the nb rows row_k = src + k * stride of
     * net_w probabilities: one low-res row of each plane, upsampled
     */
    void (*upsample)(float *dst, const float *src, ptrdiff_t stride, int nb,
                     const int32_t *x0, const float *fx, int w, int net_w);
    /** one-component rows to float and back (rounded, clipped to 0..maxval) */
    void (*load8)(float *dst, const uint8_t *src, int w);
    void (*load16)(float *dst, const uint16_t *src, int w, int shift);
    void (*store8)(uint8_t *dst, const float *src, int w);
    void (*store16)(uint16_t *dst, const float *src, int w, int maxval, int shift);
} Deep3DSoftDSP;

/** The fastest version for cpu_flags (av_get_cpu_flags()). */
void ff_deep3d_render_soft_dsp_init(Deep3DSoftDSP *dsp, int cpu_flags);
void ff_deep3d_render_soft_dsp_init_x86(Deep3DSoftDSP *dsp, int cpu_flags);

/**
 * State of one job rendering rows of one group of planes one at a time, in
 * increasing order (the low-res probability rows are upsampled once and
 * reused by the output rows between them). Lives in the scratch.
 */
typedef struct Deep3DSoftRows {
    const Deep3DRenderParams *p;
    Deep3DSoftDSP dsp;
    Deep3DPlaneFormat f;
    const float *probs;
    int nb_planes, n;       ///< planes, and rows (planes x components)
    int w, h, margin;
    int32_t *x0;            ///< left probability column of each output column
    float *fx;              ///< its weight of the right column
    float *hrow[2];         ///< D x w: low-res rows hrow_y[i], upsampled horizontally
    int hrow_y[2];          ///< which low-res rows they hold (-1: none)
    float fy;               ///< weight of hrow[1] for the current output row
    float *lp[DEEP3D_RENDER_MAX_ROWS];    ///< left-eye rows, padded (lp[i] + margin = x 0)
    float *out[DEEP3D_RENDER_MAX_ROWS];   ///< rendered rows
    float *mass;            ///< sum of planes 1..D per column (renormalize, depth)
    float *pt;              ///< DEEP3D_RENDER_CHUNK probabilities of one plane
    int shift_int[DEEP3D_RENDER_MAX_DISP];     ///< floor(-s_k)
    float shift_frac[DEEP3D_RENDER_MAX_DISP];  ///< -s_k - floor(-s_k)
} Deep3DSoftRows;

/**
 * Start rendering nb_planes planes of size w x h and format f (as
 * ff_deep3d_render_soft_rows()) with scratch of
 * ff_deep3d_render_soft_scratch_size() floats.
 */
void ff_deep3d_render_soft_start(Deep3DSoftRows *s, const Deep3DRenderParams *p,
                                 const Deep3DPlaneFormat *f, const float *probs,
                                 int nb_planes, int w, int h, float *scratch);

/**
 * Render row y of each plane: src[i] and dst[i] point at row y of plane i of
 * the left eye and at where the rendered row goes.
 */
void ff_deep3d_render_soft_row(Deep3DSoftRows *s, int y, const uint8_t *const *src,
                               uint8_t *const *dst);

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
