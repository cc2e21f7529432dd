/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The real kernel verifier accepts every socket and XDP translation, and
 * pfcap's verifier every user translation, of the programs libpcap
 * compiles for the expressions of tests/translate/exprs.txt (EN10MB, RAW,
 * LINUX_SLL, NULL; protochain's loop is refused by the translator with its
 * own error, and counted), and of thousands of random valid cBPF programs
 * (seed printed, PF_TEST_SEED).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <pfcap/ebpf_io.h>
#include <pfcap/translate.h>

#include "../translate/trt.h"

#define N_RANDOM 2000
#define RANDOM_MAX_LEN 60

static char log_buf[1 << 20];

/* Translates for @target and loads into the kernel; 1 = accepted, 0 =
 * refused by the translator with -ENOTSUP (a loop), fails otherwise. */
static int load_one(const struct pf_cbpf_insn *insns, size_t len,
                    enum pf_translate_target target, const char *what)
{
    struct pf_translate_opts o = {.sz = sizeof(o), .target = target,
                                  .len_from = PF_TRANSLATE_LEN_CB0};
    enum pf_ebpf_kernel_type kt = target == PF_TRANSLATE_XDP
                                      ? PF_EBPF_KERNEL_XDP
                                      : PF_EBPF_KERNEL_SOCKET;
    struct pf_ebpf_prog prog;
    struct pf_error e;
    int fd = -1, rc;

    pf_error_init(&e);
    rc = pf_translate(insns, len, &o, &prog, &e);
    if (rc == -ENOTSUP && e.code == PF_TRANSLATE_ERR_BACKWARD_JUMP)
        return 0;
    if (target == PF_TRANSLATE_USER) { /* pfcap's own verifier */
        if (rc || pf_ebpf_verify(prog.insns, prog.len, PF_EBPF_PROG_FILTER,
                                 &e)) {
            print_error("%s (user): %s\n", what, e.msg);
            fail();
        }
        free(prog.insns);
        return 1;
    }
    if (rc) {
        print_error("%s: translate(%s) failed: %s\n", what,
                    pf_translate_target_name(target), e.msg);
        fail();
    }
    rc = pf_ebpf_kernel_load(prog.insns, prog.len, kt, log_buf,
                             sizeof(log_buf), &fd, &e);
    if (rc) {
        print_error("%s (%s): %s\n%s\n", what,
                    pf_translate_target_name(target), e.msg, log_buf);
        free(prog.insns);
        fail();
    }
    pf_ebpf_kernel_close(fd);
    free(prog.insns);
    return 1;
}

static void test_expressions(void **state)
{
    size_t skipped, n, loops = 0, loaded = 0;
    struct trt_prog *p;

    (void)state;
    n = trt_load_exprs(-1, &p, &skipped);
    assert_true(n >= 500);
    for (size_t i = 0; i < n; i++) {
        char what[320];

        snprintf(what, sizeof(what), "%s '%s'", trt_dlt_name(p[i].dlt),
                 p[i].expr);
        for (int t = PF_TRANSLATE_USER; t <= PF_TRANSLATE_XDP; t++) {
            int r = load_one(p[i].insns, p[i].len, t, what);
            loaded += (size_t)r;
            loops += (size_t)!r;
        }
    }
    printf("expressions: %zu programs (%zu expressions libpcap refuses for a "
           "link type); %zu translations accepted (user: pfcap's verifier; "
           "socket, xdp: the kernel's), %zu refused by the translator as "
           "loops (protochain)\n",
           n, skipped, loaded, loops);
    assert_int_equal(loaded + loops, 3 * n);
    assert_true(loops <= 3 * 3 * TRT_N_LINKTYPES);
    trt_free_progs(p, n);
}

static void test_random(void **state)
{
    uint64_t rng = trt_seed("test_kernel_verify random");
    struct pf_cbpf_insn insns[RANDOM_MAX_LEN];
    size_t loaded = 0;

    (void)state;
    for (int i = 0; i < N_RANDOM; i++) {
        size_t len = trt_random_prog(&rng, insns, RANDOM_MAX_LEN);
        char what[64];

        snprintf(what, sizeof(what), "random program %d", i);
        for (int t = PF_TRANSLATE_USER; t <= PF_TRANSLATE_XDP; t++)
            loaded += (size_t)load_one(insns, len, t, what);
    }
    printf("random: %zu of %d translations accepted (%d programs x user, "
           "socket, xdp)\n", loaded, 3 * N_RANDOM, N_RANDOM);
    assert_int_equal(loaded, 3 * N_RANDOM);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_expressions),
        cmocka_unit_test(test_random),
    };

    trt_require_kernel("test_kernel_verify");
    return cmocka_run_group_tests(tests, NULL, NULL);
}
