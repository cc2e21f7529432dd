/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Differential tests of capture/ against libpcap 1.10 (the oracle; this is
 * the only capture test that links libpcap):
 *  - every file under $PF_CORPUS is opened by libpcap (nanosecond
 *    precision) and by pfcap, and each packet is compared: caplen, wire
 *    length, timestamp (the same instant in nanoseconds), the data bytes
 *    and the link type; then the end (clean end of file on both sides, or
 *    an error on both sides). Files libpcap cannot open must be refused.
 *    The few files where pfcap deliberately differs are listed below with
 *    the reason; any other difference fails the test.
 *  - the same comparison on damaged copies of corpus files (cut short or
 *    with random bytes overwritten; seed printed, PF_TEST_SEED repeats),
 *    on generated files with host-order pseudo-headers (Linux SLL CAN,
 *    USB, USB mmapped, NFLOG) in both byte orders, and on generated pcapng
 *    files that only pfcap reads to the end (the reason list below);
 *  - the link type table: names and descriptions equal libpcap's;
 *  - files written by pfcap's writer (pcap us, pcap ns, pcapng) from corpus
 *    packets are read back by libpcap and must hold the same packets.
 */
#include <errno.h>
#include <ftw.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <pcap/pcap.h>

#include <pfcap/capture.h>

#include "build.h"

/*
 * Corpus files where pfcap and libpcap legitimately differ, and why.
 * None at present: every corpus file reads identically.
 */
static const struct {
    const char *name;
    const char *reason;
} known_differences[] = {
    {NULL, NULL},
};

/*
 * libpcap errors on files pfcap reads on purpose: pcapng files whose
 * interfaces differ in link type or snapshot length, or whose sections
 * differ in byte order, are valid pcapng; libpcap 1.10 refuses them only
 * because its API has one link type per file.
 */
static const struct {
    const char *libpcap_msg;
    const char *reason;
} known_refusals[] = {
    {"different from the type of the first interface",
     "pfcap supports pcapng interfaces with different link types"},
    {"different from the snapshot length of the first interface",
     "pfcap supports pcapng interfaces with different snapshot lengths"},
    {"sections with different byte orders",
     "pfcap supports pcapng sections in different byte orders"},
    /* libpcap reads a new section's header length in the old byte order. */
    {"pcapng block size",
     "pfcap supports pcapng sections in different byte orders"},
    {NULL, NULL},
};

struct totals {
    unsigned files, packets, rejected_both, known, failures;
    unsigned long long bytes;
};

static char **paths;
static size_t n_paths, cap_paths;

