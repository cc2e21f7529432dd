/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The optimiser's main pass: known-value propagation, redundant statement
 * elimination and jump threading over the control-flow graph, in one walk
 * of the blocks in topological order (the graph is a DAG).
 *
 * Values are hash-consed expressions ("value numbers") over the packet,
 * which is read-only: `ldh [12]` is the same value wherever it is loaded,
 * `ldxb 4*([14]&0xf); ldh [x+16]` too. Registers (A, X, M[0..15]) hold a
 * value number at each point; where paths disagree a fresh, opaque number
 * stands for the merged value. Facts are what passed tests say about a
 * value (a range, values it is not, bits known clear or not all clear),
 * kept per value and intersected where paths meet. A block's entry state
 * is the meet of the states on its incoming edges; every edge goes to a
 * later block in the order, so one walk sees all of a block's edges
 * before the block itself, and redirecting an edge (only ever forward,
 * past a block) keeps the order valid.
 *
 *  - A statement that sets a register to the value it already holds is
 *    deleted (it cannot fail: the same load succeeded on every path).
 *  - An edge into a block whose test its facts decide (or whose two
 *    successors coincide) is redirected to the block's successor when
 *    nothing the block does is needed: every register it changes is dead
 *    there (liveness of the original graph, exact for the part of the
 *    graph not yet walked), and none of its statements can fail (a load
 *    of [k:size] cannot when a load ending at or after k+size succeeded
 *    on every path; that a failing load rejects does not matter when the
 *    successor is the reject leaf). So verdicts stay identical, truncated
 *    packets included.
 *  - A block decided at its own entry keeps its statements if they are
 *    needed, else becomes a constant block that emit skips.
 *  - Known constants become immediates (`ldx M[1]` -> `ldx #6`, `ld
 *    [x+14]` with X = 6 -> `ld [20]`, `and x` -> `and #c`, `jgt x` ->
 *    `jgt #c`), a reload of what X or A holds becomes `tax`/`txa`, and
 *    identities (`sub #0`) vanish as "register unchanged".
 *  - Statements whose results nothing reads are dropped when they cannot
 *    fail (see drop_dead, and fc_opt_dead which also folds `and #k; jeq
 *    #0` into `jset #k` and `tax; ld [x+k]` back into one indexed load).
 *
 * Statements it does not model give fresh values; cost is linear in the
 * statements times the (bounded) facts per state. fc_optimize runs the
 * walk, the dead-statement pass and opt_merge.c's cleanup three times.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "filters/filters_impl.h"

#define OPT_NREG (2 + PF_CBPF_MEMWORDS) /* A, X, M[0..15] */
#define OPT_NFACT 24                     /* values with facts per state */
#define OPT_NNE 4                        /* "!= c" facts per value */
#define OPT_MAX_HOPS 64                  /* blocks bypassed per edge */
#define OPT_FRESH 0x40000000             /* value numbers not in the table */
#define OPT_R_A 0
#define OPT_R_X 1
#define OPT_R_M 2

enum vn_op { VN_CONST = 1, VN_ABS, VN_IND, VN_MSH, VN_LEN, VN_ALU, VN_NEG };

struct vnode {
    uint16_t op, code;
    uint32_t k;
    int a, b;
};

/* What passed tests say about one value. */
struct ofact {
    int vn;
    uint32_t lo, hi;     /* lo <= v <= hi */
    uint32_t zero;       /* bits known clear */
    uint32_t any;        /* v & any != 0 (0: nothing known) */
    uint32_t ne[OPT_NNE];
    int nne;
};

struct ostate {
    int reg[OPT_NREG];
    uint64_t valid;      /* bytes [0, valid) are known to be captured */
    int nf;
    struct ofact f[OPT_NFACT];
};

struct opt {
    struct fc_state *st;
    struct vnode *vn;
    int nvn, capvn;
    int *hash;           /* index + 1, open addressing */
    int hcap;
    int fresh;
    uint32_t *live;      /* registers live at each block's entry, by id */
    struct ostate **in;  /* pending entry states, by id */
    struct fc_block **order;
    size_t n;
};

/* One statement's effect: register @dst gets value @vn; the statement
 * fails (rejects) unless bytes [0, need) are captured (0: never fails,
 * UINT64_MAX: may fail whatever is known). dst < 0: not modelled. */
struct oeff {
    int dst, vn;
    uint64_t need;
    uint16_t code;       /* the statement, simplified with known constants */
    uint32_t k;
};

/* ---- value numbers --------------------------------------------------- */

static int vn_fresh(struct opt *o)
{
    return OPT_FRESH + o->fresh++;
}

static unsigned vn_hashof(const struct vnode *v)
{
    uint32_t h = 2166136261u;
    uint32_t w[5] = {v->op, v->code, v->k, (uint32_t)v->a, (uint32_t)v->b};

    for (int i = 0; i < 5; i++)
        h = (h ^ w[i]) * 16777619u;
    return h;
}

static int vn_grow(struct opt *o)
{
    int hcap = o->hcap ? o->hcap * 2 : 1024;
    int *h = calloc((size_t)hcap, sizeof(*h));
    struct vnode *v = realloc(o->vn, (size_t)hcap / 2 * sizeof(*v));

    if (v)
        o->vn = v;
    if (!h || !v) {
        free(h);
        return -ENOMEM;
    }
    o->capvn = hcap / 2;
    for (int i = 0; i < o->nvn; i++) {
        unsigned j = vn_hashof(&o->vn[i]) & (unsigned)(hcap - 1);

        while (h[j])
            j = (j + 1) & (unsigned)(hcap - 1);
        h[j] = i + 1;
    }
    free(o->hash);
    o->hash = h;
    o->hcap = hcap;
    return 0;
}

/* The value number of (op, code, k, a, b); a fresh one when out of
 * memory (never equal to anything, so only optimisation is lost). */
