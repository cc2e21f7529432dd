/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The verifier's driver: a structural pass (every opcode and field valid,
 * jumps inside the program, no instruction unreachable, no fall-through
 * off the end), a search for cycles that also orders the instructions
 * topologically (verify_cfg.c: backward jumps are fine, loops are not), a
 * liveness pass in reverse order, then a walk of every path with an
 * abstract state per register and stack byte (verify_state.c,
 * verify_mem.c). Paths are resumed in topological order; the
 * states seen at each jump target are kept, and a path whose state (on
 * its live registers) is covered by one already verified there is cut
 * short, which keeps the walk close to linear on filter programs.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "verify_impl.h"

#define MAX_WORK 1000000u
#define MAX_SAVED 16384u
#define MAX_PENDING 16384u
#define SAVED_PER_INSN 8u

static const char *const rule_fmt[] = {
    "",
#define PF_EBPF_RULE_FMT(name, msg) msg,
    PF_EBPF_RULES(PF_EBPF_RULE_FMT)
#undef PF_EBPF_RULE_FMT
};

int pf_ebpf_vfail(struct venv *env, enum pf_ebpf_rule rule, ...)
{
    char msg[PF_ERROR_MSG_MAX];
    va_list ap;

    va_start(ap, rule);
    vsnprintf(msg, sizeof(msg), rule_fmt[rule], ap);
    va_end(ap);
    if (rule == PF_EBPF_RULE_NOMEM)
        return pf_error_set_insn(env->err, -ENOMEM, PF_STAGE_EBPF, rule,
                                 env->pc, "%s", msg);
    return pf_error_set_insn(env->err, -EINVAL, PF_STAGE_EBPF, rule, env->pc,
                             "%s", msg);
}

/* ---- Structural checks ------------------------------------------------- */

/* Field checks shared by several kinds: @mask bit 0 dst, 1 src, 2 off,
 * 3 imm must be zero. */
static int need_zero(struct venv *env, const struct pf_ebpf_insn *in,
                     unsigned mask)
{
    if ((mask & 1) && in->dst_reg)
        return pf_ebpf_vfail(env, PF_EBPF_RULE_RESERVED, "dst_reg");
    if ((mask & 2) && in->src_reg)
        return pf_ebpf_vfail(env, PF_EBPF_RULE_RESERVED, "src_reg");
    if ((mask & 4) && in->off)
        return pf_ebpf_vfail(env, PF_EBPF_RULE_RESERVED, "off");
    if ((mask & 8) && in->imm)
        return pf_ebpf_vfail(env, PF_EBPF_RULE_RESERVED, "imm");
    return 0;
}

/* ALU: the off variants (sdiv/smod, movsx), shift ranges, division by a
 * constant zero (the kernel refuses it). */
static int check_alu(struct venv *env, const struct pf_ebpf_insn *in,
                     enum pf_ebpf_kind kind)
{
    unsigned op = PF_EBPF_OP(in->code);
    int is64 = kind == PF_EBPF_KIND_ALU64_K || kind == PF_EBPF_KIND_ALU64_X;
    int isk = kind == PF_EBPF_KIND_ALU_K || kind == PF_EBPF_KIND_ALU64_K;
    int bits = is64 ? 64 : 32;
    int rc = need_zero(env, in, isk ? 2 : 8);

    if (rc)
        return rc;
    if ((op == PF_EBPF_DIV || op == PF_EBPF_MOD) && in->off != 0 &&
        in->off != 1)
        return pf_ebpf_vfail(env, PF_EBPF_RULE_BAD_OFF, in->off, "div/mod");
    if (op == PF_EBPF_MOV && in->off != 0 &&
        (isk || (in->off != 8 && in->off != 16 && !(is64 && in->off == 32))))
        return pf_ebpf_vfail(env, PF_EBPF_RULE_BAD_OFF, in->off, "mov");
    if (op != PF_EBPF_DIV && op != PF_EBPF_MOD && op != PF_EBPF_MOV &&
        in->off)
        return pf_ebpf_vfail(env, PF_EBPF_RULE_RESERVED, "off");
    if (isk && (op == PF_EBPF_LSH || op == PF_EBPF_RSH || op == PF_EBPF_ARSH) &&
        (in->imm < 0 || in->imm >= bits))
        return pf_ebpf_vfail(env, PF_EBPF_RULE_SHIFT_RANGE, in->imm, bits);
    if (isk && (op == PF_EBPF_DIV || op == PF_EBPF_MOD) && in->imm == 0)
        return pf_ebpf_vfail(env, PF_EBPF_RULE_BAD_IMM, 0, "division");
    return 0;
}

