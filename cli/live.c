/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * -i IFACE: live capture as tcpdump does it, and -D / -L. One AF_PACKET
 * socket with a TPACKET_V3 ring per worker thread (--threads N joins them
 * in one fanout group), the filter in the kernel when it takes it (else
 * in user space, said once), packets written (-w, with -C/-G/-W
 * rotation; one file per worker, or one merged file in timestamp order
 * with --merge) or printed. SIGINT, SIGTERM and SIGHUP stop the capture
 * cleanly: files are flushed and complete, then tcpdump's three counters
 * are printed. -Z drops privileges once sockets and files are open.
 */
#include <errno.h>
#include <grp.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <pfcap/ebpf_io.h>
#include <pfcap/live.h>
#include <pfcap/translate.h>

#include "cli.h"

/* Worker poll timeout: how quickly workers notice a stop request. */
#define LIVE_POLL_MS 100

static volatile sig_atomic_t live_stop;

struct live_run;

struct live_worker {
    struct live_run *run;
    unsigned index;
    struct pf_live *live;
    struct pf_live_rotate *rot;     /* this worker's files, or NULL */
    struct pf_live_merge_queue *queue; /* --merge: to the merger */
    pthread_t tid;
    int started;
    int status;
    uint64_t captured;
    uint64_t bytes;
    int64_t idle_from;              /* --merge: start of the last dispatch */
};

struct live_run {
    const struct pf_cli_opts *o;
    struct pf_cli_opts popts;       /* printing options (line-buffered) */
    struct pf_filter *filter;
    unsigned n;
    struct live_worker *w;
    struct pf_cli_printer *printer;
    pthread_mutex_t out_lock;       /* the printer */
    struct pf_live_rotate *merged;  /* --merge output */
    struct pf_live_merge *merge;
    long taken;                     /* packets accepted, for -c */
    int halt;                       /* -c reached, error, -W done */
    int linktype;
    uint32_t snaplen;
    int node;
};

/* Stops every worker at once, with no final drain of the rings. */
static void live_halt(struct live_run *run)
{
    __atomic_store_n(&run->halt, 1, __ATOMIC_RELAXED);
    live_stop = 1;
}

static int live_halted(struct live_run *run)
{
    return __atomic_load_n(&run->halt, __ATOMIC_RELAXED);
}

static void live_on_signal(int sig)
{
    (void)sig;
    live_stop = 1;
}

static void live_signals(void)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = live_on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

static int live_list_ifaces(void)
{
    struct pf_live_iface *v;
    struct pf_error e;
    char line[160];
    size_t n, i;

    pf_error_init(&e);
    if (pf_live_iface_list(&v, &n, &e)) {
        pf_cli_report(&e, NULL);
        return PF_EXIT_RUNTIME;
    }
    for (i = 0; i < n; i++) {
        pf_live_iface_format(&v[i], line, sizeof(line));
        printf("%zu.%s\n", i + 1, line);
    }
    free(v);
    return fflush(stdout) ? PF_EXIT_RUNTIME : PF_EXIT_OK;
}

static int live_list_linktypes(const struct pf_live *l, const char *iface)
{
    int lt = pf_live_linktype(l);
    const char *name = pf_linktype_name(lt);
    const char *desc = pf_linktype_description(lt);

    printf("Data link types for %s (use option -y to set):\n", iface);
    printf("  %s (%s)\n", name ? name : "?", desc ? desc : "?");
    return fflush(stdout) ? PF_EXIT_RUNTIME : PF_EXIT_OK;
}

/* Accepts one packet against -c; 0 when the count is already reached. */
static int live_take(struct live_run *run)
{
    long t;

    if (run->o->count < 0)
        return 1;
    t = __atomic_fetch_add(&run->taken, 1, __ATOMIC_RELAXED);
    if (t + 1 >= run->o->count)
        live_halt(run);
    return t < run->o->count;
}