static int vn_get(struct opt *o, uint16_t op, uint16_t code, uint32_t k,
                  int a, int b)
{
    struct vnode key = {op, code, k, a, b};
    unsigned j;

    if (o->nvn >= o->capvn && vn_grow(o))
        return vn_fresh(o);
    j = vn_hashof(&key) & (unsigned)(o->hcap - 1);
    for (; o->hash[j]; j = (j + 1) & (unsigned)(o->hcap - 1)) {
        struct vnode *v = &o->vn[o->hash[j] - 1];

        if (v->op == op && v->code == code && v->k == k && v->a == a &&
            v->b == b)
            return o->hash[j] - 1;
    }
    o->vn[o->nvn] = key;
    o->hash[j] = ++o->nvn;
    return o->nvn - 1;
}

static int vn_const(struct opt *o, uint32_t k)
{
    return vn_get(o, VN_CONST, 0, k, 0, 0);
}

/* Is @v a constant? Its value in *@k. */
static int vn_is_const(const struct opt *o, int v, uint32_t *k)
{
    if (v < 0 || v >= o->nvn || o->vn[v].op != VN_CONST)
        return 0;
    *k = o->vn[v].k;
    return 1;
}

/* a op b on constants, as cBPF computes it; 0 when it would fail. */
static int alu_fold(uint16_t op, uint32_t a, uint32_t b, uint32_t *r)
{
    switch (op) {
    case PF_CBPF_ADD: *r = a + b; return 1;
    case PF_CBPF_SUB: *r = a - b; return 1;
    case PF_CBPF_MUL: *r = a * b; return 1;
    case PF_CBPF_DIV: if (!b) return 0; *r = a / b; return 1;
    case PF_CBPF_MOD: if (!b) return 0; *r = a % b; return 1;
    case PF_CBPF_OR: *r = a | b; return 1;
    case PF_CBPF_AND: *r = a & b; return 1;
    case PF_CBPF_XOR: *r = a ^ b; return 1;
    case PF_CBPF_LSH: *r = b < 32 ? a << b : 0; return 1;
    case PF_CBPF_RSH: *r = b < 32 ? a >> b : 0; return 1;
    default: return 0;
    }
}

/* ---- statements ------------------------------------------------------ */

static uint32_t size_bytes(uint16_t code)
{
    switch (PF_CBPF_SIZE(code)) {
    case PF_CBPF_W: return 4;
    case PF_CBPF_H: return 2;
    case PF_CBPF_B: return 1;
    default: return 0;
    }
}

/* A packet load at a fixed offset: pure, fails past the capture. Loads
 * at "negative" offsets (ancillary data, some random) are fresh. */
static void eval_abs(struct opt *o, uint16_t code, uint32_t k, uint32_t sz,
                     struct oeff *e)
{
    if (k >= 0x80000000u || !sz) {
        e->vn = vn_fresh(o);
        e->need = UINT64_MAX;
        return;
    }
    e->vn = vn_get(o, sz == 1 && PF_CBPF_MODE(code) == PF_CBPF_MSH ? VN_MSH
                                                                   : VN_ABS,
                   (uint16_t)sz, k, 0, 0);
    e->need = (uint64_t)k + sz;
}

static void eval_ld(struct opt *o, const int *reg, const struct fc_stmt *s,
                    struct oeff *e)
{
    uint16_t mode = PF_CBPF_MODE(s->code), cls = PF_CBPF_CLASS(s->code);
    uint32_t c;

    e->dst = cls == PF_CBPF_LD ? OPT_R_A : OPT_R_X;
    if (mode == PF_CBPF_IMM && PF_CBPF_SIZE(s->code) == PF_CBPF_W)
        e->vn = vn_const(o, s->k);
    else if (mode == PF_CBPF_LEN && PF_CBPF_SIZE(s->code) == PF_CBPF_W)
        e->vn = vn_get(o, VN_LEN, 0, 0, 0, 0);
    else if (mode == PF_CBPF_MEM && s->k < PF_CBPF_MEMWORDS &&
             PF_CBPF_SIZE(s->code) == PF_CBPF_W) {
        e->vn = reg[OPT_R_M + s->k];
        if (vn_is_const(o, e->vn, &c)) { /* ld M[k] -> ld #c */
            e->code = cls | PF_CBPF_IMM;
            e->k = c;
        } else if (e->dst == OPT_R_X && e->vn == reg[OPT_R_A]) {
            e->code = PF_CBPF_MISC | PF_CBPF_TAX; /* ldx M[k] -> tax */
            e->k = 0;
        } else if (e->dst == OPT_R_A && e->vn == reg[OPT_R_X]) {
            e->code = PF_CBPF_MISC | PF_CBPF_TXA; /* ld M[k] -> txa */
            e->k = 0;
        }
    } else if (mode == PF_CBPF_ABS && e->dst == OPT_R_A)
        eval_abs(o, s->code, s->k, size_bytes(s->code), e);
    else if (mode == PF_CBPF_MSH && e->dst == OPT_R_X &&
             PF_CBPF_SIZE(s->code) == PF_CBPF_B)
        eval_abs(o, s->code, s->k, 1, e);
    else if (mode == PF_CBPF_IND && e->dst == OPT_R_A && size_bytes(s->code) &&
             vn_is_const(o, reg[OPT_R_X], &c) &&
             (uint64_t)c + s->k < 0x80000000u) { /* [x+k] -> [c+k] */
        e->code = PF_CBPF_LD | PF_CBPF_SIZE(s->code) | PF_CBPF_ABS;
        e->k = c + s->k;
        eval_abs(o, e->code, e->k, size_bytes(s->code), e);
    } else if (mode == PF_CBPF_IND && e->dst == OPT_R_A && size_bytes(s->code)) {
        e->vn = vn_get(o, VN_IND, (uint16_t)size_bytes(s->code), s->k,
                       reg[OPT_R_X], 0);
        e->need = UINT64_MAX;
    } else
        e->dst = -1;
}

