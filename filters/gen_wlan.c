/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * IEEE 802.11 link types (plain, and behind a radiotap header): the
 * payload offset is computed at run time by a prologue placed before the
 * program (radiotap length, 24-byte MAC header, +2 for QoS data frames,
 * rounded up to 4 when radiotap says there is Atheros padding), exactly
 * as libpcap computes it, including which packets it leaves alone.
 * Protocol tests are "a data frame" and the LLC/SNAP type; `type`,
 * `subtype` and `dir` test the frame control field.
 *
 * libpcap turns its optimiser off when that prologue is needed, so no
 * "rejects all packets" refusal happens then; the compiler does the same.
 */
#include <errno.h>
#include <string.h>
#include <strings.h>

#include "filters/filters_impl.h"

#define DLT_IEEE802_11 105
#define DLT_IEEE802_11_RADIO 127

/* Is the current link type 802.11 (plain or radiotap)? */
int fc_link_is_wlan(const struct fc_state *st)
{
    return st->linktype == DLT_IEEE802_11 ||
           st->linktype == DLT_IEEE802_11_RADIO;
}

/* A data frame: frame control type bits 0x0c == 0x08. */
struct fc_frag *fc_wlan_data_frame(struct fc_state *st)
{
    struct fc_slist l0 = {0}, l1 = {0};
    struct fc_frag *data, *ctl;

    if (fc_load_a(st, FC_OR_LINKHDR, 0, PF_CBPF_B, &l0) ||
        fc_load_a(st, FC_OR_LINKHDR, 0, PF_CBPF_B, &l1))
        return NULL;
    data = fc_jump(st, &l0, PF_CBPF_JSET, 0x08);
    ctl = fc_not(fc_jump(st, &l1, PF_CBPF_JSET, 0x04));
    return fc_and(ctl, data);
}

/* The protocol behind 802.2 LLC (libpcap's gen_llc_linktype). */
static struct fc_frag *llc_linktype(struct fc_state *st, uint32_t p)
{
    switch (p) {
    case FC_LLCSAP_IP: case FC_LLCSAP_ISONS: case FC_LLCSAP_NETBEUI:
        return fc_cmp(st, FC_OR_LLC, 0, PF_CBPF_H, p << 8 | p);
    case FC_LLCSAP_IPX:
        return fc_cmp(st, FC_OR_LLC, 0, PF_CBPF_B, FC_LLCSAP_IPX);
    case FC_ETHERTYPE_ATALK:
        return fc_snap(st, 0x080007, FC_ETHERTYPE_ATALK);
    default:
        if (p <= FC_ETHERMTU)
            return fc_cmp(st, FC_OR_LLC, 0, PF_CBPF_B, p);
        return fc_cmp(st, FC_OR_LLC, 6, PF_CBPF_H, p);
    }
}

/* A data frame carrying protocol @p behind LLC. */
struct fc_frag *fc_wlan_linktype(struct fc_state *st, uint32_t p)
{
    return fc_and(fc_wlan_data_frame(st), llc_linktype(st, p));
}

/* A block that always continues at @next (both edges). */
static struct fc_block *seq(struct fc_state *st, struct fc_slist *l,
                            struct fc_block *next)
{
    struct fc_block *b = fc_block_new(st, l, PF_CBPF_JEQ, 0);

    if (b)
        b->jt = b->jf = next;
    return b;
}

static struct fc_block *jset(struct fc_state *st, struct fc_slist *l,
                             uint32_t k, struct fc_block *t,
                             struct fc_block *f)
{
    struct fc_block *b = fc_block_new(st, l, PF_CBPF_JSET, k);

    if (b) {
        b->jt = t;
        b->jf = f;
    }
    return b;
}

/* M[pr] = (M[pr] + add) & mask */
static int adjust(struct fc_state *st, struct fc_slist *l, uint32_t add,
                  uint32_t mask)
{
    int pr = st->off_linkpl.reg;

    return fc_sadd(st, l, PF_CBPF_LD | PF_CBPF_MEM, (uint32_t)pr) ||
           fc_sadd(st, l, PF_CBPF_ALU | PF_CBPF_ADD | PF_CBPF_K, add) ||
           (mask != 0xffffffff &&
            fc_sadd(st, l, PF_CBPF_ALU | PF_CBPF_AND | PF_CBPF_K, mask)) ||
           fc_sadd(st, l, PF_CBPF_ST, (uint32_t)pr);
}

/* Radiotap flags say "data padding": round the header length up to 4.
 * All radiotap fields are little-endian, hence the swapped masks. */
static struct fc_block *datapad(struct fc_state *st, struct fc_block *next)
{
    struct fc_slist round = {0}, l4 = {0}, l16 = {0}, l8 = {0};
    struct fc_block *r, *tsft, *notsft, *ext;

