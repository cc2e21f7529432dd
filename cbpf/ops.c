/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The opcode table expanded from PF_CBPF_OPS: mnemonic and operand kind
 * for every classic BPF opcode, NULL for everything else.
 */
#include <pfcap/cbpf.h>

#include "cbpf_ops.h"

const struct pf_cbpf_opinfo pf_cbpf_opinfo[256] = {
#define PF_CBPF_OP_INFO(name, code, mnem, opnd)                                \
    [code] = {mnem, PF_CBPF_OPND_##opnd},
    PF_CBPF_OPS(PF_CBPF_OP_INFO)
#undef PF_CBPF_OP_INFO
};

_Static_assert(sizeof(struct pf_cbpf_insn) == 8, "cBPF insn is 8 bytes");
_Static_assert(__builtin_offsetof(struct pf_cbpf_insn, code) == 0, "code");
_Static_assert(__builtin_offsetof(struct pf_cbpf_insn, jt) == 2, "jt");
_Static_assert(__builtin_offsetof(struct pf_cbpf_insn, jf) == 3, "jf");
_Static_assert(__builtin_offsetof(struct pf_cbpf_insn, k) == 4, "k");
