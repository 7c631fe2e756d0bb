/*
 * deep3d: a depth map as disparity planes
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

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "libavutil/common.h"
#include "libavutil/error.h"
#include "libavutil/mem.h"

#include "deep3d_depthmap.h"

struct Deep3DDepthMap {
    size_t npix;
    double lo_pct, hi_pct;
    float *scratch;             ///< the map, reordered by the selection
};

int ff_deep3d_depthmap_init(Deep3DDepthMap **pdm, size_t npix, double lo_pct, double hi_pct)
{
    Deep3DDepthMap *dm;

    *pdm = NULL;
    if (!npix || !(lo_pct >= 0 && lo_pct <= hi_pct && hi_pct <= 100))
        return AVERROR(EINVAL);
    if (!(dm = av_mallocz(sizeof(*dm))))
        return AVERROR(ENOMEM);
    if (!(dm->scratch = av_malloc_array(npix, sizeof(*dm->scratch)))) {
        av_free(dm);
        return AVERROR(ENOMEM);
    }
    dm->npix   = npix;
    dm->lo_pct = lo_pct;
    dm->hi_pct = hi_pct;
    *pdm = dm;
    return 0;
}

void ff_deep3d_depthmap_free(Deep3DDepthMap **pdm)
{
    Deep3DDepthMap *dm = *pdm;
    if (!dm)
        return;
    av_freep(&dm->scratch);
    av_freep(pdm);
}

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

#define SWAP_IF_GREATER(a, b) do { if ((a) > (b)) FFSWAP(float, a, b); } while (0)

float ff_deep3d_select_kth(float *v, size_t n, size_t k)
{
    ptrdiff_t lo = 0, hi = (ptrdiff_t)n - 1, kk = k;
    /* quickselect with a median-of-three pivot and Hoare's partition (equal
     * values split evenly, so a flat map costs O(n)); after 2 log2(n) rounds
     * without converging the rest is sorted, which bounds the worst case */
    int budget = 8;

    for (size_t m = n; m > 1; m >>= 1)
        budget += 2;
    while (hi > lo) {
        ptrdiff_t mid = lo + (hi - lo) / 2, i = lo, j = hi;
        float pivot;

        if (!budget--) {
            qsort(v + lo, hi - lo + 1, sizeof(*v), cmp_float);
            break;
        }
        SWAP_IF_GREATER(v[lo], v[mid]);
        SWAP_IF_GREATER(v[mid], v[hi]);
        SWAP_IF_GREATER(v[lo], v[mid]);
        pivot = v[mid];
        while (i <= j) {
            while (v[i] < pivot)
                i++;
            while (v[j] > pivot)
                j--;
            if (i <= j) {
                FFSWAP(float, v[i], v[j]);
                i++;
                j--;
            }
        }
        /* v[lo..j] <= pivot, v[i..hi] >= pivot, and v[j+1..i-1] == pivot */
        if (kk <= j)
            hi = j;
        else if (kk >= i)
            lo = i;
        else
            break;
    }
    return v[kk];
}

int ff_deep3d_depthmap_to_probs(Deep3DDepthMap *dm, const Deep3DModel *m, const float *depth,
                                float *probs, float *plo, float *phi, size_t *bad)
{
    size_t n = dm->npix, klo, khi;
    float lo, hi, range = (float)(m->disp_max - m->disp_min);
    float dmax = (float)m->disp_max, dmin = (float)m->disp_min;
    int kmax = m->nb_disp - 2;

    if (n != (size_t)m->in_w * m->in_h || m->nb_disp < 2 || m->nb_prob != m->nb_disp + 1)
        return AVERROR(EINVAL);
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(depth[i])) {
            if (bad)
                *bad = i;
            return AVERROR_INVALIDDATA;
        }
    }
    memcpy(dm->scratch, depth, n * sizeof(*depth));
    klo = (size_t)floor(dm->lo_pct * (double)(n - 1) / 100.0);
    khi = (size_t)floor(dm->hi_pct * (double)(n - 1) / 100.0);
    klo = FFMIN(klo, n - 1);
    khi = FFMIN(khi, n - 1);
    lo = ff_deep3d_select_kth(dm->scratch, n, klo);
    hi = ff_deep3d_select_kth(dm->scratch, n, khi);
    if (plo)
        *plo = lo;
    if (phi)
        *phi = hi;

    memset(probs, 0, (size_t)m->nb_prob * n * sizeof(*probs));
    for (size_t i = 0; i < n; i++) {
        float t, d, f, w;
        int k;

        if (hi > lo) {
            double td = ((double)depth[i] - lo) / ((double)hi - lo);
            t = (float)av_clipd(td, 0.0, 1.0);
        } else {
            t = 0.5f;
        }
        /* in double the product is exact (24 + 13 bits), so the result does not
         * depend on whether the compiler fuses the multiply and the subtraction */
        d = (float)((double)dmax - (double)t * range);
        f = d - dmin;
        k = FFMIN((int)f, kmax);    /* f >= 0: truncation is floor */
        w = f - (float)k;
        probs[(size_t)(1 + k) * n + i] = 1.0f - w;
        probs[(size_t)(2 + k) * n + i] = w;
    }
    return 0;
}
