/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Benchmark section 1, filter evaluation: ns/packet of every filter of
 * bench/filters.txt over the generated packet mix (pktgen.c), in pfcap's
 * JIT, eBPF interpreter and cBPF interpreter, libpcap's bpf_filter, the
 * kernel (BPF_PROG_TEST_RUN, one syscall per packet; its harness cost is
 * measured with an empty program and stated) and hand-written C where
 * there is one (handc.c). Engines alternate round by round; figures are
 * medians over the rounds with quartiles, ratios are medians of the
 * per-round ratios. Before timing, every engine's verdict on every packet
 * is compared with libpcap's and any difference is reported.
 * Usage: bench_filters FILTERS.TXT [RESULTS_DIR]
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pcap/pcap.h>

#include <pfcap/filter.h>

#include "benchlib.h"
#include "handc.h"
#include "pktgen.h"

#define ROUNDS 21
#define HOT_PKTS 1024    /* their headers stay in the core's caches */
#define STREAM_PKTS 8192 /* ~5 MB of frames: beyond L2 */
#define PASS_NS 1.5e6
#define SLOW_PASS_NS 20e6 /* one pass this slow: SLOW_ROUNDS rounds only */
#define SLOW_ROUNDS 7

enum eng { E_JIT, E_INTERP, E_CBPF, E_LIBPCAP, E_KERNEL, E_C, E_COUNT };

static const char *const eng_names[E_COUNT] = {
    "JIT", "eBPF interp", "cBPF interp", "libpcap", "kernel", "C -O2",
};

static const enum pf_engine eng_ids[E_COUNT] = {
    [E_JIT] = PF_ENGINE_JIT, [E_INTERP] = PF_ENGINE_EBPF_INTERP,
    [E_CBPF] = PF_ENGINE_CBPF, [E_KERNEL] = PF_ENGINE_KERNEL,
};

struct runner {
    int on;
    struct pf_filter *f;
    pf_filter_fn entry; /* pf_filter_entry(f): how a hot loop calls it */
    struct bpf_program *bp;
    pf_bench_handc_fn fn;
    unsigned passes;
    int rounds;
    size_t mismatches;
    double ns[ROUNDS];
    struct pf_bench_stat st;
};

/* Results of one filter, kept for the summary and the chart. */
struct row {
    char name[64];
    double median[E_COUNT]; /* 0 = not run */
    double vs_libpcap[E_COUNT];
    double jit_over_c;
    double floor; /* harness floor, measured in the same rounds */
};

static struct pf_bench_pkts pkts; /* the set being measured */
static struct pf_bench_pkts hot_set, stream_set;
static uint8_t *ref_verdict;
static volatile uint32_t sink;
static char notes[8192];

static void note(const char *fmt, const char *a, const char *b)
{
    size_t n = strlen(notes);

    snprintf(notes + n, sizeof(notes) - n, fmt, a, b);
}

static inline uint32_t run1(const struct runner *r,
                            const struct pf_bench_pkt *p)
{
    if (r->f)
        return r->entry(r->f, p->data, p->wirelen, p->caplen);
    if (r->fn)
        return r->fn(p->data, p->wirelen, p->caplen);
    return bpf_filter(r->bp->bf_insns, p->data, p->wirelen, p->caplen);
}

static double pass(const struct runner *r, unsigned passes)
{
    uint32_t acc = 0;
    double t0 = pf_bench_cpu_ns();

    for (unsigned k = 0; k < passes; k++)
        for (size_t i = 0; i < pkts.n; i++)
            acc += run1(r, &pkts.pkts[i]) != 0;
    sink += acc;
    return (pf_bench_cpu_ns() - t0) / ((double)passes * (double)pkts.n);
}

/* Compares verdicts with libpcap's and sizes the timed passes. */
static void calibrate(struct runner *r)
{
    double t0 = pf_bench_cpu_ns(), per_pass;

    r->mismatches = 0;
    for (size_t i = 0; i < pkts.n; i++)
        r->mismatches += (run1(r, &pkts.pkts[i]) != 0) != ref_verdict[i];
    per_pass = pf_bench_cpu_ns() - t0;
    r->passes = (unsigned)fmax(1, fmin(5000, PASS_NS / per_pass));
    r->rounds = per_pass > SLOW_PASS_NS ? SLOW_ROUNDS : ROUNDS;
}

