/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The translator's driver: checks the input, runs the analyses, lowers
 * every reachable cBPF instruction in order into a growing eBPF buffer,
 * then patches the jumps once every instruction has its eBPF address.
 * Jumps farther than the 16-bit offset reaches become `gotol` sequences
 * (32-bit offset; pfcap's engine, and Linux since 6.4) in another pass.
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

static void add_fixup(struct tr_ctx *c, size_t target, int wide)
{
    if (grow((void **)&c->fix, &c->capfix, c->nfix + 1, sizeof(*c->fix))) {
        tr_refuse(c, -ENOMEM, PF_TRANSLATE_ERR_NOMEM, 0);
        return;
    }
    c->fix[c->nfix++] = (struct tr_fixup){.at = c->len, .target = target,
                                          .wide = wide};
}

/* The compare that jumps when @op's does not; 0 for jset. */
static uint8_t inverse_op(uint8_t op)
{
    switch (op) {
    case PF_EBPF_JEQ: return PF_EBPF_JNE;
    case PF_EBPF_JNE: return PF_EBPF_JEQ;
    case PF_EBPF_JGT: return PF_EBPF_JLE;
    case PF_EBPF_JLE: return PF_EBPF_JGT;
    case PF_EBPF_JGE: return PF_EBPF_JLT;
    case PF_EBPF_JLT: return PF_EBPF_JGE;
    case PF_EBPF_JSGT: return PF_EBPF_JSLE;
    case PF_EBPF_JSLE: return PF_EBPF_JSGT;
    case PF_EBPF_JSGE: return PF_EBPF_JSLT;
    case PF_EBPF_JSLT: return PF_EBPF_JSGE;
    default: return 0;
    }
}

/* The long form of @jmp: a `gotol` (32-bit offset in imm), behind the
 * inverted compare when @jmp is conditional. */
static void emit_long(struct tr_ctx *c, struct pf_ebpf_insn jmp,
                      size_t target)
{
    uint8_t op = (uint8_t)PF_EBPF_OP(jmp.code);

    if (op != PF_EBPF_JA) {
        if (inverse_op(op)) { /* if !cond goto +1 */
            jmp.code = (uint8_t)((jmp.code & ~0xf0) | inverse_op(op));
            jmp.off = 1;
            tr_emit(c, jmp);
        } else { /* if cond goto +1; goto +1 */
            jmp.off = 1;
            tr_emit(c, jmp);
            tr_emit(c, PF_EBPF_JMP_A(1));
        }
    }
    add_fixup(c, target, 1);
    /* gotol +imm */
    tr_emit(c, PF_EBPF_INSN(PF_EBPF_JMP32 | PF_EBPF_JA, 0, 0, 0, 0));
}

/* Emits @jmp whose offset will point at cBPF instruction @target. */
void tr_emit_jump(struct tr_ctx *c, struct pf_ebpf_insn jmp, size_t target)
{
    size_t id = c->nfix;

    if (c->rc)
        return;
    if (id < c->capwide && c->wide[id]) {
        emit_long(c, jmp, target);
        return;
    }
    add_fixup(c, target, 0);
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

/* Marks jump number @f for the long form; 0, or -ENOMEM. */
static int mark_wide(struct tr_ctx *c, size_t f)
{
    size_t old = c->capwide;

    if (grow((void **)&c->wide, &c->capwide, c->nfix, 1))
        return tr_refuse(c, -ENOMEM, PF_TRANSLATE_ERR_NOMEM, 0);
    memset(c->wide + old, 0, c->capwide - old);
    c->wide[f] = 1;
    return 0;
}

/* How many instructions the kernel may make of @in when it loads the
 * program: it rewrites LD_ABS/LD_IND into a helper call (up to 7),
 * context loads into field accesses, division by a register into a
 * guarded sequence and some helper calls into inline code, and it refuses
 * the load when a 16-bit jump offset no longer fits after the rewrite. */
static unsigned kernel_weight(const struct tr_ctx *c,
                              const struct pf_ebpf_insn *in)
{
    uint8_t cls = in->code & 0x07, op = (uint8_t)PF_EBPF_OP(in->code);

    if (c->target == PF_TRANSLATE_USER)
        return 1;
    if (cls == PF_EBPF_LD || in->code == (PF_EBPF_JMP | PF_EBPF_CALL))
        return 8;
    if (cls == PF_EBPF_LDX && in->src_reg == TR_S_CTX &&
        c->target == PF_TRANSLATE_SOCKET)
        return 8;
    if ((cls == PF_EBPF_ALU || cls == PF_EBPF_ALU64) &&
        (op == PF_EBPF_DIV || op == PF_EBPF_MOD))
        return 8;
    return 1;
}

/* pos[i]: the kernel-side address of instruction i (see kernel_weight),
 * for i in 0..len; NULL when out of memory. */
static uint64_t *weighted_pos(struct tr_ctx *c)
{
    uint64_t *pos = malloc((c->len + 1) * sizeof(*pos));

    if (!pos) {
        tr_refuse(c, -ENOMEM, PF_TRANSLATE_ERR_NOMEM, 0);
        return NULL;
    }
    pos[0] = 0;
    for (size_t i = 0; i < c->len; i++)
        pos[i + 1] = pos[i] + kernel_weight(c, &c->out[i]);
    return pos;
}

/* Patches every jump offset. Jumps whose span, as the kernel may grow
 * it, exceeds the 16-bit field are marked for the long form; returns how
 * many were (another pass is needed). */
static size_t resolve(struct tr_ctx *c)
{
    uint64_t *pos = weighted_pos(c);
    size_t nwide = 0;

    for (size_t f = 0; pos && f < c->nfix && !c->rc; f++) {
        const struct tr_fixup *x = &c->fix[f];
        size_t to = c->start[x->target];
        int64_t off = (int64_t)to - (int64_t)x->at - 1;

        if (off < 0 || off > INT32_MAX) { /* forward-only input */
            tr_refuse(c, -E2BIG, PF_TRANSLATE_ERR_TOO_FAR,
                      x->target < c->n ? x->target : 0, x->at);
        } else if (x->wide) {
            c->out[x->at].imm = (int32_t)off;
        } else if (pos[to] - pos[x->at + 1] > INT16_MAX) {
            nwide += mark_wide(c, f) == 0;
        } else {
            c->out[x->at].off = (int16_t)off;
        }
    }
    free(pos);
    return nwide;
}

/* One lowering pass from a clean output buffer. */
static void lower_pass(struct tr_ctx *c)
{
    c->len = 0;
    c->nfix = 0;
    c->uses_fail = 0;
    c->cur_insn = 0;
    for (size_t i = 0; i < c->n; i++)
        c->known[i] = i ? TR_INF : 0;
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
}

/* Lowers until every jump reaches its target: a pass that finds jumps
 * too far for 16 bits marks them long and runs again (marks only grow,
 * so the code only grows and the passes converge). */
static void lower_all(struct tr_ctx *c)
{
    c->next_zero[c->n] = c->n;
    for (size_t i = c->n; i-- > 0;)
        c->next_zero[i] = c->reach[i] && is_ret_zero(&c->in[i])
                              ? i : c->next_zero[i + 1];
    for (int pass = 0; !c->rc; pass++) {
        lower_pass(c);
        if (c->rc || resolve(c) == 0)
            return;
        if (pass + 1 == TR_MAX_PASSES)
            tr_refuse(c, -E2BIG, PF_TRANSLATE_ERR_TOO_FAR, 0, (size_t)0);
    }
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
    free(c->wide);
    free(c->start);
    free(c->need);
    free(c->known);
    free(c->reach);
    free(c->next_zero);
    free(c->raw);
    free(c->xmax);
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
    c->raw = calloc(len, sizeof(*c->raw));
    c->xmax = calloc(len, sizeof(*c->xmax));
    if (!c->start || !c->need || !c->known || !c->reach || !c->next_zero ||
        !c->raw || !c->xmax)
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
        tr_analyze_regs(&c);
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
