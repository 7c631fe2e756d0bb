/*
 * deep3d: CPU forward pass on oneDNN
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

#ifndef AVFILTER_DEEP3D_NET_ONEDNN_H
#define AVFILTER_DEEP3D_NET_ONEDNN_H

#include <stddef.h>

#include "deep3d_layers.h"
#include "deep3d_model.h"
#include "deep3d_net.h"

/*
 * The layer list of deep3d_layers.c executed by oneDNN primitives, created
 * once at init for the model's shapes: convolutions and deconvolutions with
 * bias and ReLU (and the deconvolutions' accumulation) fused as post-ops,
 * max pooling, BatchNorm, inner products for the original topology's FC
 * head. Activations stay in the blocked formats the library picks; the only
 * reorders are at the edges (the input, the output, the FC head's flat
 * vectors) and where two primitives want different formats. The final
 * softmax is deep3d_net.c's (the same clamping of overflowed logits).
 *
 * oneDNN (libdnnl.so.2, Debian's libdnnl2) is loaded at run time with
 * dlopen: the build needs only its headers (libdnnl-dev), and ffmpeg runs
 * without the library, on the OpenBLAS engine. Debian's oneDNN uses OpenMP:
 * its threads are set to the filter's thread count before every call.
 */

typedef struct Deep3DNetOneDNN Deep3DNetOneDNN;

/**
 * bf16's bound on the mean change of the expected disparity (pixels at the
 * model's disparity width) against fp32: what precision=auto accepts and
 * test_onednn asserts (8x at the worst pixel).
 */
#define DEEP3D_ONEDNN_BF16_DISP_TOL 0.25

/**
 * Whether the engine can run here: built with the headers and the library
 * loads. 0, or AVERROR(ENOSYS) with why (one sentence) in why.
 */
int ff_deep3d_onednn_probe(char *why, size_t size);

/** Whether oneDNN runs bf16 natively here (avx512_bf16 or AMX); 0 if it cannot load. */
int ff_deep3d_onednn_has_bf16(void);

/** Flags of ff_deep3d_onednn_init(); 0 in the filter. */
enum {
    /** every activation in a buffer of its own (the plan's reference) */
    DEEP3D_ONEDNN_PLAN_SEPARATE = 1 << 0,
    /** a test of the plan's check: put two live activations on the same bytes (init fails) */
    DEEP3D_ONEDNN_PLAN_FAULT    = 1 << 1,
    /** transposed convolutions on the fallback, not as sub-pixel convolutions */
    DEEP3D_ONEDNN_NO_SUBPIXEL   = 1 << 2,
};

/**
 * Create the primitives for model m, for nb_threads threads; bf16: bf16
 * activations and weights with fp32 accumulation (the output stays fp32).
 * The engine copies what it needs: m's weights may be freed once this
 * returns. Activations share one arena, planned by their lifetimes.
 */
int ff_deep3d_onednn_init(Deep3DNetOneDNN **net, void *log_ctx, const Deep3DModel *m,
                          int nb_threads, int bf16, unsigned flags);

/** What an engine holds, for tests and the log. */
typedef struct Deep3DOneDNNStats {
    size_t act_bytes;           ///< the activations' arena
    size_t act_bytes_separate;  ///< the activations, each in a buffer of its own
    size_t weight_bytes;        ///< weights, biases and the batch norms' parameters
    int nb_primitives;
    int nb_subpixel;            ///< transposed convolutions run as sub-pixel convolutions
    int nb_host_deconv;         ///< and on the fallback (deep3d_net.c's phases)
} Deep3DOneDNNStats;

void ff_deep3d_onednn_stats(const Deep3DNetOneDNN *net, Deep3DOneDNNStats *st);

/** The layer list the engine runs (NULL without oneDNN). */
const Deep3DLayers *ff_deep3d_onednn_layers(const Deep3DNetOneDNN *net);

/**
 * Benchmarks: with layer_us (one double per layer of the list, zeroed by the
 * caller), each forward pass waits after every step and adds its
 * microseconds to its layer (input reorders count to the layer that needs
 * them); NULL stops.
 */
void ff_deep3d_onednn_profile(Deep3DNetOneDNN *net, double *layer_us);

/**
 * The forward pass: input and probs as ff_deep3d_net_forward(). The softmax
 * runs through execute (the filter's slice jobs), the primitives on oneDNN's
 * threads.
 */
int ff_deep3d_onednn_forward(Deep3DNetOneDNN *net, const float *input, float *probs,
                             Deep3DExecute *execute, void *opaque);

/** The library, its ISA and the arithmetic, e.g. "oneDNN 2.6.3 (avx512_core_amx, 2 OpenMP threads), fp32". */
void ff_deep3d_onednn_describe(const Deep3DNetOneDNN *net, char *buf, size_t size);

void ff_deep3d_onednn_free(Deep3DNetOneDNN **net);

#endif /* AVFILTER_DEEP3D_NET_ONEDNN_H */
