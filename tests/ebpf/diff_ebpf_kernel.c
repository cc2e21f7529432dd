/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * pfcap's eBPF engines against the Linux kernel's: random socket programs
 * (every ALU op incl. sdiv/smod/movsx/bswap, LD_ABS/LD_IND in and out of
 * bounds, stack traffic, atomics, cb[] and len, forward branches) are
 * loaded with bpf(BPF_PROG_LOAD) and run with BPF_PROG_TEST_RUN on random
 * packets; the kernel's r0 must equal the interpreter's and the JIT's
 * (low 32 bits: that is what the kernel reports). Programs the kernel
 * verifier refuses are counted, not compared. Without bpf() permission
 * the test is skipped (exit 77) and says so. Seed printed, PF_TEST_SEED.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <pfcap/ebpf.h>
#include <pfcap/ebpf_io.h>

#include "ebpf_gen.h"

#define PROGRAMS 1000

static const uint32_t lens[] = {14, 20, 34, 60, 64, 90, 200};

/* Runs @g's program on one packet in all three engines. */
static int compare_one(struct gen *g, struct pf_ebpf_vm *vm, int fd,
                       uint64_t *st, uint32_t len)
{
    struct pf_ebpf_kernel_run_opts o = {.sz = sizeof(o)};
    uint8_t *pkt = malloc(len);
    uint32_t kret = 0, dur = 0, i;
    uint64_t a, b;
    struct pf_error e;

    assert_non_null(pkt);
    for (i = 0; i < len; i++)
        pkt[i] = (uint8_t)rnd(st);
    for (i = 0; i < 5; i++)
        o.cb[i] = (uint32_t)rnd(st);
    pf_error_init(&e);
    if (pf_ebpf_kernel_test_run(fd, PF_EBPF_KERNEL_SOCKET, pkt, len, &o,
                                &kret, &dur, &e)) {
        print_error("test run failed: %s\n", e.msg);
        free(pkt);
        return -1;
    }
    a = pf_ebpf_vm_run_socket(vm, pkt, len, NULL, o.cb, 0);
    b = pf_ebpf_vm_run_socket(vm, pkt, len, NULL, o.cb, 1);
    if ((uint32_t)a != kret || a != b) {
        static char buf[65536];

        pf_ebpf_dump(g->p, g->n, buf, sizeof(buf));
        fprintf(stderr, "len %u: interp %#" PRIx64 " jit %#" PRIx64
                " kernel %#x\n%s", len, a, b, kret, buf);
        fail();
    }
    free(pkt);
    return 0;
}

static void test_random_vs_kernel(void **state)
{
    uint64_t seed = test_seed("ebpf-vs-kernel"), st = seed ^ 0xfeed;
    struct gen *g = calloc(1, sizeof(*g));
    int i, loaded = 0, refused = 0, runs = 0;
    struct pf_error e;
    static char log[65536];

    assert_non_null(g);
    g->st = seed;
    g->kernel_ctx = 1;
    for (i = 0; i < PROGRAMS; i++) {
        struct pf_ebpf_vm *vm = NULL;
        int fd = -1;
        size_t k;

        generate(g, 1, 20 + (size_t)(rnd(&st) % 100));
        pf_error_init(&e);
        assert_int_equal(pf_ebpf_vm_new(g->p, g->n, PF_EBPF_PROG_SOCKET, &vm,
                                        &e), 0);
        assert_int_equal(pf_ebpf_vm_jit(vm, &e), 0);
        if (pf_ebpf_kernel_load(g->p, g->n, PF_EBPF_KERNEL_SOCKET, log,
                                sizeof(log), &fd, &e)) {
            refused++;
            pf_ebpf_vm_free(vm);
            continue;
        }
        loaded++;
        for (k = 0; k < sizeof(lens) / sizeof(lens[0]); k++)
            if (compare_one(g, vm, fd, &st, lens[k]) == 0)
                runs++;
        pf_ebpf_kernel_close(fd);
        pf_ebpf_vm_free(vm);
    }
    printf("ebpf-vs-kernel: %d programs loaded (%d refused by the kernel), "
           "%d runs compared, 0 mismatches\n", loaded, refused, runs);
    free(g);
    assert_true(loaded > PROGRAMS / 2);
    assert_true(runs >= loaded * 6);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_vs_kernel),
    };
    struct pf_error e;

    pf_error_init(&e);
    if (pf_ebpf_kernel_probe(&e)) {
        printf("SKIP: cannot load eBPF programs into this kernel (%s)\n",
               e.msg);
        return 77;
    }
    return cmocka_run_group_tests(tests, NULL, NULL);
}
