/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The control-flow graph: statement lists, basic blocks ending in one
 * conditional jump, and the boolean combinators. A fragment under
 * construction is an entry block plus two lists of open exits (true and
 * false successor slots still to be patched); `and` patches the left
 * side's true exits to the right side's entry, `or` its false exits, and
 * `not` swaps the lists. Each combinator is O(1), so building the graph
 * is linear in the size of the expression.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "filters/filters_impl.h"

/* Records a PF_STAGE_EXPR error at columns [col, end_col) unless one is
 * already recorded; returns -EINVAL (-ENOTSUP for UNSUPPORTED). */
int fc_error_at(struct fc_state *st, int code, int col, int end_col,
                const char *fmt, ...)
{
    char msg[PF_ERROR_MSG_MAX];
    va_list ap;
    int err = code == PF_COMPILE_UNSUPPORTED ? -ENOTSUP : -EINVAL;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return pf_error_set_span(st->err, err, PF_STAGE_EXPR, code, 1, col,
                             end_col, "%s", msg);
}

/* fc_error_at at the span of the node being generated. */
int fc_error(struct fc_state *st, int code, const char *fmt, ...)
{
    char msg[PF_ERROR_MSG_MAX];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return fc_error_at(st, code, st->col, st->end_col, "%s", msg);
}

static void oom(struct fc_state *st)
{
    pf_error_set(st->err, -ENOMEM, PF_STAGE_EXPR, PF_COMPILE_LIMIT,
                 "out of memory");
}

/* A new statement in the arena; NULL (and an error) when out of memory. */
struct fc_stmt *fc_stmt_new(struct fc_state *st, uint16_t code, uint32_t k)
{
    struct fc_stmt *s = pf_arena_alloc(&st->arena, sizeof(*s));

    if (!s) {
        oom(st);
        return NULL;
    }
    s->code = code;
    s->k = k;
    return s;
}

/* Appends @s (may be NULL: ignored) to list @l. */
void fc_sappend(struct fc_slist *l, struct fc_stmt *s)
{
    if (!s)
        return;
    if (l->tail)
        l->tail->next = s;
    else
        l->head = s;
    l->tail = s;
}

int fc_sadd(struct fc_state *st, struct fc_slist *l, uint16_t code, uint32_t k)
{
    struct fc_stmt *s = fc_stmt_new(st, code, k);

    if (!s)
        return -ENOMEM;
    fc_sappend(l, s);
    return 0;
}

/* Moves the statements of @b to the end of @a. */
void fc_scat(struct fc_slist *a, struct fc_slist *b)
{
    if (!b->head)
        return;
    if (a->tail)
        a->tail->next = b->head;
    else
        a->head = b->head;
    a->tail = b->tail;
}

static struct fc_exit *exit_new(struct fc_state *st, struct fc_block **slot)
{
    struct fc_exit *e = pf_arena_alloc(&st->arena, sizeof(*e));

    if (e)
        e->slot = slot;
    else
        oom(st);
    return e;
}

static struct fc_frag *frag_of(struct fc_state *st, struct fc_block *b)
{
    struct fc_frag *f = pf_arena_alloc(&st->arena, sizeof(*f));

    if (!f || !b) {
        oom(st);
        return NULL;
    }
    f->head = b;
    f->t = f->t_tail = exit_new(st, &b->jt);
    f->f = f->f_tail = exit_new(st, &b->jf);
    return f->t && f->f ? f : NULL;
}

/* A one-block fragment: @stmts, then `jop #k` (jop: JEQ/JGT/JGE/JSET
 * with K or X); both exits open. NULL when out of memory. */
struct fc_frag *fc_jump(struct fc_state *st, struct fc_slist *stmts,
                        uint16_t jop, uint32_t k)
{
    return frag_of(st, fc_block_new(st, stmts, jop, k));
}

/* A fragment that is always true (@value != 0) or false. */
struct fc_frag *fc_const(struct fc_state *st, int value)
{
    struct fc_slist l = {0};

    /* libpcap's gen_true/gen_false: `ld #!value; jeq #0`. The load is
     * kept because a following `byte N & M` block tests the A it leaves. */
    fc_sappend(&l, fc_stmt_new(st, PF_CBPF_LD | PF_CBPF_IMM, !value));
    if (!l.head)
        return NULL;
    return fc_jump(st, &l, PF_CBPF_JEQ, 0);
}