static int collect(const char *path, const struct stat *st, int type,
                   struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    if (type != FTW_F)
        return 0;
    if (strstr(path, ".pcap") == NULL)
        return 0;
    if (n_paths == cap_paths) {
        cap_paths = cap_paths ? cap_paths * 2 : 1024;
        paths = realloc(paths, cap_paths * sizeof(*paths));
        if (!paths)
            return -1;
    }
    paths[n_paths++] = strdup(path);
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Collects the corpus once; returns 0 if PF_CORPUS is unusable. */
static size_t corpus_files(void)
{
    const char *dir = getenv("PF_CORPUS");

    if (n_paths)
        return n_paths;
    if (!dir || nftw(dir, collect, 16, FTW_PHYS) != 0)
        return 0;
    qsort(paths, n_paths, sizeof(*paths), cmp_str);
    return n_paths;
}

/* libpcap's dlt_to_linktype (not exported) for the values that differ. */
static int dlt_to_linktype(int dlt)
{
    switch (dlt) {
    case 11: return 100;   /* DLT_ATM_RFC1483 */
    case 12: return 101;   /* DLT_RAW on Linux */
    case 15: return 102;   /* DLT_SLIP_BSDOS */
    case 16: return 103;   /* DLT_PPP_BSDOS */
    case 19: return 106;   /* DLT_ATM_CLIP */
    default: return dlt;
    }
}

static const char *known_reason(const char *path)
{
    const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;

    for (size_t i = 0; known_differences[i].name; i++)
        if (!strcmp(known_differences[i].name, base))
            return known_differences[i].reason;
    return NULL;
}

/* One difference: printed; counted unless the file is a known one. */
static int differ(const char *path, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int differ(const char *path, const char *fmt, ...)
{
    const char *reason = known_reason(path);
    va_list ap;

    printf("%s %s: ", reason ? "KNOWN DIFFERENCE" : "MISMATCH", path);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    if (reason)
        printf(" [reason: %s]", reason);
    printf("\n");
    return reason ? 0 : 1;
}

static __int128 instant(long long sec, long long frac)
{
    return (__int128)sec * 1000000000 + frac;
}

/* Compares one packet; returns 1 on a difference. */
static int cmp_packet(const char *path, unsigned idx,
                      const struct pcap_pkthdr *h, const u_char *d,
                      const struct pf_packet *pk, int lt)
{
    if (h->caplen != pk->caplen || h->len != pk->wirelen)
        return differ(path, "packet %u: libpcap caplen %u len %u, pfcap "
                      "%u %u", idx, h->caplen, h->len, pk->caplen,
                      pk->wirelen);
    if (instant(h->ts.tv_sec, h->ts.tv_usec) !=
        instant(pk->ts_sec, pk->ts_nsec))
        return differ(path, "packet %u: libpcap ts %lld.%09ld, pfcap "
                      "%lld.%09u", idx, (long long)h->ts.tv_sec,
                      (long)h->ts.tv_usec, (long long)pk->ts_sec,
                      pk->ts_nsec);
    if (memcmp(d, pk->data, h->caplen) != 0)
        return differ(path, "packet %u: data bytes differ", idx);
    if ((int)pk->linktype != lt)
        return differ(path, "packet %u: libpcap link type %d, pfcap %u",
                      idx, lt, pk->linktype);
    return 0;
}

/* The end of both reads must agree: clean end, or an error on both. */
static int cmp_end(const char *path, pcap_t *p, int lrc, int prc,
                   const struct pf_error *err, struct totals *t)
{
    if (lrc == -2 && prc == 0)
        return 0;
    if (lrc == -1 && prc < 0) {
        if (err->stage != PF_STAGE_FILE || err->offset == PF_NO_OFFSET ||
            !err->msg[0])
            return differ(path, "pfcap error lacks stage/offset/message");
        printf("both stop: libpcap \"%s\"; pfcap at offset %llu: %s\n",
               pcap_geterr(p), (unsigned long long)err->offset, err->msg);
        return 0;
    }
    for (size_t i = 0; lrc == -1 && prc >= 0 && known_refusals[i].libpcap_msg;
         i++) {
        if (strstr(pcap_geterr(p), known_refusals[i].libpcap_msg)) {
            printf("KNOWN DIFFERENCE %s: libpcap stops (%s) [reason: %s]\n",
                   path, pcap_geterr(p), known_refusals[i].reason);
            t->known++;
            return 0;
        }
    }
    if (lrc == 1 || prc == 1)
        return differ(path, "packet counts differ (libpcap %s, pfcap %s)",
                      lrc == 1 ? "has more" : lrc == -1 ? pcap_geterr(p)
                                                        : "ended",
                      prc == 1 ? "has more" : prc < 0 ? err->msg : "ended");
    return differ(path, "libpcap ends with %d (%s), pfcap with %d (%s)", lrc,
                  lrc == -1 ? pcap_geterr(p) : "EOF", prc,
                  prc < 0 ? err->msg : "EOF");
}

/* Walks both readers in step; returns the number of differences. */
static int cmp_packets(const char *path, pcap_t *p, struct pf_pcap_reader *r,
                       struct totals *t)
{
    int lt = dlt_to_linktype(pcap_datalink(p));
    struct pcap_pkthdr *h;
    const u_char *d;
    struct pf_packet pk;
    struct pf_error err;
    int lrc, prc;

    pf_error_init(&err);
    for (unsigned idx = 0;; idx++) {
        lrc = pcap_next_ex(p, &h, &d);
        prc = pf_pcap_reader_next(r, &pk, &err);
        if (lrc != 1 || prc != 1)
            return cmp_end(path, p, lrc, prc, &err, t);
        if (cmp_packet(path, idx, h, d, &pk, lt))
            return 1;
        t->packets++;
        t->bytes += h->caplen;
    }
}

/* Compares two opened readers (either may have failed to open). */
static int cmp_opened(const char *path, pcap_t *p, const char *ebuf,
                      struct pf_pcap_reader *r, const struct pf_error *err,
                      struct totals *t)
{
    t->files++;
    if (!p && !r) {
        t->rejected_both++;
        printf("both reject %s: libpcap \"%s\"; pfcap: %s\n", path, ebuf,
               err->msg);
        return 0;
    }
    if (!p)
        return differ(path, "libpcap rejects (%s), pfcap opens it", ebuf);
    if (!r)
        return differ(path, "pfcap rejects (%s), libpcap opens it", err->msg);
    if (dlt_to_linktype(pcap_datalink(p)) != pf_pcap_reader_linktype(r))
        return differ(path, "link type: libpcap %d, pfcap %d",
                      dlt_to_linktype(pcap_datalink(p)),
                      pf_pcap_reader_linktype(r));
    if ((uint32_t)pcap_snapshot(p) != pf_pcap_reader_snaplen(r))
        return differ(path, "snaplen: libpcap %d, pfcap %u", pcap_snapshot(p),
                      pf_pcap_reader_snaplen(r));
    return cmp_packets(path, p, r, t);
}

/* Compares one file; returns the number of unexplained differences. */
static int cmp_file(const char *path, struct totals *t)
{
    char ebuf[PCAP_ERRBUF_SIZE] = "";
    struct pf_pcap_reader *r = NULL;
    struct pf_error err;
    pcap_t *p;
    int bad;

    pf_error_init(&err);
    p = pcap_open_offline_with_tstamp_precision(path,
                                                PCAP_TSTAMP_PRECISION_NANO,
                                                ebuf);
    pf_pcap_reader_open(path, &r, &err);
    bad = cmp_opened(path, p, ebuf, r, &err, t);
    if (known_reason(path))
        t->known++;
    if (p)
        pcap_close(p);
    pf_pcap_reader_close(r);
    return bad;
}

/* Same on a buffer (libpcap reads it through fmemopen). */
static int cmp_mem(const char *label, const uint8_t *buf, size_t len,
                   struct totals *t)
{
    char ebuf[PCAP_ERRBUF_SIZE] = "";
    struct pf_pcap_reader *r = NULL;
    struct pf_error err;
    FILE *f = fmemopen((void *)buf, len ? len : 1, "rb");
    pcap_t *p;
    int bad;

    assert_non_null(f);
    if (len == 0)
        fgetc(f);   /* fmemopen cannot open an empty buffer: read it empty */
    pf_error_init(&err);
    p = pcap_fopen_offline_with_tstamp_precision(f, PCAP_TSTAMP_PRECISION_NANO,
                                                 ebuf);
    if (!p)
        fclose(f);
    pf_pcap_reader_open_mem(buf, len, &r, &err);
    bad = cmp_opened(label, p, ebuf, r, &err, t);
    if (p)
        pcap_close(p);
    pf_pcap_reader_close(r);
    return bad;
}

static void test_corpus_vs_libpcap(void **state)
{
    struct totals t = {0};
    size_t n = corpus_files();

    (void)state;
    if (n == 0)
        fail_msg("no capture files under PF_CORPUS=%s",
                 getenv("PF_CORPUS") ? getenv("PF_CORPUS") : "(unset)");
    for (size_t i = 0; i < n; i++)
        t.failures += (unsigned)cmp_file(paths[i], &t);
    printf("SUMMARY: %u files, %u packets, %llu bytes compared; %u files "
           "rejected by both; %u known differences listed; %u mismatches\n",
           t.files, t.packets, t.bytes, t.rejected_both, t.known,
           t.failures);
    assert_true(n > 800);
    assert_int_equal(t.failures, 0);
}

/*
 * The link type table against libpcap's: for every DLT value libpcap
 * names, pfcap gives the same name and description for the corresponding
 * LINKTYPE value, and maps the name back to it.
 */
static void test_linktype_names_vs_libpcap(void **state)
{
    const char *name, *desc;
    int lt, named = 0;

    (void)state;
    for (int dlt = 0; dlt < 1024; dlt++) {
        name = pcap_datalink_val_to_name(dlt);
        lt = dlt_to_linktype(dlt);
        if (!name) {
            /* 100-103 and 106 are named under their DLT (11, 12, ...). */
            if (pf_linktype_name(lt) && lt == dlt &&
                !(dlt >= 100 && dlt <= 103) && dlt != 106)
                fail_msg("pfcap names %d (%s), libpcap does not", lt,
                         pf_linktype_name(lt));
            continue;
        }
        desc = pcap_datalink_val_to_description(dlt);
        if (!pf_linktype_name(lt) || strcmp(pf_linktype_name(lt), name))
            fail_msg("DLT %d: libpcap name %s, pfcap %s for LINKTYPE %d", dlt,
                     name, pf_linktype_name(lt), lt);
        assert_string_equal(pf_linktype_description(lt), desc);
        assert_int_equal(pf_linktype_from_name(name), lt);
        assert_int_equal(dlt_to_linktype(pcap_datalink_name_to_val(name)),
                         pf_linktype_from_name(name));
        named++;
    }
    printf("SUMMARY: %d link type names and descriptions equal libpcap's\n",
           named);
    assert_true(named > 140);
}

/*
 * Generated pcapng files on which pfcap deliberately goes further than
 * libpcap: the reason list above must explain each, and nothing else may
 * differ (packets before the point where libpcap stops are compared).
 */
static void test_known_differences(void **state)
{
    static struct tb b;
    struct totals t = {0};

    (void)state;
    memset(&b, 0, sizeof(b));
    tb_ng_shb(&b, 1, 0);
    tb_ng_idb(&b, 1, 0, 9, 0);
    tb_ng_epb(&b, 0, 5, 4, 4, 1);
    tb_ng_idb(&b, 113, 0, 9, 0);          /* second link type */
    tb_ng_epb(&b, 1, 6, 4, 4, 2);
    t.failures += (unsigned)cmp_mem("two link types", b.d, b.n, &t);

    memset(&b, 0, sizeof(b));
    tb_ng_shb(&b, 1, 0);
    tb_ng_idb(&b, 1, 100, 9, 0);
    tb_ng_idb(&b, 1, 200, 9, 0);          /* second snapshot length */
    tb_ng_epb(&b, 1, 6, 4, 4, 2);
    t.failures += (unsigned)cmp_mem("two snaplens", b.d, b.n, &t);

    memset(&b, 0, sizeof(b));
    tb_ng_shb(&b, 1, 0);
    tb_ng_idb(&b, 1, 0, 9, 0);
    tb_ng_epb(&b, 0, 5, 4, 4, 1);
    b.be = 1;                             /* next section big-endian */
    tb_ng_shb(&b, 1, 0);
    tb_ng_idb(&b, 1, 0, 9, 0);
    tb_ng_epb(&b, 0, 6, 4, 4, 2);
    t.failures += (unsigned)cmp_mem("byte order change", b.d, b.n, &t);
    assert_int_equal(t.failures, 0);
    assert_int_equal(t.known, 3);
}

/* xorshift64*: the damage generator, seeded from PF_TEST_SEED or time. */
static uint64_t rng_state;

static uint64_t rng(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 2685821657736338717ull;
}

static uint8_t *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf;
    long n;

    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    rewind(f);
    buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return buf;
}

/* One damaged copy of @orig: cut short, or with a few bytes overwritten. */
static size_t damage(const uint8_t *orig, size_t len, uint8_t *out, int kind)
{
    size_t n = len;

    memcpy(out, orig, len);
    if (kind == 0 && len)
        return (size_t)(rng() % len);
    for (int i = 0; i < 1 + kind % 3 && len; i++) {
        /* Header fields live near record starts: favour the first 200 B. */
        size_t at = rng() % 2 ? rng() % (len < 200 ? len : 200) : rng() % len;
        out[at] = (uint8_t)rng();
    }
    return n;
}

static void test_damaged_vs_libpcap(void **state)
{
    const char *env = getenv("PF_TEST_SEED");
    uint64_t seed = env ? strtoull(env, NULL, 0) : (uint64_t)time(NULL);
    struct totals t = {0};
    size_t count = corpus_files(), len, n;
    uint8_t *orig, *buf;
    char label[512];

    (void)state;
    printf("seed %llu (set PF_TEST_SEED to repeat)\n",
           (unsigned long long)seed);
    rng_state = seed * 0x9e3779b97f4a7c15ull + 1;
    assert_true(count > 0);
    for (size_t i = 0; i < count; i += 7) {
        orig = slurp(paths[i], &len);
        buf = malloc(len + 1);
        assert_non_null(buf);
        for (int kind = 0; kind < 12; kind++) {
            n = damage(orig, len, buf, kind % 4);
            snprintf(label, sizeof(label), "%s [damage %d, %zu bytes]",
                     paths[i], kind, n);
            t.failures += (unsigned)cmp_mem(label, buf, n, &t);
        }
        free(buf);
        free(orig);
    }
    printf("SUMMARY: %u damaged variants, %u packets compared, %u rejected "
           "at open by both, %u known differences; %u mismatches\n",
           t.files, t.packets, t.rejected_both, t.known, t.failures);
    assert_int_equal(t.failures, 0);
}

/* Writes a 32-bit value into a packet in the file's byte order. */
static void put_order32(uint8_t *p, uint32_t v, int be)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (be ? 24 - 8 * i : 8 * i));
}

