/*
 * deep3d: CPU forward pass of the Deep3D network family
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

/*
 * Every convolution is an im2col + SGEMM through CBLAS; every transposed
 * convolution is split into its stride x stride output phases, each of which
 * is an ordinary small convolution (a gather GEMM), so no output pixel is
 * written by two jobs. Jobs split output pixels (or channels, or phases) and
 * each calls a single-threaded BLAS: the filter's slice threads are the only
 * threads.
 */

#include <float.h>
#include <math.h>
#include <string.h>

#include <cblas.h>

#include "libavutil/common.h"
#include "libavutil/error.h"
#include "libavutil/log.h"
#include "libavutil/mem.h"

#include "deep3d_layers.h"
#include "deep3d_net.h"
#include "deep3d_simd.h"

#define SCRATCH_FLOATS (1 << 21)            /* per job: 8 MiB of im2col columns */
#define MAX_ACTIVATION_BYTES ((size_t)2 << 30)

/* One output phase of a transposed convolution: its taps and weights. */
typedef struct DeconvPhase {
    int ry, rx;             ///< (o + pad) mod stride, per axis
    int ty, tx;             ///< taps per axis
    int oy0, ox0;           ///< first output row / column of the phase
    int ny, nx;             ///< output rows / columns of the phase
    float *w;               ///< Co x (Ci * ty * tx)
} DeconvPhase;

typedef struct Deconv {
    int ci, co, k, s, p;
    int ih, iw, oh, ow;
    const float *bias;
    int nb_phases;
    DeconvPhase *phases;
} Deconv;

struct Deep3DNet {
    Deep3DLayers layers;    ///< what runs, in order
    void *log_ctx;
    int nb_threads;
    float *buf[DEEP3D_MAX_BUFFERS]; ///< the list's buffers; output: the caller's, per call
    Deconv *deconv;         ///< per layer; the phases of each DECONV layer
    float **scratch;        ///< one per job
    size_t scratch_floats;  ///< size of each, at least SCRATCH_FLOATS

    Deep3DExecute *execute;
    void *opaque;
};

static void run(Deep3DNet *net, Deep3DJobFunc *job, void *arg, int nb_jobs)
{
    net->execute(net->opaque, job, arg, FFMAX(1, FFMIN(nb_jobs, net->nb_threads)));
}

/* ---- 3x3 convolution, pad 1, stride 1 ---- */

typedef struct ConvArgs {
    Deep3DNet *net;
    const float *in, *w, *b;
    float *out;
    int ci, co, h, w_;
    int relu;
} ConvArgs;

/* Columns of pixels [p0, p0 + n) for the rows (c, ky, kx): zero padding at the
 * borders, plain copies in between. */
DEEP3D_VECTOR_CLONES
static void im2col3x3(float *col, const float *in, int ci, int h, int w, int p0, int n)
{
    for (int c = 0; c < ci; c++) {
        for (int ky = 0; ky < 3; ky++) {
            for (int kx = 0; kx < 3; kx++) {
                float *dst = col + ((c * 3 + ky) * 3 + kx) * (size_t)n;
                int pix = p0;
                while (pix < p0 + n) {
                    int y = pix / w, x = pix % w;
                    int seg = FFMIN(w - x, p0 + n - pix);
                    int yy = y + ky - 1;
                    if (yy < 0 || yy >= h) {
                        memset(dst, 0, seg * sizeof(*dst));
                    } else {
                        /* columns x .. x + seg - 1 read xx = x + i + kx - 1 */
                        const float *src = in + ((size_t)c * h + yy) * w + kx - 1;
                        int lo = FFMAX(0, 1 - kx - x), hi = FFMIN(seg, w + 1 - kx - x);
                        for (int i = 0; i < lo; i++)
                            dst[i] = 0.0f;
                        if (hi > lo)
                            memcpy(dst + lo, src + x + lo, (hi - lo) * sizeof(*dst));
                        for (int i = FFMAX(hi, lo); i < seg; i++)
                            dst[i] = 0.0f;
                    }
                    dst += seg;
                    pix += seg;
                }
            }
        }
    }
}

