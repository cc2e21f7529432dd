/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Unit tests of host (and net) lists as set tests (filters/gen_set.c):
 * program sizes for 10/100/1,000/10,000 random hosts (100 well under
 * libpcap's 361 instructions), the tree shape (the longest path any
 * packet can take, and its compares), -O (no optimisation) keeping the
 * plain host-by-host program, which runs are grouped and which are not,
 * and verdicts: the optimised program must give the unoptimised one's
 * verdict on every packet, truncated ones included, for host and net
 * lists in many contexts on several link types. Random lists print
 * their seed and honour PF_TEST_SEED.
 */
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

static uint64_t seed;

static uint32_t rnd(uint64_t *s)
{
    *s = *s * 6364136223846793005ull + 1442695040888963407ull;
    return (uint32_t)(*s >> 32);
}

static struct pf_compile_opts opts(int linktype, int optimize)
{
    struct pf_compile_opts o = {sizeof(o), linktype, 0, optimize,
                                PF_COMPILE_FILE, 0, 0};
    return o;
}

/* @n random unicast IPv4 addresses (unique enough for the tests). */
static uint32_t *addrs(size_t n, uint64_t s)
{
    uint32_t *a = test_malloc(n * sizeof(*a));

    for (size_t i = 0; i < n; i++)
        a[i] = (rnd(&s) % 223 + 1) << 24 | (rnd(&s) & 0xffffff);
    return a;
}

/* "Q A1 or Q A2 ..." in a test_malloc'd string. */
static char *list(const char *q, const uint32_t *a, size_t n)
{
    size_t cap = n * (strlen(q) + 24) + 1, off = 0;
    char *s = test_malloc(cap);

    s[0] = 0;
    for (size_t i = 0; i < n; i++)
        off += (size_t)snprintf(s + off, cap - off, "%s%s %u.%u.%u.%u",
                                i ? " or " : "", q, a[i] >> 24,
                                a[i] >> 16 & 255, a[i] >> 8 & 255, a[i] & 255);
    return s;
}

static size_t count(const struct pf_cbpf_prog *p, uint16_t op)
{
    size_t n = 0;

    for (size_t i = 0; i < p->len; i++)
        n += (p->insns[i].code & 0xf7) == (PF_CBPF_JMP | op);
    return n;
}

/* The most instructions (or, with @cmp_only, conditional jumps) any
 * packet can run: the longest path of the forward-only program. */
static size_t longest(const struct pf_cbpf_prog *p, int cmp_only)
{
    size_t *l = test_calloc(p->len + 1, sizeof(*l)), best;

    for (size_t i = p->len; i-- > 0;) {
        const struct pf_cbpf_insn *in = &p->insns[i];
        uint16_t cls = in->code & 7;
        size_t w = !cmp_only || (cls == PF_CBPF_JMP &&
                                 (in->code & 0xf0) != PF_CBPF_JA);

        if (cls == PF_CBPF_RET)
            l[i] = w;
        else if (cls == PF_CBPF_JMP && (in->code & 0xf0) == PF_CBPF_JA)
            l[i] = w + l[i + 1 + in->k];
        else if (cls == PF_CBPF_JMP)
            l[i] = w + (l[i + 1 + in->jt] > l[i + 1 + in->jf]
                            ? l[i + 1 + in->jt]
                            : l[i + 1 + in->jf]);
        else
            l[i] = w + l[i + 1];
    }
    best = l[0];
    test_free(l);
    return best;
}

static void compile_ok(const char *expr, int linktype, int optimize,
                       struct pf_cbpf_prog *p)
{
    struct pf_compile_opts o = opts(linktype, optimize);
    struct pf_error e;

    pf_error_init(&e);
    if (pf_filter_compile(expr, &o, p, &e)) {
        fprintf(stderr, "compile failed: %s\n", e.msg);
        fail();
    }
}

/* Instruction counts and tree shape for n random hosts. */
static void check_size(size_t n, size_t max_len, size_t max_path,
                       size_t max_cmps)
{
    uint32_t *a = addrs(n, seed + n);
    char *e = list("host", a, n);
    struct pf_cbpf_prog p;
    clock_t t0 = clock();

    compile_ok(e, 1, 1, &p);
    printf("# %zu hosts: %zu insns (%zu jeq, %zu jgt, %zu ja), longest "
           "path %zu insns / %zu compares, compile %.1f ms CPU\n",
           n, p.len, count(&p, PF_CBPF_JEQ), count(&p, PF_CBPF_JGT),
           count(&p, PF_CBPF_JA), longest(&p, 0), longest(&p, 1),
           (double)(clock() - t0) * 1000.0 / CLOCKS_PER_SEC);
    assert_true(p.len <= max_len);
    assert_true(longest(&p, 0) <= max_path);
    assert_true(longest(&p, 1) <= max_cmps);
    assert_true(count(&p, PF_CBPF_JGT) > 0);
    free(p.insns);
    test_free(e);
    test_free(a);
}