/* Does `a op k` leave a unchanged? */
static int alu_identity(uint16_t op, uint32_t k)
{
    switch (op) {
    case PF_CBPF_ADD: case PF_CBPF_SUB: case PF_CBPF_OR: case PF_CBPF_XOR:
    case PF_CBPF_LSH: case PF_CBPF_RSH: return k == 0;
    case PF_CBPF_MUL: case PF_CBPF_DIV: return k == 1;
    case PF_CBPF_AND: return k == UINT32_MAX;
    default: return 0;
    }
}

static void eval_alu(struct opt *o, const int *reg, const struct fc_stmt *s,
                     struct oeff *e)
{
    uint16_t op = PF_CBPF_OP(s->code);
    int a = reg[OPT_R_A], b;
    uint32_t ka, kb = 0, r;

    e->dst = OPT_R_A;
    if (op == PF_CBPF_NEG) {
        e->vn = vn_is_const(o, a, &ka) ? vn_const(o, 0u - ka)
                                       : vn_get(o, VN_NEG, 0, 0, a, 0);
        return;
    }
    b = PF_CBPF_SRC(s->code) == PF_CBPF_X ? reg[OPT_R_X] : vn_const(o, s->k);
    if (!alu_fold(op, 0, 1, &r)) {
        e->dst = -1;
        return;
    }
    if (!vn_is_const(o, b, &kb) || kb == 0) {
        if (op == PF_CBPF_DIV || op == PF_CBPF_MOD)
            e->need = UINT64_MAX; /* division by zero rejects */
    } else if (PF_CBPF_SRC(s->code) == PF_CBPF_X &&
               ((op != PF_CBPF_LSH && op != PF_CBPF_RSH) || kb < 32)) {
        e->code = PF_CBPF_ALU | op | PF_CBPF_K; /* op x -> op #c */
        e->k = kb;
    }
    if (vn_is_const(o, a, &ka) && vn_is_const(o, b, &kb) &&
        alu_fold(op, ka, kb, &r))
        e->vn = vn_const(o, r);
    else if (vn_is_const(o, b, &kb) && alu_identity(op, kb))
        e->vn = a;
    else if (vn_is_const(o, b, &kb) && kb == 0 &&
             (op == PF_CBPF_AND || op == PF_CBPF_MUL))
        e->vn = vn_const(o, 0);
    else
        e->vn = vn_get(o, VN_ALU, op, 0, a, b);
}

/* tax / txa: a copy; a known constant becomes an immediate load. */
static void eval_misc(struct opt *o, const int *reg, const struct fc_stmt *s,
                      struct oeff *e)
{
    uint32_t c;

    if (s->code == (PF_CBPF_MISC | PF_CBPF_TAX)) {
        e->dst = OPT_R_X;
        e->vn = reg[OPT_R_A];
    } else if (s->code == (PF_CBPF_MISC | PF_CBPF_TXA)) {
        e->dst = OPT_R_A;
        e->vn = reg[OPT_R_X];
    } else
        return;
    if (vn_is_const(o, e->vn, &c)) {
        e->code = e->dst == OPT_R_A ? PF_CBPF_LD | PF_CBPF_IMM
                                    : PF_CBPF_LDX | PF_CBPF_IMM;
        e->k = c;
    }
}

/* The effect of @s given register values @reg. */
static void eval(struct opt *o, const int *reg, const struct fc_stmt *s,
                 struct oeff *e)
{
    e->dst = -1;
    e->vn = 0;
    e->need = 0;
    e->code = s->code;
    e->k = s->k;
    switch (PF_CBPF_CLASS(s->code)) {
    case PF_CBPF_LD:
    case PF_CBPF_LDX: eval_ld(o, reg, s, e); break;
    case PF_CBPF_ST:
    case PF_CBPF_STX:
        if (s->k >= PF_CBPF_MEMWORDS || s->code & ~0x07)
            break;
        e->dst = OPT_R_M + (int)s->k;
        e->vn = reg[PF_CBPF_CLASS(s->code) == PF_CBPF_ST ? OPT_R_A : OPT_R_X];
        break;
    case PF_CBPF_ALU: eval_alu(o, reg, s, e); break;
    case PF_CBPF_MISC: eval_misc(o, reg, s, e); break;
    default: break;
    }
}

/* Registers @s reads (bit 0 A, 1 X, 2+k M[k]); all for unknown ones. */
static uint32_t stmt_use(const struct fc_stmt *s)
{
    uint16_t c = s->code, mode = PF_CBPF_MODE(c);
    uint32_t mem = s->k < PF_CBPF_MEMWORDS ? 1u << (OPT_R_M + s->k) : ~0u;

    switch (PF_CBPF_CLASS(c)) {
    case PF_CBPF_LD:
        return mode == PF_CBPF_IND ? 2u : mode == PF_CBPF_MEM ? mem : 0;
    case PF_CBPF_LDX: return mode == PF_CBPF_MEM ? mem : 0;
    case PF_CBPF_ST: return 1u;
    case PF_CBPF_STX: return 2u;
    case PF_CBPF_ALU:
        return PF_CBPF_OP(c) != PF_CBPF_NEG && PF_CBPF_SRC(c) == PF_CBPF_X
                   ? 3u
                   : 1u;
    case PF_CBPF_MISC: return c == (PF_CBPF_MISC | PF_CBPF_TXA) ? 2u : 1u;
    default: return ~0u;
    }
}

/* Registers @s writes (only exact ones: never more than it does). */
static uint32_t stmt_def(const struct fc_stmt *s)
{
    switch (PF_CBPF_CLASS(s->code)) {
    case PF_CBPF_LD:
    case PF_CBPF_ALU: return 1u;
    case PF_CBPF_LDX: return 2u;
    case PF_CBPF_ST:
    case PF_CBPF_STX:
        return s->k < PF_CBPF_MEMWORDS ? 1u << (OPT_R_M + s->k) : 0;
    case PF_CBPF_MISC:
        return s->code == (PF_CBPF_MISC | PF_CBPF_TXA) ? 1u : 2u;
    default: return 0;
    }
}

