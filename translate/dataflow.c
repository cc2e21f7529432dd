/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Register data-flow analyses over the (forward-only) cBPF graph that let
 * the lowering drop work:
 *   - whether some path reads A or X before writing it (only then does the
 *     prologue zero the register);
 *   - "raw" A: the values of A are grouped into webs (all definitions that
 *     reach a common use are one web, joined at merge points). When every
 *     definition of a web is a 16-bit (or every one a 32-bit) packet load
 *     and every use is `jeq #k` or `jset #k`, the loads skip the byte swap
 *     and the compares use the byte-swapped constant instead: x == k iff
 *     swap(x) == swap(k), x & k iff swap(x) & swap(k). Any other use
 *     (arithmetic, jgt/jge, compares with X, st, tax, ret A) keeps the web
 *     in host order;
 *   - the largest value X may hold at each instruction (ldxb 4*([k]&0xf)
 *     gives at most 60), which lets the XDP target drop the overflow check
 *     of indirect loads.
 */
#include <errno.h>
#include <stdlib.h>

#include "translate_impl.h"

/* How an instruction uses A: none, by jeq/jset #k, any other way. */
enum a_use { USE_NONE, USE_CMP, USE_OTHER };

/* Values of A: node i < n is the value instruction i writes, node n the
 * prologue's, node n + 1 + s the merge ("phi") at instruction s of the
 * values its predecessors pass. A merge joins its inputs into one web only
 * when the merged value is used: at a merge into an instruction that
 * overwrites A, the incoming values are dead and stay apart. */
struct flow {
    size_t *web;    /* [2n + 1]: union-find parent */
    size_t *in;     /* [n]: value of A on entry (SIZE_MAX: not reached) */
    uint8_t *def;   /* [n]: bit 0 A, bit 1 X written on every path */
    uint8_t *bad;   /* [2n + 1]: per web root, cannot be raw */
    uint8_t *size;  /* [2n + 1]: per web root, 2 or 4 once a load is seen */
    uint8_t *live;  /* [2n + 1]: a phi whose value is used */
    size_t *from;   /* [2n]: merge inputs: phi node from[2k], input [2k+1] */
    size_t *next;   /* [n]: previous input of the same phi (SIZE_MAX) */
    size_t *head;   /* [n]: last input recorded for phi s */
    size_t nfrom;
};

static size_t find(size_t *web, size_t w)
{
    while (web[w] != w) {
        web[w] = web[web[w]];
        w = web[w];
    }
    return w;
}

static int is_xor_x(const struct tr_ctx *c, const struct pf_cbpf_insn *p)
{
    return c->target == PF_TRANSLATE_SOCKET &&
           p->code == (PF_CBPF_LD | PF_CBPF_W | PF_CBPF_ABS) &&
           p->k == (uint32_t)PF_CBPF_AD_OFF + PF_CBPF_AD_ALU_XOR_X;
}

static enum a_use a_use(const struct tr_ctx *c, const struct pf_cbpf_insn *p)
{
    uint16_t code = p->code;

    switch (PF_CBPF_CLASS(code)) {
    case PF_CBPF_ALU:
    case PF_CBPF_ST:
        return USE_OTHER;
    case PF_CBPF_RET:
        return PF_CBPF_RVAL(code) == PF_CBPF_A ? USE_OTHER : USE_NONE;
    case PF_CBPF_MISC:
        return PF_CBPF_MISCOP(code) == PF_CBPF_TAX ? USE_OTHER : USE_NONE;
    case PF_CBPF_JMP:
        if (PF_CBPF_OP(code) == PF_CBPF_JA)
            return USE_NONE;
        return PF_CBPF_SRC(code) == PF_CBPF_K &&
                       (PF_CBPF_OP(code) == PF_CBPF_JEQ ||
                        PF_CBPF_OP(code) == PF_CBPF_JSET)
                   ? USE_CMP : USE_OTHER;
    case PF_CBPF_LDX: /* the socket target saves A around ldxb msh */
        return c->target == PF_TRANSLATE_SOCKET &&
                       PF_CBPF_MODE(code) == PF_CBPF_MSH
                   ? USE_OTHER : USE_NONE;
    default:
        return is_xor_x(c, p) ? USE_OTHER : USE_NONE;
    }
}

