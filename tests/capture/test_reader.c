/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Unit tests of the capture file reader on hand-built buffers: classic
 * pcap in both byte orders and both resolutions, the modified (Kuznetzov)
 * magic, old versions with swapped lengths; pcapng with several
 * interfaces, link types and timestamp resolutions, SPB, obsolete PB,
 * unknown blocks, sections that change byte order; and damage of every
 * kind, including a cut at every byte of a small file (exactly the
 * complete packets before the cut, then a clean end or an error at the
 * right offset). Also the link type table and the file/stdin front end.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <pfcap/capture.h>

#include "build.h"
#include "capture/capture_impl.h"

static struct tb tb;

static void tb_reset(int be)
{
    memset(&tb, 0, sizeof(tb));
    tb.be = be;
}

static struct pf_pcap_reader *open_ok(const void *buf, size_t len)
{
    struct pf_pcap_reader *r = NULL;
    struct pf_error err;

    pf_error_init(&err);
    if (pf_pcap_reader_open_mem(buf, len, &r, &err) != 0)
        fail_msg("open failed: %s", err.msg);
    return r;
}

/* Expects open to fail at @offset with @needle in the message. */
static void open_fails(const void *buf, size_t len, uint64_t offset,
                       const char *needle)
{
    struct pf_pcap_reader *r = NULL;
    struct pf_error err;

    pf_error_init(&err);
    assert_int_equal(pf_pcap_reader_open_mem(buf, len, &r, &err), -EINVAL);
    assert_null(r);
    assert_int_equal(err.stage, PF_STAGE_FILE);
    assert_int_equal(err.offset, offset);
    if (!strstr(err.msg, needle))
        fail_msg("message \"%s\" lacks \"%s\"", err.msg, needle);
}

/* Expects the next read to fail at @offset with @needle in the message. */
static void next_fails(struct pf_pcap_reader *r, uint64_t offset,
                       const char *needle)
{
    struct pf_packet p;
    struct pf_error err;

    pf_error_init(&err);
    assert_true(pf_pcap_reader_next(r, &p, &err) < 0);
    assert_int_equal(err.stage, PF_STAGE_FILE);
    assert_int_equal(err.offset, offset);
    if (!strstr(err.msg, needle))
        fail_msg("message \"%s\" lacks \"%s\"", err.msg, needle);
    /* Reported again, identically, on the next call. */
    pf_error_init(&err);
    assert_true(pf_pcap_reader_next(r, &p, &err) < 0);
    assert_int_equal(err.offset, offset);
}

static void expect_packet(struct pf_pcap_reader *r, uint32_t caplen,
                          uint32_t len, int64_t sec, uint32_t nsec,
                          uint8_t seed, uint32_t lt, uint32_t ifindex)
{
    struct pf_packet p;
    struct pf_error err;

    pf_error_init(&err);
    if (pf_pcap_reader_next(r, &p, &err) != 1)
        fail_msg("expected a packet: %s", err.msg);
    assert_int_equal(p.caplen, caplen);
    assert_int_equal(p.wirelen, len);
    assert_int_equal(p.ts_sec, sec);
    assert_int_equal(p.ts_nsec, nsec);
    assert_int_equal(p.linktype, lt);
    assert_int_equal(p.ifindex, ifindex);
    for (uint32_t i = 0; i < caplen; i++)
        assert_int_equal(p.data[i], (uint8_t)(seed + i));
}

static void expect_end(struct pf_pcap_reader *r)
{
    struct pf_packet p;
    struct pf_error err;

    pf_error_init(&err);
    assert_int_equal(pf_pcap_reader_next(r, &p, &err), 0);
    assert_int_equal(err.err, 0);
    assert_int_equal(pf_pcap_reader_next(r, &p, &err), 0);
    assert_int_equal(pf_pcap_reader_offset(r), pf_pcap_reader_size(r));
}

/* ---- classic pcap ---- */

static void check_pcap_build(int be, int nsec)
{
    tb_reset(be);
    tb_pcap_header(&tb, nsec ? 0xa1b23c4d : 0xa1b2c3d4, 2, 4, 65535, 1);
    tb_pcap_record(&tb, 1000, 1, 60, 60, 1);
    tb_pcap_record(&tb, 2000, 999999, 0, 1514, 2);
    tb_pcap_record(&tb, 3000, 123456, 100, 1500, 3);
}

