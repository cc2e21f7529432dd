/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * IPv6 (flow label and hop limit under -v; hop-by-hop, destination
 * options, routing type 0/2 and fragment headers) and ICMPv6 (echo,
 * errors, neighbour discovery with its link-address and MTU options
 * under -v), in tcpdump 4.99's format.
 */
#include "print_impl.h"

/* ---- extension headers ---- */

/* HBH/DSTOPT option list, checked always and printed under -v; returns
 * -1 when an option runs past the header. */
static int ip6_opts(struct pr_ctx *c, const uint8_t *bp, unsigned len)
{
    int v = c->o->verbose;

    for (unsigned i = 0, olen; i < len; i += olen) {
        unsigned type = bp[i];

        if (type == 0) {
            olen = 1;
        } else {
            if (i + 1 >= len)
                return -1;
            olen = bp[i + 1] + 2u;
        }
        if (i + olen > len)
            return -1;
        if (type == 0 && v)
            pr_out_str(c->out, "(pad1)");
        else if (type == 1 && v)
            pr_out_str(c->out, "(padn)");
        else if (type == 5 && v && olen == 4)
            pr_out_fmt(c->out, "(rtalert: 0x%04x) ", pf_get_be16(bp + i + 2));
        else if (type == 0xc2 && v && olen == 6)
            pr_out_fmt(c->out, "(jumbo: %u) ", pf_get_be32(bp + i + 2));
        else if (type > 1 && v) {
            pr_unlisted(c);
            return 0;
        }
    }
    if (v)
        pr_out_char(c->out, ' ');
    return 0;
}

static int ext_opts(struct pr_ctx *c, const uint8_t *cp, const char *name)
{
    unsigned len;

    PR_NEED(c, cp, 2);
    len = (cp[1] + 1u) << 3;
    PR_NEED(c, cp, len);
    pr_out_str(c->out, name);
    if (ip6_opts(c, cp + 2, len - 2) < 0)
        return PR_TRUNC;
    return (int)len;
}

static int ext_frag(struct pr_ctx *c, const uint8_t *cp, const uint8_t *ip6)
{
    unsigned off, rest;

    PR_NEED(c, cp, c->o->verbose ? 8 : 4);
    off = pf_get_be16(cp + 2) & 0xfff8;
    rest = 40 + pf_get_be16(ip6 + 4) - (unsigned)(cp - ip6) - 8;
    if (c->o->verbose)
        pr_out_fmt(c->out, "frag (0x%08x:%u|%u)", pf_get_be32(cp + 4), off,
                   rest);
    else
        pr_out_fmt(c->out, "frag (%u|%u)", off, rest);
    if (off)
        return 0;
    pr_out_char(c->out, ' ');
    return 8;
}

static int ext_route(struct pr_ctx *c, const uint8_t *cp)
{
    unsigned len, type;

    pr_out_str(c->out, "RT6");
    PR_NEED(c, cp, 3);
    len = cp[1];
    type = cp[2];
    pr_out_fmt(c->out, " (len=%u, type=%u%s, segleft=", len, type,
               type == 0 ? " [Deprecated]" : "");
    PR_NEED(c, cp + 3, 1);
    pr_out_u(c->out, cp[3]);
    if (type != 0 && type != 2) {
        pr_unlisted(c);
        return 0;
    }
    PR_NEED(c, cp + 4, 4);
    if (pf_get_be32(cp + 4) || c->o->verbose)
        pr_out_fmt(c->out, ", rsv=0x%0x", pf_get_be32(cp + 4));
    if (len % 2)
        return PR_TRUNC;
    for (unsigned i = 0; i < len / 2; i++) {
        PR_NEED(c, cp + 8 + 16 * i, 16);
        pr_out_fmt(c->out, ", [%u]", i);
        pr_out_host6(c, cp + 8 + 16 * i);
    }
    pr_out_str(c->out, ") ");
    return (int)((len + 1) << 3);
}

static void ip6_verbose(struct pr_ctx *c, const uint8_t *ip6)
{
    uint32_t flow = pf_get_be32(ip6);
    const char *nh = pr_ipproto_name(ip6[6]);

    pr_out_char(c->out, '(');
    if (flow & 0x0ff00000)
        pr_out_fmt(c->out, "class 0x%02x, ", (flow & 0x0ff00000) >> 20);
    if (flow & 0x000fffff)
        pr_out_fmt(c->out, "flowlabel 0x%05x, ", flow & 0x000fffff);
    pr_out_fmt(c->out, "hlim %u, next-header %s (%u) payload length: %u) ",
               ip6[7], nh ? nh : "unknown", ip6[6], pf_get_be16(ip6 + 4));
}

