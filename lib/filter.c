/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * pf_filter: a validated cBPF program and the engine that runs it — the
 * cBPF interpreter, the eBPF interpreter or the JIT (over the program
 * translated for pfcap's own engine), or the Linux kernel (the socket
 * translation run with BPF_PROG_TEST_RUN). When the requested engine
 * cannot take a program, the filter falls back to one that can and
 * records why (pf_filter_note); the verdicts are the same in all of them.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pfcap/compile.h>
#include <pfcap/ebpf_io.h>
#include <pfcap/filter.h>
#include <pfcap/translate.h>

struct pf_filter {
    pf_filter_fn entry;         /* JIT code taking pf_filter_run's arguments */
    struct pf_cbpf_prog cbpf;
    enum pf_engine engine;      /* the engine that runs */
    int linktype;
    struct pf_ebpf_vm *vm;      /* EBPF_INTERP and JIT */
    int kernel_fd;              /* KERNEL */
    int socket_prog;            /* an eBPF socket filter, no cBPF form */
    char note[PF_ERROR_MSG_MAX];
};

static const char *const engine_names[] = {
#define PF_ENGINE_NAME(name, text) text,
    PF_ENGINES(PF_ENGINE_NAME)
#undef PF_ENGINE_NAME
};

const char *pf_engine_name(enum pf_engine engine)
{
    if ((size_t)engine >= sizeof(engine_names) / sizeof(engine_names[0]))
        return NULL;
    return engine_names[engine];
}

int pf_engine_from_name(const char *name, enum pf_engine *out)
{
    for (size_t i = 0; i < sizeof(engine_names) / sizeof(engine_names[0]); i++) {
        if (strcmp(name, engine_names[i]) == 0) {
            *out = (enum pf_engine)i;
            return 0;
        }
    }
    return -EINVAL;
}

/* Records that @f runs on the cBPF interpreter because of @why. */
static void fall_back(struct pf_filter *f, const char *engine,
                      const struct pf_error *why)
{
    snprintf(f->note, sizeof(f->note), "%s: %.180s; using the %s engine", engine,
             why->msg, pf_engine_name(f->engine));
}

/* Points f->entry at the JIT code's entry for pf_filter_run's arguments,
 * so pf_filter_run jumps straight into it. */
static void set_jit_entry(struct pf_filter *f)
{
    const void *code;

    if (pf_ebpf_vm_jit_filter_entry(f->vm, &code) == 0)
        memcpy(&f->entry, &code, sizeof(f->entry));
}

/* Translates for pfcap's own eBPF engine; JIT-compiles when asked. */
static int setup_ebpf(struct pf_filter *f, int jit)
{
    struct pf_translate_opts to = {.sz = sizeof(to),
                                   .target = PF_TRANSLATE_USER};
    struct pf_ebpf_prog prog = {0};
    struct pf_error e;
    int ret;

    pf_error_init(&e);
    ret = pf_translate(f->cbpf.insns, f->cbpf.len, &to, &prog, &e);
    if (!ret)
        ret = pf_ebpf_vm_new(prog.insns, prog.len, PF_EBPF_PROG_FILTER, &f->vm,
                             &e);
    free(prog.insns);
    if (ret) {
        f->engine = PF_ENGINE_CBPF;
        fall_back(f, jit ? "jit" : "ebpf-interp", &e);
        return 0;
    }
    f->engine = PF_ENGINE_EBPF_INTERP;
    if (jit && pf_ebpf_vm_jit(f->vm, &e) == 0) {
        f->engine = PF_ENGINE_JIT;
        set_jit_entry(f);
    } else if (jit)
        fall_back(f, "jit", &e);
    return 0;
}

/* Loads the socket translation into the kernel (wire length in cb[0]). */
static int setup_kernel(struct pf_filter *f, struct pf_error *err)
{
    struct pf_translate_opts to = {.sz = sizeof(to),
                                   .target = PF_TRANSLATE_SOCKET,
                                   .len_from = PF_TRANSLATE_LEN_CB0};
    struct pf_ebpf_prog prog = {0};
    int ret;

    ret = pf_translate(f->cbpf.insns, f->cbpf.len, &to, &prog, err);
    if (!ret)
        ret = pf_ebpf_kernel_load(prog.insns, prog.len, PF_EBPF_KERNEL_SOCKET,
                                  NULL, 0, &f->kernel_fd, err);
    free(prog.insns);
    if (!ret)
        f->engine = PF_ENGINE_KERNEL;
    return ret;
}

