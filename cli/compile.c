/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * `pfcap compile`: shows every stage of the pipeline for one program.
 *   --emit=cbpf   the cBPF listing (tcpdump -d format)
 *   --emit=ebpf   the eBPF translation for --target (default user)
 *   --emit=elf    a relocatable eBPF object (default target socket),
 *                 loadable with `bpftool prog load`; needs -o FILE
 *   --emit=jit    the x86-64 machine code of the user translation (raw
 *                 bytes with -o FILE, else a hex dump)
 * The program is an expression (the remaining words, compiled for -y
 * LINKTYPE, default EN10MB) or a cBPF text file (--cbpf FILE, "-" =
 * stdin, in tcpdump -ddd or -d format).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pfcap/compile.h>
#include <pfcap/ebpf_io.h>
#include <pfcap/translate.h>

#include "cli.h"

enum emit { EMIT_CBPF, EMIT_EBPF, EMIT_ELF, EMIT_JIT };

struct compile_opts {
    enum emit emit;
    int target; /* enum pf_translate_target, -1 = the emit's default */
    const char *out;
    const char *cbpf_file;
    int linktype;
    char *expr; /* owned */
};

static const char usage_text[] =
    "usage: pfcap compile --emit=cbpf|ebpf|elf|jit "
    "[--target=user|socket|xdp]\n"
    "                     [-o FILE] [-y LINKTYPE] (--cbpf FILE | EXPR...)\n";

static int usage(const char *why)
{
    if (why)
        pf_cli_warn("%s", why);
    fputs(usage_text, stderr);
    return PF_EXIT_USAGE;
}

static int parse_emit(const char *s, enum emit *out)
{
    static const char *const names[] = {"cbpf", "ebpf", "elf", "jit"};

    for (int i = 0; i < 4; i++) {
        if (strcmp(s, names[i]) == 0) {
            *out = (enum emit)i;
            return 0;
        }
    }
    return -1;
}

static int parse_opt(struct compile_opts *o, int c, const char *arg)
{
    enum pf_translate_target t;

    switch (c) {
    case 'e':
        return parse_emit(arg, &o->emit) ? usage("unknown --emit value") : 0;
    case 't':
        if (pf_translate_target_from_name(arg, &t))
            return usage("unknown --target (user, socket or xdp)");
        o->target = (int)t;
        return 0;
    case 'o': o->out = arg; return 0;
    case 'c': o->cbpf_file = arg; return 0;
    case 'y':
        o->linktype = pf_linktype_from_name(arg);
        return o->linktype < 0 ? usage("unknown link type for -y") : 0;
    default: return usage(NULL);
    }
}

