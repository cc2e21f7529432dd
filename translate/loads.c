/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The target-specific parts of the lowering: prologue, packet loads,
 * `len`, returns and the shared "return 0" label.
 *   user:   direct loads from r1 after `if r2 < N` checks whose N is
 *           need[] (one check covers every later constant-offset load of
 *           the paths it guards); LD_IND compares X + k + size with the
 *           caplen r2.
 *   socket: LD_ABS/LD_IND (the kernel checks bounds and returns 0), with
 *           X + k kept below 2^31 as libpcap does; ancillary offsets read
 *           struct __sk_buff fields or call helpers.
 *   xdp:    direct loads from data (r8) after `data + N > data_end`
 *           checks, the same hoisting as user; verdict XDP_PASS / DROP.
 */
#include <errno.h>

#include "translate_impl.h"

/* struct __sk_buff offsets (uapi/linux/bpf.h) */
#define SKB_LEN 0
#define SKB_PKT_TYPE 4
#define SKB_MARK 8
#define SKB_QUEUE 12
#define SKB_PROTOCOL 16
#define SKB_VLAN_PRESENT 20
#define SKB_VLAN_TCI 24
#define SKB_VLAN_PROTO 28
#define SKB_IFINDEX 40
#define SKB_CB0 48
#define SKB_HASH 68
/* struct xdp_md offsets */
#define XDP_DATA 0
#define XDP_DATA_END 4
/* helpers and XDP verdicts (uapi/linux/bpf.h) */
#define FUNC_GET_SMP_PROCESSOR_ID 8
#define XDP_DROP 1
#define XDP_PASS 2

static uint8_t ebpf_size(unsigned size)
{
    return size == 4 ? PF_EBPF_W : size == 2 ? PF_EBPF_H : PF_EBPF_B;
}

static unsigned cbpf_size(uint16_t code)
{
    return PF_CBPF_SIZE(code) == PF_CBPF_W   ? 4
           : PF_CBPF_SIZE(code) == PF_CBPF_H ? 2
                                             : 1;
}

static void zero_mem(struct tr_ctx *c)
{
    for (unsigned k = 0; k < PF_CBPF_MEMWORDS; k++)
        if (c->mem_init & (1u << k)) /* *(u32 *)(r10 - off) = 0 */
            tr_emit(c, PF_EBPF_ST_MEM(PF_EBPF_W, PF_EBPF_R10,
                                      (int16_t)(-4 * (16 - (int)k)), 0));
}

void tr_lower_prologue(struct tr_ctx *c)
{
    switch (c->target) {
    case PF_TRANSLATE_USER:
        break;
    case PF_TRANSLATE_SOCKET: /* r6 = skb */
        tr_emit(c, PF_EBPF_MOV64_REG(TR_S_CTX, PF_EBPF_R1));
        break;
    case PF_TRANSLATE_XDP: /* r8 = ctx->data; r9 = ctx->data_end */
        tr_emit(c, PF_EBPF_LDX_MEM(PF_EBPF_W, TR_XDP_DATA, PF_EBPF_R1,
                                   XDP_DATA));
        tr_emit(c, PF_EBPF_LDX_MEM(PF_EBPF_W, TR_XDP_END, PF_EBPF_R1,
                                   XDP_DATA_END));
        break;
    }
    if (c->init_a) /* A = 0 */
        tr_emit(c, PF_EBPF_MOV32_IMM(TR_A, 0));
    if (c->init_x) /* X = 0 */
        tr_emit(c, PF_EBPF_MOV32_IMM(TR_X, 0));
    zero_mem(c);
}

void tr_lower_fail_label(struct tr_ctx *c)
{
    /* r0 = 0 (XDP_DROP); exit */
    tr_emit(c, PF_EBPF_MOV32_IMM(TR_A, c->target == PF_TRANSLATE_XDP
                                           ? XDP_DROP : 0));
    tr_emit(c, PF_EBPF_EXIT());
}

