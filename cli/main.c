/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * pfcap's entry point: parses tcpdump-compatible options (plus pfcap's own
 * long options) into struct pf_cli_opts and runs the mode they ask for.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

enum {
    OPT_CBPF = 256,
    OPT_ENGINE,
    OPT_PCAPNG,
    OPT_COUNT,
    OPT_TSPREC,
    OPT_NANO,
    OPT_IMMEDIATE,
    OPT_THREADS,
    OPT_FANOUT,
    OPT_MERGE,
    OPT_STATS,
    OPT_KFILTER,
    OPT_VERSION,
    OPT_EBPF_OBJ,
    OPT_EBPF_SECTION,
};

static const char short_opts[] = "AB:c:C:deF:G:hi:lLnOpqQ:r:s:StUvw:W:xXy:Z:D#";

static const struct option long_opts[] = {
    {"cbpf", required_argument, NULL, OPT_CBPF},
    {"count", no_argument, NULL, OPT_COUNT},
    {"ebpf-obj", required_argument, NULL, OPT_EBPF_OBJ},
    {"ebpf-section", required_argument, NULL, OPT_EBPF_SECTION},
    {"engine", required_argument, NULL, OPT_ENGINE},
    {"fanout", required_argument, NULL, OPT_FANOUT},
    {"help", no_argument, NULL, 'h'},
    {"immediate-mode", no_argument, NULL, OPT_IMMEDIATE},
    {"interface", required_argument, NULL, 'i'},
    {"kernel-filter", required_argument, NULL, OPT_KFILTER},
    {"list-interfaces", no_argument, NULL, 'D'},
    {"list-data-link-types", no_argument, NULL, 'L'},
    {"merge", no_argument, NULL, OPT_MERGE},
    {"nano", no_argument, NULL, OPT_NANO},
    {"number", no_argument, NULL, '#'},
    {"pcapng", no_argument, NULL, OPT_PCAPNG},
    {"snapshot-length", required_argument, NULL, 's'},
    {"stats-interval", required_argument, NULL, OPT_STATS},
    {"threads", required_argument, NULL, OPT_THREADS},
    {"time-stamp-precision", required_argument, NULL, OPT_TSPREC},
    {"version", no_argument, NULL, OPT_VERSION},
    {NULL, 0, NULL, 0},
};

static const char usage_text[] =
    "Usage: pfcap [-AdDehlLnOpqStUvxX#] [-B KiB] [-c count] [-C MB] [-F file]\n"
    "             [-G seconds] [-i interface] [-Q in|out|inout] [-r file]\n"
    "             [-s snaplen] [-w file] [-W count] [-y linktype] [-Z user]\n"
    "             [--cbpf FILE | --ebpf-obj FILE [--ebpf-section NAME]]\n"
    "             [--engine=jit|ebpf-interp|cbpf|kernel]\n"
    "             [--count] [--pcapng] [--time-stamp-precision=micro|nano]\n"
    "             [--immediate-mode] [--threads N] [--fanout=hash|cpu|lb|qm]\n"
    "             [--merge] [--stats-interval S] [--kernel-filter=cbpf|ebpf]\n"
    "             [expression]\n"
    "       pfcap compile --emit=cbpf|ebpf|elf|jit [--target=user|socket|xdp]\n"
    "             [-o FILE] [-y linktype] (--cbpf FILE | expression)\n"
    "       pfcap bench [-r FILE | --synthetic N] [--engines LIST] [--json]\n"
    "             expression\n"
    "\n"
    "Replay and filter capture files:  pfcap -r in.pcap -w out.pcap 'tcp port 80'\n"
    "Capture live:                     pfcap -i eth0 'tcp port 80'\n"
    "Show the classic BPF program:     pfcap -d 'tcp port 80'  (-dd, -ddd)\n"
    "A program from tcpdump -ddd:      pfcap -r in.pcap --cbpf prog.txt\n"
    "See pfcap(1) for every option.\n";

