/*
 * deep3d: a CUDA graph per batch size for the GPU path's per-batch work
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

#include "deep3d_cuda_graph.h"

#define CHECK_CU(x) FF_CUDA_CHECK_DL(g->log_ctx, g->cu, x)

/* A kernel node of ours in a captured graph, in launch order. */
typedef struct GraphNode {
    Deep3DCuGraphNode node;
    CUfunction f;
} GraphNode;

enum SizeState {
    SIZE_NEW,                   ///< no batch of this size yet
    SIZE_WARM,                  ///< one ran plainly: the next is captured
    SIZE_READY,                 ///< instantiated: replayed
    SIZE_PLAIN,                 ///< capture failed: plain launches from now on
};

typedef struct SizeGraph {
    enum SizeState state;
    Deep3DCuGraph graph;
    Deep3DCuGraphExec exec;
    GraphNode *nodes;
    int nb_nodes;
    unsigned nodes_size;
} SizeGraph;

struct Deep3DCudaGraphs {
    void *log_ctx;
    CudaFunctions *cu;
    const Deep3DCudaGraphApi *api;
    int mode;                   ///< enum Deep3DCudaGraphMode
    int max_batch;
    SizeGraph *sizes;           ///< per batch size nb, at nb - 1
    SizeGraph *cur;             ///< the current batch's
    enum Deep3DCudaGraphRun run;
    int next_node;              ///< replay: the node the next launch updates
    const char *failure;        ///< capture: why it failed, NULL while it has not
    int64_t launched;
};

int ff_deep3d_cuda_graphs_init(Deep3DCudaGraphs **pg, void *log_ctx, CudaFunctions *cu,
                               const Deep3DCudaDriver *drv, int mode, int max_batch)
{
    Deep3DCudaGraphs *g;

    *pg = NULL;
    if (mode != DEEP3D_CUDA_GRAPH_OFF && !drv->has_graphs) {
        av_log(log_ctx, mode == DEEP3D_CUDA_GRAPH_ON ? AV_LOG_ERROR : AV_LOG_VERBOSE,
               "The CUDA driver has no graph API (cuStreamBeginCapture_v2, "
               "cuGraphExecKernelNodeSetParams, ...): plain launches.\n");
        if (mode == DEEP3D_CUDA_GRAPH_ON)
            return AVERROR(ENOSYS);
        mode = DEEP3D_CUDA_GRAPH_OFF;
    }
    if (!(g = av_mallocz(sizeof(*g))))
        return AVERROR(ENOMEM);
    g->log_ctx   = log_ctx;
    g->cu        = cu;
    g->api       = &drv->graph;
    g->mode      = mode;
    g->max_batch = max_batch;
    if (!(g->sizes = av_calloc(max_batch, sizeof(*g->sizes)))) {
        av_free(g);
        return AVERROR(ENOMEM);
    }
    *pg = g;
    return 0;
}

static const char *error_name(Deep3DCudaGraphs *g, CUresult r)
{
    const char *s = "unknown error";
    g->cu->cuGetErrorName(r, &s);
    return s;
}

int ff_deep3d_cuda_graphs_begin(Deep3DCudaGraphs *g, CUstream stream, int nb)
{
    SizeGraph *sg = nb >= 1 && nb <= g->max_batch ? &g->sizes[nb - 1] : NULL;
    CUresult r;

    g->cur = sg;
    g->run = DEEP3D_GRAPH_PLAIN;
    if (g->mode == DEEP3D_CUDA_GRAPH_OFF || !sg)
        return g->run;
    switch (sg->state) {
    case SIZE_NEW:
        sg->state = SIZE_WARM;
        break;
    case SIZE_WARM:
        g->failure  = NULL;
        sg->nb_nodes = 0;
        r = g->api->cuStreamBeginCapture(stream, DEEP3D_CU_CAPTURE_THREAD_LOCAL);
        if (r == CUDA_SUCCESS) {
            g->run = DEEP3D_GRAPH_CAPTURE;
            break;
        }
        /* this size stays plain */
        g->failure = error_name(g, r);
        return ff_deep3d_cuda_graphs_end(g, stream, 0) < 0 ? AVERROR_EXTERNAL : g->run;
    case SIZE_READY:
        g->run = DEEP3D_GRAPH_REPLAY;
        g->next_node = 0;
        break;
    case SIZE_PLAIN:
        break;
    }
    return g->run;
}

/* Capture: the launch, then the node it added (the only dependency the
 * stream now has) for the updates of later batches. */
static int capture_launch(Deep3DCudaGraphs *g, CUstream stream, CUfunction f,
                          const Deep3DKernelNodeParams *p)
{
    SizeGraph *sg = g->cur;
    const Deep3DCuGraphNode *deps = NULL;
    size_t nb_deps = 0;
    int status = 0;
    GraphNode *nodes;
    CUresult r;

    r = g->cu->cuLaunchKernel(f, p->grid_x, p->grid_y, p->grid_z, p->block_x, p->block_y,
                              p->block_z, p->shared, stream, p->params, NULL);
    if (r == CUDA_SUCCESS)
        r = g->api->cuStreamGetCaptureInfo ?
            g->api->cuStreamGetCaptureInfo(stream, &status, NULL, NULL, &deps, &nb_deps) :
            g->api->cuStreamGetCaptureInfo_v3(stream, &status, NULL, NULL, &deps, NULL, &nb_deps);
    if (r != CUDA_SUCCESS || status != DEEP3D_CU_CAPTURE_ACTIVE || nb_deps != 1) {
        g->failure = r != CUDA_SUCCESS ? error_name(g, r) : "the launch is not the only "
                     "dependency of the captured stream";
        return AVERROR_EXTERNAL;
    }
    nodes = av_fast_realloc(sg->nodes, &sg->nodes_size, (sg->nb_nodes + 1) * sizeof(*nodes));
    if (!nodes)
        return AVERROR(ENOMEM);
    sg->nodes = nodes;
    nodes[sg->nb_nodes++] = (GraphNode){ deps[0], f };
    return 0;
}

