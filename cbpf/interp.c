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
#include <string.h>

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

#define PF_INTERP_NAME pf_cbpf_run
#define PF_INTERP_CHECKED 1
#include "interp_body.h"
#undef PF_INTERP_NAME
#undef PF_INTERP_CHECKED

#define PF_INTERP_NAME pf_cbpf_run_valid
#define PF_INTERP_CHECKED 0
#include "interp_body.h"
#undef PF_INTERP_NAME
#undef PF_INTERP_CHECKED

#pragma GCC diagnostic pop
