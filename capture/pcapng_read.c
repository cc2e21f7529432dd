/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * pcapng parsing: Section Header Blocks (either byte order, and the order
 * may change from one section to the next), Interface Description Blocks
 * with their if_tsresol (10^-n or 2^-n) and if_tsoffset options, Enhanced,
 * Simple and obsolete Packet Blocks; every other block type is skipped.
 * The checks and the timestamp arithmetic follow libpcap 1.10 (so
 * timestamps come out exactly as pcap_open_offline_with_tstamp_precision
 * (..., PCAP_TSTAMP_PRECISION_NANO) returns them), except that interfaces
 * may have different link types and snapshot lengths, and sections may
 * change byte order, which libpcap refuses. Packet data is not copied
 * (except by pseudo.c, for host-order pseudo-headers of swapped files).
 */
#include <errno.h>
#include <stdlib.h>

#include "capture/capture_impl.h"
#include "common/bytes.h"

#define BT_SHB 0x0a0d0d0au
#define BT_IDB 0x00000001u
#define BT_PB 0x00000002u
#define BT_SPB 0x00000003u
#define BT_EPB 0x00000006u
#define BYTE_ORDER_MAGIC 0x1a2b3c4du
#define SHB_MIN_LEN 28u              /* header, fixed part, trailer */
#define OPT_ENDOFOPT 0
#define OPT_IF_TSRESOL 9
#define OPT_IF_TSOFFSET 14
#define NSEC_PER_SEC 1000000000ull
/* An EPB holding a maximum-size packet and 128 KiB of options. */
#define MAX_BLOCK_FOR_SNAPLEN(s) (8u + 20u + (s) + 131072u + 4u)

/* One block: its type, where it starts, and its body (after the header). */
struct block {
    uint32_t type;
    uint64_t start;
    const uint8_t *body;
    size_t len;          /* body bytes, trailer excluded */
    size_t used;         /* body bytes consumed so far */
};

/* Takes @n bytes of the block body, or reports the block too short. */
static const uint8_t *take(struct block *b, size_t n, struct pf_error *err)
{
    const uint8_t *p;

    if (b->len - b->used < n) {
        PF_FILE_ERR(err, b->start, BLOCK_TOO_SHORT, b->type, n, b->used,
                    b->len - b->used);
        return NULL;
    }
    p = b->body + b->used;
    b->used += n;
    return p;
}

/*
 * A Section Header Block may start a section in the other byte order:
 * look at its byte-order magic before trusting its length field.
 */
static int section_order(struct pf_pcap_reader *r, size_t left,
                         struct pf_error *err)
{
    uint32_t bom;

    if (left < 12)
        return 0;   /* the length checks below report the truncation */
    bom = pf_get_le32(r->base + r->pos + 8);
    if (bom == BYTE_ORDER_MAGIC || bom == __builtin_bswap32(BYTE_ORDER_MAGIC)) {
        r->swap = bom != BYTE_ORDER_MAGIC;
        return 0;
    }
    return PF_FILE_ERR(err, r->pos + 8, SECTION_BOM, bom);
}

/* Checks the length fields of the block at r->pos (libpcap's read_block). */
static int check_block_len(const struct pf_pcap_reader *r, uint32_t total,
                           size_t left, struct pf_error *err)
{
    uint32_t trailer;

    if (total < 12)
        return PF_FILE_ERR(err, r->pos, BLOCK_SHORT_LEN, total, 12);
    if (total % 4)
        return PF_FILE_ERR(err, r->pos, BLOCK_ALIGN, total, 4);
    if (total > r->max_block)
        return PF_FILE_ERR(err, r->pos, BLOCK_HUGE, total, r->max_block);
    if (total > left)
        return PF_FILE_ERR(err, r->pos, TRUNC_BLOCK, total, left);
    trailer = pf_get32(r->base + r->pos + total - 4, r->swap);
    if (trailer != total)
        return PF_FILE_ERR(err, r->pos, TRAILER, total, trailer);
    return 0;
}

