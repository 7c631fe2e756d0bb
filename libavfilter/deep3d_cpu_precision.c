/*
 * deep3d: precision=auto on the CPU (bf16 where the ISA has it, the network is large enough
 * and an accuracy trial at init passes; no timing, so the same command gives the same frames)
 *
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
#include <stdio.h>
#include <stdlib.h>

#include "libavutil/common.h"
#include "libavutil/error.h"
#include "libavutil/log.h"
#include "libavutil/mem.h"
#include "libavutil/time.h"

#include "deep3d_cpu_precision.h"

void ff_deep3d_disparity_diff(const Deep3DModel *m, const float *a, const float *b,
                              double *mean, double *worst)
{
    size_t hw = (size_t)m->in_w * m->in_h;
    double sum = 0;

    *worst = 0;
    for (size_t i = 0; i < hw; i++) {
        double da = 0, db = 0;
        for (int k = 1; k < m->nb_prob; k++) {
            da += (double)a[k * hw + i] * (m->disp_min + k - 1);
            db += (double)b[k * hw + i] * (m->disp_min + k - 1);
        }
        sum += fabs(da - db);
        *worst = FFMAX(*worst, fabs(da - db));
    }
    *mean = hw ? sum / hw : 0;
}

/*
 * A picture-like trial input in the model's convention: smooth gradients,
 * a vertical edge and mild noise (no frame exists at init; the network's
 * cost does not depend on content, and bf16's error is measured on
 * activations of natural magnitude).
 */
static void trial_input(float *in, const Deep3DModel *m)
{
    unsigned seed = 7;
    int w = m->in_w, h = m->in_h;

    for (int c = 0; c < 3; c++)
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) {
                float v = 0.5f + 0.3f * sinf(0.07f * x * (c + 1) + 0.05f * y) + (x > w / 2 ? 0.15f : 0);
                seed = seed * 1664525u + 1013904223u;
                v += ((seed >> 8) / 16777216.0f - 0.5f) * 0.1f;
                in[((size_t)c * h + y) * w + x] = av_clipf(v, 0, 1) * m->input_scale - m->input_mean[c];
            }
}

/* The engine's output on input (its first pass: nothing is timed, so the choice repeats). */
static int trial(Deep3DNetOneDNN *eng, const float *input, float *out, Deep3DExecute *execute,
                 void *opaque)
{
    return ff_deep3d_onednn_forward(eng, input, out, execute, opaque);
}

int ff_deep3d_cpu_precision_auto(Deep3DNetOneDNN **net, void *log_ctx, const Deep3DModel *m,
                                 int nb_threads, Deep3DExecute *execute, void *opaque,
                                 char *why, size_t size)
{
    int64_t t0 = av_gettime_relative();
    size_t np = (size_t)m->nb_prob * m->in_w * m->in_h;
    double gmacs = ff_deep3d_net_macs(m) / 1e9;
    float *input = NULL, *out[2] = { NULL, NULL };
    double mean = 0, worst = 0;
    int ret, keep = 0;

    *net = NULL;
    if (!ff_deep3d_onednn_has_bf16()) {
        snprintf(why, size, "auto: fp32, the CPU has no avx512_bf16 or AMX");
        return ff_deep3d_onednn_init(net, log_ctx, m, nb_threads, 0, 0);
    }
    if (gmacs < DEEP3D_BF16_MIN_GMACS) {
        snprintf(why, size, "auto: fp32, %.3f GMAC/frame is below %.2f, where bf16's reorders "
                 "cost more than its arithmetic saves", gmacs, DEEP3D_BF16_MIN_GMACS);
        return ff_deep3d_onednn_init(net, log_ctx, m, nb_threads, 0, 0);
    }
    input  = av_malloc_array((size_t)3 * m->in_w * m->in_h, sizeof(*input));
    out[0] = av_malloc_array(np, sizeof(float));
    out[1] = av_malloc_array(np, sizeof(float));
    if (!input || !out[0] || !out[1]) {
        ret = AVERROR(ENOMEM);
        goto end;
    }
    trial_input(input, m);
    /* one engine at a time, so the trial needs no more memory than running does */
    for (int e = 0; e < 2; e++) {
        if ((ret = ff_deep3d_onednn_init(net, log_ctx, m, nb_threads, e, 0)) < 0 ||
            (ret = trial(*net, input, out[e], execute, opaque)) < 0)
            goto end;
        if (!e)
            ff_deep3d_onednn_free(net);
    }
    ff_deep3d_disparity_diff(m, out[1], out[0], &mean, &worst);
    keep = mean <= DEEP3D_ONEDNN_BF16_DISP_TOL && worst <= 8 * DEEP3D_ONEDNN_BF16_DISP_TOL;
    snprintf(why, size, "auto: %s (%.2f GMAC/frame, at least %.2f; trial: expected disparity "
             "moved %.2f px mean, %.2f px worst, limits %g, %g)", keep ? "bf16" : "fp32", gmacs,
             DEEP3D_BF16_MIN_GMACS, mean, worst, DEEP3D_ONEDNN_BF16_DISP_TOL,
             8 * DEEP3D_ONEDNN_BF16_DISP_TOL);
    if (!keep) {
        ff_deep3d_onednn_free(net);
        if ((ret = ff_deep3d_onednn_init(net, log_ctx, m, nb_threads, 0, 0)) < 0)
            goto end;
    }
    av_log(log_ctx, AV_LOG_VERBOSE, "precision=auto: the bf16 accuracy trial took %.0f ms of "
           "init: %s\n", (av_gettime_relative() - t0) / 1e3, why);
end:
    if (ret < 0)
        ff_deep3d_onednn_free(net);
    av_free(input);
    av_free(out[0]);
    av_free(out[1]);
    return ret;
}
