/*
 * deep3d: precision=auto on the CPU (the bf16 trial)
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

#ifndef AVFILTER_DEEP3D_CPU_PRECISION_H
#define AVFILTER_DEEP3D_CPU_PRECISION_H

#include <stddef.h>

#include "deep3d_model.h"
#include "deep3d_net.h"
#include "deep3d_net_onednn.h"

/** bf16 is chosen only when it takes less than this fraction of fp32's time. */
/* Below this many multiply-accumulates a frame, bf16 measured slower than fp32 (the tiny test
 * models, ~0.001 GMAC: 1.25-2.1x; the built-in model, 0.54 GMAC, and the original topology,
 * 10.9 GMAC, 2-3.5x faster in bf16): layer overheads and reorders dominate small networks. A
 * fixed rule rather than a timed trial, so the choice does not change from run to run. */
#define DEEP3D_BF16_MIN_GMACS 0.2

/**
 * The mean and largest change of the expected disparity (sum over planes
 * 1..D of p_k times the plane's shift, in pixels at the model's disparity
 * width) between two network outputs a and b.
 */
void ff_deep3d_disparity_diff(const Deep3DModel *m, const float *a, const float *b,
                              double *mean, double *worst);

/**
 * precision=auto with the oneDNN engine: bf16 only where the CPU runs it
 * natively (avx512_bf16 or AMX), the network has at least
 * DEEP3D_BF16_MIN_GMACS per frame, and its output on a trial picture is
 * within DEEP3D_ONEDNN_BF16_DISP_TOL px mean and 8x that at the worst pixel
 * of fp32's (one pass of each engine, one engine at a time, so the trial
 * needs no more memory than running); else fp32. Nothing is timed: the same
 * model on the same CPU always gets the same precision. *net: the engine
 * kept; why: what ran and why, with the figures. The trial's cost (two
 * engines made and run once; a third when fp32 wins) is logged.
 */
int ff_deep3d_cpu_precision_auto(Deep3DNetOneDNN **net, void *log_ctx, const Deep3DModel *m,
                                 int nb_threads, Deep3DExecute *execute, void *opaque,
                                 char *why, size_t size);

#endif /* AVFILTER_DEEP3D_CPU_PRECISION_H */
