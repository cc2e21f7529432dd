/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The eBPF instruction set (RFC 9669) as one X-macro list. The verifier's
 * opcode table, the interpreter's computed-goto dispatch table, the JIT's
 * dispatch, the disassembler and the assembler all expand from
 * PF_EBPF_OPS, so no engine can know an opcode the others do not.
 *
 * X(NAME, code, kind, text)
 * kinds:  ALU_K/ALU_X   dst op= imm / src (32-bit, zero-extends)
 *         ALU64_K/ALU64_X  the same in 64 bits       NEG / NEG64  dst = -dst
 *         END           to_le / to_be (text "le"/"be"), imm = 16/32/64
 *         BSWAP         unconditional byte swap (ALU64 END)
 *         LDDW          64-bit immediate, two slots
 *         LDABS/LDIND   legacy packet loads (socket programs)
 *         LDX / LDXSX   load (zero- / sign-extending)   ST / STX  store
 *         ATOMIC        atomic read-modify-write (imm selects the operation)
 *         JA / JA32     goto +off / gotol +imm
 *         JMP_K/JMP_X, JMP32_K/JMP32_X   conditional jumps (text = operator)
 *         CALL / EXIT
 * text: the operator or size the disassembler prints.
 */
#ifndef PF_EBPF_OPS_H
#define PF_EBPF_OPS_H

