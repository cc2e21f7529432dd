/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Test traffic for the live-capture tests: sends a bounded number of
 * known Ethernet frames on an interface with AF_PACKET (sendmmsg batches,
 * optionally paced), and checks capture files afterwards.
 *
 *   pfgen send IFACE COUNT [PPS] [MIX]  sends COUNT frames; prints
 *       "sent N tcp80 M txdrop D secs S" (M = frames 'tcp port 80'
 *       matches live, D = frames veth dropped before the peer saw them,
 *       S = seconds spent sending).
 *       MIX "all" (default) cycles through 8 kinds, "tcp80" only sends
 *       TCP port 80 frames, "small" sends 64-byte UDP frames.
 *   pfgen check COUNT FILE...  reads classic pcap files (written by any
 *       tool) and checks every pfgen frame number 0..COUNT-1 appears at
 *       most once; prints "packets P unique U dup D max M".
 *
 * Frames go to a unicast MAC nobody owns, so the receiving stack drops
 * them without answering. Every frame carries "PFGN" and its number.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <linux/if_ether.h>
#include <linux/if_packet.h>

#define GEN_BATCH 64
#define GEN_FRAME_MAX 1600

static size_t put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
    return 2;
}

static uint16_t ip_csum(const uint8_t *p, size_t n)
{
    uint32_t s = 0;
    size_t i;

    for (i = 0; i + 1 < n; i += 2)
        s += (uint32_t)(p[i] << 8 | p[i + 1]);
    while (s >> 16)
        s = (s & 0xffff) + (s >> 16);
    return (uint16_t)~s;
}

/* Ethernet header (with an 802.1Q tag when @vlan); returns its length. */
static size_t gen_eth(uint8_t *f, uint16_t type, int vlan)
{
    static const uint8_t dst[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x02};
    static const uint8_t src[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x01};
    size_t n = 12;

    memcpy(f, dst, 6);
    memcpy(f + 6, src, 6);
    if (vlan) {
        n += put16(f + n, 0x8100);
        n += put16(f + n, 100);
    }
    n += put16(f + n, type);
    return n;
}

/* IPv4 + TCP/UDP/ICMP with @plen payload bytes after the L4 header. */
static size_t gen_ip4(uint8_t *p, uint8_t proto, uint16_t sport,
                      uint16_t dport, size_t plen)
{
    size_t l4 = proto == 6 ? 20 : 8, tot = 20 + l4 + plen;

    memset(p, 0, 20 + l4);
    p[0] = 0x45;
    put16(p + 2, (uint16_t)tot);
    p[8] = 64;
    p[9] = proto;
    memcpy(p + 12, "\x0a\x63\x00\x01\x0a\x63\x00\x02", 8);
    put16(p + 10, ip_csum(p, 20));
    if (proto == 1) {
        p[20] = 8;
    } else {
        put16(p + 20, sport);
        put16(p + 22, dport);
        if (proto == 6)
            p[32] = 0x50, p[33] = 0x18;
        else
            put16(p + 24, (uint16_t)(8 + plen));
    }
    return 20 + l4;
}

static size_t gen_ip6_tcp(uint8_t *p, uint16_t dport, size_t plen)
{
    memset(p, 0, 60);
    p[0] = 0x60;
    put16(p + 4, (uint16_t)(20 + plen));
    p[6] = 6;
    p[7] = 64;
    p[8] = 0xfd;
    p[23] = 1;
    p[24] = 0xfd;
    p[39] = 2;
    put16(p + 40, 40000);
    put16(p + 42, dport);
    p[52] = 0x50;
    return 60;
}

static size_t gen_arp(uint8_t *p)
{
    static const uint8_t arp[28] = {0, 1, 8, 0, 6, 4, 0, 1, 2, 0, 0, 0, 0, 1,
                                    10, 99, 0, 1, 0, 0, 0, 0, 0, 0, 10, 99,
                                    0, 2};
    memcpy(p, arp, sizeof(arp));
    return sizeof(arp);
}

