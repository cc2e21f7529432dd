/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Generated corner-case packets for the filter tests: IPv4 with options
 * and fragments, IPv6 with extension headers, ARP/RARP, and Ethernet
 * framings (VLAN, QinQ, MPLS stacks, PPPoE, 802.3 LLC/SNAP, raw IPX,
 * STP, OSI), each wrapped in the link header of every supported link
 * type, plus truncated copies and runts.
 */
#include <stdlib.h>
#include <string.h>

#include "packets.h"

struct buf {
    uint8_t b[256];
    size_t n;
};

static void put8(struct buf *b, unsigned v) { b->b[b->n++] = (uint8_t)v; }
static void put16(struct buf *b, unsigned v) { put8(b, v >> 8); put8(b, v); }
static void put32(struct buf *b, uint32_t v)
{
    put16(b, v >> 16);
    put16(b, v & 0xffff);
}
static void putn(struct buf *b, const uint8_t *p, size_t n)
{
    memcpy(b->b + b->n, p, n);
    b->n += n;
}

static const uint32_t v4addrs[] = {0x0a000001, 0x0a000002, 0xc0a80101,
                                   0x01020304, 0xffffffff, 0xe0000001,
                                   0x0a010203, 0x7f000001};
static const uint8_t v6addrs[][16] = {
    {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1},
    {0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1},
    {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1},
    {0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1},
};

/* Transport header: ports sp/dp (TCP, UDP, SCTP), ICMP types otherwise. */
static void transport(struct buf *b, int proto, unsigned sp, unsigned dp)
{
    if (proto == 6) {
        put16(b, sp); put16(b, dp); put32(b, 1); put32(b, 0);
        put8(b, 0x50); put8(b, 0x12); put16(b, 1024); put32(b, 0);
    } else if (proto == 17 || proto == 132) {
        put16(b, sp); put16(b, dp); put16(b, 16); put16(b, 0);
        put32(b, 0x01020304); put32(b, 0x05060708);
    } else {
        put8(b, sp & 0xff); put8(b, dp & 0xff); put16(b, 0); put32(b, 0);
        put32(b, 0x11223344);
    }
}

/* IPv4: ihl words of header, fragment field, addresses by index. */
static void ipv4(struct buf *b, int ihl, int proto, unsigned frag,
                 int src, int dst, unsigned sp, unsigned dp)
{
    put8(b, 0x40 | ihl); put8(b, 0); put16(b, 20 + 4 * (ihl - 5) + 20);
    put16(b, 0x1234); put16(b, frag); put8(b, 64); put8(b, proto);
    put16(b, 0); put32(b, v4addrs[src]); put32(b, v4addrs[dst]);
    for (int i = 5; i < ihl; i++)
        put32(b, 0x01010101);
    transport(b, proto, sp, dp);
}

/* IPv6 with an optional extension header (44 fragment, 0 hop-by-hop). */
static void ipv6(struct buf *b, int ext, int proto, int src, int dst,
                 unsigned sp, unsigned dp)
{
    put32(b, 0x60000000); put16(b, 40); put8(b, ext >= 0 ? ext : proto);
    put8(b, 64); putn(b, v6addrs[src], 16); putn(b, v6addrs[dst], 16);
    if (ext >= 0) {
        put8(b, proto); put8(b, 0); put16(b, ext == 44 ? 0 : 0x0104);
        put32(b, 0);
    }
    transport(b, proto, sp, dp);
}

static void arp(struct buf *b, int rarp, int src, int dst)
{
    put16(b, 1); put16(b, 0x0800); put8(b, 6); put8(b, 4);
    put16(b, rarp ? 3 : 1);
    put32(b, 0x00112233); put16(b, 0x4455); put32(b, v4addrs[src]);
    put32(b, 0); put16(b, 0); put32(b, v4addrs[dst]);
}

/* L3 payloads: type (ethertype) and bytes. */
struct l3 {
    unsigned type;
    struct buf b;
};

