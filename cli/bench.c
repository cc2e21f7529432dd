/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * `pfcap bench`: runs one filter through every engine (pfcap's JIT, eBPF
 * interpreter and cBPF interpreter, the kernel through BPF_PROG_TEST_RUN,
 * and libpcap's bpf_filter) over the same packets held in memory, and
 * prints ns/packet, Mpps and the ratio to libpcap as a table or as JSON.
 * Engines alternate round by round so that the noise of a shared machine
 * hits them alike; each figure is the median of the rounds, with the
 * spread (quartiles) beside it; time is the thread's CPU time. libpcap
 * is loaded at run time with dlopen, never linked, and is reported
 * unavailable when it is missing.
 */
#include <dlfcn.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../bench/benchlib.h"
#include "../bench/pktgen.h"
#include "cli.h"

#define BENCH_ROUNDS 9
#define BENCH_MAX_ENGINES 5
#define BENCH_PASS_NS 4e6 /* aim for passes of about 4 ms */
#define BENCH_SEED 7

/* libpcap, reached through dlopen (layouts as in <pcap/bpf.h>). */
struct dl_bpf_program {
    unsigned int bf_len;
    struct pf_cbpf_insn *bf_insns;
};

struct dl_pcap {
    void *handle;
    void *(*open_dead)(int linktype, int snaplen);
    int (*compile)(void *p, struct dl_bpf_program *prog, const char *expr,
                   int optimize, uint32_t netmask);
    void (*freecode)(struct dl_bpf_program *prog);
    unsigned int (*filter)(const struct pf_cbpf_insn *insns,
                           const unsigned char *pkt, unsigned int wirelen,
                           unsigned int caplen);
    void (*close)(void *p);
    char *(*geterr)(void *p);
};

struct engine {
    const char *name;
    int is_libpcap;
    enum pf_engine id;
    struct pf_filter *filter;
    pf_filter_fn run;           /* pf_filter_entry(filter) */
    struct dl_bpf_program prog;
    int available;
    char note[256];
    double ns[BENCH_ROUNDS];
    double median, lo, hi;
    unsigned passes;
    size_t accepted;
};

struct bench {
    const char *read_file;
    long synthetic;
    const char *engines;
    int json;
    char *expr;
    int linktype;
    struct pf_bench_pkts pkts;
    struct dl_pcap pcap;
    struct engine eng[BENCH_MAX_ENGINES];
    int neng;
    double kernel_overhead; /* ns/packet of an empty program; <0 = n/a */
};

static const char *const all_engines[] = {
    "jit", "ebpf-interp", "cbpf", "kernel", "libpcap",
};

static volatile uint32_t bench_sink;

/* ---- libpcap through dlopen ---------------------------------------- */

static int dl_pcap_open(struct dl_pcap *d, char *why, size_t whylen)
{
    d->handle = dlopen("libpcap.so.0.8", RTLD_NOW | RTLD_LOCAL);
    if (!d->handle)
        d->handle = dlopen("libpcap.so.1", RTLD_NOW | RTLD_LOCAL);
    if (!d->handle) {
        snprintf(why, whylen, "libpcap not found: %s", dlerror());
        return -ENOENT;
    }
    *(void **)&d->open_dead = dlsym(d->handle, "pcap_open_dead");
    *(void **)&d->compile = dlsym(d->handle, "pcap_compile");
    *(void **)&d->freecode = dlsym(d->handle, "pcap_freecode");
    *(void **)&d->filter = dlsym(d->handle, "bpf_filter");
    *(void **)&d->close = dlsym(d->handle, "pcap_close");
    *(void **)&d->geterr = dlsym(d->handle, "pcap_geterr");
    if (!d->open_dead || !d->compile || !d->freecode || !d->filter ||
        !d->close || !d->geterr) {
        snprintf(why, whylen, "libpcap lacks a needed symbol");
        dlclose(d->handle);
        d->handle = NULL;
        return -ENOENT;
    }
    return 0;
}

/* Compiles the expression with libpcap (optimised, as tcpdump does). */
static int libpcap_setup(struct bench *b, struct engine *e)
{
    void *p;

    if (!b->pcap.handle &&
        dl_pcap_open(&b->pcap, e->note, sizeof(e->note)) < 0)
        return -ENOENT;
    p = b->pcap.open_dead(b->linktype, 262144);
    if (!p) {
        snprintf(e->note, sizeof(e->note), "pcap_open_dead failed");
        return -EINVAL;
    }
    if (b->pcap.compile(p, &e->prog, b->expr, 1, 0xffffffffu) < 0) {
        snprintf(e->note, sizeof(e->note), "pcap_compile: %s",
                 b->pcap.geterr(p));
        b->pcap.close(p);
        return -EINVAL;
    }
    b->pcap.close(p);
    return 0;
}

/* ---- engines ------------------------------------------------------- */

static int pfcap_setup(struct bench *b, struct engine *e)
{
    struct pf_filter_opts fo = {.sz = sizeof(fo), .engine = e->id,
                                .linktype = b->linktype};
    struct pf_error err;
    char buf[1024];
    int ret;

    pf_error_init(&err);
    ret = pf_filter_new_expr(b->expr, &fo, &e->filter, &err);
    if (ret) {
        pf_error_format(&err, NULL, buf, sizeof(buf));
        buf[strcspn(buf, "\n")] = 0;
        snprintf(e->note, sizeof(e->note), "%.200s", buf);
        return ret;
    }
    e->run = pf_filter_entry(e->filter);
    if (pf_filter_engine(e->filter) != e->id)
        snprintf(e->note, sizeof(e->note), "ran as %s: %s",
                 pf_engine_name(pf_filter_engine(e->filter)),
                 pf_filter_note(e->filter));
    return 0;
}

static int engine_add(struct bench *b, const char *name)
{
    struct engine *e;

    for (int i = 0; i < b->neng; i++)
        if (strcmp(b->eng[i].name, name) == 0)
            return 0;
    if (b->neng == BENCH_MAX_ENGINES)
        return -E2BIG;
    e = &b->eng[b->neng];
    memset(e, 0, sizeof(*e));
    e->is_libpcap = strcmp(name, "libpcap") == 0;
    if (!e->is_libpcap && pf_engine_from_name(name, &e->id) < 0) {
        pf_cli_warn("bench: unknown engine '%s' (jit, ebpf-interp, cbpf, "
                    "kernel, libpcap, all)", name);
        return -EINVAL;
    }
    e->name = e->is_libpcap ? "libpcap" : pf_engine_name(e->id);
    b->neng++;
    return 0;
}

/* Parses "all" or a comma-separated list of engine names. */
static int engines_parse(struct bench *b, const char *list)
{
    char *copy = strdup(list), *save = NULL;
    int ret = copy ? 0 : -ENOMEM;

    for (char *t = copy ? strtok_r(copy, ",", &save) : NULL; t && !ret;
         t = strtok_r(NULL, ",", &save)) {
        if (strcmp(t, "all") == 0)
            for (size_t i = 0; i < 5 && !ret; i++)
                ret = engine_add(b, all_engines[i]);
        else
            ret = engine_add(b, t);
    }
    free(copy);
    if (!ret && b->neng == 0) {
        pf_cli_warn("bench: no engine given");
        ret = -EINVAL;
    }
    return ret;
}

static inline uint32_t engine_run1(const struct bench *b,
                                   const struct engine *e,
                                   const struct pf_bench_pkt *p)
{
    if (e->is_libpcap)
        return b->pcap.filter(e->prog.bf_insns, p->data, p->wirelen,
                              p->caplen);
    return e->run(e->filter, p->data, p->wirelen, p->caplen);
}

/* Runs @passes passes over every packet; returns ns per packet. */
static double engine_pass(const struct bench *b, const struct engine *e,
                          unsigned passes, size_t *accepted)
{
    size_t n = b->pkts.n, acc = 0;
    double t0 = pf_bench_cpu_ns(); /* thread CPU time: see benchlib.h */

    for (unsigned r = 0; r < passes; r++)
        for (size_t i = 0; i < n; i++)
            acc += engine_run1(b, e, &b->pkts.pkts[i]) != 0;
    bench_sink += (uint32_t)acc;
    if (accepted)
        *accepted = acc / passes;
    return (pf_bench_cpu_ns() - t0) / ((double)passes * (double)n);
}

/* One warm-up pass counts the verdicts and sizes the timed passes. */
static void engine_calibrate(const struct bench *b, struct engine *e)
{
    double ns = engine_pass(b, e, 1, &e->accepted);
    double per_pass = ns * (double)b->pkts.n;

    e->passes = per_pass > 0 ? (unsigned)(BENCH_PASS_NS / per_pass) : 1;
    if (e->passes < 1)
        e->passes = 1;
    if (e->passes > 10000)
        e->passes = 10000;
}

static void engine_summarize(struct engine *e)
{
    struct pf_bench_stat s = pf_bench_stat_of(e->ns, BENCH_ROUNDS);

    e->median = s.median;
    e->lo = s.p25;
    e->hi = s.p75;
}

static int is_kernel(const struct engine *e)
{
    return !e->is_libpcap && e->id == PF_ENGINE_KERNEL;
}

/* Runs the rounds of the engines in user space (@kernel 0) or of the
 * kernel engine (@kernel 1). */
static void bench_rounds(struct bench *b, int kernel)
{
    for (int i = 0; i < b->neng; i++)
        if (b->eng[i].available && is_kernel(&b->eng[i]) == kernel)
            engine_calibrate(b, &b->eng[i]);
    for (int r = 0; r < BENCH_ROUNDS; r++)
        for (int i = 0; i < b->neng; i++)
            if (b->eng[i].available && is_kernel(&b->eng[i]) == kernel)
                b->eng[i].ns[r] = engine_pass(b, &b->eng[i],
                                              b->eng[i].passes, NULL);
}

/* The kernel's rounds come after the others': its syscalls flush branch
 * predictors and caches and would slow whichever engine ran next. */
static void bench_measure(struct bench *b)
{
    bench_rounds(b, 0);
    bench_rounds(b, 1);
    for (int i = 0; i < b->neng; i++)
        if (b->eng[i].available)
            engine_summarize(&b->eng[i]);
}

/* The kernel's per-packet harness cost: `ret #262144` through it. */
static void kernel_overhead(struct bench *b)
{
    static const struct pf_cbpf_insn accept = {0x06, 0, 0, 262144};
    struct pf_filter_opts fo = {.sz = sizeof(fo), .engine = PF_ENGINE_KERNEL,
                                .linktype = b->linktype};
    struct engine e = {.name = "kernel-empty", .id = PF_ENGINE_KERNEL};
    struct pf_error err;

    b->kernel_overhead = -1;
    pf_error_init(&err);
    if (pf_filter_new_cbpf(&accept, 1, &fo, &e.filter, &err) < 0 ||
        pf_filter_engine(e.filter) != PF_ENGINE_KERNEL) {
        pf_filter_free(e.filter);
        return;
    }
    e.run = pf_filter_entry(e.filter);
    engine_calibrate(b, &e);
    for (int r = 0; r < BENCH_ROUNDS; r++)
        e.ns[r] = engine_pass(b, &e, e.passes, NULL);
    engine_summarize(&e);
    b->kernel_overhead = e.median;
    pf_filter_free(e.filter);
}

/* ---- packets ------------------------------------------------------- */

static int append_pkt(struct pf_bench_pkts *s, size_t *cap, size_t *used,
                      const struct pf_packet *pkt)
{
    if (s->n == *cap) {
        size_t ncap = *cap ? *cap * 2 : 1024;
        struct pf_bench_pkt *np = realloc(s->pkts, ncap * sizeof(*np));

        if (!np)
            return -ENOMEM;
        s->pkts = np;
        *cap = ncap;
    }
    s->pkts[s->n].data = (const uint8_t *)(uintptr_t)*used;
    s->pkts[s->n].caplen = pkt->caplen;
    s->pkts[s->n++].wirelen = pkt->wirelen;
    *used += (pkt->caplen + 63) & ~(size_t)63;
    return 0;
}

/* Copies every packet of the file into one buffer (offsets first, then
 * pointers, since the buffer moves while it grows). */
static int load_file(struct bench *b)
{
    struct pf_pcap_reader *r = NULL;
    struct pf_packet pkt;
    struct pf_error err;
    size_t cap = 0, used = 0, bcap = 0;
    int ret;

    pf_error_init(&err);
    ret = pf_pcap_reader_open(b->read_file, &r, &err);
    if (ret < 0) {
        pf_cli_report(&err, NULL);
        return ret;
    }
    b->linktype = pf_pcap_reader_linktype(r);
    while ((ret = pf_pcap_reader_next(r, &pkt, &err)) == 1) {
        size_t off = used;

        if ((ret = append_pkt(&b->pkts, &cap, &used, &pkt)) < 0)
            break;
        if (used > bcap) {
            uint8_t *nb = realloc(b->pkts.buf, (bcap = used * 2 + 65536));

            if (!nb) {
                ret = -ENOMEM;
                break;
            }
            b->pkts.buf = nb;
        }
        memcpy(b->pkts.buf + off, pkt.data, pkt.caplen);
    }
    if (ret < 0)
        pf_cli_report(&err, NULL);
    pf_pcap_reader_close(r);
    for (size_t i = 0; i < b->pkts.n; i++)
        b->pkts.pkts[i].data = b->pkts.buf + (uintptr_t)b->pkts.pkts[i].data;
    return ret < 0 ? ret : 0;
}

static int load_packets(struct bench *b)
{
    int ret;

    b->linktype = 1;
    if (b->read_file)
        ret = load_file(b);
    else
        ret = pf_bench_pkts_new((size_t)b->synthetic, BENCH_SEED,
                                PF_BENCH_SIZES_MIXED, &b->pkts);
    if (ret < 0)
        return ret;
    if (b->pkts.n == 0) {
        pf_cli_warn("bench: no packets to run the filter on");
        return -EINVAL;
    }
    return 0;
}

/* ---- output -------------------------------------------------------- */

static void json_string(const char *s)
{
    putchar('"');
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            printf("\\%c", *s);
        else if ((unsigned char)*s < 0x20)
            printf("\\u%04x", (unsigned char)*s);
        else
            putchar(*s);
    }
    putchar('"');
}