static void test_size_10(void **state)
{
    (void)state;
    check_size(10, 60, 30, 20);
}

/* libpcap's optimiser gives 361 instructions for 100 hosts and pfcap
 * without set tests 2,938; any packet then runs up to ~205 compares.
 * The group is larger than libpcap's program (one destination tree per
 * protocol, `ja` trampolines to the far exits) but runs ~20 compares. */
static void test_size_100(void **state)
{
    (void)state;
    check_size(100, 600, 40, 30);
}

static void test_size_1000(void **state)
{
    (void)state;
    check_size(1000, 9500, 60, 40);
}

static void test_size_10000(void **state)
{
    (void)state;
    check_size(10000, 95000, 80, 50);
}

/* -O: the host-by-host program, as before set tests existed. */
static void test_unoptimised_unchanged(void **state)
{
    uint32_t *a = addrs(100, seed);
    char *e = list("host", a, 100);
    struct pf_cbpf_prog p;

    (void)state;
    compile_ok(e, 1, 0, &p);
    assert_int_equal(p.len, 2938);
    assert_int_equal(count(&p, PF_CBPF_JGT), 0);
    free(p.insns);
    test_free(e);
    test_free(a);
}

static size_t jgts(const char *expr, int linktype)
{
    struct pf_cbpf_prog p;
    size_t n;

    compile_ok(expr, linktype, 1, &p);
    n = count(&p, PF_CBPF_JGT);
    free(p.insns);
    return n;
}

/* Which runs become set tests. */
static void test_grouping(void **state)
{
    (void)state;
    /* too short, then long enough */
    assert_int_equal(jgts("host 1.1.1.1 or host 1.1.1.2", 1), 0);
    assert_true(jgts("host 1.1.1.1 or host 1.1.1.2 or host 1.1.1.9 or "
                     "host 1.1.1.4", 1) > 0);
    /* implicit qualifiers, numbers, every supported qualifier */
    assert_true(jgts("host 1.1.1.1 or 1.1.1.2 or 1.1.1.9 or 1.1.1.4", 1) > 0);
    assert_true(jgts("host 1 or host 7 or host 3 or host 12", 1) > 0);
    assert_true(jgts("ip src host 1.1.1.1 or ip src host 1.1.1.2 or ip src "
                     "host 1.1.1.9 or ip src host 1.1.1.4", 1) > 0);
    assert_true(jgts("arp dst host 1.1.1.1 or arp dst host 1.1.1.2 or arp "
                     "dst host 1.1.1.9 or arp dst host 1.1.1.4", 1) > 0);
    /* not host lists: `src and dst`, nets, partial addresses, names,
     * qualifiers that differ, and terms and-ed in the middle */
    assert_int_equal(jgts("src and dst host 1.1.1.1 or src and dst host "
                          "1.1.1.2 or src and dst host 1.1.1.9 or src and "
                          "dst host 1.1.1.4", 1), 0);
    assert_true(jgts("net 1.1.1.0/24 or net 1.1.2.0/24 or net 1.1.3.0/24"
                     " or net 1.1.5.0/24", 1) > 0);
    assert_true(jgts("net 1.1.1.0/24 or host 1.2.3.4 or net 10 or net 1.9 "
                     "mask 255.255.0.0", 1) > 0);
    assert_int_equal(jgts("net 1.0.1.0 mask 255.0.255.0 or net 1.1.2.0/24 or "
                          "net 1.0.3.0 mask 255.0.255.0 or net 1.1.4.0/24",
                          1), 0);
    assert_int_equal(jgts("host 1.1.1 or host 1.1.2 or host 1.1.3 or host "
                          "1.1.4", 1), 0);
    assert_int_equal(jgts("host 1.1.1.1 or src host 1.1.1.2 or host 1.1.1.9 "
                          "or src host 1.1.1.4", 1), 0);
    assert_int_equal(jgts("tcp and host 1.1.1.1 or host 1.1.1.2 or tcp and "
                          "host 1.1.1.9 or host 1.1.1.4", 1), 0);
    /* IPv6 lists: libpcap's plain program tests each address word by
     * word from the first, so its verdicts on truncated packets depend
     * on the list order; they are left as they are */
    assert_int_equal(jgts("ip6 host ::1 or ip6 host ::2 or ip6 host ::3 or "
                          "ip6 host ::4 or ::5 or ::6 or ::7 or ::8", 1), 0);
}

