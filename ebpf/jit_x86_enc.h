/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Pure x86-64 instruction encoders for the JIT: each writes one
 * instruction into @o (at least 16 bytes) and returns its length. No
 * state, no allocation, so unit tests check them against byte strings
 * produced by GNU as. Registers are hardware numbers (rax = 0 ... r15 =
 * 15); "w" selects 64-bit operand size (REX.W).
 */
#ifndef PF_EBPF_JIT_X86_ENC_H
#define PF_EBPF_JIT_X86_ENC_H

#include <stdint.h>
#include <string.h>

enum pf_x86_reg {
    PF_X86_RAX = 0, PF_X86_RCX, PF_X86_RDX, PF_X86_RBX, PF_X86_RSP,
    PF_X86_RBP, PF_X86_RSI, PF_X86_RDI, PF_X86_R8, PF_X86_R9, PF_X86_R10,
    PF_X86_R11, PF_X86_R12, PF_X86_R13, PF_X86_R14, PF_X86_R15,
};

/* Condition codes (the low nibble of Jcc). */
enum pf_x86_cc {
    PF_X86_CC_B = 0x2, PF_X86_CC_AE = 0x3, PF_X86_CC_E = 0x4,
    PF_X86_CC_NE = 0x5, PF_X86_CC_BE = 0x6, PF_X86_CC_A = 0x7,
    PF_X86_CC_L = 0xc, PF_X86_CC_GE = 0xd, PF_X86_CC_LE = 0xe,
    PF_X86_CC_G = 0xf,
};

/* Group-1 ALU operations: the /digit of 81/83 and the r/m,reg opcode. */
enum pf_x86_alu {
    PF_X86_ADD = 0, PF_X86_OR = 1, PF_X86_AND = 4, PF_X86_SUB = 5,
    PF_X86_XOR = 6, PF_X86_CMP = 7,
};

/* Shift group (C1/D3 /digit). */
enum pf_x86_shift { PF_X86_SHL = 4, PF_X86_SHR = 5, PF_X86_SAR = 7 };

static inline uint8_t pf_x86_rex(int w, int r, int x, int b)
{
    return (uint8_t)(0x40 | (w ? 8 : 0) | ((r >> 3) & 1) << 2 |
                     ((x >> 3) & 1) << 1 | ((b >> 3) & 1));
}

static inline uint8_t pf_x86_modrm(int mod, int reg, int rm)
{
    return (uint8_t)((mod & 3) << 6 | (reg & 7) << 3 | (rm & 7));
}

static inline uint8_t pf_x86_sib(int scale, int index, int base)
{
    return (uint8_t)((scale & 3) << 6 | (index & 7) << 3 | (base & 7));
}

static inline int pf_x86_is_imm8(int64_t v) { return v >= -128 && v <= 127; }

static inline int pf_x86_put32(uint8_t *o, int32_t v)
{
    memcpy(o, &v, 4);
    return 4;
}

/* [prefix 66] [REX] opcode... ModRM(11, reg, rm). REX is emitted when
 * needed or @byteregs asks for SPL..DIL addressing. */
static inline int pf_x86_op_rr(uint8_t *o, int p66, int w, int byteregs,
                               const uint8_t *opc, int nopc, int reg, int rm)
{
    int n = 0;

    if (p66)
        o[n++] = 0x66;
    if (w || reg >= 8 || rm >= 8 || (byteregs && (reg >= 4 || rm >= 4)))
        o[n++] = pf_x86_rex(w, reg, 0, rm);
    memcpy(o + n, opc, (size_t)nopc);
    n += nopc;
    o[n++] = pf_x86_modrm(3, reg, rm);
    return n;
}

/* The same with a memory operand [base + disp]. */
static inline int pf_x86_op_rm(uint8_t *o, int p66, int w, int byteregs,
                               const uint8_t *opc, int nopc, int reg,
                               int base, int32_t disp)
{
    int n = 0, mod = disp == 0 && (base & 7) != 5 ? 0
                     : pf_x86_is_imm8(disp)        ? 1
                                                   : 2;

    if (p66)
        o[n++] = 0x66;
    if (w || reg >= 8 || base >= 8 || (byteregs && reg >= 4))
        o[n++] = pf_x86_rex(w, reg, 0, base);
    memcpy(o + n, opc, (size_t)nopc);
    n += nopc;
    o[n++] = pf_x86_modrm(mod, reg, base);
    if ((base & 7) == 4)
        o[n++] = pf_x86_sib(0, 4, base);
    if (mod == 1)
        o[n++] = (uint8_t)(int8_t)disp;
    else if (mod == 2)
        n += pf_x86_put32(o + n, disp);
    return n;
}

