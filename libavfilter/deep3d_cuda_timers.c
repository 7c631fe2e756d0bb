/*
 * deep3d: per-stage GPU timers of the CUDA path (CUDA events, read without waiting)
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

#include "libavutil/cuda_check.h"
#include "libavutil/error.h"
#include "libavutil/log.h"
#include "libavutil/mem.h"

#include "deep3d_cuda_timers.h"

#define CHECK_CU(x) FF_CUDA_CHECK_DL(t->log_ctx, t->cu, x)
/* Batches in flight before a slot is read again: far more than the frames
 * FFmpeg keeps queued, so reading never waits in practice. */
#define RING 16

/* Events of one batch: start, after input, after network, then per frame
 * after temporal, selection and packing. */
typedef struct Slot {
    CUevent *ev;
    int nb;                 ///< frames in the batch; 0: nothing to read
    int whole;              ///< a CUDA graph's batch: start and end events only
} Slot;

struct Deep3DCudaTimers {
    void *log_ctx;
    CudaFunctions *cu;
    const Deep3DCudaDriver *drv;
    int batch, nb_events, cur;
    Slot slot[RING];
    Deep3DStats stats[DEEP3D_STAGE_NB];
    int64_t unread;         ///< batches whose times could not be read
    int64_t whole;          ///< batches timed as a whole (CUDA graphs)
};

static const char *const stage_names[DEEP3D_STAGE_NB] = {
    "input", "network", "temporal", "selection", "packing", "total",
};

int ff_deep3d_cuda_timers_init(Deep3DCudaTimers **pt, void *log_ctx, CudaFunctions *cu,
                               const Deep3DCudaDriver *drv, int batch)
{
    Deep3DCudaTimers *t = av_mallocz(sizeof(*t));
    int ret;

    *pt = NULL;
    if (!t)
        return AVERROR(ENOMEM);
    t->log_ctx   = log_ctx;
    t->cu        = cu;
    t->drv       = drv;
    t->batch     = batch;
    t->nb_events = 3 + 3 * batch;
    for (int i = 0; i < RING; i++) {
        Slot *s = &t->slot[i];
        if (!(s->ev = av_calloc(t->nb_events, sizeof(*s->ev)))) {
            ff_deep3d_cuda_timers_free(&t);
            return AVERROR(ENOMEM);
        }
        for (int e = 0; e < t->nb_events; e++)
            if ((ret = CHECK_CU(cu->cuEventCreate(&s->ev[e], CU_EVENT_DEFAULT))) < 0) {
                s->ev[e] = NULL;
                ff_deep3d_cuda_timers_free(&t);
                return ret;
            }
    }
    *pt = t;
    return 0;
}

/* Microseconds from event a to b of slot s; < 0 if it cannot be read. */
static double elapsed(Deep3DCudaTimers *t, const Slot *s, int a, int b)
{
    float ms;

    if (t->drv->cuEventElapsedTime(&ms, s->ev[a], s->ev[b]) != CUDA_SUCCESS)
        return -1;
    return ms * 1000.0;
}

/* Add a finished slot's times to the statistics. */
static void read_slot(Deep3DCudaTimers *t, Slot *s)
{
    double in, net, d[3];
    int nb = s->nb;

    s->nb = 0;
    /* the batch's last event: complete long ago unless the GPU is RING batches behind */
    if (CHECK_CU(t->cu->cuEventSynchronize(s->ev[2 + 3 * nb])) < 0) {
        t->unread++;
        return;
    }
    if (s->whole) {
        double all = elapsed(t, s, 0, 2 + 3 * nb);
        if (all < 0) {
            t->unread++;
            return;
        }
        for (int f = 0; f < nb; f++)
            ff_deep3d_stats_add(&t->stats[DEEP3D_STAGE_TOTAL], all / nb);
        t->whole++;
        return;
    }
    if ((in = elapsed(t, s, 0, 1)) < 0 || (net = elapsed(t, s, 1, 2)) < 0) {
        t->unread++;
        return;
    }
    for (int f = 0; f < nb; f++) {
        /* frame f's stages run from the end of the previous frame's (or the network) */
        for (int k = 0; k < 3; k++) {
            if ((d[k] = elapsed(t, s, 2 + 3 * f + k, 3 + 3 * f + k)) < 0) {
                t->unread++;
                return;
            }
        }
        ff_deep3d_stats_add(&t->stats[DEEP3D_STAGE_INPUT], in / nb);
        ff_deep3d_stats_add(&t->stats[DEEP3D_STAGE_NETWORK], net / nb);
        for (int k = 0; k < 3; k++)
            ff_deep3d_stats_add(&t->stats[DEEP3D_STAGE_TEMPORAL + k], d[k]);
        ff_deep3d_stats_add(&t->stats[DEEP3D_STAGE_TOTAL], (in + net) / nb + d[0] + d[1] + d[2]);
    }
}

