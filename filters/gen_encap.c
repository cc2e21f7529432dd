/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Primitives with a fixed shape: broadcast/multicast, less/greater,
 * `byte`, inbound/outbound, ifindex, llc, and the encapsulations that
 * move the link layout for everything after them in the expression:
 * `vlan` (each one shifts the type and payload offsets by 4, as libpcap
 * does for files), `mpls` (each label shifts the network layer by 4) and
 * `pppoes` (the rest is PPP inside the PPPoE session). pflog and 802.11
 * primitives are refused on the link types that lack those headers.
 */
#include <errno.h>
#include <string.h>

#include "filters/filters_impl.h"

#define FC_PPP_MPLS_UCAST 0x0281
#define FC_SKF_AD(n) ((uint32_t)(PF_CBPF_AD_OFF + (n)))

static struct fc_frag *err_null(struct fc_state *st, int code,
                                const char *msg)
{
    fc_error(st, code, "%s", msg);
    return NULL;
}

static struct fc_frag *gen_len(struct fc_state *st, uint16_t jop, uint32_t n)
{
    struct fc_slist l = {0};

    fc_sappend(&l, fc_stmt_new(st, PF_CBPF_LD | PF_CBPF_W | PF_CBPF_LEN, 0));
    return l.head ? fc_jump(st, &l, jop, n) : NULL;
}

static struct fc_frag *gen_broadcast(struct fc_state *st, int proto)
{
    uint32_t hostmask;
    struct fc_frag *b0, *b1, *b2;

    if (proto == FC_P_DEFAULT || proto == FC_P_LINK)
        return fc_link_broadcast(st);
    if (proto != FC_P_IP)
        return err_null(st, PF_COMPILE_QUALIFIER,
                        "only link-layer/IP broadcast filters supported");
    if (st->opts.netmask == 0)
        return err_null(st, PF_COMPILE_VALUE,
                        "netmask not known, so 'ip broadcast' not supported");
    hostmask = ~st->opts.netmask;
    b0 = fc_linktype(st, FC_ETHERTYPE_IP);
    b1 = fc_mcmp(st, FC_OR_LINKPL, 16, PF_CBPF_W, 0, hostmask);
    b2 = fc_mcmp(st, FC_OR_LINKPL, 16, PF_CBPF_W, hostmask, hostmask);
    return fc_and(b0, fc_or(b1, b2));
}

static struct fc_frag *gen_multicast(struct fc_state *st, int proto)
{
    switch (proto) {
    case FC_P_DEFAULT: case FC_P_LINK:
        return fc_link_multicast(st);
    case FC_P_IP:
        return fc_and(fc_linktype(st, FC_ETHERTYPE_IP),
                      fc_ncmp(st, FC_OR_LINKPL, 16, PF_CBPF_B, 0xffffffff,
                              PF_CBPF_JGE, 0, 224));
    case FC_P_IPV6:
        return fc_and(fc_linktype(st, FC_ETHERTYPE_IPV6),
                      fc_cmp(st, FC_OR_LINKPL, 24, PF_CBPF_B, 255));
    default:
        return err_null(st, PF_COMPILE_QUALIFIER,
                        "only IP multicast filters supported");
    }
}

/* byte N op M: libpcap loads nothing for '&' and '|' (it tests the A
 * left by the previous block); that is reproduced. */
static struct fc_frag *gen_byteop(struct fc_state *st, struct fc_node *n)
{
    struct fc_slist l = {0};

    switch (n->proto) {
    case FC_T_EQ:
        return fc_cmp(st, FC_OR_LINKHDR, n->num, PF_CBPF_B, n->num2);
    case FC_T_LT:
        return fc_ncmp(st, FC_OR_LINKHDR, n->num, PF_CBPF_B, 0xffffffff,
                       PF_CBPF_JGE, 1, n->num2);
    case FC_T_GT:
        return fc_ncmp(st, FC_OR_LINKHDR, n->num, PF_CBPF_B, 0xffffffff,
                       PF_CBPF_JGT, 0, n->num2);
    default:
        fc_sappend(&l, fc_stmt_new(st, PF_CBPF_ALU | PF_CBPF_K |
                                           (n->proto == FC_T_PIPE
                                                ? PF_CBPF_OR
                                                : PF_CBPF_AND),
                                   n->num2));
        return l.head ? fc_not(fc_jump(st, &l, PF_CBPF_JEQ, 0)) : NULL;
    }
}

