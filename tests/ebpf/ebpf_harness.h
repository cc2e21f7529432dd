/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Shared by the eBPF tests: build a VM, run a program in the interpreter
 * and in the JIT, insist both agree, and the seed convention for random
 * tests (printed, overridable with PF_TEST_SEED).
 */
#ifndef PF_TESTS_EBPF_HARNESS_H
#define PF_TESTS_EBPF_HARNESS_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <pfcap/ebpf.h>

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* Runs @p (verified as @type) on @pkt in both engines; fails the test if
 * they disagree or the program is refused. Returns r0. */
static inline uint64_t run_both(const struct pf_ebpf_insn *p, size_t n,
                                enum pf_ebpf_prog_type type,
                                const uint8_t *pkt, uint32_t len)
{
    struct pf_ebpf_vm *vm = NULL;
    struct pf_error e;
    uint64_t a, b;

    pf_error_init(&e);
    if (pf_ebpf_vm_new(p, n, type, &vm, &e)) {
        char buf[8192];

        pf_ebpf_dump(p, n, buf, sizeof(buf));
        print_error("refused at insn %ld (%s): %s\n%s", e.insn,
                    pf_ebpf_rule_name(e.code), e.msg, buf);
        fail();
    }
    a = type == PF_EBPF_PROG_FILTER
            ? pf_ebpf_vm_run_interp(vm, pkt, len, len)
            : pf_ebpf_vm_run_socket(vm, pkt, len, NULL, NULL, 0);
    assert_int_equal(pf_ebpf_vm_jit(vm, &e), 0);
    b = type == PF_EBPF_PROG_FILTER
            ? pf_ebpf_vm_run_filter(vm, pkt, len, len)
            : pf_ebpf_vm_run_socket(vm, pkt, len, NULL, NULL, 1);
    if (a != b) {
        char buf[8192];

        pf_ebpf_dump(p, n, buf, sizeof(buf));
        print_error("interp %#" PRIx64 " != jit %#" PRIx64 "\n%s", a, b, buf);
    }
    assert_int_equal(a, b);
    pf_ebpf_vm_free(vm);
    return a;
}

/* Rules some test has seen refuse a program (see test_ebpf_verify.c). */
static int rules_seen[PF_EBPF_RULE_COUNT];

/* Expects @p to be refused with @rule at @insn. */
static inline void expect_refusal(const struct pf_ebpf_insn *p, size_t n,
                                  enum pf_ebpf_prog_type type, int rule,
                                  long insn)
{
    struct pf_error e;

    pf_error_init(&e);
    assert_int_equal(pf_ebpf_verify(p, n, type, &e), -EINVAL);
    if (e.code != rule || e.insn != insn)
        print_error("got rule %s at %ld: %s\n", pf_ebpf_rule_name(e.code),
                    e.insn, e.msg);
    assert_int_equal(e.stage, PF_STAGE_EBPF);
    assert_string_equal(pf_ebpf_rule_name(e.code), pf_ebpf_rule_name(rule));
    assert_int_equal(e.insn, insn);
    assert_true(e.msg[0] != '\0');
    rules_seen[rule] = 1;
}

/* The test seed: PF_TEST_SEED or the clock; printed either way. */
static inline uint64_t test_seed(const char *name)
{
    const char *s = getenv("PF_TEST_SEED");
    uint64_t seed = s ? strtoull(s, NULL, 0) : (uint64_t)time(NULL);

    printf("%s: seed %" PRIu64 " (set PF_TEST_SEED to repeat)\n", name, seed);
    fflush(stdout);
    return seed;
}

/* splitmix64 */
static inline uint64_t rnd(uint64_t *st)
{
    uint64_t z = (*st += 0x9e3779b97f4a7c15ull);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

#endif
