/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Turns the command line's program options into a pf_filter: a cBPF
 * program file (--cbpf, in `tcpdump -ddd` or `-d` format) or a filter
 * expression (words on the command line, or -F FILE).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static int load_cbpf(const struct pf_cli_opts *o, struct pf_filter_opts *fo,
                     struct pf_filter **out)
{
    struct pf_cbpf_prog prog = {0};
    struct pf_error e;
    size_t len;
    char *text = pf_cli_slurp(o->cbpf_file, &len);
    int ret;

    pf_error_init(&e);
    if (!text) {
        pf_cli_warn("%s: %s", o->cbpf_file, strerror(errno ? errno : EIO));
        return PF_EXIT_RUNTIME;
    }
    ret = pf_cbpf_asm(text, len, &prog, &e);
    if (!ret)
        ret = pf_filter_new_cbpf(prog.insns, prog.len, fo, out, &e);
    if (ret) {
        pf_cli_report_in(o->cbpf_file, &e, NULL);
        if (e.line > 0)
            fprintf(stderr, "(line %d of the program text)\n", e.line);
    }
    pf_cbpf_prog_free(&prog);
    free(text);
    return ret ? PF_EXIT_USAGE : PF_EXIT_OK;
}

/* Loads a socket filter from an eBPF object (clang -target bpf -c). */
static int load_ebpf_obj(const struct pf_cli_opts *o, struct pf_filter_opts *fo,
                         struct pf_filter **out)
{
    struct pf_error e;

    pf_error_init(&e);
    if (pf_filter_new_ebpf_obj(o->ebpf_obj, o->ebpf_section, fo, out, &e)) {
        pf_cli_report_in(o->ebpf_obj, &e, NULL);
        return PF_EXIT_USAGE;
    }
    return PF_EXIT_OK;
}

/* Compiles the expression from the command line or from -F FILE. */
static int load_expr(const struct pf_cli_opts *o, struct pf_filter_opts *fo,
                     struct pf_filter **out)
{
    struct pf_error e;
    size_t len;
    char *text = o->expr_file ? pf_cli_slurp(o->expr_file, &len) : o->expr;
    int ret;

    pf_error_init(&e);
    if (!text) {
        pf_cli_warn("%s: %s", o->expr_file, strerror(errno ? errno : EIO));
        return PF_EXIT_RUNTIME;
    }
    ret = pf_filter_new_expr(text, fo, out, &e);
    if (ret)
        pf_cli_report(&e, text);
    if (text != o->expr)
        free(text);
    return ret ? PF_EXIT_USAGE : PF_EXIT_OK;
}

static int filter_load(const struct pf_cli_opts *o, int linktype, int swapped,
                       struct pf_filter **out)
{
    struct pf_filter_opts fo = {
        .sz = sizeof(fo),
        .linktype = linktype,
        .swapped = swapped,
        .snaplen = o->snaplen > 0 ? (uint32_t)o->snaplen : 0,
        .no_optimize = o->no_optimize,
        .live = o->iface != NULL,
    };
    int ret;

    *out = NULL;
    if (o->engine && pf_engine_from_name(o->engine, &fo.engine)) {
        pf_cli_warn("unknown engine '%s' (jit, ebpf-interp, cbpf, kernel)",
                    o->engine);
        return PF_EXIT_USAGE;
    }
    if (!!o->cbpf_file + !!o->ebpf_obj + !!(o->expr || o->expr_file) > 1) {
        pf_cli_warn("give one program: --cbpf, --ebpf-obj or an expression");
        return PF_EXIT_USAGE;
    }
    if (o->expr_file && o->expr) {
        pf_cli_warn("give the expression either with -F or on the command "
                    "line, not both");
        return PF_EXIT_USAGE;
    }
    if (o->cbpf_file)
        ret = load_cbpf(o, &fo, out);
    else if (o->ebpf_obj)
        ret = load_ebpf_obj(o, &fo, out);
    else if (o->expr || o->expr_file)
        ret = load_expr(o, &fo, out);
    else
        return PF_EXIT_OK;
    /* Say once when the engine asked for cannot take this program. */
    if (!ret && o->engine && pf_filter_note(*out)[0])
        pf_cli_warn("%s", pf_filter_note(*out));
    return ret;
}

int pf_cli_filter_load(const struct pf_cli_opts *o, int linktype,
                       struct pf_filter **out)
{
    return filter_load(o, linktype, 0, out);
}

int pf_cli_filter_load_for(const struct pf_cli_opts *o,
                           struct pf_pcap_reader *r, struct pf_filter **out)
{
    int linktype = o->linktype >= 0 ? o->linktype : pf_pcap_reader_linktype(r);

    return filter_load(o, linktype, pf_pcap_reader_swapped(r), out);
}
