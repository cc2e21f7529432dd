/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Unit tests of the cBPF assembler (cbpf/asm.c): a walk over the
 * PF_CBPF_OPS table (every opcode, several k/jt/jf values and positions,
 * disassembled and assembled back), the three input formats with their
 * comments and optional parts, malformed inputs with the expected
 * line:column and message, and a seeded fuzz loop (random bytes and
 * mutated listings never crash; what parses dumps and parses back to the
 * same program). Seeds print; PF_TEST_SEED replays one. The fuzz suite
 * runs the same binary with `--fuzz-scale N` for N times more cases.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include <pfcap/cbpf.h>

#include "cbpf/cbpf_ops.h"

/* ---- helpers ---- */

/* Dumps @insns in @fmt into a test_malloc'd string. */
static char *dump(const struct pf_cbpf_insn *insns, size_t len,
                  enum pf_cbpf_dump_fmt fmt)
{
    size_t need = pf_cbpf_dump(insns, len, fmt, NULL, 0);
    char *buf = test_malloc(need + 1);

    assert_int_equal(pf_cbpf_dump(insns, len, fmt, buf, need + 1), need);
    return buf;
}

/* Assembles @text, which must succeed, into @prog. */
static void asm_ok(const char *text, struct pf_cbpf_prog *prog)
{
    struct pf_error err;
    int rc;

    pf_error_init(&err);
    rc = pf_cbpf_asm(text, strlen(text), prog, &err);
    if (rc != 0)
        fail_msg("asm failed at %d:%d: %s\n%s", err.line, err.col, err.msg,
                 text);
    assert_int_equal(err.err, 0);
}

static void assert_insn_equal(const struct pf_cbpf_insn *got,
                              const struct pf_cbpf_insn *want, size_t i)
{
    if (got->code != want->code || got->jt != want->jt ||
        got->jf != want->jf || got->k != want->k)
        fail_msg("insn %zu: got {0x%x, %u, %u, 0x%x}, want {0x%x, %u, %u, "
                 "0x%x}", i, got->code, got->jt, got->jf, got->k, want->code,
                 want->jt, want->jf, want->k);
}

/* ---- table walk ---- */

struct op_entry {
    uint16_t code;
    enum pf_cbpf_operand kind;
};

static const struct op_entry table[] = {
#define OP_ENTRY(name, code, mnem, opnd) {code, PF_CBPF_OPND_##opnd},
    PF_CBPF_OPS(OP_ENTRY)
#undef OP_ENTRY
};

#define TABLE_LEN (sizeof table / sizeof table[0])

/* Whether the listing shows k and the targets of an instruction. */
static int kind_shows_k(uint16_t code, enum pf_cbpf_operand kind)
{
    if (code == PF_CBPF_OP_LDX_LEN)
        return 0; /* printed as libpcap's "unimp 0x81" */
    switch (kind) {
    case PF_CBPF_OPND_ABS:
    case PF_CBPF_OPND_IND:
    case PF_CBPF_OPND_IMM:
    case PF_CBPF_OPND_MEM:
    case PF_CBPF_OPND_MSH:
    case PF_CBPF_OPND_ALUK:
    case PF_CBPF_OPND_JA:
    case PF_CBPF_OPND_JK:
    case PF_CBPF_OPND_RETK:
        return 1;
    default:
        return 0;
    }
}

static int code_shows_targets(uint16_t code)
{
    return PF_CBPF_CLASS(code) == PF_CBPF_JMP &&
           PF_CBPF_OP(code) != PF_CBPF_JA;
}

/* What a listing line of @in reads back as: the fields it shows. */
static struct pf_cbpf_insn listing_image(struct pf_cbpf_insn in,
                                         enum pf_cbpf_operand kind)
{
    if (!kind_shows_k(in.code, kind))
        in.k = 0;
    if (!code_shows_targets(in.code))
        in.jt = in.jf = 0;
    return in;
}

static const uint32_t walk_k[] = {
    0, 1, 14, 255, 0x7fffffff, 0x80000000, 0xffffffff, 0xfffff000,
    0xfffff02c, 0xfffff03c, 0xfffff040, 0xfff00000,
};
static const uint8_t walk_jt[] = {0, 1, 255, 17};
static const uint8_t walk_jf[] = {0, 2, 0, 255};

