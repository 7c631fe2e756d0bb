/*
 * deep3d: host-side tables and arguments of the CUDA frame kernels
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

#ifndef AVFILTER_DEEP3D_CUDA_TABLES_H
#define AVFILTER_DEEP3D_CUDA_TABLES_H

#include <stddef.h>
#include <stdint.h>

#include "libavutil/frame.h"

#include "deep3d_cuda_frame.h"
#include "deep3d_input.h"
#include "deep3d_model.h"
#include "deep3d_pack.h"
#include "deep3d_render_soft.h"

/*
 * The frame-size dependent tables of the frame kernels, computed once at
 * configuration in one host block (uploaded as one device block): the input
 * resize's taps for luma and chroma (the maths of deep3d_input.c), and where
 * each output column and row samples the probabilities (deep3d_render_soft.c).
 * The axes in tx, ty and sample hold offsets into the block until
 * ff_deep3d_cuda_tables_place() gives them the block's device address.
 */
typedef struct Deep3DCudaTables {
    uint8_t *host;
    size_t size;
    Deep3DTapAxis tx[2], ty[2];
    Deep3DSampleAxis sample[2];
} Deep3DCudaTables;

/**
 * Tables for frames of w x h with chroma planes of cw x ch, a network input
 * of net_w x net_h and probabilities of prob_w x prob_h.
 */
int ff_deep3d_cuda_tables_build(Deep3DCudaTables *t, int w, int h, int cw, int ch,
                                int net_w, int net_h, int prob_w, int prob_h);

/** Point the axes at the block's copy at device address base. */
void ff_deep3d_cuda_tables_place(Deep3DCudaTables *t, uint64_t base);

void ff_deep3d_cuda_tables_free(Deep3DCudaTables *t);

/**
 * The shifts of docs/model-format.md section 5 for a plane of width w, as the
 * CPU path computes them (deep3d_render_soft.c): in double, split into the
 * floor of -s_k (si) and its fraction (sf).
 */
void ff_deep3d_cuda_shift_table(const Deep3DRenderParams *p, int w, int32_t *si, float *sf);

/**
 * The input kernel's arguments for frames in[0 .. nb - 1] (device frames;
 * colour[i] from ff_deep3d_colour_init() for each), into slots 0 .. nb - 1 of
 * dst (3 x in_h x in_w floats each).
 */
void ff_deep3d_cuda_input_args(Deep3DInputArgs *a, const Deep3DCudaTables *t,
                               const Deep3DModel *m, const AVFrame *const *in,
                               const Deep3DColour *const *colour, int nb, int uv_comps,
                               int shift, uint64_t dst);

/**
 * The render_pack kernel's arguments for one frame: in rendered by the soft
 * renderer with the probabilities at probs and the shift tables (luma,
 * chroma), both eyes packed into out by layout p (swap: the rendered eye is
 * the left one); rendered: whether the rendered eye is shown (else only the
 * input eye is packed). grid[3] and *shared: the launch's grid and dynamic
 * shared memory in bytes (block DEEP3D_RP_TILE_W x DEEP3D_RP_TILE_H).
 */
void ff_deep3d_cuda_render_pack_args(Deep3DRenderPackArgs *a, const Deep3DCudaTables *t,
                                     const Deep3DPack *p, const Deep3DRenderParams *sel,
                                     int swap, int rendered, int depth,
                                     const AVFrame *in, const AVFrame *out, uint64_t probs,
                                     const uint64_t shift_int[2], const uint64_t shift_frac[2],
                                     unsigned grid[3], unsigned *shared);

#endif /* AVFILTER_DEEP3D_CUDA_TABLES_H */
