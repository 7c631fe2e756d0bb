/*
 * deep3d_stats.c, the per-stage timer statistics of the CUDA path: the mean
 * is exact, and the percentiles of the logarithmic histogram are within half
 * a bin (1%) of the exact ones from a sorted copy of the samples, for
 * constant, uniform, heavy-tailed and out-of-range data.
 *
 * Usage: test_stats. Prints one "ok"/"not ok" line per check and ends with
 * "N passed, M failed".
 */

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "libavfilter/deep3d_stats.h"

#define N 20000

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The exact pct-th percentile: the ceil(pct / 100 * n)-th smallest. */
static double exact(double *v, int n, double pct)
{
    int k = (int)ceil(pct / 100 * n);
    qsort(v, n, sizeof(*v), cmp);
    return v[(k < 1 ? 1 : k) - 1];
}

/* A small deterministic generator (no libc rand: the same numbers everywhere). */
static uint32_t state = 12345;
static double uniform(void)
{
    state = state * 1664525u + 1013904223u;
    return (state >> 8) / 16777216.0;
}

static void run(const char *name, double (*gen)(int))
{
    static double v[N];
    Deep3DStats s;
    double sum = 0;

    memset(&s, 0, sizeof(s));
    for (int i = 0; i < N; i++) {
        v[i] = gen(i);
        sum += v[i];
        ff_deep3d_stats_add(&s, v[i]);
    }
    check(s.n == N && ff_deep3d_stats_mean(&s) == sum / N, "%s: count and exact mean (%g)", name,
          ff_deep3d_stats_mean(&s));
    for (int k = 0; k < 3; k++) {
        const double pct[3] = { 50, 99, 100 };
        double want = exact(v, N, pct[k]), got = ff_deep3d_stats_percentile(&s, pct[k]);
        /* half a bin of DEEP3D_STATS_STEP either way; values at or below the
         * first bin's edge come back as at most that edge */
        int in_range = want > DEEP3D_STATS_MIN_US ?
                       fabs(got / want - 1) <= sqrt(DEEP3D_STATS_STEP) - 1 + 1e-9 :
                       got <= DEEP3D_STATS_MIN_US * sqrt(DEEP3D_STATS_STEP);
        check(in_range, "%s: p%g %g, exact %g", name, pct[k], got, want);
    }
}

static double constant(int i)  { return 12.5; }
static double flat(int i)      { return 5 + 995 * uniform(); }
static double tail(int i)      { return i % 100 == 0 ? 2000 + 1000 * uniform() : 10 + uniform(); }
static double tiny(int i)      { return 0.01 * uniform(); }

int main(void)
{
    Deep3DStats s;

    memset(&s, 0, sizeof(s));
    check(ff_deep3d_stats_mean(&s) == 0 && ff_deep3d_stats_percentile(&s, 99) == 0,
          "no samples: mean and p99 are 0");
    run("constant 12.5 us", constant);
    run("uniform 5..1000 us", flat);
    run("1% of 2-3 ms among 10 us", tail);
    run("below the first bin", tiny);
    /* one huge value lands in the last bin and is still bounded by the maximum */
    memset(&s, 0, sizeof(s));
    ff_deep3d_stats_add(&s, 1e12);
    check(ff_deep3d_stats_percentile(&s, 99) <= 1e12 && s.max == 1e12,
          "a value beyond the last bin: p99 %g at most the maximum", ff_deep3d_stats_percentile(&s, 99));
    return check_summary();
}
