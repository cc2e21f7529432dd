/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * pf_filter: holds a validated program and the engine that runs it.
 * Today the engine is the cBPF interpreter; the eBPF interpreter, the JIT
 * and the kernel join as they land, behind the same pf_filter_run.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <pfcap/filter.h>

struct pf_filter {
    struct pf_cbpf_prog cbpf;
    enum pf_engine engine;
    int linktype;
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

int pf_filter_new_cbpf(const struct pf_cbpf_insn *insns, size_t len,
                       const struct pf_filter_opts *opts,
                       struct pf_filter **out, struct pf_error *err)
{
    enum pf_engine engine = opts ? opts->engine : PF_ENGINE_DEFAULT;
    struct pf_filter *f;
    int ret;

    *out = NULL;
    if (engine != PF_ENGINE_DEFAULT && engine != PF_ENGINE_CBPF)
        return pf_error_set(err, -ENOTSUP, PF_STAGE_USAGE, 0,
                            "engine '%s' is not available in this build",
                            pf_engine_name(engine) ? pf_engine_name(engine)
                                                   : "?");
    ret = pf_cbpf_validate(insns, len, PF_CBPF_PROFILE_LIBPCAP, err);
    if (ret)
        return ret;
    f = calloc(1, sizeof(*f));
    if (!f || !(f->cbpf.insns = malloc(len * sizeof(*insns)))) {
        free(f);
        return pf_error_set(err, -ENOMEM, PF_STAGE_NONE, 0, "out of memory");
    }
    memcpy(f->cbpf.insns, insns, len * sizeof(*insns));
    f->cbpf.len = len;
    f->engine = PF_ENGINE_CBPF;
    f->linktype = opts ? opts->linktype : 1;
    *out = f;
    return 0;
}

uint32_t pf_filter_run(const struct pf_filter *f, const uint8_t *pkt,
                       uint32_t wirelen, uint32_t caplen)
{
    return pf_cbpf_run_valid(f->cbpf.insns, f->cbpf.len, pkt, wirelen, caplen,
                             NULL);
}

const struct pf_cbpf_prog *pf_filter_cbpf(const struct pf_filter *f)
{
    return &f->cbpf;
}

enum pf_engine pf_filter_engine(const struct pf_filter *f)
{
    return f->engine;
}

void pf_filter_free(struct pf_filter *f)
{
    if (!f)
        return;
    free(f->cbpf.insns);
    free(f);
}

const char *pf_version(void)
{
    return PF_VERSION;
}
