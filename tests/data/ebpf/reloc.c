/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A socket filter that reads a global variable: its object has a
 * relocation against .bss, which pfcap's ELF reader must refuse with a
 * clear error (tests/ebpf/test_elf.c).
 */
#include <linux/bpf.h>

#define SEC(name) __attribute__((section(name), used))

unsigned int pfcap_counter;

SEC("socket")
int pfcap_reloc_filter(struct __sk_buff *skb)
{
    return skb->len > pfcap_counter ? 1 : 0;
}

char _license[] SEC("license") = "GPL";
