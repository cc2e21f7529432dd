/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Unit tests of live capture's parts that need no socket: ring geometry,
 * packet conversion from a hand-built TPACKET_V3 block (VLAN tag put back,
 * lengths, timestamps, direction), tcpdump's rotation file names, the -D
 * line format, option names, and the --merge queues (timestamp order, hold
 * time, wrap-around, back-pressure).
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
#include <unistd.h>
#include <sys/stat.h>

#include <cmocka.h>
#include <linux/if_packet.h>

#include "capture/live_impl.h"

static void test_layout_default(void **state)
{
    struct pf_ring_layout lay;

    (void)state;
    pf_ring_layout_compute(262144, 0, 0, 0, &lay);
    /* One 64 KiB packet plus headers fits; blocks are powers of two. */
    assert_true(lay.block_size >= PF_RING_MAX_FRAME + 48);
    assert_int_equal(lay.block_size & (lay.block_size - 1), 0);
    assert_int_equal((uint64_t)lay.block_size * lay.block_nr,
                     PF_LIVE_DEFAULT_BUFFER);
    assert_int_equal(lay.block_size % lay.frame_size, 0);
    assert_int_equal(lay.frame_size % TPACKET_ALIGNMENT, 0);
    assert_int_equal(lay.frame_nr,
                     (lay.block_size / lay.frame_size) * lay.block_nr);
    assert_int_equal(lay.timeout_ms, PF_LIVE_DEFAULT_TIMEOUT_MS);
}

static void test_layout_small(void **state)
{
    struct pf_ring_layout lay;

    (void)state;
    /* -B 64 (KiB) is less than one block: four blocks at least. */
    pf_ring_layout_compute(96, 64 * 1024, 1, 0, &lay);
    assert_int_equal(lay.block_size, PF_RING_MIN_BLOCK);
    assert_int_equal(lay.block_nr, 4);
    assert_int_equal(lay.timeout_ms, PF_LIVE_IMMEDIATE_TIMEOUT_MS);
    assert_int_equal(lay.block_size % lay.frame_size, 0);
    /* Immediate mode without -B: the default ring, many blocks. */
    pf_ring_layout_compute(262144, 0, 1, 7, &lay);
    assert_int_equal((uint64_t)lay.block_size * lay.block_nr,
                     PF_LIVE_DEFAULT_BUFFER);
    assert_true(lay.block_nr >= 64);
    assert_int_equal(lay.timeout_ms, 7);
}

/* Builds one ring packet: header, sockaddr_ll, then @len bytes at tp_mac
 * (leaving the headroom PACKET_RESERVE would). */
static uint8_t *make_ring_pkt(uint8_t *buf, const uint8_t *frame,
                              uint32_t len, uint32_t status, uint16_t tci,
                              uint16_t tpid, uint8_t pkttype)
{
    struct tpacket3_hdr *h = (struct tpacket3_hdr *)buf;
    struct sockaddr_ll *sll =
        (struct sockaddr_ll *)(buf + TPACKET_ALIGN(sizeof(*h)));
    uint32_t mac = TPACKET_ALIGN(TPACKET3_HDRLEN) + 16;

    memset(buf, 0, 512);
    h->tp_mac = mac;
    h->tp_snaplen = len;
    h->tp_len = len + 100;
    h->tp_sec = 1700000000;
    h->tp_nsec = 123456789;
    h->tp_status = TP_STATUS_USER | status;
    h->hv1.tp_vlan_tci = tci;
    h->hv1.tp_vlan_tpid = tpid;
    sll->sll_pkttype = pkttype;
    memcpy(buf + mac, frame, len);
    return buf;
}

static const uint8_t frame[20] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
                                  0x08, 0x00, 0x45, 0, 0, 20, 0, 0};