static struct fc_frag *gen_inbound(struct fc_state *st, int out)
{
    struct fc_frag *b;

    if (st->linktype == 8) /* SLIP direction byte: 0 in, else out */
        return out ? fc_not(fc_cmp(st, FC_OR_LINKHDR, 0, PF_CBPF_B, 0))
                   : fc_cmp(st, FC_OR_LINKHDR, 0, PF_CBPF_B, 0);
    if (st->linktype == 117) /* pflog dir: PF_IN 1, PF_OUT 2 */
        return fc_cmp(st, FC_OR_LINKHDR, 60, PF_CBPF_B, out ? 2 : 1);
    if (st->linktype == 113)
        b = fc_cmp(st, FC_OR_LINKHDR, 0, PF_CBPF_H, 4);
    else if (st->linktype == 276)
        b = fc_cmp(st, FC_OR_LINKHDR, 10, PF_CBPF_B, 4);
    else if (st->opts.context == PF_COMPILE_LIVE_LINUX)
        b = fc_cmp(st, FC_OR_PACKET, FC_SKF_AD(PF_CBPF_AD_PKTTYPE),
                   PF_CBPF_H, 4);
    else
        return err_null(st, PF_COMPILE_LINKTYPE, "inbound/outbound not "
                        "supported on this link type when reading files");
    return out ? b : fc_not(b);
}

static struct fc_frag *gen_ifindex(struct fc_state *st, uint32_t idx)
{
    if (st->linktype == 276)
        return fc_cmp(st, FC_OR_LINKHDR, 4, PF_CBPF_W, idx);
    if (st->opts.context == PF_COMPILE_LIVE_LINUX)
        return fc_cmp(st, FC_OR_PACKET, FC_SKF_AD(PF_CBPF_AD_IFINDEX),
                      PF_CBPF_W, idx);
    return err_null(st, PF_COMPILE_LINKTYPE, "ifindex not supported on this "
                    "link type when reading files");
}

/* M[reg of @o] += 4, making @o variable (libpcap's vloffset_add). */
static int vloffset_add(struct fc_state *st, struct fc_off *o,
                        struct fc_slist *l)
{
    o->is_variable = 1;
    if (fc_off_reg(st, o) < 0)
        return -EINVAL;
    return fc_sadd(st, l, PF_CBPF_LD | PF_CBPF_MEM, (uint32_t)o->reg) ||
           fc_sadd(st, l, PF_CBPF_ALU | PF_CBPF_ADD | PF_CBPF_K, 4) ||
           fc_sadd(st, l, PF_CBPF_ST, (uint32_t)o->reg);
}

/* ld vlanp (the kernel's "tag present" ancillary word) */
static int load_ad(struct fc_state *st, struct fc_slist *l, int ad)
{
    return fc_sadd(st, l, PF_CBPF_LD | PF_CBPF_B | PF_CBPF_ABS, FC_SKF_AD(ad));
}

/*
 * Live capture: the kernel strips the outer tag into metadata, so the
 * first `vlan` is "tag present, or a tag type in the frame"; when the
 * frame carries the tag itself, the offsets after it move by 4 at run
 * time (kept in M[] and initialised to 0 by the prologue). The ID comes
 * from the metadata when present, else from the frame.
 */
static struct fc_frag *vlan_live(struct fc_state *st, struct fc_node *n)
{
    struct fc_slist lp = {0}, patch = {0}, v0 = {0}, v1 = {0}, v2 = {0};
    struct fc_slist v3 = {0};
    struct fc_frag *tpid;
    struct fc_block *b0, *b1, *b2, *b3;

