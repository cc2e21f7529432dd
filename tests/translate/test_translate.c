/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Unit tests of the cBPF -> eBPF translator: the semantics corner cases
 * (division by X = 0, shifts by X >= 32, M[] read before written, X + k
 * past 2^32, offsets beyond 16 bits, len, unsigned compares) in pfcap's
 * eBPF interpreter and JIT (user target) and in the kernel (socket and
 * XDP targets), each against an expected value that pf_cbpf_run must give
 * too; Linux ancillary loads in the kernel; the refusals (loops, invalid
 * programs, options, unavailable ancillary loads); long jumps (gotol); and the
 * bounds-check hoisting (one length check covers many loads).
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

#include "trt.h"

#define I(c, t, f, k)                                                          \
    ((struct pf_cbpf_insn){(uint16_t)(c), t, f, (uint32_t)(k)})
#define LD_W_ABS 0x20
#define LD_H_ABS 0x28
#define LD_B_ABS 0x30
#define LD_W_IND 0x40
#define LD_H_IND 0x48
#define LD_IMM 0x00
#define LD_LEN 0x80
#define LD_MEM 0x60
#define LDX_IMM 0x01
#define ALU_DIV_X 0x3c
#define ALU_MOD_X 0x9c
#define ALU_LSH_X 0x6c
#define ALU_RSH_X 0x7c
#define ALU_ADD_K 0x04
#define ALU_SUB_K 0x14
#define ALU_NEG 0x84
#define JA 0x05
#define JEQ_K 0x15
#define JGT_K 0x25
#define JSET_K 0x45
#define RET_K 0x06
#define RET_A 0x16
#define TAX 0x07
#define TXA 0x87
#define ST 0x02
#define STX 0x03
#define LDX_MEM 0x61
#define LDX_MSH 0xb1
#define JEQ_X 0x1d

static int kernel_ok;

struct sem_case {
    const char *name;
    struct pf_cbpf_insn insns[8];
    size_t len;
    uint32_t caplen, wirelen;
    uint32_t want;
};

static struct pf_ebpf_prog translate_ok(const struct pf_cbpf_insn *insns,
                                        size_t len,
                                        enum pf_translate_target t)
{
    struct pf_translate_opts o = {.sz = sizeof(o), .target = t,
                                  .len_from = PF_TRANSLATE_LEN_CB0};
    struct pf_ebpf_prog prog;
    struct pf_error e;

    pf_error_init(&e);
    if (pf_translate(insns, len, &o, &prog, &e)) {
        print_error("translate: %s\n", e.msg);
        fail();
    }
    return prog;
}

static uint32_t run_kernel(const struct pf_cbpf_insn *insns, size_t len,
                           enum pf_translate_target t, const uint8_t *pkt,
                           uint32_t caplen,
                           const struct pf_ebpf_kernel_run_opts *ro)
{
    struct pf_ebpf_prog prog = translate_ok(insns, len, t);
    enum pf_ebpf_kernel_type kt = t == PF_TRANSLATE_XDP
                                      ? PF_EBPF_KERNEL_XDP
                                      : PF_EBPF_KERNEL_SOCKET;
    uint32_t r = 0;
    int fd;

    assert_int_equal(pf_ebpf_kernel_load(prog.insns, prog.len, kt, NULL, 0,
                                         &fd, NULL), 0);
    assert_int_equal(pf_ebpf_kernel_test_run(fd, kt, pkt, caplen, ro, &r,
                                             NULL, NULL), 0);
    pf_ebpf_kernel_close(fd);
    free(prog.insns);
    return r;
}

static void run_case(const struct sem_case *c, const uint8_t *pkt)
{
    struct pf_ebpf_prog prog = translate_ok(c->insns, c->len,
                                            PF_TRANSLATE_USER);
    struct pf_ebpf_kernel_run_opts ro = {.sz = sizeof(ro)};
    struct pf_ebpf_vm *vm;

    print_message("  %s\n", c->name);
    assert_int_equal(pf_cbpf_run(c->insns, c->len, pkt, c->wirelen,
                                 c->caplen, NULL), c->want);
    assert_int_equal(pf_ebpf_vm_new(prog.insns, prog.len, PF_EBPF_PROG_FILTER,
                                    &vm, NULL), 0);
    assert_int_equal((uint32_t)pf_ebpf_vm_run_interp(vm, pkt, c->caplen,
                                                     c->wirelen), c->want);
    pf_ebpf_vm_jit(vm, NULL);
    assert_int_equal((uint32_t)pf_ebpf_vm_run_filter(vm, pkt, c->caplen,
                                                     c->wirelen), c->want);
    pf_ebpf_vm_free(vm);
    free(prog.insns);
    if (!kernel_ok || c->caplen > PF_EBPF_KERNEL_TEST_MAX_XDP)
        return;
    ro.cb[0] = c->wirelen;
    assert_int_equal(run_kernel(c->insns, c->len, PF_TRANSLATE_SOCKET, pkt,
                                c->caplen, &ro), c->want);
    if (c->caplen == c->wirelen && c->caplen >= 14)
        assert_int_equal(run_kernel(c->insns, c->len, PF_TRANSLATE_XDP, pkt,
                                    c->caplen, NULL),
                         c->want ? 2 : 1);
}

