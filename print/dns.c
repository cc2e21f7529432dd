/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DNS (and mDNS) in tcpdump's one-line summary: "id+ A? name. (len)" for
 * queries, "id q/a/n/r answers (len)" for responses, names decompressed
 * with pointers that must move backwards (no loops), extended rcode from
 * an OPT record. -vv detail is left to tcpdump (marks unlisted).
 */
#include "print_impl.h"

static const struct pr_tok rr_types[] = {
    { 1, "A" }, { 2, "NS" }, { 3, "MD" }, { 4, "MF" }, { 5, "CNAME" },
    { 6, "SOA" }, { 7, "MB" }, { 8, "MG" }, { 9, "MR" }, { 10, "NULL" },
    { 11, "WKS" }, { 12, "PTR" }, { 13, "HINFO" }, { 14, "MINFO" },
    { 15, "MX" }, { 16, "TXT" }, { 17, "RP" }, { 18, "AFSDB" },
    { 19, "X25" }, { 20, "ISDN" }, { 21, "RT" }, { 22, "NSAP" },
    { 23, "NSAP_PTR" }, { 24, "SIG" }, { 25, "KEY" }, { 26, "PX" },
    { 27, "GPOS" }, { 28, "AAAA" }, { 29, "LOC" }, { 30, "NXT" },
    { 31, "EID" }, { 32, "NIMLOC" }, { 33, "SRV" }, { 34, "ATMA" },
    { 35, "NAPTR" }, { 36, "KX" }, { 37, "CERT" }, { 38, "A6" },
    { 39, "DNAME" }, { 40, "SINK" }, { 41, "OPT" }, { 42, "APL" },
    { 43, "DS" }, { 44, "SSHFP" }, { 45, "IPSECKEY" }, { 46, "RRSIG" },
    { 47, "NSEC" }, { 48, "DNSKEY" }, { 99, "SPF" }, { 100, "UINFO" },
    { 101, "UID" }, { 102, "GID" }, { 103, "UNSPEC" }, { 249, "TKEY" },
    { 250, "TSIG" }, { 251, "IXFR" }, { 252, "AXFR" }, { 253, "MAILB" },
    { 254, "MAILA" }, { 255, "ANY" }, { 256, "URI" }, { 0, NULL },
};

static const struct pr_tok rr_classes[] = {
    { 1, "IN" }, { 3, "CHAOS" }, { 4, "HS" }, { 255, "ANY" }, { 0, NULL },
};

static const char *const ops[] = {
    "", " inv_q", " stat", " op3", " notify", " update", " op6", " op7",
    " op8", " updateA", " updateD", " updateDA", " updateM", " updateMA",
    " zoneInit", " zoneRef",
};

static const char *const rcodes[] = {
    "", " FormErr", " ServFail", " NXDomain", " NotImp", " Refused",
    " YXDomain", " YXRRSet", " NXRRSet", " NotAuth", " NotZone", " Resp11",
    " Resp12", " Resp13", " Resp14", " NoChange", " BadVers", " BadKey",
    " BadTime", " BadMode", " BadName", " BadAlg", " BadTruncation",
    " BadCookie",
};

struct dns {
    struct pr_ctx *c;
    const uint8_t *bp;   /* start of the DNS message */
    int mdns;
};

/* Printable form of label bytes (tcpdump's nd_printn); 1 if cut. */
static int print_n(struct pr_ctx *c, const uint8_t *cp, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        uint8_t ch;

        if (!pr_have(c, cp + i, 1))
            return 1;
        ch = cp[i];
        if (ch & 0x80) {
            ch &= 0x7f;
            pr_out_str(c->out, "M-");
        }
        if (ch < 0x20 || ch == 0x7f) {
            ch ^= 0x40;
            pr_out_char(c->out, '^');
        }
        pr_out_char(c->out, (char)ch);
    }
    return 0;
}

