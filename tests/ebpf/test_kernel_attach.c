/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * SO_ATTACH_BPF with a translated socket filter on an AF_UNIX datagram
 * socket pair (the kernel runs socket filters on its receive path, the
 * datagram's bytes from offset 0): a filter keeps datagrams whose first
 * byte is 'A', truncates them to the cBPF return value, reads `len` from
 * skb->len (PF_TRANSLATE_LEN_SKB), and detaching lets everything through.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include <pfcap/ebpf_io.h>
#include <pfcap/translate.h>

#include "../translate/trt.h"

#define I(c, t, f, k)                                                          \
    ((struct pf_cbpf_insn){(uint16_t)(c), t, f, (uint32_t)(k)})

static int attach(int sock, const struct pf_cbpf_insn *insns, size_t len)
{
    struct pf_translate_opts o = {.sz = sizeof(o),
                                  .target = PF_TRANSLATE_SOCKET,
                                  .len_from = PF_TRANSLATE_LEN_SKB};
    struct pf_ebpf_prog prog;
    struct pf_error e;
    int fd;

    pf_error_init(&e);
    assert_int_equal(pf_translate(insns, len, &o, &prog, &e), 0);
    assert_int_equal(pf_ebpf_kernel_load(prog.insns, prog.len,
                                         PF_EBPF_KERNEL_SOCKET, NULL, 0, &fd,
                                         &e), 0);
    assert_int_equal(pf_ebpf_kernel_attach_socket(sock, fd, &e), 0);
    free(prog.insns);
    return fd;
}

/* Sends @msg from s[0]; returns what s[1] receives (-1 = nothing). */
static ssize_t pass(int s[2], const char *msg, char *buf, size_t len)
{
    assert_int_equal(send(s[0], msg, strlen(msg), 0), (ssize_t)strlen(msg));
    return recv(s[1], buf, len, MSG_DONTWAIT);
}

static void test_attach(void **state)
{
    /* ldb [0]; jeq 'A' ? (ld len; jgt #4 ? ret #3 : ret a) : ret #0 */
    const struct pf_cbpf_insn prog[] = {
        I(0x30, 0, 0, 0),   I(0x15, 0, 4, 'A'), I(0x80, 0, 0, 0),
        I(0x25, 0, 1, 4),   I(0x06, 0, 0, 3),   I(0x16, 0, 0, 0),
        I(0x06, 0, 0, 0),
    };
    char buf[64];
    int s[2], fd;
    ssize_t n;

    (void)state;
    assert_int_equal(socketpair(AF_UNIX, SOCK_DGRAM, 0, s), 0);
    fd = attach(s[1], prog, sizeof(prog) / sizeof(prog[0]));
    assert_int_equal(pass(s, "Bravo", buf, sizeof(buf)), -1);
    assert_int_equal(errno, EAGAIN);
    n = pass(s, "Alpha", buf, sizeof(buf)); /* len 5 > 4: cut to 3 */
    assert_int_equal(n, 3);
    assert_memory_equal(buf, "Alp", 3);
    n = pass(s, "Abc", buf, sizeof(buf)); /* len 3: kept whole */
    assert_int_equal(n, 3);
    assert_memory_equal(buf, "Abc", 3);
    assert_int_equal(pf_ebpf_kernel_detach_socket(s[1], NULL), 0);
    assert_int_equal(pass(s, "Bravo", buf, sizeof(buf)), 5);
    pf_ebpf_kernel_close(fd);
    close(s[0]);
    close(s[1]);
}

static void test_attach_errors(void **state)
{
    struct pf_error e;

    (void)state;
    pf_error_init(&e);
    assert_int_equal(pf_ebpf_kernel_attach_socket(-1, 0, &e), -EBADF);
    assert_int_equal(e.stage, PF_STAGE_KERNEL);
    assert_non_null(strstr(e.msg, "SO_ATTACH_BPF"));
}

/* The verifier's log comes back on refusal. */
static void test_load_refused(void **state)
{
    const struct pf_ebpf_insn bad[] = {PF_EBPF_EXIT()}; /* r0 unset */
    char log[4096];
    struct pf_error e;
    int fd = -1;

    (void)state;
    pf_error_init(&e);
    assert_true(pf_ebpf_kernel_load(bad, 1, PF_EBPF_KERNEL_SOCKET, log,
                                    sizeof(log), &fd, &e) < 0);
    assert_int_equal(fd, -1);
    assert_non_null(strstr(log, "R0"));
    assert_non_null(strstr(e.msg, "R0"));
    assert_int_equal(e.stage, PF_STAGE_KERNEL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_attach),
        cmocka_unit_test(test_attach_errors),
        cmocka_unit_test(test_load_refused),
    };

    trt_require_kernel("test_kernel_attach");
    return cmocka_run_group_tests(tests, NULL, NULL);
}
