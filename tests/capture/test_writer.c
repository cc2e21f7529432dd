/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Unit tests of the capture file writer: pcap (us, ns) and pcapng files
 * written from generated packets and from corpus packets are read back
 * with pfcap's reader (same packets; microsecond files truncate the
 * nanoseconds) and counted by capinfos and tshark when they are installed;
 * pcapng gets one interface per link type; buffering and packet-buffered
 * mode; write errors (ENOSPC on /dev/full, EFBIG from RLIMIT_FSIZE) give
 * a clear error and leave a file that still reads cleanly.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include <pfcap/capture.h>

#define N_PKTS 50

static uint8_t payload[2000];

/* Packet @i: caplen varies, timestamps with odd nanoseconds. */
static struct pf_packet make_packet(int i, uint32_t linktype)
{
    struct pf_packet p = {
        .data = payload + i,
        .caplen = (uint32_t)(i * 37 % 1500),
        .wirelen = (uint32_t)(i * 37 % 1500 + i % 3),
        .ts_sec = 1700000000 + i,
        .ts_nsec = (uint32_t)(i * 123456789u % 1000000000u),
        .linktype = linktype,
    };
    return p;
}

static char *tmp_path(const char *suffix)
{
    static char buf[4][128];
    static int k;

    k = (k + 1) % 4;
    snprintf(buf[k], sizeof(buf[k]), "/tmp/pfcap-writer-%d-%s", (int)getpid(),
             suffix);
    return buf[k];
}

static void write_file(const char *path, enum pf_file_format fmt,
                       int mixed, int packet_buffered, size_t bufsize)
{
    struct pf_pcap_writer_opts o = {
        .sz = sizeof(o), .format = fmt, .linktype = 1,
        .packet_buffered = packet_buffered, .buffer_size = bufsize,
    };
    struct pf_pcap_writer *w;
    struct pf_packet p;
    struct pf_error err;
    struct stat st;

    pf_error_init(&err);
    assert_int_equal(pf_pcap_writer_open(path, &o, &w, &err), 0);
    for (int i = 0; i < N_PKTS; i++) {
        p = make_packet(i, mixed && i % 2 ? 101 : 1);
        if (pf_pcap_writer_write(w, &p, &err) != 0)
            fail_msg("write %d: %s", i, err.msg);
        if (packet_buffered) {   /* on disk already */
            assert_int_equal(stat(path, &st), 0);
            assert_int_equal((uint64_t)st.st_size, pf_pcap_writer_bytes(w));
        }
    }
    if (!packet_buffered && bufsize == 0) {   /* all still in the buffer */
        assert_int_equal(stat(path, &st), 0);
        assert_int_equal(st.st_size, 0);
    }
    assert_int_equal(pf_pcap_writer_flush(w, &err), 0);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal((uint64_t)st.st_size, pf_pcap_writer_bytes(w));
    assert_int_equal(pf_pcap_writer_close(w, &err), 0);
}

/* Reads @path back and checks every packet against make_packet. */
static void read_back(const char *path, enum pf_file_format fmt, int mixed)
{
    struct pf_pcap_reader *r;
    struct pf_packet p, want;
    struct pf_error err;

    pf_error_init(&err);
    assert_int_equal(pf_pcap_reader_open(path, &r, &err), 0);
    assert_int_equal(pf_pcap_reader_format(r), fmt);
    assert_int_equal(pf_pcap_reader_snaplen(r), 262144);
    for (int i = 0; i < N_PKTS; i++) {
        want = make_packet(i, mixed && i % 2 ? 101 : 1);
        assert_int_equal(pf_pcap_reader_next(r, &p, &err), 1);
        assert_int_equal(p.caplen, want.caplen);
        assert_int_equal(p.wirelen, want.wirelen);
        assert_int_equal(p.ts_sec, want.ts_sec);
        assert_int_equal(p.ts_nsec, fmt == PF_FILE_PCAP
                                        ? want.ts_nsec / 1000 * 1000
                                        : want.ts_nsec);
        assert_int_equal(p.linktype, want.linktype);
        assert_int_equal(p.ifindex, fmt == PF_FILE_PCAPNG && want.linktype
                                        == 101 ? 1 : 0);
        assert_memory_equal(p.data, want.data, want.caplen);
    }
    assert_int_equal(pf_pcap_reader_next(r, &p, &err), 0);
    pf_pcap_reader_close(r);
}

/* Runs @cmd and returns the first number on its output, or -1. */
static long run_count(const char *cmd)
{
    FILE *f = popen(cmd, "r");
    long n = -1;

    if (!f)
        return -1;
    if (fscanf(f, "%ld", &n) != 1)
        n = -1;
    pclose(f);
    return n;
}

static int have_tool(const char *name)
{
    char cmd[128];

    snprintf(cmd, sizeof(cmd), "command -v %s >/dev/null 2>&1", name);
    return system(cmd) == 0;
}