static int check_fields(struct venv *env, const struct pf_ebpf_insn *in,
                        enum pf_ebpf_kind kind)
{
    switch (kind) {
    case PF_EBPF_KIND_ALU_K:
    case PF_EBPF_KIND_ALU_X:
    case PF_EBPF_KIND_ALU64_K:
    case PF_EBPF_KIND_ALU64_X: return check_alu(env, in, kind);
    case PF_EBPF_KIND_NEG:
    case PF_EBPF_KIND_NEG64: return need_zero(env, in, 2 | 4 | 8);
    case PF_EBPF_KIND_END:
    case PF_EBPF_KIND_BSWAP:
        if (in->imm != 16 && in->imm != 32 && in->imm != 64)
            return pf_ebpf_vfail(env, PF_EBPF_RULE_BAD_IMM, in->imm, "endian");
        return need_zero(env, in, 2 | 4);
    case PF_EBPF_KIND_LDDW:
        if (in->src_reg)
            return pf_ebpf_vfail(env, PF_EBPF_RULE_LD_IMM64_SRC, in->src_reg);
        return need_zero(env, in, 4);
    case PF_EBPF_KIND_LDABS: return need_zero(env, in, 1 | 2 | 4);
    case PF_EBPF_KIND_LDIND: return need_zero(env, in, 1 | 4);
    case PF_EBPF_KIND_LDX:
    case PF_EBPF_KIND_LDXSX:
    case PF_EBPF_KIND_STX: return need_zero(env, in, 8);
    case PF_EBPF_KIND_ST: return need_zero(env, in, 2);
    case PF_EBPF_KIND_ATOMIC: return 0;
    case PF_EBPF_KIND_JA: return need_zero(env, in, 1 | 2 | 8);
    case PF_EBPF_KIND_JA32: return need_zero(env, in, 1 | 2 | 4);
    case PF_EBPF_KIND_JMP_K:
    case PF_EBPF_KIND_JMP32_K: return need_zero(env, in, 2);
    case PF_EBPF_KIND_JMP_X:
    case PF_EBPF_KIND_JMP32_X: return need_zero(env, in, 8);
    case PF_EBPF_KIND_CALL: return need_zero(env, in, 1 | 2 | 4);
    case PF_EBPF_KIND_EXIT: return need_zero(env, in, 1 | 2 | 4 | 8);
    default: return pf_ebpf_vfail(env, PF_EBPF_RULE_BAD_OPCODE, in->code);
    }
}

/* Does instruction kind @kind write its dst register? */
static int writes_dst(enum pf_ebpf_kind kind)
{
    return kind <= PF_EBPF_KIND_LDDW || kind == PF_EBPF_KIND_LDX ||
           kind == PF_EBPF_KIND_LDXSX;
}

