/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The JIT's x86-64 encoders (ebpf/jit_x86_enc.h) against byte strings that
 * GNU as 2.40 produced for the same instructions (intel syntax, assembled
 * and dumped with objdump -d -M intel): REX/ModRM/SIB/displacement corner
 * cases (rsp/r12 bases need a SIB, rbp/r13 bases need a displacement,
 * byte registers sil/dil need a REX), immediates of every width, jumps.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "ebpf/jit_x86_enc.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* Checks one encoding, printing both byte strings on a mismatch. */
static void check(const char *what, const uint8_t *got, int got_len,
                  const uint8_t *want, int want_len)
{
    int i;

    if (got_len != want_len || memcmp(got, want, (size_t)want_len)) {
        print_error("%s:\n  got ", what);
        for (i = 0; i < got_len; i++)
            print_error(" %02x", got[i]);
        print_error("\n  want");
        for (i = 0; i < want_len; i++)
            print_error(" %02x", want[i]);
        print_error("\n");
        fail();
    }
}

#define CHECK(call, ...)                                                       \
    do {                                                                       \
        static const uint8_t want_[] = {__VA_ARGS__};                          \
        uint8_t o_[16];                                                        \
        int n_ = (call);                                                       \
        check(#call, o_, n_, want_, (int)sizeof(want_));                       \
    } while (0)

static void test_rex_modrm_sib(void **state)
{
    assert_int_equal(pf_x86_rex(1, 0, 0, 0), 0x48);
    assert_int_equal(pf_x86_rex(1, 8, 0, 15), 0x4d);
    assert_int_equal(pf_x86_rex(0, 0, 9, 0), 0x42);
    assert_int_equal(pf_x86_modrm(3, 7, 0), 0xf8);
    assert_int_equal(pf_x86_modrm(1, 13, 5), 0x6d);
    assert_int_equal(pf_x86_sib(0, 4, 12), 0x24);
    assert_int_equal(pf_x86_sib(3, 1, 2), 0xca);
}

static void test_alu(void **state)
{
    CHECK(pf_x86_alu_rr(o_, 1, PF_X86_ADD, PF_X86_RAX, PF_X86_RDI),
          0x48, 0x01, 0xf8);
    CHECK(pf_x86_alu_rr(o_, 0, PF_X86_ADD, PF_X86_R13, PF_X86_R10),
          0x45, 0x01, 0xd5);
    CHECK(pf_x86_alu_ri(o_, 1, PF_X86_SUB, PF_X86_RSP, 512),
          0x48, 0x81, 0xec, 0x00, 0x02, 0x00, 0x00);
    CHECK(pf_x86_alu_ri(o_, 1, PF_X86_AND, PF_X86_RBX, -1),
          0x48, 0x83, 0xe3, 0xff);
    CHECK(pf_x86_alu_rr(o_, 0, PF_X86_XOR, PF_X86_R11, PF_X86_R11),
          0x45, 0x31, 0xdb);
    CHECK(pf_x86_alu_ri(o_, 1, PF_X86_CMP, PF_X86_R15, 127),
          0x49, 0x83, 0xff, 0x7f);
    CHECK(pf_x86_alu_ri(o_, 1, PF_X86_CMP, PF_X86_RSI, 128),
          0x48, 0x81, 0xfe, 0x80, 0x00, 0x00, 0x00);
    CHECK(pf_x86_mov_rr(o_, 1, PF_X86_RBP, PF_X86_RSP), 0x48, 0x89, 0xe5);
    CHECK(pf_x86_mov_rr(o_, 0, PF_X86_R8, PF_X86_RAX), 0x41, 0x89, 0xc0);
    CHECK(pf_x86_test_rr(o_, 1, PF_X86_R10, PF_X86_R10), 0x4d, 0x85, 0xd2);
    CHECK(pf_x86_test_ri(o_, 0, PF_X86_RCX, 0x10),
          0xf7, 0xc1, 0x10, 0x00, 0x00, 0x00);
    CHECK(pf_x86_imul_rr(o_, 1, PF_X86_RAX, PF_X86_R13), 0x49, 0x0f, 0xaf,
          0xc5);
    CHECK(pf_x86_grp3(o_, 1, 3, PF_X86_R12), 0x49, 0xf7, 0xdc);
    CHECK(pf_x86_grp3(o_, 1, 6, PF_X86_R10), 0x49, 0xf7, 0xf2);
    CHECK(pf_x86_grp3(o_, 0, 7, PF_X86_R10), 0x41, 0xf7, 0xfa);
    CHECK(pf_x86_shift_ri(o_, 1, PF_X86_SHL, PF_X86_RCX, 3),
          0x48, 0xc1, 0xe1, 0x03);
    CHECK(pf_x86_shift_ri(o_, 0, PF_X86_SAR, PF_X86_R13, 31),
          0x41, 0xc1, 0xfd, 0x1f);
    CHECK(pf_x86_shift_cl(o_, 1, PF_X86_SHR, PF_X86_RAX), 0x48, 0xd3, 0xe8);
}

/* The short forms for eax/rax with imm32 and the 8-bit test. */
static void test_short_forms(void **state)
{
    CHECK(pf_x86_alu_ri(o_, 0, PF_X86_CMP, PF_X86_RAX, 0xdd86),
          0x3d, 0x86, 0xdd, 0x00, 0x00);
    CHECK(pf_x86_alu_ri(o_, 1, PF_X86_CMP, PF_X86_RAX, 0x1000),
          0x48, 0x3d, 0x00, 0x10, 0x00, 0x00);
    CHECK(pf_x86_alu_ri(o_, 0, PF_X86_ADD, PF_X86_RAX, 300),
          0x05, 0x2c, 0x01, 0x00, 0x00);
    CHECK(pf_x86_alu_ri(o_, 1, PF_X86_AND, PF_X86_RAX, -1000),
          0x48, 0x25, 0x18, 0xfc, 0xff, 0xff);
    CHECK(pf_x86_alu_ri(o_, 0, PF_X86_CMP, PF_X86_RAX, 6), 0x83, 0xf8, 0x06);
    CHECK(pf_x86_alu_ri(o_, 0, PF_X86_CMP, PF_X86_RCX, 0xdd86),
          0x81, 0xf9, 0x86, 0xdd, 0x00, 0x00);
    CHECK(pf_x86_test_ri(o_, 0, PF_X86_RAX, 0xff1f),
          0xa9, 0x1f, 0xff, 0x00, 0x00);
    CHECK(pf_x86_test_ri(o_, 1, PF_X86_RAX, 0x10000),
          0x48, 0xa9, 0x00, 0x00, 0x01, 0x00);
    CHECK(pf_x86_test_ri8(o_, PF_X86_RAX, 0x40), 0xa8, 0x40);
    CHECK(pf_x86_test_ri8(o_, PF_X86_RCX, 0x80), 0xf6, 0xc1, 0x80);
    CHECK(pf_x86_test_ri8(o_, PF_X86_RSI, 1), 0x40, 0xf6, 0xc6, 0x01);
    CHECK(pf_x86_test_ri8(o_, PF_X86_RDI, 7), 0x40, 0xf6, 0xc7, 0x07);
    CHECK(pf_x86_test_ri8(o_, PF_X86_R13, 0xff), 0x41, 0xf6, 0xc5, 0xff);
}

static void test_lea(void **state)
{
    CHECK(pf_x86_lea(o_, PF_X86_RCX, PF_X86_R9, 0x12), 0x49, 0x8d, 0x49,
          0x12);
    CHECK(pf_x86_lea(o_, PF_X86_RDX, PF_X86_RSP, -8), 0x48, 0x8d, 0x54, 0x24,
          0xf8);
    CHECK(pf_x86_lea(o_, PF_X86_R11, PF_X86_R12, 0x1000), 0x4d, 0x8d, 0x9c,
          0x24, 0x00, 0x10, 0x00, 0x00);
    CHECK(pf_x86_lea(o_, PF_X86_RCX, PF_X86_RDI, 0), 0x48, 0x8d, 0x0f);
    CHECK(pf_x86_lea(o_, PF_X86_RAX, PF_X86_R13, 0), 0x49, 0x8d, 0x45, 0x00);
    CHECK(pf_x86_lea_idx(o_, PF_X86_RCX, PF_X86_RDI, PF_X86_R9), 0x4a, 0x8d,
          0x0c, 0x0f);
    CHECK(pf_x86_lea_idx(o_, PF_X86_RCX, PF_X86_RDI, PF_X86_R13), 0x4a,
          0x8d, 0x0c, 0x2f);
    CHECK(pf_x86_lea_idx(o_, PF_X86_R10, PF_X86_R13, PF_X86_R9), 0x4f, 0x8d,
          0x54, 0x0d, 0x00);
    CHECK(pf_x86_lea_idx(o_, PF_X86_RAX, PF_X86_RBP, PF_X86_RBX), 0x48,
          0x8d, 0x44, 0x1d, 0x00);
    CHECK(pf_x86_lea_idx(o_, PF_X86_RCX, PF_X86_R12, PF_X86_RAX), 0x49,
          0x8d, 0x0c, 0x04);
}

static void test_imm_moves(void **state)
{
    CHECK(pf_x86_mov_ri32(o_, PF_X86_RAX, 0x12345678),
          0xb8, 0x78, 0x56, 0x34, 0x12);
    CHECK(pf_x86_mov_ri32(o_, PF_X86_R9, 7),
          0x41, 0xb9, 0x07, 0x00, 0x00, 0x00);
    CHECK(pf_x86_mov_ri64s(o_, PF_X86_RDX, -5),
          0x48, 0xc7, 0xc2, 0xfb, 0xff, 0xff, 0xff);
    CHECK(pf_x86_movabs(o_, PF_X86_R14, 0x123456789abcdef0ull),
          0x49, 0xbe, 0xf0, 0xde, 0xbc, 0x9a, 0x78, 0x56, 0x34, 0x12);
    CHECK(pf_x86_imul_ri(o_, 0, PF_X86_R8, -3),
          0x45, 0x69, 0xc0, 0xfd, 0xff, 0xff, 0xff);
}

static void test_swaps_and_extends(void **state)
{
    CHECK(pf_x86_bswap(o_, 1, PF_X86_R9), 0x49, 0x0f, 0xc9);
    CHECK(pf_x86_bswap(o_, 0, PF_X86_RAX), 0x0f, 0xc8);
    CHECK(pf_x86_ror16_8(o_, PF_X86_RSI), 0x66, 0xc1, 0xce, 0x08);
    CHECK(pf_x86_movzx_rr(o_, 16, PF_X86_RDI, PF_X86_RDI), 0x0f, 0xb7, 0xff);
    CHECK(pf_x86_movzx_rr(o_, 8, PF_X86_RSI, PF_X86_RSI), 0x40, 0x0f, 0xb6,
          0xf6);
    CHECK(pf_x86_movsx_rr(o_, 1, 8, PF_X86_RAX, PF_X86_RDI), 0x48, 0x0f,
          0xbe, 0xc7);
    CHECK(pf_x86_movsx_rr(o_, 0, 16, PF_X86_R11, PF_X86_R12), 0x45, 0x0f,
          0xbf, 0xdc);
    CHECK(pf_x86_movsx_rr(o_, 1, 32, PF_X86_RSI, PF_X86_RSI), 0x48, 0x63,
          0xf6);
}

static void test_memory(void **state)
{
    CHECK(pf_x86_load(o_, 1, PF_X86_RAX, PF_X86_RDI, 12), 0x0f, 0xb6, 0x47,
          0x0c);
    CHECK(pf_x86_load(o_, 2, PF_X86_R13, PF_X86_R12, 0), 0x45, 0x0f, 0xb7,
          0x2c, 0x24);
    CHECK(pf_x86_load(o_, 4, PF_X86_RAX, PF_X86_RBP, -4), 0x8b, 0x45, 0xfc);
    CHECK(pf_x86_load(o_, 8, PF_X86_R15, PF_X86_R13, 0), 0x4d, 0x8b, 0x7d,
          0x00);
    CHECK(pf_x86_load(o_, 8, PF_X86_RAX, PF_X86_RSP, 0x200), 0x48, 0x8b,
          0x84, 0x24, 0x00, 0x02, 0x00, 0x00);
    CHECK(pf_x86_load_sx(o_, 1, PF_X86_RAX, PF_X86_RBX, -128), 0x48, 0x0f,
          0xbe, 0x43, 0x80);
    CHECK(pf_x86_load_sx(o_, 2, PF_X86_RCX, PF_X86_RSI, 127), 0x48, 0x0f,
          0xbf, 0x4e, 0x7f);
    CHECK(pf_x86_load_sx(o_, 4, PF_X86_R8, PF_X86_RDI, 0x1000), 0x4c, 0x63,
          0x87, 0x00, 0x10, 0x00, 0x00);
    CHECK(pf_x86_store(o_, 1, PF_X86_RBP, -1, PF_X86_RSI), 0x40, 0x88, 0x75,
          0xff);
    CHECK(pf_x86_store(o_, 2, PF_X86_R10, 2, PF_X86_R11), 0x66, 0x45, 0x89,
          0x5a, 0x02);
    CHECK(pf_x86_store(o_, 4, PF_X86_RBX, -8, PF_X86_R9), 0x44, 0x89, 0x4b,
          0xf8);
    CHECK(pf_x86_store(o_, 8, PF_X86_RBP, -512, PF_X86_RDI), 0x48, 0x89,
          0xbd, 0x00, 0xfe, 0xff, 0xff);
    CHECK(pf_x86_store_imm(o_, 1, PF_X86_RBP, -3, 0x7f), 0xc6, 0x45, 0xfd,
          0x7f);
    CHECK(pf_x86_store_imm(o_, 2, PF_X86_RDI, 4, 0x1234), 0x66, 0xc7, 0x47,
          0x04, 0x34, 0x12);
    CHECK(pf_x86_store_imm(o_, 4, PF_X86_R12, 8, -2), 0x41, 0xc7, 0x44, 0x24,
          0x08, 0xfe, 0xff, 0xff, 0xff);
    CHECK(pf_x86_store_imm(o_, 8, PF_X86_RBP, -16, -1), 0x48, 0xc7, 0x45,
          0xf0, 0xff, 0xff, 0xff, 0xff);
}

static void test_control(void **state)
{
    CHECK(pf_x86_push(o_, PF_X86_RBP), 0x55);
    CHECK(pf_x86_push(o_, PF_X86_R15), 0x41, 0x57);
    CHECK(pf_x86_pop(o_, PF_X86_RBX), 0x5b);
    CHECK(pf_x86_pop(o_, PF_X86_R13), 0x41, 0x5d);
    CHECK(pf_x86_call_r(o_, PF_X86_R11), 0x41, 0xff, 0xd3);
    CHECK(pf_x86_call_r(o_, PF_X86_RAX), 0xff, 0xd0);
    CHECK(pf_x86_jmp(o_, -2, 1), 0xeb, 0xfe);
    CHECK(pf_x86_jmp(o_, 0x1000, 0), 0xe9, 0x00, 0x10, 0x00, 0x00);
    CHECK(pf_x86_jcc(o_, PF_X86_CC_B, 14, 1), 0x72, 0x0e);
    CHECK(pf_x86_jcc(o_, PF_X86_CC_G, -300, 0), 0x0f, 0x8f, 0xd4, 0xfe,
          0xff, 0xff);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rex_modrm_sib),
        cmocka_unit_test(test_alu),
        cmocka_unit_test(test_short_forms),
        cmocka_unit_test(test_lea),
        cmocka_unit_test(test_imm_moves),
        cmocka_unit_test(test_swaps_and_extends),
        cmocka_unit_test(test_memory),
        cmocka_unit_test(test_control),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
