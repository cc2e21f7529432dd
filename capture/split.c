/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Cutting one capture file into record-aligned byte ranges, so that
 * several threads can read and filter it at once. A splitter walks the
 * record headers (classic pcap) or block headers (pcapng) of the mapping
 * without looking at packet data, and hands out each range as a reader of
 * its own over the same bytes: it starts with the state the whole-file
 * reader would have there (pcapng byte order and interface table) and
 * ends cleanly at the range end. Offsets stay those of the whole file, so
 * errors name the same bytes as a whole-file read. The splitter only steps
 * over headers it has checked as the parsers do; at the first one it
 * cannot step over it stops cutting, and the last range runs to the end of
 * the input, where its reader reports the damage exactly as the whole-file
 * reader would (every good packet before it first). Also two helpers for
 * the threads that read ranges: whether a packet's data lies in the input,
 * and mapping pages in ahead of the readers.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <pfcap/capture.h>

#include "capture/capture_impl.h"
#include "common/bytes.h"

#define BT_PB 0x00000002u
#define BT_SPB 0x00000003u
#define BT_EPB 0x00000006u

struct pf_pcap_splitter {
    struct pf_pcap_reader scan;   /* pos = start of the next range */
    int stopped;                  /* damage ahead: no more cutting */
};

/*
 * Copies the parsing state of @src (not its mapping, heap copy or scratch
 * buffer, which stay with @src) into @dst. Returns 0 or -ENOMEM.
 */
static int state_copy(struct pf_pcap_reader *dst,
                      const struct pf_pcap_reader *src)
{
    *dst = *src;
    dst->map = NULL;
    dst->map_len = 0;
    dst->heap = NULL;
    dst->scratch = NULL;
    dst->scratch_cap = 0;
    dst->failed = 0;
    pf_error_init(&dst->error);
    dst->ifaces = NULL;
    dst->cap_ifaces = 0;
    if (!src->n_ifaces)
        return 0;
    dst->ifaces = malloc(src->n_ifaces * sizeof(*dst->ifaces));
    if (!dst->ifaces)
        return -ENOMEM;
    memcpy(dst->ifaces, src->ifaces, src->n_ifaces * sizeof(*dst->ifaces));
    dst->cap_ifaces = src->n_ifaces;
    return 0;
}

int pf_pcap_splitter_new(const struct pf_pcap_reader *r,
                         struct pf_pcap_splitter **out, struct pf_error *err)
{
    struct pf_pcap_splitter *s = calloc(1, sizeof(*s));

    *out = NULL;
    if (!s || state_copy(&s->scan, r) < 0) {
        free(s);
        return PF_SYS_ERR(err, -ENOMEM, NO_MEMORY, NULL, NULL);
    }
    s->stopped = r->failed;
    *out = s;
    return 0;
}

void pf_pcap_splitter_free(struct pf_pcap_splitter *s)
{
    if (!s)
        return;
    free(s->scan.ifaces);
    free(s->scan.scratch);
    free(s);
}

/*
 * Steps over one classic pcap record, with the checks of
 * pf_pcap_record_next that decide where the next record starts.
 * Returns 1, or 0 where that parser would fail.
 */
static int pcap_step(struct pf_pcap_reader *r)
{
    const uint8_t *h = r->base + r->pos;
    size_t left = r->size - r->pos;
    uint32_t c, l, caplen;

    if (left < r->rec_hdr_len)
        return 0;
    /* The walk waits on each header: have the next lines on their way. */
    if (left > 2048) {
        __builtin_prefetch(h + 1024);
        __builtin_prefetch(h + 2048);
    }
    c = pf_get32(h + 8, r->swap);
    l = pf_get32(h + 12, r->swap);
    /* The length order of the file version (see pcap_read.c). */
    caplen = c;
    if (r->lengths_swapped == 1 || (r->lengths_swapped == 2 && c > l))
        caplen = l;
    if (caplen > r->max_caplen || caplen > left - r->rec_hdr_len)
        return 0;
    r->pos += r->rec_hdr_len + caplen;
    return 1;
}

/* Whether the block header at r->pos passes libpcap's length checks. */
static int block_len_ok(const struct pf_pcap_reader *r, uint32_t total,
                        size_t left)
{
    if (total < 12 || total % 4 || total > r->max_block || total > left)
        return 0;
    return pf_get32(r->base + r->pos + total - 4, r->swap) == total;
}

/*
 * Steps over one pcapng block. Packet blocks change no state and are
 * stepped over by their length; any other block (interfaces, sections)
 * goes through the real parser so that the state stays exact. Returns 1,
 * or 0 at the end or where the parser would fail.
 */
static int pcapng_step(struct pf_pcap_reader *r)
{
    size_t left = r->size - r->pos;
    struct pf_packet pkt;
    struct pf_error e;
    uint32_t type, total;

    if (left < 8)
        return 0;
    type = pf_get32(r->base + r->pos, r->swap);
    if (type == BT_EPB || type == BT_SPB || type == BT_PB) {
        total = pf_get32(r->base + r->pos + 4, r->swap);
        if (!block_len_ok(r, total, left))
            return 0;
        r->pos += total;
        return 1;
    }
    pf_error_init(&e);
    return pf_pcapng_block_next(r, &pkt, &e) == 1;
}

/* Moves the scan past at least @min_bytes of whole records. */
static void scan_ahead(struct pf_pcap_splitter *s, size_t min_bytes)
{
    struct pf_pcap_reader *r = &s->scan;
    size_t start = r->pos;
    int ok;

    do {
        if (r->format == PF_FILE_PCAPNG)
            ok = pcapng_step(r);
        else
            ok = pcap_step(r);
    } while (ok && r->pos < r->size && r->pos - start < min_bytes);
    if (!ok) {
        /* Damage (or the end): the rest goes to this range's reader. */
        s->stopped = 1;
        r->pos = r->size;
    }
}

int pf_pcap_splitter_next(struct pf_pcap_splitter *s, size_t min_bytes,
                          struct pf_pcap_reader **out, struct pf_error *err)
{
    struct pf_pcap_reader *range;

    *out = NULL;
    if (s->scan.pos >= s->scan.size)
        return 0;
    range = malloc(sizeof(*range));
    if (!range || state_copy(range, &s->scan) < 0) {
        free(range);
        return PF_SYS_ERR(err, -ENOMEM, NO_MEMORY, NULL, NULL);
    }
    if (s->stopped)
        s->scan.pos = s->scan.size;
    else
        scan_ahead(s, min_bytes);
    range->size = s->scan.pos;
    *out = range;
    return 1;
}

int pf_pcap_reader_in_input(const struct pf_pcap_reader *r, const void *p)
{
    const uint8_t *b = p;

    return b >= r->base && b <= r->base + r->size;
}

uint64_t pf_pcap_reader_touch(const struct pf_pcap_reader *r, uint64_t off,
                              uint64_t len)
{
    const volatile uint8_t *p;
    uint64_t end, sum = 0;

    if (!r->map || off >= r->size)
        return 0;
    end = len < r->size - off ? off + len : r->size;
    p = r->base;
    for (uint64_t i = off; i < end; i += 4096)
        sum += p[i];
    return sum;
}
