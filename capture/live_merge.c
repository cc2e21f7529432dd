/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * --merge: the packets of several capture workers merged into one stream
 * in timestamp order. Each worker owns a single-producer, single-consumer
 * byte queue (records: a small header, then the packet bytes, 8-aligned;
 * a pad record marks the jump back to the start) and a watermark. The
 * consumer looks at every queue's head and releases the oldest once every
 * empty queue's watermark has passed it (that worker can no longer push
 * anything older), or once it is older than the hold time (a stalled
 * worker must not stop the capture).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "capture/live_impl.h"

#define MERGE_QUEUE_BYTES (16u << 20)
#define MERGE_PAD UINT32_MAX
#define MERGE_DEFAULT_HOLD_MS 2000u

struct merge_rec {
    int64_t ts_sec;
    uint32_t ts_nsec;
    uint32_t caplen;       /* MERGE_PAD: skip to the start of the buffer */
    uint32_t wirelen;
    uint32_t linktype;
};

struct pf_live_merge_queue {
    uint8_t *buf;
    size_t cap;
    size_t head;           /* consumer position (monotonic) */
    size_t tail;           /* producer position (monotonic) */
    int64_t mark;          /* no packet older than this will come (ns) */
    int done;
};

struct pf_live_merge {
    struct pf_live_merge_queue *q;
    unsigned n;
    int64_t hold_ns;
    int idle;
};

int pf_live_merge_new(unsigned nqueues, unsigned hold_ms,
                      struct pf_live_merge **out)
{
    struct pf_live_merge *m = calloc(1, sizeof(*m));
    unsigned i;

    *out = NULL;
    if (!m || !(m->q = calloc(nqueues ? nqueues : 1, sizeof(*m->q)))) {
        free(m);
        return -ENOMEM;
    }
    m->n = nqueues;
    m->hold_ns = (int64_t)(hold_ms ? hold_ms : MERGE_DEFAULT_HOLD_MS) *
                 1000000;
    for (i = 0; i < nqueues; i++) {
        m->q[i].cap = MERGE_QUEUE_BYTES;
        m->q[i].buf = malloc(MERGE_QUEUE_BYTES);
        if (!m->q[i].buf) {
            pf_live_merge_free(m);
            return -ENOMEM;
        }
    }
    *out = m;
    return 0;
}

struct pf_live_merge_queue *pf_live_merge_queue(struct pf_live_merge *m,
                                                unsigned i)
{
    return i < m->n ? &m->q[i] : NULL;
}

static size_t merge_rec_len(uint32_t caplen)
{
    return (sizeof(struct merge_rec) + caplen + 7) & ~(size_t)7;
}

int pf_live_merge_push(struct pf_live_merge_queue *q,
                       const struct pf_packet *pkt)
{
    size_t len = merge_rec_len(pkt->caplen);
    size_t head = __atomic_load_n(&q->head, __ATOMIC_ACQUIRE);
    size_t off = q->tail % q->cap, gap = 0;
    struct merge_rec *r;

    if (len > q->cap / 2)
        return -E2BIG;
    if (q->cap - off < len)
        gap = q->cap - off;          /* too little room before the end */
    if (q->cap - (q->tail - head) < gap + len)
        return -EAGAIN;
    if (gap) {
        if (gap >= sizeof(*r))
            ((struct merge_rec *)(q->buf + off))->caplen = MERGE_PAD;
        off = 0;
    }
    r = (struct merge_rec *)(q->buf + off);
    r->ts_sec = pkt->ts_sec;
    r->ts_nsec = pkt->ts_nsec;
    r->caplen = pkt->caplen;
    r->wirelen = pkt->wirelen;
    r->linktype = pkt->linktype;
    memcpy(r + 1, pkt->data, pkt->caplen);
    __atomic_store_n(&q->tail, q->tail + gap + len, __ATOMIC_RELEASE);
    pf_live_merge_queue_mark(q, (int64_t)pkt->ts_sec * 1000000000 +
                                    pkt->ts_nsec);
    return 0;
}

