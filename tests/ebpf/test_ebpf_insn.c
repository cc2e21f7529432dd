/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Per-instruction tests, every one run in the interpreter and the JIT and
 * checked against a reference model written here independently of the
 * engine: every ALU/ALU64 opcode of the table (and the sdiv/smod/movsx
 * variants) over operand magnitudes 0, 1, -1, INT32_MIN/MAX and 64-bit
 * values, every register pair (dst == src too), every conditional jump,
 * short/long/staggered jumps, loads and stores of every size on the stack
 * and the packet, sign-extending loads, atomics, and ld_imm64.
 */
#include <errno.h>
#include <stdio.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "ebpf/ebpf_ops.h"
#include "ebpf_harness.h"

#define LD64(r, v) PF_EBPF_LD_IMM64(r, v)
#define MOV64(d, s) PF_EBPF_MOV64_REG(d, s)

static const uint64_t vals[] = {
    0,
    1,
    2,
    7,
    31,
    32,
    63,
    64,
    UINT64_MAX,
    UINT64_MAX - 6,
    0x7fffffff,
    0xffffffff80000000ull,
    0x80000000,
    0xffffffff,
    0x100000000ull,
    0x7fffffffffffffffull,
    0x8000000000000000ull,
    0xdeadbeefcafebabeull,
    0x123456789abcdef0ull,
    0xfffffffffffffff9ull,
};

static const int32_t imms[] = {
    0,         1,         -1,         2,          -7,   31,  63,
    INT32_MIN, INT32_MAX, 0x12345678, -0x1234567, 0x80, 255,
};

/* Reference semantics, spelled out independently of ebpf_impl.h. */
static uint64_t ref_div(uint64_t a, uint64_t b, int is64, int sgn, int mod)
{
    if (!is64) {
        uint32_t x = (uint32_t)a, y = (uint32_t)b;

        if (y == 0)
            return mod ? x : 0;
        if (!sgn)
            return mod ? x % y : x / y;
        if ((int32_t)y == -1)
            return mod ? 0 : (uint32_t)(-(int64_t)(int32_t)x);
        return mod ? (uint32_t)((int32_t)x % (int32_t)y)
                   : (uint32_t)((int32_t)x / (int32_t)y);
    }
    if (b == 0)
        return mod ? a : 0;
    if (!sgn)
        return mod ? a % b : a / b;
    if ((int64_t)b == -1)
        return mod ? 0 : (uint64_t)0 - a;
    return mod ? (uint64_t)((int64_t)a % (int64_t)b)
               : (uint64_t)((int64_t)a / (int64_t)b);
}

static uint64_t ref_alu(unsigned op, int is64, int16_t off, uint64_t a,
                        uint64_t b)
{
    uint64_t r;
    unsigned sh = (unsigned)(b & (is64 ? 63 : 31));

    switch (op) {
    case PF_EBPF_ADD: r = a + b; break;
    case PF_EBPF_SUB: r = a - b; break;
    case PF_EBPF_MUL:
        r = is64 ? a * b : (uint64_t)((uint32_t)a * (uint32_t)b);
        break;
    case PF_EBPF_DIV: return ref_div(a, b, is64, off == 1, 0);
    case PF_EBPF_MOD: return ref_div(a, b, is64, off == 1, 1);
    case PF_EBPF_OR: r = a | b; break;
    case PF_EBPF_AND: r = a & b; break;
    case PF_EBPF_XOR: r = a ^ b; break;
    case PF_EBPF_LSH: r = is64 ? a << sh : (uint32_t)((uint32_t)a << sh); break;
    case PF_EBPF_RSH: r = is64 ? a >> sh : (uint32_t)a >> sh; break;
    case PF_EBPF_ARSH:
        r = is64 ? (uint64_t)((int64_t)a >> sh)
                 : (uint32_t)((int32_t)(uint32_t)a >> sh);
        break;
    case PF_EBPF_NEG: r = (uint64_t)0 - a; break;
    case PF_EBPF_MOV:
        r = off == 8    ? (uint64_t)(int8_t)b
            : off == 16 ? (uint64_t)(int16_t)b
            : off == 32 ? (uint64_t)(int32_t)b
                        : b;
        break;
    default: r = 0xbad;
    }
    return is64 ? r : (uint32_t)r;
}

