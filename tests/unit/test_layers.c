/*
 * The layer-list builder (libavfilter/deep3d_layers.c): the list the CPU and
 * CUDA engines execute.
 *
 * Usage: test_layers TINY_FCN.safetensors TINY_ORIGINAL.safetensors
 *
 * - For fcn and original models (hand-made hyperparameters, and the two
 *   committed tiny model files), the expected sequence of layers written
 *   out here from docs/model-format.md section 4: ops, names, shapes, the
 *   weights each layer uses, ReLU and accumulation flags.
 * - The list as a data flow: every layer reads a buffer written before it
 *   with the shape it expects; the output is written last; each buffer's
 *   size is exactly the largest tensor it holds; every weight tensor of the
 *   model is used exactly once.
 * - Multiply-accumulates equal the closed formula of the network.
 * - A changed fcn depth and width (more convolutions, other channel counts)
 *   builds with no other change; tests/unit/test_engine.sh runs such a model
 *   through the CPU engine against the Python reference.
 *
 * Ends with "N passed, M failed".
 */

#include <stdio.h>
#include <string.h>

#include "check.h"
#include "libavfilter/deep3d_layers.h"
#include "libavfilter/deep3d_model.h"
#include "libavfilter/deep3d_net.h"
#include "libavutil/error.h"
#include "libavutil/log.h"

/* Distinct addresses for the weights of a hand-made model: never read. */
static float weights[1024];

static Deep3DModel make_model(enum Deep3DArch arch, int w, int h, const int *channels,
                              const int *convs, int fc, int nb_prob)
{
    Deep3DModel m = { .arch = arch, .in_w = w, .in_h = h, .fc_channels = fc,
                      .nb_prob = nb_prob, .nb_disp = nb_prob - 1 };
    int next = 0;

    m.nb_branches = arch == DEEP3D_ARCH_ORIGINAL ? 4 : 5;
    for (int s = 0; s < DEEP3D_STAGES; s++) {
        int f = 1 << s;
        m.stage_channels[s] = channels[s];
        m.stage_convs[s]    = convs[s];
        for (int i = 0; i < convs[s]; i++) {
            m.conv_w[s][i] = &weights[next++];
            m.conv_b[s][i] = &weights[next++];
        }
        m.bn_gamma[s]   = &weights[next++];
        m.bn_beta[s]    = &weights[next++];
        m.bn_mean[s]    = &weights[next++];
        m.bn_inv_std[s] = &weights[next++];
        m.pred_w[s]     = &weights[next++];
        m.pred_b[s]     = &weights[next++];
        m.deconv_w[s]   = &weights[next++];
        m.deconv_b[s]   = &weights[next++];
        /* the loader's deconvolution geometry: the branch of stage s is f = 2^s times smaller */
        m.deconv_k[s] = f == 1 ? 1 : 2 * f;
        m.deconv_s[s] = f;
        m.deconv_p[s] = f == 1 ? 0 : f / 2;
    }
    m.fc6_w   = &weights[next++];
    m.fc6_b   = &weights[next++];
    m.fc7_w   = &weights[next++];
    m.fc7_b   = &weights[next++];
    m.pred5_w = &weights[next++];
    m.pred5_b = &weights[next++];
    m.up_w    = &weights[next++];
    m.up_b    = &weights[next++];
    m.final_w = &weights[next++];
    m.final_b = &weights[next++];
    return m;
}

static int same_shape(Deep3DShape a, Deep3DShape b)
{
    return a.c == b.c && a.h == b.h && a.w == b.w;
}

/* The layers the format document describes, in order, checked one by one. */
typedef struct Cursor {
    const Deep3DLayers *l;
    const char *what;
    int i, bad;
} Cursor;