static const struct sem_case cases[] = {
    {"div by X = 0", {I(LD_IMM, 0, 0, 10), I(LDX_IMM, 0, 0, 0),
                      I(ALU_DIV_X, 0, 0, 0), I(RET_A, 0, 0, 0)},
     4, 64, 64, 0},
    {"mod by X = 0", {I(LD_IMM, 0, 0, 10), I(LDX_IMM, 0, 0, 0),
                      I(ALU_MOD_X, 0, 0, 0), I(RET_A, 0, 0, 0)},
     4, 64, 64, 0},
    {"div by X = 3", {I(LD_IMM, 0, 0, 10), I(LDX_IMM, 0, 0, 3),
                      I(ALU_DIV_X, 0, 0, 0), I(RET_A, 0, 0, 0)},
     4, 64, 64, 3},
    {"lsh by X = 32", {I(LD_IMM, 0, 0, 1), I(LDX_IMM, 0, 0, 32),
                       I(ALU_LSH_X, 0, 0, 0), I(RET_A, 0, 0, 0)},
     4, 64, 64, 0},
    {"lsh by X = 31", {I(LD_IMM, 0, 0, 1), I(LDX_IMM, 0, 0, 31),
                       I(ALU_LSH_X, 0, 0, 0), I(RET_A, 0, 0, 0)},
     4, 64, 64, 0x80000000u},
    {"rsh by X = 0xffffffff", {I(LD_IMM, 0, 0, -1), I(LDX_IMM, 0, 0, -1),
                               I(ALU_RSH_X, 0, 0, 0), I(RET_A, 0, 0, 0)},
     4, 64, 64, 0},
    {"M[3] read before written", {I(LD_MEM, 0, 0, 3), I(ALU_ADD_K, 0, 0, 7),
                                  I(RET_A, 0, 0, 0)},
     3, 64, 64, 7},
    {"X + k past 2^32", {I(LDX_IMM, 0, 0, -1), I(LD_W_IND, 0, 0, 2),
                         I(RET_K, 0, 0, 1)},
     3, 64, 64, 0},
    {"ld [x + 0] ends at caplen", {I(LDX_IMM, 0, 0, 16), I(LD_W_IND, 0, 0, 0),
                                   I(RET_A, 0, 0, 0)},
     3, 20, 20, 0x10111213},
    {"ld [x + 0] one past caplen", {I(LDX_IMM, 0, 0, 17),
                                    I(LD_W_IND, 0, 0, 0), I(RET_K, 0, 0, 9)},
     3, 20, 20, 0},
    {"ldh [39000] (offset beyond 16 bits)", {I(LD_H_ABS, 0, 0, 39000),
                                             I(RET_A, 0, 0, 0)},
     2, 40000, 40000, (39000 & 0xff) << 8 | (39001 & 0xff)},
    {"ldh [x + 39000]", {I(LDX_IMM, 0, 0, 1), I(LD_H_IND, 0, 0, 38999),
                         I(RET_A, 0, 0, 0)},
     3, 40000, 40000, (39000 & 0xff) << 8 | (39001 & 0xff)},
    {"ldb [k] past caplen", {I(LD_B_ABS, 0, 0, 20), I(RET_K, 0, 0, 5)},
     2, 20, 100, 0},
    {"len is the wire length", {I(LD_LEN, 0, 0, 0), I(RET_A, 0, 0, 0)},
     2, 60, 1000, 1000},
    {"neg", {I(LD_IMM, 0, 0, 5), I(ALU_NEG, 0, 0, 0), I(RET_A, 0, 0, 0)},
     3, 64, 64, 0xfffffffbu},
    {"jset, true branch next", {I(LD_IMM, 0, 0, 6), I(JSET_K, 0, 1, 1),
                                I(RET_K, 0, 0, 10), I(RET_K, 0, 0, 20)},
     4, 64, 64, 20},
    {"unsigned jgt above 2^31", {I(LD_IMM, 0, 0, 0x90000000u),
                                 I(JGT_K, 0, 1, 0x80000000u),
                                 I(RET_K, 0, 0, 1), I(RET_K, 0, 0, 2)},
     4, 64, 64, 1},
    {"ret 0xffffffff", {I(RET_K, 0, 0, 0xffffffffu)}, 1, 64, 64,
     0xffffffffu},
    {"ld [0x7ffffffe] never fits", {I(LD_W_ABS, 0, 0, 0x7ffffffe),
                                    I(RET_K, 0, 0, 1)},
     2, 64, 64, 0},
};

