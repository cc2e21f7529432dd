/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * -d, -dd, -ddd: print the filter program in tcpdump's three formats,
 * compiled for -y LINKTYPE, for the file given with -r, or for Ethernet.
 */
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"

/* The filter compiled for the -r file (its link type and byte order). */
static int load_for_file(const struct pf_cli_opts *o, struct pf_filter **f)
{
    struct pf_pcap_reader *r;
    struct pf_error e;
    int ret;

    pf_error_init(&e);
    if (pf_pcap_reader_open(o->read_file, &r, &e)) {
        pf_cli_report_in(o->read_file, &e, NULL);
        return PF_EXIT_RUNTIME;
    }
    ret = pf_cli_filter_load_for(o, r, f);
    pf_pcap_reader_close(r);
    return ret;
}

int pf_cli_dump_run(const struct pf_cli_opts *o)
{
    static const enum pf_cbpf_dump_fmt fmts[] = {
        PF_CBPF_DUMP_LISTING, PF_CBPF_DUMP_C, PF_CBPF_DUMP_DECIMAL};
    struct pf_filter *f;
    const struct pf_cbpf_prog *p;
    enum pf_cbpf_dump_fmt fmt = fmts[o->dump > 3 ? 2 : o->dump - 1];
    size_t need;
    char *buf;
    int ret;

    if (o->read_file)
        ret = load_for_file(o, &f);
    else
        ret = pf_cli_filter_load(o, o->linktype >= 0 ? o->linktype : 1, &f);
    if (ret)
        return ret;
    if (!f) {
        pf_cli_warn("-d needs a program: an expression or --cbpf FILE");
        return PF_EXIT_USAGE;
    }
    p = pf_filter_cbpf(f);
    if (p->len == 0) {
        pf_cli_warn("-d shows classic BPF; an eBPF object has none (use "
                    "pfcap compile --emit=ebpf)");
        pf_filter_free(f);
        return PF_EXIT_USAGE;
    }
    need = pf_cbpf_dump(p->insns, p->len, fmt, NULL, 0) + 1;
    buf = malloc(need);
    if (buf) {
        pf_cbpf_dump(p->insns, p->len, fmt, buf, need);
        fputs(buf, stdout);
    }
    free(buf);
    pf_filter_free(f);
    return buf ? PF_EXIT_OK : PF_EXIT_RUNTIME;
}
