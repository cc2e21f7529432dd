/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * UDP: ports, checksum under -v, and the port dispatch tcpdump 4.99
 * does: DNS/mDNS, DHCP (BOOTP), NTP, VXLAN and Geneve are printed here;
 * every other port tcpdump has a printer for marks the packet unlisted,
 * and the rest print "UDP, length N".
 */
#include "print_impl.h"

/* Ports (either side) that tcpdump hands to printers pfcap lacks. */
static const uint16_t app_ports[] = {
    69, 88, 137, 138, 161, 162, 201, 202, 204, 206, 319, 320, 496, 500,
    514, 520, 521, 525, 546, 547, 646, 654, 698, 701, 750, 921, 1645,
    1589, 1646, 1700, 1701, 1812, 1813, 2049, 2103, 2104, 3503, 3799, 4342,
    4500, 4790, 5060, 5359, 6343, 6635, 6696, 6697, 7500, 8231, 8472,
    8500, 12223, 17754, 30490,
};

/* Ports where only the destination counts. */
static const uint16_t app_dports[] = {
    1985, 3456, 3784, 3785, 4567, 4784, 6784, 12222,
};

static int known_port(uint16_t sport, uint16_t dport)
{
    for (size_t i = 0; i < sizeof(app_ports) / sizeof(app_ports[0]); i++)
        if (sport == app_ports[i] || dport == app_ports[i])
            return 1;
    for (size_t i = 0; i < sizeof(app_dports) / sizeof(app_dports[0]); i++)
        if (dport == app_dports[i])
            return 1;
    return (sport >= 7000 && sport <= 7009) ||
           (dport >= 7000 && dport <= 7009) || sport == 12222 ||
           sport == 49152;
}

static void udp_addrs(struct pr_ctx *c, const uint8_t *iph, int sport,
                      int dport)
{
    int v6 = (iph[0] >> 4) == 6;
    int direct = v6 ? iph[6] == 17 : iph[9] == 17;

    if (!direct) {
        if (sport >= 0) {
            pr_out_port(c, (uint16_t)sport, 1);
            pr_out_str(c->out, " > ");
            pr_out_port(c, (uint16_t)dport, 1);
            pr_out_str(c->out, ": ");
        }
        return;
    }
    if (sport < 0) {
        pr_ip_addrs(c, iph);
        pr_out_str(c->out, ": ");
        return;
    }
    if (v6)
        pr_out_host6(c, iph + 8);
    else
        pr_out_host4(c, iph + 12);
    pr_out_char(c->out, '.');
    pr_out_port(c, (uint16_t)sport, 1);
    pr_out_str(c->out, " > ");
    if (v6)
        pr_out_host6(c, iph + 24);
    else
        pr_out_host4(c, iph + 16);
    pr_out_char(c->out, '.');
    pr_out_port(c, (uint16_t)dport, 1);
    pr_out_str(c->out, ": ");
}

static int udp_cksum(struct pr_ctx *c, const uint8_t *up, unsigned len,
                     const uint8_t *iph)
{
    int v6 = (iph[0] >> 4) == 6;
    uint16_t usum, sum;

    if (!v6 && c->o->verbose < 2)
        return 0;
    if (!v6) {
        PR_NEED(c, up + 6, 2);
        if (!pf_get_be16(up + 6)) {
            pr_out_str(c->out, "[no cksum] ");
            return 0;
        }
    }
    if (!pr_have(c, up, len))
        return 0;
    usum = pf_get_be16(up + 6);
    sum = pr_cksum(up, len, pr_cksum_pseudo(iph, 17, len, up));
    if (sum) {
        uint32_t x = (uint16_t)~usum + (uint16_t)~sum;

        x = (x & 0xffff) + (x >> 16);
        x = (x & 0xffff) + (x >> 16);
        pr_out_fmt(c->out, "[bad udp cksum 0x%04x -> 0x%04x!] ", usum,
                   (uint16_t)~x);
    } else {
        pr_out_str(c->out, "[udp sum ok] ");
    }
    return 0;
}

static void udp_length(struct pr_ctx *c, unsigned ulen, unsigned len,
                       int frag)
{
    if (ulen > len && !frag)
        pr_out_fmt(c->out, "UDP, bad length %u > %u", ulen, len);
    else
        pr_out_fmt(c->out, "UDP, length %u", ulen);
}

static int udp_app(struct pr_ctx *c, uint16_t sport, uint16_t dport,
                   const uint8_t *cp, unsigned len)
{
    if (sport == 53 || dport == 53)
        return pr_dns(c, cp, len, 0);
    if (sport == 67 || dport == 67 || sport == 68 || dport == 68)
        return pr_bootp(c, cp, len);
    if (sport == 123 || dport == 123)
        return pr_ntp(c, cp, len);
    if (sport == 5353 || dport == 5353)
        return known_port(sport, dport) ? (pr_unlisted(c), 0)
                                        : pr_dns(c, cp, len, 1);
    if (known_port(sport, dport)) {
        pr_unlisted(c);
        return 0;
    }
    if (sport == 4789 || dport == 4789)
        return pr_vxlan(c, cp, len);
    if (dport == 6081)
        return pr_geneve(c, cp, len);
    return 1;
}