void tr_lower_ret(struct tr_ctx *c, const struct pf_cbpf_insn *insn)
{
    int rval_a = PF_CBPF_RVAL(insn->code) == PF_CBPF_A;

    if (c->target != PF_TRANSLATE_XDP) {
        if (!rval_a) /* r0 = k */
            tr_emit(c, PF_EBPF_MOV32_IMM(TR_A, (int32_t)insn->k));
        tr_emit(c, PF_EBPF_EXIT());
    } else if (!rval_a) {
        tr_emit(c, PF_EBPF_MOV32_IMM(TR_A, insn->k ? XDP_PASS : XDP_DROP));
        tr_emit(c, PF_EBPF_EXIT());
    } else { /* r0 = A ? XDP_PASS : XDP_DROP */
        tr_emit(c, PF_EBPF_JMP_IMM(PF_EBPF_JEQ, TR_A, 0, 2));
        tr_emit(c, PF_EBPF_MOV32_IMM(TR_A, XDP_PASS));
        tr_emit(c, PF_EBPF_EXIT());
        tr_emit(c, PF_EBPF_MOV32_IMM(TR_A, XDP_DROP));
        tr_emit(c, PF_EBPF_EXIT());
    }
}

void tr_lower_len(struct tr_ctx *c, int dst)
{
    switch (c->target) {
    case PF_TRANSLATE_USER: /* wN = w3 (wirelen) */
        tr_emit(c, PF_EBPF_MOV32_REG(dst, TR_U_WIRELEN));
        break;
    case PF_TRANSLATE_SOCKET: /* wN = skb->len or skb->cb[0] */
        tr_emit(c, PF_EBPF_LDX_MEM(PF_EBPF_W, dst, TR_S_CTX,
                                   c->len_from == PF_TRANSLATE_LEN_CB0
                                       ? SKB_CB0 : SKB_LEN));
        break;
    case PF_TRANSLATE_XDP: /* rN = data_end - data */
        tr_emit(c, PF_EBPF_MOV64_REG(dst, TR_XDP_END));
        tr_emit(c, PF_EBPF_ALU64_REG(PF_EBPF_SUB, dst, TR_XDP_DATA));
        break;
    }
}

/* Guards the next direct load: proves caplen >= need[i] unless known. */
static void bounds_check(struct tr_ctx *c, size_t i, uint64_t end)
{
    uint64_t n = c->need[i];

    if (end <= c->cur)
        return;
    if (c->target == PF_TRANSLATE_XDP) {
        /* r4 = data + N; if r4 > data_end goto fail */
        tr_emit(c, PF_EBPF_MOV64_REG(TR_T1, TR_XDP_DATA));
        tr_emit(c, PF_EBPF_ALU64_IMM(PF_EBPF_ADD, TR_T1, (int32_t)n));
        tr_emit_fail_jump(c, PF_EBPF_JMP_REG(PF_EBPF_JGT, TR_T1, TR_XDP_END,
                                             0));
    } else { /* if r2 < N goto fail (N <= TR_USER_LIMIT) */
        tr_emit_fail_jump(c, PF_EBPF_JMP_IMM(PF_EBPF_JLT, TR_U_CAPLEN,
                                             (int32_t)n, 0));
    }
    c->cur = n;
}

/* dst = ntoh(*(size *)(base + k)), k proven in bounds; without the
 * ntoh when @raw (the value is only compared with swapped constants). */
static void load_direct(struct tr_ctx *c, int dst, int base, uint32_t k,
                        unsigned size, int raw)
{
    if ((uint64_t)k + size <= INT16_MAX) {
        tr_emit(c, PF_EBPF_LDX_MEM(ebpf_size(size), dst, base, (int16_t)k));
    } else { /* r4 = k; r4 += base; dst = *(r4 + 0) */
        tr_emit(c, PF_EBPF_MOV32_IMM(TR_T1, (int32_t)k));
        tr_emit(c, PF_EBPF_ALU64_REG(PF_EBPF_ADD, TR_T1, base));
        tr_emit(c, PF_EBPF_LDX_MEM(ebpf_size(size), dst, TR_T1, 0));
    }
    if (size > 1 && !raw) /* dst = be16/be32 dst */
        tr_emit(c, PF_EBPF_ENDIAN(PF_EBPF_TO_BE, dst, size * 8));
}

