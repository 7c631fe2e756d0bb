/*
 * deep3d: a small strict JSON reader for safetensors headers
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

#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "libavutil/error.h"
#include "libavutil/mem.h"

#include "deep3d_json.h"

#define MAX_DEPTH 16

typedef struct Parser {
    const char *buf;
    size_t len, pos;
    char *err;
    size_t err_size;
} Parser;

static int fail(Parser *p, const char *what)
{
    if (p->err && p->err_size)
        snprintf(p->err, p->err_size, "%s at byte %zu", what, p->pos);
    return AVERROR_INVALIDDATA;
}

static void skip_space(Parser *p)
{
    while (p->pos < p->len && (p->buf[p->pos] == ' ' || p->buf[p->pos] == '\t' ||
                               p->buf[p->pos] == '\n' || p->buf[p->pos] == '\r'))
        p->pos++;
}

static int literal(Parser *p, const char *word)
{
    size_t n = strlen(word);
    if (p->len - p->pos < n || memcmp(p->buf + p->pos, word, n))
        return fail(p, "invalid literal");
    p->pos += n;
    return 0;
}

static int hex4(Parser *p, unsigned *v)
{
    *v = 0;
    if (p->len - p->pos < 4)
        return fail(p, "truncated \\u escape");
    for (int i = 0; i < 4; i++) {
        char c = p->buf[p->pos++];
        *v <<= 4;
        if      (c >= '0' && c <= '9') *v |= c - '0';
        else if (c >= 'a' && c <= 'f') *v |= c - 'a' + 10;
        else if (c >= 'A' && c <= 'F') *v |= c - 'A' + 10;
        else return fail(p, "invalid \\u escape");
    }
    return 0;
}

static int put_utf8(char *out, unsigned cp)
{
    if (cp < 0x80) { out[0] = cp; return 1; }
    if (cp < 0x800) { out[0] = 0xC0 | cp >> 6; out[1] = 0x80 | (cp & 0x3F); return 2; }
    if (cp < 0x10000) {
        out[0] = 0xE0 | cp >> 12; out[1] = 0x80 | (cp >> 6 & 0x3F); out[2] = 0x80 | (cp & 0x3F);
        return 3;
    }
    out[0] = 0xF0 | cp >> 18; out[1] = 0x80 | (cp >> 12 & 0x3F);
    out[2] = 0x80 | (cp >> 6 & 0x3F); out[3] = 0x80 | (cp & 0x3F);
    return 4;
}

/* Length of the valid UTF-8 sequence at s (at most n bytes), or 0. */
static int utf8_len(const unsigned char *s, size_t n)
{
    unsigned cp;
    int len;

    if (s[0] < 0x80) return 1;
    if ((s[0] & 0xE0) == 0xC0) { len = 2; cp = s[0] & 0x1F; }
    else if ((s[0] & 0xF0) == 0xE0) { len = 3; cp = s[0] & 0x0F; }
    else if ((s[0] & 0xF8) == 0xF0) { len = 4; cp = s[0] & 0x07; }
    else return 0;
    if (n < len)
        return 0;
    for (int i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = cp << 6 | (s[i] & 0x3F);
    }
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
        cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return len;
}

