/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * `protochain N`: follow the IPv4/IPv6 header chain (IPv6 hop-by-hop,
 * routing, fragment and destination-options headers, and AH) and test
 * whether protocol N appears. libpcap emits a loop with a backward `ja`
 * and walks without bound; the kernel refuses backward jumps, so pfcap
 * unrolls the walk.
 *
 * The bound: pfcap follows at most FC_CHAIN_MAX (= 100) headers after the
 * IPv4/IPv6 header. For a packet whose chain is at most that long the
 * verdict is libpcap's; after FC_CHAIN_MAX headers pfcap compares the
 * protocol it reached with N and stops (libpcap would keep walking, so it
 * may accept where pfcap rejects). Each step performs the loads of one
 * trip round libpcap's loop (including libpcap's AH length arithmetic,
 * X = (len + 2) * 4, which does not add the old offset), in an order
 * that reads the same bytes and so gives the same verdict. Code size per
 * header: 21 instructions for IPv6 (7 to skip an extension header, 6 to
 * skip AH, 6 shared tests, 2 compares with N), 8 for IPv4 (AH only),
 * plus the `ja` trampolines the emitter adds for jumps longer than 255;
 * measured on Ethernet: `ip6 protochain 17` 2462 instructions (24.5 per
 * header), `ip protochain 17` 1126 (11.2), `protochain 17` (both) 3587,
 * under the kernel's 4096 for one protochain; two protochains in one
 * expression exceed it (such a program runs in user space only; the
 * bound was 8 before, 270 instructions for IPv6). The corpus's longest
 * chain, which set the bound, is 100 IPv6 extension headers
 * (libpcap's ipv6_ext_headers.pcap).
 *
 * libpcap also turns its optimiser off for any expression that uses
 * protochain; the compiler does the same for "rejects all packets".
 */
#include <errno.h>

#include "filters/filters_impl.h"

#define FC_CHAIN_MAX PF_COMPILE_PROTOCHAIN_MAX
#define FC_IP6_NONEXT 59

struct chain {
    struct fc_state *st;
    int v6, reg;
    uint32_t v, base;
    struct fc_block *final;
};

/*
 * IPv6 extension header, libpcap's next = [x]; X += ([x+1] + 1) * 8;
 * A = next, with the length read first (same bytes, same verdict).
 */
static int ext_body(struct chain *c, struct fc_slist *l)
{
    struct fc_state *st = c->st;

    return fc_sadd(st, l, FC_LD(PF_CBPF_B, PF_CBPF_IND), c->base + 1) ||
           fc_sadd(st, l, PF_CBPF_ALU | PF_CBPF_ADD | PF_CBPF_K, 1) ||
           fc_sadd(st, l, PF_CBPF_ALU | PF_CBPF_MUL | PF_CBPF_K, 8) ||
           fc_sadd(st, l, PF_CBPF_ALU | PF_CBPF_ADD | PF_CBPF_X, 0) ||
           fc_sadd(st, l, PF_CBPF_ST, (uint32_t)c->reg) ||
           fc_sadd(st, l, FC_LD(PF_CBPF_B, PF_CBPF_IND), c->base) ||
           fc_sadd(st, l, PF_CBPF_LDX | PF_CBPF_MEM, (uint32_t)c->reg);
}

/* AH, as libpcap computes it: next = [x]; X = ([x+1] + 2) * 4; A = next. */
static int ah_body(struct chain *c, struct fc_slist *l)
{
    struct fc_state *st = c->st;

    return fc_sadd(st, l, FC_LD(PF_CBPF_B, PF_CBPF_IND), c->base + 1) ||
           fc_sadd(st, l, PF_CBPF_ALU | PF_CBPF_ADD | PF_CBPF_K, 2) ||
           fc_sadd(st, l, PF_CBPF_ALU | PF_CBPF_MUL | PF_CBPF_K, 4) ||
           fc_sadd(st, l, PF_CBPF_ST, (uint32_t)c->reg) ||
           fc_sadd(st, l, FC_LD(PF_CBPF_B, PF_CBPF_IND), c->base) ||
           fc_sadd(st, l, PF_CBPF_LDX | PF_CBPF_MEM, (uint32_t)c->reg);
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
 * The tests after A != v: A == 59? done : extension header? @next_ext :
 * AH? @next_ah : done. @next_ext / @next_ah are the entry blocks of the
 * following step (their statements advance the chain). Shared by the
 * entries of one step.
 */
static struct fc_block *tests(struct chain *c, struct fc_block *next_ext,
                              struct fc_block *next_ah)
{
    static const uint32_t exts[] = {0, 60, 43, 44};
    struct fc_block *b = test(c, 51, next_ah, c->final);

    for (int i = 3; c->v6 && i >= 0 && b; i--)
        b = test(c, exts[i], next_ext, b);
    return b ? test(c, FC_IP6_NONEXT, c->final, b) : NULL;
}

/* Wires @entry (NULL for IPv4 extension headers): A == v? done : @t. */
static void link_entry(struct chain *c, struct fc_block *entry,
                       struct fc_block *t)
{
    if (entry) {
        entry->jt = c->final;
        entry->jf = t;
    }
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
            fc_sadd(st, &l, PF_CBPF_LDX | PF_CBPF_IMM, 40))
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
    if (c.reg < 0 || fc_sadd(st, &fin, PF_CBPF_ALU | PF_CBPF_ADD | PF_CBPF_K, 0))
        return NULL;
    c.final = fc_block_new(st, &fin, PF_CBPF_JEQ, v);
    /* The step after the last one just compares what it reached. */
    ext = entry(&c, 0);
    ah = entry(&c, 1);
    if (!c.final || !ext || !ah)
        return NULL;
    ext->jt = ext->jf = ah->jt = ah->jf = c.final;
    for (int i = FC_CHAIN_MAX - 1; i > 0; i--) {
        struct fc_block *e = v6 ? entry(&c, 0) : NULL;
        struct fc_block *a = entry(&c, 1);
        struct fc_block *t = tests(&c, ext, ah);

        if (!a || !t || (v6 && !e))
            return NULL;
        link_entry(&c, e, t);
        link_entry(&c, a, t);
        ext = e;
        ah = a;
    }
    head = start(&c);
    if (!head || !(ext = tests(&c, ext, ah)))
        return NULL;
    link_entry(&c, head, ext);
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
