/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Unit tests for the cBPF validator and interpreter: each validator rule
 * in both profiles, the interpreter's semantics at the edges (loads at the
 * end of the capture, division by X = 0, shifts, backward `ja` and its
 * bound, invalid opcodes, ancillary loads), and a walk over the opcode
 * table that runs every valid opcode against a reference model.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <pfcap/cbpf.h>

#include "cbpf/cbpf_ops.h"

#define I(c, t, f, kk) ((struct pf_cbpf_insn){(c), (t), (f), (kk)})
#define N(a) (sizeof(a) / sizeof((a)[0]))

static const uint8_t pkt[] = {
    0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb,
    0x08, 0x00, 0x45, 0x00, 0x00, 0x54, 0x12, 0x34, 0x40, 0x00, 0x40, 0x01,
};

static void expect_rule(const struct pf_cbpf_insn *p, size_t len,
                        enum pf_cbpf_profile prof, int rule, long insn)
{
    struct pf_error e;

    pf_error_init(&e);
    assert_int_equal(pf_cbpf_validate(p, len, prof, &e), rule ? -EINVAL : 0);
    assert_int_equal(e.code, rule);
    if (rule) {
        assert_int_equal(e.insn, insn);
        assert_int_equal(e.stage, PF_STAGE_CBPF);
        assert_true(strlen(e.msg) > 5);
    }
}

static void test_validate_accepts(void **state)
{
    const struct pf_cbpf_insn p[] = {
        I(0x28, 0, 0, 12), I(0x15, 0, 1, 0x800), I(0x06, 0, 0, 262144),
        I(0x06, 0, 0, 0),
    };

    (void)state;
    expect_rule(p, N(p), PF_CBPF_PROFILE_KERNEL, 0, 0);
    expect_rule(p, N(p), PF_CBPF_PROFILE_LIBPCAP, 0, 0);
}

static void test_validate_rules(void **state)
{
    const struct pf_cbpf_insn bad_op[] = {I(0xff, 0, 0, 0), I(0x06, 0, 0, 0)};
    const struct pf_cbpf_insn wide_op[] = {I(0x106, 0, 0, 0)};
    const struct pf_cbpf_insn div0[] = {I(0x34, 0, 0, 0), I(0x06, 0, 0, 0)};
    const struct pf_cbpf_insn mod0[] = {I(0x94, 0, 0, 0), I(0x06, 0, 0, 0)};
    const struct pf_cbpf_insn shl[] = {I(0x64, 0, 0, 32), I(0x06, 0, 0, 0)};
    const struct pf_cbpf_insn mem[] = {I(0x02, 0, 0, 16), I(0x06, 0, 0, 0)};
    const struct pf_cbpf_insn jrange[] = {I(0x15, 1, 0, 0), I(0x06, 0, 0, 0)};
    const struct pf_cbpf_insn noret[] = {I(0x06, 0, 0, 0), I(0x00, 0, 0, 0)};
    const struct pf_cbpf_insn jarange[] = {I(0x05, 0, 0, 1), I(0x06, 0, 0, 0)};

    (void)state;
    expect_rule(bad_op, 2, PF_CBPF_PROFILE_KERNEL, PF_CBPF_RULE_BAD_OPCODE, 0);
    expect_rule(wide_op, 1, PF_CBPF_PROFILE_LIBPCAP, PF_CBPF_RULE_BAD_OPCODE, 0);
    expect_rule(div0, 2, PF_CBPF_PROFILE_KERNEL, PF_CBPF_RULE_DIV_ZERO, 0);
    expect_rule(mod0, 2, PF_CBPF_PROFILE_LIBPCAP, PF_CBPF_RULE_DIV_ZERO, 0);
    expect_rule(shl, 2, PF_CBPF_PROFILE_KERNEL, PF_CBPF_RULE_SHIFT_RANGE, 0);
    expect_rule(mem, 2, PF_CBPF_PROFILE_KERNEL, PF_CBPF_RULE_MEM_INDEX, 0);
    expect_rule(jrange, 2, PF_CBPF_PROFILE_KERNEL, PF_CBPF_RULE_JUMP_RANGE, 0);
    expect_rule(noret, 2, PF_CBPF_PROFILE_LIBPCAP, PF_CBPF_RULE_NO_RET, 1);
    expect_rule(jarange, 2, PF_CBPF_PROFILE_LIBPCAP, PF_CBPF_RULE_JUMP_RANGE, 0);
    expect_rule(NULL, 0, PF_CBPF_PROFILE_KERNEL, PF_CBPF_RULE_EMPTY, -1);
}

