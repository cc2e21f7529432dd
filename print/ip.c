/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * IPv4 (header under -v with options and checksum, fragments) and the
 * IP protocol dispatch shared with IPv6, plus the small protocols that
 * ride on it and print one summary: IGMP, GRE (version 0), ESP and AH.
 * Also the Internet checksum used by the TCP/UDP/ICMP printers.
 */
#include "print_impl.h"

static const struct pr_tok ipprotos[] = {
    { 0, "Options" }, { 1, "ICMP" }, { 2, "IGMP" }, { 4, "IPIP" },
    { 6, "TCP" }, { 8, "EGP" }, { 9, "IGRP" }, { 17, "UDP" },
    { 33, "DCCP" }, { 41, "IPv6" }, { 43, "Routing" }, { 44, "Fragment" },
    { 46, "RSVP" }, { 47, "GRE" }, { 50, "ESP" }, { 51, "AH" },
    { 55, "Mobile IP" }, { 58, "ICMPv6" }, { 62, "Mobile IP (old)" },
    { 88, "EIGRP" }, { 89, "OSPF" }, { 103, "PIM" },
    { 108, "Compressed IP" }, { 112, "VRRP" }, { 113, "PGM" },
    { 132, "SCTP" }, { 135, "Mobility" }, { 143, "Ethernet" },
    { 0, NULL },
};

const char *pr_ipproto_name(unsigned proto)
{
    return pr_tok_find(ipprotos, proto);
}

/* One's-complement sum of @len bytes folded into @sum, complemented. */
uint16_t pr_cksum(const uint8_t *bp, size_t len, uint32_t sum)
{
    uint64_t s = sum;

    for (; len >= 2; bp += 2, len -= 2)
        s += pf_get_be16(bp);
    if (len)
        s += (uint32_t)bp[0] << 8;
    while (s >> 16)
        s = (s & 0xffff) + (s >> 16);
    return (uint16_t)~s;
}

/* IPv6 final destination: the last address of a type 0/2 routing
 * header when there is one (tcpdump's ip6_finddst); the headers were
 * bounds-checked when they were printed. */
static const uint8_t *ip6_final_dst(const uint8_t *ip6, const uint8_t *end)
{
    const uint8_t *cp = ip6 + 40, *dst = ip6 + 24;
    unsigned nh = ip6[6];

    while ((nh == 0 || nh == 60 || nh == 43) && cp + 8 <= end) {
        unsigned len = (cp[1] + 1u) << 3;

        if (nh == 43 && (cp[2] == 0 || cp[2] == 2) && cp[1] >= 2 &&
            cp + 8 + 16 * (cp[1] / 2) <= end)
            dst = cp + 8 + 16 * (cp[1] / 2 - 1);
        nh = cp[0];
        cp += len;
    }
    return dst;
}

/* Pseudo-header sum for TCP/UDP/ICMPv6 checksums over IPv4 or IPv6;
 * @end bounds the captured IPv6 extension headers. */
uint32_t pr_cksum_pseudo(const uint8_t *iph, unsigned proto, unsigned len,
                         const uint8_t *end)
{
    uint32_t s = proto + (len & 0xffff) + (len >> 16);

    if ((iph[0] >> 4) == 6) {
        const uint8_t *dst = ip6_final_dst(iph, end);

        for (unsigned i = 0; i < 16; i += 2)
            s += pf_get_be16(iph + 8 + i) + pf_get_be16(dst + i);
        return s;
    }
    for (unsigned i = 0; i < 8; i += 2)
        s += pf_get_be16(iph + 12 + i);
    return s;
}

/* tcpdump's in_cksum_shouldbe: the checksum the packet should carry. */
static uint16_t cksum_shouldbe(uint16_t sum, uint16_t computed)
{
    uint32_t s = (uint16_t)~sum + (uint16_t)~computed;

    s = (s & 0xffff) + (s >> 16);
    s = (s & 0xffff) + (s >> 16);
    return (uint16_t)~s;
}

void pr_ip_addrs(struct pr_ctx *c, const uint8_t *iph)
{
    if ((iph[0] >> 4) == 6) {
        pr_out_host6(c, iph + 8);
        pr_out_str(c->out, " > ");
        pr_out_host6(c, iph + 24);
    } else {
        pr_out_host4(c, iph + 12);
        pr_out_str(c->out, " > ");
        pr_out_host4(c, iph + 16);
    }
}

/* ---- options ---- */

static const struct pr_tok ipopts[] = {
    { 0, "EOL" }, { 1, "NOP" }, { 68, "timestamp" }, { 130, "security" },
    { 7, "RR" }, { 137, "SSRR" }, { 131, "LSRR" }, { 148, "RA" },
    { 82, "traceroute" }, { 0, NULL },
};