static void reference_verdicts(const struct bpf_program *bp)
{
    for (size_t i = 0; i < pkts.n; i++)
        ref_verdict[i] = bpf_filter(bp->bf_insns, pkts.pkts[i].data,
                                    pkts.pkts[i].wirelen,
                                    pkts.pkts[i].caplen) != 0;
}

/* Builds the pfcap engine @e for @expr, or over libpcap's program when
 * pfcap's compiler does not take the expression (said in the notes). */
static int setup_pfcap(struct runner *r, enum eng e, const char *name,
                       const char *expr, struct bpf_program *bp)
{
    struct pf_filter_opts fo = {.sz = sizeof(fo), .engine = eng_ids[e],
                                .linktype = 1};
    struct pf_error err;

    pf_error_init(&err);
    if (pf_filter_new_expr(expr, &fo, &r->f, &err) < 0) {
        if (e == E_JIT)
            note("- `%s`: pfcap's compiler: %s; pfcap's engines ran "
                 "libpcap's program\n", name, err.msg);
        pf_error_init(&err);
        if (pf_filter_new_cbpf((const void *)bp->bf_insns, bp->bf_len, &fo,
                               &r->f, &err) < 0) {
            note("- `%s`: engine unavailable: %s\n", name, err.msg);
            return -1;
        }
    }
    r->entry = pf_filter_entry(r->f);
    if (pf_filter_engine(r->f) != eng_ids[e])
        note("- `%s`: %s\n", name, pf_filter_note(r->f));
    return 0;
}

static void setup_runners(struct runner *r, const struct pf_bench_filter *flt,
                          struct bpf_program *bp, int stream)
{
    memset(r, 0, sizeof(*r) * E_COUNT);
    for (int e = 0; e < E_COUNT; e++) {
        if (e == E_LIBPCAP)
            r[e].bp = bp, r[e].on = 1;
        else if (e == E_C)
            r[e].on = (r[e].fn = pf_bench_handc_find(flt->expr)) != NULL;
        else if (e == E_KERNEL && (stream || getenv("PF_BENCH_NO_KERNEL")))
            r[e].on = 0;
        else
            r[e].on = setup_pfcap(&r[e], (enum eng)e, flt->name, flt->expr,
                                  bp) == 0;
    }
}

/* Times the engines of @r and, in the same rounds, the harness floor
 * (handc.h) into @floor. */
static void measure(struct runner *r, struct runner *floor)
{
    *floor = (struct runner){.on = 1, .fn = pf_bench_handc_floor()};
    calibrate(floor); /* its verdicts are not libpcap's: not compared */
    for (int e = 0; e < E_COUNT; e++)
        if (r[e].on && e != E_KERNEL)
            calibrate(&r[e]);
    if (r[E_KERNEL].on)
        calibrate(&r[E_KERNEL]);
    /* The kernel's rounds come after the others': its syscalls flush
     * branch predictors and caches and would slow whichever engine ran
     * next in a round. */
    for (int k = 0; k < ROUNDS; k++) {
        floor->ns[k] = pass(floor, floor->passes);
        for (int e = 0; e < E_COUNT; e++)
            if (r[e].on && k < r[e].rounds && e != E_KERNEL)
                r[e].ns[k] = pass(&r[e], r[e].passes);
    }
    floor->st = pf_bench_stat_of(floor->ns, floor->rounds);
    for (int k = 0; r[E_KERNEL].on && k < r[E_KERNEL].rounds; k++)
        r[E_KERNEL].ns[k] = pass(&r[E_KERNEL], r[E_KERNEL].passes);
    for (int e = 0; e < E_COUNT; e++)
        if (r[e].on)
            r[e].st = pf_bench_stat_of(r[e].ns, r[e].rounds);
}

/* Median over the rounds of a[k] / b[k]. */
static double ratio(const struct runner *a, const struct runner *b)
{
    double q[ROUNDS];
    int n = a->rounds < b->rounds ? a->rounds : b->rounds;

    if (!a->on || !b->on)
        return 0;
    for (int k = 0; k < n; k++)
        q[k] = a->ns[k] / b->ns[k];
    return pf_bench_stat_of(q, n).median;
}

