/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The TPACKET_V3 receive ring: its geometry, setting it up on a packet
 * socket and mapping it, walking ready blocks packet by packet without
 * copying, and giving each block back to the kernel as soon as its last
 * packet has been handed out. Packets are converted to struct pf_packet
 * here, with the VLAN tag the kernel stripped put back in place.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/if_packet.h>

#include "capture/live_impl.h"

/* Block header bytes before the first packet (struct tpacket_block_desc,
 * aligned) plus one packet's headers and the VLAN headroom. */
#define RING_BLOCK_HDR 48u
#define RING_PKT_HDR                                                           \
    (TPACKET_ALIGN(TPACKET3_HDRLEN) + 16u + PF_RING_VLAN_RESERVE)

static uint32_t pow2_at_least(uint32_t v)
{
    uint32_t p = 4096;

    while (p < v && p < (1u << 30))
        p <<= 1;
    return p;
}

void pf_ring_layout_compute(uint32_t snaplen, size_t buffer, int immediate,
                            int timeout_ms, struct pf_ring_layout *lay)
{
    uint32_t frame = snaplen < PF_RING_MAX_FRAME ? snaplen : PF_RING_MAX_FRAME;
    uint32_t need = RING_BLOCK_HDR + RING_PKT_HDR + frame;
    uint32_t block = pow2_at_least(need);

    if (block < PF_RING_MIN_BLOCK)
        block = PF_RING_MIN_BLOCK;
    /* tcpdump's 2 MiB overflows within milliseconds at 1 Gbit/s. */
    if (buffer == 0)
        buffer = PF_LIVE_DEFAULT_BUFFER;
    if (buffer > ((size_t)1 << 31))
        buffer = (size_t)1 << 31;
    lay->block_size = block;
    lay->block_nr = (uint32_t)(buffer / block);
    /* At least 4 blocks: one filling, one retired, two being read. */
    if (lay->block_nr < 4)
        lay->block_nr = 4;
    /* V3 packets are variable-sized; frames only need to tile blocks. */
    lay->frame_size = TPACKET_ALIGN(RING_PKT_HDR + (frame < 2048 ? frame : 2048));
    while (block % lay->frame_size)
        lay->frame_size += TPACKET_ALIGNMENT;
    lay->frame_nr = (block / lay->frame_size) * lay->block_nr;
    if (timeout_ms <= 0)
        timeout_ms = immediate ? PF_LIVE_IMMEDIATE_TIMEOUT_MS
                               : PF_LIVE_DEFAULT_TIMEOUT_MS;
    lay->timeout_ms = (uint32_t)timeout_ms;
}

static int ring_sockopt(int fd, int opt, const void *val, socklen_t len,
                        const char *what, struct pf_error *err)
{
    if (setsockopt(fd, SOL_PACKET, opt, val, len) == 0)
        return 0;
    return pf_error_set(err, -errno, PF_STAGE_CAPTURE, PF_LIVE_E_RING,
                        "cannot set %s on the packet socket: %s", what,
                        strerror(errno));
}

int pf_ring_open(struct pf_ring *r, int fd, const struct pf_ring_layout *lay,
                 struct pf_error *err)
{
    int version = TPACKET_V3;
    unsigned reserve = PF_RING_VLAN_RESERVE;
    struct tpacket_req3 req = {
        .tp_block_size = lay->block_size,
        .tp_block_nr = lay->block_nr,
        .tp_frame_size = lay->frame_size,
        .tp_frame_nr = lay->frame_nr,
        .tp_retire_blk_tov = lay->timeout_ms,
    };
    int rc;

    memset(r, 0, sizeof(*r));
    r->lay = *lay;
    rc = ring_sockopt(fd, PACKET_VERSION, &version, sizeof(version),
                      "TPACKET_V3", err);
    if (!rc)
        rc = ring_sockopt(fd, PACKET_RESERVE, &reserve, sizeof(reserve),
                          "PACKET_RESERVE", err);
    if (!rc)
        rc = ring_sockopt(fd, PACKET_RX_RING, &req, sizeof(req),
                          "PACKET_RX_RING (ring too large for memory?)", err);
    if (rc)
        return rc;
    r->map_len = (size_t)lay->block_size * lay->block_nr;
    r->map = mmap(NULL, r->map_len, PROT_READ | PROT_WRITE,
                  MAP_SHARED | MAP_LOCKED | MAP_POPULATE, fd, 0);
    if (r->map == MAP_FAILED) /* MAP_LOCKED may exceed RLIMIT_MEMLOCK */
        r->map = mmap(NULL, r->map_len, PROT_READ | PROT_WRITE, MAP_SHARED,
                      fd, 0);
    if (r->map == MAP_FAILED) {
        r->map = NULL;
        return pf_error_set(err, -errno, PF_STAGE_CAPTURE, PF_LIVE_E_RING,
                            "cannot map the %zu-byte ring: %s", r->map_len,
                            strerror(errno));
    }
    return 0;
}

