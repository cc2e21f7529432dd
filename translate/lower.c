/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Lowering of the target-independent cBPF instructions: immediates and
 * scratch memory, ALU (32-bit eBPF ops on the zero-extended A; the guards
 * for division by X = 0 and shifts by X >= 32), jumps (JMP32 compares so
 * that k is an unsigned 32-bit value), TAX/TXA. Packet loads, `len` and
 * returns are target-specific (loads.c).
 */
#include <errno.h>

#include "translate_impl.h"

/* Stack offset of M[k]: the 64 bytes just below r10. */
static int16_t mem_slot(uint32_t k)
{
    return (int16_t)(-4 * (int)(PF_CBPF_MEMWORDS - (k & 15)));
}

static void lower_ld(struct tr_ctx *c, size_t i, int dst)
{
    const struct pf_cbpf_insn *p = &c->in[i];

    switch (PF_CBPF_MODE(p->code)) {
    case PF_CBPF_IMM: /* A/X = k */
        tr_emit(c, PF_EBPF_MOV32_IMM(dst, (int32_t)p->k));
        break;
    case PF_CBPF_MEM: /* A/X = M[k] */
        tr_emit(c, PF_EBPF_LDX_MEM(PF_EBPF_W, dst, PF_EBPF_R10,
                                   mem_slot(p->k)));
        break;
    case PF_CBPF_LEN:
        tr_lower_len(c, dst);
        break;
    default:
        tr_lower_load(c, i);
        break;
    }
}

/* A op= X for div/mod (X = 0 returns 0) and shifts (X >= 32 gives 0). */
static void lower_alu_x(struct tr_ctx *c, uint8_t op)
{
    if (op == PF_CBPF_DIV || op == PF_CBPF_MOD) {
        /* if w7 == 0 goto fail */
        tr_emit_fail_jump(c, PF_EBPF_JMP32_IMM(PF_EBPF_JEQ, TR_X, 0, 0));
    } else if (op == PF_CBPF_LSH || op == PF_CBPF_RSH) {
        /* if w7 < 32 goto +2; w0 = 0; goto +1; (shift) */
        tr_emit(c, PF_EBPF_JMP32_IMM(PF_EBPF_JLT, TR_X, 32, 2));
        tr_emit(c, PF_EBPF_MOV32_IMM(TR_A, 0));
        tr_emit(c, PF_EBPF_JMP_A(1));
    }
    /* w0 op= w7 */
    tr_emit(c, PF_EBPF_ALU32_REG(op, TR_A, TR_X));
}

static void lower_alu(struct tr_ctx *c, size_t i)
{
    const struct pf_cbpf_insn *p = &c->in[i];
    uint8_t op = (uint8_t)PF_CBPF_OP(p->code);

    if (op == PF_CBPF_NEG) {
        tr_emit(c, PF_EBPF_ALU32_IMM(PF_EBPF_NEG, TR_A, 0)); /* w0 = -w0 */
    } else if (PF_CBPF_SRC(p->code) == PF_CBPF_X) {
        lower_alu_x(c, op);
    } else if ((op == PF_CBPF_DIV || op == PF_CBPF_MOD) && p->k == 0) {
        tr_refuse(c, -EINVAL, PF_TRANSLATE_ERR_INVALID, i,
                  "division or modulo by constant 0");
    } else if ((op == PF_CBPF_LSH || op == PF_CBPF_RSH) && p->k >= 32) {
        tr_emit(c, PF_EBPF_MOV32_IMM(TR_A, 0)); /* w0 = 0 */
    } else {
        /* w0 op= k */
        tr_emit(c, PF_EBPF_ALU32_IMM(op, TR_A, (int32_t)p->k));
    }
}

/* k as a @raw-byte network-order A sees it (jeq/jset only): a 16-bit
 * value never equals a k above 0xffff, and only k's low half can meet
 * its bits. */
static uint32_t raw_k(uint32_t k, int raw, uint8_t op)
{
    if (raw == 4)
        return __builtin_bswap32(k);
    if (raw != 2 || (op == PF_CBPF_JEQ && k > 0xffff))
        return k;
    return __builtin_bswap16((uint16_t)k);
}