/* Opcode, registers, fields, the ld_imm64 pair; marks @imm64_tail. */
static int check_insn(struct venv *env, long pc, uint8_t *imm64_tail)
{
    const struct pf_ebpf_insn *in = &env->insns[pc];
    const struct pf_ebpf_opinfo *oi = pf_ebpf_op_lookup(in->code);
    const struct pf_ebpf_insn *hi;
    int rc;

    env->pc = pc;
    if (!oi)
        return pf_ebpf_vfail(env, PF_EBPF_RULE_BAD_OPCODE, in->code);
    if (in->dst_reg > 10)
        return pf_ebpf_vfail(env, PF_EBPF_RULE_BAD_REG, in->dst_reg);
    if (in->src_reg > 10 && oi->kind != PF_EBPF_KIND_LDDW)
        return pf_ebpf_vfail(env, PF_EBPF_RULE_BAD_REG, in->src_reg);
    rc = check_fields(env, in, oi->kind);
    if (rc)
        return rc;
    if (writes_dst(oi->kind) && in->dst_reg == 10)
        return pf_ebpf_vfail(env, PF_EBPF_RULE_WRITE_R10);
    if (oi->kind != PF_EBPF_KIND_LDDW)
        return 0;
    if ((size_t)pc + 1 >= env->len)
        return pf_ebpf_vfail(env, PF_EBPF_RULE_LD_IMM64_TRUNC);
    hi = &env->insns[pc + 1];
    if (hi->code || hi->dst_reg || hi->src_reg || hi->off)
        return pf_ebpf_vfail(env, PF_EBPF_RULE_LD_IMM64_TRUNC);
    imm64_tail[pc + 1] = 1;
    return 0;
}

static int is_jump(enum pf_ebpf_kind kind)
{
    return kind == PF_EBPF_KIND_JA || kind == PF_EBPF_KIND_JA32 ||
           kind == PF_EBPF_KIND_JMP_K || kind == PF_EBPF_KIND_JMP_X ||
           kind == PF_EBPF_KIND_JMP32_K || kind == PF_EBPF_KIND_JMP32_X;
}

/* A jump target must be inside the program and not the second half of an
 * ld_imm64. Backward jumps are fine here; loops are refused by the cycle
 * search (verify_cfg.c). */
static int check_target(struct venv *env, long t, const uint8_t *tail)
{
    if (t < 0 || (size_t)t >= env->len)
        return pf_ebpf_vfail(env, PF_EBPF_RULE_JUMP_RANGE, t);
    if (tail[t])
        return pf_ebpf_vfail(env, PF_EBPF_RULE_JUMP_INTO_IMM64, t);
    return 0;
}

/* The successors of @pc, marked in @seen (and jump targets in @target)
 * and queued on @work when new; falling off the end is refused. */
static int follow(struct venv *env, long pc, const uint8_t *tail,
                  uint8_t *seen, uint8_t *target, long *work, size_t *nwork)
{
    const struct pf_ebpf_insn *in = &env->insns[pc];
    enum pf_ebpf_kind kind = pf_ebpf_opinfo[in->code].kind;
    long succ[2];
    int ns, rc;

    if (is_jump(kind)) {
        rc = check_target(env, pf_ebpf_jump_target(in, pc), tail);
        if (rc)
            return rc;
        target[pf_ebpf_jump_target(in, pc)] = 1;
    }
    ns = pf_ebpf_v_succ(env->insns, pc, succ);
    for (int i = 0; i < ns; i++) {
        if ((size_t)succ[i] >= env->len)
            return pf_ebpf_vfail(env, PF_EBPF_RULE_FALL_OFF);
        if (!seen[succ[i]]) {
            seen[succ[i]] = 1;
            work[(*nwork)++] = succ[i];
        }
    }
    return 0;
}

/* Control flow: every jump valid, no fall-through off the end, searched
 * from instruction 0 (a backward jump may be the only way into code). */
static int check_flow(struct venv *env, const uint8_t *tail, uint8_t *target)
{
    uint8_t *seen = calloc(env->len, 1);
    long *work = malloc(env->len * sizeof(*work));
    size_t nwork = 0;
    int rc = 0;

    if (!seen || !work) {
        free(seen);
        free(work);
        return pf_ebpf_vfail(env, PF_EBPF_RULE_NOMEM);
    }
    seen[0] = 1;
    work[nwork++] = 0;
    while (!rc && nwork) {
        long pc = work[--nwork];

        env->pc = pc;
        rc = follow(env, pc, tail, seen, target, work, &nwork);
    }
    free(seen);
    free(work);
    return rc;
}

/* Every instruction reachable (the kernel refuses dead code too): each
 * one that is not an ld_imm64 tail must be in the order @order[0..@n). */