static void check_pcap(int be, int nsec)
{
    struct pf_pcap_reader *r;
    uint32_t mul = nsec ? 1 : 1000;

    check_pcap_build(be, nsec);
    r = open_ok(tb.d, tb.n);
    assert_int_equal(pf_pcap_reader_format(r),
                     nsec ? PF_FILE_PCAP_NSEC : PF_FILE_PCAP);
    assert_int_equal(pf_pcap_reader_nsec(r), nsec);
    assert_int_equal(pf_pcap_reader_linktype(r), 1);
    assert_int_equal(pf_pcap_reader_snaplen(r), 65535);
    assert_int_equal(pf_pcap_reader_offset(r), 24);
    expect_packet(r, 60, 60, 1000, 1 * mul, 1, 1, 0);
    expect_packet(r, 0, 1514, 2000, 999999 * mul, 2, 1, 0);
    expect_packet(r, 100, 1500, 3000, 123456 * mul, 3, 1, 0);
    expect_end(r);
    pf_pcap_reader_close(r);
}

static void test_pcap_formats(void **state)
{
    (void)state;
    for (int be = 0; be < 2; be++)
        for (int nsec = 0; nsec < 2; nsec++)
            check_pcap(be, nsec);
}

static void test_pcap_timestamps(void **state)
{
    struct pf_pcap_reader *r;

    (void)state;
    /* libpcap: signed fields in our byte order; out-of-range usec kept. */
    tb_reset(0);
    tb_pcap_header(&tb, 0xa1b2c3d4, 2, 4, 65535, 1);
    tb_pcap_record(&tb, 0x80000000u, 5, 1, 1, 0);
    tb_pcap_record(&tb, 0xffffffffu, 0xffffffffu, 1, 1, 0);
    tb_pcap_record(&tb, 1, 1000000, 1, 1, 0);
    r = open_ok(tb.d, tb.n);
    expect_packet(r, 1, 1, -2147483648LL, 5000, 0, 1, 0);
    expect_packet(r, 1, 1, -2, 999999000, 0, 1, 0);   /* -1 s - 1 us */
    expect_packet(r, 1, 1, 2, 0, 0, 1, 0);            /* 1 s + 10^6 us */
    pf_pcap_reader_close(r);
    /* ... and unsigned in the other byte order. */
    tb_reset(1);
    tb_pcap_header(&tb, 0xa1b2c3d4, 2, 4, 65535, 1);
    tb_pcap_record(&tb, 0x80000000u, 5, 1, 1, 0);
    r = open_ok(tb.d, tb.n);
    expect_packet(r, 1, 1, 2147483648LL, 5000, 0, 1, 0);
    pf_pcap_reader_close(r);
}

static void test_pcap_linktype_and_snaplen(void **state)
{
    struct pf_pcap_reader *r;

    (void)state;
    tb_reset(0);
    tb_pcap_header(&tb, 0xa1b2c3d4, 2, 4, 0, 0xfc000000u | 12);
    tb_pcap_record(&tb, 1, 0, 4, 4, 9);
    r = open_ok(tb.d, tb.n);
    assert_int_equal(pf_pcap_reader_linktype(r), 101);  /* DLT_RAW 12 */
    assert_int_equal(pf_pcap_reader_snaplen(r), 262144);
    expect_packet(r, 4, 4, 1, 0, 9, 101, 0);
    pf_pcap_reader_close(r);
    /* caplen above snaplen is cut to it; above 262144 is an error. */
    tb_reset(0);
    tb_pcap_header(&tb, 0xa1b2c3d4, 2, 4, 10, 1);
    tb_pcap_record(&tb, 1, 0, 40, 40, 7);
    tb_pcap_record(&tb, 1, 0, 5, 40, 8);
    tb_mark(&tb, 1);
    tb_u32(&tb, 1);
    tb_u32(&tb, 0);
    tb_u32(&tb, 262145);
    tb_u32(&tb, 262145);
    r = open_ok(tb.d, tb.n);
    expect_packet(r, 10, 40, 1, 0, 7, 1, 0);
    expect_packet(r, 5, 40, 1, 0, 8, 1, 0);
    next_fails(r, tb.marks[2], "invalid packet capture length 262145");
    pf_pcap_reader_close(r);
}