static const struct engine *libpcap_result(const struct bench *b)
{
    for (int i = 0; i < b->neng; i++)
        if (b->eng[i].is_libpcap && b->eng[i].available)
            return &b->eng[i];
    return NULL;
}

static void print_json_engine(const struct bench *b, const struct engine *e)
{
    const struct engine *lp = libpcap_result(b);

    printf("{\"engine\": ");
    json_string(e->name);
    if (!e->available) {
        printf(", \"available\": false, \"note\": ");
        json_string(e->note);
        printf("}");
        return;
    }
    printf(", \"available\": true, \"ns_per_packet\": %.3f, \"mpps\": %.2f"
           ", \"ns_p25\": %.3f, \"ns_p75\": %.3f, \"accepted\": %zu",
           e->median, 1e3 / e->median, e->lo, e->hi, e->accepted);
    if (lp)
        printf(", \"speedup_vs_libpcap\": %.3f", lp->median / e->median);
    if (e->note[0]) {
        printf(", \"note\": ");
        json_string(e->note);
    }
    printf("}");
}

static void print_json(const struct bench *b)
{
    printf("{\"filter\": ");
    json_string(b->expr);
    printf(", \"packets\": %zu, \"rounds\": %d, \"results\": [", b->pkts.n,
           BENCH_ROUNDS);
    for (int i = 0; i < b->neng; i++) {
        printf(i ? ", " : "");
        print_json_engine(b, &b->eng[i]);
    }
    printf("]");
    if (b->kernel_overhead >= 0)
        printf(", \"kernel_overhead_ns\": %.1f", b->kernel_overhead);
    printf("}\n");
}

