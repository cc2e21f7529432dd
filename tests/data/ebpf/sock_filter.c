/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A small socket filter for tests/ebpf/test_elf.c, built with
 * `clang -target bpf -O2 -c`: keeps UDP over IPv4 whole, the first 64
 * bytes of TCP to or from port 80, and drops the rest. It reads the
 * packet with LD_ABS (llvm.bpf.load.*) and with bpf_skb_load_bytes, and
 * the context's len field, so that pfcap's socket engine is exercised the
 * way the kernel runs it.
 */
#include <linux/bpf.h>

#define SEC(name) __attribute__((section(name), used))

unsigned long long load_byte(void *skb, unsigned long long off)
    asm("llvm.bpf.load.byte");
unsigned long long load_half(void *skb, unsigned long long off)
    asm("llvm.bpf.load.half");

static long (*skb_load_bytes)(const void *skb, __u32 off, void *to,
                              __u32 len) = (void *)BPF_FUNC_skb_load_bytes;

SEC("socket")
int pfcap_test_filter(struct __sk_buff *skb)
{
    __u16 ports[2] = {0, 0};
    __u8 vihl = 0;
    __u32 proto = load_half(skb, 12) == 0x0800 ? load_byte(skb, 23) : 0;
    int ok = skb_load_bytes(skb, 14, &vihl, 1) == 0;
    __u32 l4 = 14 + (vihl & 0xf) * 4;

    ok = ok && skb_load_bytes(skb, l4, ports, sizeof(ports)) == 0;
    ok = ok && (ports[0] == __builtin_bswap16(80) ||
                ports[1] == __builtin_bswap16(80));
    return proto == 17 ? skb->len : proto == 6 && ok ? 64 : 0;
}

char _license[] SEC("license") = "GPL";