    if (load_ad(st, &lp, PF_CBPF_AD_VLAN_TAG_PRESENT))
        return NULL;
    tpid = fc_or(fc_linktype(st, FC_ETHERTYPE_8021Q),
                 fc_linktype(st, FC_ETHERTYPE_8021AD));
    tpid = fc_or(tpid, fc_linktype(st, FC_ETHERTYPE_8021QINQ));
    if (n->has_num && (fc_load_a(st, FC_OR_LINKPL, 0, PF_CBPF_H, &v2) ||
                       fc_sadd(st, &v3, PF_CBPF_ALU | PF_CBPF_AND | PF_CBPF_K,
                           0x0fff)))
        return NULL;
    if (!tpid || vloffset_add(st, &st->off_linkpl, &patch) ||
        vloffset_add(st, &st->off_linktype, &patch))
        return NULL;
    st->is_vlan_vloffset = 1;
    fc_scat(&patch, &tpid->head->stmts);
    tpid->head->stmts = patch;
    tpid = fc_or(fc_jump(st, &lp, PF_CBPF_JEQ, 1), tpid);
    if (!n->has_num)
        return tpid;
    if (load_ad(st, &v0, PF_CBPF_AD_VLAN_TAG_PRESENT) ||
        load_ad(st, &v1, PF_CBPF_AD_VLAN_TAG))
        return NULL;
    b3 = fc_block_new(st, &v3, PF_CBPF_JEQ, n->num);
    b1 = fc_block_new(st, &v1, PF_CBPF_JEQ, 0);
    b2 = fc_block_new(st, &v2, PF_CBPF_JEQ, 0);
    b0 = fc_block_new(st, &v0, PF_CBPF_JEQ, 1);
    if (!b0 || !b1 || !b2 || !b3)
        return NULL;
    b1->jt = b1->jf = b2->jt = b2->jf = b3;
    b0->jt = b1;
    b0->jf = b2;
    return fc_and(tpid, fc_frag_wrap(st, b0, b3));
}

/* vlan [id], as libpcap compiles it for files: tag types, then shift. */
static struct fc_frag *gen_vlan(struct fc_state *st, struct fc_node *n)
{
    struct fc_frag *b0;

    if (st->mpls_depth > 0)
        return err_null(st, PF_COMPILE_QUALIFIER, "no VLAN match after MPLS");
    if (st->linktype != 1 && !fc_link_is_wlan(st))
        return err_null(st, PF_COMPILE_LINKTYPE,
                        "no VLAN support for this link type");
    if (n->has_num && n->num > 0x0fff) {
        fc_error(st, PF_COMPILE_VALUE, "VLAN tag %u greater than maximum %u",
                 n->num, 0x0fff);
        return NULL;
    }
    if (st->opts.context == PF_COMPILE_LIVE_LINUX && st->vlan_depth == 0 &&
        st->linktype == 1 && !st->off_linkhdr.is_variable &&
        st->off_linkhdr.constant_part == 0) {
        st->vlan_depth++;
        return vlan_live(st, n);
    }
    b0 = fc_or(fc_linktype(st, FC_ETHERTYPE_8021Q),
               fc_linktype(st, FC_ETHERTYPE_8021AD));
    b0 = fc_or(b0, fc_linktype(st, FC_ETHERTYPE_8021QINQ));
    if (n->has_num)
        b0 = fc_and(b0, fc_mcmp(st, FC_OR_LINKPL, 0, PF_CBPF_H, n->num,
                                0x0fff));
    st->off_linkpl.constant_part += 4;
    st->off_linktype.constant_part += 4;
    st->vlan_depth++;
    return b0;
}

static struct fc_frag *gen_mpls(struct fc_state *st, struct fc_node *n)
{
    struct fc_frag *b0;

