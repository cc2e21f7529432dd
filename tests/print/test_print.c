/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Unit tests of print/'s decoders: hand-built packets (given as hex) and
 * the exact line tcpdump 4.99 prints for them (checked against
 * `tcpdump -nn` when the cases were written), plus option handling,
 * truncation markers, relative TCP sequence numbers and the output bound.
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

#include <pfcap/print.h>

#define LT_EN10MB 1
#define LT_RAW 101
#define LT_SLL 113

/* Ethernet header: 00:11:22:33:44:66 <- 00:11:22:33:44:55 */
#define ETH "001122334466" "001122334455"

static size_t unhex(const char *hex, uint8_t *out, size_t cap)
{
    size_t n = 0;

    while (hex[0] && hex[1] && n < cap) {
        unsigned v;

        if (hex[0] == ' ') {
            hex++;
            continue;
        }
        sscanf(hex, "%2x", &v);
        out[n++] = (uint8_t)v;
        hex += 2;
    }
    return n;
}

/* Prints one packet (@hex; on the wire @wirelen bytes, 0 = as captured)
 * with @o. */
static char *print_one(const struct pf_print_opts *o, uint32_t lt,
                       const char *hex, uint32_t wirelen, unsigned *flags)
{
    static char text[65536];
    uint8_t *data = test_malloc(4096);
    size_t n = unhex(hex, data, 4096), len = 0;
    struct pf_packet pkt = {
        .data = data, .caplen = (uint32_t)n,
        .wirelen = wirelen ? wirelen : (uint32_t)n, .ts_sec = 1591780794, .ts_nsec = 740079000,
        .linktype = lt,
    };
    struct pf_print *p;

    assert_int_equal(pf_print_new(o, &p, NULL), 0);
    assert_int_equal(pf_print_packet(p, &pkt, text, sizeof(text) - 1, &len,
                                     flags), 0);
    text[len] = '\0';
    pf_print_free(p);
    test_free(data);
    return text;
}

static struct pf_print_opts nn(void)
{
    struct pf_print_opts o = { .sz = sizeof(o), .numeric = 2 };

    return o;
}

static void check(const struct pf_print_opts *o, uint32_t lt, const char *hex,
                  const char *want)
{
    unsigned flags;

    assert_string_equal(print_one(o, lt, hex, 0, &flags), want);
    assert_false(flags & PF_PRINT_UNLISTED);
}

static const char dns_query[] =
    ETH "0800"
    "4500003d59cd0000401194cbc0a8010bd157f912"
    "abbe00350029000059340100000100000000000003777777077463706475"
    "6d70036f72670000010001";

static void test_dns_query(void **state)
{
    struct pf_print_opts o = nn();

    (void)state;
    check(&o, LT_EN10MB, dns_query,
          "09:19:54.740079 IP 192.168.1.11.43966 > 209.87.249.18.53: "
          "22836+ A? www.tcpdump.org. (33)\n");
}

static void test_ether_header(void **state)
{
    struct pf_print_opts o = nn();

    (void)state;
    o.ether = 1;
    o.ts_format = 1;
    check(&o, LT_EN10MB, dns_query,
          "00:11:22:33:44:55 > 00:11:22:33:44:66, ethertype IPv4 (0x0800), "
          "length 75: 192.168.1.11.43966 > 209.87.249.18.53: 22836+ A? "
          "www.tcpdump.org. (33)\n");
}

static void test_timestamps(void **state)
{
    struct pf_print_opts o = nn();

    (void)state;
    o.ts_format = 2;
    assert_non_null(strstr(print_one(&o, LT_EN10MB, dns_query, 0, NULL),
                           "1591780794.740079 IP "));
    o.ts_format = 4;
    assert_non_null(strstr(print_one(&o, LT_EN10MB, dns_query, 0, NULL),
                           "2020-06-10 09:19:54.740079 IP "));
    o.ts_format = 3;
    o.nsec = 1;
    assert_non_null(strstr(print_one(&o, LT_EN10MB, dns_query, 0, NULL),
                           " 00:00:00.000000000 IP "));
    o.number = 1;
    o.ts_format = 1;
    assert_non_null(strstr(print_one(&o, LT_EN10MB, dns_query, 0, NULL),
                           "    1  IP 192"));
}

static const char tcp_syn[] =
    ETH "0800"
    "4500003c000040004006b7b8838bd745897451 5e"
    "b6400050" "2f83b4cb" "00000000" "a002" "6a40" "0000" "0000"
    "020405500402080a436a2f620000000001030307";

