/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * -r FILE: read a capture file, filter it, and write the matches (-w) or
 * print them (tcpdump-style lines, or just the count with --count). A
 * damaged file yields every good packet before the damage, then an error
 * naming the byte offset (exit status 2).
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

struct file_run {
    const struct pf_cli_opts *o;
    struct pf_pcap_reader *reader;
    struct pf_filter *filter;
    struct pf_cli_output out;
};

static int loop(struct file_run *fr)
{
    struct pf_packet pkt;
    struct pf_error e;
    int n, ret;

    pf_error_init(&e);
    while (fr->o->count < 0 ||
           fr->out.matched < (unsigned long long)fr->o->count) {
        n = pf_pcap_reader_next(fr->reader, &pkt, &e);
        if (n == 0)
            return PF_EXIT_OK;
        if (n < 0) {
            pf_cli_report_in(fr->o->read_file, &e, NULL);
            return PF_EXIT_RUNTIME;
        }
        if (fr->filter &&
            !pf_filter_run(fr->filter, pkt.data, pkt.wirelen, pkt.caplen))
            continue;
        if ((ret = pf_cli_output_packet(&fr->out, &pkt)))
            return ret;
    }
    return PF_EXIT_OK;
}

/* Closes the output and frees the run; returns @status or a close failure. */
static int finish(struct file_run *fr, int status)
{
    status = pf_cli_output_close(&fr->out, status);
    pf_filter_free(fr->filter);
    pf_pcap_reader_close(fr->reader);
    return status;
}

/* tcpdump's first line on stderr, so that habits and scripts carry over. */
void pf_cli_file_announce(const struct pf_cli_opts *o,
                          struct pf_pcap_reader *r)
{
    int lt = pf_pcap_reader_linktype(r);
    const char *name = pf_linktype_name(lt), *desc = pf_linktype_description(lt);

    if (name)
        fprintf(stderr, "reading from file %s, link-type %s (%s), snapshot "
                        "length %u\n", strcmp(o->read_file, "-") ? o->read_file : "-",
                name, desc ? desc : name, pf_pcap_reader_snaplen(r));
    else
        fprintf(stderr, "reading from file %s, link-type %d, snapshot length "
                        "%u\n", o->read_file, lt, pf_pcap_reader_snaplen(r));
}

int pf_cli_file_run(const struct pf_cli_opts *o)
{
    struct file_run fr = {.o = o};
    struct pf_error e;
    int ret;

    if (o->threads > 1)
        return pf_cli_file_run_threads(o);
    pf_error_init(&e);
    if (pf_pcap_reader_open(o->read_file, &fr.reader, &e)) {
        pf_cli_report_in(o->read_file, &e, NULL);
        return PF_EXIT_RUNTIME;
    }
    pf_cli_file_announce(o, fr.reader);
    ret = pf_cli_filter_load_for(o, fr.reader, &fr.filter);
    if (!ret)
        ret = pf_cli_output_open(&fr.out, o, fr.reader);
    if (!ret)
        ret = loop(&fr);
    return finish(&fr, ret);
}
