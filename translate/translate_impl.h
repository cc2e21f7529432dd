/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Private state of the cBPF -> eBPF translator: the output buffer with its
 * jump fixups, the per-instruction analyses (reachability, the packet
 * length every accepting path needs, M[] words read before written, A and
 * X read before written, network-order loads, the bound of X) and the
 * register map shared by the lowering files.
 */
#ifndef PF_TRANSLATE_IMPL_H
#define PF_TRANSLATE_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include <pfcap/translate.h>

/* Register map (all targets): A and X are 32-bit values kept
 * zero-extended in 64-bit registers. */
#define TR_A PF_EBPF_R0
#define TR_X PF_EBPF_R7
#define TR_T1 PF_EBPF_R4
#define TR_T2 PF_EBPF_R5
/* user: r1 = packet, r2 = caplen, r3 = wirelen */
#define TR_U_PKT PF_EBPF_R1
#define TR_U_CAPLEN PF_EBPF_R2
#define TR_U_WIRELEN PF_EBPF_R3
/* socket: r6 = __sk_buff (LD_ABS needs it there), r8 saves A */
#define TR_S_CTX PF_EBPF_R6
#define TR_S_SAVE PF_EBPF_R8
/* xdp: r8 = data, r9 = data_end */
#define TR_XDP_DATA PF_EBPF_R8
#define TR_XDP_END PF_EBPF_R9

/* Largest offset + size a direct load can need before the target knows it
 * always fails: pfcap's engine takes packets shorter than 2^31 bytes (its
 * verifier refuses larger pointer offsets; no capture holds such packets),
 * and XDP data is never longer than 64 KiB. */
#define TR_USER_LIMIT INT32_MAX
#define TR_XDP_LIMIT 0xffffu
#define TR_INF UINT64_MAX

/* A jump whose offset is patched once every label has an address. */
struct tr_fixup {
    size_t at;     /* eBPF index of the jump */
    size_t target; /* cBPF index, or ctx->n for the "return 0" label */
    int wide;      /* a gotol: the offset goes to imm, not off */
};

/* Lowering passes before the translator gives up on long jumps (each pass
 * turns the jumps found too far into gotol sequences; two or three
 * passes settle in practice). */
#define TR_MAX_PASSES 16

struct tr_ctx {
    const struct pf_cbpf_insn *in;
    size_t n;
    enum pf_translate_target target;
    enum pf_translate_len len_from;
    struct pf_error *err;
    int rc;                 /* first error (sticky) */
    struct pf_ebpf_insn *out;
    size_t len, cap;
    struct tr_fixup *fix;
    size_t nfix, capfix;
    uint8_t *wide;          /* [capwide]: jump number j is lowered long */
    size_t capwide;
    size_t *start;          /* [n + 1]: eBPF index of each cBPF insn */
    uint64_t *need;         /* [n]: caplen every accepting path needs */
    uint64_t *known;        /* [n]: caplen proven on entry (TR_INF = none) */
    uint64_t cur;           /* caplen proven at the current point */
    uint8_t *reach;         /* [n] */
    size_t *next_zero;      /* [n + 1]: first reachable `ret #0` at or
                               after i (n: none, use the shared label) */
    size_t cur_insn;        /* the cBPF instruction being lowered */
    uint16_t mem_init;      /* M[] words to zero in the prologue */
    int init_a, init_x;     /* some path reads A / X before writing it */
    uint8_t *raw;           /* [n]: 2/4 on a load that skips its byte swap
                               and on a jeq/jset #k whose A is such a load */
    uint32_t *xmax;         /* [n]: largest X on entry */
    int uses_fail;          /* the "return 0" label is referenced */
};

/*
 * Output buffer (translate.c). Every emitter is a no-op once c->rc holds
 * an error (sticky, first error wins); tr_refuse records one in c->err
 * with the cBPF instruction @insn, the message template of @code
 * (PF_TRANSLATE_CODES) filled from the arguments, and returns @rc.
 *   tr_emit            appends one instruction
 *   tr_emit_jump       appends a jump whose offset is patched to reach
 *                      cBPF instruction @target once all are lowered;
 *                      when an earlier pass found that jump (counted in
 *                      emission order) too far for 16 bits, the long
 *                      form: `gotol`, or the inverted compare over a
 *                      `gotol` (jset: `jset +1; goto +1; gotol`)
 *   tr_emit_fail_jump  appends a jump to "return 0" (the next reachable
 *                      `ret #0`, else a label at the end)
 */
void tr_emit(struct tr_ctx *c, struct pf_ebpf_insn insn);
void tr_emit_jump(struct tr_ctx *c, struct pf_ebpf_insn jmp, size_t target);
void tr_emit_fail_jump(struct tr_ctx *c, struct pf_ebpf_insn jmp);
int tr_refuse(struct tr_ctx *c, int rc, int code, size_t insn, ...);

/*
 * Analyses (analyze.c), run in this order before lowering:
 *   tr_analyze_need   fills need[] backwards; refuses backward jumps
 *   tr_analyze_flow   fills reach[] and mem_init forwards
 * and their helpers: tr_is_load (reads packet bytes at a k offset),
 * tr_load_end (k + size), tr_limit (the target's largest useful offset),
 * tr_is_terminal (lowering ends the path) and tr_successors (the cBPF
 * successors of a non-terminal instruction, into @succ; returns 0..2).
 */
uint64_t tr_load_end(const struct pf_cbpf_insn *insn);
int tr_is_load(const struct pf_cbpf_insn *insn);
uint64_t tr_limit(const struct tr_ctx *c);
int tr_analyze_need(struct tr_ctx *c);
void tr_analyze_flow(struct tr_ctx *c);
int tr_is_terminal(const struct tr_ctx *c, size_t i);
int tr_successors(const struct tr_ctx *c, size_t i, size_t succ[2]);

/*
 * Register data flow (dataflow.c), after tr_analyze_flow: whether A and X
 * need zeroing in the prologue, which loads and compares work on
 * network-order values (raw[]) and the bound of X (xmax[]).
 */
void tr_analyze_regs(struct tr_ctx *c);

/*
 * Lowering. lower.c: tr_lower_insn lowers reachable instruction @i
 * (target-independent parts itself, the rest through loads.c) and passes
 * the proven caplen on. loads.c: the prologue (context registers, A and X
 * zeroed when read before written, M[] zeroing), the "return 0" label,
 * `ret`, packet loads at instruction @i (network order when raw[i]), and
 * `len` into register @dst.
 */
void tr_lower_insn(struct tr_ctx *c, size_t i);
void tr_lower_prologue(struct tr_ctx *c);
void tr_lower_fail_label(struct tr_ctx *c);
void tr_lower_ret(struct tr_ctx *c, const struct pf_cbpf_insn *insn);
void tr_lower_load(struct tr_ctx *c, size_t i);
void tr_lower_len(struct tr_ctx *c, int dst);

#endif
