/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Differential test: pfcap's cBPF interpreter against libpcap's
 * bpf_filter, which is the reference. Every packet of every capture in the
 * corpus (read with libpcap) is run through
 *   - the programs libpcap compiles (as tcpdump -d/-ddd shows them, with and
 *     without its optimizer) for the expressions in
 *     tests/data/cbpf/expressions.txt, and
 *   - thousands of random valid programs (seed printed; PF_TEST_SEED),
 * and the two return values must be equal. Programs that read M[] before
 * writing it are left out (libpcap's result is undefined there).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <pcap/pcap.h>

#include <pfcap/cbpf.h>

#include "tests/common/corpus.h"

_Static_assert(sizeof(struct pf_cbpf_insn) == sizeof(struct bpf_insn),
               "layout-compatible with libpcap");

static struct pf_test_corpus corpus;
static unsigned long long runs, mismatches;

/* Runs @prog over every packet (or every @stride-th) in both engines. */
static int compare(const struct pf_cbpf_insn *prog, size_t len,
                   const char *what, size_t stride)
{
    for (size_t i = 0; i < corpus.n; i += stride) {
        const struct pf_test_pkt *p = &corpus.pkts[i];
        uint32_t want = bpf_filter((const struct bpf_insn *)prog, p->data,
                                   p->wirelen, p->caplen);
        uint32_t got = pf_cbpf_run(prog, len, p->data, p->wirelen, p->caplen,
                                   NULL);
        uint32_t got_valid = pf_cbpf_run_valid(prog, len, p->data, p->wirelen,
                                               p->caplen, NULL);
        runs++;
        if (want != got || want != got_valid) {
            if (mismatches++ < 20)
                fprintf(stderr, "MISMATCH %s packet %zu: libpcap %u pfcap %u "
                        "(validated path %u)\n", what, i, want, got, got_valid);
            return 1;
        }
    }
    return 0;
}

/* Compiles and compares one expression line "LINKTYPE[ -O]\texpr". */
static int run_expression(char *line, int *skipped)
{
    char *tab = strchr(line, '\t'), *dlt_name = line;
    int optimize = 1, dlt;
    struct bpf_program bp;
    pcap_t *dead;
    int ret = 0;

    if (!tab)
        return -1;
    *tab = '\0';
    line[strcspn(tab + 1, "\n") + (size_t)(tab + 1 - line)] = '\0';
    if (strstr(dlt_name, " -O")) {
        optimize = 0;
        *strstr(dlt_name, " -O") = '\0';
    }
    dlt = pcap_datalink_name_to_val(dlt_name);
    if (dlt < 0)
        return -1;
    dead = pcap_open_dead(dlt, 262144);
    if (pcap_compile(dead, &bp, tab + 1, optimize, PCAP_NETMASK_UNKNOWN)) {
        pcap_close(dead);
        return -1;
    }
    if (pf_cbpf_validate((struct pf_cbpf_insn *)bp.bf_insns, bp.bf_len,
                         PF_CBPF_PROFILE_LIBPCAP, NULL)) {
        fprintf(stderr, "pfcap refuses libpcap's program for '%s'\n", tab + 1);
        ret = 1;
    } else {
        struct pf_error e;
        pf_error_init(&e);
        /* The M[] rule only applies to forward-only programs. */
        if (pf_cbpf_validate((struct pf_cbpf_insn *)bp.bf_insns, bp.bf_len,
                             PF_CBPF_PROFILE_KERNEL, &e) &&
            e.code == PF_CBPF_RULE_MEM_UNINIT)
            (*skipped)++;
        else
            ret = compare((struct pf_cbpf_insn *)bp.bf_insns, bp.bf_len,
                          tab + 1, 1);
    }
    pcap_freecode(&bp);
    pcap_close(dead);
    return ret;
}

static int run_expressions(const char *path, int *nexpr)
{
    FILE *f = fopen(path, "r");
    char line[4096];
    int failed = 0, skipped = 0, refused = 0, r;

    if (!f) {
        fprintf(stderr, "cannot open %s: %s\n", path, strerror(errno));
        return 1;
    }
    while (fgets(line, sizeof(line), f)) {
        if (line[0] == '#' || line[0] == '\n')
            continue;
        r = run_expression(line, &skipped);
        if (r < 0)
            refused++;
        else
            (*nexpr)++;
        failed += r > 0;
    }
    fclose(f);
    printf("expressions: %d compiled, %d refused by libpcap, %d left out "
           "(libpcap reads M[] before writing it)\n", *nexpr, refused, skipped);
    return failed;
}

static uint64_t rng_state;

static uint32_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state >> 16);
}

