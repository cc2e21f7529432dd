/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Qualified identifiers: `[proto] [dir] [host|net|port|portrange|proto|
 * protochain] value`, where the value is a name, a number, a dotted IPv4
 * address (possibly partial, with /len or `mask`), an IPv6 address with
 * an optional prefix, or a MAC address. Names resolve here: host names
 * to every address getaddrinfo returns (or-ed in that order), services,
 * protocols and networks.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/ether.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "common/bytes.h"
#include "filters/filters_impl.h"

static const char *pname_text(int proto)
{
    static const char *const names[] = {
        "", "link", "ip", "arp", "rarp", "sctp", "tcp", "udp", "icmp",
        "igmp", "igrp", "atalk", "decnet", "lat", "sca", "moprc", "mopdl",
        "ip6", "icmp6", "ah", "esp", "pim", "vrrp", "aarp", "iso", "esis",
        "isis", "clnp", "stp", "ipx", "netbeui", "l1", "l2", "iih", "snp",
        "csnp", "psnp", "lsp", "radio", "carp",
    };

    return (size_t)proto < sizeof(names) / sizeof(names[0]) ? names[proto]
                                                             : "?";
}

static void *fail(struct fc_state *st, int code, const char *fmt,
                  const char *a, const char *b)
{
    fc_error(st, code, fmt, a, b);
    return NULL;
}

/* IPv4 address (and mask) in the header at src_off/dst_off. */
static struct fc_frag *hostop(struct fc_state *st, uint32_t addr,
                              uint32_t mask, int dir, uint32_t llp,
                              uint32_t src_off, uint32_t dst_off)
{
    uint32_t off;

    switch (dir) {
    case FC_D_SRC: off = src_off; break;
    case FC_D_DST: off = dst_off; break;
    case FC_D_AND:
        return fc_and(hostop(st, addr, mask, FC_D_SRC, llp, src_off, dst_off),
                      hostop(st, addr, mask, FC_D_DST, llp, src_off,
                             dst_off));
    case FC_D_DEFAULT: case FC_D_OR:
        return fc_or(hostop(st, addr, mask, FC_D_SRC, llp, src_off, dst_off),
                     hostop(st, addr, mask, FC_D_DST, llp, src_off, dst_off));
    default:
        return fail(st, PF_COMPILE_QUALIFIER, "802.11 address qualifiers "
                    "are not valid for addresses other than 802.11 MAC "
                    "addresses%s%s", "", "");
    }
    return fc_and(fc_linktype(st, llp),
                  fc_mcmp(st, FC_OR_LINKPL, off, PF_CBPF_W, addr, mask));
}

/* DECnet: the address in the short or long header, with or without the
 * padding byte, in libpcap's order (last alternative tested first). */
static struct fc_frag *dnhostop(struct fc_state *st, uint32_t addr, int dir)
{
    uint32_t sh, lh, a = __builtin_bswap16((uint16_t)addr);
    struct fc_frag *b1, *b2;

    switch (dir) {
    case FC_D_DST: sh = 1; lh = 7; break;
    case FC_D_SRC: sh = 3; lh = 15; break;
    case FC_D_AND:
        return fc_and(dnhostop(st, addr, FC_D_SRC),
                      dnhostop(st, addr, FC_D_DST));
    case FC_D_DEFAULT: case FC_D_OR:
        return fc_or(dnhostop(st, addr, FC_D_SRC),
                     dnhostop(st, addr, FC_D_DST));
    default:
        return fail(st, PF_COMPILE_QUALIFIER, "802.11 address qualifiers "
                    "are not valid for DECnet addresses%s%s", "", "");
    }
    b1 = fc_and(fc_mcmp(st, FC_OR_LINKPL, 2, PF_CBPF_H, 0x8106, 0xff07),
                fc_cmp(st, FC_OR_LINKPL, 3 + lh, PF_CBPF_H, a));
    b2 = fc_and(fc_mcmp(st, FC_OR_LINKPL, 2, PF_CBPF_B, 0x06, 0x7),
                fc_cmp(st, FC_OR_LINKPL, 2 + lh, PF_CBPF_H, a));
    b1 = fc_or(b2, b1);
    b2 = fc_and(fc_mcmp(st, FC_OR_LINKPL, 2, PF_CBPF_H, 0x8102, 0xff07),
                fc_cmp(st, FC_OR_LINKPL, 3 + sh, PF_CBPF_H, a));
    b1 = fc_or(b2, b1);
    b2 = fc_and(fc_mcmp(st, FC_OR_LINKPL, 2, PF_CBPF_B, 0x02, 0x7),
                fc_cmp(st, FC_OR_LINKPL, 2 + sh, PF_CBPF_H, a));
    b1 = fc_or(b2, b1);
    return fc_and(fc_linktype(st, FC_ETHERTYPE_DN), b1);
}