/* ---- facts ------------------------------------------------------------ */

static struct ofact *fact_find(struct ostate *s, int vn)
{
    for (int i = s->nf; i-- > 0;)
        if (s->f[i].vn == vn)
            return &s->f[i];
    return NULL;
}

/* The facts of @vn, created (evicting the oldest when full). */
static struct ofact *fact_get(struct ostate *s, int vn)
{
    struct ofact *f = fact_find(s, vn);

    if (f)
        return f;
    if (s->nf == OPT_NFACT) {
        memmove(&s->f[0], &s->f[1], (OPT_NFACT - 1) * sizeof(s->f[0]));
        s->nf--;
    }
    f = &s->f[s->nf++];
    memset(f, 0, sizeof(*f));
    f->vn = vn;
    f->hi = UINT32_MAX;
    return f;
}

static int fact_is_ne(const struct ofact *f, uint32_t k)
{
    for (int i = 0; i < f->nne; i++)
        if (f->ne[i] == k)
            return 1;
    return 0;
}

static int eval_test(uint16_t op, uint32_t v, uint32_t k)
{
    switch (op) {
    case PF_CBPF_JEQ: return v == k;
    case PF_CBPF_JGT: return v > k;
    case PF_CBPF_JGE: return v >= k;
    default: return (v & k) != 0;
    }
}

/* Outcome of `v op k` under facts @f: 1, 0, or -1 (not known). */
static int fact_decide(const struct ofact *f, uint16_t op, uint32_t k)
{
    if (f->lo == f->hi)
        return eval_test(op, f->lo, k);
    switch (op) {
    case PF_CBPF_JEQ:
        if (k < f->lo || k > f->hi || (k & f->zero) || fact_is_ne(f, k))
            return 0;
        return -1;
    case PF_CBPF_JGT: return f->lo > k ? 1 : f->hi <= k ? 0 : -1;
    case PF_CBPF_JGE: return f->lo >= k ? 1 : f->hi < k ? 0 : -1;
    default:
        if (!(k & ~f->zero))
            return 0;
        if (f->any && !(f->any & ~k))
            return 1;
        return -1;
    }
}

/* Adds "v op k is @sense" to @f. */
static void fact_add(struct ofact *f, uint16_t op, uint32_t k, int sense)
{
    if (op == PF_CBPF_JEQ && sense) {
        f->lo = f->hi = k;
    } else if (op == PF_CBPF_JEQ) {
        if (k == f->lo && f->lo < f->hi)
            f->lo++;
        else if (k == f->hi && f->lo < f->hi)
            f->hi--;
        else if (k > f->lo && k < f->hi && !fact_is_ne(f, k)) {
            if (f->nne == OPT_NNE)
                memmove(&f->ne[0], &f->ne[1], (OPT_NNE - 1) * sizeof(k));
            else
                f->nne++;
            f->ne[f->nne - 1] = k;
        }
    } else if (op == PF_CBPF_JGT) {
        if (sense && k < UINT32_MAX && k + 1 > f->lo)
            f->lo = k + 1;
        else if (!sense && k < f->hi)
            f->hi = k;
    } else if (op == PF_CBPF_JGE) {
        if (sense && k > f->lo)
            f->lo = k;
        else if (!sense && k > 0 && k - 1 < f->hi)
            f->hi = k - 1;
    } else if (sense) {
        if (!f->any || __builtin_popcount(k) < __builtin_popcount(f->any))
            f->any = k;
    } else {
        f->zero |= k;
    }
}

/* @d := what @d and @s both imply. */
static void fact_meet(struct ofact *d, const struct ofact *s)
{
    int n = 0;

    d->lo = d->lo < s->lo ? d->lo : s->lo;
    d->hi = d->hi > s->hi ? d->hi : s->hi;
    d->zero &= s->zero;
    if (d->any != s->any)
        d->any = 0;
    for (int i = 0; i < d->nne; i++)
        if (fact_is_ne(s, d->ne[i]) || d->ne[i] < s->lo || d->ne[i] > s->hi)
            d->ne[n++] = d->ne[i];
    d->nne = n;
}

/* @d := the meet of @d and @s (registers that differ become fresh). */
static void state_meet(struct opt *o, struct ostate *d, const struct ostate *s)
{
    int n = 0;

    for (int r = 0; r < OPT_NREG; r++)
        if (d->reg[r] != s->reg[r])
            d->reg[r] = vn_fresh(o);
    if (s->valid < d->valid)
        d->valid = s->valid;
    for (int i = 0; i < d->nf; i++) {
        const struct ofact *f = fact_find((struct ostate *)s, d->f[i].vn);

        if (!f)
            continue;
        d->f[n] = d->f[i];
        fact_meet(&d->f[n++], f);
    }
    d->nf = n;
}

/* Merges edge state @e into the pending entry state of @b. */
static int state_flow(struct opt *o, struct fc_block *b, const struct ostate *e)
{
    if (b->kind != FC_B_JUMP)
        return 0;
    if (!o->in[b->id]) {
        o->in[b->id] = malloc(sizeof(*e));
        if (!o->in[b->id])
            return -ENOMEM;
        *o->in[b->id] = *e;
        return 0;
    }
    state_meet(o, o->in[b->id], e);
    return 0;
}

/* ---- tests -------------------------------------------------------------- */

/* The test of @b given its A and X values: value number and constant
 * operand; 0 when it is not modelled (X operand not constant). */
