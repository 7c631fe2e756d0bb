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

/*
 * The Deep3D network as a depth source on the CPU: the model file (or the
 * built-in model), the input conversion of deep3d_input.c (split into the
 * filter's slice jobs) and the forward pass of one of two engines: oneDNN
 * (deep3d_net_onednn.c, on its own threads) or OpenBLAS (deep3d_net.c, the
 * reference, on the slice jobs), chosen by cpu_engine.
 */

#include "libavutil/avstring.h"
#include "libavutil/common.h"
#include "libavutil/error.h"
#include "libavutil/log.h"
#include "libavutil/mem.h"
#include "libavutil/time.h"

#include "deep3d_cpu_precision.h"
#include "deep3d_cuda.h"
#include "deep3d_default_model.h"
#include "deep3d_input.h"
#include "deep3d_model.h"
#include "deep3d_net.h"
#include "deep3d_net_onednn.h"
#include "deep3d_source.h"

typedef struct Deep3DSourceDeep3D {
    Deep3DModel *model;
    int builtin;
    char *path;                 ///< the model file, to read the weights again (NULL: built-in)
    Deep3DNet *net;             ///< the OpenBLAS engine, or
    Deep3DNetOneDNN *dnn;       ///< the oneDNN engine
    Deep3DInput *input;
    char engine[512];           ///< what runs the network and why, for the log
} Deep3DSourceDeep3D;

static int load_model(Deep3DModel **m, void *log_ctx, const char *path)
{
    return path ? ff_deep3d_model_load(m, log_ctx, path) :
                  ff_deep3d_model_parse(m, log_ctx, ff_deep3d_default_model, ff_deep3d_default_model_size);
}

int ff_deep3d_source_deep3d_weights(Deep3DSource *src, void *log_ctx)
{
    Deep3DSourceDeep3D *d = src->priv;
    Deep3DModel *fresh;
    int ret;

    if (d->model->storage)
        return 0;
    if ((ret = load_model(&fresh, log_ctx, d->path)) < 0)
        return ret;
    if (fresh->nb_params != d->model->nb_params || fresh->in_w != d->model->in_w ||
        fresh->in_h != d->model->in_h || fresh->nb_prob != d->model->nb_prob) {
        av_log(log_ctx, AV_LOG_ERROR, "The model file changed since it was opened.\n");
        ff_deep3d_model_free(&fresh);
        return AVERROR(EINVAL);
    }
    /* in place: src->geometry points here */
    *d->model = *fresh;
    fresh->storage = NULL;
    ff_deep3d_model_free(&fresh);
    return 0;
}

static int deep3d_open(Deep3DSource *src, void *log_ctx, const Deep3DSourceConfig *cfg)
{
    Deep3DSourceDeep3D *d = src->priv;
    int ret;

    d->builtin = !cfg->model_path;
    if (cfg->model_path && !(d->path = av_strdup(cfg->model_path)))
        return AVERROR(ENOMEM);
    if ((ret = load_model(&d->model, log_ctx, cfg->model_path)) < 0)
        return ret;
    /* absurd hyperparameters fail here, not at the first frame's allocation */
    ret = ff_deep3d_net_check(log_ctx, d->model);
    if (ret < 0)
        return ret;
    src->geometry = d->model;
    av_log(log_ctx, AV_LOG_VERBOSE, "model %s: arch %s, input %dx%d, %d disparity planes "
           "(%d..%d px at width %d), %zu weights, %.2f GMAC/frame\n",
           cfg->model_path ? cfg->model_path : "built-in",
           ff_deep3d_model_arch_name(d->model),
           d->model->in_w, d->model->in_h, d->model->nb_disp, d->model->disp_min,
           d->model->disp_max, d->model->disp_width, d->model->nb_params,
           ff_deep3d_net_macs(d->model) / 1e9);
    return 0;
}

static void deep3d_free_engine(Deep3DSource *src)
{
    Deep3DSourceDeep3D *d = src->priv;

    ff_deep3d_net_free(&d->net);
    ff_deep3d_onednn_free(&d->dnn);
    ff_deep3d_input_free(&d->input);
    d->engine[0] = 0;
    av_freep(&src->image);
    av_freep(&src->probs);
}

/* The oneDNN engine in the precision asked for; *why says why that one. */
static int init_onednn(Deep3DSource *src, void *log_ctx, const Deep3DSourceConfig *cfg,
                       char *why, size_t size)
{
    Deep3DSourceDeep3D *d = src->priv;
    int bf16 = cfg->precision == DEEP3D_PRECISION_BF16;

    if (bf16 && !ff_deep3d_onednn_has_bf16()) {
        av_log(log_ctx, AV_LOG_ERROR, "precision=bf16 needs a CPU with avx512_bf16 or AMX "
               "(oneDNN finds neither); use precision=auto or fp32.\n");
        return AVERROR(EINVAL);
    }
    if (cfg->precision == DEEP3D_PRECISION_AUTO)
        return ff_deep3d_cpu_precision_auto(&d->dnn, log_ctx, d->model, src->nb_jobs, src->execute,
                                            src->opaque, why, size);
    snprintf(why, size, "%s", cfg->precision == DEEP3D_PRECISION_FP16 ? "precision=fp16 is the GPU's" :
             "requested");
    return ff_deep3d_onednn_init(&d->dnn, log_ctx, d->model, src->nb_jobs, bf16, 0);
}