    if (st->mpls_depth > 0)
        b0 = fc_mcmp(st, FC_OR_PREVMPLSHDR, 2, PF_CBPF_B, 0, 0x01);
    else if (st->linktype == 1 || st->linktype == 104)
        b0 = fc_linktype(st, FC_ETHERTYPE_MPLS);
    else if (st->linktype == 9)
        b0 = fc_linktype(st, FC_PPP_MPLS_UCAST);
    else
        return err_null(st, PF_COMPILE_LINKTYPE,
                        "no MPLS support for this link type");
    if (n->has_num) {
        if (n->num > 0xfffff) {
            fc_error(st, PF_COMPILE_VALUE, "MPLS label %u greater than "
                     "maximum %u", n->num, 0xfffff);
            return NULL;
        }
        b0 = fc_and(b0, fc_mcmp(st, FC_OR_LINKPL, 0, PF_CBPF_W,
                                n->num << 12, 0xfffff000));
    }
    st->off_nl_nosnap += 4;
    st->off_nl += 4;
    st->mpls_depth++;
    return b0;
}

static struct fc_frag *gen_pppoes(struct fc_state *st, struct fc_node *n)
{
    struct fc_frag *b0 = fc_linktype(st, FC_ETHERTYPE_PPPOES);

    if (n->has_num) {
        if (n->num > 0xffff) {
            fc_error(st, PF_COMPILE_VALUE, "PPPoE session number %u greater "
                     "than maximum %u", n->num, 0xffff);
            return NULL;
        }
        b0 = fc_and(b0, fc_mcmp(st, FC_OR_LINKPL, 0, PF_CBPF_W, n->num,
                                0xffff));
    }
    st->prevlinktype = st->linktype;
    st->off_prevlinkhdr = st->off_linkhdr;
    st->linktype = 9; /* PPP */
    st->off_linkhdr.is_variable = st->off_linkpl.is_variable;
    st->off_linkhdr.reg = st->off_linkpl.reg;
    st->off_linkhdr.constant_part = st->off_linkpl.constant_part +
                                    st->off_nl + 6;
    st->off_linktype = st->off_linkhdr;
    st->off_linkpl.constant_part = st->off_linkhdr.constant_part + 2;
    st->off_nl = 0;
    st->off_nl_nosnap = 0;
    st->is_pppoes = 1;
    return b0;
}

static int llc_name(const char *s, uint32_t *mask, uint32_t *v)
{
    static const struct { const char *s; uint32_t mask, v; } tab[] = {
        {"i", 0x01, 0x00}, {"s", 0x03, 0x01}, {"u", 0x03, 0x03},
        {"rr", 0x0f, 0x01}, {"rnr", 0x0f, 0x05}, {"rej", 0x0f, 0x09},
        {"ui", 0xef, 0x03}, {"ua", 0xef, 0x63}, {"disc", 0xef, 0x43},
        {"dm", 0xef, 0x0f}, {"sabme", 0xef, 0x6f}, {"test", 0xef, 0xe3},
        {"xid", 0xef, 0xaf}, {"frmr", 0xef, 0x87},
    };

    for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
        if (!strcasecmp(tab[i].s, s)) {
            *mask = tab[i].mask;
            *v = tab[i].v;
            return 1;
        }
    return 0;
}

static struct fc_frag *gen_llc_kind(struct fc_state *st, struct fc_node *n)
{
    struct fc_slist l = {0};
    uint32_t mask, v;
    struct fc_frag *b0;

    if (!n->s)
        return fc_llc(st);
    if (!llc_name(n->s, &mask, &v)) {
        fc_error(st, PF_COMPILE_NAME, "unknown LLC type name \"%s\"", n->s);
        return NULL;
    }
    b0 = fc_llc(st);
    if (!b0)
        return NULL;
    if (mask != 0x01)
        return fc_and(b0, fc_mcmp(st, FC_OR_LLC, 2, PF_CBPF_B, v, mask));
    if (fc_load_a(st, FC_OR_LLC, 2, PF_CBPF_B, &l))
        return NULL;
    return fc_and(b0, fc_not(fc_jump(st, &l, PF_CBPF_JSET, 0x01)));
}

