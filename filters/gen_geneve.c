/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * `geneve [vni]`: UDP port 6081 over IPv4 or IPv6, version 0, optional
 * VNI; everything after it in the expression looks inside the tunnel.
 * As in libpcap, the matching path computes three run-time offsets into
 * scratch registers (inner type field, inner link header, inner network
 * header; an inner Ethernet header exists only for protocol type 0x6558)
 * and the layout becomes "Ethernet at variable offsets".
 *
 * libpcap 1.10 writes those registers only on the geneve path, so in
 * `geneve or ip` the `ip` test can read a register never written; its
 * verdict is then stack garbage (and the kernel refuses the program).
 * pfcap zeroes such registers at the start of the program (see
 * compile.c), so every path reads defined values: where libpcap is
 * deterministic the verdicts are the same, elsewhere pfcap's are
 * deterministic.
 */
#include <errno.h>

#include "filters/filters_impl.h"

#define GENEVE_PORT 6081
#define ETHERTYPE_TEB 0x6558

/* UDP dst port 6081, version 0, and the VNI if given. */
static struct fc_frag *check(struct fc_state *st, int v6, uint32_t vni,
                             int has_vni)
{
    enum fc_rel rel = v6 ? FC_OR_TRAN_IPV6 : FC_OR_TRAN_IPV4;
    struct fc_frag *b0;

    b0 = fc_gen_port(st, -1, GENEVE_PORT, FC_IPPROTO_UDP, FC_D_DST, v6);
    b0 = fc_and(b0, fc_mcmp(st, rel, 8, PF_CBPF_B, 0, 0xc0));
    if (has_vni)
        b0 = fc_and(b0, fc_mcmp(st, rel, 12, PF_CBPF_W, vni << 8,
                                0xffffff00));
    return b0;
}

/* Leaves the IP header length in A (and X) on an always-true edge. */
static struct fc_frag *geneve_ip(struct fc_state *st, int v6, uint32_t vni,
                                 int has_vni)
{
    struct fc_frag *b0 = check(st, v6, vni, has_vni);
    struct fc_slist l = {0};

    if (!v6) {
        if (fc_loadx_iphdrlen(st, &l) ||
            fc_sadd(st, &l, PF_CBPF_MISC | PF_CBPF_TXA, 0))
            return NULL;
    } else if (st->off_linkpl.is_variable) {
        if (fc_sadd(st, &l, PF_CBPF_LDX | PF_CBPF_MEM,
                (uint32_t)fc_off_reg(st, &st->off_linkpl)) ||
            fc_sadd(st, &l, PF_CBPF_LD | PF_CBPF_IMM, 40) ||
            fc_sadd(st, &l, PF_CBPF_ALU | PF_CBPF_ADD | PF_CBPF_X, 0) ||
            fc_sadd(st, &l, PF_CBPF_MISC | PF_CBPF_TAX, 0))
            return NULL;
    } else if (fc_sadd(st, &l, PF_CBPF_LD | PF_CBPF_IMM, 40) ||
               fc_sadd(st, &l, PF_CBPF_MISC | PF_CBPF_TAX, 0)) {
        return NULL;
    }
    return fc_and(b0, fc_jump(st, &l, PF_CBPF_JEQ | PF_CBPF_X, 0));
}

/* A = IP header length in; computes the inner offsets into M[]. */
static struct fc_frag *offsets(struct fc_state *st)
{
    struct fc_slist s = {0}, teb = {0}, tail = {0};
    struct fc_block *b0, *b1, *b2;
    int lt = fc_reg_alloc(st), hdr, pl;

