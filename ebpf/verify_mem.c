/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The verifier's memory rules: packet reads proven inside [0, caplen),
 * stack accesses inside r10-512..r10, aligned, reading only written bytes
 * (8-byte register spills keep the register's abstract value), socket
 * context fields, atomics on the stack, the legacy LD_ABS/LD_IND loads and
 * the typed helper calls.
 */
#include <stddef.h>
#include <string.h>

#include "verify_impl.h"

/* Bytes of struct __sk_buff a socket filter may read (kernel rules for
 * BPF_PROG_TYPE_SOCKET_FILTER): len .. tc_index, cb[], hash, napi_id. */
static int ctx_readable(int64_t off, int size)
{
    if (off < 0 || size > 4 || off % size)
        return 0;
    if (off < (int64_t)offsetof(struct pf_ebpf_skb, tc_classid))
        return 1;
    return off >= (int64_t)offsetof(struct pf_ebpf_skb, napi_id) &&
           off < (int64_t)offsetof(struct pf_ebpf_skb, napi_id) + 4;
}

static int ctx_writable(int64_t off, int size)
{
    int64_t cb = (int64_t)offsetof(struct pf_ebpf_skb, cb);

    return size == 4 && off >= cb && off < cb + 20 && off % 4 == 0;
}

/* A packet read of @size bytes at @p + @ioff: proven in bounds? */
static int check_pkt(struct venv *env, const struct vstate *s,
                     const struct vreg *p, int ioff, int size)
{
    __int128 start = (__int128)p->off + ioff;
    unsigned i;

    if (p->id == 0) {
        if (start < 0 || start + size > s->min_len)
            return pf_ebpf_vfail(env, PF_EBPF_RULE_PKT_RANGE,
                                 (long long)start, (long long)(start + size));
        return 0;
    }
    if (p->id == V_LEN_ID) {
        /* pkt + caplen + start: needs start + size <= 0, caplen >= -start */
        if (start + size > 0 || -start > s->min_len)
            return pf_ebpf_vfail(env, PF_EBPF_RULE_PKT_VAR_RANGE);
        return 0;
    }
    if ((__int128)p->umin + start < 0)
        return pf_ebpf_vfail(env, PF_EBPF_RULE_PKT_VAR_RANGE);
    for (i = 0; i < s->nrec; i++)
        if (s->rec[i].id == p->id && start + size <= s->rec[i].d)
            return 0;
    return pf_ebpf_vfail(env, PF_EBPF_RULE_PKT_VAR_RANGE);
}

static int stack_bit(const struct vstate *s, int byte)
{
    return (int)(s->init[byte / 64] >> (byte % 64)) & 1;
}

/* Checks a stack access; sets *@at to the byte index from the bottom. */
static int check_stack(struct venv *env, const struct vreg *p, int ioff,
                       int size, int *at)
{
    int64_t off = p->off + ioff;

    if (off < -PF_EBPF_STACK_SIZE || off + size > 0)
        return pf_ebpf_vfail(env, PF_EBPF_RULE_STACK_RANGE, (int)off, size);
    if (off % size)
        return pf_ebpf_vfail(env, PF_EBPF_RULE_STACK_ALIGN, (int)off, size);
    *at = (int)(off + PF_EBPF_STACK_SIZE);
    return 0;
}

struct vreg *pf_ebpf_v_spill(const struct vstate *s, int slot)
{
    unsigned i;

    for (i = 0; i < s->nspill; i++)
        if (s->spill[i].slot == slot)
            return (struct vreg *)&s->spill[i].r; /* like strchr */
    return NULL;
}

void pf_ebpf_v_unspill(struct vstate *s, int slot)
{
    unsigned i;

    for (i = 0; i < s->nspill; i++)
        if (s->spill[i].slot == slot) {
            s->spill[i] = s->spill[--s->nspill];
            return;
        }
}

/* Marks stack bytes [at, at + size) written; drops spills they touch.
 * What is left of a partly overwritten pointer becomes unreadable: a
 * pointer's bits differ between engines and must never reach a result. */
static void stack_write(struct vstate *s, int at, int size)
{
    int i;

    for (i = at / 8; i <= (at + size - 1) / 8; i++) {
        const struct vreg *old = pf_ebpf_v_spill(s, i);

        if (old && old->type != V_SCALAR)
            s->init[i / 8] &= ~((uint64_t)0xff << (8 * (i % 8)));
        pf_ebpf_v_unspill(s, i);
    }
    for (i = at; i < at + size; i++)
        s->init[i / 64] |= (uint64_t)1 << (i % 64);
}

static int stack_read(struct venv *env, struct vstate *s, int at, int size,
                      struct vreg *out, int sx)
{
    int i;

    for (i = at; i < at + size; i++)
        if (!stack_bit(s, i))
            return pf_ebpf_vfail(env, PF_EBPF_RULE_STACK_UNINIT,
                                 at - PF_EBPF_STACK_SIZE, size);
    if (pf_ebpf_v_spill(s, at / 8) &&
        pf_ebpf_v_spill(s, at / 8)->type != V_SCALAR && (size != 8 || !out))
        return pf_ebpf_vfail(env, PF_EBPF_RULE_STACK_PTR,
                             at - PF_EBPF_STACK_SIZE,
                             out ? "a partial read" : "this operation");
    if (!out)
        return 0;
    if (size == 8 && pf_ebpf_v_spill(s, at / 8))
        *out = *pf_ebpf_v_spill(s, at / 8);
    else
        pf_ebpf_v_unknown(env, out,
                          sx || size == 8 ? ~(uint64_t)0
                                          : ((uint64_t)1 << (8 * size)) - 1);
    return 0;
}

/* The base register of a memory access: initialised and a pointer. */
static int mem_base(struct venv *env, const struct vstate *s, unsigned reg)
{
    if (s->r[reg].type == V_NONE)
        return pf_ebpf_vfail(env, PF_EBPF_RULE_UNINIT_REG, reg);
    if (s->r[reg].type == V_SCALAR)
        return pf_ebpf_vfail(env, PF_EBPF_RULE_BAD_MEM_BASE, reg);
    return 0;
}

static int do_load(struct venv *env, struct vstate *s,
                   const struct pf_ebpf_insn *in, int sx)
{
    const struct vreg *p = &s->r[in->src_reg];
    int size = pf_ebpf_size_bytes(in->code), at, rc;
    struct vreg out;

    rc = mem_base(env, s, in->src_reg);
    if (rc)
        return rc;
    if (p->type == V_STACK) {
        rc = check_stack(env, p, in->off, size, &at);
        if (!rc)
            rc = stack_read(env, s, at, size, &out, sx);
    } else if (p->type == V_CTX) {
        if (!ctx_readable(p->off + in->off, size))
            return pf_ebpf_vfail(env, PF_EBPF_RULE_CTX_ACCESS,
                                 (int)(p->off + in->off), size);
        pf_ebpf_v_unknown(env, &out, sx ? ~(uint64_t)0
                                        : ((uint64_t)1 << (8 * size)) - 1);
    } else {
        rc = check_pkt(env, s, p, in->off, size);
        pf_ebpf_v_unknown(env, &out, sx || size == 8
                                         ? ~(uint64_t)0
                                         : ((uint64_t)1 << (8 * size)) - 1);
    }
    if (!rc)
        s->r[in->dst_reg] = out;
    return rc;
}

/* ST/STX: @val is the stored value (a register or the immediate). */
static int do_store(struct venv *env, struct vstate *s,
                    const struct pf_ebpf_insn *in, const struct vreg *val)
{
    const struct vreg *p = &s->r[in->dst_reg];
    int size = pf_ebpf_size_bytes(in->code), at, rc;

    rc = mem_base(env, s, in->dst_reg);
    if (rc)
        return rc;
    if (p->type == V_PKT)
        return pf_ebpf_vfail(env, PF_EBPF_RULE_PKT_WRITE);
    if (p->type == V_CTX) {
        if (!ctx_writable(p->off + in->off, size))
            return pf_ebpf_vfail(env, PF_EBPF_RULE_CTX_WRITE,
                                 (int)(p->off + in->off));
        if (val->type != V_SCALAR)
            return pf_ebpf_vfail(env, PF_EBPF_RULE_PTR_LEAK, in->src_reg,
                                 "into the context");
        return 0;
    }
    rc = check_stack(env, p, in->off, size, &at);
    if (rc)
        return rc;
    if (val->type != V_SCALAR && size != 8)
        return pf_ebpf_vfail(env, PF_EBPF_RULE_PTR_LEAK, in->src_reg,
                             "through a partial stack store");
    stack_write(s, at, size);
    if (size == 8 && s->nspill < V_SPILLS) {
        s->spill[s->nspill].slot = at / 8;
        s->spill[s->nspill++].r = *val;
    } else if (size == 8 && val->type != V_SCALAR) {
        return pf_ebpf_vfail(env, PF_EBPF_RULE_PTR_LEAK, in->src_reg,
                             "into more than 16 stack slots");
    }
    return 0;
}

static int do_atomic(struct venv *env, struct vstate *s,
                     const struct pf_ebpf_insn *in)
{
    const struct vreg *p = &s->r[in->dst_reg];
    int size = pf_ebpf_size_bytes(in->code), at, rc, op = in->imm;
    int base = op & ~PF_EBPF_FETCH;

    if (op != PF_EBPF_XCHG && op != PF_EBPF_CMPXCHG &&
        base != PF_EBPF_ADD && base != PF_EBPF_OR && base != PF_EBPF_AND &&
        base != PF_EBPF_XOR)
        return pf_ebpf_vfail(env, PF_EBPF_RULE_ATOMIC_OP, op);
    rc = mem_base(env, s, in->dst_reg);
    if (rc)
        return rc;
    if (p->type != V_STACK)
        return pf_ebpf_vfail(env, PF_EBPF_RULE_ATOMIC_MEM);
    if (s->r[in->src_reg].type == V_NONE)
        return pf_ebpf_vfail(env, PF_EBPF_RULE_UNINIT_REG, in->src_reg);
    if (s->r[in->src_reg].type != V_SCALAR)
        return pf_ebpf_vfail(env, PF_EBPF_RULE_PTR_LEAK, in->src_reg,
                             "into memory");
    if (op == PF_EBPF_CMPXCHG && s->r[0].type != V_SCALAR)
        return pf_ebpf_vfail(env, s->r[0].type == V_NONE
                                      ? PF_EBPF_RULE_UNINIT_REG
                                      : PF_EBPF_RULE_PTR_LEAK,
                             0, "into memory");
    rc = check_stack(env, p, in->off, size, &at);
    if (!rc)
        rc = stack_read(env, s, at, size, NULL, 0);
    if (rc)
        return rc;
    stack_write(s, at, size);
    if (op == PF_EBPF_CMPXCHG)
        pf_ebpf_v_unknown(env, &s->r[0], size == 4 ? 0xffffffffu
                                                   : ~(uint64_t)0);
    else if (op & PF_EBPF_FETCH)
        pf_ebpf_v_unknown(env, &s->r[in->src_reg],
                          size == 4 ? 0xffffffffu : ~(uint64_t)0);
    return 0;
}

/* Clobbers r1-r5 after a call or a legacy load, as the kernel does. */
static void clobber_args(struct vstate *s)
{
    int i;

    for (i = 1; i <= 5; i++)
        memset(&s->r[i], 0, sizeof(s->r[i]));
}

/* LD_ABS/LD_IND: socket programs, r6 = context. */
static int do_ld_legacy(struct venv *env, struct vstate *s,
                        const struct pf_ebpf_insn *in, int ind)
{
    int size = pf_ebpf_size_bytes(in->code);

    if (env->type != PF_EBPF_PROG_SOCKET)
        return pf_ebpf_vfail(env, PF_EBPF_RULE_LD_ABS_TYPE);
    if (s->r[6].type != V_CTX || s->r[6].off != 0)
        return pf_ebpf_vfail(env, PF_EBPF_RULE_LD_ABS_CTX);
    if (ind && s->r[in->src_reg].type == V_NONE)
        return pf_ebpf_vfail(env, PF_EBPF_RULE_UNINIT_REG, in->src_reg);
    if (ind && s->r[in->src_reg].type != V_SCALAR)
        return pf_ebpf_vfail(env, PF_EBPF_RULE_PTR_ARITH, "LD_IND",
                             in->src_reg);
    clobber_args(s);
    pf_ebpf_v_unknown(env, &s->r[0], ((uint64_t)1 << (8 * size)) - 1);
    return 0;
}

int pf_ebpf_v_mem(struct venv *env, struct vstate *s,
                  const struct pf_ebpf_insn *in)
{
    struct vreg imm;

    switch (pf_ebpf_opinfo[in->code].kind) {
    case PF_EBPF_KIND_LDX: return do_load(env, s, in, 0);
    case PF_EBPF_KIND_LDXSX: return do_load(env, s, in, 1);
    case PF_EBPF_KIND_ST:
        pf_ebpf_v_const(&imm, (uint64_t)(int64_t)in->imm);
        return do_store(env, s, in, &imm);
    case PF_EBPF_KIND_STX:
        if (s->r[in->src_reg].type == V_NONE)
            return pf_ebpf_vfail(env, PF_EBPF_RULE_UNINIT_REG, in->src_reg);
        return do_store(env, s, in, &s->r[in->src_reg]);
    case PF_EBPF_KIND_ATOMIC: return do_atomic(env, s, in);
    case PF_EBPF_KIND_LDABS: return do_ld_legacy(env, s, in, 0);
    case PF_EBPF_KIND_LDIND: return do_ld_legacy(env, s, in, 1);
    default: return pf_ebpf_vfail(env, PF_EBPF_RULE_BAD_OPCODE, in->code);
    }
}

/* skb_load_bytes(ctx, u32 offset, stack buffer, constant size > 0). */
static int check_load_bytes(struct venv *env, struct vstate *s, int id)
{
    const struct vreg *r = s->r;
    int at;

    if (r[1].type != V_CTX || r[1].off != 0)
        return pf_ebpf_vfail(env, PF_EBPF_RULE_HELPER_ARG, id, 1u,
                             "must be the context");
    if (r[2].type != V_SCALAR)
        return pf_ebpf_vfail(env, PF_EBPF_RULE_HELPER_ARG, id, 2u,
                             "must be a number");
    if (r[3].type != V_STACK)
        return pf_ebpf_vfail(env, PF_EBPF_RULE_HELPER_ARG, id, 3u,
                             "must point to the stack");
    if (r[4].type != V_SCALAR || r[4].umin == 0 ||
        r[4].umax > PF_EBPF_STACK_SIZE ||
        r[3].off < -PF_EBPF_STACK_SIZE ||
        r[3].off + (int64_t)r[4].umax > 0)
        return pf_ebpf_vfail(env, PF_EBPF_RULE_HELPER_ARG, id, 4u,
                             "must be a size > 0 that fits the buffer");
    at = (int)(r[3].off + PF_EBPF_STACK_SIZE);
    stack_write(s, at, (int)r[4].umin);
    return 0;
}

int pf_ebpf_v_call(struct venv *env, struct vstate *s,
                   const struct pf_ebpf_insn *in)
{
    int rc = 0;

    switch (in->imm) {
    case PF_EBPF_FUNC_get_prandom_u32:
        clobber_args(s);
        pf_ebpf_v_unknown(env, &s->r[0], 0xffffffffu);
        return 0;
    case PF_EBPF_FUNC_skb_load_bytes:
        if (env->type != PF_EBPF_PROG_SOCKET)
            return pf_ebpf_vfail(env, PF_EBPF_RULE_HELPER_TYPE, in->imm);
        rc = check_load_bytes(env, s, in->imm);
        if (rc)
            return rc;
        clobber_args(s);
        pf_ebpf_v_unknown(env, &s->r[0], ~(uint64_t)0);
        return 0;
    default: return pf_ebpf_vfail(env, PF_EBPF_RULE_HELPER_UNKNOWN, in->imm);
    }
}
