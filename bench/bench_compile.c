/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Benchmark section 2, compilation: time and program length of pfcap's
 * expression compiler (pf_filter_compile, optimised and -O) against
 * libpcap's pcap_compile (optimised and not) for the filter set and for
 * N-host and N-port lists, N = 10, 100, 1000, 10000. Every compile runs in
 * a forked child under alarm(60): a compiler that takes longer is stopped
 * and reported as "> 60 s" (libpcap's optimiser is superlinear on long
 * lists). A child repeats a quick compile for about 20 ms and reports the
 * time of one; the four compilers alternate over a few rounds and the
 * median is kept.
 * Usage: bench_compile FILTERS.TXT [RESULTS_DIR]
 */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <pcap/pcap.h>

#include <pfcap/compile.h>

#include "benchlib.h"

#define ROUNDS 5
#define CAP_SECONDS 60
#define BATCH_NS 20e6
#define SLOW_NS 1e9 /* one compile this slow: do not repeat it */

enum tool { T_PF, T_PF_NOOPT, T_LP, T_LP_NOOPT, T_COUNT };

static const char *const tool_names[T_COUNT] = {
    "pfcap", "pfcap -O", "libpcap", "libpcap -O",
};

enum cstatus { C_OK, C_ERROR, C_TIMEOUT };

struct cres {
    enum cstatus status;
    double ns;
    long insns;
    char err[160];
};

/* One compile; returns the program length or -1 with @err filled. */
static long compile_once(enum tool t, const char *expr, char *err, size_t cap)
{
    if (t == T_PF || t == T_PF_NOOPT) {
        struct pf_compile_opts o = {.sz = sizeof(o), .linktype = 1,
                                    .optimize = t == T_PF};
        struct pf_cbpf_prog prog;
        struct pf_error e;
        long len;

        pf_error_init(&e);
        if (pf_filter_compile(expr, &o, &prog, &e) < 0) {
            snprintf(err, cap, "%.150s", e.msg);
            return -1;
        }
        len = (long)prog.len;
        pf_cbpf_prog_free(&prog);
        return len;
    }
    pcap_t *dead = pcap_open_dead(DLT_EN10MB, 262144);
    struct bpf_program bp;
    long n = -1;

    if (pcap_compile(dead, &bp, expr, t == T_LP, PCAP_NETMASK_UNKNOWN) == 0) {
        n = bp.bf_len;
        pcap_freecode(&bp);
    } else {
        snprintf(err, cap, "%.150s", pcap_geterr(dead));
    }
    pcap_close(dead);
    return n;
}

/* In the child: compile for about BATCH_NS, report the time of one. */
static void child(int fd, enum tool t, const char *expr)
{
    struct cres r = {.status = C_OK};
    double t0 = pf_bench_cpu_ns(), el;
    long reps = 0;

    alarm(CAP_SECONDS);
    do {
        r.insns = compile_once(t, expr, r.err, sizeof(r.err));
        reps++;
        el = pf_bench_cpu_ns() - t0;
    } while (r.insns >= 0 && el < BATCH_NS);
    r.status = r.insns < 0 ? C_ERROR : C_OK;
    r.ns = el / (double)reps;
    if (write(fd, &r, sizeof(r)) != (ssize_t)sizeof(r))
        _exit(1);
    _exit(0);
}

static struct cres run_child(enum tool t, const char *expr)
{
    struct cres r = {.status = C_ERROR};
    int fds[2], st = 0;
    pid_t pid;

    if (pipe(fds) < 0 || (pid = fork()) < 0) {
        snprintf(r.err, sizeof(r.err), "fork: %s", strerror(errno));
        return r;
    }
    if (pid == 0) {
        close(fds[0]);
        child(fds[1], t, expr);
    }
    close(fds[1]);
    if (read(fds[0], &r, sizeof(r)) != (ssize_t)sizeof(r))
        r.status = C_ERROR;
    close(fds[0]);
    waitpid(pid, &st, 0);
    if (WIFSIGNALED(st)) {
        r.status = WTERMSIG(st) == SIGALRM ? C_TIMEOUT : C_ERROR;
        snprintf(r.err, sizeof(r.err), "%s%s",
                 r.status == C_TIMEOUT ? "> 60 s" : "crashed: ",
                 r.status == C_TIMEOUT ? "" : strsignal(WTERMSIG(st)));
    }
    return r;
}

/* A row of results: the median time of each tool over the rounds. */
struct row {
    char name[64];
    struct cres res[T_COUNT];
};

/* A compiler that hit the cap on the previous (10 times shorter) list
 * is not run again on the next one: it would only hit it again. */
static int timed_out_before[T_COUNT];

static void measure(const char *expr, struct row *row, int is_list)
{
    double ns[T_COUNT][ROUNDS];
    int n[T_COUNT] = {0}, stop[T_COUNT] = {0};

    for (int t = 0; t < T_COUNT; t++) {
        if (!is_list)
            timed_out_before[t] = 0;
        if (timed_out_before[t]) {
            stop[t] = 1;
            row->res[t].status = C_TIMEOUT;
        }
    }

    for (int k = 0; k < ROUNDS; k++) {
        for (int t = 0; t < T_COUNT; t++) {
            struct cres r;

            if (stop[t])
                continue;
            r = run_child((enum tool)t, expr);
            row->res[t] = r;
            if (r.status != C_OK || r.ns > SLOW_NS)
                stop[t] = 1;
            if (r.status == C_OK)
                ns[t][n[t]++] = r.ns;
        }
    }
    for (int t = 0; t < T_COUNT; t++) {
        if (row->res[t].status == C_OK)
            row->res[t].ns = pf_bench_stat_of(ns[t], n[t]).median;
        timed_out_before[t] = is_list && row->res[t].status == C_TIMEOUT;
    }
}