/*
 * Lays the whole table out after @pad filler instructions with one k and
 * jt/jf pair, prints it as a listing and reads it back.
 */
static void walk_one(size_t pad, uint32_t k, uint8_t jt, uint8_t jf)
{
    size_t len = pad + TABLE_LEN;
    struct pf_cbpf_insn *prog = test_calloc(len, sizeof *prog);
    struct pf_cbpf_prog got;
    char *text;

    for (size_t i = 0; i < pad; i++)
        prog[i] = (struct pf_cbpf_insn){PF_CBPF_OP_RET_K, 0, 0, (uint32_t)i};
    for (size_t i = 0; i < TABLE_LEN; i++)
        prog[pad + i] = (struct pf_cbpf_insn){table[i].code, jt, jf, k};
    text = dump(prog, len, PF_CBPF_DUMP_LISTING);
    asm_ok(text, &got);
    assert_int_equal(got.len, len);
    for (size_t i = 0; i < TABLE_LEN; i++) {
        struct pf_cbpf_insn want = listing_image(prog[pad + i], table[i].kind);

        assert_insn_equal(&got.insns[pad + i], &want, pad + i);
    }
    pf_cbpf_prog_free(&got);
    assert_null(got.insns);
    test_free(text);
    test_free(prog);
}

static void test_table_walk_listing(void **state)
{
    static const size_t pads[] = {0, 3, 1000};

    (void)state;
    for (size_t p = 0; p < 3; p++)
        for (size_t i = 0; i < sizeof walk_k / sizeof walk_k[0]; i++)
            for (size_t j = 0; j < sizeof walk_jt; j++)
                walk_one(pads[p], walk_k[i], walk_jt[j], walk_jf[j]);
}

/* Every 16-bit code, valid or not, through all three formats. */
static void test_all_codes_all_formats(void **state)
{
    size_t len = 0x10000;
    struct pf_cbpf_insn *prog = test_calloc(len, sizeof *prog);
    static const enum pf_cbpf_dump_fmt fmts[] = {
        PF_CBPF_DUMP_DECIMAL, PF_CBPF_DUMP_C, PF_CBPF_DUMP_LISTING,
    };

    (void)state;
    for (size_t i = 0; i < len; i++)
        prog[i] = (struct pf_cbpf_insn){(uint16_t)i, (uint8_t)(i * 7),
                                        (uint8_t)(i >> 3),
                                        (uint32_t)(i * 2654435761u)};
    for (size_t f = 0; f < 3; f++) {
        char *text = dump(prog, len, fmts[f]);
        struct pf_cbpf_prog got;

        asm_ok(text, &got);
        assert_int_equal(got.len, len);
        for (size_t i = 0; i < len; i++) {
            const struct pf_cbpf_opinfo *info = pf_cbpf_op_lookup(prog[i].code);
            struct pf_cbpf_insn want = prog[i];

            if (fmts[f] == PF_CBPF_DUMP_LISTING)
                want = listing_image(prog[i], info ? info->operand
                                                   : PF_CBPF_OPND_INVALID);
            assert_insn_equal(&got.insns[i], &want, i);
        }
        pf_cbpf_prog_free(&got);
        test_free(text);
    }
    test_free(prog);
}

/* ---- accepted variations ---- */

struct variant {
    const char *text;
    size_t len;
    struct pf_cbpf_insn insns[4];
};

