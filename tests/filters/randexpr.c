/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Seeded random filter expressions: primitives from a pool (hosts, nets,
 * ports, protocols, relations, encapsulations) nested with and/or/not
 * and parentheses, including bare values that inherit qualifiers
 * (`host a or b`, `tcp port 80 or 443`). Deterministic for a seed.
 */
#include <stdio.h>
#include <string.h>

#include "randexpr.h"

static uint64_t next(uint64_t *s)
{
    uint64_t x = *s += 0x9e3779b97f4a7c15ull;

    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

static const char *pick(uint64_t *s, const char *const *v, size_t n)
{
    return v[next(s) % n];
}

#define PICK(s, v) pick(s, v, sizeof(v) / sizeof(v[0]))

static const char *const prims[] = {
    "ip", "ip6", "arp", "rarp", "tcp", "udp", "icmp", "icmp6", "sctp",
    "igmp", "pim", "vrrp", "ah", "esp", "host 10.0.0.1", "src host 10.0.0.2",
    "dst host 192.168.1.1", "host 1.2.3.4", "net 10.0.0.0/8",
    "src net 192.168.0.0/16", "dst net 10.1", "net 224.0.0.0 mask 240.0.0.0",
    "ip6 host ::1", "host fe80::1", "src net 2001:db8::/32",
    "dst host ff02::1", "port 80", "tcp port 443", "udp port 53",
    "src port 1234", "dst port 80", "portrange 1-1024",
    "tcp dst portrange 80-90", "udp src port domain", "sctp port 9",
    "ip proto 6", "ip6 proto 17", "proto 1", "ip proto \\udp",
    "less 60", "greater 100", "len > 64", "len <= 60", "ip[0] & 0xf > 5",
    "ip[9] = 6", "tcp[13] & 2 != 0", "tcp[tcpflags] & tcp-syn != 0",
    "udp[0:2] = 53", "icmp[icmptype] = icmp-echo", "ip6[6] = 58",
    "icmp6[0] = 128", "ip[2:2] > 40", "ip[6:2] & 0x1fff = 0",
    "tcp[0:2] + 1 > 80", "ip[1] * 2 - 1 < 10", "ip[8] / 2 >= 32",
    "ip[8] % 7 = 1", "ip[8] ^ 3 = 67", "ip[0] << 1 > 100",
    "ip[0] >> 4 = 4", "-ip[0] < 3", "ip multicast", "ip6 multicast",
    "ip broadcast", "protochain 6", "ip6 protochain 17", "ip protochain 1",
    "net 10.0.0.0/8 or 192.168.1.1", "udp port 53 or 67",
};

static const char *const ether_prims[] = {
    "ether host 00:11:22:33:44:55", "ether src 02:00:00:00:00:01",
    "ether dst ff:ff:ff:ff:ff:ff", "ether broadcast", "ether multicast",
    "broadcast", "multicast", "ether proto 0x800", "ether proto 0x86dd",
    "ether[0] & 1 != 0", "ether[12:2] = 0x8100", "vlan", "vlan 100",
    "vlan 200", "mpls", "mpls 5", "mpls 17", "pppoed", "pppoes",
    "pppoes 3", "llc", "stp", "ipx", "netbeui", "iso", "isis", "esis",
    "clnp", "l1", "l2", "iih", "lsp", "snp", "csnp", "psnp", "atalk",
    "aarp", "decnet", "lat", "sca", "mopdl", "moprc", "llc u", "llc s",
    "llc i", "llc ui", "llc xid", "ether proto \\ip", "link[0] = 1",
    "geneve", "geneve 5", "vlan 100 or vlan 200", "decnet host 1.2",
};

static const char *const values[] = {
    "10.0.0.1", "10.0.0.2", "192.168.1.1", "::1", "fe80::1", "80", "53",
    "443", "1.2.3.4", "2001:db8::1",
};

static void prim(uint64_t *s, int dlt, char *buf, size_t len)
{
    if (dlt == 1 && next(s) % 3 == 0)
        snprintf(buf, len, "%s", PICK(s, ether_prims));
    else
        snprintf(buf, len, "%s", PICK(s, prims));
}

static void gen(uint64_t *s, int dlt, int depth, char *buf, size_t len)
{
    char a[1024], b[1024];
    unsigned r = (unsigned)(next(s) % 10);

    if (depth <= 0 || r < 3) {
        prim(s, dlt, buf, len);
        if (next(s) % 6 == 0 && strstr(buf, "host "))
            snprintf(buf + strlen(buf), len - strlen(buf), " or %s",
                     PICK(s, values));
        return;
    }
    gen(s, dlt, depth - 1, a, sizeof(a));
    if (r == 3) {
        snprintf(buf, len, "not %s", a);
        return;
    }
    if (r == 4) {
        snprintf(buf, len, "(%s)", a);
        return;
    }
    gen(s, dlt, depth - 1, b, sizeof(b));
    snprintf(buf, len, r < 7 ? "%s and %s" : r < 9 ? "%s or %s"
                                                  : "(%s) && !(%s)",
             a, b);
}

void pf_test_randexpr(uint64_t *seed, int dlt, char *buf, size_t len)
{
    gen(seed, dlt, 3, buf, len);
}