static void print_row(const struct pf_bench_filter *flt, struct runner *r,
                      size_t insns_lp, size_t insns_pf, struct row *row)
{
    snprintf(row->name, sizeof(row->name), "%s", flt->name);
    pf_bench_say("| %s | %zu / %zu |", flt->name, insns_lp, insns_pf);
    for (int e = 0; e < E_COUNT; e++) {
        row->median[e] = r[e].on ? r[e].st.median : 0;
        row->vs_libpcap[e] = ratio(&r[E_LIBPCAP], &r[e]);
        if (r[e].on)
            pf_bench_say(" %.1f (%.1f–%.1f)%s |", r[e].st.median, r[e].st.p25,
                         r[e].st.p75, r[e].mismatches ? " **≠**" : "");
        else
            pf_bench_say(" – |");
        if (r[e].on && r[e].mismatches)
            note("- `%s`: %s verdicts differ from libpcap's\n", flt->name,
                 eng_names[e]);
    }
    row->jit_over_c = ratio(&r[E_JIT], &r[E_C]);
    pf_bench_say(" %.2fx |", row->vs_libpcap[E_JIT]);
    if (row->jit_over_c > 0)
        pf_bench_say(" %.2f |\n", row->jit_over_c);
    else
        pf_bench_say(" – |\n");
}

static void free_runners(struct runner *r)
{
    for (int e = 0; e < E_COUNT; e++)
        pf_filter_free(r[e].f);
}

static int bench_filter(const struct pf_bench_filter *flt, struct row *row,
                        int stream)
{
    pcap_t *dead = pcap_open_dead(DLT_EN10MB, 262144);
    struct bpf_program bp;
    struct runner r[E_COUNT], floor;
    size_t insns_pf;

    if (pcap_compile(dead, &bp, flt->expr, 1, PCAP_NETMASK_UNKNOWN) < 0) {
        note("- `%s`: pcap_compile: %s\n", flt->name, pcap_geterr(dead));
        pcap_close(dead);
        return -1;
    }
    reference_verdicts(&bp);
    setup_runners(r, flt, &bp, stream);
    measure(r, &floor);
    row->floor = floor.st.median;
    insns_pf = r[E_CBPF].f ? pf_filter_cbpf(r[E_CBPF].f)->len : 0;
    print_row(flt, r, bp.bf_len, insns_pf, row);
    free_runners(r);
    pcap_freecode(&bp);
    pcap_close(dead);
    return 0;
}

/* The kernel's per-packet harness cost: `ret #262144` through it. */
static double kernel_empty(void)
{
    static const struct pf_cbpf_insn accept = {0x06, 0, 0, 262144};
    struct pf_filter_opts fo = {.sz = sizeof(fo),
                                .engine = PF_ENGINE_KERNEL, .linktype = 1};
    struct runner r = {.on = 1};
    struct pf_error err;

    pf_error_init(&err);
    if (pf_filter_new_cbpf(&accept, 1, &fo, &r.f, &err) < 0 ||
        pf_filter_engine(r.f) != PF_ENGINE_KERNEL) {
        pf_filter_free(r.f);
        return 0;
    }
    r.entry = pf_filter_entry(r.f);
    memset(ref_verdict, 1, pkts.n);
    calibrate(&r);
    for (int k = 0; k < r.rounds; k++)
        r.ns[k] = pass(&r, r.passes);
    pf_filter_free(r.f);
    return pf_bench_stat_of(r.ns, r.rounds).median;
}

/* The column heads of a filter table. */
static void table_head(void)
{
    pf_bench_say("| filter | insns |");
    for (int e = 0; e < E_COUNT; e++)
        pf_bench_say(" %s |", eng_names[e]);
    pf_bench_say(" JIT vs libpcap | JIT / C |\n|---|---:|");
    for (int e = 0; e < E_COUNT + 2; e++)
        pf_bench_say("---:|");
    pf_bench_say("\n");
}

/* Bytes of the current set's frames. */
static size_t set_bytes(void)
{
    size_t b = 0;

    for (size_t i = 0; i < pkts.n; i++)
        b += pkts.pkts[i].caplen;
    return b;
}

