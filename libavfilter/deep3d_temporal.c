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

#include <math.h>
#include <string.h>

#include "libavutil/avutil.h"
#include "libavutil/common.h"
#include "libavutil/log.h"
#include "libavutil/mathematics.h"
#include "libavutil/mem.h"

#include "deep3d_autoconv.h"
#include "deep3d_simd.h"
#include "deep3d_temporal.h"

#define HIST_BINS DEEP3D_CONV_HIST_BINS
#define ED_BLOCK  512
/* Probabilities below this are zero in the smoothed volume. */
#define FLUSH_MIN 1e-30f
/* A timestamp step beyond this many frame durations is a discontinuity. */
#define PTS_GAP_FRAMES 4
/* Robust ends of the disparity distribution for the comfort limits: a few
 * stray network pixels must not decide the depth budget. */
#define LIMIT_PERCENTILE DEEP3D_CONV_LIMIT_PERCENTILE

struct Deep3DTemporal {
    const Deep3DModel *m;
    void *log_ctx;          ///< of the frame being processed
    Deep3DTemporalParams p;
    int npix;               ///< net_w * net_h
    float *state;           ///< K x npix: the smoothed volume
    float *prev_in;         ///< 3 x npix: the previous network input
    float *ed;              ///< npix: expected disparity of the state
    int32_t *idx;           ///< 2 x npix: dilation sources
    float *rows;            ///< 3 x net_h: scene distance per row
    int have_prev;          ///< state and prev_in hold a frame
    int64_t prev_pts, last_delta;
    double conv, gain;      ///< automatic convergence (percent of width) and depth gain
    int64_t nb_frames, nb_resets;
    unsigned hist[HIST_BINS];
};

int ff_deep3d_temporal_init(Deep3DTemporal **pt, const Deep3DModel *m,
                            const Deep3DTemporalParams *p)
{
    Deep3DTemporal *t = av_mallocz(sizeof(*t));
    size_t npix = (size_t)m->in_w * m->in_h;

    *pt = NULL;
    if (!t)
        return AVERROR(ENOMEM);
    t->m       = m;
    t->p       = *p;
    t->npix    = npix;
    t->state   = av_malloc_array(npix * m->nb_prob, sizeof(float));
    t->prev_in = av_malloc_array(npix * 3, sizeof(float));
    t->ed      = av_malloc_array(npix, sizeof(float));
    t->idx     = p->dilate > 0 ? av_malloc_array(npix * 2, sizeof(int32_t)) : NULL;
    t->rows    = av_malloc_array((size_t)3 * m->in_h, sizeof(float));
    if (!t->state || !t->prev_in || !t->ed || !t->rows || (p->dilate > 0 && !t->idx)) {
        ff_deep3d_temporal_free(&t);
        return AVERROR(ENOMEM);
    }
    ff_deep3d_temporal_reset(t);
    *pt = t;
    return 0;
}

void ff_deep3d_temporal_reset(Deep3DTemporal *t)
{
    t->have_prev  = 0;
    t->prev_pts   = AV_NOPTS_VALUE;
    t->last_delta = 0;
}

void ff_deep3d_temporal_free(Deep3DTemporal **pt)
{
    Deep3DTemporal *t = *pt;

    if (!t)
        return;
    av_freep(&t->state);
    av_freep(&t->prev_in);
    av_freep(&t->ed);
    av_freep(&t->idx);
    av_freep(&t->rows);
    av_freep(pt);
}

void ff_deep3d_temporal_stats(const Deep3DTemporal *t, int64_t *frames, int64_t *resets)
{
    *frames = t->nb_frames;
    *resets = t->nb_resets;
}

DEEP3D_VECTOR_CLONES
void ff_deep3d_expected_disparity(const Deep3DModel *m, const float *probs, float *ed)
{
    size_t npix = (size_t)m->in_w * m->in_h;

    /* plane by plane, in blocks that stay in L1: sum in ed, mass in mass[] */
    for (size_t i0 = 0; i0 < npix; i0 += ED_BLOCK) {
        size_t len = FFMIN(ED_BLOCK, npix - i0);
        float mass[ED_BLOCK] = { 0 };
        float *restrict sum = ed + i0;
        memset(sum, 0, len * sizeof(*sum));
        for (int k = 0; k < m->nb_disp; k++) {
            const float *restrict pk = probs + (k + 1) * npix + i0;
            float d = m->disp_min + k;
            for (size_t i = 0; i < len; i++) {
                sum[i]  += pk[i] * d;
                mass[i] += pk[i];
            }
        }
        for (size_t i = 0; i < len; i++)
            sum[i] = mass[i] > 0 ? sum[i] / mass[i] : m->disp_max;
    }
}