static const char *host_refusal(int proto)
{
    switch (proto) {
    case FC_P_ATALK: return "AppleTalk host filtering not implemented";
    case FC_P_LAT: return "LAT host filtering not implemented";
    case FC_P_SCA: return "SCA host filtering not implemented";
    case FC_P_MOPDL: return "MOPDL host filtering not implemented";
    case FC_P_MOPRC: return "MOPRC host filtering not implemented";
    case FC_P_AARP: return "AARP host filtering not implemented";
    case FC_P_ISO: return "ISO host filtering not implemented";
    case FC_P_IPX: return "IPX host filtering not implemented";
    default: return NULL;
    }
}

static struct fc_frag *gen_host(struct fc_state *st, uint32_t addr,
                                uint32_t mask, int proto, int dir, int type)
{
    const char *what = type == FC_A_NET ? "net" : "host";
    struct fc_frag *b0, *b1;

    switch (proto) {
    case FC_P_DEFAULT:
        b0 = gen_host(st, addr, mask, FC_P_IP, dir, type);
        if (st->mpls_depth == 0) {
            b1 = fc_or(b0, gen_host(st, addr, mask, FC_P_ARP, dir, type));
            b0 = fc_or(b1, gen_host(st, addr, mask, FC_P_RARP, dir, type));
        }
        return b0;
    case FC_P_IP:
        return hostop(st, addr, mask, dir, FC_ETHERTYPE_IP, 12, 16);
    case FC_P_ARP:
        return hostop(st, addr, mask, dir, FC_ETHERTYPE_ARP, 14, 24);
    case FC_P_RARP:
        return hostop(st, addr, mask, dir, FC_ETHERTYPE_REVARP, 14, 24);
    case FC_P_LINK:
        return fail(st, PF_COMPILE_QUALIFIER,
                    "link-layer modifier applied to %s%s", what, "");
    case FC_P_IPV6:
        return fail(st, PF_COMPILE_QUALIFIER,
                    "'ip6' modifier applied to ip %s%s", what, "");
    case FC_P_DECNET:
        return dnhostop(st, addr, dir);
    default:
        if (host_refusal(proto))
            return fail(st, PF_COMPILE_QUALIFIER, "%s%s",
                        host_refusal(proto), "");
        return fail(st, PF_COMPILE_QUALIFIER, "'%s' modifier applied to %s",
                    pname_text(proto), what);
    }
}

