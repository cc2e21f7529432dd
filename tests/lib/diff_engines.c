/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * End-to-end differential test of libpfcap's public API: each expression is
 * compiled by pfcap (pf_filter_new_expr) once per engine — cBPF
 * interpreter, eBPF interpreter, JIT, and the kernel where bpf() is
 * permitted — and every packet of every Ethernet capture in the corpus
 * (read with pfcap's reader) must get the same verdict from all engines
 * (through pf_filter_run and through pf_filter_entry's direct function)
 * and, as accept/drop, the same verdict as libpcap's program for the same
 * expression (the unoptimised one; where libpcap's optimised program
 * disagrees with it on a packet, either verdict is accepted and counted).
 * A filter that silently runs on another engine than the one asked for
 * fails the test unless the program loops (protochain). protochain
 * expressions are compared between engines only: pfcap unrolls protochain
 * for a bounded number of headers where libpcap loops, and the compiler's
 * differential suite (tests/filters) owns that comparison and its bound.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pcap/pcap.h>

#include <pfcap/pfcap.h>

#include "tests/common/corpus.h"

#define MAX_KERNEL_EXPRS 40

static struct pf_test_corpus corpus;
static unsigned long long pairs, optdiff;
static int kernel_ok;

/* libpcap's program for @expr (optimised or not), or -1 if it refuses. */
static int libpcap_compile(const char *expr, int optimize,
                           struct bpf_program *bp)
{
    pcap_t *dead = pcap_open_dead(DLT_EN10MB, 262144);
    int ret = pcap_compile(dead, bp, expr, optimize, PCAP_NETMASK_UNKNOWN);

    pcap_close(dead);
    return ret;
}

static const enum pf_engine engines[] = {PF_ENGINE_CBPF, PF_ENGINE_EBPF_INTERP,
                                         PF_ENGINE_JIT, PF_ENGINE_KERNEL};
#define NENGINES (sizeof(engines) / sizeof(engines[0]))

/* Builds one filter per engine; returns how many (0 = pfcap refuses). */
static size_t make_filters(const char *expr, int with_kernel,
                           struct pf_filter **f, int *failed)
{
    size_t n = 0;

    for (size_t i = 0; i < NENGINES; i++) {
        struct pf_filter_opts o = {.sz = sizeof(o), .engine = engines[i],
                                   .linktype = 1};
        struct pf_error e;

        if (engines[i] == PF_ENGINE_KERNEL && !with_kernel)
            break;
        pf_error_init(&e);
        if (pf_filter_new_expr(expr, &o, &f[n], &e))
            return n;
        if (pf_filter_engine(f[n]) != engines[i] &&
            !strstr(expr, "protochain")) {
            fprintf(stderr, "FAIL '%s': asked for %s, runs on %s (%s)\n", expr,
                    pf_engine_name(engines[i]),
                    pf_engine_name(pf_filter_engine(f[n])),
                    pf_filter_note(f[n]));
            (*failed)++;
        }
        n++;
    }
    return n;
}

static int check_packet(const char *expr, size_t i, struct pf_filter **f,
                        size_t nf, const struct bpf_program *unopt,
                        const struct bpf_program *opt)
{
    const struct pf_test_pkt *p = &corpus.pkts[i];
    uint32_t ref = pf_filter_run(f[0], p->data, p->wirelen, p->caplen);
    int want = bpf_filter(unopt->bf_insns, p->data, p->wirelen, p->caplen) != 0;
    int want_opt = bpf_filter(opt->bf_insns, p->data, p->wirelen, p->caplen) != 0;

    pairs++;
    for (size_t k = 1; k < nf; k++) {
        uint32_t got = pf_filter_run(f[k], p->data, p->wirelen, p->caplen);
        uint32_t direct = pf_filter_entry(f[k])(f[k], p->data, p->wirelen,
                                                p->caplen);

        if (got != ref || direct != ref) {
            fprintf(stderr, "FAIL '%s' packet %zu: %s %u (entry %u), cbpf %u\n",
                    expr, i, pf_engine_name(pf_filter_engine(f[k])), got,
                    direct, ref);
            return 1;
        }
    }
    if ((ref != 0) == want || strstr(expr, "protochain"))
        return 0;
    if (want != want_opt) {
        optdiff++;
        return 0;
    }
    fprintf(stderr, "FAIL '%s' packet %zu: pfcap %u, libpcap %d\n", expr, i,
            ref, want);
    return 1;
}

/* Runs one expression through every engine; returns failures. */
static int run_expr(const char *expr, int with_kernel, int *refused)
{
    struct bpf_program unopt, opt;
    struct pf_filter *f[NENGINES];
    int failed = 0;
    size_t nf;

    if (libpcap_compile(expr, 0, &unopt))
        return 0;
    if (libpcap_compile(expr, 1, &opt)) {
        pcap_freecode(&unopt);
        return 0;
    }
    nf = make_filters(expr, with_kernel, f, &failed);
    if (nf == 0)
        (*refused)++;
    for (size_t i = 0; nf && i < corpus.n && !failed; i++)
        failed += check_packet(expr, i, f, nf, &unopt, &opt);
    for (size_t k = 0; k < nf; k++)
        pf_filter_free(f[k]);
    pcap_freecode(&unopt);
    pcap_freecode(&opt);
    return failed;
}

int main(void)
{
    const char *dir = getenv("PF_CORPUS"), *src = getenv("PF_SOURCE_ROOT");
    char path[4096], line[4096];
    int failed = 0, nexpr = 0, refused = 0, nkernel = 0;
    struct pf_error e;
    FILE *in;

    if (!dir || !src)
        return 1;
    pf_test_corpus_load(dir, DLT_EN10MB, &corpus);
    pf_error_init(&e);
    kernel_ok = pf_ebpf_kernel_probe(&e) == 0;
    if (!kernel_ok)
        printf("NOTE: the kernel engine is not tested here: %s\n", e.msg);
    snprintf(path, sizeof(path), "%s/tests/data/cbpf/expressions.txt", src);
    in = fopen(path, "r");
    if (!in || corpus.n < 1000) {
        fprintf(stderr, "need %s and the corpus (%zu packets)\n", path,
                corpus.n);
        return 1;
    }
    while (fgets(line, sizeof(line), in)) {
        char *tab = strchr(line, '\t');
        if (line[0] == '#' || !tab || strncmp(line, "EN10MB\t", 7))
            continue;
        tab[1 + strcspn(tab + 1, "\n")] = '\0';
        int with_kernel = kernel_ok && nkernel < MAX_KERNEL_EXPRS;
        failed += run_expr(tab + 1, with_kernel, &refused);
        nkernel += with_kernel;
        nexpr++;
    }
    fclose(in);
    printf("%zu packets, %d expressions (%d refused by pfcap), %d through the "
           "kernel too; %llu (expression, packet) pairs, %llu where libpcap's "
           "optimiser changes the verdict; %d failures\n", corpus.n, nexpr,
           refused, nkernel, pairs, optdiff, failed);
    pf_test_corpus_free(&corpus);
    return failed ? 1 : 0;
}
