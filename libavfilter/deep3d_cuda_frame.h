/*
 * deep3d: the arguments of the CUDA frame kernels that take a struct
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

/*
 * Shared by the host (deep3d_cuda_tables.c, deep3d_cuda.c) and the kernels
 * (cuda/deep3d_input.cuh, cuda/deep3d_render_pack.cuh), which take these
 * structs by value as their one parameter: plain C, no includes, device
 * addresses as unsigned long long (CUdeviceptr).
 */

#ifndef AVFILTER_DEEP3D_CUDA_FRAME_H
#define AVFILTER_DEEP3D_CUDA_FRAME_H

/* frames per input launch: the largest `batch` */
#define DEEP3D_CUDA_MAX_BATCH 32
#define DEEP3D_CUDA_MAX_PLANES 3
/* the render_pack kernel's blocks: output tiles of TILE_W x TILE_H samples */
#define DEEP3D_RP_TILE_W 32
#define DEEP3D_RP_TILE_H 8
/* input row samples per tile row render_pack stages in shared memory: shift
 * tables spanning more (with the tile's width) are read from the frame */
#define DEEP3D_RP_SEG_CAP 256
/* the input kernel's blocks */
#define DEEP3D_IN_BLOCK_X 32
#define DEEP3D_IN_BLOCK_Y 8

/*
 * The taps of one axis of the input resize, as deep3d_input.c computes them:
 * output o reads source samples idx[o * stride + k] (clamped to the plane)
 * with weights wt[o * stride + k], k < len[o].
 */
typedef struct Deep3DTapAxis {
    unsigned long long len;     ///< int[dst]
    unsigned long long idx;     ///< int[dst * stride]
    unsigned long long wt;      ///< float[dst * stride]
    int stride, pad;
} Deep3DTapAxis;

/* One frame of a batch: its planes and its colour (ff_deep3d_colour_init()). */
typedef struct Deep3DInputFrame {
    unsigned long long y, u, v;     ///< nv12 / p010: u = v, interleaved
    int pitch_y, pitch_u, pitch_v;
    float y_off, y_mul, c_off, c_mul, crv, cgu, cgv, cbu;
    int pad;
} Deep3DInputFrame;

typedef struct Deep3DInputArgs {
    Deep3DTapAxis tx[2], ty[2];     ///< [0] luma, [1] chroma
    unsigned long long dst;         ///< slot 0's 3 x nh x nw floats
    long long slot_floats;          ///< floats from one slot to the next
    int nw, nh, uv_comps, shift, bgr, pad;
    float scale, mean[3];
    Deep3DInputFrame frame[DEEP3D_CUDA_MAX_BATCH];  ///< per slot (gridDim.z)
} Deep3DInputArgs;

/*
 * Where each output column and row of a plane geometry samples the
 * probabilities (bilinear, centre-aligned; deep3d_render_soft.c
 * row_state_init and row_probs): x0[x], fx[x], y0[y], fy[y].
 */
typedef struct Deep3DSampleAxis {
    unsigned long long x0, fx;      ///< int[w], float[w]
    unsigned long long y0, fy;      ///< int[h], float[h]
} Deep3DSampleAxis;

/*
 * The soft renderer and the packing of both eyes in one kernel (the
 * stereo layouts: side by side, above-below, squeezed or not, mono,
 * alternating, interleaved), gridDim.z = plane. The rendered eye of plane
 * p is drawn into a shared-memory tile, then both eyes are written to their
 * places: in[p] / rend[p] point at the top-left sample of the input eye's
 * and the rendered eye's slot in the output plane, 0 when not shown.
 * Interleaved (weave 1..3): out[p] is the plane, both eyes at the same size.
 */
typedef struct Deep3DRenderPackArgs {
    unsigned long long src[DEEP3D_CUDA_MAX_PLANES];     ///< the input frame
    unsigned long long in[DEEP3D_CUDA_MAX_PLANES];
    unsigned long long rend[DEEP3D_CUDA_MAX_PLANES];
    unsigned long long out[DEEP3D_CUDA_MAX_PLANES];
    int src_pitch[DEEP3D_CUDA_MAX_PLANES], dst_pitch[DEEP3D_CUDA_MAX_PLANES];
    int w[DEEP3D_CUDA_MAX_PLANES], h[DEEP3D_CUDA_MAX_PLANES];        ///< input plane size
    int eye_w[DEEP3D_CUDA_MAX_PLANES], eye_h[DEEP3D_CUDA_MAX_PLANES];
    int comps[DEEP3D_CUDA_MAX_PLANES];
    int chroma[DEEP3D_CUDA_MAX_PLANES];     ///< which sample and shift tables: 0 luma, 1 chroma
    int sub_x[DEEP3D_CUDA_MAX_PLANES], sub_y[DEEP3D_CUDA_MAX_PLANES];
    int nb_planes, half_w, half_h, shift, maxval, renormalize;
    int weave;                  ///< 0, or enum Deep3DWeave
    int odd_rendered;           ///< interleaved: the rendered eye owns the odd samples
    int luma_w, luma_h, rendered;   ///< rendered: the rendered eye is shown
    int seg_cap;                ///< input row samples per tile row in shared memory
    unsigned long long probs;   ///< planes 0..D of net_h x net_w floats (0 renders nothing)
    int net_w, net_h, nb_disp, pad2;
    unsigned long long shift_int[2], shift_frac[2];     ///< luma, chroma (deep3d_cuda.c)
    Deep3DSampleAxis sample[2];                         ///< luma, chroma
} Deep3DRenderPackArgs;

#endif /* AVFILTER_DEEP3D_CUDA_FRAME_H */