/* Program: dst = a; src = b; dst op= src; r0 = dst; exit. */
static uint64_t run_alu_x(uint8_t code, int16_t off, unsigned d, unsigned s,
                          uint64_t a, uint64_t b)
{
    struct pf_ebpf_insn p[8] = {LD64(s, b), LD64(d, a)};
    size_t n = 4;

    p[n++] = PF_EBPF_INSN(code, d, s, off, 0);
    p[n++] = MOV64(0, d);
    p[n++] = PF_EBPF_EXIT();
    return run_both(p, n, PF_EBPF_PROG_FILTER, NULL, 0);
}

static uint64_t run_alu_k(uint8_t code, int16_t off, unsigned d, uint64_t a,
                          int32_t imm)
{
    struct pf_ebpf_insn p[6] = {LD64(d, a)};
    size_t n = 2;

    p[n++] = PF_EBPF_INSN(code, d, 0, off, imm);
    p[n++] = MOV64(0, d);
    p[n++] = PF_EBPF_EXIT();
    return run_both(p, n, PF_EBPF_PROG_FILTER, NULL, 0);
}

/* The variants of @code: off values it accepts. */
static int variants(uint8_t code, int16_t *offs)
{
    unsigned op = PF_EBPF_OP(code);
    int is64 = PF_EBPF_CLASS(code) == PF_EBPF_ALU64;
    int n = 0;

    offs[n++] = 0;
    if (op == PF_EBPF_DIV || op == PF_EBPF_MOD)
        offs[n++] = 1;
    if (op == PF_EBPF_MOV && PF_EBPF_SRC(code) == PF_EBPF_X) {
        offs[n++] = 8;
        offs[n++] = 16;
        if (is64)
            offs[n++] = 32;
    }
    return n;
}

static void check_alu_x(uint8_t code, int16_t off, unsigned d, unsigned s,
                        uint64_t a, uint64_t b)
{
    int is64 = PF_EBPF_CLASS(code) == PF_EBPF_ALU64;
    uint64_t got = run_alu_x(code, off, d, s, a, b);
    uint64_t want = ref_alu(PF_EBPF_OP(code), is64, off, a, d == s ? a : b);

    if (got != want)
        print_error("op 0x%02x off %d r%u,r%u a=%#" PRIx64 " b=%#" PRIx64
                    ": got %#" PRIx64 " want %#" PRIx64 "\n",
                    code, off, d, s, a, b, got, want);
    assert_int_equal(got, want);
}

/* Every register-operand ALU opcode of the table, all value pairs. */
static void test_alu_reg_values(void **state)
{
    unsigned code;
    size_t i, j;

    for (code = 0; code < 256; code++) {
        const struct pf_ebpf_opinfo *oi = pf_ebpf_op_lookup(code);
        int16_t offs[4];
        int k, nv;

        if (!oi || (oi->kind != PF_EBPF_KIND_ALU_X &&
                    oi->kind != PF_EBPF_KIND_ALU64_X))
            continue;
        nv = variants((uint8_t)code, offs);
        for (k = 0; k < nv; k++)
            for (i = 0; i < N(vals); i++)
                for (j = 0; j < N(vals); j++)
                    check_alu_x((uint8_t)code, offs[k], (unsigned)(i % 10),
                                (unsigned)((i + j + 1) % 10), vals[i], vals[j]);
    }
}

/* Every register pair (r0..r9, dst == src included) for every opcode. */
static void test_alu_reg_pairs(void **state)
{
    unsigned code, d, s;

    for (code = 0; code < 256; code++) {
        const struct pf_ebpf_opinfo *oi = pf_ebpf_op_lookup(code);
        int16_t offs[4];
        int nv;

        if (!oi || (oi->kind != PF_EBPF_KIND_ALU_X &&
                    oi->kind != PF_EBPF_KIND_ALU64_X))
            continue;
        nv = variants((uint8_t)code, offs);
        for (d = 0; d < 10; d++)
            for (s = 0; s < 10; s++)
                check_alu_x((uint8_t)code, offs[(d + s) % nv], d, s,
                            0xfedcba9876543217ull, 0x8000000000000005ull);
    }
}

