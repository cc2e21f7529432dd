/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * TCP: ports, flags, sequence ranges (relative to the conversation's
 * initial numbers, as tcpdump computes them, unless -S), ack, window,
 * urgent pointer, options and length; checksum under -v. Payloads that
 * tcpdump decodes further (HTTP, BGP, DNS over TCP, ...) mark the packet
 * unlisted. The conversation table grows by rehashing when a new
 * conversation appears, never per packet.
 */
#include <stdlib.h>
#include <string.h>

#include "print_impl.h"

static const struct pr_tok tcp_opts[] = {
    { 0, "eol" }, { 1, "nop" }, { 2, "mss" }, { 3, "wscale" },
    { 4, "sackOK" }, { 5, "sack" }, { 6, "echo" }, { 7, "echoreply" },
    { 8, "TS" }, { 11, "cc" }, { 12, "ccnew" }, { 13, "" },
    { 19, "md5" }, { 20, "scps" }, { 28, "uto" }, { 29, "tcp-ao" },
    { 30, "mptcp" }, { 34, "tfo" }, { 254, "exp" }, { 0, NULL },
};

/* Ports whose payload tcpdump hands to another printer. */
static const uint16_t app_ports[] = {
    21, 22, 23, 25, 43, 53, 80, 110, 139, 143, 179, 323, 445, 554, 631,
    639, 646, 1723, 2049, 5060, 6379, 6633, 6653, 8080, 8554, 10288,
};

/* ---- conversation table (tcpdump's tcp_seq_hash) ---- */

struct seq_key {
    uint8_t addr[2][16];
    uint32_t ports;
    uint8_t v6;
};

static uint32_t key_hash(const struct seq_key *k)
{
    uint32_t h = 2166136261u;
    const uint8_t *b = (const uint8_t *)k;

    for (size_t i = 0; i < sizeof(*k); i++)
        h = (h ^ b[i]) * 16777619u;
    return h;
}

static int conn_match(const struct pr_tcp_conn *e, const struct seq_key *k)
{
    return e->used && e->v6 == k->v6 && !memcmp(e->addr, k->addr, 32) &&
           e->port[0] == (k->ports >> 16) && e->port[1] == (k->ports & 0xffff);
}

static struct pr_tcp_conn *conn_slot(struct pr_tcp_conn *t, size_t n,
                                     const struct seq_key *k)
{
    size_t i = key_hash(k) & (n - 1);

    while (t[i].used && !conn_match(&t[i], k))
        i = (i + 1) & (n - 1);
    return &t[i];
}

/* Doubles the table; on allocation failure the old one stays. */
static void conn_grow(struct pf_print *p)
{
    size_t n = p->tcp_size * 2;
    struct pr_tcp_conn *t = calloc(n, sizeof(*t));

    if (!t)
        return;
    for (size_t i = 0; i < p->tcp_size; i++) {
        struct pr_tcp_conn *e = &p->tcp[i];
        struct seq_key k;

        if (!e->used)
            continue;
        memset(&k, 0, sizeof(k));
        memcpy(k.addr, e->addr, 32);
        k.ports = (uint32_t)e->port[0] << 16 | e->port[1];
        k.v6 = e->v6;
        *conn_slot(t, n, &k) = *e;
    }
    free(p->tcp);
    p->tcp = t;
    p->tcp_size = n;
}

struct seq_state {
    uint32_t seq, ack;      /* printed values */
    uint32_t thseq, thack;  /* the conversation's bases */
    int rev;
};