static int check_reached(struct venv *env, const uint8_t *tail,
                         const long *order, size_t n)
{
    uint8_t *seen = calloc(env->len, 1);
    int rc = 0;

    if (!seen)
        return pf_ebpf_vfail(env, PF_EBPF_RULE_NOMEM);
    for (size_t i = 0; i < n; i++)
        seen[order[i]] = 1;
    for (size_t pc = 0; !rc && pc < env->len; pc++) {
        env->pc = (long)pc;
        if (!tail[pc] && !seen[pc])
            rc = pf_ebpf_vfail(env, PF_EBPF_RULE_UNREACHABLE);
    }
    free(seen);
    return rc;
}

/* ---- Register liveness -------------------------------------------------- */

/* Registers instruction @in reads (*@use) and writes (*@def). */
static void use_def(const struct pf_ebpf_insn *in, unsigned *use,
                    unsigned *def)
{
    unsigned d = 1u << in->dst_reg, s = 1u << in->src_reg;
    int mov = PF_EBPF_OP(in->code) == PF_EBPF_MOV;

    *use = 0;
    *def = 0;
    switch (pf_ebpf_opinfo[in->code].kind) {
    case PF_EBPF_KIND_ALU_K:
    case PF_EBPF_KIND_ALU64_K: *use = mov ? 0 : d; *def = d; break;
    case PF_EBPF_KIND_ALU_X:
    case PF_EBPF_KIND_ALU64_X: *use = s | (mov ? 0 : d); *def = d; break;
    case PF_EBPF_KIND_NEG:
    case PF_EBPF_KIND_NEG64:
    case PF_EBPF_KIND_END:
    case PF_EBPF_KIND_BSWAP: *use = d; *def = d; break;
    case PF_EBPF_KIND_LDDW: *def = d; break;
    case PF_EBPF_KIND_LDABS:
    case PF_EBPF_KIND_LDIND:
        *use = 1u << 6 | (PF_EBPF_MODE(in->code) == PF_EBPF_IND ? s : 0);
        *def = 0x3f;
        break;
    case PF_EBPF_KIND_LDX:
    case PF_EBPF_KIND_LDXSX: *use = s; *def = d; break;
    case PF_EBPF_KIND_ST: *use = d; break;
    case PF_EBPF_KIND_STX: *use = d | s; break;
    case PF_EBPF_KIND_ATOMIC:
        *use = d | s | (in->imm == PF_EBPF_CMPXCHG ? 1u : 0);
        *def = in->imm == PF_EBPF_CMPXCHG ? 1u
               : in->imm & PF_EBPF_FETCH  ? s
                                          : 0;
        break;
    case PF_EBPF_KIND_JMP_K:
    case PF_EBPF_KIND_JMP32_K: *use = d; break;
    case PF_EBPF_KIND_JMP_X:
    case PF_EBPF_KIND_JMP32_X: *use = d | s; break;
    case PF_EBPF_KIND_CALL: *use = 0x3e; *def = 0x3f; break;
    case PF_EBPF_KIND_EXIT: *use = 1; break;
    default: break;
    }
}

/* live[i]: registers that some path from i reads before writing. The
 * graph has no cycle, so one pass in reverse topological order computes
 * it. Pruning ignores the other registers: what a path never reads cannot
 * make it unsafe. */
static void liveness(const struct venv *env, const long *order, size_t n,
                     uint16_t *live)
{
    for (size_t i = n; i-- > 0;) {
        long pc = order[i];
        unsigned use, def, out = 0;
        long succ[2];
        int ns = pf_ebpf_v_succ(env->insns, pc, succ);

        for (int k = 0; k < ns; k++)
            out |= live[succ[k]];
        use_def(&env->insns[pc], &use, &def);
        live[pc] = (uint16_t)((out & ~def) | use);
    }
}

/* ---- Path walk ---------------------------------------------------------- */

struct pending {
    long pc;
    long key; /* topological rank of pc */
    struct vstate *s;
};

struct walk {
    struct venv *env;
    const uint8_t *target;
    const uint16_t *live;
    const long *order;     /* reachable instructions, topological order */
    const long *rank;      /* [pc]: position in order */
    struct vstate **saved; /* SAVED_PER_INSN per instruction */
    unsigned nsaved;
    struct pending *todo;
    size_t ntodo, captodo;
    unsigned long work, max_work;
    long forgotten; /* saved states before this pc are freed */
};