/* Immediate forms: every opcode, every immediate it accepts. */
static void test_alu_imm(void **state)
{
    unsigned code;
    size_t i, j;

    for (code = 0; code < 256; code++) {
        const struct pf_ebpf_opinfo *oi = pf_ebpf_op_lookup(code);
        unsigned op = PF_EBPF_OP(code);
        int is64 = PF_EBPF_CLASS(code) == PF_EBPF_ALU64;
        int sdm = op == PF_EBPF_DIV || op == PF_EBPF_MOD;

        if (!oi || (oi->kind != PF_EBPF_KIND_ALU_K &&
                    oi->kind != PF_EBPF_KIND_ALU64_K))
            continue;
        for (i = 0; i < N(imms); i++) {
            int32_t k = imms[i];
            uint64_t b = is64 ? (uint64_t)(int64_t)k : (uint32_t)k;
            int o;

            if ((op == PF_EBPF_LSH || op == PF_EBPF_RSH ||
                 op == PF_EBPF_ARSH) &&
                (k < 0 || k >= (is64 ? 64 : 32)))
                continue;
            if (sdm && k == 0)
                continue;
            for (o = 0; o <= sdm; o++)
                for (j = 0; j < N(vals); j++) {
                    unsigned d = (unsigned)((i + j) % 10);
                    uint64_t got =
                        run_alu_k((uint8_t)code, (int16_t)o, d, vals[j], k);

                    assert_int_equal(got,
                                     ref_alu(op, is64, (int16_t)o, vals[j], b));
                }
        }
    }
}

/* NEG, to_le/to_be 16/32/64, bswap 16/32/64 on every register. */
static void test_unary(void **state)
{
    static const uint8_t codes[] = {PF_EBPF_OPC_NEG32, PF_EBPF_OPC_NEG64,
                                    PF_EBPF_OPC_LE, PF_EBPF_OPC_BE,
                                    PF_EBPF_OPC_BSWAP};
    static const int32_t widths[] = {16, 32, 64};
    size_t c, w, j;

    for (c = 0; c < N(codes); c++)
        for (w = 0; w < 3; w++)
            for (j = 0; j < N(vals); j++) {
                unsigned d = (unsigned)(j % 10);
                int neg = c < 2;
                int32_t imm = neg ? 0 : widths[w];
                uint64_t v = vals[j], want;

                if (neg && w)
                    continue;
                if (codes[c] == PF_EBPF_OPC_NEG32)
                    want = (uint32_t)(0u - (uint32_t)v);
                else if (codes[c] == PF_EBPF_OPC_NEG64)
                    want = 0 - v;
                else if (codes[c] == PF_EBPF_OPC_LE)
                    want = imm == 16   ? (uint16_t)v
                           : imm == 32 ? (uint32_t)v
                                       : v;
                else
                    want = imm == 16   ? __builtin_bswap16((uint16_t)v)
                           : imm == 32 ? __builtin_bswap32((uint32_t)v)
                                       : __builtin_bswap64(v);
                assert_int_equal(run_alu_k(codes[c], 0, d, v, imm), want);
            }
}

static int ref_cond(unsigned op, uint64_t a, uint64_t b, int is32)
{
    int64_t sa = is32 ? (int32_t)a : (int64_t)a;
    int64_t sb = is32 ? (int32_t)b : (int64_t)b;

    if (is32) {
        a = (uint32_t)a;
        b = (uint32_t)b;
    }
    switch (op) {
    case PF_EBPF_JEQ: return a == b;
    case PF_EBPF_JNE: return a != b;
    case PF_EBPF_JGT: return a > b;
    case PF_EBPF_JGE: return a >= b;
    case PF_EBPF_JLT: return a < b;
    case PF_EBPF_JLE: return a <= b;
    case PF_EBPF_JSET: return (a & b) != 0;
    case PF_EBPF_JSGT: return sa > sb;
    case PF_EBPF_JSGE: return sa >= sb;
    case PF_EBPF_JSLT: return sa < sb;
    default: return sa <= sb;
    }
}