static const Deep3DLayer *next_layer(Cursor *c, enum Deep3DLayerOp op, const char *name,
                                     Deep3DShape in, Deep3DShape out, const float *w,
                                     const float *b, int relu)
{
    const Deep3DLayer *l = c->i < c->l->nb_layers ? &c->l->layer[c->i] : NULL;

    c->i++;
    if (!l || l->op != op || strcmp(l->name, name) || !same_shape(l->in, in) ||
        !same_shape(l->out, out) || l->w != w || l->b != b || l->relu != relu) {
        if (!c->bad++)
            check(0, "%s: layer %d is %s %dx%dx%d -> %dx%dx%d (relu %d), expected %s "
                  "%dx%dx%d -> %dx%dx%d (relu %d), or its weights differ", c->what, c->i - 1,
                  l ? l->name : "(none)", l ? l->in.c : 0, l ? l->in.h : 0, l ? l->in.w : 0,
                  l ? l->out.c : 0, l ? l->out.h : 0, l ? l->out.w : 0, l ? l->relu : 0,
                  name, in.c, in.h, in.w, out.c, out.h, out.w, relu);
        return NULL;
    }
    return l;
}

/* The expected list of m, from the format document's description. */
static void check_sequence(const Deep3DLayers *l, const Deep3DModel *m, const char *what)
{
    Cursor c = { l, what };
    int K = m->nb_prob, H = m->in_h, W = m->in_w, h = H, w = W, cin = 3, first = 1;
    Deep3DShape half = { K, H / 2, W / 2 }, full = { K, H, W };
    const Deep3DLayer *layer;
    char name[32];

    for (int s = 0; s < DEEP3D_STAGES; s++) {
        int ch = m->stage_channels[s], branch = s < m->nb_branches;
        for (int i = 0; i < m->stage_convs[s]; i++, cin = ch) {
            snprintf(name, sizeof(name), "conv%d_%d", s + 1, i + 1);
            layer = next_layer(&c, DEEP3D_OP_CONV, name, (Deep3DShape){ cin, h, w },
                               (Deep3DShape){ ch, h, w }, m->conv_w[s][i], m->conv_b[s][i], 1);
            if (layer && (layer->k != 3 || layer->stride != 1 || layer->pad != 1) && !c.bad++)
                check(0, "%s: %s is not 3x3, stride 1, pad 1", what, name);
        }
        snprintf(name, sizeof(name), "pool%d", s + 1);
        layer = next_layer(&c, DEEP3D_OP_POOL, name, (Deep3DShape){ ch, h, w },
                           (Deep3DShape){ ch, h / 2, w / 2 }, NULL, NULL, 0);
        if (layer && ((layer->side >= 0) != branch ||
                      (branch && (layer->bn_gamma != m->bn_gamma[s] || layer->bn_beta != m->bn_beta[s] ||
                                  layer->bn_mean != m->bn_mean[s] ||
                                  layer->bn_inv_std != m->bn_inv_std[s]))) && !c.bad++)
            check(0, "%s: %s has %s BatchNorm side output, or the wrong parameters", what, name,
                  branch ? "no" : "a");
        h /= 2;
        w /= 2;
        if (!branch)
            continue;
        snprintf(name, sizeof(name), "pred%d", s + 1);
        next_layer(&c, DEEP3D_OP_CONV, name, (Deep3DShape){ ch, h, w }, (Deep3DShape){ K, h, w },
                   m->pred_w[s], m->pred_b[s], 1);
        snprintf(name, sizeof(name), "deconv_pred%d", s + 1);
        layer = next_layer(&c, DEEP3D_OP_DECONV, name, (Deep3DShape){ K, h, w }, half,
                           m->deconv_w[s], m->deconv_b[s], 0);
        if (layer && (layer->accumulate != !first || layer->k != m->deconv_k[s] ||
                      layer->stride != m->deconv_s[s] || layer->pad != m->deconv_p[s]) && !c.bad++)
            check(0, "%s: %s: accumulate %d k %d s %d p %d", what, name, layer->accumulate,
                  layer->k, layer->stride, layer->pad);
        first = 0;
    }
    if (m->arch == DEEP3D_ARCH_ORIGINAL) {
        Deep3DShape fc = { m->fc_channels, 1, 1 }, p5 = { K, h, w };
        next_layer(&c, DEEP3D_OP_FC, "fc6", (Deep3DShape){ m->stage_channels[4], h, w }, fc,
                   m->fc6_w, m->fc6_b, 1);
        next_layer(&c, DEEP3D_OP_FC, "fc7", fc, fc, m->fc7_w, m->fc7_b, 1);
        next_layer(&c, DEEP3D_OP_FC, "pred5", fc, p5, m->pred5_w, m->pred5_b, 1);
        layer = next_layer(&c, DEEP3D_OP_DECONV, "deconv_pred5", p5, half, m->deconv_w[4],
                           m->deconv_b[4], 0);
        if (layer && (!layer->accumulate || layer->k != 32 || layer->stride != 16 ||
                      layer->pad != 8) && !c.bad++)
            check(0, "%s: deconv_pred5 is not an accumulating 32/16/8 deconvolution", what);
    }
    next_layer(&c, DEEP3D_OP_RELU, "relu_sum", half, half, NULL, NULL, 1);
    layer = next_layer(&c, DEEP3D_OP_DECONV, "deconv_predup", half, full, m->up_w, m->up_b, 1);
    if (layer && (layer->accumulate || layer->k != 4 || layer->stride != 2 || layer->pad != 1) &&
        !c.bad++)
        check(0, "%s: deconv_predup is not a 4/2/1 deconvolution that overwrites", what);
    layer = next_layer(&c, DEEP3D_OP_CONV, "convolution0", full, full, m->final_w, m->final_b, 0);
    if (layer && layer->dst != DEEP3D_BUF_OUTPUT && !c.bad++)
        check(0, "%s: convolution0 does not write the output", what);
    layer = next_layer(&c, DEEP3D_OP_SOFTMAX, "softmax", full, full, NULL, NULL, 0);
    if (layer && (layer->src != DEEP3D_BUF_OUTPUT || layer->dst != DEEP3D_BUF_OUTPUT) && !c.bad++)
        check(0, "%s: the softmax is not in place on the output", what);
    if (c.i != l->nb_layers && !c.bad++)
        check(0, "%s: %d layers, expected %d", what, l->nb_layers, c.i);
    if (!c.bad)
        check(1, "%s: %d layers, in the order, shapes and weights of the format document",
              what, l->nb_layers);
}

