/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Analyses over the (forward-only) cBPF control-flow graph that the
 * lowering relies on:
 *   - need[i]: the packet length that every path from i to an accepting
 *     return reads up to with constant offsets (cbpfc's idea). If caplen is
 *     below it, the program returns 0 from i whatever the path, so one
 *     check against need[i] may stand in for every later check it covers,
 *     and need[i] = infinity means i can only return 0.
 *   - reachability, cutting paths where need[] says the result is 0 (the
 *     kernel verifier refuses unreachable instructions);
 *   - the M[] words some path reads before writing (zeroed in the
 *     prologue: libpcap's M[] is stack garbage there, pfcap's interpreter
 *     reads 0, and the kernel verifier refuses uninitialised stack).
 */
#include <errno.h>
#include <stdlib.h>

#include "translate_impl.h"

static unsigned load_size(uint16_t code)
{
    switch (PF_CBPF_SIZE(code)) {
    case PF_CBPF_W: return 4;
    case PF_CBPF_H: return 2;
    default: return 1;
    }
}

/* Nonzero for instructions that read packet bytes at a k-based offset. */
int tr_is_load(const struct pf_cbpf_insn *insn)
{
    uint16_t code = insn->code;

    if (PF_CBPF_CLASS(code) == PF_CBPF_LD)
        return PF_CBPF_MODE(code) == PF_CBPF_ABS ||
               PF_CBPF_MODE(code) == PF_CBPF_IND;
    return PF_CBPF_CLASS(code) == PF_CBPF_LDX &&
           PF_CBPF_MODE(code) == PF_CBPF_MSH;
}

/* First byte past the bytes a load reads (for LD_IND: at X = 0). */
uint64_t tr_load_end(const struct pf_cbpf_insn *insn)
{
    return (uint64_t)insn->k + load_size(insn->code);
}

uint64_t tr_limit(const struct tr_ctx *c)
{
    return c->target == PF_TRANSLATE_XDP ? TR_XDP_LIMIT : TR_USER_LIMIT;
}

static uint64_t min64(uint64_t a, uint64_t b) { return a < b ? a : b; }
static uint64_t max64(uint64_t a, uint64_t b) { return a > b ? a : b; }

static uint64_t need_of(const struct tr_ctx *c, size_t i)
{
    const struct pf_cbpf_insn *p = &c->in[i];
    uint64_t end;

    switch (PF_CBPF_CLASS(p->code)) {
    case PF_CBPF_RET:
        return PF_CBPF_RVAL(p->code) == PF_CBPF_K && p->k == 0 ? TR_INF : 0;
    case PF_CBPF_JMP:
        if (PF_CBPF_OP(p->code) == PF_CBPF_JA)
            return c->need[i + 1 + p->k];
        return min64(c->need[i + 1 + p->jt], c->need[i + 1 + p->jf]);
    default:
        if (!tr_is_load(p))
            return c->need[i + 1];
        end = tr_load_end(p);
        return end > tr_limit(c) ? TR_INF : max64(end, c->need[i + 1]);
    }
}

/* Computes need[] (all zero for the socket target, whose loads check
 * themselves) and refuses backward jumps, which no target can express. */
int tr_analyze_need(struct tr_ctx *c)
{
    for (size_t j = c->n; j-- > 0;) {
        const struct pf_cbpf_insn *p = &c->in[j];

        if (p->code == (PF_CBPF_JMP | PF_CBPF_JA) &&
            (p->k >= c->n - j - 1 || (int32_t)p->k < 0))
            return tr_refuse(c, -ENOTSUP, PF_TRANSLATE_ERR_BACKWARD_JUMP, j,
                             pf_translate_target_name(c->target));
        c->need[j] = c->target == PF_TRANSLATE_SOCKET ? 0 : need_of(c, j);
    }
    return 0;
}

/* Nonzero when lowering @i ends the path (a return, or a certain 0). */
int tr_is_terminal(const struct tr_ctx *c, size_t i)
{
    return PF_CBPF_CLASS(c->in[i].code) == PF_CBPF_RET ||
           c->need[i] == TR_INF;
}

/* Successors of @i (0, 1 or 2) into @succ; returns how many. */
int tr_successors(const struct tr_ctx *c, size_t i, size_t succ[2])
{
    const struct pf_cbpf_insn *p = &c->in[i];

    if (tr_is_terminal(c, i))
        return 0;
    if (PF_CBPF_CLASS(p->code) != PF_CBPF_JMP) {
        succ[0] = i + 1;
        return 1;
    }
    if (PF_CBPF_OP(p->code) == PF_CBPF_JA) {
        succ[0] = i + 1 + p->k;
        return 1;
    }
    succ[0] = i + 1 + p->jt;
    succ[1] = i + 1 + p->jf;
    return 2;
}

/* M[] words written on entry to @i, and the reads that need zeroing. */
static uint16_t mem_step(struct tr_ctx *c, size_t i, uint16_t in)
{
    const struct pf_cbpf_insn *p = &c->in[i];
    uint16_t bit = (uint16_t)(1u << (p->k & 15));

    switch (p->code) {
    case PF_CBPF_LD | PF_CBPF_MEM:
    case PF_CBPF_LDX | PF_CBPF_MEM:
        if (!(in & bit))
            c->mem_init |= bit;
        return in;
    case PF_CBPF_ST:
    case PF_CBPF_STX:
        return in | bit;
    default:
        return in;
    }
}

/* Forward pass: reachability and M[] zeroing. */
void tr_analyze_flow(struct tr_ctx *c)
{
    uint16_t *mem = calloc(c->n, sizeof(*mem));
    size_t succ[2];

    if (!mem) {
        tr_refuse(c, -ENOMEM, PF_TRANSLATE_ERR_NOMEM, 0);
        return;
    }
    c->reach[0] = 1;
    for (size_t i = 0; i < c->n; i++) {
        uint16_t out;
        int ns;

        if (!c->reach[i])
            continue;
        out = mem_step(c, i, mem[i]);
        ns = tr_successors(c, i, succ);
        for (int s = 0; s < ns; s++) {
            mem[succ[s]] = c->reach[succ[s]] ? (mem[succ[s]] & out) : out;
            c->reach[succ[s]] = 1;
        }
    }
    free(mem);
}
