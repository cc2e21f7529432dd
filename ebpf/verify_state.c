/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The verifier's abstract values: scalars as base(id) + off within
 * [umin, umax] (copies and constant additions keep the id, so a bound
 * proven on one copy is known for all), ALU transfer functions, what a
 * conditional jump teaches each branch (value ranges, and "caplen >=
 * base(id) + d" facts when a position is compared with caplen or with the
 * packet end), and the covering test used to prune paths.
 */
#include <string.h>

#include "verify_impl.h"

#define U32_MAX 0xffffffffu
/* Offsets that keep a relation stay below 2^40 in magnitude, so that
 * differences of offsets never overflow. */
#define V_OFF_MAX ((int64_t)1 << 40)

void pf_ebpf_v_const(struct vreg *r, uint64_t v)
{
    memset(r, 0, sizeof(*r));
    r->type = V_SCALAR;
    r->off = (int64_t)v;
    r->umin = v;
    r->umax = v;
}

void pf_ebpf_v_unknown(struct venv *env, struct vreg *r, uint64_t umax)
{
    memset(r, 0, sizeof(*r));
    r->type = V_SCALAR;
    r->id = env->next_id++;
    r->umax = umax;
}

int pf_ebpf_v_is_const(const struct vreg *r)
{
    return r->type == V_SCALAR && r->id == 0;
}

/* A fresh scalar in [lo, hi]. */
static void set_range(struct venv *env, struct vreg *r, uint64_t lo,
                      uint64_t hi)
{
    if (lo == hi) {
        pf_ebpf_v_const(r, lo);
        return;
    }
    pf_ebpf_v_unknown(env, r, hi);
    r->umin = lo;
}

/* Can r + c be computed without wrapping, its offset staying small? */
static int keeps_relation(const struct vreg *r, int64_t c, uint64_t limit)
{
    uint64_t mag = c < 0 ? (uint64_t)0 - (uint64_t)c : (uint64_t)c;

    if (r->umax > limit || c <= -V_OFF_MAX || c >= V_OFF_MAX)
        return 0;
    if (r->off + c <= -V_OFF_MAX || r->off + c >= V_OFF_MAX)
        return 0;
    return c >= 0 ? limit - r->umax >= mag : r->umin >= mag;
}

/* dst += c keeping the relation when nothing can wrap; @limit is the
 * largest value the operation can produce (64 or 32 bit). */
static void add_const(struct venv *env, struct vreg *r, int64_t c,
                      uint64_t limit)
{
    if (r->id == 0) {
        pf_ebpf_v_const(r, limit == U32_MAX ? (uint32_t)(r->umin + c)
                                            : r->umin + (uint64_t)c);
        return;
    }
    if (keeps_relation(r, c, limit)) {
        r->off += c;
        r->umin += (uint64_t)c;
        r->umax += (uint64_t)c;
        return;
    }
    set_range(env, r, 0, limit);
}

/* Bounds of a non-constant result of @op on ranges @a and constant @c. */
static void alu_range(struct venv *env, struct vreg *d, unsigned op,
                      uint64_t c, int cconst, uint64_t limit)
{
    uint64_t lo = 0, hi = limit;
    uint64_t amin = d->umin, amax = d->umax > limit ? limit : d->umax;

    if (d->umax > limit)
        amin = 0;
    if (op == PF_EBPF_LSH || op == PF_EBPF_RSH)
        c &= limit == U32_MAX ? 31 : 63; /* the hardware's masking */
    if (op == PF_EBPF_AND && cconst)
        hi = c < amax ? c : amax;
    else if (op == PF_EBPF_AND)
        hi = amax;
    else if (op == PF_EBPF_RSH && cconst) {
        lo = amin >> c;
        hi = amax >> c;
    } else if (op == PF_EBPF_LSH && cconst && (amax << c) >> c == amax &&
               (amax << c) <= limit) {
        lo = amin << c;
        hi = amax << c;
    } else if (op == PF_EBPF_MOD && cconst && c)
        hi = c - 1 < amax ? c - 1 : amax;
    else if (op == PF_EBPF_DIV && cconst && c) {
        lo = amin / c;
        hi = amax / c;
    } else if (op == PF_EBPF_MUL && cconst && (c == 0 || amax <= limit / c)) {
        lo = amin * c;
        hi = amax * c;
    }
    set_range(env, d, lo, hi);
}

