/*
 * deep3d: model file (safetensors) loading and validation
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

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "libavutil/avstring.h"
#include "libavutil/common.h"
#include "libavutil/error.h"
#include "libavutil/intfloat.h"
#include "libavutil/intreadwrite.h"
#include "libavutil/log.h"
#include "libavutil/mem.h"

#include "deep3d_json.h"
#include "deep3d_model.h"

#define MAX_TENSORS 160
#define MAX_FILE_SIZE ((int64_t)4 << 30)

/* A tensor the architecture needs, and where its data goes once found. */
typedef struct Expected {
    char name[40];
    int ndim;
    int64_t shape[4];
    const float **dst;
    int found;
} Expected;

typedef struct Loader {
    void *log_ctx;
    Deep3DModel *m;
    Expected exp[MAX_TENSORS];
    int nb_exp;
} Loader;

static int invalid(void *log_ctx, const char *fmt, ...) av_printf_format(2, 3);
static int invalid(void *log_ctx, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    av_log(log_ctx, AV_LOG_ERROR, "Invalid deep3d model: %s\n", msg);
    return AVERROR_INVALIDDATA;
}

static int parse_int(const char *s, int64_t min, int64_t max, int *out)
{
    char *end;
    long long v;

    errno = 0;
    v = strtoll(s, &end, 10);
    if (!*s || *end || errno || v < min || v > max)
        return AVERROR_INVALIDDATA;
    *out = v;
    return 0;
}

static int parse_float(const char *s, float *out)
{
    char *end;
    double v;

    errno = 0;
    v = strtod(s, &end);
    if (!*s || *end || errno || !isfinite(v) || fabs(v) > 1e6)
        return AVERROR_INVALIDDATA;
    *out = v;
    return 0;
}

/* A comma-separated list of exactly n values. */
static int parse_int_list(const char *s, int n, int64_t min, int64_t max, int *out)
{
    char buf[256];
    char *save, *tok;
    int i = 0;

    if (strlen(s) >= sizeof(buf))
        return AVERROR_INVALIDDATA;
    av_strlcpy(buf, s, sizeof(buf));
    for (tok = av_strtok(buf, ",", &save); tok; tok = av_strtok(NULL, ",", &save)) {
        if (i == n || parse_int(tok, min, max, &out[i++]) < 0)
            return AVERROR_INVALIDDATA;
    }
    return i == n ? 0 : AVERROR_INVALIDDATA;
}

static int parse_float_list(const char *s, int n, float *out)
{
    char buf[256];
    char *save, *tok;
    int i = 0;

    if (strlen(s) >= sizeof(buf))
        return AVERROR_INVALIDDATA;
    av_strlcpy(buf, s, sizeof(buf));
    for (tok = av_strtok(buf, ",", &save); tok; tok = av_strtok(NULL, ",", &save)) {
        if (i == n || parse_float(tok, &out[i++]) < 0)
            return AVERROR_INVALIDDATA;
    }
    return i == n ? 0 : AVERROR_INVALIDDATA;
}

static const char *const known_keys[] = {
    "deep3d.version", "deep3d.arch", "deep3d.input_width", "deep3d.input_height",
    "deep3d.stage_channels", "deep3d.stage_convs", "deep3d.fc_channels",
    "deep3d.disparity_min", "deep3d.disparity_max", "deep3d.disparity_width",
    "deep3d.color_order", "deep3d.input_scale", "deep3d.input_mean",
};

static const char *meta_str(Loader *l, const Deep3DJSON *meta, const char *key)
{
    const Deep3DJSON *v = ff_deep3d_json_get(meta, key);
    if (!v) {
        invalid(l->log_ctx, "metadata field '%s' is missing", key);
        return NULL;
    }
    return v->str;
}

#define META(var, key)                                      \
    if (!(var = meta_str(l, meta, key)))                    \
        return AVERROR_INVALIDDATA

