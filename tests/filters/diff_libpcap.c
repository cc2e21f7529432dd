/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Differential test of the filter compiler against libpcap (the only
 * file of the filter tests that links libpcap). For each link type:
 * expressions from the lists given on the command line plus seeded
 * random combinations (seed printed, PF_TEST_SEED overrides), times every
 * packet of the corpus captures with that link type ($PF_CORPUS, read
 * with pcap_next_ex) and generated corner-case packets.
 *
 * Reference: libpcap's unoptimised program (pcap_compile optimize=0 on a
 * savefile handle of that link type, snaplen 262144, i.e. compiled the
 * way `tcpdump -r` compiles) run with bpf_filter; libpcap's refusals
 * come from its optimising compile. Pass: libpcap refuses <=> pfcap
 * refuses, else equal verdicts (zero / non-zero) on every packet. Where
 * libpcap's optimised and unoptimised programs disagree either verdict
 * is accepted (counted apart). Expressions whose libpcap program reads
 * M[] before writing it are reported apart and never counted as passes.
 * Every pfcap program of at most 4096 instructions must pass the kernel
 * validator.
 *
 * Usage: diff_libpcap LIST... [--random N] [--max-pkts N] [-v]
 * List lines: "@ LINKTYPE..." selects link types, "#" comments, else one
 * expression; a line "!expr" must be refused by both.
 */
#include <dirent.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <pcap/pcap.h>

#include <pfcap/cbpf.h>
#include <pfcap/compile.h>

#include "packets.h"
#include "randexpr.h"

_Static_assert(sizeof(struct pf_cbpf_insn) == sizeof(struct bpf_insn),
               "layout-compatible with libpcap");

struct link {
    const char *name;
    int dlt;
    struct pf_test_pkts pkts;
    unsigned long exprs, pairs, mismatches, refuse_both, refuse_diff;
    unsigned long opt_disagree, uninit, corpus, emptydiv;
};

static struct link links[] = {
    {.name = "EN10MB", .dlt = 1}, {.name = "RAW", .dlt = 12},
    {.name = "IPV4", .dlt = 228}, {.name = "IPV6", .dlt = 229},
    {.name = "LINUX_SLL", .dlt = 113}, {.name = "LINUX_SLL2", .dlt = 276},
    {.name = "NULL", .dlt = 0}, {.name = "LOOP", .dlt = 108},
    {.name = "PPP", .dlt = 9}, {.name = "PPP_SERIAL", .dlt = 50},
    {.name = "C_HDLC", .dlt = 104}, {.name = "PFLOG", .dlt = 117},
    {.name = "IEEE802_11", .dlt = 105},
    {.name = "IEEE802_11_RADIO", .dlt = 127}, {.name = "SLIP", .dlt = 8},
};
#define NLINKS (sizeof(links) / sizeof(links[0]))

static int verbose;
static size_t max_pkts = 4000;
static unsigned long total_fail, invalid_progs;

static struct link *link_by_dlt(int dlt)
{
    for (size_t i = 0; i < NLINKS; i++)
        if (links[i].dlt == dlt)
            return &links[i];
    return NULL;
}