static int x_used(const struct tr_ctx *c, const struct pf_cbpf_insn *p)
{
    uint16_t code = p->code;

    switch (PF_CBPF_CLASS(code)) {
    case PF_CBPF_ALU:
        return PF_CBPF_OP(code) != PF_CBPF_NEG &&
               PF_CBPF_SRC(code) == PF_CBPF_X;
    case PF_CBPF_JMP:
        return PF_CBPF_OP(code) != PF_CBPF_JA &&
               PF_CBPF_SRC(code) == PF_CBPF_X;
    case PF_CBPF_STX:
        return 1;
    case PF_CBPF_MISC:
        return PF_CBPF_MISCOP(code) != PF_CBPF_TAX;
    case PF_CBPF_LD:
        return PF_CBPF_MODE(code) == PF_CBPF_IND || is_xor_x(c, p);
    default:
        return 0;
    }
}

/* -1: @p does not write A; 0: writes a host-order value; 2 or 4: a packet
 * load of that size that may stay in network order. */
static int a_def(const struct tr_ctx *c, const struct pf_cbpf_insn *p)
{
    uint16_t code = p->code;

    if (PF_CBPF_CLASS(code) == PF_CBPF_ALU)
        return 0;
    if (PF_CBPF_CLASS(code) == PF_CBPF_MISC)
        return PF_CBPF_MISCOP(code) == PF_CBPF_TAX ? -1 : 0;
    if (PF_CBPF_CLASS(code) != PF_CBPF_LD)
        return -1;
    if (c->target == PF_TRANSLATE_SOCKET ||
        (PF_CBPF_MODE(code) != PF_CBPF_ABS &&
         PF_CBPF_MODE(code) != PF_CBPF_IND) ||
        PF_CBPF_SIZE(code) == PF_CBPF_B)
        return 0;
    return PF_CBPF_SIZE(code) == PF_CBPF_H ? 2 : 4;
}

static int x_def(const struct pf_cbpf_insn *p)
{
    return PF_CBPF_CLASS(p->code) == PF_CBPF_LDX ||
           p->code == (PF_CBPF_MISC | PF_CBPF_TAX);
}

/* The largest X after @p given @x before it. */
static uint32_t x_after(const struct pf_cbpf_insn *p, uint32_t x)
{
    if (PF_CBPF_CLASS(p->code) == PF_CBPF_LDX) {
        if (PF_CBPF_MODE(p->code) == PF_CBPF_IMM)
            return p->k;
        return PF_CBPF_MODE(p->code) == PF_CBPF_MSH ? 60 : UINT32_MAX;
    }
    return x_def(p) ? UINT32_MAX : x;
}

static void add_input(struct flow *f, size_t s, size_t phi, size_t w)
{
    f->from[2 * f->nfrom] = phi;
    f->from[2 * f->nfrom + 1] = w;
    f->next[f->nfrom] = f->head[s];
    f->head[s] = f->nfrom++;
}

/* Passes A's value @w, the defined bits @d and X's bound @x to @s. */
static void flow_to(struct tr_ctx *c, struct flow *f, size_t s, size_t w,
                    uint8_t d, uint32_t x)
{
    size_t phi = c->n + 1 + s;

    if (f->in[s] == SIZE_MAX) {
        f->in[s] = w;
        f->def[s] = d;
        c->xmax[s] = x;
        return;
    }
    f->def[s] &= d;
    if (c->xmax[s] < x)
        c->xmax[s] = x;
    if (f->in[s] == w)
        return;
    if (f->in[s] != phi) {
        add_input(f, s, phi, f->in[s]);
        f->in[s] = phi;
    }
    add_input(f, s, phi, w);
}

static int lowered(const struct tr_ctx *c, size_t i)
{
    return !(c->need[i] == TR_INF && PF_CBPF_CLASS(c->in[i].code) !=
                                         PF_CBPF_RET);
}

/* One reachable instruction: notes reads of undefined registers, then
 * hands its outputs to its successors. */
static void flow_insn(struct tr_ctx *c, struct flow *f, size_t i)
{
    const struct pf_cbpf_insn *p = &c->in[i];
    int low = lowered(c, i);
    size_t succ[2], w = f->in[i];
    uint8_t d = f->def[i];
    int ns = tr_successors(c, i, succ);

    if (low && a_use(c, p) != USE_NONE && !(d & 1))
        c->init_a = 1;
    if (low && x_used(c, p) && !(d & 2))
        c->init_x = 1;
    if (low && a_def(c, p) >= 0) {
        w = i;
        d |= 1;
    }
    if (low && x_def(p))
        d |= 2;
    for (int s = 0; s < ns; s++)
        flow_to(c, f, succ[s], w, d, x_after(p, c->xmax[i]));
}