/* Scalar op scalar. */
static void alu_scalar(struct venv *env, struct vreg *d, const struct vreg *s,
                       const struct pf_ebpf_insn *in, int is64)
{
    unsigned op = PF_EBPF_OP(in->code);
    uint64_t limit = is64 ? ~(uint64_t)0 : U32_MAX;
    int sconst = pf_ebpf_v_is_const(s);
    uint64_t c = s->umin;

    if (op == PF_EBPF_MOV && in->off == 0) {
        if (is64 || s->umax <= U32_MAX)
            *d = *s;
        else
            set_range(env, d, 0, U32_MAX);
        return;
    }
    if (pf_ebpf_v_is_const(d) && sconst && op != PF_EBPF_END) {
        pf_ebpf_v_const(d, is64 ? pf_ebpf_alu64(op, d->umin, c, in->off)
                                : pf_ebpf_alu32(op, (uint32_t)d->umin,
                                                (uint32_t)c, in->off));
        return;
    }
    if (op == PF_EBPF_ADD && sconst && (is64 || c <= U32_MAX)) {
        add_const(env, d, (int64_t)c, limit);
        return;
    }
    if (op == PF_EBPF_SUB && sconst && c <= (uint64_t)INT64_MAX &&
        (is64 || c <= U32_MAX)) {
        add_const(env, d, -(int64_t)c, limit);
        return;
    }
    if (!is64 && sconst)
        c = (uint32_t)c;
    if (in->off == 0)
        alu_range(env, d, op, c, sconst, limit);
    else
        set_range(env, d, 0, limit);
}

/* pointer += constant: offsets stay within +-2^31 so that they can never
 * wrap the address space. */
static int ptr_add_const(struct venv *env, struct vreg *d, int64_t c,
                         int sub, unsigned reg)
{
    if (c > INT32_MAX || c < -(int64_t)INT32_MAX)
        return pf_ebpf_vfail(env, PF_EBPF_RULE_PTR_ARITH,
                             "adding a value beyond 2^31", reg);
    d->off += sub ? -c : c;
    if (d->off > INT32_MAX || d->off < -(int64_t)INT32_MAX)
        return pf_ebpf_vfail(env, PF_EBPF_RULE_PTR_ARITH,
                             "an offset beyond 2^31", reg);
    return 0;
}

/* packet pointer += variable: one variable part per pointer, below 2^32,
 * remembered by its id so that comparisons of that scalar bound it. */
static int ptr_add_var(struct venv *env, struct vreg *d, const struct vreg *s,
                       unsigned op, unsigned reg)
{
    if (d->type == V_STACK)
        return pf_ebpf_vfail(env, PF_EBPF_RULE_STACK_VAR);
    if (d->type != V_PKT || d->id != 0 || op != PF_EBPF_ADD)
        return pf_ebpf_vfail(env, PF_EBPF_RULE_PTR_ARITH,
                             "adding a variable", reg);
    if (s->id != V_LEN_ID && s->umax > U32_MAX)
        return pf_ebpf_vfail(env, PF_EBPF_RULE_PTR_ARITH,
                             "adding a value that may exceed 2^32", reg);
    d->id = s->id;
    d->umin = s->umin - (uint64_t)s->off;
    d->umax = s->umax - (uint64_t)s->off;
    d->off += s->off;
    return 0;
}

/* Pointer arithmetic: only ptr +/- scalar in 64 bits, and pkt - pkt. */
static int alu_pointer(struct venv *env, struct vreg *d, const struct vreg *s,
                       const struct pf_ebpf_insn *in)
{
    unsigned op = PF_EBPF_OP(in->code);
    int is64 = PF_EBPF_CLASS(in->code) == PF_EBPF_ALU64;
    unsigned reg = d->type != V_SCALAR ? in->dst_reg : in->src_reg;

    if (op == PF_EBPF_MOV && in->off == 0 && is64) {
        *d = *s;
        return 0;
    }
    if (!is64 || (op != PF_EBPF_ADD && op != PF_EBPF_SUB))
        return pf_ebpf_vfail(env, PF_EBPF_RULE_PTR_ARITH,
                             is64 ? "this operation" : "32-bit arithmetic",
                             reg);
    if (op == PF_EBPF_SUB && d->type == V_PKT && s->type == V_PKT) {
        set_range(env, d, 0, ~(uint64_t)0);
        return 0;
    }
    if (op == PF_EBPF_ADD && d->type == V_SCALAR && s->type != V_SCALAR) {
        struct vreg k = *d; /* scalar + pointer: the pointer's type wins */

        *d = *s;
        return alu_pointer(env, d, &k, in);
    }
    if (s->type != V_SCALAR || d->type == V_SCALAR)
        return pf_ebpf_vfail(env, PF_EBPF_RULE_PTR_ARITH, "pointer arithmetic",
                             reg);
    if (pf_ebpf_v_is_const(s))
        return ptr_add_const(env, d, (int64_t)s->umin, op == PF_EBPF_SUB,
                             reg);
    return ptr_add_var(env, d, s, op, reg);
}

