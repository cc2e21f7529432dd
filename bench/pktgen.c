/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The benchmarks' deterministic packet mix (see pktgen.h). Each frame is
 * drawn in two steps: a kind (IPv4 TCP, DNS, ARP, VLAN, Geneve...) by
 * weight, then a flow (addresses, ports, TCP flags) and a payload length.
 * Headers are well formed (IPv4 header checksums included) so tcpdump and
 * tshark decode them; TCP checksums are left at 0.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pktgen.h"

/* Room per packet in a set: the longest frame, rounded to 64 bytes. */
#define SLOT ((PF_BENCH_PKT_MAX + 63) & ~63)

enum kind {
    K_TCP4, K_UDP4, K_DNS4, K_ICMP4, K_TCP6, K_UDP6, K_ICMP6, K_ARP,
    K_VLAN, K_GENEVE, K_FRAG4, K_OTHER, K_COUNT,
};

/* Weights of the kinds, in percent. */
static const uint8_t kind_weight[K_COUNT] = {
    [K_TCP4] = 30, [K_UDP4] = 9, [K_DNS4] = 10, [K_ICMP4] = 4,
    [K_TCP6] = 12, [K_UDP6] = 6, [K_ICMP6] = 2, [K_ARP] = 5,
    [K_VLAN] = 9, [K_GENEVE] = 6, [K_FRAG4] = 4, [K_OTHER] = 3,
};

struct flow {
    int v6;
    uint8_t proto;
    uint16_t sport, dport;
    uint8_t flags;
    uint8_t src[16], dst[16];
};

void pf_bench_rng_seed(struct pf_bench_rng *rng, uint64_t seed)
{
    rng->s = seed * 0x9e3779b97f4a7c15ull + 0x2545f4914f6cdd1dull;
}

/* splitmix64: small, fast and good enough for a traffic mix. */
static uint32_t rnd(struct pf_bench_rng *rng)
{
    uint64_t z = (rng->s += 0x9e3779b97f4a7c15ull);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return (uint32_t)((z ^ (z >> 31)) >> 16);
}

static uint32_t below(struct pf_bench_rng *rng, uint32_t n)
{
    return rnd(rng) % n;
}

static void put16(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
    put16(p, v >> 16);
    put16(p + 2, v);
}

static size_t put_eth(uint8_t *p, int bcast, uint32_t type)
{
    static const uint8_t a[6] = {0x02, 0x00, 0x5e, 0x10, 0x00, 0x01};
    static const uint8_t b[6] = {0x02, 0x00, 0x5e, 0x10, 0x00, 0x02};

    if (bcast)
        memset(p, 0xff, 6);
    else
        memcpy(p, a, 6);
    memcpy(p + 6, b, 6);
    put16(p + 12, type);
    return 14;
}

/* An IPv4 address of the pools: mostly 10.0.0.0/21, some 192.168.1/24. */
static void pick_v4(struct pf_bench_rng *rng, uint8_t *a)
{
    uint32_t r = below(rng, 8);

    if (r < 2) {
        a[0] = 192, a[1] = 168, a[2] = 1, a[3] = (uint8_t)(1 + below(rng, 254));
        return;
    }
    a[0] = 10, a[1] = 0;
    a[2] = (uint8_t)below(rng, 8);
    a[3] = (uint8_t)(1 + below(rng, 250));
}

static void pick_v6(struct pf_bench_rng *rng, uint8_t *a)
{
    memset(a, 0, 16);
    a[0] = 0x20, a[1] = 0x01;
    if (below(rng, 4)) /* 2001:db8::/32 */
        a[2] = 0x0d, a[3] = 0xb8;
    else
        a[2] = 0x04, a[3] = 0x70;
    a[14] = (uint8_t)below(rng, 4);
    a[15] = (uint8_t)(1 + below(rng, 250));
}

static uint16_t pick_server_port(struct pf_bench_rng *rng)
{
    static const uint16_t common[] = {80, 80, 443, 443, 443, 22, 8080, 25};
    uint32_t r = below(rng, 12);

    if (r < 8)
        return common[r];
    if (r < 10)
        return (uint16_t)(8000 + below(rng, 200));
    return (uint16_t)(1024 + below(rng, 64000));
}

static uint8_t pick_flags(struct pf_bench_rng *rng)
{
    static const uint8_t f[] = {0x02, 0x12, 0x10, 0x18, 0x18, 0x10, 0x11, 0x04};

    return f[below(rng, sizeof(f))];
}

/* A TCP or UDP flow; half of them run from the server side. */
static void pick_flow(struct pf_bench_rng *rng, int v6, uint8_t proto,
                      struct flow *fl)
{
    uint16_t server = proto == 17 ? (uint16_t)(below(rng, 3)
                                                   ? 1000 + below(rng, 2000)
                                                   : 123)
                                  : pick_server_port(rng);
    uint16_t client = (uint16_t)(32768 + below(rng, 28000));
    int reply = below(rng, 2);