/* Skips a name; NULL when it runs off the packet or is unsupported. */
static const uint8_t *name_skip(const struct dns *d, const uint8_t *cp)
{
    unsigned i;

    if (!pr_have(d->c, cp, 1))
        return NULL;
    i = *cp++;
    while (i) {
        if ((i & 0xc0) == 0xc0)
            return cp + 1;
        if (i & 0xc0)
            return NULL; /* extended (0x40) and reserved (0x80) labels */
        cp += i;
        if (!pr_have(d->c, cp, 1))
            return NULL;
        i = *cp++;
    }
    return cp;
}

/* Prints a name; returns the byte after it in place, or NULL. */
static const uint8_t *name_print(const struct dns *d, const uint8_t *cp)
{
    struct pr_ctx *c = d->c;
    const uint8_t *rp = NULL;
    unsigned i, max_off = (unsigned)(cp - d->bp);
    int compress = 0;

    if (!pr_have(c, cp, 1))
        return NULL;
    i = *cp++;
    if ((i & 0xc0) != 0xc0)
        rp = cp + i;
    if (!i) {
        pr_out_char(c->out, '.');
        return rp;
    }
    while (i && cp < c->snapend) {
        if ((i & 0xc0) == 0xc0) {
            unsigned off;

            if (!compress) {
                rp = cp + 1;
                compress = 1;
            }
            if (!pr_have(c, cp, 1))
                return NULL;
            off = ((i << 8) | cp[0]) & 0x3fff;
            if (off >= max_off) {
                pr_out_str(c->out, "<BAD PTR>");
                return NULL;
            }
            max_off = off;
            cp = d->bp + off;
            if (!pr_have(c, cp, 1))
                return NULL;
            i = *cp++;
            continue;
        }
        if ((i & 0xc0) == 0x40) {
            pr_unlisted(c);
            pr_out_fmt(c->out, "<ELT %d>", i & 0x3f);
            return NULL;
        }
        if (print_n(c, cp, i))
            return NULL;
        cp += i;
        pr_out_char(c->out, '.');
        if (!pr_have(c, cp, 1))
            return NULL;
        i = *cp++;
        if (!compress)
            rp += i + 1;
    }
    return rp;
}

static void out_class(const struct dns *d, unsigned cls)
{
    pr_out_char(d->c->out, ' ');
    pr_out_tok(d->c->out, rr_classes, "(Class %u)", cls);
}

static const uint8_t *question(const struct dns *d, const uint8_t *cp)
{
    const uint8_t *np = cp;
    unsigned type, cls;

    cp = name_skip(d, cp);
    if (!cp || !pr_have(d->c, cp, 4))
        return NULL;
    type = pf_get_be16(cp);
    cls = pf_get_be16(cp + 2);
    pr_out_char(d->c->out, ' ');
    pr_out_tok(d->c->out, rr_types, "Type%u", type);
    if ((d->mdns ? cls & 0x7fff : cls) != 1)
        out_class(d, d->mdns ? cls & 0x7fff : cls);
    if (d->mdns)
        pr_out_str(d->c->out, cls & 0x8000 ? " (QU)" : " (QM)");
    pr_out_str(d->c->out, "? ");
    return name_print(d, np) ? cp + 4 : NULL;
}

