/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The eBPF interpreter: a computed-goto loop whose dispatch table expands
 * from PF_EBPF_OPS. It runs verified programs only, so it does no bounds
 * checks of its own except for LD_ABS/LD_IND, whose out-of-bounds reads
 * end the program with 0 (kernel semantics). Arithmetic goes through the
 * shared helpers in ebpf_impl.h, which are also the JIT's specification.
 *
 * Programs are pre-decoded once (pf_ebpf_interp_prepare, at vm_new) into
 * threaded code: one slot per instruction holding its handler's address
 * and unpacked register numbers, so dispatch is one indirect jump through
 * the slot. Slots stay index-aligned with the instructions (jump offsets
 * are unchanged). The shapes the translator emits all the time are fused:
 * the first slot of a group gets a handler doing the whole group (load +
 * compare-immediate + jump, the same after a byte swap or an indexed
 * address, the "msh" header-length triple, the bounds check copy + add +
 * jump, runs of "if w == k", set r0 + exit...), reading the operands of
 * the later slots, which keep their own handlers: a jump landing in the
 * middle of a group runs the rest of it one instruction at a time.
 */
#include <string.h>

#include "ebpf_impl.h"

_Static_assert(sizeof(struct pf_ebpf_tinsn) == 16,
               "threaded code: four slots per cache line");

#define DST r[in->dst]
#define SRC r[in->src]
#define IMM ((uint64_t)(int64_t)in->imm)
#define ADDR(base) ((uintptr_t)(base) + (intptr_t)in->off)

/* Loads @size bytes at @p zero- or sign-extended (inlined with a
 * constant size into one move). */
static inline __attribute__((always_inline)) uint64_t load(uintptr_t p,
                                                          int size, int sx)
{
    switch (size) {
    case 1: {
        uint8_t v;
        memcpy(&v, (const void *)p, 1);
        return sx ? (uint64_t)(int64_t)(int8_t)v : v;
    }
    case 2: {
        uint16_t v;
        memcpy(&v, (const void *)p, 2);
        return sx ? (uint64_t)(int64_t)(int16_t)v : v;
    }
    case 4: {
        uint32_t v;
        memcpy(&v, (const void *)p, 4);
        return sx ? (uint64_t)(int64_t)(int32_t)v : v;
    }
    default: {
        uint64_t v;
        memcpy(&v, (const void *)p, 8);
        return v;
    }
    }
}

static inline __attribute__((always_inline)) void store(uintptr_t p,
                                                       int size, uint64_t v)
{
    uint8_t b = (uint8_t)v;
    uint16_t h = (uint16_t)v;
    uint32_t w = (uint32_t)v;

    switch (size) {
    case 1: memcpy((void *)p, &b, 1); break;
    case 2: memcpy((void *)p, &h, 2); break;
    case 4: memcpy((void *)p, &w, 4); break;
    default: memcpy((void *)p, &v, 8); break;
    }
}

/* STX|ATOMIC on (@p, @size): the operation in @in->imm; updates r[]. */
static void atomic_op(const struct pf_ebpf_tinsn *in, uint64_t *r, uintptr_t p,
                      int size)
{
    uint64_t mask = size == 4 ? 0xffffffffu : ~(uint64_t)0;
    uint64_t old = load(p, size, 0);
    uint64_t src = SRC & mask;
    int op = in->imm & ~PF_EBPF_FETCH;

    if (in->imm == PF_EBPF_XCHG) {
        store(p, size, src);
        SRC = old;
        return;
    }
    if (in->imm == PF_EBPF_CMPXCHG) {
        if ((r[0] & mask) == old)
            store(p, size, src);
        r[0] = old;
        return;
    }
    store(p, size, op == PF_EBPF_ADD   ? old + src
                   : op == PF_EBPF_OR  ? (old | src)
                   : op == PF_EBPF_AND ? (old & src)
                                       : (old ^ src));
    if (in->imm & PF_EBPF_FETCH)
        SRC = old;
}

/* The bounds check "dst = src; dst += imm (of the slot); if dst > src2
 * (of the third)": does it, returns whether the jump is taken. */