static void seq_track(struct pr_ctx *c, const uint8_t *iph, uint16_t sport,
                      uint16_t dport, unsigned flags, struct seq_state *s)
{
    struct pf_print *p = c->p;
    int v6 = (iph[0] >> 4) == 6;
    unsigned alen = v6 ? 16 : 4;
    const uint8_t *src = iph + (v6 ? 8 : 12), *dst = src + alen;
    struct seq_key k;
    struct pr_tcp_conn *e;
    int cmp = memcmp(src, dst, alen);

    memset(&k, 0, sizeof(k));
    k.v6 = (uint8_t)v6;
    s->rev = cmp > 0 || (cmp == 0 && sport > dport);
    memcpy(k.addr[0], s->rev ? dst : src, alen);
    memcpy(k.addr[1], s->rev ? src : dst, alen);
    k.ports = s->rev ? (uint32_t)dport << 16 | sport
                     : (uint32_t)sport << 16 | dport;
    if (p->tcp_used * 4 >= p->tcp_size * 3)
        conn_grow(p);
    e = conn_slot(p->tcp, p->tcp_size, &k);
    if (!e->used || (flags & 0x02)) {
        if (!e->used) {
            p->tcp_used++;
            e->used = 1;
            memcpy(e->addr, k.addr, 32);
            e->port[0] = (uint16_t)(k.ports >> 16);
            e->port[1] = (uint16_t)k.ports;
            e->v6 = (uint8_t)v6;
        }
        e->seq[0] = s->rev ? s->ack - 1 : s->seq;
        e->ack[0] = s->rev ? s->seq : s->ack - 1;
    } else if (s->rev) {
        s->seq -= e->ack[0];
        s->ack -= e->seq[0];
    } else {
        s->seq -= e->seq[0];
        s->ack -= e->ack[0];
    }
    s->thseq = e->seq[0];
    s->thack = e->ack[0];
}

/* ---- options ---- */

/* SACK blocks relative to the conversation; -1 when the capture ends
 * inside them (each block is checked as tcpdump checks it). */
static int opt_sack(struct pr_ctx *c, const uint8_t *cp, unsigned n,
                    const struct seq_state *s)
{
    if (n % 8) {
        pr_out_str(c->out, " invalid sack");
        return 0;
    }
    pr_out_fmt(c->out, " %u ", n / 8);
    for (unsigned i = 0; i < n; i += 8) {
        uint32_t base = s->rev ? s->thseq : s->thack;

        if (!pr_have(c, cp + i, 8))
            return -1;
        pr_out_fmt(c->out, "{%u:%u}", pf_get_be32(cp + i) - base,
                   pf_get_be32(cp + i + 4) - base);
    }
    return 0;
}

/* Prints one option's data; returns its length, or -1 for [bad opt]. */
static int opt_data(struct pr_ctx *c, unsigned opt, unsigned len,
                    const uint8_t *cp, unsigned hlen,
                    const struct seq_state *s)
{
    unsigned n;

    switch (opt) {
    case 2:
        n = 2;
        break;
    case 3:
        n = 1;
        break;
    case 11: case 12: case 13:
        n = 4;
        break;
    case 8:
        n = 8;
        break;
    case 0: case 1: case 4:
        return 0;
    case 5:
        n = len - 2;
        break;
    case 19: case 20: case 28: case 29: case 30: case 34: case 254:
        pr_unlisted(c);
        n = len - 2;
        break;
    default:
        n = len - 2;
        break;
    }
    if (n > hlen)
        return -1;
    if (opt == 5)
        return opt_sack(c, cp, n, s) < 0 ? -2 : (int)n;
    if (opt != 2 && opt != 3 && opt != 8 && opt != 11 && opt != 12 &&
        opt != 13) {
        if (n)
            pr_out_str(c->out, " 0x");
        for (unsigned i = 0; i < n; i++) {
            if (!pr_have(c, cp + i, 1))
                return -2;
            pr_out_fmt(c->out, "%02x", cp[i]);
        }
        return (int)n;
    }
    if (!pr_have(c, cp, n))
        return -2;
    switch (opt) {
    case 2:
        pr_out_fmt(c->out, " %u", pf_get_be16(cp));
        break;
    case 3:
        pr_out_fmt(c->out, " %u", cp[0]);
        break;
    case 11: case 12: case 13:
        pr_out_fmt(c->out, " %u", pf_get_be32(cp));
        break;
    case 8:
        pr_out_fmt(c->out, " val %u ecr %u", pf_get_be32(cp),
                   pf_get_be32(cp + 4));
        break;
    default:
        if (n)
            pr_out_str(c->out, " 0x");
        for (unsigned i = 0; i < n; i++)
            pr_out_fmt(c->out, "%02x", cp[i]);
    }
    return (int)n;
}

