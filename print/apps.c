/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * One-line summaries of NTP and BOOTP/DHCP as tcpdump prints them without
 * -v ("NTPv4, Client, length 48"; "BOOTP/DHCP, Request from M, length
 * N"). Their -v detail is left to tcpdump: such packets are marked
 * unlisted. Also SCTP's address line.
 */
#include "print_impl.h"

static const struct pr_tok ntp_modes[] = {
    { 0, "unspecified" }, { 1, "symmetric active" },
    { 2, "symmetric passive" }, { 3, "Client" }, { 4, "Server" },
    { 5, "Broadcast" }, { 6, "Control Message" }, { 7, "Reserved" },
    { 0, NULL },
};

int pr_ntp(struct pr_ctx *c, const uint8_t *bp, unsigned len)
{
    c->proto = "ntp";
    PR_NEED(c, bp, 1);
    pr_out_fmt(c->out, "NTPv%u, ", (bp[0] >> 3) & 7);
    pr_out_tok(c->out, ntp_modes, "Unknown mode", bp[0] & 7);
    pr_out_fmt(c->out, ", length %u", len);
    if (c->o->verbose || (bp[0] & 7) == 6)
        pr_unlisted(c);
    return 0;
}

int pr_bootp(struct pr_ctx *c, const uint8_t *bp, unsigned len)
{
    unsigned op;

    c->proto = "bootp";
    pr_out_str(c->out, "BOOTP/DHCP");
    PR_NEED(c, bp, 1);
    op = bp[0];
    pr_out_str(c->out, ", ");
    pr_out_tok(c->out, (const struct pr_tok[]){ { 1, "Request" },
                                                { 2, "Reply" },
                                                { 0, NULL } },
               "unknown (0x%02x)", op);
    PR_NEED(c, bp + 1, 2);
    if (bp[1] == 1 && bp[2] == 6 && op == 1) {
        PR_NEED(c, bp + 28, 6);
        pr_out_str(c->out, " from ");
        pr_out_mac(c->out, bp + 28);
    }
    pr_out_fmt(c->out, ", length %u", len);
    if (c->o->verbose)
        pr_unlisted(c);
    return 0;
}

int pr_sctp(struct pr_ctx *c, const uint8_t *bp, unsigned len,
            const uint8_t *iph)
{
    c->proto = "sctp";
    if (len < 12) {
        pr_out_fmt(c->out, "truncated-sctp - %u bytes missing!", 12 - len);
        return 0;
    }
    PR_NEED(c, bp, 12);
    if ((iph[0] >> 4) == 6)
        pr_out_host6(c, iph + 8);
    else
        pr_out_host4(c, iph + 12);
    pr_out_fmt(c->out, ".%u > ", pf_get_be16(bp));
    if ((iph[0] >> 4) == 6)
        pr_out_host6(c, iph + 24);
    else
        pr_out_host4(c, iph + 16);
    pr_out_fmt(c->out, ".%u: sctp", pf_get_be16(bp + 2));
    /* chunk-by-chunk detail is not decoded */
    if (len > 12)
        pr_unlisted(c);
    return 0;
}