void pf_live_merge_queue_mark(struct pf_live_merge_queue *q, int64_t ts_ns)
{
    if (ts_ns > __atomic_load_n(&q->mark, __ATOMIC_RELAXED))
        __atomic_store_n(&q->mark, ts_ns, __ATOMIC_RELEASE);
}

void pf_live_merge_queue_done(struct pf_live_merge_queue *q)
{
    __atomic_store_n(&q->done, 1, __ATOMIC_RELEASE);
}

/* The record at @q's head (skipping a pad), or NULL when empty. */
static struct merge_rec *merge_peek(struct pf_live_merge_queue *q)
{
    size_t tail = __atomic_load_n(&q->tail, __ATOMIC_ACQUIRE);
    size_t off = q->head % q->cap;
    struct merge_rec *r;

    if (q->head == tail)
        return NULL;
    r = (struct merge_rec *)(q->buf + off);
    if (q->cap - off < sizeof(*r) || r->caplen == MERGE_PAD) {
        __atomic_store_n(&q->head, q->head + (q->cap - off),
                         __ATOMIC_RELEASE);
        if (q->head == tail)
            return NULL;
        r = (struct merge_rec *)q->buf;
    }
    return r;
}

static void merge_pop(struct pf_live_merge_queue *q, const struct merge_rec *r)
{
    __atomic_store_n(&q->head, q->head + merge_rec_len(r->caplen),
                     __ATOMIC_RELEASE);
}

static int64_t merge_ns(int64_t sec, uint32_t nsec)
{
    return sec * 1000000000 + nsec;
}

/* Index of the queue with the oldest head, or -1; *@wait_mark gets the
 * lowest watermark of the empty queues whose producer may still push
 * (INT64_MAX when there is none). */
static int merge_oldest(struct pf_live_merge *m, struct merge_rec **best,
                        int64_t *wait_mark)
{
    int pick = -1;
    unsigned i;

    *wait_mark = INT64_MAX;
    *best = NULL;
    for (i = 0; i < m->n; i++) {
        int done = __atomic_load_n(&m->q[i].done, __ATOMIC_ACQUIRE);
        int64_t mark = __atomic_load_n(&m->q[i].mark, __ATOMIC_ACQUIRE);
        struct merge_rec *r = merge_peek(&m->q[i]);
        if (!r) {
            if (!done && mark < *wait_mark)
                *wait_mark = mark;
            continue;
        }
        if (!*best || merge_ns(r->ts_sec, r->ts_nsec) <
                          merge_ns((*best)->ts_sec, (*best)->ts_nsec)) {
            *best = r;
            pick = (int)i;
        }
    }
    return pick;
}

int pf_live_merge_run(struct pf_live_merge *m, int final,
                      int (*cb)(void *user, const struct pf_packet *pkt),
                      void *user)
{
    struct timespec now;
    struct merge_rec *r;
    struct pf_packet pkt;
    int64_t wait_mark, ts;
    int i, rc;

    m->idle = 1;
    clock_gettime(CLOCK_REALTIME, &now);
    while ((i = merge_oldest(m, &r, &wait_mark)) >= 0) {
        ts = merge_ns(r->ts_sec, r->ts_nsec);
        if (!final && ts > wait_mark &&
            ts > merge_ns(now.tv_sec, (uint32_t)now.tv_nsec) - m->hold_ns)
            break;
        pkt = (struct pf_packet){
            .data = (const uint8_t *)(r + 1),
            .caplen = r->caplen,
            .wirelen = r->wirelen,
            .ts_sec = r->ts_sec,
            .ts_nsec = r->ts_nsec,
            .linktype = r->linktype,
        };
        m->idle = 0;
        rc = cb(user, &pkt);
        merge_pop(&m->q[i], r);
        if (rc)
            return rc;
    }
    return 0;
}

int pf_live_merge_idle(const struct pf_live_merge *m)
{
    return m->idle;
}

void pf_live_merge_free(struct pf_live_merge *m)
{
    unsigned i;

    if (!m)
        return;
    for (i = 0; m->q && i < m->n; i++)
        free(m->q[i].buf);
    free(m->q);
    free(m);
}
