/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The translator's driver: checks the input, runs the analyses, lowers
 * every reachable cBPF instruction in order into a growing eBPF buffer,
 * then patches the jumps once every instruction has its eBPF address.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "translate_impl.h"

static const char *const target_names[] = {
#define PF_TRANSLATE_TARGET_NAME(name, text) text,
    PF_TRANSLATE_TARGETS(PF_TRANSLATE_TARGET_NAME)
#undef PF_TRANSLATE_TARGET_NAME
};

#define N_TARGETS (sizeof(target_names) / sizeof(target_names[0]))

const char *pf_translate_target_name(enum pf_translate_target target)
{
    return (size_t)target < N_TARGETS ? target_names[target] : NULL;
}

int pf_translate_target_from_name(const char *name,
                                  enum pf_translate_target *out)
{
    for (size_t i = 0; name && i < N_TARGETS; i++) {
        if (strcmp(name, target_names[i]) == 0) {
            *out = (enum pf_translate_target)i;
            return 0;
        }
    }
    return -EINVAL;
}

static const char *const code_msgs[] = {
    "",
#define PF_TRANSLATE_CODE_MSG(name, msg) msg,
    PF_TRANSLATE_CODES(PF_TRANSLATE_CODE_MSG)
#undef PF_TRANSLATE_CODE_MSG
};

int tr_refuse(struct tr_ctx *c, int rc, int code, size_t insn, ...)
{
    char msg[PF_ERROR_MSG_MAX];
    va_list ap;

    if (c->rc)
        return c->rc;
    c->rc = rc;
    va_start(ap, insn);
    vsnprintf(msg, sizeof(msg), code_msgs[code], ap);
    va_end(ap);
    return pf_error_set_insn(c->err, rc, PF_STAGE_TRANSLATE, code, (long)insn,
                             "%s", msg);
}

static int grow(void **buf, size_t *cap, size_t want, size_t elem)
{
    size_t ncap = *cap ? *cap * 2 : 64;
    void *p;

    if (want <= *cap)
        return 0;
    while (ncap < want)
        ncap *= 2;
    p = realloc(*buf, ncap * elem);
    if (!p)
        return -ENOMEM;
    *buf = p;
    *cap = ncap;
    return 0;
}

void tr_emit(struct tr_ctx *c, struct pf_ebpf_insn insn)
{
    if (c->rc)
        return;
    if (grow((void **)&c->out, &c->cap, c->len + 1, sizeof(*c->out))) {
        tr_refuse(c, -ENOMEM, PF_TRANSLATE_ERR_NOMEM, 0);
        return;
    }
    c->out[c->len++] = insn;
}

/* Emits @jmp whose offset will point at cBPF instruction @target. */
void tr_emit_jump(struct tr_ctx *c, struct pf_ebpf_insn jmp, size_t target)
{
    if (c->rc)
        return;
    if (grow((void **)&c->fix, &c->capfix, c->nfix + 1, sizeof(*c->fix))) {
        tr_refuse(c, -ENOMEM, PF_TRANSLATE_ERR_NOMEM, 0);
        return;
    }
    c->fix[c->nfix++] = (struct tr_fixup){.at = c->len, .target = target};
    tr_emit(c, jmp);
}

/* Emits @jmp to "return 0": the next `ret #0` of the program if there is
 * one ahead, else the shared label at the end. */
void tr_emit_fail_jump(struct tr_ctx *c, struct pf_ebpf_insn jmp)
{
    size_t to = c->next_zero[c->cur_insn + 1];

    c->uses_fail |= to == c->n;
    tr_emit_jump(c, jmp, to);
}

static int is_ret_zero(const struct pf_cbpf_insn *p)
{
    return p->code == (PF_CBPF_RET | PF_CBPF_K) && p->k == 0;
}

/* Patches every jump offset; refuses offsets beyond the 16-bit field. */
static void resolve(struct tr_ctx *c)
{
    for (size_t f = 0; f < c->nfix && !c->rc; f++) {
        int64_t off = (int64_t)c->start[c->fix[f].target] -
                      (int64_t)c->fix[f].at - 1;
        if (off > INT16_MAX || off < 0) {
            tr_refuse(c, -E2BIG, PF_TRANSLATE_ERR_TOO_FAR,
                      c->fix[f].target < c->n ? c->fix[f].target : 0,
                      c->fix[f].at);
            return;
        }
        c->out[c->fix[f].at].off = (int16_t)off;
    }
}