static int tcp_options(struct pr_ctx *c, const uint8_t *cp, unsigned hlen,
                       const struct seq_state *s)
{
    char ch = 0;

    pr_out_str(c->out, ", options [");
    while (hlen > 0) {
        unsigned opt, len = 1;
        int n;

        if (ch)
            pr_out_char(c->out, ch);
        if (!pr_have(c, cp, 1))
            goto trunc_jmp;
        opt = *cp++;
        if (opt > 1) {
            if (!pr_have(c, cp, 1))
                goto trunc_jmp;
            len = *cp++;
            if (len < 2 || len > hlen)
                goto bad;
            hlen--;
        }
        hlen--;
        pr_out_tok(c->out, tcp_opts, "unknown-%u", opt);
        n = opt_data(c, opt, len, cp, hlen, s);
        if (n == -1)
            goto bad;
        if (n == -2)
            goto trunc;
        cp += n;
        hlen -= (unsigned)n;
        if ((unsigned)n + 1 + (opt > 1) != len)
            pr_out_fmt(c->out, "[len %u]", len);
        ch = ',';
        if (opt == 0)
            break;
    }
    pr_out_char(c->out, ']');
    return 0;
bad:
    pr_out_str(c->out, "[bad opt]");
    if (ch)
        pr_out_char(c->out, ']');
    return 1;
trunc:
    /* cut inside an option's data: tcpdump closes with '>' */
    pr_trunc(c);
    if (ch)
        pr_out_char(c->out, '>');
    return 1;
trunc_jmp:
    /* cut at an option's kind or length byte: tcpdump longjmps */
    c->trunc_jmp = 1;
    pr_trunc(c);
    return 1;
}

/* ---- header ---- */

static void tcp_addrs(struct pr_ctx *c, const uint8_t *iph, uint16_t sport,
                      uint16_t dport)
{
    int v6 = (iph[0] >> 4) == 6;
    int direct = v6 ? iph[6] == 6 : iph[9] == 6;

    if (direct) {
        if (v6)
            pr_out_host6(c, iph + 8);
        else
            pr_out_host4(c, iph + 12);
        pr_out_char(c->out, '.');
    }
    pr_out_port(c, sport, 0);
    pr_out_str(c->out, " > ");
    if (direct) {
        if (v6)
            pr_out_host6(c, iph + 24);
        else
            pr_out_host4(c, iph + 16);
        pr_out_char(c->out, '.');
    }
    pr_out_port(c, dport, 0);
    pr_out_str(c->out, ": ");
}

static void tcp_cksum(struct pr_ctx *c, const uint8_t *tp, unsigned length,
                      const uint8_t *iph)
{
    uint16_t sum, th_sum = pf_get_be16(tp + 16);

    if (!pr_have(c, tp, length))
        return;
    sum = pr_cksum(tp, length, pr_cksum_pseudo(iph, 6, length, tp));
    pr_out_fmt(c->out, ", cksum 0x%04x", th_sum);
    if (sum) {
        uint32_t x = (uint16_t)~th_sum + (uint16_t)~sum;

        x = (x & 0xffff) + (x >> 16);
        x = (x & 0xffff) + (x >> 16);
        pr_out_fmt(c->out, " (incorrect -> 0x%04x)", (uint16_t)~x);
    } else {
        pr_out_str(c->out, " (correct)");
    }
}

