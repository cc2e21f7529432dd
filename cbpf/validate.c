/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The cBPF validator. Two profiles:
 *  - kernel: the rules Linux applies before it accepts a socket filter
 *    (net/core/filter.c): known opcodes, forward in-range jumps, a final
 *    ret, no constant division by zero, constant shifts below 32, scratch
 *    indexes below 16, at most 4096 instructions, and no read of M[k] on
 *    a path where M[k] was not written first.
 *  - libpcap: what bpf_validate() accepts, which allows the backward `ja`
 *    that libpcap emits for protochain (its offset is sign-extended) and
 *    programs of any length.
 * Each refusal names the instruction index and the rule broken.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <pfcap/cbpf.h>

#include "cbpf_ops.h"

static const char *const rule_text[] = {
    [PF_CBPF_RULE_OK] = "ok",
#define PF_CBPF_RULE_TEXT(name, text) [PF_CBPF_RULE_##name] = text,
    PF_CBPF_RULES(PF_CBPF_RULE_TEXT)
#undef PF_CBPF_RULE_TEXT
};

static int refuse(struct pf_error *err, enum pf_cbpf_rule rule, long insn,
                  const char *detail)
{
    return pf_error_set_insn(err, -EINVAL, PF_STAGE_CBPF, rule, insn, "%s%s%s",
                             rule_text[rule], detail[0] ? ": " : "", detail);
}

/* Checks the k operand of non-jump instructions. Why: the kernel rejects
 * constant division by zero and oversized shifts at load time rather than
 * at run time, and M[] has 16 words. */
static enum pf_cbpf_rule check_operand(const struct pf_cbpf_insn *in,
                                       const struct pf_cbpf_opinfo *op)
{
    switch (op->operand) {
    case PF_CBPF_OPND_MEM:
        return in->k >= PF_CBPF_MEMWORDS ? PF_CBPF_RULE_MEM_INDEX : 0;
    case PF_CBPF_OPND_ALUK:
        if ((in->code == PF_CBPF_OP_DIV_K || in->code == PF_CBPF_OP_MOD_K) &&
            in->k == 0)
            return PF_CBPF_RULE_DIV_ZERO;
        if ((in->code == PF_CBPF_OP_LSH_K || in->code == PF_CBPF_OP_RSH_K) &&
            in->k >= 32)
            return PF_CBPF_RULE_SHIFT_RANGE;
        return 0;
    default:
        return 0;
    }
}

/* Checks jump targets. Why: an out-of-range target would run past the
 * program; the kernel only allows forward jumps so every program ends,
 * while libpcap sign-extends `ja` offsets (protochain loops backwards). */
static enum pf_cbpf_rule check_jump(const struct pf_cbpf_insn *in,
                                    const struct pf_cbpf_opinfo *op, size_t pc,
                                    size_t len, enum pf_cbpf_profile profile)
{
    uint64_t from = pc + 1;

    if (op->operand == PF_CBPF_OPND_JA) {
        if (profile == PF_CBPF_PROFILE_KERNEL) {
            if ((int32_t)in->k < 0)
                return PF_CBPF_RULE_JUMP_BACKWARD;
            return from + in->k >= len ? PF_CBPF_RULE_JUMP_RANGE : 0;
        }
        if ((int32_t)in->k == -1)
            return PF_CBPF_RULE_JUMP_SELF;
        int64_t to = (int64_t)from + (int32_t)in->k;
        return to < 0 || (uint64_t)to >= len ? PF_CBPF_RULE_JUMP_RANGE : 0;
    }
    if (op->operand == PF_CBPF_OPND_JK || op->operand == PF_CBPF_OPND_JX) {
        if (from + in->jt >= len || from + in->jf >= len)
            return PF_CBPF_RULE_JUMP_RANGE;
    }
    return 0;
}

/*
 * The kernel's scratch-memory rule (check_load_and_stores): one pass in
 * program order; a jump narrows the set of written words at its targets
 * and the instruction after a jump starts from "all written" (it is only
 * reached through jumps). `ret` does not reset the set, as in the kernel.
 * Why: reading M[k] before writing it would leak kernel stack contents.
 */
