/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A live capture handle: the packet socket and its TPACKET_V3 ring. The
 * socket is created listening to no protocol with a reject-all filter, so
 * nothing reaches the ring until the filter is in place and the socket is
 * bound; changing the filter later goes through reject-all again and the
 * ring is drained, so no packet the new filter rejects ever leaks through
 * (libpcap does the same). Direction (-Q) is applied in the kernel where
 * it can be: PACKET_IGNORE_OUTGOING for "in", a packet-type test in front
 * of the classic BPF program for "out".
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>

#include "capture/live_impl.h"

#ifndef SO_ATTACH_BPF
#define SO_ATTACH_BPF 50
#endif

#define LINKTYPE_ETHERNET 1
#define LINKTYPE_RAW 101
/* Packets handed out per dispatch call before returning to the caller. */
#define LIVE_BATCH 8192
/* Instructions put in front of a program to test the packet type. */
#define LIVE_DIR_PREFIX 4

_Static_assert(sizeof(struct pf_cbpf_insn) == sizeof(struct sock_filter),
               "cBPF instruction layout");

struct pf_live {
    int fd;
    int ifindex;
    uint32_t snaplen;
    int linktype;
    int vlan;                   /* Ethernet: put stripped tags back */
    enum pf_live_direction dir;
    int kernel_in;              /* PACKET_IGNORE_OUTGOING is in force */
    int promisc;
    int fanout;
    uint16_t group;
    enum pf_live_fanout mode;
    int started;
    int filtered;               /* a program other than the default */
    struct pf_ring ring;
    struct pf_live_stats st;
    uint32_t (*ufilter)(void *ctx, const uint8_t *pkt, uint32_t wirelen,
                        uint32_t caplen);
    void *uctx;
};

int pf_live_direction_from_name(const char *name,
                                enum pf_live_direction *out)
{
    static const char *const names[] = {"inout", "in", "out"};
    size_t i;

    for (i = 0; name && i < 3; i++) {
        if (strcmp(name, names[i]) == 0) {
            *out = (enum pf_live_direction)i;
            return 0;
        }
    }
    return -EINVAL;
}

static int live_attach(struct pf_live *l, const struct sock_filter *insns,
                       size_t len)
{
    struct sock_fprog prog = {
        .len = (unsigned short)len,
        .filter = (struct sock_filter *)insns,
    };

    if (setsockopt(l->fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog,
                   sizeof(prog)) != 0)
        return -errno;
    return 0;
}

static int live_reject_all(struct pf_live *l, struct pf_error *err)
{
    static const struct sock_filter reject = BPF_STMT(BPF_RET | BPF_K, 0);
    int rc = live_attach(l, &reject, 1);

    if (rc)
        return pf_error_set(err, rc, PF_STAGE_CAPTURE, PF_LIVE_E_FILTER,
                            "cannot attach the reject-all filter: %s",
                            strerror(-rc));
    return 0;
}

/*
 * Writes the packet-type test for @l's direction at @out (room for
 * LIVE_DIR_PREFIX instructions); returns how many it wrote. Loading the
 * type clobbers A, so the test ends with A = 0 as the program expects.
 */
static size_t live_dir_prefix(const struct pf_live *l, struct sock_filter *out)
{
    int out_only = l->dir == PF_LIVE_OUT;

    if (l->dir == PF_LIVE_INOUT || (l->dir == PF_LIVE_IN && l->kernel_in))
        return 0;
    out[0] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
                                          SKF_AD_OFF + SKF_AD_PKTTYPE);
    out[1] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
                                          PACKET_OUTGOING, out_only ? 1 : 0,
                                          out_only ? 0 : 1);
    out[2] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, 0);
    out[3] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_IMM, 0);
    return LIVE_DIR_PREFIX;
}

/* The program that captures everything in @l's direction, cut to the
 * snapshot length in the kernel. */
static int live_default_filter(struct pf_live *l, struct pf_error *err)
{
    struct sock_filter prog[LIVE_DIR_PREFIX + 1];
    size_t n = live_dir_prefix(l, prog);
    int rc;

    prog[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, l->snaplen);
    rc = live_attach(l, prog, n);
    if (rc)
        return pf_error_set(err, rc, PF_STAGE_CAPTURE, PF_LIVE_E_FILTER,
                            "cannot attach the capture-all filter: %s",
                            strerror(-rc));
    return 0;
}

static int live_iface_check(struct pf_live *l, const char *name,
                            struct pf_error *err)
{
    struct ifreq ifr;