static void header(double kernel0)
{
    pf_bench_say("## 1. Filter evaluation (ns/packet)\n\n%zu generated "
                 "Ethernet packets (IPv4/IPv6 TCP/UDP/ICMP, DNS, ARP, VLAN, "
                 "Geneve, fragments; 60–1514 bytes, %.0f KB, laid out one "
                 "after the other as in a capture file; the headers the "
                 "filters read stay in the core's caches, so the figures "
                 "are the filters' cost; section 1b repeats the C filters "
                 "on a set too big for the caches), median of %d rounds "
                 "(p25–p75 in brackets; %d rounds for an engine whose pass "
                 "over the packets takes over 20 ms), engines alternating "
                 "round by round (the kernel's rounds run after the others': "
                 "its syscalls disturb whichever engine runs next). Times are CPU time of the benchmarking "
                 "thread (CLOCK_THREAD_CPUTIME_ID: time the busy VM gives "
                 "other processes is not counted; system time is). Kernel "
                 "= BPF_PROG_TEST_RUN per packet; its harness overhead (an "
                 "empty `ret #262144` program) is **%.0f ns/packet**, so "
                 "its column measures the syscall, not the filter. `insns` "
                 "= libpcap / pfcap cBPF program length. **≠** marks "
                 "verdicts that differ from libpcap's.\n\n",
                 pkts.n, set_bytes() / 1e3, ROUNDS, SLOW_ROUNDS, kernel0);
    table_head();
}

static void ratio_table(const struct row *rows, int n)
{
    pf_bench_say("\nSpeed-up over libpcap's bpf_filter (median of per-round "
                 "ratios; >1 = faster than libpcap):\n\n| filter |");
    for (int e = 0; e < E_COUNT; e++)
        if (e != E_LIBPCAP)
            pf_bench_say(" %s |", eng_names[e]);
    pf_bench_say("\n|---|---:|---:|---:|---:|---:|\n");
    for (int i = 0; i < n; i++) {
        pf_bench_say("| %s |", rows[i].name);
        for (int e = 0; e < E_COUNT; e++)
            if (e != E_LIBPCAP && rows[i].vs_libpcap[e] > 0)
                pf_bench_say(" %.2fx |", rows[i].vs_libpcap[e]);
            else if (e != E_LIBPCAP)
                pf_bench_say(" – |");
        pf_bench_say("\n");
    }
}

/* Geometric mean of the JIT's speed-up over libpcap on @rows. */
static double geo_mean(const struct row *rows, int n, int *ng)
{
    double geo = 0;

    *ng = 0;
    for (int i = 0; i < n; i++)
        if (rows[i].vs_libpcap[E_JIT] > 0) {
            geo += log(rows[i].vs_libpcap[E_JIT]);
            (*ng)++;
        }
    return *ng ? exp(geo / *ng) : 0;
}

/* The targets, filter by filter, for the filters with a C form. */
static void summary(const struct row *rows, int n)
{
    int ng, cok = 0, fast = 0, nc = 0;
    double geo = geo_mean(rows, n, &ng);

    pf_bench_say("\n**Issue 4 targets** (JIT <= 1.3x the hand-written C, "
                 ">= 5x faster than libpcap's bpf_filter), packets in "
                 "cache. Floor: a C function that reads one byte, timed "
                 "in the same rounds as the engines (loop, call into a "
                 "shared object, first touch of the packet), a cost every "
                 "column pays; the net columns subtract it (medians, so "
                 "a net figure within noise of 0 can come out negative; "
                 "a net JIT time under 0.1 ns counts as 0.1).\n\n| filter "
                 "| JIT / C | JIT vs libpcap | C vs libpcap | floor ns | net "
                 "ns JIT / C / libpcap | net JIT vs libpcap |\n|---|---:|"
                 "---:|---:|---:|---:|---:|\n");
    for (int i = 0; i < n; i++) {
        if (rows[i].jit_over_c <= 0)
            continue;
        nc++;
        cok += rows[i].jit_over_c <= 1.3;
        fast += rows[i].vs_libpcap[E_JIT] >= 5.0;
        pf_bench_say("| %s | %.2f%s | %.2fx%s | %.2fx | %.1f | %.1f / %.1f / "
                     "%.1f | %.1fx |\n", rows[i].name, rows[i].jit_over_c,
                     rows[i].jit_over_c <= 1.3 ? " ✓" : "",
                     rows[i].vs_libpcap[E_JIT],
                     rows[i].vs_libpcap[E_JIT] >= 5.0 ? " ✓" : "",
                     rows[i].vs_libpcap[E_C],
                     rows[i].floor, rows[i].median[E_JIT] - rows[i].floor,
                     rows[i].median[E_C] - rows[i].floor,
                     rows[i].median[E_LIBPCAP] - rows[i].floor,
                     (rows[i].median[E_LIBPCAP] - rows[i].floor) /
                         fmax(0.1, rows[i].median[E_JIT] - rows[i].floor));
    }
    pf_bench_say("\nJIT / C <= 1.3 on %d of %d; JIT >= 5x libpcap on %d of "
                 "%d; over all %d filters the JIT is %.2fx faster than "
                 "libpcap (geometric mean). Where the C column is under 5x, "
                 "5x would take a JIT faster than the hand-written C.\n", cok, nc, fast, nc, ng,
                 geo);
    if (notes[0])
        pf_bench_say("\nNotes:\n\n%s", notes);
}

