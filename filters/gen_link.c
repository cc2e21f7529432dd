/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Link layers: where the link header, its type field and its payload
 * sit for each supported link type, how "the payload is protocol P" is
 * tested on it, Ethernet addresses, broadcast and multicast, and the
 * prologue that computes variable offsets (pflog, live vlan).
 *
 * Supported (DLT numbering, LINKTYPE aliases accepted): NULL 0, EN10MB 1,
 * SLIP 8, PPP 9, RAW 12/14 (LINKTYPE_RAW 101), PPP_SERIAL 50, C_HDLC 104,
 * IEEE802_11 105, LOOP 108, LINUX_SLL 113, PFLOG 117,
 * IEEE802_11_RADIO 127, IPV4 228, IPV6 229, LINUX_SLL2 276. Any other
 * link type is refused with PF_COMPILE_UNSUPPORTED.
 */
#include <arpa/inet.h>
#include <errno.h>

#include "filters/filters_impl.h"

/* DLT_* values (Linux numbering) and LINKTYPE_* aliases. */
enum {
    DLT_NULL = 0, DLT_EN10MB = 1, DLT_PPP = 9, DLT_RAW = 12, DLT_RAW_BSD = 14,
    DLT_PPP_SERIAL = 50, DLT_LINKTYPE_RAW = 101, DLT_C_HDLC = 104,
    DLT_LOOP = 108, DLT_LINUX_SLL = 113, DLT_PFLOG = 117, DLT_IPV4 = 228,
    DLT_IPV6 = 229, DLT_LINUX_SLL2 = 276,
};

#define LINUX_SLL_P_802_3 0x0001
#define LINUX_SLL_P_802_2 0x0004

static void set_layout(struct fc_state *st, uint32_t linktype, int has_lt,
                       uint32_t linkpl, uint32_t nl_nosnap)
{
    st->off_linkhdr.constant_part = 0;
    st->off_linktype.constant_part = has_lt ? linktype : (uint32_t)-1;
    st->off_linkpl.constant_part = linkpl;
    st->off_nl = 0;
    st->off_nl_nosnap = nl_nosnap;
}

/* Sets the layout for opts.linktype; -ENOTSUP for unsupported types. */
int fc_link_init(struct fc_state *st)
{
    st->off_linkhdr.reg = st->off_prevlinkhdr.reg = -1;
    st->off_linktype.reg = st->off_linkpl.reg = -1;
    switch (st->opts.linktype) {
    case DLT_EN10MB:
        set_layout(st, 12, 1, 14, 3);
        break;
    case 8: /* SLIP: a 16-byte pseudo-header (direction first) */
        set_layout(st, 0, 0, 16, 0);
        break;
    case DLT_RAW: case DLT_RAW_BSD: case DLT_LINKTYPE_RAW:
        st->linktype = DLT_RAW;
        /* fall through */
    case DLT_IPV4: case DLT_IPV6:
        set_layout(st, 0, 0, 0, 0);
        break;
    case DLT_NULL: case DLT_LOOP:
        set_layout(st, 0, 1, 4, 0);
        break;
    case DLT_PPP: case DLT_PPP_SERIAL: case DLT_C_HDLC:
        set_layout(st, 2, 1, 4, 0);
        break;
    case DLT_LINUX_SLL:
        set_layout(st, 14, 1, 16, 0);
        break;
    case DLT_LINUX_SLL2:
        set_layout(st, 0, 1, 20, 0);
        break;
    case 105: case 127:
        /* 802.11: LLC/SNAP after a MAC header whose length the prologue
         * computes; radiotap adds a variable-length prefix. */
        set_layout(st, 24, 1, 0, 3);
        st->off_nl = 8;
        st->off_linkpl.is_variable = 1;
        st->off_linkhdr.is_variable = st->opts.linktype == 127;
        break;
    case DLT_PFLOG:
        /* The payload starts after the header length (byte 0) rounded up
         * to 4: a variable offset, computed once at the program start. */
        set_layout(st, 0, 0, 0, 0);
        st->off_linkpl.is_variable = 1;
        break;
    default:
        return fc_error_at(st, PF_COMPILE_UNSUPPORTED, 1, 1,
                           "link type %d is not supported yet",
                           st->opts.linktype);
    }
    if (st->linktype != DLT_RAW)
        st->linktype = st->opts.linktype;
    return 0;
}

