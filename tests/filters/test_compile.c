/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Unit tests of pf_filter_compile: the exact program for simple
 * primitives, options (defaults, snaplen, optimize, short sz), error
 * codes and rendered diagnostics, programs long enough to need `ja`
 * trampolines, the nesting limit, DLT_NULL byte order (opts.swapped),
 * the protochain bound, libpcap's "rejects all packets" for `x * 0`, and
 * random garbage (seed printed, PF_TEST_SEED overrides) that must give
 * an error or a valid program.
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

#include <pfcap/compile.h>

static struct pf_compile_opts eth(int optimize)
{
    struct pf_compile_opts o = {sizeof(o), 1, 0, optimize, PF_COMPILE_FILE,
                                0, 0};
    return o;
}

static void test_ip_program(void **state)
{
    static const struct pf_cbpf_insn want[] = {
        {0x28, 0, 0, 12}, {0x15, 0, 1, 0x800}, {0x06, 0, 0, 262144},
        {0x06, 0, 0, 0},
    };
    struct pf_cbpf_prog p;
    struct pf_error e;

    (void)state;
    pf_error_init(&e);
    assert_int_equal(pf_filter_compile("ip", NULL, &p, &e), 0);
    assert_int_equal(p.len, 4);
    assert_memory_equal(p.insns, want, sizeof(want));
    free(p.insns);
}

static void test_snaplen_and_empty(void **state)
{
    struct pf_compile_opts o = eth(1);
    struct pf_cbpf_prog p;
    uint8_t pkt[1] = {0};

    (void)state;
    o.snaplen = 96;
    assert_int_equal(pf_filter_compile("  ", &o, &p, NULL), 0);
    assert_int_equal(p.len, 1);
    assert_int_equal(pf_cbpf_run(p.insns, p.len, pkt, 1, 1, NULL), 96);
    free(p.insns);
}

static void test_short_sz(void **state)
{
    struct pf_compile_opts o = eth(1);
    struct pf_cbpf_prog p;

    (void)state;
    /* An older caller that knows only sz and linktype: 12 = DLT_RAW. */
    o.sz = offsetof(struct pf_compile_opts, snaplen);
    o.linktype = 12;
    o.snaplen = 5;
    assert_int_equal(pf_filter_compile("ip", &o, &p, NULL), 0);
    assert_int_equal(p.insns[0].code, 0x30); /* ldb [0] */
    assert_int_equal(p.insns[p.len - 2].k, 262144);
    free(p.insns);
}

/* The AF word DLT_NULL compares: @swapped as given, or cut off by @sz. */
static uint32_t null_af_k(int swapped, size_t sz)
{
    struct pf_compile_opts o = eth(1);
    struct pf_cbpf_prog p;
    uint32_t k;

    o.linktype = 0;
    o.swapped = swapped;
    o.sz = sz;
    assert_int_equal(pf_filter_compile("ip", &o, &p, NULL), 0);
    assert_int_equal(p.insns[0].code, 0x20); /* ld [0] */
    assert_int_equal(p.insns[1].code, 0x15); /* jeq #k */
    k = p.insns[1].k;
    free(p.insns);
    return k;
}

static void test_null_byte_order(void **state)
{
    const uint32_t one = 1;
    const int little = *(const uint8_t *)&one == 1;

    (void)state;
    /* AF_INET = 2 as this host wrote it, loaded big-endian by BPF. */
    assert_int_equal(null_af_k(0, sizeof(struct pf_compile_opts)),
                     little ? 0x02000000 : 2);
    assert_int_equal(null_af_k(1, sizeof(struct pf_compile_opts)),
                     little ? 2 : 0x02000000);
    /* A caller built before `swapped` existed: not swapped. */
    assert_int_equal(null_af_k(1, offsetof(struct pf_compile_opts, swapped)),
                     null_af_k(0, sizeof(struct pf_compile_opts)));
}

/* IPv6 + @k destination-options headers + UDP, no link header. */
static size_t chain_pkt(uint8_t *d, unsigned k)
{
    size_t n = 40 + 8 * (size_t)k + 8;

    memset(d, 0, n);
    d[0] = 0x60;
    d[6] = k ? 60 : 17;
    for (unsigned i = 0; i < k; i++)
        d[40 + 8 * i] = i + 1 < k ? 60 : 17;
    return n;
}