/* Network-order ("raw") loads compared with byte-swapped constants, the
 * uses that must keep host order, A and X read before written, and the
 * indirect-load forms by what is known of X. pkt[i] = i, so ldh [12] is
 * 0x0c0d and ld [12] 0x0c0d0e0f. */
static const struct sem_case raw_cases[] = {
    {"ldh == k", {I(LD_H_ABS, 0, 0, 12), I(JEQ_K, 0, 1, 0x0c0d),
                  I(RET_K, 0, 0, 1), I(RET_K, 0, 0, 2)}, 4, 64, 64, 1},
    {"ldh == swapped k is false", {I(LD_H_ABS, 0, 0, 12),
                                   I(JEQ_K, 0, 1, 0x0d0c),
                                   I(RET_K, 0, 0, 1), I(RET_K, 0, 0, 2)},
     4, 64, 64, 2},
    {"ldh == k above 0xffff", {I(LD_H_ABS, 0, 0, 12),
                               I(JEQ_K, 0, 1, 0x10c0d), I(RET_K, 0, 0, 1),
                               I(RET_K, 0, 0, 2)}, 4, 64, 64, 2},
    {"ldh jset low bit", {I(LD_H_ABS, 0, 0, 12), I(JSET_K, 0, 1, 0x0001),
                          I(RET_K, 0, 0, 1), I(RET_K, 0, 0, 2)}, 4, 64, 64, 1},
    {"ldh jset high byte set", {I(LD_H_ABS, 0, 0, 12),
                                I(JSET_K, 0, 1, 0x0400), I(RET_K, 0, 0, 1),
                                I(RET_K, 0, 0, 2)}, 4, 64, 64, 1},
    {"ldh jset high byte clear", {I(LD_H_ABS, 0, 0, 12),
                                  I(JSET_K, 0, 1, 0x0200), I(RET_K, 0, 0, 1),
                                  I(RET_K, 0, 0, 2)}, 4, 64, 64, 2},
    {"ldh jset bits above 16", {I(LD_H_ABS, 0, 0, 12),
                                I(JSET_K, 0, 1, 0xffff0000u),
                                I(RET_K, 0, 0, 1), I(RET_K, 0, 0, 2)},
     4, 64, 64, 2},
    {"ld == k", {I(LD_W_ABS, 0, 0, 12), I(JEQ_K, 0, 1, 0x0c0d0e0f),
                 I(RET_K, 0, 0, 1), I(RET_K, 0, 0, 2)}, 4, 64, 64, 1},
    {"ld jset set", {I(LD_W_ABS, 0, 0, 12), I(JSET_K, 0, 1, 0x200),
                     I(RET_K, 0, 0, 1), I(RET_K, 0, 0, 2)}, 4, 64, 64, 1},
    {"ld jset clear", {I(LD_W_ABS, 0, 0, 12), I(JSET_K, 0, 1, 0x100),
                       I(RET_K, 0, 0, 1), I(RET_K, 0, 0, 2)}, 4, 64, 64, 2},
    {"ldh, jeq, then add", {I(LD_H_ABS, 0, 0, 12), I(JEQ_K, 0, 1, 0x0c0d),
                            I(ALU_ADD_K, 0, 0, 1), I(RET_A, 0, 0, 0)},
     4, 64, 64, 0x0c0e},
    {"ldh, jgt", {I(LD_H_ABS, 0, 0, 12), I(JGT_K, 0, 1, 0x0d00),
                  I(RET_K, 0, 0, 1), I(RET_K, 0, 0, 2)}, 4, 64, 64, 2},
    {"ldh, jeq, ret A", {I(LD_H_ABS, 0, 0, 12), I(JEQ_K, 0, 1, 0x0c0d),
                         I(RET_A, 0, 0, 0), I(RET_K, 0, 0, 2)},
     4, 64, 64, 0x0c0d},
    {"ldh, jeq, st, ld M[]", {I(LD_H_ABS, 0, 0, 12), I(JEQ_K, 0, 3, 0x0c0d),
                              I(ST, 0, 0, 1), I(LD_MEM, 0, 0, 1),
                              I(RET_A, 0, 0, 0), I(RET_K, 0, 0, 9)},
     6, 64, 64, 0x0c0d},
    {"ldh, jeq, tax, txa", {I(LD_H_ABS, 0, 0, 12), I(JEQ_K, 0, 3, 0x0c0d),
                            I(TAX, 0, 0, 0), I(TXA, 0, 0, 0),
                            I(RET_A, 0, 0, 0), I(RET_K, 0, 0, 9)},
     6, 64, 64, 0x0c0d},
    {"ldh, jeq x", {I(LD_H_ABS, 0, 0, 12), I(LDX_IMM, 0, 0, 0x0c0d),
                    I(JEQ_X, 0, 1, 0), I(RET_K, 0, 0, 1), I(RET_K, 0, 0, 2)},
     5, 64, 64, 1},
    {"ldh and ld #k reach one jeq (load path)",
     {I(LD_B_ABS, 0, 0, 0), I(JEQ_K, 0, 2, 0), I(LD_H_ABS, 0, 0, 12),
      I(JA, 0, 0, 1), I(LD_IMM, 0, 0, 0x0d0c), I(JEQ_K, 0, 1, 0x0c0d),
      I(RET_K, 0, 0, 1), I(RET_K, 0, 0, 2)}, 8, 64, 64, 1},
    {"ldh and ld #k reach one jeq (imm path)",
     {I(LD_B_ABS, 0, 0, 1), I(JEQ_K, 0, 2, 0), I(LD_H_ABS, 0, 0, 12),
      I(JA, 0, 0, 1), I(LD_IMM, 0, 0, 0x0d0c), I(JEQ_K, 0, 1, 0x0c0d),
      I(RET_K, 0, 0, 1), I(RET_K, 0, 0, 2)}, 8, 64, 64, 2},
    {"ldh and ld reach one jeq",
     {I(LD_B_ABS, 0, 0, 1), I(JEQ_K, 0, 2, 0), I(LD_H_ABS, 0, 0, 12),
      I(JA, 0, 0, 1), I(LD_W_ABS, 0, 0, 12), I(JEQ_K, 0, 1, 0x0c0d0e0f),
      I(RET_K, 0, 0, 1), I(RET_K, 0, 0, 2)}, 8, 64, 64, 1},
    {"ldh [x + k] == k", {I(LDX_IMM, 0, 0, 2), I(LD_H_IND, 0, 0, 10),
                          I(JEQ_K, 0, 1, 0x0c0d), I(RET_K, 0, 0, 1),
                          I(RET_K, 0, 0, 2)}, 5, 64, 64, 1},
    {"A read before written", {I(JEQ_K, 0, 1, 0), I(RET_K, 0, 0, 1),
                               I(RET_K, 0, 0, 2)}, 3, 64, 64, 1},
    {"X read before written", {I(TXA, 0, 0, 0), I(JEQ_K, 0, 1, 0),
                               I(RET_K, 0, 0, 1), I(RET_K, 0, 0, 2)},
     4, 64, 64, 1},
    {"ldh [x + 12], X never written", {I(LD_H_IND, 0, 0, 12),
                                       I(RET_A, 0, 0, 0)}, 2, 64, 64, 0x0c0d},
    {"ldxb msh, ldh [x + 16] in bounds", {I(LDX_MSH, 0, 0, 14),
                                          I(LD_H_IND, 0, 0, 16),
                                          I(RET_A, 0, 0, 0)},
     3, 74, 74, 0x4849},
    {"ldxb msh, ldh [x + 16] one past", {I(LDX_MSH, 0, 0, 14),
                                         I(LD_H_IND, 0, 0, 16),
                                         I(RET_K, 0, 0, 7)}, 3, 73, 73, 0},
    {"ldxb msh, ldh [x + 16] == k", {I(LDX_MSH, 0, 0, 14),
                                     I(LD_H_IND, 0, 0, 16),
                                     I(JEQ_K, 0, 1, 0x4849),
                                     I(RET_K, 0, 0, 1), I(RET_K, 0, 0, 2)},
     5, 74, 74, 1},
    {"X from M[], ldh [x + 9]", {I(LDX_IMM, 0, 0, 3), I(STX, 0, 0, 0),
                                 I(LDX_MEM, 0, 0, 0), I(LD_H_IND, 0, 0, 9),
                                 I(RET_A, 0, 0, 0)}, 5, 64, 64, 0x0c0d},
    {"X from tax, ld [x + 10]", {I(LD_IMM, 0, 0, 2), I(TAX, 0, 0, 0),
                                 I(LD_W_IND, 0, 0, 10), I(RET_A, 0, 0, 0)},
     4, 64, 64, 0x0c0d0e0f},
    /* The kernel links A and X after txa; on the (infeasible) A != X path
     * it narrows A by sub/jset and carries that to X, losing X <= 60: the
     * XDP translation must bound X itself (found by diff_fourway, seed
     * 1795338647). */
    {"ld [x + 35] after X's copy was narrowed",
     {I(LDX_MSH, 0, 0, 13), I(TXA, 0, 0, 0), I(JEQ_X, 4, 0, 0),
      I(ALU_SUB_K, 0, 0, 26), I(JSET_K, 2, 0, 0x7c), I(LD_W_IND, 0, 0, 35),
      I(RET_A, 0, 0, 0), I(RET_K, 0, 0, 1)},
     8, 64, 64, 1},
};

