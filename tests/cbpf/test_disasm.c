/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Unit tests of the cBPF disassembler (cbpf/disasm.c): the exact text of
 * opcodes tcpdump never emits (expected strings taken from libpcap
 * 1.10.3's bpf_image, which golden_bpf_image.c checks exhaustively), the
 * three dump formats of a known tcpdump program, and the snprintf-like
 * size contract of both entry points.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <pfcap/cbpf.h>

struct insn_case {
    struct pf_cbpf_insn insn;
    size_t n;
    const char *text;
};

/* Printed by libpcap 1.10.3's bpf_image for the same (insn, n). */
static const struct insn_case rare_cases[] = {
    {{0x94, 0, 0, 7}, 3, "(003) mod      #7"},
    {{0x9c, 0, 0, 0}, 3, "(003) mod      x"},
    {{0xa4, 0, 0, 0xff}, 3, "(003) xor      #0xff"},
    {{0xac, 0, 0, 0}, 3, "(003) xor      x"},
    {{0x84, 0, 0, 0}, 3, "(003) neg      "},
    {{0x87, 0, 0, 0}, 3, "(003) txa      "},
    {{0x07, 0, 0, 0}, 3, "(003) tax      "},
    {{0x16, 0, 0, 0}, 3, "(003) ret      "},
    {{0x81, 0, 0, 0}, 3, "(003) unimp    0x81"},
    {{0x4d, 1, 2, 0}, 3, "(003) jset     x                jt 5\tjf 6"},
    {{0x3d, 0, 255, 0}, 3, "(003) jge      x                jt 4\tjf 259"},
    {{0x35, 0, 0, 0xffffffff}, 9, "(009) jge      #0xffffffff      jt 10\tjf 10"},
    {{0x05, 0, 0, 0xfffffffe}, 9, "(009) ja       8"},
    {{0x05, 0, 0, 3}, 1000, "(1000) ja       1004"},
    {{0x06, 0, 0, 0xffffffff}, 0, "(000) ret      #-1"},
    {{0x06, 0, 0, 262144}, 0, "(000) ret      #262144"},
    {{0x04, 0, 0, 0x80000000}, 0, "(000) add      #-2147483648"},
    {{0x44, 0, 0, 0x80000000}, 0, "(000) or       #0x80000000"},
    {{0x64, 0, 0, 2}, 0, "(000) lsh      #2"},
    {{0x7c, 0, 0, 0}, 0, "(000) rsh      x"},
    {{0x00, 0, 0, 0}, 0, "(000) ld       #0x0"},
    {{0x01, 0, 0, 14}, 0, "(000) ldx      #0xe"},
    {{0x80, 0, 0, 0}, 0, "(000) ld       #pktlen"},
    {{0x60, 0, 0, 15}, 0, "(000) ld       M[15]"},
    {{0x61, 0, 0, 1}, 0, "(000) ldx      M[1]"},
    {{0x02, 0, 0, 0xffffffff}, 0, "(000) st       M[-1]"},
    {{0x03, 0, 0, 2}, 0, "(000) stx      M[2]"},
    {{0xb1, 0, 0, 14}, 0, "(000) ldxb     4*([14]&0xf)"},
    {{0x40, 0, 0, 0xfffff000}, 0, "(000) ld       [x + -4096]"},
    {{0x50, 0, 0, 20}, 0, "(000) ldb      [x + 20]"},
    {{0x20, 0, 0, 0xfffff000}, 0, "(000) ld       [proto]"},
    {{0x28, 0, 0, 0xfffff004}, 0, "(000) ldh      [type]"},
    {{0x30, 0, 0, 0xfffff02c}, 0, "(000) ldb      [vlan_tci]"},
    {{0x20, 0, 0, 0xfffff030}, 0, "(000) ld       [vlanp]"},
    {{0x20, 0, 0, 0xfffff038}, 0, "(000) ld       [random]"},
    {{0x20, 0, 0, 0xfffff03c}, 0, "(000) ld       [vlan_tpid]"},
    {{0x20, 0, 0, 0xfffff040}, 0, "(000) ld       [-4032]"},
    {{0x20, 0, 0, 0xfffff001}, 0, "(000) ld       [-4095]"},
    {{0x20, 0, 0, 0xfff00000}, 0, "(000) ld       [-1048576]"},
    {{0x08, 0, 0, 0}, 0, "(000) unimp    0x8"},
    {{0x55, 1, 1, 0}, 0, "(000) unimp    0x55             jt 2\tjf 2"},
    {{0x115, 0, 0, 0}, 5, "(005) unimp    0x115            jt 6\tjf 6"},
    {{0xffff, 0, 0, 0}, 5, "(005) unimp    0xffff"},
};

static void test_rare_opcodes(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof rare_cases / sizeof rare_cases[0]; i++) {
        const struct insn_case *t = &rare_cases[i];
        char buf[128];
        size_t n = pf_cbpf_disasm_insn(&t->insn, t->n, buf, sizeof buf);

        assert_string_equal(buf, t->text);
        assert_int_equal(n, strlen(t->text));
    }
}

/* Every ancillary offset prints as its libpcap name in all three widths. */
static void test_ancillary_names(void **state)
{
    static const char *const names[] = {
        "proto", "type", "ifidx", "nla", "nlan", "mark", "queue", "hatype",
        "rxhash", "cpu", "xor_x", "vlan_tci", "vlanp", "poff", "random",
        "vlan_tpid",
    };
    static const char *const mnem[] = {"ld      ", "ldh     ", "ldb     "};
    static const uint16_t codes[] = {0x20, 0x28, 0x30};

    (void)state;
    for (size_t i = 0; i < 16; i++) {
        for (size_t w = 0; w < 3; w++) {
            struct pf_cbpf_insn insn = {codes[w], 0, 0,
                                        (uint32_t)(-0x1000 + 4 * (int)i)};
            char buf[128], want[128];

            snprintf(want, sizeof want, "(000) %s [%s]", mnem[w], names[i]);
            pf_cbpf_disasm_insn(&insn, 0, buf, sizeof buf);
            assert_string_equal(buf, want);
        }
    }
}

