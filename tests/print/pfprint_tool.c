/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Test driver for print/: reads a capture file (through libpcap, the
 * oracle, only to get the packets) and prints every packet with pf_print
 * and tcpdump-style flags. With --classify it prints one line per packet
 * instead: "L" when every protocol in it is one pfcap decodes, "U" when
 * the printer reached one it leaves to tcpdump. Used by the golden test
 * (golden_print.py) and handy by hand:
 *   pfprint_tool -nn -e -v -r file.pcap
 */
#include <errno.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pfcap/print.h>

struct tool_args {
    struct pf_print_opts o;
    const char *file;
    int classify;
};

static int parse_short(struct tool_args *a, const char *arg)
{
    for (const char *p = arg + 1; *p; p++) {
        switch (*p) {
        case 'n': a->o.numeric++; break;
        case 'e': a->o.ether = 1; break;
        case 'q': a->o.quiet++; break;
        case 't': a->o.ts_format = a->o.ts_format ? a->o.ts_format + 1 : 1;
                  break;
        case 'v': a->o.verbose++; break;
        case 'x': a->o.hex++; break;
        case 'X': a->o.hex_ascii++; break;
        case 'A': a->o.ascii++; break;
        case 'S': a->o.abs_seq = 1; break;
        case '#': a->o.number = 1; break;
        default: return -1;
        }
    }
    return 0;
}

static int parse_args(struct tool_args *a, int argc, char **argv)
{
    memset(a, 0, sizeof(*a));
    a->o.sz = sizeof(a->o);
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-r") && i + 1 < argc)
            a->file = argv[++i];
        else if (!strcmp(argv[i], "--classify"))
            a->classify = 1;
        else if (!strcmp(argv[i], "--nano") ||
                 !strcmp(argv[i], "--time-stamp-precision=nano"))
            a->o.nsec = 1;
        else if (argv[i][0] != '-' || parse_short(a, argv[i]) < 0)
            return -1;
    }
    /* tcpdump counts -t: one is none (1), two is 2, ... */
    return a->file ? 0 : -1;
}

static uint32_t linktype_of(pcap_t *pc)
{
    int dlt = pcap_datalink(pc);

    return dlt == DLT_RAW ? 101u : (uint32_t)dlt;
}

static int run(struct tool_args *a, pcap_t *pc, struct pf_print *p)
{
    size_t cap = 4 << 20, len;
    char *buf = malloc(cap);
    struct pcap_pkthdr *h;
    const u_char *data;
    uint32_t lt = linktype_of(pc);
    int nano = pcap_get_tstamp_precision(pc) == PCAP_TSTAMP_PRECISION_NANO;

    if (!buf)
        return 2;
    while (pcap_next_ex(pc, &h, &data) == 1) {
        struct pf_packet pkt = {
            .data = data, .caplen = h->caplen, .wirelen = h->len,
            .ts_sec = h->ts.tv_sec,
            .ts_nsec = (uint32_t)(nano ? h->ts.tv_usec : h->ts.tv_usec * 1000),
            .linktype = lt,
        };
        unsigned flags;

        pf_print_packet(p, &pkt, buf, cap, &len, &flags);
        if (a->classify)
            printf("%c\n", flags & PF_PRINT_UNLISTED ? 'U' : 'L');
        else
            fwrite(buf, 1, len, stdout);
    }
    free(buf);
    return 0;
}

int main(int argc, char **argv)
{
    struct tool_args a;
    char errbuf[PCAP_ERRBUF_SIZE];
    struct pf_print *p;
    struct pf_error err;
    pcap_t *pc;
    int rc;

    if (parse_args(&a, argc, argv) < 0) {
        fprintf(stderr, "usage: pfprint_tool [-neqtvxXAS#] [--nano] "
                        "[--classify] -r FILE\n");
        return 1;
    }
    pc = pcap_open_offline_with_tstamp_precision(a.file,
                                                 PCAP_TSTAMP_PRECISION_NANO,
                                                 errbuf);
    if (!pc) {
        fprintf(stderr, "pfprint_tool: %s\n", errbuf);
        return 2;
    }
    pf_error_init(&err);
    if (pf_print_new(&a.o, &p, &err) < 0) {
        fprintf(stderr, "pfprint_tool: %s\n", err.msg);
        pcap_close(pc);
        return 2;
    }
    rc = run(&a, pc, p);
    pf_print_free(p);
    pcap_close(pc);
    return rc;
}