static void test_tcp_syn(void **state)
{
    struct pf_print_opts o = nn();
    (void)state;
    o.ts_format = 1;
    check(&o, LT_EN10MB, tcp_syn,
          "IP 131.139.215.69.46656 > 137.116.81.94.80: Flags [S], seq "
          "797160651, win 27200, options [mss 1360,sackOK,TS val 1131032418 "
          "ecr 0,nop,wscale 7], length 0\n");
}

static const char arp_req[] =
    ETH "0806" "0001080006040001" "00201b5afb3f" "ac154f61"
    "000000000000" "ac154f64";

static void test_arp(void **state)
{
    struct pf_print_opts o = nn();

    (void)state;
    o.ts_format = 1;
    check(&o, LT_EN10MB, arp_req,
          "ARP, Request who-has 172.21.79.100 tell 172.21.79.97, "
          "length 28\n");
    o.verbose = 1;
    check(&o, LT_EN10MB, arp_req,
          "ARP, Ethernet (len 6), IPv4 (len 4), Request who-has "
          "172.21.79.100 tell 172.21.79.97, length 28\n");
}

static const char icmp_echo[] =
    "45000054000040004001f4ec0a0000010a000002"
    "0800b3d1" "1c46" "0001" "0000000000000000";

static void test_icmp_raw(void **state)
{
    struct pf_print_opts o = nn();

    (void)state;
    o.ts_format = 1;
    /* 36 bytes on the wire < ip_len 84: tcpdump says what is missing */
    check(&o, LT_RAW, icmp_echo,
          "IP truncated-ip - 48 bytes missing! 10.0.0.1 > 10.0.0.2: ICMP "
          "echo request, id 7238, seq 1, length 64\n");
}

static const char icmp6_echo[] =
    "6000000000083a40" "20010db8000000000000000000000001"
    "20010db8000000000000000000000002" "80000000" "00010002";

static void test_icmp6(void **state)
{
    struct pf_print_opts o = nn();

    (void)state;
    o.ts_format = 1;
    check(&o, LT_RAW, icmp6_echo,
          "IP6 2001:db8::1 > 2001:db8::2: ICMP6, echo request, id 1, seq 2, "
          "length 8\n");
}

static void test_truncated_tcp(void **state)
{
    struct pf_print_opts o = nn();

    (void)state;
    o.ts_format = 1;
    /* the capture ends inside the TCP header */
    assert_string_equal(
        print_one(&o, LT_EN10MB,
                  ETH "0800" "4500003c000040004006b7b8838bd745897451 5e", 74,
                  NULL),
        "IP 131.139.215.69 > 137.116.81.94: [|tcp]\n");
}

static void test_truncated_ether(void **state)
{
    struct pf_print_opts o = nn();

    (void)state;
    o.ts_format = 1;
    assert_string_equal(print_one(&o, LT_EN10MB, "0011223344", 0, NULL),
                        " [|ether]\n");
}

static void test_hexdump(void **state)
{
    struct pf_print_opts o = nn();

    (void)state;
    o.ts_format = 1;
    o.hex = 1;
    assert_string_equal(
        print_one(&o, LT_RAW, icmp6_echo, 0, NULL),
        "IP6 2001:db8::1 > 2001:db8::2: ICMP6, echo request, id 1, seq 2, "
        "length 8\n"
        "\t0x0000:  6000 0000 0008 3a40 2001 0db8 0000 0000\n"
        "\t0x0010:  0000 0000 0000 0001 2001 0db8 0000 0000\n"
        "\t0x0020:  0000 0000 0000 0002 8000 0000 0001 0002\n");
}

static void test_unknown_ethertype(void **state)
{
    struct pf_print_opts o = nn();

    (void)state;
    o.ts_format = 1;
    check(&o, LT_EN10MB, ETH "88b5" "41424344",
          "00:11:22:33:44:55 > 00:11:22:33:44:66, ethertype Unknown "
          "(0x88b5), length 18: \n"
          "\t0x0000:  4142 4344                                ABCD\n");
}