/* tcpdump -y EN10MB 'ip and tcp port 80' */
static const struct pf_cbpf_insn web[] = {
    {0x28, 0, 0, 0x0000000c}, {0x15, 0, 10, 0x00000800},
    {0x30, 0, 0, 0x00000017}, {0x15, 0, 8, 0x00000006},
    {0x28, 0, 0, 0x00000014}, {0x45, 6, 0, 0x00001fff},
    {0xb1, 0, 0, 0x0000000e}, {0x48, 0, 0, 0x0000000e},
    {0x15, 2, 0, 0x00000050}, {0x48, 0, 0, 0x00000010},
    {0x15, 0, 1, 0x00000050}, {0x6, 0, 0, 0x00040000},
    {0x6, 0, 0, 0x00000000},
};

static const char web_listing[] =
    "(000) ldh      [12]\n"
    "(001) jeq      #0x800           jt 2\tjf 12\n"
    "(002) ldb      [23]\n"
    "(003) jeq      #0x6             jt 4\tjf 12\n"
    "(004) ldh      [20]\n"
    "(005) jset     #0x1fff          jt 12\tjf 6\n"
    "(006) ldxb     4*([14]&0xf)\n"
    "(007) ldh      [x + 14]\n"
    "(008) jeq      #0x50            jt 11\tjf 9\n"
    "(009) ldh      [x + 16]\n"
    "(010) jeq      #0x50            jt 11\tjf 12\n"
    "(011) ret      #262144\n"
    "(012) ret      #0\n";

static const char web_c[] =
    "{ 0x28, 0, 0, 0x0000000c },\n"
    "{ 0x15, 0, 10, 0x00000800 },\n"
    "{ 0x30, 0, 0, 0x00000017 },\n"
    "{ 0x15, 0, 8, 0x00000006 },\n"
    "{ 0x28, 0, 0, 0x00000014 },\n"
    "{ 0x45, 6, 0, 0x00001fff },\n"
    "{ 0xb1, 0, 0, 0x0000000e },\n"
    "{ 0x48, 0, 0, 0x0000000e },\n"
    "{ 0x15, 2, 0, 0x00000050 },\n"
    "{ 0x48, 0, 0, 0x00000010 },\n"
    "{ 0x15, 0, 1, 0x00000050 },\n"
    "{ 0x6, 0, 0, 0x00040000 },\n"
    "{ 0x6, 0, 0, 0x00000000 },\n";

static const char web_decimal[] =
    "13\n40 0 0 12\n21 0 10 2048\n48 0 0 23\n21 0 8 6\n40 0 0 20\n"
    "69 6 0 8191\n177 0 0 14\n72 0 0 14\n21 2 0 80\n72 0 0 16\n"
    "21 0 1 80\n6 0 0 262144\n6 0 0 0\n";

static void check_dump(enum pf_cbpf_dump_fmt fmt, const char *want)
{
    size_t n = sizeof web / sizeof web[0];
    size_t need = pf_cbpf_dump(web, n, fmt, NULL, 0);
    char *buf;

    assert_int_equal(need, strlen(want));
    buf = test_malloc(need + 1);
    assert_int_equal(pf_cbpf_dump(web, n, fmt, buf, need + 1), need);
    assert_string_equal(buf, want);
    test_free(buf);
}

static void test_dump_formats(void **state)
{
    (void)state;
    check_dump(PF_CBPF_DUMP_LISTING, web_listing);
    check_dump(PF_CBPF_DUMP_C, web_c);
    check_dump(PF_CBPF_DUMP_DECIMAL, web_decimal);
}

/* Short buffers get a NUL-terminated prefix; the return value is the full length. */
static void test_truncation(void **state)
{
    size_t n = sizeof web / sizeof web[0];
    char buf[32];

    (void)state;
    memset(buf, 'Z', sizeof buf);
    assert_int_equal(pf_cbpf_dump(web, n, PF_CBPF_DUMP_LISTING, buf, 25),
                     strlen(web_listing));
    assert_int_equal(strlen(buf), 24);
    assert_memory_equal(buf, web_listing, 24);
    assert_int_equal(buf[25], 'Z');

    memset(buf, 'Z', sizeof buf);
    assert_int_equal(pf_cbpf_disasm_insn(&web[1], 1, buf, 10),
                     strlen("(001) jeq      #0x800           jt 2\tjf 12"));
    assert_string_equal(buf, "(001) jeq");
    assert_int_equal(pf_cbpf_disasm_insn(&web[1], 1, NULL, 0), 42);

    buf[0] = 'Z';
    assert_int_equal(pf_cbpf_dump(web, 0, PF_CBPF_DUMP_LISTING, buf, 4), 0);
    assert_string_equal(buf, "");
    assert_int_equal(pf_cbpf_dump(web, 0, PF_CBPF_DUMP_DECIMAL, buf, 4), 2);
    assert_string_equal(buf, "0\n");
    assert_int_equal(pf_cbpf_dump(web, 1, (enum pf_cbpf_dump_fmt)99, buf, 4),
                     0);
    assert_string_equal(buf, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rare_opcodes),
        cmocka_unit_test(test_ancillary_names),
        cmocka_unit_test(test_dump_formats),
        cmocka_unit_test(test_truncation),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
