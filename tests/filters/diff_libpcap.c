/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Differential test of the filter compiler against libpcap (the only
 * file of the filter tests that links libpcap). For each link type:
 * expressions from the lists given on the command line plus seeded
 * random combinations (seed printed, PF_TEST_SEED overrides), times EVERY
 * packet of the corpus captures with that link type ($PF_CORPUS, read
 * with pcap_next_ex; no cap, lists and random expressions alike) and
 * generated corner-case packets.
 *
 * DLT_NULL is also compared as "NULL-SWAPPED": libpcap compiles on a
 * savefile handle whose byte order is the opposite of this host's (its
 * code then compares the address family byte-swapped), pfcap with
 * opts.swapped = 1; the packets are the NULL ones with the 4-byte header
 * swapped (as the other host would have written it) and unchanged.
 *
 * protochain: pfcap follows PF_COMPILE_PROTOCHAIN_MAX headers, libpcap
 * any number. A disagreement on an expression using protochain is
 * counted apart ("chain") only when the independent walker below needs
 * more headers than that for the packet; the generated packets include
 * IPv6 chains around the bound, and a self-check pins the bound itself.
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
 * Usage: diff_libpcap LIST... [--random N] [--live LIST] [-v]
 * [--max-pkts N] (debugging only: caps the packets per link type; the
 * output then says so)
 * List lines: "@ LINKTYPE..." selects link types, "#" comments, else one
 * expression; a line "!expr" must be refused by both.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <dirent.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <netdb.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <time.h>

#include <linux/filter.h>
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
    unsigned long opt_disagree, uninit, corpus, emptydiv, chain;
    int swapped;    /* compile for a byte-swapped savefile */
};

static struct link links[] = {
    {.name = "EN10MB", .dlt = 1}, {.name = "RAW", .dlt = 12},
    {.name = "IPV4", .dlt = 228}, {.name = "IPV6", .dlt = 229},
    {.name = "LINUX_SLL", .dlt = 113}, {.name = "LINUX_SLL2", .dlt = 276},
    {.name = "NULL", .dlt = 0},
    {.name = "NULL-SWAPPED", .dlt = 0, .swapped = 1},
    {.name = "LOOP", .dlt = 108},
    {.name = "PPP", .dlt = 9}, {.name = "PPP_SERIAL", .dlt = 50},
    {.name = "C_HDLC", .dlt = 104}, {.name = "PFLOG", .dlt = 117},
    {.name = "IEEE802_11", .dlt = 105},
    {.name = "IEEE802_11_RADIO", .dlt = 127}, {.name = "SLIP", .dlt = 8},
};
#define NLINKS (sizeof(links) / sizeof(links[0]))

static int verbose;
static size_t max_pkts; /* 0: every packet (--max-pkts: debugging only) */
static unsigned long total_fail, invalid_progs;


static struct link *link_by_dlt(int dlt, int swapped)
{
    for (size_t i = 0; i < NLINKS; i++)
        if (links[i].dlt == dlt && links[i].swapped == swapped)
            return &links[i];
    return NULL;
}

static void pkt_add(struct pf_test_pkts *s, const uint8_t *d,
                    uint32_t caplen, uint32_t wirelen)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 1024;
        s->v = realloc(s->v, s->cap * sizeof(*s->v));
        if (!s->v)
            abort();
    }
    s->v[s->n].data = malloc(caplen ? caplen : 1);
    if (!s->v[s->n].data)
        abort();
    memcpy(s->v[s->n].data, d, caplen);
    s->v[s->n].caplen = caplen;
    s->v[s->n].wirelen = wirelen;
    s->n++;
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
    l = link_by_dlt(pcap_datalink(p),
                    pcap_datalink(p) == 0 && pcap_is_swapped(p));
    while (l && (!max_pkts || l->pkts.n < max_pkts) &&
           pcap_next_ex(p, &h, &d) == 1) {
        pkt_add(&l->pkts, d, h->caplen, h->len);
        l->corpus++;
    }
    pcap_close(p);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Files in sorted order, so that runs are repeatable. */
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