DEEP3D_VECTOR_CLONES
static int conv_job(void *arg, int jobnr, int nb_jobs)
{
    ConvArgs *a = arg;
    int hw = a->h * a->w_, kdim = a->ci * 9;
    int start = (int64_t)hw * jobnr / nb_jobs, end = (int64_t)hw * (jobnr + 1) / nb_jobs;
    int tile = FFMAX(1, a->net->scratch_floats / kdim);
    float *col = a->net->scratch[jobnr];

    for (int p0 = start; p0 < end; p0 += tile) {
        int n = FFMIN(tile, end - p0);
        im2col3x3(col, a->in, a->ci, a->h, a->w_, p0, n);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, a->co, n, kdim,
                    1.0f, a->w, kdim, col, n, 0.0f, a->out + p0, hw);
        for (int o = 0; o < a->co; o++) {
            float *dst = a->out + (size_t)o * hw + p0, bias = a->b[o];
            if (a->relu)
                for (int i = 0; i < n; i++)
                    dst[i] = FFMAX(dst[i] + bias, 0.0f);
            else
                for (int i = 0; i < n; i++)
                    dst[i] += bias;
        }
    }
    return 0;
}

static void conv3x3(Deep3DNet *net, const float *in, float *out, const float *w, const float *b,
                    int ci, int co, int h, int wd, int relu)
{
    ConvArgs a = { net, in, w, b, out, ci, co, h, wd, relu };
    run(net, conv_job, &a, h * wd);
}

/* ---- 2x2 max pooling, then optionally BatchNorm with inverse std ---- */

typedef struct PoolArgs {
    const float *in;
    float *out, *bn_out;
    const float *gamma, *beta, *mean, *inv_std;
    int c, h, w;
} PoolArgs;

DEEP3D_VECTOR_CLONES
static int pool_job(void *arg, int jobnr, int nb_jobs)
{
    PoolArgs *a = arg;
    int oh = a->h / 2, ow = a->w / 2;

    for (int c = a->c * jobnr / nb_jobs; c < a->c * (jobnr + 1) / nb_jobs; c++) {
        const float *src = a->in + (size_t)c * a->h * a->w;
        float *dst = a->out + (size_t)c * oh * ow;
        for (int y = 0; y < oh; y++) {
            const float *r0 = src + 2 * y * a->w, *r1 = r0 + a->w;
            for (int x = 0; x < ow; x++)
                dst[y * ow + x] = FFMAX(FFMAX(r0[2 * x], r0[2 * x + 1]),
                                        FFMAX(r1[2 * x], r1[2 * x + 1]));
        }
        if (a->bn_out) {
            float scale = a->gamma[c] * a->inv_std[c], mean = a->mean[c], beta = a->beta[c];
            float *bn = a->bn_out + (size_t)c * oh * ow;
            for (int i = 0; i < oh * ow; i++)
                bn[i] = scale * (dst[i] - mean) + beta;
        }
    }
    return 0;
}

/* ---- transposed convolution by output phases ---- */

static int deconv_init(Deconv *d, int ci, int co, int k, int s, int p, int ih, int iw,
                       const float *w, const float *bias)
{
    d->ci = ci; d->co = co; d->k = k; d->s = s; d->p = p;
    d->ih = ih; d->iw = iw;
    d->oh = (ih - 1) * s - 2 * p + k;
    d->ow = (iw - 1) * s - 2 * p + k;
    d->bias = bias;
    d->nb_phases = s * s;
    d->phases = av_calloc(d->nb_phases, sizeof(*d->phases));
    if (!d->phases)
        return AVERROR(ENOMEM);
    for (int ry = 0; ry < s; ry++) {
        for (int rx = 0; rx < s; rx++) {
            DeconvPhase *ph = &d->phases[ry * s + rx];
            int kdim;
            ph->ry  = ry;
            ph->rx  = rx;
            ph->ty  = ry < k ? (k - ry + s - 1) / s : 0;
            ph->tx  = rx < k ? (k - rx + s - 1) / s : 0;
            /* first o >= 0 with (o + p) mod s == r */
            ph->oy0 = ((ry - p) % s + s) % s;
            ph->ox0 = ((rx - p) % s + s) % s;
            ph->ny  = ph->oy0 < d->oh ? (d->oh - ph->oy0 + s - 1) / s : 0;
            ph->nx  = ph->ox0 < d->ow ? (d->ow - ph->ox0 + s - 1) / s : 0;
            kdim = ci * ph->ty * ph->tx;
            if (!kdim)
                continue;
            ph->w = av_malloc_array((size_t)co * kdim, sizeof(*ph->w));
            if (!ph->w)
                return AVERROR(ENOMEM);
            /* Wp[co][(ci * ty + jy) * tx + jx] = W[ci][co][ry + jy*s][rx + jx*s] */
            for (int o = 0; o < co; o++)
                for (int c = 0; c < ci; c++)
                    for (int jy = 0; jy < ph->ty; jy++)
                        for (int jx = 0; jx < ph->tx; jx++)
                            ph->w[(size_t)o * kdim + (c * ph->ty + jy) * ph->tx + jx] =
                                w[(((size_t)c * co + o) * k + ry + jy * s) * k + rx + jx * s];
        }
    }
    return 0;
}