static int init_engine(Deep3DSource *src, void *log_ctx, const Deep3DSourceConfig *cfg)
{
    Deep3DSourceDeep3D *d = src->priv;
    char why[256], prec[256], desc[128];
    int ret;

    /* auto: oneDNN where it runs (faster in every row of docs/results.md), else OpenBLAS */
    if (cfg->cpu_engine != DEEP3D_CPU_ENGINE_BLAS && ff_deep3d_onednn_probe(why, sizeof(why)) >= 0) {
        if ((ret = init_onednn(src, log_ctx, cfg, prec, sizeof(prec))) < 0)
            return ret;
        ff_deep3d_onednn_describe(d->dnn, desc, sizeof(desc));
        /* the engine holds its own copy: the weights are held once (read again if needed) */
        ff_deep3d_model_free_weights(d->model);
        av_log(log_ctx, AV_LOG_VERBOSE, "model weights freed: the oneDNN engine holds its own copy\n");
        snprintf(d->engine, sizeof(d->engine), "%s (%s; precision: %s)", desc,
                 cfg->cpu_engine == DEEP3D_CPU_ENGINE_AUTO ? "auto" : "requested", prec);
    }
    if (!d->dnn) {
        if (cfg->cpu_engine == DEEP3D_CPU_ENGINE_ONEDNN) {
            av_log(log_ctx, AV_LOG_ERROR, "cpu_engine=onednn: %s\n", why);
            return AVERROR(ENOSYS);
        }
        if (cfg->precision == DEEP3D_PRECISION_BF16) {
            av_log(log_ctx, AV_LOG_ERROR, "precision=bf16 needs the oneDNN engine%s%s\n",
                   cfg->cpu_engine == DEEP3D_CPU_ENGINE_BLAS ? " (cpu_engine=blas is fp32)" : ": ",
                   cfg->cpu_engine == DEEP3D_CPU_ENGINE_BLAS ? "." : why);
            return AVERROR(EINVAL);
        }
        if ((ret = ff_deep3d_net_init(&d->net, log_ctx, d->model, src->nb_jobs)) < 0)
            return ret;
        snprintf(d->engine, sizeof(d->engine), "OpenBLAS, fp32 (%s%s)",
                 cfg->cpu_engine == DEEP3D_CPU_ENGINE_BLAS ? "requested" : "auto: ",
                 cfg->cpu_engine == DEEP3D_CPU_ENGINE_BLAS ? "" : why);
    }
    av_log(log_ctx, AV_LOG_VERBOSE, "CPU engine: %s, %d threads\n", d->engine, src->nb_jobs);
    return 0;
}

static int deep3d_configure(Deep3DSource *src, void *log_ctx, const Deep3DSourceConfig *cfg)
{
    Deep3DSourceDeep3D *d = src->priv;
    const Deep3DModel *m = d->model;
    int ret;

    deep3d_free_engine(src);
    if ((ret = ff_deep3d_source_deep3d_weights(src, log_ctx)) < 0 ||
        (ret = init_engine(src, log_ctx, cfg)) < 0 ||
        (ret = ff_deep3d_input_init(&d->input, m, src->nb_jobs)) < 0)
        return ret;
    src->image = av_malloc_array((size_t)3 * m->in_w * m->in_h, sizeof(float));
    src->probs = av_malloc_array((size_t)m->nb_prob * m->in_w * m->in_h, sizeof(float));
    if (!src->image || !src->probs)
        return AVERROR(ENOMEM);
    return 0;
}

static int deep3d_run(Deep3DSource *src, void *log_ctx, const AVFrame *frame)
{
    Deep3DSourceDeep3D *d = src->priv;
    int64_t t0 = av_gettime_relative();
    int ret = ff_deep3d_input_convert(d->input, log_ctx, frame, src->image, src->execute,
                                      src->opaque);
    if (ret < 0)
        return ret;
    src->t_input = av_gettime_relative() - t0;
    if (d->dnn)
        return ff_deep3d_onednn_forward(d->dnn, src->image, src->probs, src->execute, src->opaque);
    ff_deep3d_net_forward(d->net, src->image, src->probs, src->execute, src->opaque);
    return 0;
}

static void deep3d_describe(const Deep3DSource *src, char *buf, size_t size)
{
    const Deep3DSourceDeep3D *d = src->priv;
    int n;

    if (d->builtin)
        n = snprintf(buf, size, "the built-in Deep3D model, an interim model with weak depth "
                     "(sha256 %.12s; model=FILE picks another)", ff_deep3d_default_model_sha256);
    else
        n = snprintf(buf, size, "Deep3D %s %dx%d, %d planes",
                     ff_deep3d_model_arch_name(d->model),
                     d->model->in_w, d->model->in_h, d->model->nb_prob);
    /* the CPU engine, once configured for the CPU */
    if (d->engine[0] && n >= 0 && n < size)
        snprintf(buf + n, size - n, "; CPU engine: %s", d->engine);
}

static void deep3d_close(Deep3DSource *src)
{
    Deep3DSourceDeep3D *d = src->priv;

    if (!d)
        return;
    deep3d_free_engine(src);
    ff_deep3d_model_free(&d->model);
    av_freep(&d->path);
}

const Deep3DSourceOps ff_deep3d_source_deep3d = {
    .name      = "deep3d",
    .priv_size = sizeof(Deep3DSourceDeep3D),
    .open      = deep3d_open,
    .configure = deep3d_configure,
    .run       = deep3d_run,
    .describe  = deep3d_describe,
    .close     = deep3d_close,
#if DEEP3D_HAVE_CUDA
    .device    = &ff_deep3d_source_deep3d_device,
#endif
};
