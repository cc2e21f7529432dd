/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Unit tests of the filter optimiser (filters/opt.c, filters/opt_merge.c):
 * instruction counts of optimised programs against libpcap -O's (figures
 * from tcpdump 4.99 / libpcap 1.10.3, written down here), -O output left
 * exactly as before, 10,000-host and 10,000-port expressions that still
 * compile (the passes are linear), the optimised and unoptimised programs
 * giving the same verdict on the generated corner-case packets
 * (truncations included) for fixed and seeded random expressions (seed
 * printed, PF_TEST_SEED overrides), and
 * hand-made control-flow graphs for the threading rules: a block whose
 * register effects are needed later, or whose load could fail, must not
 * be bypassed; one whose effects are dead, or whose failure would reject
 * anyway, is.
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

#include "filters/filters_impl.h"
#include "packets.h"
#include "randexpr.h"

static struct pf_compile_opts opts(int dlt, int optimize)
{
    struct pf_compile_opts o = {sizeof(o), dlt, 0, optimize, PF_COMPILE_FILE,
                                0, 0};
    return o;
}

static size_t insns(const char *expr, int optimize)
{
    struct pf_compile_opts o = opts(1, optimize);
    struct pf_cbpf_prog p;
    struct pf_error e;
    size_t n;

    pf_error_init(&e);
    if (pf_filter_compile(expr, &o, &p, &e)) {
        print_error("%s: %s\n", expr, e.msg);
        fail();
    }
    n = p.len;
    free(p.insns);
    return n;
}

/* Optimised sizes: at most libpcap -O's (or a stated bound). */
static void test_counts(void **state)
{
    static const struct {
        const char *expr;
        size_t unopt, max, libpcap;
    } c[] = {
        {"ip6 and tcp", 16, 9, 9},
        {"tcp dst port 80", 17, 16, 16},
        {"host 10.0.0.1 and port 53", 78, 19, 19},
        {"vlan and tcp port 80", 28, 24, 24},
        {"udp port 53", 22, 20, 20},
        {"ip[6:2] & 0x1fff != 0 or ip[6] & 0x20 != 0", 40, 8, 8},
        {"len > 500 and ip[8] < 65", 21, 8, 8},
        {"icmp or icmp6", 14, 12, 12},
        {"src net 10.0.0.0/22 and dst net 192.168.0.0/16", 32, 18, 18},
        {"tcp portrange 8000-8100 or udp portrange 1000-2000", 62, 39, 39},
        /* libpcap -O finds more here (it reorders tests); stated bounds */
        {"tcp port 80 or tcp port 443", 42, 28, 23},
        {"ip6 net 2001:db8::/32 and udp", 40, 17, 13},
        {"tcp[tcpflags] == tcp-syn", 32, 11, 11},
        {"tcp[tcpflags] & (tcp-syn|tcp-fin) != 0", 44, 11, 11},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
        size_t before = insns(c[i].expr, 0), after = insns(c[i].expr, 1);

        print_message("%-50s %3zu -> %3zu (libpcap -O %zu)\n", c[i].expr,
                      before, after, c[i].libpcap);
        assert_int_equal(before, c[i].unopt);
        assert_true(after <= c[i].max);
    }
}

/* -O output is the unoptimised program, instruction for instruction. */
static void test_unoptimised_unchanged(void **state)
{
    static const struct pf_cbpf_insn want[] = {
        {0x28, 0, 0, 12},     {0x15, 0, 13, 0x86dd}, {0x28, 0, 0, 12},
        {0x15, 0, 2, 0x800},  {0x30, 0, 0, 23},      {0x15, 8, 0, 6},
        {0x28, 0, 0, 12},     {0x15, 0, 7, 0x86dd},  {0x30, 0, 0, 20},
        {0x15, 4, 0, 6},      {0x30, 0, 0, 20},      {0x15, 0, 3, 0x2c},
        {0x30, 0, 0, 54},     {0x15, 0, 1, 6},       {0x06, 0, 0, 262144},
        {0x06, 0, 0, 0},
    };
    struct pf_compile_opts o = opts(1, 0);
    struct pf_cbpf_prog p;

    (void)state;
    assert_int_equal(pf_filter_compile("ip6 and tcp", &o, &p, NULL), 0);
    assert_int_equal(p.len, sizeof(want) / sizeof(want[0]));
    assert_memory_equal(p.insns, want, sizeof(want));
    free(p.insns);
}

