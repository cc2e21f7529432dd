/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Four-way (in fact six-way) differential test of one cBPF program in
 * every engine: pfcap's cBPF interpreter (pf_cbpf_run), pfcap's eBPF
 * interpreter and JIT (the user-target translation, verified by pfcap),
 * pfcap's socket-program engine (the socket translation), the Linux
 * kernel (BPF_PROG_TEST_RUN of the socket translation with cb[0] =
 * wirelen, and of the XDP translation) and libpcap's bpf_filter (the
 * oracle). Programs: libpcap's for tests/translate/exprs.txt on
 * EN10MB, RAW, LINUX_SLL and NULL, run on every packet of the corpus
 * captures of that link type plus a truncated copy of each; and random
 * valid programs on generated and corpus packets (seed printed,
 * PF_TEST_SEED). The kernel leg costs a syscall per packet, so it runs on
 * every KERNEL_EVERY-th expression program (all packets) and on every
 * random program (RANDOM_PKTS packets).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <pfcap/ebpf_io.h>
#include <pfcap/translate.h>

#include "../translate/trt.h"

#define KERNEL_EVERY 2
#define N_RANDOM 1000
#define RANDOM_MAX_LEN 40
#define RANDOM_PKTS 200
#define MAX_REPORTS 10

enum leg { L_CBPF, L_INTERP, L_JIT, L_SOCK, L_KERNEL, L_XDP, L_COUNT };
static const char *const leg_names[] = {"cbpf", "ebpf-interp", "jit",
                                        "pfcap-socket", "kernel-socket",
                                        "kernel-xdp"};

struct engines {
    struct pf_ebpf_vm *vm;
    struct pf_ebpf_vm *sock_vm; /* the socket translation in pfcap */
    int jit_ok;
    int sock_fd, xdp_fd; /* -1 = leg not run */
};

struct tally {
    size_t progs, jitted, runs[L_COUNT], mismatches, accepted;
};

static int has_loop(const struct pf_cbpf_insn *insns, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (insns[i].code == (PF_CBPF_JMP | PF_CBPF_JA) &&
            (int32_t)insns[i].k < 0)
            return 1;
    return 0;
}

static int load_kernel(const struct pf_cbpf_insn *insns, size_t len,
                       enum pf_translate_target t)
{
    struct pf_translate_opts o = {.sz = sizeof(o), .target = t,
                                  .len_from = PF_TRANSLATE_LEN_CB0};
    struct pf_ebpf_prog prog;
    struct pf_error e;
    int fd = -1;

    pf_error_init(&e);
    assert_int_equal(pf_translate(insns, len, &o, &prog, &e), 0);
    if (pf_ebpf_kernel_load(prog.insns, prog.len,
                            t == PF_TRANSLATE_XDP ? PF_EBPF_KERNEL_XDP
                                                  : PF_EBPF_KERNEL_SOCKET,
                            NULL, 0, &fd, &e)) {
        print_error("kernel load: %s\n", e.msg);
        fail();
    }
    free(prog.insns);
    return fd;
}

static void engines_open(struct engines *en, const struct pf_cbpf_insn *insns,
                         size_t len, int kernel)
{
    struct pf_ebpf_prog prog;
    struct pf_error e;

    memset(en, 0, sizeof(*en));
    en->sock_fd = en->xdp_fd = -1;
    pf_error_init(&e);
    assert_int_equal(pf_translate(insns, len, NULL, &prog, &e), 0);
    if (pf_ebpf_vm_new(prog.insns, prog.len, PF_EBPF_PROG_FILTER, &en->vm,
                       &e)) {
        static char dump[1 << 16];

        pf_ebpf_dump(prog.insns, prog.len, dump, sizeof(dump));
        print_error("pfcap's verifier refused the user translation: insn "
                    "%ld: %s\n%s", e.insn, e.msg, dump);
        fail();
    }
    free(prog.insns);
    en->jit_ok = pf_ebpf_vm_jit(en->vm, NULL) == 0;
    {
        struct pf_translate_opts so = {.sz = sizeof(so),
                                       .target = PF_TRANSLATE_SOCKET,
                                       .len_from = PF_TRANSLATE_LEN_CB0};

        assert_int_equal(pf_translate(insns, len, &so, &prog, &e), 0);
        if (pf_ebpf_vm_new(prog.insns, prog.len, PF_EBPF_PROG_SOCKET,
                           &en->sock_vm, &e)) {
            print_error("pfcap refused the socket translation: insn %ld: "
                        "%s\n", e.insn, e.msg);
            fail();
        }
        free(prog.insns);
    }
    if (kernel) {
        en->sock_fd = load_kernel(insns, len, PF_TRANSLATE_SOCKET);
        en->xdp_fd = load_kernel(insns, len, PF_TRANSLATE_XDP);
    }
}