/*
 * A random packet for a link type with a host-order pseudo-header, with
 * the fields libpcap looks at (SLL protocol, NFLOG version, USB transfer
 * type, event, endpoint, data flag, descriptor count, URB length) steered
 * so that every fix-up path is taken. Returns caplen; sets *len.
 */
static uint32_t pseudo_packet(uint8_t *d, uint32_t lt, int be, uint32_t *len)
{
    uint32_t caplen = (uint32_t)(rng() % 260), ndesc = (uint32_t)(rng() % 9);
    uint32_t urb = (uint32_t)(rng() % 100);

    for (uint32_t i = 0; i < 300; i++)
        d[i] = (uint8_t)rng();
    *len = caplen + (uint32_t)(rng() % 3) * (uint32_t)(rng() % 50);
    if (lt == 113) {
        d[14] = 0;
        d[15] = (uint8_t)(0x0b + rng() % 4);   /* CAN 0x0c, CANFD 0x0d */
    } else if (lt == 239) {
        d[1] = rng() % 4 ? 0 : 1;              /* version */
        for (int t = 4; t < 300; t += 8)       /* TLV length fields */
            put_order32(d + t, (uint32_t)(rng() % 12), be);
    } else {
        d[8] = rng() % 4 ? 'C' : 'S';
        d[9] = rng() % 3 ? 0 : 2;              /* isochronous or bulk */
        d[10] |= rng() % 4 ? 0x80 : 0;
        d[15] = rng() % 4 ? 0 : 1;             /* data_flag 0: data */
        put_order32(d + 60, ndesc, be);
        put_order32(d + 32, urb, be);
        for (uint32_t k = 0; k < ndesc; k++) {
            put_order32(d + 64 + 16 * k + 4, (uint32_t)(rng() % 300), be);
            put_order32(d + 64 + 16 * k + 8, (uint32_t)(rng() % 60), be);
        }
        if (rng() % 2)
            *len = 64 + 16 * ndesc + urb;      /* the length to fix */
        if (*len < caplen)
            *len = caplen;
    }
    return caplen;
}