static void test_semantics(void **state)
{
    static uint8_t pkt[40000];

    (void)state;
    for (size_t i = 0; i < sizeof(pkt); i++)
        pkt[i] = (uint8_t)i;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        run_case(&cases[i], pkt);
}

static void test_raw_semantics(void **state)
{
    static uint8_t pkt[256];

    (void)state;
    for (size_t i = 0; i < sizeof(pkt); i++)
        pkt[i] = (uint8_t)i;
    for (size_t i = 0; i < sizeof(raw_cases) / sizeof(raw_cases[0]); i++)
        run_case(&raw_cases[i], pkt);
}

/* Instructions of @p (user translation of raw_cases[@c]) with @code,
 * and with @code and destination @dst when @dst >= 0. */
static size_t count_code(size_t c, uint8_t code, int dst)
{
    struct pf_ebpf_prog p = translate_ok(raw_cases[c].insns,
                                         raw_cases[c].len, PF_TRANSLATE_USER);
    size_t n = 0;

    for (size_t i = 0; i < p.len; i++)
        n += p.insns[i].code == code && (dst < 0 || p.insns[i].dst_reg == dst);
    free(p.insns);
    return n;
}

/* Does the user translation of raw_cases[@c] start with `w@r = 0`? */
static int starts_zeroing(size_t c, int r)
{
    struct pf_ebpf_prog p = translate_ok(raw_cases[c].insns,
                                         raw_cases[c].len, PF_TRANSLATE_USER);
    int z = p.len > 0 &&
            p.insns[0].code == (PF_EBPF_ALU | PF_EBPF_MOV | PF_EBPF_K) &&
            p.insns[0].dst_reg == r && p.insns[0].imm == 0;

    free(p.insns);
    return z;
}