#define PF_EBPF_ALU_OPS(X, P, CLS, KK, KX, SUF)                                \
    X(P##ADD_K##SUF, CLS | 0x04, KK, "+=")                                     \
    X(P##ADD_X##SUF, CLS | 0x0c, KX, "+=")                                     \
    X(P##SUB_K##SUF, CLS | 0x14, KK, "-=")                                     \
    X(P##SUB_X##SUF, CLS | 0x1c, KX, "-=")                                     \
    X(P##MUL_K##SUF, CLS | 0x24, KK, "*=")                                     \
    X(P##MUL_X##SUF, CLS | 0x2c, KX, "*=")                                     \
    X(P##DIV_K##SUF, CLS | 0x34, KK, "/=")                                     \
    X(P##DIV_X##SUF, CLS | 0x3c, KX, "/=")                                     \
    X(P##OR_K##SUF, CLS | 0x44, KK, "|=")                                      \
    X(P##OR_X##SUF, CLS | 0x4c, KX, "|=")                                      \
    X(P##AND_K##SUF, CLS | 0x54, KK, "&=")                                     \
    X(P##AND_X##SUF, CLS | 0x5c, KX, "&=")                                     \
    X(P##LSH_K##SUF, CLS | 0x64, KK, "<<=")                                    \
    X(P##LSH_X##SUF, CLS | 0x6c, KX, "<<=")                                    \
    X(P##RSH_K##SUF, CLS | 0x74, KK, ">>=")                                    \
    X(P##RSH_X##SUF, CLS | 0x7c, KX, ">>=")                                    \
    X(P##MOD_K##SUF, CLS | 0x94, KK, "%=")                                     \
    X(P##MOD_X##SUF, CLS | 0x9c, KX, "%=")                                     \
    X(P##XOR_K##SUF, CLS | 0xa4, KK, "^=")                                     \
    X(P##XOR_X##SUF, CLS | 0xac, KX, "^=")                                     \
    X(P##MOV_K##SUF, CLS | 0xb4, KK, "=")                                      \
    X(P##MOV_X##SUF, CLS | 0xbc, KX, "=")                                      \
    X(P##ARSH_K##SUF, CLS | 0xc4, KK, "s>>=")                                  \
    X(P##ARSH_X##SUF, CLS | 0xcc, KX, "s>>=")

#define PF_EBPF_JMP_OPS(X, P, CLS, KK, KX)                                     \
    X(P##JEQ_K, CLS | 0x10, KK, "==")                                          \
    X(P##JEQ_X, CLS | 0x18, KX, "==")                                          \
    X(P##JGT_K, CLS | 0x20, KK, ">")                                           \
    X(P##JGT_X, CLS | 0x28, KX, ">")                                           \
    X(P##JGE_K, CLS | 0x30, KK, ">=")                                          \
    X(P##JGE_X, CLS | 0x38, KX, ">=")                                          \
    X(P##JSET_K, CLS | 0x40, KK, "&")                                          \
    X(P##JSET_X, CLS | 0x48, KX, "&")                                          \
    X(P##JNE_K, CLS | 0x50, KK, "!=")                                          \
    X(P##JNE_X, CLS | 0x58, KX, "!=")                                          \
    X(P##JSGT_K, CLS | 0x60, KK, "s>")                                         \
    X(P##JSGT_X, CLS | 0x68, KX, "s>")                                         \
    X(P##JSGE_K, CLS | 0x70, KK, "s>=")                                        \
    X(P##JSGE_X, CLS | 0x78, KX, "s>=")                                        \
    X(P##JLT_K, CLS | 0xa0, KK, "<")                                           \
    X(P##JLT_X, CLS | 0xa8, KX, "<")                                           \
    X(P##JLE_K, CLS | 0xb0, KK, "<=")                                          \
    X(P##JLE_X, CLS | 0xb8, KX, "<=")                                          \
    X(P##JSLT_K, CLS | 0xc0, KK, "s<")                                         \
    X(P##JSLT_X, CLS | 0xc8, KX, "s<")                                         \
    X(P##JSLE_K, CLS | 0xd0, KK, "s<=")                                        \
    X(P##JSLE_X, CLS | 0xd8, KX, "s<=")

#define PF_EBPF_OPS(X)                                                         \
    PF_EBPF_ALU_OPS(X, , 0x00, ALU_K, ALU_X, 32)                               \
    X(NEG32, 0x84, NEG, "-")                                                   \
    X(LE, 0xd4, END, "le")                                                     \
    X(BE, 0xdc, END, "be")                                                     \
    PF_EBPF_ALU_OPS(X, , 0x03, ALU64_K, ALU64_X, 64)                           \
    X(NEG64, 0x87, NEG64, "-")                                                 \
    X(BSWAP, 0xd7, BSWAP, "bswap")                                             \
    X(LDDW, 0x18, LDDW, "ll")                                                  \
    X(LDABS_W, 0x20, LDABS, "u32")                                             \
    X(LDABS_H, 0x28, LDABS, "u16")                                             \
    X(LDABS_B, 0x30, LDABS, "u8")                                              \
    X(LDIND_W, 0x40, LDIND, "u32")                                             \
    X(LDIND_H, 0x48, LDIND, "u16")                                             \
    X(LDIND_B, 0x50, LDIND, "u8")                                              \
    X(LDX_W, 0x61, LDX, "u32")                                                 \
    X(LDX_H, 0x69, LDX, "u16")                                                 \
    X(LDX_B, 0x71, LDX, "u8")                                                  \
    X(LDX_DW, 0x79, LDX, "u64")                                                \
    X(LDXSX_W, 0x81, LDXSX, "s32")                                             \
    X(LDXSX_H, 0x89, LDXSX, "s16")                                             \
    X(LDXSX_B, 0x91, LDXSX, "s8")                                              \
    X(ST_W, 0x62, ST, "u32")                                                   \
    X(ST_H, 0x6a, ST, "u16")                                                   \
    X(ST_B, 0x72, ST, "u8")                                                    \
    X(ST_DW, 0x7a, ST, "u64")                                                  \
    X(STX_W, 0x63, STX, "u32")                                                 \
    X(STX_H, 0x6b, STX, "u16")                                                 \
    X(STX_B, 0x73, STX, "u8")                                                  \
    X(STX_DW, 0x7b, STX, "u64")                                                \
    X(ATOMIC_W, 0xc3, ATOMIC, "u32")                                           \
    X(ATOMIC_DW, 0xdb, ATOMIC, "u64")                                          \
    X(JA, 0x05, JA, "goto")                                                    \
    PF_EBPF_JMP_OPS(X, , 0x05, JMP_K, JMP_X)                                   \
    X(CALL, 0x85, CALL, "call")                                                \
    X(EXIT, 0x95, EXIT, "exit")                                                \
    X(JA32, 0x06, JA32, "gotol")                                               \
    PF_EBPF_JMP_OPS(X, J32_, 0x06, JMP32_K, JMP32_X)

/* Operand kinds, one per row shape of the list above. */
#define PF_EBPF_KINDS(X)                                                       \
    X(ALU_K) X(ALU_X) X(ALU64_K) X(ALU64_X) X(NEG) X(NEG64) X(END) X(BSWAP)   \
    X(LDDW) X(LDABS) X(LDIND) X(LDX) X(LDXSX) X(ST) X(STX) X(ATOMIC) X(JA)     \
    X(JA32) X(JMP_K) X(JMP_X) X(JMP32_K) X(JMP32_X) X(CALL) X(EXIT)

enum pf_ebpf_kind {
    PF_EBPF_KIND_INVALID = 0,
#define PF_EBPF_KIND_ENUM(k) PF_EBPF_KIND_##k,
    PF_EBPF_KINDS(PF_EBPF_KIND_ENUM)
#undef PF_EBPF_KIND_ENUM
};

enum pf_ebpf_opcode {
#define PF_EBPF_OPCODE_ENUM(name, code, kind, text) PF_EBPF_OPC_##name = (code),
    PF_EBPF_OPS(PF_EBPF_OPCODE_ENUM)
#undef PF_EBPF_OPCODE_ENUM
};

/* Per-opcode facts indexed by the opcode byte; .name is NULL for bytes
 * that are not instructions. */
struct pf_ebpf_opinfo {
    const char *name;
    const char *text;
    enum pf_ebpf_kind kind;
};

extern const struct pf_ebpf_opinfo pf_ebpf_opinfo[256];

/* The instruction a jump at @pc (@in) goes to when taken (ops.c), or -1
 * when @in does not jump; not checked against the program's length. */
struct pf_ebpf_insn;
long pf_ebpf_jump_target(const struct pf_ebpf_insn *in, long pc);

/* Returns the table entry for @code, or NULL if it is not an opcode. */
static inline const struct pf_ebpf_opinfo *pf_ebpf_op_lookup(unsigned code)
{
    if (code > 0xff || !pf_ebpf_opinfo[code].name)
        return 0;
    return &pf_ebpf_opinfo[code];
}

/* Access size in bytes of a load/store opcode. */
static inline int pf_ebpf_size_bytes(unsigned code)
{
    static const int sizes[4] = {4, 2, 1, 8};
    return sizes[(code >> 3) & 3];
}

#endif