static void deconv_uninit(Deconv *d)
{
    for (int i = 0; d->phases && i < d->nb_phases; i++)
        av_free(d->phases[i].w);
    av_freep(&d->phases);
}

typedef struct DeconvArgs {
    float *const *scratch;  ///< one per job
    size_t scratch_floats;  ///< of each
    const Deconv *d;
    const float *in;
    float *out;
    int accumulate, relu;
    int chunks;             ///< row chunks per phase
} DeconvArgs;

/* Output rows [qy0, qy1) of one phase: gather, GEMM, scatter. */
DEEP3D_VECTOR_CLONES
static void deconv_rows(const DeconvArgs *a, const DeconvPhase *ph, int qy0, int qy1, float *scratch)
{
    const Deconv *d = a->d;
    int kdim = d->ci * ph->ty * ph->tx;
    int base_y = (ph->oy0 + d->p - ph->ry) / d->s, base_x = (ph->ox0 + d->p - ph->rx) / d->s;
    /* init made the scratch hold at least one row */
    int rows = FFMAX(1, a->scratch_floats / ((size_t)(kdim + d->co) * ph->nx));

    for (int q0 = qy0; q0 < qy1; q0 += rows) {
        int nr = FFMIN(rows, qy1 - q0), n = nr * ph->nx;
        float *col = scratch, *tmp = scratch + (size_t)kdim * n;

        /* col[(c, jy, jx)][(qy, qx)] = in[c][qy + base_y - jy][qx + base_x - jx] */
        for (int c = 0; c < d->ci; c++)
            for (int jy = 0; jy < ph->ty; jy++)
                for (int jx = 0; jx < ph->tx; jx++) {
                    float *dst = col + (size_t)((c * ph->ty + jy) * ph->tx + jx) * n;
                    for (int qy = q0; qy < q0 + nr; qy++, dst += ph->nx) {
                        int iy = qy + base_y - jy, off = base_x - jx;
                        /* columns qx with 0 <= qx + off < iw are a plain copy */
                        int lo = av_clip(-off, 0, ph->nx), hi = av_clip(d->iw - off, lo, ph->nx);
                        if (iy < 0 || iy >= d->ih) {
                            memset(dst, 0, ph->nx * sizeof(*dst));
                            continue;
                        }
                        memset(dst, 0, lo * sizeof(*dst));
                        memcpy(dst + lo, a->in + ((size_t)c * d->ih + iy) * d->iw + lo + off,
                               (hi - lo) * sizeof(*dst));
                        memset(dst + hi, 0, (ph->nx - hi) * sizeof(*dst));
                    }
                }
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, d->co, n, kdim,
                    1.0f, ph->w, kdim, col, n, 0.0f, tmp, n);
        for (int o = 0; o < d->co; o++) {
            const float *t = tmp + (size_t)o * n;
            float bias = d->bias[o];
            for (int qy = q0; qy < q0 + nr; qy++) {
                float *dst = a->out + ((size_t)o * d->oh + ph->oy0 + qy * d->s) * d->ow + ph->ox0;
                for (int qx = 0; qx < ph->nx; qx++, t++) {
                    float v = *t + bias + (a->accumulate ? dst[qx * d->s] : 0.0f);
                    dst[qx * d->s] = a->relu ? FFMAX(v, 0.0f) : v;
                }
            }
        }
    }
}

