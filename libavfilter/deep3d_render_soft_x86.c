/*
 * deep3d: the selection layer's inner loops with AVX2 and AVX-512 intrinsics
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
 * The C kernel (deep3d_render_soft.c) walks columns in chunks and, for each
 * disparity plane, re-reads and re-writes every output row. Here the output
 * rows of one block of columns (8 with AVX2, 16 with AVX-512) stay in
 * registers while the disparity planes go by, so each output sample is
 * loaded and stored once. Each sample still sees the same operations in the
 * same order as in C (multiplies and adds, never fused: the functions are
 * compiled for AVX2 or AVX-512F without FMA), so the results are
 * bit-identical, which tests/unit/test_select.c checks.
 *
 * Compiled with function target attributes, not global -m flags: the rest of
 * FFmpeg keeps its baseline ISA, and ff_deep3d_render_soft_dsp_init() picks
 * a version from av_get_cpu_flags() at run time.
 */

#include "config.h"

#include "libavutil/attributes.h"
#include "libavutil/common.h"
#include "libavutil/cpu.h"

#include "deep3d_render_soft.h"

/* compilers that take target attributes and have every intrinsic used here;
 * elsewhere the C version runs */
#if ARCH_X86_64 && (defined(__GNUC__) || defined(__clang__)) && \
    (!defined(__clang__) || __clang_major__ >= 8) && \
    (defined(__clang__) || __GNUC__ >= 9)
#define HAVE_DEEP3D_X86_KERNELS 1
#else
#define HAVE_DEEP3D_X86_KERNELS 0
#endif

#if HAVE_DEEP3D_X86_KERNELS
#include <immintrin.h>

#ifdef __clang__
#pragma STDC FP_CONTRACT OFF
#endif

#define TARGET_AVX2   __attribute__((target("avx2")))
#define TARGET_AVX512 __attribute__((target("avx2,avx512f,avx512bw,avx512vl")))

/* ---- AVX2 ---- */