/* Does the current link type carry MAC addresses (Ethernet, 802.11)? */
int fc_link_is_ether_like(const struct fc_state *st)
{
    return st->linktype == DLT_EN10MB || fc_link_is_wlan(st);
}

/* 802.2 LLC + SNAP header with @orgcode and @ptype at the LLC offset. */
struct fc_frag *fc_snap(struct fc_state *st, uint32_t orgcode, uint32_t ptype)
{
    uint8_t snap[8] = {0xaa, 0xaa, 0x03, (uint8_t)(orgcode >> 16),
                       (uint8_t)(orgcode >> 8), (uint8_t)orgcode,
                       (uint8_t)(ptype >> 8), (uint8_t)ptype};

    return fc_bcmp(st, FC_OR_LLC, 0, 8, snap);
}

/* ether type <= 1500: an 802.3 length, so LLC follows. */
static struct fc_frag *is_8023(struct fc_state *st)
{
    return fc_not(fc_ncmp(st, FC_OR_LINKTYPE, 0, PF_CBPF_H, 0xffffffff,
                          PF_CBPF_JGT, 0, FC_ETHERMTU));
}

static struct fc_frag *ether_linktype(struct fc_state *st, uint32_t p)
{
    struct fc_frag *b0, *b1;

    switch (p) {
    case FC_LLCSAP_ISONS: case FC_LLCSAP_IP: case FC_LLCSAP_NETBEUI:
        b0 = is_8023(st);
        return fc_and(b0, fc_cmp(st, FC_OR_LLC, 0, PF_CBPF_H, p << 8 | p));
    case FC_LLCSAP_IPX:
        b1 = fc_or(fc_cmp(st, FC_OR_LLC, 0, PF_CBPF_B, FC_LLCSAP_IPX),
                   fc_cmp(st, FC_OR_LLC, 0, PF_CBPF_H, 0xffff));
        b1 = fc_or(fc_snap(st, 0, FC_ETHERTYPE_IPX), b1);
        b1 = fc_and(is_8023(st), b1);
        return fc_or(fc_cmp(st, FC_OR_LINKTYPE, 0, PF_CBPF_H,
                            FC_ETHERTYPE_IPX), b1);
    case FC_ETHERTYPE_ATALK: case FC_ETHERTYPE_AARP:
        b0 = is_8023(st);
        b1 = p == FC_ETHERTYPE_ATALK ? fc_snap(st, 0x080007, p)
                                     : fc_snap(st, 0, p);
        b1 = fc_and(b0, b1);
        return fc_or(fc_cmp(st, FC_OR_LINKTYPE, 0, PF_CBPF_H, p), b1);
    default:
        if (p <= FC_ETHERMTU)
            return fc_and(is_8023(st),
                          fc_cmp(st, FC_OR_LINKTYPE, 2, PF_CBPF_B, p));
        return fc_cmp(st, FC_OR_LINKTYPE, 0, PF_CBPF_H, p);
    }
}

static struct fc_frag *sll_linktype(struct fc_state *st, uint32_t p)
{
    struct fc_frag *b0, *b1;

