/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * print/'s private header: the output writer every decoder appends to, the
 * per-packet decoding context with its bounds ("snapend"), the printer's
 * state kept between packets, and the decoders' entry points. A decoder
 * returns 0 when it printed what it had to, or PR_TRUNC when the packet
 * ended before a field it needed; the caller that sees PR_TRUNC appends
 * tcpdump's " [|proto]" marker for the protocol being decoded (ctx->proto).
 */
#ifndef PF_PRINT_IMPL_H
#define PF_PRINT_IMPL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <pfcap/print.h>

#include "common/bytes.h"

#define PR_TRUNC (-1)

/* Bounded text writer: never writes past @end; remembers overflow. */
struct pr_out {
    char *p;
    char *end;
    int overflow;
};

/* TCP connection state for relative sequence numbers (tcpdump's tcp_seq_hash). */
struct pr_tcp_conn {
    uint8_t addr[2][16];   /* lower address first */
    uint16_t port[2];
    uint8_t v6;
    uint8_t used;
    uint32_t seq[2];       /* initial seq of the side sending from addr[i] */
    uint32_t ack[2];
};

#define PR_TCP_CONNS 4096

struct pr_names;

struct pf_print {
    struct pf_print_opts o;
    uint64_t count;            /* packets printed */
    int have_first;
    int64_t first_sec, prev_sec;
    uint32_t first_nsec, prev_nsec;
    int64_t tm_minute;         /* cached local time of this minute */
    char tm_text[32];          /* "YYYY-MM-DD HH:MM:" of tm_minute */
    struct pr_tcp_conn *tcp;   /* open-addressing table, tcp_size slots */
    size_t tcp_size;
    size_t tcp_used;
    struct pr_names *names;    /* NULL with -nn */
};

/* The decoding of one packet. */
struct pr_ctx {
    struct pr_out *out;
    struct pf_print *p;
    const struct pf_print_opts *o;
    const uint8_t *data;       /* the packet */
    const uint8_t *snapend;    /* first byte past the captured data */
    const char *proto;         /* tcpdump's ndo_protocol, for [|proto] */
    unsigned flags;            /* PF_PRINT_* */
    int depth;                 /* encapsulation depth, to stop loops */
    int trunc_jmp;             /* tcpdump ends this truncation with a
                                  longjmp: -x then dumps from byte 0 */
};

