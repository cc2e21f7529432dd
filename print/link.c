/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Link layers and what sits right on them: Ethernet (with 802.1Q/802.1ad
 * tags and 802.3 length frames), Linux cooked headers (SLL, SLL2), BSD
 * NULL/LOOP, RAW IP, and the ethertype dispatch with MPLS and PPPoE.
 * Each prints what tcpdump 4.99 prints with and without -e, and reports
 * the link header length for the -x/-X dumps.
 */
#include <net/if.h>
#include <stdio.h>

#include "print_impl.h"

#define LT_NULL 0
#define LT_EN10MB 1
#define LT_RAW 101
#define LT_LOOP 108
#define LT_LINUX_SLL 113
#define LT_IPV4 228
#define LT_IPV6 229
#define LT_LINUX_SLL2 276

static const struct pr_tok ethertypes[] = {
    { 0x0800, "IPv4" },
    { 0x8847, "MPLS unicast" },
    { 0x8848, "MPLS multicast" },
    { 0x86dd, "IPv6" },
    { 0x8100, "802.1Q" },
    { 0x9100, "802.1Q-9100" },
    { 0x88a8, "802.1Q-QinQ" },
    { 0x9200, "802.1Q-9200" },
    { 0x88e5, "802.1AE MACsec" },
    { 0x0200, "PUP" },
    { 0x0806, "ARP" },
    { 0x8035, "Reverse ARP" },
    { 0x0600, "NS" },
    { 0x0500, "Sprite" },
    { 0x1000, "Trail" },
    { 0x6001, "MOP DL" },
    { 0x6002, "MOP RC" },
    { 0x6003, "DN" },
    { 0x6004, "LAT" },
    { 0x6007, "SCA" },
    { 0x6558, "TEB" },
    { 0x8038, "Lanbridge" },
    { 0x803c, "DEC DNS" },
    { 0x803e, "DEC DTS" },
    { 0x805b, "VEXP" },
    { 0x805c, "VPROD" },
    { 0x809b, "Appletalk" },
    { 0x80f3, "Appletalk ARP" },
    { 0x8137, "IPX" },
    { 0x880b, "PPP" },
    { 0x8808, "MPCP" },
    { 0x8809, "Slow Protocols" },
    { 0x8863, "PPPoE D" },
    { 0x8864, "PPPoE S" },
    { 0x888e, "EAPOL" },
    { 0x8899, "Realtek protocols" },
    { 0x886f, "MS NLB heartbeat" },
    { 0x8870, "Jumbo" },
    { 0x894f, "NSH" },
    { 0x9000, "Loopback" },
    { 0xfefe, "OSI" },
    { 0x00fe, "GRE-OSI" },
    { 0xabcd, "CFM (old)" },
    { 0x8902, "CFM" },
    { 0x893a, "IEEE1905.1" },
    { 0x88cc, "LLDP" },
    { 0x88ca, "TIPC" },
    { 0x0707, "GeoNet (old)" },
    { 0x8947, "GeoNet" },
    { 0x1111, "CALM FAST" },
    { 0x88a2, "AoE" },
    { 0x88f7, "PTP" },
    { 0xd28b, "Arista Vendor Specific Protocol" },
    { 0, NULL },
};

/* Ethertypes tcpdump decodes with printers pfcap does not have. */
static const uint16_t decoded_elsewhere[] = {
    0x6003, 0x809b, 0x80f3, 0x8137, 0xfefe, 0x888e, 0x8899, 0x880b,
    0x8808, 0x8809, 0x8902, 0xabcd, 0x88cc, 0x894f, 0x9000, 0x88ca,
    0x886f, 0x0707, 0x8947, 0x1111, 0x88a2, 0x88f7, 0x88e5, 0xd28b,
    0x8870,
};

const char *pr_ethertype_name(uint16_t type)
{
    return pr_tok_find(ethertypes, type);
}

