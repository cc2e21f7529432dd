/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Where -r sends the packets it keeps: a capture file (-w, in the input's
 * format and precision unless --pcapng), the tcpdump-style printer, or
 * only a count (--count). Shared by the single- and multi-threaded runs.
 */
#include <stdio.h>

#include "cli.h"

static enum pf_file_format output_format(const struct pf_cli_opts *o,
                                         struct pf_pcap_reader *r)
{
    if (o->pcapng)
        return PF_FILE_PCAPNG;
    if (pf_pcap_reader_format(r) == PF_FILE_PCAPNG)
        return pf_pcap_reader_nsec(r) ? PF_FILE_PCAP_NSEC : PF_FILE_PCAP;
    return pf_pcap_reader_format(r);
}

int pf_cli_output_open(struct pf_cli_output *out, const struct pf_cli_opts *o,
                       struct pf_pcap_reader *r)
{
    struct pf_pcap_writer_opts wo = {
        .sz = sizeof(wo),
        .format = output_format(o, r),
        .linktype = (uint32_t)pf_pcap_reader_linktype(r),
        .snaplen = pf_pcap_reader_snaplen(r),
        .packet_buffered = o->packet_buffered,
    };
    struct pf_error e;

    *out = (struct pf_cli_output){.o = o};
    pf_error_init(&out->err);
    if (o->count_only)
        return PF_EXIT_OK;
    if (!o->write_file) {
        if (pf_cli_printer_new(o, &out->printer)) {
            pf_cli_warn("out of memory");
            return PF_EXIT_RUNTIME;
        }
        return PF_EXIT_OK;
    }
    pf_error_init(&e);
    if (pf_pcap_writer_open(o->write_file, &wo, &out->writer, &e)) {
        pf_cli_report_in(o->write_file, &e, NULL);
        return PF_EXIT_RUNTIME;
    }
    return PF_EXIT_OK;
}

int pf_cli_output_packet(struct pf_cli_output *out, const struct pf_packet *pkt)
{
    out->matched++;
    /* out->err is cleared once at open: the first failure ends the run, so
     * the per-packet path never clears it. */
    if (out->writer && pf_pcap_writer_write(out->writer, pkt, &out->err)) {
        pf_cli_report_in(out->o->write_file, &out->err, NULL);
        return PF_EXIT_RUNTIME;
    }
    if (out->printer && pf_cli_printer_packet(out->printer, pkt)) {
        pf_cli_warn("writing to standard output failed");
        return PF_EXIT_RUNTIME;
    }
    return PF_EXIT_OK;
}

int pf_cli_output_close(struct pf_cli_output *out, int status)
{
    struct pf_error e;

    pf_error_init(&e);
    if (out->writer && pf_pcap_writer_close(out->writer, &e) && !status) {
        pf_cli_report_in(out->o->write_file, &e, NULL);
        status = PF_EXIT_RUNTIME;
    }
    if (out->printer && pf_cli_printer_free(out->printer) && !status) {
        pf_cli_warn("writing to standard output failed");
        status = PF_EXIT_RUNTIME;
    }
    if (out->o && out->o->count_only)
        printf("%llu packet%s\n", out->matched, out->matched == 1 ? "" : "s");
    out->writer = NULL;
    out->printer = NULL;
    return status;
}