static int parse_metadata(Loader *l, const Deep3DJSON *meta)
{
    Deep3DModel *m = l->m;
    const char *s;
    int version;

    if (!meta)
        return invalid(l->log_ctx, "no __metadata__ object");
    if (meta->type != DEEP3D_JSON_OBJECT)
        return invalid(l->log_ctx, "__metadata__ is not an object");
    for (int i = 0; i < meta->nb_items; i++) {
        int known = 0;
        if (meta->items[i].type != DEEP3D_JSON_STRING)
            return invalid(l->log_ctx, "metadata field '%s' is not a string", meta->keys[i]);
        for (int k = 0; k < FF_ARRAY_ELEMS(known_keys); k++)
            known |= !strcmp(meta->keys[i], known_keys[k]);
        if (!known && av_strstart(meta->keys[i], "deep3d.", NULL))
            return invalid(l->log_ctx, "unknown metadata field '%s'", meta->keys[i]);
    }

    META(s, "deep3d.version");
    if (parse_int(s, 1, 1, &version) < 0)
        return invalid(l->log_ctx, "deep3d.version '%s' is not supported (want 1)", s);

    META(s, "deep3d.arch");
    if (!strcmp(s, "original"))
        m->arch = DEEP3D_ARCH_ORIGINAL;
    else if (!strcmp(s, "fcn"))
        m->arch = DEEP3D_ARCH_FCN;
    else
        return invalid(l->log_ctx, "deep3d.arch '%s' is not 'original' or 'fcn'", s);

    META(s, "deep3d.input_width");
    if (parse_int(s, 32, DEEP3D_MAX_INPUT, &m->in_w) < 0 || m->in_w % 32)
        return invalid(l->log_ctx, "deep3d.input_width '%s' is not a multiple of 32 in 32..%d",
                       s, DEEP3D_MAX_INPUT);
    META(s, "deep3d.input_height");
    if (parse_int(s, 32, DEEP3D_MAX_INPUT, &m->in_h) < 0 || m->in_h % 32)
        return invalid(l->log_ctx, "deep3d.input_height '%s' is not a multiple of 32 in 32..%d",
                       s, DEEP3D_MAX_INPUT);

    META(s, "deep3d.stage_channels");
    if (parse_int_list(s, DEEP3D_STAGES, 1, DEEP3D_MAX_CHANNELS, m->stage_channels) < 0)
        return invalid(l->log_ctx, "deep3d.stage_channels '%s' is not 5 values in 1..%d",
                       s, DEEP3D_MAX_CHANNELS);
    META(s, "deep3d.stage_convs");
    if (parse_int_list(s, DEEP3D_STAGES, 1, DEEP3D_MAX_CONVS, m->stage_convs) < 0)
        return invalid(l->log_ctx, "deep3d.stage_convs '%s' is not 5 values in 1..%d",
                       s, DEEP3D_MAX_CONVS);

    s = ff_deep3d_json_get(meta, "deep3d.fc_channels") ?
        ff_deep3d_json_get(meta, "deep3d.fc_channels")->str : NULL;
    if (m->arch == DEEP3D_ARCH_ORIGINAL) {
        if (!s)
            return invalid(l->log_ctx, "metadata field 'deep3d.fc_channels' is missing");
        if (parse_int(s, 1, DEEP3D_MAX_CHANNELS, &m->fc_channels) < 0)
            return invalid(l->log_ctx, "deep3d.fc_channels '%s' is not in 1..%d", s,
                           DEEP3D_MAX_CHANNELS);
    } else if (s) {
        return invalid(l->log_ctx, "deep3d.fc_channels is set for arch fcn, which has no FC layers");
    }

    META(s, "deep3d.disparity_min");
    if (parse_int(s, -4096, 4096, &m->disp_min) < 0)
        return invalid(l->log_ctx, "deep3d.disparity_min '%s' is not an integer in -4096..4096", s);
    META(s, "deep3d.disparity_max");
    if (parse_int(s, -4096, 4096, &m->disp_max) < 0)
        return invalid(l->log_ctx, "deep3d.disparity_max '%s' is not an integer in -4096..4096", s);
    m->nb_disp = m->disp_max - m->disp_min + 1;
    if (m->nb_disp < 2 || m->nb_disp > DEEP3D_MAX_DISP)
        return invalid(l->log_ctx, "disparity range %d..%d must hold 2..%d planes",
                       m->disp_min, m->disp_max, DEEP3D_MAX_DISP);
    m->nb_prob = m->nb_disp + 1;
    META(s, "deep3d.disparity_width");
    if (parse_int(s, 1, 65536, &m->disp_width) < 0)
        return invalid(l->log_ctx, "deep3d.disparity_width '%s' is not in 1..65536", s);
    /* A plane shifting by more than the whole width renders nothing of the
     * picture; the largest shift also sizes the selection's row buffers. */
    if (FFMAX(FFABS(m->disp_min), FFABS(m->disp_max)) > m->disp_width)
        return invalid(l->log_ctx, "disparities %d..%d shift by more than the disparity width %d",
                       m->disp_min, m->disp_max, m->disp_width);

    META(s, "deep3d.color_order");
    if (!strcmp(s, "bgr") || !strcmp(s, "rgb"))
        m->bgr = s[0] == 'b';
    else
        return invalid(l->log_ctx, "deep3d.color_order '%s' is not 'bgr' or 'rgb'", s);
    META(s, "deep3d.input_scale");
    if (parse_float(s, &m->input_scale) < 0 || m->input_scale <= 0)
        return invalid(l->log_ctx, "deep3d.input_scale '%s' is not a positive number", s);
    META(s, "deep3d.input_mean");
    if (parse_float_list(s, 3, m->input_mean) < 0)
        return invalid(l->log_ctx, "deep3d.input_mean '%s' is not 3 numbers", s);

    m->nb_branches = m->arch == DEEP3D_ARCH_ORIGINAL ? 4 : 5;
    return 0;
}