static void test_vlan_udp(void **state)
{
    struct pf_print_opts o = nn();

    (void)state;
    o.ts_format = 1;
    o.ether = 1;
    check(&o, LT_EN10MB,
          ETH "8100" "2064" "0800"
          "4500002000000000401100000a0000010a000002" "1f9004d2000c0000"
          "61626364",
          "00:11:22:33:44:55 > 00:11:22:33:44:66, ethertype 802.1Q (0x8100), "
          "length 50: vlan 100, p 1, ethertype IPv4 (0x0800), 10.0.0.1.8080 > "
          "10.0.0.2.1234: UDP, length 4\n");
}

static void test_relative_seq(void **state)
{
    static const char *pkts[] = {
        /* SYN-ACK from B, then ACK with 5 bytes from A */
        "4500002800000000400600000a0000020a000001" "0050c000" "00001000"
        "00000065" "5012" "2000" "0000" "0000",
        "4500002d00000000400600000a0000010a000002" "c0000050" "00000065"
        "00001001" "5018" "2000" "0000" "0000" "6162636465",
    };
    struct pf_print_opts o = nn();
    struct pf_print *p;
    char buf[1024];
    uint8_t data[128];
    size_t len;

    (void)state;
    o.ts_format = 1;
    assert_int_equal(pf_print_new(&o, &p, NULL), 0);
    for (int i = 0; i < 2; i++) {
        struct pf_packet pkt = { .data = data, .linktype = LT_RAW };

        pkt.caplen = pkt.wirelen = (uint32_t)unhex(pkts[i], data, sizeof(data));
        assert_int_equal(pf_print_packet(p, &pkt, buf, sizeof(buf) - 1, &len,
                                         NULL), 0);
        buf[len] = '\0';
    }
    assert_string_equal(buf, "IP 10.0.0.1.49152 > 10.0.0.2.80: Flags [P.], "
                             "seq 1:6, ack 1, win 8192, length 5\n");
    pf_print_free(p);
}

static void test_bad_args(void **state)
{
    struct pf_print_opts o = nn();
    struct pf_print *p;
    struct pf_error e;
    size_t len;

    (void)state;
    pf_error_init(&e);
    o.ts_format = 9;
    assert_int_equal(pf_print_new(&o, &p, &e), -22);
    assert_int_not_equal(e.err, 0);
    o = nn();
    o.sz = 1;
    assert_int_equal(pf_print_new(&o, &p, NULL), -22);
    assert_int_equal(pf_print_packet(NULL, NULL, NULL, 0, &len, NULL), -22);
}

static void test_small_buffer(void **state)
{
    struct pf_print_opts o = nn();
    struct pf_print *p;
    uint8_t data[128];
    char buf[16];
    size_t len;
    unsigned flags;
    struct pf_packet pkt = { .data = data, .linktype = LT_EN10MB };

    (void)state;
    pkt.caplen = pkt.wirelen = (uint32_t)unhex(dns_query, data, sizeof(data));
    assert_int_equal(pf_print_new(&o, &p, NULL), 0);
    assert_true(pf_print_bound(p, pkt.caplen) > 100);
    assert_int_equal(pf_print_packet(p, &pkt, buf, sizeof(buf), &len, &flags),
                     0);
    assert_int_equal(len, sizeof(buf));
    assert_true(flags & PF_PRINT_OVERFLOW);
    pf_print_free(p);
}

static void test_unlisted(void **state)
{
    struct pf_print_opts o = nn();
    unsigned flags;

    (void)state;
    /* UDP to port 161 (SNMP): tcpdump decodes it, pfcap says so */
    print_one(&o, LT_RAW,
              "4500002000000000401100000a0000010a000002" "04d200a1000c0000"
              "30020100", 0, &flags);
    assert_true(flags & PF_PRINT_UNLISTED);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dns_query),
        cmocka_unit_test(test_ether_header),
        cmocka_unit_test(test_timestamps),
        cmocka_unit_test(test_tcp_syn),
        cmocka_unit_test(test_arp),
        cmocka_unit_test(test_icmp_raw),
        cmocka_unit_test(test_icmp6),
        cmocka_unit_test(test_truncated_tcp),
        cmocka_unit_test(test_truncated_ether),
        cmocka_unit_test(test_hexdump),
        cmocka_unit_test(test_unknown_ethertype),
        cmocka_unit_test(test_vlan_udp),
        cmocka_unit_test(test_relative_seq),
        cmocka_unit_test(test_bad_args),
        cmocka_unit_test(test_small_buffer),
        cmocka_unit_test(test_unlisted),
    };

    setenv("TZ", "UTC", 1);
    tzset();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