/* 8-bit levels per unit of network input */
static float level_scale(const Deep3DModel *m)
{
    return 255.0f / m->input_scale;
}

double ff_deep3d_temporal_distance(const Deep3DModel *m, const float *rows)
{
    double sum = 0;

    for (int i = 0; i < 3 * m->in_h; i++)
        sum += rows[i];
    return sum / (3.0 * m->in_w * m->in_h) * level_scale(m);
}

/* Sums of |in - prev_in| over each row of each channel, in float, in order
 * (the CUDA kernel deep3d_scene_rows computes the same). */
static void scene_rows(const Deep3DTemporal *t, const float *in, float *rows)
{
    for (int r = 0; r < 3 * t->m->in_h; r++) {
        const float *a = in + (size_t)r * t->m->in_w, *b = t->prev_in + (size_t)r * t->m->in_w;
        float sum = 0;
        for (int x = 0; x < t->m->in_w; x++)
            sum += fabsf(a[x] - b[x]);
        rows[r] = sum;
    }
}

int ff_deep3d_temporal_has_history(const Deep3DTemporal *t)
{
    return t->have_prev;
}

float ff_deep3d_temporal_alpha0(const Deep3DTemporal *t)
{
    return t->p.smooth > 0 ? 1.0f - expf(-1.0f / t->p.smooth) : 1.0f;
}

float ff_deep3d_temporal_inv_motion(const Deep3DTemporal *t)
{
    return level_scale(t->m) / (3.0f * t->p.motion);
}

/* Why the timestamps break the history of this frame, or NULL. */
static const char *pts_reason(Deep3DTemporal *t, int64_t pts, AVRational tb,
                              AVRational frame_rate, char *buf, size_t size)
{
    const char *reason = NULL;

    if (pts != AV_NOPTS_VALUE && t->prev_pts != AV_NOPTS_VALUE) {
        int64_t delta = pts - t->prev_pts;
        int64_t dur   = t->last_delta;
        if (frame_rate.num > 0 && frame_rate.den > 0) {
            int64_t d = av_rescale_q(1, av_inv_q(frame_rate), tb);
            if (d > 0)
                dur = d;
        }
        if (delta <= 0) {
            snprintf(buf, size, "timestamp discontinuity (pts %"PRId64" after %"PRId64", "
                     "backwards)", pts, t->prev_pts);
            reason = buf;
        } else if (dur > 0 && delta > PTS_GAP_FRAMES * dur) {
            snprintf(buf, size, "timestamp discontinuity (pts %"PRId64" after %"PRId64", "
                     "a gap of %.1f frames)", pts, t->prev_pts, (double)delta / dur);
            reason = buf;
        }
        if (delta > 0)
            t->last_delta = delta;
    }
    return reason;
}

static void log_reset(Deep3DTemporal *t, void *log_ctx, int64_t frame, const char *reason)
{
    av_log(log_ctx, AV_LOG_VERBOSE, "temporal state reset at frame %"PRId64": %s\n", frame,
           reason);
    t->nb_resets++;
}

/*
 * Exponential moving average of the volume with a per-pixel weight: alpha0
 * where the picture is still, rising to 1 (the new estimate alone) where the
 * low-resolution frame difference reaches `motion`, so moving objects leave
 * no trail. The weight is shared by every plane, so each pixel's
 * probabilities still sum to 1.
 */
DEEP3D_VECTOR_CLONES
static void smooth_volume(Deep3DTemporal *t, const float *in, const float *probs)
{
    const Deep3DModel *m = t->m;
    size_t npix = t->npix;
    float alpha0 = ff_deep3d_temporal_alpha0(t);
    float inv_motion = ff_deep3d_temporal_inv_motion(t);
    float *alpha = t->ed;   /* free until the expected disparity is computed */

    for (size_t i = 0; i < npix; i++) {
        float d = (fabsf(in[i] - t->prev_in[i]) + fabsf(in[npix + i] - t->prev_in[npix + i]) +
                   fabsf(in[2 * npix + i] - t->prev_in[2 * npix + i])) * inv_motion;
        float w = FFMIN(d, 1.0f);
        alpha[i] = alpha0 + (1.0f - alpha0) * w * w;
    }
    for (int k = 0; k < m->nb_prob; k++) {
        float *restrict s = t->state + k * npix;
        const float *restrict p = probs + k * npix;
        for (size_t i = 0; i < npix; i++) {
            float v = s[i] + alpha[i] * (p[i] - s[i]);
            /* no denormals: a decaying probability would slow every later frame */
            s[i] = v >= FLUSH_MIN ? v : 0.0f;
        }
    }
}

/* Near-side dilation: each pixel takes the whole probability vector of the
 * nearest pixel (smallest expected disparity) within the square of the
 * radius, so the outline of a near object grows over the background by that
 * much. Separable: the nearest of each row window, then of the column of
 * those; ties go to the first in scan order, as one square search would. */
