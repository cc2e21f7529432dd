/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Packet loads and comparisons relative to the current link layout (link
 * header, link-layer type field, link-layer payload, transport header),
 * and scratch-register allocation. The set and order of loads follow
 * libpcap's unoptimised code, because a load past the captured length
 * ends the program with verdict 0: the loads a test performs are part of
 * its verdict.
 */
#include <errno.h>

#include "filters/filters_impl.h"

/* A free scratch register, round-robin as libpcap allocates them;
 * a negative errno (and an error) when all 16 are in use. */
int fc_reg_alloc(struct fc_state *st)
{
    for (int n = 0; n < PF_CBPF_MEMWORDS; n++) {
        if (st->regs_used[st->curreg]) {
            st->curreg = (st->curreg + 1) % PF_CBPF_MEMWORDS;
            continue;
        }
        st->regs_used[st->curreg] = 1;
        return st->curreg;
    }
    return fc_error(st, PF_COMPILE_LIMIT,
                    "too many registers needed to evaluate the expression");
}

/* Returns @reg to the pool (out-of-range values are ignored). */
void fc_reg_free(struct fc_state *st, int reg)
{
    if (reg >= 0 && reg < PF_CBPF_MEMWORDS)
        st->regs_used[reg] = 0;
}

/* The register of variable offset @o, allocated on first use; <0 on error. */
int fc_off_reg(struct fc_state *st, struct fc_off *o)
{
    if (o->is_variable && o->reg < 0)
        o->reg = fc_reg_alloc(st);
    return o->reg;
}

/* Loads @size bytes at @off relative to the offset @abs. */
static int load_rel(struct fc_state *st, struct fc_off *abs,
                    uint32_t off, uint32_t size, struct fc_slist *out)
{
    if (abs->is_variable) {
        if (fc_off_reg(st, abs) < 0)
            return -EINVAL;
        if (fc_sadd(st, out, PF_CBPF_LDX | PF_CBPF_MEM, (uint32_t)abs->reg))
            return -ENOMEM;
        return fc_sadd(st, out, FC_LD(size, PF_CBPF_IND),
                   abs->constant_part + off);
    }
    return fc_sadd(st, out, FC_LD(size, PF_CBPF_ABS), abs->constant_part + off);
}

/* Appends X = IPv4 header length (+ variable link offset) to @out. */
int fc_loadx_iphdrlen(struct fc_state *st, struct fc_slist *out)
{
    if (st->off_linkpl.is_variable) {
        /* X = 4*(ip[0]&0xf) + M[reg]: the IP header starts at a variable
         * offset. */
        if (load_rel(st, &st->off_linkpl, st->off_nl, PF_CBPF_B, out) ||
            fc_sadd(st, out, PF_CBPF_ALU | PF_CBPF_AND | PF_CBPF_K, 0xf) ||
            fc_sadd(st, out, PF_CBPF_ALU | PF_CBPF_LSH | PF_CBPF_K, 2) ||
            fc_sadd(st, out, PF_CBPF_ALU | PF_CBPF_ADD | PF_CBPF_X, 0) ||
            fc_sadd(st, out, PF_CBPF_MISC | PF_CBPF_TAX, 0))
            return -ENOMEM;
        return 0;
    }
    return fc_sadd(st, out, PF_CBPF_LDX | PF_CBPF_B | PF_CBPF_MSH,
               st->off_linkpl.constant_part + st->off_nl);
}

/* Appends the load of @size bytes at @off relative to @rel to @out. */
int fc_load_a(struct fc_state *st, enum fc_rel rel, uint32_t off,
              uint32_t size, struct fc_slist *out)
{
    switch (rel) {
    case FC_OR_PACKET:
        return fc_sadd(st, out, FC_LD(size, PF_CBPF_ABS), off);
    case FC_OR_LINKHDR:
        return load_rel(st, &st->off_linkhdr, off, size, out);
    case FC_OR_PREVLINKHDR:
        return load_rel(st, &st->off_prevlinkhdr, off, size, out);
    case FC_OR_LLC:
        return load_rel(st, &st->off_linkpl, off, size, out);
    case FC_OR_PREVMPLSHDR:
        return load_rel(st, &st->off_linkpl, st->off_nl - 4 + off, size,
                        out);
    case FC_OR_LINKPL:
        return load_rel(st, &st->off_linkpl, st->off_nl + off, size, out);
    case FC_OR_LINKPL_NOSNAP:
        return load_rel(st, &st->off_linkpl, st->off_nl_nosnap + off, size,
                        out);
    case FC_OR_LINKTYPE:
        return load_rel(st, &st->off_linktype, off, size, out);
    case FC_OR_TRAN_IPV4:
        if (fc_loadx_iphdrlen(st, out))
            return -ENOMEM;
        return fc_sadd(st, out, FC_LD(size, PF_CBPF_IND),
                   st->off_linkpl.constant_part + st->off_nl + off);
    case FC_OR_TRAN_IPV6:
        return load_rel(st, &st->off_linkpl, st->off_nl + 40 + off, size,
                        out);
    }
    return -EINVAL;
}

/* (load & @mask) @jop @v at @rel+@off, negated if @reverse. */
struct fc_frag *fc_ncmp(struct fc_state *st, enum fc_rel rel, uint32_t off,
                        uint32_t size, uint32_t mask, uint16_t jop,
                        int reverse, uint32_t v)
{
    struct fc_slist l = {0};
    struct fc_frag *f;

    if (fc_load_a(st, rel, off, size, &l))
        return NULL;
    if (mask != 0xffffffff &&
        fc_sadd(st, &l, PF_CBPF_ALU | PF_CBPF_AND | PF_CBPF_K, mask))
        return NULL;
    f = fc_jump(st, &l, jop, v);
    return reverse ? fc_not(f) : f;
}

/* load == @v at @rel+@off. */
struct fc_frag *fc_cmp(struct fc_state *st, enum fc_rel rel, uint32_t off,
                       uint32_t size, uint32_t v)
{
    return fc_ncmp(st, rel, off, size, 0xffffffff, PF_CBPF_JEQ, 0, v);
}

/* (load & @mask) == @v at @rel+@off. */
struct fc_frag *fc_mcmp(struct fc_state *st, enum fc_rel rel, uint32_t off,
                        uint32_t size, uint32_t v, uint32_t mask)
{
    return fc_ncmp(st, rel, off, size, mask, PF_CBPF_JEQ, 0, v);
}

/* Compares @size bytes at @off with @v: words from the end, then a
 * halfword, then a byte, all and-ed (libpcap's gen_bcmp order). */
struct fc_frag *fc_bcmp(struct fc_state *st, enum fc_rel rel, uint32_t off,
                        uint32_t size, const uint8_t *v)
{
    struct fc_frag *b = NULL, *t;

    while (size >= 4) {
        const uint8_t *p = v + size - 4;

        t = fc_cmp(st, rel, off + size - 4, PF_CBPF_W,
                   (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
                       (uint32_t)p[2] << 8 | p[3]);
        b = b ? fc_and(b, t) : t;
        if (!b)
            return NULL;
        size -= 4;
    }
    while (size >= 2) {
        const uint8_t *p = v + size - 2;

        t = fc_cmp(st, rel, off + size - 2, PF_CBPF_H,
                   (uint32_t)p[0] << 8 | p[1]);
        b = b ? fc_and(b, t) : t;
        if (!b)
            return NULL;
        size -= 2;
    }
    if (size > 0) {
        t = fc_cmp(st, rel, off, PF_CBPF_B, v[0]);
        b = b ? fc_and(b, t) : t;
    }
    return b;
}
