/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A socket filter written in C, built by the CLI test with
 * `clang -O2 -target bpf -c`: keeps IPv4 TCP segments to port 80 (first
 * fragments only), the same packets as the expression 'ip and tcp dst
 * port 80'. It reads the packet with the legacy LD_ABS/LD_IND loads, as
 * socket filters do.
 */
unsigned long long load_byte(void *skb, unsigned long long off)
    asm("llvm.bpf.load.byte");
unsigned long long load_half(void *skb, unsigned long long off)
    asm("llvm.bpf.load.half");

__attribute__((section("socket"), used)) int web(void *skb)
{
    unsigned long long ihl;

    if (load_half(skb, 12) != 0x0800 || load_byte(skb, 23) != 6)
        return 0;
    if (load_half(skb, 20) & 0x1fff)
        return 0;
    ihl = (load_byte(skb, 14) & 0xf) * 4;
    if (load_half(skb, 14 + ihl + 2) != 80)
        return 0;
    return -1;
}

char _license[] __attribute__((section("license"), used)) = "GPL";
