/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A generator of valid random eBPF programs for the tests: filter programs
 * with ALU ops of every kind, byte swaps, guarded packet loads, stack
 * traffic, atomics and forward branches; socket programs with
 * LD_ABS/LD_IND, context reads and cb writes. Every register and stack
 * slot is folded into r0 at the end so that any wrong result shows.
 */
#ifndef PF_TESTS_EBPF_GEN_H
#define PF_TESTS_EBPF_GEN_H

#include "ebpf/ebpf_ops.h"
#include "ebpf_harness.h"

#define MAXP 400

struct gen {
    uint64_t st;
    struct pf_ebpf_insn p[MAXP];
    size_t n;
    int socket;
    int kernel_ctx; /* socket: only the context fields the kernel's test
                       run fills the same way (len, cb[]) */
};

static unsigned pick(struct gen *g, unsigned n)
{
    return (unsigned)(rnd(&g->st) % n);
}

/* A scalar register of the current mode. */
static unsigned sreg(struct gen *g)
{
    static const unsigned filt[] = {0, 3, 4, 5, 6, 7, 8, 9};
    static const unsigned sock[] = {0, 7, 8, 9};

    return g->socket ? sock[pick(g, 4)] : filt[pick(g, 8)];
}

static int32_t rimm(struct gen *g)
{
    static const int32_t special[] = {0,         1,    -1,     INT32_MIN,
                                      INT32_MAX, 2,    8,      0x7f,
                                      0x80,      0xff, 0xffff, 0x10000};

    return pick(g, 2) ? special[pick(g, N(special))] : (int32_t)rnd(&g->st);
}

static void add(struct gen *g, struct pf_ebpf_insn in)
{
    if (g->n < MAXP)
        g->p[g->n++] = in;
}

static void gen_alu(struct gen *g)
{
    static const unsigned ops[] = {PF_EBPF_ADD, PF_EBPF_SUB, PF_EBPF_MUL,
                                   PF_EBPF_DIV, PF_EBPF_OR,  PF_EBPF_AND,
                                   PF_EBPF_LSH, PF_EBPF_RSH, PF_EBPF_MOD,
                                   PF_EBPF_XOR, PF_EBPF_MOV, PF_EBPF_ARSH};
    unsigned op = ops[pick(g, N(ops))], d = sreg(g);
    int is64 = pick(g, 2), isx = pick(g, 2);
    uint8_t cls = is64 ? PF_EBPF_ALU64 : PF_EBPF_ALU;
    int16_t off = 0;
    int32_t imm = rimm(g);

    if ((op == PF_EBPF_DIV || op == PF_EBPF_MOD) && pick(g, 3) == 0)
        off = 1;
    if (op == PF_EBPF_MOV && isx && pick(g, 3) == 0)
        off = (int16_t)(is64 ? 8 << pick(g, 3) : 8 << pick(g, 2));
    if (!isx && (op == PF_EBPF_LSH || op == PF_EBPF_RSH || op == PF_EBPF_ARSH))
        imm = (int32_t)pick(g, is64 ? 64 : 32);
    if (!isx && (op == PF_EBPF_DIV || op == PF_EBPF_MOD) && imm == 0)
        imm = 3;
    add(g, PF_EBPF_INSN((uint8_t)(cls | op | (isx ? PF_EBPF_X : PF_EBPF_K)), d,
                        isx ? sreg(g) : 0, off, isx ? 0 : imm));
}

static void gen_unary(struct gen *g)
{
    static const uint8_t codes[] = {PF_EBPF_OPC_NEG32, PF_EBPF_OPC_NEG64,
                                    PF_EBPF_OPC_LE, PF_EBPF_OPC_BE,
                                    PF_EBPF_OPC_BSWAP};
    uint8_t c = codes[pick(g, N(codes))];

    add(g, PF_EBPF_INSN(c, sreg(g), 0, 0,
                        c == PF_EBPF_OPC_NEG32 || c == PF_EBPF_OPC_NEG64
                            ? 0
                            : 16 << pick(g, 3)));
}