static void test_pcap_versions(void **state)
{
    struct pf_pcap_reader *r;

    (void)state;
    tb_reset(0);
    tb_pcap_header(&tb, 0xa1b2c3d4, 1, 4, 100, 1);
    open_fails(tb.d, tb.n, 4, "archaic");
    tb_reset(1);
    tb_pcap_header(&tb, 0xa1b2c3d4, 2, 5, 100, 1);
    open_fails(tb.d, tb.n, 4, "unsupported pcap savefile version 2.5");
    /* 2.2: caplen and len are interchanged in the records. */
    tb_reset(0);
    tb_pcap_header(&tb, 0xa1b2c3d4, 2, 2, 100, 1);
    tb_pcap_record(&tb, 1, 0, 30, 8, 0);   /* file says caplen 30, len 8 */
    tb.n -= 22;                            /* only 8 bytes of data */
    r = open_ok(tb.d, tb.n);
    expect_packet(r, 8, 30, 1, 0, 0, 1, 0);
    expect_end(r);
    pf_pcap_reader_close(r);
    /* 543.0 (DG/UX) is accepted. */
    tb_reset(0);
    tb_pcap_header(&tb, 0xa1b2c3d4, 543, 0, 100, 1);
    r = open_ok(tb.d, tb.n);
    expect_end(r);
    pf_pcap_reader_close(r);
}

static void test_pcap_kuznetzov(void **state)
{
    struct pf_pcap_reader *r;

    (void)state;
    tb_reset(0);
    tb_pcap_header(&tb, 0xa1b2cd34, 2, 4, 100, 1);
    tb_u32(&tb, 5);
    tb_u32(&tb, 6);
    tb_u32(&tb, 3);
    tb_u32(&tb, 3);
    tb_u64(&tb, 0);   /* ifindex, protocol, pkt_type, pad */
    tb_payload(&tb, 3, 40);
    r = open_ok(tb.d, tb.n);
    assert_int_equal(pf_pcap_reader_snaplen(r), 114);   /* +14 for EN10MB */
    expect_packet(r, 3, 3, 5, 6000, 40, 1, 0);
    expect_end(r);
    pf_pcap_reader_close(r);
    /* The other modified magics are not pcap (libpcap agrees). */
    tb_reset(0);
    tb_pcap_header(&tb, 0xa12b3c4d, 2, 4, 100, 1);
    open_fails(tb.d, tb.n, 0, "not a pcap or pcapng file");
    tb_reset(0);
    tb_pcap_header(&tb, 0xa1b234cd, 2, 4, 100, 1);
    open_fails(tb.d, tb.n, 0, "not a pcap or pcapng file");
}

static void test_pcap_bad_headers(void **state)
{
    static const uint8_t junk[] = "GET / HTTP/1.1\r\n\r\n....................";

    (void)state;
    open_fails(junk, sizeof(junk), 0, "magic 0x20544547");
    open_fails(junk, 0, 0, "truncated file header");
    open_fails("\xd4\xc3\xb2", 3, 0, "truncated file header");
    tb_reset(0);
    tb_pcap_header(&tb, 0xa1b2c3d4, 2, 4, 100, 1);
    open_fails(tb.d, 23, 0, "truncated pcap file header: 23 of 24");
}

/*
 * Cuts @b at every byte: open must fail before @min_open bytes; after
 * that exactly the packets complete before the cut come out, then a clean
 * end (cut on a record boundary) or an error at the cut record's offset.
 */
