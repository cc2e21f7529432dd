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
 * are unchanged); a few pairs the translator emits all the time (load +
 * byte swap, copy + add) are fused into the first slot when no jump lands
 * on the second, whose handler then steps over it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ebpf_impl.h"

#define DST r[in->dst]
#define SRC r[in->src]
#define IMM ((uint64_t)(int64_t)in->imm)
#define ADDR(base) ((uintptr_t)(base) + (intptr_t)in->off)

/* Loads @size bytes at @p zero- or sign-extended (inlined with a
 * constant size into one move). */
static inline __attribute__((always_inline)) uint64_t load(uintptr_t p, int size, int sx)
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

/* Calls helper @id with r1..r5. */
static uint64_t call(int32_t id, const uint64_t *r)
{
    pf_ebpf_helper_fn fn = pf_ebpf_helper_lookup(id);

    return fn ? fn(r[1], r[2], r[3], r[4], r[5]) : 0;
}

/* Handlers beyond the 256 opcodes: fused pairs. */
enum {
    FUSE_LDXH_BE16 = 256, /* dst = *(u16 *)(src + off); dst = be16 dst */
    FUSE_LDXW_BE32,       /* dst = *(u32 *)(src + off); dst = be32 dst */
    FUSE_MOV_ADD,         /* dst = src; dst += imm (of the second) */
    PLAIN_MOV_X64,        /* dst = src (no sign extension: off 0) */
    PLAIN_MOV_X32,        /* wdst = wsrc (off 0) */
    N_HANDLERS
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
    };
#pragma GCC diagnostic pop
    uint64_t stack[PF_EBPF_STACK_SIZE / 8];
    uint64_t r[PF_EBPF_NREGS] = {0};
    const struct pf_ebpf_tinsn *in = code;
    uint64_t v;

    if (!code)
        return (uintptr_t)labels;
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
    plain_MOV_X64 : DST = SRC; NEXT;
    plain_MOV_X32 : DST = (uint32_t)SRC; NEXT;
    op_LE : DST = pf_ebpf_endian(PF_EBPF_OPC_LE, DST, in->imm); NEXT;
    op_BE : DST = pf_ebpf_endian(PF_EBPF_OPC_BE, DST, in->imm); NEXT;
    op_BSWAP : DST = pf_ebpf_endian(PF_EBPF_OPC_BSWAP, DST, in->imm); NEXT;

    op_LDDW : DST = (uint32_t)in->imm | ((uint64_t)(uint32_t)in[1].imm << 32);
    in++;
    NEXT;

    /* Legacy packet loads: r6 holds the context (checked by the verifier). */
    op_LDABS_W : op_LDABS_H : op_LDABS_B :
    if (pf_ebpf_ld_packet((const void *)(uintptr_t)r[6], in->imm, in->size,
                          &v))
        return 0;
    r[0] = v;
    NEXT;
    op_LDIND_W : op_LDIND_H : op_LDIND_B :
    if (pf_ebpf_ld_packet((const void *)(uintptr_t)r[6],
                          (int32_t)((uint32_t)SRC + (uint32_t)in->imm),
                          in->size, &v))
        return 0;
    r[0] = v;
    NEXT;

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
    op_ATOMIC_W : op_ATOMIC_DW :
    atomic_op(in, r, ADDR(DST), in->size);
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
}

uint64_t pf_ebpf_interp_run(const struct pf_ebpf_tinsn *code, uint64_t r1,
                            uint64_t r2, uint64_t r3)
{
    return run_threaded(code, r1, r2, r3);
}

/* Marks in @target every instruction some jump lands on. */
static void mark_targets(const struct pf_ebpf_insn *insns, size_t len,
                         uint8_t *target)
{
    for (size_t i = 0; i < len; i++) {
        enum pf_ebpf_kind kind = pf_ebpf_opinfo[insns[i].code].kind;
        long t = (long)i + 1;

        if (kind == PF_EBPF_KIND_JA32)
            t += insns[i].imm;
        else if (kind == PF_EBPF_KIND_JA || kind == PF_EBPF_KIND_JMP_K ||
                 kind == PF_EBPF_KIND_JMP_X || kind == PF_EBPF_KIND_JMP32_K ||
                 kind == PF_EBPF_KIND_JMP32_X)
            t += insns[i].off;
        else
            continue;
        if (t >= 0 && (size_t)t < len)
            target[t] = 1;
    }
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

/* The fused handler for the pair @a, @b, or 0 when they do not fuse. */
static int fused(const struct pf_ebpf_insn *a, const struct pf_ebpf_insn *b)
{
    if (b->dst_reg != a->dst_reg)
        return 0;
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

int pf_ebpf_interp_prepare(const struct pf_ebpf_insn *insns, size_t len,
                           struct pf_ebpf_tinsn *out)
{
    const void *const *labels =
        (const void *const *)(uintptr_t)run_threaded(NULL, 0, 0, 0);
    uint8_t *target = calloc(len, 1);

    if (!target)
        return -ENOMEM;
    mark_targets(insns, len, target);
    for (size_t i = 0; i < len; i++) {
        const struct pf_ebpf_insn *in = &insns[i];
        int f = i + 1 < len && !target[i + 1] ? fused(in, in + 1) : 0;

        out[i] = (struct pf_ebpf_tinsn){
            .op = labels[f ? f : single(in)], .dst = in->dst_reg,
            .src = in->src_reg, .size = (uint8_t)pf_ebpf_size_bytes(in->code),
            .off = in->off,
            .imm = f == FUSE_MOV_ADD ? in[1].imm : in->imm};
    }
    free(target);
    return 0;
}