static void initial_state(struct venv *env, struct vstate *s)
{
    memset(s, 0, sizeof(*s));
    s->r[10].type = V_STACK;
    if (env->type == PF_EBPF_PROG_SOCKET) {
        s->r[1].type = V_CTX;
        return;
    }
    s->r[1].type = V_PKT;
    s->r[2].type = V_SCALAR;
    s->r[2].id = V_LEN_ID;
    s->r[2].umax = 0xffffffffu;
    pf_ebpf_v_unknown(env, &s->r[3], 0xffffffffu);
}

/* Keeps a copy of @s at @pc, or says (1) that a kept state covers it. */
static int prune_or_save(struct walk *w, long pc, const struct vstate *s)
{
    struct vstate **slot = &w->saved[(size_t)pc * SAVED_PER_INSN];
    unsigned i;

    for (i = 0; i < SAVED_PER_INSN && slot[i]; i++)
        if (pf_ebpf_v_covers(slot[i], s, w->live[pc]))
            return 1;
    if (i == SAVED_PER_INSN || w->nsaved >= MAX_SAVED)
        return 0;
    slot[i] = malloc(sizeof(*s));
    if (!slot[i])
        return 0;
    memcpy(slot[i], s, sizeof(*s));
    w->nsaved++;
    return 0;
}

/* The pending paths form a min-heap on topological rank: every state that
 * reaches a jump target is seen before the walk moves past it, and states
 * kept for instructions behind the walk can be freed (every edge goes to a
 * higher rank, backward jumps included). */
static void heap_up(struct pending *h, size_t i)
{
    while (i > 0 && h[(i - 1) / 2].key > h[i].key) {
        struct pending t = h[i];

        h[i] = h[(i - 1) / 2];
        h[(i - 1) / 2] = t;
        i = (i - 1) / 2;
    }
}

static void heap_down(struct pending *h, size_t n)
{
    size_t i = 0;

    for (;;) {
        size_t l = 2 * i + 1, m = i;
        struct pending t;

        if (l < n && h[l].key < h[m].key)
            m = l;
        if (l + 1 < n && h[l + 1].key < h[m].key)
            m = l + 1;
        if (m == i)
            return;
        t = h[i];
        h[i] = h[m];
        h[m] = t;
        i = m;
    }
}

/* Queues @s (taking ownership) to resume at @pc, unless a state kept at
 * that jump target covers it. States are kept when queued, not when
 * resumed, so that the many paths converging on one target (the accept
 * block of a long `host A or host B ...` chain) wait there as one. A kept
 * state still queued is sound cover: it is explored in full later. */
static int push_owned(struct walk *w, long pc, struct vstate *s)
{
    if (w->target[pc] && prune_or_save(w, pc, s)) {
        free(s);
        return 0;
    }
    if (w->ntodo >= MAX_PENDING) {
        free(s);
        w->env->pc = pc;
        return pf_ebpf_vfail(w->env, PF_EBPF_RULE_COMPLEXITY, MAX_PENDING);
    }
    if (w->ntodo == w->captodo) {
        size_t cap = w->captodo ? 2 * w->captodo : 64;
        struct pending *p = realloc(w->todo, cap * sizeof(*p));

        if (!p) {
            free(s);
            return pf_ebpf_vfail(w->env, PF_EBPF_RULE_NOMEM);
        }
        w->todo = p;
        w->captodo = cap;
    }
    w->todo[w->ntodo].pc = pc;
    w->todo[w->ntodo].key = w->rank[pc];
    w->todo[w->ntodo].s = s;
    heap_up(w->todo, w->ntodo++);
    return 0;
}

/* Queues a copy of @s. */
static int push(struct walk *w, long pc, const struct vstate *s)
{
    struct vstate *copy = malloc(sizeof(*copy));

    if (!copy)
        return pf_ebpf_vfail(w->env, PF_EBPF_RULE_NOMEM);
    memcpy(copy, s, sizeof(*s));
    return push_owned(w, pc, copy);
}

