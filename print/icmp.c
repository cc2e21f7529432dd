/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ICMP for IPv4: echo, unreachable (with the quoted datagram's address,
 * protocol and port), redirect, time exceeded, parameter problem, source
 * quench, mask and timestamp queries; checksum and the quoted IP header
 * under -v, as tcpdump 4.99 prints them.
 */
#include "print_impl.h"

static const struct pr_tok unreach_fmt[] = {
    { 0, "net %s unreachable" },
    { 1, "host %s unreachable" },
    { 5, "%s unreachable - source route failed" },
    { 6, "net %s unreachable - unknown" },
    { 7, "host %s unreachable - unknown" },
    { 8, "%s unreachable - source host isolated" },
    { 9, "net %s unreachable - admin prohibited" },
    { 10, "host %s unreachable - admin prohibited" },
    { 11, "net %s unreachable - tos prohibited" },
    { 12, "host %s unreachable - tos prohibited" },
    { 13, "host %s unreachable - admin prohibited filter" },
    { 14, "host %s unreachable - host precedence violation" },
    { 15, "host %s unreachable - precedence cutoff" },
    { 0, NULL },
};

static const struct pr_tok redirect_fmt[] = {
    { 0, "redirect %s to net %s" },
    { 1, "redirect %s to host %s" },
    { 2, "redirect-tos %s to net %s" },
    { 3, "redirect-tos %s to host %s" },
    { 0, NULL },
};

static const struct pr_tok icmp_types[] = {
    { 0, "echo reply" }, { 3, "unreachable" }, { 4, "source quench" },
    { 5, "redirect" }, { 8, "echo request" }, { 9, "router advertisement" },
    { 10, "router solicitation" }, { 11, "time exceeded" },
    { 12, "parameter problem" }, { 13, "time stamp request" },
    { 14, "time stamp reply" }, { 15, "information request" },
    { 16, "information reply" }, { 17, "address mask request" },
    { 18, "address mask reply" }, { 0, NULL },
};

/* Address text into a small buffer (the formats take %s). */
static void addr_text(struct pr_ctx *c, const uint8_t *a, char *buf,
                      size_t len)
{
    struct pr_out o = { buf, buf + len - 1, 0 };
    struct pr_out *save = c->out;

    c->out = &o;
    pr_out_host4(c, a);
    c->out = save;
    *o.p = '\0';
}

static void port_text(struct pr_ctx *c, uint16_t port, int udp, char *buf,
                      size_t len)
{
    struct pr_out o = { buf, buf + len - 1, 0 };
    struct pr_out *save = c->out;

    c->out = &o;
    pr_out_port(c, port, udp);
    c->out = save;
    *o.p = '\0';
}

static int unreach(struct pr_ctx *c, const uint8_t *dp, unsigned code)
{
    const uint8_t *oip = dp + 8;
    char dst[300], port[64];
    const char *fmt;

    PR_NEED(c, oip + 16, 4);
    addr_text(c, oip + 16, dst, sizeof(dst));
    switch (code) {
    case 2:
        PR_NEED(c, oip + 9, 1);
        pr_out_fmt(c->out, "%s protocol %u unreachable", dst, oip[9]);
        return 0;
    case 3: {
        unsigned hlen, dport;

        PR_NEED(c, oip, 1);
        hlen = (oip[0] & 15) * 4u;
        PR_NEED(c, oip + hlen + 2, 2);
        PR_NEED(c, oip + 9, 1);
        dport = pf_get_be16(oip + hlen + 2);
        if (oip[9] == 6 || oip[9] == 17) {
            port_text(c, (uint16_t)dport, oip[9] == 17, port, sizeof(port));
            pr_out_fmt(c->out, "%s %s port %s unreachable", dst,
                       oip[9] == 6 ? "tcp" : "udp", port);
        } else {
            pr_out_fmt(c->out, "%s protocol %u port %u unreachable", dst,
                       oip[9], dport);
        }
        return 0;
    }
    case 4: {
        unsigned mtu = pf_get_be16(dp + 6);

        if (mtu)
            pr_out_fmt(c->out, "%s unreachable - need to frag (mtu %u)", dst,
                       mtu);
        else
            pr_out_fmt(c->out, "%s unreachable - need to frag", dst);
        return 0;
    }
    }
    fmt = pr_tok_find(unreach_fmt, code);
    if (fmt)
        pr_out_fmt(c->out, fmt, dst);
    else
        pr_out_fmt(c->out, "#%u %s unreachable", code, dst);
    return 0;
}