/* IPv6 address under a mask: words from the last, linktype first. */
static struct fc_frag *hostop6(struct fc_state *st, const uint8_t *a,
                               const uint8_t *m, int dir, uint32_t off)
{
    struct fc_frag *b1 = NULL;

    switch (dir) {
    case FC_D_SRC: off = 8; break;
    case FC_D_DST: off = 24; break;
    case FC_D_AND:
        return fc_and(hostop6(st, a, m, FC_D_SRC, 0),
                      hostop6(st, a, m, FC_D_DST, 0));
    case FC_D_DEFAULT: case FC_D_OR:
        return fc_or(hostop6(st, a, m, FC_D_SRC, 0),
                     hostop6(st, a, m, FC_D_DST, 0));
    default:
        return fail(st, PF_COMPILE_QUALIFIER, "802.11 address qualifiers "
                    "are not valid for addresses other than 802.11 MAC "
                    "addresses%s%s", "", "");
    }
    for (int w = 3; w >= 0; w--) {
        struct fc_frag *b0 = fc_mcmp(st, FC_OR_LINKPL, off + 4 * (uint32_t)w,
                                     PF_CBPF_W, pf_get_be32(a + 4 * w),
                                     pf_get_be32(m + 4 * w));
        b1 = b1 ? fc_and(b0, b1) : b0;
    }
    return fc_and(fc_linktype(st, FC_ETHERTYPE_IPV6), b1);
}

static struct fc_frag *gen_host6(struct fc_state *st, const uint8_t *a,
                                 const uint8_t *m, int proto, int dir,
                                 int type)
{
    const char *what = type == FC_A_NET ? "net" : "host";

    if (proto == FC_P_DEFAULT || proto == FC_P_IPV6)
        return hostop6(st, a, m, dir, 0);
    if (proto == FC_P_LINK)
        return fail(st, PF_COMPILE_QUALIFIER,
                    "link-layer modifier applied to ip6 %s%s", what, "");
    if (host_refusal(proto))
        return fail(st, PF_COMPILE_QUALIFIER, "%s%s", host_refusal(proto),
                    "");
    return fail(st, PF_COMPILE_QUALIFIER, "'%s' modifier applied to ip6 %s",
                pname_text(proto), what);
}

/* Dotted decimal, possibly partial ("10", "10.1"): bits parsed or -1. */
static int atoin(const char *s, uint32_t *addr)
{
    int len = 0;

    *addr = 0;
    for (;;) {
        uint32_t n = 0;

        if (!(*s >= '0' && *s <= '9'))
            return -1;
        while (*s >= '0' && *s <= '9') {
            n = n * 10 + (uint32_t)(*s++ - '0');
            if (n > 255)
                return -1;
        }
        *addr = *addr << 8 | n;
        len += 8;
        if (!*s)
            return len;
        if (*s++ != '.')
            return -1;
    }
}

/* Host names: every address getaddrinfo gives, or-ed in order. */
static struct fc_frag *host_by_name(struct fc_state *st, const char *name,
                                    int proto, int dir, int type)
{
    struct addrinfo hints = {0}, *res0, *res;
    struct fc_frag *b = NULL, *t;
    static const uint8_t ones[16] = {255, 255, 255, 255, 255, 255, 255, 255,
                                     255, 255, 255, 255, 255, 255, 255, 255};
    int tproto = proto, tproto6 = proto;

    hints.ai_family = PF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_protocol = IPPROTO_TCP;
    if (getaddrinfo(name, NULL, &hints, &res0))
        return fail(st, PF_COMPILE_NAME, "unknown host '%s'%s", name, "");
    if (st->off_linktype.constant_part == (uint32_t)-1 &&
        proto == FC_P_DEFAULT) {
        tproto = FC_P_IP;
        tproto6 = FC_P_IPV6;
    }
    for (res = res0; res; res = res->ai_next) {
        if (res->ai_family == AF_INET && tproto != FC_P_IPV6) {
            struct sockaddr_in *sin = (struct sockaddr_in *)res->ai_addr;

            t = gen_host(st, ntohl(sin->sin_addr.s_addr), 0xffffffff, tproto,
                         dir, type);
        } else if (res->ai_family == AF_INET6 && tproto6 != FC_P_IP) {
            struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)res->ai_addr;

            t = gen_host6(st, s6->sin6_addr.s6_addr, ones, tproto6, dir,
                          type);
        } else {
            continue;
        }
        b = b ? fc_or(b, t) : t;
        if (!b)
            break;
    }
    freeaddrinfo(res0);
    if (!b && !st->err->err)
        fail(st, PF_COMPILE_NAME, "unknown host '%s'%s", name,
             proto == FC_P_DEFAULT ? "" : " for specified address family");
    return b;
}