    if (lt < 0 || fc_sadd(st, &s, PF_CBPF_ALU | PF_CBPF_ADD | PF_CBPF_K,
                      st->off_linkpl.constant_part + st->off_nl + 8) ||
        fc_sadd(st, &s, PF_CBPF_MISC | PF_CBPF_TAX, 0) ||
        fc_sadd(st, &s, PF_CBPF_ALU | PF_CBPF_ADD | PF_CBPF_K, 2) ||
        fc_sadd(st, &s, PF_CBPF_ST, (uint32_t)lt) ||
        fc_sadd(st, &s, FC_LD(PF_CBPF_B, PF_CBPF_IND), 0) ||
        fc_sadd(st, &s, PF_CBPF_ALU | PF_CBPF_AND | PF_CBPF_K, 0x3f) ||
        fc_sadd(st, &s, PF_CBPF_ALU | PF_CBPF_MUL | PF_CBPF_K, 4) ||
        fc_sadd(st, &s, PF_CBPF_ALU | PF_CBPF_ADD | PF_CBPF_K, 8) ||
        fc_sadd(st, &s, PF_CBPF_ALU | PF_CBPF_ADD | PF_CBPF_X, 0))
        return NULL;
    if ((hdr = fc_reg_alloc(st)) < 0 ||
        fc_sadd(st, &s, PF_CBPF_ST, (uint32_t)hdr) ||
        fc_sadd(st, &s, FC_LD(PF_CBPF_H, PF_CBPF_IND), 2) ||
        fc_sadd(st, &s, PF_CBPF_LDX | PF_CBPF_MEM, (uint32_t)hdr) ||
        fc_sadd(st, &teb, PF_CBPF_MISC | PF_CBPF_TXA, 0) ||
        fc_sadd(st, &teb, PF_CBPF_ALU | PF_CBPF_ADD | PF_CBPF_K, 12) ||
        fc_sadd(st, &teb, PF_CBPF_ST, (uint32_t)lt) ||
        fc_sadd(st, &teb, PF_CBPF_ALU | PF_CBPF_ADD | PF_CBPF_K, 2) ||
        fc_sadd(st, &teb, PF_CBPF_MISC | PF_CBPF_TAX, 0))
        return NULL;
    if ((pl = fc_reg_alloc(st)) < 0 ||
        fc_sadd(st, &tail, PF_CBPF_STX, (uint32_t)pl) ||
        fc_sadd(st, &tail, PF_CBPF_LD | PF_CBPF_IMM, 0))
        return NULL;
    b2 = fc_block_new(st, &tail, PF_CBPF_JEQ, 0);
    b1 = fc_block_new(st, &teb, PF_CBPF_JEQ, 0);
    b0 = fc_block_new(st, &s, PF_CBPF_JEQ, ETHERTYPE_TEB);
    if (!b0 || !b1 || !b2)
        return NULL;
    b1->jt = b1->jf = b2;
    b0->jt = b1;
    b0->jf = b2;
    st->prevlinktype = st->linktype;
    st->off_prevlinkhdr = st->off_linkhdr;
    st->linktype = 1;
    st->off_linktype = (struct fc_off){1, 0, lt};
    st->off_linkhdr = (struct fc_off){1, 0, hdr};
    st->off_linkpl = (struct fc_off){1, 0, pl};
    st->off_nl = st->off_nl_nosnap = 0;
    return fc_frag_wrap(st, b0, b2);
}

/* `geneve [vni]`: the test, then the layout moves inside the tunnel. */
struct fc_frag *fc_geneve(struct fc_state *st, uint32_t vni, int has_vni)
{
    struct fc_frag *b;

    if (has_vni && vni > 0xffffff) {
        fc_error(st, PF_COMPILE_VALUE, "Geneve VNI %u greater than maximum "
                 "%u", vni, 0xffffff);
        return NULL;
    }
    b = fc_or(geneve_ip(st, 0, vni, has_vni), geneve_ip(st, 1, vni, has_vni));
    b = fc_and(b, offsets(st));
    st->is_geneve = 1;
    return b;
}

/* After geneve: is there an inner link-layer header at all? */
struct fc_frag *fc_geneve_ll_check(struct fc_state *st)
{
    struct fc_slist l = {0};

    if (fc_sadd(st, &l, PF_CBPF_LD | PF_CBPF_MEM,
            (uint32_t)st->off_linkhdr.reg) ||
        fc_sadd(st, &l, PF_CBPF_LDX | PF_CBPF_MEM, (uint32_t)st->off_linkpl.reg))
        return NULL;
    return fc_not(fc_jump(st, &l, PF_CBPF_JEQ | PF_CBPF_X, 0));
}
