/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Pseudo-headers written in the capturing host's byte order, fixed up the
 * way libpcap 1.10 fixes them when it reads a file, so that pfcap hands
 * out the same bytes and lengths:
 *  - in a file of the other byte order: the CAN ID after a LINUX_SLL
 *    header of a CAN frame, the Linux USB header (48 or 64 bytes, with
 *    its isochronous descriptors), the TLV type/length of NFLOG;
 *  - in any file: the wire length of USB_LINUX_MMAPPED completion events
 *    of incoming isochronous transfers, which old libpcap miscalculated.
 * Only packets that need swapping are copied (into the reader's scratch
 * buffer); every other packet stays in the mapping.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "capture/capture_impl.h"
#include "common/bytes.h"

#define LINKTYPE_LINUX_SLL 113u
#define LINKTYPE_USB_LINUX 189u
#define LINKTYPE_USB_LINUX_MMAPPED 220u
#define LINKTYPE_NFLOG 239u
#define SLL_HDR_LEN 16u
#define SLL_P_CAN 0x000cu
#define SLL_P_CANFD 0x000du
#define USB_HDR_LEN 48u
#define USB_MMAPPED_HDR_LEN 64u
#define USB_ISODESC_LEN 16u
#define URB_ISOCHRONOUS 0
#define URB_COMPLETE 'C'
#define URB_TRANSFER_IN 0x80

static void swap16_at(uint8_t *p)
{
    uint8_t t = p[0];

    p[0] = p[1];
    p[1] = t;
}

static void swap32_at(uint8_t *p)
{
    uint32_t v;

    memcpy(&v, p, 4);
    v = __builtin_bswap32(v);
    memcpy(p, &v, 4);
}

static void swap64_at(uint8_t *p)
{
    uint64_t v;

    memcpy(&v, p, 8);
    v = __builtin_bswap64(v);
    memcpy(p, &v, 8);
}

/* The CAN ID after the cooked header of a SocketCAN frame. */
static void swap_sll(uint8_t *d, uint32_t caplen, uint32_t len)
{
    uint16_t proto;

    if (caplen < SLL_HDR_LEN || len < SLL_HDR_LEN)
        return;
    proto = pf_get_be16(d + 14);
    if (proto != SLL_P_CAN && proto != SLL_P_CANFD)
        return;
    if (caplen < SLL_HDR_LEN + 4 || len < SLL_HDR_LEN + 4)
        return;
    swap32_at(d + SLL_HDR_LEN);
}

/* NFLOG: the type and length of each TLV after the 4-byte header. */
static void swap_nflog(uint8_t *d, uint32_t caplen, uint32_t len)
{
    uint16_t size;

    if (caplen < 4 || len < 4 || d[1] != 0)
        return;
    caplen -= 4;
    len -= 4;
    d += 4;
    while (caplen >= 4) {
        swap16_at(d);
        swap16_at(d + 2);
        size = pf_get_le16(d);
        if (size % 4)
            size = (uint16_t)(size + 4 - size % 4);   /* wraps as libpcap */
        if (size < 4 || caplen < size || len < size)
            return;
        caplen -= size;
        len -= size;
        d += size;
    }
}

/*
 * Field layout of the Linux USB header: (end offset, width) pairs in
 * order; a field is swapped only if the captured data covers it.
 */
static const uint8_t usb_fixed[][2] = {
    {8, 8},    /* id */
    {14, 2},   /* bus_id */
    {24, 8},   /* ts_sec */
    {28, 4},   /* ts_usec */
    {32, 4},   /* status */
    {36, 4},   /* urb_len */
    {40, 4},   /* data_len */
};

static const uint8_t usb_tail[][2] = {
    {52, 4},   /* interval */
    {56, 4},   /* start_frame */
    {60, 4},   /* xfer_flags */
    {64, 4},   /* ndesc */
};

/* Swaps fields while they are captured; returns 0 at the first missing. */
static int swap_fields(uint8_t *d, uint32_t caplen, const uint8_t (*f)[2],
                       size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (caplen < f[i][0])
            return 0;
        if (f[i][1] == 8)
            swap64_at(d + f[i][0] - 8);
        else if (f[i][1] == 4)
            swap32_at(d + f[i][0] - 4);
        else
            swap16_at(d + f[i][0] - 2);
    }
    return 1;
}

/* The isochronous descriptors after a 64-byte header. */
static void swap_isodescs(uint8_t *d, uint32_t caplen)
{
    uint32_t ndesc = pf_get_le32(d + 60), off = USB_MMAPPED_HDR_LEN;

    for (uint32_t i = 0; i < ndesc; i++, off += USB_ISODESC_LEN) {
        for (uint32_t k = 0; k < 12; k += 4) {   /* status, offset, len */
            if (caplen < off + k + 4)
                return;
            swap32_at(d + off + k);
        }
    }
}