/* Reads the block at r->pos: 1 read, 0 clean end of file, or an error. */
static int read_block(struct pf_pcap_reader *r, struct block *b,
                      struct pf_error *err)
{
    size_t left = r->size - r->pos;
    uint32_t total;
    int rc;

    if (left == 0)
        return 0;
    if (left < 8)
        return PF_FILE_ERR(err, r->pos, TRUNC_BLOCK_HEADER, left);
    b->type = pf_get32(r->base + r->pos, r->swap);
    if (b->type == BT_SHB && (rc = section_order(r, left, err)) < 0)
        return rc;
    total = pf_get32(r->base + r->pos + 4, r->swap);
    rc = check_block_len(r, total, left, err);
    if (rc < 0)
        return rc;
    b->start = r->pos;
    b->body = r->base + r->pos + 8;
    b->len = total - 12;
    b->used = 0;
    r->pos += total;
    return 1;
}

/* Decodes if_tsresol into units per second; 0 or a negative errno. */
static int set_tsresol(struct pf_ng_iface *ifc, uint8_t v, uint64_t at,
                       struct pf_error *err)
{
    unsigned n = v & 0x7f;

    ifc->binary = (v & 0x80) != 0;
    if (ifc->binary && n > 63)
        return PF_FILE_ERR(err, at, TSRESOL_BIN, n);
    if (!ifc->binary && n > 19)
        return PF_FILE_ERR(err, at, TSRESOL_DEC, n);
    ifc->tsresol = 1;
    for (unsigned i = 0; i < n; i++)
        ifc->tsresol = ifc->binary ? ifc->tsresol * 2 : ifc->tsresol * 10;
    return 0;
}

/* One IDB option; 1 to go on, 0 at opt_endofopt, or a negative errno. */
static int idb_option(struct block *b, struct pf_ng_iface *ifc, int swap,
                      unsigned *seen, struct pf_error *err)
{
    uint64_t at = b->start + 8 + b->used;
    const uint8_t *h = take(b, 4, err), *v;
    unsigned code, len;

    if (!h)
        return -EINVAL;
    code = pf_get16(h, swap);
    len = pf_get16(h + 2, swap);
    if (!(v = take(b, (len + 3u) & ~3u, err)))
        return -EINVAL;
    if (code == OPT_ENDOFOPT)
        return len ? PF_FILE_ERR(err, at, ENDOFOPT, len) : 0;
    if (code != OPT_IF_TSRESOL && code != OPT_IF_TSOFFSET)
        return 1;
    if (len != (code == OPT_IF_TSRESOL ? 1u : 8u) || (*seen & (1u << code)))
        return pf_capture_error(err, -EINVAL, at, PF_MSG_OPTION_LEN,
                                code == OPT_IF_TSRESOL ? "if_tsresol"
                                                       : "if_tsoffset",
                                NULL, PF_CAPTURE_NUMS(len));
    *seen |= 1u << code;
    if (code == OPT_IF_TSOFFSET) {
        ifc->tsoffset = (int64_t)pf_get64(v, swap);
        return 1;
    }
    return set_tsresol(ifc, v[0], at, err) < 0 ? -EINVAL : 1;
}

/* Appends @ifc to the interfaces of the current section. */
static int push_iface(struct pf_pcap_reader *r, const struct pf_ng_iface *ifc,
                      struct pf_error *err)
{
    struct pf_ng_iface *bigger;
    uint32_t cap;

    if (r->n_ifaces == r->cap_ifaces) {
        cap = r->cap_ifaces ? r->cap_ifaces * 2 : 4;
        bigger = realloc(r->ifaces, cap * sizeof(*bigger));
        if (!bigger)
            return PF_SYS_ERR(err, -ENOMEM, NO_MEMORY_IFACES, NULL, NULL,
                              cap);
        r->ifaces = bigger;
        r->cap_ifaces = cap;
    }
    r->ifaces[r->n_ifaces++] = *ifc;
    return 0;
}

/* Interface Description Block: link type, snaplen, timestamp options. */
static int parse_idb(struct pf_pcap_reader *r, struct block *b,
                     struct pf_error *err)
{
    const uint8_t *f = take(b, 8, err);
    struct pf_ng_iface ifc = {.tsresol = 1000000};
    unsigned seen = 0;
    int rc = 1;