static inline __attribute__((always_inline)) int
bounds(const struct pf_ebpf_tinsn *in, uint64_t *r)
{
    uint64_t v = r[in->src] + (uint64_t)(int64_t)in->imm;

    r[in->dst] = v;
    return v > r[in[2].src];
}

/* Calls helper @id with r1..r5. */
static uint64_t call(int32_t id, const uint64_t *r)
{
    pf_ebpf_helper_fn fn = pf_ebpf_helper_lookup(id);

    return fn ? fn(r[1], r[2], r[3], r[4], r[5]) : 0;
}

/*
 * Load + conditional jump on the loaded register with an immediate (the
 * translator's "A = P[k]; if A op #k"): one handler per load size, jump
 * operation and width, numbered FUSE_LDJ + (size * LDJ_NCOND + cond) * 2
 * + is32 in the order of these lists.
 */
#define LDJ_SIZES(X) X(B, 1) X(H, 2) X(W, 4)
#define LDJ_CONDS(X, L, S)                                                     \
    X(L, S, JEQ) X(L, S, JNE) X(L, S, JSET) X(L, S, JGT) X(L, S, JGE)          \
    X(L, S, JLT) X(L, S, JLE)
#define LDJ_NCOND 7
#define LDJ_COUNT (3 * LDJ_NCOND * 2)

/* Handlers beyond the 256 opcodes: fused groups, plain moves. */
enum {
    FUSE_LDXH_BE16 = 256, /* dst = *(u16 *)(src + off); dst = be16 dst */
    FUSE_LDXW_BE32,       /* dst = *(u32 *)(src + off); dst = be32 dst */
    FUSE_MOV_ADD,         /* dst = src; dst += imm (of the second) */
    PLAIN_MOV_X64,        /* dst = src (no sign extension: off 0) */
    PLAIN_MOV_X32,        /* wdst = wsrc (off 0) */
    FUSE_MOV_ADDX,        /* dst = src; dst += src (of the second) */
    FUSE_MOV_ADD_JGTX,    /* dst = src; dst += imm; if dst > src goto */
    FUSE_MSH,             /* dst = u8 load; wdst &= imm; wdst <<= imm */
    FUSE_RET_K32,         /* w0 = imm; exit */
    FUSE_RET_K64,         /* r0 = imm; exit */
    FUSE_JEQ_RUN32,       /* src (>= 2) jumps "if wdst == imm" in a row */
    FUSE_LDJ,             /* first of LDJ_COUNT load + jump pairs */
    /* first of LDJ_COUNT "dst = src; dst += src2" + load (from dst) + jump
     * quadruples, in the order of the pairs */
    FUSE_ILDJ = FUSE_LDJ + LDJ_COUNT,
    /* first of LDJ_COUNT load + byte swap + jump triples (H and W) */
    FUSE_SLDJ = FUSE_ILDJ + LDJ_COUNT,
    N_HANDLERS = FUSE_SLDJ + LDJ_COUNT
};

/* Runs threaded code @code; with @code NULL, returns the address of the
 * handler table (N_HANDLERS entries) instead. */