/* A constant with a bias towards values packets contain. */
static uint32_t rnd_k(void)
{
    static const uint32_t common[] = {0, 1, 2, 4, 6, 0x800, 0x86dd, 0x806,
                                      17, 6, 0x1fff, 0xffff, 0xff, 0x0f,
                                      0x45, 53, 80, 31, 32, 0x80000000u};
    switch (rnd() % 4) {
    case 0: return common[rnd() % (sizeof(common) / sizeof(common[0]))];
    case 1: return rnd() % 64;
    case 2: return rnd() % 1600;
    default: return rnd();
    }
}

static const uint16_t ops[] = {
    0x20, 0x28, 0x30, 0x40, 0x48, 0x50, 0x80, 0x00, 0x60, 0x01, 0x61, 0x81,
    0xb1, 0x02, 0x03, 0x04, 0x14, 0x24, 0x34, 0x44, 0x54, 0x64, 0x74, 0x94,
    0xa4, 0x0c, 0x1c, 0x2c, 0x3c, 0x4c, 0x5c, 0x6c, 0x7c, 0x9c, 0xac, 0x84,
    0x05, 0x15, 0x25, 0x35, 0x45, 0x1d, 0x2d, 0x3d, 0x4d, 0x06, 0x16, 0x07,
    0x87,
};

/* One random instruction at @pc of a @len-long program. */
static struct pf_cbpf_insn rnd_insn(size_t pc, size_t len)
{
    struct pf_cbpf_insn in = {ops[rnd() % (sizeof(ops) / sizeof(ops[0]))],
                              0, 0, rnd_k()};
    size_t room = len - pc - 2; /* targets stay before the final ret */
    uint16_t c = in.code;

    if ((c & 0x07) == 0x05) {
        in.jt = (uint8_t)(room ? rnd() % (room + 1 > 255 ? 255 : room + 1) : 0);
        in.jf = (uint8_t)(room ? rnd() % (room + 1 > 255 ? 255 : room + 1) : 0);
        if (c == 0x05)
            in.k = room ? rnd() % (room + 1) : 0;
    } else if (c == 0x60 || c == 0x61 || c == 0x02 || c == 0x03) {
        in.k = rnd() % 4;
    } else if (c == 0x34 || c == 0x94) {
        in.k = in.k ? in.k : 3;
    } else if (c == 0x64 || c == 0x74) {
        in.k %= 32;
    } else if (c == 0x20 || c == 0x28 || c == 0x30 || c == 0xb1) {
        in.k = rnd() % 8 ? rnd() % 96 : rnd_k();
    }
    return in;
}

static int run_random(int count)
{
    struct pf_cbpf_insn prog[64];
    int made = 0, failed = 0;

    while (made < count) {
        size_t len = 2 + rnd() % 40;
        for (size_t pc = 0; pc + 1 < len; pc++)
            prog[pc] = rnd_insn(pc, len);
        prog[len - 1] = (struct pf_cbpf_insn){rnd() % 2 ? 0x16 : 0x06, 0, 0,
                                              rnd_k()};
        if (pf_cbpf_validate(prog, len, PF_CBPF_PROFILE_KERNEL, NULL))
            continue;
        made++;
        failed += compare(prog, len, "random program", 1 + rnd() % 4);
    }
    printf("random programs: %d\n", made);
    return failed;
}

int main(void)
{
    const char *dir = getenv("PF_CORPUS"), *src = getenv("PF_SOURCE_ROOT");
    const char *seed_env = getenv("PF_TEST_SEED");
    char path[4096];
    int nexpr = 0, failed;

    if (!dir || !src) {
        fprintf(stderr, "PF_CORPUS and PF_SOURCE_ROOT must be set\n");
        return 1;
    }
    if (pf_test_corpus_load(dir, -1, &corpus) < 1000) {
        fprintf(stderr, "corpus at %s has only %zu packets\n", dir, corpus.n);
        return 1;
    }
    rng_state = seed_env ? strtoull(seed_env, NULL, 0) : (uint64_t)time(NULL);
    rng_state = rng_state ? rng_state : 1;
    printf("seed: PF_TEST_SEED=%" PRIu64 "\npackets: %zu\n", rng_state,
           corpus.n);
    snprintf(path, sizeof(path), "%s/tests/data/cbpf/expressions.txt", src);
    failed = run_expressions(path, &nexpr);
    failed += run_random(20000);
    printf("runs compared: %llu, mismatching programs: %d\n", runs, failed);
    pf_test_corpus_free(&corpus);
    return failed || nexpr < 200 ? 1 : 0;
}