/* The comparison of conditional jump @i, to be patched. */
static struct pf_ebpf_insn cond_jump(const struct tr_ctx *c, size_t i,
                                     uint8_t op)
{
    const struct pf_cbpf_insn *p = &c->in[i];

    if (PF_CBPF_SRC(p->code) == PF_CBPF_X)
        return PF_EBPF_JMP32_REG(op, TR_A, TR_X, 0);
    return PF_EBPF_JMP32_IMM(op, TR_A,
                             (int32_t)raw_k(p->k, c->raw[i],
                                            (uint8_t)PF_CBPF_OP(p->code)),
                             0);
}

static uint8_t inverse(uint8_t op)
{
    switch (op) {
    case PF_CBPF_JEQ: return PF_EBPF_JNE;
    case PF_CBPF_JGT: return PF_EBPF_JLE;
    case PF_CBPF_JGE: return PF_EBPF_JLT;
    default: return 0; /* JSET has no inverse */
    }
}

static void lower_jmp(struct tr_ctx *c, size_t i)
{
    const struct pf_cbpf_insn *p = &c->in[i];
    uint8_t op = (uint8_t)PF_CBPF_OP(p->code);
    size_t t = i + 1 + p->jt, f = i + 1 + p->jf;

    if (op == PF_CBPF_JA) {
        if (p->k != 0)
            tr_emit_jump(c, PF_EBPF_JMP_A(0), i + 1 + p->k);
    } else if (t == f) {
        if (t != i + 1)
            tr_emit_jump(c, PF_EBPF_JMP_A(0), t);
    } else if (f == i + 1) {
        tr_emit_jump(c, cond_jump(c, i, op), t);
    } else if (t == i + 1 && inverse(op)) {
        tr_emit_jump(c, cond_jump(c, i, inverse(op)), f);
    } else if (t == i + 1) {
        struct pf_ebpf_insn skip = cond_jump(c, i, op);

        skip.off = 1; /* if (A & k) goto +1; goto f */
        tr_emit(c, skip);
        tr_emit_jump(c, PF_EBPF_JMP_A(0), f);
    } else {
        tr_emit_jump(c, cond_jump(c, i, op), t);
        tr_emit_jump(c, PF_EBPF_JMP_A(0), f);
    }
}

static void lower_body(struct tr_ctx *c, size_t i)
{
    const struct pf_cbpf_insn *p = &c->in[i];

    switch (PF_CBPF_CLASS(p->code)) {
    case PF_CBPF_LD: lower_ld(c, i, TR_A); break;
    case PF_CBPF_LDX: lower_ld(c, i, TR_X); break;
    case PF_CBPF_ST: /* M[k] = A */
        tr_emit(c, PF_EBPF_STX_MEM(PF_EBPF_W, PF_EBPF_R10, TR_A,
                                   mem_slot(p->k)));
        break;
    case PF_CBPF_STX: /* M[k] = X */
        tr_emit(c, PF_EBPF_STX_MEM(PF_EBPF_W, PF_EBPF_R10, TR_X,
                                   mem_slot(p->k)));
        break;
    case PF_CBPF_ALU: lower_alu(c, i); break;
    case PF_CBPF_JMP: lower_jmp(c, i); break;
    case PF_CBPF_RET: tr_lower_ret(c, p); break;
    default: /* MISC: tax / txa */
        if (PF_CBPF_MISCOP(p->code) == PF_CBPF_TAX)
            tr_emit(c, PF_EBPF_MOV32_REG(TR_X, TR_A));
        else
            tr_emit(c, PF_EBPF_MOV32_REG(TR_A, TR_X));
        break;
    }
}

/*
 * Lowers reachable instruction @i: its body, or "return 0" when need[]
 * says every path from here returns 0; then hands the caplen proven so far
 * to its successors (the smallest over all predecessors wins).
 */
void tr_lower_insn(struct tr_ctx *c, size_t i)
{
    size_t succ[2];
    int ns;

    c->cur = c->known[i];
    if (c->need[i] == TR_INF && PF_CBPF_CLASS(c->in[i].code) != PF_CBPF_RET)
        tr_emit_fail_jump(c, PF_EBPF_JMP_A(0));
    else
        lower_body(c, i);
    ns = tr_successors(c, i, succ);
    for (int s = 0; s < ns; s++)
        if (c->known[succ[s]] > c->cur)
            c->known[succ[s]] = c->cur;
}
