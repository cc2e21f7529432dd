/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Capture file reader front end: maps a regular file read-only (packets
 * are handed out in place), reads standard input or a pipe into one heap
 * buffer, or takes a caller's buffer; recognises the format from the first
 * four bytes and hands over to the classic pcap or pcapng parser. Also the
 * small helpers both parsers share (libpcap's snapshot limits, timestamp
 * normalisation) and the accessors of the public API.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <pfcap/capture.h>

#include "capture/capture_impl.h"
#include "common/bytes.h"

#define PCAP_MAGIC_USEC 0xa1b2c3d4u
#define PCAP_MAGIC_NSEC 0xa1b23c4du
#define PCAP_MAGIC_KUZNETZOV 0xa1b2cd34u
#define PCAPNG_MAGIC_SHB 0x0a0d0d0au

uint32_t pf_capture_max_snaplen(uint32_t linktype)
{
    switch (linktype) {
    case PF_LINKTYPE_DBUS:
        return 128u * 1024u * 1024u;
    case PF_LINKTYPE_EBHSCR:
        return 8u * 1024u * 1024u;
    case PF_LINKTYPE_USBPCAP:
        return 1024u * 1024u;
    default:
        return PF_CAPTURE_MAX_SNAPLEN;
    }
}

uint32_t pf_capture_adjust_snaplen(uint32_t linktype, uint32_t snaplen)
{
    /* libpcap 1.10 keeps any snaplen that fits an int, even a huge one. */
    if (snaplen == 0 || snaplen > INT_MAX)
        return pf_capture_max_snaplen(linktype);
    return snaplen;
}

void pf_capture_ts_set(struct pf_packet *pkt, int64_t sec, int64_t nsec)
{
    int64_t carry = nsec / 1000000000;

    nsec -= carry * 1000000000;
    if (nsec < 0) {
        nsec += 1000000000;
        carry--;
    }
    pkt->ts_sec = (int64_t)((uint64_t)sec + (uint64_t)carry);
    pkt->ts_nsec = (uint32_t)nsec;
}

/* Which parser handles the file starting with @magic (read little-endian). */
static enum { MAGIC_NONE, MAGIC_PCAP, MAGIC_PCAPNG } magic_kind(uint32_t magic)
{
    uint32_t swapped = __builtin_bswap32(magic);

    if (magic == PCAPNG_MAGIC_SHB)
        return MAGIC_PCAPNG;
    if (magic == PCAP_MAGIC_USEC || magic == PCAP_MAGIC_NSEC ||
        magic == PCAP_MAGIC_KUZNETZOV || swapped == PCAP_MAGIC_USEC ||
        swapped == PCAP_MAGIC_NSEC || swapped == PCAP_MAGIC_KUZNETZOV)
        return MAGIC_PCAP;
    return MAGIC_NONE;
}

/* Recognises the format from the first 4 bytes and parses the header. */
static int parse_header(struct pf_pcap_reader *r, struct pf_error *err)
{
    uint32_t magic;

    if (r->size < 4)
        return PF_FILE_ERR(err, 0, TRUNC_MAGIC, r->size);
    magic = pf_get_le32(r->base);
    switch (magic_kind(magic)) {
    case MAGIC_PCAPNG:
        return pf_pcapng_header_parse(r, err);
    case MAGIC_PCAP:
        return pf_pcap_header_parse(r, err);
    default:
        return PF_FILE_ERR(err, 0, BAD_MAGIC, magic);
    }
}

/*
 * Reads all of @fd into a heap buffer (stdin, pipes, character devices).
 * Stops early when the first four bytes are no capture file's magic, so
 * that an endless stream of something else (/dev/zero) is refused at once.
 */
static int slurp_fd(int fd, struct pf_pcap_reader *r, const char *name,
                    struct pf_error *err)
{
    size_t cap = 1 << 16, len = 0;
    uint8_t *buf = malloc(cap), *bigger;
    ssize_t n = 1;

    while (buf && n != 0) {
        if (len == cap) {
            if (!(bigger = realloc(buf, cap * 2)))
                break;
            buf = bigger;
            cap *= 2;
        }
        n = read(fd, buf + len, cap - len);
        if (n < 0 && errno != EINTR) {
            int e = errno;
            free(buf);
            return PF_SYS_ERR(err, -e, READ_FAILED, name, strerror(e));
        }
        len += n > 0 ? (size_t)n : 0;
        if (len >= 4 && magic_kind(pf_get_le32(buf)) == MAGIC_NONE)
            n = 0;   /* not a capture: parse_header reports it */
    }
    if (!buf || n != 0) {
        free(buf);
        return PF_SYS_ERR(err, -ENOMEM, NO_MEMORY_INPUT, name, NULL);
    }
    r->heap = buf;
    r->base = buf;
    r->size = len;
    return 0;
}

/* Maps a regular file, or slurps anything else. */
static int load_fd(int fd, struct pf_pcap_reader *r, const char *name,
                   struct pf_error *err)
{
    static const uint8_t empty[1];
    struct stat st;
    void *m;

