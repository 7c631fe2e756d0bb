/*
 * deep3d: anaglyphs of a left and a right eye
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

#ifndef AVFILTER_DEEP3D_ANAGLYPH_H
#define AVFILTER_DEEP3D_ANAGLYPH_H

#include "libavutil/frame.h"
#include "libavutil/pixfmt.h"

/* Names follow vf_stereo3d; the first colour is the left eye's filter. "Luma"
 * is the BT.601 weighted sum of R, G and B. */
enum Deep3DAnaglyphType {
    DEEP3D_ANAGLYPH_ARCG,   ///< red/cyan, grey: red = left luma, cyan = right luma
    DEEP3D_ANAGLYPH_ARCH,   ///< red/cyan, half colour: red = left luma, cyan = right G and B
    DEEP3D_ANAGLYPH_ARCC,   ///< red/cyan, colour: left R, right G and B
    DEEP3D_ANAGLYPH_ARCD,   ///< red/cyan, Dubois least-squares projection
    DEEP3D_ANAGLYPH_AGMG,   ///< green/magenta, grey: green = left luma, magenta = right luma
    DEEP3D_ANAGLYPH_AGMH,   ///< green/magenta, half colour: green = left luma, right R and B
    DEEP3D_ANAGLYPH_AGMC,   ///< green/magenta, colour: left G, right R and B
    DEEP3D_ANAGLYPH_AGMD,   ///< green/magenta, Dubois
    DEEP3D_ANAGLYPH_AYBG,   ///< amber (yellow)/blue, grey: yellow = left luma, blue = right luma
    DEEP3D_ANAGLYPH_AYBH,   ///< amber/blue, half colour: left R and G, blue = right luma
    DEEP3D_ANAGLYPH_AYBC,   ///< amber/blue, colour: left R and G, right B
    DEEP3D_ANAGLYPH_AYBD,   ///< amber/blue, Dubois
    DEEP3D_ANAGLYPH_ARGG,   ///< red/green, grey: red = left luma, green = right luma
    DEEP3D_ANAGLYPH_ARBG,   ///< red/blue, grey: red = left luma, blue = right luma
    DEEP3D_ANAGLYPH_NB
};

typedef struct Deep3DAnaglyph Deep3DAnaglyph;

/* Same shape as Deep3DJobFunc / Deep3DExecute: the filter's slice threads. */
typedef int (Deep3DAnaglyphJob)(void *arg, int jobnr, int nb_jobs);
typedef void (Deep3DAnaglyphExecute)(void *opaque, Deep3DAnaglyphJob *job, void *arg, int nb_jobs);

/**
 * Return nonzero if anaglyphs can be made in this pixel format: packed or
 * planar RGB (mixed directly) and YUV (mixed as RGB). Never gray: an anaglyph
 * needs colour.
 */
int ff_deep3d_anaglyph_format_supported(enum AVPixelFormat fmt);

/**
 * Prepare anaglyphs of type from eyes of w x h in format fmt; the output has
 * the same size and format. AVERROR(EINVAL) with a log message for a format
 * that cannot carry an anaglyph.
 */
int ff_deep3d_anaglyph_init(Deep3DAnaglyph **a, void *log_ctx, enum Deep3DAnaglyphType type,
                            enum AVPixelFormat fmt, int w, int h);

/**
 * Mix left and right into out (all of the planned size and format). YUV
 * frames are converted with out's colour matrix and range (the input's,
 * copied by the caller); the mixing runs as up to nb_jobs jobs through
 * execute(opaque, ...).
 */
int ff_deep3d_anaglyph_render(Deep3DAnaglyph *a, void *log_ctx, AVFrame *out,
                              const AVFrame *left, const AVFrame *right,
                              Deep3DAnaglyphExecute *execute, void *opaque, int nb_jobs);

void ff_deep3d_anaglyph_free(Deep3DAnaglyph **a);

/**
 * The mix of type as floats, for the GPU path: rows output R, G, B; columns
 * left R, G, B, then right R, G, B. AVERROR(EINVAL) for an unknown type.
 */
int ff_deep3d_anaglyph_matrix(enum Deep3DAnaglyphType type, float m[3][6]);

#endif /* AVFILTER_DEEP3D_ANAGLYPH_H */