static int setup_engine(struct pf_filter *f, enum pf_engine engine,
                        struct pf_error *err)
{
    switch (engine) {
    case PF_ENGINE_CBPF:
        f->engine = PF_ENGINE_CBPF;
        return 0;
    case PF_ENGINE_EBPF_INTERP:
        return setup_ebpf(f, 0);
    case PF_ENGINE_KERNEL:
        return setup_kernel(f, err);
    case PF_ENGINE_DEFAULT:
    case PF_ENGINE_JIT:
        return setup_ebpf(f, 1);
    }
    return pf_error_set(err, -EINVAL, PF_STAGE_USAGE, 0, "unknown engine %d",
                        (int)engine);
}

/* Takes ownership of @insns (malloc'd) and builds the filter around it. */
static int filter_make(struct pf_cbpf_insn *insns, size_t len,
                       const struct pf_filter_opts *opts,
                       struct pf_filter **out, struct pf_error *err)
{
    struct pf_filter *f;
    int ret = pf_cbpf_validate(insns, len, PF_CBPF_PROFILE_LIBPCAP, err);

    if (ret || !(f = calloc(1, sizeof(*f)))) {
        free(insns);
        return ret ? ret
                   : pf_error_set(err, -ENOMEM, PF_STAGE_NONE, 0,
                                  "out of memory");
    }
    f->cbpf.insns = insns;
    f->cbpf.len = len;
    f->kernel_fd = -1;
    f->linktype = opts ? opts->linktype : 1;
    ret = setup_engine(f, opts ? opts->engine : PF_ENGINE_DEFAULT, err);
    if (ret) {
        pf_filter_free(f);
        return ret;
    }
    *out = f;
    return 0;
}

int pf_filter_new_cbpf(const struct pf_cbpf_insn *insns, size_t len,
                       const struct pf_filter_opts *opts,
                       struct pf_filter **out, struct pf_error *err)
{
    struct pf_cbpf_insn *copy = malloc((len ? len : 1) * sizeof(*insns));

    *out = NULL;
    if (!copy)
        return pf_error_set(err, -ENOMEM, PF_STAGE_NONE, 0, "out of memory");
    memcpy(copy, insns, len * sizeof(*insns));
    return filter_make(copy, len, opts, out, err);
}

int pf_filter_new_expr(const char *expr, const struct pf_filter_opts *opts,
                       struct pf_filter **out, struct pf_error *err)
{
    struct pf_compile_opts co = {
        .sz = sizeof(co),
        .linktype = opts ? opts->linktype : 1,
        .snaplen = opts ? opts->snaplen : 0,
        .optimize = opts ? !opts->no_optimize : 1,
        .context = opts && opts->live ? PF_COMPILE_LIVE_LINUX : PF_COMPILE_FILE,
        .netmask = opts ? opts->netmask : 0,
        .swapped = opts ? opts->swapped : 0,
    };
    struct pf_cbpf_prog prog = {0};
    int ret;

    *out = NULL;
    ret = pf_filter_compile(expr, &co, &prog, err);
    if (ret)
        return ret;
    return filter_make(prog.insns, prog.len, opts, out, err);
}

/* Loads the socket program of an eBPF object into an engine. */
static int setup_socket_prog(struct pf_filter *f, const struct pf_ebpf_prog *p,
                             enum pf_engine engine, struct pf_error *err)
{
    int ret;

    if (engine == PF_ENGINE_CBPF)
        return pf_error_set(err, -ENOTSUP, PF_STAGE_USAGE, 0,
                            "an eBPF object cannot run on the cbpf engine");
    /* The VM also serves the kernel engine for packets larger than
     * BPF_PROG_TEST_RUN takes. */
    ret = pf_ebpf_vm_new(p->insns, p->len, PF_EBPF_PROG_SOCKET, &f->vm, err);
    if (ret)
        return ret;
    if (engine == PF_ENGINE_KERNEL) {
        f->engine = PF_ENGINE_KERNEL;
        return pf_ebpf_kernel_load(p->insns, p->len, PF_EBPF_KERNEL_SOCKET,
                                   NULL, 0, &f->kernel_fd, err);
    }
    f->engine = PF_ENGINE_EBPF_INTERP;
    if (engine != PF_ENGINE_EBPF_INTERP) {
        struct pf_error why;

        pf_error_init(&why);
        if (pf_ebpf_vm_jit(f->vm, &why) == 0)
            f->engine = PF_ENGINE_JIT;
        else
            fall_back(f, "jit", &why);
    }
    return 0;
}

int pf_filter_new_ebpf_obj(const char *path, const char *section,
                           const struct pf_filter_opts *opts,
                           struct pf_filter **out, struct pf_error *err)
{
    struct pf_ebpf_prog prog = {0};
    struct pf_filter *f;
    int ret;

