/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The text forms: the disassembler's exact output for representative
 * instructions (llvm-objdump syntax), a walk over PF_EBPF_OPS in which
 * every opcode and every variant (sdiv/smod, movsx, atomics, widths)
 * survives disasm -> asm unchanged, assembler errors with line:column,
 * the dump format, and random instruction words and random text that
 * must neither crash nor round-trip wrongly.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "ebpf/ebpf_ops.h"
#include "ebpf_harness.h"

static void expect_text(struct pf_ebpf_insn in, const char *want)
{
    struct pf_ebpf_insn p[2] = {in, PF_EBPF_INSN(0, 0, 0, 0, 0)};
    char buf[128];

    assert_true(pf_ebpf_disasm_insn(p, 2, 0, buf, sizeof(buf)) > 0);
    assert_string_equal(buf, want);
}

static void test_known_strings(void **state)
{
    expect_text(PF_EBPF_LDX_MEM(PF_EBPF_H, 0, 1, 12), "r0 = *(u16 *)(r1 + 12)");
    expect_text(PF_EBPF_JMP_IMM(PF_EBPF_JNE, 0, 0x800, 5),
                "if r0 != 0x800 goto +5");
    expect_text(PF_EBPF_JMP32_REG(PF_EBPF_JSGE, 3, 4, -2),
                "if w3 s>= w4 goto -2");
    expect_text(PF_EBPF_JMP_IMM(PF_EBPF_JSET, 2, 16, 0),
                "if r2 & 0x10 goto +0");
    expect_text(PF_EBPF_EXIT(), "exit");
    expect_text(PF_EBPF_CALL_HELPER(26), "call 26");
    expect_text(PF_EBPF_JMP_A(-3), "goto -3");
    expect_text(PF_EBPF_MOV64_IMM(0, 1), "r0 = 1");
    expect_text(PF_EBPF_MOV32_IMM(5, -1), "w5 = -1");
    expect_text(PF_EBPF_ALU64_IMM(PF_EBPF_ADD, 1, -20), "r1 += -0x14");
    expect_text(PF_EBPF_ALU32_REG(PF_EBPF_ARSH, 1, 2), "w1 s>>= w2");
    expect_text(PF_EBPF_INSN(0x3f, 1, 2, 1, 0), "r1 s/= r2");
    expect_text(PF_EBPF_INSN(0xbf, 1, 2, 16, 0), "r1 = (s16)r2");
    expect_text(PF_EBPF_INSN(0x87, 4, 0, 0, 0), "r4 = -r4");
    expect_text(PF_EBPF_ENDIAN(PF_EBPF_TO_BE, 0, 16), "r0 = be16 r0");
    expect_text(PF_EBPF_BSWAP(7, 64), "r7 = bswap64 r7");
    expect_text(PF_EBPF_STX_MEM(PF_EBPF_DW, 10, 1, -8),
                "*(u64 *)(r10 - 8) = r1");
    expect_text(PF_EBPF_ST_MEM(PF_EBPF_B, 10, -1, 0x7f),
                "*(u8 *)(r10 - 1) = 0x7f");
    expect_text(PF_EBPF_LDX_MEMSX(PF_EBPF_W, 3, 10, -4),
                "r3 = *(s32 *)(r10 - 4)");
    expect_text(PF_EBPF_ATOMIC_OP(PF_EBPF_DW, PF_EBPF_ADD, 10, 1, -8),
                "lock *(u64 *)(r10 - 8) += r1");
    expect_text(
        PF_EBPF_ATOMIC_OP(PF_EBPF_DW, PF_EBPF_ADD | PF_EBPF_FETCH, 10, 2, -8),
        "r2 = atomic_fetch_add((u64 *)(r10 - 8), r2)");
    expect_text(PF_EBPF_ATOMIC_OP(PF_EBPF_W, PF_EBPF_XCHG, 10, 2, -4),
                "w2 = xchg32_32(r10 - 4, w2)");
    expect_text(PF_EBPF_ATOMIC_OP(PF_EBPF_DW, PF_EBPF_CMPXCHG, 10, 3, -8),
                "r0 = cmpxchg_64(r10 - 8, r0, r3)");
    expect_text(PF_EBPF_LD_ABS(PF_EBPF_H, 12), "r0 = *(u16 *)skb[0xc]");
    expect_text(PF_EBPF_LD_IND(PF_EBPF_B, 3, 14), "r0 = *(u8 *)skb[r3 + 0xe]");
    expect_text(PF_EBPF_INSN(PF_EBPF_OPC_JA32, 0, 0, 0, 70000), "gotol +70000");
}

