/*
 * deep3d: packing of a left and a right eye into a stereo frame layout
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

#ifndef AVFILTER_DEEP3D_PACK_H
#define AVFILTER_DEEP3D_PACK_H

#include "libavutil/frame.h"
#include "libavutil/pixfmt.h"
#include "libavutil/stereo3d.h"

/* Output layouts; names follow vf_stereo3d. */
enum Deep3DLayout {
    DEEP3D_LAYOUT_SBSL,     ///< side by side, left eye first, full width
    DEEP3D_LAYOUT_SBSR,     ///< side by side, right eye first, full width
    DEEP3D_LAYOUT_SBS2L,    ///< side by side, left first, each eye squeezed to half width
    DEEP3D_LAYOUT_SBS2R,    ///< side by side, right first, half width
    DEEP3D_LAYOUT_ABL,      ///< above-below, left eye on top, full height
    DEEP3D_LAYOUT_ABR,      ///< above-below, right eye on top, full height
    DEEP3D_LAYOUT_AB2L,     ///< above-below, left on top, each eye squeezed to half height
    DEEP3D_LAYOUT_AB2R,     ///< above-below, right on top, half height
    DEEP3D_LAYOUT_ML,       ///< mono, left eye only
    DEEP3D_LAYOUT_MR,       ///< mono, right eye only
    DEEP3D_LAYOUT_IRL,      ///< interleaved rows, left eye on the even rows (0, 2, ...)
    DEEP3D_LAYOUT_IRR,      ///< interleaved rows, right eye on the even rows
    DEEP3D_LAYOUT_ICL,      ///< interleaved columns, left eye on the even columns (0, 2, ...)
    DEEP3D_LAYOUT_ICR,      ///< interleaved columns, right eye on the even columns
    DEEP3D_LAYOUT_CHL,      ///< checkerboard, left eye where x + y is even
    DEEP3D_LAYOUT_CHR,      ///< checkerboard, right eye where x + y is even
    DEEP3D_LAYOUT_AL,       ///< alternating frames, left eye first (two frames per input frame)
    DEEP3D_LAYOUT_AR,       ///< alternating frames, right eye first
    DEEP3D_LAYOUT_NB
};

/* How the interleaved layouts share the pixels of one frame between the eyes:
 * luma pixel (x, y) belongs to the even eye when the coordinate(s) named here
 * sum to an even number. */
enum Deep3DWeave {
    DEEP3D_WEAVE_NONE,      /* the values are the CUDA interleave kernel's weave argument */
    DEEP3D_WEAVE_ROWS,      ///< y (irl, irr)
    DEEP3D_WEAVE_COLUMNS,   ///< x (icl, icr)
    DEEP3D_WEAVE_CHECKER,   ///< x + y (chl, chr)
};

#define DEEP3D_PACK_MAX_PLANES 4

typedef struct Deep3DPackPlane {
    int bytes_per_pixel;    ///< bytes of one pixel in this plane (3 for rgb24, 2 for nv12 UV)
    int elem_size;          ///< bytes per component sample: 1 or 2
    int shift;              ///< bits the sample is shifted left in its container (p010: 6)
    int sub_x;              ///< log2 of the luma columns one column of this plane covers
    int sub_y;              ///< log2 of the luma rows one row of this plane covers
    int w, h;               ///< plane size of one input eye, in plane pixels
    int eye_w, eye_h;       ///< plane size of one eye in the output, in plane pixels
    int left_x, left_y;     ///< where the left eye goes in the output plane
    int right_x, right_y;   ///< where the right eye goes in the output plane
} Deep3DPackPlane;

typedef struct Deep3DPack {
    enum Deep3DLayout layout;
    enum AVPixelFormat format;
    int in_w, in_h;         ///< size of one input eye (luma)
    int out_w, out_h;       ///< size of the output frames (luma)
    int pic_h;              ///< rows of the packed picture: out_h, or both frames of al / ar
    int half_w, half_h;     ///< each eye is box-filtered 2:1 horizontally / vertically
    int has_left, has_right;///< which eyes appear in the output
    int interleave;         ///< enum Deep3DWeave: pixels alternate between the eyes
    int right_on_even;      ///< interleave: the right eye has the even pixels (irr, icr, chr)
    /**
     * Output frames per input frame: 1, or 2 for the alternating layouts. Those
     * are planned as one picture of both frames stacked (the one shown first on
     * top; pic_h rows in all, the second frame starting on a chroma row), which
     * the caller allocates, has packed as an above-below picture, and splits
     * into two frames of out_w x out_h with ff_deep3d_pack_sequence_frame().
     */
    int frames;
    int nb_planes;
    Deep3DPackPlane planes[DEEP3D_PACK_MAX_PLANES];
} Deep3DPack;

/**
 * Return nonzero if the packing code supports this pixel format.
 */
int ff_deep3d_pack_format_supported(enum AVPixelFormat fmt);

/**
 * Plan the packing of two eyes of size w x h in format fmt into layout.
 * Fails with AVERROR(EINVAL) and a log message naming the reason when the size
 * cannot be packed in this format (an odd width with subsampled chroma, say).
 */
int ff_deep3d_pack_init(Deep3DPack *p, void *log_ctx, enum Deep3DLayout layout,
                        enum AVPixelFormat fmt, int w, int h);

/**
 * Pack rows [job * n / nb_jobs, (job + 1) * n / nb_jobs) of every output eye,
 * so that nb_jobs calls with job = 0 .. nb_jobs - 1 write the whole frame.
 * left and right are frames of the planned input size and format; right may
 * be the same frame as left (zero disparity).
 */
void ff_deep3d_pack_slice(const Deep3DPack *p, AVFrame *out,
                          const AVFrame *left, const AVFrame *right,
                          int job, int nb_jobs);

/**
 * The rows of one eye (right: 0 left, 1 right) that output row y (in
 * [0, eye_h)) of plane needs: returns how many (0: none, at most 2), the
 * first in *first. Rows an output row does not show are never needed (the
 * odd eye's rows of irl, say), so a caller rendering the eye row by row can
 * skip them.
 */
int ff_deep3d_pack_rows_needed(const Deep3DPack *p, int plane, int y, int right, int *first);

/**
 * Pack output row y of plane from the eye rows ff_deep3d_pack_rows_needed()
 * named: left[j] and right[j] are row first + j of each eye (NULL where not
 * needed). ff_deep3d_pack_slice() is this for every row of its slice; the
 * renderer calls it with rows it has just rendered (one pass, no eye frame).
 */
void ff_deep3d_pack_row(const Deep3DPack *p, int plane, AVFrame *out, int y,
                        const uint8_t *const *left, const uint8_t *const *right);

/**
 * Fill the AVStereo3D description of the packed frame (of an alternating
 * layout: of its first frame).
 */
void ff_deep3d_pack_stereo3d(const Deep3DPack *p, AVStereo3D *s3d);

/**
 * Output frames per input frame of a layout: 2 for al and ar, else 1.
 */
int ff_deep3d_pack_layout_frames(enum Deep3DLayout layout);

/**
 * Alternating layouts: make f, a reference to the packed picture (software or
 * CUDA frame), show frame index (0: the one shown first, 1: the second) alone,
 * by moving its data pointers and setting its size to one eye's; and set the
 * view of its AVStereo3D description s3d (filled by ff_deep3d_pack_stereo3d()).
 */
void ff_deep3d_pack_sequence_frame(const Deep3DPack *p, AVFrame *f, int index,
                                   AVStereo3D *s3d);

#endif /* AVFILTER_DEEP3D_PACK_H */