static size_t make_l3(struct l3 *v)
{
    size_t n = 0;
    static const int protos[] = {6, 17, 132, 1, 2, 103, 112, 51, 50, 9};

    for (size_t i = 0; i < sizeof(protos) / sizeof(protos[0]); i++) {
        v[n].type = 0x0800;
        ipv4(&v[n++].b, 5, protos[i], 0, (int)i % 4, 1, 80, 1234 + i);
    }
    v[n].type = 0x0800; ipv4(&v[n++].b, 7, 6, 0, 2, 3, 443, 80);
    v[n].type = 0x0800; ipv4(&v[n++].b, 15, 17, 0, 0, 4, 53, 53);
    v[n].type = 0x0800; ipv4(&v[n++].b, 5, 6, 100, 0, 1, 80, 80);
    v[n].type = 0x0800; ipv4(&v[n++].b, 5, 17, 0x2000, 1, 5, 1000, 53);
    v[n].type = 0x0800; ipv4(&v[n++].b, 6, 1, 0, 3, 4, 8, 0);
    v[n].type = 0x0800; ipv4(&v[n++].b, 5, 6, 0, 6, 7, 22, 2000);
    v[n].type = 0x86dd; ipv6(&v[n++].b, -1, 6, 0, 1, 80, 8080);
    v[n].type = 0x86dd; ipv6(&v[n++].b, -1, 17, 2, 3, 53, 5353);
    v[n].type = 0x86dd; ipv6(&v[n++].b, -1, 58, 1, 3, 128, 0);
    v[n].type = 0x86dd; ipv6(&v[n++].b, 44, 6, 2, 0, 443, 80);
    v[n].type = 0x86dd; ipv6(&v[n++].b, 0, 17, 1, 2, 67, 68);
    v[n].type = 0x86dd; ipv6(&v[n++].b, -1, 132, 0, 2, 80, 9);
    v[n].type = 0x86dd; ipv6(&v[n++].b, 44, 58, 3, 1, 135, 0);
    v[n].type = 0x0806; arp(&v[n++].b, 0, 0, 1);
    v[n].type = 0x8035; arp(&v[n++].b, 1, 2, 3);
    return n;
}

static const uint8_t mac_a[6] = {0x00, 0x11, 0x22, 0x33, 0x44, 0x55};
static const uint8_t mac_b[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x01};
static const uint8_t mac_bc[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
static const uint8_t mac_mc[6] = {0x01, 0x00, 0x5e, 0x00, 0x00, 0x01};

static void add(struct pf_test_pkts *s, const uint8_t *d, size_t n,
                uint32_t wirelen)
{
    struct pf_test_pkt *p;

    if (s->n == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 256;
        s->v = realloc(s->v, s->cap * sizeof(*s->v));
        if (!s->v)
            abort();
    }
    p = &s->v[s->n++];
    p->data = malloc(n ? n : 1);
    if (!p->data)
        abort();
    memcpy(p->data, d, n);
    p->caplen = (uint32_t)n;
    p->wirelen = wirelen;
}

/* The packet and a few truncated copies (caplen < wirelen). */
static void add_cuts(struct pf_test_pkts *s, const struct buf *b)
{
    static const size_t cuts[] = {1, 4, 13, 14, 15, 17, 20, 23, 24, 30,
                                  34, 38, 40, 46, 54, 58};

    add(s, b->b, b->n, (uint32_t)b->n);
    for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++)
        if (cuts[i] < b->n)
            add(s, b->b, cuts[i], (uint32_t)b->n);
}

