/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Network and transport protocol tests: the protocol keywords (`tcp`,
 * `ip6`, `stp`, `l1`...), `ip proto`/`ip6 proto`/`proto`, the "not a
 * later fragment" test, TCP/UDP/SCTP ports and port ranges over IPv4 and
 * IPv6, and a loop-free `protochain`. Or-chains are built in libpcap's
 * order (it often tests the last-added alternative first), because the
 * order of loads decides the verdict on truncated packets.
 */
#include <errno.h>

#include "filters/filters_impl.h"

#define ISO9542_ESIS 0x82
#define ISO10589_ISIS 0x83
#define ISO8473_CLNP 0x81

/* "Not a later IPv4 fragment": offset field & 0x1fff == 0. */
struct fc_frag *fc_ipfrag(struct fc_state *st)
{
    struct fc_slist l = {0};

    if (fc_load_a(st, FC_OR_LINKPL, 6, PF_CBPF_H, &l))
        return NULL;
    return fc_not(fc_jump(st, &l, PF_CBPF_JSET, 0x1fff));
}

static const char *bogus_proto(int proto)
{
    switch (proto) {
    case FC_P_ARP: return "arp does not encapsulate another protocol";
    case FC_P_RARP: return "rarp does not encapsulate another protocol";
    case FC_P_SCTP: return "'sctp proto' is bogus";
    case FC_P_TCP: return "'tcp proto' is bogus";
    case FC_P_UDP: return "'udp proto' is bogus";
    case FC_P_ICMP: return "'icmp proto' is bogus";
    case FC_P_IGMP: return "'igmp proto' is bogus";
    case FC_P_IGRP: return "'igrp proto' is bogus";
    case FC_P_ATALK: return "AppleTalk encapsulation is not specifiable";
    case FC_P_DECNET: return "DECNET encapsulation is not specifiable";
    case FC_P_LAT: return "LAT does not encapsulate another protocol";
    case FC_P_SCA: return "SCA does not encapsulate another protocol";
    case FC_P_MOPRC: return "MOPRC does not encapsulate another protocol";
    case FC_P_MOPDL: return "MOPDL does not encapsulate another protocol";
    case FC_P_ICMPV6: return "'icmp6 proto' is bogus";
    case FC_P_AH: return "'ah proto' is bogus";
    case FC_P_ESP: return "'esp proto' is bogus";
    case FC_P_PIM: return "'pim proto' is bogus";
    case FC_P_VRRP: return "'vrrp proto' is bogus";
    case FC_P_CARP: return "'carp proto' is bogus";
    case FC_P_ESIS: return "'esis proto' is bogus";
    case FC_P_CLNP: return "'clnp proto' is not supported";
    case FC_P_STP: return "'stp proto' is bogus";
    case FC_P_IPX: return "'ipx proto' is bogus";
    case FC_P_NETBEUI: return "'netbeui proto' is bogus";
    case FC_P_RADIO: return "'radio proto' is bogus";
    default: return "this protocol does not encapsulate another protocol";
    }
}

/* OSI: NLPID after the LLC header (or Cisco HDLC's fudge byte). */
static struct fc_frag *iso_proto(struct fc_state *st, uint32_t v)
{
    if (st->linktype == 104)
        return fc_and(fc_linktype(st, FC_LLCSAP_ISONS << 8 | FC_LLCSAP_ISONS),
                      fc_cmp(st, FC_OR_LINKPL_NOSNAP, 1, PF_CBPF_B, v));
    return fc_and(fc_linktype(st, FC_LLCSAP_ISONS),
                  fc_cmp(st, FC_OR_LINKPL_NOSNAP, 0, PF_CBPF_B, v));
}

/* ip6 next header == v, or a fragment header followed by v. */
static struct fc_frag *ip6_proto(struct fc_state *st, uint32_t v)
{
    struct fc_frag *b0 = fc_linktype(st, FC_ETHERTYPE_IPV6);
    struct fc_frag *b1, *b2;

    b2 = fc_cmp(st, FC_OR_LINKPL, 6, PF_CBPF_B, FC_IPPROTO_FRAGMENT);
    b1 = fc_and(b2, fc_cmp(st, FC_OR_LINKPL, 40, PF_CBPF_B, v));
    b1 = fc_or(fc_cmp(st, FC_OR_LINKPL, 6, PF_CBPF_B, v), b1);
    return fc_and(b0, b1);
}

