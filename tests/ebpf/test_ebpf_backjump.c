/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Acyclic backward jumps: a socket filter shaped like clang's output, with
 * its shared "accept" and "reject" blocks placed before the jumps that
 * reach them, passes pfcap's verifier and gives the same verdicts in the
 * interpreter, the JIT and the Linux kernel (which accepts such programs
 * too); a loop closed by a backward jump is refused with BACK_EDGE at the
 * jump that closes it (the kernel, which takes bounded loops, is not asked).
 * Random valid programs (seed printed, PF_TEST_SEED) are rotated: their
 * tail moved in front behind a jump, so every jump from the head into the
 * tail runs backward; the rotated program must be accepted and give the
 * original's result in the interpreter and the JIT.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <inttypes.h>

#include <pfcap/ebpf.h>
#include <pfcap/ebpf_io.h>

#include "ebpf_gen.h"

static int kernel_ok;

/* IPv4 + TCP accepted (0xffff), anything else 0. */
static const char acyclic[] =
    "r6 = r1\n"
    "goto +4\n"                    /* 1 -> 6 */
    "r0 = 0\n"                     /* 2: reject */
    "exit\n"
    "r0 = 0xffff\n"                /* 4: accept */
    "exit\n"
    "r0 = *(u16 *)skb[12]\n"       /* 6 */
    "if r0 != 0x800 goto -6\n"     /* 7 -> 2 */
    "r0 = *(u8 *)skb[23]\n"
    "if r0 == 6 goto -6\n"         /* 9 -> 4 */
    "goto -9\n";                   /* 10 -> 2 */

/* A counting loop through a block placed before its back jump. */
static const char loop[] =
    "r0 = 0\n"
    "goto +1\n"
    "r0 += 1\n"                    /* 2 */
    "if r0 < 10 goto -2\n"         /* 3 -> 2: the cycle 2 -> 3 -> 2 */
    "exit\n";

static struct pf_ebpf_insn *assemble(const char *text, size_t *len)
{
    struct pf_ebpf_insn *p = NULL;
    struct pf_error e;

    pf_error_init(&e);
    if (pf_ebpf_asm(text, &p, len, &e)) {
        print_error("asm %d:%d: %s\n", e.line, e.col, e.msg);
        fail();
    }
    return p;
}

/* An Ethernet frame with EtherType @type and IP protocol @proto. */
static void make_packet(uint8_t *p, uint16_t type, uint8_t proto)
{
    memset(p, 0, 60);
    memset(p, 0x02, 12);
    p[12] = (uint8_t)(type >> 8);
    p[13] = (uint8_t)type;
    p[14] = 0x45;
    p[23] = proto;
}

static uint32_t kernel_run(int fd, const uint8_t *pkt, uint32_t len)
{
    struct pf_ebpf_kernel_run_opts o = {.sz = sizeof(o)};
    uint32_t r = 0;

    assert_int_equal(pf_ebpf_kernel_test_run(fd, PF_EBPF_KERNEL_SOCKET, pkt,
                                             len, &o, &r, NULL, NULL), 0);
    return r;
}

static void test_acyclic(void **state)
{
    static const struct {
        uint16_t type;
        uint8_t proto;
        uint32_t len, want;
    } cases[] = {
        {0x0800, 6, 60, 0xffff}, {0x0800, 17, 60, 0}, {0x0806, 6, 60, 0},
        {0x86dd, 6, 60, 0},      {0x0800, 6, 20, 0},  {0x0800, 6, 24, 0xffff},
    };
    size_t len;
    struct pf_ebpf_insn *p = assemble(acyclic, &len);
    struct pf_ebpf_vm *vm;
    struct pf_error e;
    uint8_t pkt[60];
    int fd = -1;

    (void)state;
    pf_error_init(&e);
    if (pf_ebpf_vm_new(p, len, PF_EBPF_PROG_SOCKET, &vm, &e)) {
        print_error("verify: insn %ld: %s\n", e.insn, e.msg);
        fail();
    }
    assert_int_equal(pf_ebpf_vm_jit(vm, NULL), 0);
    if (kernel_ok)
        assert_int_equal(pf_ebpf_kernel_load(p, len, PF_EBPF_KERNEL_SOCKET,
                                             NULL, 0, &fd, NULL), 0);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        make_packet(pkt, cases[i].type, cases[i].proto);
        assert_int_equal(pf_ebpf_vm_run_socket(vm, pkt, cases[i].len, NULL,
                                               NULL, 0), cases[i].want);
        assert_int_equal(pf_ebpf_vm_run_socket(vm, pkt, cases[i].len, NULL,
                                               NULL, 1), cases[i].want);
        if (fd >= 0)
            assert_int_equal(kernel_run(fd, pkt, cases[i].len),
                             cases[i].want);
    }
    if (fd >= 0)
        pf_ebpf_kernel_close(fd);
    pf_ebpf_vm_free(vm);
    free(p);
}