static void test_ld_imm64_text(void **state)
{
    struct pf_ebpf_insn p[] = {PF_EBPF_LD_IMM64(3, 0x123456789ull)};
    char buf[64];

    assert_int_equal(pf_ebpf_disasm_insn(p, 2, 0, buf, sizeof(buf)), 2);
    assert_string_equal(buf, "r3 = 0x123456789 ll");
    assert_int_equal(pf_ebpf_disasm_insn(p, 1, 0, buf, sizeof(buf)), -EINVAL);
    p[0].code = 0xff;
    assert_int_equal(pf_ebpf_disasm_insn(p, 1, 0, buf, sizeof(buf)), -EINVAL);
    assert_string_equal(buf, "invalid opcode 0xff");
}

/* disasm -> asm must give back the same instruction words. */
static void round_trip(const struct pf_ebpf_insn *p, size_t n)
{
    struct pf_ebpf_insn *q = NULL;
    size_t m = 0;
    struct pf_error e;
    char buf[256];

    assert_int_equal(pf_ebpf_disasm_insn(p, n, 0, buf, sizeof(buf)), (int)n);
    pf_error_init(&e);
    if (pf_ebpf_asm(buf, &q, &m, &e)) {
        print_error("'%s': %d:%d %s\n", buf, e.line, e.col, e.msg);
        fail();
    }
    assert_int_equal(m, n);
    if (memcmp(p, q, n * sizeof(*p))) {
        print_error("0x%02x %u %u %d %d: ", p->code, p->dst_reg, p->src_reg,
                    p->off, p->imm);
        print_error("'%s' came back as code 0x%02x dst %u src %u off %d "
                    "imm %d\n",
                    buf, q->code, q->dst_reg, q->src_reg, q->off, q->imm);
        fail();
    }
    free(q);
}

/* A valid instruction of @code with fields chosen from @k. */
static struct pf_ebpf_insn sample(unsigned code, unsigned k)
{
    const struct pf_ebpf_opinfo *oi = pf_ebpf_op_lookup(code);
    struct pf_ebpf_insn in =
        PF_EBPF_INSN((uint8_t)code, k % 10, (k + 3) % 11, 0, 0);
    static const int32_t imms[] = {0, 1, -1, 77, INT32_MIN, INT32_MAX};
    static const int16_t offs[] = {0, 1, -1, 300, INT16_MIN, INT16_MAX};
    int isk = !PF_EBPF_SRC(code);

    switch (oi->kind) {
    case PF_EBPF_KIND_ALU_K:
    case PF_EBPF_KIND_ALU64_K:
        in.src_reg = 0;
        in.imm = imms[k % 6];
        break;
    case PF_EBPF_KIND_ALU_X:
    case PF_EBPF_KIND_ALU64_X: break;
    case PF_EBPF_KIND_NEG:
    case PF_EBPF_KIND_NEG64: in.src_reg = 0; break;
    case PF_EBPF_KIND_END:
    case PF_EBPF_KIND_BSWAP:
        in.src_reg = 0;
        in.imm = 16 << (k % 3);
        break;
    case PF_EBPF_KIND_LDABS:
        in.dst_reg = 0;
        in.src_reg = 0;
        in.imm = imms[k % 6];
        break;
    case PF_EBPF_KIND_LDIND:
        in.dst_reg = 0;
        in.imm = imms[k % 6];
        break;
    case PF_EBPF_KIND_LDX:
    case PF_EBPF_KIND_LDXSX:
    case PF_EBPF_KIND_STX: in.off = offs[k % 6]; break;
    case PF_EBPF_KIND_ST:
        in.src_reg = 0;
        in.off = offs[k % 6];
        in.imm = imms[(k + 1) % 6];
        break;
    case PF_EBPF_KIND_ATOMIC: {
        static const int ops[] = {0x00, 0x40, 0x50, 0xa0, 0x01,
                                  0x41, 0x51, 0xa1, 0xe1, 0xf1};

        in.off = offs[k % 6];
        in.imm = ops[k % 10];
        if (in.imm == PF_EBPF_CMPXCHG)
            in.src_reg = (k + 5) % 11;
        break;
    }
    case PF_EBPF_KIND_JA:
        in.dst_reg = 0;
        in.src_reg = 0;
        in.off = offs[k % 6];
        break;
    case PF_EBPF_KIND_JA32:
        in.dst_reg = 0;
        in.src_reg = 0;
        in.imm = imms[k % 6];
        break;
    case PF_EBPF_KIND_JMP_K:
    case PF_EBPF_KIND_JMP32_K:
    case PF_EBPF_KIND_JMP_X:
    case PF_EBPF_KIND_JMP32_X:
        in.off = offs[k % 6];
        if (isk) {
            in.src_reg = 0;
            in.imm = imms[k % 6];
        }
        break;
    case PF_EBPF_KIND_CALL:
        in.dst_reg = 0;
        in.src_reg = 0;
        in.imm = imms[k % 6];
        break;
    default:
        in.dst_reg = 0;
        in.src_reg = 0;
        break;
    }
    return in;
}