static void tcp_payload(struct pr_ctx *c, uint16_t sport, uint16_t dport,
                        unsigned flags)
{
    if ((flags & 0x04) && c->o->verbose) {
        pr_unlisted(c);
        return;
    }
    for (size_t i = 0; i < sizeof(app_ports) / sizeof(app_ports[0]); i++)
        if (sport == app_ports[i] || dport == app_ports[i]) {
            pr_unlisted(c);
            return;
        }
}

static void tcp_flags(struct pr_ctx *c, unsigned flags)
{
    static const struct pr_tok names[] = {
        { 0x01, "F" }, { 0x02, "S" }, { 0x04, "R" }, { 0x08, "P" },
        { 0x10, "." }, { 0x20, "U" }, { 0x40, "E" }, { 0x80, "W" },
        { 0, NULL },
    };

    pr_out_str(c->out, "Flags [");
    pr_out_bits(c->out, names, flags, "", "none");
    pr_out_char(c->out, ']');
}

/* ", seq a:b, ack n, win w, urg u" as tcpdump decides to show them. */
static void tcp_numbers(struct pr_ctx *c, const uint8_t *tp, unsigned flags,
                        unsigned paylen, const struct seq_state *s)
{
    if (c->o->verbose > 1 || paylen > 0 || (flags & 0x07)) {
        pr_out_fmt(c->out, ", seq %u", s->seq);
        if (paylen > 0)
            pr_out_fmt(c->out, ":%u", s->seq + paylen);
    }
    if (flags & 0x10)
        pr_out_fmt(c->out, ", ack %u", s->ack);
    pr_out_fmt(c->out, ", win %u", pf_get_be16(tp + 14));
    if (flags & 0x20)
        pr_out_fmt(c->out, ", urg %u", pf_get_be16(tp + 18));
}

/* Quiet (-q) form: "tcp N". */
static int tcp_quiet(struct pr_ctx *c, unsigned hlen, unsigned length)
{
    pr_out_fmt(c->out, "tcp %u", length - hlen);
    if (hlen > length)
        pr_out_fmt(c->out, " [bad hdr length %u - too long, > %u]", hlen,
                   length);
    return 0;
}

int pr_tcp(struct pr_ctx *c, const uint8_t *tp, unsigned length,
           const uint8_t *iph, int frag)
{
    struct seq_state s = { 0 };
    uint16_t sport, dport;
    unsigned hlen, flags;

    c->proto = "tcp";
    if (!pr_have(c, tp, 4)) {
        pr_ip_addrs(c, iph);
        pr_out_char(c->out, ':');
        return PR_TRUNC;
    }
    sport = pf_get_be16(tp);
    dport = pf_get_be16(tp + 2);
    tcp_addrs(c, iph, sport, dport);
    PR_NEED(c, tp, 20);
    hlen = (tp[12] >> 4) * 4u;
    if (hlen < 20) {
        pr_out_fmt(c->out, " tcp %u [bad hdr length %u - too short, < 20]",
                   length - hlen, hlen);
        return 0;
    }
    if (c->o->quiet)
        return tcp_quiet(c, hlen, length);
    s.seq = pf_get_be32(tp + 4);
    s.ack = pf_get_be32(tp + 8);
    flags = tp[13];
    tcp_flags(c, flags);
    if (!c->o->abs_seq && (flags & 0x10))
        seq_track(c, iph, sport, dport, flags, &s);
    if (hlen > length) {
        pr_out_fmt(c->out, " [bad hdr length %u - too long, > %u]", hlen,
                   length);
        return 0;
    }
    if (c->o->verbose && !frag)
        tcp_cksum(c, tp, length, iph);
    tcp_numbers(c, tp, flags, length - hlen, &s);
    if (hlen > 20 && tcp_options(c, tp + 20, hlen - 20, &s))
        return 0;
    pr_out_fmt(c->out, ", length %u", length - hlen);
    if (length > hlen)
        tcp_payload(c, sport, dport, flags);
    return 0;
}