static int is_vlan(uint16_t t)
{
    return t == 0x8100 || t == 0x9100 || t == 0x9200 || t == 0x88a8;
}

static void out_ethertype(struct pr_ctx *c, uint16_t type)
{
    const char *name = pr_ethertype_name(type);

    if (c->o->quiet) {
        if (name)
            pr_out_str(c->out, name);
        else
            pr_out_fmt(c->out, "Unknown Ethertype (0x%04x)", type);
        return;
    }
    pr_out_str(c->out, "ethertype ");
    pr_out_str(c->out, name ? name : "Unknown");
    pr_out_fmt(c->out, " (0x%04x)", type);
}

static void out_macs(struct pr_ctx *c, const uint8_t *eh)
{
    pr_out_mac(c->out, eh + 6);
    pr_out_str(c->out, " > ");
    pr_out_mac(c->out, eh);
    pr_out_str(c->out, ", ");
}

/* tcpdump's default print of undecoded bytes: a -x style dump. */
static void default_print(struct pr_ctx *c, const uint8_t *bp)
{
    if (c->o->quiet || c->o->hex || c->o->hex_ascii || c->o->ascii)
        return;
    if (bp < c->snapend)
        pr_out_hexdump(c->out, bp, (unsigned)(c->snapend - bp), 1);
}

/* ---- MPLS ---- */

static int mpls(struct pr_ctx *c, const uint8_t *bp, unsigned len)
{
    uint32_t e;
    int n = 0;

    c->proto = "mpls";
    pr_out_str(c->out, "MPLS");
    do {
        PR_NEED(c, bp, 4);
        if (len < 4) {
            pr_out_str(c->out, "[|MPLS]");
            return 0;
        }
        e = pf_get_be32(bp);
        pr_out_str(c->out, n && c->o->verbose ? "\n\t" : " ");
        pr_out_str(c->out, "(label ");
        pr_out_u(c->out, e >> 12);
        if (c->o->verbose && (e >> 12) < 16)
            pr_unlisted(c);
        pr_out_str(c->out, ", tc ");
        pr_out_u(c->out, (e >> 9) & 7);
        if (e & 0x100)
            pr_out_str(c->out, ", [S]");
        pr_out_str(c->out, ", ttl ");
        pr_out_u(c->out, e & 0xff);
        pr_out_char(c->out, ')');
        bp += 4;
        len -= 4;
        n++;
    } while (!(e & 0x100));
    if (!pr_have(c, bp, 1)) {
        pr_unlisted(c);
        return 0;
    }
    switch (bp[0] >> 4) {
    case 4:
        pr_out_str(c->out, c->o->verbose ? "\n\t" : " ");
        return pr_ip(c, bp, len);
    case 6:
        pr_out_str(c->out, c->o->verbose ? "\n\t" : " ");
        return pr_ip6(c, bp, len);
    default:
        pr_unlisted(c);
        return 0;
    }
}

/* ---- PPPoE ---- */

static const struct pr_tok pppoe_codes[] = {
    { 0x09, "PADI" }, { 0x07, "PADO" }, { 0x19, "PADR" },
    { 0x65, "PADS" }, { 0xa7, "PADT" }, { 0, "" }, { 0, NULL },
};

static const struct pr_tok pppoe_tags[] = {
    { 0x0000, "EOL" }, { 0x0101, "Service-Name" }, { 0x0102, "AC-Name" },
    { 0x0103, "Host-Uniq" }, { 0x0104, "AC-Cookie" },
    { 0x0105, "Vendor-Specific" }, { 0x0110, "Relay-Session-ID" },
    { 0x0120, "PPP-Max-Payload" }, { 0x0201, "Service-Name-Error" },
    { 0x0202, "AC-System-Error" }, { 0x0203, "Generic-Error" },
    { 0, NULL },
};

