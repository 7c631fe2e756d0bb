/*
 * What the parity tests share: reading reference files of an exact size,
 * running the engine's jobs in sequence, comparing float arrays.
 */
#ifndef DEEP3D_TESTS_FIXTURE_H
#define DEEP3D_TESTS_FIXTURE_H

#include <math.h>
#include <stdint.h>
#include <stdio.h>

#include "libavfilter/deep3d_net.h"
#include "libavutil/common.h"
#include "libavutil/mem.h"

/* dir/name+suffix, exactly size bytes (one more byte means a shape mismatch); NULL otherwise */
static uint8_t *read_exact(const char *dir, const char *name, const char *suffix, size_t size)
{
    char path[1024];
    uint8_t *buf = av_malloc(size ? size : 1);
    FILE *f;
    int ok;

    snprintf(path, sizeof(path), "%s/%s%s", dir, name, suffix);
    if (!buf || !(f = fopen(path, "rb"))) {
        av_free(buf);
        return NULL;
    }
    ok = fread(buf, 1, size, f) == size && fgetc(f) == EOF;
    fclose(f);
    if (!ok)
        av_freep(&buf);
    return buf;
}

/* Jobs in sequence, in an order that is not 0..n-1, so partitions must not
 * depend on the order in which jobs run. */
static void serial_execute(void *opaque, Deep3DJobFunc *job, void *arg, int nb_jobs)
{
    for (int i = nb_jobs - 1; i >= 0; i--)
        job(arg, i, nb_jobs);
}

static double max_abs_diff(const float *a, const float *b, size_t n)
{
    double m = 0;
    for (size_t i = 0; i < n; i++)
        m = FFMAX(m, fabs((double)a[i] - b[i]));
    return m;
}

#endif /* DEEP3D_TESTS_FIXTURE_H */