static void test_loop(void **state)
{
    size_t len;
    struct pf_ebpf_insn *p = assemble(loop, &len);
    struct pf_ebpf_vm *vm = NULL;
    struct pf_error e;

    (void)state;
    pf_error_init(&e);
    assert_int_equal(pf_ebpf_vm_new(p, len, PF_EBPF_PROG_SOCKET, &vm, &e),
                     -EINVAL);
    assert_null(vm);
    assert_int_equal(e.code, PF_EBPF_RULE_BACK_EDGE);
    assert_int_equal(e.insn, 2);
    assert_non_null(strstr(e.msg, "back-edge to insn 3"));
    free(p);
}

/* Index of instruction @i of the original in the rotated program. */
static size_t rot_pos(size_t i, size_t n, size_t k)
{
    return i >= k ? 1 + (i - k) : 1 + (n - k) + i;
}

static int falls_through(const struct pf_ebpf_insn *in)
{
    return in->code != PF_EBPF_OPC_EXIT && in->code != PF_EBPF_OPC_JA &&
           in->code != PF_EBPF_OPC_JA32;
}

/* @q = goto head; p[k..n); p[0..k) (+ goto p[k] when p[k-1] falls
 * through), with every jump re-aimed; returns its length. */
static size_t rotate(const struct pf_ebpf_insn *p, size_t n, size_t k,
                     struct pf_ebpf_insn *q)
{
    size_t qn = n + 1;

    q[0] = PF_EBPF_JMP_A((int16_t)(rot_pos(0, n, k) - 1));
    for (size_t i = 0; i < n; i++) {
        struct pf_ebpf_insn in = p[i];
        unsigned cls = PF_EBPF_CLASS(in.code);
        long at = (long)rot_pos(i, n, k);

        if (in.code == PF_EBPF_OPC_JA32)
            in.imm = (int32_t)((long)rot_pos(i + 1 + (size_t)(long)in.imm, n,
                                             k) - at - 1);
        else if ((cls == PF_EBPF_JMP || cls == PF_EBPF_JMP32) &&
                 in.code != PF_EBPF_OPC_EXIT && in.code != PF_EBPF_OPC_CALL)
            in.off = (int16_t)((long)rot_pos((size_t)((long)i + 1 + in.off),
                                             n, k) - at - 1);
        q[at] = in;
    }
    if (falls_through(&p[k - 1])) { /* goto p[k], at index 1 */
        q[qn] = PF_EBPF_JMP_A((int16_t)(1 - (long)qn - 1));
        qn++;
    }
    return qn;
}

static void rotate_run(int socket, const char *name, int count)
{
    static const uint32_t lens[] = {0, 14, 34, 60, 90};
    uint64_t seed = test_seed(name), st = seed ^ 0xb0b;
    struct gen *g = calloc(1, sizeof(*g));
    struct pf_ebpf_insn q[MAXP + 2];
    enum pf_ebpf_prog_type type = socket ? PF_EBPF_PROG_SOCKET
                                         : PF_EBPF_PROG_FILTER;
    uint8_t pkt[90];
    int back = 0;

    assert_non_null(g);
    g->st = seed;
    for (int c = 0; c < count; c++) {
        size_t k, qn;

        generate(g, socket, 20 + (size_t)(rnd(&st) % 100));
        k = 1 + (size_t)(rnd(&st) % (g->n - 1));
        if (g->p[k - 1].code == 0x18) /* never split an ld_imm64 */
            k++;
        qn = rotate(g->p, g->n, k, q);
        for (size_t i = 0; i < qn; i++)
            back += q[i].code == PF_EBPF_OPC_JA32
                        ? q[i].imm < 0
                        : (PF_EBPF_CLASS(q[i].code) == PF_EBPF_JMP ||
                           PF_EBPF_CLASS(q[i].code) == PF_EBPF_JMP32) &&
                              q[i].off < 0;
        for (size_t l = 0; l < N(lens); l++) {
            for (size_t b = 0; b < sizeof(pkt); b++)
                pkt[b] = (uint8_t)rnd(&st);
            assert_int_equal(run_both(q, qn, type, pkt, lens[l]),
                             run_both(g->p, g->n, type, pkt, lens[l]));
        }
    }
    printf("%s: %d rotated programs (%d backward jumps) agree\n", name,
           count, back);
    assert_true(back > count);
    free(g);
}

static void test_rotated_filter(void **state)
{
    (void)state;
    rotate_run(0, "ebpf-rotate-filter", 300);
}

static void test_rotated_socket(void **state)
{
    (void)state;
    rotate_run(1, "ebpf-rotate-socket", 300);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_acyclic),
        cmocka_unit_test(test_loop),
        cmocka_unit_test(test_rotated_filter),
        cmocka_unit_test(test_rotated_socket),
    };
    struct pf_error e;

    pf_error_init(&e);
    kernel_ok = pf_ebpf_kernel_probe(&e) == 0;
    if (!kernel_ok)
        fprintf(stderr, "*** ebpf_backjump: kernel part SKIPPED: %s ***\n",
                e.msg);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
