/*
 * Per-layer benchmark of the oneDNN engine (bench/onednn_layers.sh, make bench).
 *
 * Usage: onednn_layers MODEL.safetensors SGEMM_PEAK_GFLOPS PASSES [bf16]
 *
 * For every layer of the model's list: our time (the engine's forward pass
 * with a wait after each step, input reorders counted to the layer that
 * needs them; minimum of PASSES passes after one to warm up) against
 * oneDNN's own figure for the same shape measured in the same run, the way
 * benchdnn measures a primitive: that primitive alone (convolution,
 * deconvolution, pooling + batch norm, inner product), every format left to
 * the library ("any"), its arrays allocated by the library, run once in
 * each of the same passes right after ours (so both see the same load),
 * minimum (a deconvolution that takes over a second runs once).
 * The whole pass (no waits): median and minimum.
 * GFLOP/s are 2 x multiply-accumulates of the layer over its time; the
 * peak is bench/gemm_peak.c's OpenBLAS SGEMM, given by the caller; oneDNN's
 * own SGEMM (dnnl_sgemm, same shape) is measured here too.
 * Prints a markdown table on stdout.
 */

#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <oneapi/dnnl/dnnl.h>

#include "libavfilter/deep3d_layers.h"
#include "libavfilter/deep3d_model.h"
#include "libavfilter/deep3d_net_onednn.h"
#include "libavutil/log.h"
#include "libavutil/mem.h"

#define MAX_PASSES 64

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec * 1e-6;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, n, sizeof(*v), cmp_d);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* benchdnn's "min": the figure least disturbed by other processes */
static double minimum(const double *v, int n)
{
    double m = v[0];
    for (int i = 1; i < n; i++)
        m = v[i] < m ? v[i] : m;
    return m;
}

static void serial_execute(void *opaque, Deep3DJobFunc *job, void *arg, int nb_jobs)
{
    for (int i = 0; i < nb_jobs; i++)
        job(arg, i, nb_jobs);
}