static int opt_route(struct pr_ctx *c, const uint8_t *cp, unsigned len)
{
    unsigned ptr;

    if ((len + 1) & 3)
        pr_out_fmt(c->out, " [bad length %u]", len);
    ptr = cp[2] - 1u;
    if (ptr < 3 || ((ptr + 1) & 3) || ptr > len + 1)
        pr_out_fmt(c->out, " [bad ptr %u]", cp[2]);
    for (unsigned i = 3; i < len; i += 4) {
        if (!pr_have(c, cp + i, 4))
            return -1;
        pr_out_char(c->out, ' ');
        pr_out_host4(c, cp + i);
        if (ptr > i)
            pr_out_char(c->out, ',');
    }
    return 0;
}

/* Returns -1 when the options end early (tcpdump's [truncated-option]). */
static int ip_options(struct pr_ctx *c, const uint8_t *cp, unsigned len)
{
    const uint8_t *cp0 = cp;

    while (len > 0) {
        unsigned code, olen;

        if (cp != cp0)
            pr_out_char(c->out, ',');
        if (!pr_have(c, cp, 1))
            return -1;
        code = cp[0];
        pr_out_tok(c->out, ipopts, "unknown %u", code);
        if (code == 0 || code == 1) {
            olen = 1;
        } else {
            if (!pr_have(c, cp + 1, 1))
                return -1;
            olen = cp[1];
            if (olen < 2) {
                pr_out_fmt(c->out, " [bad length %u]", olen);
                return 0;
            }
        }
        if (olen > len) {
            pr_out_fmt(c->out, " [bad length %u]", olen);
            return 0;
        }
        if (!pr_have(c, cp, olen))
            return -1;
        if (code == 0)
            return 0;
        if ((code == 7 || code == 137 || code == 131) &&
            opt_route(c, cp, olen) < 0)
            return -1;
        else if (code == 148 && olen < 4)
            pr_out_fmt(c->out, " [bad length %u]", olen);
        else if (code == 148 && pf_get_be16(cp + 2))
            pr_out_fmt(c->out, " value %u", pf_get_be16(cp + 2));
        else if (code == 68 || code == 82)
            pr_unlisted(c);
        cp += olen;
        len -= olen;
    }
    return 0;
}

/* -v header: "(tos 0x0, ttl 64, id 1, offset 0, flags [DF], ...)". */
static int ip_verbose(struct pr_ctx *c, const uint8_t *ip, unsigned hlen)
{
    static const char *const ecn[] = { "", ",ECT(1)", ",ECT(0)", ",CE" };
    unsigned off = pf_get_be16(ip + 6);
    int trunc = 0;

    pr_out_fmt(c->out, "(tos 0x%x%s", ip[1], ecn[ip[1] & 3]);
    if (ip[8] >= 1)
        pr_out_fmt(c->out, ", ttl %u", ip[8]);
    pr_out_fmt(c->out, ", id %u, offset %u, flags [", pf_get_be16(ip + 4),
               (off & 0x1fff) * 8);
    if (!(off & 0xe000))
        pr_out_str(c->out, "none");
    else
        pr_out_fmt(c->out, "%s%s%s%s%s", off & 0x2000 ? "+" : "",
                   (off & 0x2000) && (off & 0xc000) ? ", " : "",
                   off & 0x4000 ? "DF" : "",
                   (off & 0x4000) && (off & 0x8000) ? ", " : "",
                   off & 0x8000 ? "rsvd" : "");
    pr_out_str(c->out, "], proto ");
    pr_out_str(c->out, pr_ipproto_name(ip[9]) ? pr_ipproto_name(ip[9])
                                                : "unknown");
    pr_out_fmt(c->out, " (%u), length %u", ip[9], pf_get_be16(ip + 2));
    if (hlen > 20) {
        pr_out_str(c->out, ", options (");
        if (ip_options(c, ip + 20, hlen - 20) < 0) {
            pr_out_str(c->out, " [truncated-option]");
            trunc = 1;
        }
        pr_out_char(c->out, ')');
    }
    if (pr_have(c, ip, hlen)) {
        uint16_t sum = pr_cksum(ip, hlen, 0);

        if (sum)
            pr_out_fmt(c->out, ", bad cksum %x (->%x)!", pf_get_be16(ip + 10),
                       cksum_shouldbe(pf_get_be16(ip + 10), sum));
    }
    pr_out_str(c->out, ")\n    ");
    return trunc;
}