static void add_file(const char *path)
{
    char errbuf[PCAP_ERRBUF_SIZE];
    pcap_t *p = pcap_open_offline(path, errbuf);
    struct pcap_pkthdr *h;
    const u_char *d;
    struct link *l;

    if (!p)
        return;
    l = link_by_dlt(pcap_datalink(p));
    while (l && l->pkts.n < max_pkts && pcap_next_ex(p, &h, &d) == 1) {
        struct pf_test_pkts *s = &l->pkts;

        if (s->n == s->cap) {
            s->cap = s->cap ? 2 * s->cap : 1024;
            s->v = realloc(s->v, s->cap * sizeof(*s->v));
            if (!s->v)
                abort();
        }
        s->v[s->n].data = malloc(h->caplen ? h->caplen : 1);
        memcpy(s->v[s->n].data, d, h->caplen);
        s->v[s->n].caplen = h->caplen;
        s->v[s->n].wirelen = h->len;
        s->n++;
        l->corpus++;
    }
    pcap_close(p);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Files in sorted order so that --max-pkts picks the same packets. */
static void add_dir(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char **names = NULL, path[4096];
    size_t n = 0;
    struct stat sb;

    if (!d)
        return;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        names = realloc(names, (n + 1) * sizeof(*names));
        names[n++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof(*names), cmp_str);
    for (size_t i = 0; i < n; i++) {
        snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
        if (!stat(path, &sb)) {
            if (S_ISDIR(sb.st_mode))
                add_dir(path);
            else
                add_file(path);
        }
        free(names[i]);
    }
    free(names);
}

static void dump_prog(const char *who, const struct pf_cbpf_insn *p,
                      size_t n)
{
    fprintf(stderr, "  %s program (%zu insns):\n", who, n);
    for (size_t i = 0; i < n && i < 200; i++)
        fprintf(stderr, "    (%03zu) %s\n", i,
                bpf_image((const struct bpf_insn *)&p[i], (int)i));
}

/* Does libpcap's own program read M[k] before writing it? */
static int reads_uninit(const struct bpf_program *bp)
{
    struct pf_error e;

    pf_error_init(&e);
    if (!pf_cbpf_validate((const struct pf_cbpf_insn *)bp->bf_insns,
                          bp->bf_len, PF_CBPF_PROFILE_KERNEL, &e))
        return 0;
    return e.code == PF_CBPF_RULE_MEM_UNINIT;
}

static void fail(struct link *l, const char *expr, const char *why)
{
    l->mismatches++;
    total_fail++;
    fprintf(stderr, "MISMATCH [%s] %s: %s\n", l->name, expr, why);
}

static void run_pkts(struct link *l, const char *expr,
                     const struct bpf_program *ref,
                     const struct bpf_program *opt,
                     const struct pf_cbpf_prog *mine)
{
    for (size_t i = 0; i < l->pkts.n; i++) {
        const struct pf_test_pkt *p = &l->pkts.v[i];
        int r = bpf_filter(ref->bf_insns, p->data, p->wirelen, p->caplen) != 0;
        int o = bpf_filter(opt->bf_insns, p->data, p->wirelen, p->caplen) != 0;
        int m = pf_cbpf_run(mine->insns, mine->len, p->data, p->wirelen,
                            p->caplen, NULL) != 0;

        l->pairs++;
        if (m == r)
            continue;
        if (o != r && m == o) {
            l->opt_disagree++;
            continue;
        }
        fprintf(stderr, "MISMATCH [%s] %s: packet %zu (caplen %u, wire %u)"
                " libpcap %d pfcap %d\n", l->name, expr, i, p->caplen,
                p->wirelen, r, m);
        if (verbose) {
            dump_prog("libpcap -O", (const struct pf_cbpf_insn *)
                      ref->bf_insns, ref->bf_len);
            dump_prog("pfcap", mine->insns, mine->len);
        }
        l->mismatches++;
        total_fail++;
        return;
    }
}

/*
 * libpcap's optimiser and pfcap's proof of "rejects all packets" differ
 * in rare random combinations (libpcap restructures the graph before it
 * threads jumps). For random expressions only, such a refusal mismatch is
 * counted apart if the unoptimised programs still agree on every packet.
 */
static int empty_divergence(struct link *l, const char *expr,
                            const struct bpf_program *ref, int lref)
{
    struct pf_compile_opts o = {sizeof(o), l->dlt, 0, 0, PF_COMPILE_FILE, 0};
    struct pf_cbpf_prog mine = {0};
    struct pf_error err;
    unsigned long before = l->mismatches;

    pf_error_init(&err);
    if (lref || pf_filter_compile(expr, &o, &mine, &err))
        return 0;
    run_pkts(l, expr, ref, ref, &mine);
    free(mine.insns);
    if (l->mismatches != before) {
        l->mismatches = before;
        total_fail--;
        return 0;
    }
    l->emptydiv++;
    return 1;
}

/*
 * A handle that looks like `tcpdump -r`: an (empty) savefile with this
 * link type, written in host byte order, so libpcap compiles with its
 * savefile rules (DLT_NULL IPv6 values, no inbound/outbound).
 */
static pcap_t *open_savefile(int dlt)
{
    uint32_t hdr[6] = {0xa1b2c3d4, 2 | 4u << 16, 0, 0, 262144,
                       (uint32_t)dlt};
    static char buf[sizeof(hdr)];
    char errbuf[PCAP_ERRBUF_SIZE];
    FILE *f;
    pcap_t *p;

    memcpy(buf, hdr, sizeof(hdr));
    f = fmemopen(buf, sizeof(buf), "r");
    if (!f)
        abort();
    p = pcap_fopen_offline(f, errbuf);
    if (!p) {
        fprintf(stderr, "pcap_fopen_offline(%d): %s\n", dlt, errbuf);
        abort();
    }
    return p;
}

static void check_expr(struct link *l, const char *expr, int must_refuse,
                       int random)
{
    pcap_t *p = open_savefile(l->dlt);
    struct bpf_program ref = {0}, opt = {0};
    struct pf_compile_opts o = {sizeof(o), l->dlt, 0, 1, PF_COMPILE_FILE, 0};
    struct pf_cbpf_prog mine = {0};
    struct pf_error err;
    int lref, lopt, me;

    pf_error_init(&err);
    lopt = pcap_compile(p, &opt, expr, 1, PCAP_NETMASK_UNKNOWN);
    lref = pcap_compile(p, &ref, expr, 0, PCAP_NETMASK_UNKNOWN);
    me = pf_filter_compile(expr, &o, &mine, &err);
    l->exprs++;
    if (lopt != 0 || me != 0) {
        if ((lopt != 0) != (me != 0)) {
            char why[600];

            if (random && (strstr(pcap_geterr(p), "rejects all packets") ||
                           err.code == PF_COMPILE_EMPTY) &&
                empty_divergence(l, expr, &ref, lref))
                goto out;

            snprintf(why, sizeof(why), "libpcap %s, pfcap %s%s",
                     lopt ? pcap_geterr(p) : "accepts",
                     me ? err.msg : "accepts",
                     me ? "" : " (pfcap accepts)");
            l->refuse_diff++;
            fail(l, expr, why);
        } else {
            l->refuse_both++;
            if (verbose > 1)
                fprintf(stderr, "both refuse [%s] %s: %s | %s\n", l->name,
                        expr, pcap_geterr(p), err.msg);
        }
        goto out;
    }
    if (must_refuse)
        fail(l, expr, "expected both to refuse");
    if (mine.len <= PF_CBPF_KERNEL_MAXINSNS &&
        pf_cbpf_validate(mine.insns, mine.len, PF_CBPF_PROFILE_KERNEL,
                         &err)) {
        invalid_progs++;
        fail(l, expr, "pfcap program fails the kernel validator");
    }
    if (lref == 0 && reads_uninit(&ref)) {
        l->uninit++;
        goto out;
    }
    if (lref == 0)
        run_pkts(l, expr, &ref, &opt, &mine);
out:
    if (lopt == 0)
        pcap_freecode(&opt);
    if (lref == 0)
        pcap_freecode(&ref);
    free(mine.insns);
    pcap_close(p);
}

/*
 * Live context: libpcap compiles for a live Linux socket (ancillary loads
 * for vlan, inbound...) only on an activated handle; "lo" is Ethernet.
 * Both programs then run in pfcap's interpreter with packet metadata
 * (bpf_filter knows no ancillary data), on every Ethernet packet with
 * several metadata variants (tag present or not, host or outgoing).
 */
static pcap_t *live;
static struct link live_link = {.name = "LIVE-EN10MB", .dlt = 1};

static void live_run(const char *expr, const struct bpf_program *ref,
                     const struct pf_cbpf_prog *mine)
{
    static const struct pf_cbpf_meta metas[] = {
        {.pkttype = 0}, {.pkttype = 4},
        {.vlan_present = 1, .vlan_tci = 100, .vlan_tpid = 0x8100},
        {.vlan_present = 1, .vlan_tci = 0x2064, .vlan_tpid = 0x88a8},
    };
    struct link *en = link_by_dlt(1);

    for (size_t i = 0; i < en->pkts.n; i++) {
        const struct pf_test_pkt *p = &en->pkts.v[i];

        for (size_t m = 0; m < sizeof(metas) / sizeof(metas[0]); m++) {
            uint32_t r = pf_cbpf_run((const struct pf_cbpf_insn *)
                                     ref->bf_insns, ref->bf_len, p->data,
                                     p->wirelen, p->caplen, &metas[m]);
            uint32_t v = pf_cbpf_run(mine->insns, mine->len, p->data,
                                     p->wirelen, p->caplen, &metas[m]);

            live_link.pairs++;
            if ((r != 0) != (v != 0)) {
                fprintf(stderr, "MISMATCH [LIVE] %s: packet %zu meta %zu "
                        "libpcap %u pfcap %u\n", expr, i, m, r, v);
                live_link.mismatches++;
                total_fail++;
                return;
            }
        }
    }
}

static void live_expr(const char *expr)
{
    struct bpf_program ref = {0}, opt = {0};
    struct pf_compile_opts o = {sizeof(o), 1, 0, 1, PF_COMPILE_LIVE_LINUX,
                                0};
    struct pf_cbpf_prog mine = {0};
    struct pf_error err;
    int lopt, lref, me;

    pf_error_init(&err);
    lopt = pcap_compile(live, &opt, expr, 1, PCAP_NETMASK_UNKNOWN);
    lref = pcap_compile(live, &ref, expr, 0, PCAP_NETMASK_UNKNOWN);
    me = pf_filter_compile(expr, &o, &mine, &err);
    live_link.exprs++;
    if ((lopt != 0) != (me != 0)) {
        fprintf(stderr, "MISMATCH [LIVE] %s: libpcap %s, pfcap %s\n", expr,
                lopt ? pcap_geterr(live) : "accepts", me ? err.msg
                                                         : "accepts");
        live_link.refuse_diff++;
        live_link.mismatches++;
        total_fail++;
    } else if (lopt) {
        live_link.refuse_both++;
    } else if (!lref) {
        if (mine.len <= PF_CBPF_KERNEL_MAXINSNS &&
            pf_cbpf_validate(mine.insns, mine.len, PF_CBPF_PROFILE_KERNEL,
                             &err)) {
            invalid_progs++;
            fail(&live_link, expr, "pfcap program fails the kernel validator");
        }
        live_run(expr, &ref, &mine);
    }
    if (!lopt)
        pcap_freecode(&opt);
    if (!lref)
        pcap_freecode(&ref);
    free(mine.insns);
}

static void run_live(const char *path)
{
    char errbuf[PCAP_ERRBUF_SIZE], line[4096];
    FILE *f = fopen(path, "r");

    live = pcap_create("lo", errbuf);
    if (!f || !live || pcap_activate(live) < 0) {
        printf("*** LIVE checks SKIPPED: cannot activate a capture on 'lo' "
               "(%s); run as root / with CAP_NET_RAW to compare the live "
               "context ***\n", live ? pcap_geterr(live) : errbuf);
        if (f)
            fclose(f);
        return;
    }
    while (fgets(line, sizeof(line), f)) {
        line[strcspn(line, "\n")] = '\0';
        if (line[0] && line[0] != '#' && line[0] != '@')
            live_expr(line);
    }
    fclose(f);
    pcap_close(live);
}

static int link_selected(const char *line, const struct link *l)
{
    char buf[512], *tok, *save;

    snprintf(buf, sizeof(buf), "%.500s", line + 1);
    for (tok = strtok_r(buf, " \t", &save); tok;
         tok = strtok_r(NULL, " \t", &save))
        if (!strcmp(tok, "ALL") || !strcmp(tok, l->name))
            return 1;
    return 0;
}

static void run_list(const char *path)
{
    FILE *f = fopen(path, "r");
    char line[4096];
    int sel[NLINKS];

    if (!f) {
        fprintf(stderr, "cannot open %s\n", path);
        total_fail++;
        return;
    }
    for (size_t i = 0; i < NLINKS; i++)
        sel[i] = 1;
    while (fgets(line, sizeof(line), f)) {
        line[strcspn(line, "\n")] = '\0';
        if (!line[0] || line[0] == '#')
            continue;
        if (line[0] == '@') {
            for (size_t i = 0; i < NLINKS; i++)
                sel[i] = link_selected(line, &links[i]);
            continue;
        }
        for (size_t i = 0; i < NLINKS; i++)
            if (sel[i])
                check_expr(&links[i], line[0] == '!' ? line + 1 : line,
                           line[0] == '!', 0);
    }
    fclose(f);
}

static void run_random(unsigned long n, uint64_t seed)
{
    char expr[2048];

    for (size_t i = 0; i < NLINKS; i++) {
        uint64_t s = seed + i;

        for (unsigned long k = 0; k < n; k++) {
            pf_test_randexpr(&s, links[i].dlt, expr, sizeof(expr));
            check_expr(&links[i], expr, 0, 1);
        }
    }
}

int main(int argc, char **argv)
{
    const char *corpus = getenv("PF_CORPUS");
    const char *seed_env = getenv("PF_TEST_SEED");
    uint64_t seed = seed_env ? strtoull(seed_env, NULL, 0)
                             : (uint64_t)time(NULL);
    unsigned long nrandom = 0;

    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-v"))
            verbose++;
        else if (!strcmp(argv[i], "--random") && i + 1 < argc)
            nrandom = strtoul(argv[++i], NULL, 0);
        else if (!strcmp(argv[i], "--max-pkts") && i + 1 < argc)
            max_pkts = strtoul(argv[++i], NULL, 0);
    }
    if (corpus) {
        char dir[4096];

        snprintf(dir, sizeof(dir), "%s/tcpdump", corpus);
        add_dir(dir);
        snprintf(dir, sizeof(dir), "%s/libpcap/filter", corpus);
        add_dir(dir);
    } else {
        printf("PF_CORPUS not set: generated packets only\n");
    }
    for (size_t i = 0; i < NLINKS; i++)
        pf_test_pkts_generate(links[i].dlt, &links[i].pkts);
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--random") || !strcmp(argv[i], "--max-pkts"))
            i++;
        else if (!strcmp(argv[i], "--live") && i + 1 < argc)
            run_live(argv[++i]);
        else if (strcmp(argv[i], "-v"))
            run_list(argv[i]);
    }
    printf("random expressions: %lu per link type, seed %" PRIu64
           " (set PF_TEST_SEED to repeat)\n", nrandom, seed);
    run_random(nrandom, seed);
    printf("%-16s %7s %7s %10s %6s %6s %6s %6s %6s %6s\n", "linktype",
           "exprs", "packets", "pairs", "refuse", "optdis", "uninit",
           "emptyd", "badref", "fail");
    for (size_t i = 0; i < NLINKS; i++) {
        struct link *l = &links[i];

        printf("%-16s %7lu %7zu %10lu %6lu %6lu %6lu %6lu %6lu %6lu\n",
               l->name, l->exprs, l->pkts.n, l->pairs, l->refuse_both,
               l->opt_disagree, l->uninit, l->emptydiv, l->refuse_diff,
               l->mismatches);
        pf_test_pkts_free(&l->pkts);
    }
    printf("%-16s %7lu %7s %10lu %6lu %6s %6s %6s %6lu %6lu\n",
           live_link.name, live_link.exprs, "(EN10MB)", live_link.pairs,
           live_link.refuse_both, "-", "-", "-", live_link.refuse_diff,
           live_link.mismatches);
    printf("packets: corpus + generated; refuse = both refuse; optdis = "
           "libpcap -O and optimised disagree (either verdict accepted); "
           "uninit = libpcap reads M[] before writing (not compared); "
           "emptyd = random expression one optimiser proves empty and the "
           "other not, unoptimised verdicts equal; badref = refusal "
           "mismatch\n");
    printf("invalid pfcap programs: %lu, total failures: %lu\n",
           invalid_progs, total_fail);
    return total_fail ? 1 : 0;
}
