/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The opcode table expanded from PF_EBPF_OPS, the verifier rule names, and
 * the static checks that pfcap's structures match the kernel's layouts.
 */
#include <stddef.h>

#include "ebpf_impl.h"

const struct pf_ebpf_opinfo pf_ebpf_opinfo[256] = {
#define PF_EBPF_OP_INFO(name, code, kind, text)                                \
    [code] = {#name, text, PF_EBPF_KIND_##kind},
    PF_EBPF_OPS(PF_EBPF_OP_INFO)
#undef PF_EBPF_OP_INFO
};

static const char *const rule_names[] = {
    "OK",
#define PF_EBPF_RULE_NAME(name, msg) #name,
    PF_EBPF_RULES(PF_EBPF_RULE_NAME)
#undef PF_EBPF_RULE_NAME
};

const char *pf_ebpf_rule_name(int rule)
{
    if (rule < 0 || rule >= PF_EBPF_RULE_COUNT)
        return NULL;
    return rule_names[rule];
}

_Static_assert(sizeof(struct pf_ebpf_insn) == 8, "eBPF insn is 8 bytes");
_Static_assert(offsetof(struct pf_ebpf_insn, off) == 2, "off");
_Static_assert(offsetof(struct pf_ebpf_insn, imm) == 4, "imm");
_Static_assert(sizeof(struct pf_ebpf_skb) == 192, "__sk_buff is 192 bytes");
_Static_assert(offsetof(struct pf_ebpf_skb, cb) == 48, "cb");
_Static_assert(offsetof(struct pf_ebpf_skb, napi_id) == 84, "napi_id");
_Static_assert(offsetof(struct pf_ebpf_run_ctx, data) == PF_EBPF_RUN_CTX_DATA,
               "run ctx data");
_Static_assert(offsetof(struct pf_ebpf_run_ctx, len) == PF_EBPF_RUN_CTX_LEN,
               "run ctx len");
_Static_assert(sizeof(rule_names) / sizeof(rule_names[0]) ==
                   PF_EBPF_RULE_COUNT,
               "one name per rule");

long pf_ebpf_jump_target(const struct pf_ebpf_insn *in, long pc)
{
    switch (pf_ebpf_opinfo[in->code].kind) {
    case PF_EBPF_KIND_JA:
    case PF_EBPF_KIND_JMP_K:
    case PF_EBPF_KIND_JMP_X:
    case PF_EBPF_KIND_JMP32_K:
    case PF_EBPF_KIND_JMP32_X: return pc + 1 + in->off;
    case PF_EBPF_KIND_JA32: return pc + 1 + (long)in->imm;
    default: return -1;
    }
}