struct pkt {
    uint8_t b[64];
    uint32_t len;
};

/* An IPv4 or ARP packet behind the link header of @linktype. */
static void make_pkt(struct pkt *p, int linktype, int arp, uint32_t src,
                     uint32_t dst)
{
    size_t h = linktype == 1 ? 14 : linktype == 113 ? 16 : 0;
    uint8_t *l3;

    memset(p->b, 0, sizeof(p->b));
    if (linktype == 1) {
        p->b[12] = 0x08;
        p->b[13] = arp ? 0x06 : 0x00;
    } else if (linktype == 113) {
        p->b[14] = 0x08;
        p->b[15] = arp ? 0x06 : 0x00;
    }
    l3 = p->b + h;
    if (arp) {
        l3[0] = 0, l3[1] = 1, l3[2] = 8, l3[4] = 6, l3[5] = 4, l3[7] = 1;
        for (int i = 0; i < 4; i++) {
            l3[14 + i] = (uint8_t)(src >> (24 - 8 * i));
            l3[24 + i] = (uint8_t)(dst >> (24 - 8 * i));
        }
        p->len = (uint32_t)h + 28;
        return;
    }
    l3[0] = 0x45, l3[3] = 40, l3[8] = 64, l3[9] = 6;
    for (int i = 0; i < 4; i++) {
        l3[12 + i] = (uint8_t)(src >> (24 - 8 * i));
        l3[16 + i] = (uint8_t)(dst >> (24 - 8 * i));
    }
    p->len = (uint32_t)h + 40;
}

/* Optimised (set tests) and unoptimised programs of @expr agree on
 * packets whose addresses come from the list or not, at every cut. */
static void same_verdicts(const char *expr, int linktype, const uint32_t *a,
                          size_t n, uint64_t *s)
{
    struct pf_compile_opts o = opts(linktype, 1);
    struct pf_cbpf_prog po = {0}, pu;
    struct pf_error e;
    struct pkt k;

    pf_error_init(&e);
    if (pf_filter_compile(expr, &o, &po, &e)) {
        /* e.g. `arp host` on DLT_RAW: refused as libpcap refuses it; the
         * plain program must then reject everything below */
        assert_int_equal(e.code, PF_COMPILE_EMPTY);
        po.len = 0;
    }
    compile_ok(expr, linktype, 0, &pu);
    for (int i = 0; i < 60; i++) {
        uint32_t src = rnd(s) % 3 ? a[rnd(s) % n] : rnd(s);
        uint32_t dst = rnd(s) % 3 ? a[rnd(s) % n] : rnd(s);

        make_pkt(&k, linktype, (int)(rnd(s) % 4 == 0), src, dst);
        for (uint32_t cut = 0; cut <= k.len; cut++) {
            uint32_t vo = po.len ? pf_cbpf_run(po.insns, po.len, k.b,
                                               k.len, cut, NULL)
                                 : 0;
            uint32_t vu = pf_cbpf_run(pu.insns, pu.len, k.b, k.len, cut, NULL);

            if (!vo != !vu) {
                fprintf(stderr, "verdicts differ (seed %llu): %s, cut %u: "
                        "optimised %u unoptimised %u\n",
                        (unsigned long long)seed, expr, cut, vo, vu);
                fail();
            }
        }
    }
    free(po.insns);
    free(pu.insns);
}

static void test_verdicts(void **state)
{
    static const char *const quals[] = {
        "host", "src host", "dst host", "ip host", "ip src host",
        "arp host", "rarp dst host", "src or dst host",
    };
    static const char *const wraps[] = {
        "%s", "not (%s)", "tcp and (%s)", "%s or port 80",
        "src and dst host 10.9.9.9 or %s", "udp or %s and tcp",
    };
    static const int links[] = {1, 113, 12};
    uint64_t s = seed;
    char buf[4096];

    (void)state;
    for (size_t q = 0; q < sizeof(quals) / sizeof(quals[0]); q++) {
        for (size_t w = 0; w < sizeof(wraps) / sizeof(wraps[0]); w++) {
            size_t n = 3 + rnd(&s) % 20;
            uint32_t *a = addrs(n, rnd(&s));
            char *e = list(quals[q], a, n);

            snprintf(buf, sizeof(buf), wraps[w], e);
            for (size_t l = 0; l < sizeof(links) / sizeof(links[0]); l++)
                same_verdicts(buf, links[l], a, n, &s);
            test_free(e);
            test_free(a);
        }
    }
}