static void ether_frames(struct pf_test_pkts *s, const struct l3 *l)
{
    const uint8_t *dsts[] = {mac_a, mac_bc, mac_mc};
    struct buf b;

    for (int d = 0; d < 3; d++) {
        b.n = 0; putn(&b, dsts[d], 6); putn(&b, d ? mac_a : mac_b, 6);
        put16(&b, l->type); putn(&b, l->b.b, l->b.n);
        add_cuts(s, &b);
    }
    b.n = 0; putn(&b, mac_a, 6); putn(&b, mac_b, 6);
    put16(&b, 0x8100); put16(&b, 100); put16(&b, l->type);
    putn(&b, l->b.b, l->b.n); add_cuts(s, &b);
    b.n = 0; putn(&b, mac_b, 6); putn(&b, mac_a, 6);
    put16(&b, 0x88a8); put16(&b, 200); put16(&b, 0x8100); put16(&b, 300);
    put16(&b, l->type); putn(&b, l->b.b, l->b.n); add_cuts(s, &b);
    b.n = 0; putn(&b, mac_b, 6); putn(&b, mac_a, 6);
    put16(&b, 0x9100); put16(&b, 0x2064); put16(&b, l->type);
    putn(&b, l->b.b, l->b.n); add_cuts(s, &b);
    if (l->type == 0x0800 || l->type == 0x86dd) {
        b.n = 0; putn(&b, mac_a, 6); putn(&b, mac_b, 6); put16(&b, 0x8847);
        put32(&b, 5u << 12 | 0x40); put32(&b, 17u << 12 | 0x140);
        putn(&b, l->b.b, l->b.n); add_cuts(s, &b);
        b.n = 0; putn(&b, mac_a, 6); putn(&b, mac_b, 6); put16(&b, 0x8847);
        put32(&b, 1234u << 12 | 0x140); putn(&b, l->b.b, l->b.n);
        add_cuts(s, &b);
        b.n = 0; putn(&b, mac_a, 6); putn(&b, mac_b, 6); put16(&b, 0x8864);
        put16(&b, 0x1100); put16(&b, 3); put16(&b, (unsigned)l->b.n + 2);
        put16(&b, l->type == 0x0800 ? 0x21 : 0x57);
        putn(&b, l->b.b, l->b.n); add_cuts(s, &b);
        b.n = 0; putn(&b, mac_a, 6); putn(&b, mac_b, 6);
        put16(&b, (unsigned)l->b.n + 8); put8(&b, 0xaa); put8(&b, 0xaa);
        put8(&b, 3); put8(&b, 0); put16(&b, 0); put16(&b, l->type);
        putn(&b, l->b.b, l->b.n); add_cuts(s, &b);
    }
}

/* 802.3 frames with LLC payloads: STP, raw IPX, IPX 802.2, OSI, NetBEUI. */
static void llc_frames(struct pf_test_pkts *s)
{
    static const uint8_t llcs[][8] = {
        {0x42, 0x42, 0x03, 0, 0, 0, 0, 0},
        {0xff, 0xff, 0x00, 0x20, 0, 0, 0, 0},
        {0xe0, 0xe0, 0x03, 0xff, 0xff, 0, 0x20, 0},
        {0xfe, 0xfe, 0x03, 0x83, 0x1b, 0x01, 0, 0x0f},
        {0xfe, 0xfe, 0x03, 0x83, 0x1b, 0x01, 0, 0x1a},
        {0xfe, 0xfe, 0x03, 0x82, 0x1b, 0x01, 0, 0x14},
        {0xf0, 0xf0, 0x03, 0, 0, 0, 0, 0},
        {0xaa, 0xaa, 0x03, 0x08, 0x00, 0x07, 0x80, 0x9b},
        {0x06, 0x06, 0x01, 0, 0, 0, 0, 0},
        {0x42, 0x42, 0xaf, 0x01, 0, 0, 0, 0},
    };
    struct buf b;

    for (size_t i = 0; i < sizeof(llcs) / sizeof(llcs[0]); i++) {
        b.n = 0; putn(&b, i % 2 ? mac_mc : mac_a, 6); putn(&b, mac_b, 6);
        put16(&b, 40); putn(&b, llcs[i], 8);
        for (int k = 0; k < 32; k++)
            put8(&b, (unsigned)(k * 7 + i));
        add_cuts(s, &b);
    }
    b.n = 0; putn(&b, mac_bc, 6); putn(&b, mac_b, 6); put16(&b, 0x8863);
    put32(&b, 0x11090000); put32(&b, 0); add_cuts(s, &b);
    b.n = 0; putn(&b, mac_a, 6); putn(&b, mac_b, 6); put16(&b, 0x8137);
    put32(&b, 0xffff0030); add_cuts(s, &b);
}

/* Radiotap (127: flags present, with or without TSFT and data padding)
 * and an 802.11 data or QoS-data header, then LLC/SNAP. */