/* Stack traffic inside the 64 bytes the prologue zeroes. */
static void gen_stack(struct gen *g)
{
    int sz = (int)pick(g, 4), bytes = 1 << sz;
    int16_t off = (int16_t)(-64 + bytes * (int)pick(g, (unsigned)(64 / bytes)));
    uint8_t size = (uint8_t)(sz == 0   ? PF_EBPF_B
                             : sz == 1 ? PF_EBPF_H
                             : sz == 2 ? PF_EBPF_W
                                       : PF_EBPF_DW);

    switch (pick(g, 5)) {
    case 0: add(g, PF_EBPF_STX_MEM(size, 10, sreg(g), off)); break;
    case 1: add(g, PF_EBPF_ST_MEM(size, 10, off, rimm(g))); break;
    case 2: add(g, PF_EBPF_LDX_MEM(size, sreg(g), 10, off)); break;
    case 3:
        if (sz < 3)
            add(g, PF_EBPF_LDX_MEMSX(size, sreg(g), 10, off));
        break;
    default: {
        static const int ops[] = {0x00, 0x40, 0x50, 0xa0, 0x01,
                                  0x41, 0x51, 0xa1, 0xe1, 0xf1};

        if (sz < 2)
            break;
        add(g, PF_EBPF_ATOMIC_OP(size, ops[pick(g, N(ops))], 10, sreg(g), off));
    }
    }
}

/* A packet read: guarded direct load (filter) or LD_ABS/LD_IND (socket). */
static void gen_packet(struct gen *g)
{
    int sz = (int)pick(g, g->socket ? 3 : 4), bytes = 1 << sz;
    uint8_t size = (uint8_t)(sz == 0   ? PF_EBPF_B
                             : sz == 1 ? PF_EBPF_H
                             : sz == 2 ? PF_EBPF_W
                                       : PF_EBPF_DW);
    int off = (int)pick(g, 70);

    if (g->socket) {
        if (pick(g, 2))
            add(g, PF_EBPF_LD_ABS(size, off));
        else {
            unsigned r = sreg(g);

            /* the kernel test: keep clear of the SKF_NET_OFF range, whose
             * base (the network header) pfcap does not know */
            if (g->kernel_ctx)
                add(g, PF_EBPF_ALU32_IMM(PF_EBPF_AND, r, 0x7fff));
            add(g, PF_EBPF_LD_IND(size, r, (int32_t)pick(g, 70) - 5));
        }
        return;
    }
    add(g, PF_EBPF_JMP_IMM(PF_EBPF_JLT, 2, off + bytes, 1));
    add(g, PF_EBPF_LDX_MEM(size, sreg(g), 1, (int16_t)off));
}

static void gen_ctx(struct gen *g)
{
    static const int16_t offs[] = {0, 4, 8, 16, 40, 48, 52, 56, 60, 64, 68};
    static const int16_t koffs[] = {0, 48, 52, 56, 60, 64};
    int16_t off =
        g->kernel_ctx ? koffs[pick(g, N(koffs))] : offs[pick(g, N(offs))];

    if (off >= 48 && off < 68 && pick(g, 2))
        add(g, PF_EBPF_STX_MEM(PF_EBPF_W, 6, sreg(g), off));
    else
        add(g, PF_EBPF_LDX_MEM(PF_EBPF_W, sreg(g), 6, off));
}