/* --merge: waits while the merger catches up (the kernel ring buffers
 * meanwhile, and counts drops if it overflows). */
static int live_push(struct pf_live_merge_queue *q, const struct pf_packet *pkt)
{
    struct timespec nap = {0, 100000};
    int rc;

    while ((rc = pf_live_merge_push(q, pkt)) == -EAGAIN && !live_stop)
        nanosleep(&nap, NULL);
    if (rc == -E2BIG) {
        pf_cli_warn("--merge: a %u-byte packet does not fit the merge queue",
                    pkt->caplen);
        return 0;
    }
    return rc == -EAGAIN ? 0 : rc;
}

/* Writes @pkt through the rotating writer @rot; 1 when the last file
 * allowed is full, <0 on error (both said on stderr). */
static int rotate_write(struct live_run *run, struct pf_live_rotate *rot,
                        const struct pf_packet *pkt)
{
    struct pf_error e;
    int rc;

    pf_error_init(&e);
    rc = pf_live_rotate_write(rot, pkt, time(NULL), &e);
    if (rc == 1)
        fprintf(stderr, "Maximum file limit reached: %d\n",
                run->o->rotate_files);
    else if (rc < 0)
        pf_cli_report(&e, NULL);
    return rc;
}

static int live_output(struct live_worker *w, const struct pf_packet *pkt)
{
    struct live_run *run = w->run;
    int rc = 0;

    if (w->queue)
        return live_push(w->queue, pkt);
    if (w->rot)
        return rotate_write(run, w->rot, pkt);
    if (run->printer) {
        pthread_mutex_lock(&run->out_lock);
        rc = pf_cli_printer_packet(run->printer, pkt);
        pthread_mutex_unlock(&run->out_lock);
        if (rc)
            pf_cli_warn("writing to standard output failed: %s",
                        strerror(-rc));
    }
    return rc;
}

static int live_packet(void *user, const struct pf_packet *in)
{
    struct live_worker *w = user;
    struct live_run *run = w->run;
    struct pf_packet pkt = *in;
    int rc;

    if (!live_take(run))
        return 1;
    rc = live_output(w, &pkt);
    if (rc) {
        w->status = rc > 0 ? PF_EXIT_OK : PF_EXIT_RUNTIME;
        live_halt(run);
        return 1;
    }
    __atomic_store_n(&w->captured, w->captured + 1, __ATOMIC_RELAXED);
    __atomic_store_n(&w->bytes, w->bytes + pkt.wirelen, __ATOMIC_RELAXED);
    return live_halted(run);
}

/* -G: rotate on time even when no packet arrives. */
static void live_tick(struct live_worker *w)
{
    struct pf_error e;
    int rc;

    if (!w->rot || w->run->o->rotate_secs <= 0)
        return;
    pf_error_init(&e);
    rc = pf_live_rotate_tick(w->rot, time(NULL), &e);
    if (rc == 1)
        fprintf(stderr, "Maximum file limit reached: %d\n",
                w->run->o->rotate_files);
    else if (rc < 0)
        pf_cli_report(&e, NULL);
    if (rc) {
        w->status = rc > 0 ? PF_EXIT_OK : PF_EXIT_RUNTIME;
        live_halt(w->run);
    }
}

/*
 * --merge: a dispatch that found the ring empty means every packet older
 * than its start minus the longest a packet waits in an open block (two
 * block timeouts, plus timer ticks) has been pushed. @begin records the
 * start; the mark is raised when the dispatch returns nothing.
 */
static void live_idle_mark(struct live_worker *w, int begin)
{
    struct timespec ts;
    int64_t wait_ns;

    if (!w->queue)
        return;
    if (begin) {
        clock_gettime(CLOCK_REALTIME, &ts);
        w->idle_from = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
        return;
    }
    wait_ns = (2 * (int64_t)pf_live_block_timeout_ms(w->live) + 20) * 1000000;
    pf_live_merge_queue_mark(w->queue, w->idle_from - wait_ns);
}