static void cut_everywhere(const struct tb *b, size_t min_open)
{
    for (size_t cut = 0; cut <= b->n; cut++) {
        uint8_t *copy = test_malloc(cut ? cut : 1);
        struct pf_pcap_reader *r = NULL;
        struct pf_packet p;
        struct pf_error err;
        size_t want = 0, i, k = 0;
        int rc, boundary = cut == b->n;

        memcpy(copy, b->d, cut);
        pf_error_init(&err);
        rc = pf_pcap_reader_open_mem(copy, cut, &r, &err);
        if (cut < min_open) {
            assert_true(rc < 0);
            assert_int_equal(err.stage, PF_STAGE_FILE);
            test_free(copy);
            continue;
        }
        assert_int_equal(rc, 0);
        for (i = 0; i < b->n_marks; i++) {
            size_t end = i + 1 < b->n_marks ? b->marks[i + 1] : b->n;
            if (b->marks[i] == cut)
                boundary = 1;
            if (end <= cut && b->packet[i] && b->marks[i] >= min_open)
                want++;
        }
        while ((rc = pf_pcap_reader_next(r, &p, &err)) == 1)
            k++;
        assert_int_equal(k, want);
        if (boundary) {
            assert_int_equal(rc, 0);
        } else {
            assert_int_equal(rc, -EINVAL);
            for (i = 0; i < b->n_marks && b->marks[i] + 0 <= cut; i++)
                ;
            assert_int_equal(err.offset, b->marks[i - 1]);
        }
        pf_pcap_reader_close(r);
        test_free(copy);
    }
}

static void test_pcap_cut_everywhere(void **state)
{
    (void)state;
    for (int be = 0; be < 2; be++) {
        tb_reset(be);
        tb_pcap_header(&tb, 0xa1b2c3d4, 2, 4, 65535, 1);
        tb_pcap_record(&tb, 1, 2, 14, 60, 1);
        tb_pcap_record(&tb, 3, 4, 0, 0, 2);
        tb_pcap_record(&tb, 5, 6, 33, 33, 3);
        cut_everywhere(&tb, 24);
    }
}

/* ---- pcapng ---- */

/* SHB, IDB (us), unknown block, EPB, SPB, PB, ISB-like unknown, EPB. */
static void build_ng(int be)
{
    tb_reset(be);
    tb_ng_shb(&tb, 1, 0);
    tb_ng_idb(&tb, 1, 128, -1, 0);
    tb_ng_unknown(&tb, 0x00000bad, 5);
    tb_ng_epb(&tb, 0, 1500000123456ull, 14, 60, 1);
    tb_ng_spb(&tb, 200, 128, 2);
    tb_ng_pb(&tb, 0, 2000000, 3, 3, 3);
    tb_ng_unknown(&tb, 5, 16);
    tb_ng_epb(&tb, 0, 7, 0, 0, 4);
}

static void test_pcapng_basic(void **state)
{
    struct pf_pcap_reader *r;

    (void)state;
    for (int be = 0; be < 2; be++) {
        build_ng(be);
        r = open_ok(tb.d, tb.n);
        assert_int_equal(pf_pcap_reader_format(r), PF_FILE_PCAPNG);
        assert_int_equal(pf_pcap_reader_linktype(r), 1);
        assert_int_equal(pf_pcap_reader_snaplen(r), 128);
        assert_int_equal(pf_pcap_reader_nsec(r), 0);
        expect_packet(r, 14, 60, 1500000, 123456000, 1, 1, 0);
        expect_packet(r, 128, 200, 0, 0, 2, 1, 0);   /* SPB: min(len, snap) */
        expect_packet(r, 3, 3, 2, 0, 3, 1, 0);       /* obsolete PB */
        expect_packet(r, 0, 0, 0, 7000, 4, 1, 0);
        expect_end(r);
        pf_pcap_reader_close(r);
    }
}

static void test_pcapng_cut_everywhere(void **state)
{
    (void)state;
    for (int be = 0; be < 2; be++) {
        build_ng(be);
        cut_everywhere(&tb, tb.marks[2]);   /* opens once the IDB is whole */
    }
}