static int deconv_job(void *arg, int jobnr, int nb_jobs)
{
    DeconvArgs *a = arg;
    const Deconv *d = a->d;
    int items = d->nb_phases * a->chunks;

    for (int it = jobnr; it < items; it += nb_jobs) {
        const DeconvPhase *ph = &d->phases[it / a->chunks];
        int r = it % a->chunks;
        if (!ph->w || !ph->ny || !ph->nx)
            continue;
        deconv_rows(a, ph, ph->ny * r / a->chunks, ph->ny * (r + 1) / a->chunks,
                    a->scratch[jobnr]);
    }
    return 0;
}

/* A phase with no taps (k < s) only writes the bias. */
static void deconv_bias_only(const Deconv *d, float *out, int accumulate, int relu)
{
    for (int i = 0; i < d->nb_phases; i++) {
        const DeconvPhase *ph = &d->phases[i];
        if (ph->w)
            continue;
        for (int o = 0; o < d->co; o++)
            for (int qy = 0; qy < ph->ny; qy++)
                for (int qx = 0; qx < ph->nx; qx++) {
                    float *dst = out + ((size_t)o * d->oh + ph->oy0 + qy * d->s) * d->ow +
                                 ph->ox0 + qx * d->s;
                    float v = d->bias[o] + (accumulate ? *dst : 0.0f);
                    *dst = relu ? FFMAX(v, 0.0f) : v;
                }
    }
}

static void deconv_run(const Deconv *d, const float *in, float *out, int accumulate, int relu,
                       float *const *scratch, size_t scratch_floats, int nb_threads,
                       Deep3DExecute *execute, void *opaque)
{
    DeconvArgs a = { scratch, scratch_floats, d, in, out, accumulate, relu };
    a.chunks = FFMAX(1, (nb_threads + d->nb_phases - 1) / d->nb_phases);
    execute(opaque, deconv_job, &a, FFMAX(1, FFMIN(d->nb_phases * a.chunks, nb_threads)));
    deconv_bias_only(d, out, accumulate, relu);
}

static void deconv(Deep3DNet *net, const Deconv *d, const float *in, float *out,
                   int accumulate, int relu)
{
    deconv_run(d, in, out, accumulate, relu, net->scratch, net->scratch_floats, net->nb_threads,
               net->execute, net->opaque);
}

/* Scratch floats per job one row of each phase needs. */
static size_t deconv_scratch(const Deconv *d)
{
    size_t n = 0;
    for (int p = 0; p < d->nb_phases; p++) {
        const DeconvPhase *ph = &d->phases[p];
        n = FFMAX(n, (size_t)(d->ci * ph->ty * ph->tx + d->co) * ph->nx);
    }
    return n;
}

struct Deep3DDeconv {
    Deconv d;
};

int ff_deep3d_deconv_init(Deep3DDeconv **pd, const Deep3DLayer *l)
{
    Deep3DDeconv *d = av_mallocz(sizeof(*d));
    int ret;

    *pd = NULL;
    if (!d)
        return AVERROR(ENOMEM);
    ret = deconv_init(&d->d, l->in.c, l->out.c, l->k, l->stride, l->pad, l->in.h, l->in.w, l->w, l->b);
    if (ret >= 0 && (d->d.oh != l->out.h || d->d.ow != l->out.w))
        ret = AVERROR_BUG;
    if (ret < 0) {
        ff_deep3d_deconv_free(&d);
        return ret;
    }
    *pd = d;
    return 0;
}

size_t ff_deep3d_deconv_scratch(const Deep3DDeconv *d)
{
    return deconv_scratch(&d->d);
}

void ff_deep3d_deconv_run(const Deep3DDeconv *d, const float *in, float *out, int accumulate,
                          int relu, float *const *scratch, size_t scratch_floats, int nb_threads,
                          Deep3DExecute *execute, void *opaque)
{
    deconv_run(&d->d, in, out, accumulate, relu, scratch, scratch_floats, nb_threads, execute, opaque);
}

void ff_deep3d_deconv_free(Deep3DDeconv **pd)
{
    if (*pd)
        deconv_uninit(&(*pd)->d);
    av_freep(pd);
}

/* ---- fully connected ---- */