/* pcap and pcapng files in both byte orders for each pseudo-header type. */
static void test_pseudo_headers_vs_libpcap(void **state)
{
    static const uint32_t lts[] = {113, 189, 220, 239};
    static struct tb b;
    static uint8_t d[300];
    struct totals t = {0};
    uint32_t caplen, len;
    char label[64];

    (void)state;
    rng_state = 0x5eed;
    for (int ng = 0; ng < 2; ng++) {
        for (int be = 0; be < 2; be++) {
            for (size_t l = 0; l < 4; l++) {
                memset(&b, 0, sizeof(b));
                b.be = be;
                if (ng) {
                    tb_ng_shb(&b, 1, 0);
                    tb_ng_idb(&b, (uint16_t)lts[l], 0, -1, 0);
                } else {
                    tb_pcap_header(&b, 0xa1b2c3d4, 2, 4, 65535, lts[l]);
                }
                for (int i = 0; i < 40; i++) {
                    caplen = pseudo_packet(d, lts[l], be, &len);
                    if (ng) {
                        size_t s0 = tb_ng_begin(&b, 6, 1);
                        tb_u32(&b, 0);
                        tb_u32(&b, 0);
                        tb_u32(&b, (uint32_t)i);
                        tb_u32(&b, caplen);
                        tb_u32(&b, len);
                        memcpy(b.d + b.n, d, caplen);
                        b.n += caplen;
                        tb_ng_end(&b, s0);
                    } else {
                        tb_pcap_record(&b, (uint32_t)i, 0, 0, len, 0);
                        b.n -= 8;
                        tb_u32(&b, caplen);
                        tb_u32(&b, len);
                        memcpy(b.d + b.n, d, caplen);
                        b.n += caplen;
                    }
                }
                snprintf(label, sizeof(label), "%s link type %u, %s",
                         ng ? "pcapng" : "pcap", lts[l],
                         be ? "big-endian" : "little-endian");
                t.failures += (unsigned)cmp_mem(label, b.d, b.n, &t);
            }
        }
    }
    printf("SUMMARY: %u pseudo-header packets (SLL CAN, USB, USB mmapped, "
           "NFLOG) equal libpcap's; %u mismatches\n", t.packets, t.failures);
    assert_int_equal(t.failures, 0);
    assert_int_equal(t.packets, 16 * 40);
}

