/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * -r FILE --threads N: the same output as the single-threaded -r loop
 * (cli/file.c), with N worker threads filtering one capture file. The main
 * thread cuts the file into record-aligned chunks of about a mebibyte
 * (pf_pcap_splitter, which reads record headers only) and queues them;
 * workers read and filter whole chunks, recording each match as a packet
 * descriptor that points into the mapping (no packet data is copied,
 * except the rare packet whose pseudo-header the reader had to
 * byte-swap); the main thread takes finished chunks in file order and
 * hands their matches to the writer, printer or counter. At most a few
 * chunks per worker are in flight, so memory stays bounded however large
 * the file. One more thread maps the file's pages ahead of the cutting,
 * so that page faults are not all taken on the main thread's path.
 * Damage ends the run as in the single-threaded loop: every
 * match before it is written, then the reader's error (byte offset).
 * The environment variable PFCAP_CHUNK_BYTES overrides the chunk size
 * (tests set it to 1 to cut at every record).
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define CHUNK_BYTES_DEFAULT (1u << 20)
#define SLOTS_PER_WORKER 4
#define MAX_WORKERS 64
#define TOUCH_STEP (1u << 20)

enum chunk_state { CHUNK_FREE, CHUNK_QUEUED, CHUNK_RUNNING, CHUNK_DONE };

/* A match whose data is in the chunk's copies (see chunk_keep). */
struct moved {
    size_t hit;
    size_t off;
};

/* One range of the file, and what a worker found in it. */
struct chunk {
    struct pf_pcap_reader *range;
    enum chunk_state state;
    struct pf_packet *hits;        /* matches, in file order */
    size_t n_hits, cap_hits;
    unsigned long long n_matched;  /* matches (also with --count) */
    uint8_t *copies;
    size_t copies_len, copies_cap;
    struct moved *moved;
    size_t n_moved, cap_moved;
    int rc;                        /* 0, or the error that ended it */
    struct pf_error err;
};

struct par_run {
    const struct pf_cli_opts *o;
    struct pf_pcap_reader *reader;
    struct pf_pcap_splitter *splitter;
    struct pf_filter *filter;
    struct pf_cli_output out;      /* writer, printer or count */
    unsigned long long limit;      /* -c, or no limit */
    size_t chunk_bytes;
    /* the pipeline: chunk k lives in slots[k % n_slots] */
    pthread_mutex_t lock;
    pthread_cond_t work;           /* to workers: queued chunk, or stop */
    pthread_cond_t done;           /* to main: a chunk is done */
    struct chunk *slots;
    size_t n_slots;
    size_t filled, claimed, emitted;
    int scan_done;                 /* the splitter has nothing more */
    int scan_rc;                   /* the splitter failed */
    struct pf_error scan_err;
    int stop;
    pthread_t *tids;
    int n_workers;
    pthread_t toucher;
    int has_toucher;
};

/* ---- workers ---------------------------------------------------------- */

/* Appends @n bytes at @src to the chunk's copies; the offset or -ENOMEM. */
static long copy_add(struct chunk *c, const uint8_t *src, size_t n)
{
    size_t cap = c->copies_cap ? c->copies_cap : 4096, off = c->copies_len;
    uint8_t *bigger;

    while (cap < off + n)
        cap *= 2;
    if (cap != c->copies_cap) {
        if (!(bigger = realloc(c->copies, cap)))
            return -ENOMEM;
        c->copies = bigger;
        c->copies_cap = cap;
    }
    if (n)
        memcpy(c->copies + off, src, n);
    c->copies_len += n;
    return (long)off;
}

/* @p (of *@cap elements of @size bytes, @used taken) with room for one
 * more: @p itself, a larger copy, or NULL (then @p is unchanged). */
static void *grow(void *p, size_t *cap, size_t used, size_t size)
{
    size_t n = *cap ? *cap * 2 : 1024;
    void *bigger;

    if (used < *cap)
        return p;
    if (!(bigger = realloc(p, n * size)))
        return NULL;
    *cap = n;
    return bigger;
}