/* Frame number @seq of mix @mix into @f; *@m80 = 'tcp port 80' matches. */
static size_t gen_frame(uint8_t *f, uint32_t seq, const char *mix, int *m80)
{
    unsigned kind = strcmp(mix, "tcp80") == 0 ? 0
                    : strcmp(mix, "small") == 0 ? 2 : seq % 8;
    size_t plen = strcmp(mix, "small") == 0 ? 10 : 8 + (seq * 37) % 1000;
    size_t n;

    *m80 = kind == 0 || kind == 3 || kind == 4 || kind == 6;
    switch (kind) {
    case 0: case 4:
        n = gen_eth(f, 0x0800, kind == 4);
        n += gen_ip4(f + n, 6, 40000 + seq % 1000, 80, plen);
        break;
    case 1:
        n = gen_eth(f, 0x0800, 0);
        n += gen_ip4(f + n, 6, 40000, 443, plen);
        break;
    case 2:
        n = gen_eth(f, 0x0800, 0);
        n += gen_ip4(f + n, 17, 5353, 53, plen);
        break;
    case 3:
        n = gen_eth(f, 0x0800, 0);
        n += gen_ip4(f + n, 6, 80, 50000, plen);
        break;
    case 5:
        n = gen_eth(f, 0x0806, 0);
        n += gen_arp(f + n);
        plen = 10;          /* the frame number rides in the padding */
        break;
    case 6:
        n = gen_eth(f, 0x86dd, 0);
        n += gen_ip6_tcp(f + n, 80, plen);
        break;
    default:
        n = gen_eth(f, 0x0800, 0);
        n += gen_ip4(f + n, 1, 0, 0, plen);
        break;
    }
    memset(f + n, 0, plen);
    if (plen >= 8) {
        memcpy(f + n, "PFGN", 4);
        f[n + 4] = (uint8_t)(seq >> 24);
        f[n + 5] = (uint8_t)(seq >> 16);
        f[n + 6] = (uint8_t)(seq >> 8);
        f[n + 7] = (uint8_t)seq;
    }
    n += plen;
    return n < 60 ? 60 : n;
}

static int gen_socket(const char *iface, struct sockaddr_ll *sll)
{
    int fd = socket(AF_PACKET, SOCK_RAW, 0);

    memset(sll, 0, sizeof(*sll));
    sll->sll_family = AF_PACKET;
    sll->sll_ifindex = (int)if_nametoindex(iface);
    sll->sll_halen = 6;
    if (fd < 0 || sll->sll_ifindex == 0) {
        fprintf(stderr, "pfgen: %s: %s\n", iface, strerror(errno));
        return -1;
    }
    return fd;
}

/* Sleeps until @t0 + @i / @pps. */
static void gen_pace(const struct timespec *t0, uint64_t i, double pps)
{
    struct timespec now;
    double due, at;

    if (pps <= 0)
        return;
    due = (double)i / pps;
    for (;;) {
        clock_gettime(CLOCK_MONOTONIC, &now);
        at = (double)(now.tv_sec - t0->tv_sec) +
             (double)(now.tv_nsec - t0->tv_nsec) / 1e9;
        if (at >= due)
            return;
        if (due - at > 0.0005) {
            struct timespec d = {0, (long)((due - at) * 1e9)};
            nanosleep(&d, NULL);
        }
    }
}

/* A counter of @iface from sysfs (0 when unreadable). */
static unsigned long long gen_stat(const char *iface, const char *name)
{
    char path[256];
    unsigned long long v = 0;
    FILE *f;

    snprintf(path, sizeof(path), "/sys/class/net/%s/statistics/%s", iface,
             name);
    f = fopen(path, "r");
    if (f) {
        if (fscanf(f, "%llu", &v) != 1)
            v = 0;
        fclose(f);
    }
    return v;
}

