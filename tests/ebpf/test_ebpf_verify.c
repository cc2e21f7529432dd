/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Verifier tests: one refusal per rule of PF_EBPF_RULES with the expected
 * instruction index, and the program shapes the verifier must accept
 * (bounds checks against caplen with constants, variable offsets proven
 * through a compared scalar, packet-end pointers, JMP32 compares, spills,
 * socket programs with LD_ABS, context fields and skb_load_bytes) with
 * their results checked in both engines.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "ebpf_harness.h"

#define F PF_EBPF_PROG_FILTER
#define S PF_EBPF_PROG_SOCKET
#define R(name) PF_EBPF_RULE_##name

/* Assembles @text; fails the test on a syntax error. */
static struct pf_ebpf_insn *assemble(const char *text, size_t *n)
{
    struct pf_ebpf_insn *p = NULL;
    struct pf_error e;

    pf_error_init(&e);
    if (pf_ebpf_asm(text, &p, n, &e)) {
        print_error("asm %d:%d: %s\n", e.line, e.col, e.msg);
        fail();
    }
    return p;
}

struct refusal {
    const char *text;
    enum pf_ebpf_prog_type type;
    int rule;
    long insn;
};

static const struct refusal refusals[] = {
    {"r0 = 0\nexit\nexit\n", F, R(UNREACHABLE), 2},
    {"r0 = 0\n", F, R(FALL_OFF), 0},
    {"r0 = 0\nif r0 == 0 goto +1\nexit\n", F, R(JUMP_RANGE), 1},
    {"r0 = 0\nif r3 == 0 goto -2\nexit\n", F, R(BACK_EDGE), 1},
    {"r0 = 0\ngoto -1\nexit\n", F, R(BACK_EDGE), 1},
    {"if r3 == 0 goto +1\nr0 = 1 ll\nexit\n", F, R(JUMP_INTO_IMM64), 0},
    {"r0 = 0\nr0 = 0x100000000 ll\n", F, R(FALL_OFF), 1},
    {"r0 = r4\nexit\n", F, R(UNINIT_REG), 0},
    {"r0 += 1\nexit\n", F, R(UNINIT_REG), 0},
    {"exit\n", F, R(RET_UNINIT), 0},
    {"r0 = r1\nexit\n", F, R(RET_POINTER), 1},
    {"r10 = 0\nr0 = 0\nexit\n", F, R(WRITE_R10), 0},
    {"r0 = 1\nr0 <<= 64\nexit\n", F, R(SHIFT_RANGE), 1},
    {"w0 = 1\nw0 s>>= 32\nexit\n", F, R(SHIFT_RANGE), 1},
    {"r0 = 1\nr0 /= 0\nexit\n", F, R(BAD_IMM), 1},
    {"r1 *= 2\nr0 = 0\nexit\n", F, R(PTR_ARITH), 0},
    {"w1 += 2\nr0 = 0\nexit\n", F, R(PTR_ARITH), 0},
    {"r1 += r3\nr1 += r3\nr0 = 0\nexit\n", F, R(PTR_ARITH), 1},
    {"r4 = *(u64 *)(r10 - 8)\nr0 = 0\nexit\n", F, R(STACK_UNINIT), 0},
    {"*(u32 *)(r10 - 8) = 1\nr0 = *(u64 *)(r10 - 8)\nexit\n", F,
     R(STACK_UNINIT), 1},
    {"r0 = 0\nif r1 == 0 goto +0\nexit\n", F, R(PTR_COMPARE), 1},
    {"r0 = 0\nif r3 > r1 goto +0\nexit\n", F, R(PTR_COMPARE), 1},
    {"*(u32 *)(r10 - 8) = r1\nr0 = 0\nexit\n", F, R(PTR_LEAK), 0},
    {"r0 = *(u8 *)(r3 + 0)\nexit\n", F, R(BAD_MEM_BASE), 0},
    {"*(u8 *)(r1 + 0) = 1\nr0 = 0\nexit\n", F, R(PKT_WRITE), 0},
    {"r0 = *(u8 *)(r1 + 0)\nexit\n", F, R(PKT_RANGE), 0},
    {"r0 = 0\nif r2 < 14 goto +1\nr0 = *(u32 *)(r1 + 12)\nexit\n", F,
     R(PKT_RANGE), 2},
    {"r0 = 0\nif r2 > 14 goto +1\nr0 = *(u8 *)(r1 + 0)\nexit\n", F,
     R(PKT_RANGE), 2},
    {"r0 = 0\nif r2 < 14 goto +1\nr0 = *(u8 *)(r1 - 1)\nexit\n", F,
     R(PKT_RANGE), 2},
    {"r0 = 0\nr3 &= 0xff\nr1 += r3\nif r2 < 0x200 goto +1\n"
     "r0 = *(u8 *)(r1 + 0)\nexit\n", F, R(PKT_VAR_RANGE), 4},
    {"r0 = 0\nr1 += r2\nr0 = *(u8 *)(r1 + 0)\nexit\n", F,
     R(PKT_VAR_RANGE), 2},
    {"r0 = 0\n*(u64 *)(r10 + 0) = 1\nexit\n", F, R(STACK_RANGE), 1},
    {"r0 = 0\n*(u8 *)(r10 - 513) = 1\nexit\n", F, R(STACK_RANGE), 1},
    {"r0 = 0\n*(u32 *)(r10 - 6) = 1\nexit\n", F, R(STACK_ALIGN), 1},
    {"r0 = 0\nr4 = r10\nr4 += r3\nexit\n", F, R(STACK_VAR), 2},
    {"r0 = *(u32 *)(r1 + 76)\nexit\n", S, R(CTX_ACCESS), 0},
    {"r0 = *(u64 *)(r1 + 0)\nexit\n", S, R(CTX_ACCESS), 0},
    {"r0 = 0\n*(u32 *)(r1 + 0) = 1\nexit\n", S, R(CTX_WRITE), 1},
    {"r0 = 0\n*(u32 *)(r1 + 48) = r1\nexit\n", S, R(PTR_LEAK), 1},
    {"r0 = 0\nlock *(u32 *)(r1 + 48) += r0\nexit\n", S, R(ATOMIC_MEM), 1},
    {"r0 = *(u8 *)skb[12]\nexit\n", F, R(LD_ABS_TYPE), 0},
    {"r0 = *(u8 *)skb[12]\nexit\n", S, R(LD_ABS_CTX), 0},
    {"r6 = r1\nr0 = *(u8 *)skb[r7 + 1]\nexit\n", S, R(UNINIT_REG), 1},
    {"r6 = r1\nr0 = *(u16 *)skb[12]\nr0 += r1\nexit\n", S, R(UNINIT_REG),
     2},
    {"call 1\nr0 = 0\nexit\n", F, R(HELPER_UNKNOWN), 0},
    {"call 26\nexit\n", F, R(HELPER_TYPE), 0},
    {"r2 = 0\nr3 = r10\nr4 = 8\ncall 26\nexit\n", S, R(HELPER_ARG), 3},
    {"r2 = 0\nr3 = r10\nr3 += -8\nr4 = 16\ncall 26\nexit\n", S,
     R(HELPER_ARG), 4},
    {"r2 = 0\nr3 = r1\nr4 = 4\ncall 26\nr0 = 0\nexit\n", S, R(HELPER_ARG),
     3},
    {"r0 = 0\ncall 7\nr0 += r1\nexit\n", F, R(UNINIT_REG), 2},
    {"*(u64 *)(r10 - 8) = r1\n*(u8 *)(r10 - 8) = 0\n"
     "r1 = *(u64 *)(r10 - 8)\nr0 = *(u8 *)(r1 + 0)\nexit\n", F,
     R(STACK_UNINIT), 2},
    {"*(u64 *)(r10 - 8) = r10\nr0 = *(u32 *)(r10 - 8)\nexit\n", F,
     R(STACK_PTR), 1},
    {"*(u64 *)(r10 - 8) = r1\nr0 = 1\nlock *(u64 *)(r10 - 8) += r0\n"
     "exit\n", F, R(STACK_PTR), 2},
};