void pf_ring_close(struct pf_ring *r)
{
    if (r->map)
        munmap(r->map, r->map_len);
    r->map = NULL;
}

static struct tpacket_block_desc *ring_block(const struct pf_ring *r,
                                             uint32_t i)
{
    return (struct tpacket_block_desc *)(r->map +
                                         (size_t)i * r->lay.block_size);
}

/* Hands block @r->cur back to the kernel and moves to the next one. */
static void ring_release(struct pf_ring *r)
{
    struct tpacket_block_desc *bd = ring_block(r, r->cur);

    __atomic_store_n(&bd->hdr.bh1.block_status, TP_STATUS_KERNEL,
                     __ATOMIC_RELEASE);
    r->in_block = 0;
    r->pkt = NULL;
    r->left = 0;
    r->cur = (r->cur + 1) % r->lay.block_nr;
}

/* Starts reading block @r->cur if user space owns it; 0 if not ready. */
static int ring_enter(struct pf_ring *r)
{
    struct tpacket_block_desc *bd = ring_block(r, r->cur);
    uint32_t st = __atomic_load_n(&bd->hdr.bh1.block_status,
                                  __ATOMIC_ACQUIRE);

    if (!(st & TP_STATUS_USER))
        return 0;
    r->in_block = 1;
    r->left = bd->hdr.bh1.num_pkts;
    r->pkt = (uint8_t *)bd + bd->hdr.bh1.offset_to_first_pkt;
    return 1;
}

uint8_t *pf_ring_next(struct pf_ring *r)
{
    uint8_t *hdr;

    /* The packet handed out last was its block's last one: the caller is
     * done with it now, so the block goes back to the kernel. */
    if (r->in_block && r->left == 0)
        ring_release(r);
    if (!r->in_block && !ring_enter(r))
        return NULL;
    while (r->left == 0) {
        ring_release(r);
        if (!ring_enter(r))
            return NULL;
    }
    hdr = r->pkt;
    if (--r->left)
        r->pkt = hdr + ((struct tpacket3_hdr *)hdr)->tp_next_offset;
    return hdr;
}

uint64_t pf_ring_discard(struct pf_ring *r)
{
    uint64_t n = 0;
    uint32_t i;

    if (r->in_block) {
        n += r->left;
        ring_release(r);
    }
    for (i = 0; i < r->lay.block_nr && ring_enter(r); i++) {
        n += r->left;
        ring_release(r);
    }
    return n;
}

/* Puts the 802.1Q tag back between the MAC addresses and the ethertype,
 * moving the addresses into the headroom PACKET_RESERVE kept. */
static uint8_t *ring_vlan_insert(uint8_t *mac, uint16_t tpid, uint16_t tci)
{
    uint8_t *start = mac - PF_RING_VLAN_RESERVE;

    memmove(start, mac, 12);
    start[12] = (uint8_t)(tpid >> 8);
    start[13] = (uint8_t)tpid;
    start[14] = (uint8_t)(tci >> 8);
    start[15] = (uint8_t)tci;
    return start;
}

uint32_t pf_ring_view(uint8_t *hdr, const uint8_t **data, uint32_t *wirelen)
{
    struct tpacket3_hdr *h = (struct tpacket3_hdr *)hdr;

    *data = hdr + h->tp_mac;
    *wirelen = h->tp_len;
    return h->tp_snaplen;
}

int pf_ring_packet(uint8_t *hdr, int vlan, uint32_t keep, uint32_t snaplen,
                   uint32_t linktype, struct pf_packet *pkt)
{
    struct tpacket3_hdr *h = (struct tpacket3_hdr *)hdr;
    const struct sockaddr_ll *sll =
        (const struct sockaddr_ll *)(hdr + TPACKET_ALIGN(sizeof(*h)));
    uint8_t *data = hdr + h->tp_mac;
    uint32_t caplen = h->tp_snaplen < keep ? h->tp_snaplen : keep;
    uint32_t wirelen = h->tp_len;
    int tagged = h->hv1.tp_vlan_tci != 0 ||
                 (h->tp_status & TP_STATUS_VLAN_VALID);

    if (vlan && tagged && caplen >= 12) {
        uint16_t tpid = (h->tp_status & TP_STATUS_VLAN_TPID_VALID)
                            ? h->hv1.tp_vlan_tpid
                            : 0x8100;
        data = ring_vlan_insert(data, tpid, (uint16_t)h->hv1.tp_vlan_tci);
        caplen += PF_RING_VLAN_RESERVE;
        wirelen += PF_RING_VLAN_RESERVE;
    }
    pkt->data = data;
    pkt->caplen = caplen < snaplen ? caplen : snaplen;
    pkt->wirelen = wirelen;
    pkt->ts_sec = h->tp_sec;
    pkt->ts_nsec = h->tp_nsec;
    pkt->linktype = linktype;
    pkt->ifindex = 0;
    return sll->sll_pkttype;
}