static void lower_all(struct tr_ctx *c)
{
    c->next_zero[c->n] = c->n;
    for (size_t i = c->n; i-- > 0;)
        c->next_zero[i] = c->reach[i] && is_ret_zero(&c->in[i])
                              ? i : c->next_zero[i + 1];
    c->cur_insn = 0;
    tr_lower_prologue(c);
    for (size_t i = 0; i < c->n && !c->rc; i++) {
        c->cur_insn = i;
        c->start[i] = c->len;
        if (c->reach[i])
            tr_lower_insn(c, i);
    }
    c->start[c->n] = c->len;
    if (c->uses_fail)
        tr_lower_fail_label(c);
    resolve(c);
}

static int check_input(const struct pf_cbpf_insn *insns, size_t len,
                       const struct pf_translate_opts *opts,
                       struct pf_translate_opts *o, struct pf_error *err)
{
    int rc;

    memset(o, 0, sizeof(*o));
    if (opts) {
        if (opts->sz < offsetof(struct pf_translate_opts, target) +
                           sizeof(opts->target))
            return pf_error_set(err, -EINVAL, PF_STAGE_TRANSLATE,
                                PF_TRANSLATE_ERR_OPTS, "%s",
                                code_msgs[PF_TRANSLATE_ERR_OPTS]);
        memcpy(o, opts, opts->sz < sizeof(*o) ? opts->sz : sizeof(*o));
    }
    if ((size_t)o->target >= N_TARGETS ||
        (o->len_from != PF_TRANSLATE_LEN_SKB &&
         o->len_from != PF_TRANSLATE_LEN_CB0))
        return pf_error_set(err, -EINVAL, PF_STAGE_TRANSLATE,
                            PF_TRANSLATE_ERR_OPTS, "%s",
                            code_msgs[PF_TRANSLATE_ERR_OPTS]);
    rc = pf_cbpf_validate(insns, len, PF_CBPF_PROFILE_LIBPCAP, err);
    return rc;
}

static void ctx_free(struct tr_ctx *c)
{
    free(c->out);
    free(c->fix);
    free(c->start);
    free(c->need);
    free(c->known);
    free(c->reach);
    free(c->next_zero);
}

static int ctx_init(struct tr_ctx *c, const struct pf_cbpf_insn *insns,
                    size_t len, const struct pf_translate_opts *o,
                    struct pf_error *err)
{
    memset(c, 0, sizeof(*c));
    c->in = insns;
    c->n = len;
    c->target = o->target;
    c->len_from = o->len_from;
    c->err = err;
    c->start = calloc(len + 1, sizeof(*c->start));
    c->need = calloc(len, sizeof(*c->need));
    c->known = calloc(len, sizeof(*c->known));
    c->reach = calloc(len, sizeof(*c->reach));
    c->next_zero = calloc(len + 1, sizeof(*c->next_zero));
    if (!c->start || !c->need || !c->known || !c->reach || !c->next_zero)
        return tr_refuse(c, -ENOMEM, PF_TRANSLATE_ERR_NOMEM, 0);
    for (size_t i = 1; i < len; i++)
        c->known[i] = TR_INF;
    return 0;
}

int pf_translate(const struct pf_cbpf_insn *insns, size_t len,
                 const struct pf_translate_opts *opts,
                 struct pf_ebpf_prog *out, struct pf_error *err)
{
    struct pf_translate_opts o;
    struct tr_ctx c;
    int rc;

    rc = check_input(insns, len, opts, &o, err);
    if (rc)
        return rc;
    if (ctx_init(&c, insns, len, &o, err) == 0 && tr_analyze_need(&c) == 0) {
        tr_analyze_flow(&c);
        lower_all(&c);
    }
    rc = c.rc;
    if (rc == 0) {
        out->insns = c.out;
        out->len = c.len;
        c.out = NULL;
    }
    ctx_free(&c);
    return rc;
}