static void test_validate_backward_ja(void **state)
{
    /* protochain-style loop: ja -3 goes back to insn 0. */
    const struct pf_cbpf_insn p[] = {
        I(0x00, 0, 0, 1), I(0x15, 1, 0, 1), I(0x05, 0, 0, (uint32_t)-3),
        I(0x06, 0, 0, 0),
    };
    const struct pf_cbpf_insn self[] = {I(0x05, 0, 0, (uint32_t)-1),
                                        I(0x06, 0, 0, 0)};
    const struct pf_cbpf_insn before[] = {I(0x05, 0, 0, (uint32_t)-2),
                                          I(0x06, 0, 0, 0)};

    (void)state;
    expect_rule(p, N(p), PF_CBPF_PROFILE_LIBPCAP, 0, 0);
    expect_rule(p, N(p), PF_CBPF_PROFILE_KERNEL, PF_CBPF_RULE_JUMP_BACKWARD, 2);
    expect_rule(self, 2, PF_CBPF_PROFILE_LIBPCAP, PF_CBPF_RULE_JUMP_SELF, 0);
    expect_rule(before, 2, PF_CBPF_PROFILE_LIBPCAP, PF_CBPF_RULE_JUMP_RANGE, 0);
}

static void test_validate_length(void **state)
{
    static struct pf_cbpf_insn p[PF_CBPF_KERNEL_MAXINSNS + 1];

    (void)state;
    for (size_t i = 0; i < N(p); i++)
        p[i] = I(0x06, 0, 0, 0);
    expect_rule(p, N(p) - 1, PF_CBPF_PROFILE_KERNEL, 0, 0);
    expect_rule(p, N(p), PF_CBPF_PROFILE_KERNEL, PF_CBPF_RULE_TOO_LONG, -1);
    expect_rule(p, N(p), PF_CBPF_PROFILE_LIBPCAP, 0, 0);
}

static void test_validate_memory(void **state)
{
    /* M[1] written on one branch only, then read: refused at insn 4. */
    const struct pf_cbpf_insn partial[] = {
        I(0x15, 0, 1, 0), I(0x02, 0, 0, 1), I(0x00, 0, 0, 5),
        I(0x00, 0, 0, 6), I(0x60, 0, 0, 1), I(0x16, 0, 0, 0),
    };
    /* Written on both branches: accepted. */
    const struct pf_cbpf_insn both[] = {
        I(0x15, 0, 2, 0), I(0x02, 0, 0, 1), I(0x05, 0, 0, 1),
        I(0x03, 0, 0, 1), I(0x61, 0, 0, 1), I(0x06, 0, 0, 1),
    };
    /* Unreachable read after ja is not flagged (as in the kernel). */
    const struct pf_cbpf_insn dead[] = {
        I(0x05, 0, 0, 1), I(0x60, 0, 0, 3), I(0x06, 0, 0, 1),
    };

    (void)state;
    expect_rule(partial, N(partial), PF_CBPF_PROFILE_KERNEL,
                PF_CBPF_RULE_MEM_UNINIT, 4);
    expect_rule(partial, N(partial), PF_CBPF_PROFILE_LIBPCAP, 0, 0);
    expect_rule(both, N(both), PF_CBPF_PROFILE_KERNEL, 0, 0);
    expect_rule(dead, N(dead), PF_CBPF_PROFILE_KERNEL, 0, 0);
}

static uint32_t run(const struct pf_cbpf_insn *p, size_t n, uint32_t caplen)
{
    return pf_cbpf_run(p, n, pkt, caplen + 100, caplen, NULL);
}