/* capinfos and tshark must see every packet of @path. */
static void external_tools_count(const char *path, long want)
{
    char cmd[512];

    if (!have_tool("capinfos") || !have_tool("tshark")) {
        printf("SKIPPING capinfos/tshark checks: tool not installed\n");
        return;
    }
    snprintf(cmd, sizeof(cmd),
             "capinfos -c -M '%s' 2>/dev/null | sed -n "
             "'s/^Number of packets: *//p'", path);
    assert_int_equal(run_count(cmd), want);
    snprintf(cmd, sizeof(cmd), "tshark -n -r '%s' 2>/dev/null | wc -l", path);
    assert_int_equal(run_count(cmd), want);
}

static void test_write_formats(void **state)
{
    static const struct {
        enum pf_file_format fmt;
        const char *suffix;
    } cases[] = {
        {PF_FILE_PCAP, "us.pcap"},
        {PF_FILE_PCAP_NSEC, "ns.pcap"},
        {PF_FILE_PCAPNG, "x.pcapng"},
    };

    (void)state;
    for (size_t c = 0; c < 3; c++) {
        const char *path = tmp_path(cases[c].suffix);

        write_file(path, cases[c].fmt, 0, 0, 0);
        read_back(path, cases[c].fmt, 0);
        external_tools_count(path, N_PKTS);
        unlink(path);
    }
}

static void test_write_pcapng_mixed_linktypes(void **state)
{
    const char *path = tmp_path("mixed.pcapng");

    (void)state;
    write_file(path, PF_FILE_PCAPNG, 1, 1, 0);
    read_back(path, PF_FILE_PCAPNG, 1);
    external_tools_count(path, N_PKTS);
    unlink(path);
}

static void test_write_small_buffer(void **state)
{
    const char *path = tmp_path("small.pcap");

    (void)state;
    write_file(path, PF_FILE_PCAP_NSEC, 0, 0, 100);   /* records > buffer */
    read_back(path, PF_FILE_PCAP_NSEC, 0);
    unlink(path);
}

static void test_write_rejects(void **state)
{
    struct pf_pcap_writer_opts o = {.sz = sizeof(o), .format = PF_FILE_PCAP,
                                    .linktype = 1};
    const char *path = tmp_path("reject.pcap");
    struct pf_pcap_writer *w;
    struct pf_packet p = make_packet(3, 113);
    struct pf_error err;

    (void)state;
    pf_error_init(&err);
    assert_int_equal(pf_pcap_writer_open(path, &o, &w, &err), 0);
    assert_int_equal(pf_pcap_writer_write(w, &p, &err), -EINVAL);
    assert_non_null(strstr(err.msg, "link type 113"));
    pf_error_init(&err);
    p = make_packet(3, 1);
    p.ts_nsec = 1000000000;
    assert_int_equal(pf_pcap_writer_write(w, &p, &err), -EINVAL);
    assert_int_equal(pf_pcap_writer_close(w, &err), 0);
    unlink(path);
    o.sz = 4;
    pf_error_init(&err);
    assert_int_equal(pf_pcap_writer_open(path, &o, &w, &err), -EINVAL);
    o.sz = sizeof(o);
    pf_error_init(&err);
    assert_int_equal(pf_pcap_writer_open("/nonexistent/dir/x.pcap", &o, &w,
                                         &err), -ENOENT);
    assert_non_null(strstr(err.msg, "/nonexistent/dir/x.pcap"));
    assert_int_equal(pf_pcap_writer_close(NULL, &err), 0);
}

static void test_write_enospc(void **state)
{
    struct pf_pcap_writer_opts o = {.sz = sizeof(o), .format = PF_FILE_PCAPNG,
                                    .linktype = 1};
    struct pf_pcap_writer *w;
    struct pf_packet p = make_packet(5, 1);
    struct pf_error err;

    (void)state;
    if (access("/dev/full", W_OK) != 0) {
        printf("SKIPPING /dev/full test: /dev/full is not writable here\n");
        return;
    }
    pf_error_init(&err);
    assert_int_equal(pf_pcap_writer_open("/dev/full", &o, &w, &err), 0);
    assert_int_equal(pf_pcap_writer_write(w, &p, &err), 0);   /* buffered */
    assert_int_equal(pf_pcap_writer_flush(w, &err), -ENOSPC);
    assert_int_equal(err.stage, PF_STAGE_FILE);
    assert_non_null(strstr(err.msg, "/dev/full: write failed"));
    assert_non_null(strstr(err.msg, "No space left on device"));
    pf_error_init(&err);
    assert_int_equal(pf_pcap_writer_write(w, &p, &err), -ENOSPC); /* sticky */
    pf_error_init(&err);
    assert_int_equal(pf_pcap_writer_close(w, &err), -ENOSPC);
    /* Packet-buffered: the first write reports it. */
    o.packet_buffered = 1;
    pf_error_init(&err);
    assert_int_equal(pf_pcap_writer_open("/dev/full", &o, &w, &err), 0);
    assert_int_equal(pf_pcap_writer_write(w, &p, &err), -ENOSPC);
    pf_error_init(&err);
    assert_int_equal(pf_pcap_writer_close(w, &err), -ENOSPC);
}

