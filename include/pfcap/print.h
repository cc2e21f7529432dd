/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * tcpdump-style packet printing: one line per packet (more with -v or a
 * hex dump), in tcpdump 4.99's format, formatted into a caller-owned
 * buffer. A printer keeps the state tcpdump keeps between packets (the
 * previous timestamp for -ttt, TCP initial sequence numbers for relative
 * sequence numbers, the packet counter, the name caches) and allocates
 * nothing per packet.
 */
#ifndef PFCAP_PRINT_H
#define PFCAP_PRINT_H

#include <stddef.h>
#include <stdint.h>

#include <pfcap/capture.h>
#include <pfcap/error.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Options, named after the tcpdump flags (start with the size). */
struct pf_print_opts {
    size_t sz;          /* sizeof(struct pf_print_opts) */
    int numeric;        /* -n count: 1 no host names, 2 no port names */
    int ether;          /* -e: link-level header */
    int quiet;          /* -q */
    int ts_format;      /* 0 default, 1 -t (none), 2 -tt, 3 -ttt, 4 -tttt,
                           5 -ttttt */
    int nsec;           /* --time-stamp-precision=nano */
    int verbose;        /* -v count */
    int hex;            /* -x count (2: include the link header) */
    int hex_ascii;      /* -X count (2: include the link header) */
    int ascii;          /* -A */
    int abs_seq;        /* -S: absolute TCP sequence numbers */
    int number;         /* -#: packet number before each line */
};

/* Flags pf_print_packet reports about a packet. */
enum {
    /* a decoder reached a protocol the printer does not decode the way
       tcpdump does (tcpdump prints more than pfcap for it) */
    PF_PRINT_UNLISTED = 1u << 0,
    /* the output did not fit in the buffer and was cut */
    PF_PRINT_OVERFLOW = 1u << 1,
};

struct pf_print;

/*
 * Creates a printer for @opts (copied). Host name resolution (when
 * @opts->numeric is 0) is cached and bounded by a short timeout so it
 * never stalls the caller for long. Errors: -EINVAL for bad options,
 * -ENOMEM; @err says which.
 */
int pf_print_new(const struct pf_print_opts *opts, struct pf_print **out,
                 struct pf_error *err);

/* Frees @p (NULL is fine). */
void pf_print_free(struct pf_print *p);

/*
 * Bytes of output buffer that always suffice for a packet of @caplen
 * captured bytes with @p's options (the text is cut, never overrun, when
 * the buffer is smaller).
 */
size_t pf_print_bound(const struct pf_print *p, uint32_t caplen);

/*
 * Formats @pkt (its linktype picks the link-layer decoder) as tcpdump
 * would print it, newline included, into @buf (@cap bytes; not
 * NUL-terminated). *@len receives the number of bytes written and
 * *@flags (may be NULL) PF_PRINT_* flags. Malformed or truncated packets
 * are printed with tcpdump's "[|proto]" markers; no byte outside
 * @pkt->data[0..caplen) is ever read. Returns 0, or -EINVAL for NULL
 * arguments.
 */
int pf_print_packet(struct pf_print *p, const struct pf_packet *pkt,
                    char *buf, size_t cap, size_t *len, unsigned *flags);

#ifdef __cplusplus
}
#endif

#endif