    switch (p) {
    case FC_LLCSAP_ISONS: case FC_LLCSAP_IP: case FC_LLCSAP_NETBEUI:
        b0 = fc_cmp(st, FC_OR_LINKTYPE, 0, PF_CBPF_H, LINUX_SLL_P_802_2);
        return fc_and(b0, fc_cmp(st, FC_OR_LLC, 0, PF_CBPF_H, p << 8 | p));
    case FC_LLCSAP_IPX:
        b0 = fc_cmp(st, FC_OR_LLC, 0, PF_CBPF_B, FC_LLCSAP_IPX);
        b1 = fc_or(b0, fc_snap(st, 0, FC_ETHERTYPE_IPX));
        b1 = fc_and(fc_cmp(st, FC_OR_LINKTYPE, 0, PF_CBPF_H,
                           LINUX_SLL_P_802_2), b1);
        b1 = fc_or(fc_cmp(st, FC_OR_LINKTYPE, 0, PF_CBPF_H,
                          LINUX_SLL_P_802_3), b1);
        return fc_or(fc_cmp(st, FC_OR_LINKTYPE, 0, PF_CBPF_H,
                            FC_ETHERTYPE_IPX), b1);
    case FC_ETHERTYPE_ATALK: case FC_ETHERTYPE_AARP:
        b0 = fc_cmp(st, FC_OR_LINKTYPE, 0, PF_CBPF_H, LINUX_SLL_P_802_2);
        b1 = p == FC_ETHERTYPE_ATALK ? fc_snap(st, 0x080007, p)
                                     : fc_snap(st, 0, p);
        b1 = fc_and(b0, b1);
        return fc_or(fc_cmp(st, FC_OR_LINKTYPE, 0, PF_CBPF_H, p), b1);
    default:
        if (p <= FC_ETHERMTU)
            return fc_and(fc_cmp(st, FC_OR_LINKTYPE, 0, PF_CBPF_H,
                                 LINUX_SLL_P_802_2),
                          fc_cmp(st, FC_OR_LINKTYPE, 2, PF_CBPF_B, p));
        return fc_cmp(st, FC_OR_LINKTYPE, 0, PF_CBPF_H, p);
    }
}

static uint32_t ppp_type(uint32_t p)
{
    switch (p) {
    case FC_ETHERTYPE_IP: return 0x21;
    case FC_ETHERTYPE_IPV6: return 0x57;
    case FC_ETHERTYPE_DN: return 0x27;
    case FC_ETHERTYPE_ATALK: return 0x29;
    case FC_ETHERTYPE_NS: return 0x25;
    case FC_LLCSAP_ISONS: return 0x23;
    case FC_LLCSAP_8021D: return 0x31;
    case FC_LLCSAP_IPX: return 0x2b;
    default: return p;
    }
}

/*
 * One address family in the 32-bit loopback header: network order for
 * LOOP; for NULL the order of the host that wrote it, i.e. this host's,
 * or the opposite when a file's byte order is swapped (libpcap applies
 * the swap to savefile handles only).
 */
static struct fc_frag *loop_af(struct fc_state *st, uint32_t af)
{
    if (st->linktype == DLT_NULL) {
        if (st->opts.swapped && st->opts.context == PF_COMPILE_FILE)
            af = __builtin_bswap32(af);
        af = htonl(af);
    }
    return fc_cmp(st, FC_OR_LINKHDR, 0, PF_CBPF_W, af);
}

/* BSD loopback. AF_INET6 differs between systems: files may hold the
 * BSD (24), FreeBSD (28) or Darwin (30) value, so all three are tested
 * (Darwin's first, as libpcap orders them); live capture uses Linux's 10. */
static struct fc_frag *loop_linktype(struct fc_state *st, uint32_t p)
{
    if (p == FC_ETHERTYPE_IP)
        return loop_af(st, 2);
    if (p != FC_ETHERTYPE_IPV6)
        return fc_const(st, 0);
    if (st->opts.context == PF_COMPILE_LIVE_LINUX)
        return loop_af(st, 10);
    return fc_or(loop_af(st, 30), fc_or(loop_af(st, 24), loop_af(st, 28)));
}

static struct fc_frag *raw_linktype(struct fc_state *st, uint32_t p)
{
    switch (st->linktype) {
    case DLT_IPV4:
        return fc_const(st, p == FC_ETHERTYPE_IP);
    case DLT_IPV6:
        return fc_const(st, p == FC_ETHERTYPE_IPV6);
    default:
        if (p == FC_ETHERTYPE_IP)
            return fc_mcmp(st, FC_OR_LINKHDR, 0, PF_CBPF_B, 0x40, 0xf0);
        if (p == FC_ETHERTYPE_IPV6)
            return fc_mcmp(st, FC_OR_LINKHDR, 0, PF_CBPF_B, 0x60, 0xf0);
        return fc_const(st, 0);
    }
}

/* MPLS payload: the bottom-of-stack label is followed by IPv4 or IPv6. */
static struct fc_frag *mpls_linktype(struct fc_state *st, uint32_t p)
{
    uint32_t ver = p == FC_ETHERTYPE_IP ? 0x40 : 0x60;

