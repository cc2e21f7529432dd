/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The printer's public face: creation from options, the per-packet driver
 * (packet number, timestamp in the -t* formats, the link-layer decoder,
 * the -x/-X/-A dumps, the newline) and the output bound. Local time is
 * computed once a minute, not once a packet.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "print_impl.h"

int pf_print_new(const struct pf_print_opts *opts, struct pf_print **out,
                 struct pf_error *err)
{
    struct pf_print *p;

    if (!opts || !out || opts->sz < sizeof(*opts))
        return pf_error_set(err, -EINVAL, PF_STAGE_PRINT, 0,
                            "bad printer options");
    if (opts->ts_format < 0 || opts->ts_format > 5)
        return pf_error_set(err, -EINVAL, PF_STAGE_PRINT, 0,
                            "bad timestamp format %d", opts->ts_format);
    p = calloc(1, sizeof(*p));
    if (!p)
        return pf_error_set(err, -ENOMEM, PF_STAGE_PRINT, 0, "out of memory");
    p->o = *opts;
    p->tm_minute = INT64_MIN;
    p->tcp = calloc(PR_TCP_CONNS, sizeof(*p->tcp));
    p->tcp_size = PR_TCP_CONNS;
    if (!p->tcp || pr_names_new(&p->names, opts->numeric) < 0) {
        pf_print_free(p);
        return pf_error_set(err, -ENOMEM, PF_STAGE_PRINT, 0, "out of memory");
    }
    *out = p;
    return 0;
}

void pf_print_free(struct pf_print *p)
{
    if (!p)
        return;
    pr_names_free(p->names);
    free(p->tcp);
    free(p);
}

size_t pf_print_bound(const struct pf_print *p, uint32_t caplen)
{
    size_t b = 16384 + 4 * (size_t)caplen;

    if (p->o.hex || p->o.hex_ascii || p->o.ascii)
        b += ((size_t)caplen / 16 + 1) * 80;
    return b;
}

/* ".uuuuuu" or ".nnnnnnnnn" */
static void out_frac(struct pr_out *o, const struct pf_print *p,
                     uint32_t nsec)
{
    pr_out_char(o, '.');
    if (p->o.nsec)
        pr_out_uw(o, nsec, 9);
    else
        pr_out_uw(o, nsec / 1000, 6);
}

static void out_2d(struct pr_out *o, unsigned v)
{
    pr_out_char(o, (char)('0' + v / 10 % 10));
    pr_out_char(o, (char)('0' + v % 10));
}

/* "HH:MM:SS" of a duration (days dropped, as tcpdump's gmtime does). */
static void out_hms(struct pr_out *o, int64_t sec)
{
    sec %= 86400;
    if (sec < 0)
        sec += 86400;
    out_2d(o, (unsigned)(sec / 3600));
    pr_out_char(o, ':');
    out_2d(o, (unsigned)(sec / 60 % 60));
    pr_out_char(o, ':');
    out_2d(o, (unsigned)(sec % 60));
}

/* Local date and time of @sec; the minute is cached. */
static void out_local(struct pr_out *o, struct pf_print *p, int64_t sec,
                      int date)
{
    int64_t minute = sec >= 0 ? sec / 60 : (sec - 59) / 60;

    /* tcpdump 4.99 refuses times past 2038 (and before 1970) */
    if (sec < 0 || sec > INT32_MAX) {
        pr_out_str(o, "[Error converting time]");
        return;
    }
    if (minute != p->tm_minute) {
        time_t t = (time_t)(minute * 60);
        struct tm tm;

        if (!localtime_r(&t, &tm)) {
            pr_out_str(o, "[Error converting time]");
            return;
        }
        strftime(p->tm_text, sizeof(p->tm_text), "%Y-%m-%d %H:%M:", &tm);
        p->tm_minute = minute;
    }
    pr_out_str(o, date ? p->tm_text : p->tm_text + 11);
    out_2d(o, (unsigned)(sec - minute * 60));
}

/* -ttt / -ttttt: signed difference from a reference time. */
static void out_delta(struct pr_out *o, struct pf_print *p,
                      const struct pf_packet *pkt, int64_t rsec,
                      uint32_t rnsec)
{
    int64_t s = pkt->ts_sec - rsec;
    int64_t ns = (int64_t)pkt->ts_nsec - rnsec;

    /* without --nano tcpdump subtracts microsecond timestamps */
    if (!p->o.nsec)
        ns = ((int64_t)pkt->ts_nsec / 1000 - rnsec / 1000) * 1000;

    if (s < 0 || (s == 0 && ns < 0)) {
        s = -s;
        ns = -ns;
        pr_out_char(o, '-');
    } else {
        pr_out_char(o, ' ');
    }
    if (ns < 0) {
        ns += 1000000000;
        s--;
    }
    out_hms(o, s);
    out_frac(o, p, (uint32_t)ns);
}