static int test_of(const struct opt *o, const struct fc_block *b, int a, int x,
                   uint16_t *op, uint32_t *k)
{
    *op = PF_CBPF_OP(b->jcode);
    *k = b->jk;
    if (*op != PF_CBPF_JEQ && *op != PF_CBPF_JGT && *op != PF_CBPF_JGE &&
        *op != PF_CBPF_JSET)
        return 0;
    if (PF_CBPF_SRC(b->jcode) == PF_CBPF_X && !vn_is_const(o, x, k))
        return 0;
    (void)a;
    return 1;
}

/* Outcome of @b's test with A = @a, X = @x under @s: 1, 0 or -1. */
static int decide(const struct opt *o, struct ostate *s,
                  const struct fc_block *b, int a, int x)
{
    uint16_t op;
    uint32_t k, v;
    const struct ofact *f;

    if (b->jt == b->jf)
        return 1;
    if (!test_of(o, b, a, x, &op, &k))
        return -1;
    if (vn_is_const(o, a, &v))
        return eval_test(op, v, k);
    if (op == PF_CBPF_JSET && k == 0)
        return 0;
    f = fact_find(s, a);
    return f ? fact_decide(f, op, k) : -1;
}

/* ---- liveness and order -------------------------------------------------- */

static uint32_t block_live(const struct opt *o, const struct fc_block *b)
{
    uint32_t live;

    if (b->kind != FC_B_JUMP)
        return 0;
    live = o->live[b->jt->id] | o->live[b->jf->id] | 1u;
    if (PF_CBPF_SRC(b->jcode) == PF_CBPF_X)
        live |= 2u;
    /* statements backwards: a list, so collect them first */
    {
        const struct fc_stmt *v[256];
        int n = 0;

        for (const struct fc_stmt *s = b->stmts.head; s; s = s->next) {
            if (n == 256)
                return ~0u;
            v[n++] = s;
        }
        while (n-- > 0)
            live = (live & ~stmt_def(v[n])) | stmt_use(v[n]);
    }
    return live;
}

/* Reverse post-order of the blocks reachable from @root into o->order
 * (every edge goes forward in it). */
static int order_blocks(struct opt *o, struct fc_block *root)
{
    if (fc_postorder(o->st, root, &o->order, &o->n))
        return -ENOMEM;
    for (size_t i = 0; i < o->n / 2; i++) {
        struct fc_block *t = o->order[i];

        o->order[i] = o->order[o->n - 1 - i];
        o->order[o->n - 1 - i] = t;
    }
    return 0;
}

/* ---- threading ----------------------------------------------------------- */

/*
 * May the edge with state @s into @b go straight to @b's successor?
 * Sets *@next when @b's test is decided and skipping @b changes nothing
 * its successor can observe.
 */
static int can_bypass(struct opt *o, struct ostate *s, struct fc_block *b,
                      struct fc_block **next)
{
    int reg[OPT_NREG], d;
    uint64_t need = 0;
    struct fc_block *t;

    if (b->kind != FC_B_JUMP)
        return 0;
    memcpy(reg, s->reg, sizeof(reg));
    for (struct fc_stmt *st = b->stmts.head; st; st = st->next) {
        struct oeff e;

        eval(o, reg, st, &e);
        if (e.dst < 0)
            return 0;
        if (reg[e.dst] == e.vn)
            continue;
        if (e.need > need)
            need = e.need;
        reg[e.dst] = e.vn;
    }
    d = decide(o, s, b, reg[OPT_R_A], reg[OPT_R_X]);
    if (d < 0)
        return 0;
    t = d ? b->jt : b->jf;
    if (need > s->valid && t != o->st->reject)
        return 0;
    for (int r = 0; r < OPT_NREG; r++)
        if (reg[r] != s->reg[r] && (o->live[t->id] >> r & 1u))
            return 0;
    *next = t;
    return 1;
}

/* Follows edge *@e from a block with exit state @x (plus the edge's
 * fact: value @a, test op/k, @sense) past decided blocks; the state on
 * the final edge goes to *@s. */
static void thread_edge(struct opt *o, const struct ostate *x,
                        struct fc_block **e, int a, int has_test, uint16_t op,
                        uint32_t k, int sense, struct ostate *s)
{
    struct fc_block *next;

    *s = *x;
    if (has_test)
        fact_add(fact_get(s, a), op, k, sense);
    *e = fc_skip_const(*e);
    for (int hop = 0; hop < OPT_MAX_HOPS && can_bypass(o, s, *e, &next);
         hop++)
        *e = next;
}

/* A statement as simplify_stmts leaves it: dropped, or code and k. */
struct onew {
    uint16_t code;
    uint32_t k;
    int keep;
};

/* @b's statements replaced by @v, as new nodes (blocks may share
 * statement nodes, so lists are never edited in place). */
static int rebuild(struct opt *o, struct fc_block *b, const struct onew *v,
                   size_t n)
{
    struct fc_slist l = {0};

    for (size_t i = 0; i < n; i++) {
        struct fc_stmt *c;

        if (!v[i].keep)
            continue;
        c = pf_arena_alloc(&o->st->arena, sizeof(*c));
        if (!c)
            return -ENOMEM; /* @b unchanged */
        *c = (struct fc_stmt){v[i].code, v[i].k, NULL};
        fc_sappend(&l, c);
    }
    b->stmts = l;
    return 0;
}

/* Deletes statements that leave their register unchanged and turns
 * loads of known constants into immediates; @s becomes the exit state. */
static void simplify_stmts(struct opt *o, struct fc_block *b, struct ostate *s)
{
    size_t n = 0, i = 0, changed = 0;
    struct onew *v;

    for (struct fc_stmt *st = b->stmts.head; st; st = st->next)
        n++;
    v = malloc((n + 1) * sizeof(*v));
    for (struct fc_stmt *st = b->stmts.head; st; st = st->next, i++) {
        struct oeff e;
        int drop;

        eval(o, s->reg, st, &e);
        drop = e.dst >= 0 && s->reg[e.dst] == e.vn;
        if (v) {
            v[i] = (struct onew){e.code, e.k, !drop};
            changed += drop || e.code != st->code || e.k != st->k;
        }
        if (drop && v)
            continue;
        if (e.dst >= 0)
            s->reg[e.dst] = e.vn;
        else /* not modelled: nothing known about any register */
            for (int r = 0; r < OPT_NREG; r++)
                s->reg[r] = vn_fresh(o);
        if (e.need != UINT64_MAX && e.need > s->valid)
            s->valid = e.need;
    }
    if (changed) /* on failure the old list is still right, only longer */
        (void)rebuild(o, b, v, n);
    free(v);
}