static void pppoe_tag_value(struct pr_ctx *c, const uint8_t *v, unsigned n)
{
    unsigned ascii = 0, garbage = 0;

    for (unsigned i = 0; i < n; i++) {
        if (v[i] >= 0x20 && v[i] < 0x7f)
            ascii++;
        else
            garbage++;
    }
    if (n > 80)
        n = 80;
    if (ascii > garbage) {
        pr_out_str(c->out, " \"");
        for (unsigned i = 0; i < n; i++)
            pr_out_char(c->out, v[i] >= 0x20 && v[i] < 0x7f ? (char)v[i]
                                                            : '.');
        pr_out_char(c->out, '"');
    } else {
        pr_out_str(c->out, " 0x");
        for (unsigned i = 0; i < n; i++)
            pr_out_fmt(c->out, "%02X", v[i]);
    }
}

static int pppoe_tags_print(struct pr_ctx *c, const uint8_t *bp, unsigned len)
{
    const uint8_t *end = bp + len;

    while (bp + 4 <= end) {
        unsigned type, tlen;

        PR_NEED(c, bp, 4);
        type = pf_get_be16(bp);
        tlen = pf_get_be16(bp + 2);
        bp += 4;
        if (type == 0 && tlen == 0)
            break;
        pr_out_str(c->out, " [");
        pr_out_tok(c->out, pppoe_tags, "TAG-0x%x", type);
        if (tlen) {
            PR_NEED(c, bp, tlen > (unsigned)(end - bp) ? 0 : tlen);
            if (tlen > (unsigned)(end - bp))
                return PR_TRUNC;
            pppoe_tag_value(c, bp, tlen);
        }
        pr_out_char(c->out, ']');
        bp += tlen;
    }
    return 0;
}

static int ppp_payload(struct pr_ctx *c, const uint8_t *bp, unsigned len)
{
    unsigned proto;

    c->proto = "ppp";
    PR_NEED(c, bp, 2);
    proto = pf_get_be16(bp);
    if (proto != 0x21 && proto != 0x57) {
        pr_unlisted(c);
        return 0;
    }
    if (c->o->ether)
        pr_out_fmt(c->out, "%s (0x%04x), length %u: ",
                   proto == 0x21 ? "IP" : "IPV6", proto, len);
    return proto == 0x21 ? pr_ip(c, bp + 2, len - 2)
                         : pr_ip6(c, bp + 2, len - 2);
}

static int pppoe(struct pr_ctx *c, const uint8_t *bp, unsigned len)
{
    unsigned ver, type, code, ses, plen;

    c->proto = "pppoe";
    if (len < 6) {
        pr_out_fmt(c->out, " (length %u < %u)", len, 6);
        pr_unlisted(c);
        return 0;
    }
    PR_NEED(c, bp, 6);
    ver = bp[0] >> 4;
    type = bp[0] & 15;
    code = bp[1];
    ses = pf_get_be16(bp + 2);
    plen = pf_get_be16(bp + 4);
    pr_out_str(c->out, "PPPoE ");
    pr_out_tok(c->out, pppoe_codes, "PAD-%x", code);
    if (code == 0x09 && plen > 1484 - 6)
        pr_out_fmt(c->out, " [len %u!]", plen);
    if (plen > len - 6) {
        pr_out_fmt(c->out, " [len %u > %u!]", plen, len - 6);
        plen = len - 6;
    }
    if (ver != 1)
        pr_out_fmt(c->out, " [ver %u]", ver);
    if (type != 1)
        pr_out_fmt(c->out, " [type %u]", type);
    if (ses)
        pr_out_fmt(c->out, " [ses 0x%x]", ses);
    if (code)
        return pppoe_tags_print(c, bp + 6, plen);
    pr_out_char(c->out, ' ');
    return ppp_payload(c, bp + 6, plen);
}

/*
 * Prints the payload of @type; *@done is 0 when tcpdump has no printer
 * for it (the caller then prints the raw bytes).
 */
