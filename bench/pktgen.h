/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The benchmarks' packet set: a deterministic mix of Ethernet frames
 * (IPv4/IPv6 TCP, UDP and ICMP, DNS, ARP, 802.1Q VLAN, Geneve with an
 * inner Ethernet frame, IPv4 fragments) built from a seeded generator, so
 * every engine, every run and `pfcap bench --synthetic N` see the same
 * packets. Addresses come from small pools (10.0.0.0/21, 192.168.1.0/24,
 * 2001:db8::/32) so host lists and nets match a fair share of them.
 */
#ifndef PF_BENCH_PKTGEN_H
#define PF_BENCH_PKTGEN_H

#include <stddef.h>
#include <stdint.h>

/* Frame sizes: an IMIX-like mix up to 1514 bytes, or headers only. */
enum pf_bench_sizes {
    PF_BENCH_SIZES_MIXED,
    PF_BENCH_SIZES_SMALL,
};

/* The longest frame the generator builds. */
#define PF_BENCH_PKT_MAX 1514

struct pf_bench_pkt {
    const uint8_t *data;
    uint32_t caplen, wirelen;
};

/* A set of packets in one buffer (owned by the set). */
struct pf_bench_pkts {
    struct pf_bench_pkt *pkts;
    size_t n;
    uint8_t *buf;
};

/* Generator state; any seed (0 included) gives a valid sequence. */
struct pf_bench_rng {
    uint64_t s;
};

/* Seeds @rng. */
void pf_bench_rng_seed(struct pf_bench_rng *rng, uint64_t seed);

/*
 * Builds the next frame of the sequence into @buf (PF_BENCH_PKT_MAX
 * bytes) and returns its length.
 */
uint32_t pf_bench_pkt_build(struct pf_bench_rng *rng, enum pf_bench_sizes sz,
                            uint8_t *buf);

/*
 * Fills @out with the first @n frames for @seed. Returns 0 or -ENOMEM;
 * free with pf_bench_pkts_free.
 */
int pf_bench_pkts_new(size_t n, uint64_t seed, enum pf_bench_sizes sz,
                      struct pf_bench_pkts *out);

/* Frees what pf_bench_pkts_new allocated (a zeroed set is fine). */
void pf_bench_pkts_free(struct pf_bench_pkts *set);

#endif
