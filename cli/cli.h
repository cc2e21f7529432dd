/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The pfcap command: parsed options and the entry points of its modes
 * (file replay, live capture, program dump). cli/ uses only the public
 * headers of libpfcap.
 */
#ifndef PF_CLI_H
#define PF_CLI_H

#include <stdint.h>

#include <pfcap/pfcap.h>

/* Exit statuses: 0 ok, 1 usage, 2 runtime error. */
#define PF_EXIT_OK 0
#define PF_EXIT_USAGE 1
#define PF_EXIT_RUNTIME 2

struct pf_cli_opts {
    const char *argv0;
    /* input and program */
    const char *read_file;    /* -r */
    const char *iface;        /* -i */
    const char *cbpf_file;    /* --cbpf FILE ("-" = stdin) */
    const char *ebpf_obj;     /* --ebpf-obj FILE (clang -target bpf) */
    const char *ebpf_section; /* --ebpf-section NAME */
    const char *expr_file;    /* -F */
    char *expr;               /* expression words joined by spaces (owned) */
    int dump;                 /* -d count: 1 -d, 2 -dd, 3 -ddd */
    int linktype;             /* -y; -1 = from the input */
    int no_optimize;          /* -O */
    const char *engine;       /* --engine=jit|ebpf-interp|cbpf|kernel */
    long count;               /* -c; -1 = no limit */
    /* output */
    const char *write_file;   /* -w */
    int pcapng;               /* --pcapng */
    int packet_buffered;      /* -U */
    long rotate_mb;           /* -C, 0 = off */
    long rotate_secs;         /* -G, 0 = off */
    int rotate_files;         /* -W, 0 = unlimited */
    /* printing (tcpdump flags) */
    int numeric;              /* -n count */
    int ether;                /* -e */
    int quiet;                /* -q */
    int ts_format;            /* -t count: 0 default, 1 -t ... 5 -ttttt */
    int nsec;                 /* --time-stamp-precision=nano / --nano */
    int verbose;              /* -v count */
    int hex;                  /* -x count */
    int hex_ascii;            /* -X count */
    int ascii;                /* -A */
    int abs_seq;              /* -S */
    int number;               /* -# / --number */
    int line_buffered;        /* -l */
    int count_only;           /* --count */
    /* live capture */
    int snaplen;              /* -s; 0 = default 262144 */
    int no_promisc;           /* -p */
    const char *direction;    /* -Q in|out|inout */
    int immediate;            /* --immediate-mode */
    int buffer_kib;           /* -B */
    int threads;              /* --threads */
    const char *fanout;       /* --fanout=hash|cpu|lb|qm */
    int merge;                /* --merge */
    double stats_interval;    /* --stats-interval */
    const char *kernel_filter; /* --kernel-filter=cbpf|ebpf */
    const char *user;         /* -Z */
    int list_ifaces;          /* -D */
    int list_linktypes;       /* -L */
};

/* Reads all of @path ("-" = stdin) into a NUL-terminated malloc'd buffer
 * and its length into *@len; NULL with errno set on failure. */
char *pf_cli_slurp(const char *path, size_t *len);

/* Joins @argv[0..argc) with single spaces into a malloc'd string (NULL
 * when out of memory), as tcpdump joins expression words. */
char *pf_cli_join_words(int argc, char **argv);

/* Prints "pfcap: " and the message to stderr. */
void pf_cli_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Prints @e like a compiler (with @source under it when it has a line). */
void pf_cli_report(const struct pf_error *e, const char *source);

/* Same, naming the file or thing @what the error is about. */
void pf_cli_report_in(const char *what, const struct pf_error *e,
                      const char *source);

/*
 * Builds the filter the options ask for (--cbpf program or expression)
 * for packets of @linktype. *@out is NULL when there is no filter.
 * Returns a PF_EXIT_* status.
 */
int pf_cli_filter_load(const struct pf_cli_opts *o, int linktype,
                       struct pf_filter **out);

/* Same, for packets read from @r (its link type and byte order). */
int pf_cli_filter_load_for(const struct pf_cli_opts *o,
                           struct pf_pcap_reader *r, struct pf_filter **out);

/*
 * Packet printing for the CLI (cli/print.c): tcpdump-style lines for every
 * packet handed in, formatted into a large buffer and written to stdout
 * (flushed per packet with -l).
 */
struct pf_cli_printer;
int pf_cli_printer_new(const struct pf_cli_opts *o,
                       struct pf_cli_printer **out);
/* Returns 0, or a negative errno when stdout fails. */
int pf_cli_printer_packet(struct pf_cli_printer *p,
                          const struct pf_packet *pkt);
/* Flushes and frees @p (NULL is fine); returns 0 or a negative errno. */
int pf_cli_printer_free(struct pf_cli_printer *p);

/*
 * The destination of -r's packets (cli/output.c): a capture file (-w), the
 * printer, or a count (--count), which pf_cli_output_close prints.
 */
struct pf_cli_output {
    const struct pf_cli_opts *o;
    struct pf_pcap_writer *writer;
    struct pf_cli_printer *printer;
    unsigned long long matched;
    struct pf_error err;          /* of the writer; cleared at open */
};
/* Opens the destination for packets read from @r; PF_EXIT_* status. */
int pf_cli_output_open(struct pf_cli_output *out, const struct pf_cli_opts *o,
                       struct pf_pcap_reader *r);
/* Counts @pkt and writes or prints it; PF_EXIT_* status. */
int pf_cli_output_packet(struct pf_cli_output *out,
                         const struct pf_packet *pkt);
/* Flushes and closes; returns @status, or a failure of the final flush. */
int pf_cli_output_close(struct pf_cli_output *out, int status);

/* `pfcap compile ...` (cli/compile.c); argv[0] is "compile". */
int pf_cli_compile_main(int argc, char **argv);

/* `pfcap bench ...` (cli/bench.c); argv[0] is "bench". */
int pf_cli_bench_main(int argc, char **argv);

/* The modes; each returns a PF_EXIT_* status. */
int pf_cli_file_run(const struct pf_cli_opts *o);
/* Prints tcpdump's "reading from file ..." line for @r on stderr. */
void pf_cli_file_announce(const struct pf_cli_opts *o,
                          struct pf_pcap_reader *r);
/* -r with --threads N > 1 (cli/file_threads.c): same output, in order. */
int pf_cli_file_run_threads(const struct pf_cli_opts *o);
int pf_cli_dump_run(const struct pf_cli_opts *o);
int pf_cli_live_run(const struct pf_cli_opts *o);

#endif
