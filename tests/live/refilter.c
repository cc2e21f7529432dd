/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Changing the filter of a running capture must not let one packet of
 * the old filter through: captures everything on IFACE for a while, then
 * sets a program that keeps only IPv4 UDP while traffic keeps flowing, and
 * checks every packet delivered after pf_live_set_cbpf returned.
 * Run by live_test.sh (case "refilter") inside its network namespace.
 * Usage: refilter IFACE. Prints the counts; exit 0 on success.
 */
#include <stdio.h>
#include <time.h>

#include <pfcap/live.h>

struct counts {
    unsigned long all;
    unsigned long bad;
};

static int count_any(void *user, const struct pf_packet *pkt)
{
    (void)pkt;
    ((struct counts *)user)->all++;
    return 0;
}

static int count_udp(void *user, const struct pf_packet *pkt)
{
    struct counts *c = user;
    int udp = pkt->caplen > 23 && pkt->data[12] == 0x08 &&
              pkt->data[13] == 0x00 && pkt->data[23] == 17;

    c->all++;
    c->bad += !udp;
    return 0;
}

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void run_for(struct pf_live *l, double secs,
                    int (*cb)(void *, const struct pf_packet *),
                    struct counts *c)
{
    double end = now() + secs;

    while (now() < end)
        pf_live_dispatch(l, 20, cb, c, NULL);
}

int main(int argc, char **argv)
{
    static const struct pf_cbpf_insn udp_only[] = {
        {0x28, 0, 0, 12},         /* ldh [12] */
        {0x15, 0, 3, 0x0800},     /* jeq #0x800 */
        {0x30, 0, 0, 23},         /* ldb [23] */
        {0x15, 0, 1, 17},         /* jeq #17 */
        {0x06, 0, 0, 262144},     /* ret #262144 */
        {0x06, 0, 0, 0},          /* ret #0 */
    };
    struct pf_live_opts o = {.sz = sizeof(o), .numa_node = -1};
    struct counts before = {0, 0}, after = {0, 0};
    enum pf_live_filter_place place;
    struct pf_error e;
    struct pf_live *l;

    if (argc != 2)
        return 2;
    o.iface = argv[1];
    pf_error_init(&e);
    if (pf_live_open(&o, &l, &e) || pf_live_start(l, &e)) {
        fprintf(stderr, "refilter: %s\n", e.msg);
        return 1;
    }
    printf("ready\n");
    fflush(stdout);
    run_for(l, 0.5, count_any, &before);
    if (pf_live_set_cbpf(l, udp_only, 6, &place, &e) ||
        place != PF_LIVE_FILTER_KERNEL) {
        fprintf(stderr, "refilter: filter not in the kernel: %s\n", e.msg);
        return 1;
    }
    run_for(l, 0.5, count_udp, &after);
    pf_live_close(l);
    printf("before %lu after %lu bad %lu\n", before.all, after.all,
           after.bad);
    return before.all > 0 && after.all > 0 && after.bad == 0 ? 0 : 1;
}