/* NEG, END, BSWAP on a scalar. */
static void alu_unary(struct venv *env, struct vreg *d,
                      const struct pf_ebpf_insn *in, enum pf_ebpf_kind kind)
{
    uint64_t limit = kind == PF_EBPF_KIND_NEG64 ? ~(uint64_t)0 : U32_MAX;

    if (kind == PF_EBPF_KIND_END || kind == PF_EBPF_KIND_BSWAP) {
        limit = in->imm == 16 ? 0xffff : in->imm == 32 ? U32_MAX
                                                       : ~(uint64_t)0;
        if (pf_ebpf_v_is_const(d))
            pf_ebpf_v_const(d, pf_ebpf_endian(in->code, d->umin, in->imm));
        else if (kind != PF_EBPF_KIND_END || in->code != PF_EBPF_OPC_LE ||
                 d->umax > limit) /* to_le of a value that fits: no-op */
            set_range(env, d, 0, limit);
        return;
    }
    if (pf_ebpf_v_is_const(d))
        pf_ebpf_v_const(d, kind == PF_EBPF_KIND_NEG64
                               ? pf_ebpf_alu64(PF_EBPF_NEG, d->umin, 0, 0)
                               : pf_ebpf_alu32(PF_EBPF_NEG,
                                               (uint32_t)d->umin, 0, 0));
    else
        set_range(env, d, 0, limit);
}

int pf_ebpf_v_alu(struct venv *env, struct vstate *s,
                  const struct pf_ebpf_insn *in)
{
    enum pf_ebpf_kind kind = pf_ebpf_opinfo[in->code].kind;
    struct vreg *d = &s->r[in->dst_reg];
    struct vreg src;
    int isx = kind == PF_EBPF_KIND_ALU_X || kind == PF_EBPF_KIND_ALU64_X;
    int is64 = kind == PF_EBPF_KIND_ALU64_K || kind == PF_EBPF_KIND_ALU64_X;
    int mov = PF_EBPF_OP(in->code) == PF_EBPF_MOV;

    if (isx && s->r[in->src_reg].type == V_NONE)
        return pf_ebpf_vfail(env, PF_EBPF_RULE_UNINIT_REG, in->src_reg);
    if (!mov && d->type == V_NONE)
        return pf_ebpf_vfail(env, PF_EBPF_RULE_UNINIT_REG, in->dst_reg);
    if (kind != PF_EBPF_KIND_ALU_K && kind != PF_EBPF_KIND_ALU_X &&
        !is64) {
        if (d->type != V_SCALAR)
            return pf_ebpf_vfail(env, PF_EBPF_RULE_PTR_ARITH, "this operation",
                                 in->dst_reg);
        alu_unary(env, d, in, kind);
        return 0;
    }
    if (isx)
        src = s->r[in->src_reg];
    else
        pf_ebpf_v_const(&src, is64 ? (uint64_t)(int64_t)in->imm
                                   : (uint32_t)in->imm);
    if (mov && (!isx || src.type == V_SCALAR) && in->off == 0 && !isx) {
        *d = src;
        return 0;
    }
    if (mov && src.type == V_SCALAR)
        d->type = V_SCALAR;
    if (d->type != V_SCALAR || src.type != V_SCALAR)
        return alu_pointer(env, d, &src, in);
    if (mov && in->off)
        set_range(env, d, 0, is64 ? ~(uint64_t)0 : U32_MAX);
    else
        alu_scalar(env, d, &src, in, is64);
    if (mov && in->off && pf_ebpf_v_is_const(&src))
        pf_ebpf_v_const(d, is64 ? pf_ebpf_alu64(PF_EBPF_MOV, 0, src.umin,
                                                in->off)
                                : pf_ebpf_alu32(PF_EBPF_MOV, 0,
                                                (uint32_t)src.umin, in->off));
    return 0;
}

/* ---- Conditional jumps ------------------------------------------------- */

/* Records caplen >= base(id) + d. */
static void add_rec(struct vstate *s, uint32_t id, int64_t d)
{
    unsigned i;

    if (id == 0) {
        if (d > s->min_len)
            s->min_len = d;
        return;
    }
    for (i = 0; i < s->nrec; i++)
        if (s->rec[i].id == id) {
            if (d > s->rec[i].d)
                s->rec[i].d = d;
            return;
        }
    if (s->nrec < V_NRECS) {
        s->rec[s->nrec].id = id;
        s->rec[s->nrec++].d = d;
        return;
    }
    memmove(s->rec, s->rec + 1, (V_NRECS - 1) * sizeof(s->rec[0]));
    s->rec[V_NRECS - 1].id = id;
    s->rec[V_NRECS - 1].d = d;
}