/* Successors of instruction @i (at most 2); -1 = none. */
static void succs(const struct bpf_insn *p, int n, int i, int *s)
{
    uint16_t c = p[i].code;

    s[0] = s[1] = -1;
    if (PF_CBPF_CLASS(c) == PF_CBPF_RET)
        return;
    if (PF_CBPF_CLASS(c) != PF_CBPF_JMP) {
        s[0] = i + 1;
    } else if (PF_CBPF_OP(c) == PF_CBPF_JA) {
        s[0] = i + 1 + (int32_t)p[i].k; /* protochain jumps back */
    } else {
        s[0] = i + 1 + p[i].jt;
        s[1] = i + 1 + p[i].jf;
    }
    for (int k = 0; k < 2; k++)
        if (s[k] < 0 || s[k] >= n)
            s[k] = -1;
}

/*
 * Does libpcap's own program read M[k] before writing it on some path?
 * A must-be-written analysis that also follows protochain's backward
 * jumps (the kernel validator refuses those before looking at M[]).
 */
static int reads_uninit(const struct bpf_program *bp)
{
    const struct bpf_insn *p = bp->bf_insns;
    int n = (int)bp->bf_len, changed = 1, bad = 0, s[2];
    uint16_t *in = malloc((size_t)(n ? n : 1) * sizeof(*in));

    if (!in)
        abort();
    for (int i = 0; i < n; i++)
        in[i] = i ? 0xffff : 0;
    for (int pass = 0; changed && pass < n + 2; pass++) {
        changed = 0;
        for (int i = 0; i < n; i++) {
            uint16_t out = in[i], cl = PF_CBPF_CLASS(p[i].code);

            if (cl == PF_CBPF_ST || cl == PF_CBPF_STX)
                out |= (uint16_t)(1u << (p[i].k & 15));
            succs(p, n, i, s);
            for (int k = 0; k < 2; k++)
                if (s[k] >= 0 && (in[s[k]] & out) != in[s[k]]) {
                    in[s[k]] &= out;
                    changed = 1;
                }
        }
    }
    for (int i = 0; i < n; i++) {
        uint16_t c = p[i].code;

        if ((PF_CBPF_CLASS(c) == PF_CBPF_LD ||
             PF_CBPF_CLASS(c) == PF_CBPF_LDX) &&
            PF_CBPF_MODE(c) == PF_CBPF_MEM && !(in[i] & (1u << (p[i].k & 15))))
            bad = 1;
    }
    free(in);
    return bad;
}

static void fail(struct link *l, const char *expr, const char *why)
{
    l->mismatches++;
    total_fail++;
    fprintf(stderr, "MISMATCH [%s] %s: %s\n", l->name, expr, why);
}

/* The real kernel's check: every program of at most 4096 instructions is
 * attached to a socket with SO_ATTACH_FILTER. */
static int kernel_sock = -1;
static unsigned long kernel_ok, kernel_refused;

/* In a thread of its own (the rest of the test stays in the host's
 * namespace, where it captures on lo): a private network namespace whose
 * optmem_max is raised (the kernel charges filters to it), and a socket. */
static void *kernel_open_thread(void *arg)
{
    int fd;

    (void)arg;
    if (unshare(CLONE_NEWNET) == 0 &&
        (fd = open("/proc/sys/net/core/optmem_max", O_WRONLY)) >= 0) {
        if (write(fd, "4194304", 7) != 7)
            printf("NOTE: could not raise optmem_max\n");
        close(fd);
    }
    kernel_sock = socket(AF_INET, SOCK_DGRAM, 0);
    return NULL;
}

static void kernel_open(void)
{
    pthread_t t;

    if (pthread_create(&t, NULL, kernel_open_thread, NULL) == 0)
        pthread_join(t, NULL);
}

/* Attaches @p; a refusal is a failure (the program must run live). */
static void kernel_check(struct link *l, const char *expr,
                         const struct pf_cbpf_prog *p)
{
    struct sock_fprog fp = {.len = (unsigned short)p->len,
                            .filter = (struct sock_filter *)p->insns};

    if (kernel_sock < 0 || p->len > PF_CBPF_KERNEL_MAXINSNS)
        return;
    if (setsockopt(kernel_sock, SOL_SOCKET, SO_ATTACH_FILTER, &fp,
                   sizeof(fp)) == 0) {
        kernel_ok++;
        return;
    }
    kernel_refused++;
    fprintf(stderr, "kernel refuses the program (%s)\n", strerror(errno));
    fail(l, expr, "SO_ATTACH_FILTER refused pfcap's program");
}

/*
 * Where the IPv4/IPv6 header starts for link type @l, or -1 (802.11:
 * not walked). PFLOG: the header length byte rounded up to 4.
 */