/* "net A/len" (and other spellings) or "host A" terms, mixed. */
static char *net_list(const char *q, uint64_t *s, size_t n, uint32_t *a)
{
    size_t cap = n * 64 + 1, off = 0;
    char *e = test_malloc(cap);

    e[0] = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned len = 8 + rnd(s) % 25, kind = rnd(s) % 4;
        uint32_t m = len == 32 ? 0xffffffffu : ~(0xffffffffu >> len);
        uint32_t v = a[i] & m;
        const char *sep = i ? " or " : "";

        if (kind == 0)
            off += (size_t)snprintf(e + off, cap - off,
                                    "%s%s host %u.%u.%u.%u", sep, q,
                                    a[i] >> 24, a[i] >> 16 & 255,
                                    a[i] >> 8 & 255, a[i] & 255);
        else if (kind == 1)
            off += (size_t)snprintf(e + off, cap - off, "%s%s net %u.%u.%u.%u "
                                    "mask %u.%u.%u.%u", sep, q, v >> 24,
                                    v >> 16 & 255, v >> 8 & 255, v & 255,
                                    m >> 24, m >> 16 & 255, m >> 8 & 255,
                                    m & 255);
        else if (kind == 2)
            off += (size_t)snprintf(e + off, cap - off, "%s%s net %u.%u", sep,
                                    q, a[i] >> 24, a[i] >> 16 & 255);
        else
            off += (size_t)snprintf(e + off, cap - off, "%s%s net "
                                    "%u.%u.%u.%u/%u", sep, q, v >> 24,
                                    v >> 16 & 255, v >> 8 & 255, v & 255, len);
    }
    return e;
}

static void test_net_verdicts(void **state)
{
    static const char *const quals[] = {"", "src", "dst", "ip", "arp"};
    static const int links[] = {1, 113};
    uint64_t s = seed ^ 0x5eed;

    (void)state;
    for (size_t q = 0; q < sizeof(quals) / sizeof(quals[0]); q++) {
        for (int rep = 0; rep < 3; rep++) {
            size_t n = 3 + rnd(&s) % 30;
            uint32_t *a = addrs(n, rnd(&s));
            char *e = net_list(quals[q], &s, n, a);

            for (size_t l = 0; l < sizeof(links) / sizeof(links[0]); l++)
                same_verdicts(e, links[l], a, n, &s);
            test_free(e);
            test_free(a);
        }
    }
}

/* Duplicates and the first host: a packet whose source is the list's
 * first host is accepted even when its destination is not captured. */
static void test_first_host_and_duplicates(void **state)
{
    struct pf_cbpf_prog p;
    struct pkt k;

    (void)state;
    compile_ok("host 10.0.0.7 or host 10.0.0.3 or host 10.0.0.7 or host "
               "10.0.0.5 or host 10.0.0.3", 1, 1, &p);
    make_pkt(&k, 1, 0, 0x0a000007, 0x0a000001);
    assert_int_not_equal(pf_cbpf_run(p.insns, p.len, k.b, k.len, 30, NULL), 0);
    make_pkt(&k, 1, 0, 0x0a000005, 0x0a000001);
    /* libpcap -O accepts, libpcap's plain program (and pfcap) reject */
    assert_int_equal(pf_cbpf_run(p.insns, p.len, k.b, k.len, 30, NULL), 0);
    assert_int_not_equal(pf_cbpf_run(p.insns, p.len, k.b, k.len, 34, NULL),
                         0);
    make_pkt(&k, 1, 0, 0x0a000001, 0x0a000003);
    assert_int_not_equal(pf_cbpf_run(p.insns, p.len, k.b, k.len, 34, NULL),
                         0);
    make_pkt(&k, 1, 0, 0x0a000001, 0x0a000004);
    assert_int_equal(pf_cbpf_run(p.insns, p.len, k.b, k.len, 34, NULL), 0);
    free(p.insns);
}

int main(void)
{
    const char *env = getenv("PF_TEST_SEED");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_size_10),
        cmocka_unit_test(test_size_100),
        cmocka_unit_test(test_size_1000),
        cmocka_unit_test(test_size_10000),
        cmocka_unit_test(test_unoptimised_unchanged),
        cmocka_unit_test(test_grouping),
        cmocka_unit_test(test_verdicts),
        cmocka_unit_test(test_net_verdicts),
        cmocka_unit_test(test_first_host_and_duplicates),
    };

    seed = env ? strtoull(env, NULL, 0) : (uint64_t)time(NULL);
    printf("# seed %llu (set PF_TEST_SEED to repeat)\n",
           (unsigned long long)seed);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