void pf_cli_warn(const char *fmt, ...)
{
    va_list ap;

    fputs("pfcap: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

void pf_cli_report_in(const char *what, const struct pf_error *e,
                      const char *source)
{
    char buf[2048];

    pf_error_format(e, source, buf, sizeof(buf));
    if (what)
        fprintf(stderr, "pfcap: %s: %s", what, buf);
    else
        fprintf(stderr, "pfcap: %s", buf);
}

void pf_cli_report(const struct pf_error *e, const char *source)
{
    pf_cli_report_in(NULL, e, source);
}

static int usage_error(const char *fmt, const char *arg)
{
    fputs("pfcap: ", stderr);
    fprintf(stderr, fmt, arg);
    fputs("\nTry 'pfcap --help' for more information.\n", stderr);
    return PF_EXIT_USAGE;
}

/* Parses a non-negative decimal number for option -@c. */
static int number_arg(int c, const char *s, long max, long *out)
{
    char *end;
    long v;

    errno = 0;
    v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < 0 || v > max) {
        fprintf(stderr, "pfcap: invalid number '%s' for -%c\n", s, c);
        return -EINVAL;
    }
    *out = v;
    return 0;
}

static int parse_long_opt(struct pf_cli_opts *o, int c, const char *arg)
{
    long v;

    switch (c) {
    case OPT_CBPF: o->cbpf_file = arg; return 0;
    case OPT_ENGINE: o->engine = arg; return 0;
    case OPT_EBPF_OBJ: o->ebpf_obj = arg; return 0;
    case OPT_EBPF_SECTION: o->ebpf_section = arg; return 0;
    case OPT_PCAPNG: o->pcapng = 1; return 0;
    case OPT_COUNT: o->count_only = 1; return 0;
    case OPT_NANO: o->nsec = 1; return 0;
    case OPT_IMMEDIATE: o->immediate = 1; return 0;
    case OPT_FANOUT: o->fanout = arg; return 0;
    case OPT_MERGE: o->merge = 1; return 0;
    case OPT_KFILTER: o->kernel_filter = arg; return 0;
    case OPT_TSPREC:
        if (strcmp(arg, "nano") && strcmp(arg, "micro"))
            return usage_error("unknown time stamp precision '%s' (micro or nano)", arg);
        o->nsec = strcmp(arg, "nano") == 0;
        return 0;
    case OPT_THREADS:
        if (number_arg('T', arg, 1024, &v) || v == 0)
            return usage_error("invalid thread count '%s'", arg);
        o->threads = (int)v;
        return 0;
    case OPT_STATS:
        o->stats_interval = strtod(arg, NULL);
        if (o->stats_interval <= 0)
            return usage_error("invalid --stats-interval '%s'", arg);
        return 0;
    default:
        return PF_EXIT_USAGE;
    }
}

static int parse_number_opt(struct pf_cli_opts *o, int c, const char *arg)
{
    long v;

    if (number_arg(c, arg, 0x7fffffffL, &v))
        return PF_EXIT_USAGE;
    switch (c) {
    case 'B': o->buffer_kib = (int)v; break;
    case 'c': o->count = v; break;
    case 'C': o->rotate_mb = v; break;
    case 'G': o->rotate_secs = v; break;
    case 's': o->snaplen = (int)v; break;
    case 'W': o->rotate_files = (int)v; break;
    }
    return 0;
}

static int parse_short_opt(struct pf_cli_opts *o, int c, const char *arg)
{
    switch (c) {
    case 'A': o->ascii = 1; return 0;
    case 'd': o->dump++; return 0;
    case 'D': o->list_ifaces = 1; return 0;
    case 'e': o->ether = 1; return 0;
    case 'F': o->expr_file = arg; return 0;
    case 'i': o->iface = arg; return 0;
    case 'l': o->line_buffered = 1; return 0;
    case 'L': o->list_linktypes = 1; return 0;
    case 'n': o->numeric++; return 0;
    case 'O': o->no_optimize = 1; return 0;
    case 'p': o->no_promisc = 1; return 0;
    case 'q': o->quiet = 1; return 0;
    case 'Q': o->direction = arg; return 0;
    case 'r': o->read_file = arg; return 0;
    case 'S': o->abs_seq = 1; return 0;
    case 't': o->ts_format++; return 0;
    case 'U': o->packet_buffered = 1; return 0;
    case 'v': o->verbose++; return 0;
    case 'w': o->write_file = arg; return 0;
    case 'x': o->hex++; return 0;
    case 'X': o->hex_ascii++; return 0;
    case 'Z': o->user = arg; return 0;
    case '#': o->number = 1; return 0;
    case 'y':
        o->linktype = pf_linktype_from_name(arg);
        if (o->linktype < 0)
            return usage_error("unknown link type '%s'", arg);
        return 0;
    case 'B': case 'c': case 'C': case 'G': case 's': case 'W':
        return parse_number_opt(o, c, arg);
    default:
        return parse_long_opt(o, c, arg);
    }
}

static int parse(struct pf_cli_opts *o, int argc, char **argv, int *done)
{
    int c, ret;

    o->argv0 = argv[0];
    o->linktype = -1;
    o->count = -1;
    while ((c = getopt_long(argc, argv, short_opts, long_opts, NULL)) != -1) {
        if (c == 'h') {
            fputs(usage_text, stdout);
            *done = 1;
            return PF_EXIT_OK;
        }
        if (c == OPT_VERSION) {
            printf("pfcap version %s\n", pf_version());
            *done = 1;
            return PF_EXIT_OK;
        }
        if (c == '?')
            return usage_error("%s", "invalid option");
        if ((ret = parse_short_opt(o, c, optarg)))
            return ret;
    }
    if (optind < argc &&
        !(o->expr = pf_cli_join_words(argc - optind, argv + optind)))
        return PF_EXIT_RUNTIME;
    return PF_EXIT_OK;
}

static int run(const struct pf_cli_opts *o)
{
    if (o->iface || o->list_ifaces || o->list_linktypes)
        return pf_cli_live_run(o);
    if (o->dump)
        return pf_cli_dump_run(o);
    if (o->read_file)
        return pf_cli_file_run(o);
    return usage_error("%s", "nothing to do: give -r FILE, -i INTERFACE or -d");
}

int main(int argc, char **argv)
{
    struct pf_cli_opts o = {0};
    int done = 0, ret;

    if (argc > 1 && strcmp(argv[1], "compile") == 0)
        return pf_cli_compile_main(argc - 1, argv + 1);
    if (argc > 1 && strcmp(argv[1], "bench") == 0)
        return pf_cli_bench_main(argc - 1, argv + 1);
    ret = parse(&o, argc, argv, &done);
    if (ret == PF_EXIT_OK && !done)
        ret = run(&o);
    free(o.expr);
    return ret;
}