int pr_ethertype(struct pr_ctx *c, uint16_t type, const uint8_t *bp,
                 unsigned len, int *done)
{
    *done = 1;
    if (++c->depth > 32) {
        pr_unlisted(c);
        return 0;
    }
    switch (type) {
    case 0x0800:
        return pr_ip(c, bp, len);
    case 0x86dd:
        return pr_ip6(c, bp, len);
    case 0x0806:
    case 0x8035:
        return pr_arp(c, bp, len);
    case 0x8847:
    case 0x8848:
        return mpls(c, bp, len);
    case 0x8863:
    case 0x8864:
    case 0x3c12:
    case 0x3c13:
        return pppoe(c, bp, len);
    }
    for (size_t i = 0; i < sizeof(decoded_elsewhere) / 2; i++)
        if (decoded_elsewhere[i] == type) {
            pr_unlisted(c);
            return 0;
        }
    *done = 0;
    return 0;
}

/* ---- Ethernet ---- */

static void out_tci(struct pr_ctx *c, uint16_t tci)
{
    pr_out_str(c->out, "vlan ");
    pr_out_u(c->out, tci & 0xfff);
    pr_out_str(c->out, ", p ");
    pr_out_u(c->out, tci >> 13);
    if (tci & 0x1000)
        pr_out_str(c->out, ", DEI");
    pr_out_str(c->out, ", ");
}

/* 802.3 length frames carry LLC; pfcap does not decode LLC. */
static unsigned ether_llc(struct pr_ctx *c, const uint8_t *bp, unsigned len,
                          int printed_len)
{
    if (c->o->ether) {
        pr_out_str(c->out, "802.3");
        if (!printed_len)
            pr_out_fmt(c->out, ", length %u: ", len);
    }
    (void)bp;
    pr_unlisted(c);
    return 3;
}

int pr_ether(struct pr_ctx *c, const uint8_t *eh, unsigned len,
             unsigned *hdrlen)
{
    unsigned caplen = (unsigned)(c->snapend - eh), orig = len;
    const uint8_t *bp = eh + 14;
    int printed_len = 0, done;
    uint16_t type;

    c->proto = "ether";
    if (caplen < 14) {
        *hdrlen = caplen;
        return PR_TRUNC;
    }
    if (c->o->ether)
        out_macs(c, eh);
    type = pf_get_be16(eh + 12);
    len -= 14;
    *hdrlen = 14;
    while (is_vlan(type)) {
        if (!pr_have(c, bp, 4) || len < 4) {
            c->proto = "vlan";
            *hdrlen = caplen;
            return PR_TRUNC;
        }
        if (c->o->ether) {
            out_ethertype(c, type);
            pr_out_str(c->out, printed_len ? ", " : "");
            if (!printed_len)
                pr_out_fmt(c->out, ", length %u: ", orig);
            printed_len = 1;
            out_tci(c, pf_get_be16(bp));
        }
        type = pf_get_be16(bp + 2);
        bp += 4;
        len -= 4;
        *hdrlen += 4;
    }
    if (type <= 1500) {
        *hdrlen += ether_llc(c, bp, type < len ? type : len, printed_len);
        return 0;
    }
    if (c->o->ether) {
        out_ethertype(c, type);
        if (!printed_len)
            pr_out_fmt(c->out, ", length %u: ", orig);
        else
            pr_out_str(c->out, ", ");
    }
    if (pr_ethertype(c, type, bp, len, &done) == PR_TRUNC)
        return PR_TRUNC;
    if (!done) {
        if (!c->o->ether) {
            out_macs(c, eh);
            out_ethertype(c, type);
            pr_out_fmt(c->out, ", length %u: ", orig);
        }
        default_print(c, bp);
    }
    return 0;
}

/* ---- Linux cooked headers ---- */

static const struct pr_tok sll_types[] = {
    { 0, "In" }, { 1, "B" }, { 2, "M" }, { 3, "P" }, { 4, "Out" },
    { 0, NULL },
};