/* Writer round trip through libpcap: see write_and_check below. */
struct wcase {
    enum pf_file_format format;
    const char *suffix;
};

/* Reads @src with pfcap and writes it to @dst in @fmt; returns packets. */
static long write_copy(const char *src, const char *dst,
                       enum pf_file_format fmt)
{
    struct pf_pcap_writer_opts o = {.sz = sizeof(o), .format = fmt};
    struct pf_pcap_reader *r;
    struct pf_pcap_writer *w;
    struct pf_packet pk;
    struct pf_error err;
    long n = 0;
    int rc;

    pf_error_init(&err);
    if (pf_pcap_reader_open(src, &r, &err) < 0)
        return -1;
    o.linktype = (uint32_t)pf_pcap_reader_linktype(r);
    o.snaplen = pf_pcap_reader_snaplen(r);
    assert_int_equal(pf_pcap_writer_open(dst, &o, &w, &err), 0);
    while ((rc = pf_pcap_reader_next(r, &pk, &err)) == 1) {
        if (pf_pcap_writer_write(w, &pk, &err) < 0) {
            rc = -1;   /* e.g. mixed link types in a classic pcap file */
            break;
        }
        n++;
    }
    assert_int_equal(pf_pcap_writer_close(w, &err), 0);
    pf_pcap_reader_close(r);
    return rc == 0 ? n : -1;
}