    if (p != FC_ETHERTYPE_IP && p != FC_ETHERTYPE_IPV6) {
        fc_error(st, PF_COMPILE_QUALIFIER, "unsupported protocol over mpls");
        return NULL;
    }
    return fc_and(fc_mcmp(st, FC_OR_LINKPL, (uint32_t)-2, PF_CBPF_B, 0x01,
                          0x01),
                  fc_mcmp(st, FC_OR_LINKPL, 0, PF_CBPF_B, ver, 0xf0));
}

/* "The payload is protocol @p" (an ether type or LLC SAP) on the
 * current link type; constant false where it cannot be. */
struct fc_frag *fc_linktype(struct fc_state *st, uint32_t p)
{
    if (st->mpls_depth > 0)
        return mpls_linktype(st, p);
    switch (st->linktype) {
    case DLT_EN10MB:
        return ether_linktype(st, p);
    case DLT_LINUX_SLL:
        return sll_linktype(st, p);
    case DLT_PPP: case DLT_PPP_SERIAL:
        return fc_cmp(st, FC_OR_LINKTYPE, 0, PF_CBPF_H, ppp_type(p));
    case DLT_C_HDLC:
        if (p == FC_LLCSAP_ISONS)
            p = p << 8 | p;
        return fc_cmp(st, FC_OR_LINKTYPE, 0, PF_CBPF_H, p);
    case DLT_NULL: case DLT_LOOP:
        return loop_linktype(st, p);
    case DLT_RAW: case DLT_IPV4: case DLT_IPV6: case 8:
        return raw_linktype(st, p);
    case 105: case 127:
        return fc_wlan_linktype(st, p);
    case DLT_PFLOG: /* the af byte of the pflog header */
        if (p != FC_ETHERTYPE_IP && p != FC_ETHERTYPE_IPV6)
            return fc_const(st, 0);
        return fc_cmp(st, FC_OR_LINKHDR, 1, PF_CBPF_B,
                      p == FC_ETHERTYPE_IP ? 2 : 10);
    default: /* LINUX_SLL2 */
        return fc_cmp(st, FC_OR_LINKTYPE, 0, PF_CBPF_H, p);
    }
}

/*
 * The statements that compute variable offsets, run before the program:
 * for pflog, M[reg] = X = (header length + 3) & ~3. Only emitted if some
 * load used the offset (libpcap's insert_compute_vloffsets).
 */
int fc_link_prologue(struct fc_state *st, struct fc_slist *out)
{
    static const struct { uint16_t code; uint32_t k; } pflog[] = {
        {PF_CBPF_LD | PF_CBPF_B | PF_CBPF_ABS, 0},
        {PF_CBPF_ALU | PF_CBPF_ADD | PF_CBPF_K, 3},
        {PF_CBPF_ALU | PF_CBPF_AND | PF_CBPF_K, 0xfffffffc},
    };

    if (st->is_vlan_vloffset && st->opts.linktype != DLT_PFLOG) {
        /* live vlan: both run-time offset parts start at 0 */
        if (fc_off_reg(st, &st->off_linkpl) < 0 ||
            fc_off_reg(st, &st->off_linktype) < 0)
            return -EINVAL;
        fc_sappend(out, fc_stmt_new(st, PF_CBPF_LD | PF_CBPF_IMM, 0));
        fc_sappend(out, fc_stmt_new(st, PF_CBPF_ST,
                                    (uint32_t)st->off_linkpl.reg));
        fc_sappend(out, fc_stmt_new(st, PF_CBPF_ST,
                                    (uint32_t)st->off_linktype.reg));
        return out->tail && out->tail->code == PF_CBPF_ST ? 0 : -ENOMEM;
    }
    if (st->opts.linktype != DLT_PFLOG || st->off_linkpl.reg < 0)
        return 0;
    for (size_t i = 0; i < 3; i++)
        fc_sappend(out, fc_stmt_new(st, pflog[i].code, pflog[i].k));
    fc_sappend(out, fc_stmt_new(st, PF_CBPF_ST, (uint32_t)st->off_linkpl.reg));
    fc_sappend(out, fc_stmt_new(st, PF_CBPF_MISC | PF_CBPF_TAX, 0));
    return out->tail && out->tail->code == (PF_CBPF_MISC | PF_CBPF_TAX)
               ? 0 : -ENOMEM;
}