static int rdata(const struct dns *d, unsigned type, const uint8_t *cp,
                 const uint8_t *rp, unsigned cls, unsigned flags)
{
    struct pr_ctx *c = d->c;

    switch (type) {
    case 1:
        if (!pr_have(c, cp, 4))
            return -1;
        pr_out_char(c->out, ' ');
        pr_out_ip4(c->out, cp);
        return 0;
    case 28:
        if (!pr_have(c, cp, 16))
            return -1;
        pr_out_char(c->out, ' ');
        pr_out_ip6(c->out, cp);
        return 0;
    case 2: case 5: case 12: case 39:
        pr_out_char(c->out, ' ');
        return name_print(d, cp) ? 0 : -1;
    case 15:
        pr_out_char(c->out, ' ');
        if (!name_print(d, cp + 2) || !pr_have(c, cp, 2))
            return -1;
        pr_out_fmt(c->out, " %u", pf_get_be16(cp));
        return 0;
    case 33:
        pr_out_char(c->out, ' ');
        if (!name_print(d, cp + 6) || !pr_have(c, cp, 6))
            return -1;
        pr_out_fmt(c->out, ":%u %u %u", pf_get_be16(cp + 4),
                   pf_get_be16(cp), pf_get_be16(cp + 2));
        return 0;
    case 16:
        while (cp < rp) {
            pr_out_str(c->out, " \"");
            if (!pr_have(c, cp, 1) || print_n(c, cp + 1, cp[0]))
                return -1;
            cp += 1 + cp[0];
            pr_out_char(c->out, '"');
        }
        return 0;
    case 41:
        pr_out_fmt(c->out, " UDPsize=%u", cls);
        if (flags & 0x8000)
            pr_out_str(c->out, " DO");
        if (cp < rp)
            pr_unlisted(c);
        return 0;
    case 6:
        if (c->o->verbose)
            pr_unlisted(c);
        return 0;
    case 256:
        if (!pr_have(c, cp, 4))
            return -1;
        pr_out_fmt(c->out, " %u %u ", pf_get_be16(cp), pf_get_be16(cp + 2));
        return print_n(c, cp + 4, (unsigned)(rp - cp) - 4) ? -1 : 0;
    case 38: case 103: case 250:
        pr_unlisted(c);
        return 0;
    }
    return 0;
}

/* One resource record; returns the next, snapend when cut after the
 * name, or NULL. */
static const uint8_t *record(const struct dns *d, const uint8_t *cp)
{
    struct pr_ctx *c = d->c;
    unsigned type, cls, raw, flags = 0, len;
    const uint8_t *rp;

    if (c->o->verbose) {
        pr_out_char(c->out, ' ');
        cp = name_print(d, cp);
        if (!cp)
            return NULL;
    } else {
        cp = name_skip(d, cp);
    }
    if (!cp || !pr_have(c, cp, 10))
        return c->snapend;
    type = pf_get_be16(cp);
    raw = pf_get_be16(cp + 2);
    cls = d->mdns ? raw & 0x7fff : raw;
    if (cls != 1 && type != 41)
        out_class(d, cls);
    if (d->mdns && (raw & 0x8000))
        pr_out_str(c->out, " (Cache flush)");
    if (type == 41)
        flags = pf_get_be16(cp + 6);
    else if (c->o->verbose > 2)
        pr_unlisted(c);
    len = pf_get_be16(cp + 8);
    cp += 10;
    rp = cp + len;
    pr_out_char(c->out, ' ');
    pr_out_tok(c->out, rr_types, "Type%u", type);
    if (rp > c->snapend)
        return NULL;
    if (rdata(d, type, cp, rp, cls, flags) < 0)
        return NULL;
    return rp;
}

/* Extended rcode bits from an OPT record in the additional section. */
static unsigned ext_rcode(const struct dns *d, unsigned qd, unsigned an_ns,
                          unsigned ar)
{
    const uint8_t *cp = d->bp + 12;

    for (unsigned i = 0; i < qd; i++) {
        if (!(cp = name_skip(d, cp)))
            return 0;
        cp += 4;
        if (cp >= d->c->snapend)
            return 0;
    }
    for (unsigned i = 0; i < an_ns + ar; i++) {
        if (!(cp = name_skip(d, cp)) || !pr_have(d->c, cp, 10))
            return 0;
        if (i >= an_ns && pf_get_be16(cp) == 41)
            return (unsigned)cp[4] << 4;
        cp += 10 + pf_get_be16(cp + 8);
    }
    return 0;
}