/*
 * A file that hits its size limit mid-record: the error is reported and
 * the file is cut back to the last complete flush, so it still reads.
 */
static void test_write_efbig_keeps_valid_file(void **state)
{
    struct pf_pcap_writer_opts o = {.sz = sizeof(o), .format = PF_FILE_PCAP,
                                    .linktype = 1, .packet_buffered = 1};
    const char *path = tmp_path("efbig.pcap");
    struct rlimit old, lim;
    struct pf_pcap_writer *w;
    struct pf_pcap_reader *r;
    struct pf_packet p;
    struct pf_error err;
    void (*old_handler)(int) = signal(SIGXFSZ, SIG_IGN);
    int i, rc = 0, n = 0;

    (void)state;
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
    lim = old;
    lim.rlim_cur = 10000;
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
    pf_error_init(&err);
    assert_int_equal(pf_pcap_writer_open(path, &o, &w, &err), 0);
    for (i = 0; i < N_PKTS && rc == 0; i++) {
        p = make_packet(i, 1);
        rc = pf_pcap_writer_write(w, &p, &err);
    }
    pf_pcap_writer_close(w, NULL);
    setrlimit(RLIMIT_FSIZE, &old);
    signal(SIGXFSZ, old_handler);
    assert_int_equal(rc, -EFBIG);
    assert_non_null(strstr(err.msg, "write failed"));
    pf_error_init(&err);
    assert_int_equal(pf_pcap_reader_open(path, &r, &err), 0);
    while ((rc = pf_pcap_reader_next(r, &p, &err)) == 1)
        n++;
    assert_int_equal(rc, 0);        /* clean end: no partial record */
    assert_int_equal(n, i - 1);     /* every packet before the failed one */
    assert_true(pf_pcap_reader_size(r) <= 10000);
    pf_pcap_reader_close(r);
    unlink(path);
}

/* Corpus packets through every output format, read back by pfcap. */
static void test_write_corpus_file(void **state)
{
    static const enum pf_file_format fmts[] = {PF_FILE_PCAP, PF_FILE_PCAP_NSEC,
                                               PF_FILE_PCAPNG};
    const char *corpus = getenv("PF_CORPUS");
    char src[512];
    const char *dst = tmp_path("corpus.out");
    struct pf_pcap_writer_opts o = {.sz = sizeof(o)};
    struct pf_pcap_reader *r, *back;
    struct pf_pcap_writer *w;
    struct pf_packet p, q;
    struct pf_error err;
    long n;

    (void)state;
    assert_non_null(corpus);
    snprintf(src, sizeof(src), "%s/libpcap/filter/vxlan.pcap", corpus);
    for (size_t f = 0; f < 3; f++) {
        pf_error_init(&err);
        assert_int_equal(pf_pcap_reader_open(src, &r, &err), 0);
        o.format = fmts[f];
        o.linktype = (uint32_t)pf_pcap_reader_linktype(r);
        assert_int_equal(pf_pcap_writer_open(dst, &o, &w, &err), 0);
        for (n = 0; pf_pcap_reader_next(r, &p, &err) == 1; n++)
            assert_int_equal(pf_pcap_writer_write(w, &p, &err), 0);
        assert_int_equal(pf_pcap_writer_close(w, &err), 0);
        pf_pcap_reader_close(r);
        assert_true(n > 0);
        assert_int_equal(pf_pcap_reader_open(src, &r, &err), 0);
        assert_int_equal(pf_pcap_reader_open(dst, &back, &err), 0);
        while (pf_pcap_reader_next(r, &p, &err) == 1) {
            assert_int_equal(pf_pcap_reader_next(back, &q, &err), 1);
            assert_int_equal(p.caplen, q.caplen);
            assert_int_equal(p.wirelen, q.wirelen);
            assert_int_equal(p.ts_sec, q.ts_sec);
            assert_memory_equal(p.data, q.data, p.caplen);
        }
        assert_int_equal(pf_pcap_reader_next(back, &q, &err), 0);
        pf_pcap_reader_close(back);
        pf_pcap_reader_close(r);
        external_tools_count(dst, n);
        unlink(dst);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_write_formats),
        cmocka_unit_test(test_write_pcapng_mixed_linktypes),
        cmocka_unit_test(test_write_small_buffer),
        cmocka_unit_test(test_write_rejects),
        cmocka_unit_test(test_write_enospc),
        cmocka_unit_test(test_write_efbig_keeps_valid_file),
        cmocka_unit_test(test_write_corpus_file),
    };

    for (size_t i = 0; i < sizeof(payload); i++)
        payload[i] = (uint8_t)(i * 7 + 3);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
