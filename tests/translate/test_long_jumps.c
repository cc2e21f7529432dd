/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Long jumps in the translator: `host A or host B or ...` with 1000 and
 * 10000 hosts, compiled by pfcap's expression compiler, needs jumps over
 * more than 32767 eBPF instructions. Each target must translate (with
 * `gotol` where needed), the user translation must pass pfcap's verifier,
 * and the verdicts of the eBPF interpreter and the JIT (and of the kernel
 * for the socket translation) must equal the cBPF interpreter's on the
 * EN10MB corpus and on generated packets that hit the first, middle and
 * last host as source and destination, and miss them all.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <pfcap/compile.h>
#include <pfcap/ebpf_io.h>
#include <pfcap/translate.h>

#include "trt.h"

static int kernel_ok;

/* Host number @i (0-based) as 10.a.b.c, never .0 or .255. */
static uint32_t host_addr(size_t i)
{
    return 0x0a000000u | (uint32_t)(i / 62500) << 16 |
           (uint32_t)((i / 250) % 250) << 8 | (uint32_t)(i % 250 + 1);
}

/* "host 10.0.0.1 or host 10.0.0.2 or ..." with @n hosts (malloc'd). */
static char *host_expr(size_t n)
{
    char *s = malloc(n * 32 + 1);
    size_t len = 0;

    assert_non_null(s);
    for (size_t i = 0; i < n; i++) {
        uint32_t a = host_addr(i);

        len += (size_t)sprintf(s + len, "%shost %u.%u.%u.%u", i ? " or " : "",
                               a >> 24, (a >> 16) & 255, (a >> 8) & 255,
                               a & 255);
    }
    return s;
}

static struct pf_cbpf_prog compile_hosts(size_t n)
{
    /* unoptimised: a chain of compares whatever the optimiser makes of a
     * host set (a search tree), so that the jumps across it are long */
    struct pf_compile_opts o = {.sz = sizeof(o), .linktype = 1,
                                .optimize = 0};
    struct pf_cbpf_prog prog;
    struct pf_error e;
    char *expr = host_expr(n);

    pf_error_init(&e);
    if (pf_filter_compile(expr, &o, &prog, &e)) {
        print_error("compile: %s\n", e.msg);
        fail();
    }
    free(expr);
    print_message("  %zu hosts: %zu cBPF instructions\n", n, prog.len);
    return prog;
}

static size_t count_gotol(const struct pf_ebpf_prog *p)
{
    size_t n = 0;

    for (size_t i = 0; i < p->len; i++)
        n += p->insns[i].code == (PF_EBPF_JMP32 | PF_EBPF_JA);
    return n;
}

static struct pf_ebpf_prog translate(const struct pf_cbpf_prog *c,
                                     enum pf_translate_target t)
{
    struct pf_translate_opts o = {.sz = sizeof(o), .target = t,
                                  .len_from = PF_TRANSLATE_LEN_CB0};
    struct pf_ebpf_prog prog;
    struct pf_error e;

    pf_error_init(&e);
    if (pf_translate(c->insns, c->len, &o, &prog, &e)) {
        print_error("translate (%s): %s\n", pf_translate_target_name(t),
                    e.msg);
        fail();
    }
    print_message("  %s: %zu eBPF instructions, %zu gotol\n",
                  pf_translate_target_name(t), prog.len, count_gotol(&prog));
    return prog;
}

/* An Ethernet + IPv4 + UDP packet from @src to @dst. */
static void make_packet(uint8_t *p, uint32_t src, uint32_t dst)
{
    memset(p, 0, 42);
    memset(p, 0x02, 12);
    p[12] = 0x08;                  /* EtherType IPv4 */
    p[14] = 0x45;
    p[17] = 28;                    /* total length */
    p[22] = 64;                    /* TTL */
    p[23] = 17;                    /* UDP */
    for (int b = 0; b < 4; b++) {
        p[26 + b] = (uint8_t)(src >> (24 - 8 * b));
        p[30 + b] = (uint8_t)(dst >> (24 - 8 * b));
    }
    p[35] = 53;
    p[37] = 53;
    p[39] = 8;
}

/* Generated packets: hosts first, middle, last as src and dst, and two
 * misses (an address just past the last host, and 192.0.2.1). */
static size_t gen_packets(size_t n, uint8_t pk[][42], uint32_t want_hit[])
{
    const size_t hosts[] = {0, n / 2, n - 1};
    size_t k = 0;

    for (size_t h = 0; h < 3; h++) {
        make_packet(pk[k], host_addr(hosts[h]), 0xc0000201u);
        want_hit[k++] = 1;
        make_packet(pk[k], 0xc0000201u, host_addr(hosts[h]));
        want_hit[k++] = 1;
    }
    make_packet(pk[k], host_addr(n), 0xc0000201u);
    want_hit[k++] = 0;
    make_packet(pk[k], 0xc0000201u, 0xc0000202u);
    want_hit[k++] = 0;
    return k;
}

/* cBPF interpreter vs the eBPF interpreter and the JIT on one packet. */
static void check_packet(const struct pf_cbpf_prog *c, struct pf_ebpf_vm *vm,
                         const uint8_t *pkt, uint32_t caplen, uint32_t wirelen)
{
    uint32_t want = pf_cbpf_run(c->insns, c->len, pkt, wirelen, caplen, NULL);

    assert_int_equal((uint32_t)pf_ebpf_vm_run_interp(vm, pkt, caplen, wirelen),
                     want);
    assert_int_equal((uint32_t)pf_ebpf_vm_run_filter(vm, pkt, caplen, wirelen),
                     want);
}