/* lea dst, [base + disp] (64-bit) */
static inline int pf_x86_lea(uint8_t *o, int dst, int base, int32_t disp)
{
    static const uint8_t opc = 0x8d;

    return pf_x86_op_rm(o, 0, 1, 0, &opc, 1, dst, base, disp);
}

/* lea dst, [base + index] (64-bit; @index is never rsp) */
static inline int pf_x86_lea_idx(uint8_t *o, int dst, int base, int index)
{
    int n = 0, mod = (base & 7) == 5; /* rbp/r13 bases need a disp8 */

    o[n++] = pf_x86_rex(1, dst, index, base);
    o[n++] = 0x8d;
    o[n++] = pf_x86_modrm(mod, dst, 4);
    o[n++] = pf_x86_sib(0, index, base);
    if (mod)
        o[n++] = 0;
    return n;
}

/* op r/m, reg for ADD/OR/AND/SUB/XOR/CMP; also MOV (0x89), TEST (0x85). */
static inline int pf_x86_alu_rr(uint8_t *o, int w, enum pf_x86_alu op,
                                int dst, int src)
{
    uint8_t opc = (uint8_t)(op << 3 | 1);

    return pf_x86_op_rr(o, 0, w, 0, &opc, 1, src, dst);
}

static inline int pf_x86_mov_rr(uint8_t *o, int w, int dst, int src)
{
    static const uint8_t opc = 0x89;

    return pf_x86_op_rr(o, 0, w, 0, &opc, 1, src, dst);
}

static inline int pf_x86_test_rr(uint8_t *o, int w, int a, int b)
{
    static const uint8_t opc = 0x85;

    return pf_x86_op_rr(o, 0, w, 0, &opc, 1, b, a);
}

/* op dst, imm (83 ib when it fits, else 81 id, or the one-byte shorter
 * op eax/rax, id form; sign-extended). */
static inline int pf_x86_alu_ri(uint8_t *o, int w, enum pf_x86_alu op,
                                int dst, int32_t imm)
{
    uint8_t opc = pf_x86_is_imm8(imm) ? 0x83 : 0x81;
    int n;

    if (opc == 0x81 && dst == PF_X86_RAX) {
        n = 0;
        if (w)
            o[n++] = pf_x86_rex(1, 0, 0, 0);
        o[n++] = (uint8_t)(op << 3 | 5);
        return n + pf_x86_put32(o + n, imm);
    }
    n = pf_x86_op_rr(o, 0, w, 0, &opc, 1, op, dst);

    if (opc == 0x83) {
        o[n++] = (uint8_t)(int8_t)imm;
        return n;
    }
    return n + pf_x86_put32(o + n, imm);
}

/* test dst, imm32 (F7 /0 id; A9 id for eax/rax) */
static inline int pf_x86_test_ri(uint8_t *o, int w, int dst, int32_t imm)
{
    static const uint8_t opc = 0xf7;
    int n = 0;

    if (dst == PF_X86_RAX) {
        if (w)
            o[n++] = pf_x86_rex(1, 0, 0, 0);
        o[n++] = 0xa9;
    } else {
        n = pf_x86_op_rr(o, 0, w, 0, &opc, 1, 0, dst);
    }
    return n + pf_x86_put32(o + n, imm);
}

/* test dst8, imm8 (F6 /0 ib; A8 ib for al): the low byte only, so the
 * same flags as a wider test when @imm has no bits above 7. */
static inline int pf_x86_test_ri8(uint8_t *o, int dst, uint8_t imm)
{
    static const uint8_t opc = 0xf6;
    int n = 0;

    if (dst == PF_X86_RAX)
        o[n++] = 0xa8;
    else
        n = pf_x86_op_rr(o, 0, 0, 1, &opc, 1, 0, dst);
    o[n++] = imm;
    return n;
}