static void test_pcapng_resolutions(void **state)
{
    struct pf_pcap_reader *r;

    (void)state;
    tb_reset(0);
    tb_ng_shb(&tb, 1, 2);
    tb_ng_idb(&tb, 1, 0, 9, 0);              /* ns */
    tb_ng_idb(&tb, 101, 0, 3, 0);            /* ms, raw IP */
    tb_ng_idb(&tb, 113, 0, 0x80 | 10, 0);    /* 2^-10 s */
    tb_ng_idb(&tb, 1, 0, 6, 1000);           /* us, +1000 s */
    tb_ng_idb(&tb, 1, 0, 12, -5);            /* ps, -5 s */
    tb_ng_epb(&tb, 0, 1234567890123456789ull, 1, 1, 0);
    tb_ng_epb(&tb, 1, 1234567, 1, 1, 0);
    tb_ng_epb(&tb, 2, 3 * 1024 + 512, 1, 1, 0);
    tb_ng_epb(&tb, 3, 2500000, 1, 1, 0);
    tb_ng_epb(&tb, 4, 7000000123456ull, 1, 1, 0);
    r = open_ok(tb.d, tb.n);
    assert_int_equal(pf_pcap_reader_nsec(r), 1);
    assert_int_equal(pf_pcap_reader_snaplen(r), 262144);
    expect_packet(r, 1, 1, 1234567890, 123456789, 0, 1, 0);
    expect_packet(r, 1, 1, 1234, 567000000, 0, 101, 1);
    expect_packet(r, 1, 1, 3, 500000000, 0, 113, 2);
    expect_packet(r, 1, 1, 1002, 500000000, 0, 1, 3);
    expect_packet(r, 1, 1, 2, 123, 0, 1, 4);   /* 7 s - 5 s, ps -> ns */
    expect_end(r);
    pf_pcap_reader_close(r);
}

/* Two sections, little- then big-endian, with 3 interfaces in all. */
static void build_sections(void)
{
    tb_reset(0);
    tb_ng_shb(&tb, 1, 0);
    tb_ng_idb(&tb, 1, 0, 9, 0);
    tb_ng_idb(&tb, 113, 0, 9, 0);
    tb_ng_epb(&tb, 1, 5, 2, 2, 1);
    tb.be = 1;                         /* the new section is big-endian */
    tb_ng_shb(&tb, 1, 0);
    tb_ng_idb(&tb, 276, 0, 6, 0);
    tb_ng_epb(&tb, 0, 5, 2, 2, 2);
    tb_ng_epb(&tb, 1, 5, 2, 2, 3);     /* interface 1 is gone */
}

static void test_pcapng_sections(void **state)
{
    struct pf_pcap_reader *r;

    (void)state;
    build_sections();
    r = open_ok(tb.d, tb.n);
    expect_packet(r, 2, 2, 0, 5, 1, 113, 1);
    expect_packet(r, 2, 2, 0, 5000, 2, 276, 0);
    next_fails(r, tb.marks[tb.n_marks - 1], "packet on interface 1");
    pf_pcap_reader_close(r);
}

/* Builds SHB + IDB and returns the offset where the next block starts. */
static size_t ng_prefix(void)
{
    tb_reset(0);
    tb_ng_shb(&tb, 1, 0);
    tb_ng_idb(&tb, 1, 100, -1, 0);
    return tb.n;
}

static void patch32(size_t at, uint32_t v)
{
    size_t save = tb.n;

    tb.n = at;
    tb_u32(&tb, v);
    tb.n = save;
}

static void test_pcapng_damaged_blocks(void **state)
{
    struct pf_pcap_reader *r;
    size_t at;

    (void)state;
    at = ng_prefix();
    tb_ng_epb(&tb, 0, 0, 4, 4, 0);
    patch32(at + 4, 8);                       /* length < 12 */
    r = open_ok(tb.d, tb.n);
    next_fails(r, at, "shorter than 12");
    pf_pcap_reader_close(r);

    at = ng_prefix();
    tb_ng_epb(&tb, 0, 0, 4, 4, 0);
    patch32(at + 4, 38);                      /* not a multiple of 4 */
    r = open_ok(tb.d, tb.n);
    next_fails(r, at, "not a multiple of 4");
    pf_pcap_reader_close(r);

    at = ng_prefix();
    tb_ng_epb(&tb, 0, 0, 4, 4, 0);
    patch32(tb.n - 4, 99);                    /* trailer mismatch */
    r = open_ok(tb.d, tb.n);
    next_fails(r, at, "header (36) and trailer (99) differ");
    pf_pcap_reader_close(r);

    at = ng_prefix();
    tb_ng_epb(&tb, 0, 0, 4, 4, 0);
    patch32(at + 20, 64);                     /* caplen beyond the block */
    r = open_ok(tb.d, tb.n);
    next_fails(r, at, "too short");
    pf_pcap_reader_close(r);

    at = ng_prefix();
    tb_ng_epb(&tb, 0, 0, 4, 4, 0);
    patch32(at + 4, 64u << 20);               /* absurd block length */
    r = open_ok(tb.d, tb.n);
    next_fails(r, at, "more than the maximum");
    pf_pcap_reader_close(r);

    at = ng_prefix();
    tb_ng_epb(&tb, 0, 0, 101, 101, 0);        /* caplen > snaplen 100 */
    r = open_ok(tb.d, tb.n);
    next_fails(r, at, "bigger than snaplen of 100");
    pf_pcap_reader_close(r);

    at = ng_prefix();
    tb_ng_epb(&tb, 3, 0, 1, 1, 0);            /* no such interface */
    r = open_ok(tb.d, tb.n);
    next_fails(r, at, "packet on interface 3");
    pf_pcap_reader_close(r);
}

