/*
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

#ifndef AVFILTER_DEEP3D_SHIFT_H
#define AVFILTER_DEEP3D_SHIFT_H

#include "deep3d_render_soft.h"

/*
 * The horizontal shift of the second eye (docs/model-format.md section 5),
 * in samples of a plane of width w, for a disparity of d pixels at
 * disp_width:
 *     s(d) = d * strength / disp_width * w + convergence / 100 * w
 *          = d * gain + offset
 * This is the only place the formula is written: the soft and the hard
 * renderers, on the CPU and on the GPU (whose tables and kernel arguments
 * are computed on the host from it), all take their shifts from here.
 */
typedef struct Deep3DShift {
    double gain;            ///< samples of shift per pixel of disparity at disp_width
    double offset;          ///< samples added to every shift: the convergence
} Deep3DShift;

static inline Deep3DShift ff_deep3d_shift(const Deep3DRenderParams *p, int w)
{
    return (Deep3DShift){
        .gain   = (double)p->strength / p->disp_width * w,
        .offset = p->convergence / 100.0 * w,
    };
}

#endif /* AVFILTER_DEEP3D_SHIFT_H */