    memset(&ifr, 0, sizeof(ifr));
    strncpy(ifr.ifr_name, name, sizeof(ifr.ifr_name) - 1);
    l->ifindex = (int)if_nametoindex(name);
    if (l->ifindex == 0 || ioctl(l->fd, SIOCGIFFLAGS, &ifr) != 0)
        return pf_error_set(err, -ENODEV, PF_STAGE_CAPTURE, PF_LIVE_E_IFACE,
                            "%s: No such device exists", name);
    if (!(ifr.ifr_flags & IFF_UP))
        return pf_error_set(err, -ENETDOWN, PF_STAGE_CAPTURE,
                            PF_LIVE_E_IFACE, "%s: That device is not up",
                            name);
    if (ioctl(l->fd, SIOCGIFHWADDR, &ifr) != 0)
        return pf_error_set(err, -errno, PF_STAGE_CAPTURE, PF_LIVE_E_IFACE,
                            "%s: cannot read the hardware type: %s", name,
                            strerror(errno));
    switch (ifr.ifr_hwaddr.sa_family) {
    case ARPHRD_ETHER:
    case ARPHRD_LOOPBACK:
        l->linktype = LINKTYPE_ETHERNET;
        l->vlan = 1;
        return 0;
    case ARPHRD_NONE:
        l->linktype = LINKTYPE_RAW;
        return 0;
    }
    return pf_error_set(err, -ENOTSUP, PF_STAGE_CAPTURE, PF_LIVE_E_LINKTYPE,
                        "%s: hardware type %u is not supported for live "
                        "capture (Ethernet, loopback and raw IP are)",
                        name, (unsigned)ifr.ifr_hwaddr.sa_family);
}

static int live_socket(struct pf_live *l, const struct pf_live_opts *o,
                       struct pf_error *err)
{
    int one = 1;

    l->fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
    if (l->fd < 0)
        return pf_error_set(err, -errno, PF_STAGE_CAPTURE, PF_LIVE_E_SOCKET,
                            "%s: cannot open a packet socket: %s%s", o->iface,
                            strerror(errno),
                            errno == EPERM ? " (needs CAP_NET_RAW)" : "");
    if (live_reject_all(l, err))
        return err ? err->err : -EINVAL;
    if (o->direction == PF_LIVE_IN &&
        setsockopt(l->fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one,
                   sizeof(one)) == 0)
        l->kernel_in = 1;
    return 0;
}

static int live_ring(struct pf_live *l, const struct pf_live_opts *o,
                     struct pf_error *err)
{
    struct pf_ring_layout lay;
    int node = o->numa_node >= 0 ? o->numa_node : pf_live_numa_node(o->iface);
    int prefer, rc;

    pf_ring_layout_compute(l->snaplen, o->buffer_size, o->immediate,
                           o->block_timeout_ms, &lay);
    prefer = pf_numa_prefer_begin(node);
    rc = pf_ring_open(&l->ring, l->fd, &lay, err);
    pf_numa_prefer_end(prefer);
    return rc;
}

int pf_live_open(const struct pf_live_opts *opts, struct pf_live **out,
                 struct pf_error *err)
{
    struct pf_live *l;
    int rc;

    *out = NULL;
    if (!opts || opts->sz < sizeof(*opts) || !opts->iface ||
        strlen(opts->iface) >= IFNAMSIZ)
        return pf_error_set(err, -EINVAL, PF_STAGE_CAPTURE, PF_LIVE_E_IFACE,
                            "bad live capture options or interface name");
    l = calloc(1, sizeof(*l));
    if (!l)
        return pf_error_set(err, -ENOMEM, PF_STAGE_CAPTURE, PF_LIVE_E_SOCKET,
                            "out of memory");
    l->fd = -1;
    l->snaplen = opts->snaplen ? opts->snaplen : PF_LIVE_DEFAULT_SNAPLEN;
    l->dir = opts->direction;
    l->promisc = opts->promisc;
    l->fanout = opts->fanout;
    l->group = opts->fanout_group;
    l->mode = opts->fanout_mode;
    rc = live_socket(l, opts, err);
    if (!rc)
        rc = live_iface_check(l, opts->iface, err);
    if (!rc)
        rc = live_ring(l, opts, err);
    if (rc) {
        pf_live_close(l);
        return rc;
    }
    *out = l;
    return 0;
}

void pf_live_close(struct pf_live *l)
{
    if (!l)
        return;
    pf_ring_close(&l->ring);
    if (l->fd >= 0)
        close(l->fd);
    free(l);
}

/* Binds the socket to the interface for every protocol: from here on the
 * attached filter sees packets. Then fanout and promiscuous mode. */