static void say_time(double ns)
{
    if (ns >= 1e9)
        pf_bench_say(" %.2f s |", ns / 1e9);
    else if (ns >= 1e6)
        pf_bench_say(" %.2f ms |", ns / 1e6);
    else
        pf_bench_say(" %.1f µs |", ns / 1e3);
}

static void print_row(const struct row *row)
{
    const struct cres *pf = &row->res[T_PF], *lp = &row->res[T_LP];
    char msg[96];

    pf_bench_say("| %s |", row->name);
    for (int t = 0; t < T_COUNT; t++) {
        const struct cres *r = &row->res[t];

        if (r->status == C_OK) {
            say_time(r->ns);
            pf_bench_say(" %ld |", r->insns);
        } else if (r->status == C_TIMEOUT) {
            pf_bench_say(" **> %d s** | – |", CAP_SECONDS);
        } else {
            pf_bench_say(" %s | – |", pf_bench_short(r->err, 60, msg,
                                                      sizeof(msg)));
        }
    }
    if (pf->status == C_OK && lp->status == C_OK)
        pf_bench_say(" %.2fx |\n", lp->ns / pf->ns);
    else if (pf->status == C_OK && lp->status == C_TIMEOUT)
        pf_bench_say(" > %.0fx |\n", CAP_SECONDS * 1e9 / pf->ns);
    else
        pf_bench_say(" – |\n");
}

static void header(void)
{
    pf_bench_say("\n## 2. Compilation\n\nTime per compile (median of up "
                 "to %d rounds, the four compilers alternating; each figure "
                 "averages a ~20 ms batch in a forked child) and cBPF "
                 "program length. libpcap = pcap_compile optimised (as "
                 "tcpdump), -O = not optimised. Every compile runs under "
                 "alarm(%d): \"> %d s\" means it was stopped there (and, on "
                 "the lists, not run again on the 10x longer list). The "
                 "speed-up column is libpcap (optimised) time / pfcap "
                 "(optimised) time. Times are the child's CPU time.\n\n"
                 "| filter |", ROUNDS, CAP_SECONDS,
                 CAP_SECONDS);
    for (int t = 0; t < T_COUNT; t++)
        pf_bench_say(" %s | insns |", tool_names[t]);
    pf_bench_say(" pfcap speed-up |\n|---|");
    for (int t = 0; t < 2 * T_COUNT + 1; t++)
        pf_bench_say("---:|");
    pf_bench_say("\n");
}

static void chart(const struct row *rows, int n, const char *dir)
{
    const char **cats = calloc((size_t)n, sizeof(*cats));
    double *v = calloc((size_t)n * T_COUNT, sizeof(*v));
    struct pf_bench_chart c = {
        .title = "Compilation: time per compile (µs), lower is better",
        .unit = "µs", .log_scale = 1, .ncat = n, .nser = T_COUNT,
        .cats = cats, .sers = tool_names, .values = v,
    };

    for (int i = 0; cats && v && i < n; i++) {
        cats[i] = rows[i].name;
        for (int t = 0; t < T_COUNT; t++)
            v[i * T_COUNT + t] = rows[i].res[t].status == C_OK
                                     ? rows[i].res[t].ns / 1e3 : 0;
    }
    if (cats && v && pf_bench_chart_write(&c, dir, "compile.svg") < 0)
        fprintf(stderr, "bench_compile: cannot write %s/compile.svg\n", dir);
    free(cats);
    free(v);
}

/* The filter set, then the N-host and N-port lists. */
static int make_set(const char *path, struct pf_bench_filter **out)
{
    static const int sizes[] = {10, 100, 1000, 10000};
    static const char *const kinds[] = {"hosts", "ports"};
    struct pf_bench_filter *f, *nf;
    int n = pf_bench_filters_load(path, &f);

    if (n < 0 || !(nf = realloc(f, (size_t)(n + 8) * sizeof(*f))))
        return -1;
    f = nf;
    for (int i = 0; i < n; i++) /* the host lists are measured below */
        if (strncmp(f[i].name, "hosts-", 6) == 0) {
            free(f[i].expr);
            memmove(&f[i], &f[i + 1], (size_t)(n - i - 1) * sizeof(*f));
            n--, i--;
        }
    for (int k = 0; k < 2; k++)
        for (int s = 0; s < 4; s++, n++) {
            snprintf(f[n].name, sizeof(f[n].name), "%d %s", sizes[s],
                     kinds[k]);
            f[n].expr = pf_bench_list_expr(kinds[k], sizes[s]);
        }
    *out = f;
    return n;
}

int main(int argc, char **argv)
{
    struct pf_bench_filter *f;
    struct row *rows;
    int n;

    if (argc < 2 || (n = make_set(argv[1], &f)) <= 0 ||
        !(rows = calloc((size_t)n, sizeof(*rows)))) {
        fprintf(stderr, "usage: bench_compile FILTERS.TXT [RESULTS_DIR]\n");
        return 1;
    }
    pf_bench_report_open(argc > 2 ? argv[2] : NULL, "2-compile");
    header();
    for (int i = 0; i < n; i++) {
        snprintf(rows[i].name, sizeof(rows[i].name), "%s", f[i].name);
        measure(f[i].expr, &rows[i], i > n - 8 && i != n - 4);
        print_row(&rows[i]);
    }
    pf_bench_report_close();
    if (argc > 2)
        chart(rows, n, argv[2]);
    pf_bench_filters_free(f, n);
    free(rows);
    return 0;
}