/* A forward branch to somewhere in [here + 1, body end]. */
static void gen_branch(struct gen *g, size_t body_end)
{
    static const unsigned ops[] = {PF_EBPF_JEQ,  PF_EBPF_JGT, PF_EBPF_JGE,
                                   PF_EBPF_JSET, PF_EBPF_JNE, PF_EBPF_JSGT,
                                   PF_EBPF_JSGE, PF_EBPF_JLT, PF_EBPF_JLE,
                                   PF_EBPF_JSLT, PF_EBPF_JSLE};
    size_t room = body_end > g->n + 1 ? body_end - g->n - 1 : 0;
    int16_t off =
        (int16_t)(room ? pick(g, (unsigned)(room < 30 ? room : 30)) : 0);
    int isx = pick(g, 2);
    uint8_t cls = pick(g, 2) ? PF_EBPF_JMP : PF_EBPF_JMP32;

    add(g, PF_EBPF_INSN((uint8_t)(cls | ops[pick(g, N(ops))] |
                                  (isx ? PF_EBPF_X : PF_EBPF_K)),
                        sreg(g), isx ? sreg(g) : 0, off, isx ? 0 : rimm(g)));
}

static void prologue(struct gen *g)
{
    int i;

    if (g->socket)
        add(g, PF_EBPF_MOV64_REG(6, 1));
    for (i = 0; i < 8; i++)
        add(g, PF_EBPF_ST_MEM(PF_EBPF_DW, 10, (int16_t)(-8 - 8 * i), 0));
    for (i = 0; i < 10; i++) {
        unsigned r = (unsigned)i;
        uint64_t v = rnd(&g->st);

        if (r == 1 || r == 2 || (g->socket && r >= 1 && r <= 6))
            continue;
        if (r == 3 && !g->socket)
            continue; /* wirelen */
        {
            const struct pf_ebpf_insn two[] = {PF_EBPF_LD_IMM64(r, v)};

            add(g, two[0]);
            add(g, two[1]);
        }
    }
}

/* Folds every scalar register and the stack into r0. */
static void epilogue(struct gen *g)
{
    static const unsigned filt[] = {3, 4, 5, 6, 7, 8, 9};
    static const unsigned sock[] = {7, 8, 9};
    const unsigned *regs = g->socket ? sock : filt;
    size_t i, nr = g->socket ? 3 : 7;
    int k;

    for (i = 0; i < nr; i++) {
        add(g, PF_EBPF_ALU64_IMM(PF_EBPF_MUL, 0, 31));
        add(g, PF_EBPF_ALU64_REG(PF_EBPF_XOR, 0, regs[i]));
    }
    for (k = 0; k < 8; k++) {
        add(g, PF_EBPF_LDX_MEM(PF_EBPF_DW, g->socket ? 7 : 4, 10,
                               (int16_t)(-8 - 8 * k)));
        add(g, PF_EBPF_ALU64_IMM(PF_EBPF_LSH, 0, 3));
        add(g, PF_EBPF_ALU64_REG(PF_EBPF_ADD, 0, g->socket ? 7 : 4));
    }
    add(g, PF_EBPF_EXIT());
}

/* A branch must not skip the bounds check of a packet load: aim branches
 * that land on such a load at its check instead. */
static void retarget(struct gen *g)
{
    size_t i;

    for (i = 0; i < g->n; i++) {
        struct pf_ebpf_insn *in = &g->p[i];
        unsigned cls = PF_EBPF_CLASS(in->code);
        size_t t;

        if ((cls != PF_EBPF_JMP && cls != PF_EBPF_JMP32) || in->code == 0x95)
            continue;
        t = i + 1 + (size_t)in->off;
        if (t < g->n && PF_EBPF_CLASS(g->p[t].code) == PF_EBPF_LDX &&
            g->p[t].src_reg == 1 && in->off > 0)
            in->off--;
    }
}

static void generate(struct gen *g, int socket, size_t body)
{
    size_t end;
    int branches = 0;

    g->n = 0;
    g->socket = socket;
    prologue(g);
    end = g->n + body;
    while (g->n < end) {
        unsigned k = pick(g, 16);

        if (k < 7)
            gen_alu(g);
        else if (k < 8)
            gen_unary(g);
        else if (k < 10)
            gen_stack(g);
        else if (k < 12)
            gen_packet(g);
        else if (k < 13 && socket)
            gen_ctx(g);
        else if (branches++ < 12)
            gen_branch(g, end);
    }
    retarget(g);
    epilogue(g);
}

#endif
