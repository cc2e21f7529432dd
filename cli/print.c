/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The CLI's packet printer: the tcpdump flags of struct pf_cli_opts become
 * struct pf_print_opts, each packet is formatted by pf_print_packet
 * straight into a large output buffer, and the buffer goes to standard
 * output with write(2) when it is nearly full (after every packet with
 * -l). No stdio, no per-packet locking, no per-packet allocation.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <pfcap/print.h>

#include "cli.h"

#define PF_CLI_PRINT_BUF (1u << 20)

struct pf_cli_printer {
    struct pf_print *p;
    char *buf;
    size_t cap, used;
    int line_buffered;
};

static int flush_out(struct pf_cli_printer *pr)
{
    size_t off = 0;

    fflush(stdout); /* anything printed through stdio goes first */
    while (off < pr->used) {
        ssize_t n = write(STDOUT_FILENO, pr->buf + off, pr->used - off);

        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        off += (size_t)n;
    }
    pr->used = 0;
    return 0;
}

int pf_cli_printer_new(const struct pf_cli_opts *o, struct pf_cli_printer **out)
{
    struct pf_print_opts po = {
        .sz = sizeof(po),
        .numeric = o->numeric,
        .ether = o->ether,
        .quiet = o->quiet,
        .ts_format = o->ts_format,
        .nsec = o->nsec,
        .verbose = o->verbose,
        .hex = o->hex,
        .hex_ascii = o->hex_ascii,
        .ascii = o->ascii,
        .abs_seq = o->abs_seq,
        .number = o->number,
    };
    struct pf_cli_printer *pr = calloc(1, sizeof(*pr));
    struct pf_error err;
    int rc;

    *out = NULL;
    if (!pr)
        return -ENOMEM;
    pf_error_init(&err);
    rc = pf_print_new(&po, &pr->p, &err);
    if (rc < 0) {
        pf_cli_warn("%s", err.msg);
        free(pr);
        return rc;
    }
    pr->cap = PF_CLI_PRINT_BUF;
    pr->buf = malloc(pr->cap);
    if (!pr->buf) {
        pf_print_free(pr->p);
        free(pr);
        return -ENOMEM;
    }
    pr->line_buffered = o->line_buffered;
    *out = pr;
    return 0;
}

/* Makes room for @need bytes: flushes, and grows only for a packet
 * bigger than the buffer (rare: -X on a 256 KiB packet). */
static int make_room(struct pf_cli_printer *pr, size_t need)
{
    int rc;

    if (pr->cap - pr->used >= need)
        return 0;
    rc = flush_out(pr);
    if (rc)
        return rc;
    if (need > pr->cap) {
        char *b = realloc(pr->buf, need);

        if (!b)
            return -ENOMEM;
        pr->buf = b;
        pr->cap = need;
    }
    return 0;
}

int pf_cli_printer_packet(struct pf_cli_printer *pr,
                          const struct pf_packet *pkt)
{
    size_t len = 0;
    int rc = make_room(pr, pf_print_bound(pr->p, pkt->caplen));

    if (rc)
        return rc;
    pf_print_packet(pr->p, pkt, pr->buf + pr->used, pr->cap - pr->used, &len,
                    NULL);
    pr->used += len;
    if (pr->line_buffered)
        return flush_out(pr);
    return 0;
}

int pf_cli_printer_free(struct pf_cli_printer *pr)
{
    int rc;

    if (!pr)
        return 0;
    rc = flush_out(pr);
    pf_print_free(pr->p);
    free(pr->buf);
    free(pr);
    return rc;
}