static int response(const struct dns *d, unsigned flags, unsigned qd,
                    unsigned an, unsigned ns, unsigned ar)
{
    struct pr_ctx *c = d->c;
    const uint8_t *cp = d->bp + 12;
    unsigned rc = (flags & 15) | ext_rcode(d, qd, an + ns, ar);

    pr_out_fmt(c->out, "%u%s", pf_get_be16(d->bp), ops[(flags >> 11) & 15]);
    if (rc < sizeof(rcodes) / sizeof(rcodes[0]))
        pr_out_str(c->out, rcodes[rc]);
    else
        pr_out_fmt(c->out, " Resp%u", rc & 0xfff);
    pr_out_fmt(c->out, "%s%s%s%s", flags & 0x0400 ? "*" : "",
               flags & 0x0080 ? "" : "-", flags & 0x0200 ? "|" : "",
               flags & 0x0020 ? "$" : "");
    if (qd != 1)
        pr_out_fmt(c->out, " [%uq]", qd);
    for (unsigned i = 0; i < qd; i++) {
        if (i)
            pr_out_char(c->out, ',');
        cp = name_skip(d, cp);
        if (!cp)
            return PR_TRUNC;
        cp += 4;
    }
    pr_out_fmt(c->out, " %u/%u/%u", an, ns, ar);
    if (an) {
        if (!(cp = record(d, cp)))
            return PR_TRUNC;
        an--;
        while (cp < c->snapend && an) {
            pr_out_char(c->out, ',');
            if (!(cp = record(d, cp)))
                return PR_TRUNC;
            an--;
        }
    }
    return an ? PR_TRUNC : 0;
}

static int query(const struct dns *d, unsigned flags, unsigned qd,
                 unsigned an, unsigned ns, unsigned ar)
{
    struct pr_ctx *c = d->c;
    const uint8_t *cp = d->bp + 12;
    unsigned op = (flags >> 11) & 15;

    pr_out_fmt(c->out, "%u%s%s%s", pf_get_be16(d->bp), ops[op],
               flags & 0x0100 ? "+" : "", flags & 0x0010 ? "%" : "");
    if (flags & 0x6cf)
        pr_out_fmt(c->out, " [b2&3=0x%x]", flags);
    if (op == 1) {
        if (qd)
            pr_out_fmt(c->out, " [%uq]", qd);
        if (an != 1)
            pr_out_fmt(c->out, " [%ua]", an);
    } else {
        if (an)
            pr_out_fmt(c->out, " [%ua]", an);
        if (qd != 1)
            pr_out_fmt(c->out, " [%uq]", qd);
    }
    if (ns)
        pr_out_fmt(c->out, " [%un]", ns);
    if (ar)
        pr_out_fmt(c->out, " [%uau]", ar);
    if (qd) {
        if (!(cp = question(d, cp)))
            return PR_TRUNC;
        qd--;
        while (cp < c->snapend && qd) {
            if (!(cp = question(d, cp)))
                return PR_TRUNC;
            qd--;
        }
    }
    return qd ? PR_TRUNC : 0;
}

int pr_dns(struct pr_ctx *c, const uint8_t *bp, unsigned len, int mdns)
{
    struct dns d = { c, bp, mdns };
    unsigned flags, qd, an, ns, ar;
    int r;

    c->proto = "domain";
    if (len < 12) {
        pr_out_fmt(c->out, "domain [length %u < 12] (invalid)", len);
        return 0;
    }
    PR_NEED(c, bp, 12);
    if (c->o->verbose > 1)
        pr_unlisted(c);
    flags = pf_get_be16(bp + 2);
    qd = pf_get_be16(bp + 4);
    an = pf_get_be16(bp + 6);
    ns = pf_get_be16(bp + 8);
    ar = pf_get_be16(bp + 10);
    if (flags & 0x8000)
        r = response(&d, flags, qd, an, ns, ar);
    else
        r = query(&d, flags, qd, an, ns, ar);
    if (r == PR_TRUNC)
        return PR_TRUNC;
    pr_out_fmt(c->out, " (%u)", len);
    return 0;
}