static av_always_inline TARGET_AVX2 __m256i tail_mask256(int len)
{
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(len), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

/* One block of up to 8 columns at x (len of them), n rows. */
static av_always_inline TARGET_AVX2
void render_block_avx2(const Deep3DSoftKernel *kn, int n, int x, int len)
{
    const __m256 fy = _mm256_set1_ps(kn->fy);
    const __m256i m = tail_mask256(len);
    const int full = len == 8;
    const float *h0 = kn->hrow[0] + x, *h1 = kn->hrow[1] + x;
    __m256 acc[DEEP3D_RENDER_MAX_ROWS], mass = _mm256_setzero_ps();

    for (int r = 0; r < n; r++)
        acc[r] = _mm256_setzero_ps();
    for (int k = 0; k < kn->nb_disp; k++, h0 += kn->w, h1 += kn->w) {
        float fs = kn->shift_frac[k];
        __m256 f = _mm256_set1_ps(fs), g = _mm256_set1_ps(1.0f - fs);
        __m256 a = full ? _mm256_loadu_ps(h0) : _mm256_maskload_ps(h0, m);
        __m256 b = full ? _mm256_loadu_ps(h1) : _mm256_maskload_ps(h1, m);
        __m256 p = _mm256_add_ps(a, _mm256_mul_ps(fy, _mm256_sub_ps(b, a)));
        int si = kn->shift_int[k];
        if (kn->mass)
            mass = _mm256_add_ps(mass, p);
        for (int r = 0; r < n; r++) {
            const float *l = kn->lp[r] + x + si;
            __m256 l0 = full ? _mm256_loadu_ps(l)     : _mm256_maskload_ps(l, m);
            __m256 l1 = full ? _mm256_loadu_ps(l + 1) : _mm256_maskload_ps(l + 1, m);
            __m256 v  = _mm256_add_ps(_mm256_mul_ps(g, l0), _mm256_mul_ps(f, l1));
            acc[r] = _mm256_add_ps(acc[r], _mm256_mul_ps(p, v));
        }
    }
    if (kn->mass) {
        __m256 pos = _mm256_cmp_ps(mass, _mm256_setzero_ps(), _CMP_GT_OQ);
        for (int r = 0; r < n; r++)
            acc[r] = _mm256_blendv_ps(acc[r], _mm256_div_ps(acc[r], mass), pos);
    }
    for (int r = 0; r < n; r++) {
        if (full)
            _mm256_storeu_ps(kn->out[r] + x, acc[r]);
        else
            _mm256_maskstore_ps(kn->out[r] + x, m, acc[r]);
    }
}

static av_always_inline TARGET_AVX2 void render_avx2_n(const Deep3DSoftKernel *kn, int n)
{
    int x = 0;
    for (; x + 8 <= kn->w; x += 8)
        render_block_avx2(kn, n, x, 8);     /* len constant: no masks */
    if (x < kn->w)
        render_block_avx2(kn, n, x, kn->w - x);
}

#define RENDER_N(isa, n) \
static TARGET_##isa void render_##isa##_##n(const Deep3DSoftKernel *kn) { render_##isa##_n(kn, n); }

#define RENDER_ALL(isa, lc)                                                          \
RENDER_N(isa, 1) RENDER_N(isa, 2) RENDER_N(isa, 3) RENDER_N(isa, 4)                  \
RENDER_N(isa, 5) RENDER_N(isa, 6) RENDER_N(isa, 7) RENDER_N(isa, 8)                  \
static void render_##lc(const Deep3DSoftKernel *kn)                                  \
{                                                                                    \
    /* the row count a constant: the accumulators stay in registers */              \
    static void (*const fn[DEEP3D_RENDER_MAX_ROWS])(const Deep3DSoftKernel *) = {     \
        render_##isa##_1, render_##isa##_2, render_##isa##_3, render_##isa##_4,      \
        render_##isa##_5, render_##isa##_6, render_##isa##_7, render_##isa##_8,      \
    };                                                                               \
    if (kn->n > 0)                                                                   \
        fn[kn->n - 1](kn);                                                           \
}

#define render_AVX2_n render_avx2_n
RENDER_ALL(AVX2, avx2)

/*
 * Upsampling (w >= net_w) reads at most a few neighbouring low-res samples
 * per block of output columns: one load of 8 from the first, and permutes,
 * instead of gathers. A block whose samples span more (w < net_w) is
 * gathered.
 */
static TARGET_AVX2 void upsample_avx2(float *dst, const float *src, ptrdiff_t stride, int nb,
                                      const int32_t *x0, const float *fx, int w, int net_w)
{
    const __m256i one = _mm256_set1_epi32(1), last = _mm256_set1_epi32(net_w - 1);
    int x = 0;

    for (; x + 8 <= w; x += 8) {
        int base = x0[x];
        __m256i i0 = _mm256_loadu_si256((const __m256i *)(x0 + x));
        __m256i i1 = _mm256_min_epi32(_mm256_add_epi32(i0, one), last);
        __m256 f = _mm256_loadu_ps(fx + x);
        int span = FFMIN(x0[x + 7] + 1, net_w - 1) - base;
        if (span < 8) {
            /* the window's lanes past the row's end are never selected */
            __m256i win = tail_mask256(net_w - base);
            __m256i b = _mm256_set1_epi32(base);
            i0 = _mm256_sub_epi32(i0, b);
            i1 = _mm256_sub_epi32(i1, b);
            for (int k = 0; k < nb; k++) {
                __m256 v = _mm256_maskload_ps(src + k * stride + base, win);
                __m256 a = _mm256_permutevar8x32_ps(v, i0), c = _mm256_permutevar8x32_ps(v, i1);
                _mm256_storeu_ps(dst + (size_t)k * w + x,
                                 _mm256_add_ps(a, _mm256_mul_ps(f, _mm256_sub_ps(c, a))));
            }
        } else {
            for (int k = 0; k < nb; k++) {
                const float *row = src + k * stride;
                __m256 a = _mm256_i32gather_ps(row, i0, 4), c = _mm256_i32gather_ps(row, i1, 4);
                _mm256_storeu_ps(dst + (size_t)k * w + x,
                                 _mm256_add_ps(a, _mm256_mul_ps(f, _mm256_sub_ps(c, a))));
            }
        }
    }
    for (; x < w; x++) {
        int a = x0[x], b = FFMIN(a + 1, net_w - 1);
        for (int k = 0; k < nb; k++) {
            const float *row = src + k * stride;
            dst[(size_t)k * w + x] = row[a] + fx[x] * (row[b] - row[a]);
        }
    }
}

static TARGET_AVX2 void load8_avx2(float *dst, const uint8_t *src, int w)
{
    int x = 0;
    for (; x + 8 <= w; x += 8) {
        __m256i v = _mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)(src + x)));
        _mm256_storeu_ps(dst + x, _mm256_cvtepi32_ps(v));
    }
    for (; x < w; x++)
        dst[x] = src[x];
}

