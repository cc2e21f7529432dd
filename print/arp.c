/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ARP and RARP (and Inverse ARP) in tcpdump's words: "Request who-has A
 * tell B", "Reply A is-at M", "Reverse Request who-is M tell M", with the
 * hardware/protocol header spelled out under -v or when it is not
 * Ethernet/IPv4. ATM ARP is left to tcpdump.
 */
#include "print_impl.h"

static const struct pr_tok arp_ops[] = {
    { 1, "Request" }, { 2, "Reply" }, { 3, "Reverse Request" },
    { 4, "Reverse Reply" }, { 8, "Inverse Request" },
    { 9, "Inverse Reply" }, { 10, "NACK Reply" }, { 0, NULL },
};

static const struct pr_tok arp_hrds[] = {
    { 1, "Ethernet" }, { 6, "TokenRing" }, { 7, "ArcNet" },
    { 15, "FrameRelay" }, { 19, "ATM" }, { 23, "Strip" },
    { 24, "IEEE 1394" }, { 32, "InfiniBand" }, { 0, NULL },
};

struct arp_hdr {
    const uint8_t *sha, *spa, *tha, *tpa;
    unsigned hln, pln, pro;
};

/* A protocol address: dotted quad for IPv4, or why not. */
static void out_paddr(struct pr_ctx *c, const struct arp_hdr *a,
                      const uint8_t *pa)
{
    if (a->pro != 0x0800 && a->pro != 0x1000)
        pr_out_str(c->out, "<wrong proto type>");
    else if (a->pln != 4)
        pr_out_str(c->out, "<wrong len>");
    else
        pr_out_host4(c, pa);
}

static void out_haddr(struct pr_ctx *c, const struct arp_hdr *a,
                      const uint8_t *ha)
{
    if (a->hln == 0)
        pr_out_str(c->out, "<empty>");
    else if (a->hln == 6)
        pr_out_mac(c->out, ha);
    else
        pr_out_linkaddr(c->out, ha, a->hln);
}

static int nonzero(const uint8_t *p, unsigned n)
{
    while (n--)
        if (*p++)
            return 1;
    return 0;
}

static void arp_op(struct pr_ctx *c, const struct arp_hdr *a, unsigned op)
{
    switch (op) {
    case 1:
        pr_out_str(c->out, "who-has ");
        out_paddr(c, a, a->tpa);
        if (nonzero(a->tha, a->hln)) {
            pr_out_str(c->out, " (");
            out_haddr(c, a, a->tha);
            pr_out_char(c->out, ')');
        }
        pr_out_str(c->out, " tell ");
        out_paddr(c, a, a->spa);
        break;
    case 2:
        out_paddr(c, a, a->spa);
        pr_out_str(c->out, " is-at ");
        out_haddr(c, a, a->sha);
        break;
    case 3:
        pr_out_str(c->out, "who-is ");
        out_haddr(c, a, a->tha);
        pr_out_str(c->out, " tell ");
        out_haddr(c, a, a->sha);
        break;
    case 4:
        out_haddr(c, a, a->tha);
        pr_out_str(c->out, " at ");
        out_paddr(c, a, a->tpa);
        break;
    case 8:
        pr_out_str(c->out, "who-is ");
        out_haddr(c, a, a->tha);
        pr_out_str(c->out, " tell ");
        out_paddr(c, a, a->spa);
        break;
    case 9:
        out_haddr(c, a, a->sha);
        pr_out_str(c->out, " at ");
        out_paddr(c, a, a->spa);
        break;
    }
}

int pr_arp(struct pr_ctx *c, const uint8_t *bp, unsigned len)
{
    struct arp_hdr a;
    unsigned hrd, op;

    c->proto = "arp";
    c->trunc_jmp = 1;
    PR_NEED(c, bp, 8);
    c->trunc_jmp = 0;
    hrd = pf_get_be16(bp);
    if (hrd == 19) {
        pr_unlisted(c);
        return 0;
    }
    a.pro = pf_get_be16(bp + 2);
    a.hln = bp[4];
    a.pln = bp[5];
    op = pf_get_be16(bp + 6);
    a.sha = bp + 8;
    a.spa = a.sha + a.hln;
    a.tha = a.spa + a.pln;
    a.tpa = a.tha + a.hln;
    if (!pr_have(c, a.tpa, a.pln)) {
        c->trunc_jmp = 1;
        return PR_TRUNC;
    }
    if (!c->o->ether)
        pr_out_str(c->out, "ARP, ");
    if ((a.pro != 0x0800 && a.pro != 0x1000) || a.pln != 4 || a.hln == 0 ||
        c->o->verbose) {
        pr_out_tok(c->out, arp_hrds, "Unknown Hardware (%u)", hrd);
        pr_out_fmt(c->out, " (len %u), ", a.hln);
        pr_out_tok(c->out, NULL == pr_ethertype_name(a.pro)
                               ? (const struct pr_tok[]){ { 0, NULL } }
                               : (const struct pr_tok[]){
                                     { a.pro, pr_ethertype_name(a.pro) },
                                     { 0, NULL } },
                   "Unknown Protocol (0x%04x)", a.pro);
        pr_out_fmt(c->out, " (len %u)", a.pln);
        if (!c->o->verbose)
            goto out;
    }
    pr_out_str(c->out, c->o->verbose ? ", " : "");
    pr_out_tok(c->out, arp_ops, "Unknown (%u)", op);
    pr_out_char(c->out, ' ');
    if (!pr_tok_find(arp_ops, op) || op == 10) {
        pr_out_hexdump(c->out, bp, (unsigned)(c->snapend - bp), 1);
        return 0;
    }
    arp_op(c, &a, op);
out:
    pr_out_fmt(c->out, ", length %u", len);
    return 0;
}
