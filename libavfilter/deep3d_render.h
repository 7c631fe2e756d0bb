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

#ifndef AVFILTER_DEEP3D_RENDER_H
#define AVFILTER_DEEP3D_RENDER_H

#include "libavutil/frame.h"

#include "deep3d_anaglyph.h"
#include "deep3d_model.h"
#include "deep3d_net.h"
#include "deep3d_pack.h"
#include "deep3d_render_soft.h"

/*
 * The second eye from any depth source's probabilities, and the output frame
 * from both eyes. The same choices drive the CPU renderer here and the GPU's
 * (deep3d_cuda.h).
 */

/** How the second eye is made: the render option. */
enum Deep3DRenderMode {
    DEEP3D_RENDER_SOFT,     ///< Deep3D's selection layer (deep3d_render_soft.h)
    DEEP3D_RENDER_HARD,     ///< forward warp by the expected disparity (deep3d_render_hard.h)
};

/** What the output frame shows beyond the stereo layouts. */
enum Deep3DOutput {
    DEEP3D_OUTPUT_STEREO,   ///< both eyes packed into the layout of the pack
    DEEP3D_OUTPUT_DEPTH,    ///< the depth picture (the pack planned as mono: one eye)
    DEEP3D_OUTPUT_ANAGLYPH, ///< an anaglyph (the pack planned as mono)
};

typedef struct Deep3DRenderConfig {
    const Deep3DModel *geometry;    ///< the source's planes; must outlive the renderer
    const Deep3DPack *pack;         ///< planned for the input format and size (copied)
    int render;                     ///< enum Deep3DRenderMode
    int output;                     ///< enum Deep3DOutput
    int anaglyph;                   ///< enum Deep3DAnaglyphType, for DEEP3D_OUTPUT_ANAGLYPH
    int swap;                       ///< exchange the eyes
    int nb_jobs;
    Deep3DExecute *execute;         ///< runs the slice jobs
    void *opaque;
} Deep3DRenderConfig;

typedef struct Deep3DRender Deep3DRender;

/** The renderers' parameters for the planes of geometry and the user's shift options. */
Deep3DRenderParams ff_deep3d_render_params(const Deep3DModel *geometry, float strength,
                                           float convergence, int renormalize);

int ff_deep3d_render_init(Deep3DRender **r, void *log_ctx, const Deep3DRenderConfig *cfg);

/** Whether frames need the depth at all (not when only the input eye is shown). */
int ff_deep3d_render_needs_depth(const Deep3DRender *r);

/**
 * Render the second eye of in from probs (the source's volume, after the
 * temporal steps) with this frame's parameters sel. Not called when
 * ff_deep3d_render_needs_depth() is 0. For the stereo layouts this packs out
 * too, in the same pass (the eye is never stored whole), and the following
 * ff_deep3d_render_pack() only returns: a timer around each then counts the
 * packing in the rendering. The depth picture and anaglyphs render an eye
 * frame here and mix it into out in ff_deep3d_render_pack().
 */
int ff_deep3d_render_eye(Deep3DRender *r, AVFrame *out, const AVFrame *in,
                         const float *probs, const Deep3DRenderParams *sel);

/** Pack (or mix) the input and the eye rendered last into out (see above). */
int ff_deep3d_render_pack(Deep3DRender *r, void *log_ctx, AVFrame *out, const AVFrame *in);

void ff_deep3d_render_free(Deep3DRender **r);

#endif /* AVFILTER_DEEP3D_RENDER_H */