/*
 * Records a match. Its data normally stays in the mapping; a packet the
 * reader had to copy (byte-swapped pseudo-header) is copied once more,
 * since the reader's copy lasts only until its next packet.
 */
static int chunk_keep(struct chunk *c, const struct pf_packet *pkt)
{
    void *p;
    long off;

    if (!(p = grow(c->hits, &c->cap_hits, c->n_hits, sizeof(*c->hits))))
        return -ENOMEM;
    c->hits = p;
    if (!pf_pcap_reader_in_input(c->range, pkt->data)) {
        if (!(p = grow(c->moved, &c->cap_moved, c->n_moved,
                       sizeof(*c->moved))))
            return -ENOMEM;
        c->moved = p;
        if ((off = copy_add(c, pkt->data, pkt->caplen)) < 0)
            return -ENOMEM;
        c->moved[c->n_moved].hit = c->n_hits;
        c->moved[c->n_moved++].off = (size_t)off;
    }
    c->hits[c->n_hits++] = *pkt;
    return 0;
}

/* Points the copied matches at their copies, now that these stay put. */
static void chunk_fix_moved(struct chunk *c)
{
    for (size_t i = 0; i < c->n_moved; i++)
        c->hits[c->moved[i].hit].data = c->copies + c->moved[i].off;
}

/* Reads and filters the chunk's range (in a worker thread). */
static void chunk_run(const struct par_run *pr, struct chunk *c)
{
    struct pf_packet pkt;
    int n;

    pf_error_init(&c->err);
    c->rc = 0;
    c->n_hits = c->n_moved = c->copies_len = 0;
    c->n_matched = 0;
    /* No chunk needs more than -c matches: the output stops there. */
    while (c->n_matched < pr->limit &&
           (n = pf_pcap_reader_next(c->range, &pkt, &c->err)) != 0) {
        if (n < 0) {
            c->rc = n;
            break;
        }
        if (pr->filter &&
            !pf_filter_run(pr->filter, pkt.data, pkt.wirelen, pkt.caplen))
            continue;
        if (!pr->o->count_only && chunk_keep(c, &pkt)) {
            c->rc = pf_error_set(&c->err, -ENOMEM, PF_STAGE_FILE, 0,
                                 "out of memory for the matches");
            break;
        }
        c->n_matched++;
    }
    chunk_fix_moved(c);
}

/* A worker: runs queued chunks in order until there are no more. */
static void *worker_main(void *arg)
{
    struct par_run *pr = arg;
    struct chunk *c;

    pthread_mutex_lock(&pr->lock);
    for (;;) {
        while (!pr->stop && pr->claimed == pr->filled && !pr->scan_done)
            pthread_cond_wait(&pr->work, &pr->lock);
        if (pr->stop || pr->claimed == pr->filled)
            break;
        c = &pr->slots[pr->claimed++ % pr->n_slots];
        c->state = CHUNK_RUNNING;
        pthread_mutex_unlock(&pr->lock);
        chunk_run(pr, c);
        pthread_mutex_lock(&pr->lock);
        c->state = CHUNK_DONE;
        pthread_cond_signal(&pr->done);
    }
    pthread_mutex_unlock(&pr->lock);
    return NULL;
}

/*
 * Maps the file's pages ahead of the cutting: the first touch of a page
 * (a page fault) is much of the cost of reading a file that is in the page
 * cache, and here it is taken in parallel with the cutting and filtering.
 */
static void *toucher_main(void *arg)
{
    struct par_run *pr = arg;
    uint64_t size = pf_pcap_reader_size(pr->reader), sum = 0;

    for (uint64_t off = 0;
         off < size && !__atomic_load_n(&pr->stop, __ATOMIC_RELAXED);
         off += TOUCH_STEP)
        sum += pf_pcap_reader_touch(pr->reader, off, TOUCH_STEP);
    return sum == 1 ? pr : NULL;
}

