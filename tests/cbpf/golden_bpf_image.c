/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Golden test of the disassembler against libpcap itself (the oracle):
 * pf_cbpf_disasm_insn must print exactly what libpcap's bpf_image prints
 * for every 16-bit opcode (valid or not) with many k, jt, jf values and
 * instruction numbers, and pf_cbpf_dump must print exactly what
 * libpcap's bpf_dump prints (the code behind tcpdump -d, -dd, -ddd) for
 * seeded random programs. Seeds print; PF_TEST_SEED replays one.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <pcap/pcap.h>

#include <pfcap/cbpf.h>

_Static_assert(sizeof(struct pf_cbpf_insn) == sizeof(struct bpf_insn),
               "pf_cbpf_insn mirrors bpf_insn");

static const uint32_t image_k[] = {
    0, 1, 2, 12, 14, 255, 256, 0x1fff, 0x7fffffff, 0x80000000, 0xfffffffe,
    0xffffffff, 0xffffefff, 0xfffff000, 0xfffff001, 0xfffff004, 0xfffff028,
    0xfffff02c, 0xfffff030, 0xfffff034, 0xfffff038, 0xfffff03c, 0xfffff040,
    0xffefffff, 0xfff00000, 0xffe00000,
};
static const uint8_t image_jt[] = {0, 1, 255, 3};
static const uint8_t image_jf[] = {0, 254, 255, 0};
static const int image_n[] = {0, 7, 99, 999, 1000, 12345};

/* One (code, k, jt/jf, n) case: pfcap's text against bpf_image's. */
static int image_case(unsigned code, uint32_t k, uint8_t jt, uint8_t jf,
                      int n)
{
    struct bpf_insn ref = {(u_short)code, jt, jf, k};
    struct pf_cbpf_insn mine = {(uint16_t)code, jt, jf, k};
    const char *want = bpf_image(&ref, n);
    char got[256];
    size_t len = pf_cbpf_disasm_insn(&mine, (size_t)n, got, sizeof got);

    if (strcmp(got, want) == 0 && len == strlen(want))
        return 0;
    print_error("code 0x%x k 0x%x jt %u jf %u n %d:\n  libpcap |%s|\n  pfcap   "
                "|%s|\n", code, k, jt, jf, n, want, got);
    return 1;
}

static void test_every_opcode(void **state)
{
    unsigned long cases = 0, bad = 0;

    (void)state;
    for (unsigned code = 0; code <= 0xffff; code++) {
        /* Every value for the 256 real codes, a sample for the rest. */
        size_t nk = code <= 0xff ? sizeof image_k / sizeof image_k[0] : 3;

        for (size_t ki = 0; ki < nk; ki++)
            for (size_t j = 0; j < sizeof image_jt; j++)
                for (size_t n = 0; n < sizeof image_n / sizeof image_n[0];
                     n++) {
                    cases++;
                    if (image_case(code, image_k[ki], image_jt[j],
                                   image_jf[j], image_n[n]) && ++bad > 20)
                        fail_msg("too many differences");
                }
    }
    printf("bpf_image: %lu cases compared, %lu differ\n", cases, bad);
    assert_int_equal(bad, 0);
}

/* ---- bpf_dump ---- */

static uint64_t rng_state;

static uint32_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state >> 11);
}

/* Runs libpcap's bpf_dump with stdout sent to a temporary file. */
static char *libpcap_dump(struct bpf_insn *insns, size_t len, int option)
{
    struct bpf_program prog = {(u_int)len, insns};
    FILE *tmp = tmpfile();
    int saved;
    long size;
    char *text;

    assert_non_null(tmp);
    fflush(stdout);
    saved = dup(STDOUT_FILENO);
    assert_true(saved >= 0);
    assert_true(dup2(fileno(tmp), STDOUT_FILENO) >= 0);
    bpf_dump(&prog, option);
    fflush(stdout);
    assert_true(dup2(saved, STDOUT_FILENO) >= 0);
    close(saved);
    size = ftell(tmp);
    assert_true(size >= 0);
    text = test_malloc((size_t)size + 1);
    rewind(tmp);
    assert_int_equal(fread(text, 1, (size_t)size, tmp), (size_t)size);
    text[size] = '\0';
    fclose(tmp);
    return text;
}

/* pfcap's dump of the same program in the format of bpf_dump @option. */
static char *pfcap_dump(const struct bpf_insn *insns, size_t len, int option)
{
    static const enum pf_cbpf_dump_fmt fmts[] = {
        PF_CBPF_DUMP_LISTING, PF_CBPF_DUMP_LISTING, PF_CBPF_DUMP_C,
        PF_CBPF_DUMP_DECIMAL,
    };
    const struct pf_cbpf_insn *mine = (const struct pf_cbpf_insn *)insns;
    size_t need = pf_cbpf_dump(mine, len, fmts[option], NULL, 0);
    char *text = test_malloc(need + 1);

    assert_int_equal(pf_cbpf_dump(mine, len, fmts[option], text, need + 1),
                     need);
    return text;
}

/* A random instruction: mostly real opcodes, sometimes any code. */
static struct bpf_insn random_insn(void)
{
    static const uint32_t ks[] = {0, 12, 0xfffff02c, 0xffffffff, 0x80000000};
    struct bpf_insn in;

    in.code = (u_short)(rng() % 8 ? rng() % 0x100 : rng() % 0x10000);
    in.jt = (u_char)rng();
    in.jf = (u_char)rng();
    in.k = rng() % 2 ? rng() : ks[rng() % 5];
    return in;
}

static void test_bpf_dump(void **state)
{
    const char *env = getenv("PF_TEST_SEED");
    uint64_t seed = env ? strtoull(env, NULL, 0) : (uint64_t)time(NULL);
    struct bpf_insn insns[1100];

    (void)state;
    printf("golden_bpf_image seed: %llu (set PF_TEST_SEED to replay)\n",
           (unsigned long long)seed);
    rng_state = seed ? seed : 1;
    for (int iter = 0; iter < 60; iter++) {
        size_t len = iter == 0 ? 1100 : 1 + rng() % 200;

        for (size_t i = 0; i < len; i++)
            insns[i] = random_insn();
        for (int option = 1; option <= 3; option++) {
            char *want = libpcap_dump(insns, len, option);
            char *got = pfcap_dump(insns, len, option);

            assert_string_equal(got, want);
            test_free(want);
            test_free(got);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_opcode),
        cmocka_unit_test(test_bpf_dump),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
