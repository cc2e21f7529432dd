/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Capture file writer: classic pcap (microsecond or nanosecond magic, in
 * host byte order as libpcap writes it) and pcapng (one Section Header
 * Block, one Interface Description Block per link type seen, with
 * if_tsresol = 9, and Enhanced Packet Blocks). Output is assembled in a
 * large buffer (1 MiB by default) and written with write(2) in whole
 * records, so that after a failed write the file still ends on a record
 * boundary (a partly written tail is cut off again when the output is a
 * regular file). Errors are sticky: once a write failed, every later call
 * reports it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <pfcap/capture.h>

#include "capture/capture_impl.h"
#include "common/bytes.h"

#define DEFAULT_BUFFER (1u << 20)
#define DEFAULT_SNAPLEN 262144u
#define MAX_IDBS 64

struct pf_pcap_writer {
    int fd;
    int own_fd;              /* close @fd on pf_pcap_writer_close */
    int regular;             /* @fd is a regular file (can be truncated) */
    enum pf_file_format format;
    uint32_t linktype;
    uint32_t snaplen;
    int packet_buffered;
    uint8_t *buf;
    size_t cap;
    size_t len;
    uint64_t flushed;        /* bytes known to be in the file */
    uint64_t bytes;          /* bytes accepted (flushed + buffered) */
    struct pf_error error;   /* sticky write error */
    uint32_t idb_linktypes[MAX_IDBS];
    uint32_t n_idbs;
    char name[200];          /* for messages */
};

