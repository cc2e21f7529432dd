/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Data-driven eBPF tests (ubpf style): every tests/data/ebpf/NAME.data file
 * holds a program in assembler text, optionally a program type and a
 * packet, and either the expected r0 or the expected verifier refusal
 * (rule name and instruction index). Each accepted program runs in the
 * interpreter and the JIT, which must both give the expected result.
 *
 *   -- asm        program text (pf_ebpf_asm syntax)
 *   -- type       filter (default) or socket
 *   -- packet     hex bytes, whitespace separated
 *   -- protocol   socket programs: the EtherType in the context
 *   -- result     expected r0 (decimal or 0x hex)
 *   -- error      RULE_NAME insn-index
 */
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "ebpf_harness.h"

struct case_data {
    char asm_text[16384];
    char type[32];
    uint8_t pkt[4096];
    size_t pkt_len;
    int has_result;
    uint64_t result;
    char rule[64];
    long insn;
    unsigned protocol;
};

/* Appends one line of section @sec to @c. */
static void add_line(struct case_data *c, const char *sec, const char *line)
{
    if (strcmp(sec, "asm") == 0) {
        strncat(c->asm_text, line,
                sizeof(c->asm_text) - strlen(c->asm_text) - 1);
        return;
    }
    if (strcmp(sec, "type") == 0 && sscanf(line, "%31s", c->type) == 1)
        return;
    if (strcmp(sec, "packet") == 0) {
        const char *p = line;
        unsigned v;
        int used;

        while (sscanf(p, "%2x%n", &v, &used) == 1 &&
               c->pkt_len < sizeof(c->pkt)) {
            c->pkt[c->pkt_len++] = (uint8_t)v;
            p += used;
            while (*p == ' ' || *p == '\t')
                p++;
        }
        return;
    }
    if (strcmp(sec, "protocol") == 0 && line[0] != '\n') {
        c->protocol = (unsigned)strtoul(line, NULL, 0);
        return;
    }
    if (strcmp(sec, "result") == 0 && line[0] != '\n') {
        c->result = strtoull(line, NULL, 0);
        c->has_result = 1;
        return;
    }
    if (strcmp(sec, "error") == 0 && line[0] != '\n')
        assert_int_equal(sscanf(line, "%63s %ld", c->rule, &c->insn), 2);
}

static void parse(FILE *f, struct case_data *c)
{
    char line[1024], sec[32] = "";

    memset(c, 0, sizeof(*c));
    strcpy(c->type, "filter");
    while (fgets(line, sizeof(line), f)) {
        if (strncmp(line, "-- ", 3) == 0) {
            sscanf(line + 3, "%31s", sec);
            continue;
        }
        if (line[0] == '#' && strcmp(sec, "asm") != 0)
            continue;
        add_line(c, sec, line);
    }
}

/* A socket program with metadata: both engines, the expected result. */
static uint64_t run_with_meta(const struct pf_ebpf_insn *p, size_t n,
                              const uint8_t *pkt, uint32_t len,
                              unsigned protocol)
{
    struct pf_ebpf_skb_meta meta = {.protocol = (uint16_t)protocol};
    struct pf_ebpf_vm *vm = NULL;
    uint64_t a, b;

    assert_int_equal(pf_ebpf_vm_new(p, n, PF_EBPF_PROG_SOCKET, &vm, NULL), 0);
    a = pf_ebpf_vm_run_socket(vm, pkt, len, &meta, NULL, 0);
    assert_int_equal(pf_ebpf_vm_jit(vm, NULL), 0);
    b = pf_ebpf_vm_run_socket(vm, pkt, len, &meta, NULL, 1);
    assert_int_equal(a, b);
    pf_ebpf_vm_free(vm);
    return a;
}

static void run_case(const char *path)
{
    static struct case_data c;
    struct pf_ebpf_insn *p = NULL;
    enum pf_ebpf_prog_type type;
    struct pf_error e;
    size_t n = 0;
    FILE *f = fopen(path, "r");

    assert_non_null(f);
    parse(f, &c);
    fclose(f);
    type = strcmp(c.type, "socket") == 0 ? PF_EBPF_PROG_SOCKET
                                         : PF_EBPF_PROG_FILTER;
    pf_error_init(&e);
    if (pf_ebpf_asm(c.asm_text, &p, &n, &e)) {
        print_error("%s: asm %d:%d: %s\n", path, e.line, e.col, e.msg);
        fail();
    }
    if (c.rule[0]) {
        int r;

        assert_int_equal(pf_ebpf_verify(p, n, type, &e), -EINVAL);
        if (strcmp(pf_ebpf_rule_name(e.code), c.rule) || e.insn != c.insn)
            print_error("%s: got %s at %ld: %s\n", path,
                        pf_ebpf_rule_name(e.code), e.insn, e.msg);
        for (r = 1; r < PF_EBPF_RULE_COUNT; r++)
            if (strcmp(pf_ebpf_rule_name(r), c.rule) == 0)
                break;
        assert_true(r < PF_EBPF_RULE_COUNT);
        assert_int_equal(e.code, r);
        assert_int_equal(e.insn, c.insn);
    } else {
        uint8_t *pkt = malloc(c.pkt_len ? c.pkt_len : 1);

        assert_true(c.has_result);
        memcpy(pkt, c.pkt, c.pkt_len);
        uint64_t got = c.protocol ? run_with_meta(p, n, pkt,
                                                  (uint32_t)c.pkt_len,
                                                  c.protocol)
                                  : run_both(p, n, type, pkt,
                                             (uint32_t)c.pkt_len);

        if (got != c.result)
            print_error("%s: wrong result\n", path);
        assert_int_equal(got, c.result);
        free(pkt);
    }
    free(p);
}

static void test_data_files(void **state)
{
    const char *root = getenv("PF_SOURCE_ROOT");
    char dir[4096], path[8192];
    struct dirent *de;
    DIR *d;
    int count = 0;

    snprintf(dir, sizeof(dir), "%s/tests/data/ebpf", root ? root : ".");
    d = opendir(dir);
    if (!d) {
        print_error("cannot open %s (set PF_SOURCE_ROOT)\n", dir);
        fail();
    }
    while ((de = readdir(d))) {
        size_t len = strlen(de->d_name);

        if (len < 6 || strcmp(de->d_name + len - 5, ".data"))
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
        run_case(path);
        count++;
    }
    closedir(d);
    printf("ran %d data files\n", count);
    assert_true(count >= 10);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_data_files),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