static void test_refusals(void **state)
{
    size_t i;

    for (i = 0; i < N(refusals); i++) {
        size_t n;
        struct pf_ebpf_insn *p = assemble(refusals[i].text, &n);

        expect_refusal(p, n, refusals[i].type, refusals[i].rule,
                       refusals[i].insn);
        free(p);
    }
}

/* Rules that text cannot express: bad fields, opcodes, registers. */
static void test_refusals_raw(void **state)
{
    struct pf_ebpf_insn p[4] = {PF_EBPF_MOV64_IMM(0, 0), PF_EBPF_EXIT()};
    struct pf_ebpf_insn *big;
    struct pf_error e;

    p[0].code = 0xff;
    expect_refusal(p, 2, F, R(BAD_OPCODE), 0);
    p[0] = PF_EBPF_MOV64_IMM(0, 0);
    p[0].dst_reg = 11;
    expect_refusal(p, 2, F, R(BAD_REG), 0);
    p[0] = PF_EBPF_MOV64_IMM(0, 0);
    p[1].imm = 1;
    expect_refusal(p, 2, F, R(RESERVED), 1);
    p[1] = PF_EBPF_EXIT();
    p[0].src_reg = 3;
    expect_refusal(p, 2, F, R(RESERVED), 0);
    p[0] = PF_EBPF_ENDIAN(PF_EBPF_TO_BE, 0, 8);
    expect_refusal(p, 2, F, R(BAD_IMM), 0);
    p[0] = PF_EBPF_MOV64_REG(0, 3);
    p[0].off = 7;
    expect_refusal(p, 2, F, R(BAD_OFF), 0);
    p[0] = PF_EBPF_ALU64_REG(PF_EBPF_DIV, 0, 3);
    p[0].off = 2;
    expect_refusal(p, 2, F, R(BAD_OFF), 0);
    p[0] = PF_EBPF_LD_IMM64(0, 1);
    p[0].src_reg = 1;
    p[1].imm = 0;
    p[2] = PF_EBPF_EXIT();
    expect_refusal(p, 3, F, R(LD_IMM64_SRC), 0);
    p[0].src_reg = 0;
    p[1].code = 0x18;
    expect_refusal(p, 3, F, R(LD_IMM64_TRUNC), 0);
    p[0] = PF_EBPF_MOV64_IMM(0, 0);
    p[1] = PF_EBPF_ATOMIC_OP(PF_EBPF_DW, 0x10, 10, 0, -8);
    p[2] = PF_EBPF_EXIT();
    expect_refusal(p, 3, F, R(ATOMIC_OP), 1);
    expect_refusal(p, 0, F, R(EMPTY), -1);
    big = calloc(PF_EBPF_MAX_INSNS + 1, sizeof(*big));
    assert_non_null(big);
    expect_refusal(big, PF_EBPF_MAX_INSNS + 1, F, R(TOO_LONG), -1);
    free(big);
    pf_error_init(&e);
    assert_int_equal(pf_ebpf_verify(p, 3, (enum pf_ebpf_prog_type)7, &e),
                     -EINVAL);
}