static int parse_args(int argc, char **argv, struct compile_opts *o)
{
    static const struct option longopts[] = {
        {"emit", required_argument, NULL, 'e'},
        {"target", required_argument, NULL, 't'},
        {"cbpf", required_argument, NULL, 'c'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c, have_emit = 0;

    memset(o, 0, sizeof(*o));
    o->target = -1;
    o->linktype = 1;
    optind = 0;
    while ((c = getopt_long(argc, argv, "+o:y:", longopts, NULL)) != -1) {
        int rc = parse_opt(o, c, optarg);

        if (rc)
            return rc;
        have_emit |= c == 'e';
    }
    if (!have_emit)
        return usage("--emit is required");
    if (!o->cbpf_file == !(optind < argc))
        return usage("give either --cbpf FILE or an expression");
    if (optind < argc && !(o->expr = pf_cli_join_words(argc - optind, argv + optind)))
        return PF_EXIT_RUNTIME;
    return 0;
}

/* Builds the cBPF program from --cbpf FILE or the expression. */
static int load_program(const struct compile_opts *o, struct pf_cbpf_prog *p)
{
    struct pf_compile_opts co = {.sz = sizeof(co), .linktype = o->linktype,
                                 .optimize = 1};
    struct pf_error e;
    size_t len;
    char *text;
    int rc;

    pf_error_init(&e);
    if (o->expr) {
        rc = pf_filter_compile(o->expr, &co, p, &e);
        if (rc)
            pf_cli_report(&e, o->expr);
        return rc ? PF_EXIT_USAGE : 0;
    }
    if (!(text = pf_cli_slurp(o->cbpf_file, &len))) {
        pf_cli_warn("%s: %s", o->cbpf_file, strerror(errno ? errno : EIO));
        return PF_EXIT_RUNTIME;
    }
    rc = pf_cbpf_asm(text, len, p, &e);
    if (rc) {
        fprintf(stderr, "pfcap: %s: ", o->cbpf_file);
        pf_cli_report(&e, NULL);
    }
    free(text);
    return rc ? PF_EXIT_USAGE : 0;
}

/* Writes @len bytes to -o FILE, or to stdout. */
static int write_out(const char *path, const void *buf, size_t len)
{
    FILE *f = path ? fopen(path, "wb") : stdout;
    int bad;

    if (!f) {
        pf_cli_warn("%s: %s", path, strerror(errno));
        return PF_EXIT_RUNTIME;
    }
    bad = fwrite(buf, 1, len, f) != len;
    bad |= path ? fclose(f) != 0 : fflush(f) != 0;
    if (bad) {
        pf_cli_warn("%s: %s", path ? path : "stdout", strerror(errno));
        return PF_EXIT_RUNTIME;
    }
    return PF_EXIT_OK;
}

static int emit_cbpf(const struct compile_opts *o, const struct pf_cbpf_prog *p)
{
    size_t n = pf_cbpf_dump(p->insns, p->len, PF_CBPF_DUMP_LISTING, NULL, 0);
    char *buf = malloc(n + 1);
    int rc;

    if (!buf)
        return PF_EXIT_RUNTIME;
    pf_cbpf_dump(p->insns, p->len, PF_CBPF_DUMP_LISTING, buf, n + 1);
    rc = write_out(o->out, buf, n);
    free(buf);
    return rc;
}

static int emit_ebpf(const struct compile_opts *o, const struct pf_ebpf_prog *p)
{
    size_t n = pf_ebpf_dump(p->insns, p->len, NULL, 0);
    char *buf = malloc(n + 1);
    int rc;

    if (!buf)
        return PF_EXIT_RUNTIME;
    pf_ebpf_dump(p->insns, p->len, buf, n + 1);
    rc = write_out(o->out, buf, n);
    free(buf);
    return rc;
}

static int emit_elf(const struct compile_opts *o, const struct pf_ebpf_prog *p)
{
    struct pf_ebpf_elf_opts eo = {.sz = sizeof(eo)};
    struct pf_error e;

    if (!o->out)
        return usage("--emit=elf needs -o FILE");
    eo.section = o->target == PF_TRANSLATE_XDP      ? "xdp"
                 : o->target == PF_TRANSLATE_SOCKET ? "socket"
                                                    : "pfcap";
    pf_error_init(&e);
    if (pf_ebpf_elf_write_file(o->out, p->insns, p->len, &eo, &e)) {
        pf_cli_report(&e, NULL);
        return PF_EXIT_RUNTIME;
    }
    return PF_EXIT_OK;
}

/* The JIT's code as raw bytes (-o) or as hex, 16 bytes a line. */
static int emit_jit(const struct compile_opts *o, const struct pf_ebpf_prog *p)
{
    struct pf_ebpf_vm *vm = NULL;
    const uint8_t *code;
    struct pf_error e;
    size_t len;
    int rc = PF_EXIT_RUNTIME;

    pf_error_init(&e);
    if (pf_ebpf_vm_new(p->insns, p->len, PF_EBPF_PROG_FILTER, &vm, &e) ||
        pf_ebpf_vm_jit(vm, &e) ||
        pf_ebpf_vm_jit_code(vm, (const void **)&code, &len)) {
        pf_cli_report(&e, NULL);
    } else if (o->out) {
        rc = write_out(o->out, code, len);
    } else {
        for (size_t i = 0; i < len; i++)
            printf("%02x%s", code[i], i % 16 == 15 || i + 1 == len ? "\n"
                                                                   : " ");
        rc = fflush(stdout) ? PF_EXIT_RUNTIME : PF_EXIT_OK;
    }
    pf_ebpf_vm_free(vm);
    return rc;
}

static int emit_translated(struct compile_opts *o, const struct pf_cbpf_prog *p)
{
    struct pf_translate_opts to = {.sz = sizeof(to)};
    struct pf_ebpf_prog ep;
    struct pf_error e;
    int rc;

    if (o->target < 0)
        o->target = o->emit == EMIT_ELF ? PF_TRANSLATE_SOCKET
                                        : PF_TRANSLATE_USER;
    if (o->emit == EMIT_JIT && o->target != PF_TRANSLATE_USER)
        return usage("--emit=jit takes only --target=user");
    to.target = (enum pf_translate_target)o->target;
    pf_error_init(&e);
    if (pf_translate(p->insns, p->len, &to, &ep, &e)) {
        pf_cli_report(&e, NULL);
        return PF_EXIT_RUNTIME;
    }
    rc = o->emit == EMIT_EBPF  ? emit_ebpf(o, &ep)
         : o->emit == EMIT_ELF ? emit_elf(o, &ep)
                               : emit_jit(o, &ep);
    free(ep.insns);
    return rc;
}

int pf_cli_compile_main(int argc, char **argv)
{
    struct pf_cbpf_prog prog = {0};
    struct compile_opts o;
    int rc = parse_args(argc, argv, &o);

    if (!rc)
        rc = load_program(&o, &prog);
    if (!rc)
        rc = o.emit == EMIT_CBPF ? emit_cbpf(&o, &prog)
                                 : emit_translated(&o, &prog);
    pf_cbpf_prog_free(&prog);
    free(o.expr);
    return rc;
}