/* Reads @dst with libpcap and checks it against @src read by pfcap. */
static long check_copy(const char *src, const char *dst,
                       enum pf_file_format fmt)
{
    char ebuf[PCAP_ERRBUF_SIZE];
    pcap_t *p = pcap_open_offline_with_tstamp_precision(
        dst, PCAP_TSTAMP_PRECISION_NANO, ebuf);
    struct pf_pcap_reader *r;
    struct pf_packet pk;
    struct pf_error err;
    struct pcap_pkthdr *h;
    const u_char *d;
    long n = 0;
    long long want_ns;

    pf_error_init(&err);
    if (!p)
        fail_msg("libpcap cannot read %s written from %s: %s", dst, src, ebuf);
    assert_int_equal(pf_pcap_reader_open(src, &r, &err), 0);
    while (pf_pcap_reader_next(r, &pk, &err) == 1) {
        assert_int_equal(pcap_next_ex(p, &h, &d), 1);
        want_ns = fmt == PF_FILE_PCAP ? pk.ts_nsec / 1000 * 1000 : pk.ts_nsec;
        assert_int_equal(h->caplen, pk.caplen);
        assert_int_equal(h->len, pk.wirelen);
        assert_int_equal((int32_t)h->ts.tv_sec, (int32_t)pk.ts_sec);
        assert_int_equal(h->ts.tv_usec, want_ns);
        assert_memory_equal(d, pk.data, pk.caplen);
        assert_int_equal(dlt_to_linktype(pcap_datalink(p)), (int)pk.linktype);
        n++;
    }
    assert_int_equal(pcap_next_ex(p, &h, &d), -2);
    pcap_close(p);
    pf_pcap_reader_close(r);
    return n;
}