static size_t case_index(const char *name)
{
    for (size_t i = 0; i < sizeof(raw_cases) / sizeof(raw_cases[0]); i++)
        if (strcmp(raw_cases[i].name, name) == 0)
            return i;
    fail_msg("no case %s", name);
    return 0;
}

/* The shapes the rules promise: no byte swap where only jeq/jset see the
 * value, one where anything else does; no A/X zeroing unless read first;
 * no overflow check on X + k when X comes from ldxb msh or a constant. */
static void test_raw_shapes(void **state)
{
    const uint8_t be = PF_EBPF_ALU | PF_EBPF_END | PF_EBPF_TO_BE;
    const uint8_t mov = PF_EBPF_ALU | PF_EBPF_MOV | PF_EBPF_K;
    const uint8_t jgt = PF_EBPF_JMP | PF_EBPF_JGT | PF_EBPF_K;
    static const char *const none[] = {
        "ldh == k", "ldh jset bits above 16", "ld == k", "ld jset set",
        "ldh [x + k] == k", "ldxb msh, ldh [x + 16] == k"};
    static const char *const one[] = {
        "ldh, jeq, then add", "ldh, jgt", "ldh, jeq, ret A",
        "ldh, jeq, st, ld M[]", "ldh, jeq, tax, txa", "ldh, jeq x",
        "ldh and ld #k reach one jeq (load path)",
        "ldxb msh, ldh [x + 16] in bounds"};

    (void)state;
    for (size_t i = 0; i < sizeof(none) / sizeof(none[0]); i++)
        assert_int_equal(count_code(case_index(none[i]), be, -1), 0);
    for (size_t i = 0; i < sizeof(one) / sizeof(one[0]); i++)
        assert_int_equal(count_code(case_index(one[i]), be, -1), 1);
    /* ldh and ld meet at one jeq: both keep host order */
    assert_int_equal(count_code(case_index("ldh and ld reach one jeq"), be,
                                -1), 2);
    /* w0 = 0 / w7 = 0 only when read before written */
    assert_int_equal(count_code(case_index("ldh == k"), mov, PF_EBPF_R7), 0);
    assert_false(starts_zeroing(case_index("ldh, jeq, then add"),
                                PF_EBPF_R0));
    assert_int_equal(count_code(case_index("A read before written"), mov,
                                PF_EBPF_R7), 0);
    assert_true(starts_zeroing(case_index("A read before written"),
                               PF_EBPF_R0));
    assert_int_equal(count_code(case_index("X read before written"), mov,
                                PF_EBPF_R7), 1);
    /* the `if r4 > limit` overflow check only for X of unknown range */
    assert_int_equal(count_code(case_index("ldxb msh, ldh [x + 16] in bounds"),
                                jgt, PF_EBPF_R4), 0);
    assert_int_equal(count_code(case_index("ldh [x + k] == k"), jgt,
                                PF_EBPF_R4), 0);
    assert_int_equal(count_code(case_index("X from M[], ldh [x + 9]"), jgt,
                                PF_EBPF_R4), 1);
    assert_int_equal(count_code(case_index("X from tax, ld [x + 10]"), jgt,
                                PF_EBPF_R4), 1);
}