static int ip_frag(struct pr_ctx *c, const uint8_t *ip)
{
    const char *name = c->o->numeric ? NULL : pr_ipproto_name(ip[9]);

    if (c->o->quiet > 1)
        return 0;
    pr_ip_addrs(c, ip);
    pr_out_char(c->out, ':');
    if (!c->o->numeric) {
        pr_unlisted(c);
        (void)name;
    }
    pr_out_fmt(c->out, " ip-proto-%u", ip[9]);
    return 0;
}

int pr_ip(struct pr_ctx *c, const uint8_t *ip, unsigned length)
{
    unsigned hlen, len, off;
    const uint8_t *save_end = c->snapend;
    int r;

    c->proto = "ip";
    if (!pr_have(c, ip, 1)) {
        c->trunc_jmp = 1;
        return PR_TRUNC;
    }
    if ((ip[0] >> 4) != 4) {
        if ((ip[0] >> 4) == 6)
            pr_out_str(c->out, "IP6, wrong link-layer encapsulation");
        else
            pr_out_fmt(c->out, "IP%u", ip[0] >> 4);
        pr_out_str(c->out, " (invalid)");
        return 0;
    }
    if (!c->o->ether)
        pr_out_str(c->out, "IP ");
    if (length < 20)
        return PR_TRUNC;
    PR_NEED(c, ip, 20);
    hlen = (ip[0] & 15) * 4u;
    if (hlen < 20) {
        pr_out_fmt(c->out, "bad-hlen %u", hlen);
        return 0;
    }
    len = pf_get_be16(ip + 2);
    if (length < len)
        pr_out_fmt(c->out, "truncated-ip - %u bytes missing! ", len - length);
    if (len < hlen) {
        pr_out_fmt(c->out, "bad-len %u", len);
        return 0;
    }
    if (len < length)
        length = len;
    if (c->snapend > ip + length)
        c->snapend = ip + length;
    PR_NEED(c, ip, 20);
    off = pf_get_be16(ip + 6);
    if (c->o->verbose && ip_verbose(c, ip, hlen)) {
        pr_ip_addrs(c, ip);
        pr_out_str(c->out, ": ");
        pr_trunc(c);
        c->snapend = save_end;
        return 0;
    }
    if (off & 0x1fff) {
        r = ip_frag(c, ip);
    } else {
        unsigned nh = ip[9];

        if (nh != 6 && nh != 17 && nh != 132 && nh != 33) {
            pr_ip_addrs(c, ip);
            pr_out_str(c->out, ": ");
        }
        if (!pr_have(c, ip, hlen)) {
            pr_out_fmt(c->out, " [remaining caplen(%u) < header length(%u)]",
                       (unsigned)(c->snapend - ip), hlen);
            c->snapend = save_end;
            return PR_TRUNC;
        }
        r = pr_ipproto(c, nh, ip + hlen, len - hlen, ip, (off & 0x2000) != 0);
    }
    if (r != PR_TRUNC)
        c->snapend = save_end;
    return r;
}

/* The next-header dispatch (tcpdump's ip_demux_print). */
int pr_ipproto(struct pr_ctx *c, unsigned nh, const uint8_t *bp,
               unsigned len, const uint8_t *iph, int frag)
{
    int v6 = (iph[0] >> 4) == 6;
    unsigned adv;

    for (;;) {
        switch (nh) {
        case 51:
            if (!pr_have(c, bp, 1)) {
                c->proto = "ah";
                return PR_TRUNC;
            }
            if (pr_ah(c, bp, len, &adv, &nh) == PR_TRUNC) {
                c->trunc_jmp = 1;
                return PR_TRUNC;
            }
            if (!adv)
                return 0;
            bp += adv;
            len -= adv < len ? adv : len;
            continue;
        case 50:
            return pr_esp(c, bp, len);
        case 132:
            return pr_sctp(c, bp, len, iph);
        case 6:
            return pr_tcp(c, bp, len, iph, frag);
        case 17:
            return pr_udp(c, bp, len, iph, frag);
        case 1:
            if (v6)
                break;
            return pr_icmp(c, bp, len, iph, frag);
        case 58:
            if (!v6)
                break;
            return pr_icmp6(c, bp, len, iph);
        case 2:
            if (v6)
                break;
            return pr_igmp(c, bp, len);
        case 4:
            return pr_ip(c, bp, len);
        case 41:
            return pr_ip6(c, bp, len);
        case 47:
            return pr_gre(c, bp, len);
        case 59:
            pr_out_str(c->out, "no next header");
            return 0;
        case 77:
            pr_out_fmt(c->out, " nd %u", len);
            return 0;
        case 8: case 9: case 33: case 46: case 55: case 88: case 89:
        case 103: case 108: case 112: case 113: case 143:
            pr_unlisted(c);
            return 0;
        default:
            if (!c->o->numeric)
                pr_unlisted(c);
            pr_out_fmt(c->out, " ip-proto-%u %u", nh, len);
            return 0;
        }
        pr_unlisted(c);
        return 0;
    }
}