/* mov r32, imm32 (zero-extends); mov r64, simm32; movabs r64, imm64 */
static inline int pf_x86_mov_ri32(uint8_t *o, int dst, uint32_t imm)
{
    int n = 0;

    if (dst >= 8)
        o[n++] = pf_x86_rex(0, 0, 0, dst);
    o[n++] = (uint8_t)(0xb8 + (dst & 7));
    return n + pf_x86_put32(o + n, (int32_t)imm);
}

static inline int pf_x86_mov_ri64s(uint8_t *o, int dst, int32_t imm)
{
    static const uint8_t opc = 0xc7;
    int n = pf_x86_op_rr(o, 0, 1, 0, &opc, 1, 0, dst);

    return n + pf_x86_put32(o + n, imm);
}

static inline int pf_x86_movabs(uint8_t *o, int dst, uint64_t imm)
{
    o[0] = pf_x86_rex(1, 0, 0, dst);
    o[1] = (uint8_t)(0xb8 + (dst & 7));
    memcpy(o + 2, &imm, 8);
    return 10;
}

/* imul dst, src; imul dst, dst, imm32 */
static inline int pf_x86_imul_rr(uint8_t *o, int w, int dst, int src)
{
    static const uint8_t opc[2] = {0x0f, 0xaf};

    return pf_x86_op_rr(o, 0, w, 0, opc, 2, dst, src);
}

static inline int pf_x86_imul_ri(uint8_t *o, int w, int dst, int32_t imm)
{
    static const uint8_t opc = 0x69;
    int n = pf_x86_op_rr(o, 0, w, 0, &opc, 1, dst, dst);

    return n + pf_x86_put32(o + n, imm);
}

/* Group 3 (F7): /3 neg, /6 div, /7 idiv */
static inline int pf_x86_grp3(uint8_t *o, int w, int digit, int rm)
{
    static const uint8_t opc = 0xf7;

    return pf_x86_op_rr(o, 0, w, 0, &opc, 1, digit, rm);
}

/* shl/shr/sar dst, imm8 and dst, cl */
static inline int pf_x86_shift_ri(uint8_t *o, int w, enum pf_x86_shift op,
                                  int dst, uint8_t imm)
{
    static const uint8_t opc = 0xc1;
    int n = pf_x86_op_rr(o, 0, w, 0, &opc, 1, op, dst);

    o[n++] = imm;
    return n;
}

static inline int pf_x86_shift_cl(uint8_t *o, int w, enum pf_x86_shift op,
                                  int dst)
{
    static const uint8_t opc = 0xd3;

    return pf_x86_op_rr(o, 0, w, 0, &opc, 1, op, dst);
}

/* bswap r32/r64; ror r16, 8; movzx r32, r16 */
static inline int pf_x86_bswap(uint8_t *o, int w, int r)
{
    int n = 0;

    if (w || r >= 8)
        o[n++] = pf_x86_rex(w, 0, 0, r);
    o[n++] = 0x0f;
    o[n++] = (uint8_t)(0xc8 + (r & 7));
    return n;
}

static inline int pf_x86_ror16_8(uint8_t *o, int r)
{
    static const uint8_t opc = 0xc1;
    int n = pf_x86_op_rr(o, 1, 0, 0, &opc, 1, 1, r);

    o[n++] = 8;
    return n;
}

/* movzx r32, r8/r16 (@bits 8/16); movsx r32/r64, r8/r16; movsxd r64, r32 */
static inline int pf_x86_movzx_rr(uint8_t *o, int bits, int dst, int src)
{
    uint8_t opc[2] = {0x0f, bits == 8 ? 0xb6 : 0xb7};

    return pf_x86_op_rr(o, 0, 0, bits == 8, opc, 2, dst, src);
}

static inline int pf_x86_movsx_rr(uint8_t *o, int w, int bits, int dst,
                                  int src)
{
    uint8_t opc[2] = {0x0f, bits == 8 ? 0xbe : 0xbf};

    if (bits == 32) {
        opc[0] = 0x63;
        return pf_x86_op_rr(o, 0, 1, 0, opc, 1, dst, src);
    }
    return pf_x86_op_rr(o, 0, w, bits == 8, opc, 2, dst, src);
}