/* ---- out.c: text output ---- */
void pr_out_mem(struct pr_out *o, const char *s, size_t n);
void pr_out_str(struct pr_out *o, const char *s);
void pr_out_char(struct pr_out *o, char ch);
void pr_out_u(struct pr_out *o, uint64_t v);
void pr_out_uw(struct pr_out *o, uint64_t v, int width);
void pr_out_hex(struct pr_out *o, uint64_t v, int width);
void pr_out_fmt(struct pr_out *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void pr_out_ip4(struct pr_out *o, const uint8_t *a);
void pr_out_ip6(struct pr_out *o, const uint8_t *a);
void pr_out_mac(struct pr_out *o, const uint8_t *a);
void pr_out_linkaddr(struct pr_out *o, const uint8_t *a, unsigned len);
void pr_out_hexdump(struct pr_out *o, const uint8_t *bp, unsigned len,
                    int ascii);
void pr_out_asciidump(struct pr_out *o, const uint8_t *bp, unsigned len);

/* Bounds: 1 when [@bp, @bp + @n) lies within the captured data. */
static inline int pr_have(const struct pr_ctx *c, const uint8_t *bp, size_t n)
{
    return bp >= c->data && bp <= c->snapend &&
           (size_t)(c->snapend - bp) >= n;
}

/* Returns PR_TRUNC from the calling decoder when bytes are missing. */
#define PR_NEED(c, bp, n)                                                      \
    do {                                                                       \
        if (!pr_have((c), (const uint8_t *)(bp), (n)))                         \
            return PR_TRUNC;                                                   \
    } while (0)

/* Prints " [|proto]" for the current protocol. */
void pr_trunc(struct pr_ctx *c);

/* Marks the packet as reaching something pfcap does not decode fully. */
static inline void pr_unlisted(struct pr_ctx *c)
{
    c->flags |= PF_PRINT_UNLISTED;
}

/* Looks @v up in a {value, name} table ending with a NULL name. */
struct pr_tok {
    unsigned v;
    const char *s;
};
const char *pr_tok_find(const struct pr_tok *t, unsigned v);

/* Prints "name" or fmt with @v (tcpdump's tok2str). */
void pr_out_tok(struct pr_out *o, const struct pr_tok *t, const char *fmt,
                unsigned v);

/* Prints tcpdump's bittok2str_nosep-style flag list, @sep between names. */
void pr_out_bits(struct pr_out *o, const struct pr_tok *t, unsigned v,
                 const char *sep, const char *none);

/* ---- names.c: host and service names (without -n/-nn) ---- */
int pr_names_new(struct pr_names **out, int numeric);
void pr_names_free(struct pr_names *n);
void pr_out_host4(struct pr_ctx *c, const uint8_t *a);
void pr_out_host6(struct pr_ctx *c, const uint8_t *a);
void pr_out_port(struct pr_ctx *c, uint16_t port, int udp);

/* ---- link.c ---- */
int pr_link(struct pr_ctx *c, uint32_t linktype, const uint8_t *bp,
            unsigned len, unsigned *hdrlen);
int pr_ethertype(struct pr_ctx *c, uint16_t type, const uint8_t *bp,
                 unsigned len, int *done);
int pr_ether(struct pr_ctx *c, const uint8_t *bp, unsigned len,
             unsigned *hdrlen);
const char *pr_ethertype_name(uint16_t type);

/* ---- arp.c ---- */
int pr_arp(struct pr_ctx *c, const uint8_t *bp, unsigned len);

/* ---- ip.c ---- */
int pr_ip(struct pr_ctx *c, const uint8_t *bp, unsigned len);
int pr_ipproto(struct pr_ctx *c, unsigned proto, const uint8_t *bp,
               unsigned len, const uint8_t *iph, int fragmented);
const char *pr_ipproto_name(unsigned proto);
void pr_ip_addrs(struct pr_ctx *c, const uint8_t *iph);
uint16_t pr_cksum(const uint8_t *bp, size_t len, uint32_t sum);
uint32_t pr_cksum_pseudo(const uint8_t *iph, unsigned proto, unsigned len,
                         const uint8_t *end);
int pr_igmp(struct pr_ctx *c, const uint8_t *bp, unsigned len);
int pr_gre(struct pr_ctx *c, const uint8_t *bp, unsigned len);
int pr_esp(struct pr_ctx *c, const uint8_t *bp, unsigned len);
int pr_ah(struct pr_ctx *c, const uint8_t *bp, unsigned len,
          unsigned *hdrlen, unsigned *next);

/* ---- ip6.c ---- */
int pr_ip6(struct pr_ctx *c, const uint8_t *bp, unsigned len);
int pr_icmp6(struct pr_ctx *c, const uint8_t *bp, unsigned len,
             const uint8_t *iph);

/* ---- tcp.c / udp.c / icmp.c / sctp.c ---- */
int pr_tcp(struct pr_ctx *c, const uint8_t *bp, unsigned len,
           const uint8_t *iph, int fragmented);
int pr_udp(struct pr_ctx *c, const uint8_t *bp, unsigned len,
           const uint8_t *iph, int fragmented);
int pr_icmp(struct pr_ctx *c, const uint8_t *bp, unsigned len,
            const uint8_t *iph, int fragmented);
int pr_sctp(struct pr_ctx *c, const uint8_t *bp, unsigned len,
            const uint8_t *iph);

/* ---- dns.c / apps.c ---- */
int pr_dns(struct pr_ctx *c, const uint8_t *bp, unsigned len, int mdns);
int pr_ntp(struct pr_ctx *c, const uint8_t *bp, unsigned len);
int pr_bootp(struct pr_ctx *c, const uint8_t *bp, unsigned len);
int pr_vxlan(struct pr_ctx *c, const uint8_t *bp, unsigned len);
int pr_geneve(struct pr_ctx *c, const uint8_t *bp, unsigned len);

#endif