static void engines_close(struct engines *en)
{
    pf_ebpf_vm_free(en->vm);
    pf_ebpf_vm_free(en->sock_vm);
    pf_ebpf_kernel_close(en->sock_fd);
    pf_ebpf_kernel_close(en->xdp_fd);
}

/* Kernel verdicts; a leg that cannot take the packet leaves *ran 0. */
static void run_kernel(const struct engines *en, const struct trt_packet *p,
                       uint32_t v[L_COUNT], int ran[L_COUNT])
{
    struct pf_ebpf_kernel_run_opts o = {.sz = sizeof(o)};
    uint32_t r;

    o.cb[0] = p->wirelen;
    if (en->sock_fd >= 0 && p->caplen > 0 &&
        p->caplen <= PF_EBPF_KERNEL_TEST_MAX_SOCKET) {
        assert_int_equal(pf_ebpf_kernel_test_run(en->sock_fd,
                                                 PF_EBPF_KERNEL_SOCKET,
                                                 p->data, p->caplen, &o, &r,
                                                 NULL, NULL),
                         0);
        v[L_KERNEL] = r;
        ran[L_KERNEL] = 1;
    }
    if (en->xdp_fd >= 0 && p->caplen >= 14 &&
        p->caplen <= PF_EBPF_KERNEL_TEST_MAX_XDP &&
        p->caplen == p->wirelen) {
        assert_int_equal(pf_ebpf_kernel_test_run(en->xdp_fd,
                                                 PF_EBPF_KERNEL_XDP, p->data,
                                                 p->caplen, NULL, &r, NULL,
                                                 NULL),
                         0);
        v[L_XDP] = r;
        ran[L_XDP] = 1;
    }
}

static void report(const char *what, const struct trt_packet *p,
                   uint32_t want, const uint32_t v[L_COUNT],
                   const int ran[L_COUNT], struct tally *t)
{
    if (++t->mismatches > MAX_REPORTS)
        return;
    print_error("MISMATCH %s, packet caplen %u wirelen %u: libpcap %u", what,
                p->caplen, p->wirelen, want);
    for (int l = 0; l < L_COUNT; l++)
        if (ran[l])
            print_error(", %s %u", leg_names[l], v[l]);
    print_error("\n");
}

/* Runs one packet through every engine and compares with libpcap. */
static void run_packet(const struct engines *en,
                       const struct pf_cbpf_insn *insns, size_t len,
                       const struct trt_packet *p, int oracle,
                       const char *what, struct tally *t)
{
    uint32_t v[L_COUNT] = {0}, want, cb[5] = {p->wirelen};
    int ran[L_COUNT] = {1, 1, 1, 1, 0, 0}, bad = 0;

    v[L_CBPF] = pf_cbpf_run(insns, len, p->data, p->wirelen, p->caplen, NULL);
    want = oracle ? trt_libpcap_run(insns, len, p) : v[L_CBPF];
    v[L_INTERP] = (uint32_t)pf_ebpf_vm_run_interp(en->vm, p->data, p->caplen,
                                                  p->wirelen);
    v[L_JIT] = (uint32_t)pf_ebpf_vm_run_filter(en->vm, p->data, p->caplen,
                                               p->wirelen);
    v[L_SOCK] = (uint32_t)pf_ebpf_vm_run_socket(en->sock_vm, p->data,
                                                p->caplen, NULL, cb, 0);
    run_kernel(en, p, v, ran);
    for (int l = 0; l < L_COUNT; l++) {
        if (!ran[l])
            continue;
        t->runs[l]++;
        if (l == L_XDP ? (v[l] == 2) != (want != 0) : v[l] != want)
            bad = 1;
    }
    t->accepted += want != 0;
    if (bad)
        report(what, p, want, v, ran, t);
}

static void print_tally(const char *what, const struct tally *t)
{
    printf("%s: %zu programs (%zu JIT-compiled); verdicts compared: "
           "libpcap %zu, cbpf %zu, ebpf-interp %zu, jit %zu, pfcap-socket "
           "%zu, kernel-socket %zu, kernel-xdp %zu; %zu accepted; %zu "
           "mismatches\n",
           what, t->progs, t->jitted, t->runs[L_CBPF], t->runs[L_CBPF],
           t->runs[L_INTERP], t->runs[L_JIT], t->runs[L_SOCK],
           t->runs[L_KERNEL],
           t->runs[L_XDP], t->accepted, t->mismatches);
    fflush(stdout);
}

/* The corpus packets of @dlt and a truncated copy of each. */
static void load_packets(int dlt, struct trt_packets *pk)
{
    size_t n;

    trt_load_corpus(dlt, pk);
    n = pk->n;
    for (size_t i = 0; i < n; i++) {
        struct trt_packet q = pk->p[i];

        if (q.caplen < 2)
            continue;
        if (pk->n == pk->cap) {
            pk->cap *= 2;
            pk->p = realloc(pk->p, pk->cap * sizeof(*pk->p));
            assert_non_null(pk->p);
        }
        q.caplen = (uint32_t)(i * 7919u % q.caplen);
        q.data = malloc(q.caplen + 1);
        assert_non_null(q.data);
        memcpy(q.data, pk->p[i].data, q.caplen);
        pk->p[pk->n++] = q;
    }
}