/* 10,000 hosts: compiles (the passes are linear), verdicts right. */
static void test_many_hosts(void **state)
{
    size_t n = 10000, len = n * 24 + 1;
    char *expr = malloc(len), *w = expr;
    struct pf_compile_opts o = opts(1, 1);
    struct pf_cbpf_prog p;
    struct pf_error e;
    uint8_t pkt[34] = {0};

    (void)state;
    assert_non_null(expr);
    for (size_t i = 0; i < n; i++)
        w += sprintf(w, "%shost 10.%zu.%zu.1", i ? " or " : "", i >> 8,
                     i & 255);
    pf_error_init(&e);
    assert_int_equal(pf_filter_compile(expr, &o, &p, &e), 0);
    pkt[12] = 0x08;
    pkt[14] = 0x45;
    pkt[26] = 10, pkt[27] = 39, pkt[28] = 15, pkt[29] = 1; /* the last */
    assert_int_not_equal(pf_cbpf_run(p.insns, p.len, pkt, 34, 34, NULL), 0);
    pkt[27] = 40; /* none */
    assert_int_equal(pf_cbpf_run(p.insns, p.len, pkt, 34, 34, NULL), 0);
    assert_int_equal(pf_cbpf_run(p.insns, p.len, pkt, 34, 29, NULL), 0);
    free(p.insns);
    free(expr);
}

/* 10,000 ports (no set test for those): a 640,000-instruction graph
 * goes through every pass; verdicts right. */
static void test_many_ports(void **state)
{
    size_t n = 10000;
    char *expr = malloc(n * 16 + 1), *w = expr;
    struct pf_compile_opts o = opts(1, 1);
    struct pf_cbpf_prog p;
    uint8_t pkt[60] = {0};

    (void)state;
    assert_non_null(expr);
    for (size_t i = 0; i < n; i++)
        w += sprintf(w, "%sport %zu", i ? " or " : "", 1000 + i);
    assert_int_equal(pf_filter_compile(expr, &o, &p, NULL), 0);
    print_message("10000 ports: %zu instructions\n", p.len);
    assert_true(p.len < 200000);
    pkt[12] = 0x08, pkt[14] = 0x45, pkt[23] = 17;
    pkt[36] = (10999 >> 8) & 0xff, pkt[37] = 10999 & 0xff; /* udp dst */
    assert_int_not_equal(pf_cbpf_run(p.insns, p.len, pkt, 60, 60, NULL), 0);
    assert_int_equal(pf_cbpf_run(p.insns, p.len, pkt, 60, 37, NULL), 0);
    pkt[37]++; /* 11000: none */
    assert_int_equal(pf_cbpf_run(p.insns, p.len, pkt, 60, 60, NULL), 0);
    free(p.insns);
    free(expr);
}

/* ---- optimised vs unoptimised verdicts ---------------------------------- */

static const int dlts[] = {1, 12, 113, 276, 0, 9, 105, 127};

/* Compiles @expr both ways for @dlt and compares verdicts on @pk;
 * returns the packets compared (0 if either compile fails). */
static size_t compare(const char *expr, int dlt, const struct pf_test_pkts *pk)
{
    struct pf_compile_opts oo = opts(dlt, 0), op = opts(dlt, 1);
    struct pf_cbpf_prog a, b;
    size_t n = 0;

    if (pf_filter_compile(expr, &oo, &a, NULL))
        return 0;
    if (pf_filter_compile(expr, &op, &b, NULL)) {
        free(a.insns);
        return 0;
    }
    for (size_t i = 0; i < pk->n; i++, n++) {
        const struct pf_test_pkt *t = &pk->v[i];
        int va = pf_cbpf_run(a.insns, a.len, t->data, t->wirelen, t->caplen,
                             NULL) != 0;
        int vb = pf_cbpf_run(b.insns, b.len, t->data, t->wirelen, t->caplen,
                             NULL) != 0;

        if (va != vb) {
            print_error("dlt %d `%s`: packet %zu (caplen %u): -O %d, "
                        "optimised %d\n", dlt, expr, i, t->caplen, va, vb);
            fail();
        }
    }
    free(a.insns);
    free(b.insns);
    return n;
}

