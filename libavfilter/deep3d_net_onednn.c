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

#include <stdio.h>
#include <string.h>

#include "libavutil/error.h"
#include "libavutil/log.h"

#include "deep3d_net_onednn.h"

/* The engine needs oneDNN 2.x's C API headers (Debian: libdnnl-dev) at build
 * time and nothing at link time. */
#if defined(__has_include) && !defined(_WIN32) && !defined(DEEP3D_NO_ONEDNN)
#if __has_include(<oneapi/dnnl/dnnl.h>)
#include <oneapi/dnnl/dnnl.h>
#if DNNL_VERSION_MAJOR == 2
#define DEEP3D_HAVE_ONEDNN 1
#endif
#endif
#endif

#if DEEP3D_HAVE_ONEDNN

#include <dlfcn.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>

#include "libavutil/avstring.h"
#include "libavutil/common.h"
#include "libavutil/cpu.h"
#include "libavutil/mem.h"
#include "libavutil/time.h"

#include "deep3d_layers.h"

#define ONEDNN_SONAME "libdnnl.so.2"

/* ---- the library, loaded once per process ---- */

#define ONEDNN_FUNCS(X)                          \
    X(dnnl_version)                              \
    X(dnnl_get_effective_cpu_isa)                \
    X(dnnl_engine_create)                        \
    X(dnnl_engine_destroy)                       \
    X(dnnl_stream_create)                        \
    X(dnnl_stream_wait)                          \
    X(dnnl_stream_destroy)                       \
    X(dnnl_memory_desc_init_by_tag)              \
    X(dnnl_memory_desc_init_by_strides)          \
    X(dnnl_memory_desc_equal)                    \
    X(dnnl_memory_desc_get_size)                 \
    X(dnnl_memory_create)                        \
    X(dnnl_memory_set_data_handle)               \
    X(dnnl_memory_get_data_handle)               \
    X(dnnl_memory_destroy)                       \
    X(dnnl_primitive_attr_create)                \
    X(dnnl_primitive_attr_destroy)               \
    X(dnnl_primitive_attr_set_post_ops)          \
    X(dnnl_primitive_attr_set_scratchpad_mode)   \
    X(dnnl_post_ops_create)                      \
    X(dnnl_post_ops_destroy)                     \
    X(dnnl_post_ops_append_sum)                  \
    X(dnnl_post_ops_append_eltwise)              \
    X(dnnl_convolution_forward_desc_init)        \
    X(dnnl_deconvolution_forward_desc_init)      \
    X(dnnl_pooling_forward_desc_init)            \
    X(dnnl_batch_normalization_forward_desc_init) \
    X(dnnl_inner_product_forward_desc_init)      \
    X(dnnl_eltwise_forward_desc_init)            \
    X(dnnl_reorder_primitive_desc_create)        \
    X(dnnl_primitive_desc_create)                \
    X(dnnl_primitive_desc_query)                 \
    X(dnnl_primitive_desc_query_md)              \
    X(dnnl_primitive_desc_destroy)               \
    X(dnnl_primitive_create)                     \
    X(dnnl_primitive_execute)                    \
    X(dnnl_primitive_destroy)

typedef struct OneDNNLib {
#define DECLARE(f) __typeof__(f) *f;
    ONEDNN_FUNCS(DECLARE)
#undef DECLARE
    void (*omp_set_num_threads)(int);   ///< libgomp, Debian's oneDNN runtime; NULL otherwise
    void *handle;
    int ret;                            ///< 0 or AVERROR(ENOSYS)
    char why[256];
} OneDNNLib;

static OneDNNLib lib;
static pthread_once_t lib_once = PTHREAD_ONCE_INIT;

