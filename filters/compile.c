/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * pf_filter_compile: the driver. Text is lexed and parsed into an AST,
 * the AST is walked left to right into a control-flow graph, the graph
 * is checked for "rejects every packet" when optimising (libpcap refuses
 * such expressions), and linearised. Programs that fit the kernel's
 * limit are checked against the kernel validation rules before return.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "filters/filters_impl.h"

static struct fc_frag *gen_tree(struct fc_state *st, struct fc_node *n);

/* A primitive, or `not` of a sub-tree. */
static struct fc_frag *gen_leaf(struct fc_state *st, struct fc_node *n)
{
    if (n->kind == FC_N_NOT)
        return fc_not(gen_tree(st, n->l));
    st->col = n->col;
    st->end_col = n->end_col;
    switch (n->kind) {
    case FC_N_ID: return fc_gen_id(st, n);
    case FC_N_PNAME: return fc_proto_abbrev(st, n->sub);
    case FC_N_REL: return fc_gen_rel(st, n);
    default: return fc_gen_other(st, n);
    }
}

/*
 * and/or chains group to the left, so a long expression is a deep left
 * spine: walk it iteratively, left to right (the order libpcap generates
 * code in, which matters because `vlan`, `mpls` and `pppoes` change the
 * layout for everything after them). Right operands recurse, and their
 * depth is bounded by the parser's nesting limit. When optimising, runs
 * of or-ed host terms become one set test (gen_set.c).
 */
static struct fc_frag *gen_tree(struct fc_state *st, struct fc_node *root)
{
    size_t depth = 0, i, len;
    struct fc_node **elem, *n;
    struct fc_frag *acc = NULL;
    int *is_or;

    for (n = root; n->kind == FC_N_AND || n->kind == FC_N_OR; n = n->l)
        depth++;
    if (!depth)
        return gen_leaf(st, root);
    elem = pf_arena_alloc(&st->arena, (depth + 1) * sizeof(*elem));
    is_or = pf_arena_alloc(&st->arena, (depth + 1) * sizeof(*is_or));
    if (!elem || !is_or)
        return NULL;
    for (n = root, i = depth; n->kind == FC_N_AND || n->kind == FC_N_OR;
         n = n->l, i--) {
        elem[i] = n->r;
        is_or[i] = n->kind == FC_N_OR;
    }
    elem[0] = n;
    for (i = 0; i <= depth && (acc || !i); i += len ? len : 1) {
        struct fc_frag *r;

        len = st->opts.optimize ? fc_set_run(st, elem, is_or, i, depth + 1)
                                : 0;
        r = len ? fc_set_gen(st, elem + i, len) : gen_tree(st, elem[i]);
        acc = !i ? r : is_or[i] ? fc_or(acc, r) : fc_and(acc, r);
    }
    return acc;
}

static int setup(struct fc_state *st, const char *expr,
                 const struct pf_compile_opts *opts, struct pf_error *err)
{
    memset(st, 0, sizeof(*st));
    pf_arena_init(&st->arena, 64 * 1024);
    st->err = err;
    st->src = expr;
    st->opts.linktype = 1;
    st->opts.optimize = 1;
    if (opts) {
        size_t n = opts->sz && opts->sz < sizeof(*opts) ? opts->sz
                                                        : sizeof(*opts);

        memcpy(&st->opts, opts, n);
    }
    if (!st->opts.snaplen)
        st->opts.snaplen = 262144;
    return fc_link_init(st);
}

/* Variable link-layer offsets are computed once, before everything. */
static int add_prologue(struct fc_state *st, struct fc_frag *f)
{
    struct fc_slist l = {0};
    struct fc_block *b;

    if (st->opts.linktype == 105 || st->opts.linktype == 127) {
        f->head = fc_wlan_prologue(st, f->head);
        if (!f->head)
            return -ENOMEM;
    }
    if (fc_link_prologue(st, &l))
        return -ENOMEM;
    if (!l.head)
        return 0;
    b = fc_block_new(st, &l, PF_CBPF_JEQ, 0);
    if (!b)
        return -ENOMEM;
    b->jt = b->jf = f->head;
    f->head = b;
    return 0;
}

static int compile(struct fc_state *st, const char *expr,
                   struct pf_cbpf_prog *out)
{
    struct fc_token *toks;
    struct fc_node *root;
    struct fc_frag *f;
    size_t n;
    int r;

