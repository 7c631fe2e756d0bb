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
    const Deep3DModel *m;
    void *log_ctx;
    int nb_threads;
    float *a, *b;           ///< trunk activations, ping-pong
    float *bn;              ///< BatchNorm of the current stage's pooled map
    float *pred;            ///< K channels of the current branch
    float *sum;             ///< K x H/2 x W/2, sum of the branches
    float *up;              ///< K x H x W
    float *fc[3];           ///< fc6 out, fc7 out, pred5 out (original)
    float **scratch;        ///< one per job
    size_t scratch_floats;  ///< size of each, at least SCRATCH_FLOATS
    Deconv deconv[DEEP3D_STAGES], up_deconv;

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
    Deep3DNet *net;
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
    int rows = FFMAX(1, a->net->scratch_floats / ((size_t)(kdim + d->co) * ph->nx));

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
                    a->net->scratch[jobnr]);
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

static void deconv(Deep3DNet *net, const Deconv *d, const float *in, float *out,
                   int accumulate, int relu)
{
    DeconvArgs a = { net, d, in, out, accumulate, relu };
    a.chunks = FFMAX(1, (net->nb_threads + d->nb_phases - 1) / d->nb_phases);
    run(net, deconv_job, &a, d->nb_phases * a.chunks);
    deconv_bias_only(d, out, accumulate, relu);
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

#define SOFTMAX_CHUNK 1024

DEEP3D_VECTOR_CLONES
static int softmax_job(void *arg, int jobnr, int nb_jobs)
{
    PixelArgs *a = arg;
    float *restrict mx = a->net->scratch[jobnr], *restrict sum = mx + SOFTMAX_CHUNK;
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

/* ---- the network ---- */

void ff_deep3d_net_forward(Deep3DNet *net, const float *input, float *probs,
                           Deep3DExecute *execute, void *opaque)
{
    const Deep3DModel *m = net->m;
    int K = m->nb_prob, h = m->in_h, w = m->in_w, cin = 3;
    const float *x = input;
    PixelArgs pa = { net };

    net->execute = execute;
    net->opaque  = opaque;
    memset(net->sum, 0, sizeof(*net->sum) * K * (h / 2) * (w / 2));

    for (int s = 0; s < DEEP3D_STAGES; s++) {
        int c = m->stage_channels[s], branch = s < m->nb_branches;
        PoolArgs pool = { 0 };
        float *y = NULL;

        for (int i = 0; i < m->stage_convs[s]; i++) {
            y = x == net->a ? net->b : net->a;
            conv3x3(net, x, y, m->conv_w[s][i], m->conv_b[s][i], cin, c, h, w, 1);
            x = y;
            cin = c;
        }
        /* pool into the other trunk buffer: it feeds the next stage and the FC head */
        y = x == net->a ? net->b : net->a;
        pool = (PoolArgs){ x, y, branch ? net->bn : NULL,
                           m->bn_gamma[s], m->bn_beta[s], m->bn_mean[s], m->bn_inv_std[s],
                           c, h, w };
        run(net, pool_job, &pool, c);
        h /= 2;
        w /= 2;
        x = y;

        if (branch) {
            conv3x3(net, net->bn, net->pred, m->pred_w[s], m->pred_b[s], c, K, h, w, 1);
            deconv(net, &net->deconv[s], net->pred, net->sum, 1, 0);
        }
    }

    if (m->arch == DEEP3D_ARCH_ORIGINAL) {
        int F = m->fc_channels, n5 = K * h * w;
        fc(net, x, net->fc[0], m->fc6_w, m->fc6_b, m->stage_channels[4] * h * w, F, 1);
        fc(net, net->fc[0], net->fc[1], m->fc7_w, m->fc7_b, F, F, 1);
        /* pred5, then the reshape to (K, h5, w5) is the C-order memory layout; ReLU */
        fc(net, net->fc[1], net->fc[2], m->pred5_w, m->pred5_b, F, n5, 1);
        deconv(net, &net->deconv[4], net->fc[2], net->sum, 1, 0);
    }

    pa.data = net->sum;
    pa.c    = K;
    pa.hw   = (m->in_h / 2) * (m->in_w / 2);
    run(net, relu_job, &pa, net->nb_threads);
    deconv(net, &net->up_deconv, net->sum, net->up, 0, 1);
    conv3x3(net, net->up, probs, m->final_w, m->final_b, K, K, m->in_h, m->in_w, 0);
    pa.data = probs;
    pa.hw   = m->in_h * m->in_w;
    run(net, softmax_job, &pa, pa.hw / SOFTMAX_CHUNK + 1);
}

double ff_deep3d_net_macs(const Deep3DModel *m)
{
    double macs = 0, h = m->in_h, w = m->in_w;
    int cin = 3, K = m->nb_prob;

    for (int s = 0; s < DEEP3D_STAGES; s++) {
        int c = m->stage_channels[s];
        for (int i = 0; i < m->stage_convs[s]; i++, cin = c)
            macs += h * w * c * cin * 9;
        h /= 2;
        w /= 2;
        if (s < m->nb_branches) {
            double f = m->deconv_k[s] / (double)m->deconv_s[s];
            macs += h * w * K * c * 9;                          /* pred */
            macs += (m->in_h / 2) * (m->in_w / 2) * K * K * f * f; /* deconv, per output */
        }
    }
    if (m->arch == DEEP3D_ARCH_ORIGINAL)
        macs += (double)m->fc_channels * (m->stage_channels[4] * h * w + m->fc_channels + K * h * w) +
                (m->in_h / 2) * (m->in_w / 2) * K * K * 4.0;
    macs += (double)m->in_h * m->in_w * K * K * (4 + 9);        /* predup, convolution0 */
    return macs;
}

/* Floats of every activation buffer (the filter's input and probabilities
 * included), from the hyperparameters alone; the loader's limits keep every
 * term far below SIZE_MAX. */
static size_t activation_floats(const Deep3DModel *m, int nb_threads, size_t *trunk, size_t *pool)
{
    size_t h = m->in_h, w = m->in_w, hw = (size_t)m->in_h * m->in_w;
    int K = m->nb_prob;

    *trunk = *pool = 0;
    for (int s = 0; s < DEEP3D_STAGES; s++) {
        *trunk = FFMAX(*trunk, (size_t)m->stage_channels[s] * h * w);
        h /= 2;
        w /= 2;
        *pool = FFMAX(*pool, (size_t)FFMAX(m->stage_channels[s], K) * h * w);
    }
    /* sum and up (5/4 K hw), the filter's probs (K hw) and input (3 hw) */
    return 2 * *trunk + 3 * *pool + (size_t)K * hw * 9 / 4 + 3 * hw +
           (size_t)FFMAX(1, nb_threads) * SCRATCH_FLOATS;
}

static int check_size(void *log_ctx, const Deep3DModel *m, int nb_threads)
{
    size_t trunk, pool, total = activation_floats(m, nb_threads, &trunk, &pool);

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

int ff_deep3d_net_check(void *log_ctx, const Deep3DModel *m)
{
    return check_size(log_ctx, m, 1);
}

int ff_deep3d_net_init(Deep3DNet **pnet, void *log_ctx, const Deep3DModel *m, int nb_threads)
{
    Deep3DNet *net;
    size_t trunk, pool;
    int K = m->nb_prob, ret;

    *pnet = NULL;
    if ((ret = check_size(log_ctx, m, nb_threads)) < 0)
        return ret;
    activation_floats(m, nb_threads, &trunk, &pool);

    net = av_mallocz(sizeof(*net));
    if (!net)
        return AVERROR(ENOMEM);
    net->m          = m;
    net->log_ctx    = log_ctx;
    net->nb_threads = FFMAX(1, nb_threads);
    net->a    = av_malloc_array(trunk, sizeof(float));
    net->b    = av_malloc_array(trunk, sizeof(float));
    net->bn   = av_malloc_array(pool, sizeof(float));
    net->pred = av_malloc_array(pool, sizeof(float));
    net->sum  = av_malloc_array((size_t)K * (m->in_h / 2) * (m->in_w / 2), sizeof(float));
    net->up   = av_malloc_array((size_t)K * m->in_h * m->in_w, sizeof(float));
    net->scratch = av_calloc(net->nb_threads, sizeof(*net->scratch));
    ret = AVERROR(ENOMEM);
    if (!net->a || !net->b || !net->bn || !net->pred || !net->sum || !net->up ||
        !net->scratch)
        goto fail;
    if (m->arch == DEEP3D_ARCH_ORIGINAL) {
        size_t n5 = (size_t)K * (m->in_h / 32) * (m->in_w / 32);
        net->fc[0] = av_malloc_array(m->fc_channels, sizeof(float));
        net->fc[1] = av_malloc_array(m->fc_channels, sizeof(float));
        net->fc[2] = av_malloc_array(n5, sizeof(float));
        if (!net->fc[0] || !net->fc[1] || !net->fc[2])
            goto fail;
    }
    for (int b = 0; b < DEEP3D_STAGES; b++) {
        int f = 1 << b;
        ret = deconv_init(&net->deconv[b], K, K, m->deconv_k[b], m->deconv_s[b], m->deconv_p[b],
                          m->in_h / 2 / f, m->in_w / 2 / f, m->deconv_w[b], m->deconv_b[b]);
        if (ret < 0)
            goto fail;
    }
    ret = deconv_init(&net->up_deconv, K, K, 4, 2, 1, m->in_h / 2, m->in_w / 2, m->up_w, m->up_b);
    if (ret < 0)
        goto fail;

    /* Scratch: im2col tiles, and at least one output row of any deconv phase. */
    net->scratch_floats = SCRATCH_FLOATS;
    for (int b = 0; b <= DEEP3D_STAGES; b++) {
        const Deconv *d = b < DEEP3D_STAGES ? &net->deconv[b] : &net->up_deconv;
        for (int i = 0; i < d->nb_phases; i++) {
            const DeconvPhase *ph = &d->phases[i];
            net->scratch_floats = FFMAX(net->scratch_floats,
                                        (size_t)(d->ci * ph->ty * ph->tx + d->co) * ph->nx);
        }
    }
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
    av_free(net->a);
    av_free(net->b);
    av_free(net->bn);
    av_free(net->pred);
    av_free(net->sum);
    av_free(net->up);
    for (int i = 0; i < 3; i++)
        av_free(net->fc[i]);
    for (int i = 0; net->scratch && i < net->nb_threads; i++)
        av_free(net->scratch[i]);
    av_free(net->scratch);
    for (int b = 0; b < DEEP3D_STAGES; b++)
        deconv_uninit(&net->deconv[b]);
    deconv_uninit(&net->up_deconv);
    av_freep(pnet);
}