/* The list as a data flow, whatever the model. */
static void check_flow(const Deep3DLayers *l, const Deep3DModel *m, const char *what)
{
    Deep3DShape held[DEEP3D_MAX_BUFFERS] = { { 0 } };
    size_t largest[DEEP3D_MAX_BUFFERS] = { 0 };
    int written[DEEP3D_MAX_BUFFERS] = { 0 }, bad = 0;

    held[DEEP3D_BUF_INPUT]    = (Deep3DShape){ 3, m->in_h, m->in_w };
    written[DEEP3D_BUF_INPUT] = 1;
    largest[DEEP3D_BUF_INPUT] = ff_deep3d_shape_elems(held[DEEP3D_BUF_INPUT]);
    for (int i = 0; i < l->nb_layers && !bad; i++) {
        const Deep3DLayer *y = &l->layer[i];
        int ids_ok = y->src >= 0 && y->src < l->nb_buffers && y->dst >= 0 &&
                     y->dst < l->nb_buffers && y->side < l->nb_buffers;
        if (!ids_ok || !written[y->src] || y->dst == DEEP3D_BUF_INPUT ||
            (y->op == DEEP3D_OP_FC ? ff_deep3d_shape_elems(held[y->src]) != ff_deep3d_shape_elems(y->in)
                                   : !same_shape(held[y->src], y->in)) ||
            ((y->op == DEEP3D_OP_RELU || y->op == DEEP3D_OP_SOFTMAX) && y->src != y->dst) ||
            (y->op == DEEP3D_OP_DECONV && y->accumulate &&
             (!written[y->dst] || !same_shape(held[y->dst], y->out))) ||
            (y->src == y->dst && y->op != DEEP3D_OP_RELU && y->op != DEEP3D_OP_SOFTMAX)) {
            check(0, "%s: layer %d (%s) does not fit the data flow: it reads buffer %d "
                  "(%s, %dx%dx%d) as %dx%dx%d and writes buffer %d (%s)%s", what, i, y->name,
                  y->src, ids_ok && written[y->src] ? "written" : "never written",
                  ids_ok ? held[y->src].c : 0, ids_ok ? held[y->src].h : 0,
                  ids_ok ? held[y->src].w : 0, y->in.c, y->in.h, y->in.w, y->dst,
                  ids_ok && written[y->dst] ? "written" : "never written",
                  y->accumulate ? ", accumulating" : "");
            bad = 1;
            break;
        }
        written[y->dst] = 1;
        held[y->dst]    = y->out;
        largest[y->dst] = FFMAX(largest[y->dst], ff_deep3d_shape_elems(y->out));
        if (y->side >= 0) {
            written[y->side] = 1;
            held[y->side]    = y->out;
            largest[y->side] = FFMAX(largest[y->side], ff_deep3d_shape_elems(y->out));
        }
    }
    if (!bad) {
        const Deep3DLayer *last = &l->layer[l->nb_layers - 1];
        check(last->dst == DEEP3D_BUF_OUTPUT &&
              same_shape(held[DEEP3D_BUF_OUTPUT], (Deep3DShape){ m->nb_prob, m->in_h, m->in_w }),
              "%s: the last layer leaves %d x %d x %d probabilities in the output", what,
              m->nb_prob, m->in_h, m->in_w);
        for (int b = 0; b < l->nb_buffers && !bad; b++)
            if (l->buffer_elems[b] != largest[b]) {
                check(0, "%s: buffer %d is sized %zu, its largest tensor is %zu", what, b,
                      l->buffer_elems[b], largest[b]);
                bad = 1;
            }
        if (!bad)
            check(1, "%s: each of %d buffers is read after it is written, with the shape "
                  "written, and sized to its largest tensor", what, l->nb_buffers);
    }
}