/* Ancillary loads in the kernel equal pf_cbpf_run given the same
 * metadata (the test run's skb: loopback, PACKET_HOST, our mark). */
static void test_ancillary_kernel(void **state)
{
    const struct pf_cbpf_meta meta = {.protocol = 0x88b5, .ifindex = 1,
                                      .mark = 1234, .pkttype = 0};
    static const uint32_t offs[] = {0, 4, 8, 20, 48};
    struct pf_ebpf_kernel_run_opts ro = {.sz = sizeof(ro), .mark = 1234};
    uint8_t pkt[64] = {0};

    (void)state;
    if (!kernel_ok)
        skip();
    for (size_t i = 0; i < sizeof(offs) / sizeof(offs[0]); i++) {
        struct pf_cbpf_insn p[] = {I(LD_W_ABS, 0, 0, 0xfffff000u + offs[i]),
                                   I(ALU_ADD_K, 0, 0, 1), I(RET_A, 0, 0, 0)};
        uint32_t want = pf_cbpf_run(p, 3, pkt, 64, 64, &meta);

        assert_int_not_equal(want, 0);
        assert_int_equal(run_kernel(p, 3, PF_TRANSLATE_SOCKET, pkt, 64, &ro),
                         want);
        /* no metadata in the user target: libpcap's "out of bounds" */
        assert_int_equal(pf_cbpf_run(p, 3, pkt, 64, 64, NULL), 0);
    }
    {
        struct pf_cbpf_insn x[] = {I(LDX_IMM, 0, 0, 5), I(LD_IMM, 0, 0, 3),
                                   I(LD_W_ABS, 0, 0, 0xfffff028u),
                                   I(RET_A, 0, 0, 0)};
        assert_int_equal(run_kernel(x, 4, PF_TRANSLATE_SOCKET, pkt, 64, &ro),
                         6);
    }
}

static void expect_refusal(const struct pf_cbpf_insn *insns, size_t len,
                           enum pf_translate_target t, int rc, int stage,
                           int code, long insn)
{
    struct pf_translate_opts o = {.sz = sizeof(o), .target = t};
    struct pf_ebpf_prog prog = {NULL, 0};
    struct pf_error e;

    pf_error_init(&e);
    assert_int_equal(pf_translate(insns, len, &o, &prog, &e), rc);
    assert_int_equal(e.stage, stage);
    assert_int_equal(e.code, code);
    assert_int_equal(e.insn, insn);
    assert_true(e.msg[0] != '\0');
    assert_null(prog.insns);
}

static void test_refusals(void **state)
{
    const struct pf_cbpf_insn loop[] = {I(LD_IMM, 0, 0, 1),
                                        I(JEQ_K, 0, 1, 1),
                                        I(JA, 0, 0, -3), I(RET_K, 0, 0, 0)};
    const struct pf_cbpf_insn noret[] = {I(LD_IMM, 0, 0, 1)};
    const struct pf_cbpf_insn hatype[] = {I(LD_W_ABS, 0, 0, 0xfffff01cu),
                                          I(RET_A, 0, 0, 0)};
    struct pf_translate_opts bad = {.sz = sizeof(bad), .target = 9};
    struct pf_ebpf_prog prog;
    struct pf_error e;

    (void)state;
    for (int t = 0; t < 3; t++)
        expect_refusal(loop, 4, t, -ENOTSUP, PF_STAGE_TRANSLATE,
                       PF_TRANSLATE_ERR_BACKWARD_JUMP, 2);
    expect_refusal(noret, 1, PF_TRANSLATE_USER, -EINVAL, PF_STAGE_CBPF,
                   PF_CBPF_RULE_NO_RET, 0);
    expect_refusal(hatype, 2, PF_TRANSLATE_SOCKET, -ENOTSUP,
                   PF_STAGE_TRANSLATE, PF_TRANSLATE_ERR_ANCILLARY, 0);
    pf_error_init(&e);
    assert_int_equal(pf_translate(hatype, 2, &bad, &prog, &e), -EINVAL);
    assert_int_equal(e.code, PF_TRANSLATE_ERR_OPTS);
    bad.sz = 4;
    pf_error_init(&e);
    assert_int_equal(pf_translate(hatype, 2, &bad, &prog, &e), -EINVAL);
}

