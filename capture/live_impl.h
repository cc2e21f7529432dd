/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Live capture's private header: the TPACKET_V3 ring (ring.c), the socket
 * state around it (live.c), fanout (fanout.c), NUMA placement (numa.c,
 * the only user of libnuma) and the rotating writer (rotate.c). Error
 * codes of the capture stage for live sockets come from one X-macro list.
 */
#ifndef PF_CAPTURE_LIVE_IMPL_H
#define PF_CAPTURE_LIVE_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include <pfcap/live.h>

/* Error codes of the capture stage (struct pf_error.code). */
#define PF_LIVE_ERRORS(X)                                                      \
    X(NONE)                                                                    \
    X(SOCKET)                                                                  \
    X(IFACE)                                                                   \
    X(RING)                                                                    \
    X(BIND)                                                                    \
    X(FANOUT)                                                                  \
    X(FILTER)                                                                  \
    X(POLL)                                                                    \
    X(STATS)                                                                   \
    X(LINKTYPE)                                                                \
    X(NUMA)                                                                    \
    X(ROTATE)

enum pf_live_error {
#define PF_LIVE_ERROR_ENUM(name) PF_LIVE_E_##name,
    PF_LIVE_ERRORS(PF_LIVE_ERROR_ENUM)
#undef PF_LIVE_ERROR_ENUM
};

/* Bytes PACKET_RESERVE keeps in front of each packet for a VLAN tag. */
#define PF_RING_VLAN_RESERVE 4u
/* Largest packet a ring block must hold in full (64 KiB GSO + headers). */
#define PF_RING_MAX_FRAME (65536u + 512u)
#define PF_RING_MIN_BLOCK (128u * 1024u)

/* Geometry of a TPACKET_V3 ring (what PACKET_RX_RING is given). */
struct pf_ring_layout {
    uint32_t block_size;   /* power of two, >= one whole packet */
    uint32_t block_nr;
    uint32_t frame_size;   /* TPACKET_ALIGNMENT multiple, divides block */
    uint32_t frame_nr;
    uint32_t timeout_ms;   /* block retirement timeout */
};

struct pf_ring {
    uint8_t *map;
    size_t map_len;
    struct pf_ring_layout lay;
    uint32_t cur;          /* block being consumed or awaited */
    int in_block;          /* user space is reading block @cur */
    uint8_t *pkt;          /* next packet header in block @cur */
    uint32_t left;         /* packets of block @cur not handed out yet */
};

/*
 * Computes the ring geometry for @snaplen and @buffer bytes (0 = default
 * for the mode). Never fails: sizes are clamped to what the kernel takes.
 */
void pf_ring_layout_compute(uint32_t snaplen, size_t buffer, int immediate,
                            int timeout_ms, struct pf_ring_layout *lay);

/* PACKET_VERSION, PACKET_RESERVE, PACKET_RX_RING and mmap on @fd. */
int pf_ring_open(struct pf_ring *r, int fd, const struct pf_ring_layout *lay,
                 struct pf_error *err);

/* Unmaps @r (the kernel frees the ring with the socket). */
void pf_ring_close(struct pf_ring *r);

/*
 * Next packet header ready in the ring, or NULL when the kernel owns the
 * current block. Finished blocks are given back to the kernel here.
 */
uint8_t *pf_ring_next(struct pf_ring *r);

/* Gives every block user space owns back to the kernel, unread. Returns
 * the number of packets discarded. */
uint64_t pf_ring_discard(struct pf_ring *r);

/*
 * The packet at @hdr as the kernel filter saw it (VLAN tag stripped):
 * sets *@data and *@wirelen, returns the captured length.
 */
uint32_t pf_ring_view(uint8_t *hdr, const uint8_t **data, uint32_t *wirelen);

/*
 * Fills @pkt from the ring packet at @hdr: timestamps, the captured
 * length cut to @keep (a user-space filter's verdict, counted without
 * the tag) and then to @snaplen, and the VLAN tag the kernel stripped put
 * back in front of the ethertype when @vlan is set (memmove inside the
 * reserved headroom). Returns the packet type (PACKET_HOST, ...).
 */
int pf_ring_packet(uint8_t *hdr, int vlan, uint32_t keep, uint32_t snaplen,
                   uint32_t linktype, struct pf_packet *pkt);

/* Joins @fd to fanout group @group with @mode (hash gets defrag). */
int pf_fanout_join(int fd, uint16_t group, enum pf_live_fanout mode,
                   struct pf_error *err);

/*
 * Makes the calling thread prefer memory of @node (when >= 0 and NUMA is
 * available) so the ring the kernel allocates next lands there. Returns
 * 1 if a preference was set (undo with pf_numa_prefer_end), else 0.
 */
int pf_numa_prefer_begin(int node);
void pf_numa_prefer_end(int was_set);

#endif