static int ip6_chain(struct pr_ctx *c, const uint8_t *ip6, unsigned len)
{
    const uint8_t *cp = ip6;
    unsigned nh = ip6[6];
    int adv = 40, frag = 0;

    while (cp < c->snapend && adv > 0) {
        if (len < (unsigned)adv)
            return PR_TRUNC;
        cp += adv;
        len -= (unsigned)adv;
        if (cp == ip6 + 40 && nh != 6 && nh != 17 && nh != 33 && nh != 132) {
            pr_ip_addrs(c, ip6);
            pr_out_str(c->out, ": ");
        }
        switch (nh) {
        case 0:
            c->proto = "hbhopt";
            adv = ext_opts(c, cp, "HBH ");
            break;
        case 60:
            c->proto = "dstopt";
            adv = ext_opts(c, cp, "DSTOPT ");
            break;
        case 44:
            c->proto = "frag6";
            adv = ext_frag(c, cp, ip6);
            frag = 1;
            if (adv > 0 && c->snapend <= cp + adv)
                return 0;
            break;
        case 43:
            c->proto = "rt6";
            adv = ext_route(c, cp);
            break;
        case 135:
        case 62:
            pr_unlisted(c);
            return 0;
        default:
            return pr_ipproto(c, nh, cp, len, ip6, frag);
        }
        if (adv == PR_TRUNC)
            return PR_TRUNC;
        if (adv > 0)
            nh = cp[0];
        c->proto = "ip6";
    }
    return 0;
}

int pr_ip6(struct pr_ctx *c, const uint8_t *ip6, unsigned length)
{
    const uint8_t *save = c->snapend;
    unsigned plen, len;
    int r;

    c->proto = "ip6";
    PR_NEED(c, ip6, 40);
    if (length < 40)
        return PR_TRUNC;
    if (!c->o->ether)
        pr_out_str(c->out, "IP6 ");
    if ((ip6[0] >> 4) != 6) {
        pr_out_fmt(c->out, "version error: %u != 6", ip6[0] >> 4);
        return 0;
    }
    plen = pf_get_be16(ip6 + 4);
    if (plen) {
        len = plen + 40;
        if (length < len)
            pr_out_fmt(c->out, "truncated-ip6 - %u bytes missing!",
                       len - length);
    } else {
        len = length;
        pr_unlisted(c); /* jumbogram handling */
    }
    if (c->snapend > ip6 + len)
        c->snapend = ip6 + len;
    if (c->o->verbose)
        ip6_verbose(c, ip6);
    r = ip6_chain(c, ip6, len);
    if (r != PR_TRUNC)
        c->snapend = save;
    return r;
}

/* ---- ICMPv6 ---- */

static const struct pr_tok icmp6_types[] = {
    { 1, "destination unreachable" }, { 2, "packet too big" },
    { 3, "time exceeded in-transit" }, { 4, "parameter problem" },
    { 128, "echo request" }, { 129, "echo reply" },
    { 130, "multicast listener query" }, { 131, "multicast listener report" },
    { 132, "multicast listener done" }, { 133, "router solicitation" },
    { 134, "router advertisement" }, { 135, "neighbor solicitation" },
    { 136, "neighbor advertisement" }, { 137, "redirect" },
    { 138, "router renumbering" }, { 139, "who-are-you request" },
    { 140, "who-are-you reply" }, { 141, "inverse neighbor solicitation" },
    { 142, "inverse neighbor advertisement" },
    { 143, "multicast listener report v2" }, { 144, "ha discovery request" },
    { 145, "ha discovery reply" }, { 146, "mobile router solicitation" },
    { 147, "mobile router advertisement" }, { 155, "RPL" },
    { 200, "mtrace response" }, { 201, "mtrace message" }, { 0, NULL },
};

static const struct pr_tok unreach6[] = {
    { 0, "unreachable route" }, { 1, "unreachable prohibited" },
    { 2, "beyond scope" }, { 3, "unreachable address" },
    { 4, "unreachable port" }, { 0, NULL },
};