/* Loads: zero-extending (@bytes 1, 2, 4, 8) and sign-extending to 64. */
static inline int pf_x86_load(uint8_t *o, int bytes, int dst, int base,
                              int32_t disp)
{
    static const uint8_t zx8[2] = {0x0f, 0xb6}, zx16[2] = {0x0f, 0xb7};
    static const uint8_t mov = 0x8b;

    switch (bytes) {
    case 1: return pf_x86_op_rm(o, 0, 0, 0, zx8, 2, dst, base, disp);
    case 2: return pf_x86_op_rm(o, 0, 0, 0, zx16, 2, dst, base, disp);
    case 4: return pf_x86_op_rm(o, 0, 0, 0, &mov, 1, dst, base, disp);
    default: return pf_x86_op_rm(o, 0, 1, 0, &mov, 1, dst, base, disp);
    }
}

static inline int pf_x86_load_sx(uint8_t *o, int bytes, int dst, int base,
                                 int32_t disp)
{
    static const uint8_t sx8[2] = {0x0f, 0xbe}, sx16[2] = {0x0f, 0xbf};
    static const uint8_t sx32 = 0x63;

    switch (bytes) {
    case 1: return pf_x86_op_rm(o, 0, 1, 0, sx8, 2, dst, base, disp);
    case 2: return pf_x86_op_rm(o, 0, 1, 0, sx16, 2, dst, base, disp);
    default: return pf_x86_op_rm(o, 0, 1, 0, &sx32, 1, dst, base, disp);
    }
}

/* mov [base + disp], src (@bytes wide) */
static inline int pf_x86_store(uint8_t *o, int bytes, int base, int32_t disp,
                               int src)
{
    uint8_t opc = bytes == 1 ? 0x88 : 0x89;

    return pf_x86_op_rm(o, bytes == 2, bytes == 8, bytes == 1, &opc, 1, src,
                        base, disp);
}

/* mov [base + disp], imm (@bytes wide; 8: sign-extended imm32) */
static inline int pf_x86_store_imm(uint8_t *o, int bytes, int base,
                                   int32_t disp, int32_t imm)
{
    uint8_t opc = bytes == 1 ? 0xc6 : 0xc7;
    int n = pf_x86_op_rm(o, bytes == 2, bytes == 8, 0, &opc, 1, 0, base, disp);

    if (bytes == 1) {
        o[n++] = (uint8_t)imm;
        return n;
    }
    if (bytes == 2) {
        o[n++] = (uint8_t)imm;
        o[n++] = (uint8_t)(imm >> 8);
        return n;
    }
    return n + pf_x86_put32(o + n, imm);
}

/* jmp rel8/rel32, jcc rel8/rel32 (displacement from the end) */
static inline int pf_x86_jmp(uint8_t *o, int32_t rel, int short_form)
{
    if (short_form) {
        o[0] = 0xeb;
        o[1] = (uint8_t)(int8_t)rel;
        return 2;
    }
    o[0] = 0xe9;
    return 1 + pf_x86_put32(o + 1, rel);
}

static inline int pf_x86_jcc(uint8_t *o, enum pf_x86_cc cc, int32_t rel,
                             int short_form)
{
    if (short_form) {
        o[0] = (uint8_t)(0x70 | cc);
        o[1] = (uint8_t)(int8_t)rel;
        return 2;
    }
    o[0] = 0x0f;
    o[1] = (uint8_t)(0x80 | cc);
    return 2 + pf_x86_put32(o + 2, rel);
}

/* push/pop r64, call r64 */
static inline int pf_x86_push(uint8_t *o, int r)
{
    int n = 0;

    if (r >= 8)
        o[n++] = 0x41;
    o[n++] = (uint8_t)(0x50 + (r & 7));
    return n;
}

static inline int pf_x86_pop(uint8_t *o, int r)
{
    int n = 0;

    if (r >= 8)
        o[n++] = 0x41;
    o[n++] = (uint8_t)(0x58 + (r & 7));
    return n;
}

static inline int pf_x86_call_r(uint8_t *o, int r)
{
    static const uint8_t opc = 0xff;

    return pf_x86_op_rr(o, 0, 0, 0, &opc, 1, 2, r);
}

#endif
