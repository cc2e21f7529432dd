/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Arithmetic and relations: `proto[expr:size]`, `len`, constants, the
 * binary operators and unary minus, compared with = != < <= > >=. Values
 * live in scratch registers exactly as in libpcap's unoptimised code
 * (each intermediate is stored to M[r] and reloaded), so every packet
 * load, division and the protocol checks guarding them happen in the
 * same order; every register is written before it is read.
 *
 * Two libpcap behaviours are kept on purpose: the "division by zero" and
 * "shift by more than 31 bits" checks look at the first statement of the
 * right operand (so `x / ip[0]` is refused, as libpcap refuses it), and
 * the protocol checks of a binary operator's right operand are dropped
 * (`tcp[0] + udp[0]` only checks for TCP).
 */
#include <errno.h>

#include "filters/filters_impl.h"

/* A value under construction: its code, its register, its guards. */
struct arth {
    struct fc_slist s;
    int reg;
    struct fc_frag *b;
};

static int gen_arth(struct fc_state *st, struct fc_arth *a, struct arth *out);

/* ld #k (or ld len); st M[r] */
static int gen_leaf(struct fc_state *st, uint16_t code, uint32_t k,
                    struct arth *out)
{
    out->reg = fc_reg_alloc(st);
    if (out->reg < 0)
        return -EINVAL;
    if (fc_sadd(st, &out->s, code, k) ||
        fc_sadd(st, &out->s, PF_CBPF_ST, (uint32_t)out->reg))
        return -ENOMEM;
    return 0;
}

static int is_net_proto(int p)
{
    return p == FC_P_IP || p == FC_P_ARP || p == FC_P_RARP ||
           p == FC_P_ATALK || p == FC_P_DECNET || p == FC_P_SCA ||
           p == FC_P_LAT || p == FC_P_MOPRC || p == FC_P_MOPDL ||
           p == FC_P_IPV6;
}

static int is_tran_proto(int p)
{
    return p == FC_P_SCTP || p == FC_P_TCP || p == FC_P_UDP ||
           p == FC_P_ICMP || p == FC_P_IGMP || p == FC_P_IGRP ||
           p == FC_P_PIM || p == FC_P_VRRP || p == FC_P_CARP;
}

/* Adds guard @b after the index's own guards. */
static int guard(struct arth *in, struct fc_frag *b)
{
    if (!b)
        return -EINVAL;
    in->b = in->b ? fc_and(in->b, b) : b;
    return in->b ? 0 : -EINVAL;
}

/* X = index, then ld{b,h,} [x + base]. */
static int load_x_index(struct fc_state *st, struct arth *in,
                        struct fc_off *o, uint32_t extra, uint16_t ld)
{
    if (o->is_variable) {
        if (fc_off_reg(st, o) < 0)
            return -EINVAL;
        if (fc_sadd(st, &in->s, PF_CBPF_LDX | PF_CBPF_MEM, (uint32_t)o->reg) ||
            fc_sadd(st, &in->s, PF_CBPF_LD | PF_CBPF_MEM, (uint32_t)in->reg) ||
            fc_sadd(st, &in->s, PF_CBPF_ALU | PF_CBPF_ADD | PF_CBPF_X, 0) ||
            fc_sadd(st, &in->s, PF_CBPF_MISC | PF_CBPF_TAX, 0))
            return -ENOMEM;
    } else if (fc_sadd(st, &in->s, PF_CBPF_LDX | PF_CBPF_MEM, (uint32_t)in->reg)) {
        return -ENOMEM;
    }
    return fc_sadd(st, &in->s, ld, o->constant_part + extra);
}