/*
 * Stopped by a signal or a vanished interface (not by -c or an error):
 * what the ring holds is delivered, including the open block, which the
 * kernel retires within two block timeouts.
 */
static void live_drain(struct live_worker *w)
{
    int ms = 2 * pf_live_block_timeout_ms(w->live) + 10;
    struct timespec nap = {ms / 1000, (long)(ms % 1000) * 1000000L};
    int n = 1;

    while (!live_halted(w->run) && n > 0)
        n = pf_live_dispatch(w->live, 0, live_packet, w, NULL);
    if (live_halted(w->run))
        return;
    nanosleep(&nap, NULL);
    do {
        n = pf_live_dispatch(w->live, 0, live_packet, w, NULL);
    } while (!live_halted(w->run) && n > 0);
}

static void *live_worker_main(void *arg)
{
    struct live_worker *w = arg;
    struct pf_error e;
    int n;

    if (w->run->n > 1)
        pf_live_thread_pin(w->run->node, w->index, NULL);
    while (!live_stop) {
        pf_error_init(&e);
        live_idle_mark(w, 1);
        n = pf_live_dispatch(w->live, LIVE_POLL_MS, live_packet, w, &e);
        if (n == 0)
            live_idle_mark(w, 0);
        if (n < 0 && n != -EINTR) {
            /* The interface went away: keep what the ring holds. */
            pf_cli_report(&e, NULL);
            w->status = PF_EXIT_RUNTIME;
            live_stop = 1;
        }
        live_tick(w);
    }
    live_drain(w);
    if (w->queue)
        pf_live_merge_queue_done(w->queue);
    return NULL;
}

/* Options for worker @i's socket. */
static int live_socket_opts(const struct live_run *run,
                            struct pf_live_opts *lo)
{
    const struct pf_cli_opts *o = run->o;

    memset(lo, 0, sizeof(*lo));
    lo->sz = sizeof(*lo);
    lo->iface = o->iface;
    lo->snaplen = o->snaplen > 0 ? (uint32_t)o->snaplen : 0;
    lo->promisc = !o->no_promisc;
    lo->immediate = o->immediate;
    lo->buffer_size = (size_t)o->buffer_kib * 1024;
    lo->numa_node = -1;
    lo->fanout = run->n > 1;
    lo->fanout_group = (uint16_t)(getpid() & 0xffff);
    lo->fanout_mode = PF_LIVE_FANOUT_HASH;
    if (o->direction &&
        pf_live_direction_from_name(o->direction, &lo->direction)) {
        pf_cli_warn("invalid -Q direction '%s' (in, out or inout)",
                    o->direction);
        return PF_EXIT_USAGE;
    }
    if (o->fanout && pf_live_fanout_from_name(o->fanout, &lo->fanout_mode)) {
        pf_cli_warn("unknown --fanout mode '%s' (hash, cpu, lb or qm)",
                    o->fanout);
        return PF_EXIT_USAGE;
    }
    return PF_EXIT_OK;
}

static int live_open_sockets(struct live_run *run)
{
    struct pf_live_opts lo;
    struct pf_error e;
    unsigned i;
    int rc = live_socket_opts(run, &lo);

    if (rc)
        return rc;
    run->node = pf_live_numa_node(run->o->iface);
    for (i = 0; i < run->n; i++) {
        run->w[i].run = run;
        run->w[i].index = i;
        pf_error_init(&e);
        if (pf_live_open(&lo, &run->w[i].live, &e)) {
            pf_cli_report(&e, NULL);
            return PF_EXIT_RUNTIME;
        }
    }
    run->linktype = pf_live_linktype(run->w[0].live);
    run->snaplen = pf_live_snaplen(run->w[0].live);
    return PF_EXIT_OK;
}