static TARGET_AVX2 void load16_avx2(float *dst, const uint16_t *src, int w, int shift)
{
    __m128i sh = _mm_cvtsi32_si128(shift);
    int x = 0;
    for (; x + 8 <= w; x += 8) {
        __m256i v = _mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)(src + x)));
        _mm256_storeu_ps(dst + x, _mm256_cvtepi32_ps(_mm256_srl_epi32(v, sh)));
    }
    for (; x < w; x++)
        dst[x] = src[x] >> shift;
}

/* (int)(v + 0.5f) truncates like cvttps; out of range and NaN give INT_MIN
 * in both, which the clip turns into 0 */
static TARGET_AVX2 void store8_avx2(uint8_t *dst, const float *src, int w)
{
    const __m256 half = _mm256_set1_ps(0.5f);
    const __m256i hi = _mm256_set1_epi32(255);
    int x = 0;
    for (; x + 8 <= w; x += 8) {
        /* clipped above first: the second pack reads its input as signed 16-bit;
         * the packs' saturation then clips below at 0 */
        __m256i v = _mm256_min_epi32(_mm256_cvttps_epi32(_mm256_add_ps(_mm256_loadu_ps(src + x), half)), hi);
        __m128i w16 = _mm_packus_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
        _mm_storel_epi64((__m128i *)(dst + x), _mm_packus_epi16(w16, w16));
    }
    for (; x < w; x++)
        dst[x] = av_clip_uint8((int)(src[x] + 0.5f));
}

static TARGET_AVX2 void store16_avx2(uint16_t *dst, const float *src, int w, int maxval, int shift)
{
    const __m256 half = _mm256_set1_ps(0.5f);
    const __m256i lo = _mm256_setzero_si256(), hi = _mm256_set1_epi32(maxval);
    __m128i sh = _mm_cvtsi32_si128(shift);
    int x = 0;
    for (; x + 8 <= w; x += 8) {
        __m256i v = _mm256_cvttps_epi32(_mm256_add_ps(_mm256_loadu_ps(src + x), half));
        v = _mm256_sll_epi32(_mm256_min_epi32(_mm256_max_epi32(v, lo), hi), sh);
        _mm_storeu_si128((__m128i *)(dst + x),
                         _mm_packus_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1)));
    }
    for (; x < w; x++)
        dst[x] = av_clip((int)(src[x] + 0.5f), 0, maxval) << shift;
}

/* ---- AVX-512 ---- */

