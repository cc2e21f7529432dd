/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ELF objects: a translation written by pfcap loads with `bpftool prog
 * load` (in a private mount namespace with its own bpffs) and reads back
 * unchanged; an object built by `clang -target bpf -O2 -c` from
 * tests/data/ebpf/sock_filter.c gives the same verdicts in pfcap's socket
 * engine (interpreter and JIT), in the kernel and in a C reference of the
 * same filter, on the corpus's Ethernet packets; malformed objects and
 * relocations are refused with the reason.
 * A call from the program's section into .text is resolved (the kernel
 * runs the result like the reference).
 * Usage: test_elf SOCK_FILTER.o RELOC.o CALL_FILTER.o
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <pfcap/ebpf_io.h>
#include <pfcap/translate.h>

#include "../translate/trt.h"

static const char *sock_obj, *reloc_obj, *call_obj;

static void translate_expr(const char *expr, enum pf_translate_target t,
                           struct pf_ebpf_prog *out)
{
    struct pf_translate_opts o = {.sz = sizeof(o), .target = t};
    struct trt_prog p;

    assert_int_equal(trt_compile(1, expr, &p), 0);
    assert_int_equal(pf_translate(p.insns, p.len, &o, out, NULL), 0);
    free(p.insns);
}

/* Runs bpftool in its own mount namespace with a private bpffs. */
static int bpftool_load(const char *obj, const char *type)
{
    char dir[] = "/tmp/pfcap-bpffs-XXXXXX", cmd[1024];
    int rc;

    assert_non_null(mkdtemp(dir));
    snprintf(cmd, sizeof(cmd),
             "unshare -m sh -c 'mount -t bpf bpf %s && "
             "bpftool prog load %s %s/prog type %s && "
             "bpftool prog show pinned %s/prog && rm %s/prog'",
             dir, obj, dir, type, dir, dir);
    rc = system(cmd);
    rmdir(dir);
    return rc;
}

static void write_and_load(enum pf_translate_target t, const char *section,
                           const char *type)
{
    struct pf_ebpf_elf_opts eo = {.sz = sizeof(eo), .section = section};
    char path[] = "/tmp/pfcap-elf-XXXXXX";
    struct pf_ebpf_prog prog, back;
    struct pf_error e;
    int fd = mkstemp(path);

    assert_true(fd >= 0);
    close(fd);
    translate_expr("tcp port 80 or udp", t, &prog);
    pf_error_init(&e);
    assert_int_equal(pf_ebpf_elf_write_file(path, prog.insns, prog.len, &eo,
                                             &e), 0);
    assert_int_equal(bpftool_load(path, type), 0);
    assert_int_equal(pf_ebpf_elf_read_file(path, NULL, &back, &e), 0);
    assert_int_equal(back.len, prog.len);
    assert_memory_equal(back.insns, prog.insns, prog.len * 8);
    unlink(path);
    free(prog.insns);
    free(back.insns);
}

static void test_write_socket(void **state)
{
    (void)state;
    write_and_load(PF_TRANSLATE_SOCKET, "socket", "socket");
}

static void test_write_xdp(void **state)
{
    (void)state;
    write_and_load(PF_TRANSLATE_XDP, "xdp", "xdp");
}

/* The C reference of tests/data/ebpf/sock_filter.c. */
static uint32_t reference(const uint8_t *p, uint32_t len)
{
    uint32_t l4;

    if (len < 14 || (p[12] << 8 | p[13]) != 0x0800 || len < 24)
        return 0;
    if (p[23] == 17)
        return len;
    if (p[23] != 6)
        return 0;
    l4 = 14 + (p[14] & 0xf) * 4u;
    if (l4 + 4 > len)
        return 0;
    return ((p[l4] << 8 | p[l4 + 1]) == 80 ||
            (p[l4 + 2] << 8 | p[l4 + 3]) == 80)
               ? 64
               : 0;
}