static const struct pr_tok nd_opts[] = {
    { 1, "source link-address" }, { 2, "destination link-address" },
    { 3, "prefix info" }, { 4, "redirected header" }, { 5, "mtu" },
    { 25, "rdnss" }, { 31, "dnssl" }, { 7, "advertisement interval" },
    { 8, "homeagent information" }, { 24, "route info" }, { 0, NULL },
};

static int nd_options(struct pr_ctx *c, const uint8_t *cp, int resid)
{
    const uint8_t *ep = cp + (resid > 0 ? resid : 0);

    while (cp < ep) {
        unsigned type, olen;

        PR_NEED(c, cp, 2);
        type = cp[0];
        olen = cp[1] * 8u;
        if (!olen || cp + olen > ep)
            return PR_TRUNC;
        PR_NEED(c, cp, olen);
        pr_out_fmt(c->out, "\n\t  %s option (%u), length %u (%u): ",
                   pr_tok_find(nd_opts, type) ? pr_tok_find(nd_opts, type)
                                              : "unknown",
                   type, olen, cp[1]);
        if (type == 1 || type == 2)
            pr_out_linkaddr(c->out, cp + 2, olen - 2);
        else if (type == 5 && olen >= 8)
            pr_out_fmt(c->out, " %u", pf_get_be32(cp + 4));
        else {
            pr_unlisted(c);
            return 0;
        }
        if (c->o->verbose > 1)
            pr_unlisted(c);
        cp += olen;
    }
    return 0;
}

/* The upper-layer protocol and header of a quoted IPv6 packet. */
static const uint8_t *quoted_upper(struct pr_ctx *c, const uint8_t *ip6,
                                   unsigned *proto)
{
    const uint8_t *cp = ip6 + 40;
    unsigned nh;

    if (!pr_have(c, ip6, 40))
        return NULL;
    nh = ip6[6];
    while (nh == 0 || nh == 60 || nh == 43 || nh == 44) {
        if (!pr_have(c, cp, 8))
            return NULL;
        if (nh == 44) {
            if (pf_get_be16(cp + 2) & 0xfff8)
                return NULL;
            nh = cp[0];
            cp += 8;
        } else {
            nh = cp[0];
            cp += (cp[1] + 1u) << 3;
        }
    }
    *proto = nh;
    return cp;
}

static int icmp6_unreach(struct pr_ctx *c, const uint8_t *dp, unsigned code)
{
    const uint8_t *oip = dp + 8, *up;
    unsigned proto;

    pr_out_str(c->out, ", ");
    pr_out_tok(c->out, unreach6, "unknown unreach code (%u)", code);
    switch (code) {
    case 0: case 1: case 3:
        PR_NEED(c, oip + 24, 16);
        pr_out_char(c->out, ' ');
        pr_out_host6(c, oip + 24);
        return 0;
    case 2:
        PR_NEED(c, oip + 8, 32);
        pr_out_char(c->out, ' ');
        pr_out_host6(c, oip + 24);
        pr_out_str(c->out, ", source address ");
        pr_out_host6(c, oip + 8);
        return 0;
    case 4:
        up = quoted_upper(c, oip, &proto);
        if (!up || !pr_have(c, up, 4))
            return PR_TRUNC;
        pr_out_str(c->out, ", ");
        pr_out_host6(c, oip + 24);
        if (proto == 6 || proto == 17) {
            pr_out_str(c->out, proto == 6 ? " tcp port " : " udp port ");
            pr_out_port(c, pf_get_be16(up + 2), proto == 17);
        } else {
            pr_out_fmt(c->out, " protocol %u port %u unreachable", proto,
                       pf_get_be16(up + 2));
        }
        return 0;
    }
    pr_unlisted(c);
    return 0;
}

