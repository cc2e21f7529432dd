/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The interpreter's fused handlers against the JIT. The interpreter
 * pre-decodes the translator's common shapes (load + compare-immediate +
 * jump, runs of "if w == k" jumps, the IP header-length "msh" triple, the
 * bounds check "copy + add + jump if greater", copy + add, load + byte
 * swap (+ jump), indexed load + jump, set r0 + exit) into single
 * handlers; this test builds random programs out of those shapes (also
 * right after a guard "if r < k goto" or a bounds check, or with a mask
 * before the jump), with jumps that land in the middle of every group,
 * and insists the interpreter returns what the JIT returns on packets
 * whose bytes come from a small alphabet (so that compares hit as often
 * as they miss). A few fixed programs check known results as well.
 * Seeded (PF_TEST_SEED).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "ebpf_harness.h"

#define MAXN 512
#define PKT_MIN 64 /* the guard at the top: loads stay below this */

/* A program under construction; jumps get their targets at the end. */
struct prog {
    struct pf_ebpf_insn in[MAXN];
    size_t n;
    size_t fix[MAXN]; /* instructions whose off is still to choose */
    size_t nfix;
    uint8_t noland[MAXN]; /* no jump may land here (verifier facts) */
};

static const uint8_t alphabet[] = {0x00, 0x01, 0x06, 0x80, 0xff};
static const uint32_t edges[] = {PKT_MIN, PKT_MIN + 1, 100, 127};

/* A byte from the alphabet. */
static uint8_t abyte(uint64_t *st)
{
    return alphabet[rnd(st) % N(alphabet)];
}

/* An immediate that a @size-byte load (either byte order) may equal. */
static int32_t aimm(uint64_t *st, int size)
{
    uint32_t v = 0;

    for (int i = 0; i < size; i++)
        v = v << 8 | abyte(st);
    return (int32_t)v;
}

/* A scalar register the shapes may write (never r1, the packet, nor r9,
 * which the indexed loads make a packet pointer). */
static uint8_t sreg(uint64_t *st)
{
    static const uint8_t regs[] = {0, 3, 4, 5, 6, 7, 8};

    return regs[rnd(st) % N(regs)];
}

static void emit(struct prog *p, struct pf_ebpf_insn in)
{
    p->in[p->n++] = in;
}

/* Emits a conditional jump on @dst with an immediate; target chosen later. */
static void emit_jump(struct prog *p, uint64_t *st, uint8_t dst, int size)
{
    static const uint8_t ops[] = {PF_EBPF_JEQ, PF_EBPF_JNE, PF_EBPF_JSET,
                                  PF_EBPF_JGT, PF_EBPF_JGE, PF_EBPF_JLT,
                                  PF_EBPF_JLE, PF_EBPF_JSGT};
    uint8_t op = ops[rnd(st) % N(ops)];
    int32_t imm = rnd(st) % 8 == 0 ? -(int32_t)(rnd(st) % 3) : aimm(st, size);

    p->fix[p->nfix++] = p->n;
    emit(p, rnd(st) % 2 ? PF_EBPF_JMP32_IMM(op, dst, imm, 0)
                        : PF_EBPF_JMP_IMM(op, dst, imm, 0));
}

/* A load of @size (1, 2, 4) bytes into @dst from the packet. */
static struct pf_ebpf_insn ldx(uint64_t *st, uint8_t dst, int size)
{
    int code = size == 1 ? PF_EBPF_B : size == 2 ? PF_EBPF_H : PF_EBPF_W;

    return PF_EBPF_LDX_MEM(code, dst, 1, (int16_t)(rnd(st) % (PKT_MIN - 3)));
}