/* A bare block (see header); successors are wired by the caller. */
struct fc_block *fc_block_new(struct fc_state *st, struct fc_slist *stmts,
                              uint16_t jop, uint32_t k)
{
    struct fc_block *b = pf_arena_alloc(&st->arena, sizeof(*b));

    if (!b) {
        oom(st);
        return NULL;
    }
    b->kind = FC_B_JUMP;
    if (stmts)
        b->stmts = *stmts;
    b->jcode = (uint16_t)(PF_CBPF_JMP | jop);
    b->jk = k;
    b->id = st->nblocks++;
    return b;
}

/* A fragment entered at @head whose open exits are @last's jt/jf. */
struct fc_frag *fc_frag_wrap(struct fc_state *st, struct fc_block *head,
                             struct fc_block *last)
{
    struct fc_frag *f = pf_arena_alloc(&st->arena, sizeof(*f));

    if (!f || !head || !last) {
        oom(st);
        return NULL;
    }
    f->head = head;
    f->t = f->t_tail = exit_new(st, &last->jt);
    f->f = f->f_tail = exit_new(st, &last->jf);
    return f->t && f->f ? f : NULL;
}

static void patch(struct fc_exit *e, struct fc_block *target)
{
    for (; e; e = e->next)
        *e->slot = target;
}

/* Appends list b to list a (either may be empty). */
static void join(struct fc_exit **ah, struct fc_exit **at, struct fc_exit *bh,
                 struct fc_exit *bt)
{
    if (!bh)
        return;
    if (*at)
        (*at)->next = bh;
    else
        *ah = bh;
    *at = bt;
}

/* @a and @b: @a's true exits go to @b. NULL if either is NULL. */
struct fc_frag *fc_and_(struct fc_frag *a, struct fc_frag *b)
{
    if (!a || !b)
        return NULL;
    patch(a->t, b->head);
    a->t = b->t;
    a->t_tail = b->t_tail;
    join(&a->f, &a->f_tail, b->f, b->f_tail);
    return a;
}

/* @a or @b: @a's false exits go to @b. NULL if either is NULL. */
struct fc_frag *fc_or_(struct fc_frag *a, struct fc_frag *b)
{
    if (!a || !b)
        return NULL;
    patch(a->f, b->head);
    a->f = b->f;
    a->f_tail = b->f_tail;
    join(&a->t, &a->t_tail, b->t, b->t_tail);
    return a;
}

/* Negation: swaps the true and false exits of @a (no code). */
struct fc_frag *fc_not(struct fc_frag *a)
{
    struct fc_exit *h, *t;

    if (!a)
        return NULL;
    h = a->t;
    t = a->t_tail;
    a->t = a->f;
    a->t_tail = a->f_tail;
    a->f = h;
    a->f_tail = t;
    return a;
}

/* Patches the remaining exits to the accept and reject leaves. */
int fc_finish(struct fc_state *st, struct fc_frag *root)
{
    st->accept = pf_arena_alloc(&st->arena, sizeof(*st->accept));
    st->reject = pf_arena_alloc(&st->arena, sizeof(*st->reject));
    if (!st->accept || !st->reject || !root) {
        oom(st);
        return -ENOMEM;
    }
    st->accept->kind = FC_B_ACCEPT;
    st->reject->kind = FC_B_REJECT;
    st->accept->id = st->nblocks++;
    st->reject->id = st->nblocks++;
    patch(root->t, st->accept);
    patch(root->f, st->reject);
    return 0;
}

/* See filters_impl.h. */
struct fc_block *fc_skip_const(struct fc_block *b)
{
    while (b && b->kind == FC_B_CONST)
        b = b->konst ? b->jt : b->jf;
    return b;
}

/* See filters/filters_impl.h. */
int fc_postorder(struct fc_state *st, struct fc_block *root,
                 struct fc_block ***order, size_t *n)
{
    size_t cap = st->nblocks + 2, sp = 0;
    struct fc_block **stack = malloc(cap * sizeof(*stack));
    unsigned char *state = calloc(cap, 1);
    struct fc_block **v = malloc(cap * sizeof(*v));

    *order = v;
    *n = 0;
    if (!stack || !state || !v) {
        free(stack);
        free(state);
        return -ENOMEM;
    }
    stack[sp++] = root;
    while (sp) {
        struct fc_block *b = stack[sp - 1], *s;

        if (b->kind == FC_B_JUMP && state[b->id] < 2) {
            struct fc_block **e = state[b->id]++ ? &b->jt : &b->jf;

            s = *e = fc_skip_const(*e);
            if (!state[s->id] && sp < cap)
                stack[sp++] = s;
            continue;
        }
        sp--;
        if (state[b->id] != 3) {
            state[b->id] = 3;
            v[(*n)++] = b;
        }
    }
    free(stack);
    free(state);
    return 0;
}