int pf_live_start(struct pf_live *l, struct pf_error *err)
{
    struct sockaddr_ll sll = {
        .sll_family = AF_PACKET,
        .sll_protocol = htons(ETH_P_ALL),
        .sll_ifindex = l->ifindex,
    };
    struct packet_mreq mr = {
        .mr_ifindex = l->ifindex,
        .mr_type = PACKET_MR_PROMISC,
    };

    if (l->started)
        return 0;
    if (!l->filtered && live_default_filter(l, err))
        return err ? err->err : -EINVAL;
    if (bind(l->fd, (struct sockaddr *)&sll, sizeof(sll)) != 0)
        return pf_error_set(err, -errno, PF_STAGE_CAPTURE, PF_LIVE_E_BIND,
                            "cannot bind to interface %d: %s", l->ifindex,
                            strerror(errno));
    if (l->fanout && pf_fanout_join(l->fd, l->group, l->mode, err))
        return err ? err->err : -EINVAL;
    if (l->promisc && setsockopt(l->fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP,
                                 &mr, sizeof(mr)) != 0)
        return pf_error_set(err, -errno, PF_STAGE_CAPTURE, PF_LIVE_E_BIND,
                            "cannot enable promiscuous mode: %s",
                            strerror(errno));
    l->started = 1;
    return 0;
}

/*
 * Before a new filter on a running socket: reject everything, wait for
 * the block being filled to be retired, give back every block (those
 * packets were chosen by the old filter) and reset the counters.
 */
static int live_quiesce(struct pf_live *l, struct pf_error *err)
{
    struct timespec ts = {0, ((long)l->ring.lay.timeout_ms + 2) * 1000000L};
    struct tpacket_stats_v3 st;
    socklen_t len = sizeof(st);
    int rc;

    if (!l->started)
        return 0;
    rc = live_reject_all(l, err);
    if (rc)
        return rc;
    nanosleep(&ts, NULL);
    pf_ring_discard(&l->ring);
    getsockopt(l->fd, SOL_PACKET, PACKET_STATISTICS, &st, &len);
    return 0;
}

/* Copies @insns behind the direction test, with every "ret #k" cut to the
 * snapshot length so the kernel copies no more than is kept. */
static struct sock_filter *live_program(const struct pf_live *l,
                                        const struct pf_cbpf_insn *insns,
                                        size_t len, size_t *n)
{
    struct sock_filter *p = calloc(len + LIVE_DIR_PREFIX, sizeof(*p));
    size_t i, k;

    if (!p)
        return NULL;
    k = live_dir_prefix(l, p);
    for (i = 0; i < len; i++, k++) {
        memcpy(&p[k], &insns[i], sizeof(p[k]));
        if (BPF_CLASS(p[k].code) == BPF_RET && BPF_RVAL(p[k].code) == BPF_K &&
            p[k].k > l->snaplen)
            p[k].k = l->snaplen;
    }
    *n = k;
    return p;
}

/* The kernel said no: capture everything and let the caller filter. */
static int live_fallback(struct pf_live *l, int why, size_t n,
                         enum pf_live_filter_place *place,
                         struct pf_error *err)
{
    int rc = live_default_filter(l, err);

    if (rc)
        return rc;
    *place = PF_LIVE_FILTER_USER;
    l->filtered = 1;
    if (n > BPF_MAXINSNS)
        pf_error_set(err, -E2BIG, PF_STAGE_CAPTURE, PF_LIVE_E_FILTER,
                     "the program has %zu instructions, the kernel takes "
                     "at most %d: filtering in user space", n, BPF_MAXINSNS);
    else
        pf_error_set(err, why, PF_STAGE_CAPTURE, PF_LIVE_E_FILTER,
                     "the kernel refused the filter (%s): filtering in "
                     "user space", strerror(-why));
    return 0;
}

int pf_live_set_cbpf(struct pf_live *l, const struct pf_cbpf_insn *insns,
                     size_t len, enum pf_live_filter_place *place,
                     struct pf_error *err)
{
    struct sock_filter *prog;
    size_t n;
    int rc = live_quiesce(l, err);

    if (rc)
        return rc;
    *place = PF_LIVE_FILTER_NONE;
    if (!insns || len == 0) {
        l->filtered = 0;
        return live_default_filter(l, err);
    }
    prog = live_program(l, insns, len, &n);
    if (!prog)
        return pf_error_set(err, -ENOMEM, PF_STAGE_CAPTURE, PF_LIVE_E_FILTER,
                            "out of memory");
    rc = n > BPF_MAXINSNS ? -E2BIG : live_attach(l, prog, n);
    free(prog);
    if (rc)
        return live_fallback(l, rc, n, place, err);
    *place = PF_LIVE_FILTER_KERNEL;
    l->filtered = 1;
    return 0;
}

int pf_live_set_ebpf(struct pf_live *l, int prog_fd,
                     enum pf_live_filter_place *place, struct pf_error *err)
{
    int rc = live_quiesce(l, err);

    if (rc)
        return rc;
    if (setsockopt(l->fd, SOL_SOCKET, SO_ATTACH_BPF, &prog_fd,
                   sizeof(prog_fd)) != 0)
        return live_fallback(l, -errno, 0, place, err);
    *place = PF_LIVE_FILTER_KERNEL;
    l->filtered = 1;
    return 0;
}