/* Narrows every register and spill with the id of @r to the value range
 * [lo, hi] of @r; returns 0 when the range is empty (dead branch). */
static int narrow(struct vstate *s, struct vreg *r, uint64_t lo, uint64_t hi)
{
    struct vreg *all[PF_EBPF_NREGS + V_SPILLS];
    unsigned i, n = 0;
    int64_t off = r->off;
    uint32_t id = r->id;

    if (lo < r->umin)
        lo = r->umin;
    if (hi > r->umax)
        hi = r->umax;
    if (lo > hi)
        return 0;
    if (id == 0 || id == V_LEN_ID) {
        r->umin = lo;
        r->umax = hi;
        return 1;
    }
    for (i = 0; i < PF_EBPF_NREGS; i++)
        all[n++] = &s->r[i];
    for (i = 0; i < s->nspill; i++)
        all[n++] = &s->spill[i].r;
    for (i = 0; i < n; i++) {
        struct vreg *o = all[i];

        if (o->type != V_SCALAR || o->id != id)
            continue;
        o->umin = lo - (uint64_t)off + (uint64_t)o->off;
        o->umax = hi - (uint64_t)off + (uint64_t)o->off;
    }
    return 1;
}

/* Learns "a <= b - strict" (as integers) in state @s; returns 0 when it
 * cannot hold. */
static int learn(struct vstate *s, struct vreg *a, struct vreg *b, int strict)
{
    __int128 d = (__int128)a->off - b->off + strict;

    if (b->id == V_LEN_ID && a->id != V_LEN_ID && a->type == b->type &&
        d > -V_OFF_MAX && d < V_OFF_MAX)
        add_rec(s, a->id, (int64_t)d);
    if (a->type != V_SCALAR || b->type != V_SCALAR)
        return 1;
    if (b->umax < (uint64_t)strict || a->umin > ~(uint64_t)0 - strict)
        return 0;
    if (!narrow(s, a, 0, b->umax - strict))
        return 0;
    return narrow(s, b, a->umin + strict, ~(uint64_t)0);
}

/* Applies what branch outcome @taken of @in tells about @x (dst) and @y
 * (src or immediate) to @st. Returns 0 when the branch is impossible. */
static int branch_facts(struct vstate *st, const struct pf_ebpf_insn *in,
                        struct vreg *x, struct vreg *y, int taken)
{
    switch (PF_EBPF_OP(in->code)) {
    case PF_EBPF_JEQ:
    case PF_EBPF_JNE:
        if (taken != (PF_EBPF_OP(in->code) == PF_EBPF_JEQ))
            return 1;
        return learn(st, x, y, 0) && learn(st, y, x, 0);
    case PF_EBPF_JGT: return taken ? learn(st, y, x, 1) : learn(st, x, y, 0);
    case PF_EBPF_JGE: return taken ? learn(st, y, x, 0) : learn(st, x, y, 1);
    case PF_EBPF_JLT: return taken ? learn(st, x, y, 1) : learn(st, y, x, 0);
    case PF_EBPF_JLE: return taken ? learn(st, x, y, 0) : learn(st, y, x, 1);
    default: return 1;
    }
}

/* Are both operands of @in (in state @s) plain scalars or two packet
 * pointers? Refuses other pointer comparisons. */
static int cond_operands(struct venv *env, struct vstate *s,
                         const struct pf_ebpf_insn *in, struct vreg *y)
{
    struct vreg *x = &s->r[in->dst_reg];
    int isx = PF_EBPF_SRC(in->code) == PF_EBPF_X;
    int is32 = PF_EBPF_CLASS(in->code) == PF_EBPF_JMP32;

    if (x->type == V_NONE)
        return pf_ebpf_vfail(env, PF_EBPF_RULE_UNINIT_REG, in->dst_reg);
    if (isx && s->r[in->src_reg].type == V_NONE)
        return pf_ebpf_vfail(env, PF_EBPF_RULE_UNINIT_REG, in->src_reg);
    if (isx)
        *y = s->r[in->src_reg];
    else
        pf_ebpf_v_const(y, is32 ? (uint32_t)in->imm
                                : (uint64_t)(int64_t)in->imm);
    if (x->type == V_SCALAR && y->type == V_SCALAR)
        return 0;
    if (x->type == V_PKT && y->type == V_PKT && !is32)
        return 0;
    return pf_ebpf_vfail(env, PF_EBPF_RULE_PTR_COMPARE,
                         x->type != V_SCALAR ? in->dst_reg : in->src_reg);
}