    if ((r = fc_lex(st, expr, &toks, &n)) || (r = fc_parse(st, toks, n, &root)))
        return r;
    if (!root) { /* empty: accept everything, as `ret #snaplen` alone */
        out->insns = calloc(1, sizeof(*out->insns));
        if (!out->insns)
            return -ENOMEM;
        out->insns[0] = (struct pf_cbpf_insn){PF_CBPF_RET | PF_CBPF_K, 0, 0,
                                              st->opts.snaplen};
        out->len = 1;
        return 0;
    }
    f = gen_tree(st, root);
    if (!f)
        return st->err->err ? st->err->err : -ENOMEM;
    if ((r = fc_finish(st, f)) || (r = add_prologue(st, f)))
        return r;
    if (st->opts.optimize && !st->no_optimize && root &&
        fc_rejects_all(st, f->head))
        return fc_error_at(st, PF_COMPILE_EMPTY, 1, (int)strlen(expr) + 1,
                           "expression rejects all packets");
    if (st->opts.optimize && (r = fc_optimize(st, &f->head)))
        return pf_error_set(st->err, r, PF_STAGE_EXPR, PF_COMPILE_LIMIT,
                            "out of memory");
    if ((r = fc_emit(st, f->head, out)))
        return pf_error_set(st->err, r, PF_STAGE_EXPR, PF_COMPILE_LIMIT,
                            "out of memory");
    return 0;
}

/*
 * libpcap can emit reads of M[k] on paths that never wrote it (geneve
 * after `or`, variable offsets under geneve); the kernel refuses such
 * programs and libpcap's verdicts are stack garbage. pfcap starts those
 * programs with `ld #0; st M[k]` for every register they read, so each
 * path reads defined values (and A is 0 at the start anyway).
 */
static int zero_uninit(struct fc_state *st, struct pf_cbpf_prog *p)
{
    struct pf_error e;
    unsigned used = 0, n = 0;
    struct pf_cbpf_insn *v;

    pf_error_init(&e);
    if (!pf_cbpf_validate(p->insns, p->len, PF_CBPF_PROFILE_KERNEL, &e) ||
        (e.code != PF_CBPF_RULE_MEM_UNINIT &&
         p->len <= PF_CBPF_KERNEL_MAXINSNS))
        return 0;
    for (size_t i = 0; i < p->len; i++) {
        uint16_t c = p->insns[i].code;

        if ((c == (PF_CBPF_LD | PF_CBPF_MEM) ||
             c == (PF_CBPF_LDX | PF_CBPF_MEM)) && p->insns[i].k < 16)
            used |= 1u << p->insns[i].k;
    }
    v = calloc(p->len + 17, sizeof(*v));
    if (!v)
        return pf_error_set(st->err, -ENOMEM, PF_STAGE_EXPR,
                            PF_COMPILE_LIMIT, "out of memory");
    v[n++] = (struct pf_cbpf_insn){PF_CBPF_LD | PF_CBPF_IMM, 0, 0, 0};
    for (uint32_t k = 0; k < 16; k++)
        if (used & 1u << k)
            v[n++] = (struct pf_cbpf_insn){PF_CBPF_ST, 0, 0, k};
    memcpy(v + n, p->insns, p->len * sizeof(*v));
    free(p->insns);
    p->insns = v;
    p->len += n;
    return 0;
}

/* Safety net: what we emit must pass the kernel's rules. */
static int check(struct fc_state *st, struct pf_cbpf_prog *p)
{
    struct pf_error e;

    if (p->len > PF_CBPF_KERNEL_MAXINSNS)
        return 0;
    pf_error_init(&e);
    if (!pf_cbpf_validate(p->insns, p->len, PF_CBPF_PROFILE_KERNEL, &e))
        return 0;
    free(p->insns);
    p->insns = NULL;
    return pf_error_set(st->err, -EFAULT, PF_STAGE_EXPR, PF_COMPILE_LIMIT,
                        "internal error: generated program is invalid at "
                        "instruction %ld: %s", e.insn, e.msg);
}

/* See include/pfcap/compile.h. */
int pf_filter_compile(const char *expr, const struct pf_compile_opts *opts,
                      struct pf_cbpf_prog *out, struct pf_error *err)
{
    struct pf_error local;
    struct fc_state *st;
    struct pf_cbpf_prog prog = {0};
    int r;

    if (!err) {
        pf_error_init(&local);
        err = &local;
    }
    if (!expr || !out)
        return pf_error_set(err, -EINVAL, PF_STAGE_EXPR, PF_COMPILE_SYNTAX,
                            "no expression or output given");
    st = malloc(sizeof(*st));
    if (!st)
        return pf_error_set(err, -ENOMEM, PF_STAGE_EXPR, PF_COMPILE_LIMIT,
                            "out of memory");
    r = setup(st, expr, opts, err);
    if (!r)
        r = compile(st, expr, &prog);
    if (!r)
        r = zero_uninit(st, &prog);
    if (!r)
        r = check(st, &prog);
    pf_arena_free(&st->arena);
    free(st);
    if (!r)
        *out = prog;
    return r;
}
