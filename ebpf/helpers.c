/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The kernel helpers a pfcap program may call (skb_load_bytes,
 * get_prandom_u32) and the legacy LD_ABS/LD_IND packet read, shared by the
 * interpreter and the JIT. A socket program's context pointer is the start
 * of a struct pf_ebpf_run_ctx, which is how these find the packet.
 */
#include <errno.h>
#include <string.h>

#include "ebpf_impl.h"

/* The kernel's ancillary offsets (linux/filter.h) */
#define SKF_NET_OFF (-0x100000)
#define SKF_LL_OFF (-0x200000)

int pf_ebpf_ld_packet(const void *ctx, int64_t off, int size, uint64_t *val)
{
    const struct pf_ebpf_run_ctx *rc = ctx;
    const uint8_t *p;

    /* The kernel's SKF_LL_OFF range reads from the link-layer header,
     * which is where pfcap's packets start. SKF_NET_OFF (the network
     * header) is not known here: such reads fail, as do other negative
     * offsets. */
    if (off >= SKF_LL_OFF && off < SKF_NET_OFF)
        off -= SKF_LL_OFF;
    if (off < 0 || (uint64_t)off + (uint64_t)size > rc->len)
        return -1;
    p = rc->data + off;
    switch (size) {
    case 1: *val = p[0]; break;
    case 2: *val = (uint64_t)p[0] << 8 | p[1]; break;
    default:
        *val = (uint64_t)p[0] << 24 | (uint64_t)p[1] << 16 |
               (uint64_t)p[2] << 8 | p[3];
        break;
    }
    return 0;
}

/* bpf_skb_load_bytes(ctx, offset, to, len): 0, or -EFAULT with @to zeroed
 * when [offset, offset + len) is not inside the packet. */
static uint64_t skb_load_bytes(uint64_t ctx, uint64_t off, uint64_t to,
                               uint64_t len, uint64_t unused)
{
    const struct pf_ebpf_run_ctx *rc = (const void *)(uintptr_t)ctx;
    uint32_t o = (uint32_t)off;

    if (o > 0xffff || (uint64_t)o + len > rc->len) {
        memset((void *)(uintptr_t)to, 0, len);
        return (uint64_t)(int64_t)-EFAULT;
    }
    memcpy((void *)(uintptr_t)to, rc->data + o, len);
    return 0;
}

/* bpf_get_prandom_u32(): a xorshift generator per thread. */
static uint64_t get_prandom_u32(uint64_t a, uint64_t b, uint64_t c, uint64_t d,
                                uint64_t e)
{
    static __thread uint32_t state = 2463534242u;

    state ^= state << 13;
    state ^= state >> 17;
    state ^= state << 5;
    return state;
}

pf_ebpf_helper_fn pf_ebpf_helper_lookup(int32_t id)
{
    switch (id) {
    case PF_EBPF_FUNC_skb_load_bytes: return skb_load_bytes;
    case PF_EBPF_FUNC_get_prandom_u32: return get_prandom_u32;
    default: return NULL;
    }
}

uint64_t pf_ebpf_jit_ld(const void *ctx, int64_t off, int64_t size)
{
    uint64_t v;

    if (pf_ebpf_ld_packet(ctx, off, (int)size, &v))
        return UINT64_MAX;
    return v;
}
