/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A socket filter whose section calls a function that clang leaves in
 * .text (a relocated bpf-to-bpf call): pfcap's ELF reader appends .text
 * and resolves the call (tests/ebpf/test_elf.c). Keeps IPv4 packets whole
 * and drops the rest.
 */
#include <linux/bpf.h>

#define SEC(name) __attribute__((section(name), used))

static long (*skb_load_bytes)(const void *skb, __u32 off, void *to,
                              __u32 len) = (void *)BPF_FUNC_skb_load_bytes;

__attribute__((noinline)) int pfcap_ethertype(struct __sk_buff *skb)
{
    __u8 b[2] = {0, 0};

    if (skb_load_bytes(skb, 12, b, 2) < 0)
        return -1;
    return b[0] << 8 | b[1];
}

SEC("socket")
int pfcap_call_filter(struct __sk_buff *skb)
{
    return pfcap_ethertype(skb) == 0x0800 ? skb->len : 0;
}

char _license[] SEC("license") = "GPL";
