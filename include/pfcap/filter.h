/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * pf_filter: one handle that ties the pipeline together. A program comes
 * in (cBPF instructions; later expressions and eBPF objects), an engine is
 * chosen, and pf_filter_run gives the verdict for one packet.
 */
#ifndef PFCAP_FILTER_H
#define PFCAP_FILTER_H

#include <stddef.h>
#include <stdint.h>

#include <pfcap/cbpf.h>
#include <pfcap/error.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PF_ENGINES(X)                                                          \
    X(DEFAULT, "default")                                                      \
    X(CBPF, "cbpf")                                                            \
    X(EBPF_INTERP, "ebpf-interp")                                              \
    X(JIT, "jit")                                                              \
    X(KERNEL, "kernel")

enum pf_engine {
#define PF_ENGINE_ENUM(name, text) PF_ENGINE_##name,
    PF_ENGINES(PF_ENGINE_ENUM)
#undef PF_ENGINE_ENUM
};

struct pf_filter_opts {
    size_t sz;            /* sizeof(struct pf_filter_opts) */
    enum pf_engine engine; /* DEFAULT = the JIT, falling back as needed */
    int linktype;         /* LINKTYPE_* of the packets */
    uint32_t snaplen;     /* 0 means 262144 */
    int no_optimize;      /* expressions: leave out optimisation (-O) */
    int live;             /* expressions: compile for a live Linux socket */
    uint32_t netmask;     /* expressions: for `ip broadcast`; 0 = unknown */
    int swapped;          /* expressions: the capture file's byte order is
                             not the host's (pf_pcap_reader_swapped) */
};

struct pf_filter;

/*
 * Makes a filter from a cBPF program (copied). The program must pass the
 * libpcap validation profile. Errors: -EINVAL with @err naming the
 * instruction and rule; -ENOTSUP for an engine this build cannot run.
 */
int pf_filter_new_cbpf(const struct pf_cbpf_insn *insns, size_t len,
                       const struct pf_filter_opts *opts,
                       struct pf_filter **out, struct pf_error *err);

/*
 * Makes a filter from a tcpdump filter expression, compiled for
 * @opts->linktype. Errors: -EINVAL with @err giving line:column and what
 * is wrong (render it with pf_error_format and the expression).
 */
int pf_filter_new_expr(const char *expr, const struct pf_filter_opts *opts,
                       struct pf_filter **out, struct pf_error *err);

/*
 * Makes a filter from the socket-filter program in section @section (NULL =
 * the first program section) of the eBPF object file @path, e.g. one built
 * with `clang -target bpf`. It runs with Linux socket-filter semantics
 * (struct __sk_buff context, LD_ABS/LD_IND) on the JIT, the eBPF
 * interpreter or the kernel; it has no cBPF form. Errors: those of the
 * ELF reader (naming the problem) and of the verifier (instruction index
 * and rule); -ENOTSUP for the cbpf engine.
 */
int pf_filter_new_ebpf_obj(const char *path, const char *section,
                           const struct pf_filter_opts *opts,
                           struct pf_filter **out, struct pf_error *err);

/*
 * Why @f runs on a different engine than the one asked for (e.g. the
 * program loops, as libpcap's protochain does, so it cannot be run as
 * eBPF), or "" when it runs on the requested one.
 */
const char *pf_filter_note(const struct pf_filter *f);

/* Returns the number of bytes to keep of the packet (0 = drop). */
uint32_t pf_filter_run(const struct pf_filter *f, const uint8_t *pkt,
                       uint32_t wirelen, uint32_t caplen);

/* A function with pf_filter_run's arguments and result. */
typedef uint32_t (*pf_filter_fn)(const struct pf_filter *f,
                                 const uint8_t *pkt, uint32_t wirelen,
                                 uint32_t caplen);

/*
 * The function to call in a hot loop instead of pf_filter_run:
 * fn(f, pkt, wirelen, caplen) gives pf_filter_run's verdict without the
 * call through the library first. With the JIT it is the filter's machine
 * code itself (an entry that moves the arguments into place); with the
 * other engines, pf_filter_run. Valid as long as @f is.
 */
pf_filter_fn pf_filter_entry(const struct pf_filter *f);

/* The cBPF program behind @f (owned by @f); empty (len 0) for a filter
 * made from an eBPF object. */
const struct pf_cbpf_prog *pf_filter_cbpf(const struct pf_filter *f);

/* The engine @f runs on. */
enum pf_engine pf_filter_engine(const struct pf_filter *f);

/* "jit", "cbpf", ...; NULL for an unknown value. */
const char *pf_engine_name(enum pf_engine engine);

/* Parses an engine name; -EINVAL if unknown. */
int pf_engine_from_name(const char *name, enum pf_engine *out);

/* Frees @f (NULL is fine). */
void pf_filter_free(struct pf_filter *f);

/* Version string of libpfcap ("0.1.0"). */
const char *pf_version(void);

#ifdef __cplusplus
}
#endif

#endif