static void test_packet_plain(void **state)
{
    uint8_t buf[512];
    struct pf_packet pkt;
    int type;

    (void)state;
    make_ring_pkt(buf, frame, sizeof(frame), 0, 0, 0, PACKET_OUTGOING);
    type = pf_ring_packet(buf, 1, UINT32_MAX, 262144, 1, &pkt);
    assert_int_equal(type, PACKET_OUTGOING);
    assert_int_equal(pkt.caplen, 20);
    assert_int_equal(pkt.wirelen, 120);
    assert_int_equal(pkt.ts_sec, 1700000000);
    assert_int_equal(pkt.ts_nsec, 123456789);
    assert_int_equal(pkt.linktype, 1);
    assert_memory_equal(pkt.data, frame, sizeof(frame));
    /* Snapshot length and a user-space verdict both cut. */
    pf_ring_packet(buf, 1, UINT32_MAX, 14, 1, &pkt);
    assert_int_equal(pkt.caplen, 14);
    pf_ring_packet(buf, 1, 10, 262144, 1, &pkt);
    assert_int_equal(pkt.caplen, 10);
}

static void test_packet_vlan(void **state)
{
    static const uint8_t want[24] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
                                     0x88, 0xa8, 0x20, 0x64, 0x08, 0x00,
                                     0x45, 0, 0, 20, 0, 0};
    uint8_t buf[512];
    struct pf_packet pkt;
    const uint8_t *view;
    uint32_t wl;

    (void)state;
    make_ring_pkt(buf, frame, sizeof(frame),
                  TP_STATUS_VLAN_VALID | TP_STATUS_VLAN_TPID_VALID, 0x2064,
                  0x88a8, PACKET_HOST);
    /* The kernel's view (what a user-space filter sees) is untagged. */
    assert_int_equal(pf_ring_view(buf, &view, &wl), 20);
    assert_memory_equal(view, frame, sizeof(frame));
    pf_ring_packet(buf, 1, UINT32_MAX, 262144, 1, &pkt);
    assert_int_equal(pkt.caplen, 24);
    assert_int_equal(pkt.wirelen, 124);
    assert_memory_equal(pkt.data, want, sizeof(want));
}

static void test_packet_vlan_default_tpid(void **state)
{
    uint8_t buf[512];
    struct pf_packet pkt;

    (void)state;
    /* A tag with no TPID flag is 802.1Q; a verdict of 14 bytes keeps 14
     * of the untagged packet, 18 once the tag is back. */
    make_ring_pkt(buf, frame, sizeof(frame), TP_STATUS_VLAN_VALID, 5, 0,
                  PACKET_HOST);
    pf_ring_packet(buf, 1, 14, 262144, 1, &pkt);
    assert_int_equal(pkt.caplen, 18);
    assert_int_equal(pkt.data[12], 0x81);
    assert_int_equal(pkt.data[13], 0x00);
    assert_int_equal(pkt.data[15], 5);
    /* Not Ethernet: no tag is inserted. */
    make_ring_pkt(buf, frame, sizeof(frame), TP_STATUS_VLAN_VALID, 5, 0,
                  PACKET_HOST);
    pf_ring_packet(buf, 0, UINT32_MAX, 262144, 101, &pkt);
    assert_int_equal(pkt.caplen, 20);
    assert_memory_equal(pkt.data, frame, sizeof(frame));
}

static void test_rotate_names(void **state)
{
    char buf[64];
    time_t t = 86400 * 365;
    struct tm tm;
    char want[64];

    (void)state;
    assert_int_equal(pf_live_rotate_name("x.pcap", 0, 0, 0, 0, buf,
                                         sizeof(buf)), 0);
    assert_string_equal(buf, "x.pcap");
    assert_int_equal(pf_live_rotate_name("x.pcap", 0, 0, 3, 0, buf,
                                         sizeof(buf)), 0);
    assert_string_equal(buf, "x.pcap3");
    assert_int_equal(pf_live_rotate_name("x", 0, 0, 0, 2, buf, sizeof(buf)),
                     0);
    assert_string_equal(buf, "x00");
    assert_int_equal(pf_live_rotate_name("x-%Y%m%d", 1, t, 0, 0, buf,
                                         sizeof(buf)), 0);
    localtime_r(&t, &tm);
    strftime(want, sizeof(want), "x-%Y%m%d", &tm);
    assert_string_equal(buf, want);
    assert_int_equal(pf_live_rotate_name("0123456789", 0, 0, 12345, 0, buf,
                                         12), -ENAMETOOLONG);
}