static void test_pcapng_damaged_options(void **state)
{
    size_t idb;

    (void)state;
    tb_reset(0);
    tb_ng_shb(&tb, 1, 0);
    idb = tb.n;
    tb_ng_idb(&tb, 1, 100, 9, 0);
    patch32(idb + 16, 0x00400002);            /* if_name length 64 */
    open_fails(tb.d, tb.n, idb, "too short");

    tb_reset(0);
    tb_ng_shb(&tb, 1, 0);
    idb = tb.n;
    tb_ng_idb(&tb, 1, 100, 20, 0);            /* 10^-20 */
    open_fails(tb.d, tb.n, idb + 24, "if_tsresol 10^-20");

    tb_reset(0);
    tb_ng_shb(&tb, 1, 0);
    idb = tb.n;
    tb_ng_idb(&tb, 1, 100, 0x80 | 64, 0);     /* 2^-64 */
    open_fails(tb.d, tb.n, idb + 24, "if_tsresol 2^-64");

    tb_reset(0);
    tb_ng_shb(&tb, 1, 0);
    idb = tb.n;
    tb_ng_idb(&tb, 1, 100, 9, 0);
    patch32(idb + 24, 0x00020009);            /* if_tsresol length 2 */
    open_fails(tb.d, tb.n, idb + 24, "if_tsresol option with length 2");
}

static void test_pcapng_bad_headers(void **state)
{
    (void)state;
    tb_reset(0);
    tb_ng_shb(&tb, 1, 1);
    tb_ng_idb(&tb, 1, 100, -1, 0);
    open_fails(tb.d, tb.n, 12, "unsupported pcapng savefile version 1.1");

    tb_reset(1);
    tb_ng_shb(&tb, 1, 0);
    open_fails(tb.d, tb.n, 28, "no Interface Description Block");

    tb_reset(0);
    tb_ng_shb(&tb, 1, 0);
    tb_ng_epb(&tb, 0, 0, 1, 1, 0);
    open_fails(tb.d, tb.n, 28, "packet block before any Interface");

    tb_reset(0);
    tb_ng_shb(&tb, 1, 0);
    patch32(8, 0x11223344);                   /* bad byte-order magic */
    open_fails(tb.d, tb.n, 8, "bad byte-order magic");

    tb_reset(0);
    tb_ng_shb(&tb, 1, 0);
    patch32(4, 2u << 20);                     /* SHB longer than 1 MiB */
    open_fails(tb.d, tb.n, 0, "section header length");
}

/* ---- random damage: never out of bounds, always a clean verdict ---- */

static uint64_t rng_state;
static long damage_iterations = 6000;   /* argv[1] overrides (fuzz suite) */

static uint64_t rng(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 2685821657736338717ull;
}

/* Reads @len bytes of @buf to the end and checks every invariant. */
static void read_all_checked(const uint8_t *buf, size_t len)
{
    struct pf_pcap_reader *r;
    struct pf_packet p;
    struct pf_error err;
    int rc;

    pf_error_init(&err);
    if (pf_pcap_reader_open_mem(buf, len, &r, &err) < 0) {
        assert_int_equal(err.err, -EINVAL);
        assert_true(err.offset <= len && err.msg[0]);
        return;
    }
    while ((rc = pf_pcap_reader_next(r, &p, &err)) == 1) {
        /* Zero copy, except for swapped host-order pseudo-headers. */
        assert_true((p.data >= buf && p.data + p.caplen <= buf + len) ||
                    p.linktype == 113 || p.linktype == 189 ||
                    p.linktype == 220 || p.linktype == 239);
        assert_true(p.caplen <= pf_pcap_reader_snaplen(r) ||
                    pf_pcap_reader_format(r) == PF_FILE_PCAPNG);
        assert_true(p.ts_nsec < 1000000000u);
        assert_true(pf_pcap_reader_offset(r) <= len);
    }
    if (rc < 0) {
        assert_int_equal(rc, -EINVAL);
        assert_true(err.offset < len && err.msg[0]);
    }
    pf_pcap_reader_close(r);
}