/* Columns [x, x + 16 * nv) (lanes of m in the last vector), n rows. */
static av_always_inline TARGET_AVX512
void render_block_avx512(const Deep3DSoftKernel *kn, int n, int nv, int x, __mmask16 m)
{
    const __m512 fy = _mm512_set1_ps(kn->fy);
    const float *h0 = kn->hrow[0] + x, *h1 = kn->hrow[1] + x;
    __m512 acc[DEEP3D_RENDER_MAX_ROWS][2], mass[2] = { _mm512_setzero_ps(), _mm512_setzero_ps() };

    for (int r = 0; r < n; r++)
        for (int v = 0; v < nv; v++)
            acc[r][v] = _mm512_setzero_ps();
    for (int k = 0; k < kn->nb_disp; k++, h0 += kn->w, h1 += kn->w) {
        float fs = kn->shift_frac[k];
        __m512 f = _mm512_set1_ps(fs), g = _mm512_set1_ps(1.0f - fs);
        int si = kn->shift_int[k];
        /* 17+ rows of probabilities are read side by side: help the prefetcher */
        _mm_prefetch((const char *)(h0 + 64), _MM_HINT_T0);
        _mm_prefetch((const char *)(h1 + 64), _MM_HINT_T0);
        for (int v = 0; v < nv; v++) {
            __mmask16 mv = v == nv - 1 ? m : 0xFFFF;
            __m512 a = _mm512_maskz_loadu_ps(mv, h0 + 16 * v), b = _mm512_maskz_loadu_ps(mv, h1 + 16 * v);
            __m512 p = _mm512_add_ps(a, _mm512_mul_ps(fy, _mm512_sub_ps(b, a)));
            if (kn->mass)
                mass[v] = _mm512_add_ps(mass[v], p);
            for (int r = 0; r < n; r++) {
                const float *l = kn->lp[r] + x + 16 * v + si;
                __m512 t = _mm512_add_ps(_mm512_mul_ps(g, _mm512_maskz_loadu_ps(mv, l)),
                                         _mm512_mul_ps(f, _mm512_maskz_loadu_ps(mv, l + 1)));
                acc[r][v] = _mm512_add_ps(acc[r][v], _mm512_mul_ps(p, t));
            }
        }
    }
    for (int v = 0; v < nv; v++) {
        __mmask16 mv = v == nv - 1 ? m : 0xFFFF;
        if (kn->mass) {
            __mmask16 pos = _mm512_cmp_ps_mask(mass[v], _mm512_setzero_ps(), _CMP_GT_OQ);
            for (int r = 0; r < n; r++)
                acc[r][v] = _mm512_mask_div_ps(acc[r][v], pos, acc[r][v], mass[v]);
        }
        for (int r = 0; r < n; r++)
            _mm512_mask_storeu_ps(kn->out[r] + x + 16 * v, mv, acc[r][v]);
    }
}

static av_always_inline TARGET_AVX512 void render_avx512_n(const Deep3DSoftKernel *kn, int n)
{
    /* few rows: two vectors per step (more work per probability broadcast
     * and per cache line pair); the accumulators must fit the 32 registers */
    int nv = n <= 4 ? 2 : 1, x = 0;

    for (; x + 16 * nv <= kn->w; x += 16 * nv)
        render_block_avx512(kn, n, nv, x, 0xFFFF);
    for (; x < kn->w; x += 16)
        render_block_avx512(kn, n, 1, x, kn->w - x >= 16 ? 0xFFFF : (1u << (kn->w - x)) - 1);
}

#define render_AVX512_n render_avx512_n
RENDER_ALL(AVX512, avx512)

static TARGET_AVX512 void upsample_avx512(float *dst, const float *src, ptrdiff_t stride, int nb,
                                          const int32_t *x0, const float *fx, int w, int net_w)
{
    const __m512i one = _mm512_set1_epi32(1), last = _mm512_set1_epi32(net_w - 1);

    for (int x = 0; x < w; x += 16) {
        __mmask16 m = w - x >= 16 ? 0xFFFF : (1u << (w - x)) - 1;
        int end = x + FFMIN(16, w - x) - 1, base = x0[x];
        __m512i i0 = _mm512_maskz_loadu_epi32(m, x0 + x);
        __m512i i1 = _mm512_min_epi32(_mm512_add_epi32(i0, one), last);
        __m512 f = _mm512_maskz_loadu_ps(m, fx + x);
        int span = FFMIN(x0[end] + 1, net_w - 1) - base;
        if (span < 16) {
            /* the window's lanes past the row's end are never selected */
            int n = FFMIN(16, net_w - base);
            __mmask16 win = n >= 16 ? 0xFFFF : (1u << n) - 1;
            __m512i b = _mm512_set1_epi32(base);
            i0 = _mm512_sub_epi32(i0, b);
            i1 = _mm512_sub_epi32(i1, b);
            for (int k = 0; k < nb; k++) {
                __m512 v = _mm512_maskz_loadu_ps(win, src + k * stride + base);
                __m512 a = _mm512_permutexvar_ps(i0, v), c = _mm512_permutexvar_ps(i1, v);
                _mm512_mask_storeu_ps(dst + (size_t)k * w + x, m,
                                      _mm512_add_ps(a, _mm512_mul_ps(f, _mm512_sub_ps(c, a))));
            }
        } else {
            for (int k = 0; k < nb; k++) {
                const float *row = src + k * stride;
                __m512 a = _mm512_mask_i32gather_ps(_mm512_setzero_ps(), m, i0, row, 4);
                __m512 c = _mm512_mask_i32gather_ps(_mm512_setzero_ps(), m, i1, row, 4);
                _mm512_mask_storeu_ps(dst + (size_t)k * w + x, m,
                                      _mm512_add_ps(a, _mm512_mul_ps(f, _mm512_sub_ps(c, a))));
            }
        }
    }
}

