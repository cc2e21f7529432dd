/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * What the benchmark programs share: a clock, medians and quartiles over
 * rounds, the filter set of bench/filters.txt (with its list macros), a
 * report that goes to stdout and to bench/results/<section>.md at once,
 * and an SVG bar chart written by hand (no plotting dependency).
 */
#ifndef PF_BENCH_BENCHLIB_H
#define PF_BENCH_BENCHLIB_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Monotonic time in nanoseconds. */
double pf_bench_now_ns(void);

/*
 * CPU time of the calling thread in nanoseconds: what timing loops use,
 * so that time the (shared, busy) machine gives other processes is not
 * counted against the engine being measured.
 */
double pf_bench_cpu_ns(void);

/* Median and quartiles of a sample. */
struct pf_bench_stat {
    double median, p25, p75;
};

/* Summarizes @n values of @v (left unsorted). */
struct pf_bench_stat pf_bench_stat_of(const double *v, int n);

/* One filter of the set: a short name and the expression. */
struct pf_bench_filter {
    char name[64];
    char *expr; /* malloc'd, macros expanded */
};

/*
 * The i-th host (0 <= i < 64000) of the "@hosts:N" lists: the first 2000
 * are the generator's 10.0.0.0/21 pool in a scattered order (a list of
 * 100 hosts is not one address range, as real lists are not), the rest
 * distinct addresses beyond it.
 */
uint32_t pf_bench_list_host(int i);

/*
 * "@hosts:N" -> "host H0 or host H1 or ..." (pf_bench_list_host),
 * "@ports:N" -> "port 1000 or port 1001 or ...".
 * Returns a malloc'd string or NULL (bad macro, no memory).
 */
char *pf_bench_list_expr(const char *kind, int n);

/*
 * Reads @path: one filter per line, "name expression", '#' comments,
 * expressions may be a single list macro. Returns the count (>= 0) or a
 * negative errno; free with pf_bench_filters_free.
 */
int pf_bench_filters_load(const char *path, struct pf_bench_filter **out);
void pf_bench_filters_free(struct pf_bench_filter *f, int n);

/*
 * The report of one section: pf_bench_report_open creates
 * @dir/@section.md (NULL @dir: stdout only); pf_bench_say prints to both.
 */
int pf_bench_report_open(const char *dir, const char *section);
void pf_bench_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void pf_bench_report_close(void);

/* A grouped horizontal bar chart: @ncat groups of @nser bars. */
struct pf_bench_chart {
    const char *title;
    const char *unit;         /* axis label, e.g. "ns/packet" */
    int log_scale;
    int ncat, nser;
    const char *const *cats;  /* @ncat names */
    const char *const *sers;  /* @nser names */
    const double *values;     /* [cat * nser + ser]; <= 0 = no bar */
};

/* Writes @c as @dir/@name (an .svg file). Returns 0 or a negative errno. */
int pf_bench_chart_write(const struct pf_bench_chart *c, const char *dir,
                         const char *name);

/* A label safe inside SVG/markdown: at most @max chars, '…' if cut. */
const char *pf_bench_short(const char *s, size_t max, char *buf, size_t cap);

#endif