/* Section 1b: the filters with a C form again, on the big set. */
static void stream_section(const struct pf_bench_filter *flt, int n,
                           struct row *rows)
{
    int done = 0, ng;
    double lo = 0, hi = 0;

    pkts = stream_set;
    pf_bench_say("\n### 1b. Packets beyond the caches\n\nThe filters "
                 "with a hand-written C form on %zu packets (%.1f MB): each "
                 "packet's headers now come from L3 or memory, a cost every "
                 "engine pays. Kernel not run.\n\n", pkts.n,
                 set_bytes() / 1e6);
    table_head();
    for (int i = 0; i < n; i++)
        if (pf_bench_handc_find(flt[i].expr))
            done += bench_filter(&flt[i], &rows[done], 1) == 0;
    for (int i = 0; i < done; i++) {
        lo = i ? fmin(lo, rows[i].floor) : rows[i].floor;
        hi = fmax(hi, rows[i].floor);
    }
    pf_bench_say("\nHarness floor on this set %.1f–%.1f ns/packet; JIT vs "
                 "libpcap %.2fx (geometric mean).\n", lo, hi,
                 geo_mean(rows, done, &ng));
    pkts = hot_set;
}

static void chart(const struct row *rows, int n, const char *dir)
{
    const char **cats = calloc((size_t)n, sizeof(*cats));
    double *v = calloc((size_t)n * E_COUNT, sizeof(*v));
    struct pf_bench_chart c = {
        .title = "Filter evaluation: ns/packet (median), lower is better",
        .unit = "ns/packet", .log_scale = 1, .ncat = n, .nser = E_COUNT,
        .cats = cats, .sers = eng_names, .values = v,
    };

    for (int i = 0; cats && v && i < n; i++) {
        cats[i] = rows[i].name;
        memcpy(v + i * E_COUNT, rows[i].median, sizeof(rows[i].median));
    }
    if (cats && v && dir && pf_bench_chart_write(&c, dir, "filters.svg") < 0)
        fprintf(stderr, "bench_filters: cannot write %s/filters.svg\n", dir);
    free(cats);
    free(v);
}

int main(int argc, char **argv)
{
    struct pf_bench_filter *flt;
    struct row *rows;
    int n, done = 0;

    if (argc < 2 || (n = pf_bench_filters_load(argv[1], &flt)) <= 0) {
        fprintf(stderr, "usage: bench_filters FILTERS.TXT [RESULTS_DIR]\n");
        return 1;
    }
    if (pf_bench_pkts_new(HOT_PKTS, 7, PF_BENCH_SIZES_MIXED, &hot_set) < 0 ||
        pf_bench_pkts_new(STREAM_PKTS, 7, PF_BENCH_SIZES_MIXED,
                          &stream_set) < 0 ||
        !(ref_verdict = malloc(STREAM_PKTS)) ||
        !(rows = calloc((size_t)n * 2, sizeof(*rows))))
        return 1;
    pkts = hot_set;
    pf_bench_report_open(argc > 2 ? argv[2] : NULL, "1-filters");
    header(kernel_empty());
    for (int i = 0; i < n; i++)
        done += bench_filter(&flt[i], &rows[done], 0) == 0;
    ratio_table(rows, done);
    summary(rows, done);
    stream_section(flt, n, rows + n);
    pf_bench_report_close();
    if (argc > 2)
        chart(rows, done, argv[2]);
    pf_bench_filters_free(flt, n);
    pf_bench_pkts_free(&hot_set);
    pf_bench_pkts_free(&stream_set);
    free(ref_verdict);
    free(rows);
    return 0;
}
