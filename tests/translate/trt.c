/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Helpers of the translator's tests (see trt.h). libpcap is the oracle
 * here: it compiles the expressions, reads the corpus and runs
 * bpf_filter.
 */
#include <ftw.h>
#include <inttypes.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <pfcap/ebpf_io.h>

#include "trt.h"

uint64_t trt_seed(const char *test)
{
    const char *s = getenv("PF_TEST_SEED");
    uint64_t seed = s ? strtoull(s, NULL, 0) : (uint64_t)time(NULL);

    printf("%s: seed %" PRIu64 " (set PF_TEST_SEED to repeat)\n", test, seed);
    fflush(stdout);
    return seed ? seed : 1;
}

uint64_t trt_rand(uint64_t *x)
{
    /* xorshift64* */
    *x ^= *x >> 12;
    *x ^= *x << 25;
    *x ^= *x >> 27;
    return *x * 2685821657736338717ull;
}

const char *trt_dlt_name(int dlt)
{
#define TRT_NAME(name, v)                                                      \
    if (dlt == (v))                                                            \
        return #name;
    TRT_LINKTYPES(TRT_NAME)
#undef TRT_NAME
    return "?";
}

static int dlt_from_name(const char *name)
{
#define TRT_DLT(n, v)                                                          \
    if (strcmp(name, #n) == 0)                                                 \
        return v;
    TRT_LINKTYPES(TRT_DLT)
#undef TRT_DLT
    return -1;
}

int trt_compile(int dlt, const char *expr, struct trt_prog *out)
{
    pcap_t *p = pcap_open_dead(dlt, 262144);
    struct bpf_program bp;
    int rc = -1;

    if (!p)
        return -1;
    if (pcap_compile(p, &bp, expr, 1, PCAP_NETMASK_UNKNOWN) == 0) {
        out->dlt = dlt;
        snprintf(out->expr, sizeof(out->expr), "%s", expr);
        out->len = bp.bf_len;
        out->insns = malloc(bp.bf_len * sizeof(*out->insns));
        if (out->insns) {
            memcpy(out->insns, bp.bf_insns, bp.bf_len * sizeof(*out->insns));
            rc = 0;
        }
        pcap_freecode(&bp);
    }
    pcap_close(p);
    return rc;
}

static void add_prog(struct trt_prog **v, size_t *n, size_t *cap,
                     const struct trt_prog *p)
{
    if (*n == *cap) {
        *cap = *cap ? *cap * 2 : 64;
        *v = realloc(*v, *cap * sizeof(**v));
        if (!*v)
            abort();
    }
    (*v)[(*n)++] = *p;
}

static void exprs_for_line(char *line, int dlt, struct trt_prog **v,
                           size_t *n, size_t *cap, size_t *skipped)
{
    static const int all[] = {
#define TRT_VALUE(n, v) v,
        TRT_LINKTYPES(TRT_VALUE)
#undef TRT_VALUE
    };
    char *sp = strchr(line, ' ');
    struct trt_prog p;

    if (!sp || line[0] == '#')
        return;
    *sp = '\0';
    for (size_t i = 0; i < TRT_N_LINKTYPES; i++) {
        int d = all[i];

        if (strcmp(line, "*") != 0 && dlt_from_name(line) != d)
            continue;
        if (dlt >= 0 && d != dlt)
            continue;
        if (trt_compile(d, sp + 1, &p) == 0)
            add_prog(v, n, cap, &p);
        else
            (*skipped)++;
    }
}

size_t trt_load_exprs(int dlt, struct trt_prog **out, size_t *skipped)
{
    char path[4096], line[512];
    size_t n = 0, cap = 0;
    FILE *f;

    snprintf(path, sizeof(path), "%s/tests/translate/exprs.txt",
             getenv("PF_SOURCE_ROOT") ? getenv("PF_SOURCE_ROOT") : ".");
    f = fopen(path, "r");
    *out = NULL;
    *skipped = 0;
    if (!f) {
        fprintf(stderr, "cannot open %s\n", path);
        return 0;
    }
    while (fgets(line, sizeof(line), f)) {
        line[strcspn(line, "\n")] = '\0';
        exprs_for_line(line, dlt, out, &n, &cap, skipped);
    }
    fclose(f);
    return n;
}

void trt_free_progs(struct trt_prog *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(p[i].insns);
    free(p);
}

uint32_t trt_libpcap_run(const struct pf_cbpf_insn *insns, size_t len,
                         const struct trt_packet *p)
{
    (void)len;
    return bpf_filter((const struct bpf_insn *)insns, p->data, p->wirelen,
                      p->caplen);
}

static struct trt_packets *corpus_out;
static int corpus_dlt;

static void add_packet(struct trt_packets *pk, const struct pcap_pkthdr *h,
                       const uint8_t *data)
{
    if (pk->n == pk->cap) {
        pk->cap = pk->cap ? pk->cap * 2 : 1024;
        pk->p = realloc(pk->p, pk->cap * sizeof(*pk->p));
        if (!pk->p)
            abort();
    }
    pk->p[pk->n].data = malloc(h->caplen ? h->caplen : 1);
    if (!pk->p[pk->n].data)
        abort();
    memcpy(pk->p[pk->n].data, data, h->caplen);
    pk->p[pk->n].caplen = h->caplen;
    pk->p[pk->n].wirelen = h->len;
    pk->n++;
}

static int corpus_file(const char *path, const struct stat *st, int type,
                       struct FTW *ftw)
{
    char errbuf[PCAP_ERRBUF_SIZE];
    struct pcap_pkthdr *h;
    const u_char *data;
    pcap_t *p;

    (void)st;
    (void)ftw;
    if (type != FTW_F || !strstr(path, ".pcap"))
        return 0;
    p = pcap_open_offline(path, errbuf);
    if (!p)
        return 0;
    if (pcap_datalink(p) == corpus_dlt) {
        corpus_out->files++;
        while (pcap_next_ex(p, &h, &data) == 1)
            add_packet(corpus_out, h, data);
    }
    pcap_close(p);
    return 0;
}

void trt_load_corpus(int dlt, struct trt_packets *out)
{
    const char *dir = getenv("PF_CORPUS");

    memset(out, 0, sizeof(*out));
    if (!dir) {
        fprintf(stderr, "PF_CORPUS is not set\n");
        return;
    }
    corpus_out = out;
    corpus_dlt = dlt;
    nftw(dir, corpus_file, 16, FTW_PHYS);
}

void trt_free_corpus(struct trt_packets *pk)
{
    for (size_t i = 0; i < pk->n; i++)
        free(pk->p[i].data);
    free(pk->p);
    memset(pk, 0, sizeof(*pk));
}

void trt_require_kernel(const char *test)
{
    struct pf_error e;

    pf_error_init(&e);
    if (pf_ebpf_kernel_probe(&e) == 0)
        return;
    fprintf(stderr,
            "*** %s SKIPPED: this process may not load eBPF programs "
            "(%s); run as root or with CAP_BPF ***\n",
            test, e.msg);
    exit(77);
}

static uint32_t pick(uint64_t *rng, uint32_t n)
{
    return (uint32_t)(trt_rand(rng) % n);
}

/* A packet offset: mostly inside a header, sometimes deep, rarely huge
 * (never in the kernel's SKF_NET_OFF/SKF_LL_OFF windows). */
static uint32_t rand_off(uint64_t *rng)
{
    static const uint32_t huge[] = {0x7fffffffu, 0x80000000u, 0xffffffffu,
                                    0xfffffffeu, 65535, 65536};
    uint32_t r = pick(rng, 100);

    if (r < 80)
        return pick(rng, 64);
    if (r < 97)
        return pick(rng, 1600);
    return huge[pick(rng, sizeof(huge) / sizeof(huge[0]))];
}

static uint32_t rand_imm(uint64_t *rng)
{
    switch (pick(rng, 4)) {
    case 0: return pick(rng, 4);
    case 1: return pick(rng, 256);
    case 2: return pick(rng, 2000);
    default: return (uint32_t)trt_rand(rng);
    }
}

static const uint16_t sizes[] = {PF_CBPF_W, PF_CBPF_H, PF_CBPF_B};
static const uint16_t alu_ops[] = {PF_CBPF_ADD, PF_CBPF_SUB, PF_CBPF_MUL,
                                   PF_CBPF_DIV, PF_CBPF_OR,  PF_CBPF_AND,
                                   PF_CBPF_LSH, PF_CBPF_RSH, PF_CBPF_MOD,
                                   PF_CBPF_XOR};
static const uint16_t jmp_ops[] = {PF_CBPF_JEQ, PF_CBPF_JGT, PF_CBPF_JGE,
                                   PF_CBPF_JSET};

static struct pf_cbpf_insn rand_alu(uint64_t *rng)
{
    uint16_t op = alu_ops[pick(rng, 10)];
    struct pf_cbpf_insn in = {.code = PF_CBPF_ALU | op};

    if (pick(rng, 12) == 0)
        return (struct pf_cbpf_insn){.code = PF_CBPF_ALU | PF_CBPF_NEG};
    if (pick(rng, 3) == 0) {
        in.code |= PF_CBPF_X;
    } else if (op == PF_CBPF_LSH || op == PF_CBPF_RSH) {
        in.k = pick(rng, 32);
    } else {
        in.k = rand_imm(rng);
        if ((op == PF_CBPF_DIV || op == PF_CBPF_MOD) && in.k == 0)
            in.k = 3;
    }
    return in;
}

static struct pf_cbpf_insn rand_jmp(uint64_t *rng, size_t i, size_t len)
{
    size_t room = len - 2 - i; /* instructions between here and the end */
    uint32_t span = room > 255 ? 255 : (uint32_t)room;
    struct pf_cbpf_insn in = {.code = PF_CBPF_JMP | jmp_ops[pick(rng, 4)]};

    if (pick(rng, 10) == 0) {
        in.code = PF_CBPF_JMP | PF_CBPF_JA;
        in.k = pick(rng, (uint32_t)room + 1);
        return in;
    }
    if (pick(rng, 3) == 0)
        in.code |= PF_CBPF_X;
    else
        in.k = rand_imm(rng);
    in.jt = (uint8_t)pick(rng, span + 1);
    in.jf = (uint8_t)pick(rng, span + 1);
    return in;
}

static struct pf_cbpf_insn rand_load(uint64_t *rng)
{
    uint16_t sz = sizes[pick(rng, 3)];

    switch (pick(rng, 8)) {
    case 0: case 1: case 2:
        return (struct pf_cbpf_insn){.code = PF_CBPF_LD | PF_CBPF_ABS | sz,
                                     .k = rand_off(rng)};
    case 3:
        return (struct pf_cbpf_insn){.code = PF_CBPF_LD | PF_CBPF_IND | sz,
                                     .k = pick(rng, 64)};
    case 4:
        return (struct pf_cbpf_insn){.code = PF_CBPF_LDX | PF_CBPF_MSH |
                                             PF_CBPF_B,
                                     .k = rand_off(rng)};
    case 5:
        return (struct pf_cbpf_insn){.code = (pick(rng, 2) ? PF_CBPF_LD
                                                           : PF_CBPF_LDX) |
                                             PF_CBPF_LEN | PF_CBPF_W};
    case 6:
        return (struct pf_cbpf_insn){.code = (pick(rng, 2) ? PF_CBPF_LD
                                                           : PF_CBPF_LDX) |
                                             PF_CBPF_IMM,
                                     .k = rand_imm(rng)};
    default:
        return (struct pf_cbpf_insn){.code = (pick(rng, 2) ? PF_CBPF_LD
                                                           : PF_CBPF_LDX) |
                                             PF_CBPF_MEM,
                                     .k = pick(rng, 16)};
    }
}

static struct pf_cbpf_insn rand_insn(uint64_t *rng, size_t i, size_t len)
{
    switch (pick(rng, 20)) {
    case 0: case 1: case 2: case 3: case 4: case 5:
        return rand_load(rng);
    case 6: case 7: case 8: case 9:
        return rand_alu(rng);
    case 10: case 11: case 12: case 13: case 14:
        return rand_jmp(rng, i, len);
    case 15:
        return (struct pf_cbpf_insn){.code = (pick(rng, 2) ? PF_CBPF_ST
                                                           : PF_CBPF_STX),
                                     .k = pick(rng, 16)};
    case 16:
        return (struct pf_cbpf_insn){.code = PF_CBPF_MISC |
                                             (pick(rng, 2) ? PF_CBPF_TAX
                                                           : PF_CBPF_TXA)};
    default:
        if (pick(rng, 4) == 0)
            return (struct pf_cbpf_insn){.code = PF_CBPF_RET | PF_CBPF_A};
        return rand_load(rng);
    }
}

size_t trt_random_prog(uint64_t *rng, struct pf_cbpf_insn *out, size_t max)
{
    for (;;) {
        size_t len = 2 + pick(rng, (uint32_t)(max - 1));

        for (size_t i = 0; i + 1 < len; i++)
            out[i] = rand_insn(rng, i, len);
        out[len - 1] = pick(rng, 2)
            ? (struct pf_cbpf_insn){.code = PF_CBPF_RET | PF_CBPF_A}
            : (struct pf_cbpf_insn){.code = PF_CBPF_RET | PF_CBPF_K,
                                    .k = pick(rng, 3) ? 0xffff : 0};
        if (pf_cbpf_validate(out, len, PF_CBPF_PROFILE_LIBPCAP, NULL) == 0)
            return len;
    }
}