#define OK(call)                                                                    \
    do {                                                                            \
        dnnl_status_t st_ = (call);                                                 \
        if (st_ != dnnl_success) {                                                  \
            fprintf(stderr, "onednn_layers: %s failed (%d)\n", #call, (int)st_);    \
            exit(1);                                                                \
        }                                                                           \
    } while (0)

typedef struct Alone {
    dnnl_engine_t engine;
    dnnl_stream_t stream;
} Alone;

static dnnl_memory_t alloc_md(Alone *a, const dnnl_memory_desc_t *md)
{
    dnnl_memory_t m;
    void *p;
    OK(dnnl_memory_create(&m, md, a->engine, DNNL_MEMORY_ALLOCATE));
    OK(dnnl_memory_get_data_handle(m, &p));
    if (p)
        memset(p, 0, dnnl_memory_desc_get_size(md));
    return m;
}

static const dnnl_memory_desc_t *q(const_dnnl_primitive_desc_t pd, dnnl_query_t what, int idx)
{
    return dnnl_primitive_desc_query_md(pd, what, idx);
}

/* A layer as oneDNN primitives alone: pooling + batch norm are two. */
typedef struct AloneRun {
    int n;
    dnnl_primitive_t prim[2];
    int nargs[2];
    dnnl_exec_arg_t args[2][8];
} AloneRun;

/* Append pd's primitive on args (memories allocated from pd's queries; a scratchpad added); destroys pd. */
static void add_run(AloneRun *r, Alone *a, dnnl_primitive_desc_t pd, const dnnl_exec_arg_t *args, int nargs)
{
    const dnnl_memory_desc_t *spad = q(pd, dnnl_query_scratchpad_md, 0);
    int i = r->n++;

    OK(dnnl_primitive_create(&r->prim[i], pd));
    memcpy(r->args[i], args, nargs * sizeof(*args));
    if (spad && dnnl_memory_desc_get_size(spad))
        r->args[i][nargs++] = (dnnl_exec_arg_t){ DNNL_ARG_SCRATCHPAD, alloc_md(a, spad) };
    r->nargs[i] = nargs;
    dnnl_primitive_desc_destroy(pd);
}

/* One run of the layer alone, in ms. */
static double run_alone(Alone *a, const AloneRun *r)
{
    double t0 = now_ms();
    for (int i = 0; i < r->n; i++) {
        OK(dnnl_primitive_execute(r->prim[i], a->stream, r->nargs[i], r->args[i]));
        OK(dnnl_stream_wait(a->stream));
    }
    return now_ms() - t0;
}

static void free_alone(AloneRun *r)
{
    for (int i = 0; i < r->n; i++) {
        for (int j = 0; j < r->nargs[i]; j++)
            dnnl_memory_destroy(r->args[i][j].memory);
        dnnl_primitive_destroy(r->prim[i]);
    }
    r->n = 0;
}

static void dims4(dnnl_dims_t d, Deep3DShape s)
{
    d[0] = 1; d[1] = s.c; d[2] = s.h; d[3] = s.w;
}

#define ARG(kind, query, idx) (dnnl_exec_arg_t){ kind, alloc_md(a, q(pd, query, idx)) }

/* Layer l as oneDNN primitives alone (formats "any"; with its ReLU when fused). */
static void make_alone(Alone *a, AloneRun *r, const Deep3DLayer *l, int relu, dnnl_data_type_t dt)
{
    dnnl_memory_desc_t src, wei, bia, dst;
    dnnl_dims_t sd, wd, bd = { l->out.c }, dd, st = { l->stride, l->stride }, pad = { l->pad, l->pad };
    dnnl_primitive_desc_t pd;
    dnnl_primitive_attr_t attr;
    dnnl_post_ops_t po;
    dnnl_exec_arg_t args[8];

    OK(dnnl_primitive_attr_create(&attr));
    OK(dnnl_post_ops_create(&po));
    if (relu)
        OK(dnnl_post_ops_append_eltwise(po, 1.0f, dnnl_eltwise_relu, 0, 0));
    OK(dnnl_primitive_attr_set_post_ops(attr, po));
    dims4(sd, l->in);
    dims4(dd, l->out);
    OK(dnnl_memory_desc_init_by_tag(&bia, 1, bd, dnnl_f32, dnnl_x));
    switch (l->op) {
    case DEEP3D_OP_CONV:
    case DEEP3D_OP_DECONV: {
        union { dnnl_convolution_desc_t c; dnnl_deconvolution_desc_t d; } desc;
        wd[0] = l->out.c; wd[1] = l->in.c; wd[2] = wd[3] = l->k;
        OK(dnnl_memory_desc_init_by_tag(&src, 4, sd, dt, dnnl_format_tag_any));
        OK(dnnl_memory_desc_init_by_tag(&wei, 4, wd, dt, dnnl_format_tag_any));
        OK(dnnl_memory_desc_init_by_tag(&dst, 4, dd, l->op == DEEP3D_OP_DECONV ? dnnl_f32 : dt,
                                        dnnl_format_tag_any));
        if (l->op == DEEP3D_OP_CONV)
            OK(dnnl_convolution_forward_desc_init(&desc.c, dnnl_forward_inference, dnnl_convolution_direct,
                                                  &src, &wei, &bia, &dst, st, pad, pad));
        else
            OK(dnnl_deconvolution_forward_desc_init(&desc.d, dnnl_forward_inference,
                                                    dnnl_deconvolution_direct, &src, &wei, &bia, &dst,
                                                    st, pad, pad));
        OK(dnnl_primitive_desc_create(&pd, &desc, attr, a->engine, NULL));
        args[0] = ARG(DNNL_ARG_SRC, dnnl_query_src_md, 0);
        args[1] = ARG(DNNL_ARG_WEIGHTS, dnnl_query_weights_md, 0);
        args[2] = ARG(DNNL_ARG_BIAS, dnnl_query_weights_md, 1);
        args[3] = ARG(DNNL_ARG_DST, dnnl_query_dst_md, 0);
        add_run(r, a, pd, args, 4);
        break;
    }
    case DEEP3D_OP_POOL: {
        dnnl_pooling_desc_t desc;
        dnnl_batch_normalization_desc_t bdesc;
        dnnl_dims_t two = { 2, 2 }, zero = { 0, 0 };
        /* the trunk's format as the convolutions leave it on AVX-512 */
        OK(dnnl_memory_desc_init_by_tag(&src, 4, sd, dt, dnnl_nChw16c));
        OK(dnnl_memory_desc_init_by_tag(&dst, 4, dd, dt, dnnl_format_tag_any));
        OK(dnnl_pooling_forward_desc_init(&desc, dnnl_forward_inference, dnnl_pooling_max, &src, &dst,
                                          two, two, zero, zero));
        OK(dnnl_primitive_desc_create(&pd, &desc, NULL, a->engine, NULL));
        args[0] = ARG(DNNL_ARG_SRC, dnnl_query_src_md, 0);
        args[1] = ARG(DNNL_ARG_DST, dnnl_query_dst_md, 0);
        add_run(r, a, pd, args, 2);
        if (l->side < 0)
            break;
        OK(dnnl_memory_desc_init_by_tag(&dst, 4, dd, dt, dnnl_nChw16c));
        OK(dnnl_batch_normalization_forward_desc_init(&bdesc, dnnl_forward_inference, &dst, 0.0f,
                                                      dnnl_use_global_stats | dnnl_use_scaleshift));
        OK(dnnl_primitive_desc_create(&pd, &bdesc, NULL, a->engine, NULL));
        args[0] = ARG(DNNL_ARG_SRC, dnnl_query_src_md, 0);
        args[1] = ARG(DNNL_ARG_MEAN, dnnl_query_src_md, 1);
        args[2] = ARG(DNNL_ARG_VARIANCE, dnnl_query_src_md, 2);
        args[3] = ARG(DNNL_ARG_SCALE_SHIFT, dnnl_query_weights_md, 0);
        args[4] = ARG(DNNL_ARG_DST, dnnl_query_dst_md, 0);
        add_run(r, a, pd, args, 5);
        break;
    }
    case DEEP3D_OP_FC: {
        dnnl_inner_product_desc_t desc;
        dnnl_dim_t n_in = ff_deep3d_shape_elems(l->in), n_out = ff_deep3d_shape_elems(l->out);
        dnnl_dims_t s2 = { 1, n_in }, w2 = { n_out, n_in }, d2 = { 1, n_out }, b1 = { n_out };
        OK(dnnl_memory_desc_init_by_tag(&src, 2, s2, dt, dnnl_format_tag_any));
        OK(dnnl_memory_desc_init_by_tag(&wei, 2, w2, dt, dnnl_format_tag_any));
        OK(dnnl_memory_desc_init_by_tag(&dst, 2, d2, dnnl_f32, dnnl_nc));
        OK(dnnl_memory_desc_init_by_tag(&bia, 1, b1, dnnl_f32, dnnl_x));
        OK(dnnl_inner_product_forward_desc_init(&desc, dnnl_forward_inference, &src, &wei, &bia, &dst));
        OK(dnnl_primitive_desc_create(&pd, &desc, attr, a->engine, NULL));
        args[0] = ARG(DNNL_ARG_SRC, dnnl_query_src_md, 0);
        args[1] = ARG(DNNL_ARG_WEIGHTS, dnnl_query_weights_md, 0);
        args[2] = ARG(DNNL_ARG_BIAS, dnnl_query_weights_md, 1);
        args[3] = ARG(DNNL_ARG_DST, dnnl_query_dst_md, 0);
        add_run(r, a, pd, args, 4);
        break;
    }
    default:
        break;
    }
    dnnl_post_ops_destroy(po);
    dnnl_primitive_attr_destroy(attr);
}

static const char *op_name(enum Deep3DLayerOp op)
{
    static const char *n[] = { "conv", "pool+bn", "deconv", "fc", "relu", "output reorder" };
    return op <= DEEP3D_OP_SOFTMAX ? n[op] : "?";
}

int main(int argc, char **argv)
{
    Deep3DModel *m = NULL;
    Deep3DNetOneDNN *net = NULL;
    const Deep3DLayers *ls;
    Alone a;
    float *input, *probs;
    AloneRun *alone_runs;
    double (*alone_t)[MAX_PASSES];
    int *alone_n;
    double peak, *us, (*samples)[MAX_PASSES], tot_ours = 0, tot_alone = 0, tot_gf = 0, whole[MAX_PASSES];
    double same_ours = 0, same_alone = 0, same_gf = 0;
    int passes, bf16;
    char desc[256], op[32];

    if (argc < 4) {
        fprintf(stderr, "usage: %s MODEL SGEMM_PEAK_GFLOPS PASSES [bf16]\n", argv[0]);
        return 2;
    }
    av_log_set_level(AV_LOG_ERROR);
    peak   = atof(argv[2]);
    passes = atoi(argv[3]);
    passes = passes < 1 ? 1 : passes > MAX_PASSES ? MAX_PASSES : passes;
    bf16   = argc > 4 && !strcmp(argv[4], "bf16");
    if (ff_deep3d_model_load(&m, NULL, argv[1]) < 0 ||
        ff_deep3d_onednn_init(&net, NULL, m, 2, bf16, 0) < 0) {
        fprintf(stderr, "onednn_layers: cannot make the engine for %s\n", argv[1]);
        return 1;
    }
    ls      = ff_deep3d_onednn_layers(net);
    input   = av_calloc((size_t)3 * m->in_w * m->in_h, sizeof(float));
    probs   = av_calloc((size_t)m->nb_prob * m->in_w * m->in_h, sizeof(float));
    us      = av_calloc(ls->nb_layers, sizeof(*us));
    samples = av_calloc(ls->nb_layers, sizeof(*samples));
    alone_runs = av_calloc(ls->nb_layers, sizeof(*alone_runs));
    alone_t = av_calloc(ls->nb_layers, sizeof(*alone_t));
    alone_n = av_calloc(ls->nb_layers, sizeof(*alone_n));
    if (!input || !probs || !us || !samples || !alone_runs || !alone_t || !alone_n)
        return 1;
    for (size_t i = 0; i < (size_t)3 * m->in_w * m->in_h; i++)
        input[i] = (float)(i % 251) / 251.0f - 0.5f;

    /* the whole pass, no waits between steps */
    for (int p = -1; p < passes; p++) {
        double t0 = now_ms();
        ff_deep3d_onednn_forward(net, input, probs, serial_execute, NULL);
        if (p >= 0)
            whole[p] = now_ms() - t0;
    }
    /* the layers alone */
    OK(dnnl_engine_create(&a.engine, dnnl_cpu, 0));
    OK(dnnl_stream_create(&a.stream, a.engine, dnnl_stream_default_flags));
    for (int i = 0; i < ls->nb_layers; i++) {
        const Deep3DLayer *l = &ls->layer[i];
        int relu = l->relu || (i + 1 < ls->nb_layers && ls->layer[i + 1].op == DEEP3D_OP_RELU &&
                               ls->layer[i + 1].src == l->dst && l->op != DEEP3D_OP_DECONV);
        make_alone(&a, &alone_runs[i], l, relu, bf16 ? dnnl_bf16 : dnnl_f32);
    }
    /*
     * Per layer: each pass runs ours (a wait after each step), then every
     * layer alone once, so both sides see the same stretch of the machine's
     * load; a layer alone that took over a second is not run again.
     */
    ff_deep3d_onednn_profile(net, us);
    for (int p = -1; p < passes; p++) {
        memset(us, 0, ls->nb_layers * sizeof(*us));
        ff_deep3d_onednn_forward(net, input, probs, serial_execute, NULL);
        for (int i = 0; i < ls->nb_layers; i++) {
            double t;
            if (p >= 0)
                samples[i][p] = us[i] / 1e3;
            if (!alone_runs[i].n || (alone_n[i] && alone_t[i][0] > 1000))
                continue;
            t = run_alone(&a, &alone_runs[i]);
            if (p >= 0 || t > 1000)
                alone_t[i][alone_n[i]++] = t;
        }
    }
    ff_deep3d_onednn_profile(net, NULL);
    {
        /* oneDNN's own SGEMM on gemm_peak.c's shape */
        const int M = 512, N = 4096, K = 2304;
        float *A = av_calloc((size_t)M * K, 4), *B = av_calloc((size_t)K * N, 4), *C = av_calloc((size_t)M * N, 4);
        double best = 1e9;
        for (int r = 0; r < 4 && A && B && C; r++) {
            double t0 = now_ms();
            dnnl_sgemm('N', 'N', M, N, K, 1.0f, A, K, B, N, 0.0f, C, N);
            if (r)
                best = best < now_ms() - t0 ? best : now_ms() - t0;
        }
        ff_deep3d_onednn_describe(net, desc, sizeof(desc));
        printf("- engine: %s; SGEMM peak: OpenBLAS %.1f GFLOP/s (bench/gemm_peak.c), oneDNN's "
               "dnnl_sgemm %.1f GFLOP/s (same shape, this run)\n", desc, peak, 2.0 * M * N * K / best / 1e6);
        av_free(A); av_free(B); av_free(C);
    }
    {
        double gf = 2 * ff_deep3d_layers_macs(ls) / 1e9, mn = minimum(whole, passes), md = median(whole, passes);
        printf("- whole forward pass (no waits between steps), %d passes: median %.2f ms (%.1f GFLOP/s, "
               "%.1f%% of the OpenBLAS SGEMM peak), minimum %.2f ms (%.1f GFLOP/s, %.1f%%)\n\n", passes,
               md, gf / (md / 1e3), 100 * gf / (md / 1e3) / peak, mn, gf / (mn / 1e3), 100 * gf / (mn / 1e3) / peak);
    }
    printf("| layer | op | in -> out | GFLOP | ours ms (min) | oneDNN alone ms (min) | ours / alone | ours GFLOP/s | %% of SGEMM peak |\n");
    printf("| --- | --- | --- | --- | --- | --- | --- | --- | --- |\n");
    for (int i = 0; i < ls->nb_layers; i++) {
        const Deep3DLayer *l = &ls->layer[i];
        double ours = minimum(samples[i], passes), gf = 2 * ff_deep3d_layer_macs(l) / 1e9, alone;
        if (l->op == DEEP3D_OP_RELU || l->op == DEEP3D_OP_SOFTMAX) {
            if (ours > 0)
                printf("| %s | %s | %dx%dx%d | 0 | %.3f | - | - | - | - |\n", l->name, op_name(l->op),
                       l->in.c, l->in.h, l->in.w, ours);
            tot_ours += ours;
            continue;
        }
        alone = alone_n[i] ? minimum(alone_t[i], alone_n[i]) : 0;
        tot_ours += ours;
        tot_alone += alone;
        tot_gf += gf;
        if (l->op != DEEP3D_OP_DECONV) {
            same_ours  += ours;
            same_alone += alone;
            same_gf    += gf;
        }
        if (l->op == DEEP3D_OP_DECONV)
            snprintf(op, sizeof(op), "deconv k%d s%d", l->k, l->stride);
        else
            snprintf(op, sizeof(op), "%s", op_name(l->op));
        printf("| %s | %s | %dx%dx%d -> %dx%dx%d | %.3f | %.3f | %.3f | %.2f | %.1f | %.1f%% |\n",
               l->name, op, l->in.c, l->in.h, l->in.w, l->out.c, l->out.h, l->out.w, gf, ours, alone,
               ours / alone, ours > 0 ? gf / (ours / 1e3) : 0, ours > 0 ? 100 * gf / (ours / 1e3) / peak : 0);
    }
    printf("| **conv, pool, fc** (the same primitive both sides) | | | %.3f | %.2f | %.2f | %.2f | %.1f | %.1f%% |\n",
           same_gf, same_ours, same_alone, same_ours / same_alone, same_gf / (same_ours / 1e3),
           100 * same_gf / (same_ours / 1e3) / peak);
    printf("| **all layers** (deconv: ours sub-pixel, alone oneDNN's deconvolution) | | | %.3f | %.2f | %.2f | %.2f | %.1f | %.1f%% |\n",
           tot_gf, tot_ours, tot_alone, tot_ours / tot_alone, tot_gf / (tot_ours / 1e3),
           100 * tot_gf / (tot_ours / 1e3) / peak);
    for (int i = 0; i < ls->nb_layers; i++)
        free_alone(&alone_runs[i]);
    av_free(alone_runs); av_free(alone_t); av_free(alone_n);
    dnnl_stream_destroy(a.stream);
    dnnl_engine_destroy(a.engine);
    ff_deep3d_onednn_free(&net);
    ff_deep3d_model_free(&m);
    av_free(input); av_free(probs); av_free(us); av_free(samples);
    return 0;
}