/* ---- IGMP ---- */

static void igmp_v3_query(struct pr_ctx *c, const uint8_t *bp, unsigned len)
{
    unsigned mrc = bp[1], mrt, nsrcs;

    pr_out_str(c->out, " v3");
    mrt = mrc < 128 ? mrc : ((mrc & 0x0f) | 0x10) << (((mrc & 0x70) >> 4) + 3);
    if (mrc != 100) {
        if (mrt < 600)
            pr_out_fmt(c->out, " [max resp time %.1fs]", mrt * 0.1);
        else
            pr_unlisted(c);
    }
    if (pf_get_be32(bp + 4) == 0)
        return;
    pr_out_str(c->out, " [gaddr ");
    pr_out_host4(c, bp + 4);
    nsrcs = pf_get_be16(bp + 10);
    if (nsrcs) {
        if (len < 12 + (nsrcs << 2))
            pr_out_str(c->out, " [invalid number of sources]");
        else if (c->o->verbose > 1)
            pr_unlisted(c);
        else
            pr_out_fmt(c->out, ", %u source(s)", nsrcs);
    }
    pr_out_char(c->out, ']');
}

static int igmp_query(struct pr_ctx *c, const uint8_t *bp, unsigned len)
{
    pr_out_str(c->out, "igmp query");
    if (len >= 12) {
        PR_NEED(c, bp, 12);
        igmp_v3_query(c, bp, len);
        return 0;
    }
    PR_NEED(c, bp, 8);
    pr_out_str(c->out, bp[1] ? " v2" : " v1");
    if (bp[1] && bp[1] != 100)
        pr_out_fmt(c->out, " [max resp time %u]", bp[1]);
    if (pf_get_be32(bp + 4)) {
        pr_out_str(c->out, " [gaddr ");
        pr_out_host4(c, bp + 4);
        pr_out_char(c->out, ']');
    }
    if (len != 8)
        pr_out_fmt(c->out, " [len %u]", len);
    return 0;
}

static int igmp_group(struct pr_ctx *c, const char *what, const uint8_t *bp,
                      unsigned len)
{
    PR_NEED(c, bp, 8);
    pr_out_str(c->out, what);
    pr_out_host4(c, bp + 4);
    if (len != 8)
        pr_out_fmt(c->out, " [len %u]", len);
    return 0;
}

static int igmp_type(struct pr_ctx *c, const uint8_t *bp, unsigned len)
{
    switch (bp[0]) {
    case 0x11:
        return igmp_query(c, bp, len);
    case 0x12:
        return igmp_group(c, "igmp v1 report ", bp, len);
    case 0x16:
        return igmp_group(c, "igmp v2 report ", bp, len);
    case 0x17:
        return igmp_group(c, "igmp leave ", bp, len);
    case 0x22:
        pr_out_str(c->out, "igmp v3 report");
        if (len < 8 || len % 4) {
            pr_out_fmt(c->out, " [invalid len %u]", len);
            return 0;
        }
        PR_NEED(c, bp, 8);
        pr_out_fmt(c->out, ", %u group record(s)", pf_get_be16(bp + 6));
        if (c->o->verbose)
            pr_unlisted(c);
        return 0;
    case 0x13: case 0x14: case 0x1e: case 0x1f:
        pr_unlisted(c);
        return 0;
    }
    pr_out_fmt(c->out, "igmp-%u", bp[0]);
    return 0;
}

int pr_igmp(struct pr_ctx *c, const uint8_t *bp, unsigned len)
{
    c->proto = "igmp";
    if (c->o->quiet) {
        pr_out_str(c->out, "igmp");
        return 0;
    }
    PR_NEED(c, bp, 1);
    if (igmp_type(c, bp, len) == PR_TRUNC)
        return PR_TRUNC;
    if (c->o->verbose && len >= 4 && pr_have(c, bp, len) &&
        pr_cksum(bp, len, 0))
        pr_out_fmt(c->out, " bad igmp cksum %x!", pf_get_be16(bp + 2));
    return 0;
}

/* ---- GRE ---- */

static const struct pr_tok gre_flags[] = {
    { 0x8000, "checksum present" }, { 0x4000, "routing present" },
    { 0x2000, "key present" }, { 0x1000, "sequence# present" },
    { 0x0800, "source routing present" }, { 0x0080, "ack present" },
    { 0, NULL },
};

