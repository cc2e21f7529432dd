/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Benchmark: pfcap's cBPF interpreter against libpcap's bpf_filter on the
 * same programs (libpcap's optimised output for a set of filters) and the
 * same packets (every Ethernet packet of the corpus), in one run. Prints
 * ns/packet for each engine and the ratio, as the median of several
 * rounds (these machines are noisy: the ratio within a run is what
 * counts).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <pcap/pcap.h>

#include <pfcap/cbpf.h>

#include "tests/common/corpus.h"

#define ROUNDS 15

static struct pf_test_corpus corpus;

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static volatile uint32_t sink;

/* ns/packet of one pass over all packets with one engine. */
static double one_pass(const struct bpf_program *bp, int use_libpcap)
{
    const struct pf_cbpf_insn *insns = (const void *)bp->bf_insns;
    uint32_t acc = 0;
    double t0 = now_ns();

    for (int rep = 0; rep < 10; rep++)
        for (size_t i = 0; i < corpus.n; i++) {
            const struct pf_test_pkt *p = &corpus.pkts[i];
            acc += use_libpcap ? bpf_filter(bp->bf_insns, p->data, p->wirelen,
                                            p->caplen)
                               : pf_cbpf_run_valid(insns, bp->bf_len, p->data,
                                                   p->wirelen, p->caplen, NULL);
        }
    sink += acc;
    return (now_ns() - t0) / (10.0 * corpus.n);
}

struct result {
    double libpcap, pfcap, ratio, ratio_lo, ratio_hi;
};

/* Alternates the engines round by round, so that noise hits both alike,
 * and reports the medians and the spread of the per-round ratio. */
static struct result measure(const struct bpf_program *bp)
{
    double lp[ROUNDS], pf[ROUNDS], ratio[ROUNDS];
    struct result r;

    for (int i = 0; i < ROUNDS; i++) {
        lp[i] = one_pass(bp, 1);
        pf[i] = one_pass(bp, 0);
        ratio[i] = lp[i] / pf[i];
    }
    qsort(lp, ROUNDS, sizeof(double), cmp_double);
    qsort(pf, ROUNDS, sizeof(double), cmp_double);
    qsort(ratio, ROUNDS, sizeof(double), cmp_double);
    r.libpcap = lp[ROUNDS / 2];
    r.pfcap = pf[ROUNDS / 2];
    r.ratio = ratio[ROUNDS / 2];
    r.ratio_lo = ratio[ROUNDS / 4];
    r.ratio_hi = ratio[ROUNDS - 1 - ROUNDS / 4];
    return r;
}

int main(void)
{
    static const char *const filters[] = {
        "tcp dst port 80",
        "host 192.168.1.1 and port 53",
        "vlan and tcp port 80",
        "ip6 and tcp",
        "tcp[tcpflags] & (tcp-syn|tcp-fin) != 0",
        "udp portrange 1000-2000 or icmp",
        "not arp and not ip6",
    };
    const char *dir = getenv("PF_CORPUS");
    double geo = 1.0;
    int n = 0;

    pf_test_corpus_load(dir ? dir : "../shared/corpus", DLT_EN10MB, &corpus);
    if (!corpus.n) {
        fprintf(stderr, "no Ethernet packets found (set PF_CORPUS)\n");
        return 1;
    }
    printf("cBPF interpreter vs libpcap bpf_filter, %zu Ethernet packets, "
           "median of %d rounds\n\n", corpus.n, ROUNDS);
    printf("| filter | insns | libpcap ns/pkt | pfcap ns/pkt | speed-up "
           "(median, IQR) |\n");
    printf("|---|---:|---:|---:|---:|\n");
    for (size_t f = 0; f < sizeof(filters) / sizeof(filters[0]); f++) {
        pcap_t *dead = pcap_open_dead(DLT_EN10MB, 262144);
        struct bpf_program bp;
        struct result r;

        if (pcap_compile(dead, &bp, filters[f], 1, PCAP_NETMASK_UNKNOWN))
            return 1;
        r = measure(&bp);
        printf("| `%s` | %u | %.2f | %.2f | %.2fx (%.2f-%.2f) |\n", filters[f],
               bp.bf_len, r.libpcap, r.pfcap, r.ratio, r.ratio_lo, r.ratio_hi);
        geo *= r.ratio;
        n++;
        pcap_freecode(&bp);
        pcap_close(dead);
    }
    printf("\ngeometric mean speed-up over libpcap: %.2fx\n",
           pow(geo, 1.0 / n));
    return 0;
}