/* Every conditional jump (JMP/JMP32, K/X) over value pairs and registers. */
static void test_jumps(void **state)
{
    unsigned code;
    size_t i, j;

    for (code = 0; code < 256; code++) {
        const struct pf_ebpf_opinfo *oi = pf_ebpf_op_lookup(code);
        int isx, is32;

        if (!oi ||
            (oi->kind != PF_EBPF_KIND_JMP_K && oi->kind != PF_EBPF_KIND_JMP_X &&
             oi->kind != PF_EBPF_KIND_JMP32_K &&
             oi->kind != PF_EBPF_KIND_JMP32_X))
            continue;
        isx = PF_EBPF_SRC(code) == PF_EBPF_X;
        is32 = PF_EBPF_CLASS(code) == PF_EBPF_JMP32;
        for (i = 0; i < N(vals); i++)
            for (j = 0; j < N(vals); j += isx ? 1 : 3) {
                unsigned d = (unsigned)(1 + i % 9), s = (unsigned)(1 + j % 9);
                uint64_t a = vals[i],
                         b = isx ? vals[j]
                                 : (uint64_t)(int64_t)(int32_t)vals[j];
                struct pf_ebpf_insn p[9] = {LD64(s, b), LD64(d, a)};
                size_t n = 4;

                if (s == d && isx)
                    b = a;
                p[n++] = PF_EBPF_MOV64_IMM(0, 7);
                p[n++] = PF_EBPF_INSN((uint8_t)code, d, isx ? s : 0, 1,
                                      isx ? 0 : (int32_t)b);
                p[n++] = PF_EBPF_EXIT();
                p[n++] = PF_EBPF_MOV64_IMM(0, 9);
                p[n++] = PF_EBPF_EXIT();
                if (run_both(p, n, PF_EBPF_PROG_FILTER, NULL, 0) !=
                    (ref_cond(PF_EBPF_OP(code), a, b, is32) ? 9u : 7u)) {
                    print_error("jump 0x%02x r%u r%u a=%#" PRIx64 " b=%#" PRIx64
                                "\n",
                                code, d, s, a, b);
                    fail();
                }
            }
    }
}

/* Jumps over 0..40000 instructions: rel8/rel32 boundaries, gotol. */
static void test_long_jumps(void **state)
{
    static const int dists[] = {0,  1,  2,  15,  16,  30,  31,   32,   40,
                                41, 42, 60, 100, 127, 128, 1000, 30000};
    size_t i;

    for (i = 0; i < N(dists); i++) {
        int dist = dists[i], k, form;

        for (form = 0; form < 3; form++) {
            size_t n = 0;
            struct pf_ebpf_insn *p = calloc((size_t)dist + 8, sizeof(*p));

            assert_non_null(p);
            p[n++] = PF_EBPF_MOV64_IMM(0, 1);
            p[n++] = PF_EBPF_MOV64_IMM(3, 5);
            if (form != 1) /* keeps the padding reachable */
                p[n++] = PF_EBPF_JMP_IMM(PF_EBPF_JNE, 3, 5, 1);
            if (form == 0)
                p[n++] = PF_EBPF_JMP_A((int16_t)dist);
            else if (form == 1)
                p[n++] = PF_EBPF_JMP_IMM(PF_EBPF_JEQ, 3, 5, (int16_t)dist);
            else
                p[n++] = PF_EBPF_INSN(PF_EBPF_OPC_JA32, 0, 0, 0, dist);
            for (k = 0; k < dist; k++)
                p[n++] = k % 2 ? PF_EBPF_ALU64_IMM(PF_EBPF_ADD, 0, 3)
                               : PF_EBPF_ALU64_IMM(PF_EBPF_LSH, 0, 1);
            p[n++] = PF_EBPF_ALU64_IMM(PF_EBPF_ADD, 0, 100);
            p[n++] = PF_EBPF_EXIT();
            assert_int_equal(run_both(p, n, PF_EBPF_PROG_FILTER, NULL, 0), 101);
            free(p);
        }
    }
}