typedef struct FCArgs {
    const float *in, *w, *b;
    float *out;
    int n_in, n_out, relu;
} FCArgs;

static int fc_job(void *arg, int jobnr, int nb_jobs)
{
    FCArgs *a = arg;
    int r0 = a->n_out * jobnr / nb_jobs, r1 = a->n_out * (jobnr + 1) / nb_jobs;

    if (r1 <= r0)
        return 0;
    cblas_sgemv(CblasRowMajor, CblasNoTrans, r1 - r0, a->n_in, 1.0f,
                a->w + (size_t)r0 * a->n_in, a->n_in, a->in, 1, 0.0f, a->out + r0, 1);
    for (int i = r0; i < r1; i++) {
        float v = a->out[i] + a->b[i];
        a->out[i] = a->relu ? FFMAX(v, 0.0f) : v;
    }
    return 0;
}

static void fc(Deep3DNet *net, const float *in, float *out, const float *w, const float *b,
               int n_in, int n_out, int relu)
{
    FCArgs a = { in, w, b, out, n_in, n_out, relu };
    run(net, fc_job, &a, n_out);
}

/* ---- element-wise: ReLU, softmax over channels ---- */

typedef struct PixelArgs {
    Deep3DNet *net;
    float *data;
    int c, hw;
} PixelArgs;

DEEP3D_VECTOR_CLONES
static int relu_job(void *arg, int jobnr, int nb_jobs)
{
    PixelArgs *a = arg;
    size_t n = (size_t)a->c * a->hw;
    for (size_t i = n * jobnr / nb_jobs; i < n * (jobnr + 1) / nb_jobs; i++)
        a->data[i] = FFMAX(a->data[i], 0.0f);
    return 0;
}

#define SOFTMAX_CHUNK (DEEP3D_SOFTMAX_SCRATCH / 2)

typedef struct SoftmaxArgs {
    float *const *scratch;
    float *data;
    int c, hw;
} SoftmaxArgs;

DEEP3D_VECTOR_CLONES
static int softmax_job(void *arg, int jobnr, int nb_jobs)
{
    SoftmaxArgs *a = arg;
    float *restrict mx = a->scratch[jobnr], *restrict sum = mx + SOFTMAX_CHUNK;
    int start = (int64_t)a->hw * jobnr / nb_jobs, end = (int64_t)a->hw * (jobnr + 1) / nb_jobs;

    for (int p0 = start; p0 < end; p0 += SOFTMAX_CHUNK) {
        int n = FFMIN(SOFTMAX_CHUNK, end - p0);
        /* Finite but huge weights can overflow the logits to inf or NaN; held
         * in the float range (NaN to -FLT_MAX), the softmax stays a
         * distribution and no NaN reaches the float-to-int conversions. */
        for (int k = 0; k < a->c; k++) {
            float *restrict v = a->data + (size_t)k * a->hw + p0;
            for (int i = 0; i < n; i++)
                v[i] = FFMIN(FFMAX(v[i], -FLT_MAX), FLT_MAX);
        }
        memcpy(mx, a->data + p0, n * sizeof(*mx));
        for (int k = 1; k < a->c; k++) {
            const float *restrict v = a->data + (size_t)k * a->hw + p0;
            for (int i = 0; i < n; i++)
                mx[i] = FFMAX(mx[i], v[i]);
        }
        memset(sum, 0, n * sizeof(*sum));
        for (int k = 0; k < a->c; k++) {
            float *restrict v = a->data + (size_t)k * a->hw + p0;
            for (int i = 0; i < n; i++) {
                v[i] = expf(v[i] - mx[i]);
                sum[i] += v[i];
            }
        }
        for (int i = 0; i < n; i++)
            sum[i] = 1.0f / sum[i];
        for (int k = 0; k < a->c; k++) {
            float *restrict v = a->data + (size_t)k * a->hw + p0;
            for (int i = 0; i < n; i++)
                v[i] *= sum[i];
        }
    }
    return 0;
}

void ff_deep3d_softmax(float *data, int c, int hw, float *const *scratch, int nb_threads,
                       Deep3DExecute *execute, void *opaque)
{
    SoftmaxArgs a = { scratch, data, c, hw };
    execute(opaque, softmax_job, &a, FFMAX(1, FFMIN(hw / SOFTMAX_CHUNK + 1, nb_threads)));
}