static void test_clang_object(void **state)
{
    struct pf_ebpf_vm *vm;
    struct pf_ebpf_prog prog;
    struct trt_packets pk;
    struct pf_error e;
    size_t runs = 0, kept = 0;
    int fd;

    (void)state;
    pf_error_init(&e);
    assert_int_equal(pf_ebpf_elf_read_file(sock_obj, NULL, &prog, &e), 0);
    if (pf_ebpf_vm_new(prog.insns, prog.len, PF_EBPF_PROG_SOCKET, &vm, &e)) {
        print_error("pfcap refused the clang object: insn %ld: %s\n", e.insn,
                    e.msg);
        fail();
    }
    pf_ebpf_vm_jit(vm, NULL);
    assert_int_equal(pf_ebpf_kernel_load(prog.insns, prog.len,
                                         PF_EBPF_KERNEL_SOCKET, NULL, 0, &fd,
                                         &e), 0);
    trt_load_corpus(1, &pk);
    for (size_t i = 0; i < pk.n; i++) {
        const struct trt_packet *p = &pk.p[i];
        uint32_t k, want = reference(p->data, p->caplen);

        if (p->caplen == 0 || p->caplen > PF_EBPF_KERNEL_TEST_MAX_SOCKET)
            continue;
        assert_int_equal(pf_ebpf_kernel_test_run(fd, PF_EBPF_KERNEL_SOCKET,
                                                 p->data, p->caplen, NULL, &k,
                                                 NULL, &e), 0);
        assert_int_equal(k, want);
        assert_int_equal((uint32_t)pf_ebpf_vm_run_socket(vm, p->data,
                                                         p->caplen, NULL,
                                                         NULL, 0), want);
        assert_int_equal((uint32_t)pf_ebpf_vm_run_socket(vm, p->data,
                                                         p->caplen, NULL,
                                                         NULL, 1), want);
        runs++;
        kept += want != 0;
    }
    printf("clang object: %zu packets, %zu kept, kernel = interpreter = "
           "JIT = reference\n", runs, kept);
    assert_true(runs > 1000 && kept > 100);
    trt_free_corpus(&pk);
    pf_ebpf_kernel_close(fd);
    pf_ebpf_vm_free(vm);
    free(prog.insns);
}

static void test_reloc_refused(void **state)
{
    struct pf_ebpf_prog prog;
    struct pf_error e;

    (void)state;
    pf_error_init(&e);
    assert_int_equal(pf_ebpf_elf_read_file(reloc_obj, "socket", &prog, &e),
                     -ENOTSUP);
    assert_int_equal(e.code, PF_EBPF_ELF_ERR_RELOC);
    assert_non_null(strstr(e.msg, "pfcap_counter"));
    assert_non_null(strstr(e.msg, "instruction 0"));
}

static void test_malformed(void **state)
{
    static const uint8_t junk[64] = {0x7f, 'E', 'L', 'F', 2, 1, 1};
    struct pf_ebpf_insn ret0[] = {PF_EBPF_MOV64_IMM(0, 0), PF_EBPF_EXIT()};
    struct pf_ebpf_prog prog;
    struct pf_error e;
    uint8_t *obj;
    size_t size;

    (void)state;
    pf_error_init(&e);
    assert_int_equal(pf_ebpf_elf_read(junk, 3, NULL, &prog, &e), -EINVAL);
    assert_int_equal(e.code, PF_EBPF_ELF_ERR_NOT_BPF);
    pf_error_init(&e);
    assert_int_equal(pf_ebpf_elf_read(junk, sizeof(junk), NULL, &prog, &e),
                     -EINVAL);
    assert_int_equal(pf_ebpf_elf_write(ret0, 2, NULL, (void **)&obj, &size,
                                       &e), 0);
    pf_error_init(&e);
    assert_int_equal(pf_ebpf_elf_read(obj, size, "xdp", &prog, &e), -ENOENT);
    assert_int_equal(e.code, PF_EBPF_ELF_ERR_NO_SECTION);
    obj[18] = 62; /* e_machine = EM_X86_64 */
    pf_error_init(&e);
    assert_int_equal(pf_ebpf_elf_read(obj, size, NULL, &prog, &e), -EINVAL);
    assert_int_equal(e.code, PF_EBPF_ELF_ERR_NOT_BPF);
    obj[18] = 247;
    for (size_t cut = 0; cut < size; cut += 7) { /* truncated objects */
        pf_error_init(&e);
        assert_true(pf_ebpf_elf_read(obj, cut, NULL, &prog, &e) < 0);
        assert_true(e.err < 0 && e.msg[0]);
    }
    assert_int_equal(pf_ebpf_elf_read(obj, size, NULL, &prog, &e), 0);
    assert_int_equal(prog.len, 2);
    free(prog.insns);
    free(obj);
}