static void test_protochain_bound(void **state)
{
    static uint8_t pkt[40 + 8 * (PF_COMPILE_PROTOCHAIN_MAX + 1) + 8];
    struct pf_compile_opts o = eth(1);
    struct pf_cbpf_prog p;
    size_t n;

    (void)state;
    o.linktype = 229; /* DLT_IPV6 */
    assert_int_equal(pf_filter_compile("ip6 protochain 17", &o, &p, NULL), 0);
    n = chain_pkt(pkt, PF_COMPILE_PROTOCHAIN_MAX);
    assert_int_not_equal(pf_cbpf_run(p.insns, p.len, pkt, (uint32_t)n,
                                     (uint32_t)n, NULL), 0);
    n = chain_pkt(pkt, PF_COMPILE_PROTOCHAIN_MAX + 1);
    assert_int_equal(pf_cbpf_run(p.insns, p.len, pkt, (uint32_t)n,
                                 (uint32_t)n, NULL), 0);
    free(p.insns);
    /* One protochain for both families still fits the kernel's limit. */
    o.linktype = 1;
    assert_int_equal(pf_filter_compile("protochain 17", &o, &p, NULL), 0);
    assert_true(p.len <= PF_CBPF_KERNEL_MAXINSNS);
    assert_int_equal(pf_cbpf_validate(p.insns, p.len, PF_CBPF_PROFILE_KERNEL,
                                      NULL), 0);
    free(p.insns);
}

/* libpcap refuses `x * 0` relations where the relation is the root. */
static void test_rejects_times_zero(void **state)
{
    static const struct {
        int dlt;
        const char *expr;
        int refused;
    } cases[] = {
        {228, "ip[2:2] * 0 = 100", 1}, {228, "ip[2:2] & 0 > 1", 1},
        {228, "ip[2:2] * 0 = 0", 0}, {229, "ip6[2:2] * 0 = 100", 1},
        {1, "ip[2:2] * 0 = 100", 0}, {1, "0 * ip[2:2] = 1", 1},
        {228, "ip[2:2] * 0 = 1 or ip[2:2] * 0 = 2", 0},
        {228, "ip[2:2] * 0 = 1 and ip[2:2] = 2", 1},
        {1, "ip and 1 + 1 = 3", 0}, {1, "ip and 1 = 2", 1},
    };
    struct pf_compile_opts o = eth(1);

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct pf_cbpf_prog p = {0};
        struct pf_error e;
        int r;

        pf_error_init(&e);
        o.linktype = cases[i].dlt;
        r = pf_filter_compile(cases[i].expr, &o, &p, &e);
        if (cases[i].refused != (r != 0))
            fail_msg("%d %s: %s", cases[i].dlt, cases[i].expr,
                     r ? e.msg : "accepted");
        if (r)
            assert_int_equal(e.code, PF_COMPILE_EMPTY);
        free(p.insns);
    }
}

static void test_optimize_flag(void **state)
{
    struct pf_compile_opts o0 = eth(0), o1 = eth(1);
    struct pf_cbpf_prog p;
    struct pf_error e;

    (void)state;
    pf_error_init(&e);
    assert_int_equal(pf_filter_compile("ip and arp", &o1, &p, &e), -EINVAL);
    assert_int_equal(e.code, PF_COMPILE_EMPTY);
    assert_string_equal(e.msg, "expression rejects all packets");
    assert_int_equal(pf_filter_compile("ip and arp", &o0, &p, NULL), 0);
    free(p.insns);
}

static void test_error_render(void **state)
{
    struct pf_compile_opts o = eth(1);
    struct pf_cbpf_prog p = {NULL, 0};
    struct pf_error e;
    const char *src = "ip and tcp port";
    char buf[512];

    (void)state;
    pf_error_init(&e);
    assert_int_equal(pf_filter_compile(src, &o, &p, &e), -EINVAL);
    assert_null(p.insns);
    assert_int_equal(e.stage, PF_STAGE_EXPR);
    assert_int_equal(e.code, PF_COMPILE_SYNTAX);
    assert_int_equal(e.line, 1);
    assert_int_equal(e.col, 16);
    pf_error_format(&e, src, buf, sizeof(buf));
    assert_string_equal(buf,
                        "1:16: error: expected a port number or service "
                        "name after 'port', found end of expression\n"
                        "ip and tcp port\n"
                        "               ^\n");
}