static void expect(Loader *l, const float **dst, int ndim, int64_t d0, int64_t d1,
                   int64_t d2, int64_t d3, const char *fmt, ...) av_printf_format(8, 9);
static void expect(Loader *l, const float **dst, int ndim, int64_t d0, int64_t d1,
                   int64_t d2, int64_t d3, const char *fmt, ...)
{
    Expected *e = &l->exp[l->nb_exp++];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(e->name, sizeof(e->name), fmt, ap);
    va_end(ap);
    e->ndim     = ndim;
    e->shape[0] = d0;
    e->shape[1] = d1;
    e->shape[2] = d2;
    e->shape[3] = d3;
    e->dst      = dst;
}

/* The tensor list of docs/model-format.md, section 3. */
static void build_expected(Loader *l)
{
    Deep3DModel *m = l->m;
    int K = m->nb_prob, cin = 3;
    int64_t h5 = m->in_h / 32, w5 = m->in_w / 32;

    for (int s = 0; s < DEEP3D_STAGES; s++) {
        int c = m->stage_channels[s];
        for (int i = 0; i < m->stage_convs[s]; i++) {
            expect(l, &m->conv_w[s][i], 4, c, cin, 3, 3, "conv%d_%d_weight", s + 1, i + 1);
            expect(l, &m->conv_b[s][i], 1, c, 0, 0, 0, "conv%d_%d_bias", s + 1, i + 1);
            cin = c;
        }
    }
    for (int b = 0; b < m->nb_branches; b++) {
        int c = m->stage_channels[b], f = 1 << b;
        m->deconv_k[b] = f == 1 ? 1 : 2 * f;
        m->deconv_s[b] = f;
        m->deconv_p[b] = f == 1 ? 0 : f / 2;
        expect(l, &m->bn_gamma[b],   1, c, 0, 0, 0, "bn_pool%d_gamma", b + 1);
        expect(l, &m->bn_beta[b],    1, c, 0, 0, 0, "bn_pool%d_beta", b + 1);
        expect(l, &m->bn_mean[b],    1, c, 0, 0, 0, "bn_pool%d_moving_mean", b + 1);
        expect(l, &m->bn_inv_std[b], 1, c, 0, 0, 0, "bn_pool%d_moving_inv_var", b + 1);
        expect(l, &m->pred_w[b], 4, K, c, 3, 3, "pred%d_weight", b + 1);
        expect(l, &m->pred_b[b], 1, K, 0, 0, 0, "pred%d_bias", b + 1);
    }
    for (int b = 0; b < DEEP3D_STAGES; b++) {
        int k = b == 4 ? 32 : m->deconv_k[b];
        if (b == 4) {
            m->deconv_k[4] = 32;
            m->deconv_s[4] = 16;
            m->deconv_p[4] = 8;
        }
        expect(l, &m->deconv_w[b], 4, K, K, k, k, "deconv_pred%d_weight", b + 1);
        expect(l, &m->deconv_b[b], 1, K, 0, 0, 0, "deconv_pred%d_bias", b + 1);
    }
    if (m->arch == DEEP3D_ARCH_ORIGINAL) {
        int F = m->fc_channels;
        expect(l, &m->fc6_w,   2, F, m->stage_channels[4] * h5 * w5, 0, 0, "fc6_weight");
        expect(l, &m->fc6_b,   1, F, 0, 0, 0, "fc6_bias");
        expect(l, &m->fc7_w,   2, F, F, 0, 0, "fc7_weight");
        expect(l, &m->fc7_b,   1, F, 0, 0, 0, "fc7_bias");
        expect(l, &m->pred5_w, 2, K * h5 * w5, F, 0, 0, "pred5_weight");
        expect(l, &m->pred5_b, 1, K * h5 * w5, 0, 0, 0, "pred5_bias");
    }
    expect(l, &m->up_w,    4, K, K, 4, 4, "deconv_predup_weight");
    expect(l, &m->up_b,    1, K, 0, 0, 0, "deconv_predup_bias");
    expect(l, &m->final_w, 4, K, K, 3, 3, "convolution0_weight");
    expect(l, &m->final_b, 1, K, 0, 0, 0, "convolution0_bias");
}

