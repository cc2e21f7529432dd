/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * `protochain N`: follow the IPv4/IPv6 header chain (IPv6 hop-by-hop,
 * routing, fragment and destination-options headers, and AH) and test
 * whether protocol N appears. libpcap emits a loop with a backward `ja`;
 * the kernel refuses backward jumps, so pfcap unrolls the same steps
 * FC_CHAIN_MAX times. Each step performs the same loads as one trip
 * round libpcap's loop (including its AH length arithmetic), so verdicts
 * are identical for chains of up to FC_CHAIN_MAX extension headers;
 * after that many, the protocol reached is compared with N (libpcap
 * would keep walking).
 *
 * libpcap also turns its optimiser off for any expression that uses
 * protochain; the compiler does the same for "rejects all packets".
 */
#include <errno.h>

#include "filters/filters_impl.h"

#define FC_CHAIN_MAX 8
#define FC_IP6_NONEXT 59

struct chain {
    struct fc_state *st;
    int v6, reg;
    uint32_t v, base;
    struct fc_block *final;
};

static int app(struct fc_state *st, struct fc_slist *l, uint16_t code,
               uint32_t k)
{
    struct fc_stmt *s = fc_stmt_new(st, code, k);

    if (!s)
        return -ENOMEM;
    fc_sappend(l, s);
    return 0;
}

/* IPv6 extension header: next = [x]; X += ([x+1] + 1) * 8; A = next. */
static int ext_body(struct chain *c, struct fc_slist *l)
{
    struct fc_state *st = c->st;

    return app(st, l, FC_LD(PF_CBPF_B, PF_CBPF_IND), c->base) ||
           app(st, l, PF_CBPF_ST, (uint32_t)c->reg) ||
           app(st, l, FC_LD(PF_CBPF_B, PF_CBPF_IND), c->base + 1) ||
           app(st, l, PF_CBPF_ALU | PF_CBPF_ADD | PF_CBPF_K, 1) ||
           app(st, l, PF_CBPF_ALU | PF_CBPF_MUL | PF_CBPF_K, 8) ||
           app(st, l, PF_CBPF_ALU | PF_CBPF_ADD | PF_CBPF_X, 0) ||
           app(st, l, PF_CBPF_MISC | PF_CBPF_TAX, 0) ||
           app(st, l, PF_CBPF_LD | PF_CBPF_MEM, (uint32_t)c->reg);
}

/* AH, as libpcap computes it: next = [x]; X = ([x+1] + 2) * 4; A = next. */
static int ah_body(struct chain *c, struct fc_slist *l)
{
    struct fc_state *st = c->st;

    return app(st, l, PF_CBPF_MISC | PF_CBPF_TXA, 0) ||
           app(st, l, FC_LD(PF_CBPF_B, PF_CBPF_IND), c->base) ||
           app(st, l, PF_CBPF_ST, (uint32_t)c->reg) ||
           app(st, l, PF_CBPF_MISC | PF_CBPF_TXA, 0) ||
           app(st, l, PF_CBPF_ALU | PF_CBPF_ADD | PF_CBPF_K, 1) ||
           app(st, l, PF_CBPF_MISC | PF_CBPF_TAX, 0) ||
           app(st, l, FC_LD(PF_CBPF_B, PF_CBPF_IND), c->base) ||
           app(st, l, PF_CBPF_ALU | PF_CBPF_ADD | PF_CBPF_K, 2) ||
           app(st, l, PF_CBPF_ALU | PF_CBPF_MUL | PF_CBPF_K, 4) ||
           app(st, l, PF_CBPF_MISC | PF_CBPF_TAX, 0) ||
           app(st, l, PF_CBPF_LD | PF_CBPF_MEM, (uint32_t)c->reg);
}

/* `jeq #k` with no statements; A flows in from the previous block. */
static struct fc_block *test(struct chain *c, uint32_t k, struct fc_block *t,
                             struct fc_block *f)
{
    struct fc_block *b = fc_block_new(c->st, NULL, PF_CBPF_JEQ, k);

    if (b) {
        b->jt = t;
        b->jf = f;
    }
    return b;
}