static void diff_linktype(int dlt, struct tally *t, size_t *nprog_kernel)
{
    struct trt_packets pk;
    struct trt_prog *progs;
    size_t skipped, n = trt_load_exprs(dlt, &progs, &skipped);

    load_packets(dlt, &pk);
    printf("%s: %zu programs, %zu packets (half truncated copies) from %zu "
           "files\n", trt_dlt_name(dlt), n, pk.n, pk.files);
    assert_true(pk.n > 0);
    for (size_t j = 0; j < n; j++) {
        struct engines en;
        char what[320];

        if (has_loop(progs[j].insns, progs[j].len))
            continue; /* protochain: no eBPF target takes loops */
        engines_open(&en, progs[j].insns, progs[j].len,
                     j % KERNEL_EVERY == 0);
        *nprog_kernel += j % KERNEL_EVERY == 0;
        snprintf(what, sizeof(what), "%s '%s'", trt_dlt_name(dlt),
                 progs[j].expr);
        for (size_t i = 0; i < pk.n; i++)
            run_packet(&en, progs[j].insns, progs[j].len, &pk.p[i], 1, what,
                       t);
        t->jitted += (size_t)en.jit_ok;
        engines_close(&en);
        t->progs++;
    }
    trt_free_progs(progs, n);
    trt_free_corpus(&pk);
}

static void test_expressions(void **state)
{
    static const int dlts[] = {
#define TRT_VALUE(n, v) v,
        TRT_LINKTYPES(TRT_VALUE)
#undef TRT_VALUE
    };
    struct tally t = {0};
    size_t nk = 0;

    (void)state;
    for (size_t d = 0; d < TRT_N_LINKTYPES; d++)
        diff_linktype(dlts[d], &t, &nk);
    printf("kernel legs ran for %zu expression programs (one in %d)\n", nk,
           KERNEL_EVERY);
    print_tally("expressions x corpus", &t);
    assert_int_equal(t.mismatches, 0);
    assert_int_equal(t.jitted, t.progs);
    assert_true(t.runs[L_KERNEL] > 10000);
}

/* Generated packets: random bytes, and corpus-like headers with noise. */
static void gen_packets(uint64_t *rng, struct trt_packets *pk)
{
    trt_load_corpus(1, pk);
    for (size_t i = 0; i < pk->n && i < RANDOM_PKTS; i++) {
        struct trt_packet *p = &pk->p[(i * 37) % pk->n];

        if (trt_rand(rng) % 4 == 0 && p->caplen > 0) /* truncate */
            p->caplen = (uint32_t)(trt_rand(rng) % p->caplen);
        if (trt_rand(rng) % 8 == 0 && p->caplen > 0) /* flip a byte */
            p->data[trt_rand(rng) % p->caplen] ^= 0xff;
    }
}

static void test_random(void **state)
{
    uint64_t rng = trt_seed("diff_fourway random");
    struct pf_cbpf_insn insns[RANDOM_MAX_LEN];
    struct tally t = {0};
    struct trt_packets pk;
    size_t oracle_progs = 0;

    (void)state;
    gen_packets(&rng, &pk);
    assert_true(pk.n >= RANDOM_PKTS);
    for (int j = 0; j < N_RANDOM; j++) {
        size_t len = trt_random_prog(&rng, insns, RANDOM_MAX_LEN);
        /* libpcap's M[] is uninitialised: ask it only when M is written
         * before every read (the kernel profile checks that). */
        int oracle = pf_cbpf_validate(insns, len, PF_CBPF_PROFILE_KERNEL,
                                      NULL) == 0;
        struct engines en;
        char what[64];

        snprintf(what, sizeof(what), "random program %d", j);
        engines_open(&en, insns, len, 1);
        for (size_t i = 0; i < RANDOM_PKTS; i++)
            run_packet(&en, insns, len, &pk.p[(i * 37) % pk.n], oracle, what,
                       &t);
        t.jitted += (size_t)en.jit_ok;
        engines_close(&en);
        oracle_progs += (size_t)oracle;
        t.progs++;
    }
    printf("random: libpcap was the oracle for %zu of %d programs (the "
           "others read M[] before writing it; cbpf is the reference)\n",
           oracle_progs, N_RANDOM);
    print_tally("random programs", &t);
    trt_free_corpus(&pk);
    assert_int_equal(t.mismatches, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_expressions),
        cmocka_unit_test(test_random),
    };

    trt_require_kernel("diff_fourway");
    return cmocka_run_group_tests(tests, NULL, NULL);
}
