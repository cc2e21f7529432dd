/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Unit tests for common/: struct pf_error (first error wins, rendering
 * with a caret) and the arena allocator.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <pfcap/error.h>

#include "common/arena.h"
#include "common/bytes.h"

static void test_first_error_wins(void **state)
{
    struct pf_error e;

    (void)state;
    pf_error_init(&e);
    assert_int_equal(e.err, 0);
    assert_int_equal(e.insn, -1);
    assert_int_equal(pf_error_set_insn(&e, -EINVAL, PF_STAGE_CBPF, 3, 7,
                                       "bad %s", "jump"),
                     -EINVAL);
    assert_int_equal(pf_error_set(&e, -ENOMEM, PF_STAGE_FILE, 1, "later"),
                     -ENOMEM);
    assert_int_equal(e.err, -EINVAL);
    assert_int_equal(e.code, 3);
    assert_int_equal(e.insn, 7);
    assert_string_equal(e.msg, "bad jump");
    assert_int_equal(pf_error_set(NULL, -EIO, PF_STAGE_FILE, 0, "x"), -EIO);
}

static void test_format_caret(void **state)
{
    struct pf_error e;
    char buf[256];

    (void)state;
    pf_error_init(&e);
    pf_error_set_span(&e, -EINVAL, PF_STAGE_EXPR, 0, 1, 10, 13,
                      "expected a port number after 'port'");
    pf_error_format(&e, "tcp port abc", buf, sizeof(buf));
    assert_string_equal(buf, "1:10: error: expected a port number after "
                             "'port'\ntcp port abc\n         ^~~\n");
}

static void test_format_places(void **state)
{
    struct pf_error e;
    char buf[128];
    size_t want;

    (void)state;
    pf_error_init(&e);
    pf_error_set_insn(&e, -EINVAL, PF_STAGE_CBPF, 0, 4, "jump out of range");
    pf_error_format(&e, NULL, buf, sizeof(buf));
    assert_string_equal(buf, "instruction 4: error: jump out of range\n");
    pf_error_init(&e);
    pf_error_set_offset(&e, -EINVAL, PF_STAGE_FILE, 0, 1234, "truncated");
    want = pf_error_format(&e, NULL, buf, 8);
    assert_int_equal(want, strlen("offset 1234: error: truncated\n"));
    assert_string_equal(buf, "offset ");
    assert_string_equal(pf_stage_name(PF_STAGE_FILE), "file");
}

static void test_arena(void **state)
{
    struct pf_arena a;
    char *s;

    (void)state;
    pf_arena_init(&a, 64);
    for (int i = 0; i < 1000; i++) {
        unsigned char *p = pf_arena_alloc(&a, (size_t)(i % 100) + 1);
        assert_non_null(p);
        assert_int_equal((uintptr_t)p % 16, 0);
        assert_int_equal(p[0], 0);
        p[0] = 0xff;
    }
    s = pf_arena_strndup(&a, "hello world", 5);
    assert_string_equal(s, "hello");
    assert_null(pf_arena_alloc(&a, SIZE_MAX));
    pf_arena_free(&a);
    assert_null(a.head);
}

static void test_bytes(void **state)
{
    const uint8_t b[] = {0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0};
    uint8_t out[4];

    (void)state;
    assert_int_equal(pf_get_be16(b), 0x1234);
    assert_int_equal(pf_get_be32(b + 1), 0x3456789a);
    assert_int_equal(pf_get_le32(b), 0x78563412);
    assert_true(pf_get_be64(b) == 0x123456789abcdef0ull);
    assert_int_equal(pf_get32(b, 1), 0x12345678);
    pf_put_be32(out, 0xdeadbeef);
    assert_int_equal(out[0], 0xde);
    assert_int_equal(out[3], 0xef);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_first_error_wins),
        cmocka_unit_test(test_format_caret),
        cmocka_unit_test(test_format_places),
        cmocka_unit_test(test_arena),
        cmocka_unit_test(test_bytes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