/* A forward jump over 4000 indirect loads needs more than 16 bits: the
 * user translation reaches it with gotol and keeps the verdicts. */
static void test_long_jump(void **state)
{
    size_t n = 6004, ngotol = 0; /* 6000 loads of 6 eBPF insns: > 2^15 */
    struct pf_cbpf_insn *p = calloc(n, sizeof(*p));
    uint8_t *pkt = calloc(1, 8192);
    struct pf_ebpf_prog prog;
    struct pf_ebpf_vm *vm;

    (void)state;
    assert_non_null(p);
    assert_non_null(pkt);
    p[0] = I(JEQ_K, 0, 1, 0);          /* A = 0: to insn 1 */
    p[1] = I(JA, 0, 0, (uint32_t)(n - 3)); /* to the last ret */
    for (size_t i = 2; i < n - 1; i++)
        p[i] = I(LD_W_IND, 0, 0, i);
    p[n - 1] = I(RET_K, 0, 0, 1);
    prog = translate_ok(p, n, PF_TRANSLATE_USER);
    for (size_t i = 0; i < prog.len; i++)
        ngotol += prog.insns[i].code == (PF_EBPF_JMP32 | PF_EBPF_JA);
    assert_true(ngotol > 0);
    assert_int_equal(pf_ebpf_vm_new(prog.insns, prog.len, PF_EBPF_PROG_FILTER,
                                    &vm, NULL), 0);
    pf_ebpf_vm_jit(vm, NULL);
    for (uint32_t len = 0; len <= 8192; len += 4096) {
        assert_int_equal(pf_cbpf_run(p, n, pkt, len, len, NULL), 1);
        assert_int_equal(pf_ebpf_vm_run_interp(vm, pkt, len, len), 1);
        assert_int_equal(pf_ebpf_vm_run_filter(vm, pkt, len, len), 1);
    }
    pf_ebpf_vm_free(vm);
    free(prog.insns);
    free(pkt);
    free(p);
}

/* Packet-length checks in the user translation: compares of r2. */
static size_t count_checks(const struct pf_ebpf_prog *p)
{
    size_t n = 0;

    for (size_t i = 0; i < p->len; i++)
        n += (p->insns[i].code & 0x07) == PF_EBPF_JMP &&
             (p->insns[i].code & 0xf0) == PF_EBPF_JLT &&
             p->insns[i].dst_reg == PF_EBPF_R2;
    return n;
}

/* Most packet-length checks (or constant-offset loads, @cbpf) on one path
 * through the program: what a packet pays at worst. */
static size_t path_max(const void *prog, size_t len, int cbpf)
{
    size_t *best = calloc(len + 1, sizeof(*best)), m;

    assert_non_null(best);
    for (size_t i = len; i-- > 0;) {
        size_t s1 = i + 1, s2 = i + 1, here;

        if (cbpf) {
            const struct pf_cbpf_insn *c =
                (const struct pf_cbpf_insn *)prog + i;

            here = c->code == LD_W_ABS || c->code == LD_H_ABS ||
                   c->code == LD_B_ABS || c->code == 0xb1;
            if ((c->code & 7) == 6)
                s1 = s2 = len;
            else if (c->code == JA)
                s1 = s2 = i + 1 + c->k;
            else if ((c->code & 7) == 5)
                s1 += c->jt, s2 += c->jf;
        } else {
            const struct pf_ebpf_insn *e =
                (const struct pf_ebpf_insn *)prog + i;
            struct pf_ebpf_prog one = {(struct pf_ebpf_insn *)e, 1};

            here = count_checks(&one);
            if (e->code == (PF_EBPF_JMP | PF_EBPF_EXIT))
                s1 = s2 = len;
            else if (e->code == (PF_EBPF_JMP | PF_EBPF_JA))
                s1 = s2 = i + 1 + (size_t)e->off;
            else if ((e->code & 7) == PF_EBPF_JMP ||
                     (e->code & 7) == PF_EBPF_JMP32)
                s2 = i + 1 + (size_t)e->off;
        }
        best[i] = here + (best[s1] > best[s2] ? best[s1] : best[s2]);
    }
    m = best[0];
    free(best);
    return m;
}

static size_t count_const_loads(const struct pf_cbpf_insn *p, size_t len)
{
    size_t n = 0;

    for (size_t i = 0; i < len; i++)
        n += p[i].code == LD_W_ABS || p[i].code == LD_H_ABS ||
             p[i].code == LD_B_ABS || p[i].code == 0xb1;
    return n;
}