static const struct variant variants[] = {
    {"# a comment\n\n2\n40 0 0 12\n  # another\n6 0 0 0 # trailing\n", 2,
     {{0x28, 0, 0, 12}, {6, 0, 0, 0}}},
    {"40 0 0 12\r\n6 0 0 0x40000\r\n", 2,
     {{0x28, 0, 0, 12}, {6, 0, 0, 0x40000}}},
    {"1\n6 0 0 4294967295", 1, {{6, 0, 0, 0xffffffff}}},
    {"1\n6 0 0 -1\n", 1, {{6, 0, 0, 0xffffffff}}},
    {"{ 0x28, 0, 0, 0x0000000c },\n{0x6,0,0,0x40000}\n", 2,
     {{0x28, 0, 0, 12}, {6, 0, 0, 0x40000}}},
    {"{ 40, 1, 2, 12 }, # c\n", 1, {{0x28, 1, 2, 12}}},
    {"ldh [12]\njeq #0x800 jt 2 jf 3\nret #-1\nret #0\n", 4,
     {{0x28, 0, 0, 12}, {0x15, 0, 1, 0x800}, {6, 0, 0, 0xffffffff},
      {6, 0, 0, 0}}},
    {"  (000)   ldh\t[12]   ; load the type\n(001) jeq #2048 jt 2\tjf 3\n"
     "(002) ret #4294967295\n(003) ret\n", 4,
     {{0x28, 0, 0, 12}, {0x15, 0, 1, 0x800}, {6, 0, 0, 0xffffffff},
      {0x16, 0, 0, 0}}},
    {"ld [x+14]\nldxb 4*( [ 14 ] & 0xf )\nld M[ 3 ]\nja 4\n", 4,
     {{0x40, 0, 0, 14}, {0xb1, 0, 0, 14}, {0x60, 0, 0, 3}, {5, 0, 0, 0}}},
    {"ldx #pktlen\nld #pktlen\nld [rxhash]\nldb [x + -1]\n", 4,
     {{0x81, 0, 0, 0}, {0x80, 0, 0, 0}, {0x20, 0, 0, 0xfffff020},
      {0x50, 0, 0, 0xffffffff}}},
    {"ja 0\nja 2\nja -5\nunimp 0x45 jt 4 jf 5\n", 4,
     {{5, 0, 0, 0xffffffff}, {5, 0, 0, 0}, {5, 0, 0, (uint32_t)-8},
      {0x45, 0, 1, 0}}},
    {"ldxb 4*([14]&0xf)\nadd x\nmod #3\nxor #0xff\n", 4,
     {{0xb1, 0, 0, 14}, {0x0c, 0, 0, 0}, {0x94, 0, 0, 3}, {0xa4, 0, 0, 0xff}}},
};

static void test_variants(void **state)
{
    (void)state;
    for (size_t v = 0; v < sizeof variants / sizeof variants[0]; v++) {
        const struct variant *t = &variants[v];
        struct pf_cbpf_prog got;
        struct pf_error err;
        int rc;

        pf_error_init(&err);
        rc = pf_cbpf_asm(t->text, strlen(t->text), &got, &err);
        if (rc != 0)
            fail_msg("variant %zu: %d:%d: %s", v, err.line, err.col, err.msg);
        assert_int_equal(got.len, t->len);
        for (size_t i = 0; i < t->len; i++)
            assert_insn_equal(&got.insns[i], &t->insns[i], i);
        pf_cbpf_prog_free(&got);
    }
}

/* The -d listing of tcpdump assembles to the same program as its -ddd. */
static void test_listing_equals_decimal(void **state)
{
    static const char listing[] =
        "(000) ldh      [12]\n"
        "(001) jeq      #0x86dd          jt 2\tjf 7\n"
        "(002) ldb      [20]\n"
        "(003) jeq      #0x6             jt 10\tjf 4\n"
        "(004) jeq      #0x2c            jt 5\tjf 11\n"
        "(005) ldb      [54]\n"
        "(006) jeq      #0x6             jt 10\tjf 11\n"
        "(007) jeq      #0x800           jt 8\tjf 11\n"
        "(008) ldb      [23]\n"
        "(009) jeq      #0x6             jt 10\tjf 11\n"
        "(010) ret      #262144\n"
        "(011) ret      #0\n";
    static const char decimal[] =
        "12\n40 0 0 12\n21 0 5 34525\n48 0 0 20\n21 6 0 6\n21 0 6 44\n"
        "48 0 0 54\n21 3 4 6\n21 0 3 2048\n48 0 0 23\n21 0 1 6\n"
        "6 0 0 262144\n6 0 0 0\n";
    struct pf_cbpf_prog a, b;

    (void)state;
    asm_ok(listing, &a);
    asm_ok(decimal, &b);
    assert_int_equal(a.len, b.len);
    for (size_t i = 0; i < a.len; i++)
        assert_insn_equal(&a.insns[i], &b.insns[i], i);
    pf_cbpf_prog_free(&a);
    pf_cbpf_prog_free(&b);
}

/* ---- errors ---- */

struct bad_case {
    const char *text;
    int line;
    int col;
    int end_col;
    const char *msg;
};