    if (fstat(fd, &st) < 0)
        return PF_SYS_ERR(err, -errno, OPEN_FAILED, name, strerror(errno));
    if (!S_ISREG(st.st_mode))
        return slurp_fd(fd, r, name, err);
    if (st.st_size == 0) {
        r->base = empty;
        r->size = 0;
        return 0;
    }
    m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (m == MAP_FAILED)
        return PF_SYS_ERR(err, -errno, MMAP_FAILED, name, strerror(errno));
    (void)madvise(m, (size_t)st.st_size, MADV_SEQUENTIAL);
    r->map = m;
    r->map_len = (size_t)st.st_size;
    r->base = m;
    r->size = (size_t)st.st_size;
    return 0;
}


/* Puts "@name: " in front of the message @err holds. */
static void name_error(struct pf_error *err, const char *name)
{
    char msg[2 * PF_ERROR_MSG_MAX];
    size_t n = strlen(name);

    if (!err || !err->err || !name ||
        (!strncmp(err->msg, name, n) && err->msg[n] == ':'))
        return;
    snprintf(msg, sizeof(msg), "%.120s: %s", name, err->msg);
    msg[sizeof(err->msg) - 1] = '\0';
    memcpy(err->msg, msg, sizeof(err->msg));
}

static struct pf_pcap_reader *reader_new(void)
{
    struct pf_pcap_reader *r = calloc(1, sizeof(*r));

    if (r)
        r->linktype = -1;
    return r;
}

int pf_pcap_reader_open_mem(const void *buf, size_t len,
                            struct pf_pcap_reader **out, struct pf_error *err)
{
    struct pf_pcap_reader *r = reader_new();
    int rc;

    *out = NULL;
    if (!r)
        return PF_SYS_ERR(err, -ENOMEM, NO_MEMORY, NULL, NULL);
    r->base = buf;
    r->size = buf ? len : 0;
    rc = parse_header(r, err);
    if (rc < 0) {
        pf_pcap_reader_close(r);
        return rc;
    }
    *out = r;
    return 0;
}

int pf_pcap_reader_open(const char *path, struct pf_pcap_reader **out,
                        struct pf_error *err)
{
    int is_stdin = !strcmp(path, "-");
    const char *name = is_stdin ? "standard input" : path;
    struct pf_pcap_reader *r;
    int fd, rc;

    *out = NULL;
    fd = is_stdin ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return PF_SYS_ERR(err, -errno, OPEN_FAILED, name, strerror(errno));
    r = reader_new();
    if (!r)
        rc = PF_SYS_ERR(err, -ENOMEM, NO_MEMORY, NULL, NULL);
    else if (is_stdin)
        rc = slurp_fd(fd, r, name, err);
    else
        rc = load_fd(fd, r, name, err);
    if (!is_stdin)
        close(fd);
    if (rc == 0)
        rc = parse_header(r, err);
    if (rc < 0) {
        name_error(err, name);
        pf_pcap_reader_close(r);
        return rc;
    }
    *out = r;
    return 0;
}

int pf_pcap_reader_next(struct pf_pcap_reader *r, struct pf_packet *pkt,
                        struct pf_error *err)
{
    int rc;

    /* After damage, every further call reports the same error. */
    if (r->failed) {
        if (err && !err->err)
            *err = r->error;
        return r->error.err;
    }
    /* r->error is still empty here (it is set once, on damage), so the hot
     * path does not clear it per packet. */
    if (r->format == PF_FILE_PCAPNG)
        rc = pf_pcapng_block_next(r, pkt, &r->error);
    else
        rc = pf_pcap_record_next(r, pkt, &r->error);
    if (rc < 0) {
        r->failed = 1;
        r->error.err = rc;
        if (err && !err->err)
            *err = r->error;
    }
    return rc;
}

void pf_pcap_reader_close(struct pf_pcap_reader *r)
{
    if (!r)
        return;
    if (r->map)
        munmap(r->map, r->map_len);
    free(r->heap);
    free(r->ifaces);
    free(r->scratch);
    free(r);
}

enum pf_file_format pf_pcap_reader_format(const struct pf_pcap_reader *r)
{
    return r->format;
}

int pf_pcap_reader_linktype(const struct pf_pcap_reader *r)
{
    return r->linktype;
}

uint32_t pf_pcap_reader_snaplen(const struct pf_pcap_reader *r)
{
    return r->snaplen;
}

int pf_pcap_reader_swapped(const struct pf_pcap_reader *r)
{
    return r->swap;
}

int pf_pcap_reader_nsec(const struct pf_pcap_reader *r)
{
    return r->nsec;
}

uint64_t pf_pcap_reader_offset(const struct pf_pcap_reader *r)
{
    return r->pos;
}

uint64_t pf_pcap_reader_size(const struct pf_pcap_reader *r)
{
    return r->size;
}