static void test_interp_loads(void **state)
{
    const struct pf_cbpf_insn w[] = {I(0x20, 0, 0, 20), I(0x16, 0, 0, 0)};
    const struct pf_cbpf_insn h[] = {I(0x28, 0, 0, 12), I(0x16, 0, 0, 0)};
    const struct pf_cbpf_insn b[] = {I(0x30, 0, 0, 23), I(0x16, 0, 0, 0)};
    const struct pf_cbpf_insn msh[] = {I(0xb1, 0, 0, 14), I(0x87, 0, 0, 0),
                                       I(0x16, 0, 0, 0)};
    const struct pf_cbpf_insn ind[] = {I(0x01, 0, 0, 10), I(0x48, 0, 0, 2),
                                       I(0x16, 0, 0, 0)};
    const struct pf_cbpf_insn len[] = {I(0x80, 0, 0, 0), I(0x16, 0, 0, 0)};
    const struct pf_cbpf_insn neg[] = {I(0x30, 0, 0, 0xfffff000u),
                                       I(0x06, 0, 0, 1)};

    (void)state;
    assert_int_equal(run(w, 2, 24), 0x40004001);
    assert_int_equal(run(w, 2, 23), 0); /* one byte short */
    assert_int_equal(run(h, 2, 24), 0x0800);
    assert_int_equal(run(b, 2, 24), 0x01);
    assert_int_equal(run(b, 2, 23), 0);
    assert_int_equal(run(msh, 3, 24), 20);
    assert_int_equal(run(ind, 3, 24), 0x0800);
    assert_int_equal(run(ind, 3, 13), 0);
    assert_int_equal(run(len, 2, 24), 124);
    assert_int_equal(run(neg, 2, 24), 0); /* no metadata: out of bounds */
}

static void test_interp_alu_edges(void **state)
{
    const struct pf_cbpf_insn divx[] = {I(0x00, 0, 0, 7), I(0x3c, 0, 0, 0),
                                        I(0x06, 0, 0, 1)};
    const struct pf_cbpf_insn modx[] = {I(0x00, 0, 0, 7), I(0x9c, 0, 0, 0),
                                        I(0x06, 0, 0, 1)};
    const struct pf_cbpf_insn lshx[] = {I(0x00, 0, 0, 7), I(0x01, 0, 0, 33),
                                        I(0x6c, 0, 0, 0), I(0x16, 0, 0, 0)};
    const struct pf_cbpf_insn neg[] = {I(0x00, 0, 0, 1), I(0x84, 0, 0, 0),
                                       I(0x16, 0, 0, 0)};
    const struct pf_cbpf_insn start[] = {I(0x0c, 0, 0, 0), I(0x16, 0, 0, 0)};

    (void)state;
    assert_int_equal(run(divx, 3, 24), 0);
    assert_int_equal(run(modx, 3, 24), 0);
    assert_int_equal(run(lshx, 4, 24), 0);
    assert_int_equal(run(neg, 3, 24), 0xffffffffu);
    assert_int_equal(run(start, 2, 24), 0); /* A and X start at 0 */
}

static void test_interp_jumps(void **state)
{
    /* Counts A up to 5 with a backward ja, then returns it. */
    const struct pf_cbpf_insn loop[] = {
        I(0x04, 0, 0, 1), I(0x15, 1, 0, 5), I(0x05, 0, 0, (uint32_t)-3),
        I(0x16, 0, 0, 0),
    };
    /* An endless loop: ends with 0 once the bound is hit. */
    const struct pf_cbpf_insn forever[] = {
        I(0x04, 0, 0, 1), I(0x05, 0, 0, (uint32_t)-2), I(0x16, 0, 0, 0),
    };
    const struct pf_cbpf_insn wild[] = {I(0x15, 200, 200, 0)};
    const struct pf_cbpf_insn off_end[] = {I(0x00, 0, 0, 1)};
    const struct pf_cbpf_insn bad[] = {I(0xff, 0, 0, 0), I(0x06, 0, 0, 1)};

    (void)state;
    assert_int_equal(run(loop, 4, 24), 5);
    assert_int_equal(run(forever, 3, 24), 0);
    assert_int_equal(run(wild, 1, 24), 0);
    assert_int_equal(run(off_end, 1, 24), 0);
    assert_int_equal(run(bad, 2, 24), 0);
    assert_int_equal(pf_cbpf_run(NULL, 0, pkt, 0, 0, NULL), 0);
}

static void test_interp_ancillary(void **state)
{
    struct pf_cbpf_meta m = {.protocol = 0x8100, .vlan_tci = 42,
                             .vlan_present = 1, .ifindex = 3,
                             .net_offset = 14};
    const struct pf_cbpf_insn proto[] = {I(0x28, 0, 0, 0xfffff000u),
                                         I(0x16, 0, 0, 0)};
    const struct pf_cbpf_insn tci[] = {I(0x20, 0, 0, 0xfffff02cu),
                                       I(0x16, 0, 0, 0)};
    const struct pf_cbpf_insn vp[] = {I(0x30, 0, 0, 0xfffff030u),
                                      I(0x16, 0, 0, 0)};
    const struct pf_cbpf_insn net[] = {I(0x30, 0, 0, 0xfff00000u + 9),
                                       I(0x16, 0, 0, 0)};
    const struct pf_cbpf_insn unknown[] = {I(0x20, 0, 0, 0xfffff0f0u),
                                           I(0x06, 0, 0, 1)};

    (void)state;
    assert_int_equal(pf_cbpf_run(proto, 2, pkt, 24, 24, &m), 0x8100);
    assert_int_equal(pf_cbpf_run(tci, 2, pkt, 24, 24, &m), 42);
    assert_int_equal(pf_cbpf_run(vp, 2, pkt, 24, 24, &m), 1);
    assert_int_equal(pf_cbpf_run(net, 2, pkt, 24, 24, &m), 0x01);
    assert_int_equal(pf_cbpf_run(unknown, 2, pkt, 24, 24, &m), 0);
}