static void print_table(const struct bench *b)
{
    const struct engine *lp = libpcap_result(b);

    printf("filter: %s\npackets: %zu (%s), median of %d rounds\n\n", b->expr,
           b->pkts.n, b->read_file ? b->read_file : "synthetic mix",
           BENCH_ROUNDS);
    printf("%-12s %12s %16s %10s %12s %9s\n", "engine", "ns/packet",
           "spread (p25-p75)", "Mpps", "vs libpcap", "accepted");
    for (int i = 0; i < b->neng; i++) {
        const struct engine *e = &b->eng[i];

        if (!e->available) {
            printf("%-12s unavailable: %s\n", e->name, e->note);
            continue;
        }
        printf("%-12s %12.2f %7.2f - %-7.2f %10.2f", e->name, e->median,
               e->lo, e->hi, 1e3 / e->median);
        if (lp)
            printf(" %11.2fx", lp->median / e->median);
        else
            printf(" %12s", "-");
        printf(" %9zu%s%s\n", e->accepted, e->note[0] ? "  " : "", e->note);
    }
    if (b->kernel_overhead >= 0)
        printf("\nkernel harness overhead (BPF_PROG_TEST_RUN of an empty "
               "program): %.1f ns/packet\n", b->kernel_overhead);
}

/* Warns when two engines disagree on how many packets they accept. */
static void check_verdicts(const struct bench *b)
{
    const struct engine *first = NULL;

    for (int i = 0; i < b->neng; i++) {
        const struct engine *e = &b->eng[i];

        if (!e->available)
            continue;
        if (first && e->accepted != first->accepted)
            pf_cli_warn("bench: %s accepts %zu packets, %s %zu", e->name,
                        e->accepted, first->name, first->accepted);
        if (!first)
            first = e;
    }
}