    if (adjust(st, &round, 3, 0xfffffffc) ||
        fc_sadd(st, &l4, PF_CBPF_LD | PF_CBPF_W | PF_CBPF_ABS, 4) ||
        fc_sadd(st, &l16, PF_CBPF_LD | PF_CBPF_B | PF_CBPF_ABS, 16) ||
        fc_sadd(st, &l8, PF_CBPF_LD | PF_CBPF_B | PF_CBPF_ABS, 8))
        return NULL;
    r = seq(st, &round, next);
    tsft = jset(st, &l16, 0x20, r, next);
    notsft = jset(st, &l8, 0x20, r, next);
    ext = jset(st, NULL, 0x01000000, tsft, notsft);
    ext = jset(st, NULL, 0x00000080, next, ext);
    return jset(st, &l4, 0x02000000, ext, next);
}

/* X = radiotap length (little-endian at 2), saved in M[hr]. */
static int radiotap_len(struct fc_state *st, struct fc_slist *l)
{
    return fc_sadd(st, l, PF_CBPF_LD | PF_CBPF_B | PF_CBPF_ABS, 3) ||
           fc_sadd(st, l, PF_CBPF_ALU | PF_CBPF_LSH | PF_CBPF_K, 8) ||
           fc_sadd(st, l, PF_CBPF_MISC | PF_CBPF_TAX, 0) ||
           fc_sadd(st, l, PF_CBPF_LD | PF_CBPF_B | PF_CBPF_ABS, 2) ||
           fc_sadd(st, l, PF_CBPF_ALU | PF_CBPF_OR | PF_CBPF_X, 0) ||
           fc_sadd(st, l, PF_CBPF_ST, (uint32_t)st->off_linkhdr.reg) ||
           fc_sadd(st, l, PF_CBPF_MISC | PF_CBPF_TAX, 0);
}

/* The offset-computing prologue, continuing at @next; returns the new
 * entry (or @next if nothing is needed), NULL when out of memory. */
struct fc_block *fc_wlan_prologue(struct fc_state *st, struct fc_block *next)
{
    struct fc_slist l = {0}, qos = {0};
    struct fc_block *after, *b;
    /* libpcap decides the radiotap length on the outermost link type but
     * the padding check on the current one (not radiotap after geneve) */
    int radio = st->linktype == DLT_IEEE802_11_RADIO;

    if (st->opts.linktype == DLT_IEEE802_11_RADIO &&
        st->off_linkhdr.reg >= 0 && radiotap_len(st, &l))
        return NULL;
    if (st->off_linkpl.reg < 0)
        return l.head ? seq(st, &l, next) : next;
    st->no_optimize = 1;
    if (!l.head && fc_sadd(st, &l, PF_CBPF_LDX | PF_CBPF_IMM, 0))
        return NULL;
    if (fc_sadd(st, &l, PF_CBPF_MISC | PF_CBPF_TXA, 0) ||
        fc_sadd(st, &l, PF_CBPF_ALU | PF_CBPF_ADD | PF_CBPF_K, 24) ||
        fc_sadd(st, &l, PF_CBPF_ST, (uint32_t)st->off_linkpl.reg) ||
        fc_sadd(st, &l, FC_LD(PF_CBPF_B, PF_CBPF_IND), 0) ||
        adjust(st, &qos, 2, 0xffffffff))
        return NULL;
    after = radio ? datapad(st, next) : next;
    b = jset(st, NULL, 0x80, seq(st, &qos, after), after);
    b = jset(st, NULL, 0x04, next, b);
    return jset(st, &l, 0x08, b, next);
}

/* 802.11 frame types and subtypes (frame control byte 0). */
struct wtok {
    const char *s;
    uint8_t v;
};

static const struct wtok types[] = {
    {"mgt", 0x00}, {"management", 0x00}, {"ctl", 0x04}, {"control", 0x04},
    {"data", 0x08}, {NULL, 0},
};
static const struct wtok mgt[] = {
    {"assoc-req", 0x00}, {"assocreq", 0x00}, {"assoc-resp", 0x10},
    {"assocresp", 0x10}, {"reassoc-req", 0x20}, {"reassocreq", 0x20},
    {"reassoc-resp", 0x30}, {"reassocresp", 0x30}, {"probe-req", 0x40},
    {"probereq", 0x40}, {"probe-resp", 0x50}, {"proberesp", 0x50},
    {"beacon", 0x80}, {"atim", 0x90}, {"disassoc", 0xa0},
    {"disassociation", 0xa0}, {"auth", 0xb0}, {"authentication", 0xb0},
    {"deauth", 0xc0}, {"deauthentication", 0xc0}, {NULL, 0},
};
static const struct wtok ctl[] = {
    {"ps-poll", 0xa0}, {"rts", 0xb0}, {"cts", 0xc0}, {"ack", 0xd0},
    {"cf-end", 0xe0}, {"cf-end-ack", 0xf0}, {NULL, 0},
};
static const struct wtok data[] = {
    {"data", 0x00}, {"data-cf-ack", 0x10}, {"data-cf-poll", 0x20},
    {"data-cf-ack-poll", 0x30}, {"null", 0x40}, {"cf-ack", 0x50},
    {"cf-poll", 0x60}, {"cf-ack-poll", 0x70}, {"qos-data", 0x80},
    {"qos-data-cf-ack", 0x90}, {"qos-data-cf-poll", 0xa0},
    {"qos-data-cf-ack-poll", 0xb0}, {"qos", 0xc0}, {"qos-cf-poll", 0xe0},
    {"qos-cf-ack-poll", 0xf0}, {NULL, 0},
};