static const struct bad_case bad_cases[] = {
    {"", 0, 0, 0, "no instructions"},
    {"\n  \n# only a comment\n", 0, 0, 0, "no instructions"},
    {"0\n", 0, 0, 0, "no instructions"},
    {"3\n40 0 0 12\n21 0 1\n6 0 0 0\n", 3, 1, 7,
     "expected 4 numbers 'code jt jf k', got 3"},
    {"5\n40 0 0 12\n6 0 0 0\n", 1, 1, 2,
     "count line says 5 instructions but 2 follow"},
    {"\n\n 1\n40 0 0 12\n6 0 0 0\n", 3, 2, 3,
     "count line says 1 instructions but 2 follow"},
    {"2 3\n", 1, 1, 4, "expected a count line or 4 numbers"},
    {"2\n40 0 0 12 7\n6 0 0 0\n", 2, 1, 12, "got 5"},
    {"1\n40 0 0 1x2\n", 2, 8, 11, "expected a number, got '1x2'"},
    {"1\n65536 0 0 0\n", 2, 1, 6, "code 65536 is out of range (0..65535)"},
    {"1\n6 256 0 0\n", 2, 3, 6, "jt 256 is out of range (0..255)"},
    {"1\n6 0 -1 0\n", 2, 5, 7, "jf -1 is out of range"},
    {"1\n6 0 0 4294967296\n", 2, 7, 17, "k 4294967296 is out of range"},
    {"1\n6 0 0 99999999999999999999999\n", 2, 7, 30, "is out of range"},
    {"-1\n", 1, 1, 3, "cannot tell the program format from '-1'"},
    {"1\n6 0 0 0\n{ 6, 0, 0, 0 },\n", 3, 1, 2, "expected a number, got '{'"},
    {"{ 0x28, 0, 0 0x0c },\n", 1, 14, 18, "expected ',', got '0x0c'"},
    {"{ 0x28, 0, 0, 0x0c }\n{ 0x6, 0, 0, 0 } x\n", 2, 18, 19,
     "unexpected 'x' after the instruction"},
    {"{ 0x28, 0, 0, 0x0c \n", 1, 20, 21, "expected '}', got 'end of line'"},
    {"{ 0x10000, 0, 0, 0 }\n", 1, 3, 10, "code 0x10000 is out of range"},
    {"ldw [12]\n", 1, 1, 4, "unknown mnemonic 'ldw'"},
    {"ret #0\n  frobnicate #1\n", 2, 3, 13, "unknown mnemonic 'frobnicate'"},
    {"ldh #5\n", 1, 5, 7, "'ldh' does not take the operand '#5'"},
    {"tax x\n", 1, 5, 6, "'tax' does not take the operand 'x'"},
    {"jeq\n", 1, 1, 4, "'jeq' needs an operand"},
    {"ld [foo]\n", 1, 5, 8, "unknown ancillary field 'foo'"},
    {"ld [12\n", 1, 7, 8, "expected ']', got 'end of line'"},
    {"ld [x - 3]\n", 1, 7, 8, "expected '+', got '-'"},
    {"ldxb 4*([14]&0xe)\n", 1, 14, 18, "expected '0xf', got '0xe)'"},
    {"ld M[3 extra\n", 1, 8, 13, "expected ']', got 'extra'"},
    {"ld M[3] extra\n", 1, 9, 14, "unexpected 'extra' after the instruction"},
    {"ld @\n", 1, 4, 5, "unexpected '@' in the operand"},
    {"ret #99999999999\n", 1, 6, 17,
     "immediate 99999999999 is out of range (-2147483648..4294967295)"},
    {"ret #-2147483649\n", 1, 6, 17, "out of range"},
    {"jeq x jt 1 jf\n", 1, 14, 15, "expected a jump target, got 'end of line'"},
    {"jeq x jf 1 jt 2\n", 1, 7, 9, "expected 'jt', got 'jf'"},
    {"jeq x jt 1 2\n", 1, 12, 13, "expected 'jf', got '2'"},
    {"ldh [12]\njeq #1 jt 300 jf 2\nret #0\n", 2, 11, 14,
     "jump target 300 is 298 instructions ahead"},
    {"ldh [12]\njeq #1 jt 2 jf 0\n", 2, 16, 17,
     "jump target 0 is before this instruction (1)"},
    {"ldh [12]\njeq #1 jt 1 jf 2\n", 2, 11, 12,
     "jump target 1 is this instruction"},
    {"ldh [12]\njeq #1 jt 2 jf 99999999999\n", 2, 16, 27, "instructions ahead"},
    {"(000) ldh [12]\n(002) ret #0\n", 2, 1, 6,
     "instruction number (002) does not match its position (001)"},
    {"(000 ldh [12]\n", 1, 6, 9, "expected ')', got 'ldh'"},
    {"(x) ldh [12]\n", 1, 2, 4, "expected an instruction number, got 'x)'"},
    {"(000) 12\n", 1, 7, 9, "expected a mnemonic, got '12'"},
    {"ret #0\n40 0 0 12\n", 2, 1, 3, "expected a mnemonic, got '40'"},
    {"unimp 0x10000\n", 1, 7, 14, "'unimp' does not take the operand"},
    {"unimp 0x15 jt 3\n", 1, 16, 17, "expected 'jf'"},
    {"ret #0\nret #0 \x01\n", 2, 8, 9, "unexpected '\\x01' after"},
    {"ld [12]\nld\xff [3]\n", 2, 3, 4, "unexpected '\\xff' in the operand"},
    {"ret #0\n\0ret\n", 2, 1, 5, "expected a mnemonic, got '\\x00ret'"},
    {"ja 4294967296\n", 1, 4, 14, "number 4294967296 is out of range"},
    {"ret #0x\n", 1, 6, 8, "expected a number, got '0x'"},
};