static uint64_t run_threaded(const struct pf_ebpf_tinsn *code, uint64_t r1,
                             uint64_t r2, uint64_t r3)
{
    /* Unknown codes go to "bad"; the verifier never lets one through. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Woverride-init"
    static const void *const labels[N_HANDLERS] = {
        [0 ... N_HANDLERS - 1] = &&bad,
#define PF_EBPF_LABEL(name, code, kind, text) [code] = &&op_##name,
        PF_EBPF_OPS(PF_EBPF_LABEL)
#undef PF_EBPF_LABEL
        [FUSE_LDXH_BE16] = &&fuse_LDXH_BE16,
        [FUSE_LDXW_BE32] = &&fuse_LDXW_BE32,
        [FUSE_MOV_ADD] = &&fuse_MOV_ADD,
        [PLAIN_MOV_X64] = &&plain_MOV_X64,
        [PLAIN_MOV_X32] = &&plain_MOV_X32,
        [FUSE_MOV_ADDX] = &&fuse_MOV_ADDX,
        [FUSE_MOV_ADD_JGTX] = &&fuse_MOV_ADD_JGTX,
        [FUSE_MSH] = &&fuse_MSH,
        [FUSE_RET_K32] = &&fuse_RET_K32,
        [FUSE_RET_K64] = &&fuse_RET_K64,
        [FUSE_JEQ_RUN32] = &&fuse_JEQ_RUN32,
#define LDJ_LABELS(L, S, C) &&ldj_##L##_##C##_64, &&ldj_##L##_##C##_32,
#define ILDJ_LABELS(L, S, C) &&ildj_##L##_##C##_64, &&ildj_##L##_##C##_32,
#define SLDJ_LABELS(L, S, C) &&sldj_##L##_##C##_64, &&sldj_##L##_##C##_32,
#define LDJ_LABELS_SIZE(L, S) LDJ_CONDS(LDJ_LABELS, L, S)
#define ILDJ_LABELS_SIZE(L, S) LDJ_CONDS(ILDJ_LABELS, L, S)
#define SLDJ_LABELS_SIZE(L, S) LDJ_CONDS(SLDJ_LABELS, L, S)
        [FUSE_LDJ] = LDJ_SIZES(LDJ_LABELS_SIZE)
        [FUSE_ILDJ] = LDJ_SIZES(ILDJ_LABELS_SIZE)
        [FUSE_SLDJ] = LDJ_SIZES(SLDJ_LABELS_SIZE)
#undef LDJ_LABELS
#undef ILDJ_LABELS
#undef LDJ_LABELS_SIZE
#undef ILDJ_LABELS_SIZE
#undef SLDJ_LABELS
#undef SLDJ_LABELS_SIZE
    };
#pragma GCC diagnostic pop
    uint64_t stack[PF_EBPF_STACK_SIZE / 8];
    uint64_t r[PF_EBPF_NREGS]; /* the verifier proves reads follow writes */
    const struct pf_ebpf_tinsn *in = code;
    uint64_t v;

    if (!code)
        return (uintptr_t)labels;
    /* No initialiser for all of r[]: that became a "rep stos" costing a
     * third of a short filter's time. The verifier refuses reads of r6..r9
     * before writes; r0, r4, r5 are zeroed for helper arguments. */
    r[0] = r[4] = r[5] = 0;
    r[1] = r1;
    r[2] = r2;
    r[3] = r3;
    r[10] = (uintptr_t)(stack + PF_EBPF_STACK_SIZE / 8);

#define NEXT goto *(++in)->op
#define ALU64(name, op, opnd)                                                  \
    op_##name : DST = pf_ebpf_alu64(op, DST, opnd, in->off);                   \
    NEXT;
#define ALU32(name, op, opnd)                                                  \
    op_##name : DST = pf_ebpf_alu32(op, (uint32_t)DST, (uint32_t)(opnd),       \
                                    in->off);                                  \
    NEXT;
#define JMP(name, op, opnd, is32)                                              \
    op_##name : if (pf_ebpf_cond(op, DST, opnd, is32)) in += in->off;          \
    NEXT;