int ff_deep3d_cuda_timers_begin(Deep3DCudaTimers *t, CUstream stream, int nb)
{
    Slot *s;

    t->cur = (t->cur + 1) % RING;
    s = &t->slot[t->cur];
    if (s->nb)
        read_slot(t, s);
    s->nb = FFMIN(nb, t->batch);
    s->whole = 0;
    return CHECK_CU(t->cu->cuEventRecord(s->ev[0], stream));
}

int ff_deep3d_cuda_timers_whole(Deep3DCudaTimers *t, CUstream stream)
{
    Slot *s = &t->slot[t->cur];

    s->whole = 1;
    return CHECK_CU(t->cu->cuEventRecord(s->ev[2 + 3 * s->nb], stream));
}

int ff_deep3d_cuda_timers_mark(Deep3DCudaTimers *t, CUstream stream, enum Deep3DStage stage,
                               int frame)
{
    Slot *s = &t->slot[t->cur];
    int e = stage == DEEP3D_STAGE_INPUT   ? 1 :
            stage == DEEP3D_STAGE_NETWORK ? 2 : 3 + 3 * frame + (stage - DEEP3D_STAGE_TEMPORAL);

    if (e >= t->nb_events)
        return AVERROR_BUG;
    return CHECK_CU(t->cu->cuEventRecord(s->ev[e], stream));
}

const Deep3DStats *ff_deep3d_cuda_timers_stats(const Deep3DCudaTimers *t, enum Deep3DStage stage)
{
    return &t->stats[stage];
}

void ff_deep3d_cuda_timers_log(Deep3DCudaTimers *t, void *log_ctx)
{
    /* oldest first, so the statistics do not depend on where the ring stands */
    for (int i = 1; i <= RING; i++) {
        Slot *s = &t->slot[(t->cur + i) % RING];
        if (s->nb)
            read_slot(t, s);
    }
    if (!t->stats[DEEP3D_STAGE_TOTAL].n)
        return;
    av_log(log_ctx, AV_LOG_VERBOSE, "GPU time per frame, CUDA events, %"PRId64" frames "
           "(batch %d: input and network shared by its frames)%s\n",
           t->stats[DEEP3D_STAGE_TOTAL].n, t->batch,
           t->unread ? ", some batches unreadable" : "");
    if (t->whole)
        av_log(log_ctx, AV_LOG_VERBOSE, "GPU stages: %"PRId64" batches ran as CUDA graphs, "
               "timed as a whole: the total only (cuda_graph=off times each stage)\n", t->whole);
    for (int k = 0; k < DEEP3D_STAGE_NB; k++)
        /* with graphs, the stages hold the few plain batches only (warm-up): not shown */
        if (!t->whole || k == DEEP3D_STAGE_TOTAL)
            av_log(log_ctx, AV_LOG_VERBOSE, "GPU stage %-9s mean %9.1f us, p99 %9.1f us\n",
               stage_names[k], ff_deep3d_stats_mean(&t->stats[k]),
               ff_deep3d_stats_percentile(&t->stats[k], 99));
}

void ff_deep3d_cuda_timers_free(Deep3DCudaTimers **pt)
{
    Deep3DCudaTimers *t = *pt;

    if (!t)
        return;
    for (int i = 0; i < RING; i++) {
        for (int e = 0; t->slot[i].ev && e < t->nb_events; e++)
            if (t->slot[i].ev[e])
                CHECK_CU(t->cu->cuEventDestroy(t->slot[i].ev[e]));
        av_freep(&t->slot[i].ev);
    }
    av_freep(pt);
}
