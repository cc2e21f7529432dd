/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Live capture: an AF_PACKET socket with a TPACKET_V3 mmap ring, the
 * filter attached in the kernel (classic BPF with SO_ATTACH_FILTER, eBPF
 * with SO_ATTACH_BPF) so that packets which do not match are never copied
 * to user space, PACKET_FANOUT groups for several worker threads, ring
 * memory on the NIC's NUMA node, and file rotation for long captures
 * (tcpdump's -C, -G and -W). Packets are delivered as struct pf_packet
 * pointing into the ring, without copies; the library never prints.
 */
#ifndef PFCAP_LIVE_H
#define PFCAP_LIVE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <pfcap/capture.h>
#include <pfcap/cbpf.h>
#include <pfcap/error.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Which packets to capture relative to the interface (tcpdump -Q). */
enum pf_live_direction {
    PF_LIVE_INOUT,
    PF_LIVE_IN,
    PF_LIVE_OUT,
};

/* PACKET_FANOUT modes: name, option text, kernel value. */
#define PF_LIVE_FANOUTS(X)                                                     \
    X(HASH, "hash", 0)                                                         \
    X(LB, "lb", 1)                                                             \
    X(CPU, "cpu", 2)                                                           \
    X(QM, "qm", 5)

enum pf_live_fanout {
#define PF_LIVE_FANOUT_ENUM(name, text, val) PF_LIVE_FANOUT_##name = val,
    PF_LIVE_FANOUTS(PF_LIVE_FANOUT_ENUM)
#undef PF_LIVE_FANOUT_ENUM
};

#define PF_LIVE_DEFAULT_SNAPLEN 262144u
#define PF_LIVE_DEFAULT_BUFFER (32u << 20)  /* ring bytes per socket */
#define PF_LIVE_DEFAULT_TIMEOUT_MS 50       /* block retirement */
#define PF_LIVE_IMMEDIATE_TIMEOUT_MS 1

struct pf_live_opts {
    size_t sz;                  /* sizeof(struct pf_live_opts) */
    const char *iface;          /* interface name (required) */
    uint32_t snaplen;           /* 0 means 262144 */
    int promisc;                /* put the interface in promiscuous mode */
    enum pf_live_direction direction;
    int immediate;              /* 1 ms block timeout: prompt delivery */
    size_t buffer_size;         /* ring bytes, 0 = PF_LIVE_DEFAULT_BUFFER */
    int block_timeout_ms;       /* 0 = default for the mode */
    int fanout;                 /* 1: join fanout group @fanout_group */
    uint16_t fanout_group;
    enum pf_live_fanout fanout_mode;
    int numa_node;              /* ring memory node; -1 = the NIC's node */
};

/* Counters as PACKET_STATISTICS gives them, accumulated since open. */
struct pf_live_stats {
    uint64_t received;          /* passed the kernel filter (incl. drops) */
    uint64_t dropped;           /* no room in the ring */
    uint64_t freeze_q;          /* times the ring was full */
};

/* Where the filter runs after pf_live_set_cbpf / pf_live_set_ebpf. */
enum pf_live_filter_place {
    PF_LIVE_FILTER_NONE,        /* no filter: everything is captured */
    PF_LIVE_FILTER_KERNEL,      /* attached to the socket */
    PF_LIVE_FILTER_USER,        /* the kernel refused it: run it yourself */
};

struct pf_live;

/*
 * Opens a capture on @opts->iface: socket, TPACKET_V3 ring (mmap'd on the
 * NUMA node asked for), bound to the interface, joined to the fanout
 * group when asked, promiscuous mode when asked. Until a filter is set,
 * every packet in the chosen direction is captured. Errors: negative
 * errno with @err saying which step failed (-ENODEV no such interface,
 * -EPERM without CAP_NET_RAW, -ENOTSUP for link types pfcap cannot
 * capture on).
 */
int pf_live_open(const struct pf_live_opts *opts, struct pf_live **out,
                 struct pf_error *err);

/*
 * Starts capturing: binds the socket to the interface (until then the
 * reject-all filter and an unbound socket let nothing in), joins the
 * fanout group and enables promiscuous mode. pf_live_dispatch calls it
 * when needed; call it yourself to start several sockets together.
 * Before a filter was set, everything in the direction is captured.
 */
int pf_live_start(struct pf_live *l, struct pf_error *err);

/* Closes the socket, unmaps the ring and frees @l (NULL is fine). */
void pf_live_close(struct pf_live *l);

/*
 * Sets the classic BPF filter: first a reject-all program, then every
 * packet already in the ring or socket queue is discarded, then @insns
 * (with the direction test in front when -Q needs it) is attached. When
 * the kernel refuses the program (too long, unsupported, no memory), the
 * socket keeps capturing everything and *@place says PF_LIVE_FILTER_USER
 * with the reason in @err (the return value is still 0). Negative errno
 * for failures that leave the socket unusable.
 */
int pf_live_set_cbpf(struct pf_live *l, const struct pf_cbpf_insn *insns,
                     size_t len, enum pf_live_filter_place *place,
                     struct pf_error *err);

/*
 * Same with a loaded eBPF socket-filter program (@prog_fd from bpf()),
 * attached with SO_ATTACH_BPF. Direction -Q out is then checked in user
 * space by pf_live_dispatch.
 */
int pf_live_set_ebpf(struct pf_live *l, int prog_fd,
                     enum pf_live_filter_place *place, struct pf_error *err);

/*
 * Runs @fn on every packet in user space before it is delivered, on the
 * packet as the kernel filter would have seen it (VLAN tag still
 * stripped), so a program the kernel refused gives the same verdicts
 * here. @fn returns the bytes to keep (0 = drop). NULL removes it.
 */
void pf_live_set_user_filter(struct pf_live *l,
                             uint32_t (*fn)(void *ctx, const uint8_t *pkt,
                                            uint32_t wirelen,
                                            uint32_t caplen),
                             void *ctx);

/*
 * Waits up to @timeout_ms (-1 forever, 0 not at all) for packets and
 * hands each one to @cb, pointing into the ring (valid during the call
 * only). Ring blocks are given back to the kernel as soon as they are
 * consumed. When @cb returns non-zero, dispatch stops after that packet
 * and the next call resumes with the one after it. VLAN tags the kernel
 * stripped are put back as they were on the wire. Returns the number of
 * packets delivered, or a negative errno (-EINTR when a signal
 * interrupted the wait, which is not an error for callers that stop on
 * signals).
 */
int pf_live_dispatch(struct pf_live *l, int timeout_ms,
                     int (*cb)(void *user, const struct pf_packet *pkt),
                     void *user, struct pf_error *err);

/* Accumulated kernel counters of @l (read with PACKET_STATISTICS). */
int pf_live_stats_get(struct pf_live *l, struct pf_live_stats *st,
                      struct pf_error *err);

/* LINKTYPE_* of the packets @l delivers. */
int pf_live_linktype(const struct pf_live *l);

/* Block retirement timeout of @l's ring in milliseconds: the longest the
 * kernel keeps a packet in an open block is about twice that. */
int pf_live_block_timeout_ms(const struct pf_live *l);

/* Snapshot length @l applies. */
uint32_t pf_live_snaplen(const struct pf_live *l);

/* The socket, for poll() together with other descriptors. */
int pf_live_fd(const struct pf_live *l);

/* The NUMA node of @iface's device, or -1 when the system does not say. */
int pf_live_numa_node(const char *iface);

/*
 * Pins the calling thread to one CPU: the @index-th CPU of NUMA node
 * @node (or of all allowed CPUs when @node is -1 or has none), wrapping
 * around. *@cpu receives the CPU chosen. Negative errno on failure.
 */
int pf_live_thread_pin(int node, unsigned index, int *cpu);

/* Parses "hash", "cpu", "lb", "qm"; -EINVAL for anything else. */
int pf_live_fanout_from_name(const char *name, enum pf_live_fanout *out);

/* Parses "in", "out", "inout"; -EINVAL for anything else. */
int pf_live_direction_from_name(const char *name,
                                enum pf_live_direction *out);

/* One interface as tcpdump -D shows it. */
#define PF_LIVE_IF_UP 0x1u
#define PF_LIVE_IF_RUNNING 0x2u
#define PF_LIVE_IF_LOOPBACK 0x4u
#define PF_LIVE_IF_WIRELESS 0x8u

enum pf_live_link {
    PF_LIVE_LINK_UNKNOWN,
    PF_LIVE_LINK_CONNECTED,
    PF_LIVE_LINK_DISCONNECTED,
    PF_LIVE_LINK_NOT_APPLICABLE,
};

struct pf_live_iface {
    char name[64];
    unsigned flags;             /* PF_LIVE_IF_* */
    enum pf_live_link link;
};

/*
 * Lists the interfaces pfcap can capture on, in the order tcpdump -D
 * prints them (up and running first, loopback after, down last). *@out
 * is malloc'd (free it with free()), *@n its length.
 */
int pf_live_iface_list(struct pf_live_iface **out, size_t *n,
                       struct pf_error *err);

/*
 * Renders @ifc as tcpdump -D does after the number: "eth0 [Up, Running,
 * Connected]". Returns the length it wanted (snprintf rules).
 */
size_t pf_live_iface_format(const struct pf_live_iface *ifc, char *buf,
                            size_t len);

/*
 * Merging the packets of several workers into one stream in timestamp
 * order (--merge). Each worker pushes copies into its own single-producer
 * queue and keeps a watermark: the time before which it has pushed every
 * packet it will ever see (the last packet pushed, or, when its ring was
 * found empty, that moment minus the time the kernel may keep a packet in
 * an open block). One thread runs the merge, which releases the oldest
 * head packet once no empty queue's watermark is below it. A worker that
 * stalls longer than the hold time cannot hold the others back longer.
 */
struct pf_live_merge;
struct pf_live_merge_queue;

/* Creates a merge of @nqueues queues holding packets at most @hold_ms
 * for a stalled worker (0 = 2000 ms). Returns 0 or -ENOMEM. */
int pf_live_merge_new(unsigned nqueues, unsigned hold_ms,
                      struct pf_live_merge **out);

/* Queue @i of @m (for its worker thread). */
struct pf_live_merge_queue *pf_live_merge_queue(struct pf_live_merge *m,
                                                unsigned i);

/* Copies @pkt into @q; -EAGAIN while the queue is full, -E2BIG for a
 * packet larger than the queue could ever take. Producer thread only. */
int pf_live_merge_push(struct pf_live_merge_queue *q,
                       const struct pf_packet *pkt);

/* Raises @q's watermark to @ts_ns (nanoseconds since the epoch): the
 * producer will push no packet older than that. Producer thread only. */
void pf_live_merge_queue_mark(struct pf_live_merge_queue *q, int64_t ts_ns);

/* The producer will push no more (its packets are then released freely). */
void pf_live_merge_queue_done(struct pf_live_merge_queue *q);

/*
 * Releases the packets that are due, oldest first, to @cb (all of them
 * when @final). Stops early and returns @cb's value when it is non-zero;
 * else 0. Consumer thread only.
 */
int pf_live_merge_run(struct pf_live_merge *m, int final,
                      int (*cb)(void *user, const struct pf_packet *pkt),
                      void *user);

/* 1 when the last pf_live_merge_run released nothing. */
int pf_live_merge_idle(const struct pf_live_merge *m);

/* Frees @m and its queues (NULL is fine). */
void pf_live_merge_free(struct pf_live_merge *m);

/*
 * File rotation (tcpdump -C, -G, -W) over pf_pcap_writer: names made with
 * strftime(3) from @path when @secs is set, and a counter appended when
 * @bytes or @files need one, exactly as tcpdump names them.
 */
struct pf_live_rotate_opts {
    size_t sz;                  /* sizeof(struct pf_live_rotate_opts) */
    const char *path;           /* template; "-" = stdout (no rotation) */
    struct pf_pcap_writer_opts writer;
    uint64_t bytes;             /* -C in bytes (MB * 1000000); 0 = off */
    long secs;                  /* -G; 0 = off */
    int files;                  /* -W; 0 = unlimited */
};

struct pf_live_rotate;

/* Opens the first file. Errors as pf_pcap_writer_open. */
int pf_live_rotate_open(const struct pf_live_rotate_opts *opts, time_t now,
                        struct pf_live_rotate **out, struct pf_error *err);

/*
 * Writes @pkt, switching files first when the size limit is passed or the
 * -G interval has elapsed at @now. Returns 0, 1 when -G with -W has
 * written its last file (capture should stop, as tcpdump does), or a
 * negative errno (write error; the files written stay valid).
 */
int pf_live_rotate_write(struct pf_live_rotate *r,
                         const struct pf_packet *pkt, time_t now,
                         struct pf_error *err);

/* Rotates on time with no packet at hand (call about once a second).
 * Same returns as pf_live_rotate_write. */
int pf_live_rotate_tick(struct pf_live_rotate *r, time_t now,
                        struct pf_error *err);

/* Flushes the current file. */
int pf_live_rotate_flush(struct pf_live_rotate *r, struct pf_error *err);

/* Flushes and closes the current file and frees @r (NULL is fine). */
int pf_live_rotate_close(struct pf_live_rotate *r, struct pf_error *err);

/*
 * The name tcpdump gives file number @cnt: strftime(@tmpl) at @when when
 * @use_time, then @cnt appended with @digits digits unless both are 0.
 * Returns 0 or -ENAMETOOLONG.
 */
int pf_live_rotate_name(const char *tmpl, int use_time, time_t when,
                        int cnt, int digits, char *buf, size_t len);

#ifdef __cplusplus
}
#endif

#endif