/* 1 if a packet of type @pkttype belongs to @l's direction. */
static int live_dir_ok(const struct pf_live *l, int pkttype)
{
    if (l->dir == PF_LIVE_IN)
        return pkttype != PACKET_OUTGOING;
    if (l->dir == PF_LIVE_OUT)
        return pkttype == PACKET_OUTGOING;
    return 1;
}

/* Waits for the ring; 1 when there may be packets, 0 on timeout. */
static int live_wait(struct pf_live *l, int timeout_ms, struct pf_error *err)
{
    struct pollfd pfd = {.fd = l->fd, .events = POLLIN};
    int rc = poll(&pfd, 1, timeout_ms);

    if (rc < 0 && errno == EINTR)
        return -EINTR;
    if (rc < 0)
        return pf_error_set(err, -errno, PF_STAGE_CAPTURE, PF_LIVE_E_POLL,
                            "poll on the packet socket failed: %s",
                            strerror(errno));
    if (rc > 0 && (pfd.revents & (POLLERR | POLLNVAL | POLLHUP))) {
        int soerr = 0;
        socklen_t len = sizeof(soerr);
        getsockopt(l->fd, SOL_SOCKET, SO_ERROR, &soerr, &len);
        if (pfd.revents & (POLLNVAL | POLLHUP) || soerr == ENETDOWN ||
            soerr == ENODEV)
            return pf_error_set(err, -(soerr ? soerr : ENETDOWN),
                                PF_STAGE_CAPTURE, PF_LIVE_E_POLL,
                                "the interface went down: %s",
                                strerror(soerr ? soerr : ENETDOWN));
    }
    return rc > 0;
}

void pf_live_set_user_filter(struct pf_live *l,
                             uint32_t (*fn)(void *ctx, const uint8_t *pkt,
                                            uint32_t wirelen,
                                            uint32_t caplen),
                             void *ctx)
{
    l->ufilter = fn;
    l->uctx = ctx;
}

/* The user-space filter's verdict on the packet as the kernel saw it. */
static uint32_t live_user_verdict(const struct pf_live *l, uint8_t *hdr)
{
    const uint8_t *data;
    uint32_t wirelen, caplen;

    if (!l->ufilter)
        return UINT32_MAX;
    caplen = pf_ring_view(hdr, &data, &wirelen);
    return l->ufilter(l->uctx, data, wirelen, caplen);
}

int pf_live_dispatch(struct pf_live *l, int timeout_ms,
                     int (*cb)(void *user, const struct pf_packet *pkt),
                     void *user, struct pf_error *err)
{
    struct pf_packet pkt;
    int n = 0, waited = 0, rc;
    uint32_t keep;
    uint8_t *hdr;

    rc = pf_live_start(l, err);
    if (rc)
        return rc;
    while (n < LIVE_BATCH) {
        hdr = pf_ring_next(&l->ring);
        if (!hdr) {
            if (n > 0 || waited || timeout_ms == 0)
                break;
            rc = live_wait(l, timeout_ms, err);
            if (rc <= 0)
                return rc;
            waited = 1;
            continue;
        }
        keep = live_user_verdict(l, hdr);
        if (keep == 0)
            continue;
        if (!live_dir_ok(l, pf_ring_packet(hdr, l->vlan, keep, l->snaplen,
                                           (uint32_t)l->linktype, &pkt)))
            continue;
        n++;
        if (cb(user, &pkt))
            break;
    }
    return n;
}

int pf_live_stats_get(struct pf_live *l, struct pf_live_stats *st,
                      struct pf_error *err)
{
    struct tpacket_stats_v3 k;
    socklen_t len = sizeof(k);

    memset(&k, 0, sizeof(k));
    if (getsockopt(l->fd, SOL_PACKET, PACKET_STATISTICS, &k, &len) != 0)
        return pf_error_set(err, -errno, PF_STAGE_CAPTURE, PF_LIVE_E_STATS,
                            "cannot read the packet statistics: %s",
                            strerror(errno));
    /* The kernel resets its counters on every read: keep the sums. */
    l->st.received += k.tp_packets;
    l->st.dropped += k.tp_drops;
    l->st.freeze_q += k.tp_freeze_q_cnt;
    *st = l->st;
    return 0;
}

int pf_live_linktype(const struct pf_live *l)
{
    return l->linktype;
}

int pf_live_block_timeout_ms(const struct pf_live *l)
{
    return (int)l->ring.lay.timeout_ms;
}

uint32_t pf_live_snaplen(const struct pf_live *l)
{
    return l->snaplen;
}

int pf_live_fd(const struct pf_live *l)
{
    return l->fd;
}