    memset(fl, 0, sizeof(*fl));
    fl->v6 = v6;
    fl->proto = proto;
    fl->sport = reply ? server : client;
    fl->dport = reply ? client : server;
    fl->flags = pick_flags(rng);
    if (v6) {
        pick_v6(rng, fl->src);
        pick_v6(rng, fl->dst);
    } else {
        pick_v4(rng, fl->src);
        pick_v4(rng, fl->dst);
    }
}

static uint32_t pick_payload(struct pf_bench_rng *rng, enum pf_bench_sizes sz)
{
    uint32_t r = below(rng, 12);

    if (sz == PF_BENCH_SIZES_SMALL)
        return below(rng, 8);
    if (r < 7)
        return below(rng, 64);
    if (r < 9)
        return 400 + below(rng, 140);
    return 1400;
}

static size_t put_ipv4(uint8_t *p, const struct flow *fl, uint32_t l4len,
                       uint32_t frag)
{
    uint32_t sum = 0;

    p[0] = 0x45, p[1] = 0;
    put16(p + 2, 20 + l4len);
    put16(p + 4, 0x1234);
    put16(p + 6, frag);
    p[8] = 64, p[9] = fl->proto;
    put16(p + 10, 0);
    memcpy(p + 12, fl->src, 4);
    memcpy(p + 16, fl->dst, 4);
    for (int i = 0; i < 20; i += 2)
        sum += (uint32_t)(p[i] << 8 | p[i + 1]);
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    put16(p + 10, ~sum & 0xffff);
    return 20;
}

static size_t put_ipv6(uint8_t *p, const struct flow *fl, uint32_t l4len)
{
    put32(p, 0x60000000u);
    put16(p + 4, l4len);
    p[6] = fl->proto, p[7] = 64;
    memcpy(p + 8, fl->src, 16);
    memcpy(p + 24, fl->dst, 16);
    return 40;
}

/* The transport header of @fl; returns its length. */
static size_t put_l4(uint8_t *p, const struct flow *fl, uint32_t payload)
{
    switch (fl->proto) {
    case 6:
        memset(p, 0, 20);
        put16(p, fl->sport);
        put16(p + 2, fl->dport);
        put32(p + 4, 0x10000000u + payload);
        p[12] = 0x50, p[13] = fl->flags;
        put16(p + 14, 64240);
        return 20;
    case 17:
        put16(p, fl->sport);
        put16(p + 2, fl->dport);
        put16(p + 4, 8 + payload);
        put16(p + 6, 0);
        return 8;
    default: /* ICMP / ICMPv6 echo request */
        memset(p, 0, 8);
        p[0] = fl->v6 ? 128 : 8;
        put16(p + 4, 0x4242);
        return 8;
    }
}

static uint32_t l4_size(uint8_t proto)
{
    return proto == 6 ? 20 : 8;
}

/* IP header, transport header and payload of @fl at @p. */
static size_t put_ip_packet(uint8_t *p, const struct flow *fl,
                            uint32_t payload, uint32_t frag)
{
    uint32_t l4len = l4_size(fl->proto) + payload;
    size_t n = fl->v6 ? put_ipv6(p, fl, l4len) : put_ipv4(p, fl, l4len, frag);

    n += put_l4(p + n, fl, payload);
    memset(p + n, 0x5a, payload);
    return n + payload;
}

static size_t build_arp(struct pf_bench_rng *rng, uint8_t *p)
{
    size_t n = put_eth(p, 1, 0x0806);
    uint8_t ip[4];

    put16(p + n, 1);
    put16(p + n + 2, 0x0800);
    p[n + 4] = 6, p[n + 5] = 4;
    put16(p + n + 6, 1);
    memcpy(p + n + 8, p + 6, 6);
    pick_v4(rng, ip);
    memcpy(p + n + 14, ip, 4);
    memset(p + n + 18, 0, 6);
    pick_v4(rng, ip);
    memcpy(p + n + 24, ip, 4);
    return n + 28;
}

static size_t build_dns(struct pf_bench_rng *rng, uint8_t *p, uint32_t pay)
{
    struct flow fl;
    int reply = below(rng, 2);
    uint8_t server[4] = {10, 0, 0, 1};

    pick_flow(rng, 0, 17, &fl);
    if (below(rng, 2)) /* half of the queries go to 10.0.0.1 */
        memcpy(reply ? fl.src : fl.dst, server, 4);
    fl.sport = reply ? 53 : (uint16_t)(32768 + below(rng, 28000));
    fl.dport = reply ? (uint16_t)(32768 + below(rng, 28000)) : 53;
    return put_eth(p, 0, 0x0800) + put_ip_packet(p + 14, &fl, 12 + pay, 0);
}

