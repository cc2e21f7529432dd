/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The bounded text writer the decoders append to: strings, decimal and hex
 * numbers, IPv4/IPv6/MAC addresses, token tables and tcpdump's hex and
 * ASCII dumps (-x, -X, -A). Everything is written by hand, without stdio,
 * because this runs for every packet; pr_out_fmt is the slow path for
 * rare messages.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "print_impl.h"

static const char hexdigits[] = "0123456789abcdef";

void pr_out_mem(struct pr_out *o, const char *s, size_t n)
{
    size_t room = (size_t)(o->end - o->p);

    if (n > room) {
        n = room;
        o->overflow = 1;
    }
    memcpy(o->p, s, n);
    o->p += n;
}

void pr_out_str(struct pr_out *o, const char *s)
{
    pr_out_mem(o, s, strlen(s));
}

void pr_out_char(struct pr_out *o, char ch)
{
    if (o->p < o->end)
        *o->p++ = ch;
    else
        o->overflow = 1;
}

void pr_out_u(struct pr_out *o, uint64_t v)
{
    pr_out_uw(o, v, 0);
}

/* Decimal, zero-padded to @width digits. */
void pr_out_uw(struct pr_out *o, uint64_t v, int width)
{
    char tmp[24];
    int i = sizeof(tmp);

    do {
        tmp[--i] = (char)('0' + v % 10);
        v /= 10;
        width--;
    } while (v || width > 0);
    pr_out_mem(o, tmp + i, sizeof(tmp) - (size_t)i);
}

/* Lower-case hex, zero-padded to @width digits (no "0x"). */
void pr_out_hex(struct pr_out *o, uint64_t v, int width)
{
    char tmp[20];
    int i = sizeof(tmp);

    do {
        tmp[--i] = hexdigits[v & 15];
        v >>= 4;
        width--;
    } while (v || width > 0);
    pr_out_mem(o, tmp + i, sizeof(tmp) - (size_t)i);
}

void pr_out_fmt(struct pr_out *o, const char *fmt, ...)
{
    char tmp[512];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    pr_out_mem(o, tmp, (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

void pr_out_ip4(struct pr_out *o, const uint8_t *a)
{
    for (int i = 0; i < 4; i++) {
        if (i)
            pr_out_char(o, '.');
        pr_out_u(o, a[i]);
    }
}

/* RFC 5952 text, as inet_ntop prints it (tcpdump uses its own copy of
 * the same algorithm: longest run of two or more zero groups becomes
 * "::", IPv4-mapped and -compatible forms keep the dotted quad). */
void pr_out_ip6(struct pr_out *o, const uint8_t *a)
{
    char tmp[64];

    if (!inet_ntop(AF_INET6, a, tmp, sizeof(tmp)))
        pr_out_str(o, "?");
    else
        pr_out_str(o, tmp);
}

void pr_out_mac(struct pr_out *o, const uint8_t *a)
{
    char tmp[17];

    for (int i = 0; i < 6; i++) {
        tmp[i * 3] = hexdigits[a[i] >> 4];
        tmp[i * 3 + 1] = hexdigits[a[i] & 15];
        if (i < 5)
            tmp[i * 3 + 2] = ':';
    }
    pr_out_mem(o, tmp, sizeof(tmp));
}

/* Any-length link address: hex bytes joined by ':' (tcpdump's
 * linkaddr_string for non-Ethernet lengths). */
void pr_out_linkaddr(struct pr_out *o, const uint8_t *a, unsigned len)
{
    for (unsigned i = 0; i < len; i++) {
        if (i)
            pr_out_char(o, ':');
        pr_out_char(o, hexdigits[a[i] >> 4]);
        pr_out_char(o, hexdigits[a[i] & 15]);
    }
}

static int isgraph_ascii(uint8_t ch)
{
    return ch > 0x20 && ch < 0x7f;
}

static void hexdump_line(struct pr_out *o, unsigned off, const uint8_t *bp,
                         unsigned n, int ascii)
{
    char hex[48];
    size_t h = 0;

    pr_out_str(o, "\n\t0x");
    pr_out_hex(o, off, 4);
    pr_out_str(o, ": ");
    for (unsigned i = 0; i < n; i++) {
        if (!(i & 1))
            hex[h++] = ' ';
        hex[h++] = hexdigits[bp[i] >> 4];
        hex[h++] = hexdigits[bp[i] & 15];
    }
    if (!ascii) {
        pr_out_mem(o, hex, h);
        return;
    }
    while (h < 40)
        hex[h++] = ' ';
    pr_out_mem(o, hex, h);
    pr_out_str(o, "  ");
    for (unsigned i = 0; i < n; i++)
        pr_out_char(o, isgraph_ascii(bp[i]) ? (char)bp[i] : '.');
}

/* tcpdump -x (@ascii 0) and -X (@ascii 1) dump: 16 bytes a line. */
void pr_out_hexdump(struct pr_out *o, const uint8_t *bp, unsigned len,
                    int ascii)
{
    for (unsigned off = 0; off < len; off += 16) {
        unsigned n = len - off < 16 ? len - off : 16;

        hexdump_line(o, off, bp + off, n, ascii);
    }
}

/* tcpdump -A: printable bytes as they are, others as '.', CR before LF
 * dropped. */
void pr_out_asciidump(struct pr_out *o, const uint8_t *bp, unsigned len)
{
    pr_out_char(o, '\n');
    for (unsigned i = 0; i < len; i++) {
        uint8_t ch = bp[i];

        if (ch == '\r') {
            if (i + 1 == len || bp[i + 1] != '\n')
                pr_out_char(o, '.');
        } else if (!isgraph_ascii(ch) && ch != '\t' && ch != ' ' &&
                   ch != '\n') {
            pr_out_char(o, '.');
        } else {
            pr_out_char(o, (char)ch);
        }
    }
}

void pr_trunc(struct pr_ctx *c)
{
    pr_out_str(c->out, " [|");
    pr_out_str(c->out, c->proto ? c->proto : "?");
    pr_out_char(c->out, ']');
}

const char *pr_tok_find(const struct pr_tok *t, unsigned v)
{
    for (; t->s; t++)
        if (t->v == v)
            return t->s;
    return NULL;
}

void pr_out_tok(struct pr_out *o, const struct pr_tok *t, const char *fmt,
                unsigned v)
{
    const char *s = pr_tok_find(t, v);

    if (s)
        pr_out_str(o, s);
    else
        pr_out_fmt(o, fmt, v);
}

void pr_out_bits(struct pr_out *o, const struct pr_tok *t, unsigned v,
                 const char *sep, const char *none)
{
    int any = 0;

    for (; t->s; t++) {
        if ((v & t->v) != t->v || !t->v)
            continue;
        if (any)
            pr_out_str(o, sep);
        pr_out_str(o, t->s);
        any = 1;
    }
    if (!any)
        pr_out_str(o, none);
}