/* Appends one of the shapes the interpreter fuses. */
static void emit_shape(struct prog *p, uint64_t *st)
{
    uint8_t d = sreg(st);
    int size = 1 << (rnd(st) % 3);

    switch (rnd(st) % 11) {
    case 0: /* load + jump */
        emit(p, ldx(st, d, size));
        emit_jump(p, st, d, size);
        break;
    case 1: /* load + a run of "if w == k" (sometimes of another reg) */
        emit(p, ldx(st, d, size));
        for (int k = 1 + (int)(rnd(st) % 8); k > 0; k--) {
            p->fix[p->nfix++] = p->n;
            emit(p, PF_EBPF_JMP32_IMM(PF_EBPF_JEQ,
                                      rnd(st) % 8 ? d : sreg(st),
                                      aimm(st, size), 0));
        }
        break;
    case 2: /* msh */
        emit(p, ldx(st, d, 1));
        emit(p, PF_EBPF_ALU32_IMM(PF_EBPF_AND, d,
                                  rnd(st) % 2 ? 0xf : aimm(st, 4)));
        emit(p, PF_EBPF_ALU32_IMM(PF_EBPF_LSH, d, (int32_t)(rnd(st) % 32)));
        break;
    case 7: /* msh, bounds check, indexed load + jump (r9: the pointer) */
        emit(p, ldx(st, 7, 1));
        memset(p->noland + p->n, 1, 8);
        emit(p, PF_EBPF_ALU32_IMM(PF_EBPF_AND, 7, 0xf));
        emit(p, PF_EBPF_ALU32_IMM(PF_EBPF_LSH, 7, 2));
        emit(p, PF_EBPF_MOV64_REG(5, 7));
        emit(p, PF_EBPF_ALU64_IMM(PF_EBPF_ADD, 5, 4));
        p->fix[p->nfix++] = p->n;
        emit(p, PF_EBPF_JMP_REG(PF_EBPF_JGT, 5, 2, 0));
        emit(p, PF_EBPF_MOV64_REG(9, 1));
        emit(p, PF_EBPF_ALU64_REG(PF_EBPF_ADD, 9, 7));
        emit(p, PF_EBPF_LDX_MEM(size == 1   ? PF_EBPF_B
                                : size == 2 ? PF_EBPF_H
                                            : PF_EBPF_W,
                                d, 9, (int16_t)(rnd(st) % (5 - size))));
        emit_jump(p, st, rnd(st) % 8 ? d : sreg(st), size);
        break;
    case 3: /* copy + add register, copy + add immediate */
        emit(p, PF_EBPF_MOV64_REG(d, sreg(st)));
        emit(p, rnd(st) % 2 ? PF_EBPF_ALU64_REG(PF_EBPF_ADD, d, sreg(st))
                            : PF_EBPF_ALU64_IMM(PF_EBPF_ADD, d, aimm(st, 4)));
        break;
    case 4: /* load + byte swap (+ jump) */
        size = rnd(st) % 2 ? 2 : 4;
        emit(p, ldx(st, d, size));
        emit(p, PF_EBPF_ENDIAN(PF_EBPF_TO_BE, d, size * 8));
        if (rnd(st) % 2) /* load + swap + jump */
            emit_jump(p, st, d, size);
        break;
    case 5: /* set r0 + exit, behind a jump over it (no dead code) */
        emit(p, PF_EBPF_JMP32_IMM(PF_EBPF_JSET, d, aimm(st, 1), 2));
        emit(p, rnd(st) % 2 ? PF_EBPF_MOV32_IMM(0, aimm(st, 4))
                            : PF_EBPF_MOV64_IMM(0, aimm(st, 4)));
        emit(p, PF_EBPF_EXIT_INSN());
        break;
    case 6: /* the bounds check "r4 = X; r4 += k; if r4 > r2" */
        emit(p, PF_EBPF_MOV64_REG(d, sreg(st)));
        emit(p, PF_EBPF_ALU64_IMM(PF_EBPF_ADD, d,
                                  aimm(st, rnd(st) % 2 ? 1 : 4)));
        p->fix[p->nfix++] = p->n;
        emit(p, PF_EBPF_JMP_REG(PF_EBPF_JGT, d, rnd(st) % 2 ? 2 : sreg(st),
                                0));
        break;
    case 8: /* guard + load + jump: "if r2 < k goto; r0 = *(r1 + k)..." */
        p->fix[p->nfix++] = p->n;
        emit(p, PF_EBPF_JMP_IMM(PF_EBPF_JLT, rnd(st) % 2 ? 2 : d,
                                (int32_t)edges[rnd(st) % N(edges)], 0));
        emit(p, ldx(st, d, size));
        emit_jump(p, st, d, size);
        break;
    case 9: /* load (+ swap) + mask + jump: "net 10.0.0.0/22" */
        emit(p, ldx(st, d, size));
        if (size > 1 && rnd(st) % 2)
            emit(p, PF_EBPF_ENDIAN(PF_EBPF_TO_BE, d, size * 8));
        emit(p, PF_EBPF_ALU32_IMM(PF_EBPF_AND, d, aimm(st, 4)));
        emit_jump(p, st, d, size);
        break;
    default: /* a plain jump on a register, to mix */
        emit_jump(p, st, d, size);
        break;
    }
}

