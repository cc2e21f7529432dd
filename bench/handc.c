/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Hand-written C versions of a few benchmark filters: the floor a filter
 * engine is measured against. Each returns what libpcap's program returns
 * (262144 to accept, 0 to reject) with the same semantics, bounds
 * included: a load past the captured bytes rejects the packet, as in
 * bpf_filter. bench_filters checks their verdicts against libpcap's on
 * every packet before timing them.
 */
#include <stdlib.h>
#include <string.h>

#include "benchlib.h"
#include "handc.h"

#define ACCEPT 262144u

static inline int have(uint32_t caplen, uint32_t off, uint32_t n)
{
    return off + n <= caplen;
}

static inline uint32_t be16(const uint8_t *p)
{
    return (uint32_t)p[0] << 8 | p[1];
}

static inline uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
           (uint32_t)p[2] << 8 | p[3];
}

/* Ports at @l3 (IPv4 at offset @l3, any header length) for @proto set. */
static inline int ip4_l4_off(const uint8_t *p, uint32_t caplen, uint32_t l3,
                             uint32_t *l4)
{
    if (!have(caplen, l3, 10) || (be16(p + l3 + 6) & 0x1fff))
        return 0;
    *l4 = l3 + 4 * (p[l3] & 0xf);
    return 1;
}

/* tcp dst port 80 */
static uint32_t web(const uint8_t *p, uint32_t wirelen, uint32_t caplen)
{
    uint32_t l4;

    if (!have(caplen, 12, 2))
        return 0;
    switch (be16(p + 12)) {
    case 0x86dd:
        return have(caplen, 56, 2) && p[20] == 6 && be16(p + 56) == 80
                   ? ACCEPT : 0;
    case 0x0800:
        if (!have(caplen, 23, 1) || p[23] != 6 ||
            !ip4_l4_off(p, caplen, 14, &l4))
            return 0;
        return have(caplen, l4 + 2, 2) && be16(p + l4 + 2) == 80 ? ACCEPT : 0;
    }
    return 0;
}

/* host 10.0.0.1 and port 53 (optimised by libpcap to IPv4 only) */
static uint32_t dns_host(const uint8_t *p, uint32_t wirelen, uint32_t caplen)
{
    const uint32_t host = 0x0a000001;
    uint32_t l4, proto;

    if (!have(caplen, 14, 0) || be16(p + 12) != 0x0800 ||
        !have(caplen, 30, 0))
        return 0;
    if (be32(p + 26) != host && (!have(caplen, 34, 0) || be32(p + 30) != host))
        return 0;
    proto = p[23];
    if ((proto != 6 && proto != 17 && proto != 132) ||
        !ip4_l4_off(p, caplen, 14, &l4) || !have(caplen, l4, 2))
        return 0;
    if (be16(p + l4) == 53)
        return ACCEPT;
    return have(caplen, l4 + 2, 2) && be16(p + l4 + 2) == 53 ? ACCEPT : 0;
}

/* vlan and tcp port 80 */
static uint32_t vlan_web(const uint8_t *p, uint32_t wirelen, uint32_t caplen)
{
    uint32_t tpid, l4;

    if (!have(caplen, 18, 0))
        return 0;
    tpid = be16(p + 12);
    if (tpid != 0x8100 && tpid != 0x88a8 && tpid != 0x9100)
        return 0;
    if (be16(p + 16) == 0x86dd) {
        if (!have(caplen, 25, 0) || p[24] != 6 || !have(caplen, 58, 2))
            return 0;
        if (be16(p + 58) == 80)
            return ACCEPT;
        return have(caplen, 60, 2) && be16(p + 60) == 80 ? ACCEPT : 0;
    }
    if (be16(p + 16) != 0x0800 || !have(caplen, 28, 0) || p[27] != 6 ||
        !ip4_l4_off(p, caplen, 18, &l4) || !have(caplen, l4, 2))
        return 0;
    if (be16(p + l4) == 80)
        return ACCEPT;
    return have(caplen, l4 + 2, 2) && be16(p + l4 + 2) == 80 ? ACCEPT : 0;
}

/* ip6 and tcp (a fragment header before TCP counts, as in libpcap) */
static uint32_t ip6_tcp(const uint8_t *p, uint32_t wirelen, uint32_t caplen)
{
    if (!have(caplen, 21, 0) || be16(p + 12) != 0x86dd)
        return 0;
    if (p[20] == 6)
        return ACCEPT;
    return p[20] == 44 && have(caplen, 55, 0) && p[54] == 6 ? ACCEPT : 0;
}

/* The 100 addresses of "@hosts:100", sorted. */
#define NHOSTS 100
static uint32_t hosts[NHOSTS];
static char *hosts_expr;

/* Binary search: the way a C programmer tests a set of 100 addresses. */
static inline int in_hosts(uint32_t a)
{
    uint32_t lo = 0, hi = NHOSTS;

    while (lo < hi) {
        uint32_t mid = (lo + hi) / 2;

        if (hosts[mid] == a)
            return 1;
        if (hosts[mid] < a)
            lo = mid + 1;
        else
            hi = mid;
    }
    return 0;
}

/* host H1 or ... or host H100: IPv4 src then dst, ARP/RARP spa then tpa
 * (libpcap's optimised order, which decides truncated packets) */
static uint32_t hosts_100(const uint8_t *p, uint32_t wirelen, uint32_t caplen)
{
    uint32_t src, dst;

    if (!have(caplen, 12, 2))
        return 0;
    switch (be16(p + 12)) {
    case 0x0800:
        src = 26, dst = 30;
        break;
    case 0x0806:
    case 0x8035:
        src = 28, dst = 38;
        break;
    default:
        return 0;
    }
    if (!have(caplen, src, 4))
        return 0;
    if (in_hosts(be32(p + src)))
        return ACCEPT;
    return have(caplen, dst, 4) && in_hosts(be32(p + dst)) ? ACCEPT : 0;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

    return x < y ? -1 : x > y;
}

/* Fills the host table and its expression once. */
static int hosts_init(void)
{
    if (hosts_expr)
        return 0;
    for (int i = 0; i < NHOSTS; i++)
        hosts[i] = pf_bench_list_host(i);
    qsort(hosts, NHOSTS, sizeof(hosts[0]), cmp_u32);
    hosts_expr = pf_bench_list_expr("hosts", NHOSTS);
    return hosts_expr ? 0 : -1;
}

static uint32_t harness_floor(const uint8_t *p, uint32_t wirelen,
                              uint32_t caplen)
{
    return caplen > 12 && p[12] ? ACCEPT : 0;
}

pf_bench_handc_fn pf_bench_handc_floor(void)
{
    return harness_floor;
}

static const struct {
    const char *expr;
    pf_bench_handc_fn fn;
} handc_table[] = {
    {"tcp dst port 80", web},
    {"host 10.0.0.1 and port 53", dns_host},
    {"vlan and tcp port 80", vlan_web},
    {"ip6 and tcp", ip6_tcp},
};

pf_bench_handc_fn pf_bench_handc_find(const char *expr)
{
    if (hosts_init() == 0 && strcmp(expr, hosts_expr) == 0)
        return hosts_100;
    for (size_t i = 0; i < sizeof(handc_table) / sizeof(handc_table[0]); i++)
        if (strcmp(expr, handc_table[i].expr) == 0)
            return handc_table[i].fn;
    return NULL;
}