static void test_error_names(void **state)
{
    static const struct {
        const char *expr, *msg;
        int code, col, end_col;
    } cases[] = {
        {"tcp port nosuchsvc", "unknown port 'nosuchsvc'", PF_COMPILE_NAME,
         10, 19},
        {"host nosuchhost.invalid", "unknown host 'nosuchhost.invalid'",
         PF_COMPILE_NAME, 6, 24},
        {"ip proto nosuchproto", "unknown ip proto 'nosuchproto'",
         PF_COMPILE_NAME, 10, 21},
        {"tcp and geneve 16777216", "Geneve VNI 16777216 greater than",
         PF_COMPILE_VALUE, 9, 24},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct pf_cbpf_prog p;
        struct pf_error e;
        int r;

        pf_error_init(&e);
        r = pf_filter_compile(cases[i].expr, NULL, &p, &e);
        assert_int_equal(r, cases[i].code == PF_COMPILE_UNSUPPORTED
                                ? -ENOTSUP : -EINVAL);
        assert_int_equal(e.code, cases[i].code);
        assert_int_equal(e.col, cases[i].col);
        assert_int_equal(e.end_col, cases[i].end_col);
        assert_non_null(strstr(e.msg, cases[i].msg));
    }
}

/* `ip broadcast` needs the netmask: host part all ones or all zeros. */
static void test_ip_broadcast_netmask(void **state)
{
    struct pf_compile_opts o = eth(1);
    struct pf_cbpf_prog p;
    uint8_t pkt[34] = {0};
    static const struct { uint8_t last; int accept; } cases[] = {
        {255, 1}, {0, 1}, {5, 0},
    };

    (void)state;
    o.netmask = 0xffffff00;
    assert_int_equal(pf_filter_compile("ip broadcast", &o, &p, NULL), 0);
    pkt[12] = 0x08;
    pkt[14] = 0x45;
    pkt[30] = 10;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        pkt[33] = cases[i].last;
        assert_int_equal(pf_cbpf_run(p.insns, p.len, pkt, 34, 34, NULL) != 0,
                         cases[i].accept);
    }
    free(p.insns);
}

/* A block whose two edges go to the block laid out after it ends with
 * no jump: no `ja 0` in any program, optimised or not. */
static void test_no_ja_zero(void **state)
{
    static const char *const exprs[] = {
        "ip6 net 2001:db8::/32 and udp", "tcp port 80 or tcp port 443",
        "ip6 and tcp", "host 10.0.0.1 and port 53", "vlan and tcp port 80",
        "ip6 src net 2001:db8::/32 or ip6 dst host ::1",
    };
    struct pf_cbpf_prog p;

    (void)state;
    for (size_t i = 0; i < sizeof(exprs) / sizeof(exprs[0]); i++)
        for (int opt = 0; opt < 2; opt++) {
            struct pf_compile_opts o = eth(opt);

            assert_int_equal(pf_filter_compile(exprs[i], &o, &p, NULL), 0);
            for (size_t k = 0; k < p.len; k++)
                assert_false(p.insns[k].code == (PF_CBPF_JMP | PF_CBPF_JA) &&
                             p.insns[k].k == 0);
            free(p.insns);
        }
}

/* 3000 hosts: jumps to the leaves are far, so `ja` trampolines appear
 * (unoptimised: the optimiser makes the program far shorter). */
static void test_trampolines(void **state)
{
    size_t n = 3000, len = n * 24 + 1;
    char *expr = malloc(len), *w = expr;
    struct pf_compile_opts o = eth(0);
    struct pf_cbpf_prog p;
    struct pf_error e;
    uint8_t pkt[34] = {0};
    size_t ja = 0;

    (void)state;
    assert_non_null(expr);
    for (size_t i = 0; i < n; i++)
        w += sprintf(w, "%shost 10.0.%zu.%zu", i ? " or " : "", i >> 8,
                     i & 255);
    pf_error_init(&e);
    assert_int_equal(pf_filter_compile(expr, &o, &p, &e), 0);
    assert_true(p.len > PF_CBPF_KERNEL_MAXINSNS);
    assert_int_equal(pf_cbpf_validate(p.insns, p.len,
                                      PF_CBPF_PROFILE_LIBPCAP, &e), 0);
    for (size_t i = 0; i < p.len; i++)
        ja += p.insns[i].code == (PF_CBPF_JMP | PF_CBPF_JA);
    assert_true(ja > 0);
    pkt[12] = 0x08;
    pkt[14] = 0x45;
    pkt[26] = 10, pkt[28] = 2, pkt[29] = 0xb7; /* src 10.0.2.183 (last) */
    assert_int_not_equal(pf_cbpf_run(p.insns, p.len, pkt, 34, 34, NULL), 0);
    pkt[28] = 0, pkt[29] = 0; /* 10.0.0.0 (first) */
    assert_int_not_equal(pf_cbpf_run(p.insns, p.len, pkt, 34, 34, NULL), 0);
    pkt[28] = 12; /* 10.0.12.0: none */
    assert_int_equal(pf_cbpf_run(p.insns, p.len, pkt, 34, 34, NULL), 0);
    free(p.insns);
    free(expr);
}