/* 2^k paths with distinct states: refused for complexity, quickly. */
static void test_complexity(void **state)
{
    struct pf_ebpf_insn p[128];
    struct pf_error e;
    size_t n = 0;
    int k;

    p[n++] = PF_EBPF_MOV64_IMM(0, 0);
    for (k = 0; k < 40; k++) {
        p[n++] = PF_EBPF_JMP_IMM(PF_EBPF_JSET, 3, 1 << (k % 31), 1);
        p[n++] = PF_EBPF_ALU64_IMM(PF_EBPF_ADD, 0, 1 << (k % 31));
    }
    p[n++] = PF_EBPF_EXIT();
    pf_error_init(&e);
    assert_int_equal(pf_ebpf_verify(p, n, F, &e), -EINVAL);
    assert_string_equal(pf_ebpf_rule_name(e.code), "COMPLEXITY");
    rules_seen[PF_EBPF_RULE_COMPLEXITY] = 1;
    assert_true(e.insn > 0 && (size_t)e.insn < n);
}

/* 3000 diamonds (a guarded packet load on one side, a constant on the
 * other, merging again) and a chain of 3000 tests that each may accept:
 * 2^3000 paths, accepted because states that reach a merge point covered
 * by one already verified there are cut short. */
static void test_scaling(void **state)
{
    size_t cap = 3000 * 6 + 8, n = 0;
    struct pf_ebpf_insn *p = calloc(cap, sizeof(*p));
    struct pf_error e;
    int k;

    assert_non_null(p);
    p[n++] = PF_EBPF_MOV64_IMM(0, 0);
    for (k = 0; k < 3000; k++) {
        p[n++] = PF_EBPF_JMP_IMM(PF_EBPF_JSET, 3, 1 << (k % 31), 3);
        p[n++] = PF_EBPF_JMP_IMM(PF_EBPF_JLT, 2, 14 + k % 50, 2);
        p[n++] = PF_EBPF_LDX_MEM(PF_EBPF_B, 4, 1, (int16_t)(13 + k % 50));
        p[n++] = PF_EBPF_JMP_A(1);
        p[n++] = PF_EBPF_MOV64_IMM(4, k);
        p[n++] = PF_EBPF_ALU64_REG(PF_EBPF_ADD, 0, 4);
    }
    p[n++] = PF_EBPF_EXIT();
    pf_error_init(&e);
    if (pf_ebpf_verify(p, n, F, &e))
        print_error("refused at %ld: %s\n", e.insn, e.msg);
    assert_int_equal(pf_ebpf_verify(p, n, F, &e), 0);
    n = 0;
    p[n++] = PF_EBPF_MOV64_IMM(0, 0);
    p[n++] = PF_EBPF_JMP_IMM(PF_EBPF_JLT, 2, 64, (int16_t)(3000 * 3 + 1));
    for (k = 0; k < 3000; k++) {
        p[n++] = PF_EBPF_LDX_MEM(PF_EBPF_W, 4, 1, (int16_t)(k % 60));
        p[n++] = PF_EBPF_LDX_MEM(PF_EBPF_B, 5, 1, (int16_t)(k % 63));
        p[n++] = PF_EBPF_JMP_REG(PF_EBPF_JEQ, 4, 5,
                                 (int16_t)(3 * (3000 - k - 1) + 1));
    }
    p[n++] = PF_EBPF_EXIT();
    p[n++] = PF_EBPF_MOV64_IMM(0, 0xffff);
    p[n++] = PF_EBPF_EXIT();
    assert_int_equal(pf_ebpf_verify(p, n, F, &e), 0);
    free(p);
}