/* `[proto] proto v`: protocol @v inside @proto; NULL on error. */
struct fc_frag *fc_gen_proto(struct fc_state *st, uint32_t v, int proto,
                             int dir)
{
    if (dir != FC_D_DEFAULT) {
        fc_error(st, PF_COMPILE_QUALIFIER, "direction applied to 'proto'");
        return NULL;
    }
    switch (proto) {
    case FC_P_DEFAULT:
        return fc_or(fc_gen_proto(st, v, FC_P_IP, dir),
                     fc_gen_proto(st, v, FC_P_IPV6, dir));
    case FC_P_LINK:
        return fc_linktype(st, v);
    case FC_P_IP:
        return fc_and(fc_linktype(st, FC_ETHERTYPE_IP),
                      fc_cmp(st, FC_OR_LINKPL, 9, PF_CBPF_B, v));
    case FC_P_ISO:
        return iso_proto(st, v);
    case FC_P_ISIS:
        return fc_and(fc_gen_proto(st, ISO10589_ISIS, FC_P_ISO, dir),
                      fc_cmp(st, FC_OR_LINKPL_NOSNAP, 4, PF_CBPF_B, v));
    case FC_P_IPV6:
        return ip6_proto(st, v);
    default:
        fc_error(st, PF_COMPILE_QUALIFIER, "%s", bogus_proto(proto));
        return NULL;
    }
}

/* IS-IS PDU type lists, each or-ed newest-first as libpcap does. */
static struct fc_frag *isis_any(struct fc_state *st, const uint8_t *types,
                                int n)
{
    struct fc_frag *b = fc_gen_proto(st, types[0], FC_P_ISIS, FC_D_DEFAULT);

    if (n > 1)
        b = fc_or(b, fc_gen_proto(st, types[1], FC_P_ISIS, FC_D_DEFAULT));
    for (int i = 2; i < n && b; i++)
        b = fc_or(fc_gen_proto(st, types[i], FC_P_ISIS, FC_D_DEFAULT), b);
    return b;
}

static struct fc_frag *isis_abbrev(struct fc_state *st, int proto)
{
    static const uint8_t l1[] = {15, 17, 18, 24, 26};
    static const uint8_t l2[] = {16, 17, 20, 25, 27};
    static const uint8_t iih[] = {15, 16, 17};
    static const uint8_t lsp[] = {18, 20};
    static const uint8_t snp[] = {24, 25, 26, 27};
    static const uint8_t csnp[] = {24, 25};
    static const uint8_t psnp[] = {26, 27};

    switch (proto) {
    case FC_P_ISIS_L1: return isis_any(st, l1, 5);
    case FC_P_ISIS_L2: return isis_any(st, l2, 5);
    case FC_P_ISIS_IIH: return isis_any(st, iih, 3);
    case FC_P_ISIS_LSP: return isis_any(st, lsp, 2);
    case FC_P_ISIS_SNP: return isis_any(st, snp, 4);
    case FC_P_ISIS_CSNP: return isis_any(st, csnp, 2);
    default: return isis_any(st, psnp, 2);
    }
}

/* A protocol keyword used alone (`tcp`, `ip6`, `l1`...). */
struct fc_frag *fc_proto_abbrev(struct fc_state *st, int proto)
{
    switch (proto) {
    case FC_P_SCTP: return fc_gen_proto(st, FC_IPPROTO_SCTP, 0, 0);
    case FC_P_TCP: return fc_gen_proto(st, FC_IPPROTO_TCP, 0, 0);
    case FC_P_UDP: return fc_gen_proto(st, FC_IPPROTO_UDP, 0, 0);
    case FC_P_ICMP: return fc_gen_proto(st, FC_IPPROTO_ICMP, FC_P_IP, 0);
    case FC_P_IGMP: return fc_gen_proto(st, FC_IPPROTO_IGMP, FC_P_IP, 0);
    case FC_P_IGRP: return fc_gen_proto(st, FC_IPPROTO_IGRP, FC_P_IP, 0);
    case FC_P_PIM: return fc_gen_proto(st, FC_IPPROTO_PIM, 0, 0);
    case FC_P_VRRP: return fc_gen_proto(st, FC_IPPROTO_VRRP, FC_P_IP, 0);
    case FC_P_CARP: return fc_gen_proto(st, FC_IPPROTO_CARP, FC_P_IP, 0);
    case FC_P_IP: return fc_linktype(st, FC_ETHERTYPE_IP);
    case FC_P_ARP: return fc_linktype(st, FC_ETHERTYPE_ARP);
    case FC_P_RARP: return fc_linktype(st, FC_ETHERTYPE_REVARP);
    case FC_P_ATALK: return fc_linktype(st, FC_ETHERTYPE_ATALK);
    case FC_P_AARP: return fc_linktype(st, FC_ETHERTYPE_AARP);
    case FC_P_DECNET: return fc_linktype(st, FC_ETHERTYPE_DN);
    case FC_P_SCA: return fc_linktype(st, FC_ETHERTYPE_SCA);
    case FC_P_LAT: return fc_linktype(st, FC_ETHERTYPE_LAT);
    case FC_P_MOPDL: return fc_linktype(st, FC_ETHERTYPE_MOPDL);
    case FC_P_MOPRC: return fc_linktype(st, FC_ETHERTYPE_MOPRC);
    case FC_P_IPV6: return fc_linktype(st, FC_ETHERTYPE_IPV6);
    case FC_P_ICMPV6:
        return fc_gen_proto(st, FC_IPPROTO_ICMPV6, FC_P_IPV6, 0);
    case FC_P_AH: return fc_gen_proto(st, FC_IPPROTO_AH, 0, 0);
    case FC_P_ESP: return fc_gen_proto(st, FC_IPPROTO_ESP, 0, 0);
    case FC_P_ISO: return fc_linktype(st, FC_LLCSAP_ISONS);
    case FC_P_ESIS: return fc_gen_proto(st, ISO9542_ESIS, FC_P_ISO, 0);
    case FC_P_ISIS: return fc_gen_proto(st, ISO10589_ISIS, FC_P_ISO, 0);
    case FC_P_CLNP: return fc_gen_proto(st, ISO8473_CLNP, FC_P_ISO, 0);
    case FC_P_STP: return fc_linktype(st, FC_LLCSAP_8021D);
    case FC_P_IPX: return fc_linktype(st, FC_LLCSAP_IPX);
    case FC_P_NETBEUI: return fc_linktype(st, FC_LLCSAP_NETBEUI);
    case FC_P_LINK:
        fc_error(st, PF_COMPILE_QUALIFIER,
                 "link layer applied in wrong context");
        return NULL;
    case FC_P_RADIO:
        fc_error(st, PF_COMPILE_QUALIFIER,
                 "'radio' is not a valid protocol type");
        return NULL;
    default:
        return isis_abbrev(st, proto);
    }
}