static const char *link_name(const struct fc_state *st)
{
    switch (st->linktype) {
    case DLT_NULL: return "BSD loopback";
    case DLT_LOOP: return "OpenBSD loopback";
    case DLT_PPP: return "PPP";
    case DLT_PPP_SERIAL: return "PPP over serial";
    case DLT_C_HDLC: return "Cisco HDLC";
    case DLT_LINUX_SLL: return "Linux cooked v1";
    case DLT_LINUX_SLL2: return "Linux cooked v2";
    case DLT_IPV4: return "Raw IPv4";
    case DLT_IPV6: return "Raw IPv6";
    case DLT_RAW: return "Raw IP";
    case 8: return "SLIP";
    case DLT_PFLOG: return "OpenBSD pflog file";
    case 105: return "802.11";
    case 127: return "802.11 plus radiotap header";
    default: return "Ethernet";
    }
}

/* llc: an 802.3 frame whose DSAP/SSAP are not 0xffff (raw NetWare). */
struct fc_frag *fc_llc(struct fc_state *st)
{
    if (fc_link_is_wlan(st))
        return fc_wlan_data_frame(st);
    if (st->linktype != DLT_EN10MB) {
        fc_error(st, PF_COMPILE_LINKTYPE, "'llc' is not supported for %s",
                 link_name(st));
        return NULL;
    }
    return fc_and(is_8023(st),
                  fc_not(fc_cmp(st, FC_OR_LLC, 0, PF_CBPF_H, 0xffff)));
}

/* Ethernet source/destination address tests, by direction. */
struct fc_frag *fc_ehostop(struct fc_state *st, const uint8_t *mac, int dir)
{
    if (fc_link_is_wlan(st))
        return fc_wlan_hostop(st, mac, dir);
    if (st->linktype != DLT_EN10MB) {
        fc_error(st, PF_COMPILE_LINKTYPE,
                 "Ethernet addresses are not supported on %s",
                 link_name(st));
        return NULL;
    }
    switch (dir) {
    case FC_D_SRC:
        return fc_bcmp(st, FC_OR_LINKHDR, 6, 6, mac);
    case FC_D_DST:
        return fc_bcmp(st, FC_OR_LINKHDR, 0, 6, mac);
    case FC_D_AND:
        return fc_and(fc_ehostop(st, mac, FC_D_SRC),
                      fc_ehostop(st, mac, FC_D_DST));
    case FC_D_DEFAULT: case FC_D_OR:
        return fc_or(fc_ehostop(st, mac, FC_D_SRC),
                     fc_ehostop(st, mac, FC_D_DST));
    default:
        fc_error(st, PF_COMPILE_QUALIFIER,
                 "802.11 address qualifiers (addr1-4, ra, ta) are only "
                 "supported on 802.11 link types");
        return NULL;
    }
}

/* Link-layer broadcast destination; NULL (error) if the link has none. */
struct fc_frag *fc_link_broadcast(struct fc_state *st)
{
    static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

    if (fc_link_is_wlan(st))
        return fc_wlan_hostop(st, bcast, FC_D_DST);
    if (st->linktype != DLT_EN10MB) {
        fc_error(st, PF_COMPILE_LINKTYPE, "%s is not a broadcast link",
                 link_name(st));
        return NULL;
    }
    if (st->is_geneve)
        return fc_and(fc_geneve_ll_check(st),
                      fc_ehostop(st, bcast, FC_D_DST));
    return fc_ehostop(st, bcast, FC_D_DST);
}

/* Link-layer group destination; NULL (error) if the link has none. */
struct fc_frag *fc_link_multicast(struct fc_state *st)
{
    struct fc_slist l = {0};
    struct fc_frag *ll;

    if (fc_link_is_wlan(st))
        return fc_wlan_multicast(st);
    if (st->linktype != DLT_EN10MB) {
        fc_error(st, PF_COMPILE_LINKTYPE,
                 "link-layer multicast is not supported on %s",
                 link_name(st));
        return NULL;
    }
    ll = st->is_geneve ? fc_geneve_ll_check(st) : NULL;
    if (fc_load_a(st, FC_OR_LINKHDR, 0, PF_CBPF_B, &l))
        return NULL;
    return ll ? fc_and(ll, fc_jump(st, &l, PF_CBPF_JSET, 1))
              : fc_jump(st, &l, PF_CBPF_JSET, 1);
}