/* ---- driver -------------------------------------------------------- */

static const char bench_usage[] =
    "Usage: pfcap bench [-r FILE | --synthetic N] [--engines all|LIST] "
    "[--json] expression\n"
    "  engines: jit, ebpf-interp, cbpf, kernel, libpcap (default all)\n";

/* Joins the expression words, as tcpdump does. */
static int join_expr(struct bench *b, int argc, char **argv)
{
    size_t len = 0;

    for (int i = 0; i < argc; i++)
        len += strlen(argv[i]) + 1;
    if (!(b->expr = calloc(1, len)))
        return -ENOMEM;
    for (int i = 0; i < argc; i++) {
        if (i)
            strcat(b->expr, " ");
        strcat(b->expr, argv[i]);
    }
    return 0;
}

static int bench_args(struct bench *b, int argc, char **argv)
{
    static const struct option lo[] = {
        {"engines", required_argument, NULL, 'E'},
        {"help", no_argument, NULL, 'h'},
        {"json", no_argument, NULL, 'J'},
        {"synthetic", required_argument, NULL, 'S'},
        {NULL, 0, NULL, 0},
    };
    char *end;
    int c;

    optind = 1;
    while ((c = getopt_long(argc, argv, "r:h", lo, NULL)) != -1) {
        switch (c) {
        case 'r':
            b->read_file = optarg;
            break;
        case 'E':
            b->engines = optarg;
            break;
        case 'J':
            b->json = 1;
            break;
        case 'S':
            b->synthetic = strtol(optarg, &end, 10);
            if (*end || b->synthetic <= 0 || b->synthetic > 10000000) {
                pf_cli_warn("bench: invalid packet count '%s'", optarg);
                return -EINVAL;
            }
            break;
        default:
            fputs(bench_usage, c == 'h' ? stdout : stderr);
            return c == 'h' ? 1 : -EINVAL;
        }
    }
    if (optind >= argc || (b->read_file && b->synthetic)) {
        fputs(bench_usage, stderr);
        return -EINVAL;
    }
    return join_expr(b, argc - optind, argv + optind);
}