/*
 * One step: (entry) A == v? done : A == 59? done : extension header?
 * next step : AH? next step : done. @next_ext / @next_ah are the entry
 * blocks of the following step (their statements advance the chain).
 */
static struct fc_block *step(struct chain *c, struct fc_block *entry,
                             struct fc_block *next_ext,
                             struct fc_block *next_ah)
{
    static const uint32_t exts[] = {0, 60, 43, 44};
    struct fc_block *b = test(c, 51, next_ah, c->final);

    for (int i = 3; c->v6 && i >= 0 && b; i--)
        b = test(c, exts[i], next_ext, b);
    b = b ? test(c, FC_IP6_NONEXT, c->final, b) : NULL;
    if (!b || !entry)
        return NULL;
    entry->jt = c->final;
    entry->jf = b;
    return entry;
}

/* An entry block: the body that advanced the chain, then A == v. */
static struct fc_block *entry(struct chain *c, int ah)
{
    struct fc_slist l = {0};

    if (ah ? ah_body(c, &l) : ext_body(c, &l))
        return NULL;
    return fc_block_new(c->st, &l, PF_CBPF_JEQ, c->v);
}

static struct fc_block *start(struct chain *c)
{
    struct fc_slist l = {0};
    struct fc_state *st = c->st;

    if (c->v6) {
        if (fc_load_a(st, FC_OR_LINKPL, 6, PF_CBPF_B, &l) ||
            app(st, &l, PF_CBPF_LDX | PF_CBPF_IMM, 40))
            return NULL;
    } else if (fc_load_a(st, FC_OR_LINKPL, 9, PF_CBPF_B, &l) ||
               fc_loadx_iphdrlen(st, &l)) {
        return NULL;
    }
    return fc_block_new(st, &l, PF_CBPF_JEQ, c->v);
}

static struct fc_frag *chain_ip(struct fc_state *st, uint32_t v, int v6)
{
    struct chain c = {st, v6, -1, v,
                      st->off_linkpl.constant_part + st->off_nl, NULL};
    struct fc_slist fin = {0};
    struct fc_block *ext, *ah, *head;

    c.reg = fc_reg_alloc(st);
    if (c.reg < 0 || app(st, &fin, PF_CBPF_ALU | PF_CBPF_ADD | PF_CBPF_K, 0))
        return NULL;
    c.final = fc_block_new(st, &fin, PF_CBPF_JEQ, v);
    /* The step after the last one just compares what it reached. */
    ext = entry(&c, 0);
    ah = entry(&c, 1);
    if (!c.final || !ext || !ah)
        return NULL;
    ext->jt = ext->jf = ah->jt = ah->jf = c.final;
    for (int i = FC_CHAIN_MAX - 1; i > 0; i--) {
        struct fc_block *e = v6 ? step(&c, entry(&c, 0), ext, ah) : NULL;
        struct fc_block *a = step(&c, entry(&c, 1), ext, ah);

        if (!a || (v6 && !e))
            return NULL;
        ext = e;
        ah = a;
    }
    head = step(&c, start(&c), ext, ah);
    fc_reg_free(st, c.reg);
    return fc_and(fc_linktype(st, v6 ? FC_ETHERTYPE_IPV6 : FC_ETHERTYPE_IP),
                  fc_frag_wrap(st, head, c.final));
}

/* `[ip|ip6] protochain v` (@proto DEFAULT: both); NULL on error. */
struct fc_frag *fc_protochain(struct fc_state *st, uint32_t v, int proto)
{
    if (proto == FC_P_DEFAULT)
        return fc_or(fc_protochain(st, v, FC_P_IP),
                     fc_protochain(st, v, FC_P_IPV6));
    if (proto != FC_P_IP && proto != FC_P_IPV6) {
        fc_error(st, PF_COMPILE_QUALIFIER,
                 "bad protocol applied for 'protochain'");
        return NULL;
    }
    if (st->off_linkpl.is_variable) {
        fc_error(st, PF_COMPILE_LINKTYPE, "'protochain' not supported with "
                 "variable length headers");
        return NULL;
    }
    st->no_optimize = 1;
    return chain_ip(st, v, proto == FC_P_IPV6);
}