static void load_library(void)
{
    const dnnl_version_t *v;

    lib.ret = AVERROR(ENOSYS);
    /* Debian's oneDNN runs on OpenMP (libgomp), whose idle threads spin by
     * default: between primitives they take the cores from the filter's own
     * threads and, on a loaded machine, made the network 3-8x slower
     * (measured). libgomp reads its settings when it is loaded, here; a value
     * the user set is kept. */
    setenv("OMP_WAIT_POLICY", "PASSIVE", 0);
    if (!(lib.handle = dlopen(ONEDNN_SONAME, RTLD_NOW | RTLD_LOCAL))) {
        const char *e = dlerror();
        snprintf(lib.why, sizeof(lib.why), "oneDNN (%s, Debian package libdnnl2) could not be "
                 "loaded: %s", ONEDNN_SONAME, e ? e : "unknown error");
        return;
    }
#define LOAD(f)                                                                          \
    if (!(lib.f = (__typeof__(f) *)dlsym(lib.handle, #f))) {                             \
        snprintf(lib.why, sizeof(lib.why), "%s lacks %s.", ONEDNN_SONAME, #f);          \
        return;                                                                          \
    }
    ONEDNN_FUNCS(LOAD)
#undef LOAD
    /* found through the library's own dependencies */
    lib.omp_set_num_threads = (void (*)(int))dlsym(lib.handle, "omp_set_num_threads");
    v = lib.dnnl_version();
    if (v->major != DNNL_VERSION_MAJOR) {
        snprintf(lib.why, sizeof(lib.why), "%s is oneDNN %d.%d; the engine was built for %d.x.",
                 ONEDNN_SONAME, v->major, v->minor, DNNL_VERSION_MAJOR);
        return;
    }
    lib.ret = 0;
}

static int load(void)
{
    pthread_once(&lib_once, load_library);
    return lib.ret;
}

int ff_deep3d_onednn_probe(char *why, size_t size)
{
    int ret = load();
    if (ret < 0)
        av_strlcpy(why, lib.why, size);
    return ret;
}

int ff_deep3d_onednn_has_bf16(void)
{
    /* the ISA values are sets of feature bits */
    return load() >= 0 && (lib.dnnl_get_effective_cpu_isa() & dnnl_cpu_isa_avx512_core_bf16) ==
                          dnnl_cpu_isa_avx512_core_bf16;
}

static const char *isa_name(dnnl_cpu_isa_t isa)
{
    switch (isa) {
    case dnnl_cpu_isa_sse41:                return "sse41";
    case dnnl_cpu_isa_avx:                  return "avx";
    case dnnl_cpu_isa_avx2:                 return "avx2";
    case dnnl_cpu_isa_avx2_vnni:            return "avx2_vnni";
    case dnnl_cpu_isa_avx512_core:          return "avx512_core";
    case dnnl_cpu_isa_avx512_core_vnni:     return "avx512_core_vnni";
    case dnnl_cpu_isa_avx512_core_bf16:     return "avx512_core_bf16";
    case dnnl_cpu_isa_avx512_core_amx:      return "avx512_core_amx";
    default:                                return "other";
    }
}

/* ---- the engine ---- */

#define MAX_ARGS   8
#define MAX_STEPS  (4 * DEEP3D_MAX_LAYERS + 4)
#define MAX_MEMORIES (12 * DEEP3D_MAX_LAYERS + 8)
#define MAX_ACTS     (6 * DEEP3D_MAX_LAYERS + 8)
#define ARENA_ALIGN  64

typedef struct Step {
    dnnl_primitive_t prim;  ///< NULL: deconv runs instead
    int nargs;
    dnnl_exec_arg_t args[MAX_ARGS];
    int layer;              ///< the layer it belongs to (its input reorders included)
    int reorder;            ///< a reorder the plan needs at an edge
    /* a deconvolution of deep3d_net.c on plain arrays, on the filter's jobs */
    Deep3DDeconv *deconv;
    dnnl_memory_t in, out;
    int accumulate, relu;
} Step;

/*
 * An activation's array in the buffer plan: a root owns its bytes, a view
 * (another descriptor of the same floats) names its root. first..last: the
 * steps that read or write the root or a view of it; two roots whose
 * intervals do not meet may share bytes.
 */
typedef struct Act {
    dnnl_memory_t mem;
    size_t bytes;
    int parent;             ///< the root this views, or -1
    int first, last;
    size_t offset;          ///< in the arena
} Act;

/* An activation: its memory and whether it is a plain (nchw / nc) f32 array. */
typedef struct Tensor {
    dnnl_memory_t mem;
    dnnl_memory_desc_t md;
    int plain;
} Tensor;

struct Deep3DNetOneDNN {
    Deep3DLayers layers;
    void *log_ctx;
    int nb_threads;                 ///< oneDNN's (OpenMP) threads
    int nb_jobs;                    ///< the filter's jobs (softmax, deconvolutions)
    int bf16;
    dnnl_engine_t engine;
    dnnl_stream_t stream;

    Step steps[MAX_STEPS];
    int nb_steps;
    dnnl_memory_t owned[MAX_MEMORIES];  ///< memories to destroy
    int nb_owned;
    void *data[MAX_MEMORIES];           ///< the arrays we allocated for them
    int nb_data;

    Tensor cur[DEEP3D_MAX_BUFFERS]; ///< what each buffer of the list holds at this point of the plan
    int cur_layer;                  ///< the layer being built
    dnnl_memory_t user_in, user_out;
    size_t user_in_bytes;
    Act acts[MAX_ACTS];
    int nb_acts;
    uint8_t *arena;                 ///< every activation, at its planned offset
    size_t arena_bytes, separate_bytes, weight_bytes;
    int nb_subpixel, nb_host_deconv;
    unsigned flags;
    double *profile_us;             ///< per layer, when profiling
    dnnl_memory_t scratchpad;
    size_t scratchpad_bytes;
    void *scratchpad_data;
    int softmax_c, softmax_hw;      ///< the final softmax over probs; c = 0: none
    float **job_scratch;            ///< per job: the softmax's and the deconvolutions'
    size_t job_scratch_floats;
    char impl[128];                 ///< the first convolution's implementation
};

static int check(Deep3DNetOneDNN *net, dnnl_status_t st, const char *what, const char *layer)
{
    if (st == dnnl_success)
        return 0;
    av_log(net->log_ctx, AV_LOG_ERROR, "oneDNN: %s failed for %s (status %d).\n", what,
           layer ? layer : "the network", (int)st);
    return st == dnnl_out_of_memory ? AVERROR(ENOMEM) : AVERROR_EXTERNAL;
}

#define CHECK(call, what, layer)                                \
    do {                                                        \
        if ((ret = check(net, (call), what, layer)) < 0)        \
            goto end;                                           \
    } while (0)

static dnnl_data_type_t act_type(const Deep3DNetOneDNN *net)
{
    return net->bf16 ? dnnl_bf16 : dnnl_f32;
}

static int md_init(Deep3DNetOneDNN *net, dnnl_memory_desc_t *md, int ndims, const dnnl_dims_t dims,
                   dnnl_data_type_t dt, dnnl_format_tag_t tag)
{
    return check(net, lib.dnnl_memory_desc_init_by_tag(md, ndims, dims, dt, tag),
                 "memory_desc_init", NULL);
}

/*
 * A memory of md: on data when given, on no array when data is
 * DNNL_MEMORY_NONE and none is wanted (array = 0), else on a zeroed array of
 * ours, kept for the engine's life (weights and the like).
 */
static int new_memory_on(Deep3DNetOneDNN *net, dnnl_memory_t *mem, const dnnl_memory_desc_t *md,
                         void *data, int array)
{
    dnnl_status_t st;

    if (net->nb_owned >= FF_ARRAY_ELEMS(net->owned) || net->nb_data >= FF_ARRAY_ELEMS(net->data))
        return AVERROR_BUG;
    if (!data && array) {
        size_t bytes = lib.dnnl_memory_desc_get_size(md);
        if (!(data = av_mallocz(FFMAX(bytes, 64))))
            return AVERROR(ENOMEM);
        net->data[net->nb_data++] = data;
        net->weight_bytes += bytes;
    }
    st = lib.dnnl_memory_create(mem, md, net->engine, data);
    if (st != dnnl_success)
        return check(net, st, "memory_create", NULL);
    net->owned[net->nb_owned++] = *mem;
    return 0;
}

static int new_memory(Deep3DNetOneDNN *net, dnnl_memory_t *mem, const dnnl_memory_desc_t *md,
                      void *data)
{
    return new_memory_on(net, mem, md, data, 1);
}

static int find_act(const Deep3DNetOneDNN *net, dnnl_memory_t mem)
{
    for (int i = 0; i < net->nb_acts; i++)
        if (net->acts[i].mem == mem)
            return net->acts[i].parent >= 0 ? net->acts[i].parent : i;
    return -1;
}

/*
 * An activation of md in the buffer plan: its array is set once the plan is
 * made (plan()); of = the memory it views (the same floats), or NULL.
 */
static int new_act(Deep3DNetOneDNN *net, dnnl_memory_t *mem, const dnnl_memory_desc_t *md,
                   dnnl_memory_t of)
{
    Act *a;
    int ret, parent = of ? find_act(net, of) : -1;

    if (net->nb_acts >= MAX_ACTS || (of && parent < 0))
        return AVERROR_BUG;
    if ((ret = new_memory_on(net, mem, md, DNNL_MEMORY_NONE, 0)) < 0)
        return ret;
    a = &net->acts[net->nb_acts++];
    *a = (Act){ .mem = *mem, .bytes = lib.dnnl_memory_desc_get_size(md), .parent = parent,
                .first = INT_MAX, .last = -1 };
    return 0;
}

static void track_scratchpad(Deep3DNetOneDNN *net, const_dnnl_primitive_desc_t pd)
{
    const dnnl_memory_desc_t *md = lib.dnnl_primitive_desc_query_md(pd, dnnl_query_scratchpad_md, 0);
    if (md)
        net->scratchpad_bytes = FFMAX(net->scratchpad_bytes, lib.dnnl_memory_desc_get_size(md));
}

/*
 * The one path by which every primitive is made: the primitive of pd (pd is
 * destroyed) with args; appended to the plan as a step of the current layer,
 * or, with now, run once at init and destroyed (the weights' reorders), on a
 * scratchpad freed at once.
 */
static int add_primitive(Deep3DNetOneDNN *net, dnnl_primitive_desc_t pd, int is_reorder,
                         const dnnl_exec_arg_t *args, int nargs, int now)
{
    const char *name = net->cur_layer >= 0 ? net->layers.layer[net->cur_layer].name : "the input";
    dnnl_primitive_t prim = NULL;
    dnnl_status_t st;
    Step *s;
    int ret = 0;

    if ((!now && net->nb_steps >= MAX_STEPS) || nargs > MAX_ARGS - 1) {
        lib.dnnl_primitive_desc_destroy(pd);
        return AVERROR_BUG;
    }
    if (!now)
        track_scratchpad(net, pd);
    st = lib.dnnl_primitive_create(&prim, pd);
    if (st != dnnl_success) {
        lib.dnnl_primitive_desc_destroy(pd);
        return check(net, st, "primitive_create", name);
    }
    if (now) {
        const dnnl_memory_desc_t *smd = lib.dnnl_primitive_desc_query_md(pd, dnnl_query_scratchpad_md, 0);
        size_t spad_bytes = smd ? lib.dnnl_memory_desc_get_size(smd) : 0;
        dnnl_exec_arg_t a[MAX_ARGS];
        dnnl_memory_t spad = NULL;
        void *spad_data = NULL;
        int n = nargs;

        memcpy(a, args, nargs * sizeof(*args));
        if (spad_bytes) {
            if (!(spad_data = av_malloc(spad_bytes)))
                st = dnnl_out_of_memory;
            else if ((st = lib.dnnl_memory_create(&spad, smd, net->engine, spad_data)) == dnnl_success)
                a[n++] = (dnnl_exec_arg_t){ DNNL_ARG_SCRATCHPAD, spad };
        }
        if (st == dnnl_success)
            st = lib.dnnl_primitive_execute(prim, net->stream, n, a);
        if (st == dnnl_success)
            st = lib.dnnl_stream_wait(net->stream);
        if (spad)
            lib.dnnl_memory_destroy(spad);
        av_free(spad_data);
        lib.dnnl_primitive_destroy(prim);
        lib.dnnl_primitive_desc_destroy(pd);
        return st == dnnl_success ? 0 : check(net, st, "execute", name);
    }
    lib.dnnl_primitive_desc_destroy(pd);
    s = &net->steps[net->nb_steps++];
    s->prim    = prim;
    memcpy(s->args, args, nargs * sizeof(*args));
    s->nargs   = nargs;
    s->layer   = net->cur_layer;
    s->reorder = is_reorder;
    return ret;
}

/* The primitive descriptor of an operation (desc), its implementation logged. */
static int make_pd(Deep3DNetOneDNN *net, dnnl_primitive_desc_t *pd, const void *desc,
                   const_dnnl_primitive_attr_t attr)
{
    const char *name = net->layers.layer[net->cur_layer].name;
    const char *impl = NULL;
    int ret = check(net, lib.dnnl_primitive_desc_create(pd, desc, attr, net->engine, NULL),
                    "primitive_desc_create", name);

    if (ret < 0) {
        *pd = NULL;
        return ret;
    }
    if (lib.dnnl_primitive_desc_query(*pd, dnnl_query_impl_info_str, 0, &impl) == dnnl_success && impl) {
        if (!net->impl[0] && net->layers.layer[net->cur_layer].op == DEEP3D_OP_CONV)
            av_strlcpy(net->impl, impl, sizeof(net->impl));
        av_log(net->log_ctx, AV_LOG_DEBUG, "oneDNN: %s: %s\n", name, impl);
    }
    return 0;
}

/*
 * Copy src (as src_md) to dst (as md): a reorder in the plan, or at once
 * (now: the weights). sum: add to what dst holds.
 */
static int reorder_to(Deep3DNetOneDNN *net, dnnl_memory_t src, const dnnl_memory_desc_t *src_md,
                      dnnl_memory_t dst, const dnnl_memory_desc_t *md, int now, int sum)
{
    dnnl_primitive_desc_t pd;
    dnnl_primitive_attr_t attr = NULL;
    dnnl_post_ops_t po = NULL;
    dnnl_exec_arg_t args[2] = { { DNNL_ARG_FROM, src }, { DNNL_ARG_TO, dst } };
    int ret;

    CHECK(lib.dnnl_primitive_attr_create(&attr), "primitive_attr_create", NULL);
    CHECK(lib.dnnl_primitive_attr_set_scratchpad_mode(attr, dnnl_scratchpad_mode_user),
          "set_scratchpad_mode", NULL);
    if (sum) {
        CHECK(lib.dnnl_post_ops_create(&po), "post_ops_create", NULL);
        CHECK(lib.dnnl_post_ops_append_sum(po, 1.0f), "post_ops_append_sum", NULL);
        CHECK(lib.dnnl_primitive_attr_set_post_ops(attr, po), "set_post_ops", NULL);
    }
    CHECK(lib.dnnl_reorder_primitive_desc_create(&pd, src_md, net->engine, md, net->engine, attr),
          "reorder", NULL);
    ret = add_primitive(net, pd, 1, args, 2, now);
end:
    if (po)
        lib.dnnl_post_ops_destroy(po);
    lib.dnnl_primitive_attr_destroy(attr);
    return ret;
}

/* Copy src to a new memory of md: an activation of the plan, or (now) weights of ours. */
static int reorder(Deep3DNetOneDNN *net, dnnl_memory_t src, const dnnl_memory_desc_t *src_md,
                   const dnnl_memory_desc_t *md, dnnl_memory_t *dst, int now)
{
    int ret = now ? new_memory(net, dst, md, NULL) : new_act(net, dst, md, NULL);
    return ret < 0 ? ret : reorder_to(net, src, src_md, *dst, md, now, 0);
}

/*
 * Weights of ours in the layout given by dims/tag, in the format the
 * primitive wants: always a copy of the engine's own, so the model's arrays
 * may be freed once the engine is made (the weights held once).
 */
static int weights(Deep3DNetOneDNN *net, const float *w, int ndims, const dnnl_dims_t dims,
                   dnnl_format_tag_t tag, const dnnl_memory_desc_t *want, dnnl_memory_t *mem)
{
    dnnl_memory_desc_t md;
    dnnl_memory_t user;
    int ret;

    if ((ret = md_init(net, &md, ndims, dims, dnnl_f32, tag)) < 0 ||
        (ret = new_memory_on(net, &user, &md, (void *)w, 0)) < 0)
        return ret;
    return reorder(net, user, &md, want, mem, 1);
}

/* The bias, copied (see weights()). */
static int bias(Deep3DNetOneDNN *net, const float *b, int n, dnnl_memory_desc_t *md, dnnl_memory_t *mem)
{
    dnnl_dims_t dims = { n };
    void *data;
    int ret = md_init(net, md, 1, dims, dnnl_f32, dnnl_x);

    if (ret < 0 || (ret = new_memory(net, mem, md, NULL)) < 0)
        return ret;
    if (lib.dnnl_memory_get_data_handle(*mem, &data) != dnnl_success)
        return AVERROR_BUG;
    memcpy(data, b, n * sizeof(*b));
    return 0;
}

/*
 * The activation t as md: itself when the formats match, a view of the same
 * array when both are plain f32 (the FC head's vectors as maps and back), a
 * reorder in the plan otherwise.
 */
static int as_md(Deep3DNetOneDNN *net, const Tensor *t, const dnnl_memory_desc_t *md, dnnl_memory_t *mem)
{
    dnnl_memory_desc_t view;
    dnnl_memory_t src = t->mem;
    const dnnl_memory_desc_t *src_md = &t->md;
    int ret;

    if (lib.dnnl_memory_desc_equal(&t->md, md)) {
        *mem = t->mem;
        return 0;
    }
    if (t->plain && (md->ndims == 2 || md->ndims == 4)) {
        /* the same floats with md's dimensions, when their number agrees */
        if ((ret = md_init(net, &view, md->ndims, md->dims, dnnl_f32,
                           md->ndims == 4 ? dnnl_nchw : dnnl_nc)) < 0)
            return ret;
        if (lib.dnnl_memory_desc_get_size(&view) == lib.dnnl_memory_desc_get_size(&t->md)) {
            if ((ret = new_act(net, &src, &view, t->mem)) < 0)
                return ret;
            src_md = &view;
            if (lib.dnnl_memory_desc_equal(&view, md)) {
                *mem = src;
                return 0;
            }
        }
    }
    return reorder(net, src, src_md, md, mem, 0);
}

/* The post-ops of a layer: accumulation into dst, then ReLU. */
static int make_attr(Deep3DNetOneDNN *net, dnnl_primitive_attr_t *attr, int sum, int relu)
{
    dnnl_post_ops_t po = NULL;
    int ret;

    CHECK(lib.dnnl_primitive_attr_create(attr), "primitive_attr_create", NULL);
    CHECK(lib.dnnl_primitive_attr_set_scratchpad_mode(*attr, dnnl_scratchpad_mode_user),
          "set_scratchpad_mode", NULL);
    if (sum || relu) {
        CHECK(lib.dnnl_post_ops_create(&po), "post_ops_create", NULL);
        if (sum)
            CHECK(lib.dnnl_post_ops_append_sum(po, 1.0f), "post_ops_append_sum", NULL);
        if (relu)
            CHECK(lib.dnnl_post_ops_append_eltwise(po, 1.0f, dnnl_eltwise_relu, 0.0f, 0.0f),
                  "post_ops_append_eltwise", NULL);
        CHECK(lib.dnnl_primitive_attr_set_post_ops(*attr, po), "set_post_ops", NULL);
    }
end:
    if (po)
        lib.dnnl_post_ops_destroy(po);
    return ret;
}

static void set_dims4(dnnl_dims_t d, Deep3DShape s)
{
    d[0] = 1; d[1] = s.c; d[2] = s.h; d[3] = s.w;
}

static const dnnl_memory_desc_t *query(const_dnnl_primitive_desc_t pd, dnnl_query_t what)
{
    return lib.dnnl_primitive_desc_query_md(pd, what, 0);
}

/* A plain f32 (1, c, h, w) array of ours, or a view of one. */
static int plain_md(Deep3DNetOneDNN *net, dnnl_memory_desc_t *md, Deep3DShape s)
{
    dnnl_dims_t dims = { 1, s.c, s.h, s.w };
    return md_init(net, md, 4, dims, dnnl_f32, dnnl_nchw);
}

/*
 * The fallback for a transposed convolution the sub-pixel form does not fit:
 * deep3d_net.c's output phases on plain arrays (oneDNN 2.6 has no fp32 JIT
 * kernel for the branches' large kernels: its reference kernel takes
 * seconds, its GEMM one tens of ms a frame, measured).
 */
static int add_host_deconv(Deep3DNetOneDNN *net, int i, int relu)
{
    const Deep3DLayer *l = &net->layers.layer[i];
    Tensor *dst = &net->cur[l->dst];
    dnnl_memory_desc_t in_md, out_md;
    dnnl_memory_t smem;
    Step *s;
    int ret;

    if ((ret = plain_md(net, &in_md, l->in)) < 0 || (ret = plain_md(net, &out_md, l->out)) < 0 ||
        (ret = as_md(net, &net->cur[l->src], &in_md, &smem)) < 0)
        return ret;
    /* after as_md(), which may append a reorder */
    if (net->nb_steps >= MAX_STEPS)
        return AVERROR_BUG;
    s = &net->steps[net->nb_steps];
    if (l->accumulate) {
        if (!dst->plain || !lib.dnnl_memory_desc_equal(&dst->md, &out_md)) {
            av_log(net->log_ctx, AV_LOG_ERROR, "oneDNN: %s adds to a buffer of another format.\n",
                   l->name);
            return AVERROR_BUG;
        }
    } else {
        dst->md    = out_md;
        dst->plain = 1;
        if ((ret = new_act(net, &dst->mem, &dst->md, NULL)) < 0)
            return ret;
    }
    if ((ret = ff_deep3d_deconv_init(&s->deconv, l)) < 0)
        return ret;
    net->job_scratch_floats = FFMAX(net->job_scratch_floats, ff_deep3d_deconv_scratch(s->deconv));
    s->in         = smem;
    s->out        = dst->mem;
    s->accumulate = l->accumulate;
    s->relu       = relu;
    s->layer      = i;
    net->nb_steps++;
    net->nb_host_deconv++;
    return 0;
}

/* ReLU in place on what t holds. */
static int add_relu_on(Deep3DNetOneDNN *net, const Tensor *t)
{
    dnnl_eltwise_desc_t desc;
    dnnl_primitive_desc_t pd = NULL;
    dnnl_primitive_attr_t attr = NULL;
    int ret;

    if ((ret = make_attr(net, &attr, 0, 0)) < 0)
        goto end;
    CHECK(lib.dnnl_eltwise_forward_desc_init(&desc, dnnl_forward_inference, dnnl_eltwise_relu,
          &t->md, 0.0f, 0.0f), "eltwise_forward_desc_init", net->layers.layer[net->cur_layer].name);
    if ((ret = make_pd(net, &pd, &desc, attr)) < 0)
        goto end;
    ret = add_primitive(net, pd, 0, (dnnl_exec_arg_t[]){ { DNNL_ARG_SRC, t->mem }, { DNNL_ARG_DST, t->mem } },
                        2, 0);
    pd = NULL;
end:
    if (pd)
        lib.dnnl_primitive_desc_destroy(pd);
    if (attr)
        lib.dnnl_primitive_attr_destroy(attr);
    return ret;
}

/* The sub-pixel form of a transposed convolution (see add_subpixel_deconv()). */
typedef struct SubPixel {
    int s, T, L, KK, hb, wb, pad_r_h, pad_r_w;
} SubPixel;

/*
 * Output y = b s + r (phase r) of a transposed convolution (stride s, kernel
 * k, pad p) gathers input b + q(r) - t through tap t s + rr(r), t < T =
 * ceil(k / s), with q(r) = (r + p) / s and rr(r) = (r + p) % s: for every
 * phase a correlation over the input, so all phases are one convolution of
 * s^2 Cout channels (kernel KK = T + q(s-1) - q(0), left padding L = T - 1 -
 * q(0)) on an hb x wb grid, whose channels (co, ry, rx) are then put at
 * (b s + ry, b s + rx): the pixel shuffle. Fits when the output is that
 * grid exactly (out = hb s) and the padding is not negative.
 */
static int subpixel_fits(const Deep3DLayer *l, SubPixel *sp)
{
    int s = l->stride, p = l->pad;

    if (s < 1 || s > 16 || p < 0 || l->out.h % s || l->out.w % s)
        return 0;
    sp->s  = s;
    sp->T  = (l->k + s - 1) / s;
    sp->L  = sp->T - 1 - p / s;
    sp->KK = sp->T + (s - 1 + p) / s - p / s;
    sp->hb = l->out.h / s;
    sp->wb = l->out.w / s;
    /* the right padding that gives hb outputs: hb = h + L + R - KK + 1 */
    sp->pad_r_h = sp->hb - l->in.h - sp->L + sp->KK - 1;
    sp->pad_r_w = sp->wb - l->in.w - sp->L + sp->KK - 1;
    /* the sub-pixel weights hold (KK / T)^2 times the layer's (9 / 4 for the Deep3D shapes,
     * k = 2s, p = s / 2), at most 4x: else the fallback */
    return sp->L >= 0 && sp->pad_r_h >= 0 && sp->pad_r_w >= 0 && sp->KK <= 2 * sp->T;
}

/* The sub-pixel convolution's weights (s^2 Cout, Cin, KK, KK) from the layer's (Cin, Cout, k, k). */
static void subpixel_weights(const Deep3DLayer *l, const SubPixel *sp, float *wz, float *bz)
{
    int s = sp->s, k = l->k, p = l->pad, cin = l->in.c, cout = l->out.c, KK = sp->KK;

    memset(wz, 0, sizeof(*wz) * cout * s * s * cin * KK * KK);
    for (int co = 0; co < cout; co++)
        for (int ry = 0; ry < s; ry++)
            for (int rx = 0; rx < s; rx++) {
                int oc = (co * s + ry) * s + rx;
                bz[oc] = l->b[co];
                for (int jy = 0; jy < KK; jy++) {
                    int ty = sp->L + (ry + p) / s - jy, ky = ty * s + (ry + p) % s;
                    if (ty < 0 || ty >= sp->T || ky >= k)
                        continue;
                    for (int jx = 0; jx < KK; jx++) {
                        int tx = sp->L + (rx + p) / s - jx, kx = tx * s + (rx + p) % s;
                        if (tx < 0 || tx >= sp->T || kx >= k)
                            continue;
                        for (int ci = 0; ci < cin; ci++)
                            wz[(((size_t)oc * cin + ci) * KK + jy) * KK + jx] =
                                l->w[(((size_t)ci * cout + co) * k + ky) * k + kx];
                    }
                }
            }
}

/*
 * A strided transposed convolution as one oneDNN convolution (bias and, when
 * it does not accumulate, ReLU fused) into a channels-last grid, then the
 * pixel shuffle as a oneDNN reorder between two strided views, adding to the
 * sum when the layer accumulates (a ReLU after the sum is its own step). The
 * output is plain f32, so the accumulating layers share the sum's format.
 */
static int add_subpixel_deconv(Deep3DNetOneDNN *net, int i, int relu, const SubPixel *sp)
{
    const Deep3DLayer *l = &net->layers.layer[i];
    Tensor *dst = &net->cur[l->dst];
    int s = sp->s, cz = l->out.c * s * s, cout = l->out.c;
    dnnl_memory_desc_t src_md, w_md, b_md, z_md, out_md, zv_md, ov_md;
    dnnl_dims_t sdims, wdims = { cz, l->in.c, sp->KK, sp->KK }, zdims = { 1, cz, sp->hb, sp->wb };
    dnnl_dims_t strides = { 1, 1 }, pad_l = { sp->L, sp->L }, pad_r = { sp->pad_r_h, sp->pad_r_w };
    dnnl_dims_t vdims = { cout, s, s, sp->hb, sp->wb };
    dnnl_dims_t zstr = { s * s, s, 1, (dnnl_dim_t)sp->wb * cz, cz };
    dnnl_dims_t ostr = { (dnnl_dim_t)l->out.h * l->out.w, l->out.w, 1, (dnnl_dim_t)s * l->out.w, s };
    dnnl_convolution_desc_t desc;
    dnnl_primitive_desc_t pd = NULL;
    dnnl_primitive_attr_t attr = NULL;
    dnnl_memory_t wmem, bmem, smem, zmem, zview, oview;
    float *wz = NULL, *bz = NULL;
    dnnl_data_type_t dt = act_type(net);
    int ret;

    set_dims4(sdims, l->in);
    if ((ret = plain_md(net, &out_md, l->out)) < 0)
        return ret;
    if (l->accumulate && (!dst->plain || !lib.dnnl_memory_desc_equal(&dst->md, &out_md))) {
        av_log(net->log_ctx, AV_LOG_ERROR, "oneDNN: %s adds to a buffer of another format.\n", l->name);
        return AVERROR_BUG;
    }
    wz = av_malloc_array((size_t)cz * l->in.c * sp->KK * sp->KK, sizeof(*wz));
    bz = av_malloc_array(cz, sizeof(*bz));
    if (!wz || !bz) {
        ret = AVERROR(ENOMEM);
        goto end;
    }
    subpixel_weights(l, sp, wz, bz);
    if ((ret = md_init(net, &src_md, 4, sdims, dt, dnnl_format_tag_any)) < 0 ||
        (ret = md_init(net, &w_md, 4, wdims, dt, dnnl_format_tag_any)) < 0 ||
        (ret = md_init(net, &z_md, 4, zdims, dnnl_f32, dnnl_nhwc)) < 0 ||
        (ret = bias(net, bz, cz, &b_md, &bmem)) < 0 ||
        (ret = make_attr(net, &attr, 0, relu && !l->accumulate)) < 0)
        goto end;
    CHECK(lib.dnnl_convolution_forward_desc_init(&desc, dnnl_forward_inference, dnnl_convolution_direct,
          &src_md, &w_md, &b_md, &z_md, strides, pad_l, pad_r), "convolution_forward_desc_init", l->name);
    if ((ret = make_pd(net, &pd, &desc, attr)) < 0 ||
        (ret = weights(net, wz, 4, wdims, dnnl_oihw, query(pd, dnnl_query_weights_md), &wmem)) < 0 ||
        (ret = as_md(net, &net->cur[l->src], query(pd, dnnl_query_src_md), &smem)) < 0 ||
        (ret = new_act(net, &zmem, &z_md, NULL)) < 0)
        goto end;
    ret = add_primitive(net, pd, 0, (dnnl_exec_arg_t[]){ { DNNL_ARG_SRC, smem }, { DNNL_ARG_WEIGHTS, wmem },
                        { DNNL_ARG_BIAS, bmem }, { DNNL_ARG_DST, zmem } }, 4, 0);
    pd = NULL;
    if (ret < 0)
        goto end;
    /* the shuffle: both sides as (co, ry, rx, by, bx) */
    if (!l->accumulate) {
        dst->md    = out_md;
        dst->plain = 1;
        if ((ret = new_act(net, &dst->mem, &dst->md, NULL)) < 0)
            goto end;
    }
    CHECK(lib.dnnl_memory_desc_init_by_strides(&zv_md, 5, vdims, dnnl_f32, zstr), "memory_desc_init", l->name);
    CHECK(lib.dnnl_memory_desc_init_by_strides(&ov_md, 5, vdims, dnnl_f32, ostr), "memory_desc_init", l->name);
    if ((ret = new_act(net, &zview, &zv_md, zmem)) < 0 ||
        (ret = new_act(net, &oview, &ov_md, dst->mem)) < 0 ||
        (ret = reorder_to(net, zview, &zv_md, oview, &ov_md, 0, l->accumulate)) < 0)
        goto end;
    net->nb_subpixel++;
    if (relu && l->accumulate)
        ret = add_relu_on(net, dst);
end:
    av_free(wz);
    av_free(bz);
    if (pd)
        lib.dnnl_primitive_desc_destroy(pd);
    if (attr)
        lib.dnnl_primitive_attr_destroy(attr);
    return ret;
}

/*
 * A convolution or a deconvolution (with bias and post-ops) from src to a new
 * activation, or into what the buffer holds when the layer accumulates.
 * out_f32: the network's output, fp32 in every precision.
 */
static int add_conv(Deep3DNetOneDNN *net, int i, int relu, int out_f32)
{
    const Deep3DLayer *l = &net->layers.layer[i];
    int deconv = l->op == DEEP3D_OP_DECONV, accumulate = deconv && l->accumulate;
    dnnl_memory_desc_t src_md, w_md, b_md, dst_md;
    dnnl_dims_t sdims, wdims, ddims, strides = { l->stride, l->stride };
    dnnl_dims_t pad = { l->pad, l->pad };
    dnnl_memory_t wmem, bmem, smem;
    dnnl_primitive_desc_t pd = NULL;
    dnnl_primitive_attr_t attr = NULL;
    union { dnnl_convolution_desc_t c; dnnl_deconvolution_desc_t d; } desc;
    dnnl_data_type_t dt = act_type(net);
    Tensor *dst = &net->cur[l->dst];
    int ret;

    set_dims4(sdims, l->in);
    set_dims4(ddims, l->out);
    /* ours: conv oihw (co, ci, k, k); deconv iohw (ci, co, k, k), both dims {co, ci, k, k} */
    wdims[0] = l->out.c; wdims[1] = l->in.c; wdims[2] = wdims[3] = l->k;

    if ((ret = md_init(net, &src_md, 4, sdims, dt, dnnl_format_tag_any)) < 0 ||
        (ret = md_init(net, &w_md, 4, wdims, dt, dnnl_format_tag_any)) < 0 ||
        (ret = bias(net, l->b, l->out.c, &b_md, &bmem)) < 0)
        return ret;
    if (accumulate)
        dst_md = dst->md;
    else if ((ret = md_init(net, &dst_md, 4, ddims, out_f32 ? dnnl_f32 : dt, dnnl_format_tag_any)) < 0)
        return ret;
    if ((ret = make_attr(net, &attr, accumulate, relu)) < 0)
        goto end;
    if (deconv)
        CHECK(lib.dnnl_deconvolution_forward_desc_init(&desc.d, dnnl_forward_inference,
              dnnl_deconvolution_direct, &src_md, &w_md, &b_md, &dst_md, strides, pad, pad),
              "deconvolution_forward_desc_init", l->name);
    else
        CHECK(lib.dnnl_convolution_forward_desc_init(&desc.c, dnnl_forward_inference,
              dnnl_convolution_direct, &src_md, &w_md, &b_md, &dst_md, strides, pad, pad),
              "convolution_forward_desc_init", l->name);
    if ((ret = make_pd(net, &pd, &desc, attr)) < 0 ||
        (ret = weights(net, l->w, 4, wdims, deconv ? dnnl_iohw : dnnl_oihw,
                       query(pd, dnnl_query_weights_md), &wmem)) < 0 ||
        (ret = as_md(net, &net->cur[l->src], query(pd, dnnl_query_src_md), &smem)) < 0)
        goto end;
    if (!accumulate) {
        dst->md = *query(pd, dnnl_query_dst_md);
        dst->plain = 0;
        if ((ret = new_act(net, &dst->mem, &dst->md, NULL)) < 0)
            goto end;
    }
    ret = add_primitive(net, pd, 0, (dnnl_exec_arg_t[]){ { DNNL_ARG_SRC, smem }, { DNNL_ARG_WEIGHTS, wmem },
                        { DNNL_ARG_BIAS, bmem }, { DNNL_ARG_DST, dst->mem } }, 4, 0);
    pd = NULL;
end:
    if (pd)
        lib.dnnl_primitive_desc_destroy(pd);
    if (attr)
        lib.dnnl_primitive_attr_destroy(attr);
    return ret;
}

/* 2x2 max pooling, then the branch's BatchNorm into the side buffer. */
static int add_pool(Deep3DNetOneDNN *net, int i)
{
    const Deep3DLayer *l = &net->layers.layer[i];
    const Tensor *src = &net->cur[l->src];
    Tensor *dst = &net->cur[l->dst];
    dnnl_pooling_desc_t pdesc;
    dnnl_batch_normalization_desc_t bdesc;
    dnnl_memory_desc_t dst_md;
    dnnl_dims_t ddims, two = { 2, 2 }, zero = { 0, 0 };
    dnnl_primitive_desc_t pd = NULL;
    dnnl_primitive_attr_t attr = NULL;
    dnnl_memory_t in = src->mem;
    int ret;

    set_dims4(ddims, l->out);
    if ((ret = md_init(net, &dst_md, 4, ddims, src->md.data_type, dnnl_format_tag_any)) < 0 ||
        (ret = make_attr(net, &attr, 0, 0)) < 0)
        goto end;
    CHECK(lib.dnnl_pooling_forward_desc_init(&pdesc, dnnl_forward_inference, dnnl_pooling_max,
          &src->md, &dst_md, two, two, zero, zero), "pooling_forward_desc_init", l->name);
    if ((ret = make_pd(net, &pd, &pdesc, attr)) < 0)
        goto end;
    dst->md = *query(pd, dnnl_query_dst_md);
    dst->plain = 0;
    if ((ret = new_act(net, &dst->mem, &dst->md, NULL)) < 0)
        goto end;
    ret = add_primitive(net, pd, 0, (dnnl_exec_arg_t[]){ { DNNL_ARG_SRC, in }, { DNNL_ARG_DST, dst->mem } },
                        2, 0);
    pd = NULL;
    if (ret < 0)
        goto end;
    if (l->side >= 0) {
        /* gamma inv_std (x - mean) + beta as scale x + shift: mean 0, variance 1, eps 0 */
        Tensor *side = &net->cur[l->side];
        dnnl_memory_desc_t ss_md, mv_md;
        dnnl_dims_t ss_dims = { 2, l->out.c }, mv_dims = { l->out.c };
        dnnl_memory_t ss, mean, var;
        float *p;

        if ((ret = md_init(net, &ss_md, 2, ss_dims, dnnl_f32, dnnl_nc)) < 0 ||
            (ret = md_init(net, &mv_md, 1, mv_dims, dnnl_f32, dnnl_x)) < 0 ||
            (ret = new_memory(net, &ss, &ss_md, NULL)) < 0 ||
            (ret = new_memory(net, &mean, &mv_md, NULL)) < 0 ||
            (ret = new_memory(net, &var, &mv_md, NULL)) < 0)
            goto end;
        p = net->data[net->nb_data - 3];
        for (int c = 0; c < l->out.c; c++) {
            float scale = l->bn_gamma[c] * l->bn_inv_std[c];
            p[c]             = scale;
            p[l->out.c + c]  = l->bn_beta[c] - scale * l->bn_mean[c];
        }
        p = net->data[net->nb_data - 1];
        for (int c = 0; c < l->out.c; c++)
            p[c] = 1.0f;
        CHECK(lib.dnnl_batch_normalization_forward_desc_init(&bdesc, dnnl_forward_inference,
              &dst->md, 0.0f, dnnl_use_global_stats | dnnl_use_scaleshift),
              "batch_normalization_forward_desc_init", l->name);
        if ((ret = make_pd(net, &pd, &bdesc, attr)) < 0)
            goto end;
        side->md = *query(pd, dnnl_query_dst_md);
        side->plain = 0;
        if ((ret = new_act(net, &side->mem, &side->md, NULL)) < 0)
            goto end;
        ret = add_primitive(net, pd, 0, (dnnl_exec_arg_t[]){
            { DNNL_ARG_SRC, dst->mem }, { DNNL_ARG_MEAN, mean }, { DNNL_ARG_VARIANCE, var },
            { DNNL_ARG_SCALE_SHIFT, ss }, { DNNL_ARG_DST, side->mem } }, 5, 0);
        pd = NULL;
    }
end:
    if (pd)
        lib.dnnl_primitive_desc_destroy(pd);
    if (attr)
        lib.dnnl_primitive_attr_destroy(attr);
    return ret;
}

/* A fully connected layer on the flattened (C order) input: a plain (1, n) output. */
static int add_fc(Deep3DNetOneDNN *net, int i)
{
    const Deep3DLayer *l = &net->layers.layer[i];
    Tensor *src = &net->cur[l->src];
    Tensor *dst = &net->cur[l->dst];
    int n_in = ff_deep3d_shape_elems(l->in), n_out = ff_deep3d_shape_elems(l->out);
    dnnl_memory_desc_t src_md, w_md, b_md;
    dnnl_dims_t sdims = { 1, n_in }, wdims = { n_out, n_in }, ddims = { 1, n_out };
    dnnl_memory_t wmem, bmem, smem;
    dnnl_inner_product_desc_t desc;
    dnnl_primitive_desc_t pd = NULL;
    dnnl_primitive_attr_t attr = NULL;
    dnnl_data_type_t dt = act_type(net);
    int ret;

    /* a map from the trunk is made plain first (pool5: a few thousand floats) */
    if (!src->plain) {
        dnnl_memory_desc_t plain;
        dnnl_dims_t mdims;
        set_dims4(mdims, l->in);
        if ((ret = md_init(net, &plain, 4, mdims, dnnl_f32, dnnl_nchw)) < 0 ||
            (ret = reorder(net, src->mem, &src->md, &plain, &src->mem, 0)) < 0)
            return ret;
        src->md    = plain;
        src->plain = 1;
    }
    if ((ret = md_init(net, &src_md, 2, sdims, dt, dnnl_format_tag_any)) < 0 ||
        (ret = md_init(net, &w_md, 2, wdims, dt, dnnl_format_tag_any)) < 0 ||
        (ret = md_init(net, &dst->md, 2, ddims, dnnl_f32, dnnl_nc)) < 0 ||
        (ret = bias(net, l->b, n_out, &b_md, &bmem)) < 0 ||
        (ret = make_attr(net, &attr, 0, l->relu)) < 0)
        goto end;
    CHECK(lib.dnnl_inner_product_forward_desc_init(&desc, dnnl_forward_inference, &src_md, &w_md,
          &b_md, &dst->md), "inner_product_forward_desc_init", l->name);
    if ((ret = make_pd(net, &pd, &desc, attr)) < 0 ||
        (ret = weights(net, l->w, 2, wdims, dnnl_oi, query(pd, dnnl_query_weights_md), &wmem)) < 0 ||
        (ret = as_md(net, src, query(pd, dnnl_query_src_md), &smem)) < 0)
        goto end;
    /* fp32 and plain: the next layer views it as it needs */
    dst->plain = 1;
    if ((ret = new_act(net, &dst->mem, &dst->md, NULL)) < 0)
        goto end;
    ret = add_primitive(net, pd, 0, (dnnl_exec_arg_t[]){ { DNNL_ARG_SRC, smem }, { DNNL_ARG_WEIGHTS, wmem },
                        { DNNL_ARG_BIAS, bmem }, { DNNL_ARG_DST, dst->mem } }, 4, 0);
    pd = NULL;
end:
    if (pd)
        lib.dnnl_primitive_desc_destroy(pd);
    if (attr)
        lib.dnnl_primitive_attr_destroy(attr);
    return ret;
}

/* Whether layer i + 1 is a ReLU in place on layer i's output, which i then fuses. */
static int relu_follows(const Deep3DLayers *ls, int i)
{
    const Deep3DLayer *next = i + 1 < ls->nb_layers ? &ls->layer[i + 1] : NULL;
    return next && next->op == DEEP3D_OP_RELU && next->src == ls->layer[i].dst &&
           next->dst == next->src;
}

/* The network's output into the caller's probs (plain f32 nchw, set at every call). */
static int add_output(Deep3DNetOneDNN *net, const Deep3DLayer *l)
{
    const Tensor *t = &net->cur[DEEP3D_BUF_OUTPUT];
    dnnl_memory_desc_t md;
    dnnl_dims_t dims;
    int ret;

    set_dims4(dims, l->out);
    if ((ret = md_init(net, &md, 4, dims, dnnl_f32, dnnl_nchw)) < 0 ||
        (ret = new_memory_on(net, &net->user_out, &md, DNNL_MEMORY_NONE, 0)) < 0)
        return ret;
    return reorder_to(net, t->mem, &t->md, net->user_out, &md, 0, 0);
}

static int build(Deep3DNetOneDNN *net)
{
    const Deep3DLayers *ls = &net->layers;
    const Deep3DLayer *first = &ls->layer[0];
    dnnl_dims_t dims;
    int ret, output_done = 0;

    /* the input: the caller's floats, copied in at every call */
    net->cur_layer = 0;
    set_dims4(dims, first->in);
    if ((ret = md_init(net, &net->cur[DEEP3D_BUF_INPUT].md, 4, dims, dnnl_f32, dnnl_nchw)) < 0 ||
        (ret = new_act(net, &net->user_in, &net->cur[DEEP3D_BUF_INPUT].md, NULL)) < 0)
        return ret;
    net->acts[net->nb_acts - 1].first = -1;
    net->user_in_bytes = lib.dnnl_memory_desc_get_size(&net->cur[DEEP3D_BUF_INPUT].md);
    net->cur[DEEP3D_BUF_INPUT].mem   = net->user_in;
    net->cur[DEEP3D_BUF_INPUT].plain = 1;

    for (int i = 0; i < ls->nb_layers; i++) {
        const Deep3DLayer *l = &ls->layer[i];
        SubPixel sp;
        int fuse;

        net->cur_layer = i;
        if (output_done) {
            av_log(net->log_ctx, AV_LOG_ERROR, "oneDNN: %s follows the softmax.\n", l->name);
            return AVERROR_BUG;
        }
        if (l->src < 0 || l->src >= ls->nb_buffers || !net->cur[l->src].mem ||
            l->dst < 0 || l->dst >= ls->nb_buffers || l->dst == DEEP3D_BUF_INPUT) {
            av_log(net->log_ctx, AV_LOG_ERROR, "oneDNN: %s reads an empty buffer.\n", l->name);
            return AVERROR_BUG;
        }
        switch (l->op) {
        case DEEP3D_OP_CONV:
        case DEEP3D_OP_DECONV:
            if (l->op == DEEP3D_OP_DECONV && l->accumulate && !net->cur[l->dst].mem) {
                av_log(net->log_ctx, AV_LOG_ERROR, "oneDNN: %s adds to an empty buffer.\n", l->name);
                return AVERROR_BUG;
            }
            fuse = relu_follows(ls, i);
            if (l->op == DEEP3D_OP_DECONV && !(net->flags & DEEP3D_ONEDNN_NO_SUBPIXEL) &&
                subpixel_fits(l, &sp))
                ret = add_subpixel_deconv(net, i, l->relu || fuse, &sp);
            else if (l->op == DEEP3D_OP_DECONV && !net->bf16)
                ret = add_host_deconv(net, i, l->relu || fuse);
            else
                ret = add_conv(net, i, l->relu || fuse, l->dst == DEEP3D_BUF_OUTPUT);
            i += fuse;
            break;
        case DEEP3D_OP_POOL:
            ret = add_pool(net, i);
            break;
        case DEEP3D_OP_FC:
            ret = add_fc(net, i);
            break;
        case DEEP3D_OP_RELU:
            ret = l->src == l->dst ? add_relu_on(net, &net->cur[l->src]) : AVERROR_BUG;
            break;
        case DEEP3D_OP_SOFTMAX:
            if (l->src != DEEP3D_BUF_OUTPUT || l->dst != DEEP3D_BUF_OUTPUT)
                return AVERROR_BUG;
            net->softmax_c  = l->out.c;
            net->softmax_hw = l->out.h * l->out.w;
            ret = add_output(net, l);
            output_done = 1;
            break;
        default:
            ret = AVERROR_BUG;
        }
        if (ret < 0)
            return ret;
    }
    if (!output_done) {
        av_log(net->log_ctx, AV_LOG_ERROR, "oneDNN: the network ends without a softmax.\n");
        return AVERROR_BUG;
    }
    return 0;
}

/* ---- the buffer plan ---- */

static void touch(Deep3DNetOneDNN *net, dnnl_memory_t mem, int step)
{
    int a = mem ? find_act(net, mem) : -1;
    if (a >= 0) {
        net->acts[a].first = FFMIN(net->acts[a].first, step);
        net->acts[a].last  = FFMAX(net->acts[a].last, step);
    }
}

static int lives_overlap(const Act *a, const Act *b)
{
    return a->first <= b->last && b->first <= a->last;
}

static int bytes_overlap(const Act *a, const Act *b)
{
    return a->offset < b->offset + b->bytes && b->offset < a->offset + a->bytes;
}

/* Every pair of roots alive at the same step holds disjoint bytes. */
static int plan_check(Deep3DNetOneDNN *net)
{
    for (int i = 0; i < net->nb_acts; i++)
        for (int j = i + 1; j < net->nb_acts; j++) {
            const Act *a = &net->acts[i], *b = &net->acts[j];
            if (a->parent >= 0 || b->parent >= 0 || a->last < 0 || b->last < 0)
                continue;
            if (lives_overlap(a, b) && bytes_overlap(a, b)) {
                av_log(net->log_ctx, AV_LOG_ERROR, "oneDNN: the buffer plan puts two live "
                       "activations (steps %d..%d and %d..%d) on the same bytes.\n",
                       a->first, a->last, b->first, b->last);
                return AVERROR_BUG;
            }
        }
    return 0;
}

/*
 * Place the activations in one arena: the largest first, each at the lowest
 * offset clear of every placed one alive at a common step (or each after the
 * other with DEEP3D_ONEDNN_PLAN_SEPARATE). Then check the plan and set the
 * arrays.
 */
static int plan(Deep3DNetOneDNN *net)
{
    int order[MAX_ACTS], n = 0, ret;

    for (int i = 0; i < net->nb_steps; i++) {
        const Step *s = &net->steps[i];
        for (int j = 0; j < s->nargs; j++)
            touch(net, s->args[j].memory, i);
        touch(net, s->in, i);
        touch(net, s->out, i);
    }
    net->separate_bytes = 0;
    for (int i = 0; i < net->nb_acts; i++) {
        Act *a = &net->acts[i];
        int k;
        if (a->parent >= 0 || a->last < 0)
            continue;
        a->bytes = FFALIGN(FFMAX(a->bytes, 1), ARENA_ALIGN);
        net->separate_bytes += a->bytes;
        /* by size, largest first (insertion: a few dozen) */
        k = n++;
        while (k > 0 && net->acts[order[k - 1]].bytes < a->bytes) {
            order[k] = order[k - 1];
            k--;
        }
        order[k] = i;
    }
    net->arena_bytes = 0;
    for (int i = 0; i < n; i++) {
        Act *a = &net->acts[order[i]];
        if (net->flags & DEEP3D_ONEDNN_PLAN_SEPARATE) {
            a->offset = net->arena_bytes;
        } else {
            /* retry from past each clash until clear: at most i moves */
            a->offset = 0;
            for (int moved = 1; moved;) {
                moved = 0;
                for (int j = 0; j < i; j++) {
                    const Act *b = &net->acts[order[j]];
                    if (lives_overlap(a, b) && bytes_overlap(a, b)) {
                        a->offset = b->offset + b->bytes;
                        moved = 1;
                    }
                }
            }
        }
        net->arena_bytes = FFMAX(net->arena_bytes, a->offset + a->bytes);
    }
    if (net->flags & DEEP3D_ONEDNN_PLAN_FAULT) {
        /* a test of plan_check(): two roots alive together on the same bytes */
        for (int i = 0; i < n; i++)
            for (int j = i + 1; j < n; j++)
                if (lives_overlap(&net->acts[order[i]], &net->acts[order[j]])) {
                    net->acts[order[j]].offset = net->acts[order[i]].offset;
                    i = j = n;
                }
    }
    if ((ret = plan_check(net)) < 0)
        return ret;
    if (!(net->arena = av_mallocz(FFMAX(net->arena_bytes, 1))))
        return AVERROR(ENOMEM);
    for (int i = 0; i < net->nb_acts; i++) {
        const Act *a = &net->acts[i];
        const Act *root = a->parent >= 0 ? &net->acts[a->parent] : a;
        if (root->last < 0)
            continue;
        if (lib.dnnl_memory_set_data_handle(a->mem, net->arena + root->offset) != dnnl_success)
            return AVERROR_BUG;
    }
    return 0;
}

static void set_threads(const Deep3DNetOneDNN *net)
{
    if (lib.omp_set_num_threads)
        lib.omp_set_num_threads(net->nb_threads);
}

int ff_deep3d_onednn_init(Deep3DNetOneDNN **pnet, void *log_ctx, const Deep3DModel *m,
                          int nb_threads, int bf16, unsigned flags)
{
    Deep3DNetOneDNN *net;
    int ret;

    *pnet = NULL;
    if ((ret = load()) < 0) {
        av_log(log_ctx, AV_LOG_ERROR, "%s\n", lib.why);
        return ret;
    }
    if (!(net = av_mallocz(sizeof(*net))))
        return AVERROR(ENOMEM);
    net->log_ctx    = log_ctx;
    /* more OpenMP threads than cores only wait at each primitive's barrier */
    net->nb_threads = av_clip(nb_threads, 1, av_cpu_count());
    net->nb_jobs    = FFMAX(1, nb_threads);
    net->bf16       = bf16;
    net->flags      = flags;
    if ((ret = ff_deep3d_layers_build(&net->layers, m)) < 0) {
        av_log(log_ctx, AV_LOG_ERROR, "The model does not fit the layer list.\n");
        goto fail;
    }
    /* oneDNN sizes its work decomposition by the threads it sees when a primitive is made */
    set_threads(net);
    if ((ret = check(net, lib.dnnl_engine_create(&net->engine, dnnl_cpu, 0), "engine_create", NULL)) < 0 ||
        (ret = check(net, lib.dnnl_stream_create(&net->stream, net->engine, dnnl_stream_default_flags),
                     "stream_create", NULL)) < 0 ||
        (ret = build(net)) < 0 || (ret = plan(net)) < 0)
        goto fail;
    if (net->scratchpad_bytes) {
        dnnl_memory_desc_t md;
        dnnl_dims_t dims = { (dnnl_dim_t)net->scratchpad_bytes };
        if ((ret = md_init(net, &md, 1, dims, dnnl_u8, dnnl_x)) < 0 ||
            (ret = new_memory(net, &net->scratchpad, &md, NULL)) < 0)
            goto fail;
        net->weight_bytes -= net->scratchpad_bytes;
        for (int i = 0; i < net->nb_steps; i++)
            if (net->steps[i].prim)
                net->steps[i].args[net->steps[i].nargs++] =
                    (dnnl_exec_arg_t){ DNNL_ARG_SCRATCHPAD, net->scratchpad };
    }
    /* the fallback deconvolutions' GEMMs grow with the scratch: 1 MiB per job is plenty here */
    net->job_scratch_floats = FFMAX(net->job_scratch_floats, DEEP3D_SOFTMAX_SCRATCH);
    if (net->nb_host_deconv)
        net->job_scratch_floats = FFMAX(net->job_scratch_floats, 1 << 18);
    ret = AVERROR(ENOMEM);
    if (!(net->job_scratch = av_calloc(net->nb_jobs, sizeof(*net->job_scratch))))
        goto fail;
    for (int i = 0; i < net->nb_jobs; i++)
        if (!(net->job_scratch[i] = av_malloc_array(net->job_scratch_floats, sizeof(float))))
            goto fail;
    av_log(log_ctx, AV_LOG_VERBOSE, "oneDNN: %d primitives (%d transposed convolutions as "
           "sub-pixel convolutions, %d on the fallback), activations %zu KiB planned (%zu KiB "
           "each in its own buffer), weights %zu KiB, scratchpad %zu KiB, %d threads, first "
           "convolution: %s\n", net->nb_steps, net->nb_subpixel, net->nb_host_deconv,
           net->arena_bytes >> 10, net->separate_bytes >> 10, net->weight_bytes >> 10,
           net->scratchpad_bytes >> 10, net->nb_threads, net->impl[0] ? net->impl : "?");
    *pnet = net;
    return 0;
fail:
    ff_deep3d_onednn_free(&net);
    return ret;
}

int ff_deep3d_onednn_forward(Deep3DNetOneDNN *net, const float *input, float *probs,
                             Deep3DExecute *execute, void *opaque)
{
    void *in;
    int ret = 0;

    set_threads(net);
    CHECK(lib.dnnl_memory_get_data_handle(net->user_in, &in), "get_data_handle", "the input");
    memcpy(in, input, net->user_in_bytes);
    CHECK(lib.dnnl_memory_set_data_handle(net->user_out, probs), "set_data_handle", "the output");
    for (int i = 0; i < net->nb_steps; i++) {
        const Step *s = &net->steps[i];
        int64_t t0 = net->profile_us ? av_gettime_relative() : 0;
        if (!s->prim) {
            void *src, *dst;
            /* the CPU stream runs in order and returns when done */
            CHECK(lib.dnnl_memory_get_data_handle(s->in, &src), "get_data_handle", NULL);
            CHECK(lib.dnnl_memory_get_data_handle(s->out, &dst), "get_data_handle", NULL);
            ff_deep3d_deconv_run(s->deconv, src, dst, s->accumulate, s->relu, net->job_scratch,
                                 net->job_scratch_floats, net->nb_jobs, execute, opaque);
        } else {
            CHECK(lib.dnnl_primitive_execute(s->prim, net->stream, s->nargs, s->args), "execute",
                  net->layers.layer[s->layer].name);
        }
        if (net->profile_us) {
            CHECK(lib.dnnl_stream_wait(net->stream), "stream_wait", NULL);
            net->profile_us[s->layer] += av_gettime_relative() - t0;
        }
    }
    CHECK(lib.dnnl_stream_wait(net->stream), "stream_wait", NULL);
    ff_deep3d_softmax(probs, net->softmax_c, net->softmax_hw, net->job_scratch,
                      net->nb_jobs, execute, opaque);
end:
    return ret;
}

void ff_deep3d_onednn_stats(const Deep3DNetOneDNN *net, Deep3DOneDNNStats *st)
{
    *st = (Deep3DOneDNNStats){
        .act_bytes = net->arena_bytes, .act_bytes_separate = net->separate_bytes,
        .weight_bytes = net->weight_bytes, .nb_primitives = net->nb_steps - net->nb_host_deconv,
        .nb_subpixel = net->nb_subpixel, .nb_host_deconv = net->nb_host_deconv,
    };
}

const Deep3DLayers *ff_deep3d_onednn_layers(const Deep3DNetOneDNN *net)
{
    return &net->layers;
}

void ff_deep3d_onednn_profile(Deep3DNetOneDNN *net, double *layer_us)
{
    net->profile_us = layer_us;
}

void ff_deep3d_onednn_describe(const Deep3DNetOneDNN *net, char *buf, size_t size)
{
    const dnnl_version_t *v = lib.dnnl_version();

    snprintf(buf, size, "oneDNN %d.%d.%d (%s, %d OpenMP threads), %s", v->major, v->minor,
             v->patch, isa_name(lib.dnnl_get_effective_cpu_isa()), net->nb_threads,
             net->bf16 ? "bf16" : "fp32");
}

void ff_deep3d_onednn_free(Deep3DNetOneDNN **pnet)
{
    Deep3DNetOneDNN *net = *pnet;

    if (!net)
        return;
    for (int i = 0; i < net->nb_steps; i++) {
        if (net->steps[i].prim)
            lib.dnnl_primitive_destroy(net->steps[i].prim);
        ff_deep3d_deconv_free(&net->steps[i].deconv);
    }
    for (int i = 0; i < net->nb_owned; i++)
        lib.dnnl_memory_destroy(net->owned[i]);
    for (int i = 0; i < net->nb_data; i++)
        av_free(net->data[i]);
    av_free(net->arena);
    for (int i = 0; net->job_scratch && i < net->nb_jobs; i++)
        av_free(net->job_scratch[i]);
    av_free(net->job_scratch);
    if (net->stream)
        lib.dnnl_stream_destroy(net->stream);
    if (net->engine)
        lib.dnnl_engine_destroy(net->engine);
    av_freep(pnet);
}

#else /* !DEEP3D_HAVE_ONEDNN */

int ff_deep3d_onednn_probe(char *why, size_t size)
{
    snprintf(why, size, "This build has no oneDNN engine (built without oneDNN 2.x's headers, "
             "Debian package libdnnl-dev).");
    return AVERROR(ENOSYS);
}

int ff_deep3d_onednn_has_bf16(void)
{
    return 0;
}

int ff_deep3d_onednn_init(Deep3DNetOneDNN **net, void *log_ctx, const Deep3DModel *m,
                          int nb_threads, int bf16, unsigned flags)
{
    char why[256];

    *net = NULL;
    ff_deep3d_onednn_probe(why, sizeof(why));
    av_log(log_ctx, AV_LOG_ERROR, "%s\n", why);
    return AVERROR(ENOSYS);
}

int ff_deep3d_onednn_forward(Deep3DNetOneDNN *net, const float *input, float *probs,
                             Deep3DExecute *execute, void *opaque)
{
    return AVERROR_BUG;
}

void ff_deep3d_onednn_stats(const Deep3DNetOneDNN *net, Deep3DOneDNNStats *st)
{
    memset(st, 0, sizeof(*st));
}

const Deep3DLayers *ff_deep3d_onednn_layers(const Deep3DNetOneDNN *net)
{
    return NULL;
}

void ff_deep3d_onednn_profile(Deep3DNetOneDNN *net, double *layer_us)
{
}

void ff_deep3d_onednn_describe(const Deep3DNetOneDNN *net, char *buf, size_t size)
{
    snprintf(buf, size, "no oneDNN");
}

void ff_deep3d_onednn_free(Deep3DNetOneDNN **net)
{
}

#endif /* DEEP3D_HAVE_ONEDNN */