#define ALU_PAIR(NAME, OP)                                                     \
    ALU64(NAME##_K64, OP, IMM)                                                 \
    ALU64(NAME##_X64, OP, SRC)                                                 \
    ALU32(NAME##_K32, OP, IMM)                                                 \
    ALU32(NAME##_X32, OP, SRC)
#define JMP_PAIR(NAME, OP)                                                     \
    JMP(NAME##_K, OP, IMM, 0)                                                  \
    JMP(NAME##_X, OP, SRC, 0)                                                  \
    JMP(J32_##NAME##_K, OP, IMM, 1)                                            \
    JMP(J32_##NAME##_X, OP, SRC, 1)

    goto *in->op;

    /* Simple arithmetic, 64 and 32 bit, immediate and register. */
    op_ADD_K64 : DST += IMM; NEXT;
    op_ADD_X64 : DST += SRC; NEXT;
    op_ADD_K32 : DST = (uint32_t)(DST + IMM); NEXT;
    op_ADD_X32 : DST = (uint32_t)(DST + SRC); NEXT;
    op_MOV_K64 : DST = IMM; NEXT;
    op_MOV_K32 : DST = (uint32_t)in->imm; NEXT;
    ALU_PAIR(SUB, PF_EBPF_SUB)
    ALU_PAIR(MUL, PF_EBPF_MUL)
    ALU_PAIR(DIV, PF_EBPF_DIV)
    ALU_PAIR(OR, PF_EBPF_OR)
    ALU_PAIR(AND, PF_EBPF_AND)
    ALU_PAIR(LSH, PF_EBPF_LSH)
    ALU_PAIR(RSH, PF_EBPF_RSH)
    ALU_PAIR(MOD, PF_EBPF_MOD)
    ALU_PAIR(XOR, PF_EBPF_XOR)
    ALU_PAIR(ARSH, PF_EBPF_ARSH)
    ALU64(MOV_X64, PF_EBPF_MOV, SRC)
    ALU32(MOV_X32, PF_EBPF_MOV, SRC)
    ALU64(NEG64, PF_EBPF_NEG, 0)
    ALU32(NEG32, PF_EBPF_NEG, 0)
    fuse_LDXH_BE16 : DST = __builtin_bswap16((uint16_t)load(ADDR(SRC), 2, 0));
    in++;
    NEXT;
    fuse_LDXW_BE32 : DST = __builtin_bswap32((uint32_t)load(ADDR(SRC), 4, 0));
    in++;
    NEXT;
    fuse_MOV_ADD : DST = SRC + IMM;
    in++;
    NEXT;
    fuse_MOV_ADDX : DST = SRC;
    DST += r[in[1].src];
    in++;
    NEXT;
    /* The translator's bounds check "r4 = X; r4 += k; if r4 > len". */
    fuse_MOV_ADD_JGTX : if (bounds(in, r))
        in += 2 + in[2].off;
    else
        in += 2;
    NEXT;
    fuse_MSH : DST = (uint32_t)((load(ADDR(SRC), 1, 0) & (uint32_t)in[1].imm)
                                << (in[2].imm & 31));
    in += 2;
    NEXT;
    /* A host list: scan for the first match without a dispatch per test;
     * stops on the last of the run, taken or not. */
    fuse_JEQ_RUN32 : v = (uint32_t)DST;
    for (const struct pf_ebpf_tinsn *end = in + in->src - 1;
         in != end && v != (uint32_t)in->imm; in++)
        ;
    if (v == (uint32_t)in->imm)
        in += in->off;
    NEXT;
    fuse_RET_K32 : return (uint32_t)in->imm;
    fuse_RET_K64 : return IMM;

    /* The loaded value is at most 32 bits: the jump's own DST and IMM
     * (same register) then decide as the plain jump would. */
#define LDJ_HANDLERS(L, S, C)                                                  \
    ldj_##L##_##C##_64 : DST = load(ADDR(SRC), S, 0);                          \
    in++;                                                                      \
    jcmp_##L##_##C##_64 : if (pf_ebpf_cond(PF_EBPF_##C, DST, IMM, 0))          \
        in += in->off;                                                         \
    NEXT;                                                                      \
    ldj_##L##_##C##_32 : DST = load(ADDR(SRC), S, 0);                          \
    in++;                                                                      \
    jcmp_##L##_##C##_32 : if (pf_ebpf_cond(PF_EBPF_##C, DST, IMM, 1))          \
        in += in->off;                                                         \
    NEXT;                                                                      \
    ildj_##L##_##C##_64 : DST = SRC;                                           \
    DST += r[in[1].src];                                                       \
    in += 2;                                                                   \
    goto ldj_##L##_##C##_64;                                                   \
    ildj_##L##_##C##_32 : DST = SRC;                                           \
    DST += r[in[1].src];                                                       \
    in += 2;                                                                   \
    goto ldj_##L##_##C##_32;                                                   \
    sldj_##L##_##C##_64 : DST = SWAP_##L(load(ADDR(SRC), S, 0));               \
    in += 2;                                                                   \
    goto jcmp_##L##_##C##_64;                                                  \
    sldj_##L##_##C##_32 : DST = SWAP_##L(load(ADDR(SRC), S, 0));               \
    in += 2;                                                                   \
    goto jcmp_##L##_##C##_32;
#define SWAP_B(x) (x) /* never decoded: no one-byte swap */
#define SWAP_H(x) __builtin_bswap16((uint16_t)(x))
#define SWAP_W(x) __builtin_bswap32((uint32_t)(x))
#define LDJ_HANDLERS_SIZE(L, S) LDJ_CONDS(LDJ_HANDLERS, L, S)
    LDJ_SIZES(LDJ_HANDLERS_SIZE)
#undef LDJ_HANDLERS
#undef LDJ_HANDLERS_SIZE
#undef SWAP_B
#undef SWAP_H
#undef SWAP_W
    plain_MOV_X64 : DST = SRC; NEXT;
    plain_MOV_X32 : DST = (uint32_t)SRC; NEXT;
    op_LE : DST = pf_ebpf_endian(PF_EBPF_OPC_LE, DST, in->imm); NEXT;
    op_BE : DST = pf_ebpf_endian(PF_EBPF_OPC_BE, DST, in->imm); NEXT;
    op_BSWAP : DST = pf_ebpf_endian(PF_EBPF_OPC_BSWAP, DST, in->imm); NEXT;

    op_LDDW : DST = (uint32_t)in->imm | ((uint64_t)(uint32_t)in[1].imm << 32);
    in++;
    NEXT;

    /* Legacy packet loads: r6 holds the context (checked by the verifier). */
#define LDABS(name, size)                                                      \
    op_##name : if (pf_ebpf_ld_packet((const void *)(uintptr_t)r[6], in->imm,  \
                                      size, &v)) return 0;                     \
    r[0] = v;                                                                  \
    NEXT;
#define LDIND(name, size)                                                      \
    op_##name : if (pf_ebpf_ld_packet(                                         \
                    (const void *)(uintptr_t)r[6],                             \
                    (int32_t)((uint32_t)SRC + (uint32_t)in->imm), size, &v))   \
        return 0;                                                              \
    r[0] = v;                                                                  \
    NEXT;
    LDABS(LDABS_W, 4)
    LDABS(LDABS_H, 2)
    LDABS(LDABS_B, 1)
    LDIND(LDIND_W, 4)
    LDIND(LDIND_H, 2)
    LDIND(LDIND_B, 1)

    /* One label per size, so that each load or store is a single move. */
#define LOAD(name, size, sx)                                                   \
    op_##name : DST = load(ADDR(SRC), size, sx);                               \
    NEXT;
#define STORE(name, size, val)                                                 \
    op_##name : store(ADDR(DST), size, val);                                   \
    NEXT;
    LOAD(LDX_B, 1, 0)
    LOAD(LDX_H, 2, 0)
    LOAD(LDX_W, 4, 0)
    LOAD(LDX_DW, 8, 0)
    LOAD(LDXSX_B, 1, 1)
    LOAD(LDXSX_H, 2, 1)
    LOAD(LDXSX_W, 4, 1)
    STORE(ST_B, 1, IMM)
    STORE(ST_H, 2, IMM)
    STORE(ST_W, 4, IMM)
    STORE(ST_DW, 8, IMM)
    STORE(STX_B, 1, SRC)
    STORE(STX_H, 2, SRC)
    STORE(STX_W, 4, SRC)
    STORE(STX_DW, 8, SRC)
    op_ATOMIC_W : atomic_op(in, r, ADDR(DST), 4);
    NEXT;
    op_ATOMIC_DW : atomic_op(in, r, ADDR(DST), 8);
    NEXT;

    op_JA : in += in->off; NEXT;
    op_JA32 : in += in->imm; NEXT;
    JMP_PAIR(JEQ, PF_EBPF_JEQ)
    JMP_PAIR(JGT, PF_EBPF_JGT)
    JMP_PAIR(JGE, PF_EBPF_JGE)
    JMP_PAIR(JSET, PF_EBPF_JSET)
    JMP_PAIR(JNE, PF_EBPF_JNE)
    JMP_PAIR(JSGT, PF_EBPF_JSGT)
    JMP_PAIR(JSGE, PF_EBPF_JSGE)
    JMP_PAIR(JLT, PF_EBPF_JLT)
    JMP_PAIR(JLE, PF_EBPF_JLE)
    JMP_PAIR(JSLT, PF_EBPF_JSLT)
    JMP_PAIR(JSLE, PF_EBPF_JSLE)
    op_CALL : r[0] = call(in->imm, r);
    NEXT;
    op_EXIT : return r[0];
bad:
    return 0;
#undef NEXT
#undef ALU64
#undef ALU32
#undef JMP
#undef ALU_PAIR
#undef JMP_PAIR
#undef LOAD
#undef STORE
#undef LDABS
#undef LDIND
}

uint64_t pf_ebpf_interp_run(const struct pf_ebpf_tinsn *code, uint64_t r1,
                            uint64_t r2, uint64_t r3)
{
    return run_threaded(code, r1, r2, r3);
}

/* The number (at most 255) of "if wdst == imm" jumps on the same register
 * in a row from @in, with @n instructions left. */
static int jeq_run(const struct pf_ebpf_insn *in, size_t n)
{
    int k = 0;

    while ((size_t)k < n && k < 255 &&
           in[k].code == PF_EBPF_OPC_J32_JEQ_K && in[k].dst_reg == in->dst_reg)
        k++;
    return k;
}

/* The handler of @in alone: its opcode's, or a plain move. */
static int single(const struct pf_ebpf_insn *in)
{
    if (in->code == PF_EBPF_OPC_MOV_X64 && in->off == 0)
        return PLAIN_MOV_X64;
    if (in->code == PF_EBPF_OPC_MOV_X32 && in->off == 0)
        return PLAIN_MOV_X32;
    return in->code;
}

/* The index of jump @code among LDJ_CONDS (times 2, plus 1 for JMP32),
 * or -1. */
static int ldj_cond(uint8_t code)
{
    static const uint8_t ops[LDJ_NCOND] = {PF_EBPF_JEQ, PF_EBPF_JNE,
                                           PF_EBPF_JSET, PF_EBPF_JGT,
                                           PF_EBPF_JGE, PF_EBPF_JLT,
                                           PF_EBPF_JLE};
    enum pf_ebpf_kind kind = pf_ebpf_opinfo[code].kind;

    if (kind != PF_EBPF_KIND_JMP_K && kind != PF_EBPF_KIND_JMP32_K)
        return -1;
    for (int i = 0; i < LDJ_NCOND; i++)
        if ((code & 0xf0) == ops[i])
            return i * 2 + (kind == PF_EBPF_KIND_JMP32_K);
    return -1;
}

/* The fused handler for load @a + jump @b on its register, or 0. */
static int fused_ldj(const struct pf_ebpf_insn *a, const struct pf_ebpf_insn *b)
{
    int size = a->code == PF_EBPF_OPC_LDX_B   ? 0
               : a->code == PF_EBPF_OPC_LDX_H ? 1
               : a->code == PF_EBPF_OPC_LDX_W ? 2
                                              : -1;
    int cond = ldj_cond(b->code);

    if (size < 0 || cond < 0 || b->dst_reg != a->dst_reg)
        return 0;
    return FUSE_LDJ + size * LDJ_NCOND * 2 + cond;
}

/* The fused indexed load + jump handler for @a and the @n instructions
 * after it, or 0. */
static int fused_ildj(const struct pf_ebpf_insn *a, size_t n)
{
    if (n < 3 || a->code != PF_EBPF_OPC_MOV_X64 || a->off != 0 ||
        a[1].code != PF_EBPF_OPC_ADD_X64 || a[1].dst_reg != a->dst_reg ||
        a[2].src_reg != a->dst_reg || !fused_ldj(a + 2, a + 3))
        return 0;
    return fused_ldj(a + 2, a + 3) - FUSE_LDJ + FUSE_ILDJ;
}

/* The fused handler for the triple from @a (all three on one register),
 * or 0. */
static int fused3(const struct pf_ebpf_insn *a)
{
    int swap = a->code == PF_EBPF_OPC_LDX_H ? 16
               : a->code == PF_EBPF_OPC_LDX_W ? 32 : 0;

    if (a[1].dst_reg != a->dst_reg || a[2].dst_reg != a->dst_reg)
        return 0;
    if (swap && a[1].code == PF_EBPF_OPC_BE && a[1].imm == swap &&
        fused_ldj(a, a + 2))
        return fused_ldj(a, a + 2) - FUSE_LDJ + FUSE_SLDJ;
    if (a->code == PF_EBPF_OPC_LDX_B && a[1].code == PF_EBPF_OPC_AND_K32 &&
        a[2].code == PF_EBPF_OPC_LSH_K32)
        return FUSE_MSH;
    if (a->code == PF_EBPF_OPC_MOV_X64 && a->off == 0 &&
        a[1].code == PF_EBPF_OPC_ADD_K64 && a[2].code == PF_EBPF_OPC_JGT_X)
        return FUSE_MOV_ADD_JGTX;
    return 0;
}

/* The fused handler for @a and the @n instructions after it (n >= 1), or
 * 0 when they do not fuse. Slots after the first keep their own handlers,
 * so a jump may land on them. */
static int fused(const struct pf_ebpf_insn *a, size_t n)
{
    const struct pf_ebpf_insn *b = a + 1;

    if (a->code == PF_EBPF_OPC_MOV_K32 && a->dst_reg == 0 &&
        b->code == PF_EBPF_OPC_EXIT)
        return FUSE_RET_K32;
    if (a->code == PF_EBPF_OPC_MOV_K64 && a->dst_reg == 0 &&
        b->code == PF_EBPF_OPC_EXIT)
        return FUSE_RET_K64;
    if (b->dst_reg != a->dst_reg)
        return 0;
    if (fused_ildj(a, n))
        return fused_ildj(a, n);
    if (n >= 2 && fused3(a))
        return fused3(a);
    if (a->code == PF_EBPF_OPC_MOV_X64 && a->off == 0 &&
        b->code == PF_EBPF_OPC_ADD_X64)
        return FUSE_MOV_ADDX;
    if (fused_ldj(a, b))
        return fused_ldj(a, b);
    if (a->code == PF_EBPF_OPC_LDX_H && b->code == PF_EBPF_OPC_BE &&
        b->imm == 16)
        return FUSE_LDXH_BE16;
    if (a->code == PF_EBPF_OPC_LDX_W && b->code == PF_EBPF_OPC_BE &&
        b->imm == 32)
        return FUSE_LDXW_BE32;
    if (a->code == PF_EBPF_OPC_MOV_X64 && a->off == 0 &&
        b->code == PF_EBPF_OPC_ADD_K64)
        return FUSE_MOV_ADD;
    return 0;
}

/* Does fused handler @f keep the second instruction's immediate? */
static int takes_next_imm(int f)
{
    return f == FUSE_MOV_ADD || f == FUSE_MOV_ADD_JGTX;
}

int pf_ebpf_interp_prepare(const struct pf_ebpf_insn *insns, size_t len,
                           struct pf_ebpf_tinsn *out)
{
    const void *const *labels =
        (const void *const *)(uintptr_t)run_threaded(NULL, 0, 0, 0);

    for (size_t i = 0; i < len; i++) {
        const struct pf_ebpf_insn *in = &insns[i];
        int run = jeq_run(in, len - i);
        int f = run >= 2 ? FUSE_JEQ_RUN32
                : i + 1 < len ? fused(in, len - i - 1) : 0;

        out[i] = (struct pf_ebpf_tinsn){
            .op = labels[f ? f : single(in)], .dst = in->dst_reg,
            .src = run >= 2 ? (uint8_t)run : in->src_reg, .off = in->off,
            .imm = takes_next_imm(f) ? in[1].imm : in->imm};
    }
    return 0;
}