static int load_transport(struct fc_state *st, int proto, struct arth *in,
                          uint16_t ld)
{
    struct fc_frag *b;

    if (fc_loadx_iphdrlen(st, &in->s) ||
        fc_sadd(st, &in->s, PF_CBPF_LD | PF_CBPF_MEM, (uint32_t)in->reg) ||
        fc_sadd(st, &in->s, PF_CBPF_ALU | PF_CBPF_ADD | PF_CBPF_X, 0) ||
        fc_sadd(st, &in->s, PF_CBPF_MISC | PF_CBPF_TAX, 0) ||
        fc_sadd(st, &in->s, ld, st->off_linkpl.constant_part + st->off_nl))
        return -ENOMEM;
    b = fc_and(fc_proto_abbrev(st, proto), fc_ipfrag(st));
    if (!b)
        return -EINVAL;
    /* libpcap: b = tcp and not-frag; index guards first; ip before all */
    b = in->b ? fc_and(in->b, b) : b;
    in->b = fc_and(fc_proto_abbrev(st, FC_P_IP), b);
    return in->b ? 0 : -EINVAL;
}

static int gen_load(struct fc_state *st, struct fc_arth *a, struct arth *out)
{
    uint16_t ld;
    int reg;

    if (a->k != 1 && a->k != 2 && a->k != 4)
        return fc_error_at(st, PF_COMPILE_VALUE, a->col, a->end_col,
                           "data size must be 1, 2, or 4");
    ld = FC_LD(a->k == 1 ? PF_CBPF_B : a->k == 2 ? PF_CBPF_H : PF_CBPF_W,
               PF_CBPF_IND);
    if (gen_arth(st, a->l, out))
        return -EINVAL;
    st->col = a->col;
    st->end_col = a->end_col;
    reg = fc_reg_alloc(st);
    if (reg < 0)
        return -EINVAL;
    fc_reg_free(st, out->reg);
    if (a->proto == FC_P_LINK) {
        if (load_x_index(st, out, &st->off_linkhdr, 0, ld))
            return -ENOMEM;
    } else if (is_net_proto(a->proto)) {
        if (load_x_index(st, out, &st->off_linkpl, st->off_nl, ld) ||
            guard(out, fc_proto_abbrev(st, a->proto)))
            return -EINVAL;
    } else if (is_tran_proto(a->proto)) {
        if (load_transport(st, a->proto, out, ld))
            return -EINVAL;
    } else if (a->proto == FC_P_ICMPV6) {
        if (guard(out, fc_proto_abbrev(st, FC_P_IPV6)) ||
            guard(out, fc_cmp(st, FC_OR_LINKPL, 6, PF_CBPF_B, 58)) ||
            load_x_index(st, out, &st->off_linkpl, st->off_nl + 40, ld))
            return -EINVAL;
    } else if (a->proto == FC_P_RADIO) {
        if (st->opts.linktype != 127)
            return fc_error_at(st, PF_COMPILE_LINKTYPE, a->col, a->end_col,
                               "radio information not present in capture");
        if (fc_sadd(st, &out->s, PF_CBPF_LDX | PF_CBPF_MEM, (uint32_t)out->reg) ||
            fc_sadd(st, &out->s, ld, 0))
            return -ENOMEM;
    } else {
        return fc_error_at(st, PF_COMPILE_QUALIFIER, a->col, a->end_col,
                           "unsupported index operation");
    }
    out->reg = reg;
    return fc_sadd(st, &out->s, PF_CBPF_ST, (uint32_t)reg);
}

/* libpcap's check on the first statement of the right operand. */
static int check_rhs(struct fc_state *st, struct fc_arth *a, struct arth *r)
{
    struct fc_stmt *f = r->s.head;
    int imm = f && f->code == (PF_CBPF_LD | PF_CBPF_IMM);

    if (a->k == PF_CBPF_DIV && imm && f->k == 0)
        return fc_error_at(st, PF_COMPILE_VALUE, a->col, a->end_col,
                           "division by zero");
    if (a->k == PF_CBPF_MOD && imm && f->k == 0)
        return fc_error_at(st, PF_COMPILE_VALUE, a->col, a->end_col,
                           "modulus by zero");
    if ((a->k == PF_CBPF_LSH || a->k == PF_CBPF_RSH) && imm && f->k > 31)
        return fc_error_at(st, PF_COMPILE_VALUE, a->col, a->end_col,
                           "shift by more than 31 bits");
    return 0;
}