static void test_nesting_limit(void **state)
{
    char expr[4096];
    struct pf_cbpf_prog p;
    struct pf_error e;
    size_t k = 0;

    (void)state;
    for (int i = 0; i < 1000; i++)
        expr[k++] = '(';
    strcpy(expr + k, "tcp");
    pf_error_init(&e);
    assert_int_equal(pf_filter_compile(expr, NULL, &p, &e), -EINVAL);
    assert_int_equal(e.code, PF_COMPILE_LIMIT);
    assert_non_null(strstr(e.msg, "nested too deeply"));
}

static uint64_t rnd(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* Random token soup and random bytes: an error with a sane span, or a
 * program that passes the validator. Never a crash. */
static void test_garbage(void **state)
{
    static const char *const words[] = {
        "host", "net", "port", "tcp", "ip", "ip6", "(", ")", "and", "or",
        "not", "!", "10.0.0.1", "::1", "80", "[", "]", ":", "+", "-", "*",
        "/", "%", "&", "|", "^", "<<", ">>", "=", "!=", "<", ">", "len",
        "vlan", "mpls", "src", "dst", "ether", "00:11:22:33:44:55", "proto",
        "portrange", "1-2", "mask", "255.0.0.0", "/", "8", "less", "greater",
        "broadcast", "multicast", "llc", "\\x", "0x", "08", "byte", "icmp",
        "icmptype", "pppoes", "geneve", "gateway", "protochain",
    };
    const char *env = getenv("PF_TEST_SEED");
    uint64_t seed = env ? strtoull(env, NULL, 0) : (uint64_t)time(NULL);
    uint64_t s = seed | 1;

    (void)state;
    printf("garbage seed %llu (set PF_TEST_SEED to repeat)\n",
           (unsigned long long)seed);
    for (int iter = 0; iter < 3000; iter++) {
        char expr[256] = "";
        size_t len = 0;
        int nw = (int)(rnd(&s) % 12);
        struct pf_cbpf_prog p;
        struct pf_error e;

        if (iter % 5 == 4) {
            for (len = 0; len < 40; len++)
                expr[len] = (char)(1 + rnd(&s) % 255);
            expr[len] = '\0';
        } else {
            for (int i = 0; i < nw; i++)
                len += (size_t)snprintf(expr + len, sizeof(expr) - len,
                                        "%s ", words[rnd(&s) % (sizeof(words) /
                                                        sizeof(words[0]))]);
        }
        pf_error_init(&e);
        if (pf_filter_compile(expr, NULL, &p, &e) == 0) {
            assert_int_equal(pf_cbpf_validate(p.insns, p.len,
                                              PF_CBPF_PROFILE_KERNEL, &e), 0);
            free(p.insns);
            continue;
        }
        assert_true(e.err < 0);
        assert_true(e.msg[0] != '\0');
        assert_int_equal(e.line, 1);
        assert_true(e.col >= 1 && (size_t)e.col <= strlen(expr) + 1);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ip_program),
        cmocka_unit_test(test_snaplen_and_empty),
        cmocka_unit_test(test_short_sz),
        cmocka_unit_test(test_null_byte_order),
        cmocka_unit_test(test_protochain_bound),
        cmocka_unit_test(test_rejects_times_zero),
        cmocka_unit_test(test_optimize_flag),
        cmocka_unit_test(test_error_render),
        cmocka_unit_test(test_error_names),
        cmocka_unit_test(test_ip_broadcast_netmask),
        cmocka_unit_test(test_trampolines),
        cmocka_unit_test(test_no_ja_zero),
        cmocka_unit_test(test_nesting_limit),
        cmocka_unit_test(test_garbage),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