static int port_proto(struct fc_state *st, int proto, int real,
                      const char *name, const char *what)
{
    static const struct { int q, ip; const char *s; } m[] = {
        {FC_P_TCP, FC_IPPROTO_TCP, "tcp"}, {FC_P_UDP, FC_IPPROTO_UDP, "udp"},
        {FC_P_SCTP, FC_IPPROTO_SCTP, "sctp"},
    };

    if (proto == FC_P_DEFAULT)
        return real;
    for (size_t i = 0; i < 3; i++) {
        if (m[i].q != proto)
            continue;
        for (size_t j = 0; j < 3; j++)
            if (j != i && real == m[j].ip) {
                fc_error(st, PF_COMPILE_NAME, "%s '%s' is %s", what, name,
                         m[j].s);
                return -2;
            }
        return m[i].ip;
    }
    fc_error(st, PF_COMPILE_QUALIFIER, "illegal qualifier of '%s'", what);
    return -2;
}

static struct fc_frag *ports(struct fc_state *st, int lo, int hi, int ipp,
                             int dir)
{
    struct fc_frag *b = fc_gen_port(st, lo, hi, ipp, dir, 0);

    return fc_or(fc_gen_port(st, lo, hi, ipp, dir, 1), b);
}

static struct fc_frag *port_by_name(struct fc_state *st, struct fc_node *n)
{
    int port, real, lo, hi, range = n->q.addr == FC_A_PORTRANGE;
    const char *what = range ? "portrange" : "port";

    if (n->q.proto != FC_P_DEFAULT && n->q.proto != FC_P_TCP &&
        n->q.proto != FC_P_UDP && n->q.proto != FC_P_SCTP)
        return fail(st, PF_COMPILE_QUALIFIER, "illegal qualifier of '%s'%s",
                    what, "");
    if (!range && !fc_name_port(n->s, &port, &real))
        return fail(st, PF_COMPILE_NAME, "unknown port '%s'%s", n->s, "");
    if (range && !fc_name_portrange(n->s, &lo, &hi, &real))
        return fail(st, PF_COMPILE_NAME, "unknown port in range '%s'%s",
                    n->s, "");
    real = port_proto(st, n->q.proto, real, n->s, what);
    if (real == -2)
        return NULL;
    if (!range)
        lo = hi = port;
    if (lo < 0 || hi < 0 || lo > 65535 || hi > 65535) {
        fc_error(st, PF_COMPILE_VALUE, "illegal port number %d",
                 lo < 0 || lo > 65535 ? lo : hi);
        return NULL;
    }
    return ports(st, range ? lo : -1, hi, real, n->q.dir);
}

static struct fc_frag *net_by_name(struct fc_state *st, struct fc_node *n)
{
    struct netent *ne = getnetbyname(n->s);
    uint32_t addr, mask = 0xffffffff;

    if (!ne || !ne->n_net)
        return fail(st, PF_COMPILE_NAME, "unknown network '%s'%s", n->s, "");
    addr = ne->n_net;
    while (addr && !(addr & 0xff000000)) {
        addr <<= 8;
        mask <<= 8;
    }
    return gen_host(st, addr, mask, n->q.proto, n->q.dir, FC_A_NET);
}

static struct fc_frag *ether_by_name(struct fc_state *st, struct fc_node *n)
{
    struct ether_addr ea;

    if (!fc_link_is_ether_like(st))
        return fail(st, PF_COMPILE_LINKTYPE, "link-level host names are "
                    "supported only on Ethernet%s%s", "", "");
    if (ether_hostton(n->s, &ea))
        return fail(st, PF_COMPILE_NAME, "unknown ether host '%s'%s", n->s,
                    "");
    if (st->is_geneve)
        return fc_and(fc_geneve_ll_check(st),
                      fc_ehostop(st, ea.ether_addr_octet, n->q.dir));
    return fc_ehostop(st, ea.ether_addr_octet, n->q.dir);
}