/* Builds every engine; an expression pfcap rejects is a usage error,
 * an engine this machine lacks (kernel, libpcap) is left out. */
static int bench_setup(struct bench *b)
{
    int usable = 0;

    for (int i = 0; i < b->neng; i++) {
        struct engine *e = &b->eng[i];
        int ret = e->is_libpcap ? libpcap_setup(b, e) : pfcap_setup(b, e);

        if (ret == -EINVAL && !e->is_libpcap) {
            pf_cli_warn("bench: %s", e->note);
            return -EINVAL;
        }
        e->available = ret == 0;
        usable += e->available;
    }
    return usable ? 0 : -ENOENT;
}

static void bench_free(struct bench *b)
{
    for (int i = 0; i < b->neng; i++) {
        pf_filter_free(b->eng[i].filter);
        if (b->eng[i].prog.bf_insns)
            b->pcap.freecode(&b->eng[i].prog);
    }
    if (b->pcap.handle)
        dlclose(b->pcap.handle);
    pf_bench_pkts_free(&b->pkts);
    free(b->expr);
}

static int bench_run(struct bench *b)
{
    int ret = engines_parse(b, b->engines ? b->engines : "all");

    if (ret < 0)
        return PF_EXIT_USAGE;
    if (load_packets(b) < 0)
        return PF_EXIT_RUNTIME;
    if ((ret = bench_setup(b)) < 0) {
        for (int i = 0; i < b->neng && ret == -ENOENT; i++)
            pf_cli_warn("bench: %s: %s", b->eng[i].name, b->eng[i].note);
        return PF_EXIT_RUNTIME;
    }
    bench_measure(b);
    b->kernel_overhead = -1;
    for (int i = 0; i < b->neng; i++)
        if (b->eng[i].available && is_kernel(&b->eng[i]))
            kernel_overhead(b);
    check_verdicts(b);
    if (b->json)
        print_json(b);
    else
        print_table(b);
    return PF_EXIT_OK;
}

int pf_cli_bench_main(int argc, char **argv)
{
    struct bench b;
    int ret;

    memset(&b, 0, sizeof(b));
    ret = bench_args(&b, argc, argv);
    if (ret == 0) {
        if (!b.read_file && !b.synthetic)
            b.synthetic = 10000;
        ret = bench_run(&b);
    } else {
        ret = ret > 0 ? PF_EXIT_OK : PF_EXIT_USAGE;
    }
    bench_free(&b);
    return ret;
}