/* One port (lo == hi) or range test at transport offset @off. */
static struct fc_frag *port_atom(struct fc_state *st, int v6, uint32_t off,
                                 int lo, int hi)
{
    enum fc_rel rel = v6 ? FC_OR_TRAN_IPV6 : FC_OR_TRAN_IPV4;

    if (lo < 0)
        return fc_cmp(st, rel, off, PF_CBPF_H, (uint32_t)hi);
    return fc_and(fc_ncmp(st, rel, off, PF_CBPF_H, 0xffffffff, PF_CBPF_JGE,
                          0, (uint32_t)lo),
                  fc_ncmp(st, rel, off, PF_CBPF_H, 0xffffffff, PF_CBPF_JGT,
                          1, (uint32_t)hi));
}

static struct fc_frag *port_dir(struct fc_state *st, int v6, int lo, int hi,
                                int dir)
{
    switch (dir) {
    case FC_D_SRC:
        return port_atom(st, v6, 0, lo, hi);
    case FC_D_DST:
        return port_atom(st, v6, 2, lo, hi);
    case FC_D_AND:
        return fc_and(port_atom(st, v6, 0, lo, hi),
                      port_atom(st, v6, 2, lo, hi));
    case FC_D_DEFAULT: case FC_D_OR:
        return fc_or(port_atom(st, v6, 0, lo, hi),
                     port_atom(st, v6, 2, lo, hi));
    case FC_D_RA: case FC_D_TA:
        fc_error(st, PF_COMPILE_QUALIFIER, "'%s' is not a valid qualifier "
                 "for ports", dir == FC_D_RA ? "ra" : "ta");
        return NULL;
    default:
        fc_error(st, PF_COMPILE_QUALIFIER, "'addr%d' and 'address%d' are "
                 "not valid qualifiers for ports", dir - FC_D_ADDR1 + 1,
                 dir - FC_D_ADDR1 + 1);
        return NULL;
    }
}

static struct fc_frag *port_op(struct fc_state *st, int v6, int lo, int hi,
                               int ipproto, int dir)
{
    struct fc_frag *b0;

    if (v6)
        return fc_and(fc_cmp(st, FC_OR_LINKPL, 6, PF_CBPF_B,
                             (uint32_t)ipproto),
                      port_dir(st, 1, lo, hi, dir));
    b0 = fc_and(fc_cmp(st, FC_OR_LINKPL, 9, PF_CBPF_B, (uint32_t)ipproto),
                fc_ipfrag(st));
    return fc_and(b0, port_dir(st, 0, lo, hi, dir));
}

/* Ports over IPv4 (@v6 = 0) or IPv6; @lo < 0 means a single port @hi. */
struct fc_frag *fc_gen_port(struct fc_state *st, int lo, int hi,
                            int ipproto, int dir, int v6)
{
    struct fc_frag *b0 = fc_linktype(st, v6 ? FC_ETHERTYPE_IPV6
                                            : FC_ETHERTYPE_IP);
    struct fc_frag *b1;

    if (lo > hi) {
        int t = lo;

        lo = hi;
        hi = t;
    }
    if (ipproto == FC_PROTO_UNDEF) {
        b1 = fc_or(port_op(st, v6, lo, hi, FC_IPPROTO_TCP, dir),
                   port_op(st, v6, lo, hi, FC_IPPROTO_UDP, dir));
        b1 = fc_or(port_op(st, v6, lo, hi, FC_IPPROTO_SCTP, dir), b1);
    } else {
        b1 = port_op(st, v6, lo, hi, ipproto, dir);
    }
    return fc_and(b0, b1);
}

