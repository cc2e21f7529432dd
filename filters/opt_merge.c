/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The optimiser's cleanup: after threading, many blocks are copies of
 * each other (`tcp port 53` and `udp port 53` end in the same fragment
 * and port tests, going to the same leaves) or have both edges to one
 * block. Walking the graph from the leaves up, a block whose statements,
 * test and (already merged) successors equal another's is replaced by
 * it (hash-consing, linear), an empty block whose edges coincide is
 * skipped, and a block whose edges coincide absorbs its successor when it
 * is that successor's only predecessor (no `ja` left between them).
 * Verdicts cannot change: only blocks with identical code are shared.
 */
#include <errno.h>
#include <stdlib.h>

#include "filters/filters_impl.h"

struct merge {
    struct fc_block **order;
    size_t n;
    struct fc_block **canon;   /* by id */
    struct fc_block **tab;     /* hash table of kept blocks */
    size_t tcap;
    unsigned *npred;           /* by id */
};

static size_t block_hash(const struct fc_block *b)
{
    uint64_t h = 1469598103934665603u;

    for (const struct fc_stmt *s = b->stmts.head; s; s = s->next)
        h = (h ^ ((uint64_t)s->code << 32 ^ s->k)) * 1099511628211u;
    h = (h ^ ((uint64_t)b->jcode << 32 ^ b->jk)) * 1099511628211u;
    h = (h ^ b->jt->id) * 1099511628211u;
    return (size_t)((h ^ b->jf->id) * 1099511628211u);
}

static int block_same(const struct fc_block *a, const struct fc_block *b)
{
    const struct fc_stmt *x = a->stmts.head, *y = b->stmts.head;

    if (a->jcode != b->jcode || a->jk != b->jk || a->jt != b->jt ||
        a->jf != b->jf)
        return 0;
    for (; x && y; x = x->next, y = y->next)
        if (x->code != y->code || x->k != y->k)
            return 0;
    return !x && !y;
}

/* The block equal to @b already kept, or @b itself (then kept). */
static struct fc_block *intern(struct merge *m, struct fc_block *b)
{
    size_t i = block_hash(b) & (m->tcap - 1);

    for (; m->tab[i]; i = (i + 1) & (m->tcap - 1))
        if (block_same(m->tab[i], b))
            return m->tab[i];
    m->tab[i] = b;
    return b;
}

/* Leaves up: successors replaced by their representatives first. */
static void share(struct merge *m)
{
    for (size_t i = 0; i < m->n; i++) {
        struct fc_block *b = m->order[i];

        m->canon[b->id] = b;
        if (b->kind != FC_B_JUMP)
            continue;
        b->jt = m->canon[b->jt->id];
        b->jf = m->canon[b->jf->id];
        if (b->jt == b->jf && !b->stmts.head)
            m->canon[b->id] = b->jt;
        else
            m->canon[b->id] = intern(m, b);
    }
}

/* @a := copies of @a's then @b's statements (lists may share nodes, so
 * they are never linked in place); -ENOMEM leaves @a unchanged. */
static int concat(struct fc_state *st, struct fc_slist *a,
                  const struct fc_slist *b)
{
    struct fc_slist l = {0};
    const struct fc_slist *src[2] = {a, b};

    for (int i = 0; i < 2; i++)
        for (const struct fc_stmt *s = src[i]->head; s; s = s->next) {
            struct fc_stmt *c = pf_arena_alloc(&st->arena, sizeof(*c));

            if (!c)
                return -ENOMEM;
            *c = (struct fc_stmt){s->code, s->k, NULL};
            fc_sappend(&l, c);
        }
    *a = l;
    return 0;
}

/* Folds successors into blocks whose two edges coincide, when the
 * block is the successor's only predecessor. */
static void absorb(struct fc_state *st, struct merge *m,
                   struct fc_block *root)
{
    for (size_t i = 0; i < m->n; i++) {
        struct fc_block *b = m->order[i];

        if (b->kind == FC_B_JUMP && m->canon[b->id] == b) {
            m->npred[b->jt->id]++;
            if (b->jf != b->jt)
                m->npred[b->jf->id]++;
        }
    }
    m->npred[root->id]++;
    for (size_t i = m->n; i-- > 0;) {
        struct fc_block *b = m->order[i], *t;

        if (b->kind != FC_B_JUMP || m->canon[b->id] != b)
            continue;
        while (b->jt == b->jf && (t = b->jt)->kind == FC_B_JUMP &&
               m->npred[t->id] == 1 && t != b) {
            if (concat(st, &b->stmts, &t->stmts))
                return;
            b->jcode = t->jcode;
            b->jk = t->jk;
            b->jt = t->jt;
            b->jf = t->jf;
            m->npred[t->id] = 0;
        }
    }
}

/* See filters/filters_impl.h. */
int fc_opt_merge(struct fc_state *st, struct fc_block **rootp)
{
    struct merge m = {0};
    int r = -ENOMEM;

    *rootp = fc_skip_const(*rootp);
    if ((*rootp)->kind != FC_B_JUMP)
        return 0;
    if (fc_postorder(st, *rootp, &m.order, &m.n))
        goto out;
    for (m.tcap = 64; m.tcap < 2 * m.n; m.tcap *= 2)
        ;
    m.canon = calloc(st->nblocks + 1, sizeof(*m.canon));
    m.npred = calloc(st->nblocks + 1, sizeof(*m.npred));
    m.tab = calloc(m.tcap, sizeof(*m.tab));
    if (!m.canon || !m.npred || !m.tab)
        goto out;
    share(&m);
    *rootp = m.canon[(*rootp)->id];
    if ((*rootp)->kind == FC_B_JUMP)
        absorb(st, &m, *rootp);
    r = 0;
out:
    free(m.order);
    free(m.canon);
    free(m.npred);
    free(m.tab);
    return r;
}