    *out = NULL;
    ret = pf_ebpf_elf_read_file(path, section, &prog, err);
    if (ret)
        return ret;
    f = calloc(1, sizeof(*f));
    if (!f) {
        free(prog.insns);
        return pf_error_set(err, -ENOMEM, PF_STAGE_NONE, 0, "out of memory");
    }
    f->kernel_fd = -1;
    f->socket_prog = 1;
    f->linktype = opts ? opts->linktype : 1;
    ret = setup_socket_prog(f, &prog, opts ? opts->engine : PF_ENGINE_DEFAULT,
                            err);
    free(prog.insns);
    if (ret) {
        pf_filter_free(f);
        return ret;
    }
    *out = f;
    return 0;
}

/* skb->protocol as the kernel would set it: the EtherType of an Ethernet
 * frame (0 for other link types). */
static uint16_t skb_protocol(const struct pf_filter *f, const uint8_t *pkt,
                             uint32_t caplen)
{
    if (f->linktype != 1 || caplen < 14)
        return 0;
    return (uint16_t)(pkt[12] << 8 | pkt[13]);
}

/* An eBPF socket filter: run in pfcap's VM, or in the kernel. */
static uint32_t run_socket(const struct pf_filter *f, const uint8_t *pkt,
                           uint32_t caplen)
{
    struct pf_ebpf_skb_meta meta = {.protocol = skb_protocol(f, pkt, caplen)};
    struct pf_ebpf_kernel_run_opts ro = {.sz = sizeof(ro),
                                         .protocol = meta.protocol};
    uint32_t ret;

    if (f->engine == PF_ENGINE_KERNEL &&
        caplen <= PF_EBPF_KERNEL_TEST_MAX_SOCKET &&
        pf_ebpf_kernel_test_run(f->kernel_fd, PF_EBPF_KERNEL_SOCKET, pkt,
                                caplen, &ro, &ret, NULL, NULL) == 0)
        return ret;
    return (uint32_t)pf_ebpf_vm_run_socket(f->vm, pkt, caplen, &meta, NULL,
                                           f->engine == PF_ENGINE_JIT);
}

/* The kernel leg: BPF_PROG_TEST_RUN with the wire length in cb[0]. Packets
 * the kernel's test harness cannot take run in the cBPF interpreter. */
static uint32_t run_kernel(const struct pf_filter *f, const uint8_t *pkt,
                           uint32_t wirelen, uint32_t caplen)
{
    struct pf_ebpf_kernel_run_opts ro = {.sz = sizeof(ro), .cb = {wirelen}};
    uint32_t ret;

    if (caplen <= PF_EBPF_KERNEL_TEST_MAX_SOCKET &&
        pf_ebpf_kernel_test_run(f->kernel_fd, PF_EBPF_KERNEL_SOCKET, pkt,
                                caplen, &ro, &ret, NULL, NULL) == 0)
        return ret;
    return pf_cbpf_run_valid(f->cbpf.insns, f->cbpf.len, pkt, wirelen, caplen,
                             NULL);
}

/* Every engine but the JIT; kept out of line so that pf_filter_run's JIT
 * path stays a tail call with no frame. */
static __attribute__((noinline)) uint32_t
run_other(const struct pf_filter *f, const uint8_t *pkt, uint32_t wirelen,
          uint32_t caplen)
{
    if (f->socket_prog)
        return run_socket(f, pkt, caplen);
    switch (f->engine) {
    case PF_ENGINE_JIT:
        return (uint32_t)pf_ebpf_vm_run_filter(f->vm, pkt, caplen, wirelen);
    case PF_ENGINE_EBPF_INTERP:
        return (uint32_t)pf_ebpf_vm_run_interp(f->vm, pkt, caplen, wirelen);
    case PF_ENGINE_KERNEL:
        return run_kernel(f, pkt, wirelen, caplen);
    default:
        return pf_cbpf_run_valid(f->cbpf.insns, f->cbpf.len, pkt, wirelen,
                                 caplen, NULL);
    }
}

uint32_t pf_filter_run(const struct pf_filter *f, const uint8_t *pkt,
                       uint32_t wirelen, uint32_t caplen)
{
    if (f->entry) /* the common case: a jump into the JIT code */
        return f->entry(f, pkt, wirelen, caplen);
    return run_other(f, pkt, wirelen, caplen);
}

pf_filter_fn pf_filter_entry(const struct pf_filter *f)
{
    return f->entry ? f->entry : pf_filter_run;
}

const struct pf_cbpf_prog *pf_filter_cbpf(const struct pf_filter *f)
{
    return &f->cbpf;
}

enum pf_engine pf_filter_engine(const struct pf_filter *f)
{
    return f->engine;
}

const char *pf_filter_note(const struct pf_filter *f)
{
    return f->note;
}

void pf_filter_free(struct pf_filter *f)
{
    if (!f)
        return;
    pf_ebpf_vm_free(f->vm);
    if (f->kernel_fd >= 0)
        pf_ebpf_kernel_close(f->kernel_fd);
    free(f->cbpf.insns);
    free(f);
}

const char *pf_version(void)
{
    return PF_VERSION;
}