/* Staggered forward jumps that cross each other, with distances around
 * the rel8 limit so that shrinking one jump changes the others. */
static void test_staggered_jumps(void **state)
{
    int pad;

    for (pad = 20; pad < 70; pad += 7) {
        struct pf_ebpf_insn p[512];
        size_t n = 0;
        int k, j;

        p[n++] = PF_EBPF_MOV64_IMM(0, 0);
        p[n++] = PF_EBPF_MOV64_IMM(1, 0);
        for (j = 0; j < 4; j++) {
            /* jump j skips pad insns + the next jumps' headers */
            p[n++] = PF_EBPF_JMP_IMM(PF_EBPF_JNE, 1, (int32_t)j,
                                     (int16_t)(pad + 3 - j));
            for (k = 0; k < pad; k++)
                p[n++] = PF_EBPF_ALU64_IMM(PF_EBPF_ADD, 0, 1 << j);
        }
        for (k = 0; k < 6; k++)
            p[n++] = PF_EBPF_ALU64_IMM(PF_EBPF_ADD, 0, 1000);
        p[n++] = PF_EBPF_EXIT();
        {
            /* r1 = 0: jump 0 falls through, jumps 1..3 jump forward */
            uint64_t want = 0, jumped_to;
            long pc = 2, len = (long)n;
            uint64_t acc = 0;

            (void)jumped_to;
            while (pc < len - 1) {
                const struct pf_ebpf_insn *in = &p[pc];

                if (PF_EBPF_CLASS(in->code) == PF_EBPF_JMP) {
                    pc += (in->imm != 0) ? in->off + 1 : 1;
                    continue;
                }
                acc += (uint64_t)in->imm;
                pc++;
            }
            want = acc;
            assert_int_equal(run_both(p, n, PF_EBPF_PROG_FILTER, NULL, 0),
                             want);
        }
    }
}

/* Stores and loads of every size at every aligned stack slot, through
 * every base register that holds a stack pointer. */
static void test_stack_mem(void **state)
{
    static const uint8_t ld[4] = {PF_EBPF_OPC_LDX_B, PF_EBPF_OPC_LDX_H,
                                  PF_EBPF_OPC_LDX_W, PF_EBPF_OPC_LDX_DW};
    static const uint8_t sx[4] = {PF_EBPF_OPC_LDXSX_B, PF_EBPF_OPC_LDXSX_H,
                                  PF_EBPF_OPC_LDXSX_W, 0};
    static const uint8_t st[4] = {PF_EBPF_OPC_STX_B, PF_EBPF_OPC_STX_H,
                                  PF_EBPF_OPC_STX_W, PF_EBPF_OPC_STX_DW};
    const uint64_t val = 0x8899aabbccddeeffull;
    int sz, off;
    unsigned base;

    for (sz = 0; sz < 4; sz++)
        for (base = 0; base < 10; base++)
            for (off = -512; off < 0; off += 8 + 8 * sz) {
                int bytes = 1 << sz;
                unsigned v = (base + 1) % 10, t1 = (base + 3) % 10;
                unsigned t2 = (base + 6) % 10;
                uint64_t mask = bytes == 8 ? ~0ull : (1ull << (8 * bytes)) - 1;
                struct pf_ebpf_insn p[12] = {LD64(v, val)};
                size_t n = 2;
                uint64_t z = val & mask, sv, want;

                p[n++] = MOV64(base, 10);
                p[n++] = PF_EBPF_INSN(st[sz], base, v, (int16_t)off, 0);
                if (sx[sz])
                    p[n++] = PF_EBPF_INSN(sx[sz], t2, base, (int16_t)off, 0);
                p[n++] = PF_EBPF_INSN(ld[sz], t1, base, (int16_t)off, 0);
                if (sx[sz])
                    p[n++] = PF_EBPF_ALU64_REG(PF_EBPF_XOR, t1, t2);
                p[n++] = MOV64(0, t1);
                p[n++] = PF_EBPF_EXIT();
                sv = bytes == 1   ? (uint64_t)(int8_t)z
                     : bytes == 2 ? (uint64_t)(int16_t)z
                                  : (uint64_t)(int32_t)z;
                want = sx[sz] ? z ^ sv : z;
                assert_int_equal(run_both(p, n, PF_EBPF_PROG_FILTER, NULL, 0),
                                 want);
            }
}