static void swap_usb(uint8_t *d, uint32_t caplen, int mmapped)
{
    static const uint8_t iso[][2] = {{44, 4}, {48, 4}};

    if (!swap_fields(d, caplen, usb_fixed, 7))
        return;
    if (d[9] == URB_ISOCHRONOUS && !swap_fields(d, caplen, iso, 2))
        return;
    if (!mmapped || !swap_fields(d, caplen, usb_tail, 4))
        return;
    if (d[9] == URB_ISOCHRONOUS)
        swap_isodescs(d, caplen);
}

static uint32_t sum_clamped(uint32_t a, uint32_t b)
{
    return b <= UINT_MAX - a ? a + b : UINT_MAX;
}

/* The data end of an incoming isochronous completion, from its descriptors. */
static uint32_t iso_data_len(const uint8_t *d, uint32_t caplen)
{
    uint32_t ndesc = pf_get_le32(d + 60), left = caplen - USB_MMAPPED_HDR_LEN;
    uint32_t end = 0, e;
    const uint8_t *desc = d + USB_MMAPPED_HDR_LEN;

    for (uint32_t i = 0; i < ndesc && left >= USB_ISODESC_LEN;
         i++, left -= USB_ISODESC_LEN, desc += USB_ISODESC_LEN) {
        if (pf_get_le32(desc + 8) == 0)
            continue;
        e = sum_clamped(pf_get_le32(desc + 4), pf_get_le32(desc + 8));
        if (e > end)
            end = e;
    }
    return end;
}

/* libpcap's fix of the wire length of USB_LINUX_MMAPPED iso completions. */
static void fix_usb_mmapped_len(struct pf_packet *pkt)
{
    const uint8_t *d = pkt->data;
    uint32_t ndesc, descs, total;

    if (pkt->caplen < USB_MMAPPED_HDR_LEN || d[15] != 0)
        return;
    ndesc = pf_get_le32(d + 60);
    /* libpcap compares in size_t: no 32-bit wrap-around. */
    if (pkt->wirelen != USB_MMAPPED_HDR_LEN + (uint64_t)ndesc * USB_ISODESC_LEN +
                            pf_get_le32(d + 32))
        return;
    if (d[9] != URB_ISOCHRONOUS || d[8] != URB_COMPLETE ||
        !(d[10] & URB_TRANSFER_IN))
        return;
    descs = ndesc < (UINT_MAX + 1ull) / USB_ISODESC_LEN
                ? ndesc * USB_ISODESC_LEN : UINT_MAX;
    total = sum_clamped(sum_clamped(USB_MMAPPED_HDR_LEN, descs),
                        iso_data_len(d, pkt->caplen));
    if (total >= pkt->caplen)
        pkt->wirelen = total;
    if (pkt->caplen > pkt->wirelen)
        pkt->wirelen = pkt->caplen;
}

/* Copies @pkt's data into the scratch buffer so that it can be swapped. */
static uint8_t *scratch_copy(struct pf_pcap_reader *r, struct pf_packet *pkt,
                             struct pf_error *err)
{
    uint8_t *bigger;

    if (r->scratch_cap < pkt->caplen) {
        bigger = realloc(r->scratch, pkt->caplen);
        if (!bigger) {
            PF_SYS_ERR(err, -ENOMEM, NO_MEMORY, NULL, NULL);
            return NULL;
        }
        r->scratch = bigger;
        r->scratch_cap = pkt->caplen;
    }
    memcpy(r->scratch, pkt->data, pkt->caplen);
    pkt->data = r->scratch;
    return r->scratch;
}

int pf_capture_pseudo_fix(struct pf_pcap_reader *r, struct pf_packet *pkt,
                          struct pf_error *err)
{
    uint32_t lt = pkt->linktype;
    uint8_t *d;

    if (r->swap && pkt->caplen &&
        (lt == LINKTYPE_LINUX_SLL || lt == LINKTYPE_USB_LINUX ||
         lt == LINKTYPE_USB_LINUX_MMAPPED || lt == LINKTYPE_NFLOG)) {
        if (!(d = scratch_copy(r, pkt, err)))
            return -ENOMEM;
        if (lt == LINKTYPE_LINUX_SLL)
            swap_sll(d, pkt->caplen, pkt->wirelen);
        else if (lt == LINKTYPE_NFLOG)
            swap_nflog(d, pkt->caplen, pkt->wirelen);
        else
            swap_usb(d, pkt->caplen, lt == LINKTYPE_USB_LINUX_MMAPPED);
    }
    if (lt == LINKTYPE_USB_LINUX_MMAPPED)
        fix_usb_mmapped_len(pkt);
    return 0;
}
