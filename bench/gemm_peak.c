/*
 * Single-precision GEMM peak of this machine through OpenBLAS, the yardstick
 * for the network's GEMM throughput. Prints one line per thread count:
 * "gemm_peak threads=N gflops=X" (best of several runs of a 1024 x 4096 x 2304
 * multiply, the shape of a mid-network 3x3 convolution).
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <cblas.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
    const int M = 512, N = 4096, K = 2304, reps = 5;
    int max_threads = argc > 1 ? atoi(argv[1]) : 2;
    float *a = malloc(sizeof(float) * M * K), *b = malloc(sizeof(float) * K * N);
    float *c = malloc(sizeof(float) * M * N);

    if (!a || !b || !c)
        return 1;
    for (long i = 0; i < (long)M * K; i++) a[i] = (i % 17) * 0.01f;
    for (long i = 0; i < (long)K * N; i++) b[i] = (i % 13) * 0.01f;
    for (int t = 1; t <= max_threads; t++) {
        double best = 1e9;
        openblas_set_num_threads(t);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, M, N, K, 1, a, K, b, N, 0, c, N);
        for (int r = 0; r < reps; r++) {
            double t0 = now();
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, M, N, K, 1, a, K, b, N, 0, c, N);
            best = best < now() - t0 ? best : now() - t0;
        }
        printf("gemm_peak threads=%d gflops=%.1f\n", t, 2.0 * M * N * K / best / 1e9);
    }
    free(a); free(b); free(c);
    return 0;
}