/* ---- main thread: cutting and output ------------------------------------ */

/* Queues chunks until every slot is taken or the file is all cut. */
static void fill(struct par_run *pr)
{
    struct pf_pcap_reader *range;
    size_t queued = 0;
    int rc = 1;

    while (!pr->scan_done && pr->filled + queued - pr->emitted < pr->n_slots) {
        rc = pf_pcap_splitter_next(pr->splitter, pr->chunk_bytes, &range,
                                   &pr->scan_err);
        if (rc <= 0)
            break;
        pr->slots[(pr->filled + queued++) % pr->n_slots].range = range;
    }
    pthread_mutex_lock(&pr->lock);
    for (size_t i = 0; i < queued; i++)
        pr->slots[(pr->filled + i) % pr->n_slots].state = CHUNK_QUEUED;
    pr->filled += queued;
    if (rc <= 0) {
        pr->scan_done = 1;
        pr->scan_rc = rc;
    }
    pthread_cond_broadcast(&pr->work);
    pthread_mutex_unlock(&pr->lock);
}

/* Waits for the oldest chunk; NULL when every chunk has been output. */
static struct chunk *next_done(struct par_run *pr)
{
    struct chunk *c = NULL;

    pthread_mutex_lock(&pr->lock);
    for (;;) {
        if (pr->emitted == pr->filled && pr->scan_done)
            break;
        c = &pr->slots[pr->emitted % pr->n_slots];
        if (pr->emitted < pr->filled && c->state == CHUNK_DONE)
            break;
        c = NULL;
        pthread_cond_wait(&pr->done, &pr->lock);
    }
    pthread_mutex_unlock(&pr->lock);
    return c;
}

/*
 * Outputs a finished chunk's matches. Returns a PF_EXIT_* status and sets
 * *@end when the run is over (-c reached, damage, output failure).
 */
static int chunk_output(struct par_run *pr, const struct chunk *c, int *end)
{
    unsigned long long room = pr->limit - pr->out.matched;
    int ret;

    if (pr->o->count_only) {
        pr->out.matched += c->n_matched < room ? c->n_matched : room;
    } else {
        for (size_t i = 0; i < c->n_hits && pr->out.matched < pr->limit; i++) {
            if ((ret = pf_cli_output_packet(&pr->out, &c->hits[i]))) {
                *end = 1;
                return ret;
            }
        }
    }
    /* Like the single-threaded loop: nothing is read after the -c'th. */
    *end = pr->out.matched >= pr->limit || c->rc < 0;
    if (pr->out.matched < pr->limit && c->rc < 0) {
        pf_cli_report_in(pr->o->read_file, &c->err, NULL);
        return PF_EXIT_RUNTIME;
    }
    return PF_EXIT_OK;
}

static void chunk_free(struct chunk *c)
{
    pf_pcap_reader_close(c->range);
    free(c->hits);
    free(c->copies);
    free(c->moved);
}

/* Outputs chunks in file order as they finish, queueing new ones. */
static int output_loop(struct par_run *pr)
{
    struct chunk *c;
    int end = 0, ret = PF_EXIT_OK;

    if (pr->limit == 0)
        return PF_EXIT_OK;
    while (!end) {
        fill(pr);
        if (!(c = next_done(pr)))
            break;
        ret = chunk_output(pr, c, &end);
        pf_pcap_reader_close(c->range);
        c->range = NULL;
        c->state = CHUNK_FREE;
        pr->emitted++;
    }
    if (!end && pr->scan_rc < 0) {
        pf_cli_report_in(pr->o->read_file, &pr->scan_err, NULL);
        ret = PF_EXIT_RUNTIME;
    }
    return ret;
}

/* ---- set-up and tear-down ------------------------------------------------ */