/* @stride: every stride-th corpus packet (the 10000-host program walks
 * ~30000 instructions per missed packet in each engine). */
static void check_user(const struct pf_cbpf_prog *c, size_t n,
                       const struct trt_packets *corpus, size_t stride)
{
    struct pf_ebpf_prog prog = translate(c, PF_TRANSLATE_USER);
    uint8_t pk[8][42];
    uint32_t hit[8];
    size_t np = gen_packets(n, pk, hit);
    struct pf_ebpf_vm *vm;
    struct pf_error e;

    assert_true(count_gotol(&prog) > 0);
    pf_error_init(&e);
    if (pf_ebpf_vm_new(prog.insns, prog.len, PF_EBPF_PROG_FILTER, &vm, &e)) {
        print_error("verify: insn %ld: %s\n", e.insn, e.msg);
        fail();
    }
    assert_int_equal(pf_ebpf_vm_jit(vm, NULL), 0);
    for (size_t i = 0; i < np; i++) {
        assert_int_equal(pf_cbpf_run(c->insns, c->len, pk[i], 42, 42, NULL) !=
                             0, hit[i]);
        check_packet(c, vm, pk[i], 42, 42);
    }
    for (size_t i = 0; i < corpus->n; i += stride)
        check_packet(c, vm, corpus->p[i].data, corpus->p[i].caplen,
                     corpus->p[i].wirelen);
    print_message("  user: %zu generated + %zu corpus packets agree\n", np,
                  (corpus->n + stride - 1) / stride);
    pf_ebpf_vm_free(vm);
    free(prog.insns);
}

/* The other targets translate; xdp needs gotol already at 1000 hosts. */
static void check_translates(const struct pf_cbpf_prog *c,
                             enum pf_translate_target t, int need_gotol)
{
    struct pf_ebpf_prog prog = translate(c, t);

    if (need_gotol)
        assert_true(count_gotol(&prog) > 0);
    free(prog.insns);
}

/* Loads the socket translation; returns the fd or a negative errno,
 * printing the kernel's last log line when it refuses. */
static int load_socket(const struct pf_ebpf_prog *prog)
{
    static char log[1 << 16];
    struct pf_error e;
    int fd = -1, rc;

    pf_error_init(&e);
    rc = pf_ebpf_kernel_load(prog->insns, prog->len, PF_EBPF_KERNEL_SOCKET,
                             log, sizeof(log), &fd, &e);
    if (rc) {
        print_message("  kernel refused the socket translation (%d): %s\n",
                      rc, e.msg);
        return rc;
    }
    return fd;
}

static void run_kernel_packets(int fd, const struct pf_cbpf_prog *c, size_t n)
{
    struct pf_ebpf_kernel_run_opts ro = {.sz = sizeof(ro), .cb = {42}};
    uint8_t pk[8][42];
    uint32_t hit[8];
    size_t np = gen_packets(n, pk, hit);

    for (size_t i = 0; i < np; i++) {
        uint32_t r = 0;

        assert_int_equal(pf_ebpf_kernel_test_run(fd, PF_EBPF_KERNEL_SOCKET,
                                                 pk[i], 42, &ro, &r, NULL,
                                                 NULL), 0);
        assert_int_equal(r, pf_cbpf_run(c->insns, c->len, pk[i], 42, 42,
                                        NULL));
    }
    print_message("  kernel: %zu generated packets agree\n", np);
}

static void test_hosts_1000(void **state)
{
    struct trt_packets *corpus = *state;
    struct pf_cbpf_prog c = compile_hosts(1000);
    struct pf_ebpf_prog sock;
    int fd;

    check_user(&c, 1000, corpus, 1);
    check_translates(&c, PF_TRANSLATE_XDP, 1);
    sock = translate(&c, PF_TRANSLATE_SOCKET);
    if (kernel_ok) {
        fd = load_socket(&sock);
        assert_true(fd >= 0);
        run_kernel_packets(fd, &c, 1000);
        pf_ebpf_kernel_close(fd);
    }
    free(sock.insns);
    free(c.insns);
}

/* 10000 hosts: every target needs gotol. The kernel is not asked to load
 * the socket translation: Linux 6.18 refuses it in its verifier after a
 * long walk ("The sequence of 8193 jumps is too complex":
 * BPF_COMPLEXITY_LIMIT_JMP_SEQ, 8192 branches pending on one path). */
static void test_hosts_10000(void **state)
{
    struct trt_packets *corpus = *state;
    struct pf_cbpf_prog c = compile_hosts(10000);
    struct pf_ebpf_prog sock;

    check_user(&c, 10000, corpus, 10);
    check_translates(&c, PF_TRANSLATE_XDP, 1);
    sock = translate(&c, PF_TRANSLATE_SOCKET);
    assert_true(count_gotol(&sock) > 0);
    free(sock.insns);
    free(c.insns);
}

static int setup(void **state)
{
    static struct trt_packets corpus;

    trt_load_corpus(1, &corpus);
    *state = &corpus;
    return 0;
}

static int teardown(void **state)
{
    trt_free_corpus(*state);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hosts_1000),
        cmocka_unit_test(test_hosts_10000),
    };
    struct pf_error e;

    pf_error_init(&e);
    kernel_ok = pf_ebpf_kernel_probe(&e) == 0;
    if (!kernel_ok)
        fprintf(stderr, "*** long_jumps: kernel part SKIPPED: %s ***\n", e.msg);
    return cmocka_run_group_tests(tests, setup, teardown);
}
