/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Fuzz-style test of print/: random bytes under every supported link
 * type, and corpus packets with random bytes flipped and random capture
 * lengths, each copied into a buffer of exactly its captured size so that
 * AddressSanitizer catches any read past it. Every result must be a
 * well-formed record: return 0, end in a newline, stay within
 * pf_print_bound, never overflow. The seed is printed; PF_TEST_SEED
 * replays a run. Corpus packets are read with libpcap (the oracle) only
 * to get their bytes.
 */
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <pfcap/print.h>

#define MAX_PKTS 4000
#define RANDOM_ROUNDS 20000
#define MUTATE_ROUNDS 8

static const uint32_t linktypes[] = { 0, 1, 101, 108, 113, 228, 229, 276 };

static const char *const corpus_files[] = {
    "dns_udp.pcap", "tcp-handshake-nano.pcap", "802.1ad_QinQ.pcap",
    "mpls-traceroute.pcap", "pppoes.pcap", "geneve.pcap",
    "ipv6-routing-header.pcap", "icmp-cksum-oobr-1.pcap", "arp-oobr.pcap",
    "dnssec.pcap", "edns-opts.pcap", "IGMP_V2.pcap", "gre-heapoverflow-1.pcap",
    "ipv6-next-header-oobr-1.pcap", "dhcp-rfc3004.pcap", "vxlan.pcap",
};

struct sample {
    uint8_t *data;
    uint32_t len;
    uint32_t linktype;
};

static uint64_t rng_state;

static uint32_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state >> 11);
}

static int failures;

/* Prints @len bytes (copied to an exact-size heap buffer) and checks the
 * record. */
static void one(struct pf_print *p, const uint8_t *bytes, uint32_t len,
                uint32_t wirelen, uint32_t lt, char *out, size_t cap)
{
    uint8_t *copy = malloc(len ? len : 1);
    struct pf_packet pkt = {
        .data = copy, .caplen = len, .wirelen = wirelen,
        .ts_sec = rnd(), .ts_nsec = rnd() % 1000000000u, .linktype = lt,
    };
    size_t bound = pf_print_bound(p, len), n = 0;
    unsigned flags = 0;

    memcpy(copy, bytes, len);
    if (bound > cap)
        bound = cap;
    if (pf_print_packet(p, &pkt, out, bound, &n, &flags) != 0 || n == 0 ||
        n > bound || out[n - 1] != '\n' || (flags & PF_PRINT_OVERFLOW)) {
        fprintf(stderr, "bad record: linktype %u caplen %u len %zu flags %u\n",
                lt, len, n, flags);
        failures++;
    }
    free(copy);
}

static int load_corpus(const char *dir, struct sample *s, int max)
{
    char errbuf[PCAP_ERRBUF_SIZE], path[4096];
    int n = 0;

    for (size_t f = 0; f < sizeof(corpus_files) / sizeof(*corpus_files); f++) {
        struct pcap_pkthdr *h;
        const u_char *d;
        pcap_t *pc;

        snprintf(path, sizeof(path), "%s/tcpdump/%s", dir, corpus_files[f]);
        pc = pcap_open_offline(path, errbuf);
        if (!pc)
            continue;
        while (n < max && pcap_next_ex(pc, &h, &d) == 1) {
            s[n].data = malloc(h->caplen ? h->caplen : 1);
            memcpy(s[n].data, d, h->caplen);
            s[n].len = h->caplen;
            s[n].linktype = pcap_datalink(pc) == DLT_RAW ? 101u
                                                         : (uint32_t)pcap_datalink(pc);
            n++;
        }
        pcap_close(pc);
    }
    return n;
}

static void random_packets(struct pf_print *p, char *out, size_t cap)
{
    uint8_t buf[600];

    for (int i = 0; i < RANDOM_ROUNDS; i++) {
        uint32_t len = rnd() % sizeof(buf);

        for (uint32_t j = 0; j < len; j++)
            buf[j] = (uint8_t)rnd();
        /* plausible starts make the decoders go deeper */
        if (len > 14 && (i & 1)) {
            buf[12] = (i & 2) ? 0x08 : 0x86;
            buf[13] = (i & 2) ? 0x00 : 0xdd;
            buf[14] = (i & 2) ? 0x45 : 0x60;
        }
        one(p, buf, len, len + rnd() % 64,
            linktypes[rnd() % (sizeof(linktypes) / sizeof(*linktypes))], out,
            cap);
    }
}

static void mutated_packets(struct pf_print *p, struct sample *s, int n,
                            char *out, size_t cap)
{
    uint8_t buf[65536];

    for (int r = 0; r < MUTATE_ROUNDS; r++) {
        for (int i = 0; i < n; i++) {
            uint32_t len = s[i].len > sizeof(buf) ? sizeof(buf) : s[i].len;
            int flips = 1 + (int)(rnd() % 4);

            memcpy(buf, s[i].data, len);
            for (int k = 0; k < flips && len; k++)
                buf[rnd() % len] = (uint8_t)rnd();
            if (len && (rnd() & 1))
                len = rnd() % len;
            one(p, buf, len, s[i].len, s[i].linktype, out, cap);
        }
    }
}

int main(void)
{
    const char *seed_env = getenv("PF_TEST_SEED");
    const char *corpus = getenv("PF_CORPUS");
    uint64_t seed = seed_env ? strtoull(seed_env, NULL, 0)
                             : (uint64_t)time(NULL);
    static struct sample samples[MAX_PKTS];
    size_t cap = 8u << 20;
    char *out = malloc(cap);
    int n = corpus ? load_corpus(corpus, samples, MAX_PKTS) : 0;

    printf("fuzz_print: seed %llu (set PF_TEST_SEED to replay), %d corpus "
           "packets\n", (unsigned long long)seed, n);
    for (int variant = 0; variant < 6; variant++) {
        struct pf_print_opts o = {
            .sz = sizeof(o), .numeric = 2, .ether = variant & 1,
            .verbose = variant % 3, .hex = variant == 2,
            .hex_ascii = variant == 3, .ascii = variant == 5,
            .quiet = variant == 4, .ts_format = variant % 6,
        };
        struct pf_print *p;

        rng_state = seed * 2654435761u + (uint64_t)variant + 1;
        if (pf_print_new(&o, &p, NULL) != 0) {
            fprintf(stderr, "pf_print_new failed\n");
            return 1;
        }
        random_packets(p, out, cap);
        mutated_packets(p, samples, n, out, cap);
        pf_print_free(p);
    }
    for (int i = 0; i < n; i++)
        free(samples[i].data);
    free(out);
    if (!n)
        printf("fuzz_print: note: no corpus packets loaded (PF_CORPUS=%s)\n",
               corpus ? corpus : "(unset)");
    printf("fuzz_print: %d bad records\n", failures);
    return failures ? 1 : (n ? 0 : 1);
}