/* r4 = (u64)X + k: no 32-bit wrap-around, as in libpcap. */
static void index_sum(struct tr_ctx *c, uint32_t k)
{
    tr_emit(c, PF_EBPF_MOV64_REG(TR_T1, TR_X));
    if (k <= INT32_MAX) {
        tr_emit(c, PF_EBPF_ALU64_IMM(PF_EBPF_ADD, TR_T1, (int32_t)k));
    } else {
        tr_emit(c, PF_EBPF_MOV32_IMM(TR_T2, (int32_t)k));
        tr_emit(c, PF_EBPF_ALU64_REG(PF_EBPF_ADD, TR_T1, TR_T2));
    }
}

/* User target, k + size < 2^15, X small: r4 = X + k + size; if r4 > caplen goto
 * fail; r4 = pkt + X; A = *(r4 + k). pfcap's verifier relates r4 to X
 * (same base) and learns caplen >= X + k + size from the compare. */
static void load_ind_user(struct tr_ctx *c, uint32_t k, unsigned size,
                          int raw)
{
    tr_emit(c, PF_EBPF_MOV64_REG(TR_T1, TR_X));
    tr_emit(c, PF_EBPF_ALU64_IMM(PF_EBPF_ADD, TR_T1, (int32_t)(k + size)));
    tr_emit_fail_jump(c, PF_EBPF_JMP_REG(PF_EBPF_JGT, TR_T1, TR_U_CAPLEN,
                                         0));
    tr_emit(c, PF_EBPF_MOV64_REG(TR_T1, TR_U_PKT));
    tr_emit(c, PF_EBPF_ALU64_REG(PF_EBPF_ADD, TR_T1, TR_X));
    load_direct(c, TR_A, TR_T1, k, size, raw);
}

/* XDP target, X known to be at most @xmax: if X > xmax goto fail (never
 * taken; it gives the kernel a bound on X on every path: X's own bound
 * from the ldxb msh can be lost when the kernel links X with a copy that
 * a test then narrows on a path it cannot rule out); r4 = data + X;
 * r5 = r4 + k + size; if r5 > data_end goto fail; A = *(r4 + k). */
static void load_ind_xdp(struct tr_ctx *c, uint32_t k, unsigned size, int raw,
                         uint32_t xmax)
{
    tr_emit_fail_jump(c, PF_EBPF_JMP_IMM(PF_EBPF_JGT, TR_X, (int32_t)xmax,
                                         0));
    tr_emit(c, PF_EBPF_MOV64_REG(TR_T1, TR_XDP_DATA));
    tr_emit(c, PF_EBPF_ALU64_REG(PF_EBPF_ADD, TR_T1, TR_X));
    tr_emit(c, PF_EBPF_MOV64_REG(TR_T2, TR_T1));
    tr_emit(c, PF_EBPF_ALU64_IMM(PF_EBPF_ADD, TR_T2, (int32_t)(k + size)));
    tr_emit_fail_jump(c, PF_EBPF_JMP_REG(PF_EBPF_JGT, TR_T2, TR_XDP_END, 0));
    load_direct(c, TR_A, TR_T1, k, size, raw);
}