static TARGET_AVX512 void load8_avx512(float *dst, const uint8_t *src, int w)
{
    for (int x = 0; x < w; x += 16) {
        __mmask16 m = w - x >= 16 ? 0xFFFF : (1u << (w - x)) - 1;
        __m512i v = _mm512_cvtepu8_epi32(_mm_maskz_loadu_epi8(m, src + x));
        _mm512_mask_storeu_ps(dst + x, m, _mm512_cvtepi32_ps(v));
    }
}

static TARGET_AVX512 void load16_avx512(float *dst, const uint16_t *src, int w, int shift)
{
    __m128i sh = _mm_cvtsi32_si128(shift);
    for (int x = 0; x < w; x += 16) {
        __mmask16 m = w - x >= 16 ? 0xFFFF : (1u << (w - x)) - 1;
        __m512i v = _mm512_cvtepu16_epi32(_mm256_maskz_loadu_epi16(m, src + x));
        _mm512_mask_storeu_ps(dst + x, m, _mm512_cvtepi32_ps(_mm512_srl_epi32(v, sh)));
    }
}

static TARGET_AVX512 void store8_avx512(uint8_t *dst, const float *src, int w)
{
    const __m512 half = _mm512_set1_ps(0.5f);
    const __m512i lo = _mm512_setzero_si512();
    for (int x = 0; x < w; x += 16) {
        __mmask16 m = w - x >= 16 ? 0xFFFF : (1u << (w - x)) - 1;
        __m512i v = _mm512_cvttps_epi32(_mm512_add_ps(_mm512_maskz_loadu_ps(m, src + x), half));
        /* clip below at 0, then the unsigned saturating narrowing clips at 255 */
        _mm512_mask_cvtusepi32_storeu_epi8(dst + x, m, _mm512_max_epi32(v, lo));
    }
}

static TARGET_AVX512 void store16_avx512(uint16_t *dst, const float *src, int w, int maxval, int shift)
{
    const __m512 half = _mm512_set1_ps(0.5f);
    const __m512i lo = _mm512_setzero_si512(), hi = _mm512_set1_epi32(maxval);
    __m128i sh = _mm_cvtsi32_si128(shift);
    for (int x = 0; x < w; x += 16) {
        __mmask16 m = w - x >= 16 ? 0xFFFF : (1u << (w - x)) - 1;
        __m512i v = _mm512_cvttps_epi32(_mm512_add_ps(_mm512_maskz_loadu_ps(m, src + x), half));
        v = _mm512_sll_epi32(_mm512_min_epi32(_mm512_max_epi32(v, lo), hi), sh);
        _mm512_mask_cvtusepi32_storeu_epi16(dst + x, m, v);
    }
}
#endif /* HAVE_DEEP3D_X86_KERNELS */

void ff_deep3d_render_soft_dsp_init_x86(Deep3DSoftDSP *dsp, int cpu_flags)
{
#if HAVE_DEEP3D_X86_KERNELS
    if (cpu_flags & AV_CPU_FLAG_AVX2) {
        dsp->name    = "avx2";
        dsp->render  = render_avx2;
        dsp->upsample = upsample_avx2;
        dsp->load8   = load8_avx2;
        dsp->load16  = load16_avx2;
        dsp->store8  = store8_avx2;
        dsp->store16 = store16_avx2;
    }
    /* AV_CPU_FLAG_AVX512 is set only where the OS saves the ZMM state */
    if (cpu_flags & AV_CPU_FLAG_AVX512) {
        dsp->name    = "avx512";
        dsp->render  = render_avx512;
        dsp->upsample = upsample_avx512;
        dsp->load8   = load8_avx512;
        dsp->load16  = load16_avx512;
        dsp->store8  = store8_avx512;
        dsp->store16 = store16_avx512;
    }
#endif
}