int pf_ebpf_v_cond(struct venv *env, struct vstate *taken,
                   struct vstate *fall, const struct pf_ebpf_insn *in,
                   int *tk, int *fl)
{
    int is32 = PF_EBPF_CLASS(in->code) == PF_EBPF_JMP32;
    struct vreg yt, yf;
    int rc = cond_operands(env, fall, in, &yf);

    if (rc)
        return rc;
    yt = yf;
    if (pf_ebpf_v_is_const(&fall->r[in->dst_reg]) && pf_ebpf_v_is_const(&yf)) {
        int c = pf_ebpf_cond(PF_EBPF_OP(in->code), fall->r[in->dst_reg].umin,
                             yf.umin, is32);

        *tk = c;
        *fl = !c;
        return 0;
    }
    if (is32 && (fall->r[in->dst_reg].umax > U32_MAX || yf.umax > U32_MAX))
        return 0;
    *tk = branch_facts(taken, in, &taken->r[in->dst_reg],
                       PF_EBPF_SRC(in->code) ? &taken->r[in->src_reg] : &yt, 1);
    *fl = branch_facts(fall, in, &fall->r[in->dst_reg],
                       PF_EBPF_SRC(in->code) ? &fall->r[in->src_reg] : &yf, 0);
    return 0;
}

/* ---- Covering (pruning) ------------------------------------------------ */

struct idmap {
    uint32_t from[64], to[64];
    int64_t delta[64];
    unsigned n;
};

/* Maps old id @a (at offset @oa) to cur id @b (at @ob) consistently. */
static int map_id(struct idmap *m, uint32_t a, int64_t oa, uint32_t b,
                  int64_t ob)
{
    unsigned i;

    if ((a == V_LEN_ID) != (b == V_LEN_ID) || (a == 0) != (b == 0))
        return 0;
    if (a == 0 || a == V_LEN_ID)
        return oa == ob;
    for (i = 0; i < m->n; i++) {
        if (m->from[i] == a)
            return m->to[i] == b && m->delta[i] == ob - oa;
        if (m->to[i] == b)
            return 0;
    }
    if (m->n == 64)
        return 0;
    m->from[m->n] = a;
    m->to[m->n] = b;
    m->delta[m->n++] = ob - oa;
    return 1;
}

static int reg_covers(struct idmap *m, const struct vreg *o,
                      const struct vreg *c)
{
    if (o->type == V_NONE)
        return 1;
    if (o->type != c->type)
        return 0;
    switch (o->type) {
    case V_SCALAR:
        if (o->id == 0)
            return c->id == 0 && c->umin == o->umin;
        return c->umin >= o->umin && c->umax <= o->umax &&
               map_id(m, o->id, o->off, c->id, c->off);
    case V_PKT:
        if (c->umin < o->umin || c->umax > o->umax)
            return 0;
        return map_id(m, o->id, 0, c->id, 0) && o->off == c->off;
    default: return o->off == c->off;
    }
}

/* Every fact of @o holds in @c (through the id map). */
static int recs_cover(const struct idmap *m, const struct vstate *o,
                      const struct vstate *c)
{
    unsigned i, j, k;

    if (c->min_len < o->min_len)
        return 0;
    for (i = 0; i < o->nrec; i++) {
        for (k = 0; k < m->n && m->from[k] != o->rec[i].id; k++)
            ;
        if (k == m->n)
            continue; /* no live register has that id */
        for (j = 0; j < c->nrec; j++)
            if (c->rec[j].id == m->to[k] &&
                c->rec[j].d >= o->rec[i].d + m->delta[k])
                break;
        if (j == c->nrec)
            return 0;
    }
    return 1;
}

int pf_ebpf_v_covers(const struct vstate *old, const struct vstate *cur,
                     unsigned live)
{
    struct idmap m;
    unsigned i;

    m.n = 0;
    for (i = 0; i < PF_EBPF_STACK_SIZE / 64; i++)
        if (old->init[i] & ~cur->init[i])
            return 0;
    for (i = 0; i < PF_EBPF_NREGS; i++)
        if (((live >> i) & 1) && !reg_covers(&m, &old->r[i], &cur->r[i]))
            return 0;
    for (i = 0; i < old->nspill; i++) {
        const struct vreg *c = pf_ebpf_v_spill(cur, old->spill[i].slot);

        if (!c || !reg_covers(&m, &old->spill[i].r, c))
            return 0;
    }
    return recs_cover(&m, old, cur);
}
