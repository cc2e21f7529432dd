/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * "Expression rejects all packets": libpcap refuses an expression when
 * its optimiser reduces the program to `ret #0`, so pfcap must refuse the
 * same ones. This pass reproduces the reasoning that optimiser uses:
 *
 *  - value numbering: two blocks that load the same packet bytes (or
 *    compute the same arithmetic on them) test the same value; an
 *    indexed load with a constant index is the absolute load;
 *  - constant folding: a test on a constant (`1 = 2`) has a known result;
 *    arithmetic is folded only in the second, statement-rewriting phase
 *    (see below);
 *  - jump threading: along an edge, the tests that dominate it are known
 *    (same value, same comparison: same result; "A == c" true: any other
 *    "A == c2" is false), so an edge into a decided test is redirected
 *    past it, and this repeats until nothing changes.
 *
 * libpcap's optimiser then runs a second phase that rewrites statements
 * (`x * 0` and `x & 0` become `ld #0`, `0 op x` folds, a constant X
 * becomes an immediate, constant operands fold) and folds a block's
 * test when its A is now constant, but it threads no more edges: only
 * its final root walk skips blocks whose two branches coincide. So with
 * those rewrites a test decides the verdict only on the chain from the
 * root (`ip[2:2] * 0 = 1` is refused on DLT_IPV4, where the relation is
 * the root, and accepted on Ethernet, behind the ethertype test).
 *
 * The graph itself is not changed (skipping a load would change verdicts
 * on truncated packets): successors are copied into side arrays. Above
 * FC_REJECT_MAX_BLOCKS blocks the pass is skipped (such expressions are
 * assumed to accept something; libpcap's optimiser takes minutes there).
 */
#include <stdlib.h>
#include <string.h>

#include "filters/filters_impl.h"

#define FC_REJECT_MAX_BLOCKS 2000
#define FC_REJECT_MAX_PASSES 32
#define FC_REJECT_MAX_FACTS 128

enum vn_op { VN_CONST = 1, VN_ABS, VN_IND, VN_INDC, VN_LEN, VN_MSH, VN_ALU,
             VN_NEG, VN_VAROFF, VN_UNKNOWN };

struct vnode {
    uint16_t op, code;
    uint32_t k;
    int a, b;
};

struct fact {
    int a, oval;
    uint16_t code;
    int sense;
};

struct facts {
    struct fact *v;
    int n;
};

struct rj {
    struct vnode *vn;
    int nvn, capvn;
    int *hash;
    int hcap;
    struct fc_block **blk;     /* by id */
    struct fc_block **jt, **jf;/* working successors, by id */
    int *a, *oval;             /* value tested and operand, by id */
    int *aout, *ain;           /* A after the statements; A on entry */
    uint16_t *code;            /* normalised jump code, by id */
    struct facts *in;          /* facts on entry, by id */
    int *seen, *order, norder;
    int nblk;
    int varoff_reg;            /* M[] set once by the prologue, or -1 */
    int alter;                 /* second phase: statements rewritten */
};

static int vn_get(struct rj *r, uint16_t op, uint16_t code, uint32_t k,
                  int a, int b)
{
    uint32_t h = (op * 31u + code) * 2654435761u ^ k * 40503u ^
                 (uint32_t)a * 97u ^ (uint32_t)b * 131u;
    int i = (int)(h % (uint32_t)r->hcap);

    for (; r->hash[i] >= 0; i = (i + 1) % r->hcap) {
        struct vnode *v = &r->vn[r->hash[i]];

        if (op != VN_UNKNOWN && v->op == op && v->code == code &&
            v->k == k && v->a == a && v->b == b)
            return r->hash[i];
    }
    if (r->nvn == r->capvn || r->nvn * 2 >= r->hcap)
        return -1;
    r->vn[r->nvn] = (struct vnode){op, code, k, a, b};
    r->hash[i] = r->nvn;
    return r->nvn++;
}

static int vn_const(struct rj *r, uint32_t k)
{
    return vn_get(r, VN_CONST, 0, k, 0, 0);
}

static int is_const(struct rj *r, int v, uint32_t *k)
{
    if (v < 0 || r->vn[v].op != VN_CONST)
        return 0;
    *k = r->vn[v].k;
    return 1;
}

static int fresh(struct rj *r)
{
    return vn_get(r, VN_UNKNOWN, 0, (uint32_t)r->nvn, 0, 0);
}

static int alu_fold(uint32_t op, uint32_t a, uint32_t b, uint32_t *out)
{
    switch (op) {
    case PF_CBPF_ADD: *out = a + b; return 1;
    case PF_CBPF_SUB: *out = a - b; return 1;
    case PF_CBPF_MUL: *out = a * b; return 1;
    case PF_CBPF_DIV: if (!b) return 0; *out = a / b; return 1;
    case PF_CBPF_MOD: if (!b) return 0; *out = a % b; return 1;
    case PF_CBPF_AND: *out = a & b; return 1;
    case PF_CBPF_OR: *out = a | b; return 1;
    case PF_CBPF_XOR: *out = a ^ b; return 1;
    case PF_CBPF_LSH: *out = b < 32 ? a << b : 0; return 1;
    case PF_CBPF_RSH: *out = b < 32 ? a >> b : 0; return 1;
    default: return 0;
    }
}

/*
 * libpcap's statement rewrites with the operand b constant: `op #0` is a
 * no-op for + << >> | ^ and `ld #0` for * &; constants fold.
 */
static int alu_const_b(struct rj *r, uint32_t op, int a, uint32_t kb)
{
    uint32_t ka, res;

    if (kb == 0 && (op == PF_CBPF_ADD || op == PF_CBPF_LSH ||
                    op == PF_CBPF_RSH || op == PF_CBPF_OR ||
                    op == PF_CBPF_XOR))
        return a;
    if (kb == 0 && (op == PF_CBPF_MUL || op == PF_CBPF_AND))
        return vn_const(r, 0);
    if (is_const(r, a, &ka) && alu_fold(op, ka, kb, &res))
        return vn_const(r, res);
    return -1;
}

/* Value of A op b; the rewrites apply in the second phase only. */
static int vn_alu(struct rj *r, uint32_t op, int a, int b)
{
    uint32_t ka, kb;
    int v;

    if (op == PF_CBPF_NEG)
        return r->alter && is_const(r, a, &ka)
                   ? vn_const(r, (uint32_t)-ka)
                   : vn_get(r, VN_NEG, 0, 0, a, 0);
    if (r->alter && is_const(r, b, &kb) &&
        (v = alu_const_b(r, op, a, kb)) >= 0)
        return v;
    if (r->alter && is_const(r, a, &ka) && ka == 0) {
        if (op == PF_CBPF_ADD || op == PF_CBPF_OR || op == PF_CBPF_XOR)
            return b;
        if (op != PF_CBPF_SUB)
            return vn_const(r, 0);
    }
    return vn_get(r, VN_ALU, (uint16_t)op, 0, a, b);
}

/* Value of an indexed load. With a constant index libpcap's optimiser
 * rewrites it as an absolute load, but (as observed) its value number
 * stays distinct from a load that was absolute from the start: such
 * tests fold with each other, never with plain loads. */
static int vn_ind(struct rj *r, uint16_t code, uint32_t k, int x)
{
    uint32_t kx;

    if (is_const(r, x, &kx))
        return vn_get(r, VN_INDC, (uint16_t)PF_CBPF_SIZE(code), k + kx, 0, 0);
    return vn_get(r, VN_IND, (uint16_t)PF_CBPF_SIZE(code), k, x, 0);
}

/* One statement's effect on (A, X, M[]). */
static void step(struct rj *r, const struct fc_stmt *s, int *a, int *x,
                 int *m, int *prev_a)
{
    uint16_t c = s->code;

    *prev_a = *a;
    switch (PF_CBPF_CLASS(c)) {
    case PF_CBPF_LD:
        switch (PF_CBPF_MODE(c)) {
        case PF_CBPF_IMM: *a = vn_const(r, s->k); break;
        case PF_CBPF_ABS:
            *a = vn_get(r, VN_ABS, (uint16_t)PF_CBPF_SIZE(c), s->k, 0, 0);
            break;
        case PF_CBPF_IND: *a = vn_ind(r, c, s->k, *x); break;
        case PF_CBPF_LEN: *a = vn_get(r, VN_LEN, 0, 0, 0, 0); break;
        case PF_CBPF_MEM: *a = m[s->k & 15]; break;
        default: *a = fresh(r); break;
        }
        break;
    case PF_CBPF_LDX:
        if (PF_CBPF_MODE(c) == PF_CBPF_IMM)
            *x = vn_const(r, s->k);
        else if (PF_CBPF_MODE(c) == PF_CBPF_MEM)
            *x = m[s->k & 15];
        else if (PF_CBPF_MODE(c) == PF_CBPF_MSH)
            *x = vn_get(r, VN_MSH, 0, s->k, 0, 0);
        else
            *x = vn_get(r, VN_LEN, 0, 0, 0, 0);
        break;
    case PF_CBPF_ST: m[s->k & 15] = *a; break;
    case PF_CBPF_STX: m[s->k & 15] = *x; break;
    case PF_CBPF_ALU:
        *a = vn_alu(r, PF_CBPF_OP(c), *a,
                    PF_CBPF_SRC(c) == PF_CBPF_X ? *x : vn_const(r, s->k));
        break;
    default: /* MISC */
        if (PF_CBPF_MISCOP(c) == PF_CBPF_TAX)
            *x = *a;
        else
            *a = *x;
        break;
    }
}

/* Value numbers of a block's test, normalised as libpcap's peephole
 * pass does: `sub x; jeq #0` is `jeq x`, and X constant makes it `#k`. */
static void eval_block(struct rj *r, struct fc_block *b, int a_in)
{
    int a = a_in >= 0 ? a_in : fresh(r), x = fresh(r), prev = a, m[16];
    const struct fc_stmt *last = NULL;
    uint16_t code = b->jcode;
    int oval;
    uint32_t kx;

    for (int i = 0; i < 16; i++)
        m[i] = i == r->varoff_reg ? vn_get(r, VN_VAROFF, 0, 0, 0, 0)
                                  : fresh(r);
    for (const struct fc_stmt *s = b->stmts.head; s; s = s->next) {
        step(r, s, &a, &x, m, &prev);
        last = s;
    }
    if (PF_CBPF_SRC(code) == PF_CBPF_K && PF_CBPF_OP(code) == PF_CBPF_JEQ &&
        b->jk == 0 && last &&
        last->code == (PF_CBPF_ALU | PF_CBPF_SUB | PF_CBPF_X)) {
        a = prev;
        code = (uint16_t)(code | PF_CBPF_X);
    }
    r->aout[b->id] = a;
    oval = PF_CBPF_SRC(code) == PF_CBPF_X ? x : vn_const(r, b->jk);
    if (is_const(r, oval, &kx))
        code = (uint16_t)(code & ~PF_CBPF_X);
    r->a[b->id] = a;
    r->oval[b->id] = oval;
    r->code[b->id] = code;
}

/* Decides block @c from its own constants or the facts @f: 1 = jt,
 * 0 = jf, -1 = unknown. */
static int decide(struct rj *r, int c, const struct facts *f)
{
    uint32_t ka, ko;
    uint16_t code = r->code[c];

    if (is_const(r, r->a[c], &ka) && is_const(r, r->oval[c], &ko)) {
        switch (PF_CBPF_OP(code)) {
        case PF_CBPF_JEQ: return ka == ko;
        case PF_CBPF_JGT: return ka > ko;
        case PF_CBPF_JGE: return ka >= ko;
        case PF_CBPF_JSET: return (ka & ko) != 0;
        default: return -1;
        }
    }
    for (int i = 0; i < f->n; i++) {
        const struct fact *e = &f->v[i];

        if (e->code != code || e->a != r->a[c])
            continue;
        if (e->oval == r->oval[c])
            return e->sense;
        if (e->sense && code == (PF_CBPF_JMP | PF_CBPF_JEQ | PF_CBPF_K))
            return 0;
    }
    return -1;
}

static void order_dfs(struct rj *r, struct fc_block *root)
{
    int *stack = malloc((size_t)(r->nblk + 1) * sizeof(*stack) * 2);
    int sp = 0;

    r->norder = 0;
    memset(r->seen, 0, (size_t)r->nblk * sizeof(*r->seen));
    if (!stack)
        return;
    stack[sp++] = (int)root->id;
    while (sp) {
        int id = stack[sp - 1];
        struct fc_block *b = r->blk[id], *s = NULL;

        if (b->kind == FC_B_JUMP && r->seen[id] < 2) {
            s = r->seen[id]++ == 0 ? r->jf[id] : r->jt[id];
            if (s && !r->seen[s->id])
                stack[sp++] = (int)s->id;
            continue;
        }
        sp--;
        if (r->seen[id] != 3) {
            r->seen[id] = 3;
            r->order[r->norder++] = id;
        }
    }
    free(stack);
}

/* facts(edge P->succ) = facts_in(P) + P's own test outcome. */
static void edge_facts(struct rj *r, int p, int sense, struct facts *out)
{
    const struct facts *in = &r->in[p];

    int skip_n = in->n >= FC_REJECT_MAX_FACTS ? 1 : 0;

    memcpy(out->v, in->v + skip_n, (size_t)(in->n - skip_n) * sizeof(*in->v));
    out->n = in->n - skip_n;
    out->v[out->n++] = (struct fact){r->a[p], r->oval[p], r->code[p], sense};
}

static void intersect(struct facts *acc, const struct facts *e, int first)
{
    int n = 0;

    if (first) {
        memcpy(acc->v, e->v, (size_t)e->n * sizeof(*e->v));
        acc->n = e->n;
        return;
    }
    for (int i = 0; i < acc->n; i++)
        for (int j = 0; j < e->n; j++)
            if (!memcmp(&acc->v[i], &e->v[j], sizeof(struct fact))) {
                acc->v[n++] = acc->v[i];
                break;
            }
    acc->n = n;
}

/* One pass: facts in RPO, then thread every edge. Returns 1 if changed. */
static int pass(struct rj *r, struct fc_block *root, struct facts *tmp)
{
    int changed = 0;
    int *npred = calloc((size_t)r->nblk, sizeof(int));

    order_dfs(r, root);
    for (int i = 0; i < r->nblk; i++)
        r->in[i].n = 0;
    for (int i = r->norder - 1; i >= 0 && npred; i--) {
        int p = r->order[i];

        if (r->blk[p]->kind != FC_B_JUMP)
            continue;
        for (int s = 0; s < 2; s++) {
            struct fc_block *c = s ? r->jt[p] : r->jf[p];

            edge_facts(r, p, s, tmp);
            intersect(&r->in[c->id], tmp, npred[c->id]++ == 0);
        }
    }
    for (int i = r->norder - 1; i >= 0 && npred; i--) {
        int p = r->order[i];

        if (r->blk[p]->kind != FC_B_JUMP)
            continue;
        for (int s = 0; s < 2; s++) {
            struct fc_block **slot = s ? &r->jt[p] : &r->jf[p];
            int d;

            edge_facts(r, p, s, tmp);
            while ((*slot)->kind == FC_B_JUMP &&
                   (d = decide(r, (int)(*slot)->id, tmp)) >= 0) {
                *slot = d ? r->jt[(*slot)->id] : r->jf[(*slot)->id];
                changed = 1;
            }
        }
    }
    free(npred);
    return changed;
}

static void collect(struct rj *r, struct fc_block *b)
{
    if (!b || r->blk[b->id])
        return;
    r->blk[b->id] = b;
    if (b->kind == FC_B_JUMP || b->kind == FC_B_CONST) {
        collect(r, b->jt);
        collect(r, b->jf);
    }
}

/*
 * Value numbers of every block, predecessors first: A flows from block
 * to block (a `byte N & M` test uses the A its predecessor left), so a
 * block whose predecessors all leave the same A value starts with it.
 */
static void eval_all(struct rj *r, struct fc_block *root)
{
    order_dfs(r, root);
    for (int i = r->norder - 1; i >= 0; i--) {
        int id = r->order[i];
        struct fc_block *b = r->blk[id];

        if (b->kind != FC_B_JUMP)
            continue;
        eval_block(r, b, r->ain[id]);
        for (int s = 0; s < 2; s++) {
            int c = (int)(s ? r->jt[id] : r->jf[id])->id;

            r->ain[c] = r->ain[c] == -2 || r->ain[c] == r->aout[id]
                            ? r->aout[id] : -1;
        }
    }
}

static int setup(struct rj *r, struct fc_state *st, struct fc_block *root)
{
    size_t n = st->nblocks;

    r->nblk = (int)n;
    r->varoff_reg = st->off_linkpl.is_variable ? st->off_linkpl.reg : -1;
    r->capvn = (int)(64 * n + 1024);
    r->hcap = 2 * r->capvn + 1;
    r->vn = malloc((size_t)r->capvn * sizeof(*r->vn));
    r->hash = malloc((size_t)r->hcap * sizeof(int));
    r->blk = calloc(n, sizeof(*r->blk));
    r->jt = calloc(n, sizeof(*r->jt));
    r->jf = calloc(n, sizeof(*r->jf));
    r->a = calloc(n, sizeof(int));
    r->oval = calloc(n, sizeof(int));
    r->code = calloc(n, sizeof(uint16_t));
    r->in = calloc(n, sizeof(*r->in));
    r->seen = calloc(n, sizeof(int));
    r->order = calloc(n, sizeof(int));
    r->aout = calloc(n, sizeof(int));
    r->ain = calloc(n, sizeof(int));
    if (!r->vn || !r->hash || !r->blk || !r->jt || !r->jf || !r->a ||
        !r->oval || !r->code || !r->in || !r->seen || !r->order ||
        !r->aout || !r->ain)
        return -1;
    memset(r->hash, 0xff, (size_t)r->hcap * sizeof(int));
    collect(r, root);
    for (size_t i = 0; i < n; i++) {
        struct fc_block *b = r->blk[i];

        r->in[i].v = calloc(FC_REJECT_MAX_FACTS + 1, sizeof(struct fact));
        if (!r->in[i].v)
            return -1;
        r->ain[i] = -2;
        if (b && b->kind == FC_B_JUMP) {
            r->jt[i] = fc_skip_const(b->jt);
            r->jf[i] = fc_skip_const(b->jf);
        }
    }
    eval_all(r, root);
    return 0;
}

static void teardown(struct rj *r)
{
    for (int i = 0; i < r->nblk && r->in; i++)
        free(r->in[i].v);
    free(r->vn); free(r->hash); free(r->blk); free(r->jt); free(r->jf);
    free(r->a); free(r->oval); free(r->code); free(r->in); free(r->seen);
    free(r->order);
    free(r->aout);
    free(r->ain);
}

/*
 * The second phase, as observed: the root block's test is decided with
 * the statement rewrites (value numbers recomputed for it alone); later
 * blocks on the walk only with the first phase's knowledge (libpcap
 * drops the statements of a block that leaves A and X as it found them
 * and then never folds its test). libpcap's root walk also skips blocks
 * whose branches coincide. 1 if the walk ends at `ret #0`.
 */
static int root_walk(struct rj *r, struct fc_block *root, struct facts *none)
{
    int id = (int)root->id, d;

    if (root->kind != FC_B_JUMP)
        return root->kind == FC_B_REJECT;
    r->alter = 1;
    eval_block(r, root, r->ain[id]);
    d = decide(r, id, none);
    r->alter = 0;
    eval_block(r, root, r->ain[id]);
    while (d >= 0 || r->jt[id] == r->jf[id]) {
        root = d != 0 ? r->jt[id] : r->jf[id];
        if (root->kind != FC_B_JUMP)
            break;
        id = (int)root->id;
        d = decide(r, id, none);
    }
    return root->kind == FC_B_REJECT;
}

/* Would libpcap's optimiser reduce this graph to `ret #0`? */
int fc_rejects_all(struct fc_state *st, struct fc_block *root)
{
    struct rj r;
    struct facts tmp;
    int rejects = 0;

    root = fc_skip_const(root);
    if (root->kind != FC_B_JUMP)
        return root->kind == FC_B_REJECT;
    if (st->nblocks > FC_REJECT_MAX_BLOCKS)
        return 0;
    memset(&r, 0, sizeof(r));
    tmp.v = calloc(FC_REJECT_MAX_FACTS + 2, sizeof(struct fact));
    if (tmp.v && !setup(&r, st, root)) {
        for (int i = 0; i < FC_REJECT_MAX_PASSES; i++) {
            struct facts none = {tmp.v, 0};
            int d, moved = 0;

            while (root->kind == FC_B_JUMP &&
                   (d = decide(&r, (int)root->id, &none)) >= 0) {
                root = d ? r.jt[root->id] : r.jf[root->id];
                moved = 1;
            }
            if (root->kind != FC_B_JUMP || (!pass(&r, root, &tmp) && !moved))
                break;
        }
        order_dfs(&r, root);
        order_dfs(&r, root);
        rejects = 1;
        for (int i = 0; i < r.norder; i++)
            if (r.blk[r.order[i]]->kind == FC_B_ACCEPT)
                rejects = 0;
        if (!rejects) {
            struct facts none = {tmp.v, 0};

            rejects = root_walk(&r, root, &none);
        }
    }
    free(tmp.v);
    teardown(&r);
    return rejects;
}