static void test_same_verdicts(void **state)
{
    static const char *const fixed[] = {
        "ip6 and tcp", "tcp dst port 80", "host 10.0.0.1 and port 53",
        "vlan and tcp port 80", "tcp[tcpflags] & (tcp-syn|tcp-fin) != 0",
        "tcp and ip[2:2] - ((ip[0] & 0xf) << 2) - ((tcp[12] & 0xf0) >> 2) > 0",
        "ip[6:2] & 0x1fff != 0 or ip[6] & 0x20 != 0", "geneve and tcp",
        "not arp and not ip6", "ip6 net 2001:db8::/32 and udp",
        "ip proto 6 and ip proto 17", "tcp or tcp", "ip6 protochain 17",
        "ether[12:2] = 0x800 and ether[12:2] = 0x800 and ip[9] > 5",
        "ip[9] > 5 and ip[9] < 7", "(ip[9] & 0xf0) = 0 and ip[9] & 4 != 0",
    };
    const char *env = getenv("PF_TEST_SEED");
    uint64_t seed = env ? strtoull(env, NULL, 0) : (uint64_t)time(NULL);
    size_t pairs = 0;
    char buf[512];

    (void)state;
    print_message("random expressions: seed %llu (set PF_TEST_SEED to "
                  "repeat)\n", (unsigned long long)seed);
    for (size_t d = 0; d < sizeof(dlts) / sizeof(dlts[0]); d++) {
        struct pf_test_pkts pk = {0};

        pf_test_pkts_generate(dlts[d], &pk);
        for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
            pairs += compare(fixed[i], dlts[d], &pk);
        for (int i = 0; i < 150; i++) {
            pf_test_randexpr(&seed, dlts[d], buf, sizeof(buf));
            pairs += compare(buf, dlts[d], &pk);
        }
        pf_test_pkts_free(&pk);
    }
    print_message("%zu (expression, packet) pairs agree\n", pairs);
    assert_true(pairs > 100000);
}

/* ---- hand-made graphs ---------------------------------------------------- */

struct g {
    struct fc_state st;
    struct pf_error e;
};

static void g_init(struct g *g)
{
    memset(g, 0, sizeof(*g));
    pf_error_init(&g->e);
    pf_arena_init(&g->st.arena, 4096);
    g->st.err = &g->e;
    g->st.opts.optimize = 1;
    g->st.opts.snaplen = 1000;
    g->st.accept = pf_arena_alloc(&g->st.arena, sizeof(struct fc_block));
    g->st.reject = pf_arena_alloc(&g->st.arena, sizeof(struct fc_block));
    assert_non_null(g->st.accept);
    assert_non_null(g->st.reject);
    memset(g->st.accept, 0, sizeof(struct fc_block));
    memset(g->st.reject, 0, sizeof(struct fc_block));
    g->st.accept->kind = FC_B_ACCEPT;
    g->st.reject->kind = FC_B_REJECT;
    g->st.accept->id = g->st.nblocks++;
    g->st.reject->id = g->st.nblocks++;
}

/* A block: @n statements (code, k pairs), then `jeq/jset #k`. */
static struct fc_block *blk(struct g *g, uint16_t jop, uint32_t jk, int n, ...)
{
    struct fc_slist l = {0};
    va_list ap;
    struct fc_block *b;

    va_start(ap, n);
    for (int i = 0; i < n; i++) {
        uint16_t code = (uint16_t)va_arg(ap, int);
        uint32_t k = va_arg(ap, uint32_t);

        assert_int_equal(fc_sadd(&g->st, &l, code, k), 0);
    }
    va_end(ap);
    b = fc_block_new(&g->st, &l, jop, jk);
    assert_non_null(b);
    return b;
}

/* Optimises and emits the graph at @root; *@p gets the program. */
static void g_finish(struct g *g, struct fc_block *root, struct pf_cbpf_prog *p)
{
    assert_int_equal(fc_optimize(&g->st, &root), 0);
    assert_int_equal(fc_emit(&g->st, root, p), 0);
    pf_arena_free(&g->st.arena);
}

static unsigned run(const struct pf_cbpf_prog *p, const uint8_t *pkt,
                    uint32_t caplen)
{
    return pf_cbpf_run(p->insns, p->len, pkt, caplen, caplen, NULL);
}

