/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Test helper: builds pcap and pcapng files byte by byte, in either byte
 * order, so that the tests can hand-craft valid and damaged captures and
 * know exactly where every record starts.
 */
#ifndef PF_TEST_CAPTURE_BUILD_H
#define PF_TEST_CAPTURE_BUILD_H

#include <stdint.h>
#include <string.h>

#define TB_MAX 16384
#define TB_MAX_MARKS 64

struct tb {
    uint8_t d[TB_MAX];
    size_t n;
    int be;                       /* write big-endian */
    size_t marks[TB_MAX_MARKS];   /* record / block start offsets */
    int packet[TB_MAX_MARKS];     /* the record at marks[i] is a packet */
    size_t n_marks;
};

static inline void tb_u8(struct tb *b, uint8_t v)
{
    b->d[b->n++] = v;
}

static inline void tb_u16(struct tb *b, uint16_t v)
{
    tb_u8(b, (uint8_t)(b->be ? v >> 8 : v));
    tb_u8(b, (uint8_t)(b->be ? v : v >> 8));
}

static inline void tb_u32(struct tb *b, uint32_t v)
{
    tb_u16(b, (uint16_t)(b->be ? v >> 16 : v));
    tb_u16(b, (uint16_t)(b->be ? v : v >> 16));
}

static inline void tb_u64(struct tb *b, uint64_t v)
{
    tb_u32(b, (uint32_t)(b->be ? v >> 32 : v));
    tb_u32(b, (uint32_t)(b->be ? v : v >> 32));
}

/* Packet payload: byte i of packet @seed is seed + i. */
static inline void tb_payload(struct tb *b, uint32_t len, uint8_t seed)
{
    for (uint32_t i = 0; i < len; i++)
        tb_u8(b, (uint8_t)(seed + i));
}

static inline void tb_pad4(struct tb *b)
{
    while (b->n % 4)
        tb_u8(b, 0);
}

static inline void tb_mark(struct tb *b, int is_packet)
{
    b->packet[b->n_marks] = is_packet;
    b->marks[b->n_marks++] = b->n;
}

static inline void tb_pcap_header(struct tb *b, uint32_t magic, uint16_t maj,
                                  uint16_t min, uint32_t snap, uint32_t lt)
{
    tb_u32(b, magic);
    tb_u16(b, maj);
    tb_u16(b, min);
    tb_u32(b, 0);
    tb_u32(b, 0);
    tb_u32(b, snap);
    tb_u32(b, lt);
}

static inline void tb_pcap_record(struct tb *b, uint32_t sec, uint32_t frac,
                                  uint32_t caplen, uint32_t len, uint8_t seed)
{
    tb_mark(b, 1);
    tb_u32(b, sec);
    tb_u32(b, frac);
    tb_u32(b, caplen);
    tb_u32(b, len);
    tb_payload(b, caplen, seed);
}

/* Starts a pcapng block; returns its start for tb_ng_end. */
static inline size_t tb_ng_begin(struct tb *b, uint32_t type, int is_packet)
{
    size_t start = b->n;

    tb_mark(b, is_packet);
    tb_u32(b, type);
    tb_u32(b, 0);   /* length, patched by tb_ng_end */
    return start;
}

/* Pads, writes the trailer and patches the header length. */
static inline void tb_ng_end(struct tb *b, size_t start)
{
    uint32_t total;
    size_t save;

    tb_pad4(b);
    total = (uint32_t)(b->n - start + 4);
    tb_u32(b, total);
    save = b->n;
    b->n = start + 4;
    tb_u32(b, total);
    b->n = save;
}

static inline void tb_ng_shb(struct tb *b, uint16_t maj, uint16_t min)
{
    size_t s = tb_ng_begin(b, 0x0a0d0d0a, 0);

    tb_u32(b, 0x1a2b3c4d);
    tb_u16(b, maj);
    tb_u16(b, min);
    tb_u64(b, UINT64_MAX);
    tb_ng_end(b, s);
}

/* IDB; @tsresol < 0 means no if_tsresol option. */
static inline void tb_ng_idb(struct tb *b, uint16_t lt, uint32_t snap,
                             int tsresol, int64_t tsoffset)
{
    size_t s = tb_ng_begin(b, 1, 0);

    tb_u16(b, lt);
    tb_u16(b, 0);
    tb_u32(b, snap);
    tb_u16(b, 2);          /* if_name "eth0" */
    tb_u16(b, 4);
    tb_payload(b, 4, 'e');
    if (tsresol >= 0) {
        tb_u16(b, 9);
        tb_u16(b, 1);
        tb_u8(b, (uint8_t)tsresol);
        tb_pad4(b);
    }
    if (tsoffset) {
        tb_u16(b, 14);
        tb_u16(b, 8);
        tb_u64(b, (uint64_t)tsoffset);
    }
    tb_u32(b, 0);          /* opt_endofopt */
    tb_ng_end(b, s);
}

static inline void tb_ng_epb(struct tb *b, uint32_t ifid, uint64_t ts,
                             uint32_t caplen, uint32_t len, uint8_t seed)
{
    size_t s = tb_ng_begin(b, 6, 1);

    tb_u32(b, ifid);
    tb_u32(b, (uint32_t)(ts >> 32));
    tb_u32(b, (uint32_t)ts);
    tb_u32(b, caplen);
    tb_u32(b, len);
    tb_payload(b, caplen, seed);
    tb_ng_end(b, s);
}

static inline void tb_ng_spb(struct tb *b, uint32_t len, uint32_t stored,
                             uint8_t seed)
{
    size_t s = tb_ng_begin(b, 3, 1);

    tb_u32(b, len);
    tb_payload(b, stored, seed);
    tb_ng_end(b, s);
}

static inline void tb_ng_pb(struct tb *b, uint16_t ifid, uint64_t ts,
                            uint32_t caplen, uint32_t len, uint8_t seed)
{
    size_t s = tb_ng_begin(b, 2, 1);

    tb_u16(b, ifid);
    tb_u16(b, 0);
    tb_u32(b, (uint32_t)(ts >> 32));
    tb_u32(b, (uint32_t)ts);
    tb_u32(b, caplen);
    tb_u32(b, len);
    tb_payload(b, caplen, seed);
    tb_ng_end(b, s);
}

static inline void tb_ng_unknown(struct tb *b, uint32_t type, uint32_t len)
{
    size_t s = tb_ng_begin(b, type, 0);

    tb_payload(b, len, 0x55);
    tb_ng_end(b, s);
}

#endif