/* ---- the network: the layer list, in order ---- */

static const float *src_of(const Deep3DNet *net, const Deep3DLayer *l, const float *input)
{
    return l->src == DEEP3D_BUF_INPUT ? input : net->buf[l->src];
}

void ff_deep3d_net_forward(Deep3DNet *net, const float *input, float *probs,
                           Deep3DExecute *execute, void *opaque)
{
    net->execute = execute;
    net->opaque  = opaque;
    net->buf[DEEP3D_BUF_OUTPUT] = probs;

    for (int i = 0; i < net->layers.nb_layers; i++) {
        const Deep3DLayer *l = &net->layers.layer[i];
        const float *x = src_of(net, l, input);
        float *y = net->buf[l->dst];
        PoolArgs pool;
        PixelArgs pa = { net, y, l->out.c, l->out.h * l->out.w };

        switch (l->op) {
        case DEEP3D_OP_CONV:
            conv3x3(net, x, y, l->w, l->b, l->in.c, l->out.c, l->in.h, l->in.w, l->relu);
            break;
        case DEEP3D_OP_POOL:
            pool = (PoolArgs){ x, y, l->side >= 0 ? net->buf[l->side] : NULL,
                               l->bn_gamma, l->bn_beta, l->bn_mean, l->bn_inv_std,
                               l->in.c, l->in.h, l->in.w };
            run(net, pool_job, &pool, l->in.c);
            break;
        case DEEP3D_OP_DECONV:
            deconv(net, &net->deconv[i], x, y, l->accumulate, l->relu);
            break;
        case DEEP3D_OP_FC:
            fc(net, x, y, l->w, l->b, ff_deep3d_shape_elems(l->in),
               ff_deep3d_shape_elems(l->out), l->relu);
            break;
        case DEEP3D_OP_RELU:
            run(net, relu_job, &pa, net->nb_threads);
            break;
        case DEEP3D_OP_SOFTMAX:
            ff_deep3d_softmax(y, l->out.c, pa.hw, net->scratch, net->nb_threads, execute, opaque);
            break;
        }
    }
}

double ff_deep3d_net_macs(const Deep3DModel *m)
{
    Deep3DLayers layers;

    return ff_deep3d_layers_build(&layers, m) < 0 ? 0 : ff_deep3d_layers_macs(&layers);
}

/*
 * The admission limit: floats of every activation buffer (the filter's input
 * and probabilities included) as bounded from the hyperparameters alone, the
 * rule models have been accepted or refused by (a model that passed before
 * passes, one refused is refused). The buffers themselves are sized by the
 * layer list, never more than this for the trunk, branch and output maps.
 * The loader's limits keep every term far below SIZE_MAX.
 */
static size_t activation_bound(const Deep3DModel *m, int nb_threads)
{
    size_t h = m->in_h, w = m->in_w, hw = (size_t)m->in_h * m->in_w, trunk = 0, pool = 0;
    int K = m->nb_prob;

    for (int s = 0; s < DEEP3D_STAGES; s++) {
        trunk = FFMAX(trunk, (size_t)m->stage_channels[s] * h * w);
        h /= 2;
        w /= 2;
        pool = FFMAX(pool, (size_t)FFMAX(m->stage_channels[s], K) * h * w);
    }
    /* two trunk buffers, three of pooled size, sum and up (5/4 K hw), the
     * filter's probs (K hw) and input (3 hw), the scratch */
    return 2 * trunk + 3 * pool + (size_t)K * hw * 9 / 4 + 3 * hw +
           (size_t)FFMAX(1, nb_threads) * SCRATCH_FLOATS;
}

static int check_size(void *log_ctx, const Deep3DModel *m, int nb_threads)
{
    size_t total = activation_bound(m, nb_threads);

    if (total > MAX_ACTIVATION_BYTES / sizeof(float)) {
        av_log(log_ctx, AV_LOG_ERROR, "The network (input %dx%d, %d planes, up to %d channels) "
               "needs %zu MiB of activations with %d jobs; the limit is %zu MiB.\n",
               m->in_w, m->in_h, m->nb_prob, FFMAX(FFMAX3(m->stage_channels[0], m->stage_channels[1],
               m->stage_channels[2]), FFMAX(m->stage_channels[3], m->stage_channels[4])),
               total * sizeof(float) >> 20, FFMAX(1, nb_threads), MAX_ACTIVATION_BYTES >> 20);
        return AVERROR(EINVAL);
    }
    return 0;
}