static float half2float(uint16_t h)
{
    uint32_t sign = (uint32_t)(h >> 15) << 31, exp = h >> 10 & 0x1F, man = h & 0x3FF;

    if (exp == 0x1F)                    /* inf / NaN */
        return av_int2float(sign | 0x7F800000 | man << 13);
    if (!exp) {                         /* zero / subnormal */
        float v = man / 16777216.0f;    /* man * 2^-24 */
        return sign ? -v : v;
    }
    return av_int2float(sign | (exp + 112) << 23 | man << 13);
}

typedef struct Entry {
    const char *name;
    int64_t begin, end;
} Entry;

static int cmp_entry(const void *a, const void *b)
{
    const Entry *x = a, *y = b;
    return (x->begin > y->begin) - (x->begin < y->begin);
}

static char *shape_str(char *buf, size_t size, int ndim, const int64_t *shape)
{
    size_t n = 0;
    n += snprintf(buf + n, size - n, "(");
    for (int i = 0; i < ndim && n < size; i++)
        n += snprintf(buf + n, size - n, i ? ", %"PRId64 : "%"PRId64, shape[i]);
    if (n < size)
        snprintf(buf + n, size - n, ")");
    return buf;
}

static int load_tensors(Loader *l, const Deep3DJSON *root, const uint8_t *data, int64_t data_size)
{
    Deep3DModel *m = l->m;
    Entry entries[MAX_TENSORS];
    int nb_entries = 0, ret;
    float *dst;

    /* Check every entry and lay the expected ones out in one float buffer. */
    m->nb_params = 0;
    for (int i = 0; i < l->nb_exp; i++) {
        int64_t n = 1;
        for (int d = 0; d < l->exp[i].ndim; d++)
            n *= l->exp[i].shape[d];
        m->nb_params += n;
    }
    if (m->nb_params > (size_t)data_size / 2)
        return invalid(l->log_ctx, "the architecture needs %zu weights but the file holds "
                       "%"PRId64" bytes of data", m->nb_params, data_size);
    m->storage = av_malloc_array(m->nb_params, sizeof(float));
    if (!m->storage)
        return AVERROR(ENOMEM);
    dst = m->storage;

    for (int i = 0; i < root->nb_items; i++) {
        const char *name = root->keys[i];
        const Deep3DJSON *t = &root->items[i], *dtype, *shape, *offs;
        Expected *e = NULL;
        int64_t numel = 1, begin, end, elem;
        char want[96], got[96];
        int64_t dims[8];

        if (!strcmp(name, "__metadata__"))
            continue;
        for (int k = 0; k < l->nb_exp; k++)
            if (!strcmp(l->exp[k].name, name))
                e = &l->exp[k];
        if (!e)
            return invalid(l->log_ctx, "unexpected tensor '%s' (not part of arch %s)", name,
                           ff_deep3d_model_arch_name(m));
        if (t->type != DEEP3D_JSON_OBJECT)
            return invalid(l->log_ctx, "tensor '%s': entry is not an object", name);
        for (int k = 0; k < t->nb_items; k++)
            if (strcmp(t->keys[k], "dtype") && strcmp(t->keys[k], "shape") &&
                strcmp(t->keys[k], "data_offsets"))
                return invalid(l->log_ctx, "tensor '%s': unknown field '%s'", name, t->keys[k]);
        dtype = ff_deep3d_json_get(t, "dtype");
        shape = ff_deep3d_json_get(t, "shape");
        offs  = ff_deep3d_json_get(t, "data_offsets");
        if (!dtype || dtype->type != DEEP3D_JSON_STRING)
            return invalid(l->log_ctx, "tensor '%s': dtype missing or not a string", name);
        if (!strcmp(dtype->str, "F32"))
            elem = 4;
        else if (!strcmp(dtype->str, "F16"))
            elem = 2;
        else
            return invalid(l->log_ctx, "tensor '%s': dtype %s is not F32 or F16", name, dtype->str);
        if (!shape || shape->type != DEEP3D_JSON_ARRAY || shape->nb_items > 8)
            return invalid(l->log_ctx, "tensor '%s': shape missing, not an array or over 8 dims", name);
        for (int d = 0; d < shape->nb_items; d++) {
            if (shape->items[d].type != DEEP3D_JSON_INT || shape->items[d].i < 1 ||
                shape->items[d].i > INT32_MAX)
                return invalid(l->log_ctx, "tensor '%s': shape entry %d is not a positive integer",
                               name, d);
            dims[d] = shape->items[d].i;
            numel *= dims[d];   /* <= 2^31 per dim, and checked against e->shape below */
            if (numel > data_size)
                return invalid(l->log_ctx, "tensor '%s': shape is larger than the file", name);
        }
        if (shape->nb_items != e->ndim || memcmp(dims, e->shape, e->ndim * sizeof(*dims)))
            return invalid(l->log_ctx, "tensor '%s' has shape %s, the metadata needs %s", name,
                           shape_str(got, sizeof(got), shape->nb_items, dims),
                           shape_str(want, sizeof(want), e->ndim, e->shape));
        if (!offs || offs->type != DEEP3D_JSON_ARRAY || offs->nb_items != 2 ||
            offs->items[0].type != DEEP3D_JSON_INT || offs->items[1].type != DEEP3D_JSON_INT)
            return invalid(l->log_ctx, "tensor '%s': data_offsets is not [begin, end]", name);
        begin = offs->items[0].i;
        end   = offs->items[1].i;
        if (begin < 0 || end < begin || end > data_size)
            return invalid(l->log_ctx, "tensor '%s': data_offsets [%"PRId64", %"PRId64"] are "
                           "outside the %"PRId64" data bytes", name, begin, end, data_size);
        if (end - begin != numel * elem)
            return invalid(l->log_ctx, "tensor '%s': %"PRId64" data bytes for %"PRId64" %s values",
                           name, end - begin, numel, dtype->str);

        if (elem == 4) {
            memcpy(dst, data + begin, numel * 4);
#if HAVE_BIGENDIAN
            for (int64_t k = 0; k < numel; k++)
                dst[k] = av_int2float(AV_RL32(data + begin + 4 * k));
#endif
        } else {
            for (int64_t k = 0; k < numel; k++)
                dst[k] = half2float(AV_RL16(data + begin + 2 * k));
        }
        for (int64_t k = 0; k < numel; k++)
            if (!isfinite(dst[k]))
                return invalid(l->log_ctx, "tensor '%s' holds a NaN or infinite value at "
                               "index %"PRId64, name, k);
        *e->dst  = dst;
        e->found = 1;
        dst += numel;
        entries[nb_entries++] = (Entry){ name, begin, end };
    }

    for (int i = 0; i < l->nb_exp; i++)
        if (!l->exp[i].found)
            return invalid(l->log_ctx, "tensor '%s' is missing", l->exp[i].name);

    /* The data area is covered exactly: no overlap, no hole, nothing after. */
    qsort(entries, nb_entries, sizeof(*entries), cmp_entry);
    ret = 0;
    for (int i = 0; i < nb_entries; i++) {
        int64_t expect_begin = i ? entries[i - 1].end : 0;
        if (entries[i].begin < expect_begin)
            return invalid(l->log_ctx, "tensors '%s' and '%s' overlap", entries[i - 1].name,
                           entries[i].name);
        if (entries[i].begin > expect_begin)
            return invalid(l->log_ctx, "unused bytes before tensor '%s'", entries[i].name);
    }
    if (!nb_entries || entries[nb_entries - 1].end != data_size)
        return invalid(l->log_ctx, "%"PRId64" unused bytes after the last tensor",
                       data_size - (nb_entries ? entries[nb_entries - 1].end : 0));
    return ret;
}