static void test_errors(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
        const struct bad_case *t = &bad_cases[i];
        size_t len = strlen(t->text);
        struct pf_cbpf_prog got = {(struct pf_cbpf_insn *)&got, 7};
        struct pf_error err;
        int rc;

        if (strncmp(t->text, "ret #0\n\0", 8) == 0)
            len = 12;
        pf_error_init(&err);
        rc = pf_cbpf_asm(t->text, len, &got, &err);
        if (rc != -EINVAL || err.line != t->line || err.col != t->col ||
            err.end_col != t->end_col || !strstr(err.msg, t->msg))
            fail_msg("case %zu (%s): rc %d at %d:%d-%d '%s', want %d:%d-%d "
                     "'%s'", i, t->text, rc, err.line, err.col, err.end_col,
                     err.msg, t->line, t->col, t->end_col, t->msg);
        assert_int_equal(err.err, -EINVAL);
        assert_int_equal(err.stage, PF_STAGE_ASM);
        assert_null(got.insns);
        assert_int_equal(got.len, 0);
    }
}

/* The first error wins; a NULL error pointer or output is tolerated. */
static void test_error_plumbing(void **state)
{
    struct pf_cbpf_prog got;
    struct pf_error err;

    (void)state;
    pf_error_init(&err);
    assert_int_equal(pf_cbpf_asm("ldw\n", 4, &got, &err), -EINVAL);
    assert_int_equal(pf_cbpf_asm("jeq\n", 4, &got, &err), -EINVAL);
    assert_non_null(strstr(err.msg, "ldw"));
    assert_int_equal(pf_cbpf_asm("ldw\n", 4, &got, NULL), -EINVAL);
    assert_int_equal(pf_cbpf_asm(NULL, 0, &got, NULL), -EINVAL);
    assert_int_equal(pf_cbpf_asm("ret #0\n", 7, NULL, NULL), -EINVAL);
    pf_cbpf_prog_free(NULL);
    assert_int_equal(pf_cbpf_asm("ret #0", 6, &got, NULL), 0);
    assert_int_equal(got.len, 1);
    pf_cbpf_prog_free(&got);
    assert_null(got.insns);
    assert_int_equal(got.len, 0);
}

/* ---- fuzz ---- */

static uint64_t rng_state;
static int fuzz_scale = 1;

static uint32_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state >> 11);
}

static uint64_t test_seed(void)
{
    const char *env = getenv("PF_TEST_SEED");
    uint64_t seed = env ? strtoull(env, NULL, 0) : (uint64_t)time(NULL);

    printf("test_asm fuzz seed: %llu (set PF_TEST_SEED to replay)\n",
           (unsigned long long)seed);
    return seed ? seed : 1;
}