/* Every weight tensor of m is used by exactly one layer. */
static void check_weights_used_once(const Deep3DLayers *l, const Deep3DModel *m, const char *what)
{
    const float *want[DEEP3D_STAGES * (2 * DEEP3D_MAX_CONVS + 8) + 16];
    int n = 0, bad = 0;

    for (int s = 0; s < DEEP3D_STAGES; s++) {
        for (int i = 0; i < m->stage_convs[s]; i++) {
            want[n++] = m->conv_w[s][i];
            want[n++] = m->conv_b[s][i];
        }
        if (s < m->nb_branches) {
            want[n++] = m->bn_gamma[s];
            want[n++] = m->bn_beta[s];
            want[n++] = m->bn_mean[s];
            want[n++] = m->bn_inv_std[s];
            want[n++] = m->pred_w[s];
            want[n++] = m->pred_b[s];
        }
        want[n++] = m->deconv_w[s];
        want[n++] = m->deconv_b[s];
    }
    if (m->arch == DEEP3D_ARCH_ORIGINAL) {
        const float *fc[] = { m->fc6_w, m->fc6_b, m->fc7_w, m->fc7_b, m->pred5_w, m->pred5_b };
        for (int i = 0; i < 6; i++)
            want[n++] = fc[i];
    }
    want[n++] = m->up_w;
    want[n++] = m->up_b;
    want[n++] = m->final_w;
    want[n++] = m->final_b;

    for (int j = 0; j < n && !bad; j++) {
        int uses = 0;
        for (int i = 0; i < l->nb_layers; i++) {
            const Deep3DLayer *y = &l->layer[i];
            const float *p[] = { y->w, y->b, y->bn_gamma, y->bn_beta, y->bn_mean, y->bn_inv_std };
            for (int k = 0; k < 6; k++)
                uses += p[k] == want[j];
        }
        if (!want[j] || uses != 1) {
            check(0, "%s: weight tensor %d of %d is used %d times", what, j, n, uses);
            bad = 1;
        }
    }
    if (!bad)
        check(1, "%s: each of the %d weight tensors is used exactly once", what, n);
}

/* The network's multiply-accumulates in closed form (the formula of the format document). */
static double macs_formula(const Deep3DModel *m)
{
    double macs = 0, h = m->in_h, w = m->in_w, K = m->nb_prob, hw2 = (m->in_h / 2) * (m->in_w / 2);
    int cin = 3;

    for (int s = 0; s < DEEP3D_STAGES; s++) {
        int c = m->stage_channels[s];
        for (int i = 0; i < m->stage_convs[s]; i++, cin = c)
            macs += h * w * c * cin * 9;
        h /= 2;
        w /= 2;
        if (s < m->nb_branches) {
            double f = m->deconv_k[s] / (double)m->deconv_s[s];
            macs += h * w * K * c * 9 + hw2 * K * K * f * f;
        }
    }
    if (m->arch == DEEP3D_ARCH_ORIGINAL)
        macs += (double)m->fc_channels * (m->stage_channels[4] * h * w + m->fc_channels + K * h * w) +
                hw2 * K * K * 4.0;
    return macs + (double)m->in_h * m->in_w * K * K * (4 + 9);
}

