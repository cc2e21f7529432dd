/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Shared helpers of the translator's tests: the seed, cBPF programs from
 * libpcap (the oracle) for the expressions in exprs.txt, random valid cBPF
 * programs, the corpus packets of one link type (read with libpcap), and
 * the kernel check that skips a test (exit 77) where bpf() is refused.
 */
#ifndef PF_TRT_H
#define PF_TRT_H

#include <stddef.h>
#include <stdint.h>

#include <pfcap/cbpf.h>

/* Link types the tests use, with their DLT values. */
#define TRT_LINKTYPES(X)                                                       \
    X(EN10MB, 1)                                                               \
    X(RAW, 12)                                                                 \
    X(LINUX_SLL, 113)                                                          \
    X(NULL, 0)                                                                 \
    X(IEEE802_11_RADIO, 127)                                                   \
    X(PPP, 9)                                                                  \
    X(C_HDLC, 104)

/* Number of link types above. */
#define TRT_N_LINKTYPES 7

struct trt_packet {
    uint8_t *data;
    uint32_t caplen, wirelen;
};

struct trt_packets {
    struct trt_packet *p;
    size_t n, cap;
    size_t files;
};

struct trt_prog {
    char expr[256];
    int dlt;
    struct pf_cbpf_insn *insns;
    size_t len;
};

/* Reads PF_TEST_SEED or picks one; prints it. */
uint64_t trt_seed(const char *test);
uint64_t trt_rand(uint64_t *state);

/* Compiles @expr for @dlt with libpcap (as tcpdump -ddd -y does): 0, or
 * -1 when libpcap refuses it. */
int trt_compile(int dlt, const char *expr, struct trt_prog *out);

/* Every program of exprs.txt for @dlt (or all link types if @dlt < 0);
 * *@skipped counts expressions libpcap refused. Returns the count. */
size_t trt_load_exprs(int dlt, struct trt_prog **out, size_t *skipped);
void trt_free_progs(struct trt_prog *p, size_t n);

/* A random valid (libpcap profile, forward jumps only) program of at most
 * @max instructions; loads stay at offsets a packet can have. */
size_t trt_random_prog(uint64_t *rng, struct pf_cbpf_insn *out, size_t max);

/* Every packet of every $PF_CORPUS capture whose link type is @dlt. */
void trt_load_corpus(int dlt, struct trt_packets *out);
void trt_free_corpus(struct trt_packets *pk);

/* Verdict of libpcap's bpf_filter. */
uint32_t trt_libpcap_run(const struct pf_cbpf_insn *insns, size_t len,
                         const struct trt_packet *p);

/* Exits 77 with a loud message when this process may not use bpf(). */
void trt_require_kernel(const char *test);

const char *trt_dlt_name(int dlt);

#endif