/* The filter in user space, when the kernel refused it. */
static uint32_t live_user_filter(void *ctx, const uint8_t *pkt,
                                 uint32_t wirelen, uint32_t caplen)
{
    return pf_filter_run(ctx, pkt, wirelen, caplen);
}

/*
 * --kernel-filter=ebpf: the program translated for the kernel's socket
 * filter (every "ret #k" cut to the snapshot length first) and loaded with
 * bpf(). Returns the program's descriptor, or -1 after saying once why
 * the classic program is attached instead.
 */
static int live_load_ebpf(const struct live_run *run,
                          const struct pf_cbpf_prog *prog)
{
    struct pf_translate_opts to = {
        .sz = sizeof(to),
        .target = PF_TRANSLATE_SOCKET,
        .len_from = PF_TRANSLATE_LEN_SKB,
    };
    struct pf_ebpf_prog ep = {0};
    struct pf_cbpf_insn *cut = calloc(prog->len, sizeof(*cut));
    struct pf_error e;
    int fd = -1;
    size_t i;

    pf_error_init(&e);
    for (i = 0; cut && i < prog->len; i++) {
        cut[i] = prog->insns[i];
        if (cut[i].code == (PF_CBPF_RET | PF_CBPF_K) &&
            cut[i].k > run->snaplen)
            cut[i].k = run->snaplen;
    }
    if (cut && pf_translate(cut, prog->len, &to, &ep, &e) == 0)
        pf_ebpf_kernel_load(ep.insns, ep.len, PF_EBPF_KERNEL_SOCKET, NULL, 0,
                            &fd, &e);
    if (fd < 0)
        pf_cli_warn("--kernel-filter=ebpf: %s; attaching the classic BPF "
                    "program instead", cut ? e.msg : "out of memory");
    free(ep.insns);
    free(cut);
    return fd;
}

static int live_kernel_filter_kind(const struct live_run *run, int *ebpf)
{
    const char *k = run->o->kernel_filter;

    *ebpf = k && strcmp(k, "ebpf") == 0;
    if (k && !*ebpf && strcmp(k, "cbpf")) {
        pf_cli_warn("unknown --kernel-filter '%s' (cbpf or ebpf)", k);
        return PF_EXIT_USAGE;
    }
    return PF_EXIT_OK;
}

/* Puts the filter in every socket's kernel, or says once why not. */
static int live_attach_filter(struct live_run *run)
{
    const struct pf_cbpf_prog *prog = pf_filter_cbpf(run->filter);
    enum pf_live_filter_place place = PF_LIVE_FILTER_NONE;
    struct pf_error e;
    int ebpf, fd = -1, rc;
    unsigned i;

    if ((rc = live_kernel_filter_kind(run, &ebpf)))
        return rc;
    if (ebpf)
        fd = live_load_ebpf(run, prog);
    for (i = 0; i < run->n; i++) {
        pf_error_init(&e);
        rc = fd >= 0 ? pf_live_set_ebpf(run->w[i].live, fd, &place, &e)
                     : pf_live_set_cbpf(run->w[i].live, prog->insns,
                                        prog->len, &place, &e);
        if (rc) {
            pf_cli_report(&e, NULL);
            break;
        }
        if (place == PF_LIVE_FILTER_USER) {
            pf_live_set_user_filter(run->w[i].live, live_user_filter,
                                    run->filter);
            if (i == 0)
                pf_cli_warn("%s", e.msg);
        }
    }
    if (fd >= 0)
        pf_ebpf_kernel_close(fd);
    return rc ? PF_EXIT_RUNTIME : PF_EXIT_OK;
}

static enum pf_file_format live_format(const struct pf_cli_opts *o)
{
    if (o->pcapng)
        return PF_FILE_PCAPNG;
    return o->nsec ? PF_FILE_PCAP_NSEC : PF_FILE_PCAP;
}