static void wlan_header(struct buf *b, int dlt, const struct l3 *l)
{
    size_t v = l->b.n % 4;
    int qos = v & 1, pad = v >= 2;

    if (dlt == 127) {
        int tsft = (l->b.n / 4) & 1;

        put8(b, 0); put8(b, 0); put8(b, tsft ? 17 : 9); put8(b, 0);
        put8(b, tsft ? 3 : 2); put8(b, 0); put8(b, 0); put8(b, 0);
        if (tsft)
            put32(b, 0x11111111), put32(b, 0x22222222);
        put8(b, pad ? 0x20 : 0x10);
    }
    put8(b, qos ? 0x88 : 0x08); put8(b, (unsigned)(l->b.n & 3));
    put16(b, 0); putn(b, mac_a, 6); putn(b, mac_b, 6); putn(b, mac_bc, 6);
    put16(b, 0);
    if (qos)
        put16(b, 0);
    if (dlt == 127 && pad && qos)
        put16(b, 0);
    put8(b, 0xaa); put8(b, 0xaa); put8(b, 3); put8(b, 0); put16(b, 0);
    put16(b, l->type);
}

/* Link header for the non-Ethernet link types. */
static void link_wrap(int dlt, const struct l3 *l, struct buf *b)
{
    unsigned af = l->type == 0x0800 ? 2 : l->type == 0x86dd ? 10 : 0;

    b->n = 0;
    switch (dlt) {
    case 0:
        put8(b, af); put8(b, 0); put16(b, 0);
        break;
    case 108:
        put32(b, af);
        break;
    case 9: case 50:
        put8(b, 0xff); put8(b, 0x03);
        put16(b, l->type == 0x0800 ? 0x21 : l->type == 0x86dd ? 0x57
                                                              : l->type);
        break;
    case 104:
        put8(b, 0x0f); put8(b, 0); put16(b, l->type);
        break;
    case 113:
        put16(b, 4); put16(b, 1); put16(b, 6); putn(b, mac_a, 6);
        put16(b, 0); put16(b, l->type);
        break;
    case 276:
        put16(b, l->type); put16(b, 0); put32(b, 2); put16(b, 1);
        put8(b, 4); put8(b, 6); putn(b, mac_a, 6); put16(b, 0);
        break;
    case 117: /* pflog: length 61 (payload at 64), af, action, reason,
               * ifname, ruleset, rule numbers, dir */
        memset(b->b, 0, 64);
        b->b[0] = 61;
        b->b[1] = (uint8_t)af;
        b->b[2] = (uint8_t)(l->b.n & 1);
        b->b[3] = (uint8_t)(l->b.n % 5);
        memcpy(b->b + 4, l->b.n & 2 ? "eth0" : "em0", 4);
        memcpy(b->b + 20, "foo", 3);
        b->b[39] = (uint8_t)(l->b.n % 7);
        b->b[43] = 3;
        b->b[60] = (uint8_t)(1 + (l->b.n & 1));
        b->n = 64;
        break;
    case 105: case 127:
        wlan_header(b, dlt, l);
        break;
    case 8: /* SLIP pseudo-header: direction, then 15 bytes */
        memset(b->b, 0, 16);
        b->b[0] = (uint8_t)(l->b.n & 1);
        b->n = 16;
        break;
    default: /* RAW, IPV4, IPV6: no link header */
        break;
    }
    putn(b, l->b.b, l->b.n);
}

void pf_test_pkts_generate(int dlt, struct pf_test_pkts *s)
{
    struct l3 *l3 = calloc(64, sizeof(*l3));
    size_t n = make_l3(l3);
    struct buf b;
    uint8_t zero[16] = {0x45, 0, 0x60, 0, 0xff, 0xff, 0, 0,
                        0, 0, 0, 0, 0, 0, 0, 0};

    for (size_t i = 0; i < n; i++) {
        if (dlt == 1) {
            ether_frames(s, &l3[i]);
            continue;
        }
        link_wrap(dlt, &l3[i], &b);
        add_cuts(s, &b);
    }
    if (dlt == 1)
        llc_frames(s);
    for (size_t len = 0; len <= 16; len++)
        add(s, zero, len, (uint32_t)len + 60);
    free(l3);
}

void pf_test_pkts_free(struct pf_test_pkts *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->v[i].data);
    free(s->v);
    s->v = NULL;
    s->n = s->cap = 0;
}