/* ST (immediate) of every size, and partial overwrites. */
static void test_store_imm(void **state)
{
    size_t i;

    for (i = 0; i < N(imms); i++) {
        int32_t k = imms[i];
        struct pf_ebpf_insn p[] = {
            PF_EBPF_ST_MEM(PF_EBPF_DW, 10, -16, k),
            PF_EBPF_ST_MEM(PF_EBPF_W, 10, -8, k),
            PF_EBPF_ST_MEM(PF_EBPF_H, 10, -4, k),
            PF_EBPF_ST_MEM(PF_EBPF_B, 10, -2, k),
            PF_EBPF_ST_MEM(PF_EBPF_B, 10, -1, 0x5a),
            PF_EBPF_LDX_MEM(PF_EBPF_DW, 0, 10, -16),
            PF_EBPF_LDX_MEM(PF_EBPF_DW, 1, 10, -8),
            PF_EBPF_ALU64_REG(PF_EBPF_XOR, 0, 1),
            PF_EBPF_EXIT(),
        };
        uint64_t hi = (uint32_t)k | (uint64_t)(uint16_t)k << 32 |
                      (uint64_t)(uint8_t)k << 48 | 0x5aull << 56;

        assert_int_equal(run_both(p, N(p), PF_EBPF_PROG_FILTER, NULL, 0),
                         (uint64_t)(int64_t)k ^ hi);
    }
}

/* Atomic add/or/and/xor (+fetch), xchg, cmpxchg, 32 and 64 bit. */
static void test_atomics(void **state)
{
    static const int ops[] = {PF_EBPF_ADD, PF_EBPF_OR, PF_EBPF_AND,
                              PF_EBPF_XOR};
    size_t i, j;
    int w, f;

    for (w = 0; w < 2; w++)
        for (i = 0; i < 4; i++)
            for (f = 0; f < 2; f++)
                for (j = 0; j + 1 < N(vals); j++) {
                    uint64_t m = vals[j], x = vals[j + 1], want, nm;
                    int size = w ? PF_EBPF_DW : PF_EBPF_W;
                    uint64_t mask = w ? ~0ull : 0xffffffffull;
                    struct pf_ebpf_insn p[] = {
                        LD64(2, m),
                        LD64(3, x),
                        PF_EBPF_STX_MEM(PF_EBPF_DW, 10, 2, -8),
                        PF_EBPF_ATOMIC_OP(
                            size, ops[i] | (f ? PF_EBPF_FETCH : 0), 10, 3, -8),
                        PF_EBPF_LDX_MEM(PF_EBPF_DW, 0, 10, -8),
                        PF_EBPF_ALU64_IMM(PF_EBPF_LSH, 0, 1),
                        PF_EBPF_ALU64_REG(PF_EBPF_XOR, 0, 3),
                        PF_EBPF_EXIT(),
                    };
                    uint64_t lo = m & mask, xs = x & mask;

                    nm = ops[i] == PF_EBPF_ADD   ? lo + xs
                         : ops[i] == PF_EBPF_OR  ? (lo | xs)
                         : ops[i] == PF_EBPF_AND ? (lo & xs)
                                                 : (lo ^ xs);
                    nm = (nm & mask) | (m & ~mask);
                    want = (nm << 1) ^ (f ? lo : x);
                    assert_int_equal(
                        run_both(p, N(p), PF_EBPF_PROG_FILTER, NULL, 0), want);
                }
}