static void test_random_damage(void **state)
{
    const char *env = getenv("PF_TEST_SEED");
    uint64_t seed = env ? strtoull(env, NULL, 0) : (uint64_t)time(NULL);
    uint8_t *copy;
    size_t len;

    (void)state;
    printf("seed %llu (set PF_TEST_SEED to repeat)\n",
           (unsigned long long)seed);
    rng_state = seed * 0x9e3779b97f4a7c15ull + 1;
    for (long iter = 0; iter < damage_iterations; iter++) {
        if (iter % 3 == 0)
            build_ng((int)(rng() & 1));
        else if (iter % 3 == 1)
            build_sections();
        else
            check_pcap_build((int)(rng() & 1), (int)(rng() & 1));
        len = tb.n;
        for (int k = 0; k < 1 + (int)(rng() % 4); k++)
            tb.d[rng() % len] = (uint8_t)rng();
        if (rng() % 4 == 0)
            len = (size_t)(rng() % (len + 1));
        /* An exact-size heap copy so that ASan sees any overread. */
        copy = test_malloc(len ? len : 1);
        memcpy(copy, tb.d, len);
        read_all_checked(copy, len);
        test_free(copy);
    }
}

/* ---- link types ---- */

static void test_linktype_table(void **state)
{
    (void)state;
    assert_string_equal(pf_linktype_name(1), "EN10MB");
    assert_string_equal(pf_linktype_description(1), "Ethernet");
    assert_string_equal(pf_linktype_name(0), "NULL");
    assert_string_equal(pf_linktype_name(101), "RAW");
    assert_string_equal(pf_linktype_name(12), "RAW");
    assert_string_equal(pf_linktype_description(101), "Raw IP");
    assert_string_equal(pf_linktype_name(108), "LOOP");
    assert_string_equal(pf_linktype_name(9), "PPP");
    assert_string_equal(pf_linktype_name(113), "LINUX_SLL");
    assert_string_equal(pf_linktype_name(276), "LINUX_SLL2");
    assert_string_equal(pf_linktype_name(127), "IEEE802_11_RADIO");
    assert_null(pf_linktype_name(-1));
    assert_null(pf_linktype_name(4000));
    assert_null(pf_linktype_description(4000));
    assert_int_equal(pf_linktype_from_name("en10mb"), 1);
    assert_int_equal(pf_linktype_from_name("RAW"), 101);
    assert_int_equal(pf_linktype_from_name("DLT_RAW"), 101);
    assert_int_equal(pf_linktype_from_name("LINKTYPE_LINUX_SLL2"), 276);
    assert_int_equal(pf_linktype_from_name("147"), 147);
    assert_int_equal(pf_linktype_from_name("NULL"), 0);
    assert_int_equal(pf_linktype_from_name("bogus"), -1);
    assert_int_equal(pf_linktype_from_name("12x"), -1);
    assert_int_equal(pf_linktype_from_name(""), -1);
}

