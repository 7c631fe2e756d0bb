/*
 * deep3d: temporal smoothing, scene-cut reset, edge dilation and automatic
 * convergence of the disparity estimate, at network resolution
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

#ifndef AVFILTER_DEEP3D_TEMPORAL_H
#define AVFILTER_DEEP3D_TEMPORAL_H

#include <stdint.h>

#include "libavutil/rational.h"

#include "deep3d_autoconv.h"
#include "deep3d_model.h"
#include "deep3d_render_soft.h"

/*
 * Everything here works on the K x net_h x net_w probability volume the
 * network produced, before the selection layer, so it costs the same at any
 * output size and the CPU and GPU renderers see the same volume. Single
 * threaded and in a fixed order: the result does not depend on the thread
 * count. docs/temporal.md describes the maths.
 */

typedef struct Deep3DTemporalParams {
    float smooth;           ///< time constant of the probability EMA, in frames; 0: off
    float motion;           ///< frame difference (8-bit levels) at which a pixel takes the new estimate
    float scenecut;         ///< mean frame difference (8-bit levels) that resets the state; 0: never
    int dilate;             ///< radius (network pixels) of the near-side dilation; 0: off
    int auto_conv;          ///< place the screen plane from the disparity distribution
    float conv_percentile;  ///< percent of the picture in front of the screen (auto)
    float conv_smooth;      ///< time constant of the automatic convergence, in frames
    float max_popout;       ///< largest parallax in front of the screen, percent of the width (auto)
    float max_depth;        ///< largest parallax behind the screen, percent of the width (auto)
} Deep3DTemporalParams;

/**
 * convergence=auto for one frame: the renderer shifts with strength * gain
 * (the depth compressed to the comfort budget) and this convergence. Returned
 * to the caller, which builds each frame's rendering parameters from the
 * user's options and this; nothing of the caller's is written.
 */
typedef struct Deep3DAutoConv {
    double gain;            ///< multiplies the user's strength; at most 1
    double convergence;     ///< percent of the width
} Deep3DAutoConv;

typedef struct Deep3DTemporal Deep3DTemporal;

int ff_deep3d_temporal_init(Deep3DTemporal **t, const Deep3DModel *m,
                            const Deep3DTemporalParams *p);

/**
 * Process one frame. net_input: the network input of the frame (3 x net_h x
 * net_w, as ff_deep3d_input_convert() wrote it); probs: the network output,
 * replaced by the smoothed (and dilated) volume the renderer must use.
 * pts in time_base; frame_rate may be 0/1 (unknown). With auto convergence,
 * *conv receives this frame's gain and convergence for the user's strength.
 * Returns 1 when the temporal state was reset on this frame (logged at verbose
 * level with the reason), 0 otherwise.
 */
int ff_deep3d_temporal_process(Deep3DTemporal *t, void *log_ctx, const float *net_input,
                               float *probs, int64_t pts, AVRational time_base,
                               AVRational frame_rate, float strength, Deep3DAutoConv *conv);

/*
 * The steps of ff_deep3d_temporal_process() for a path that does the
 * per-pixel work itself (CUDA): the decisions stay here, so both paths reset
 * and converge alike.
 */

/** Whether a previous frame is held (the scene distance can be measured). */
int ff_deep3d_temporal_has_history(const Deep3DTemporal *t);

/**
 * Scene distance in 8-bit levels from the sums of |input - previous input|
 * over each of the 3 x net_h rows of the network input (added in this order,
 * in double).
 */
double ff_deep3d_temporal_distance(const Deep3DModel *m, const float *row_sums);

/**
 * Start a frame: check the resets (dist < 0: not measured) and log them.
 * Returns 1 when the frame starts afresh (the first one, or after a reset):
 * the smoothed volume is then this frame's own.
 */
int ff_deep3d_temporal_begin(Deep3DTemporal *t, void *log_ctx, double dist, int64_t pts,
                             AVRational time_base, AVRational frame_rate);

/**
 * ff_deep3d_temporal_begin() for a path that measures the scene distance
 * later (on the GPU, read back without waiting): the timestamp checks now,
 * with their reset logged. Returns 1 when the frame starts afresh for them
 * (the first frame, a timestamp discontinuity); else *measure is set when
 * the scene distance decides (scenecut on), and its value must be given to
 * ff_deep3d_temporal_scene_result() with this frame's index (the frame count
 * before this call), in frame order.
 */
int ff_deep3d_temporal_begin_deferred(Deep3DTemporal *t, void *log_ctx, int64_t pts,
                                      AVRational time_base, AVRational frame_rate,
                                      int *measure);

/**
 * The scene distance of frame number `frame`, measured for
 * ff_deep3d_temporal_begin_deferred(): logged at debug level, and when it
 * exceeds scenecut, the reset is logged and counted. Returns 1 then (the
 * frame started afresh), else 0. The decision is the comparison
 * ff_deep3d_temporal_begin() makes: dist > scenecut, in double.
 */
int ff_deep3d_temporal_scene_result(Deep3DTemporal *t, void *log_ctx, int64_t frame,
                                    double dist);

/** EMA weight of a still pixel, and 1 / (3 * motion) in network input units. */
float ff_deep3d_temporal_alpha0(const Deep3DTemporal *t);
float ff_deep3d_temporal_inv_motion(const Deep3DTemporal *t);

/**
 * convergence=auto from ed (the expected disparity of the smoothed volume,
 * net_h x net_w) for the user's strength: this frame's gain and convergence.
 */
Deep3DAutoConv ff_deep3d_temporal_auto_conv(Deep3DTemporal *t, void *log_ctx, const float *ed,
                                            int fresh, float strength);

/**
 * The frame-independent numbers of convergence=auto for strength, as the
 * CPU computes them (the GPU path passes them to its kernel).
 */
void ff_deep3d_temporal_conv_consts(const Deep3DTemporal *t, float strength,
                                    Deep3DConvConsts *k);

/** The debug line of one convergence=auto decision. */
void ff_deep3d_temporal_log_conv(void *log_ctx, const Deep3DConvReport *r);

/** The host-side decision state (timestamps, counters): a batch that is run
 * again (a CUDA graph capture that failed) starts from a mark. */
typedef struct Deep3DTemporalMark {
    int have_prev;
    int64_t prev_pts, last_delta, nb_frames, nb_resets;
} Deep3DTemporalMark;

void ff_deep3d_temporal_mark(const Deep3DTemporal *t, Deep3DTemporalMark *mark);
void ff_deep3d_temporal_rewind(Deep3DTemporal *t, const Deep3DTemporalMark *mark);

/** Forget the history: the next frame starts afresh. */
void ff_deep3d_temporal_reset(Deep3DTemporal *t);

/**
 * The expected disparity over planes 1..D of every network pixel, in pixels
 * at disparity_width (disp_min .. disp_max); pixels without mass get disp_max.
 */
void ff_deep3d_expected_disparity(const Deep3DModel *m, const float *probs, float *ed);

/** Frames processed and resets so far (scene cuts, timestamp jumps). */
void ff_deep3d_temporal_stats(const Deep3DTemporal *t, int64_t *frames, int64_t *resets);

void ff_deep3d_temporal_free(Deep3DTemporal **t);

#endif /* AVFILTER_DEEP3D_TEMPORAL_H */