/* Every rule has a name and a message. */
static void test_rule_table(void **state)
{
    int r;

    for (r = 1; r < PF_EBPF_RULE_COUNT; r++)
        assert_non_null(pf_ebpf_rule_name(r));
    assert_null(pf_ebpf_rule_name(PF_EBPF_RULE_COUNT));
    assert_null(pf_ebpf_rule_name(-1));
}

struct accept {
    const char *text;
    enum pf_ebpf_prog_type type;
    uint32_t len;  /* packet length */
    uint64_t want; /* r0 */
};

static const uint8_t pkt[64] = {
    0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb,
    0x08, 0x00, 0x45, 0x00, 0x00, 0x54, 0x12, 0x34, 0x40, 0x00, 0x40, 0x06,
    0xa1, 0xa2, 0x0a, 0x00, 0x00, 0x01, 0x0a, 0x00, 0x00, 0x02, 0x00, 0x50,
    0x1f, 0x90,
};

static const struct accept accepts[] = {
    /* constant bounds, the translator's usual shape */
    {"r0 = 0\nif r2 < 14 goto +3\nr0 = *(u16 *)(r1 + 12)\n"
     "r0 = be16 r0\nexit\nexit\n", F, 64, 0x800},
    {"r0 = 0\nif r2 < 14 goto +3\nr0 = *(u16 *)(r1 + 12)\n"
     "r0 = be16 r0\nexit\nexit\n", F, 13, 0},
    /* the same with JMP32 and reversed operands */
    {"r0 = 0\nr4 = 14\nif w4 > w2 goto +2\nr0 = *(u16 *)(r1 + 12)\nexit\n"
     "exit\n", F, 14, 0x8},
    /* the IP header length: a variable offset proven through a scalar */
    {"r0 = 0\nif r2 < 15 goto +8\nr4 = *(u8 *)(r1 + 14)\nr4 &= 0xf\n"
     "r4 <<= 2\nr5 = r4\nr5 += 18\nif r5 > r2 goto +2\nr1 += r4\n"
     "r0 = *(u16 *)(r1 + 14)\nexit\n", F, 64, 0x5000},
    {"r0 = 0\nif r2 < 15 goto +8\nr4 = *(u8 *)(r1 + 14)\nr4 &= 0xf\n"
     "r4 <<= 2\nr5 = r4\nr5 += 18\nif r5 > r2 goto +2\nr1 += r4\n"
     "r0 = *(u16 *)(r1 + 14)\nexit\n", F, 37, 0},
    /* packet-end pointer, kernel data/data_end style */
    {"r0 = 0\nr4 = r1\nr4 += r2\nr5 = r1\nr5 += 14\nif r5 > r4 goto +3\n"
     "r0 = *(u16 *)(r5 - 2)\nr3 = *(u8 *)(r4 - 1)\nr0 += r3\nexit\n", F,
     64, 8},
    {"r0 = 0\nr4 = r1\nr4 += r2\nr5 = r1\nr5 += 14\nif r5 > r4 goto +2\n"
     "r0 = *(u16 *)(r5 - 2)\nr0 = *(u8 *)(r4 - 14)\nexit\n", F, 20, 0x66},
    /* spill and fill of the packet pointer and of caplen */
    {"*(u64 *)(r10 - 8) = r1\n*(u64 *)(r10 - 16) = r2\nr1 = 0\nr2 = 0\n"
     "r1 = *(u64 *)(r10 - 8)\nr2 = *(u64 *)(r10 - 16)\nr0 = 0\n"
     "if r2 < 2 goto +1\nr0 = *(u16 *)(r1 + 0)\nexit\n", F, 64, 0x1100},
    /* wirelen in r3 */
    {"r0 = r3\nr0 += 1\nexit\n", F, 64, 65},
    /* socket: LD_ABS/LD_IND, context, cb, skb_load_bytes */
    {"r6 = r1\nr0 = *(u16 *)skb[12]\nexit\n", S, 64, 0x800},
    {"r6 = r1\nr0 = *(u32 *)skb[62]\nr0 = 5\nexit\n", S, 64, 0},
    {"r6 = r1\nr7 = 10\nr0 = *(u8 *)skb[r7 + 4]\nexit\n", S, 64, 0x45},
    {"r6 = r1\nr7 = -20\nr0 = *(u8 *)skb[r7 + 4]\nexit\n", S, 64, 0},
    {"r0 = *(u32 *)(r1 + 0)\nexit\n", S, 60, 60},
    {"*(u32 *)(r1 + 56) = 7\nr0 = *(u32 *)(r1 + 56)\nexit\n", S, 60, 7},
    {"r6 = r1\nr2 = 12\nr3 = r10\nr3 += -8\nr4 = 2\ncall 26\n"
     "r0 = *(u16 *)(r10 - 8)\nexit\n", S, 64, 0x8},
    {"r6 = r1\nr2 = 63\nr3 = r10\nr3 += -8\nr4 = 2\ncall 26\nr6 = r0\n"
     "r0 = *(u16 *)(r10 - 8)\nr0 += r6\nexit\n", S, 64, (uint64_t)-14},
};