int ff_deep3d_model_parse(Deep3DModel **model, void *log_ctx, const uint8_t *buf, size_t size)
{
    Loader *l = NULL;
    Deep3DJSON *root = NULL;
    Deep3DModel *m;
    uint64_t header_len;
    char err[128];
    int nb_tensors = 0, ret;

    *model = NULL;
    if (size < 8)
        return invalid(log_ctx, "file of %zu bytes is too short for a safetensors header", size);
    header_len = AV_RL64(buf);
    if (header_len < 2 || header_len > DEEP3D_MAX_HEADER || header_len > size - 8)
        return invalid(log_ctx, "header length %"PRIu64" does not fit the %zu-byte file "
                       "(limit %d)", header_len, size, DEEP3D_MAX_HEADER);

    m = av_mallocz(sizeof(*m));
    l = av_mallocz(sizeof(*l));
    if (!m || !l) {
        ret = AVERROR(ENOMEM);
        goto end;
    }
    l->log_ctx = log_ctx;
    l->m = m;

    ret = ff_deep3d_json_parse(&root, (const char *)buf + 8, header_len, err, sizeof(err));
    if (ret == AVERROR_INVALIDDATA) {
        ret = invalid(log_ctx, "header is not valid JSON: %s", err);
        goto end;
    } else if (ret < 0) {
        goto end;
    }
    if (root->type != DEEP3D_JSON_OBJECT) {
        ret = invalid(log_ctx, "header is not a JSON object");
        goto end;
    }
    for (int i = 0; i < root->nb_items; i++)
        nb_tensors += strcmp(root->keys[i], "__metadata__") != 0;
    if (nb_tensors > MAX_TENSORS) {
        ret = invalid(log_ctx, "%d tensors, more than any deep3d architecture has", nb_tensors);
        goto end;
    }

    if ((ret = parse_metadata(l, ff_deep3d_json_get(root, "__metadata__"))) < 0)
        goto end;
    build_expected(l);
    ret = load_tensors(l, root, buf + 8 + header_len, size - 8 - header_len);

end:
    ff_deep3d_json_free(&root);
    av_free(l);
    if (ret < 0) {
        ff_deep3d_model_free(&m);
        return ret;
    }
    *model = m;
    return 0;
}