static struct fc_frag *gen_proto_name(struct fc_state *st, struct fc_node *n)
{
    int v = fc_name_proto(n->s, n->q.proto);

    if (v == FC_PROTO_UNDEF && (n->q.proto == FC_P_DEFAULT ||
                                n->q.proto == FC_P_IP ||
                                n->q.proto == FC_P_IPV6))
        return fail(st, PF_COMPILE_NAME, "unknown ip proto '%s'%s", n->s, "");
    if (v == FC_PROTO_UNDEF && n->q.proto == FC_P_LINK)
        return fail(st, PF_COMPILE_NAME, "unknown ether proto '%s'%s", n->s,
                    "");
    if (v == FC_PROTO_UNDEF && n->q.proto == FC_P_ISO)
        return fail(st, PF_COMPILE_NAME, "unknown osi proto '%s'%s", n->s, "");
    if (n->q.addr == FC_A_PROTOCHAIN)
        return fc_protochain(st, (uint32_t)v, n->q.proto);
    return fc_gen_proto(st, (uint32_t)v, n->q.proto, n->q.dir);
}

/* gen_scode: a name after its qualifiers. */
static struct fc_frag *gen_name(struct fc_state *st, struct fc_node *n)
{
    switch (n->q.addr) {
    case FC_A_NET:
        return net_by_name(st, n);
    case FC_A_DEFAULT: case FC_A_HOST:
        if (n->q.proto == FC_P_LINK)
            return ether_by_name(st, n);
        if (n->q.proto == FC_P_DECNET)
            return fail(st, PF_COMPILE_NAME, "decnet name support not "
                        "included, '%s' cannot be translated%s", n->s, "");
        return host_by_name(st, n->s, n->q.proto, n->q.dir, n->q.addr);
    case FC_A_PORT: case FC_A_PORTRANGE:
        return port_by_name(st, n);
    case FC_A_GATEWAY:
        return fail(st, PF_COMPILE_UNSUPPORTED, "'gateway' is not "
                    "supported%s%s", "", "");
    case FC_A_PROTO: case FC_A_PROTOCHAIN:
        return gen_proto_name(st, n);
    default:
        return fail(st, PF_COMPILE_SYNTAX, "'%s' needs a qualifier such as "
                    "'host', 'net' or 'port' before it%s", n->s, "");
    }
}

static struct fc_frag *num_port(struct fc_state *st, struct fc_node *n)
{
    int ipp;

    switch (n->q.proto) {
    case FC_P_UDP: ipp = FC_IPPROTO_UDP; break;
    case FC_P_TCP: ipp = FC_IPPROTO_TCP; break;
    case FC_P_SCTP: ipp = FC_IPPROTO_SCTP; break;
    case FC_P_DEFAULT: ipp = FC_PROTO_UNDEF; break;
    default:
        return fail(st, PF_COMPILE_QUALIFIER, "illegal qualifier of '%s'%s",
                    n->q.addr == FC_A_PORT ? "port" : "portrange", "");
    }
    if (n->num > 65535) {
        fc_error(st, PF_COMPILE_VALUE, "illegal port number %u > 65535",
                 n->num);
        return NULL;
    }
    return ports(st, n->q.addr == FC_A_PORT ? -1 : (int)n->num, (int)n->num,
                 ipp, n->q.dir);
}

/* gen_ncode: a number or dotted IPv4 literal after its qualifiers. */
static struct fc_frag *gen_number(struct fc_state *st, struct fc_node *n)
{
    uint32_t v = n->num, mask = 0xffffffff;
    int vlen = 32;