    if (!f)
        return -EINVAL;
    ifc.linktype = pf_capture_linktype_normalize(pf_get16(f, r->swap));
    ifc.snaplen = pf_capture_adjust_snaplen(ifc.linktype,
                                            pf_get32(f + 4, r->swap));
    while (rc == 1 && b->used < b->len)
        rc = idb_option(b, &ifc, r->swap, &seen, err);
    if (rc < 0)
        return rc;
    return push_iface(r, &ifc, err);
}

/* A later Section Header Block: checks it and starts a new interface list. */
static int parse_shb(struct pf_pcap_reader *r, struct block *b,
                     struct pf_error *err)
{
    const uint8_t *f = take(b, 16, err);
    unsigned major;

    if (!f)
        return -EINVAL;
    major = pf_get16(f + 4, r->swap);
    if (major != 1)
        return PF_FILE_ERR(err, b->start, SECTION_MAJOR, major);
    r->n_ifaces = 0;
    return 0;
}

/* Checks the first Section Header Block (libpcap's pcap_ng_check_header). */
static int parse_first_shb(struct pf_pcap_reader *r, struct pf_error *err)
{
    uint32_t bom, total;
    unsigned major, minor;

    if (r->size < 12)
        return PF_FILE_ERR(err, 0, NG_TOO_SMALL, r->size);
    bom = pf_get_le32(r->base + 8);
    if (bom != BYTE_ORDER_MAGIC && bom != __builtin_bswap32(BYTE_ORDER_MAGIC))
        return PF_FILE_ERR(err, 8, NG_BOM, bom);
    r->swap = bom != BYTE_ORDER_MAGIC;
    total = pf_get32(r->base + 4, r->swap);
    if (total < SHB_MIN_LEN || total > PF_PCAPNG_SHB_MAX)
        return PF_FILE_ERR(err, 0, SHB_LEN, total, SHB_MIN_LEN,
                           PF_PCAPNG_SHB_MAX);
    if (total > r->size)
        return PF_FILE_ERR(err, 0, TRUNC_SHB, total, r->size);
    major = pf_get16(r->base + 12, r->swap);
    minor = pf_get16(r->base + 14, r->swap);
    if (major != 1 || (minor != 0 && minor != 2))
        return PF_FILE_ERR(err, 12, NG_VERSION, major, minor);
    /* Like libpcap, the first SHB's trailer is not checked. */
    return 0;
}

int pf_pcapng_header_parse(struct pf_pcap_reader *r, struct pf_error *err)
{
    struct block b;
    int rc;

    r->format = PF_FILE_PCAPNG;
    r->max_block = PF_PCAPNG_INITIAL_MAX_BLOCK;
    if ((rc = parse_first_shb(r, err)) < 0)
        return rc;
    r->pos = pf_get32(r->base + 4, r->swap);
    for (;;) {
        rc = read_block(r, &b, err);
        if (rc == 0)
            return PF_FILE_ERR(err, r->pos, NO_IDB);
        if (rc < 0)
            return rc;
        if (b.type == BT_EPB || b.type == BT_SPB || b.type == BT_PB)
            return PF_FILE_ERR(err, b.start, PACKET_BEFORE_IDB);
        if (b.type == BT_IDB)
            break;
    }
    if ((rc = parse_idb(r, &b, err)) < 0)
        return rc;
    r->linktype = (int)r->ifaces[0].linktype;
    r->snaplen = r->ifaces[0].snaplen;
    r->nsec = r->ifaces[0].tsresol >= NSEC_PER_SEC;
    if (MAX_BLOCK_FOR_SNAPLEN(pf_capture_max_snaplen(r->ifaces[0].linktype)) >
        r->max_block)
        r->max_block = MAX_BLOCK_FOR_SNAPLEN(
            pf_capture_max_snaplen(r->ifaces[0].linktype));
    return 0;
}