/* Assembles @text; on success the -ddd dump must read back the same. */
static void fuzz_one(const char *text, size_t len)
{
    struct pf_cbpf_prog got, again;
    struct pf_error err;
    char *dec;
    int rc;

    pf_error_init(&err);
    rc = pf_cbpf_asm(text, len, &got, &err);
    if (rc != 0) {
        assert_int_equal(rc, -EINVAL);
        assert_int_equal(err.err, -EINVAL);
        assert_true(err.msg[0] != '\0');
        assert_true(err.line >= 0 && err.col >= 0);
        assert_null(got.insns);
        return;
    }
    assert_true(got.len >= 1);
    dec = dump(got.insns, got.len, PF_CBPF_DUMP_DECIMAL);
    asm_ok(dec, &again);
    assert_int_equal(again.len, got.len);
    assert_memory_equal(again.insns, got.insns, got.len * sizeof *got.insns);
    pf_cbpf_prog_free(&again);
    pf_cbpf_prog_free(&got);
    test_free(dec);
}

static const char *const fuzz_alphabet[] = {
    " ", "\t", "\n", "#", "(", ")", "[", "]", "{", "}", ",", "x", "+", "-",
    "0x", "0", "1", "9", "255", "4294967295", "jt", "jf", "ld", "ldh", "ret",
    "jeq", "ja", "M[", "4*([", "&0xf)", "#pktlen", "unimp", ";", "\r", "\0",
    "\xff", "proto", "[vlan_tci]", "ldxb", "txa",
};

/* Random bytes and random token soup. */
static void test_fuzz_random(void **state)
{
    char text[256];

    (void)state;
    rng_state = test_seed();
    for (int iter = 0; iter < 20000 * fuzz_scale; iter++) {
        size_t len = 0, want = rng() % sizeof text;

        if (iter & 1) {
            for (; len < want; len++)
                text[len] = (char)rng();
        } else {
            while (len < want) {
                const char *tok = fuzz_alphabet[rng() % (sizeof fuzz_alphabet /
                                                         sizeof fuzz_alphabet[0])];
                size_t n = tok[0] ? strlen(tok) : 1;

                if (len + n > want)
                    break;
                memcpy(text + len, tok, n);
                len += n;
            }
        }
        fuzz_one(text, len);
    }
}

/* Byte flips, deletions and duplications of valid texts in each format. */
static void test_fuzz_mutate(void **state)
{
    static const struct pf_cbpf_insn base[] = {
        {0x28, 0, 0, 12}, {0x15, 0, 5, 0x800}, {0x30, 0, 0, 23},
        {0x15, 2, 0, 6}, {0xb1, 0, 0, 14}, {0x48, 0, 0, 14},
        {0x05, 0, 0, 1}, {0x20, 0, 0, 0xfffff02c}, {0x6, 0, 0, 262144},
        {0x6, 0, 0, 0},
    };
    char *texts[3];
    char buf[1024];

    (void)state;
    rng_state = test_seed() * 3 + 1;
    texts[0] = dump(base, 10, PF_CBPF_DUMP_LISTING);
    texts[1] = dump(base, 10, PF_CBPF_DUMP_C);
    texts[2] = dump(base, 10, PF_CBPF_DUMP_DECIMAL);
    for (int iter = 0; iter < 30000 * fuzz_scale; iter++) {
        const char *src = texts[iter % 3];
        size_t len = strlen(src);
        int edits = 1 + (int)(rng() % 4);

        memcpy(buf, src, len);
        for (int e = 0; e < edits && len > 2; e++) {
            size_t at = rng() % len;

            switch (rng() % 3) {
            case 0:
                buf[at] = (char)rng();
                break;
            case 1:
                memmove(buf + at, buf + at + 1, len - at - 1);
                len--;
                break;
            default:
                if (len + 8 < sizeof buf) {
                    memmove(buf + at + 1, buf + at, len - at);
                    len++;
                }
                break;
            }
        }
        fuzz_one(buf, len);
    }
    for (int i = 0; i < 3; i++)
        test_free(texts[i]);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table_walk_listing),
        cmocka_unit_test(test_all_codes_all_formats),
        cmocka_unit_test(test_variants),
        cmocka_unit_test(test_listing_equals_decimal),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_error_plumbing),
        cmocka_unit_test(test_fuzz_random),
        cmocka_unit_test(test_fuzz_mutate),
    };

    if (argc == 3 && strcmp(argv[1], "--fuzz-scale") == 0)
        fuzz_scale = atoi(argv[2]) > 0 ? atoi(argv[2]) : 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