static int file_exists(const char *dir, const char *name)
{
    char path[512];
    struct stat st;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    return stat(path, &st) == 0;
}

static void rotate_opts(struct pf_live_rotate_opts *ro, const char *path)
{
    memset(ro, 0, sizeof(*ro));
    ro->sz = sizeof(*ro);
    ro->path = path;
    ro->writer.sz = sizeof(ro->writer);
    ro->writer.format = PF_FILE_PCAP;
    ro->writer.linktype = 1;
    ro->writer.buffer_size = 4096;
}

static void test_rotate_size_ring(void **state)
{
    char dir[] = "/tmp/pf-live-rot-XXXXXX", tmpl[256];
    struct pf_live_rotate_opts ro;
    struct pf_live_rotate *r;
    uint8_t data[300] = {0};
    struct pf_packet pkt = {.data = data, .caplen = sizeof(data),
                            .wirelen = sizeof(data), .linktype = 1};
    int i;

    (void)state;
    assert_non_null(mkdtemp(dir));
    snprintf(tmpl, sizeof(tmpl), "%s/x", dir);
    rotate_opts(&ro, tmpl);
    ro.bytes = 1000;      /* -C in bytes */
    ro.files = 3;         /* -W 3: names x0 x1 x2, reused */
    assert_int_equal(pf_live_rotate_open(&ro, 0, &r, NULL), 0);
    assert_true(file_exists(dir, "x0"));
    /* 24 + 4 * 316 > 1000: the fifth packet starts x1. */
    for (i = 0; i < 4; i++)
        assert_int_equal(pf_live_rotate_write(r, &pkt, 0, NULL), 0);
    assert_false(file_exists(dir, "x1"));
    assert_int_equal(pf_live_rotate_write(r, &pkt, 0, NULL), 0);
    assert_true(file_exists(dir, "x1"));
    for (i = 0; i < 8; i++)
        assert_int_equal(pf_live_rotate_write(r, &pkt, 0, NULL), 0);
    assert_true(file_exists(dir, "x2"));
    assert_false(file_exists(dir, "x3"));
    assert_false(file_exists(dir, "x"));
    assert_int_equal(pf_live_rotate_close(r, NULL), 0);
    for (i = 0; i < 3; i++) {
        char name[8];
        snprintf(name, sizeof(name), "x%d", i);
        snprintf(tmpl, sizeof(tmpl), "%s/%s", dir, name);
        unlink(tmpl);
    }
    rmdir(dir);
}

static void test_rotate_time(void **state)
{
    char dir[] = "/tmp/pf-live-rot-XXXXXX", tmpl[256], name[64];
    struct pf_live_rotate_opts ro;
    struct pf_live_rotate *r;

    (void)state;
    assert_non_null(mkdtemp(dir));
    snprintf(tmpl, sizeof(tmpl), "%s/g-%%s", dir);
    rotate_opts(&ro, tmpl);
    ro.secs = 10;         /* -G 10 */
    ro.files = 2;         /* -W 2: stop after two files */
    assert_int_equal(pf_live_rotate_open(&ro, 1000, &r, NULL), 0);
    assert_true(file_exists(dir, "g-1000"));
    assert_int_equal(pf_live_rotate_tick(r, 1009, NULL), 0);
    assert_false(file_exists(dir, "g-1009"));
    /* No packet needed: time alone opens the next file. */
    assert_int_equal(pf_live_rotate_tick(r, 1010, NULL), 0);
    assert_true(file_exists(dir, "g-1010"));
    assert_int_equal(pf_live_rotate_tick(r, 1021, NULL), 1);
    assert_false(file_exists(dir, "g-1021"));
    assert_int_equal(pf_live_rotate_close(r, NULL), 0);
    snprintf(name, sizeof(name), "g-1000");
    snprintf(tmpl, sizeof(tmpl), "%s/%s", dir, name);
    unlink(tmpl);
    snprintf(tmpl, sizeof(tmpl), "%s/g-1010", dir);
    unlink(tmpl);
    assert_int_equal(rmdir(dir), 0);
}