/* Frees the states kept for instructions ranked before @pc. */
static void forget_before(struct walk *w, long pc)
{
    for (; w->forgotten < w->rank[pc]; w->forgotten++) {
        struct vstate **slot = &w->saved[(size_t)w->order[w->forgotten] *
                                         SAVED_PER_INSN];
        unsigned i;

        for (i = 0; i < SAVED_PER_INSN && slot[i]; i++) {
            free(slot[i]);
            slot[i] = NULL;
            w->nsaved--;
        }
    }
}

/* A conditional jump: queues the taken branch, continues with the other.
 * Returns 1 when neither branch is possible (path ends). */
static int step_cond(struct walk *w, struct vstate *s, long *pc,
                     const struct pf_ebpf_insn *in)
{
    struct vstate *taken = malloc(sizeof(*taken));
    int tk = 1, fl = 1, rc;

    if (!taken)
        return pf_ebpf_vfail(w->env, PF_EBPF_RULE_NOMEM);
    memcpy(taken, s, sizeof(*s));
    rc = pf_ebpf_v_cond(w->env, taken, s, in, &tk, &fl);
    if (!rc && tk && fl)
        rc = push(w, *pc + 1 + in->off, taken);
    else if (!rc && tk)
        memcpy(s, taken, sizeof(*s));
    free(taken);
    if (rc)
        return rc;
    if (tk && !fl)
        *pc += in->off;
    if (!tk && !fl)
        return 1;
    (*pc)++;
    return 0;
}

/* Checks r0 at exit. */
static int step_exit(struct venv *env, const struct vstate *s)
{
    if (s->r[0].type == V_NONE)
        return pf_ebpf_vfail(env, PF_EBPF_RULE_RET_UNINIT);
    if (s->r[0].type != V_SCALAR)
        return pf_ebpf_vfail(env, PF_EBPF_RULE_RET_POINTER);
    return 0;
}

/* Executes the instruction at *@pc abstractly; returns 1 when the path
 * ended, 0 to continue at the updated *@pc, or a negative errno. */
static int step(struct walk *w, struct vstate *s, long *pc)
{
    const struct pf_ebpf_insn *in = &w->env->insns[*pc];
    enum pf_ebpf_kind kind = pf_ebpf_opinfo[in->code].kind;
    int rc = 0;

    w->env->pc = *pc;
    switch (kind) {
    case PF_EBPF_KIND_EXIT:
        rc = step_exit(w->env, s);
        return rc ? rc : 1;
    case PF_EBPF_KIND_JA: *pc += 1 + in->off; return 0;
    case PF_EBPF_KIND_JA32: *pc += 1 + (long)in->imm; return 0;
    case PF_EBPF_KIND_JMP_K:
    case PF_EBPF_KIND_JMP_X:
    case PF_EBPF_KIND_JMP32_K:
    case PF_EBPF_KIND_JMP32_X: return step_cond(w, s, pc, in);
    case PF_EBPF_KIND_CALL: rc = pf_ebpf_v_call(w->env, s, in); break;
    case PF_EBPF_KIND_LDDW:
        pf_ebpf_v_const(&s->r[in->dst_reg],
                        (uint32_t)in->imm |
                            (uint64_t)(uint32_t)in[1].imm << 32);
        *pc += 2;
        return 0;
    default:
        if (kind <= PF_EBPF_KIND_BSWAP)
            rc = pf_ebpf_v_alu(w->env, s, in);
        else
            rc = pf_ebpf_v_mem(w->env, s, in);
        break;
    }
    (*pc)++;
    return rc;
}

/* Follows the path of @s (owned) from @pc until it ends or reaches the
 * next jump target, where it is queued again. */
static int walk_path(struct walk *w, long pc, struct vstate *s)
{
    long start = pc;

    for (;;) {
        int rc;

        if (++w->work > w->max_work) {
            w->env->pc = pc;
            free(s);
            return pf_ebpf_vfail(w->env, PF_EBPF_RULE_COMPLEXITY,
                                 (unsigned)w->max_work);
        }
        if (w->target[pc] && pc != start)
            return push_owned(w, pc, s);
        rc = step(w, s, &pc);
        if (rc) {
            free(s);
            return rc < 0 ? rc : 0;
        }
    }
}