static int parse_string(Parser *p, char **out)
{
    size_t start = ++p->pos, cap = 0;
    char *s;
    size_t n = 0;

    /* The decoded string is never longer than its source. */
    while (p->pos < p->len && p->buf[p->pos] != '"') {
        if (p->buf[p->pos] == '\\')
            p->pos++;
        p->pos++;
    }
    if (p->pos >= p->len)
        return fail(p, "unterminated string");
    cap = p->pos - start + 1;
    p->pos = start;
    s = av_malloc(cap);
    if (!s)
        return AVERROR(ENOMEM);

    while (p->buf[p->pos] != '"') {
        unsigned char c = p->buf[p->pos];
        if (c < 0x20) {
            av_free(s);
            return fail(p, "control character in string");
        }
        if (c == '\\') {
            char e = p->buf[++p->pos];
            unsigned cp, lo;
            p->pos++;
            switch (e) {
            case '"': s[n++] = '"'; break;
            case '\\': s[n++] = '\\'; break;
            case '/': s[n++] = '/'; break;
            case 'b': s[n++] = '\b'; break;
            case 'f': s[n++] = '\f'; break;
            case 'n': s[n++] = '\n'; break;
            case 'r': s[n++] = '\r'; break;
            case 't': s[n++] = '\t'; break;
            case 'u':
                if (hex4(p, &cp) < 0)
                    goto bad;
                if (cp >= 0xD800 && cp <= 0xDBFF) {
                    if (p->len - p->pos < 2 || p->buf[p->pos] != '\\' || p->buf[p->pos + 1] != 'u')
                        goto bad_surrogate;
                    p->pos += 2;
                    if (hex4(p, &lo) < 0)
                        goto bad;
                    if (lo < 0xDC00 || lo > 0xDFFF)
                        goto bad_surrogate;
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                    goto bad_surrogate;
                }
                if (!cp) {
                    av_free(s);
                    return fail(p, "NUL character in string");
                }
                /* 6 source bytes give at most 3, 12 give 4: still within cap */
                n += put_utf8(s + n, cp);
                break;
            default:
                av_free(s);
                return fail(p, "invalid escape in string");
            }
        } else {
            int l = utf8_len((const unsigned char *)p->buf + p->pos, p->len - p->pos);
            if (!l) {
                av_free(s);
                return fail(p, "invalid UTF-8 in string");
            }
            memcpy(s + n, p->buf + p->pos, l);
            n += l;
            p->pos += l;
        }
    }
    p->pos++;
    s[n] = 0;
    *out = s;
    return 0;
bad_surrogate:
    av_free(s);
    return fail(p, "invalid UTF-16 surrogate in string");
bad:
    av_free(s);
    return AVERROR_INVALIDDATA;
}

static int parse_number(Parser *p, Deep3DJSON *v)
{
    size_t start = p->pos;
    int neg = 0, is_int = 1;
    uint64_t mag = 0;

    if (p->buf[p->pos] == '-') {
        neg = 1;
        p->pos++;
    }
    if (p->pos >= p->len || p->buf[p->pos] < '0' || p->buf[p->pos] > '9')
        return fail(p, "invalid number");
    if (p->buf[p->pos] == '0' && p->pos + 1 < p->len &&
        p->buf[p->pos + 1] >= '0' && p->buf[p->pos + 1] <= '9')
        return fail(p, "number with a leading zero");
    while (p->pos < p->len && p->buf[p->pos] >= '0' && p->buf[p->pos] <= '9') {
        unsigned d = p->buf[p->pos++] - '0';
        if (mag > (UINT64_MAX - d) / 10)
            is_int = -1;            /* too large for int64: keep scanning */
        else
            mag = mag * 10 + d;
    }
    if (p->pos < p->len && p->buf[p->pos] == '.') {
        is_int = 0;
        p->pos++;
        if (p->pos >= p->len || p->buf[p->pos] < '0' || p->buf[p->pos] > '9')
            return fail(p, "invalid number");
        while (p->pos < p->len && p->buf[p->pos] >= '0' && p->buf[p->pos] <= '9')
            p->pos++;
    }
    if (p->pos < p->len && (p->buf[p->pos] == 'e' || p->buf[p->pos] == 'E')) {
        is_int = 0;
        p->pos++;
        if (p->pos < p->len && (p->buf[p->pos] == '+' || p->buf[p->pos] == '-'))
            p->pos++;
        if (p->pos >= p->len || p->buf[p->pos] < '0' || p->buf[p->pos] > '9')
            return fail(p, "invalid number");
        while (p->pos < p->len && p->buf[p->pos] >= '0' && p->buf[p->pos] <= '9')
            p->pos++;
    }
    if (is_int == 1 && mag > (uint64_t)INT64_MAX + neg)
        is_int = -1;
    if (is_int < 0) {
        p->pos = start;
        return fail(p, "integer out of range");
    }
    v->type = is_int ? DEEP3D_JSON_INT : DEEP3D_JSON_NUMBER;
    if (is_int)
        v->i = neg ? (int64_t)(0 - mag) : (int64_t)mag;
    return 0;
}

static int parse_value(Parser *p, Deep3DJSON *v, int depth);

static int append_item(Deep3DJSON *v, Deep3DJSON **item)
{
    Deep3DJSON *items;

    if (v->nb_items >= INT_MAX / (int)sizeof(*items) - 1)
        return AVERROR(ENOMEM);
    items = av_realloc_array(v->items, v->nb_items + 1, sizeof(*items));
    if (!items)
        return AVERROR(ENOMEM);
    v->items = items;
    memset(&items[v->nb_items], 0, sizeof(*items));
    *item = &items[v->nb_items++];
    return 0;
}