static int live_open_rotate(struct live_run *run, const char *path,
                            struct pf_live_rotate **out)
{
    const struct pf_cli_opts *o = run->o;
    struct pf_live_rotate_opts ro = {
        .sz = sizeof(ro),
        .path = path,
        .writer = {
            .sz = sizeof(ro.writer),
            .format = live_format(o),
            .linktype = (uint32_t)run->linktype,
            .snaplen = run->snaplen,
            .buffer_size = 1u << 20,
            .packet_buffered = o->packet_buffered,
        },
        .bytes = (uint64_t)o->rotate_mb * 1000000u,
        .secs = o->rotate_secs,
        .files = o->rotate_files,
    };
    struct pf_error e;

    pf_error_init(&e);
    if (pf_live_rotate_open(&ro, time(NULL), out, &e)) {
        pf_cli_report(&e, NULL);
        return PF_EXIT_RUNTIME;
    }
    return PF_EXIT_OK;
}

/* -w: one file per worker ("FILE.N" with several and no --merge). */
static int live_open_files(struct live_run *run)
{
    const struct pf_cli_opts *o = run->o;
    char path[4096];
    unsigned i;
    int rc;

    if (run->n == 1 || o->merge || !strcmp(o->write_file, "-")) {
        rc = live_open_rotate(run, o->write_file,
                              o->merge ? &run->merged : &run->w[0].rot);
        if (rc || !o->merge)
            return rc;
        if (pf_live_merge_new(run->n, 0, &run->merge))
            return PF_EXIT_RUNTIME;
        return PF_EXIT_OK;
    }
    for (i = 0; i < run->n; i++) {
        snprintf(path, sizeof(path), "%s.%u", o->write_file, i);
        if ((rc = live_open_rotate(run, path, &run->w[i].rot)))
            return rc;
    }
    return PF_EXIT_OK;
}

static int live_open_outputs(struct live_run *run)
{
    const struct pf_cli_opts *o = run->o;
    unsigned i;

    if (o->write_file) {
        int rc = live_open_files(run);
        for (i = 0; !rc && run->merge && i < run->n; i++)
            run->w[i].queue = pf_live_merge_queue(run->merge, i);
        return rc;
    }
    if (o->count_only)
        return PF_EXIT_OK;
    run->popts = *o;
    /* A person watching a terminal wants each line as it comes. */
    if (isatty(STDOUT_FILENO) || o->immediate)
        run->popts.line_buffered = 1;
    if (pf_cli_printer_new(&run->popts, &run->printer)) {
        pf_cli_warn("out of memory");
        return PF_EXIT_RUNTIME;
    }
    return PF_EXIT_OK;
}

/* -Z: give up root once every socket and file is open. */
static int live_drop_privileges(const char *user)
{
    struct passwd *pw = getpwnam(user);

    if (!pw) {
        pf_cli_warn("-Z: unknown user '%s'", user);
        return PF_EXIT_RUNTIME;
    }
    if (initgroups(pw->pw_name, pw->pw_gid) != 0 ||
        setgid(pw->pw_gid) != 0 || setuid(pw->pw_uid) != 0) {
        pf_cli_warn("-Z %s: cannot drop privileges: %s", user,
                    strerror(errno));
        return PF_EXIT_RUNTIME;
    }
    if (setuid(0) == 0) {
        pf_cli_warn("-Z %s: privileges could be regained; stopping", user);
        return PF_EXIT_RUNTIME;
    }
    return PF_EXIT_OK;
}

static void live_banner(const struct live_run *run)
{
    const char *name = pf_linktype_name(run->linktype);
    const char *desc = pf_linktype_description(run->linktype);

    if (!run->o->write_file && !run->o->verbose)
        fprintf(stderr, "pfcap: verbose output suppressed, use -v[v]... "
                        "for full protocol decode\n");
    fprintf(stderr, "%slistening on %s, link-type %s (%s), snapshot length "
                    "%u bytes\n",
            run->o->write_file ? "pfcap: " : "", run->o->iface,
            name ? name : "?", desc ? desc : "?", run->snaplen);
}

