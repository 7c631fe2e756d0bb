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

#ifndef AVFILTER_DEEP3D_CPU_H
#define AVFILTER_DEEP3D_CPU_H

#include "libavutil/frame.h"
#include "libavutil/rational.h"

#include "deep3d_render.h"
#include "deep3d_source.h"
#include "deep3d_temporal.h"

/*
 * The CPU path for software frames: a depth source, the temporal steps
 * (deep3d_temporal.h) and the CPU renderer, one frame at a time on the
 * filter's slice threads. The GPU path (deep3d_cuda.h) has the same shape.
 */

typedef struct Deep3DCpuConfig {
    Deep3DSource *source;           ///< opened; configured here; must outlive the path
    const Deep3DPack *pack;         ///< planned for the input's format and size
    int render;                     ///< enum Deep3DRenderMode
    int output;                     ///< enum Deep3DOutput
    int anaglyph;                   ///< enum Deep3DAnaglyphType
    int swap, renormalize;
    const Deep3DTemporalParams *temporal;   ///< smoothing, dilation, auto convergence; NULL: off
    AVRational time_base, frame_rate;       ///< of the input link (timestamp resets)
    int nb_jobs;
    Deep3DExecute *execute;
    void *opaque;
    int cpu_engine;                 ///< enum Deep3DCpuEngine
    int precision;                  ///< enum Deep3DPrecision
} Deep3DCpuConfig;

typedef struct Deep3DCpu Deep3DCpu;

int ff_deep3d_cpu_init(Deep3DCpu **c, void *log_ctx, const Deep3DCpuConfig *cfg);

/**
 * The stereo frame of in into out (a frame of the packed size), with the
 * user's strength and convergence of this frame (convergence is ignored
 * with auto convergence, which sets both from the depth).
 */
int ff_deep3d_cpu_render(Deep3DCpu *c, void *log_ctx, AVFrame *out, const AVFrame *in,
                         float strength, float convergence);

/** Frees; logs the time per stage and the temporal statistics at verbose level. */
void ff_deep3d_cpu_free(Deep3DCpu **c, void *log_ctx);

#endif /* AVFILTER_DEEP3D_CPU_H */