#define LDH(k) PF_CBPF_LD | PF_CBPF_H | PF_CBPF_ABS, (uint32_t)(k)
#define LDW(k) PF_CBPF_LD | PF_CBPF_W | PF_CBPF_ABS, (uint32_t)(k)
#define LDXMSH(k) PF_CBPF_LDX | PF_CBPF_B | PF_CBPF_MSH, (uint32_t)(k)
#define LDHIND(k) PF_CBPF_LD | PF_CBPF_H | PF_CBPF_IND, (uint32_t)(k)
#define JEQ PF_CBPF_JEQ

/*
 * P: [12] == 0x800 -> B: X = 4*([12]&0xf), [12] == 0x800 -> C: [x+16] ==
 * 80. B's test is decided on P's true edge, but C reads the X it sets:
 * the edge must keep going through B (@use_x), else it may skip it.
 */
static void bypass_case(int use_x, struct pf_cbpf_prog *p)
{
    struct g g;
    struct fc_block *pb, *b, *c;

    g_init(&g);
    pb = blk(&g, JEQ, 0x800, 1, LDH(12));
    b = blk(&g, JEQ, 0x800, 2, LDXMSH(12), LDH(12));
    c = use_x ? blk(&g, JEQ, 80, 1, LDHIND(16)) : blk(&g, JEQ, 80, 1, LDH(36));
    pb->jt = b;
    pb->jf = g.st.reject;
    b->jt = c;
    b->jf = g.st.reject;
    c->jt = g.st.accept;
    c->jf = g.st.reject;
    g_finish(&g, pb, p);
}

static void test_bypass_needs_x(void **state)
{
    struct pf_cbpf_prog p;
    uint8_t pkt[64] = {0};

    (void)state;
    bypass_case(1, &p);
    pkt[12] = 0x08, pkt[49] = 80; /* x = 4 * 8: [x+16] is [48] */
    assert_int_equal(run(&p, pkt, 64), 1000);
    assert_int_equal(run(&p, pkt, 49), 0);
    pkt[49] = 0, pkt[37] = 80;
    assert_int_equal(run(&p, pkt, 64), 0);
    /* X's load survives: ldh, jeq, ldxb, ldh [x+16], jeq, ret, ret */
    assert_int_equal(p.len, 7);
    assert_int_equal(p.insns[2].code, PF_CBPF_LDX | PF_CBPF_B | PF_CBPF_MSH);
    free(p.insns);
    bypass_case(0, &p);
    /* X unused: B goes entirely (ldh, jeq, ldh [36], jeq, ret, ret) */
    assert_int_equal(p.len, 6);
    assert_int_equal(run(&p, pkt, 64), 1000);
    pkt[12] = 0x86;
    assert_int_equal(run(&p, pkt, 64), 0);
    free(p.insns);
}

/*
 * P1: [12] == 0x800 -> P2: [23] == 6 -> B: [12] == 0x800 -> C: A == 0x800
 * (no statements: C tests the A that B loaded). B's test is decided on
 * P2's edge, but skipping it would leave [23] in A for C.
 */
static void test_bypass_needs_a(void **state)
{
    struct pf_cbpf_prog p;
    struct g g;
    struct fc_block *p1, *p2, *b, *c;
    uint8_t pkt[64] = {0};

    (void)state;
    g_init(&g);
    p1 = blk(&g, JEQ, 0x800, 1, LDH(12));
    p2 = blk(&g, JEQ, 6, 1, PF_CBPF_LD | PF_CBPF_B | PF_CBPF_ABS, 23u);
    b = blk(&g, JEQ, 0x800, 1, LDH(12));
    c = blk(&g, JEQ, 0x800, 0);
    p1->jt = p2;
    p2->jt = b;
    b->jt = c;
    c->jt = g.st.accept;
    p1->jf = p2->jf = b->jf = c->jf = g.st.reject;
    g_finish(&g, p1, &p);
    pkt[12] = 8, pkt[23] = 6;
    assert_int_equal(run(&p, pkt, 64), 1000);
    assert_int_equal(run(&p, pkt, 23), 0);
    pkt[23] = 7;
    assert_int_equal(run(&p, pkt, 64), 0);
    pkt[12] = 0x86, pkt[13] = 0xdd, pkt[23] = 6;
    assert_int_equal(run(&p, pkt, 64), 0);
    /* and C's test is known there: ldh, jeq, ldb, jeq, ret, ret */
    assert_int_equal(p.len, 6);
    free(p.insns);
}

