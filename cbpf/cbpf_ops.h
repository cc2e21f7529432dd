/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The classic BPF instruction set as one X-macro list. The validator's
 * opcode table, the interpreter's dispatch table and the disassembler's
 * mnemonics all expand from PF_CBPF_OPS, so an opcode cannot be known to
 * one of them and missing from another.
 *
 * X(NAME, code, mnemonic, operand-kind)
 * Operand kinds say how k (and jt/jf) are used and printed:
 *   ABS  packet load at [k]          IND  packet load at [x + k]
 *   LEN  the packet length           IMM  immediate k
 *   MEM  scratch word M[k]           MSH  4*([k]&0xf) into X
 *   ALUK ALU op with k               ALUX ALU op with X
 *   NONE no operand (neg, tax, txa)
 *   JA   unconditional jump by k     JK / JX conditional jump on k / X
 *   RETK return k                    RETA return A
 */
#ifndef PF_CBPF_OPS_H
#define PF_CBPF_OPS_H

#define PF_CBPF_OPS(X)                                                         \
    X(LD_W_ABS, 0x20, "ld", ABS)                                               \
    X(LD_H_ABS, 0x28, "ldh", ABS)                                              \
    X(LD_B_ABS, 0x30, "ldb", ABS)                                              \
    X(LD_W_IND, 0x40, "ld", IND)                                               \
    X(LD_H_IND, 0x48, "ldh", IND)                                              \
    X(LD_B_IND, 0x50, "ldb", IND)                                              \
    X(LD_W_LEN, 0x80, "ld", LEN)                                               \
    X(LD_IMM, 0x00, "ld", IMM)                                                 \
    X(LD_MEM, 0x60, "ld", MEM)                                                 \
    X(LDX_IMM, 0x01, "ldx", IMM)                                               \
    X(LDX_MEM, 0x61, "ldx", MEM)                                               \
    X(LDX_LEN, 0x81, "ldx", LEN)                                               \
    X(LDX_MSH, 0xb1, "ldxb", MSH)                                              \
    X(ST, 0x02, "st", MEM)                                                     \
    X(STX, 0x03, "stx", MEM)                                                   \
    X(ADD_K, 0x04, "add", ALUK)                                                \
    X(SUB_K, 0x14, "sub", ALUK)                                                \
    X(MUL_K, 0x24, "mul", ALUK)                                                \
    X(DIV_K, 0x34, "div", ALUK)                                                \
    X(OR_K, 0x44, "or", ALUK)                                                  \
    X(AND_K, 0x54, "and", ALUK)                                                \
    X(LSH_K, 0x64, "lsh", ALUK)                                                \
    X(RSH_K, 0x74, "rsh", ALUK)                                                \
    X(MOD_K, 0x94, "mod", ALUK)                                                \
    X(XOR_K, 0xa4, "xor", ALUK)                                                \
    X(ADD_X, 0x0c, "add", ALUX)                                                \
    X(SUB_X, 0x1c, "sub", ALUX)                                                \
    X(MUL_X, 0x2c, "mul", ALUX)                                                \
    X(DIV_X, 0x3c, "div", ALUX)                                                \
    X(OR_X, 0x4c, "or", ALUX)                                                  \
    X(AND_X, 0x5c, "and", ALUX)                                                \
    X(LSH_X, 0x6c, "lsh", ALUX)                                                \
    X(RSH_X, 0x7c, "rsh", ALUX)                                                \
    X(MOD_X, 0x9c, "mod", ALUX)                                                \
    X(XOR_X, 0xac, "xor", ALUX)                                                \
    X(NEG, 0x84, "neg", NONE)                                                  \
    X(JA, 0x05, "ja", JA)                                                      \
    X(JEQ_K, 0x15, "jeq", JK)                                                  \
    X(JGT_K, 0x25, "jgt", JK)                                                  \
    X(JGE_K, 0x35, "jge", JK)                                                  \
    X(JSET_K, 0x45, "jset", JK)                                                \
    X(JEQ_X, 0x1d, "jeq", JX)                                                  \
    X(JGT_X, 0x2d, "jgt", JX)                                                  \
    X(JGE_X, 0x3d, "jge", JX)                                                  \
    X(JSET_X, 0x4d, "jset", JX)                                                \
    X(RET_K, 0x06, "ret", RETK)                                                \
    X(RET_A, 0x16, "ret", RETA)                                                \
    X(TAX, 0x07, "tax", NONE)                                                  \
    X(TXA, 0x87, "txa", NONE)

enum pf_cbpf_operand {
    PF_CBPF_OPND_INVALID = 0,
    PF_CBPF_OPND_ABS,
    PF_CBPF_OPND_IND,
    PF_CBPF_OPND_LEN,
    PF_CBPF_OPND_IMM,
    PF_CBPF_OPND_MEM,
    PF_CBPF_OPND_MSH,
    PF_CBPF_OPND_ALUK,
    PF_CBPF_OPND_ALUX,
    PF_CBPF_OPND_NONE,
    PF_CBPF_OPND_JA,
    PF_CBPF_OPND_JK,
    PF_CBPF_OPND_JX,
    PF_CBPF_OPND_RETK,
    PF_CBPF_OPND_RETA,
};

enum pf_cbpf_op {
#define PF_CBPF_OP_ENUM(name, code, mnem, opnd) PF_CBPF_OP_##name = code,
    PF_CBPF_OPS(PF_CBPF_OP_ENUM)
#undef PF_CBPF_OP_ENUM
};

/* Per-opcode facts, indexed by the (8-bit) opcode; .mnemonic is NULL for
 * codes that are not instructions. Codes above 0xff are never valid. */
struct pf_cbpf_opinfo {
    const char *mnemonic;
    enum pf_cbpf_operand operand;
};

extern const struct pf_cbpf_opinfo pf_cbpf_opinfo[256];

/* Returns the table entry for @code, or NULL if it is not an opcode. */
static inline const struct pf_cbpf_opinfo *pf_cbpf_op_lookup(unsigned code)
{
    if (code > 0xff || !pf_cbpf_opinfo[code].mnemonic)
        return 0;
    return &pf_cbpf_opinfo[code];
}

#endif