int ff_deep3d_model_load(Deep3DModel **model, void *log_ctx, const char *path)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf = NULL;
    int64_t size;
    int ret;

    *model = NULL;
    if (!f) {
        ret = AVERROR(errno);
        av_log(log_ctx, AV_LOG_ERROR, "Cannot open model '%s': %s\n", path, av_err2str(ret));
        return ret;
    }
    if (fseeko(f, 0, SEEK_END) < 0 || (size = ftello(f)) < 0 || fseeko(f, 0, SEEK_SET) < 0) {
        ret = AVERROR(errno);
        av_log(log_ctx, AV_LOG_ERROR, "Cannot read model '%s': %s\n", path, av_err2str(ret));
        goto end;
    }
    if (size > MAX_FILE_SIZE) {
        ret = invalid(log_ctx, "'%s' is %"PRId64" bytes, over the 4 GiB limit", path, size);
        goto end;
    }
    buf = av_malloc(size ? size : 1);
    if (!buf) {
        ret = AVERROR(ENOMEM);
        goto end;
    }
    if (fread(buf, 1, size, f) != (size_t)size) {
        ret = AVERROR(EIO);
        av_log(log_ctx, AV_LOG_ERROR, "Cannot read model '%s'\n", path);
        goto end;
    }
    ret = ff_deep3d_model_parse(model, log_ctx, buf, size);
end:
    av_free(buf);
    fclose(f);
    return ret;
}

void ff_deep3d_model_free_weights(Deep3DModel *m)
{
    av_freep(&m->storage);
    for (int s = 0; s < DEEP3D_STAGES; s++) {
        for (int i = 0; i < DEEP3D_MAX_CONVS; i++)
            m->conv_w[s][i] = m->conv_b[s][i] = NULL;
        m->bn_gamma[s] = m->bn_beta[s] = m->bn_mean[s] = m->bn_inv_std[s] = NULL;
        m->pred_w[s] = m->pred_b[s] = m->deconv_w[s] = m->deconv_b[s] = NULL;
    }
    m->fc6_w = m->fc6_b = m->fc7_w = m->fc7_b = m->pred5_w = m->pred5_b = NULL;
    m->up_w = m->up_b = m->final_w = m->final_b = NULL;
}

void ff_deep3d_model_free(Deep3DModel **model)
{
    if (!*model)
        return;
    av_freep(&(*model)->storage);
    av_freep(model);
}

const char *ff_deep3d_model_arch_name(const Deep3DModel *m)
{
    return m->arch == DEEP3D_ARCH_ORIGINAL ? "original" : "fcn";
}