static int icmp6_body(struct pr_ctx *c, const uint8_t *dp, unsigned len,
                      unsigned type, unsigned code)
{
    switch (type) {
    case 1:
        return icmp6_unreach(c, dp, code);
    case 2:
        PR_NEED(c, dp + 4, 4);
        pr_out_fmt(c->out, ", mtu %u", pf_get_be32(dp + 4));
        return 0;
    case 3:
        if (code == 0) {
            PR_NEED(c, dp + 32, 16);
            pr_out_str(c->out, " for ");
            pr_out_host6(c, dp + 32);
        } else if (code == 1) {
            pr_out_str(c->out, " (reassembly)");
        } else {
            pr_out_fmt(c->out, ", unknown code (%u)", code);
        }
        return 0;
    case 4: {
        static const char *const what[] = {
            ", erroneous - octet %u", ", next header - octet %u",
            ", option - octet %u", ", incomplete header chain - octet %u" };

        PR_NEED(c, dp + 32, 16);
        if (code < 4)
            pr_out_fmt(c->out, what[code], pf_get_be32(dp + 4));
        else
            pr_out_fmt(c->out, ", code-#%u", code);
        return 0;
    }
    case 128:
    case 129:
        PR_NEED(c, dp + 4, 4);
        pr_out_fmt(c->out, ", id %u, seq %u", pf_get_be16(dp + 4),
                   pf_get_be16(dp + 6));
        return 0;
    case 133:
        return c->o->verbose ? nd_options(c, dp + 8, (int)len - 8) : 0;
    case 135:
        PR_NEED(c, dp + 8, 16);
        pr_out_str(c->out, ", who has ");
        pr_out_host6(c, dp + 8);
        return c->o->verbose ? nd_options(c, dp + 24, (int)len - 24) : 0;
    case 136:
        PR_NEED(c, dp + 8, 16);
        pr_out_str(c->out, ", tgt is ");
        pr_out_host6(c, dp + 8);
        if (!c->o->verbose)
            return 0;
        pr_out_str(c->out, ", Flags [");
        pr_out_bits(c->out, (const struct pr_tok[]){
                        { 0x80000000u, "router" },
                        { 0x40000000u, "solicited" },
                        { 0x20000000u, "override" }, { 0, NULL } },
                    pf_get_be32(dp + 4), ", ", "none");
        pr_out_char(c->out, ']');
        return nd_options(c, dp + 24, (int)len - 24);
    case 137:
        PR_NEED(c, dp + 8, 32);
        pr_out_str(c->out, ", ");
        pr_out_host6(c, dp + 8);
        pr_out_str(c->out, " to ");
        pr_out_host6(c, dp + 24);
        return c->o->verbose ? nd_options(c, dp + 40, (int)len - 40) : 0;
    case 141:
    case 142:
        return 0;
    }
    pr_unlisted(c);
    return 0;
}

static int icmp6_cksum(struct pr_ctx *c, const uint8_t *dp, unsigned len,
                       const uint8_t *iph)
{
    uint16_t isum, sum;

    if (!pr_have(c, dp, len))
        return 0; /* tcpdump checks only what was captured whole */
    PR_NEED(c, dp + 2, 2);
    isum = pf_get_be16(dp + 2);
    sum = pr_cksum(dp, len, pr_cksum_pseudo(iph, 58, len, dp));
    if (sum) {
        uint32_t x = (uint16_t)~isum + (uint16_t)~sum;

        x = (x & 0xffff) + (x >> 16);
        x = (x & 0xffff) + (x >> 16);
        pr_out_fmt(c->out, "[bad icmp6 cksum 0x%04x -> 0x%04x!] ", isum,
                   (uint16_t)~x);
    } else {
        pr_out_str(c->out, "[icmp6 sum ok] ");
    }
    return 0;
}

int pr_icmp6(struct pr_ctx *c, const uint8_t *dp, unsigned len,
             const uint8_t *iph)
{
    unsigned type;

    c->proto = "icmp6";
    if (len == 0) {
        pr_out_str(c->out, "ICMP6, length 0 (invalid)");
        return 0;
    }
    c->trunc_jmp = 1; /* tcpdump reads ICMPv6 with longjmp-ing GETs */
    if (c->o->verbose && icmp6_cksum(c, dp, len, iph) == PR_TRUNC)
        return PR_TRUNC;
    PR_NEED(c, dp, 1);
    type = dp[0];
    pr_out_str(c->out, "ICMP6, ");
    pr_out_tok(c->out, icmp6_types, "unknown icmp6 type (%u)", type);
    if (!pr_tok_find(icmp6_types, type)) {
        c->trunc_jmp = 0;
        pr_unlisted(c);
        return 0;
    }
    if (c->o->verbose && (type == 133 || type == 134 || type == 135 ||
                          type == 136 || type == 137))
        pr_out_fmt(c->out, ", length %u", len);
    PR_NEED(c, dp, 2);
    if (icmp6_body(c, dp, len, type, dp[1]) == PR_TRUNC)
        return PR_TRUNC;
    c->trunc_jmp = 0;
    if (!c->o->verbose)
        pr_out_fmt(c->out, ", length %u", len);
    return 0;
}