static void check_model(const Deep3DModel *m, const char *what)
{
    Deep3DLayers l;
    int ret = ff_deep3d_layers_build(&l, m);
    double macs, want;

    check(ret == 0, "%s: builds (%s)", what, av_err2str(ret));
    if (ret < 0)
        return;
    check_sequence(&l, m, what);
    check_flow(&l, m, what);
    check_weights_used_once(&l, m, what);
    macs = ff_deep3d_layers_macs(&l);
    want = macs_formula(m);
    check(macs == want && ff_deep3d_net_macs(m) == want,
          "%s: %.0f multiply-accumulates, the closed formula's %.0f", what, macs, want);
}

static void check_file(const char *path, const char *what, enum Deep3DArch arch)
{
    Deep3DModel *m = NULL;
    int ret = ff_deep3d_model_load(&m, NULL, path);

    check(ret >= 0 && m->arch == arch, "%s: %s loads (%s)", what, path, av_err2str(ret));
    if (ret >= 0)
        check_model(m, what);
    ff_deep3d_model_free(&m);
}

int main(int argc, char **argv)
{
    static const int ch_small[5] = { 8, 8, 16, 16, 16 }, convs_fcn[5] = { 1, 1, 2, 1, 1 };
    static const int convs_orig[5] = { 1, 1, 2, 2, 2 };
    /* deeper and of other widths than any committed model */
    static const int ch_new[5] = { 4, 20, 8, 12, 6 }, convs_new[5] = { 3, 2, 1, 1, 4 };
    static const int ch_max[5] = { 64, 128, 256, 512, 512 };
    static const int convs_max[5] = { DEEP3D_MAX_CONVS, DEEP3D_MAX_CONVS, DEEP3D_MAX_CONVS,
                                      DEEP3D_MAX_CONVS, DEEP3D_MAX_CONVS };
    Deep3DModel m;
    Deep3DLayers l;

    av_log_set_level(AV_LOG_ERROR);
    if (argc < 3) {
        fprintf(stderr, "usage: %s TINY_FCN TINY_ORIGINAL\n", argv[0]);
        return 2;
    }

    m = make_model(DEEP3D_ARCH_FCN, 64, 32, ch_small, convs_fcn, 0, 9);
    check_model(&m, "fcn 64x32");
    ff_deep3d_layers_build(&l, &m);
    /* 6 convolutions, then per stage a pool, a prediction and its deconvolution, then 4 */
    check(l.nb_layers == 6 + 5 * 3 + 4, "fcn 64x32: %d layers, expected 25", l.nb_layers);
    check(l.nb_buffers == DEEP3D_BUF_INTERNAL + 6, "fcn 64x32: %d buffers, expected 8 "
          "(input, output, two trunk, sum, BatchNorm, prediction, upsampled)", l.nb_buffers);

    m = make_model(DEEP3D_ARCH_ORIGINAL, 128, 64, ch_small, convs_orig, 24, 12);
    check_model(&m, "original 128x64");
    ff_deep3d_layers_build(&l, &m);
    check(l.nb_layers == 8 + 5 + 4 * 2 + 3 + 1 + 4, "original 128x64: %d layers, expected 29",
          l.nb_layers);
    check(l.nb_buffers == DEEP3D_BUF_INTERNAL + 9, "original 128x64: %d buffers, expected 11 "
          "(the three FC outputs added)", l.nb_buffers);

    m = make_model(DEEP3D_ARCH_FCN, 96, 64, ch_new, convs_new, 0, 5);
    check_model(&m, "fcn with a new depth and width");

    /* the most layers the loader allows fit the list */
    m = make_model(DEEP3D_ARCH_ORIGINAL, 64, 32, ch_max, convs_max, 16, 3);
    check_model(&m, "original with the most convolutions");
    m = make_model(DEEP3D_ARCH_FCN, 64, 32, ch_max, convs_max, 0, 3);
    check_model(&m, "fcn with the most convolutions");

    check_file(argv[1], "tiny fcn", DEEP3D_ARCH_FCN);
    check_file(argv[2], "tiny original", DEEP3D_ARCH_ORIGINAL);
    return check_summary();
}
