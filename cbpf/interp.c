/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The cBPF interpreter, with libpcap's bpf_filter semantics: A and X start
 * at 0, a load outside the captured bytes ends the program with 0,
 * division or modulo by X = 0 ends it with 0, shifts by X >= 32 give 0,
 * `ja` offsets are sign-extended (libpcap's protochain loops backwards)
 * and a bound on backward jumps ends any loop with 0. Given packet
 * metadata, loads at the Linux ancillary offsets behave as in the kernel.
 *
 * Dispatch is a computed goto through a table expanded from PF_CBPF_OPS;
 * every step checks the program counter, so unvalidated programs are safe.
 */
#include <stdint.h>

#include <pfcap/cbpf.h>

#include "cbpf_ops.h"
#include "common/bytes.h"

/* Enough for protochain over the most extension headers a 64 KiB packet
 * can hold (8 bytes each), small enough that no program runs for long. */
#define PF_CBPF_MAX_BACKWARD_JUMPS 16384

/* Value of an ancillary load at SKF_AD_OFF + @ad; sets *ok = 0 for the
 * offsets the kernel would fail the program on. */
static uint32_t ancillary(const struct pf_cbpf_meta *m, uint32_t ad,
                          uint32_t A, uint32_t X, int *ok)
{
    switch (ad) {
    case PF_CBPF_AD_PROTOCOL: return m->protocol;
    case PF_CBPF_AD_PKTTYPE: return m->pkttype;
    case PF_CBPF_AD_IFINDEX: return m->ifindex;
    case PF_CBPF_AD_MARK: return m->mark;
    case PF_CBPF_AD_QUEUE: return m->queue;
    case PF_CBPF_AD_HATYPE: return m->hatype;
    case PF_CBPF_AD_RXHASH: return m->rxhash;
    case PF_CBPF_AD_CPU: return m->cpu;
    case PF_CBPF_AD_ALU_XOR_X: return A ^ X;
    case PF_CBPF_AD_VLAN_TAG: return m->vlan_tci;
    case PF_CBPF_AD_VLAN_TAG_PRESENT: return m->vlan_present;
    case PF_CBPF_AD_VLAN_TPID: return m->vlan_tpid;
    case PF_CBPF_AD_RANDOM: return m->random;
    case PF_CBPF_AD_PAY_OFFSET: return m->net_offset;
    case PF_CBPF_AD_NLATTR:
    case PF_CBPF_AD_NLATTR_NEST: return 0;
    default: *ok = 0; return 0;
    }
}

/*
 * A load at a negative offset (kernel only): ancillary data (absolute
 * loads only, any size, as the kernel's bpf_anc_helper), or bytes
 * relative to the network (SKF_NET_OFF) or link (SKF_LL_OFF) header.
 * Returns 0 and clears *ok where the kernel would end the program.
 */
static uint32_t load_negative(const struct pf_cbpf_meta *m, int32_t k,
                              unsigned size, int abs, const uint8_t *pkt,
                              uint32_t caplen, uint32_t A, uint32_t X, int *ok)
{
    int64_t at;

    if (abs && k >= PF_CBPF_AD_OFF && k < PF_CBPF_AD_OFF + 64 &&
        ((k - PF_CBPF_AD_OFF) & 3) == 0) {
        uint32_t v = ancillary(m, (uint32_t)(k - PF_CBPF_AD_OFF), A, X, ok);
        if (*ok)
            return v;
        *ok = 1;
    }
    if (k >= PF_CBPF_NET_OFF)
        at = (int64_t)m->net_offset + (k - PF_CBPF_NET_OFF);
    else if (k >= PF_CBPF_LL_OFF)
        at = (int64_t)k - PF_CBPF_LL_OFF;
    else
        at = -1;
    if (at < 0 || at + size > caplen) {
        *ok = 0;
        return 0;
    }
    if (size == 4)
        return pf_get_be32(pkt + at);
    return size == 2 ? pf_get_be16(pkt + at) : pkt[at];
}

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Woverride-init"
#pragma GCC diagnostic ignored "-Wpedantic"

uint32_t pf_cbpf_run(const struct pf_cbpf_insn *insns, size_t len,
                     const uint8_t *pkt, uint32_t wirelen, uint32_t caplen,
                     const struct pf_cbpf_meta *meta)
{
    static const void *const labels[256] = {
        [0 ... 255] = &&op_invalid,
#define PF_CBPF_OP_LABEL(name, code, mnem, opnd) [code] = &&op_##name,
        PF_CBPF_OPS(PF_CBPF_OP_LABEL)
#undef PF_CBPF_OP_LABEL
    };
    const struct pf_cbpf_insn *pc = insns, *end = insns + len;
    uint32_t A = 0, X = 0, k, M[PF_CBPF_MEMWORDS] = {0};
    unsigned backward = 0;
    int ok;

#define DISPATCH()                                                             \
    do {                                                                       \
        if (__builtin_expect(pc >= end, 0))                                    \
            return 0;                                                          \
        goto *labels[pc->code <= 0xff ? pc->code : 0xff];                      \
    } while (0)
#define NEXT()                                                                 \
    do {                                                                       \
        pc++;                                                                  \
        DISPATCH();                                                            \
    } while (0)
#define JUMP(cond)                                                             \
    do {                                                                       \
        pc += 1 + ((cond) ? pc->jt : pc->jf);                                  \
        DISPATCH();                                                            \
    } while (0)
/* A load of @size bytes at @off (64-bit, so X + k cannot wrap). With
 * metadata, an offset that is negative as a 32-bit value is the kernel's
 * ancillary/negative-offset load (@abs: ancillary loads exist only for
 * absolute loads); without it, it is simply out of bounds. */
#define LOAD(dst, off, size, abs)                                              \
    do {                                                                       \
        uint64_t o_ = (off);                                                   \
        if (meta && (int32_t)(uint32_t)o_ < 0) {                               \
            ok = 1;                                                            \
            dst = load_negative(meta, (int32_t)(uint32_t)o_, size, abs, pkt,   \
                                caplen, A, X, &ok);                            \
            if (!ok)                                                           \
                return 0;                                                      \
            NEXT();                                                            \
        }                                                                      \
        if (o_ + (size) > caplen)                                              \
            return 0;                                                          \
        dst = (size) == 4   ? pf_get_be32(pkt + o_)                            \
              : (size) == 2 ? pf_get_be16(pkt + o_)                            \
                            : pkt[o_];                                         \
        NEXT();                                                                \
    } while (0)

    DISPATCH();
op_LD_W_ABS: LOAD(A, pc->k, 4, 1);
op_LD_H_ABS: LOAD(A, pc->k, 2, 1);
op_LD_B_ABS: LOAD(A, pc->k, 1, 1);
op_LD_W_IND: LOAD(A, (uint64_t)X + pc->k, 4, 0);
op_LD_H_IND: LOAD(A, (uint64_t)X + pc->k, 2, 0);
op_LD_B_IND: LOAD(A, (uint64_t)X + pc->k, 1, 0);
op_LD_W_LEN: A = wirelen; NEXT();
op_LD_IMM: A = pc->k; NEXT();
op_LD_MEM: if (pc->k >= PF_CBPF_MEMWORDS) return 0; A = M[pc->k]; NEXT();
op_LDX_IMM: X = pc->k; NEXT();
op_LDX_MEM: if (pc->k >= PF_CBPF_MEMWORDS) return 0; X = M[pc->k]; NEXT();
op_LDX_LEN: X = wirelen; NEXT();
op_LDX_MSH: if (pc->k >= caplen) return 0; X = (pkt[pc->k] & 0xfu) << 2; NEXT();
op_ST: if (pc->k >= PF_CBPF_MEMWORDS) return 0; M[pc->k] = A; NEXT();
op_STX: if (pc->k >= PF_CBPF_MEMWORDS) return 0; M[pc->k] = X; NEXT();
op_ADD_K: A += pc->k; NEXT();
op_SUB_K: A -= pc->k; NEXT();
op_MUL_K: A *= pc->k; NEXT();
op_DIV_K: if (pc->k == 0) return 0; A /= pc->k; NEXT();
op_MOD_K: if (pc->k == 0) return 0; A %= pc->k; NEXT();
op_OR_K: A |= pc->k; NEXT();
op_AND_K: A &= pc->k; NEXT();
op_XOR_K: A ^= pc->k; NEXT();
op_LSH_K: A = pc->k < 32 ? A << pc->k : 0; NEXT();
op_RSH_K: A = pc->k < 32 ? A >> pc->k : 0; NEXT();
op_ADD_X: A += X; NEXT();
op_SUB_X: A -= X; NEXT();
op_MUL_X: A *= X; NEXT();
op_DIV_X: if (X == 0) return 0; A /= X; NEXT();
op_MOD_X: if (X == 0) return 0; A %= X; NEXT();
op_OR_X: A |= X; NEXT();
op_AND_X: A &= X; NEXT();
op_XOR_X: A ^= X; NEXT();
op_LSH_X: A = X < 32 ? A << X : 0; NEXT();
op_RSH_X: A = X < 32 ? A >> X : 0; NEXT();
op_NEG: A = 0u - A; NEXT();
op_JA:
    k = pc->k;
    if ((int32_t)k < 0) {
        if ((int32_t)k == -1 || ++backward > PF_CBPF_MAX_BACKWARD_JUMPS)
            return 0;
        if ((size_t)(pc - insns) + 1 < (size_t)-(int64_t)(int32_t)k)
            return 0;
    } else if ((uint64_t)k >= (uint64_t)(end - pc)) {
        return 0;
    }
    pc += 1 + (int64_t)(int32_t)k;
    DISPATCH();
op_JEQ_K: JUMP(A == pc->k);
op_JGT_K: JUMP(A > pc->k);
op_JGE_K: JUMP(A >= pc->k);
op_JSET_K: JUMP(A & pc->k);
op_JEQ_X: JUMP(A == X);
op_JGT_X: JUMP(A > X);
op_JGE_X: JUMP(A >= X);
op_JSET_X: JUMP(A & X);
op_RET_K: return pc->k;
op_RET_A: return A;
op_TAX: X = A; NEXT();
op_TXA: A = X; NEXT();
op_invalid:
    return 0;
#undef LOAD
#undef JUMP
#undef NEXT
#undef DISPATCH
}

#pragma GCC diagnostic pop