static long net_offset(const struct link *l, const struct pf_test_pkt *p)
{
    switch (l->dlt) {
    case 1: return 14;
    case 12: case 228: case 229: return 0;
    case 113: case 8: return 16;
    case 276: return 20;
    case 0: case 108: case 9: case 50: case 104: return 4;
    case 117: return p->caplen ? (p->data[0] + 3) & ~3 : -1;
    default: return -1;
    }
}

/*
 * An independent walker with libpcap's protochain semantics: how many
 * headers libpcap's loop follows after the IPv4/IPv6 header at @off
 * before it stops looking for protocol @want (-1: none): it stops at
 * @want, at 59 or at anything else than IPv6's hop-by-hop 0, routing 43,
 * fragment 44, dest options 60 (which advance by (len + 1) * 8) and AH 51
 * (which sets the offset to (len + 2) * 4), and at a load past the
 * captured bytes. Capped at 1000000 (libpcap may loop for ever).
 */
static unsigned long chain_len(const struct pf_test_pkt *p, long off,
                               long want)
{
    const uint8_t *d = p->data;
    uint32_t n = p->caplen, x, a, v;
    unsigned long k;

    if (off < 0 || (uint32_t)off + 9 >= n)
        return 0;
    v = d[off] >> 4;
    if (v != 4 && v != 6)
        return 0;
    a = v == 4 ? d[off + 9] : d[off + 6];
    x = v == 4 ? (d[off] & 15u) * 4 : 40;
    for (k = 0; k < 1000000; k++) {
        int ext = v == 6 && (a == 0 || a == 43 || a == 44 || a == 60);

        if ((long)a == want || (!ext && a != 51))
            break;
        if ((uint64_t)off + x + 1 >= n)
            break;
        a = d[off + x];
        x = ext ? x + (d[off + x + 1] + 1u) * 8 : (d[off + x + 1] + 2u) * 4;
    }
    return k;
}

/* The protocol after "protochain" at @s: a number or a name, else -1. */
static long chain_target(const char *s)
{
    char name[64];
    size_t n = 0;
    struct protoent *pe;

    s += strlen("protochain");
    while (*s == ' ' || *s == '\t' || *s == '\\')
        s++;
    while (n + 1 < sizeof(name) && (isalnum((unsigned char)s[n]) ||
                                    s[n] == '-' || s[n] == '_')) {
        name[n] = s[n];
        n++;
    }
    name[n] = '\0';
    if (isdigit((unsigned char)name[0]))
        return strtol(name, NULL, 0);
    pe = getprotobyname(name);
    return pe ? pe->p_proto : -1;
}

/*
 * Is this disagreement explained by pfcap's protochain bound? Only if
 * for every `protochain N` in @expr libpcap's walk towards N follows
 * more than PF_COMPILE_PROTOCHAIN_MAX headers of this packet.
 */
