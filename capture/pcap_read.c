/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Classic pcap parsing: the 24-byte file header (microsecond, nanosecond
 * and Kuznetzov "modified" magics, in either byte order; versions 2.0-2.4
 * and DG/UX's 543.0) and the 16-byte (24 for the modified format) record
 * headers. Acceptance rules follow libpcap 1.10 so that both accept and
 * reject the same files: the link type's upper 6 bits are masked, a
 * capture length above the link type's maximum is an error, one above the
 * file's snapshot length is cut to it, and pre-2.3 files have caplen and
 * len interchanged. Packet data is not copied (pseudo.c copies the rare
 * packet whose host-order pseudo-header must be byte-swapped).
 */
#include <errno.h>
#include <limits.h>

#include "capture/capture_impl.h"
#include "common/bytes.h"

#define PCAP_FILE_HDR_LEN 24u
#define PCAP_MAGIC_NSEC 0xa1b23c4du
#define PCAP_MAGIC_KUZNETZOV 0xa1b2cd34u
#define LT_LINKTYPE_MASK 0x03ffffffu
#define LINKTYPE_ETHERNET 1u

enum { LENGTHS_NORMAL, LENGTHS_SWAPPED, LENGTHS_MAYBE_SWAPPED };

/* Checks the version the way libpcap does; 0 or a negative errno. */
static int check_version(unsigned major, unsigned minor, struct pf_error *err)
{
    if (major < 2)
        return PF_FILE_ERR(err, 4, ARCHAIC, major, minor);
    if ((major == 2 && minor <= 4) || (major == 543 && minor == 0))
        return 0;
    return PF_FILE_ERR(err, 4, PCAP_VERSION, major, minor);
}

/* Whether caplen and len were written in the pre-2.3 order. */
static int lengths_order(unsigned major, unsigned minor)
{
    if (major == 543 || (major == 2 && minor < 3))
        return LENGTHS_SWAPPED;
    if (major == 2 && minor == 3)
        return LENGTHS_MAYBE_SWAPPED;
    return LENGTHS_NORMAL;
}

int pf_pcap_header_parse(struct pf_pcap_reader *r, struct pf_error *err)
{
    const uint8_t *h = r->base;
    uint32_t magic, lt, snap;
    unsigned major, minor;
    int rc;

    if (r->size < PCAP_FILE_HDR_LEN)
        return PF_FILE_ERR(err, 0, TRUNC_PCAP_HEADER, r->size,
                           PCAP_FILE_HDR_LEN);
    magic = pf_get_le32(h);
    r->swap = (magic & 0xffffu) == 0xb2a1u;
    magic = pf_get32(h, r->swap);
    major = pf_get16(h + 4, r->swap);
    minor = pf_get16(h + 6, r->swap);
    rc = check_version(major, minor, err);
    if (rc < 0)
        return rc;
    lt = pf_capture_linktype_normalize(pf_get32(h + 20, r->swap) &
                                       LT_LINKTYPE_MASK);
    snap = pf_capture_adjust_snaplen(lt, pf_get32(h + 16, r->swap));
    r->rec_hdr_len = magic == PCAP_MAGIC_KUZNETZOV ? 24 : 16;
    if (magic == PCAP_MAGIC_KUZNETZOV && lt == LINKTYPE_ETHERNET)
        snap = snap <= INT_MAX - 14 ? snap + 14 : INT_MAX;
    r->format = magic == PCAP_MAGIC_NSEC ? PF_FILE_PCAP_NSEC : PF_FILE_PCAP;
    r->nsec = magic == PCAP_MAGIC_NSEC;
    r->linktype = (int)lt;
    r->snaplen = snap;
    r->max_caplen = pf_capture_max_snaplen(lt);
    r->lengths_swapped = lengths_order(major, minor);
    r->pos = PCAP_FILE_HDR_LEN;
    return 0;
}

/* Rejects a capture length libpcap would not accept. */
static int check_caplen(const struct pf_pcap_reader *r, uint32_t caplen,
                        struct pf_error *err)
{
    if (caplen <= r->max_caplen)
        return 0;
    if (caplen > r->snaplen)
        return PF_FILE_ERR(err, r->pos, CAPLEN_SNAPLEN, caplen, r->snaplen);
    return PF_FILE_ERR(err, r->pos, CAPLEN_MAX, caplen, r->max_caplen);
}

/* The lengths of the record at @h, in the order the file version uses. */
static void record_lengths(const struct pf_pcap_reader *r, const uint8_t *h,
                           uint32_t *caplen, uint32_t *len)
{
    uint32_t c = pf_get32(h + 8, r->swap), l = pf_get32(h + 12, r->swap);

    if (r->lengths_swapped == LENGTHS_SWAPPED ||
        (r->lengths_swapped == LENGTHS_MAYBE_SWAPPED && c > l)) {
        *caplen = l;
        *len = c;
    } else {
        *caplen = c;
        *len = l;
    }
}

/*
 * The record's timestamp. libpcap 1.10 reads the two time fields as
 * signed 32-bit values in a file of our byte order, and as unsigned ones
 * (its byte swap works on unsigned ints) in a file of the other order.
 */
static void record_ts(const struct pf_pcap_reader *r, const uint8_t *h,
                      struct pf_packet *pkt)
{
    int64_t sec, frac;

    sec = r->swap ? (int64_t)pf_get32(h, 1) : (int32_t)pf_get32(h, 0);
    frac = r->swap ? (int64_t)pf_get32(h + 4, 1) : (int32_t)pf_get32(h + 4, 0);
    pf_capture_ts_set(pkt, sec, r->nsec ? frac : frac * 1000);
}

int pf_pcap_record_next(struct pf_pcap_reader *r, struct pf_packet *pkt,
                        struct pf_error *err)
{
    const uint8_t *h = r->base + r->pos;
    size_t left = r->size - r->pos;
    uint32_t caplen, len;
    int rc;

    if (left == 0)
        return 0;
    if (left < r->rec_hdr_len)
        return PF_FILE_ERR(err, r->pos, TRUNC_RECORD_HEADER, left,
                           r->rec_hdr_len);
    record_lengths(r, h, &caplen, &len);
    if ((rc = check_caplen(r, caplen, err)) < 0)
        return rc;
    left -= r->rec_hdr_len;
    if (caplen > left)
        return PF_FILE_ERR(err, r->pos, TRUNC_RECORD, caplen, left);
    pkt->data = h + r->rec_hdr_len;
    pkt->caplen = caplen < r->snaplen ? caplen : r->snaplen;
    pkt->wirelen = len;
    pkt->linktype = (uint32_t)r->linktype;
    pkt->ifindex = 0;
    record_ts(r, h, pkt);
    if ((rc = pf_capture_pseudo_fix(r, pkt, err)) < 0)
        return rc;
    r->pos += r->rec_hdr_len + caplen;
    return 1;
}