    if (n->form == FC_ID_HID && n->q.proto == FC_P_DECNET) {
        unsigned area, node;

        if (sscanf(n->s, "%u.%u", &area, &node) != 2)
            return fail(st, PF_COMPILE_VALUE, "malformed decnet address "
                        "'%s'%s", n->s, "");
        v = (area << 10 & 0xfc00) | (node & 0x3ff);
    } else if (n->form == FC_ID_HID) {
        vlen = atoin(n->s, &v);
        if (vlen < 0)
            return fail(st, PF_COMPILE_VALUE, "invalid IPv4 address '%s'%s",
                        n->s, "");
    }
    switch (n->q.addr) {
    case FC_A_DEFAULT: case FC_A_HOST: case FC_A_NET:
        if (n->q.proto == FC_P_DECNET)
            return dnhostop(st, v, n->q.dir);
        if (n->q.proto == FC_P_LINK)
            return fail(st, PF_COMPILE_QUALIFIER, "illegal link layer "
                        "address%s%s", "", "");
        if (n->form == FC_ID_NUM && n->q.addr == FC_A_NET) {
            while (v && !(v & 0xff000000)) {
                v <<= 8;
                mask <<= 8;
            }
        } else if (vlen < 32) {
            v <<= 32 - vlen;
            mask <<= 32 - vlen;
        }
        return gen_host(st, v, mask, n->q.proto, n->q.dir, n->q.addr);
    case FC_A_PORT: case FC_A_PORTRANGE:
        return num_port(st, n);
    case FC_A_GATEWAY:
        return fail(st, PF_COMPILE_QUALIFIER, "'gateway' requires a name%s%s",
                    "", "");
    case FC_A_PROTO:
        return fc_gen_proto(st, v, n->q.proto, n->q.dir);
    case FC_A_PROTOCHAIN:
        return fc_protochain(st, v, n->q.proto);
    default:
        return fail(st, PF_COMPILE_SYNTAX, "a number needs a qualifier such "
                    "as 'host', 'net' or 'port' before it%s%s", "", "");
    }
}

static const char *mask_refusal(struct fc_node *n)
{
    switch (n->q.addr) {
    case FC_A_PORT: return "'port' modifier applied to IP address";
    case FC_A_PORTRANGE: return "'portrange' modifier applied to IP address";
    case FC_A_PROTO: return "'proto' modifier applied to IP address";
    case FC_A_PROTOCHAIN:
        return "'protochain' modifier applied to IP address";
    default: return NULL;
    }
}

/* gen_mcode: a.b.c.d/len or a.b.c.d mask m.m.m.m */
static struct fc_frag *gen_masked(struct fc_state *st, struct fc_node *n)
{
    uint32_t a, m;
    int alen = atoin(n->s, &a), mlen;

    if (alen < 0)
        return fail(st, PF_COMPILE_VALUE, "invalid IPv4 address '%s'%s",
                    n->s, "");
    a <<= 32 - alen;
    if (n->form == FC_ID_HID_MASK) {
        mlen = atoin(n->s2, &m);
        if (mlen < 0)
            return fail(st, PF_COMPILE_VALUE, "invalid IPv4 address '%s'%s",
                        n->s2, "");
        m <<= 32 - mlen;
        if (a & ~m)
            return fail(st, PF_COMPILE_VALUE, "non-network bits set in "
                        "\"%s mask %s\"", n->s, n->s2);
    } else {
        if (n->num > 32) {
            fc_error(st, PF_COMPILE_VALUE, "mask length must be <= 32");
            return NULL;
        }
        m = n->num ? 0xffffffffu << (32 - n->num) : 0;
        if (a & ~m) {
            fc_error(st, PF_COMPILE_VALUE, "non-network bits set in "
                     "\"%s/%u\"", n->s, n->num);
            return NULL;
        }
    }
    if (n->q.addr != FC_A_NET)
        return fail(st, PF_COMPILE_QUALIFIER, "mask syntax is for networks "
                    "only (use 'net')%s%s", "", "");
    return gen_host(st, a, m, n->q.proto, n->q.dir, FC_A_NET);
}

