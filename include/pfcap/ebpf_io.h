/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * eBPF programs outside pfcap: relocatable ELF objects (written for
 * bpftool/libbpf, read from `clang -target bpf` output) and the Linux
 * kernel (bpf(BPF_PROG_LOAD) as a socket filter or XDP program,
 * BPF_PROG_TEST_RUN, SO_ATTACH_BPF).
 */
#ifndef PFCAP_EBPF_IO_H
#define PFCAP_EBPF_IO_H

#include <stddef.h>
#include <stdint.h>

#include <pfcap/ebpf.h>
#include <pfcap/error.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- ELF objects -------------------------------------------------------- */

/* Error codes of the ELF reader/writer (err->code, stage PF_STAGE_ELF). */
#define PF_EBPF_ELF_CODES(X)                                                   \
    X(LIBELF, "libelf: %s: %s")                                                \
    X(NOT_BPF, "not a 64-bit little-endian relocatable eBPF object%s")        \
    X(MALFORMED, "malformed object: %s")                                       \
    X(NO_SECTION, "no program section %s")                                     \
    X(RELOC, "unsupported relocation in %s at instruction %zu (%s: only "     \
             "calls to functions in .text can be resolved)")                   \
    X(BAD_SIZE, "section %s size %zu is not a whole number of instructions")  \
    X(BAD_ARG, "bad argument: %s")                                             \
    X(IO, "%s: %s")                                                            \
    X(NOMEM, "out of memory")

enum pf_ebpf_elf_code {
    PF_EBPF_ELF_OK = 0,
#define PF_EBPF_ELF_CODE_ENUM(name, msg) PF_EBPF_ELF_ERR_##name,
    PF_EBPF_ELF_CODES(PF_EBPF_ELF_CODE_ENUM)
#undef PF_EBPF_ELF_CODE_ENUM
};

struct pf_ebpf_elf_opts {
    size_t sz;           /* sizeof(struct pf_ebpf_elf_opts) */
    const char *section; /* "socket" (default), "xdp", ... */
    const char *name;    /* function symbol; default "pfcap_filter" */
    const char *license; /* default "GPL" */
};

/*
 * Writes @insns[0..@len) as a relocatable EM_BPF object: the program in
 * section @opts->section with a global function symbol, a "license"
 * section and a symbol table (loadable by bpftool and libbpf). *@buf is
 * malloc'd (free with free()), *@size its length. Errors: -EINVAL (no
 * program, bad options), -ENOMEM, -EIO (libelf), in @err.
 */
int pf_ebpf_elf_write(const struct pf_ebpf_insn *insns, size_t len,
                      const struct pf_ebpf_elf_opts *opts, void **buf,
                      size_t *size, struct pf_error *err);

/* Like pf_ebpf_elf_write, into the file @path (created or truncated). */
int pf_ebpf_elf_write_file(const char *path, const struct pf_ebpf_insn *insns,
                           size_t len, const struct pf_ebpf_elf_opts *opts,
                           struct pf_error *err);

/*
 * Reads the program in section @section (NULL = the first executable
 * section that is not empty, preferring a named one over .text) of the
 * eBPF object @buf[0..@size). The section is taken whole; when it calls
 * functions in .text (relocated BPF_PSEUDO_CALLs), .text is appended and
 * the calls made pc-relative, as libbpf does. Any other relocation (maps,
 * global data) is refused. *@out gets a malloc'd copy (free out->insns
 * with free()). Never crashes on malformed input: -EINVAL with the
 * problem and, where known, the byte offset in @err; -ENOENT when the
 * section is missing; -ENOTSUP for a relocation it cannot resolve;
 * -ENOMEM.
 */
int pf_ebpf_elf_read(const void *buf, size_t size, const char *section,
                     struct pf_ebpf_prog *out, struct pf_error *err);

/* Like pf_ebpf_elf_read, from the file @path. */
int pf_ebpf_elf_read_file(const char *path, const char *section,
                          struct pf_ebpf_prog *out, struct pf_error *err);

/* ---- The Linux kernel --------------------------------------------------- */

enum pf_ebpf_kernel_type {
    PF_EBPF_KERNEL_SOCKET, /* BPF_PROG_TYPE_SOCKET_FILTER */
    PF_EBPF_KERNEL_XDP,    /* BPF_PROG_TYPE_XDP */
};

/* Largest packet BPF_PROG_TEST_RUN takes (one page minus the kernel's
 * head and tail room; XDP reserves more head room). */
#define PF_EBPF_KERNEL_TEST_MAX_SOCKET (3712 - 14)
#define PF_EBPF_KERNEL_TEST_MAX_XDP 3520

/*
 * Checks that this process may load eBPF programs: 0, or -EPERM / -ENOSYS
 * with the reason in @err (stage PF_STAGE_KERNEL).
 */
int pf_ebpf_kernel_probe(struct pf_error *err);

/*
 * Loads @insns[0..@len) into the kernel as a @type program (license GPL).
 * On success *@fd is the program's descriptor (close with
 * pf_ebpf_kernel_close). When the kernel verifier refuses, returns its
 * errno (usually -EACCES or -EINVAL), puts the last line of the verifier's
 * log in @err and the whole log in @log (@logsz bytes, may be NULL/0).
 */
int pf_ebpf_kernel_load(const struct pf_ebpf_insn *insns, size_t len,
                        enum pf_ebpf_kernel_type type, char *log, size_t logsz,
                        int *fd, struct pf_error *err);

struct pf_ebpf_kernel_run_opts {
    size_t sz;          /* sizeof(struct pf_ebpf_kernel_run_opts) */
    uint32_t cb[5];     /* socket: __sk_buff.cb[] (cb[0] = wirelen for
                           programs translated with PF_TRANSLATE_LEN_CB0) */
    uint32_t mark;      /* socket: __sk_buff.mark */
    uint16_t protocol;  /* socket: EtherType of the dummy Ethernet header
                           (skb->protocol); 0 = 0x88b5 (local experimental:
                           the kernel refuses IPv4 test input shorter than
                           an IPv4 header, and parses no 0x88b5 payload) */
    uint32_t repeat;    /* runs (0 = 1); the duration is their mean */
};

/*
 * Runs program @fd (of @type) once (or @opts->repeat times) on
 * @pkt[0..@len) with BPF_PROG_TEST_RUN. For socket programs a dummy
 * Ethernet header is put in front (the kernel strips 14 bytes as the
 * link-layer header of test input), so the program sees @pkt from byte 0
 * and skb->len = @len. *@retval gets r0, *@duration_ns (may be NULL) the
 * kernel's time per run. Errors: -E2BIG (@len above the kernel's limit),
 * -EINVAL (XDP input shorter than 14 bytes, empty socket input), others
 * from bpf().
 */
int pf_ebpf_kernel_test_run(int fd, enum pf_ebpf_kernel_type type,
                            const uint8_t *pkt, uint32_t len,
                            const struct pf_ebpf_kernel_run_opts *opts,
                            uint32_t *retval, uint32_t *duration_ns,
                            struct pf_error *err);

/* Attaches socket filter @fd to socket @sock (SO_ATTACH_BPF): 0 or -errno. */
int pf_ebpf_kernel_attach_socket(int sock, int fd, struct pf_error *err);

/* Removes the filter of @sock (SO_DETACH_BPF): 0 or -errno. */
int pf_ebpf_kernel_detach_socket(int sock, struct pf_error *err);

/* Closes a program descriptor from pf_ebpf_kernel_load (< 0 is ignored). */
void pf_ebpf_kernel_close(int fd);

#ifdef __cplusplus
}
#endif

#endif