static int gre_payload(struct pr_ctx *c, unsigned prot, const uint8_t *bp,
                       unsigned len)
{
    unsigned hdr;
    int done;

    switch (prot) {
    case 0x0800:
        return pr_ip(c, bp, len);
    case 0x86dd:
        return pr_ip6(c, bp, len);
    case 0x8847:
        return pr_ethertype(c, 0x8847, bp, len, &done);
    case 0x6558:
        return pr_ether(c, bp, len, &hdr);
    case 0x8137: case 0x809b: case 0x00fe: case 0x894f: case 0x88be:
    case 0x22eb: case 0x880b:
        pr_unlisted(c);
        return 0;
    }
    pr_out_fmt(c->out, "gre-proto-0x%x", prot);
    return 0;
}

int pr_gre(struct pr_ctx *c, const uint8_t *bp, unsigned length)
{
    unsigned flags, prot, len = length;

    c->proto = "gre";
    PR_NEED(c, bp, 2);
    flags = pf_get_be16(bp);
    pr_out_fmt(c->out, "GREv%u", flags & 7);
    if ((flags & 7) != 0) {
        if ((flags & 7) == 1)
            pr_unlisted(c);
        else
            pr_out_str(c->out, " ERROR: unknown-version");
        return 0;
    }
    if (c->o->verbose) {
        pr_out_str(c->out, ", Flags [");
        pr_out_bits(c->out, gre_flags, flags, ", ", "none");
        pr_out_char(c->out, ']');
    }
    PR_NEED(c, bp + 2, 2);
    prot = pf_get_be16(bp + 2);
    bp += 4;
    len -= 4;
    if (flags & 0xc000) {
        PR_NEED(c, bp, 4);
        pr_out_fmt(c->out, ", sum 0x%x, off 0x%x", pf_get_be16(bp),
                   pf_get_be16(bp + 2));
        bp += 4;
        len -= 4;
    }
    if (flags & 0x2000) {
        PR_NEED(c, bp, 4);
        pr_out_fmt(c->out, ", key=0x%x", pf_get_be32(bp));
        bp += 4;
        len -= 4;
    }
    if (flags & 0x1000) {
        PR_NEED(c, bp, 4);
        pr_out_fmt(c->out, ", seq %u", pf_get_be32(bp));
        bp += 4;
        len -= 4;
    }
    if (flags & 0x4000) {
        pr_unlisted(c);
        return 0;
    }
    if (c->o->ether)
        pr_out_fmt(c->out, ", proto %s (0x%04x)",
                   pr_ethertype_name((uint16_t)prot)
                       ? pr_ethertype_name((uint16_t)prot) : "unknown",
                   prot);
    pr_out_fmt(c->out, ", length %u", length);
    pr_out_str(c->out, c->o->verbose < 1 ? ": " : "\n\t");
    return gre_payload(c, prot, bp, len);
}

/* ---- ESP, AH ---- */

int pr_esp(struct pr_ctx *c, const uint8_t *bp, unsigned len)
{
    c->proto = "esp";
    if (!pr_have(c, bp, 9))
        return PR_TRUNC;
    pr_out_fmt(c->out, "ESP(spi=0x%08x,seq=0x%x), length %u",
               pf_get_be32(bp), pf_get_be32(bp + 4), len);
    return 0;
}

int pr_ah(struct pr_ctx *c, const uint8_t *bp, unsigned len,
          unsigned *hdrlen, unsigned *next)
{
    unsigned sumlen;

    c->proto = "ah";
    *hdrlen = 0;
    PR_NEED(c, bp, 2);
    *next = bp[0];
    sumlen = (bp[1] + 2u) << 2;
    pr_out_str(c->out, "AH(");
    if (c->o->verbose)
        pr_out_fmt(c->out, "length=%u(%u-bytes),", bp[1], sumlen);
    PR_NEED(c, bp + 2, 2);
    if (pf_get_be16(bp + 2))
        pr_out_fmt(c->out, "reserved=0x%x[MustBeZero],", pf_get_be16(bp + 2));
    PR_NEED(c, bp + 4, 8);
    pr_out_fmt(c->out, "spi=0x%08x,seq=0x%x,icv=0x", pf_get_be32(bp + 4),
               pf_get_be32(bp + 8));
    for (unsigned i = 12; i < sumlen; i++) {
        PR_NEED(c, bp + i, 1);
        pr_out_fmt(c->out, "%02x", bp[i]);
    }
    pr_out_str(c->out, "): ");
    (void)len;
    *hdrlen = sumlen;
    return 0;
}