/* tests/data/ebpf/call_filter.c: .text appended, the call resolved. */
static void test_call_object(void **state)
{
    struct pf_ebpf_prog prog;
    struct trt_packets pk;
    struct pf_error e;
    size_t runs = 0, kept = 0;
    int fd;

    (void)state;
    pf_error_init(&e);
    assert_int_equal(pf_ebpf_elf_read_file(call_obj, NULL, &prog, &e), 0);
    assert_int_equal(prog.len, 9 + 14); /* socket, then .text */
    assert_int_equal(prog.insns[1].imm, 9 - 2); /* call +7: .text[0] */
    if (pf_ebpf_kernel_load(prog.insns, prog.len, PF_EBPF_KERNEL_SOCKET, NULL,
                            0, &fd, &e)) {
        print_error("kernel: %s\n", e.msg);
        fail();
    }
    trt_load_corpus(1, &pk);
    for (size_t i = 0; i < pk.n; i++) {
        const struct trt_packet *p = &pk.p[i];
        uint32_t k, want = p->caplen >= 14 && p->data[12] == 8 &&
                                   p->data[13] == 0
                               ? p->caplen
                               : 0;

        if (p->caplen == 0 || p->caplen > PF_EBPF_KERNEL_TEST_MAX_SOCKET)
            continue;
        assert_int_equal(pf_ebpf_kernel_test_run(fd, PF_EBPF_KERNEL_SOCKET,
                                                 p->data, p->caplen, NULL, &k,
                                                 NULL, &e), 0);
        assert_int_equal(k, want);
        runs++;
        kept += want != 0;
    }
    printf("call object: %zu packets, %zu kept, kernel = reference\n", runs,
           kept);
    assert_true(kept > 100);
    trt_free_corpus(&pk);
    pf_ebpf_kernel_close(fd);
    free(prog.insns);
}

/* A program in .text is found when no section is named. */
static void test_text_section(void **state)
{
    struct pf_ebpf_insn ret1[] = {PF_EBPF_MOV64_IMM(0, 1), PF_EBPF_EXIT()};
    struct pf_ebpf_elf_opts eo = {.sz = sizeof(eo), .section = ".text",
                                  .name = "f"};
    struct pf_ebpf_prog prog;
    struct pf_error e;
    void *obj;
    size_t size;

    (void)state;
    pf_error_init(&e);
    assert_int_equal(pf_ebpf_elf_write(ret1, 2, &eo, &obj, &size, &e), 0);
    assert_int_equal(pf_ebpf_elf_read(obj, size, NULL, &prog, &e), 0);
    assert_int_equal(prog.len, 2);
    assert_memory_equal(prog.insns, ret1, sizeof(ret1));
    free(prog.insns);
    assert_int_equal(pf_ebpf_elf_read(obj, size, "socket", &prog, &e),
                     -ENOENT);
    assert_non_null(strstr(e.msg, "socket"));
    free(obj);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_reloc_refused),
        cmocka_unit_test(test_text_section),
        cmocka_unit_test(test_call_object),
        cmocka_unit_test(test_write_socket),
        cmocka_unit_test(test_write_xdp),
        cmocka_unit_test(test_clang_object),
    };

    if (argc != 4) {
        fprintf(stderr, "usage: test_elf SOCK_FILTER.o RELOC.o "
                        "CALL_FILTER.o\n");
        return 2;
    }
    sock_obj = argv[1];
    reloc_obj = argv[2];
    call_obj = argv[3];
    trt_require_kernel("test_elf");
    if (system("command -v bpftool >/dev/null && command -v unshare "
               ">/dev/null") != 0) {
        fprintf(stderr, "*** test_elf SKIPPED: bpftool or unshare is not "
                        "installed ***\n");
        return 77;
    }
    return cmocka_run_group_tests(tests, NULL, NULL);
}