int pr_udp(struct pr_ctx *c, const uint8_t *up, unsigned length,
           const uint8_t *iph, int frag)
{
    uint16_t sport, dport;
    unsigned ulen;
    int r;

    c->proto = "udp";
    if (!pr_have(c, up, 4)) {
        udp_addrs(c, iph, -1, -1);
        return PR_TRUNC;
    }
    sport = pf_get_be16(up);
    dport = pf_get_be16(up + 2);
    if (length < 8) {
        udp_addrs(c, iph, sport, dport);
        pr_out_fmt(c->out, "truncated-udp %u", length);
        return 0;
    }
    if (!pr_have(c, up + 4, 2)) {
        udp_addrs(c, iph, sport, dport);
        return PR_TRUNC;
    }
    ulen = pf_get_be16(up + 4);
    if (ulen == 0 && length > 65535)
        ulen = length;
    if (ulen < 8) {
        udp_addrs(c, iph, sport, dport);
        pr_out_fmt(c->out, "truncated-udplength %u", ulen);
        return 0;
    }
    ulen -= 8;
    length -= 8;
    if (ulen < length)
        length = ulen;
    udp_addrs(c, iph, sport, dport);
    if (up + 8 > c->snapend)
        return PR_TRUNC;
    if (!c->o->quiet && (sport == 2049 || dport == 2049)) {
        pr_unlisted(c);
        return 0;
    }
    if (c->o->verbose && !frag && udp_cksum(c, up, length + 8, iph) == PR_TRUNC)
        return PR_TRUNC;
    if (c->o->quiet) {
        udp_length(c, ulen, length, frag);
        return 0;
    }
    r = udp_app(c, sport, dport, up + 8, length);
    if (r == 1) {
        udp_length(c, ulen, length, frag);
        r = 0;
    }
    return r;
}

/* ---- tunnels ---- */

int pr_vxlan(struct pr_ctx *c, const uint8_t *bp, unsigned len)
{
    unsigned hdr;

    c->proto = "vxlan";
    if (len < 8) {
        pr_out_str(c->out, " (invalid)");
        return 0;
    }
    PR_NEED(c, bp, 8);
    pr_out_fmt(c->out, "VXLAN, flags [%s] (0x%02x), vni %u\n",
               bp[0] & 0x08 ? "I" : ".", bp[0], pf_get_be32(bp + 4) >> 8);
    return pr_ether(c, bp + 8, len - 8, &hdr);
}

int pr_geneve(struct pr_ctx *c, const uint8_t *bp, unsigned len)
{
    unsigned optlen, prot, hdr;
    int done;

    c->proto = "geneve";
    pr_out_str(c->out, "Geneve");
    PR_NEED(c, bp, 8);
    if (bp[0] >> 6) {
        pr_out_fmt(c->out, " ERROR: unknown-version %u", bp[0] >> 6);
        return 0;
    }
    prot = pf_get_be16(bp + 2);
    pr_out_str(c->out, ", Flags [");
    pr_out_bits(c->out, (const struct pr_tok[]){ { 0x80, "O" }, { 0x40, "C" },
                                                 { 0, NULL } },
                bp[1], "", "none");
    pr_out_fmt(c->out, "], vni 0x%x", pf_get_be32(bp + 4) >> 8);
    if (bp[7])
        pr_out_fmt(c->out, ", rsvd 0x%x", bp[7]);
    if (c->o->ether)
        pr_out_fmt(c->out, ", proto %s (0x%04x)",
                   pr_ethertype_name((uint16_t)prot)
                       ? pr_ethertype_name((uint16_t)prot) : "unknown",
                   prot);
    optlen = (bp[0] & 0x3f) * 4u;
    if (len - 8 < optlen) {
        pr_out_fmt(c->out, " truncated-geneve - %u bytes missing",
                   optlen - (len - 8));
        return 0;
    }
    PR_NEED(c, bp + 8, optlen);
    if (optlen) {
        pr_out_str(c->out, ", options");
        if (c->o->verbose)
            pr_unlisted(c);
        else
            pr_out_fmt(c->out, " [%u bytes]", optlen);
    }
    bp += 8 + optlen;
    len -= 8 + optlen;
    pr_out_str(c->out, c->o->verbose < 1 ? ": " : "\n\t");
    if (pr_ethertype(c, (uint16_t)prot, bp, len, &done) == PR_TRUNC)
        return PR_TRUNC;
    if (done)
        return 0;
    if (prot == 0x6558)
        return pr_ether(c, bp, len, &hdr);
    pr_out_fmt(c->out, "geneve-proto-0x%x", prot);
    return 0;
}