static void test_xchg_cmpxchg(void **state)
{
    size_t j;
    int w;

    for (w = 0; w < 2; w++)
        for (j = 0; j + 1 < N(vals); j++) {
            uint64_t m = vals[j], x = vals[j + 1];
            uint64_t mask = w ? ~0ull : 0xffffffffull;
            int size = w ? PF_EBPF_DW : PF_EBPF_W;
            struct pf_ebpf_insn xc[] = {
                LD64(2, m),
                LD64(4, x),
                PF_EBPF_STX_MEM(PF_EBPF_DW, 10, 2, -8),
                PF_EBPF_ATOMIC_OP(size, PF_EBPF_XCHG, 10, 4, -8),
                PF_EBPF_LDX_MEM(PF_EBPF_DW, 0, 10, -8),
                PF_EBPF_ALU64_REG(PF_EBPF_SUB, 0, 4),
                PF_EBPF_EXIT(),
            };
            /* cmpxchg twice: once r0 != mem, once r0 == mem */
            struct pf_ebpf_insn cx[] = {
                LD64(2, m),
                LD64(4, x),
                PF_EBPF_STX_MEM(PF_EBPF_DW, 10, 2, -8),
                PF_EBPF_MOV64_REG(0, 4),
                PF_EBPF_ATOMIC_OP(size, PF_EBPF_CMPXCHG, 10, 4, -8),
                PF_EBPF_MOV64_REG(6, 0),
                PF_EBPF_ATOMIC_OP(size, PF_EBPF_CMPXCHG, 10, 4, -8),
                PF_EBPF_LDX_MEM(PF_EBPF_DW, 7, 10, -8),
                PF_EBPF_ALU64_IMM(PF_EBPF_LSH, 6, 1),
                PF_EBPF_ALU64_REG(PF_EBPF_XOR, 0, 6),
                PF_EBPF_ALU64_IMM(PF_EBPF_LSH, 7, 2),
                PF_EBPF_ALU64_REG(PF_EBPF_XOR, 0, 7),
                PF_EBPF_EXIT(),
            };
            uint64_t newm = (x & mask) | (m & ~mask);
            uint64_t old = m & mask;

            assert_int_equal(run_both(xc, N(xc), PF_EBPF_PROG_FILTER, NULL, 0),
                             newm - old);
            /* both exchanges leave mem = newm and r0 = old */
            assert_int_equal(run_both(cx, N(cx), PF_EBPF_PROG_FILTER, NULL, 0),
                             old ^ (old << 1) ^ (newm << 2));
        }
}

/* Packet loads of every size and sign at offsets up to caplen, through
 * each register as the base. */
static void test_packet_loads(void **state)
{
    static const uint8_t ld[4] = {PF_EBPF_OPC_LDX_B, PF_EBPF_OPC_LDX_H,
                                  PF_EBPF_OPC_LDX_W, PF_EBPF_OPC_LDX_DW};
    uint8_t pkt[64];
    int sz, off;
    unsigned base;

    for (off = 0; off < 64; off++)
        pkt[off] = (uint8_t)(off * 37 + 11);
    for (sz = 0; sz < 4; sz++)
        for (base = 1; base < 10; base++)
            for (off = 0; off + (1 << sz) <= 64; off += 5) {
                int bytes = 1 << sz;
                struct pf_ebpf_insn p[] = {
                    PF_EBPF_MOV64_IMM(0, 0),
                    PF_EBPF_JMP_IMM(PF_EBPF_JLT, 2, off + bytes, 2),
                    MOV64(base, 1),
                    PF_EBPF_INSN(ld[sz], 0, base, (int16_t)off, 0),
                    PF_EBPF_EXIT(),
                };
                uint64_t want = 0;

                memcpy(&want, pkt + off, (size_t)bytes);
                assert_int_equal(
                    run_both(p, N(p), PF_EBPF_PROG_FILTER, pkt, 64), want);
                assert_int_equal(run_both(p, N(p), PF_EBPF_PROG_FILTER, pkt,
                                          (uint32_t)(off + bytes - 1)),
                                 0);
            }
}