static int lookup(const struct wtok *t, const char *s)
{
    for (; t && t->s; t++)
        if (!strcasecmp(t->s, s))
            return t->v;
    return -1;
}

static const struct wtok *subtypes_of(int type)
{
    return type == 0x00 ? mgt : type == 0x04 ? ctl : type == 0x08 ? data
                                                                 : NULL;
}

/* `type T [subtype S]`, `subtype S`: value and mask, or -1 on error. */
static int wlan_type_value(struct fc_state *st, struct fc_node *n,
                           uint32_t *mask)
{
    int t = n->has_num ? (int)n->num : -1, s;

    if (n->sub == FC_T_SUBTYPE) {
        *mask = 0xfc;
        for (int ty = 0; ty <= 8 && n->s; ty += 4)
            if ((s = lookup(subtypes_of(ty), n->s)) >= 0)
                return s | ty;
        return fc_error(st, PF_COMPILE_NAME, "unknown 802.11 type name");
    }
    if (!n->has_num)
        t = lookup(types, n->s);
    if (t < 0)
        return fc_error(st, PF_COMPILE_NAME, "unknown 802.11 type name "
                        "\"%s\"", n->s);
    if (t & ~0x0c)
        return fc_error(st, PF_COMPILE_VALUE, "invalid 802.11 type value "
                        "0x%02x", (unsigned)t);
    *mask = 0x0c;
    if (!(n->has_num2 & 2))
        return t;
    *mask = 0xfc;
    s = n->has_num2 & 1 ? (int)n->num2 : lookup(subtypes_of(t), n->s2);
    if (s < 0)
        return fc_error(st, PF_COMPILE_NAME, "unknown 802.11 subtype name "
                        "\"%s\"", n->s2);
    if (s & ~0xf0)
        return fc_error(st, PF_COMPILE_VALUE, "invalid 802.11 subtype value "
                        "0x%02x", (unsigned)s);
    return t | s;
}

/* `type`, `subtype`, `dir` on the frame control field; NULL on error. */
struct fc_frag *fc_wlan_fc(struct fc_state *st, struct fc_node *n)
{
    static const struct wtok dirs[] = {
        {"nods", 0}, {"tods", 1}, {"fromds", 2}, {"dstods", 3}, {NULL, 0},
    };
    uint32_t mask = 0xff;
    int v;

    if (n->sub == FC_T_DIR) {
        v = n->has_num ? (int)n->num : lookup(dirs, n->s);
        if (v < 0) {
            fc_error(st, PF_COMPILE_NAME, "unknown 802.11 direction");
            return NULL;
        }
    } else if ((v = wlan_type_value(st, n, &mask)) < 0) {
        return NULL;
    }
    if (!fc_link_is_wlan(st)) {
        fc_error(st, PF_COMPILE_LINKTYPE, "802.11 link-layer types are "
                 "supported only on 802.11 link types");
        return NULL;
    }
    if (n->sub == FC_T_DIR)
        return fc_mcmp(st, FC_OR_LINKHDR, 1, PF_CBPF_B, (uint32_t)v, 0x03);
    return fc_mcmp(st, FC_OR_LINKHDR, 0, PF_CBPF_B, (uint32_t)v, mask);
}

/* jset on frame control byte @byte; negated if @neg. */
static struct fc_frag *fc_bit(struct fc_state *st, uint32_t byte, uint32_t k,
                              int neg)
{
    struct fc_slist l = {0};
    struct fc_frag *b;

    if (fc_load_a(st, FC_OR_LINKHDR, byte, PF_CBPF_B, &l))
        return NULL;
    b = fc_jump(st, &l, PF_CBPF_JSET, k);
    return neg ? fc_not(b) : b;
}

/* The test at one address position: equality with @mac, or (mac NULL)
 * the group bit of the address there. */