static void dilate_volume(Deep3DTemporal *t, float *dst)
{
    const Deep3DModel *m = t->m;
    int r = t->p.dilate, w = m->in_w, h = m->in_h;
    size_t npix = t->npix;
    int32_t *row = t->idx, *best = t->idx + npix;

    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            int b = y * w + FFMAX(0, x - r);
            for (int xx = FFMAX(0, x - r) + 1; xx <= FFMIN(w - 1, x + r); xx++)
                if (t->ed[y * w + xx] < t->ed[b])
                    b = y * w + xx;
            row[y * w + x] = b;
        }
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            int b = row[FFMAX(0, y - r) * w + x];
            for (int yy = FFMAX(0, y - r) + 1; yy <= FFMIN(h - 1, y + r); yy++)
                if (t->ed[row[yy * w + x]] < t->ed[b])
                    b = row[yy * w + x];
            best[y * w + x] = b;
        }
    for (int k = 0; k < m->nb_prob; k++) {
        const float *restrict s = t->state + k * npix;
        float *restrict d = dst + k * npix;
        for (size_t i = 0; i < npix; i++)
            d[i] = s[best[i]];
    }
}

/* Pixels at or below the value under which `pct` percent of the npix lie. */
static unsigned long long percentile_target(double pct, int npix)
{
    uint64_t target = (uint64_t)ceil(pct / 100 * npix);
    return FFMAX(target, 1);
}

void ff_deep3d_temporal_conv_consts(const Deep3DTemporal *t, float strength,
                                    Deep3DConvConsts *k)
{
    const Deep3DModel *m = t->m;

    k->lo     = m->disp_min;
    k->range  = m->disp_max - m->disp_min;
    k->to_pct = strength / m->disp_width * 100;    /* disparity -> percent of width */
    k->budget = t->p.max_popout + t->p.max_depth;
    k->max_popout = t->p.max_popout;
    k->max_depth  = t->p.max_depth;
    k->smooth = t->p.conv_smooth > 0;
    k->a = k->smooth ? 1 - exp(-1 / t->p.conv_smooth) : 0;
    k->target_q  = percentile_target(t->p.conv_percentile, t->npix);
    k->target_lo = percentile_target(LIMIT_PERCENTILE, t->npix);
    k->target_hi = percentile_target(100 - LIMIT_PERCENTILE, t->npix);
}

/* Value below which `target` of the expected disparities lie. */
static double hist_percentile(const Deep3DTemporal *t, const Deep3DConvConsts *k,
                              unsigned long long target)
{
    uint64_t acc = 0;

    if (k->range <= 0)
        return k->lo;
    for (int b = 0; b < HIST_BINS; b++) {
        acc += t->hist[b];
        if (acc >= target)
            return k->lo + (b + 0.5) * k->range / HIST_BINS;
    }
    return t->m->disp_max;
}

void ff_deep3d_temporal_log_conv(void *log_ctx, const Deep3DConvReport *r)
{
    av_log(log_ctx, AV_LOG_DEBUG, "auto convergence: %.3f%% (target %.3f%%), depth gain %.3f, "
           "parallax %.3f%% .. %.3f%% of the width\n", r->conv, r->target, r->gain, r->par_lo,
           r->par_hi);
}

/*
 * The same steps, in the same order and precision, as deep3d_conv_decide()
 * of cuda/deep3d_conv.cuh (the GPU path), which tests/unit/test_cuda_graph
 * holds to the same bits.
 */
Deep3DAutoConv ff_deep3d_temporal_auto_conv(Deep3DTemporal *t, void *log_ctx, const float *ed,
                                            int reset, float strength)
{
    const Deep3DModel *m = t->m;
    Deep3DConvConsts k;
    Deep3DConvReport r;
    double e_q, e_lo, e_hi, spread, target_c, target_g, g, c, c_min, c_max;

    ff_deep3d_temporal_conv_consts(t, strength, &k);
    memset(t->hist, 0, sizeof(t->hist));
    for (int i = 0; i < t->npix; i++) {
        int b = k.range > 0 ? (int)((ed[i] - m->disp_min) / k.range * HIST_BINS) : 0;
        t->hist[av_clip(b, 0, HIST_BINS - 1)]++;
    }
    e_q  = hist_percentile(t, &k, k.target_q) * k.to_pct;
    e_lo = hist_percentile(t, &k, k.target_lo) * k.to_pct;
    e_hi = hist_percentile(t, &k, k.target_hi) * k.to_pct;
    spread = e_hi - e_lo;
    target_g = spread > k.budget ? k.budget / spread : 1.0;
    target_c = -e_q * target_g;

    if (reset || !k.smooth) {
        t->conv = target_c;
        t->gain = target_g;
    } else {
        t->conv += k.a * (target_c - t->conv);
        t->gain += k.a * (target_g - t->gain);
    }
    /* hard limits on this frame */
    g = FFMIN(t->gain, target_g);
    c_min = -k.max_popout - g * e_lo;
    c_max =  k.max_depth  - g * e_hi;
    c = av_clipd(t->conv, c_min, FFMAX(c_min, c_max));
    c = av_clipd(c, -DEEP3D_CONV_MAX, DEEP3D_CONV_MAX);

    r = (Deep3DConvReport){ c, target_c, g, g * e_lo + c, g * e_hi + c };
    ff_deep3d_temporal_log_conv(log_ctx, &r);
    return (Deep3DAutoConv){ .gain = g, .convergence = c };
}