static void sll_proto(struct pr_ctx *c, uint16_t proto, unsigned len)
{
    if (c->o->quiet)
        return;
    if (proto <= 1500) {
        if (proto == 1)
            pr_out_str(c->out, "802.3");
        else if (proto == 4)
            pr_out_str(c->out, "802.2");
        else
            pr_out_fmt(c->out, "ethertype Unknown (0x%04x)", proto);
    } else {
        out_ethertype(c, proto);
    }
    pr_out_fmt(c->out, ", length %u: ", len);
}

static void sll_header(struct pr_ctx *c, const uint8_t *h, unsigned len)
{
    unsigned alen = pf_get_be16(h + 4);

    pr_out_fmt(c->out, "%3s ", pr_tok_find(sll_types, pf_get_be16(h))
                                   ? pr_tok_find(sll_types, pf_get_be16(h))
                                   : "?");
    pr_out_linkaddr(c->out, h + 6, alen > 8 ? 8 : alen);
    if (alen == 6 || alen)
        pr_out_char(c->out, ' ');
    sll_proto(c, pf_get_be16(h + 14), len);
}

static int cooked_payload(struct pr_ctx *c, uint16_t proto, const uint8_t *bp,
                          unsigned len, unsigned *hdrlen,
                          void (*hdr)(struct pr_ctx *, const uint8_t *,
                                      unsigned),
                          const uint8_t *h, unsigned hlen)
{
    int done;

    while (proto == 0x8100) {
        if (!pr_have(c, bp, 4) || len < 4) {
            c->proto = "vlan";
            return PR_TRUNC;
        }
        if (c->o->ether) {
            out_tci(c, pf_get_be16(bp));
            proto = pf_get_be16(bp + 2);
            if (proto <= 1500)
                sll_proto(c, proto, len - 4);
            else
                out_ethertype(c, proto), pr_out_str(c->out, ", ");
        } else {
            proto = pf_get_be16(bp + 2);
        }
        bp += 4;
        len -= 4;
        *hdrlen += 4;
    }
    if (proto <= 1500) {
        pr_unlisted(c);
        return 0;
    }
    if (pr_ethertype(c, proto, bp, len, &done) == PR_TRUNC)
        return PR_TRUNC;
    if (!done) {
        if (!c->o->ether)
            hdr(c, h, len + hlen);
        default_print(c, bp);
    }
    return 0;
}

static int sll(struct pr_ctx *c, const uint8_t *h, unsigned len,
               unsigned *hdrlen)
{
    c->proto = "sll";
    if (!pr_have(c, h, 16)) {
        *hdrlen = (unsigned)(c->snapend - h);
        return PR_TRUNC;
    }
    if (c->o->ether)
        sll_header(c, h, len);
    *hdrlen = 16;
    return cooked_payload(c, pf_get_be16(h + 14), h + 16, len - 16, hdrlen,
                          sll_header, h, 16);
}

static void sll2_header(struct pr_ctx *c, const uint8_t *h, unsigned len)
{
    unsigned alen = h[11];

    pr_out_fmt(c->out, "ifindex %u ", pf_get_be32(h + 4));
    pr_out_linkaddr(c->out, h + 12, alen > 8 ? 8 : alen);
    pr_out_char(c->out, ' ');
    sll_proto(c, pf_get_be16(h), len);
}

/* SLL2 names the interface and direction even without -e, as tcpdump
 * does: "eth0  In  " (the name is this machine's, "?" when unknown). */
static void sll2_prefix(struct pr_ctx *c, const uint8_t *h)
{
    char name[IF_NAMESIZE + 1];
    const char *dir = pr_tok_find(sll_types, h[10]);

    if (!if_indextoname(pf_get_be32(h + 4), name))
        snprintf(name, sizeof(name), "?");
    pr_out_fmt(c->out, "%-5s %-3s ", name, dir ? dir : "?");
}