/* Can @b, whose two edges go to the same block, be skipped entirely
 * given its entry state @in? */
static int skippable(struct opt *o, struct fc_block *b, struct ostate *in)
{
    struct fc_block *t = b->jt;
    int reg[OPT_NREG];

    memcpy(reg, in->reg, sizeof(reg));
    for (struct fc_stmt *st = b->stmts.head; st; st = st->next) {
        struct oeff e;

        eval(o, reg, st, &e);
        if (e.dst < 0 || (e.need > in->valid && t != o->st->reject))
            return 0;
        reg[e.dst] = e.vn;
    }
    for (int r = 0; r < OPT_NREG; r++)
        if (reg[r] != in->reg[r] && (o->live[t->id] >> r & 1u))
            return 0;
    return 1;
}

/* Has @vn been computed on every path to a point with state @in? Then
 * computing it again cannot fail. */
static int computed(const struct ostate *in, int vn)
{
    for (int r = 0; r < OPT_NREG; r++)
        if (in->reg[r] == vn)
            return 1;
    return fact_find((struct ostate *)in, vn) != NULL;
}

/*
 * Drops statements of @b (entry state @in) whose results nothing reads
 * (successors as threaded, so their liveness is exact) and that cannot
 * fail: no packet access, or a load within what is known captured, or
 * of a value computed on every path already. The registers on the exit
 * edges (@s, @ns of them) are recomputed from what is left.
 */
static void drop_dead(struct opt *o, struct fc_block *b,
                      const struct ostate *in, struct ostate *s, int ns)
{
    size_t n = 0, i = 0;
    struct onew *v;
    unsigned char *safe;
    int reg[OPT_NREG], changed = 0;
    uint32_t live = o->live[b->jt->id] | o->live[b->jf->id];

    for (struct fc_stmt *st = b->stmts.head; st; st = st->next)
        n++;
    v = malloc((n + 1) * sizeof(*v));
    safe = malloc(n + 1);
    memcpy(reg, in->reg, sizeof(reg));
    for (struct fc_stmt *st = b->stmts.head; v && safe && st;
         st = st->next, i++) {
        struct oeff e;

        eval(o, reg, st, &e);
        if (e.dst < 0)
            break; /* an unmodelled statement: leave the block alone */
        v[i] = (struct onew){st->code, st->k, 1};
        safe[i] = e.need <= in->valid || computed(in, e.vn);
        reg[e.dst] = e.vn;
    }
    if (i != n) {
        free(v);
        free(safe);
        return;
    }
    if (b->jt != b->jf)
        live |= 1u | (PF_CBPF_SRC(b->jcode) == PF_CBPF_X ? 2u : 0);
    for (; i-- > 0;) {
        struct fc_stmt st = {v[i].code, v[i].k, NULL};
        uint32_t def = stmt_def(&st);

        if (safe[i] && def && !(def & live)) {
            v[i].keep = 0;
            changed = 1;
            continue;
        }
        live = (live & ~def) | stmt_use(&st);
    }
    if (changed && !rebuild(o, b, v, n)) {
        memcpy(reg, in->reg, sizeof(reg));
        for (struct fc_stmt *st = b->stmts.head; st; st = st->next) {
            struct oeff e;

            eval(o, reg, st, &e);
            reg[e.dst] = e.vn; /* all modelled: checked above */
        }
        for (int j = 0; j < ns; j++)
            memcpy(s[j].reg, reg, sizeof(reg));
    }
    free(v);
    free(safe);
}

/* Turns @b into a constant block (emit skips it) going to its jt. */
static void make_const(struct fc_block *b)
{
    b->kind = FC_B_CONST;
    b->konst = 1;
    b->stmts.head = b->stmts.tail = NULL;
}

/* @b's test is decided at its entry: one edge, maybe no code at all. */
static int visit_decided(struct opt *o, struct fc_block *b, struct ostate *in,
                         struct ostate *x, int d)
{
    struct ostate s;

    b->jt = b->jf = d ? b->jt : b->jf;
    if (skippable(o, b, in)) {
        make_const(b);
        *x = *in;
    }
    thread_edge(o, x, &b->jt, 0, 0, 0, 0, 0, &s);
    b->jf = b->jt;
    if (b->kind == FC_B_JUMP)
        drop_dead(o, b, in, &s, 1);
    return state_flow(o, b->jt, &s);
}

static int visit(struct opt *o, struct fc_block *b)
{
    struct ostate *in = o->in[b->id], x, s[2];
    uint16_t op;
    uint32_t k;
    int d, has, r;

    o->in[b->id] = NULL;
    x = *in;
    simplify_stmts(o, b, &x);
    if (PF_CBPF_SRC(b->jcode) == PF_CBPF_X &&
        vn_is_const(o, x.reg[OPT_R_X], &k)) { /* jop x -> jop #c */
        b->jcode = (uint16_t)(b->jcode & ~PF_CBPF_X);
        b->jk = k;
    }
    d = decide(o, &x, b, x.reg[OPT_R_A], x.reg[OPT_R_X]);
    if (d >= 0) {
        r = visit_decided(o, b, in, &x, d);
        free(in);
        return r;
    }
    has = test_of(o, b, x.reg[OPT_R_A], x.reg[OPT_R_X], &op, &k);
    thread_edge(o, &x, &b->jt, x.reg[OPT_R_A], has, op, k, 1, &s[0]);
    thread_edge(o, &x, &b->jf, x.reg[OPT_R_A], has, op, k, 0, &s[1]);
    /* both edges now end at one leaf (no state flows on) */
    if (b->jt == b->jf && b->jt->kind != FC_B_JUMP && skippable(o, b, in))
        make_const(b);
    else
        drop_dead(o, b, in, s, 2);
    r = state_flow(o, b->jt, &s[0]);
    if (!r)
        r = state_flow(o, b->jf, &s[1]);
    free(in);
    return r;
}

