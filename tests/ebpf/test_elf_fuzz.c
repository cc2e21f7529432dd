/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Fuzzing the ELF reader: objects written by pfcap and built by clang,
 * mutated (bytes flipped, fields overwritten with extreme values, cut
 * short, grown with junk) thousands of times (seed printed,
 * PF_TEST_SEED). Every result must be a program or a negative errno with
 * a message; run under ASan/UBSan to catch what a crash would hide.
 * Usage: test_elf_fuzz OBJ...
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

#include "../translate/trt.h"

#define ROUNDS 3000

#define MAX_OBJS 8

static int n_objs;
static uint8_t *objs[MAX_OBJS];
static size_t obj_size[MAX_OBJS];

static uint8_t *read_all(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf;
    long n;

    if (!f) {
        perror(path);
        exit(1);
    }
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    rewind(f);
    buf = malloc((size_t)n + 1);
    if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n)
        exit(1);
    fclose(f);
    *size = (size_t)n;
    return buf;
}

static void mutate(uint64_t *rng, uint8_t *buf, size_t *size)
{
    static const uint8_t extremes[] = {0x00, 0xff, 0x7f, 0x80, 0x01};
    int edits = 1 + (int)(trt_rand(rng) % 8);

    for (int i = 0; i < edits; i++) {
        size_t at = trt_rand(rng) % *size;

        switch (trt_rand(rng) % 5) {
        case 0: buf[at] ^= (uint8_t)(1u << (trt_rand(rng) % 8)); break;
        case 1: buf[at] = extremes[trt_rand(rng) % 5]; break;
        case 2: /* a 64-bit field gets an extreme value */
            memset(buf + at, trt_rand(rng) % 2 ? 0xff : 0x00,
                   *size - at < 8 ? *size - at : 8);
            break;
        case 3: *size = at + 1; break; /* cut short */
        default: /* junk at the end */
            for (int j = 0; j < 64; j++)
                buf[(*size)++] = (uint8_t)trt_rand(rng);
            break;
        }
        if (*size > 64 * 1024 || *size == 0)
            *size = 1;
    }
}

static void test_fuzz(void **state)
{
    uint64_t rng = trt_seed("test_elf_fuzz");
    size_t ok = 0, refused = 0;

    (void)state;
    for (int r = 0; r < ROUNDS; r++) {
        size_t size = obj_size[r % n_objs], cap;
        const uint8_t *orig = objs[r % n_objs];
        uint8_t *buf = malloc(64 * 1024 + 4096);
        struct pf_ebpf_prog prog;
        struct pf_error e;
        int rc;

        assert_non_null(buf);
        memcpy(buf, orig, size);
        cap = size;
        mutate(&rng, buf, &cap);
        pf_error_init(&e);
        rc = pf_ebpf_elf_read(buf, cap, r % 3 ? NULL : "socket", &prog, &e);
        if (rc == 0) {
            assert_true(prog.len > 0);
            free(prog.insns);
            ok++;
        } else {
            assert_true(rc < 0 && e.err == rc && e.msg[0] != '\0');
            refused++;
        }
        free(buf);
    }
    printf("elf fuzz: %d mutated objects, %zu still read, %zu refused with "
           "a reason\n", ROUNDS, ok, refused);
    assert_true(refused > ROUNDS / 4);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fuzz),
    };

    /* a small program as pfcap writes it, next to the clang objects */
    struct pf_ebpf_insn prog[] = {PF_EBPF_MOV64_IMM(0, 1), PF_EBPF_EXIT()};
    int rc;

    if (argc < 2 || argc > MAX_OBJS) {
        fprintf(stderr, "usage: test_elf_fuzz OBJ...\n");
        return 2;
    }
    for (int i = 1; i < argc; i++)
        objs[n_objs] = read_all(argv[i], &obj_size[n_objs]), n_objs++;
    if (pf_ebpf_elf_write(prog, 2, NULL, (void **)&objs[n_objs],
                          &obj_size[n_objs], NULL) != 0)
        return 1;
    n_objs++;
    rc = cmocka_run_group_tests(tests, NULL, NULL);
    for (int i = 0; i < n_objs; i++)
        free(objs[i]);
    return rc;
}