/* pflog names: reasons (PFRES_NAMES order) and actions. */
static int pf_name(const char *s, int action)
{
    static const char *const reasons[] = {
        "match", "bad-offset", "fragment", "short", "normalize", "memory",
        "bad-timestamp", "congestion", "ip-option", "proto-cksum",
        "state-mismatch", "state-insert", "state-limit", "src-limit",
        "synproxy",
    };

    if (action) {
        if (!strcasecmp(s, "pass") || !strcasecmp(s, "accept"))
            return 0;
        if (!strcasecmp(s, "drop") || !strcasecmp(s, "block"))
            return 1;
        return -1;
    }
    for (size_t i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
        if (!strcasecmp(s, reasons[i]))
            return (int)i;
    return -1;
}

/* A string field of the pflog header: ifname (4) or ruleset (20). */
static struct fc_frag *pf_string(struct fc_state *st, uint32_t off,
                                 const char *s, const char *what)
{
    size_t n = strlen(s);

    if (n >= 16) {
        fc_error(st, PF_COMPILE_VALUE, "%s names can only be 15 characters",
                 what);
        return NULL;
    }
    return fc_bcmp(st, FC_OR_LINKHDR, off, (uint32_t)n, (const uint8_t *)s);
}

/* on/ifname, rset, rnr, srnr, reason, action: pflog header fields. */
static struct fc_frag *gen_pf(struct fc_state *st, struct fc_node *n)
{
    int v;

    if (st->linktype != 117)
        return err_null(st, PF_COMPILE_LINKTYPE, "pflog primitives (on, "
                        "rnr, reason, action...) are supported only on the "
                        "pflog link type");
    switch (n->sub) {
    case FC_T_PF_IFNAME: return pf_string(st, 4, n->s, "interface");
    case FC_T_PF_RSET: return pf_string(st, 20, n->s, "ruleset");
    case FC_T_PF_RNR: return fc_cmp(st, FC_OR_LINKHDR, 36, PF_CBPF_W, n->num);
    case FC_T_PF_SRNR: return fc_cmp(st, FC_OR_LINKHDR, 40, PF_CBPF_W, n->num);
    default:
        break;
    }
    v = n->has_num ? (int)n->num : pf_name(n->s, n->sub == FC_T_PF_ACTION);
    if (v < 0) {
        fc_error(st, PF_COMPILE_NAME, "unknown PF %s \"%s\"",
                 n->sub == FC_T_PF_ACTION ? "action" : "reason", n->s);
        return NULL;
    }
    return fc_cmp(st, FC_OR_LINKHDR, n->sub == FC_T_PF_ACTION ? 2 : 3,
                  PF_CBPF_B, (uint32_t)v);
}

/* Generates a fixed-shape primitive node; NULL on error. */
struct fc_frag *fc_gen_other(struct fc_state *st, struct fc_node *n)
{
    switch (n->sub) {
    case FC_T_BROADCAST: return gen_broadcast(st, n->proto);
    case FC_T_MULTICAST: return gen_multicast(st, n->proto);
    case FC_T_LESS: return fc_not(gen_len(st, PF_CBPF_JGT, n->num));
    case FC_T_GREATER: return gen_len(st, PF_CBPF_JGE, n->num);
    case FC_T_CBYTE: return gen_byteop(st, n);
    case FC_T_INBOUND: return gen_inbound(st, 0);
    case FC_T_OUTBOUND: return gen_inbound(st, 1);
    case FC_T_IFINDEX: return gen_ifindex(st, n->num);
    case FC_T_VLAN: return gen_vlan(st, n);
    case FC_T_MPLS: return gen_mpls(st, n);
    case FC_T_PPPOED: return fc_linktype(st, FC_ETHERTYPE_PPPOED);
    case FC_T_PPPOES: return gen_pppoes(st, n);
    case FC_T_LLC: return gen_llc_kind(st, n);
    case FC_T_GENEVE:
        return fc_geneve(st, n->num, n->has_num);
    case FC_T_TYPE: case FC_T_SUBTYPE: case FC_T_DIR:
        return fc_wlan_fc(st, n);
    default:
        return gen_pf(st, n);
    }
}