/* Starts every socket (bound together), then one thread each. */
static int live_start_workers(struct live_run *run)
{
    struct pf_error e;
    sigset_t all, old;
    unsigned i;
    int rc = 0;

    for (i = 0; i < run->n; i++) {
        pf_error_init(&e);
        if (pf_live_start(run->w[i].live, &e)) {
            pf_cli_report(&e, NULL);
            return PF_EXIT_RUNTIME;
        }
    }
    /* Workers block the stop signals; the main thread takes them. */
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    for (i = 0; i < run->n && !rc; i++) {
        rc = pthread_create(&run->w[i].tid, NULL, live_worker_main,
                            &run->w[i]);
        run->w[i].started = rc == 0;
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc) {
        pf_cli_warn("cannot start a worker thread: %s", strerror(rc));
        live_halt(run);
        return PF_EXIT_RUNTIME;
    }
    return PF_EXIT_OK;
}

static void live_sum(struct live_run *run, struct pf_live_stats *st,
                     uint64_t *captured, uint64_t *bytes)
{
    struct pf_live_stats one;
    unsigned i;

    memset(st, 0, sizeof(*st));
    *captured = *bytes = 0;
    for (i = 0; i < run->n; i++) {
        if (run->w[i].live &&
            pf_live_stats_get(run->w[i].live, &one, NULL) == 0) {
            st->received += one.received;
            st->dropped += one.dropped;
        }
        *captured += __atomic_load_n(&run->w[i].captured, __ATOMIC_RELAXED);
        *bytes += __atomic_load_n(&run->w[i].bytes, __ATOMIC_RELAXED);
    }
}

static double live_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* --stats-interval: rates since the last report. */
static void live_report_rates(struct live_run *run, double *last_t,
                              uint64_t last[3])
{
    struct pf_live_stats st;
    uint64_t cap, bytes;
    double t = live_now(), dt = t - *last_t;

    live_sum(run, &st, &cap, &bytes);
    if (dt <= 0)
        return;
    fprintf(stderr, "pfcap: %.0f packets/s, %.2f Mbit/s, %.0f drops/s "
                    "(%llu captured, %llu dropped)\n",
            (double)(cap - last[0]) / dt,
            (double)(bytes - last[1]) * 8 / dt / 1e6,
            (double)(st.dropped - last[2]) / dt, (unsigned long long)cap,
            (unsigned long long)st.dropped);
    last[0] = cap;
    last[1] = bytes;
    last[2] = st.dropped;
    *last_t = t;
}

/* --merge: writes every packet the merger releases. */
static int live_merge_write(void *user, const struct pf_packet *pkt)
{
    struct live_run *run = user;

    return rotate_write(run, run->merged, pkt);
}

/* The main thread: stats, merging, and waiting for a stop. */
static int live_supervise(struct live_run *run)
{
    double interval = run->o->stats_interval, last_t = live_now();
    uint64_t last[3] = {0, 0, 0};
    struct timespec nap = {0, 20 * 1000000L};
    int status = PF_EXIT_OK, rc;

    while (!live_stop) {
        if (run->merge) {
            rc = pf_live_merge_run(run->merge, 0, live_merge_write, run);
            if (rc) {
                status = rc > 0 ? PF_EXIT_OK : PF_EXIT_RUNTIME;
                live_halt(run);
            }
        }
        if (!run->merge || pf_live_merge_idle(run->merge))
            nanosleep(&nap, NULL);
        if (interval > 0 && live_now() - last_t >= interval)
            live_report_rates(run, &last_t, last);
    }
    return status;
}