/* A random program: guard, register set-up, shapes, a sum of all
 * registers into r0. */
static void build(struct prog *p, uint64_t *st)
{
    static const uint8_t regs[] = {0, 3, 4, 5, 6, 7, 8};
    size_t tail;

    memset(p, 0, sizeof(*p));
    for (size_t i = 0; i < N(regs); i++)
        emit(p, PF_EBPF_MOV64_IMM(regs[i], aimm(st, 4)));
    p->fix[p->nfix++] = p->n;
    emit(p, PF_EBPF_JMP_IMM(PF_EBPF_JLT, 2, PKT_MIN, 0));
    for (int k = 4 + (int)(rnd(st) % 24); k > 0 && p->n < MAXN - 40; k--)
        emit_shape(p, st);
    tail = p->n;
    for (size_t i = 1; i < N(regs); i++) {
        emit(p, PF_EBPF_ALU64_IMM(PF_EBPF_MUL, 0, 31));
        emit(p, PF_EBPF_ALU64_REG(PF_EBPF_ADD, 0, regs[i]));
    }
    emit(p, PF_EBPF_EXIT_INSN());
    /* forward targets anywhere after the jump up to the tail */
    for (size_t i = 0; i < p->nfix; i++) {
        size_t at = p->fix[i];
        size_t span = tail - at;

        size_t to = i == 0 ? tail : at + 1 + rnd(st) % span;

        while (p->noland[to])
            to++;
        p->in[at].off = (int16_t)(to - at - 1);
    }
}

/* Runs @p on a few packets of the alphabet in both engines. */
static void run_packets(const struct prog *p, uint64_t *st)
{
    uint8_t pkt[128];

    for (int k = 0; k < 4; k++) {
        /* lengths at the guards' edges as often as not */
        uint32_t len = k == 0       ? (uint32_t)(rnd(st) % PKT_MIN)
                       : rnd(st) % 2 ? edges[rnd(st) % N(edges)]
                                     : PKT_MIN + (uint32_t)(rnd(st) % 64);

        for (size_t i = 0; i < sizeof(pkt); i++)
            pkt[i] = abyte(st);
        run_both(p->in, p->n, PF_EBPF_PROG_FILTER, pkt, len);
    }
}

static void test_fused_random(void **state)
{
    uint64_t st = test_seed("ebpf-fused");
    struct prog *p = test_malloc(sizeof(*p));

    (void)state;
    for (int i = 0; i < 1500; i++) {
        build(p, &st);
        run_packets(p, &st);
    }
    test_free(p);
}

/* Fixed programs with known results: jumps into the middle of a run, the
 * msh value, load + compare both ways. */