/*
 * P: [20] == 6 -> B (else accept); B: ld [100]; [20] == 6 -> accept, or
 * reject when @to_reject. B's test is decided on P's true edge, but its
 * load of [100] may fail (and reject): it stays unless B's decided
 * successor is the reject leaf anyway.
 */
static void test_bypass_keeps_failing_load(void **state)
{
    struct pf_cbpf_prog p;
    struct g g;
    struct fc_block *pb, *b;
    uint8_t pkt[128] = {0};

    (void)state;
    for (int to_reject = 0; to_reject < 2; to_reject++) {
        int has100 = 0;

        g_init(&g);
        pb = blk(&g, JEQ, 6, 1, PF_CBPF_LD | PF_CBPF_B | PF_CBPF_ABS, 20u);
        b = blk(&g, JEQ, 6, 2, LDW(100), PF_CBPF_LD | PF_CBPF_B | PF_CBPF_ABS,
                20u);
        pb->jt = b;
        pb->jf = g.st.accept;
        b->jt = to_reject ? g.st.reject : g.st.accept;
        b->jf = to_reject ? g.st.accept : g.st.reject;
        g_finish(&g, pb, &p);
        pkt[20] = 6;
        assert_int_equal(run(&p, pkt, 64), 0); /* [100] is past the end */
        assert_int_equal(run(&p, pkt, 128), to_reject ? 0 : 1000);
        pkt[20] = 7;
        assert_int_equal(run(&p, pkt, 64), 1000);
        for (size_t i = 0; i < p.len; i++)
            has100 |= p.insns[i].k == 100;
        assert_int_equal(has100, !to_reject);
        if (to_reject) /* ldb, jeq, ret, ret */
            assert_int_equal(p.len, 4);
        free(p.insns);
    }
}

/* Redundant loads go, and identical tails are shared. */
static void test_redundant_and_shared(void **state)
{
    struct pf_cbpf_prog p;
    struct g g;
    struct fc_block *a, *b1, *b2, *c1, *c2;
    uint8_t pkt[64] = {0};

    (void)state;
    g_init(&g);
    a = blk(&g, JEQ, 0x800, 1, LDH(12));
    b1 = blk(&g, JEQ, 0x800, 1, LDH(12)); /* decided false after a */
    b2 = blk(&g, JEQ, 2, 1, LDH(12));
    c1 = blk(&g, JEQ, 80, 1, LDH(36));
    c2 = blk(&g, JEQ, 80, 1, LDH(36));
    a->jt = c1;
    a->jf = b1;
    b1->jt = g.st.accept;
    b1->jf = b2;
    b2->jt = c2;
    b2->jf = g.st.reject;
    c1->jt = c2->jt = g.st.accept;
    c1->jf = c2->jf = g.st.reject;
    g_finish(&g, a, &p);
    /* ldh [12]; jeq 0x800; jeq 2; ldh [36]; jeq 80; ret; ret */
    assert_int_equal(p.len, 7);
    assert_int_equal(p.insns[2].code, PF_CBPF_JMP | PF_CBPF_JEQ);
    assert_int_equal(p.insns[2].k, 2);
    pkt[12] = 0, pkt[13] = 2, pkt[37] = 80;
    assert_int_equal(run(&p, pkt, 64), 1000);
    assert_int_equal(run(&p, pkt, 37), 0);
    pkt[12] = 8, pkt[13] = 0;
    assert_int_equal(run(&p, pkt, 64), 1000);
    pkt[12] = 0, pkt[13] = 1;
    assert_int_equal(run(&p, pkt, 64), 0);
    free(p.insns);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_counts),
        cmocka_unit_test(test_unoptimised_unchanged),
        cmocka_unit_test(test_many_hosts),
        cmocka_unit_test(test_many_ports),
        cmocka_unit_test(test_same_verdicts),
        cmocka_unit_test(test_bypass_needs_x),
        cmocka_unit_test(test_bypass_needs_a),
        cmocka_unit_test(test_bypass_keeps_failing_load),
        cmocka_unit_test(test_redundant_and_shared),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