static int redirect(struct pr_ctx *c, const uint8_t *dp, unsigned code)
{
    char dst[300], gw[300];
    const char *fmt = pr_tok_find(redirect_fmt, code);

    PR_NEED(c, dp + 24, 4);
    addr_text(c, dp + 24, dst, sizeof(dst));
    addr_text(c, dp + 4, gw, sizeof(gw));
    if (fmt)
        pr_out_fmt(c->out, fmt, dst, gw);
    else
        pr_out_fmt(c->out, "redirect-#%u %s to %s", code, dst, gw);
    return 0;
}

/* The text between "ICMP " and ", length N". */
static int icmp_text(struct pr_ctx *c, const uint8_t *dp, unsigned type,
                     unsigned code)
{
    switch (type) {
    case 0:
    case 8:
        PR_NEED(c, dp + 4, 4);
        pr_out_fmt(c->out, "echo %s, id %u, seq %u",
                   type == 8 ? "request" : "reply", pf_get_be16(dp + 4),
                   pf_get_be16(dp + 6));
        return 0;
    case 3:
        return unreach(c, dp, code);
    case 5:
        return redirect(c, dp, code);
    case 11:
        PR_NEED(c, dp + 24, 4);
        if (code == 0)
            pr_out_str(c->out, "time exceeded in-transit");
        else if (code == 1)
            pr_out_str(c->out, "ip reassembly time exceeded");
        else
            pr_out_fmt(c->out, "time exceeded-#%u", code);
        return 0;
    case 12:
        if (code) {
            pr_out_fmt(c->out, "parameter problem - code %u", code);
            return 0;
        }
        PR_NEED(c, dp + 4, 1);
        pr_out_fmt(c->out, "parameter problem - octet %u", dp[4]);
        return 0;
    case 13:
        PR_NEED(c, dp + 4, 4);
        pr_out_fmt(c->out, "time stamp query id %u seq %u",
                   pf_get_be16(dp + 4), pf_get_be16(dp + 6));
        return 0;
    case 18:
        PR_NEED(c, dp + 12, 4);
        pr_out_fmt(c->out, "address mask is 0x%08x", pf_get_be32(dp + 12));
        return 0;
    case 9: case 14: case 40: case 42: case 43:
        pr_unlisted(c);
        return 0;
    }
    pr_out_tok(c->out, icmp_types, "type-#%u", type);
    return 0;
}

static int is_err(unsigned type)
{
    return type == 3 || type == 4 || type == 5 || type == 11 || type == 12;
}

int pr_icmp(struct pr_ctx *c, const uint8_t *dp, unsigned len,
            const uint8_t *iph, int frag)
{
    unsigned type, code;
    const uint8_t *save;
    int r;

    (void)iph;
    c->proto = "icmp";
    if (!pr_have(c, dp, 2)) {
        c->trunc_jmp = 1;
        return PR_TRUNC;
    }
    type = dp[0];
    code = dp[1];
    {
        /* tcpdump formats the text first: a truncation prints nothing */
        char text[600];
        struct pr_out tmp = { text, text + sizeof(text), 0 };
        struct pr_out *save_out = c->out;

        c->out = &tmp;
        r = icmp_text(c, dp, type, code);
        c->out = save_out;
        if (r == PR_TRUNC) {
            /* time exceeded and port unreachable use ND_TCHECK (a plain
               return), the rest GETs (a longjmp) */
            c->trunc_jmp = !(type == 11 || (type == 3 && code == 3));
            return PR_TRUNC;
        }
        pr_out_str(c->out, "ICMP ");
        pr_out_mem(c->out, text, (size_t)(tmp.p - text));
    }
    if (c->flags & PF_PRINT_UNLISTED)
        return 0;
    pr_out_fmt(c->out, ", length %u", len);
    if (c->o->verbose && !frag && pr_have(c, dp, len)) {
        uint16_t sum = pr_cksum(dp, len, 0);

        if (sum) {
            PR_NEED(c, dp + 2, 2);
            uint16_t isum = pf_get_be16(dp + 2);
            uint32_t x = (uint16_t)~isum + (uint16_t)~sum;

            x = (x & 0xffff) + (x >> 16);
            x = (x & 0xffff) + (x >> 16);
            pr_out_fmt(c->out, " (wrong icmp cksum %x (->%x)!)", isum,
                       (uint16_t)~x);
        }
    }
    if (!c->o->verbose || !is_err(type))
        return 0;
    if (len > 8 + 20 + 8 && (type == 3 || type == 11 || type == 12))
        pr_unlisted(c); /* RFC 4884 extensions may follow */
    pr_out_str(c->out, "\n\t");
    save = c->snapend;
    PR_NEED(c, dp + 8 + 2, 2);
    r = pr_ip(c, dp + 8, pf_get_be16(dp + 10));
    c->snapend = save;
    return r;
}