static void test_writer_read_by_libpcap(void **state)
{
    static const struct wcase cases[] = {
        {PF_FILE_PCAP, "pcap"},
        {PF_FILE_PCAP_NSEC, "nsec.pcap"},
        {PF_FILE_PCAPNG, "pcapng"},
    };
    char dst[256];
    long total = 0, n, files = 0;
    size_t count = corpus_files();

    (void)state;
    assert_true(count > 0);
    /* Every 8th corpus file that reads cleanly and has one link type. */
    for (size_t i = 0; i < count; i += 8) {
        for (size_t c = 0; c < 3; c++) {
            snprintf(dst, sizeof(dst), "/tmp/pfcap-diff-%d.%s", (int)getpid(),
                     cases[c].suffix);
            n = write_copy(paths[i], dst, cases[c].format);
            if (n >= 0)
                total += check_copy(paths[i], dst, cases[c].format);
            unlink(dst);
            if (n < 0)
                break;
            files += c == 0;
        }
    }
    printf("SUMMARY: %ld corpus files written as pcap, pcap-ns and pcapng; "
           "%ld packets read back by libpcap\n", files, total);
    assert_true(files > 50);
    assert_true(total > 1000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_corpus_vs_libpcap),
        cmocka_unit_test(test_linktype_names_vs_libpcap),
        cmocka_unit_test(test_known_differences),
        cmocka_unit_test(test_pseudo_headers_vs_libpcap),
        cmocka_unit_test(test_damaged_vs_libpcap),
        cmocka_unit_test(test_writer_read_by_libpcap),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);

    for (size_t i = 0; i < n_paths; i++)
        free(paths[i]);
    free(paths);
    return rc;
}
