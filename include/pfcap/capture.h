/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Packet sources and sinks: capture files (classic pcap with microsecond
 * or nanosecond timestamps in either byte order, and pcapng), read through
 * mmap without per-packet copies, and written in large blocks. capture/
 * knows nothing about filters: callers pull packets and decide.
 */
#ifndef PFCAP_CAPTURE_H
#define PFCAP_CAPTURE_H

#include <stddef.h>
#include <stdint.h>

#include <pfcap/error.h>

#ifdef __cplusplus
extern "C" {
#endif

/* One packet. @data points into the reader's mapping (valid until the
 * next call on the reader, or until it is closed). */
struct pf_packet {
    const uint8_t *data;
    uint32_t caplen;     /* bytes at @data */
    uint32_t wirelen;    /* length on the wire */
    int64_t ts_sec;      /* seconds since the epoch */
    uint32_t ts_nsec;    /* nanoseconds, 0..999999999 */
    uint32_t linktype;   /* LINKTYPE_* value of this packet's interface */
    uint32_t ifindex;    /* pcapng interface id; 0 for classic pcap */
};

enum pf_file_format {
    PF_FILE_PCAP,        /* classic pcap, microsecond timestamps */
    PF_FILE_PCAP_NSEC,   /* classic pcap, nanosecond timestamps */
    PF_FILE_PCAPNG,
};

struct pf_pcap_reader;

/*
 * Opens a capture file (format detected from its magic). @path "-" reads
 * standard input into memory. Errors: negative errno with @err naming the
 * file and byte offset (bad magic, bad version, truncated header).
 */
int pf_pcap_reader_open(const char *path, struct pf_pcap_reader **out,
                        struct pf_error *err);

/*
 * Opens a capture held in memory (@buf must outlive the reader). Same
 * errors as pf_pcap_reader_open.
 */
int pf_pcap_reader_open_mem(const void *buf, size_t len,
                            struct pf_pcap_reader **out, struct pf_error *err);

/*
 * Reads the next packet into @pkt. Returns 1 for a packet, 0 at the clean
 * end of the file, or a negative errno with @err naming the byte offset of
 * the damage (every good packet before it has been returned first).
 */
int pf_pcap_reader_next(struct pf_pcap_reader *r, struct pf_packet *pkt,
                        struct pf_error *err);

/* Closes @r (NULL is fine) and unmaps the file. */
void pf_pcap_reader_close(struct pf_pcap_reader *r);

/* The file's format. */
enum pf_file_format pf_pcap_reader_format(const struct pf_pcap_reader *r);

/* Link type of the file (pcap) or of the first interface (pcapng; -1 if
 * no interface has been seen yet, which pf_pcap_reader_open avoids by
 * reading ahead to the first IDB when it can). */
int pf_pcap_reader_linktype(const struct pf_pcap_reader *r);

/* Snapshot length of the file or first interface. */
uint32_t pf_pcap_reader_snaplen(const struct pf_pcap_reader *r);

/* 1 if the file (or its current section) is in the other byte order
 * than this host's, else 0. Filters compiled for the file need it (libpcap
 * compiles DLT_NULL address families in the file's byte order). */
int pf_pcap_reader_swapped(const struct pf_pcap_reader *r);

/* 1 if timestamps have nanosecond (or finer) resolution, else 0. */
int pf_pcap_reader_nsec(const struct pf_pcap_reader *r);

/* Byte offset of the next record (for progress and error reports). */
uint64_t pf_pcap_reader_offset(const struct pf_pcap_reader *r);

/* Total size of the input in bytes. */
uint64_t pf_pcap_reader_size(const struct pf_pcap_reader *r);

struct pf_pcap_writer;

/* Writer options (start with the size, as libbpf does). */
struct pf_pcap_writer_opts {
    size_t sz;                 /* sizeof(struct pf_pcap_writer_opts) */
    enum pf_file_format format;
    uint32_t linktype;         /* for classic pcap and the first IDB */
    uint32_t snaplen;          /* 0 means 262144 */
    size_t buffer_size;        /* output buffer, 0 means 1 MiB */
    int packet_buffered;       /* flush after every packet (tcpdump -U) */
};

/*
 * Creates @path ("-" = standard output) and writes the file header.
 * Errors: negative errno with @err naming the file.
 */
int pf_pcap_writer_open(const char *path,
                        const struct pf_pcap_writer_opts *opts,
                        struct pf_pcap_writer **out, struct pf_error *err);

/* Same on an open descriptor, which the writer does not close. */
int pf_pcap_writer_open_fd(int fd, const struct pf_pcap_writer_opts *opts,
                           struct pf_pcap_writer **out, struct pf_error *err);

/*
 * Appends one packet (pcapng: in an EPB on the interface for
 * @pkt->linktype, adding an IDB the first time a link type is seen).
 * Errors: negative errno (the write failed; what was written stays a
 * valid file up to the last complete flush); -EINVAL for a packet whose
 * link type differs from a classic pcap file's; -ERANGE for a pcapng
 * timestamp outside 1970..2554. Packets longer than the snaplen are cut.
 */
int pf_pcap_writer_write(struct pf_pcap_writer *w, const struct pf_packet *pkt,
                         struct pf_error *err);

/* Writes buffered data out. */
int pf_pcap_writer_flush(struct pf_pcap_writer *w, struct pf_error *err);

/* Flushes, closes the file and frees @w (NULL is fine). Returns the first
 * error of the final flush or close. */
int pf_pcap_writer_close(struct pf_pcap_writer *w, struct pf_error *err);

/* Bytes written so far (header included), for -C rotation. */
uint64_t pf_pcap_writer_bytes(const struct pf_pcap_writer *w);

/* Name of a link type ("EN10MB") or NULL; and the reverse (-1 if
 * unknown; also accepts decimal numbers). */
const char *pf_linktype_name(int linktype);
int pf_linktype_from_name(const char *name);
/* One-line description ("Ethernet") as tcpdump prints with -L, or NULL. */
const char *pf_linktype_description(int linktype);

/*
 * Splitting one capture file into record-aligned byte ranges that several
 * threads read at once (capture/split.c). Each range comes as a reader of
 * its own over the same input: it starts with the state a whole-file read
 * has there (pcapng byte order and interfaces: link types, timestamp
 * resolution), returns 0 at the range end, and reports damage with the
 * same message and byte offset as a whole-file read.
 */
struct pf_pcap_splitter;

/*
 * Starts cutting what @r has not read yet (call it right after opening).
 * @r must stay open while the splitter or any of its ranges is in use.
 * Errors: -ENOMEM.
 */
int pf_pcap_splitter_new(const struct pf_pcap_reader *r,
                         struct pf_pcap_splitter **out, struct pf_error *err);

/*
 * Cuts the next range: whole records from where the previous range ended,
 * at least @min_bytes of them unless the input ends first, looking at
 * record headers only. Where the headers show damage, cutting stops and
 * this range runs to the end of the input (its reader then returns the
 * good packets and the error). Returns 1 with a reader in *@out (close it
 * with pf_pcap_reader_close), 0 when nothing is left, or -ENOMEM.
 */
int pf_pcap_splitter_next(struct pf_pcap_splitter *s, size_t min_bytes,
                          struct pf_pcap_reader **out, struct pf_error *err);

/* Frees @s (NULL is fine); its ranges stay valid. */
void pf_pcap_splitter_free(struct pf_pcap_splitter *s);

/*
 * 1 if @p points into @r's input (packet data there stays valid while the
 * input is open), 0 if it does not (a packet whose pseudo-header had to be
 * byte-swapped lives in the reader's scratch copy until the next call).
 */
int pf_pcap_reader_in_input(const struct pf_pcap_reader *r, const void *p);

/*
 * Reads one byte of every page of bytes [@off, @off + @len) of @r's mapped
 * input, so that the pages are mapped (and read from disk) when a reader
 * gets there: a thread running ahead of the readers takes the page faults
 * off their path. Returns a sum of the bytes read (meaningless; it keeps
 * the reads). Does nothing for input held in memory.
 */
uint64_t pf_pcap_reader_touch(const struct pf_pcap_reader *r, uint64_t off,
                              uint64_t len);

#ifdef __cplusplus
}
#endif

#endif