static size_t build_vlan(struct pf_bench_rng *rng, uint8_t *p, uint32_t pay)
{
    struct flow fl;
    int v6 = below(rng, 4) == 0;
    size_t n = put_eth(p, 0, below(rng, 8) ? 0x8100 : 0x88a8);

    put16(p + n, 100 + below(rng, 4));
    put16(p + n + 2, v6 ? 0x86dd : 0x0800);
    pick_flow(rng, v6, below(rng, 4) ? 6 : 17, &fl);
    return n + 4 + put_ip_packet(p + n + 4, &fl, pay, 0);
}

static size_t build_geneve(struct pf_bench_rng *rng, uint8_t *p, uint32_t pay)
{
    struct flow outer, inner;
    uint8_t in[PF_BENCH_PKT_MAX];
    size_t n = put_eth(p, 0, 0x0800), len;

    pick_flow(rng, 0, 17, &outer);
    outer.sport = (uint16_t)(49152 + below(rng, 16000));
    outer.dport = 6081;
    pick_flow(rng, 0, below(rng, 4) ? 6 : 17, &inner);
    /* Geneve header (no options, Ethernet payload), then the inner frame. */
    memset(in, 0, 8);
    put16(in + 2, 0x6558);
    put32(in + 4, (100 + below(rng, 3)) << 8);
    len = 8 + put_eth(in + 8, 0, 0x0800);
    len += put_ip_packet(in + len, &inner, pay, 0);
    n += put_ip_packet(p + n, &outer, (uint32_t)len, 0);
    memcpy(p + n - len, in, len);
    return n;
}

static size_t build_ip(struct pf_bench_rng *rng, enum kind k, uint8_t *p,
                       uint32_t pay)
{
    static const uint8_t proto[K_COUNT] = {
        [K_TCP4] = 6, [K_UDP4] = 17, [K_ICMP4] = 1, [K_TCP6] = 6,
        [K_UDP6] = 17, [K_ICMP6] = 58, [K_FRAG4] = 17,
    };
    int v6 = k == K_TCP6 || k == K_UDP6 || k == K_ICMP6;
    uint32_t frag = k == K_FRAG4 ? (below(rng, 2) ? 0x2000 : 185) : 0;
    struct flow fl;

    pick_flow(rng, v6, proto[k], &fl);
    return put_eth(p, 0, v6 ? 0x86dd : 0x0800) +
           put_ip_packet(p + 14, &fl, pay, frag);
}

static enum kind pick_kind(struct pf_bench_rng *rng)
{
    uint32_t r = below(rng, 100);
    int k = 0;

    while (k < K_COUNT - 1 && r >= kind_weight[k])
        r -= kind_weight[k++];
    return (enum kind)k;
}

uint32_t pf_bench_pkt_build(struct pf_bench_rng *rng, enum pf_bench_sizes sz,
                            uint8_t *buf)
{
    enum kind k = pick_kind(rng);
    uint32_t pay = pick_payload(rng, sz);
    size_t n;

    switch (k) {
    case K_ARP:
        n = build_arp(rng, buf);
        break;
    case K_DNS4:
        n = build_dns(rng, buf, pay > 1300 ? 1300 : pay);
        break;
    case K_VLAN:
        n = build_vlan(rng, buf, pay);
        break;
    case K_GENEVE:
        n = build_geneve(rng, buf, pay > 1350 ? 1350 : pay);
        break;
    case K_OTHER: /* LLDP-like: an EtherType no filter names */
        n = put_eth(buf, below(rng, 2), 0x88cc);
        memset(buf + n, 0x11, 32 + pay / 4);
        n += 32 + pay / 4;
        break;
    default:
        n = build_ip(rng, k, buf, pay);
    }
    if (n < 60) {
        memset(buf + n, 0, 60 - n);
        n = 60;
    }
    return (uint32_t)(n > PF_BENCH_PKT_MAX ? PF_BENCH_PKT_MAX : n);
}

int pf_bench_pkts_new(size_t n, uint64_t seed, enum pf_bench_sizes sz,
                      struct pf_bench_pkts *out)
{
    struct pf_bench_rng rng;
    size_t off = 0;
    uint8_t frame[PF_BENCH_PKT_MAX];

    memset(out, 0, sizeof(*out));
    out->pkts = calloc(n ? n : 1, sizeof(*out->pkts));
    out->buf = malloc(n * SLOT + 1);
    if (!out->pkts || !out->buf) {
        pf_bench_pkts_free(out);
        return -ENOMEM;
    }
    pf_bench_rng_seed(&rng, seed);
    for (size_t i = 0; i < n; i++) {
        uint32_t len = pf_bench_pkt_build(&rng, sz, frame);

        memcpy(out->buf + off, frame, len);
        out->pkts[i].data = out->buf + off;
        out->pkts[i].caplen = out->pkts[i].wirelen = len;
        off += (len + 63) & ~(size_t)63; /* <= SLOT */
    }
    out->n = n;
    return 0;
}

void pf_bench_pkts_free(struct pf_bench_pkts *set)
{
    free(set->pkts);
    free(set->buf);
    memset(set, 0, sizeof(*set));
}