static int live_join(struct live_run *run, int status)
{
    unsigned i;

    for (i = 0; i < run->n; i++) {
        if (!run->w[i].started)
            continue;
        pthread_join(run->w[i].tid, NULL);
        run->w[i].started = 0;
        if (!status && run->w[i].status)
            status = run->w[i].status;
    }
    if (run->merge && pf_live_merge_run(run->merge, 1, live_merge_write,
                                        run) < 0 && !status)
        status = PF_EXIT_RUNTIME;
    return status;
}

static int live_close_outputs(struct live_run *run, int status)
{
    struct pf_error e;
    unsigned i;

    pf_error_init(&e);
    for (i = 0; i < run->n; i++) {
        if (pf_live_rotate_close(run->w[i].rot, &e) && !status) {
            pf_cli_report(&e, NULL);
            status = PF_EXIT_RUNTIME;
        }
        run->w[i].rot = NULL;
    }
    if (pf_live_rotate_close(run->merged, &e) && !status) {
        pf_cli_report(&e, NULL);
        status = PF_EXIT_RUNTIME;
    }
    run->merged = NULL;
    if (run->printer && pf_cli_printer_free(run->printer) && !status) {
        pf_cli_warn("writing to standard output failed");
        status = PF_EXIT_RUNTIME;
    }
    run->printer = NULL;
    return status;
}

static void live_print_stats(struct live_run *run)
{
    struct pf_live_stats st;
    uint64_t cap, bytes;

    live_sum(run, &st, &cap, &bytes);
    if (run->o->count_only)
        printf("%llu packet%s\n", (unsigned long long)cap,
               cap == 1 ? "" : "s");
    fflush(stdout);
    fprintf(stderr, "%llu packet%s captured\n", (unsigned long long)cap,
            cap == 1 ? "" : "s");
    fprintf(stderr, "%llu packet%s received by filter\n",
            (unsigned long long)st.received, st.received == 1 ? "" : "s");
    fprintf(stderr, "%llu packet%s dropped by kernel\n",
            (unsigned long long)st.dropped, st.dropped == 1 ? "" : "s");
}

static void live_free(struct live_run *run)
{
    unsigned i;

    for (i = 0; run->w && i < run->n; i++)
        pf_live_close(run->w[i].live);
    pf_live_merge_free(run->merge);
    pf_filter_free(run->filter);
    free(run->w);
    pthread_mutex_destroy(&run->out_lock);
}

/* Opens everything before capture starts; -L ends here. */
static int live_setup(struct live_run *run)
{
    int rc = live_open_sockets(run);

    if (!rc && run->o->list_linktypes)
        return live_list_linktypes(run->w[0].live, run->o->iface);
    if (!rc)
        rc = pf_cli_filter_load(run->o, run->linktype, &run->filter);
    if (!rc && run->filter)
        rc = live_attach_filter(run);
    if (!rc)
        rc = live_open_outputs(run);
    if (!rc && run->o->user)
        rc = live_drop_privileges(run->o->user);
    return rc;
}

int pf_cli_live_run(const struct pf_cli_opts *o)
{
    struct live_run run = {.o = o, .n = o->threads > 1 ? (unsigned)o->threads
                                                       : 1};
    int status;

    if (o->list_ifaces)
        return live_list_ifaces();
    if (!o->iface) {
        pf_cli_warn("-L needs an interface (-i)");
        return PF_EXIT_USAGE;
    }
    live_stop = 0;
    live_signals();
    pthread_mutex_init(&run.out_lock, NULL);
    run.w = calloc(run.n, sizeof(*run.w));
    if (!run.w) {
        pf_cli_warn("out of memory");
        return PF_EXIT_RUNTIME;
    }
    status = live_setup(&run);
    if (status || o->list_linktypes) {
        live_close_outputs(&run, status);
        live_free(&run);
        return status;
    }
    live_banner(&run);
    status = live_start_workers(&run);
    if (!status)
        status = live_supervise(&run);
    status = live_join(&run, status);
    status = live_close_outputs(&run, status);
    live_print_stats(&run);
    live_free(&run);
    return status;
}
