/*
 * deep3d: CUDA kernels on video frames (network input, selection, packing)
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
 * The GPU path's frame kernels (one PTX module): the entry points for 8-bit and
 * 16-bit containers; the kernels themselves are in one header per concern, next
 * to the name of their CPU twin (deep3d_input.cuh, deep3d_render_soft.cuh,
 * deep3d_render_hard.cuh, deep3d_pack.cuh, deep3d_render_pack.cuh, deep3d_anaglyph.cuh,
 * deep3d_temporal.cuh, deep3d_conv.cuh), for the YUV formats of CUDA frames (nv12, p010, yuv420p,
 * yuv444p). Each computes
 * what its CPU twin computes, in the same float order where it matters, so
 * the two paths agree to within float rounding (tests/fate/deep3d.mak,
 * FATE_HW). Samples are read straight from the frame's planes (pitch in
 * bytes); 16-bit containers hold the value `shift` bits up (p010: 6).
 */

#include "deep3d_cuda.cuh"
#include "deep3d_anaglyph.cuh"
#include "deep3d_conv.cuh"
#include "deep3d_input.cuh"
#include "deep3d_pack.cuh"
#include "deep3d_render_hard.cuh"
#include "deep3d_render_pack.cuh"
#include "deep3d_render_soft.cuh"
#include "deep3d_temporal.cuh"

/* ---- entry points: 8-bit and 16-bit containers ---- */

#define SELECT_ARGS                                                                 \
    const unsigned char *src, int src_pitch, unsigned char *dst, int dst_pitch,     \
    int w, int h, int comps, int shift, int maxval, const float *probs,             \
    int net_w, int net_h, int nb_disp, const int *shift_int,                        \
    const float *shift_frac, int renormalize
#define SELECT_PASS src, src_pitch, dst, dst_pitch, w, h, comps, shift, maxval,     \
    probs, net_w, net_h, nb_disp, shift_int, shift_frac, renormalize

#define PACK_ARGS                                                                   \
    const unsigned char *src, int src_pitch, unsigned char *dst, int dst_pitch,     \
    int eye_w, int eye_h, int src_w, int src_h, int comps, int half_w, int half_h,  \
    int shift
#define PACK_PASS src, src_pitch, dst, dst_pitch, eye_w, eye_h, src_w, src_h,       \
    comps, half_w, half_h, shift

#define INTERLEAVE_ARGS                                                             \
    const unsigned char *even, int even_pitch, const unsigned char *odd,            \
    int odd_pitch, unsigned char *dst, int dst_pitch, int w, int h, int comps,      \
    int sub_y, int luma_h, int shift, int sub_x, int luma_w, int weave
#define INTERLEAVE_PASS even, even_pitch, odd, odd_pitch, dst, dst_pitch, w, h,     \
    comps, sub_y, luma_h, shift, sub_x, luma_w, weave

#define DEPTH_ARGS                                                                  \
    unsigned char *dst, int dst_pitch, int w, int h, int comps, int shift,          \
    int maxval, int chroma, const float *probs, int net_w, int net_h, int nb_disp
#define DEPTH_PASS dst, dst_pitch, w, h, comps, shift, maxval, chroma, probs,       \
    net_w, net_h, nb_disp

#define ANAGLYPH_ARGS                                                               \
    const unsigned char *ly, const unsigned char *lu, const unsigned char *lv,      \
    int l_pitch_y, int l_pitch_c, const unsigned char *ry, const unsigned char *ru, \
    const unsigned char *rv, int r_pitch_y, int r_pitch_c, unsigned char *dy,       \
    unsigned char *du, unsigned char *dv, int d_pitch_y, int d_pitch_c, int w,      \
    int h, int cw, int ch, int sub_x, int sub_y, int uv_comps, int shift,           \
    int maxval, const float *k, float *uv
#define ANAGLYPH_PASS ly, lu, lv, l_pitch_y, l_pitch_c, ry, ru, rv, r_pitch_y,      \
    r_pitch_c, dy, du, dv, d_pitch_y, d_pitch_c, w, h, cw, ch, sub_x, sub_y,        \
    uv_comps, shift, maxval, k, uv

#define ANAGLYPH_CHROMA_ARGS                                                        \
    const float *uv, int w, int h, unsigned char *du, unsigned char *dv,            \
    int d_pitch_c, int cw, int ch, int sub_x, int sub_y, int uv_comps, int shift,   \
    int maxval, const float *k
#define ANAGLYPH_CHROMA_PASS uv, w, h, du, dv, d_pitch_c, cw, ch, sub_x, sub_y,     \
    uv_comps, shift, maxval, k

#define HARD_ARGS                                                                   \
    const unsigned char *src, int src_pitch, unsigned char *dst, int dst_pitch,     \
    int w, int h, int comps, int shift, int maxval, const float *ed,                \
    int net_w, int net_h, const double *kc, float *scratch
