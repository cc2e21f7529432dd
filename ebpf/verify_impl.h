/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Private to the verifier (verify.c: structure and control flow,
 * verify_state.c: abstract values, verify_mem.c: memory and helpers): the
 * abstract register and stack state explored along every path.
 */
#ifndef PF_EBPF_VERIFY_IMPL_H
#define PF_EBPF_VERIFY_IMPL_H

#include <stdint.h>

#include "ebpf_impl.h"

/* What a register holds. */
enum vtype {
    V_NONE = 0, /* not initialised */
    V_SCALAR,   /* a number: base(id) + off, within [umin, umax] */
    V_PKT,      /* pkt + base(id) + off; base in [umin, umax]; id 0: none */
    V_CTX,      /* socket context + off */
    V_STACK,    /* r10 + off */
};

/* Relation id of caplen: a scalar with this id is caplen + off, a packet
 * pointer with it is pkt + caplen + off (the packet end). */
#define V_LEN_ID 1u

struct vreg {
    uint8_t type;
    uint32_t id;    /* 0: a constant scalar (= off) or a fixed pointer */
    int64_t off;
    uint64_t umin;  /* scalar: value bounds; pkt: bounds of base(id) */
    uint64_t umax;
};

#define V_NRECS 8
#define V_SPILLS 16

/* A proven fact: caplen >= base(id) + d. */
struct vrec {
    uint32_t id;
    int64_t d;
};

/* An 8-byte register spill: stack slot @slot (byte offset / 8 from the
 * bottom) holds the abstract value @r. */
struct vspill {
    int slot;
    struct vreg r;
};

struct vstate {
    struct vreg r[PF_EBPF_NREGS];
    struct vspill spill[V_SPILLS];      /* the first nspill are in use */
    unsigned nspill;
    uint64_t init[PF_EBPF_STACK_SIZE / 64]; /* one bit per stack byte */
    int64_t min_len;                    /* caplen >= min_len proven */
    struct vrec rec[V_NRECS];
    unsigned nrec;
};

struct venv {
    const struct pf_ebpf_insn *insns;
    size_t len;
    enum pf_ebpf_prog_type type;
    struct pf_error *err;
    uint32_t next_id;
    long pc;
};

/* Control flow (verify_cfg.c). pf_ebpf_v_succ: the successors of @pc
 * (0..2) into @succ, jump target first. pf_ebpf_v_order: refuses a cycle
 * (BACK_EDGE at the jump that closes it), else fills @order[0..*@norder)
 * with the reachable instructions in topological order and @rank[pc] with
 * each one's position; the graph must have passed the structural checks. */
int pf_ebpf_v_succ(const struct pf_ebpf_insn *insns, long pc, long succ[2]);
int pf_ebpf_v_order(struct venv *env, long *order, long *rank,
                    size_t *norder);

/* Records rule @rule at the current instruction; returns -EINVAL. */
int pf_ebpf_vfail(struct venv *env, enum pf_ebpf_rule rule, ...);

/* Scalars. */
void pf_ebpf_v_const(struct vreg *r, uint64_t v);
void pf_ebpf_v_unknown(struct venv *env, struct vreg *r, uint64_t umax);
int pf_ebpf_v_is_const(const struct vreg *r);

/* ALU instruction at env->pc on state @s. */
int pf_ebpf_v_alu(struct venv *env, struct vstate *s,
                  const struct pf_ebpf_insn *in);

/* Conditional jump: refines @taken and @fall (copies of the state before
 * the jump); sets *@tk / *@fl to 0 when that branch cannot happen. */
int pf_ebpf_v_cond(struct venv *env, struct vstate *taken,
                   struct vstate *fall, const struct pf_ebpf_insn *in,
                   int *tk, int *fl);

/* Loads, stores, atomics, LD_ABS/IND and helper calls. */
int pf_ebpf_v_mem(struct venv *env, struct vstate *s,
                  const struct pf_ebpf_insn *in);
int pf_ebpf_v_call(struct venv *env, struct vstate *s,
                   const struct pf_ebpf_insn *in);

/* The spill of stack slot @slot, or NULL; dropping one. */
struct vreg *pf_ebpf_v_spill(const struct vstate *s, int slot);
void pf_ebpf_v_unspill(struct vstate *s, int slot);

/* Does the verified @old state cover @cur (so @cur need not be explored)?
 * Registers outside the @live mask are ignored. */
int pf_ebpf_v_covers(const struct vstate *old, const struct vstate *cur,
                     unsigned live);

#endif