static int build_layers(void *log_ctx, const Deep3DModel *m, Deep3DLayers *layers)
{
    int ret = ff_deep3d_layers_build(layers, m);

    if (ret < 0)
        av_log(log_ctx, AV_LOG_ERROR, "The model does not fit the layer list.\n");
    return ret;
}

int ff_deep3d_net_check(void *log_ctx, const Deep3DModel *m)
{
    Deep3DLayers layers;
    int ret = build_layers(log_ctx, m, &layers);

    return ret < 0 ? ret : check_size(log_ctx, m, 1);
}

int ff_deep3d_net_init(Deep3DNet **pnet, void *log_ctx, const Deep3DModel *m, int nb_threads)
{
    Deep3DNet *net;
    const Deep3DLayers *layers;
    int ret;

    *pnet = NULL;
    net = av_mallocz(sizeof(*net));
    if (!net)
        return AVERROR(ENOMEM);
    net->log_ctx    = log_ctx;
    net->nb_threads = FFMAX(1, nb_threads);
    layers = &net->layers;
    if ((ret = build_layers(log_ctx, m, &net->layers)) < 0 ||
        (ret = check_size(log_ctx, m, nb_threads)) < 0)
        goto fail;

    ret = AVERROR(ENOMEM);
    for (int i = DEEP3D_BUF_INTERNAL; i < layers->nb_buffers; i++)
        if (!(net->buf[i] = av_malloc_array(layers->buffer_elems[i], sizeof(float))))
            goto fail;
    net->scratch = av_calloc(net->nb_threads, sizeof(*net->scratch));
    net->deconv  = av_calloc(layers->nb_layers, sizeof(*net->deconv));
    if (!net->scratch || !net->deconv)
        goto fail;

    /* Scratch: im2col tiles, and at least one output row of any deconv phase. */
    net->scratch_floats = SCRATCH_FLOATS;
    for (int i = 0; i < layers->nb_layers; i++) {
        const Deep3DLayer *l = &layers->layer[i];
        Deconv *d = &net->deconv[i];
        if (l->op != DEEP3D_OP_DECONV)
            continue;
        ret = deconv_init(d, l->in.c, l->out.c, l->k, l->stride, l->pad, l->in.h, l->in.w,
                          l->w, l->b);
        if (ret < 0)
            goto fail;
        if (d->oh != l->out.h || d->ow != l->out.w) {
            av_log(log_ctx, AV_LOG_ERROR, "%s makes %dx%d, not %dx%d.\n", l->name,
                   d->ow, d->oh, l->out.w, l->out.h);
            ret = AVERROR_BUG;
            goto fail;
        }
        net->scratch_floats = FFMAX(net->scratch_floats, deconv_scratch(d));
    }
    ret = AVERROR(ENOMEM);
    for (int i = 0; i < net->nb_threads; i++)
        if (!(net->scratch[i] = av_malloc_array(net->scratch_floats, sizeof(float))))
            goto fail;

#ifdef OPENBLAS_VERSION
    /* Parallelism comes from the filter's slice threads; BLAS must not add its own. */
    openblas_set_num_threads(1);
#endif
    *pnet = net;
    return 0;
fail:
    ff_deep3d_net_free(&net);
    return ret;
}

void ff_deep3d_net_free(Deep3DNet **pnet)
{
    Deep3DNet *net = *pnet;
    if (!net)
        return;
    for (int i = DEEP3D_BUF_INTERNAL; i < DEEP3D_MAX_BUFFERS; i++)
        av_free(net->buf[i]);
    for (int i = 0; net->scratch && i < net->nb_threads; i++)
        av_free(net->scratch[i]);
    av_free(net->scratch);
    for (int i = 0; net->deconv && i < net->layers.nb_layers; i++)
        deconv_uninit(&net->deconv[i]);
    av_free(net->deconv);
    av_freep(pnet);
}