/* A = ntoh(*(size *)(pkt + X + k)) with a check against the packet end. */
static void load_ind_direct(struct tr_ctx *c, size_t i, unsigned size)
{
    uint32_t k = c->in[i].k;
    uint64_t end = (uint64_t)k + size;

    /* X from ldxb msh or a constant: the verifiers bound it themselves */
    if (end <= INT16_MAX && c->xmax[i] + end <= TR_XDP_LIMIT) {
        if (c->target == PF_TRANSLATE_USER)
            load_ind_user(c, k, size, c->raw[i]);
        else
            load_ind_xdp(c, k, size, c->raw[i], (uint32_t)c->xmax[i]);
        return;
    }
    index_sum(c, k);
    /* if r4 > limit - size goto fail: no packet is that long, and the
     * verifiers want a known bound on the offset added to the pointer */
    tr_emit_fail_jump(c, PF_EBPF_JMP_IMM(PF_EBPF_JGT, TR_T1,
                                         (int32_t)(tr_limit(c) - size), 0));
    if (c->target == PF_TRANSLATE_USER) { /* if r4 > caplen - size */
        tr_emit(c, PF_EBPF_ALU64_IMM(PF_EBPF_ADD, TR_T1, (int32_t)size));
        tr_emit_fail_jump(c, PF_EBPF_JMP_REG(PF_EBPF_JGT, TR_T1,
                                             TR_U_CAPLEN, 0));
        tr_emit(c, PF_EBPF_ALU64_IMM(PF_EBPF_ADD, TR_T1, -(int32_t)size));
        tr_emit(c, PF_EBPF_ALU64_REG(PF_EBPF_ADD, TR_T1, TR_U_PKT));
    } else { /* r4 += data; r5 = r4 + size; if r5 > data_end goto fail */
        tr_emit(c, PF_EBPF_ALU64_REG(PF_EBPF_ADD, TR_T1, TR_XDP_DATA));
        tr_emit(c, PF_EBPF_MOV64_REG(TR_T2, TR_T1));
        tr_emit(c, PF_EBPF_ALU64_IMM(PF_EBPF_ADD, TR_T2, (int32_t)size));
        tr_emit_fail_jump(c, PF_EBPF_JMP_REG(PF_EBPF_JGT, TR_T2, TR_XDP_END,
                                             0));
    }
    load_direct(c, TR_A, TR_T1, 0, size, c->raw[i]);
}

/* X = 4 * (P[k] & 0xf), from the byte already in @reg. */
static void msh_finish(struct tr_ctx *c, int reg)
{
    tr_emit(c, PF_EBPF_ALU32_IMM(PF_EBPF_AND, reg, 0xf));
    tr_emit(c, PF_EBPF_ALU32_IMM(PF_EBPF_LSH, reg, 2));
    if (reg != TR_X)
        tr_emit(c, PF_EBPF_MOV32_REG(TR_X, reg));
}

static void load_direct_insn(struct tr_ctx *c, size_t i)
{
    const struct pf_cbpf_insn *p = &c->in[i];
    unsigned size = cbpf_size(p->code);
    int base = c->target == PF_TRANSLATE_XDP ? TR_XDP_DATA : TR_U_PKT;

    bounds_check(c, i, tr_load_end(p));
    if (PF_CBPF_CLASS(p->code) == PF_CBPF_LDX) { /* ldxb 4*([k]&0xf) */
        load_direct(c, TR_X, base, p->k, 1, 0);
        msh_finish(c, TR_X);
    } else if (PF_CBPF_MODE(p->code) == PF_CBPF_IND) {
        load_ind_direct(c, i, size);
    } else {
        load_direct(c, TR_A, base, p->k, size, c->raw[i]);
    }
}

struct skb_field {
    uint8_t ad;     /* SKF_AD_* */
    int16_t off;    /* __sk_buff offset, or -1 = helper, -2 = A ^ X */
    int32_t arg;    /* byte swap width or helper number */
};

static const struct skb_field skb_fields[] = {
    {PF_CBPF_AD_PROTOCOL, SKB_PROTOCOL, 16},
    {PF_CBPF_AD_PKTTYPE, SKB_PKT_TYPE, 0},
    {PF_CBPF_AD_IFINDEX, SKB_IFINDEX, 0},
    {PF_CBPF_AD_MARK, SKB_MARK, 0},
    {PF_CBPF_AD_QUEUE, SKB_QUEUE, 0},
    {PF_CBPF_AD_RXHASH, SKB_HASH, 0},
    {PF_CBPF_AD_VLAN_TAG, SKB_VLAN_TCI, 0},
    {PF_CBPF_AD_VLAN_TAG_PRESENT, SKB_VLAN_PRESENT, 0},
    {PF_CBPF_AD_VLAN_TPID, SKB_VLAN_PROTO, 16},
    {PF_CBPF_AD_CPU, -1, FUNC_GET_SMP_PROCESSOR_ID},
    {PF_CBPF_AD_RANDOM, -1, PF_EBPF_FUNC_get_prandom_u32},
    {PF_CBPF_AD_ALU_XOR_X, -2, 0},
};