static void test_hoisting(void **state)
{
    struct trt_prog tp;
    struct pf_ebpf_prog prog;
    struct trt_prog *all;
    size_t skipped, n, checks = 0, loads = 0, path_checks = 0, path_loads = 0;

    (void)state;
    assert_int_equal(trt_compile(1, "ip and udp", &tp), 0);
    prog = translate_ok(tp.insns, tp.len, PF_TRANSLATE_USER);
    assert_int_equal(count_checks(&prog), 1); /* 3 loads, 1 check */
    free(prog.insns);
    free(tp.insns);
    assert_int_equal(trt_compile(1, "tcp port 80", &tp), 0);
    prog = translate_ok(tp.insns, tp.len, PF_TRANSLATE_USER);
    assert_true(count_checks(&prog) <= 3); /* 11 constant-offset loads */
    free(prog.insns);
    free(tp.insns);
    n = trt_load_exprs(1, &all, &skipped);
    for (size_t i = 0; i < n; i++) {
        struct pf_translate_opts o = {.sz = sizeof(o)};

        if (pf_translate(all[i].insns, all[i].len, &o, &prog, NULL))
            continue; /* protochain */
        checks += count_checks(&prog);
        loads += count_const_loads(all[i].insns, all[i].len);
        path_checks += path_max(prog.insns, prog.len, 0);
        path_loads += path_max(all[i].insns, all[i].len, 1);
        free(prog.insns);
    }
    printf("hoisting: %zu EN10MB programs: %zu constant-offset loads, %zu "
           "length checks in all; on the longest path %.2f loads and %.2f "
           "checks per program\n", n, loads, checks,
           (double)path_loads / (double)n, (double)path_checks / (double)n);
    assert_true(checks * 2 < loads);
    assert_true(path_checks * 3 < path_loads * 2);
    trt_free_progs(all, n);
}

/* Mutated programs (often invalid): an error with a reason, or a
 * translation that pfcap's verifier accepts; never a crash. */
static void test_mutated(void **state)
{
    uint64_t rng = trt_seed("test_translate mutated");
    struct pf_cbpf_insn p[40];
    size_t ok = 0, refused = 0;

    (void)state;
    for (int r = 0; r < 3000; r++) {
        size_t len = trt_random_prog(&rng, p, 40), at = trt_rand(&rng) % len;
        struct pf_translate_opts o = {.sz = sizeof(o),
                                      .target = (enum pf_translate_target)(
                                          trt_rand(&rng) % 3)};
        struct pf_ebpf_prog prog;
        struct pf_error e;

        switch (trt_rand(&rng) % 4) {
        case 0: p[at].code = (uint16_t)trt_rand(&rng); break;
        case 1: p[at].jt = (uint8_t)trt_rand(&rng); break;
        case 2: p[at].k = (uint32_t)trt_rand(&rng); break;
        default: len = at + 1; break;
        }
        pf_error_init(&e);
        if (pf_translate(p, len, &o, &prog, &e) == 0) {
            if (o.target == PF_TRANSLATE_USER)
                assert_int_equal(pf_ebpf_verify(prog.insns, prog.len,
                                                 PF_EBPF_PROG_FILTER, &e), 0);
            free(prog.insns);
            ok++;
        } else {
            assert_true(e.err < 0 && e.msg[0] && e.insn >= 0);
            refused++;
        }
    }
    printf("mutated: %zu translated, %zu refused with a reason\n", ok,
           refused);
    assert_true(ok > 100 && refused > 100);
}

static void test_names(void **state)
{
    enum pf_translate_target t;

    (void)state;
    assert_string_equal(pf_translate_target_name(PF_TRANSLATE_XDP), "xdp");
    assert_null(pf_translate_target_name(7));
    assert_int_equal(pf_translate_target_from_name("socket", &t), 0);
    assert_int_equal(t, PF_TRANSLATE_SOCKET);
    assert_int_equal(pf_translate_target_from_name("tc", &t), -EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_semantics),
        cmocka_unit_test(test_raw_semantics),
        cmocka_unit_test(test_raw_shapes),
        cmocka_unit_test(test_ancillary_kernel),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_long_jump),
        cmocka_unit_test(test_hoisting),
        cmocka_unit_test(test_mutated),
    };

    kernel_ok = pf_ebpf_kernel_probe(NULL) == 0;
    if (!kernel_ok)
        fprintf(stderr, "*** test_translate: bpf() is not permitted here; "
                        "the kernel legs are SKIPPED ***\n");
    return cmocka_run_group_tests(tests, NULL, NULL);
}