/* ld_imm64 of every value into every register. */
static void test_ld_imm64(void **state)
{
    size_t j;
    unsigned d;

    for (j = 0; j < N(vals); j++)
        for (d = 0; d < 10; d++) {
            struct pf_ebpf_insn p[] = {LD64(d, vals[j]), MOV64(0, d),
                                       PF_EBPF_EXIT()};

            assert_int_equal(run_both(p, N(p), PF_EBPF_PROG_FILTER, NULL, 0),
                             vals[j]);
        }
}

/* The filter calling convention: r2 = caplen, r3 = wirelen. */
static void test_filter_args(void **state)
{
    struct pf_ebpf_insn p[] = {
        PF_EBPF_MOV64_REG(0, 3),
        PF_EBPF_ALU64_IMM(PF_EBPF_LSH, 0, 32),
        PF_EBPF_ALU64_REG(PF_EBPF_OR, 0, 2),
        PF_EBPF_EXIT(),
    };
    struct pf_ebpf_vm *vm;
    uint8_t pkt[4] = {0};

    assert_int_equal(pf_ebpf_vm_new(p, N(p), PF_EBPF_PROG_FILTER, &vm, NULL),
                     0);
    assert_int_equal(pf_ebpf_vm_run_interp(vm, pkt, 3, 1500),
                     (1500ull << 32) | 3);
    assert_int_equal(pf_ebpf_vm_jit(vm, NULL), 0);
    assert_int_equal(pf_ebpf_vm_run_filter(vm, pkt, 3, 1500),
                     (1500ull << 32) | 3);
    pf_ebpf_vm_free(vm);
}

/* The machine code sits in a read+exec mapping (never writable), and the
 * rest of its page is int3. */
static void test_jit_memory(void **state)
{
    struct pf_ebpf_insn p[] = {PF_EBPF_MOV64_IMM(0, 7), PF_EBPF_EXIT()};
    struct pf_ebpf_vm *vm;
    const void *code;
    size_t len, i;
    uintptr_t at;
    char line[512];
    int found = 0;
    FILE *maps;

    assert_int_equal(pf_ebpf_vm_new(p, N(p), PF_EBPF_PROG_FILTER, &vm, NULL),
                     0);
    assert_int_equal(pf_ebpf_vm_jit_code(vm, &code, &len), -ENOENT);
    assert_int_equal(pf_ebpf_vm_jit(vm, NULL), 0);
    assert_int_equal(pf_ebpf_vm_jit_code(vm, &code, &len), 0);
    assert_true(len > 0);
    at = (uintptr_t)code;
    for (i = len; (at + i) % 4096; i++)
        assert_int_equal(((const uint8_t *)code)[i], 0xcc);
    maps = fopen("/proc/self/maps", "r");
    assert_non_null(maps);
    while (fgets(line, sizeof(line), maps)) {
        unsigned long lo, hi;
        char perms[8];

        if (sscanf(line, "%lx-%lx %7s", &lo, &hi, perms) == 3 && at >= lo &&
            at < hi) {
            assert_string_equal(perms, "r-xp");
            found = 1;
        }
    }
    fclose(maps);
    assert_true(found);
    assert_int_equal(pf_ebpf_vm_run_filter(vm, NULL, 0, 0), 7);
    pf_ebpf_vm_free(vm);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_alu_reg_values),
        cmocka_unit_test(test_alu_reg_pairs),
        cmocka_unit_test(test_alu_imm),
        cmocka_unit_test(test_unary),
        cmocka_unit_test(test_jumps),
        cmocka_unit_test(test_long_jumps),
        cmocka_unit_test(test_staggered_jumps),
        cmocka_unit_test(test_stack_mem),
        cmocka_unit_test(test_store_imm),
        cmocka_unit_test(test_atomics),
        cmocka_unit_test(test_xchg_cmpxchg),
        cmocka_unit_test(test_packet_loads),
        cmocka_unit_test(test_ld_imm64),
        cmocka_unit_test(test_filter_args),
        cmocka_unit_test(test_jit_memory),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