/* Joins the inputs of every phi whose value some instruction uses (a phi
 * feeding a used phi is used; inputs come from earlier instructions). */
static void join_live_phis(struct tr_ctx *c, struct flow *f)
{
    for (size_t i = 0; i < c->n; i++)
        if (f->in[i] != SIZE_MAX && lowered(c, i) &&
            a_use(c, &c->in[i]) != USE_NONE)
            f->live[f->in[i]] = 1;
    for (size_t s = c->n; s-- > 0;) {
        size_t phi = c->n + 1 + s;

        if (!f->live[phi])
            continue;
        for (size_t e = f->head[s]; e != SIZE_MAX; e = f->next[e]) {
            size_t a = find(f->web, phi), b = find(f->web, f->from[2 * e + 1]);

            f->live[f->from[2 * e + 1]] = 1;
            if (a != b)
                f->web[b] = a;
        }
    }
}

/* Marks the webs that cannot be raw, then which loads and compares are. */
static void settle_webs(struct tr_ctx *c, struct flow *f)
{
    join_live_phis(c, f);
    f->bad[find(f->web, c->n)] = 1;
    for (size_t i = 0; i < c->n; i++) {
        const struct pf_cbpf_insn *p = &c->in[i];
        int size = a_def(c, p);
        size_t r;

        if (f->in[i] == SIZE_MAX || !lowered(c, i))
            continue;
        if (a_use(c, p) == USE_OTHER)
            f->bad[find(f->web, f->in[i])] = 1;
        if (size < 0)
            continue;
        r = find(f->web, i);
        if (size == 0 || (f->size[r] && f->size[r] != size))
            f->bad[r] = 1;
        f->size[r] = (uint8_t)size;
    }
    for (size_t i = 0; i < c->n; i++) {
        const struct pf_cbpf_insn *p = &c->in[i];
        size_t r;

        if (f->in[i] == SIZE_MAX || !lowered(c, i))
            continue;
        if (a_def(c, p) > 0 && !f->bad[find(f->web, i)])
            c->raw[i] = (uint8_t)a_def(c, p);
        r = find(f->web, f->in[i]);
        if (a_use(c, p) == USE_CMP && !f->bad[r])
            c->raw[i] = f->size[r];
    }
}

static void flow_free(struct flow *f)
{
    free(f->web);
    free(f->in);
    free(f->def);
    free(f->bad);
    free(f->size);
    free(f->live);
    free(f->from);
    free(f->next);
    free(f->head);
}

/* Fills init_a, init_x, raw[] and xmax[]; needs need[] and reach[]. */
void tr_analyze_regs(struct tr_ctx *c)
{
    size_t nodes = 2 * c->n + 1;
    struct flow f = {
        .web = malloc(nodes * sizeof(size_t)),
        .in = malloc(c->n * sizeof(size_t)),
        .def = calloc(c->n, 1),
        .bad = calloc(nodes, 1),
        .size = calloc(nodes, 1),
        .live = calloc(nodes, 1),
        .from = malloc(4 * c->n * sizeof(size_t)),
        .next = malloc(2 * c->n * sizeof(size_t)),
        .head = malloc(c->n * sizeof(size_t)),
    };

    if (!f.web || !f.in || !f.def || !f.bad || !f.size || !f.live ||
        !f.from || !f.next || !f.head) {
        flow_free(&f);
        tr_refuse(c, -ENOMEM, PF_TRANSLATE_ERR_NOMEM, 0);
        return;
    }
    for (size_t i = 0; i < nodes; i++)
        f.web[i] = i;
    for (size_t i = 0; i < c->n; i++)
        f.in[i] = f.head[i] = SIZE_MAX;
    f.in[0] = c->n;
    c->xmax[0] = 0;
    for (size_t i = 0; i < c->n; i++)
        if (f.in[i] != SIZE_MAX)
            flow_insn(c, &f, i);
    settle_webs(c, &f);
    flow_free(&f);
}