/* Converts a raw timestamp the way libpcap does for nanosecond precision. */
static void set_ts(struct pf_packet *pkt, const struct pf_ng_iface *ifc,
                   uint64_t t)
{
    uint64_t sec = t / ifc->tsresol + (uint64_t)ifc->tsoffset;
    uint64_t frac = t % ifc->tsresol;

    if (ifc->binary)
        frac = frac * NSEC_PER_SEC / ifc->tsresol;  /* wraps like libpcap */
    else if (ifc->tsresol > NSEC_PER_SEC)
        frac /= ifc->tsresol / NSEC_PER_SEC;
    else
        frac *= NSEC_PER_SEC / ifc->tsresol;
    pkt->ts_sec = (int64_t)sec;
    pkt->ts_nsec = (uint32_t)frac;
}

/* Fixed part of a packet block, in host order. */
struct pkt_fields {
    uint32_t ifindex;
    uint64_t ts;
    uint32_t caplen;
    uint32_t len;
};

static int packet_fields(struct pf_pcap_reader *r, struct block *b,
                         struct pkt_fields *pf, struct pf_error *err)
{
    const uint8_t *f;
    int sw = r->swap;

    if (b->type == BT_SPB) {
        if (!(f = take(b, 4, err)))
            return -EINVAL;
        pf->ifindex = 0;
        pf->ts = 0;
        pf->len = pf_get32(f, sw);
        pf->caplen = pf->len;
        if (r->n_ifaces && pf->caplen > r->ifaces[0].snaplen)
            pf->caplen = r->ifaces[0].snaplen;
        return 0;
    }
    if (!(f = take(b, 20, err)))
        return -EINVAL;
    pf->ifindex = b->type == BT_PB ? pf_get16(f, sw) : pf_get32(f, sw);
    pf->ts = (uint64_t)pf_get32(f + 4, sw) << 32 | pf_get32(f + 8, sw);
    pf->caplen = pf_get32(f + 12, sw);
    pf->len = pf_get32(f + 16, sw);
    return 0;
}

/* Fills @pkt from a packet block; 1 or a negative errno. */
static int packet_block(struct pf_pcap_reader *r, struct block *b,
                        struct pf_packet *pkt, struct pf_error *err)
{
    struct pkt_fields pf;
    const struct pf_ng_iface *ifc;
    const uint8_t *data;

    if (packet_fields(r, b, &pf, err) < 0)
        return -EINVAL;
    if (pf.ifindex >= r->n_ifaces)
        return PF_FILE_ERR(err, b->start, NO_SUCH_IFACE, pf.ifindex,
                           r->n_ifaces);
    ifc = &r->ifaces[pf.ifindex];
    if (pf.caplen > ifc->snaplen)
        return PF_FILE_ERR(err, b->start, CAPLEN_SNAPLEN, pf.caplen,
                           ifc->snaplen);
    if (!(data = take(b, pf.caplen, err)))
        return -EINVAL;
    pkt->data = data;
    pkt->caplen = pf.caplen;
    pkt->wirelen = pf.len;
    pkt->linktype = ifc->linktype;
    pkt->ifindex = pf.ifindex;
    set_ts(pkt, ifc, pf.ts);
    return pf_capture_pseudo_fix(r, pkt, err) < 0 ? -ENOMEM : 1;
}

int pf_pcapng_block_next(struct pf_pcap_reader *r, struct pf_packet *pkt,
                         struct pf_error *err)
{
    struct block b;
    size_t start;
    int rc;

    for (;;) {
        start = r->pos;
        rc = read_block(r, &b, err);
        if (rc <= 0)
            return rc;
        if (b.type == BT_EPB || b.type == BT_SPB || b.type == BT_PB)
            rc = packet_block(r, &b, pkt, err);
        else if (b.type == BT_IDB)
            rc = parse_idb(r, &b, err);
        else if (b.type == BT_SHB)
            rc = parse_shb(r, &b, err);
        else
            rc = 0;
        if (rc < 0) {
            r->pos = start;   /* the offset names the damaged block */
            return rc;
        }
        if (rc == 1)
            return 1;
    }
}