static int check_memory(const struct pf_cbpf_insn *insns, size_t len,
                        struct pf_error *err)
{
    uint16_t *masks = malloc(len * sizeof(*masks));
    uint16_t valid = 0;
    int ret = 0;

    if (!masks)
        return pf_error_set(err, -ENOMEM, PF_STAGE_CBPF, 0, "out of memory");
    for (size_t i = 0; i < len; i++)
        masks[i] = 0xffff;
    for (size_t pc = 0; pc < len && !ret; pc++) {
        const struct pf_cbpf_insn *in = &insns[pc];
        const struct pf_cbpf_opinfo *op = pf_cbpf_op_lookup(in->code);

        valid &= masks[pc];
        if (in->code == PF_CBPF_OP_ST || in->code == PF_CBPF_OP_STX) {
            valid |= (uint16_t)(1u << in->k);
        } else if (in->code == PF_CBPF_OP_LD_MEM ||
                   in->code == PF_CBPF_OP_LDX_MEM) {
            if (!(valid & (1u << in->k))) {
                char d[48];
                snprintf(d, sizeof(d), "M[%u]", in->k);
                ret = refuse(err, PF_CBPF_RULE_MEM_UNINIT, (long)pc, d);
            }
        } else if (op->operand == PF_CBPF_OPND_JA) {
            masks[pc + 1 + in->k] &= valid;
            valid = 0xffff;
        } else if (op->operand == PF_CBPF_OPND_JK ||
                   op->operand == PF_CBPF_OPND_JX) {
            masks[pc + 1 + in->jt] &= valid;
            masks[pc + 1 + in->jf] &= valid;
            valid = 0xffff;
        }
    }
    free(masks);
    return ret;
}

static void describe(const struct pf_cbpf_insn *in, enum pf_cbpf_rule rule,
                     char *buf, size_t len)
{
    buf[0] = '\0';
    switch (rule) {
    case PF_CBPF_RULE_BAD_OPCODE:
        snprintf(buf, len, "0x%04x", in->code);
        break;
    case PF_CBPF_RULE_JUMP_RANGE:
    case PF_CBPF_RULE_JUMP_BACKWARD:
    case PF_CBPF_RULE_JUMP_SELF:
        snprintf(buf, len, "jt %u jf %u k %d", in->jt, in->jf, (int32_t)in->k);
        break;
    case PF_CBPF_RULE_SHIFT_RANGE:
    case PF_CBPF_RULE_MEM_INDEX:
        snprintf(buf, len, "k = %u", in->k);
        break;
    default:
        break;
    }
}

int pf_cbpf_validate(const struct pf_cbpf_insn *insns, size_t len,
                     enum pf_cbpf_profile profile, struct pf_error *err)
{
    char d[96];

    if (len == 0)
        return refuse(err, PF_CBPF_RULE_EMPTY, -1, "");
    if (profile == PF_CBPF_PROFILE_KERNEL && len > PF_CBPF_KERNEL_MAXINSNS) {
        snprintf(d, sizeof(d), "%zu instructions, the kernel takes at most %d",
                 len, PF_CBPF_KERNEL_MAXINSNS);
        return refuse(err, PF_CBPF_RULE_TOO_LONG, -1, d);
    }
    for (size_t pc = 0; pc < len; pc++) {
        const struct pf_cbpf_insn *in = &insns[pc];
        const struct pf_cbpf_opinfo *op = pf_cbpf_op_lookup(in->code);
        enum pf_cbpf_rule rule;

        if (!op)
            rule = PF_CBPF_RULE_BAD_OPCODE;
        else if (!(rule = check_operand(in, op)))
            rule = check_jump(in, op, pc, len, profile);
        if (rule) {
            describe(in, rule, d, sizeof(d));
            return refuse(err, rule, (long)pc, d);
        }
    }
    if (PF_CBPF_CLASS(insns[len - 1].code) != PF_CBPF_RET)
        return refuse(err, PF_CBPF_RULE_NO_RET, (long)len - 1, "");
    if (profile == PF_CBPF_PROFILE_KERNEL)
        return check_memory(insns, len, err);
    return 0;
}