static int beyond_chain_bound(const struct link *l, const char *expr,
                              const struct pf_test_pkt *p)
{
    const char *s = strstr(expr, "protochain");

    if (!s)
        return 0;
    for (; s; s = strstr(s + 1, "protochain"))
        if (chain_len(p, net_offset(l, p), chain_target(s)) <=
            PF_COMPILE_PROTOCHAIN_MAX)
            return 0;
    return 1;
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
        if (beyond_chain_bound(l, expr, p)) {
            l->chain++;
            if (verbose)
                fprintf(stderr, "beyond the protochain bound [%s] %s: "
                        "packet %zu\n", l->name, expr, i);
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
    struct pf_compile_opts o = {sizeof(o), l->dlt, 0, 0, PF_COMPILE_FILE, 0,
                                l->swapped};
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
    if (verbose)
        fprintf(stderr, "empty divergence [%s] %s\n", l->name, expr);
    return 1;
}

/*
 * A handle that looks like `tcpdump -r`: an (empty) savefile with this
 * link type, written in host byte order (or the opposite one when
 * @swapped), so libpcap compiles with its savefile rules (DLT_NULL IPv6
 * values and byte order, no inbound/outbound).
 */
static pcap_t *open_savefile(int dlt, int swapped)
{
    uint32_t hdr[6] = {0xa1b2c3d4, 2 | 4u << 16, 0, 0, 262144,
                       (uint32_t)dlt};
    static char buf[sizeof(hdr)];
    char errbuf[PCAP_ERRBUF_SIZE];
    FILE *f;
    pcap_t *p;

    if (swapped) {
        hdr[1] = 4 | 2u << 16; /* the two 16-bit version fields */
        for (size_t i = 0; i < 6; i++)
            hdr[i] = __builtin_bswap32(hdr[i]);
    }
    memcpy(buf, hdr, sizeof(hdr));
    f = fmemopen(buf, sizeof(buf), "r");
    if (!f)
        abort();
    p = pcap_fopen_offline(f, errbuf);
    if (!p) {
        fprintf(stderr, "pcap_fopen_offline(%d): %s\n", dlt, errbuf);
        abort();
    }
    if (pcap_is_swapped(p) != swapped) {
        fprintf(stderr, "savefile byte order: libpcap says swapped=%d\n",
                pcap_is_swapped(p));
        abort();
    }
    return p;
}

static void check_expr(struct link *l, const char *expr, int must_refuse,
                       int random)
{
    pcap_t *p = open_savefile(l->dlt, l->swapped);
    struct bpf_program ref = {0}, opt = {0};
    struct pf_compile_opts o = {sizeof(o), l->dlt, 0, 1, PF_COMPILE_FILE, 0,
                                l->swapped};
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
    kernel_check(l, expr, &mine);
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
    struct link *en = link_by_dlt(1, 0);

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
                                0, 0};
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
        kernel_check(&live_link, expr, &mine);
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

/*
 * Ethernet + IPv6 + @k extension headers (hop-by-hop first, then
 * destination options, 8 bytes each) + UDP with 2 payload bytes.
 */
static void add_chain_pkt(struct pf_test_pkts *s, unsigned k)
{
    size_t n = 14 + 40 + 8 * (size_t)k + 10;
    uint8_t *d = calloc(1, n);

    if (!d)
        abort();
    memcpy(d, "\x00\x11\x22\x33\x44\x55\x00\x66\x77\x88\x99\xaa"
           "\x86\xdd", 14);
    d[14] = 0x60;
    d[18] = (uint8_t)((n - 54) >> 8);
    d[19] = (uint8_t)(n - 54);
    d[20] = k ? 0 : 17;
    d[21] = 64;
    d[37] = 1;
    d[53] = 2;
    for (unsigned i = 0; i < k; i++)
        d[54 + 8 * i] = i + 1 < k ? 60 : 17;
    d[n - 10] = 0x30;
    d[n - 8] = 0x30;
    d[n - 5] = 10;
    pkt_add(s, d, (uint32_t)n, (uint32_t)n);
    free(d);
}

/* NULL-SWAPPED: every NULL packet with its header swapped, and as is. */
static void add_swapped(void)
{
    struct link *from = link_by_dlt(0, 0), *to = link_by_dlt(0, 1);

    for (size_t i = 0; i < from->pkts.n; i++) {
        const struct pf_test_pkt *p = &from->pkts.v[i];

        pkt_add(&to->pkts, p->data, p->caplen, p->wirelen);
        if (p->caplen >= 4) {
            uint8_t *d = to->pkts.v[to->pkts.n - 1].data, t;

            t = d[0]; d[0] = d[3]; d[3] = t;
            t = d[1]; d[1] = d[2]; d[2] = t;
        }
        pkt_add(&to->pkts, p->data, p->caplen, p->wirelen);
    }
}

static int self_fail(const char *what)
{
    fprintf(stderr, "SELF-CHECK FAILED: %s\n", what);
    total_fail++;
    return 1;
}

/*
 * The documented protochain bound, pinned: chains of BOUND and BOUND + 1
 * headers; libpcap accepts both for `ip6 protochain 17`, pfcap the first
 * only, and the walker says so. And libpcap's DLT_NULL code really does
 * depend on the savefile's byte order (else NULL-SWAPPED tests nothing).
 */
static void self_check(void)
{
    struct pf_test_pkts t = {0};
    struct pf_compile_opts o = {sizeof(o), 1, 0, 1, PF_COMPILE_FILE, 0, 0};
    struct pf_cbpf_prog mine = {0};
    struct pf_error err;
    struct bpf_program bp[2];
    pcap_t *h[2] = {open_savefile(0, 0), open_savefile(0, 1)};
    const struct link *en = link_by_dlt(1, 0);

    pf_error_init(&err);
    add_chain_pkt(&t, PF_COMPILE_PROTOCHAIN_MAX);
    add_chain_pkt(&t, PF_COMPILE_PROTOCHAIN_MAX + 1);
    if (pf_filter_compile("ip6 protochain 17", &o, &mine, &err))
        self_fail("ip6 protochain 17 does not compile");
    else if (!pf_cbpf_run(mine.insns, mine.len, t.v[0].data, t.v[0].wirelen,
                          t.v[0].caplen, NULL) ||
             pf_cbpf_run(mine.insns, mine.len, t.v[1].data, t.v[1].wirelen,
                         t.v[1].caplen, NULL))
        self_fail("protochain bound is not PF_COMPILE_PROTOCHAIN_MAX");
    if (chain_len(&t.v[0], net_offset(en, &t.v[0]), 17) !=
            PF_COMPILE_PROTOCHAIN_MAX ||
        !beyond_chain_bound(en, "ip6 protochain \\udp", &t.v[1]) ||
        beyond_chain_bound(en, "ip6 protochain 60", &t.v[1]))
        self_fail("protochain walker");
    printf("protochain bound %d headers: `ip6 protochain 17` is %u "
           "instructions\n", PF_COMPILE_PROTOCHAIN_MAX, (unsigned)mine.len);
    free(mine.insns);
    pf_test_pkts_free(&t);
    for (int i = 0; i < 2; i++)
        if (pcap_compile(h[i], &bp[i], "ip", 1, PCAP_NETMASK_UNKNOWN))
            abort();
    if (bp[0].bf_len < 1 || bp[1].bf_len < 2 ||
        bp[0].bf_insns[1].k == bp[1].bf_insns[1].k)
        self_fail("libpcap's DLT_NULL code ignores the byte order");
    for (int i = 0; i < 2; i++) {
        pcap_freecode(&bp[i]);
        pcap_close(h[i]);
    }
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
    kernel_open();
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
        if (!links[i].swapped)
            pf_test_pkts_generate(links[i].dlt, &links[i].pkts);
    add_swapped();
    for (unsigned k = PF_COMPILE_PROTOCHAIN_MAX - 1;
         k <= PF_COMPILE_PROTOCHAIN_MAX + 1; k++)
        add_chain_pkt(&link_by_dlt(1, 0)->pkts, k);
    add_chain_pkt(&link_by_dlt(1, 0)->pkts, 150);
    self_check();
    printf("every packet compared: corpus + generated, with every list and "
           "random expression (no sampling)%s\n",
           max_pkts ? " -- EXCEPT: --max-pkts given" : "");
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
    printf("%-16s %7s %7s %10s %6s %6s %6s %6s %6s %6s %6s\n", "linktype",
           "exprs", "packets", "pairs", "refuse", "optdis", "uninit",
           "emptyd", "chain", "badref", "fail");
    for (size_t i = 0; i < NLINKS; i++) {
        struct link *l = &links[i];

        printf("%-16s %7lu %7zu %10lu %6lu %6lu %6lu %6lu %6lu %6lu %6lu\n",
               l->name, l->exprs, l->pkts.n, l->pairs, l->refuse_both,
               l->opt_disagree, l->uninit, l->emptydiv, l->chain,
               l->refuse_diff, l->mismatches);
        pf_test_pkts_free(&l->pkts);
    }
    printf("%-16s %7lu %7s %10lu %6lu %6s %6s %6s %6s %6lu %6lu\n",
           live_link.name, live_link.exprs, "(EN10MB)", live_link.pairs,
           live_link.refuse_both, "-", "-", "-", "-", live_link.refuse_diff,
           live_link.mismatches);
    printf("packets: corpus + generated; refuse = both refuse; optdis = "
           "libpcap -O and optimised disagree (either verdict accepted); "
           "uninit = libpcap reads M[] before writing (not compared); "
           "emptyd = random expression one optimiser proves empty and the "
           "other not, unoptimised verdicts equal; chain = protochain "
           "verdicts differing on packets whose chain is longer than the "
           "bound (%d headers, by the test's own walker); badref = refusal "
           "mismatch\n", PF_COMPILE_PROTOCHAIN_MAX);
    printf("invalid pfcap programs: %lu, total failures: %lu\n",
           invalid_progs, total_fail);
    if (kernel_sock < 0)
        printf("NOTE: no socket: SO_ATTACH_FILTER not checked\n");
    else
        printf("kernel SO_ATTACH_FILTER: %lu programs accepted, %lu refused\n",
               kernel_ok, kernel_refused);
    return total_fail ? 1 : 0;
}