static int parse_container(Parser *p, Deep3DJSON *v, int depth, int object)
{
    char close = object ? '}' : ']';
    int ret;

    v->type = object ? DEEP3D_JSON_OBJECT : DEEP3D_JSON_ARRAY;
    p->pos++;
    skip_space(p);
    if (p->pos < p->len && p->buf[p->pos] == close) {
        p->pos++;
        return 0;
    }
    for (;;) {
        Deep3DJSON *item;
        char *key = NULL;

        skip_space(p);
        if (object) {
            char **keys;
            if (p->pos >= p->len || p->buf[p->pos] != '"')
                return fail(p, "expected a string key");
            if ((ret = parse_string(p, &key)) < 0)
                return ret;
            for (int i = 0; i < v->nb_items; i++)
                if (!strcmp(v->keys[i], key)) {
                    av_free(key);
                    return fail(p, "duplicate key");
                }
            keys = av_realloc_array(v->keys, v->nb_items + 1, sizeof(*keys));
            if (!keys) {
                av_free(key);
                return AVERROR(ENOMEM);
            }
            v->keys = keys;
            skip_space(p);
            if (p->pos >= p->len || p->buf[p->pos] != ':') {
                av_free(key);
                return fail(p, "expected ':'");
            }
            p->pos++;
        }
        if ((ret = append_item(v, &item)) < 0) {
            av_free(key);
            return ret;
        }
        if (object)
            v->keys[v->nb_items - 1] = key;
        if ((ret = parse_value(p, item, depth + 1)) < 0)
            return ret;
        skip_space(p);
        if (p->pos >= p->len)
            return fail(p, "unterminated array or object");
        if (p->buf[p->pos] == ',') {
            p->pos++;
            continue;
        }
        if (p->buf[p->pos] == close) {
            p->pos++;
            return 0;
        }
        return fail(p, "expected ',' or end of array or object");
    }
}

static int parse_value(Parser *p, Deep3DJSON *v, int depth)
{
    if (depth > MAX_DEPTH)
        return fail(p, "nesting too deep");
    skip_space(p);
    if (p->pos >= p->len)
        return fail(p, "unexpected end of JSON");
    switch (p->buf[p->pos]) {
    case '{': return parse_container(p, v, depth, 1);
    case '[': return parse_container(p, v, depth, 0);
    case '"': v->type = DEEP3D_JSON_STRING; return parse_string(p, &v->str);
    case 't': v->type = DEEP3D_JSON_BOOL; v->i = 1; return literal(p, "true");
    case 'f': v->type = DEEP3D_JSON_BOOL; v->i = 0; return literal(p, "false");
    case 'n': v->type = DEEP3D_JSON_NULL; return literal(p, "null");
    default:  return parse_number(p, v);
    }
}

static void free_value(Deep3DJSON *v)
{
    for (int i = 0; i < v->nb_items; i++) {
        free_value(&v->items[i]);
        if (v->keys)
            av_free(v->keys[i]);
    }
    av_freep(&v->items);
    av_freep(&v->keys);
    av_freep(&v->str);
    v->nb_items = 0;
}

void ff_deep3d_json_free(Deep3DJSON **root)
{
    if (!*root)
        return;
    free_value(*root);
    av_freep(root);
}

int ff_deep3d_json_parse(Deep3DJSON **root, const char *buf, size_t len,
                         char *err, size_t err_size)
{
    Parser p = { .buf = buf, .len = len, .err = err, .err_size = err_size };
    Deep3DJSON *v = av_mallocz(sizeof(*v));
    int ret;

    *root = NULL;
    if (!v)
        return AVERROR(ENOMEM);
    ret = parse_value(&p, v, 0);
    if (ret >= 0) {
        skip_space(&p);
        if (p.pos != p.len)
            ret = fail(&p, "trailing bytes after JSON value");
    }
    if (ret < 0) {
        ff_deep3d_json_free(&v);
        return ret;
    }
    *root = v;
    return 0;
}

const Deep3DJSON *ff_deep3d_json_get(const Deep3DJSON *obj, const char *key)
{
    if (!obj || obj->type != DEEP3D_JSON_OBJECT)
        return NULL;
    for (int i = 0; i < obj->nb_items; i++)
        if (!strcmp(obj->keys[i], key))
            return &obj->items[i];
    return NULL;
}