static int walk_all(struct walk *w)
{
    struct vstate *s = malloc(sizeof(*s));
    int rc;

    if (!s)
        return pf_ebpf_vfail(w->env, PF_EBPF_RULE_NOMEM);
    initial_state(w->env, s);
    rc = push_owned(w, 0, s);
    while (!rc && w->ntodo) {
        struct pending next = w->todo[0];

        w->todo[0] = w->todo[--w->ntodo];
        heap_down(w->todo, w->ntodo);
        forget_before(w, next.pc);
        rc = walk_path(w, next.pc, next.s);
    }
    return rc;
}

static void walk_free(struct walk *w)
{
    size_t i;

    for (i = 0; i < w->ntodo; i++)
        free(w->todo[i].s);
    free(w->todo);
    if (w->saved)
        for (i = 0; i < w->env->len * SAVED_PER_INSN; i++)
            free(w->saved[i]);
    free(w->saved);
}

/* The liveness pass and the path walk over the ordered graph. */
static int analyse(struct venv *env, struct walk *w, size_t n)
{
    uint16_t *live = calloc(env->len + 1, sizeof(*live));
    int rc;

    w->saved = calloc(env->len * SAVED_PER_INSN, sizeof(*w->saved));
    if (!w->saved || !live) {
        free(live);
        return pf_ebpf_vfail(env, PF_EBPF_RULE_NOMEM);
    }
    liveness(env, w->order, n, live);
    w->live = live;
    rc = walk_all(w);
    free(live);
    return rc;
}

/* Structural pass, cycle search and order, then the path walk. */
static int verify(struct venv *env, uint8_t *tail, uint8_t *target)
{
    struct walk w = {.env = env, .target = target,
                     .max_work = MAX_WORK + 4 * env->len};
    long *order = NULL, *rank = NULL;
    size_t n = 0;
    long pc;
    int rc;

    for (pc = 0; (size_t)pc < env->len; pc++) {
        if (tail[pc])
            continue;
        rc = check_insn(env, pc, tail);
        if (rc)
            return rc;
    }
    rc = check_flow(env, tail, target);
    if (rc)
        return rc;
    order = malloc(env->len * sizeof(*order));
    rank = calloc(env->len, sizeof(*rank));
    if (!order || !rank)
        rc = pf_ebpf_vfail(env, PF_EBPF_RULE_NOMEM);
    else
        rc = pf_ebpf_v_order(env, order, rank, &n);
    if (!rc)
        rc = check_reached(env, tail, order, n);
    w.order = order;
    w.rank = rank;
    if (!rc)
        rc = analyse(env, &w, n);
    walk_free(&w);
    free(order);
    free(rank);
    return rc;
}

int pf_ebpf_verify(const struct pf_ebpf_insn *insns, size_t len,
                   enum pf_ebpf_prog_type type, struct pf_error *err)
{
    struct venv env = {.insns = insns, .len = len, .type = type, .err = err,
                       .next_id = V_LEN_ID + 1, .pc = -1};
    uint8_t *tail, *target;
    int rc;

    if (!insns || len == 0)
        return pf_ebpf_vfail(&env, PF_EBPF_RULE_EMPTY);
    if (len > PF_EBPF_MAX_INSNS)
        return pf_ebpf_vfail(&env, PF_EBPF_RULE_TOO_LONG, len,
                             (unsigned)PF_EBPF_MAX_INSNS);
    if (type != PF_EBPF_PROG_FILTER && type != PF_EBPF_PROG_SOCKET)
        return pf_error_set(err, -EINVAL, PF_STAGE_EBPF, 0,
                            "unknown program type %d", (int)type);
    tail = calloc(len, 1);
    target = calloc(len, 1);
    if (!tail || !target)
        rc = pf_ebpf_vfail(&env, PF_EBPF_RULE_NOMEM);
    else
        rc = verify(&env, tail, target);
    free(tail);
    free(target);
    return rc;
}