/* gen_mcode6: an IPv6 address with an optional prefix length. */
static struct fc_frag *gen_v6(struct fc_state *st, struct fc_node *n)
{
    uint8_t a[16], m[16] = {0};
    uint32_t len = n->form == FC_ID_HID6_LEN ? n->num : 128;

    if (inet_pton(AF_INET6, n->s, a) != 1)
        return fail(st, PF_COMPILE_VALUE, "invalid IPv6 address %s%s", n->s,
                    "");
    if (len > 128) {
        fc_error(st, PF_COMPILE_VALUE, "mask length must be <= 128");
        return NULL;
    }
    memset(m, 0xff, len / 8);
    if (len % 8)
        m[len / 8] = (uint8_t)(0xff << (8 - len % 8));
    for (int i = 0; i < 16; i++)
        if (a[i] & ~m[i]) {
            fc_error(st, PF_COMPILE_VALUE, "non-network bits set in "
                     "\"%s/%u\"", n->s, len);
            return NULL;
        }
    if ((n->q.addr == FC_A_DEFAULT || n->q.addr == FC_A_HOST) && len != 128)
        return fail(st, PF_COMPILE_QUALIFIER, "mask syntax is for networks "
                    "only (use 'net')%s%s", "", "");
    if (n->q.addr != FC_A_DEFAULT && n->q.addr != FC_A_HOST &&
        n->q.addr != FC_A_NET)
        return fail(st, PF_COMPILE_QUALIFIER, "invalid qualifier against "
                    "IPv6 address%s%s", "", "");
    return gen_host6(st, a, m, n->q.proto, n->q.dir, n->q.addr);
}

static struct fc_frag *gen_mac(struct fc_state *st, struct fc_node *n)
{
    uint8_t mac[6];
    int k = 0;

    if ((n->q.addr != FC_A_HOST && n->q.addr != FC_A_DEFAULT) ||
        n->q.proto != FC_P_LINK)
        return fail(st, PF_COMPILE_QUALIFIER, "ethernet address used in "
                    "non-ether expression%s%s", "", "");
    for (const char *p = n->s; *p && k < 6;) {
        unsigned v = 0;
        int digits = 0;

        if (*p == ':' || *p == '.' || *p == '-')
            p++;
        while (digits < 2 && isxdigit((unsigned char)*p)) {
            v = v * 16 + (unsigned)(isdigit((unsigned char)*p)
                                        ? *p - '0'
                                        : (tolower(*p) - 'a' + 10));
            p++;
            digits++;
        }
        mac[k++] = (uint8_t)v;
    }
    if (st->is_geneve)
        return fc_and(fc_geneve_ll_check(st), fc_ehostop(st, mac, n->q.dir));
    return fc_ehostop(st, mac, n->q.dir);
}

/* Generates a qualified identifier node; NULL on error. */
struct fc_frag *fc_gen_id(struct fc_state *st, struct fc_node *n)
{
    if (n->q.addr == FC_A_UNDEF)
        return fail(st, PF_COMPILE_SYNTAX, "a value here needs a qualifier "
                    "such as 'host', 'net' or 'port' before it%s%s", "", "");
    if ((n->form == FC_ID_HID || n->form == FC_ID_HID_LEN ||
         n->form == FC_ID_HID_MASK || n->form == FC_ID_HID6 ||
         n->form == FC_ID_HID6_LEN) && mask_refusal(n))
        return fail(st, PF_COMPILE_QUALIFIER, "%s%s", mask_refusal(n), "");
    switch (n->form) {
    case FC_ID_NAME: return gen_name(st, n);
    case FC_ID_NUM: case FC_ID_HID: return gen_number(st, n);
    case FC_ID_HID_LEN: case FC_ID_HID_MASK: return gen_masked(st, n);
    case FC_ID_HID6: case FC_ID_HID6_LEN: return gen_v6(st, n);
    case FC_ID_EID: return gen_mac(st, n);
    default:
        return fail(st, PF_COMPILE_LINKTYPE, "ARCnet addresses ('%s') are "
                    "supported only on ARCnet%s", n->s, "");
    }
}