static int sll2(struct pr_ctx *c, const uint8_t *h, unsigned len,
                unsigned *hdrlen)
{
    c->proto = "sll2";
    if (!pr_have(c, h, 20))
        return PR_TRUNC; /* tcpdump longjmps: the dump starts at byte 0 */
    sll2_prefix(c, h);
    if (c->o->ether)
        sll2_header(c, h, len);
    *hdrlen = 20;
    return cooked_payload(c, pf_get_be16(h), h + 20, len - 20, hdrlen,
                          sll2_header, h, 20);
}

/* ---- BSD loopback ---- */

static const struct pr_tok bsd_afs[] = {
    { 2, "IPv4" }, { 7, "ISO" }, { 16, "Appletalk" }, { 23, "IPX" },
    { 24, "IPv6" }, { 28, "IPv6" }, { 30, "IPv6" }, { 0, NULL },
};

static void null_header(struct pr_ctx *c, uint32_t af, unsigned len)
{
    const char *name = pr_tok_find(bsd_afs, af);

    if (!c->o->quiet)
        pr_out_fmt(c->out, "AF %s (%u)", name ? name : "Unknown", af);
    else
        pr_out_str(c->out, name ? name : "Unknown");
    pr_out_fmt(c->out, ", length %u: ", len);
}

static int null_link(struct pr_ctx *c, const uint8_t *h, unsigned len,
                     int loop, unsigned *hdrlen)
{
    uint32_t af;

    c->proto = loop ? "loop" : "null";
    if (!pr_have(c, h, 4)) {
        *hdrlen = (unsigned)(c->snapend - h);
        return PR_TRUNC;
    }
    *hdrlen = 4;
    af = loop ? pf_get_be32(h) : pf_get_le32(h);
    if (!loop && (af & 0xffff0000))
        af = __builtin_bswap32(af);
    if (c->o->ether)
        null_header(c, af, len);
    switch (af) {
    case 2:
        return pr_ip(c, h + 4, len - 4);
    case 24:
    case 28:
    case 30:
        return pr_ip6(c, h + 4, len - 4);
    case 7:
    case 16:
    case 23:
        pr_unlisted(c);
        return 0;
    }
    if (!c->o->ether)
        null_header(c, af, len);
    default_print(c, h + 4);
    return 0;
}

/* RAW: version nibble picks IPv4 or IPv6. */
static int raw_ip(struct pr_ctx *c, const uint8_t *bp, unsigned len)
{
    c->proto = "raw";
    if (c->o->ether)
        pr_out_str(c->out, "ip: ");
    c->proto = "ip";
    PR_NEED(c, bp, 1);
    switch (bp[0] >> 4) {
    case 4:
        return pr_ip(c, bp, len);
    case 6:
        return pr_ip6(c, bp, len);
    }
    pr_out_fmt(c->out, "unknown ip %u", bp[0] >> 4);
    return 0;
}

/*
 * Decodes a packet of @linktype. *@hdrlen receives the link header length
 * (what -x skips).
 */
int pr_link(struct pr_ctx *c, uint32_t linktype, const uint8_t *bp,
            unsigned len, unsigned *hdrlen)
{
    *hdrlen = 0;
    switch (linktype) {
    case LT_EN10MB:
        return pr_ether(c, bp, len, hdrlen);
    case LT_LINUX_SLL:
        return sll(c, bp, len, hdrlen);
    case LT_LINUX_SLL2:
        return sll2(c, bp, len, hdrlen);
    case LT_NULL:
        return null_link(c, bp, len, 0, hdrlen);
    case LT_LOOP:
        return null_link(c, bp, len, 1, hdrlen);
    case LT_RAW:
        return raw_ip(c, bp, len);
    case LT_IPV4:
    case LT_IPV6:
        return raw_ip(c, bp, len);
    }
    pr_unlisted(c);
    pr_out_fmt(c->out, "[link-type %u] length %u", linktype, len);
    return 0;
}