static void test_iface_format(void **state)
{
    struct pf_live_iface a = {.name = "eth0",
                              .flags = PF_LIVE_IF_UP | PF_LIVE_IF_RUNNING,
                              .link = PF_LIVE_LINK_CONNECTED};
    struct pf_live_iface b = {.name = "lo",
                              .flags = PF_LIVE_IF_UP | PF_LIVE_IF_RUNNING |
                                       PF_LIVE_IF_LOOPBACK,
                              .link = PF_LIVE_LINK_NOT_APPLICABLE};
    struct pf_live_iface c = {.name = "vb",
                              .link = PF_LIVE_LINK_DISCONNECTED};
    char buf[128];

    (void)state;
    pf_live_iface_format(&a, buf, sizeof(buf));
    assert_string_equal(buf, "eth0 [Up, Running, Connected]");
    pf_live_iface_format(&b, buf, sizeof(buf));
    assert_string_equal(buf, "lo [Up, Running, Loopback]");
    pf_live_iface_format(&c, buf, sizeof(buf));
    assert_string_equal(buf, "vb [none, Disconnected]");
}

static void test_names(void **state)
{
    enum pf_live_fanout f;
    enum pf_live_direction d;

    (void)state;
    assert_int_equal(pf_live_fanout_from_name("cpu", &f), 0);
    assert_int_equal(f, PACKET_FANOUT_CPU);
    assert_int_equal(pf_live_fanout_from_name("qm", &f), 0);
    assert_int_equal(f, PACKET_FANOUT_QM);
    assert_int_equal(pf_live_fanout_from_name("rr", &f), -EINVAL);
    assert_int_equal(pf_live_direction_from_name("out", &d), 0);
    assert_int_equal(d, PF_LIVE_OUT);
    assert_int_equal(pf_live_direction_from_name("both", &d), -EINVAL);
}

struct merged {
    int64_t ts[256];
    uint8_t first[256];
    int n;
};

static int collect(void *user, const struct pf_packet *pkt)
{
    struct merged *m = user;

    assert_true(m->n < 256);
    m->ts[m->n] = pkt->ts_sec * 1000000000 + pkt->ts_nsec;
    m->first[m->n] = pkt->data[0];
    m->n++;
    return 0;
}

static void push(struct pf_live_merge_queue *q, int64_t sec, uint8_t tag)
{
    uint8_t data[100];
    struct pf_packet pkt = {.data = data, .caplen = sizeof(data),
                            .wirelen = 100, .ts_sec = sec, .linktype = 1};

    memset(data, tag, sizeof(data));
    assert_int_equal(pf_live_merge_push(q, &pkt), 0);
}