static void test_accepts(void **state)
{
    size_t i;

    for (i = 0; i < N(accepts); i++) {
        size_t n;
        struct pf_ebpf_insn *p = assemble(accepts[i].text, &n);

        assert_int_equal(run_both(p, n, accepts[i].type, pkt, accepts[i].len),
                         accepts[i].want);
        free(p);
    }
}

/* Error positions are reported through pf_error_format like a compiler. */
static void test_error_format(void **state)
{
    static const struct pf_ebpf_insn p[] = {PF_EBPF_MOV64_REG(0, 4),
                                            PF_EBPF_EXIT()};
    struct pf_error e;
    char buf[256];

    pf_error_init(&e);
    assert_int_equal(pf_ebpf_verify(p, 2, F, &e), -EINVAL);
    pf_error_format(&e, NULL, buf, sizeof(buf));
    assert_non_null(strstr(buf, "instruction 0"));
    assert_non_null(strstr(buf, "r4 is read before it is written"));
}

/* Every rule but out-of-memory was provoked by one of the tests above. */
static void test_all_rules_covered(void **state)
{
    int r;

    for (r = 1; r < PF_EBPF_RULE_COUNT; r++) {
        if (r == PF_EBPF_RULE_NOMEM)
            continue;
        if (!rules_seen[r])
            print_error("no test for rule %s\n", pf_ebpf_rule_name(r));
        assert_true(rules_seen[r]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_refusals_raw),
        cmocka_unit_test(test_complexity),
        cmocka_unit_test(test_scaling),
        cmocka_unit_test(test_rule_table),
        cmocka_unit_test(test_accepts),
        cmocka_unit_test(test_error_format),
        cmocka_unit_test(test_all_rules_covered),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