static const char *ancillary_name(uint32_t ad)
{
#define PF_TR_AD_NAME(name, off, text)                                         \
    if (ad == (off))                                                           \
        return text;
    PF_CBPF_ANCILLARY(PF_TR_AD_NAME)
#undef PF_TR_AD_NAME
    return "?";
}

/* A = an ancillary value (SKF_AD_OFF + @ad); 0 if handled. */
static int load_ancillary(struct tr_ctx *c, size_t i, uint32_t ad)
{
    for (size_t f = 0; f < sizeof(skb_fields) / sizeof(skb_fields[0]); f++) {
        const struct skb_field *s = &skb_fields[f];

        if (s->ad != ad)
            continue;
        if (s->off == -1) {
            tr_emit(c, PF_EBPF_CALL_HELPER(s->arg)); /* r0 = helper() */
        } else if (s->off == -2) {
            tr_emit(c, PF_EBPF_ALU32_REG(PF_EBPF_XOR, TR_A, TR_X));
        } else { /* w0 = skb->field (ntohs for be16 fields) */
            tr_emit(c, PF_EBPF_LDX_MEM(PF_EBPF_W, TR_A, TR_S_CTX, s->off));
            if (s->arg)
                tr_emit(c, PF_EBPF_ENDIAN(PF_EBPF_TO_BE, TR_A, s->arg));
        }
        return 0;
    }
    if (ad == PF_CBPF_AD_HATYPE || ad == PF_CBPF_AD_NLATTR ||
        ad == PF_CBPF_AD_NLATTR_NEST || ad == PF_CBPF_AD_PAY_OFFSET)
        return tr_refuse(c, -ENOTSUP, PF_TRANSLATE_ERR_ANCILLARY, i,
                         ancillary_name(ad),
                         pf_translate_target_name(c->target));
    return 1;
}

static void load_socket(struct tr_ctx *c, size_t i)
{
    const struct pf_cbpf_insn *p = &c->in[i];
    uint8_t size = ebpf_size(cbpf_size(p->code));
    uint32_t ad = p->k - (uint32_t)PF_CBPF_AD_OFF;

    if (PF_CBPF_CLASS(p->code) == PF_CBPF_LDX) {
        /* r8 = A; A = skb[k]; X = 4 * (A & 0xf); A = r8 */
        tr_emit(c, PF_EBPF_MOV64_REG(TR_S_SAVE, TR_A));
        tr_emit(c, PF_EBPF_LD_ABS(PF_EBPF_B, (int32_t)p->k));
        msh_finish(c, TR_A);
        tr_emit(c, PF_EBPF_MOV64_REG(TR_A, TR_S_SAVE));
    } else if (PF_CBPF_MODE(p->code) == PF_CBPF_IND) {
        /* if X + k > INT32_MAX goto fail; A = skb[X + k] */
        index_sum(c, p->k);
        tr_emit_fail_jump(c, PF_EBPF_JMP_IMM(PF_EBPF_JGT, TR_T1, INT32_MAX,
                                             0));
        tr_emit(c, PF_EBPF_LD_IND(size, TR_X, (int32_t)p->k));
    } else if (ad >= 64 || (ad & 3) || load_ancillary(c, i, ad) > 0) {
        tr_emit(c, PF_EBPF_LD_ABS(size, (int32_t)p->k)); /* A = skb[k] */
    }
}

void tr_lower_load(struct tr_ctx *c, size_t i)
{
    if (c->target == PF_TRANSLATE_SOCKET)
        load_socket(c, i);
    else
        load_direct_insn(c, i);
}