static int gen_send(const char *iface, uint64_t count, double pps,
                    const char *mix)
{
    static uint8_t frames[GEN_BATCH][GEN_FRAME_MAX];
    struct mmsghdr msgs[GEN_BATCH];
    struct iovec iov[GEN_BATCH];
    struct sockaddr_ll sll;
    struct timespec t0, t1;
    uint64_t sent = 0, m80 = 0;
    int fd = gen_socket(iface, &sll), m, k, i, r;

    unsigned long long drop0 = gen_stat(iface, "tx_dropped");

    if (fd < 0)
        return 1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    while (sent < count) {
        int batch = pps > 0 && pps < 20000 ? 1 : GEN_BATCH;
        k = (int)(count - sent < (uint64_t)batch ? count - sent : (uint64_t)batch);
        for (i = 0; i < k; i++) {
            iov[i].iov_base = frames[i];
            iov[i].iov_len = gen_frame(frames[i], (uint32_t)(sent + i), mix, &m);
            m80 += (uint64_t)m;
            memset(&msgs[i], 0, sizeof(msgs[i]));
            msgs[i].msg_hdr.msg_iov = &iov[i];
            msgs[i].msg_hdr.msg_iovlen = 1;
            msgs[i].msg_hdr.msg_name = &sll;
            msgs[i].msg_hdr.msg_namelen = sizeof(sll);
        }
        gen_pace(&t0, sent, pps);
        for (i = 0; i < k; i += r) {
            r = sendmmsg(fd, msgs + i, (unsigned)(k - i), 0);
            if (r <= 0 && errno != ENOBUFS && errno != EAGAIN) {
                fprintf(stderr, "pfgen: send: %s\n", strerror(errno));
                return 1;
            }
            if (r <= 0)
                r = 0;
        }
        sent += (uint64_t)k;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    /* veth drops what the peer's backlog cannot take, silently. */
    printf("sent %llu tcp80 %llu txdrop %llu secs %.3f\n",
           (unsigned long long)sent, (unsigned long long)m80,
           gen_stat(iface, "tx_dropped") - drop0,
           (double)(t1.tv_sec - t0.tv_sec) +
               (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
    return 0;
}

static uint32_t rd32(const uint8_t *p, int swap)
{
    uint32_t v;

    memcpy(&v, p, 4);
    return swap ? __builtin_bswap32(v) : v;
}

/* Finds "PFGN" + number in @p; returns the number or -1. */
static long gen_seq(const uint8_t *p, uint32_t n)
{
    uint32_t i;

    for (i = 14; i + 8 <= n; i++)
        if (!memcmp(p + i, "PFGN", 4))
            return (long)((uint32_t)p[i + 4] << 24 | (uint32_t)p[i + 5] << 16 |
                          (uint32_t)p[i + 6] << 8 | p[i + 7]);
    return -1;
}

static int gen_check_file(const char *path, uint8_t *seen, uint64_t count,
                          uint64_t st[4])
{
    static uint8_t buf[262144 + 16];
    uint8_t hdr[24];
    FILE *f = fopen(path, "rb");
    int swap;

    if (!f || fread(hdr, 1, 24, f) != 24) {
        fprintf(stderr, "pfgen: %s: cannot read pcap header\n", path);
        return 1;
    }
    swap = rd32(hdr, 0) == 0xd4c3b2a1 || rd32(hdr, 0) == 0x4d3cb2a1;
    while (fread(buf, 1, 16, f) == 16) {
        uint32_t cap = rd32(buf + 8, swap);
        long s;
        if (cap > 262144 || fread(buf, 1, cap, f) != cap) {
            fprintf(stderr, "pfgen: %s: truncated record\n", path);
            fclose(f);
            return 1;
        }
        st[0]++;
        s = gen_seq(buf, cap);
        if (s < 0 || (uint64_t)s >= count)
            continue;
        if (seen[s]++)
            st[2]++;
        else
            st[1]++;
        if ((uint64_t)s > st[3])
            st[3] = (uint64_t)s;
    }
    fclose(f);
    return 0;
}

static int gen_check(uint64_t count, int nfiles, char **files)
{
    uint8_t *seen = calloc(count ? count : 1, 1);
    uint64_t st[4] = {0, 0, 0, 0};
    int i;

    if (!seen)
        return 1;
    for (i = 0; i < nfiles; i++)
        if (gen_check_file(files[i], seen, count, st))
            return 1;
    printf("packets %llu unique %llu dup %llu max %llu\n",
           (unsigned long long)st[0], (unsigned long long)st[1],
           (unsigned long long)st[2], (unsigned long long)st[3]);
    free(seen);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc >= 4 && !strcmp(argv[1], "send"))
        return gen_send(argv[2], strtoull(argv[3], NULL, 10),
                        argc > 4 ? strtod(argv[4], NULL) : 0,
                        argc > 5 ? argv[5] : "all");
    if (argc >= 4 && !strcmp(argv[1], "check"))
        return gen_check(strtoull(argv[2], NULL, 10), argc - 3, argv + 3);
    fprintf(stderr, "usage: pfgen send IFACE COUNT [PPS] [all|tcp80|small]\n"
                    "       pfgen check COUNT FILE...\n");
    return 2;
}