static int run(struct opt *o, struct fc_block **rootp)
{
    struct ostate *s0;
    int r = 0;

    *rootp = fc_skip_const(*rootp);
    if ((*rootp)->kind != FC_B_JUMP)
        return 0;
    if (order_blocks(o, *rootp))
        return -ENOMEM;
    for (size_t i = o->n; i-- > 0;)
        o->live[o->order[i]->id] = block_live(o, o->order[i]);
    s0 = calloc(1, sizeof(*s0));
    if (!s0)
        return -ENOMEM;
    for (int i = 0; i < OPT_NREG; i++)
        s0->reg[i] = vn_fresh(o);
    o->in[(*rootp)->id] = s0;
    for (size_t i = 0; i < o->n && !r; i++)
        if (o->order[i]->kind == FC_B_JUMP && o->in[o->order[i]->id])
            r = visit(o, o->order[i]);
    *rootp = fc_skip_const(*rootp);
    return r;
}

static void opt_free(struct opt *o)
{
    if (o->in)
        for (unsigned i = 0; i < o->st->nblocks; i++)
            free(o->in[i]);
    free(o->in);
    free(o->live);
    free(o->order);
    free(o->vn);
    free(o->hash);
}

/* Does @s never fail (no packet access, no division by a variable)? */
static int never_fails(const struct fc_stmt *s)
{
    uint16_t c = s->code, op = PF_CBPF_OP(c), mode = PF_CBPF_MODE(c);

    switch (PF_CBPF_CLASS(c)) {
    case PF_CBPF_LD:
    case PF_CBPF_LDX:
        return mode == PF_CBPF_IMM || mode == PF_CBPF_LEN ||
               (mode == PF_CBPF_MEM && s->k < PF_CBPF_MEMWORDS);
    case PF_CBPF_ST:
    case PF_CBPF_STX: return s->k < PF_CBPF_MEMWORDS;
    case PF_CBPF_ALU:
        if (op == PF_CBPF_DIV || op == PF_CBPF_MOD)
            return PF_CBPF_SRC(c) == PF_CBPF_K && s->k != 0;
        return op <= PF_CBPF_XOR;
    case PF_CBPF_MISC:
        return c == (PF_CBPF_MISC | PF_CBPF_TAX) ||
               c == (PF_CBPF_MISC | PF_CBPF_TXA);
    default: return 0;
    }
}

/* k+size for a load at a fixed offset (it fails exactly when the capture
 * is shorter), else 0. */
static uint64_t abs_need(const struct fc_stmt *s)
{
    uint16_t mode = PF_CBPF_MODE(s->code);

    if (s->k >= 0x80000000u)
        return 0;
    if (PF_CBPF_CLASS(s->code) == PF_CBPF_LD && mode == PF_CBPF_ABS)
        return size_bytes(s->code) ? (uint64_t)s->k + size_bytes(s->code) : 0;
    if (s->code == (PF_CBPF_LDX | PF_CBPF_B | PF_CBPF_MSH))
        return (uint64_t)s->k + 1;
    return 0;
}

/*
 * The test folds the block's last statement when A is dead after it:
 * `and #k; jeq #0` is `jset #k` with the edges swapped, `add/sub #c;
 * jeq #k` is `jeq #(k -/+ c)`. @v holds the statements; returns how
 * many remain.
 */
static size_t fold_test(struct fc_block *b, struct onew *v, size_t n,
                        uint32_t live_out)
{
    struct fc_block *t;
    uint16_t c;

    if (!n || (live_out & 1u) || PF_CBPF_SRC(b->jcode) != PF_CBPF_K ||
        PF_CBPF_OP(b->jcode) != PF_CBPF_JEQ)
        return n;
    c = v[n - 1].code;
    if (c == (PF_CBPF_ALU | PF_CBPF_AND | PF_CBPF_K) && b->jk == 0) {
        b->jcode = PF_CBPF_JMP | PF_CBPF_JSET | PF_CBPF_K;
        b->jk = v[n - 1].k;
        t = b->jt;
        b->jt = b->jf;
        b->jf = t;
    } else if (c == (PF_CBPF_ALU | PF_CBPF_ADD | PF_CBPF_K))
        b->jk -= v[n - 1].k;
    else if (c == (PF_CBPF_ALU | PF_CBPF_SUB | PF_CBPF_K))
        b->jk += v[n - 1].k;
    else
        return n;
    return n - 1;
}

/* Is X read after statement @i (in the block, or by its successors /
 * test per @out) before it is written? */
static int x_read_after(const struct onew *v, size_t n, size_t i,
                        uint32_t out)
{
    for (size_t j = i + 1; j < n; j++) {
        struct fc_stmt s = {v[j].code, v[j].k, NULL};

        if (!v[j].keep)
            continue;
        if (stmt_use(&s) & 2u)
            return 1;
        if (stmt_def(&s) & 2u)
            return 0;
    }
    return (out & 2u) != 0;
}

/* Is @x the value @y + c (either operand order), with @y a header
 * length (`4*([k]&0xf)`, at most 60) and c small, so that no address
 * computation can wrap around? */