static void out_timestamp(struct pr_out *o, struct pf_print *p,
                          const struct pf_packet *pkt)
{
    if (!p->have_first) {
        p->have_first = 1;
        p->first_sec = p->prev_sec = pkt->ts_sec;
        p->first_nsec = p->prev_nsec = pkt->ts_nsec;
    }
    switch (p->o.ts_format) {
    case 0:
    case 4:
        out_local(o, p, pkt->ts_sec, p->o.ts_format == 4);
        if (pkt->ts_sec >= 0 && pkt->ts_sec <= INT32_MAX)
            out_frac(o, p, pkt->ts_nsec);
        break;
    case 1:
        return;
    case 2:
        if (pkt->ts_sec < 0 || pkt->ts_sec > INT32_MAX) {
            pr_out_str(o, "[Error converting time]");
            break;
        }
        pr_out_u(o, (uint64_t)pkt->ts_sec);
        out_frac(o, p, pkt->ts_nsec);
        break;
    case 3:
        out_delta(o, p, pkt, p->prev_sec, p->prev_nsec);
        p->prev_sec = pkt->ts_sec;
        p->prev_nsec = pkt->ts_nsec;
        break;
    default:
        out_delta(o, p, pkt, p->first_sec, p->first_nsec);
        break;
    }
    pr_out_char(o, ' ');
}

/* The -x/-X/-A dump after the decoded line. */
static void out_dump(struct pr_ctx *c, const struct pf_packet *pkt,
                     unsigned hdrlen)
{
    const struct pf_print_opts *o = c->o;
    int whole = o->hex_ascii ? o->hex_ascii > 1
                : o->hex ? o->hex > 1 : o->ascii > 1;
    unsigned skip = whole ? 0 : hdrlen;

    if (skip >= pkt->caplen)
        return;
    if (o->hex_ascii)
        pr_out_hexdump(c->out, pkt->data + skip, pkt->caplen - skip, 1);
    else if (o->hex)
        pr_out_hexdump(c->out, pkt->data + skip, pkt->caplen - skip, 0);
    else if (o->ascii)
        pr_out_asciidump(c->out, pkt->data + skip, pkt->caplen - skip);
}

/* tcpdump's "[Invalid header: ...]" line for impossible record headers. */
static int invalid_header(struct pr_out *o, const struct pf_packet *pkt)
{
    int bad = 0;

    if (pkt->caplen == 0) {
        pr_out_str(o, "[Invalid header: caplen==0");
        bad = 1;
    }
    if (pkt->wirelen == 0 || pkt->wirelen < pkt->caplen) {
        pr_out_str(o, bad ? "," : "[Invalid header:");
        if (pkt->wirelen == 0)
            pr_out_str(o, " len==0");
        else
            pr_out_fmt(o, " len(%u) < caplen(%u)", pkt->wirelen, pkt->caplen);
        bad = 1;
    }
    if (pkt->caplen > 262144) {
        pr_out_str(o, bad ? "," : "[Invalid header:");
        pr_out_fmt(o, " caplen(%u) > %u", pkt->caplen, 262144);
        bad = 1;
    }
    if (pkt->wirelen > 262144) {
        pr_out_str(o, bad ? "," : "[Invalid header:");
        pr_out_fmt(o, " len(%u) > %u", pkt->wirelen, 262144);
        bad = 1;
    }
    if (bad)
        pr_out_str(o, "]\n");
    return bad;
}

int pf_print_packet(struct pf_print *p, const struct pf_packet *pkt,
                    char *buf, size_t cap, size_t *len, unsigned *flags)
{
    struct pr_out out = { buf, buf + cap, 0 };
    struct pr_ctx c = { 0 };
    unsigned hdrlen = 0;

    if (!p || !pkt || (!buf && cap) || !len)
        return -EINVAL;
    c.out = &out;
    c.p = p;
    c.o = &p->o;
    c.data = pkt->data;
    c.snapend = pkt->data + pkt->caplen;
    p->count++;
    if (invalid_header(&out, pkt)) {
        *len = (size_t)(out.p - buf);
        if (flags)
            *flags = 0;
        return 0;
    }
    if (p->o.number) {
        pr_out_fmt(&out, "%5llu  ", (unsigned long long)p->count);
    }
    out_timestamp(&out, p, pkt);
    if (pr_link(&c, pkt->linktype, pkt->data, pkt->wirelen, &hdrlen) ==
        PR_TRUNC)
        pr_trunc(&c);
    /* a longjmp out of a tcpdump printer leaves its link header length
       at 0, so -x then dumps the whole packet */
    if (c.trunc_jmp)
        hdrlen = 0;
    out_dump(&c, pkt, hdrlen);
    pr_out_char(&out, '\n');
    if (out.overflow)
        c.flags |= PF_PRINT_OVERFLOW;
    *len = (size_t)(out.p - buf);
    if (flags)
        *flags = c.flags;
    return 0;
}