/* Writes all of [p, p+n) to the descriptor; 0 or a negative errno. */
static int write_all(struct pf_pcap_writer *w, const uint8_t *p, size_t n)
{
    ssize_t k;

    while (n) {
        k = write(w->fd, p, n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0)
            return -errno;
        if (k == 0)
            return -EIO;
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

/* Records a write failure, trimming a partial record off a regular file. */
static int write_failed(struct pf_pcap_writer *w, int rc, struct pf_error *err)
{
    if (w->regular)
        (void)!ftruncate(w->fd, (off_t)w->flushed);
    pf_capture_error(&w->error, rc, w->flushed, PF_MSG_WRITE_FAILED, w->name,
                     strerror(-rc), NULL, 0);
    if (err && !err->err)
        *err = w->error;
    return rc;
}

int pf_pcap_writer_flush(struct pf_pcap_writer *w, struct pf_error *err)
{
    int rc;

    if (w->error.err) {
        if (err && !err->err)
            *err = w->error;
        return w->error.err;
    }
    if (!w->len)
        return 0;
    rc = write_all(w, w->buf, w->len);
    if (rc < 0)
        return write_failed(w, rc, err);
    w->flushed += w->len;
    w->len = 0;
    return 0;
}

/* Appends @n bytes to the buffer (the caller made room). */
static void put(struct pf_pcap_writer *w, const void *p, size_t n)
{
    memcpy(w->buf + w->len, p, n);
    w->len += n;
    w->bytes += n;
}

static void put_zeros(struct pf_pcap_writer *w, size_t n)
{
    memset(w->buf + w->len, 0, n);
    w->len += n;
    w->bytes += n;
}

static void put32(struct pf_pcap_writer *w, uint32_t v)
{
    put(w, &v, 4);
}

static void put16(struct pf_pcap_writer *w, uint16_t v)
{
    put(w, &v, 2);
}

/* Makes room for @n more bytes, flushing or growing the buffer. */
static int reserve(struct pf_pcap_writer *w, size_t n, struct pf_error *err)
{
    uint8_t *bigger;
    int rc;

    if (w->cap - w->len >= n)
        return 0;
    rc = pf_pcap_writer_flush(w, err);
    if (rc < 0 || w->cap >= n)
        return rc;
    bigger = realloc(w->buf, n);
    if (!bigger)
        return PF_SYS_ERR(err, -ENOMEM, NO_MEMORY_RECORD, NULL, NULL, n);
    w->buf = bigger;
    w->cap = n;
    return 0;
}

static void put_pcap_header(struct pf_pcap_writer *w)
{
    put32(w, w->format == PF_FILE_PCAP_NSEC ? 0xa1b23c4du : 0xa1b2c3d4u);
    put16(w, 2);
    put16(w, 4);
    put32(w, 0);          /* thiszone */
    put32(w, 0);          /* sigfigs */
    put32(w, w->snaplen);
    put32(w, w->linktype);
}

/* SHB: byte-order magic, version 1.0, unknown section length. */
static void put_pcapng_shb(struct pf_pcap_writer *w)
{
    put32(w, 0x0a0d0d0au);
    put32(w, 28);
    put32(w, 0x1a2b3c4du);
    put16(w, 1);
    put16(w, 0);
    put32(w, 0xffffffffu);
    put32(w, 0xffffffffu);
    put32(w, 28);
}

/* IDB for @linktype: snaplen, if_tsresol = 9 (nanoseconds), end. */
static void put_pcapng_idb(struct pf_pcap_writer *w, uint32_t linktype)
{
    static const uint8_t tsresol_value[4] = {9, 0, 0, 0};

    put32(w, 0x00000001u);
    put32(w, 32);
    put16(w, (uint16_t)linktype);
    put16(w, 0);
    put32(w, w->snaplen);
    put16(w, 9);                       /* if_tsresol, length 1 */
    put16(w, 1);
    put(w, tsresol_value, 4);          /* 10^-9, padding */
    put32(w, 0);                       /* opt_endofopt */
    put32(w, 32);
}

static int check_opts(const struct pf_pcap_writer_opts *o,
                      struct pf_error *err)
{
    if (!o || o->sz < sizeof(*o))
        return PF_SYS_ERR(err, -EINVAL, OPTS_SIZE, NULL, NULL);
    if (o->format != PF_FILE_PCAP && o->format != PF_FILE_PCAP_NSEC &&
        o->format != PF_FILE_PCAPNG)
        return PF_SYS_ERR(err, -EINVAL, FORMAT, NULL, NULL, (int)o->format);
    if (o->format == PF_FILE_PCAPNG && o->linktype > 0xffff)
        return PF_SYS_ERR(err, -EINVAL, NG_LINKTYPE, NULL, NULL, o->linktype);
    return 0;
}

/* Builds a writer on @fd and buffers the file header. */
static int writer_new(int fd, int own, const char *name,
                      const struct pf_pcap_writer_opts *o,
                      struct pf_pcap_writer **out, struct pf_error *err)
{
    struct pf_pcap_writer *w = calloc(1, sizeof(*w));
    struct stat st;

    if (w)
        w->cap = o->buffer_size ? o->buffer_size : DEFAULT_BUFFER;
    if (w && w->cap < 64)
        w->cap = 64;
    if (!w || !(w->buf = malloc(w->cap))) {
        free(w);
        return PF_SYS_ERR(err, -ENOMEM, NO_MEMORY_BUFFER, NULL, NULL);
    }
    pf_error_init(&w->error);
    w->fd = fd;
    w->own_fd = own;
    w->regular = fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
    w->format = o->format;
    w->linktype = o->linktype;
    w->snaplen = o->snaplen ? o->snaplen : DEFAULT_SNAPLEN;
    w->packet_buffered = o->packet_buffered;
    snprintf(w->name, sizeof(w->name), "%s", name);
    if (w->format == PF_FILE_PCAPNG) {
        put_pcapng_shb(w);
        put_pcapng_idb(w, w->linktype);
        w->idb_linktypes[w->n_idbs++] = w->linktype;
    } else
        put_pcap_header(w);
    *out = w;
    return 0;
}

int pf_pcap_writer_open_fd(int fd, const struct pf_pcap_writer_opts *opts,
                           struct pf_pcap_writer **out, struct pf_error *err)
{
    int rc;

    *out = NULL;
    rc = check_opts(opts, err);
    if (rc < 0)
        return rc;
    return writer_new(fd, 0, "output", opts, out, err);
}

int pf_pcap_writer_open(const char *path,
                        const struct pf_pcap_writer_opts *opts,
                        struct pf_pcap_writer **out, struct pf_error *err)
{
    int to_stdout = !strcmp(path, "-");
    int fd, rc;

    *out = NULL;
    rc = check_opts(opts, err);
    if (rc < 0)
        return rc;
    fd = to_stdout ? STDOUT_FILENO
                   : open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return PF_SYS_ERR(err, -errno, OPEN_FAILED, path, strerror(errno));
    rc = writer_new(fd, !to_stdout, to_stdout ? "standard output" : path,
                    opts, out, err);
    if (rc < 0 && !to_stdout)
        close(fd);
    return rc;
}

/* Index of the IDB for @linktype, adding one if needed; or an error. */
static int pcapng_iface(struct pf_pcap_writer *w, uint32_t linktype,
                        uint32_t *ifindex, struct pf_error *err)
{
    int rc;

    for (uint32_t i = 0; i < w->n_idbs; i++) {
        if (w->idb_linktypes[i] == linktype) {
            *ifindex = i;
            return 0;
        }
    }
    if (linktype > 0xffff || w->n_idbs == MAX_IDBS)
        return PF_SYS_ERR(err, -EINVAL, IDB_LIMIT, NULL, NULL, linktype);
    if ((rc = reserve(w, 32, err)) < 0)
        return rc;
    put_pcapng_idb(w, linktype);
    w->idb_linktypes[w->n_idbs] = linktype;
    *ifindex = w->n_idbs++;
    return 0;
}

static int write_epb(struct pf_pcap_writer *w, const struct pf_packet *pkt,
                     uint32_t caplen, struct pf_error *err)
{
    uint32_t ifindex = 0, total = 32 + ((caplen + 3u) & ~3u);
    uint64_t ts = (uint64_t)pkt->ts_sec * 1000000000u + pkt->ts_nsec;
    int rc;

    /* 64 bits of nanoseconds since 1970 reach the year 2554. */
    if (pkt->ts_sec < 0 ||
        pkt->ts_sec > (int64_t)(UINT64_MAX / 1000000000u) - 1)
        return PF_SYS_ERR(err, -ERANGE, TS_RANGE, NULL, NULL, pkt->ts_sec);
    if ((rc = pcapng_iface(w, pkt->linktype, &ifindex, err)) < 0)
        return rc;
    if ((rc = reserve(w, total, err)) < 0)
        return rc;
    put32(w, 0x00000006u);
    put32(w, total);
    put32(w, ifindex);
    put32(w, (uint32_t)(ts >> 32));
    put32(w, (uint32_t)ts);
    put32(w, caplen);
    put32(w, pkt->wirelen);
    put(w, pkt->data, caplen);
    put_zeros(w, total - 32 - caplen);
    put32(w, total);
    return 0;
}

/* Classic pcap record; microseconds are truncated, as tcpdump does. */
static int write_record(struct pf_pcap_writer *w, const struct pf_packet *pkt,
                        uint32_t caplen, struct pf_error *err)
{
    int rc;

    if (pkt->linktype != w->linktype)
        return PF_SYS_ERR(err, -EINVAL, LINKTYPE_MISMATCH, NULL, NULL,
                          pkt->linktype, w->linktype);
    if ((rc = reserve(w, 16 + (size_t)caplen, err)) < 0)
        return rc;
    put32(w, (uint32_t)pkt->ts_sec);
    put32(w, w->format == PF_FILE_PCAP_NSEC ? pkt->ts_nsec
                                            : pkt->ts_nsec / 1000);
    put32(w, caplen);
    put32(w, pkt->wirelen);
    put(w, pkt->data, caplen);
    return 0;
}

int pf_pcap_writer_write(struct pf_pcap_writer *w, const struct pf_packet *pkt,
                         struct pf_error *err)
{
    uint32_t caplen = pkt->caplen < w->snaplen ? pkt->caplen : w->snaplen;
    int rc;

    if (w->error.err)
        return pf_pcap_writer_flush(w, err);
    if (pkt->ts_nsec >= 1000000000u)
        return PF_SYS_ERR(err, -EINVAL, TS_NSEC, NULL, NULL, pkt->ts_nsec);
    if (w->format == PF_FILE_PCAPNG)
        rc = write_epb(w, pkt, caplen, err);
    else
        rc = write_record(w, pkt, caplen, err);
    if (rc == 0 && w->packet_buffered)
        rc = pf_pcap_writer_flush(w, err);
    return rc;
}

int pf_pcap_writer_close(struct pf_pcap_writer *w, struct pf_error *err)
{
    int rc;

    if (!w)
        return 0;
    rc = pf_pcap_writer_flush(w, err);
    if (w->own_fd && close(w->fd) < 0 && rc == 0)
        rc = PF_SYS_ERR(err, -errno, CLOSE_FAILED, w->name, strerror(errno));
    free(w->buf);
    free(w);
    return rc;
}

uint64_t pf_pcap_writer_bytes(const struct pf_pcap_writer *w)
{
    return w->bytes;
}