static void test_table_round_trip(void **state)
{
    unsigned code, k;
    int seen = 0;

    for (code = 0; code < 256; code++) {
        const struct pf_ebpf_opinfo *oi = pf_ebpf_op_lookup(code);

        if (!oi)
            continue;
        seen++;
        for (k = 0; k < 30; k++) {
            struct pf_ebpf_insn p[2] = {sample(code, k)};

            if (oi->kind == PF_EBPF_KIND_LDDW) {
                p[0] = PF_EBPF_INSN((uint8_t)code, k % 10, 0, 0,
                                    (int32_t)(k * 0x11111111u));
                p[1] = PF_EBPF_INSN(0, 0, 0, 0, (int32_t)(k * 0x9e3779b9u));
                round_trip(p, 2);
                continue;
            }
            round_trip(p, 1);
        }
        if (oi->kind <= PF_EBPF_KIND_ALU64_X &&
            (PF_EBPF_OP(code) == PF_EBPF_DIV ||
             PF_EBPF_OP(code) == PF_EBPF_MOD)) {
            struct pf_ebpf_insn p = sample(code, 7);

            p.off = 1;
            round_trip(&p, 1);
        }
        if ((code == PF_EBPF_OPC_MOV_X64 || code == PF_EBPF_OPC_MOV_X32)) {
            struct pf_ebpf_insn p = sample(code, 4);

            p.off = 8;
            round_trip(&p, 1);
            p.off = 16;
            round_trip(&p, 1);
        }
    }
    /* 48 ALU ops, neg/end/bswap 5, loads and stores 24, jumps 48 */
    assert_int_equal(seen, 125);
}

struct asm_error {
    const char *text;
    int line, col;
};

static const struct asm_error asm_errors[] = {
    {"r0 = 1\nr11 = 2\n", 2, 1},
    {"r0 = 1\n  r0 +== 1\n", 2, 8},
    {"exit now\n", 1, 6},
    {"r0 = *(u24 *)(r1 + 0)\n", 1, 8},
    {"r0 = *(u16 *)(r1 * 4)\n", 1, 18},
    {"if r0 ~ 3 goto +1\n", 1, 7},
    {"if r0 == 3 goto +40000\n", 1, 17},
    {"w0 = r1\n", 1, 8},
    {"r1 = be12 r1\n", 1, 8},
    {"r1 = bswap16 r2\n", 1, 16},
    {"r0 = 99999999999999999999999 ll\n", 1, 6},
    {"# comment\n\nr0 = 0 // ok\nlock *(u64 *)(r10 - 8) -= r1\n", 4, 24},
};

static void test_asm_errors(void **state)
{
    size_t i;

    for (i = 0; i < N(asm_errors); i++) {
        struct pf_ebpf_insn *p = NULL;
        size_t n = 0;
        struct pf_error e;

        pf_error_init(&e);
        assert_int_equal(pf_ebpf_asm(asm_errors[i].text, &p, &n, &e), -EINVAL);
        if (e.line != asm_errors[i].line || e.col != asm_errors[i].col)
            print_error("'%s': got %d:%d (%s)\n", asm_errors[i].text, e.line,
                        e.col, e.msg);
        assert_int_equal(e.stage, PF_STAGE_ASM);
        assert_int_equal(e.line, asm_errors[i].line);
        assert_int_equal(e.col, asm_errors[i].col);
        assert_null(p);
    }
}

