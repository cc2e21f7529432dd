/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The filter expression compiler: pcap-filter(7) text in, a classic BPF
 * program out, whose verdict on every packet equals the one libpcap's
 * pcap_compile + bpf_filter gives for the same link type. Errors carry a
 * line:column span in the expression (stage PF_STAGE_EXPR).
 *
 * Link types: NULL 0, EN10MB 1, SLIP 8, PPP 9, RAW 12/14/101, PPP_SERIAL 50,
 * C_HDLC 104, IEEE802_11 105, LOOP 108, LINUX_SLL 113, PFLOG 117,
 * IEEE802_11_RADIO 127, IPV4 228, IPV6 229, LINUX_SLL2 276.
 * Where libpcap's own program would read a scratch register before
 * writing it (some `geneve` uses), pfcap zeroes the registers first, so
 * its verdicts are deterministic. `protochain` is unrolled (no backward
 * jumps) for PF_COMPILE_PROTOCHAIN_MAX headers after the IP header;
 * libpcap walks without bound, so verdicts may differ only on packets
 * with longer chains. DLT_NULL's 4-byte header holds the address family
 * in the byte order of the host that wrote the file: set `swapped` when
 * the capture file's byte order differs from this host's (as libpcap
 * does for a savefile handle).
 */
#ifndef PFCAP_COMPILE_H
#define PFCAP_COMPILE_H

#include <stddef.h>
#include <stdint.h>

#include <pfcap/cbpf.h>
#include <pfcap/error.h>

#ifdef __cplusplus
extern "C" {
#endif

/* How the program will be used; libpcap's code differs slightly. */
enum pf_compile_context {
    PF_COMPILE_FILE,       /* as `tcpdump -r` compiles (no ancillary loads) */
    PF_COMPILE_LIVE_LINUX, /* for a Linux socket (ancillary loads allowed) */
};

struct pf_compile_opts {
    size_t sz;          /* sizeof(struct pf_compile_opts) */
    int linktype;       /* LINKTYPE_* / DLT_* value, e.g. 1 EN10MB */
    uint32_t snaplen;   /* value returned for accepted packets; 0 = 262144 */
    int optimize;       /* 1 = optimise (tcpdump's default), 0 = like -O */
    enum pf_compile_context context;
    uint32_t netmask;   /* for `ip broadcast`; 0 = unknown */
    int swapped;        /* PF_COMPILE_FILE only: the capture file's byte
                         * order differs from this host's (DLT_NULL) */
};

/* Extension headers `protochain` follows before it gives up. */
#define PF_COMPILE_PROTOCHAIN_MAX 100

/* Error codes of the expression compiler (err->code, stage EXPR). */
enum pf_compile_code {
    PF_COMPILE_OK = 0,
    PF_COMPILE_SYNTAX,      /* the text does not parse */
    PF_COMPILE_NAME,        /* an unknown host, port, protocol... name */
    PF_COMPILE_QUALIFIER,   /* a qualifier that does not apply */
    PF_COMPILE_LINKTYPE,    /* not available on this link type */
    PF_COMPILE_VALUE,       /* a number out of range, division by 0... */
    PF_COMPILE_UNSUPPORTED, /* valid pcap-filter, not implemented yet */
    PF_COMPILE_EMPTY,       /* the expression rejects all packets */
    PF_COMPILE_LIMIT,       /* too complex (registers, size) */
};

/*
 * Compiles @expr with @opts (NULL = EN10MB, file context, optimised) into
 * *@out: a malloc'd instruction array the caller frees with free() or
 * pf_cbpf_prog_free. An empty or all-blank expression accepts every
 * packet. Errors: -EINVAL (bad expression, @err has the line:col span and
 * a message naming the problem), -ENOTSUP (valid but unsupported here),
 * -ENOMEM. *@out is untouched on error.
 */
int pf_filter_compile(const char *expr, const struct pf_compile_opts *opts,
                      struct pf_cbpf_prog *out, struct pf_error *err);

#ifdef __cplusplus
}
#endif

#endif
