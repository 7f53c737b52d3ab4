/* Timing for bench/: runs a step function in RUNS runs of STEPS steps each and reports the
   median microseconds per step. */
#ifndef ADJOINT_BENCH_TIMING_H
#define ADJOINT_BENCH_TIMING_H

#define _POSIX_C_SOURCE 200112L
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double bench_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int bench_compare(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Fills x with values in [0, 1) and y with one-hot rows, deterministically. */
static void bench_data(float *x, float *y, int batch, int features, int classes)
{
    unsigned long long state = 12345;
    for (long i = 0; i < (long)batch * features; ++i) {
        state = state * 6364136223846793005ull + 1442695040888963407ull;
        x[i] = (float)((state >> 40) & 0xFFFF) / 65536.0f;
    }
    for (int i = 0; i < batch; ++i)
        for (int j = 0; j < classes; ++j) y[i * classes + j] = j == i % classes ? 1.0f : 0.0f;
}

/* Prints "name median_us min_us max_us loss" for the driver script to read. */
static void bench_report(const char *name, double *per_step_us, int runs, float loss)
{
    qsort(per_step_us, (size_t)runs, sizeof(double), bench_compare);
    printf("%s %.3f %.3f %.3f %.6f\n", name, per_step_us[runs / 2], per_step_us[0], per_step_us[runs - 1], (double)loss);
}

#endif