/* Every message template matches its declared argument count. */
static void test_message_table(void **state)
{
    struct pf_error err;

    (void)state;
    for (int id = 0; id < PF_MSG_COUNT; id++) {
        const char *t = pf_capture_msg_template((enum pf_capture_msg)id);
        int nums = 0, strs = 0;

        assert_non_null(t);
        for (const char *c = strchr(t, '%'); c; c = strchr(c + 2, '%')) {
            if (c[1] == 's')
                strs++;
            else if (c[1] == 'u' || c[1] == 'd' || c[1] == 'x')
                nums++;
            else
                fail_msg("message %d: bad conversion in \"%s\"", id, t);
        }
        assert_int_equal(nums, pf_capture_msg_nargs((enum pf_capture_msg)id));
        assert_true(strs <= 2);
    }
    /* Missing values print "?"; signed and hex conversions. */
    pf_error_init(&err);
    PF_FILE_ERR(&err, 7, TRAILER, 36);
    assert_string_equal(err.msg, "block length in header (36) and trailer "
                                 "(?) differ");
    assert_int_equal(err.offset, 7);
    assert_int_equal(err.code, PF_CAPTURE_E_BAD_BLOCK);
    pf_error_init(&err);
    PF_SYS_ERR(&err, -ERANGE, TS_RANGE, NULL, NULL, (int64_t)-5);
    assert_non_null(strstr(err.msg, "timestamp -5 s"));
    assert_int_equal(err.offset, PF_NO_OFFSET);
    pf_error_init(&err);
    PF_FILE_ERR(&err, 0, BAD_MAGIC, 0xabcu);
    assert_string_equal(err.msg, "not a pcap or pcapng file (magic "
                                 "0x00000abc)");
}

/* ---- front end: files, stdin ---- */

static void test_open_path_and_stdin(void **state)
{
    char path[] = "/tmp/pfcap-reader-XXXXXX";
    struct pf_pcap_reader *r;
    struct pf_error err;
    int fd, saved, pfd[2];

    (void)state;
    build_ng(1);
    fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, tb.d, tb.n), (ssize_t)tb.n);
    close(fd);
    pf_error_init(&err);
    assert_int_equal(pf_pcap_reader_open(path, &r, &err), 0);   /* mmap */
    assert_int_equal(pf_pcap_reader_size(r), tb.n);
    expect_packet(r, 14, 60, 1500000, 123456000, 1, 1, 0);
    pf_pcap_reader_close(r);
    assert_int_equal(truncate(path, 0), 0);
    assert_true(pf_pcap_reader_open(path, &r, &err) < 0);
    assert_non_null(strstr(err.msg, path));
    unlink(path);
    pf_error_init(&err);
    assert_int_equal(pf_pcap_reader_open("/nonexistent/x.pcap", &r, &err),
                     -ENOENT);
    /* An endless stream that is not a capture is refused at once. */
    pf_error_init(&err);
    assert_int_equal(pf_pcap_reader_open("/dev/zero", &r, &err), -EINVAL);
    assert_int_equal(err.offset, 0);
    assert_non_null(strstr(err.msg, "not a pcap or pcapng file"));
    /* "-" reads standard input (a pipe here) into memory. */
    assert_int_equal(pipe(pfd), 0);
    assert_int_equal(write(pfd[1], tb.d, tb.n), (ssize_t)tb.n);
    close(pfd[1]);
    saved = dup(STDIN_FILENO);
    dup2(pfd[0], STDIN_FILENO);
    close(pfd[0]);
    pf_error_init(&err);
    assert_int_equal(pf_pcap_reader_open("-", &r, &err), 0);
    dup2(saved, STDIN_FILENO);
    close(saved);
    expect_packet(r, 14, 60, 1500000, 123456000, 1, 1, 0);
    pf_pcap_reader_close(r);
    pf_pcap_reader_close(NULL);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pcap_formats),
        cmocka_unit_test(test_pcap_timestamps),
        cmocka_unit_test(test_pcap_linktype_and_snaplen),
        cmocka_unit_test(test_pcap_versions),
        cmocka_unit_test(test_pcap_kuznetzov),
        cmocka_unit_test(test_pcap_bad_headers),
        cmocka_unit_test(test_pcap_cut_everywhere),
        cmocka_unit_test(test_pcapng_basic),
        cmocka_unit_test(test_pcapng_cut_everywhere),
        cmocka_unit_test(test_pcapng_resolutions),
        cmocka_unit_test(test_pcapng_sections),
        cmocka_unit_test(test_pcapng_damaged_blocks),
        cmocka_unit_test(test_pcapng_damaged_options),
        cmocka_unit_test(test_pcapng_bad_headers),
        cmocka_unit_test(test_random_damage),
        cmocka_unit_test(test_linktype_table),
        cmocka_unit_test(test_message_table),
        cmocka_unit_test(test_open_path_and_stdin),
    };

    if (argc > 1)
        damage_iterations = strtol(argv[1], NULL, 10);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