static struct fc_frag *at(struct fc_state *st, const uint8_t *mac,
                          uint32_t off)
{
    struct fc_slist l = {0};

    if (mac)
        return fc_bcmp(st, FC_OR_LINKHDR, off, 6, mac);
    if (fc_load_a(st, FC_OR_LINKHDR, off, PF_CBPF_B, &l))
        return NULL;
    return fc_jump(st, &l, PF_CBPF_JSET, 1);
}

/*
 * Source (4 = 10/16/24 by From DS / To DS) or destination (4 or 16 by
 * To DS) address of data and management frames; control frames have
 * neither. Built in libpcap's order: each new test is placed before the
 * ones built so far.
 */
static struct fc_frag *wlan_sa_da(struct fc_state *st, const uint8_t *mac,
                                  int src)
{
    struct fc_frag *b0, *b1, *b2;

    b1 = fc_bit(st, 1, 0x01, 0);
    b0 = at(st, mac, src ? 24 : 16);
    b0 = fc_and_(b1, b0);
    b2 = fc_bit(st, 1, 0x01, 1);
    b1 = at(st, mac, src ? 16 : 4);
    b0 = fc_or_(fc_and_(b2, b1), b0);
    if (src) {
        b1 = fc_bit(st, 1, 0x02, 0);
        b0 = fc_and_(b1, b0);
        b2 = fc_bit(st, 1, 0x02, 1);
        b1 = at(st, mac, 10);
        b0 = fc_or_(fc_and_(b2, b1), b0);
    }
    b1 = fc_bit(st, 0, 0x08, 0);
    b0 = fc_and_(b1, b0);
    b2 = fc_bit(st, 0, 0x08, 1);
    b1 = at(st, mac, src ? 10 : 4);
    b0 = fc_or_(fc_and_(b2, b1), b0);
    b1 = fc_bit(st, 0, 0x04, 1);
    return fc_and_(b1, b0);
}

/* Not a CTS or ACK control frame (they carry no second address). */
static struct fc_frag *not_cts_ack(struct fc_state *st)
{
    struct fc_frag *b0, *b1, *b2;

    b0 = fc_not(fc_mcmp(st, FC_OR_LINKHDR, 0, PF_CBPF_B, 0x04, 0x0c));
    b1 = fc_not(fc_mcmp(st, FC_OR_LINKHDR, 0, PF_CBPF_B, 0xc0, 0xf0));
    b2 = fc_not(fc_mcmp(st, FC_OR_LINKHDR, 0, PF_CBPF_B, 0xd0, 0xf0));
    return fc_or_(b0, fc_and_(b1, b2));
}

/* 802.11 address @mac in the position @dir names; NULL on error. */
struct fc_frag *fc_wlan_hostop(struct fc_state *st, const uint8_t *mac,
                               int dir)
{
    struct fc_frag *b0, *b1;

    switch (dir) {
    case FC_D_SRC: return wlan_sa_da(st, mac, 1);
    case FC_D_DST: return wlan_sa_da(st, mac, 0);
    case FC_D_AND:
        return fc_and(wlan_sa_da(st, mac, 1), wlan_sa_da(st, mac, 0));
    case FC_D_ADDR1: return fc_bcmp(st, FC_OR_LINKHDR, 4, 6, mac);
    case FC_D_ADDR2:
        return fc_and(not_cts_ack(st), fc_bcmp(st, FC_OR_LINKHDR, 10, 6, mac));
    case FC_D_ADDR3:
        return fc_and(fc_not(fc_mcmp(st, FC_OR_LINKHDR, 0, PF_CBPF_B, 0x04,
                                     0x0c)),
                      fc_bcmp(st, FC_OR_LINKHDR, 16, 6, mac));
    case FC_D_ADDR4:
        return fc_and(fc_mcmp(st, FC_OR_LINKHDR, 1, PF_CBPF_B, 0x03, 0x03),
                      fc_bcmp(st, FC_OR_LINKHDR, 24, 6, mac));
    case FC_D_RA:
        b1 = fc_bit(st, 0, 0x08, 0);
        b0 = fc_bcmp(st, FC_OR_LINKHDR, 4, 6, mac);
        return fc_and_(b1, b0);
    case FC_D_TA:
        b0 = not_cts_ack(st);
        b0 = fc_and_(fc_bit(st, 0, 0x08, 0), b0);
        return fc_and(b0, fc_bcmp(st, FC_OR_LINKHDR, 10, 6, mac));
    default:
        return fc_or(wlan_sa_da(st, mac, 1), wlan_sa_da(st, mac, 0));
    }
}

/* Group bit of the destination address, wherever the frame keeps it. */
struct fc_frag *fc_wlan_multicast(struct fc_state *st)
{
    return wlan_sa_da(st, NULL, 0);
}