static int is_plus_const(const struct opt *o, int x, int y, uint32_t *c)
{
    const struct vnode *n;

    if (x < 0 || x >= o->nvn || y < 0 || y >= o->nvn ||
        o->vn[y].op != VN_MSH)
        return 0;
    n = &o->vn[x];
    if (n->op != VN_ALU || n->code != PF_CBPF_ADD)
        return 0;
    if (!(n->a == y && vn_is_const(o, n->b, c)) &&
        !(n->b == y && vn_is_const(o, n->a, c)))
        return 0;
    return *c < 0x10000000u;
}

/*
 * `tax` of A = X + c followed by `ld [x+k]`, X read nowhere else: the
 * load becomes `ld [x+(k+c)]` on the old X and the `tax` goes (the
 * address is the same modulo 2^32, so the load fails exactly when it
 * did). What computed A then usually dies. @out: registers read after.
 * Returns whether anything changed.
 */
static int fold_index(struct opt *o, struct onew *v, size_t n, uint32_t out)
{
    int reg[OPT_NREG], xprev = -1, changed = 0;
    size_t tax = SIZE_MAX;
    uint32_t c;

    for (int r = 0; r < OPT_NREG; r++)
        reg[r] = vn_fresh(o);
    for (size_t i = 0; i < n; i++) {
        struct fc_stmt s = {v[i].code, v[i].k, NULL};
        struct oeff e;

        if (!v[i].keep)
            continue;
        eval(o, reg, &s, &e);
        if (PF_CBPF_CLASS(s.code) == PF_CBPF_LD &&
            PF_CBPF_MODE(s.code) == PF_CBPF_IND && tax != SIZE_MAX &&
            is_plus_const(o, reg[OPT_R_X], xprev, &c) &&
            (uint64_t)v[i].k + c < 0x80000000u &&
            !x_read_after(v, n, i, out)) {
            v[i].k += c;
            v[tax].keep = 0;
            reg[OPT_R_X] = xprev;
            changed = 1;
        }
        if (stmt_use(&s) & 2u)
            tax = SIZE_MAX;
        if (e.dst < 0) {
            for (int r = 0; r < OPT_NREG; r++)
                reg[r] = vn_fresh(o);
            continue;
        }
        if (e.dst == OPT_R_X) {
            tax = s.code == (PF_CBPF_MISC | PF_CBPF_TAX) ? i : SIZE_MAX;
            xprev = reg[OPT_R_X];
        }
        reg[e.dst] = e.vn;
    }
    return changed;
}

/* Drops statements of @b whose results are never read and that cannot
 * fail; folds the test; sets live[b]. */
static void dead_block(struct opt *o, struct fc_block *b)
{
    uint32_t out = o->live[b->jt->id] | o->live[b->jf->id], live;
    size_t n = 0, m, i = 0;
    struct onew *v;
    int changed = 0;
    uint64_t covered = 0; /* a later load fails unless [0, covered) is */
    struct fc_block jump;

    for (struct fc_stmt *s = b->stmts.head; s; s = s->next)
        n++;
    v = malloc((n + 1) * sizeof(*v));
    if (!v) {
        o->live[b->id] = ~0u;
        return;
    }
    for (struct fc_stmt *s = b->stmts.head; s; s = s->next, i++)
        v[i] = (struct onew){s->code, s->k, 1};
    jump = *b;
    m = fold_test(b, v, n, out);
    changed = m != n;
    for (i = m; i < n; i++)
        v[i].keep = 0;
    live = out;
    if (b->jt != b->jf) /* else emitted as `ja`: no test */
        live |= 1u | (PF_CBPF_SRC(b->jcode) == PF_CBPF_X ? 2u : 0);
    changed |= fold_index(o, v, m, live);
    for (i = m; i-- > 0;) {
        struct fc_stmt s = {v[i].code, v[i].k, NULL};
        uint32_t def = stmt_def(&s);
        uint64_t need = abs_need(&s);

        if (def && !(def & live) &&
            (never_fails(&s) || (need && need <= covered))) {
            v[i].keep = 0;
            changed = 1;
            continue;
        }
        live = (live & ~def) | stmt_use(&s);
        if (need > covered)
            covered = need;
    }
    o->live[b->id] = live;
    if (changed && rebuild(o, b, v, n)) { /* keep the block as it was */
        b->jcode = jump.jcode;
        b->jk = jump.jk;
        b->jt = jump.jt;
        b->jf = jump.jf;
        o->live[b->id] = ~0u;
    }
    free(v);
}

/* Dead statement elimination, leaves up, with liveness of the graph as
 * it is now. */
static int fc_opt_dead(struct fc_state *st, struct fc_block **rootp)
{
    struct opt o = {.st = st};

    *rootp = fc_skip_const(*rootp);
    if ((*rootp)->kind != FC_B_JUMP)
        return 0;
    o.live = calloc(st->nblocks + 1, sizeof(*o.live));
    if (!o.live || order_blocks(&o, *rootp)) {
        opt_free(&o);
        return -ENOMEM;
    }
    for (size_t i = o.n; i-- > 0;)
        if (o.order[i]->kind == FC_B_JUMP)
            dead_block(&o, o.order[i]);
    opt_free(&o);
    return 0;
}


/* One propagation/threading walk over the graph at *@rootp. */
static int fc_opt_thread(struct fc_state *st, struct fc_block **rootp)
{
    struct opt o = {.st = st};
    int r;

    o.live = calloc(st->nblocks + 1, sizeof(*o.live));
    o.in = calloc(st->nblocks + 1, sizeof(*o.in));
    r = o.live && o.in ? run(&o, rootp) : -ENOMEM;
    opt_free(&o);
    return r;
}

/* See filters/filters_impl.h. */
int fc_optimize(struct fc_state *st, struct fc_block **rootp)
{
    int r = 0;

    for (int pass = 0; pass < 3 && !r; pass++) {
        r = fc_opt_thread(st, rootp);
        if (!r)
            r = fc_opt_dead(st, rootp);
        if (!r)
            r = fc_opt_merge(st, rootp);
    }
    return r;
}
