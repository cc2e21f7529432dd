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
    struct pf_pcap_writer *writer;
    struct pf_cli_printer *printer;
    unsigned long long matched;
};

static enum pf_file_format output_format(const struct pf_cli_opts *o,
                                         struct pf_pcap_reader *r)
{
    if (o->pcapng)
        return PF_FILE_PCAPNG;
    if (pf_pcap_reader_format(r) == PF_FILE_PCAPNG)
        return pf_pcap_reader_nsec(r) ? PF_FILE_PCAP_NSEC : PF_FILE_PCAP;
    return pf_pcap_reader_format(r);
}

static int open_output(struct file_run *fr)
{
    const struct pf_cli_opts *o = fr->o;
    struct pf_pcap_writer_opts wo = {
        .sz = sizeof(wo),
        .format = output_format(o, fr->reader),
        .linktype = (uint32_t)pf_pcap_reader_linktype(fr->reader),
        .snaplen = pf_pcap_reader_snaplen(fr->reader),
        .packet_buffered = o->packet_buffered,
    };
    struct pf_error e;

    if (o->count_only)
        return PF_EXIT_OK;
    if (!o->write_file) {
        if (pf_cli_printer_new(o, &fr->printer)) {
            pf_cli_warn("out of memory");
            return PF_EXIT_RUNTIME;
        }
        return PF_EXIT_OK;
    }
    pf_error_init(&e);
    if (pf_pcap_writer_open(o->write_file, &wo, &fr->writer, &e)) {
        pf_cli_report_in(o->write_file, &e, NULL);
        return PF_EXIT_RUNTIME;
    }
    return PF_EXIT_OK;
}

/* Hands one matching packet to the writer or printer. */
static int emit(struct file_run *fr, const struct pf_packet *pkt)
{
    struct pf_error e;

    pf_error_init(&e);
    if (fr->writer && pf_pcap_writer_write(fr->writer, pkt, &e)) {
        pf_cli_report_in(fr->o->write_file, &e, NULL);
        return PF_EXIT_RUNTIME;
    }
    if (fr->printer && pf_cli_printer_packet(fr->printer, pkt)) {
        pf_cli_warn("writing to standard output failed");
        return PF_EXIT_RUNTIME;
    }
    return PF_EXIT_OK;
}

static int loop(struct file_run *fr)
{
    struct pf_packet pkt;
    struct pf_error e;
    int n, ret;

    pf_error_init(&e);
    while (fr->o->count < 0 || fr->matched < (unsigned long long)fr->o->count) {
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
        fr->matched++;
        if ((ret = emit(fr, &pkt)))
            return ret;
    }
    return PF_EXIT_OK;
}

/* Flushes and closes the outputs; returns @status or a close failure. */
static int finish(struct file_run *fr, int status)
{
    struct pf_error e;

    pf_error_init(&e);
    if (fr->writer && pf_pcap_writer_close(fr->writer, &e) && !status) {
        pf_cli_report_in(fr->o->write_file, &e, NULL);
        status = PF_EXIT_RUNTIME;
    }
    if (fr->printer && pf_cli_printer_free(fr->printer) && !status) {
        pf_cli_warn("writing to standard output failed");
        status = PF_EXIT_RUNTIME;
    }
    if (fr->o->count_only)
        printf("%llu packet%s\n", fr->matched, fr->matched == 1 ? "" : "s");
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
        ret = open_output(&fr);
    if (!ret)
        ret = loop(&fr);
    return finish(&fr, ret);
}