/* Starts the workers (signals stay with the main thread). */
static int workers_start(struct par_run *pr)
{
    sigset_t all, old;
    int n = pr->o->threads < MAX_WORKERS ? pr->o->threads : MAX_WORKERS;

    pr->n_slots = (size_t)n * SLOTS_PER_WORKER;
    pr->slots = calloc(pr->n_slots, sizeof(*pr->slots));
    pr->tids = calloc((size_t)n, sizeof(*pr->tids));
    if (!pr->slots || !pr->tids)
        return -ENOMEM;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    while (pr->n_workers < n &&
           pthread_create(&pr->tids[pr->n_workers], NULL, worker_main, pr) == 0)
        pr->n_workers++;
    pr->has_toucher =
        pthread_create(&pr->toucher, NULL, toucher_main, pr) == 0;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return pr->n_workers ? 0 : -EAGAIN;
}

/* Stops and joins the workers, then frees the chunks. */
static void workers_stop(struct par_run *pr)
{
    pthread_mutex_lock(&pr->lock);
    __atomic_store_n(&pr->stop, 1, __ATOMIC_RELAXED);
    pthread_cond_broadcast(&pr->work);
    pthread_mutex_unlock(&pr->lock);
    for (int i = 0; i < pr->n_workers; i++)
        pthread_join(pr->tids[i], NULL);
    if (pr->has_toucher)
        pthread_join(pr->toucher, NULL);
    for (size_t i = 0; pr->slots && i < pr->n_slots; i++)
        chunk_free(&pr->slots[i]);
    free(pr->slots);
    free(pr->tids);
}

/* The chunk size: PFCAP_CHUNK_BYTES (tests), or about a mebibyte. */
static size_t chunk_bytes(void)
{
    const char *s = getenv("PFCAP_CHUNK_BYTES");
    char *end;
    unsigned long long v;

    if (!s || !*s)
        return CHUNK_BYTES_DEFAULT;
    v = strtoull(s, &end, 10);
    return *end || v == 0 || v > SIZE_MAX ? CHUNK_BYTES_DEFAULT : (size_t)v;
}

/* Runs the pipeline: splitter, workers, in-order output. */
static int run_parallel(struct par_run *pr)
{
    struct pf_error e;
    int ret;

    pf_error_init(&e);
    pf_error_init(&pr->scan_err);
    pr->chunk_bytes = chunk_bytes();
    if (pf_pcap_splitter_new(pr->reader, &pr->splitter, &e)) {
        pf_cli_warn("out of memory");
        return PF_EXIT_RUNTIME;
    }
    if (workers_start(pr)) {
        pf_cli_warn("cannot start worker threads");
        workers_stop(pr);
        return PF_EXIT_RUNTIME;
    }
    ret = output_loop(pr);
    workers_stop(pr);
    return ret;
}

/* Flushes and closes the outputs; returns @status or a close failure. */
static int finish(struct par_run *pr, int status)
{
    status = pf_cli_output_close(&pr->out, status);
    pf_pcap_splitter_free(pr->splitter);
    pf_filter_free(pr->filter);
    pf_pcap_reader_close(pr->reader);
    return status;
}

int pf_cli_file_run_threads(const struct pf_cli_opts *o)
{
    struct par_run pr = {
        .o = o,
        .limit = o->count < 0 ? ULLONG_MAX : (unsigned long long)o->count,
        .lock = PTHREAD_MUTEX_INITIALIZER,
        .work = PTHREAD_COND_INITIALIZER,
        .done = PTHREAD_COND_INITIALIZER,
    };
    struct pf_error e;
    int ret;

    pf_error_init(&e);
    if (pf_pcap_reader_open(o->read_file, &pr.reader, &e)) {
        pf_cli_report_in(o->read_file, &e, NULL);
        return PF_EXIT_RUNTIME;
    }
    pf_cli_file_announce(o, pr.reader);
    ret = pf_cli_filter_load_for(o, pr.reader, &pr.filter);
    if (!ret)
        ret = pf_cli_output_open(&pr.out, o, pr.reader);
    if (!ret)
        ret = run_parallel(&pr);
    return finish(&pr, ret);
}