void ff_deep3d_temporal_mark(const Deep3DTemporal *t, Deep3DTemporalMark *mark)
{
    *mark = (Deep3DTemporalMark){ t->have_prev, t->prev_pts, t->last_delta, t->nb_frames,
                                  t->nb_resets };
}

void ff_deep3d_temporal_rewind(Deep3DTemporal *t, const Deep3DTemporalMark *mark)
{
    t->have_prev  = mark->have_prev;
    t->prev_pts   = mark->prev_pts;
    t->last_delta = mark->last_delta;
    t->nb_frames  = mark->nb_frames;
    t->nb_resets  = mark->nb_resets;
}

int ff_deep3d_temporal_begin_deferred(Deep3DTemporal *t, void *log_ctx, int64_t pts,
                                      AVRational time_base, AVRational frame_rate,
                                      int *measure)
{
    const char *reason = NULL;
    char buf[160];
    int fresh = !t->have_prev;

    t->log_ctx = log_ctx;
    if (t->have_prev) {
        reason = pts_reason(t, pts, time_base, frame_rate, buf, sizeof(buf));
        if (reason) {
            log_reset(t, log_ctx, t->nb_frames, reason);
            fresh = 1;
        }
    }
    *measure  = !fresh && t->p.scenecut > 0;
    t->prev_pts  = pts;
    t->have_prev = 1;
    t->nb_frames++;
    return fresh;
}

int ff_deep3d_temporal_scene_result(Deep3DTemporal *t, void *log_ctx, int64_t frame,
                                    double dist)
{
    char buf[160];

    av_log(log_ctx, AV_LOG_DEBUG, "scene distance %.3f\n", dist);
    if (!(dist > t->p.scenecut))
        return 0;
    snprintf(buf, sizeof(buf), "scene cut (distance %.2f > %.2f)", dist, t->p.scenecut);
    log_reset(t, log_ctx, frame, buf);
    return 1;
}

int ff_deep3d_temporal_begin(Deep3DTemporal *t, void *log_ctx, double dist, int64_t pts,
                             AVRational time_base, AVRational frame_rate)
{
    int measure, fresh = ff_deep3d_temporal_begin_deferred(t, log_ctx, pts, time_base,
                                                           frame_rate, &measure);

    if (measure && dist >= 0)
        fresh = ff_deep3d_temporal_scene_result(t, log_ctx, t->nb_frames - 1, dist);
    return fresh;
}

int ff_deep3d_temporal_process(Deep3DTemporal *t, void *log_ctx, const float *net_input,
                               float *probs, int64_t pts, AVRational time_base,
                               AVRational frame_rate, float strength, Deep3DAutoConv *conv)
{
    const Deep3DModel *m = t->m;
    size_t vol = (size_t)m->nb_prob * t->npix;
    double dist = -1;
    int had_history = t->have_prev, fresh;

    if (t->have_prev && t->p.scenecut > 0) {
        scene_rows(t, net_input, t->rows);
        dist = ff_deep3d_temporal_distance(m, t->rows);
    }
    fresh = ff_deep3d_temporal_begin(t, log_ctx, dist, pts, time_base, frame_rate);

    if (fresh || t->p.smooth <= 0)
        memcpy(t->state, probs, vol * sizeof(*probs));
    else
        smooth_volume(t, net_input, probs);
    memcpy(t->prev_in, net_input, (size_t)3 * t->npix * sizeof(*net_input));

    if (t->p.dilate > 0 || t->p.auto_conv)
        ff_deep3d_expected_disparity(m, t->state, t->ed);
    if (t->p.dilate > 0)
        dilate_volume(t, probs);
    else
        memcpy(probs, t->state, vol * sizeof(*probs));
    if (t->p.auto_conv)
        *conv = ff_deep3d_temporal_auto_conv(t, log_ctx, t->ed, fresh, strength);
    return had_history && fresh;
}