static void test_fused_fixed(void **state)
{
    static const uint8_t pkt[64] = {[14] = 0x45, [20] = 0x12, [21] = 0x34,
                                    [26] = 10,   [29] = 1};
    const struct pf_ebpf_insn run[] = {
        PF_EBPF_JMP_IMM(PF_EBPF_JLT, 2, 64, 10),
        PF_EBPF_LDX_MEM(PF_EBPF_W, 0, 1, 26),            /* 0x0100000a */
        PF_EBPF_JMP32_IMM(PF_EBPF_JNE, 0, 0, 1),         /* taken */
        PF_EBPF_JMP_A(2),
        PF_EBPF_JMP32_IMM(PF_EBPF_JEQ, 0, 5, 6),         /* 4: run of 3 */
        PF_EBPF_JMP32_IMM(PF_EBPF_JEQ, 0, 0x0100000a, 3),
        PF_EBPF_JMP32_IMM(PF_EBPF_JEQ, 0, 7, 4),
        PF_EBPF_MOV32_IMM(0, 1),
        PF_EBPF_EXIT_INSN(),
        PF_EBPF_MOV32_IMM(0, 2),                         /* 9: hit */
        PF_EBPF_EXIT_INSN(),
        PF_EBPF_MOV32_IMM(0, 0),                         /* 11: miss */
        PF_EBPF_EXIT_INSN(),
    };
    const struct pf_ebpf_insn msh[] = {
        PF_EBPF_JMP_IMM(PF_EBPF_JLT, 2, 64, 10),
        PF_EBPF_LDX_MEM(PF_EBPF_B, 7, 1, 14),
        PF_EBPF_ALU32_IMM(PF_EBPF_AND, 7, 0xf),
        PF_EBPF_ALU32_IMM(PF_EBPF_LSH, 7, 2),            /* 20 */
        PF_EBPF_MOV64_REG(4, 7),
        PF_EBPF_ALU64_IMM(PF_EBPF_ADD, 4, 2),
        PF_EBPF_JMP_REG(PF_EBPF_JGT, 4, 2, 4),
        PF_EBPF_MOV64_REG(4, 1),
        PF_EBPF_ALU64_REG(PF_EBPF_ADD, 4, 7),
        PF_EBPF_LDX_MEM(PF_EBPF_H, 0, 4, 0),             /* 0x3412 */
        PF_EBPF_EXIT_INSN(),
        PF_EBPF_MOV32_IMM(0, 0),
        PF_EBPF_EXIT_INSN(),
    };
    const struct pf_ebpf_insn mid[] = {
        /* lands on the second jump of the run, skipping the first */
        PF_EBPF_MOV32_IMM(0, 6),
        PF_EBPF_JMP_IMM(PF_EBPF_JLT, 2, 64, 6),
        PF_EBPF_LDX_MEM(PF_EBPF_B, 3, 1, 29),            /* 1 */
        PF_EBPF_JMP32_IMM(PF_EBPF_JEQ, 3, 1, 1),
        PF_EBPF_JMP32_IMM(PF_EBPF_JEQ, 0, 6, 3),         /* 4: run of 3 */
        PF_EBPF_JMP32_IMM(PF_EBPF_JEQ, 0, 5, 2),
        PF_EBPF_JMP32_IMM(PF_EBPF_JEQ, 0, 4, 1),
        PF_EBPF_EXIT_INSN(),
        PF_EBPF_MOV64_IMM(0, -1),
        PF_EBPF_EXIT_INSN(),
    };

    (void)state;
    assert_int_equal(run_both(run, N(run), PF_EBPF_PROG_FILTER, pkt, 64), 2);
    assert_int_equal(run_both(run, N(run), PF_EBPF_PROG_FILTER, pkt, 63), 0);
    assert_int_equal(run_both(msh, N(msh), PF_EBPF_PROG_FILTER, pkt, 64),
                     0x3412);
    assert_int_equal(run_both(mid, N(mid), PF_EBPF_PROG_FILTER, pkt, 64), 6);
    assert_int_equal(run_both(mid, N(mid), PF_EBPF_PROG_FILTER, pkt, 63),
                     UINT64_MAX);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fused_fixed),
        cmocka_unit_test(test_fused_random),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