static void test_merge_order(void **state)
{
    struct pf_live_merge *m;
    struct merged got = {0};

    (void)state;
    assert_int_equal(pf_live_merge_new(2, 0, &m), 0);
    push(pf_live_merge_queue(m, 0), 10, 'a');
    push(pf_live_merge_queue(m, 0), 30, 'c');
    push(pf_live_merge_queue(m, 1), 20, 'b');
    /* Queue 1 runs dry after 20 and its worker may still push: 30 (from
     * 1970, far older than the hold time) is released anyway. */
    assert_int_equal(pf_live_merge_run(m, 0, collect, &got), 0);
    assert_int_equal(got.n, 3);
    assert_int_equal(got.first[0], 'a');
    assert_int_equal(got.first[1], 'b');
    assert_int_equal(got.first[2], 'c');
    /* A packet from now is held while another queue is empty... */
    push(pf_live_merge_queue(m, 1), time(NULL) + 5, 'd');
    assert_int_equal(pf_live_merge_run(m, 0, collect, &got), 0);
    assert_int_equal(got.n, 3);
    assert_true(pf_live_merge_idle(m));
    /* ...until the empty queue's watermark passes it... */
    pf_live_merge_queue_mark(pf_live_merge_queue(m, 0),
                             ((int64_t)time(NULL) + 4) * 1000000000);
    assert_int_equal(pf_live_merge_run(m, 0, collect, &got), 0);
    assert_int_equal(got.n, 3);
    pf_live_merge_queue_mark(pf_live_merge_queue(m, 0),
                             ((int64_t)time(NULL) + 6) * 1000000000);
    assert_int_equal(pf_live_merge_run(m, 0, collect, &got), 0);
    assert_int_equal(got.n, 4);
    /* ...or its worker is done. */
    push(pf_live_merge_queue(m, 1), time(NULL) + 9, 'e');
    assert_int_equal(pf_live_merge_run(m, 0, collect, &got), 0);
    assert_int_equal(got.n, 4);
    pf_live_merge_queue_done(pf_live_merge_queue(m, 0));
    assert_int_equal(pf_live_merge_run(m, 0, collect, &got), 0);
    assert_int_equal(got.n, 5);
    assert_int_equal(got.first[4], 'e');
    pf_live_merge_free(m);
}

static void test_merge_wrap(void **state)
{
    static uint8_t big[200000];
    struct pf_live_merge *m;
    struct merged got = {0};
    struct pf_packet pkt = {.data = big, .caplen = sizeof(big),
                            .wirelen = sizeof(big), .linktype = 1};
    int i, pushed = 0;

    (void)state;
    assert_int_equal(pf_live_merge_new(1, 0, &m), 0);
    /* Fill until back-pressure, drain, and go round the buffer again. */
    for (i = 0; i < 200; i++) {
        big[0] = (uint8_t)i;
        pkt.ts_sec = i;
        if (pf_live_merge_push(pf_live_merge_queue(m, 0), &pkt) == -EAGAIN)
            break;
        pushed++;
    }
    assert_true(pushed > 10 && pushed < 200);
    assert_int_equal(pf_live_merge_run(m, 1, collect, &got), 0);
    assert_int_equal(got.n, pushed);
    for (i = 0; i < pushed; i++)
        assert_int_equal(got.first[i], i);
    pf_live_merge_free(m);
}

static void test_merge_wrap_order(void **state)
{
    static uint8_t mid[150000];
    struct pf_live_merge *m;
    struct pf_packet pkt = {.data = mid, .caplen = sizeof(mid),
                            .wirelen = sizeof(mid), .linktype = 1};
    struct merged got;
    int round, i;

    (void)state;
    assert_int_equal(pf_live_merge_new(1, 0, &m), 0);
    for (round = 0; round < 5; round++) {
        memset(&got, 0, sizeof(got));
        for (i = 0; i < 40; i++) {
            mid[0] = (uint8_t)i;
            pkt.ts_sec = round * 100 + i;
            assert_int_equal(pf_live_merge_push(pf_live_merge_queue(m, 0),
                                                &pkt), 0);
        }
        assert_int_equal(pf_live_merge_run(m, 1, collect, &got), 0);
        assert_int_equal(got.n, 40);
        for (i = 0; i < 40; i++)
            assert_int_equal(got.first[i], i);
    }
    pkt.caplen = 9u << 20;
    assert_int_equal(pf_live_merge_push(pf_live_merge_queue(m, 0), &pkt),
                     -E2BIG);
    pf_live_merge_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_layout_default),
        cmocka_unit_test(test_layout_small),
        cmocka_unit_test(test_packet_plain),
        cmocka_unit_test(test_packet_vlan),
        cmocka_unit_test(test_packet_vlan_default_tpid),
        cmocka_unit_test(test_rotate_names),
        cmocka_unit_test(test_rotate_size_ring),
        cmocka_unit_test(test_rotate_time),
        cmocka_unit_test(test_iface_format),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_merge_order),
        cmocka_unit_test(test_merge_wrap),
        cmocka_unit_test(test_merge_wrap_order),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