/* kc: the plane's gain and offset, on the device (convergence=auto writes them) */
#define HARD_PASS src, src_pitch, dst, dst_pitch, w, h, comps, shift, maxval, ed,   \
    net_w, net_h, kc[0], kc[1], scratch

extern "C" {

__global__ void deep3d_scene_rows(const float *in, const float *prev, float *rows, int net_w,
                                  int nb_rows)
{
    scene_rows(in, prev, rows, net_w, nb_rows);
}
__global__ void deep3d_scene_decide(const float *rows, int nb_rows, double denom, float levels,
                                    float scenecut, int measure, int *cut, double *dist)
{
    scene_decide(rows, nb_rows, denom, levels, scenecut, measure, cut, dist);
}
__global__ void deep3d_conv_hist(const float *ed, int npix, int disp_min, double range,
                                 unsigned *hist)
{
    conv_hist(ed, npix, disp_min, range, hist);
}
__global__ void deep3d_conv_decide(unsigned *hist, Deep3DConvConsts k, double *state, int reset,
                                   const int *cut, float strength, int disp_min, int disp_max,
                                   int disp_width, int nb_disp, int luma_w, int chroma_w,
                                   unsigned char *tables, double *kc, Deep3DConvReport *report)
{
    conv_decide(hist, k, state, reset, cut, strength, disp_min, disp_max, disp_width, nb_disp,
                luma_w, chroma_w, tables, kc, report);
}
__global__ void deep3d_smooth(const float *in, float *prev, const float *probs, float *state,
                              int npix, int nb_prob, float alpha0, float inv_motion, int fresh,
                              const int *cut)
{
    smooth(in, prev, probs, state, npix, nb_prob, alpha0, inv_motion, fresh, cut);
}
__global__ void deep3d_expected(const float *probs, float *ed, int npix, int nb_disp,
                                int disp_min, float disp_max)
{
    expected(probs, ed, npix, nb_disp, disp_min, disp_max);
}
__global__ void deep3d_dilate(const float *state, const float *ed, float *dst, int net_w,
                              int net_h, int nb_prob, int r)
{
    dilate(state, ed, dst, net_w, net_h, nb_prob, r);
}
__global__ void deep3d_hard_8(HARD_ARGS)     { hard<unsigned char>(HARD_PASS); }
__global__ void deep3d_hard_16(HARD_ARGS)    { hard<unsigned short>(HARD_PASS); }

/* one launch per batch: gridDim.z = slot */
__global__ void deep3d_input_8(Deep3DInputArgs a)  { input<unsigned char>(a); }
__global__ void deep3d_input_16(Deep3DInputArgs a) { input<unsigned short>(a); }
/* one launch per frame: gridDim.z = plane; shared memory as render_pack() says */
__global__ void deep3d_render_pack_8(Deep3DRenderPackArgs a)  { render_pack<unsigned char>(a); }
__global__ void deep3d_render_pack_16(Deep3DRenderPackArgs a) { render_pack<unsigned short>(a); }
__global__ void deep3d_select_8(SELECT_ARGS) { select<unsigned char>(SELECT_PASS); }
__global__ void deep3d_select_16(SELECT_ARGS){ select<unsigned short>(SELECT_PASS); }
__global__ void deep3d_pack_8(PACK_ARGS)     { pack<unsigned char>(PACK_PASS); }
__global__ void deep3d_pack_16(PACK_ARGS)    { pack<unsigned short>(PACK_PASS); }
__global__ void deep3d_interleave_8(INTERLEAVE_ARGS)  { interleave<unsigned char>(INTERLEAVE_PASS); }
__global__ void deep3d_interleave_16(INTERLEAVE_ARGS) { interleave<unsigned short>(INTERLEAVE_PASS); }
__global__ void deep3d_depth_8(DEPTH_ARGS)   { depth<unsigned char>(DEPTH_PASS); }
__global__ void deep3d_depth_16(DEPTH_ARGS)  { depth<unsigned short>(DEPTH_PASS); }
__global__ void deep3d_anaglyph_8(ANAGLYPH_ARGS)  { anaglyph<unsigned char>(ANAGLYPH_PASS); }
__global__ void deep3d_anaglyph_16(ANAGLYPH_ARGS) { anaglyph<unsigned short>(ANAGLYPH_PASS); }
__global__ void deep3d_anaglyph_chroma_8(ANAGLYPH_CHROMA_ARGS)
{
    anaglyph_chroma<unsigned char>(ANAGLYPH_CHROMA_PASS);
}
__global__ void deep3d_anaglyph_chroma_16(ANAGLYPH_CHROMA_ARGS)
{
    anaglyph_chroma<unsigned short>(ANAGLYPH_CHROMA_PASS);
}

}
