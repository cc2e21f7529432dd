/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The benchmarks' clocks and statistics (declared in benchlib.h), apart
 * from the rest of benchlib.c so that `pfcap bench` can build them in too.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "benchlib.h"

double pf_bench_now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

double pf_bench_cpu_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

struct pf_bench_stat pf_bench_stat_of(const double *v, int n)
{
    struct pf_bench_stat s = {0, 0, 0};
    double *c = malloc((size_t)(n ? n : 1) * sizeof(*c));

    if (!c || n <= 0) {
        free(c);
        return s;
    }
    memcpy(c, v, (size_t)n * sizeof(*c));
    qsort(c, (size_t)n, sizeof(*c), cmp_double);
    s.median = n % 2 ? c[n / 2] : (c[n / 2 - 1] + c[n / 2]) / 2;
    s.p25 = c[n / 4];
    s.p75 = c[n - 1 - n / 4];
    free(c);
    return s;
}