/* Reference model of one ALU/misc opcode on (A, X, k). */
static int model(const struct pf_cbpf_insn *in, uint32_t *A, uint32_t *X)
{
    uint32_t k = in->k, s = PF_CBPF_SRC(in->code) ? *X : k;

    switch (in->code) {
    case 0x04: case 0x0c: *A += s; return 1;
    case 0x14: case 0x1c: *A -= s; return 1;
    case 0x24: case 0x2c: *A *= s; return 1;
    case 0x34: case 0x3c: if (!s) return 0; *A /= s; return 1;
    case 0x94: case 0x9c: if (!s) return 0; *A %= s; return 1;
    case 0x44: case 0x4c: *A |= s; return 1;
    case 0x54: case 0x5c: *A &= s; return 1;
    case 0xa4: case 0xac: *A ^= s; return 1;
    case 0x64: case 0x6c: *A = s < 32 ? *A << s : 0; return 1;
    case 0x74: case 0x7c: *A = s < 32 ? *A >> s : 0; return 1;
    case 0x84: *A = 0u - *A; return 1;
    case 0x07: *X = *A; return 1;
    case 0x87: *A = *X; return 1;
    default: return -1;
    }
}

/* Runs "ld #a; ldx #x; OP; [txa;] ret a" and returns the verdict. */
static uint32_t run_op(unsigned code, uint32_t a, uint32_t x, uint32_t k,
                       int want_x)
{
    struct pf_cbpf_insn p[] = {
        I(0x00, 0, 0, a), I(0x01, 0, 0, x), I((uint16_t)code, 0, 0, k),
        I(0x87, 0, 0, 0), I(0x16, 0, 0, 0),
    };

    if (!want_x)
        p[3] = I(0x16, 0, 0, 0);
    return pf_cbpf_run(p, N(p), pkt, 24, 24, NULL);
}

/* Every valid ALU/misc opcode from the table, on many operand values,
 * against the reference model: both A and X after the operation. */
static void test_table_walk_alu(void **state)
{
    static const uint32_t vals[] = {0, 1, 2, 7, 31, 32, 0x80000000u,
                                    0xffffffffu, 0x12345678u};
    int covered = 0;

    (void)state;
    for (unsigned code = 0; code < 256; code++) {
        const struct pf_cbpf_opinfo *op = pf_cbpf_op_lookup(code);
        if (!op || (op->operand != PF_CBPF_OPND_ALUK &&
                    op->operand != PF_CBPF_OPND_ALUX &&
                    op->operand != PF_CBPF_OPND_NONE))
            continue;
        covered++;
        for (size_t i = 0; i < N(vals) * N(vals) * N(vals); i++) {
            uint32_t a = vals[i % N(vals)], x = vals[i / N(vals) % N(vals)];
            uint32_t k = vals[i / N(vals) / N(vals)], A = a, X = x;
            struct pf_cbpf_insn in = I((uint16_t)code, 0, 0, k);
            int ok = model(&in, &A, &X);

            assert_int_not_equal(ok, -1);
            assert_int_equal(run_op(code, a, x, k, 0), ok ? A : 0);
            assert_int_equal(run_op(code, a, x, k, 1), ok ? X : 0);
        }
    }
    assert_int_equal(covered, 23);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_validate_accepts),
        cmocka_unit_test(test_validate_rules),
        cmocka_unit_test(test_validate_backward_ja),
        cmocka_unit_test(test_validate_length),
        cmocka_unit_test(test_validate_memory),
        cmocka_unit_test(test_interp_loads),
        cmocka_unit_test(test_interp_alu_edges),
        cmocka_unit_test(test_interp_jumps),
        cmocka_unit_test(test_interp_ancillary),
        cmocka_unit_test(test_table_walk_alu),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
