/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Linearisation: the control-flow graph becomes a cBPF program. Blocks
 * are laid out in reverse post-order (every jump goes forward), constant
 * blocks are bypassed, and the accept/reject leaves come last as
 * `ret #snaplen` / `ret #0`. jt/jf hold only 8 bits, so a conditional
 * jump whose target is more than 255 instructions away goes through a
 * `ja` placed right after it (a trampoline); sizes are recomputed until
 * no new trampoline is needed, so programs of any size work.
 */
#include <errno.h>
#include <stdlib.h>

#include "filters/filters_impl.h"

struct order {
    struct fc_block **v;
    size_t n;
};

/* Reverse post-order of the blocks reachable from @root: every jump
 * goes forward. */
static int topo(struct fc_state *st, struct fc_block *root, struct order *o)
{
    if (fc_postorder(st, root, &o->v, &o->n)) {
        free(o->v);
        return -ENOMEM;
    }
    for (size_t i = 0; i < o->n / 2; i++) {
        struct fc_block *t = o->v[i];

        o->v[i] = o->v[o->n - 1 - i];
        o->v[o->n - 1 - i] = t;
    }
    return 0;
}

static long stmt_count(const struct fc_block *b)
{
    long n = 0;

    for (const struct fc_stmt *s = b->stmts.head; s; s = s->next)
        n++;
    return n;
}

/*
 * Every jump goes forward, so laying blocks out from the last one back
 * decides each block's trampolines once: the distance from a jump to its
 * target depends only on blocks after it. @e holds, per block, how many
 * instructions remain from its start to the end of the program.
 */
static long layout(struct order *o)
{
    long end = 0;

    for (size_t i = o->n; i-- > 0;) {
        struct fc_block *b = o->v[i];
        long n = b->kind == FC_B_JUMP ? stmt_count(b) + 1 : 1;

        b->tramp_t = b->tramp_f = 0;
        /* both edges to the block laid out next: no jump at all */
        b->fall = b->kind == FC_B_JUMP && i + 1 < o->n &&
                  fc_skip_const(b->jt) == o->v[i + 1] &&
                  fc_skip_const(b->jf) == o->v[i + 1];
        n -= b->fall;
        if (b->kind == FC_B_JUMP &&
            fc_skip_const(b->jt) != fc_skip_const(b->jf)) {
            long et = fc_skip_const(b->jt)->len;
            long ef = fc_skip_const(b->jf)->len;

            /* offset = E(jump) - E(target) - 1, E(jump) = end + tramps + 1 */
            for (int k = 0; k < 3; k++) {
                long ej = end + b->tramp_t + b->tramp_f + 1;

                b->tramp_t |= ej - et - 1 > 255;
                b->tramp_f |= ej - ef - 1 > 255;
            }
            n += b->tramp_t + b->tramp_f;
        }
        end += n;
        b->len = end; /* E(b): instructions from b's start to the end */
    }
    for (size_t i = 0; i < o->n; i++)
        o->v[i]->pos = end - o->v[i]->len;
    return end;
}

static void put(struct pf_cbpf_insn *p, uint16_t code, uint8_t jt, uint8_t jf,
                uint32_t k)
{
    p->code = code;
    p->jt = jt;
    p->jf = jf;
    p->k = k;
}

/* Emits one block: statements, the jump, then its trampolines. */
static void emit_block(struct fc_state *st, struct fc_block *b,
                       struct pf_cbpf_insn *out)
{
    struct pf_cbpf_insn *p = out + b->pos;
    long j, tt, tf;

    if (b->kind != FC_B_JUMP) {
        put(p, PF_CBPF_RET | PF_CBPF_K, 0, 0,
            b->kind == FC_B_ACCEPT ? st->opts.snaplen : 0);
        return;
    }
    for (struct fc_stmt *s = b->stmts.head; s; s = s->next)
        put(p++, s->code, 0, 0, s->k);
    j = p - out;
    tt = j + 1;
    tf = j + 1 + b->tramp_t;
    if (b->tramp_t)
        put(&out[tt], PF_CBPF_JMP | PF_CBPF_JA, 0, 0,
            (uint32_t)(fc_skip_const(b->jt)->pos - (tt + 1)));
    if (b->tramp_f)
        put(&out[tf], PF_CBPF_JMP | PF_CBPF_JA, 0, 0,
            (uint32_t)(fc_skip_const(b->jf)->pos - (tf + 1)));
    if (b->fall)
        return;
    if (fc_skip_const(b->jt) == fc_skip_const(b->jf)) { /* both edges agree */
        put(p, PF_CBPF_JMP | PF_CBPF_JA, 0, 0,
            (uint32_t)(fc_skip_const(b->jt)->pos - (j + 1)));
        return;
    }
    put(p, b->jcode, 0, 0, b->jk);
    p->jt = (uint8_t)((b->tramp_t ? tt : fc_skip_const(b->jt)->pos) - (j + 1));
    p->jf = (uint8_t)((b->tramp_f ? tf : fc_skip_const(b->jf)->pos) - (j + 1));
}

/* Writes the graph rooted at @root as a malloc'd program in *@out
 * (trampolines for far jumps). Returns 0 or -ENOMEM. */
int fc_emit(struct fc_state *st, struct fc_block *root,
            struct pf_cbpf_prog *out)
{
    struct order o;
    long total;
    struct pf_cbpf_insn *insns;

    root = fc_skip_const(root);
    if (topo(st, root, &o))
        return -ENOMEM;
    total = layout(&o);
    insns = calloc((size_t)total, sizeof(*insns));
    if (!insns) {
        free(o.v);
        return -ENOMEM;
    }
    for (size_t i = 0; i < o.n; i++)
        emit_block(st, o.v[i], insns);
    free(o.v);
    out->insns = insns;
    out->len = (size_t)total;
    return 0;
}