int ff_deep3d_cuda_graphs_launch(Deep3DCudaGraphs *g, CUstream stream, CUfunction f,
                                 unsigned gx, unsigned gy, unsigned gz, unsigned bx,
                                 unsigned by, unsigned bz, unsigned shared, void **args)
{
    Deep3DKernelNodeParams p = { f, gx, gy, gz, bx, by, bz, shared, args, NULL, NULL, NULL };
    SizeGraph *sg = g->cur;
    GraphNode *n;

    switch (g->run) {
    case DEEP3D_GRAPH_CAPTURE:
        return capture_launch(g, stream, f, &p);
    case DEEP3D_GRAPH_REPLAY:
        n = g->next_node < sg->nb_nodes ? &sg->nodes[g->next_node] : NULL;
        if (!n || n->f != f) {
            av_log(g->log_ctx, AV_LOG_ERROR, "Launch %d of the batch does not match its CUDA "
                   "graph.\n", g->next_node);
            return AVERROR_BUG;
        }
        g->next_node++;
        /* the driver copies the argument values now */
        return CHECK_CU(g->api->cuGraphExecKernelNodeSetParams(sg->exec, n->node, &p));
    default:
        return CHECK_CU(g->cu->cuLaunchKernel(f, gx, gy, gz, bx, by, bz, shared, stream, args,
                                              NULL));
    }
}

static void size_reset(Deep3DCudaGraphs *g, SizeGraph *sg)
{
    if (sg->exec)
        g->api->cuGraphExecDestroy(sg->exec);
    if (sg->graph)
        g->api->cuGraphDestroy(sg->graph);
    sg->exec  = NULL;
    sg->graph = NULL;
    sg->nb_nodes = 0;
}

int ff_deep3d_cuda_graphs_end(Deep3DCudaGraphs *g, CUstream stream, int ok)
{
    SizeGraph *sg = g->cur;
    int nb = sg ? (int)(sg - g->sizes) + 1 : 0;
    CUresult r;

    if (g->run == DEEP3D_GRAPH_REPLAY && ok && g->next_node != sg->nb_nodes) {
        av_log(g->log_ctx, AV_LOG_ERROR, "The batch made %d launches, its CUDA graph has %d.\n",
               g->next_node, sg->nb_nodes);
        return AVERROR_BUG;
    }
    if (g->run == DEEP3D_GRAPH_CAPTURE) {
        /* ended whatever happened: the stream leaves capture mode */
        r = g->api->cuStreamEndCapture(stream, &sg->graph);
        if (r != CUDA_SUCCESS && !g->failure)
            g->failure = error_name(g, r);
        if (!ok && !g->failure)
            g->failure = "a call of the batch failed while it was captured";
        if (!g->failure &&
            (r = g->api->cuGraphInstantiate(&sg->exec, sg->graph, 0)) != CUDA_SUCCESS)
            g->failure = error_name(g, r);
        if (!g->failure) {
            sg->state = SIZE_READY;
            av_log(g->log_ctx, AV_LOG_VERBOSE, "CUDA graph for batches of %d: %d kernel "
                   "nodes of ours, replayed from now on\n", nb, sg->nb_nodes);
            return 0;
        }
        size_reset(g, sg);
    }
    if (sg && g->failure && sg->state == SIZE_WARM) {
        sg->state = SIZE_PLAIN;
        g->run = DEEP3D_GRAPH_PLAIN;
        av_log(g->log_ctx, g->mode == DEEP3D_CUDA_GRAPH_ON ? AV_LOG_ERROR : AV_LOG_VERBOSE,
               "CUDA graph for batches of %d not captured (%s): plain launches.\n", nb,
               g->failure);
        return g->mode == DEEP3D_CUDA_GRAPH_ON ? AVERROR_EXTERNAL : 1;
    }
    return 0;
}

int ff_deep3d_cuda_graphs_run(Deep3DCudaGraphs *g, CUstream stream)
{
    int run = g->run;

    g->run = DEEP3D_GRAPH_PLAIN;
    if (run == DEEP3D_GRAPH_PLAIN)
        return 0;
    g->launched++;
    return CHECK_CU(g->api->cuGraphLaunch(g->cur->exec, stream));
}

int ff_deep3d_cuda_graphs_current(const Deep3DCudaGraphs *g)
{
    return g->run;
}

int64_t ff_deep3d_cuda_graphs_launched(const Deep3DCudaGraphs *g)
{
    return g->launched;
}

void ff_deep3d_cuda_graphs_free(Deep3DCudaGraphs **pg)
{
    Deep3DCudaGraphs *g = *pg;

    if (!g)
        return;
    for (int i = 0; i < g->max_batch; i++) {
        size_reset(g, &g->sizes[i]);
        av_freep(&g->sizes[i].nodes);
    }
    av_freep(&g->sizes);
    av_freep(pg);
}