static int gen_binary(struct fc_state *st, struct fc_arth *a,
                      struct arth *out)
{
    struct arth r = {{0}, -1, NULL};

    if (gen_arth(st, a->l, out) || gen_arth(st, a->r, &r) ||
        check_rhs(st, a, &r))
        return -EINVAL;
    if (fc_sadd(st, &r.s, PF_CBPF_LDX | PF_CBPF_MEM, (uint32_t)r.reg) ||
        fc_sadd(st, &r.s, PF_CBPF_LD | PF_CBPF_MEM, (uint32_t)out->reg) ||
        fc_sadd(st, &r.s, (uint16_t)(PF_CBPF_ALU | PF_CBPF_X | a->k), 0))
        return -ENOMEM;
    fc_scat(&out->s, &r.s);
    fc_reg_free(st, out->reg);
    fc_reg_free(st, r.reg);
    out->reg = fc_reg_alloc(st);
    if (out->reg < 0)
        return -EINVAL;
    return fc_sadd(st, &out->s, PF_CBPF_ST, (uint32_t)out->reg);
}

static int gen_arth(struct fc_state *st, struct fc_arth *a, struct arth *out)
{
    st->col = a->col;
    st->end_col = a->end_col;
    switch (a->kind) {
    case FC_AR_NUM:
        return gen_leaf(st, PF_CBPF_LD | PF_CBPF_IMM, a->k, out);
    case FC_AR_LEN:
        return gen_leaf(st, PF_CBPF_LD | PF_CBPF_W | PF_CBPF_LEN, 0, out);
    case FC_AR_LOAD:
        return gen_load(st, a, out);
    case FC_AR_NEG:
        if (gen_arth(st, a->l, out) ||
            fc_sadd(st, &out->s, PF_CBPF_LD | PF_CBPF_MEM, (uint32_t)out->reg) ||
            fc_sadd(st, &out->s, PF_CBPF_ALU | PF_CBPF_NEG, 0) ||
            fc_sadd(st, &out->s, PF_CBPF_ST, (uint32_t)out->reg))
            return -EINVAL;
        return 0;
    default:
        return gen_binary(st, a, out);
    }
}

/* `arth relop arth` with libpcap's register discipline; NULL on error. */
struct fc_frag *fc_gen_rel(struct fc_state *st, struct fc_node *n)
{
    struct arth a0 = {{0}, -1, NULL}, a1 = {{0}, -1, NULL};
    struct fc_frag *b, *g;

    if (gen_arth(st, n->a0, &a0) || gen_arth(st, n->a1, &a1))
        return NULL;
    if (fc_sadd(st, &a1.s, PF_CBPF_LDX | PF_CBPF_MEM, (uint32_t)a1.reg) ||
        fc_sadd(st, &a1.s, PF_CBPF_LD | PF_CBPF_MEM, (uint32_t)a0.reg))
        return NULL;
    if (n->relop == PF_CBPF_JEQ &&
        fc_sadd(st, &a1.s, PF_CBPF_ALU | PF_CBPF_SUB | PF_CBPF_X, 0))
        return NULL;
    fc_scat(&a0.s, &a1.s);
    b = n->relop == PF_CBPF_JEQ
            ? fc_jump(st, &a0.s, PF_CBPF_JEQ, 0)
            : fc_jump(st, &a0.s, (uint16_t)(n->relop | PF_CBPF_X), 0);
    if (n->reversed)
        b = fc_not(b);
    fc_reg_free(st, a0.reg);
    fc_reg_free(st, a1.reg);
    g = a0.b ? (a1.b ? fc_and(a0.b, a1.b) : a0.b) : a1.b;
    return g ? fc_and(g, b) : b;
}