static void test_dump_and_prefixes(void **state)
{
    const char *text = "   0: r0 = 0\n   1: if r2 < 0xe goto +2 ; check\n"
                       "   2: r0 = *(u16 *)(r1 + 12)\n   3: r0 = 0x1 ll\n"
                       "   5: exit\n";
    struct pf_ebpf_insn *p = NULL;
    size_t n = 0, need;
    char buf[512];
    const char *want = "   0: r0 = 0\n   1: if r2 < 0xe goto +2\n"
                       "   2: r0 = *(u16 *)(r1 + 12)\n   3: r0 = 1 ll\n"
                       "   5: exit\n";

    assert_int_equal(pf_ebpf_asm(text, &p, &n, NULL), 0);
    assert_int_equal(n, 6);
    need = pf_ebpf_dump(p, n, NULL, 0);
    assert_int_equal(need, strlen(want));
    assert_int_equal(pf_ebpf_dump(p, n, buf, sizeof(buf)), need);
    assert_string_equal(buf, want);
    assert_int_equal(pf_ebpf_dump(p, n, buf, 10), need);
    assert_int_equal(strlen(buf), 9);
    free(p);
}

/* Random words: the disassembler never crashes; what it prints for a
 * valid instruction assembles back to the same words. */
static void test_random_words(void **state)
{
    uint64_t st = test_seed("ebpf-text-random-words");
    int i;

    for (i = 0; i < 200000; i++) {
        uint64_t r = rnd(&st);
        struct pf_ebpf_insn p[2];
        char buf[160];
        int n;

        memcpy(p, &r, sizeof(p[0]));
        r = rnd(&st);
        memcpy(p + 1, &r, sizeof(p[1]));
        if (i % 2)
            p[0].code =
                (uint8_t)(pf_ebpf_op_lookup(p[0].code) ? p[0].code : 0x07);
        n = pf_ebpf_disasm_insn(p, 2, 0, buf, sizeof(buf));
        if (n > 0 &&
            pf_ebpf_verify(p, (size_t)n, PF_EBPF_PROG_FILTER, NULL) != -EINVAL)
            continue;
        if (n > 0 && pf_ebpf_op_lookup(p[0].code)->kind != PF_EBPF_KIND_LDDW) {
            /* fields the text cannot hold are reserved: normalise */
            struct pf_ebpf_insn *q = NULL;
            size_t m = 0;

            if (pf_ebpf_asm(buf, &q, &m, NULL) == 0) {
                char again[160];

                assert_int_equal(m, 1);
                assert_true(pf_ebpf_disasm_insn(q, 1, 0, again, sizeof(again)) >
                            0);
                assert_string_equal(buf, again);
                free(q);
            }
        }
    }
}

/* Random text never crashes the assembler and errors have positions. */
static void test_random_text(void **state)
{
    static const char alphabet[] = "rw0123456789 +-*/=<>&|^%()[]sulbexitgo"
                                   "fck;#\n";
    uint64_t st = test_seed("ebpf-text-random-text");
    char text[64];
    int i, j;

    for (i = 0; i < 100000; i++) {
        struct pf_ebpf_insn *p = NULL;
        size_t n = 0;
        struct pf_error e;
        int len = (int)(rnd(&st) % (sizeof(text) - 1));

        for (j = 0; j < len; j++)
            text[j] = alphabet[rnd(&st) % (sizeof(alphabet) - 1)];
        text[len] = '\0';
        pf_error_init(&e);
        if (pf_ebpf_asm(text, &p, &n, &e) == 0) {
            free(p);
            continue;
        }
        assert_true(e.line >= 1 && e.col >= 1);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_strings),
        cmocka_unit_test(test_ld_imm64_text),
        cmocka_unit_test(test_table_round_trip),
        cmocka_unit_test(test_asm_errors),
        cmocka_unit_test(test_dump_and_prefixes),
        cmocka_unit_test(test_random_words),
        cmocka_unit_test(test_random_text),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
