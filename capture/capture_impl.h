/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * capture/ private header: the reader's state shared by the format-neutral
 * front end (reader.c: mapping, stdin, accessors) and the two parsers
 * (pcap_read.c for classic pcap, pcapng_read.c for pcapng), the limits
 * libpcap 1.10 applies (which we apply too, so that a file libpcap rejects
 * is rejected here), and the error codes of the file stage.
 */
#ifndef PF_CAPTURE_IMPL_H
#define PF_CAPTURE_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include <pfcap/capture.h>
#include <pfcap/error.h>

/* libpcap's MAXIMUM_SNAPLEN and the larger per-link-type maxima. */
#define PF_CAPTURE_MAX_SNAPLEN 262144u
#define PF_LINKTYPE_DBUS 231u
#define PF_LINKTYPE_USBPCAP 249u
#define PF_LINKTYPE_EBHSCR 279u

/* pcapng: libpcap's sanity limits on block sizes. */
#define PF_PCAPNG_SHB_MAX (1024u * 1024u)
#define PF_PCAPNG_INITIAL_MAX_BLOCK (16u * 1024u * 1024u)

/* Error codes of the file stage (struct pf_error.code). */
#define PF_CAPTURE_ERRORS(X)                                                   \
    X(NONE)                                                                    \
    X(IO)                                                                      \
    X(BAD_MAGIC)                                                               \
    X(BAD_VERSION)                                                             \
    X(TRUNCATED)                                                               \
    X(BAD_CAPLEN)                                                              \
    X(BAD_BLOCK)                                                               \
    X(BAD_OPTION)                                                              \
    X(NO_INTERFACE)                                                            \
    X(WRITE)                                                                   \
    X(USAGE)

enum pf_capture_error {
#define PF_CAPTURE_ERROR_ENUM(name) PF_CAPTURE_E_##name,
    PF_CAPTURE_ERRORS(PF_CAPTURE_ERROR_ENUM)
#undef PF_CAPTURE_ERROR_ENUM
};

/*
 * Every message capture/ reports: X(id, code, number of numeric
 * arguments, template). Templates take %u (unsigned), %d (signed), %x
 * (hexadecimal) numbers in order, and %s strings (at most two, in order).
 * A unit test checks each template against its argument count.
 */
#define PF_CAPTURE_MESSAGES(X)                                                 \
    X(OPEN_FAILED, IO, 0, "%s: %s")                                            \
    X(READ_FAILED, IO, 0, "%s: read failed: %s")                               \
    X(MMAP_FAILED, IO, 0, "%s: mmap failed: %s")                               \
    X(NO_MEMORY, IO, 0, "out of memory")                                       \
    X(NO_MEMORY_INPUT, IO, 0, "%s: out of memory reading input")               \
    X(TRUNC_MAGIC, TRUNCATED, 1, "truncated file header: %u of 4 magic bytes") \
    X(BAD_MAGIC, BAD_MAGIC, 1, "not a pcap or pcapng file (magic %x)")         \
    X(ARCHAIC, BAD_VERSION, 2,                                                 \
      "archaic pcap savefile format (version %u.%u)")                          \
    X(PCAP_VERSION, BAD_VERSION, 2, "unsupported pcap savefile version %u.%u") \
    X(TRUNC_PCAP_HEADER, TRUNCATED, 2,                                         \
      "truncated pcap file header: %u of %u bytes")                            \
    X(CAPLEN_SNAPLEN, BAD_CAPLEN, 2,                                           \
      "invalid packet capture length %u, bigger than snaplen of %u")           \
    X(CAPLEN_MAX, BAD_CAPLEN, 2,                                               \
      "invalid packet capture length %u, bigger than maximum of %u")           \
    X(TRUNC_RECORD_HEADER, TRUNCATED, 2,                                       \
      "truncated record header: %u of %u bytes left in file")                  \
    X(TRUNC_RECORD, TRUNCATED, 2,                                              \
      "truncated packet record: header says %u bytes, %u left in file")        \
    X(NG_TOO_SMALL, BAD_MAGIC, 1,                                              \
      "not a pcapng file: %u bytes are too few for a section header")          \
    X(NG_BOM, BAD_MAGIC, 1, "not a pcapng file: bad byte-order magic %x")      \
    X(SHB_LEN, BAD_BLOCK, 3, "section header length %u is outside %u..%u")    \
    X(TRUNC_SHB, TRUNCATED, 2,                                                 \
      "truncated section header: header says %u bytes, %u in file")            \
    X(NG_VERSION, BAD_VERSION, 2, "unsupported pcapng savefile version %u.%u") \
    X(SECTION_MAJOR, BAD_VERSION, 1,                                           \
      "unsupported pcapng major version %u in section header")                 \
    X(SECTION_BOM, BAD_BLOCK, 1,                                               \
      "section header has a bad byte-order magic %x")                          \
    X(TRUNC_BLOCK_HEADER, TRUNCATED, 1,                                        \
      "truncated block header: %u of 8 bytes left in file")                    \
    X(BLOCK_SHORT_LEN, BAD_BLOCK, 2,                                           \
      "block length %u is shorter than %u bytes")                              \
    X(BLOCK_ALIGN, BAD_BLOCK, 2, "block length %u is not a multiple of %u")   \
    X(BLOCK_HUGE, BAD_BLOCK, 2,                                                \
      "block length %u is more than the maximum of %u")                        \
    X(TRUNC_BLOCK, TRUNCATED, 2,                                               \
      "truncated block: header says %u bytes, %u left in file")                \
    X(TRAILER, BAD_BLOCK, 2,                                                   \
      "block length in header (%u) and trailer (%u) differ")                   \
    X(BLOCK_TOO_SHORT, BAD_BLOCK, 4,                                           \
      "block of type %u is too short: %u bytes needed at body offset %u, "     \
      "%u there")                                                              \
    X(TSRESOL_DEC, BAD_OPTION, 1,                                              \
      "if_tsresol 10^-%u is too fine to represent")                            \
    X(TSRESOL_BIN, BAD_OPTION, 1, "if_tsresol 2^-%u is too fine to represent") \
    X(ENDOFOPT, BAD_OPTION, 1, "opt_endofopt with length %u")                 \
    X(OPTION_LEN, BAD_OPTION, 1, "%s option with length %u (or repeated)")     \
    X(NO_MEMORY_IFACES, IO, 1, "out of memory for %u interfaces")              \
    X(NO_IDB, NO_INTERFACE, 0, "the file has no Interface Description Block")  \
    X(PACKET_BEFORE_IDB, NO_INTERFACE, 0,                                      \
      "packet block before any Interface Description Block")                   \
    X(NO_SUCH_IFACE, NO_INTERFACE, 2,                                          \
      "packet on interface %u, but the section has %u Interface "              \
      "Description Blocks")                                                    \
    X(WRITE_FAILED, WRITE, 0, "%s: write failed: %s")                          \
    X(CLOSE_FAILED, WRITE, 0, "%s: close failed: %s")                          \
    X(NO_MEMORY_BUFFER, IO, 0, "out of memory for the output buffer")          \
    X(NO_MEMORY_RECORD, IO, 1, "out of memory for a %u-byte record")           \
    X(OPTS_SIZE, USAGE, 0, "writer options missing or too small (sz)")         \
    X(FORMAT, USAGE, 1, "unknown output format %d")                            \
    X(NG_LINKTYPE, USAGE, 1, "link type %u does not fit a pcapng interface")  \
    X(IDB_LIMIT, USAGE, 1, "cannot add an interface for link type %u")        \
    X(TS_RANGE, USAGE, 1,                                                      \
      "timestamp %d s is outside what a nanosecond pcapng interface holds "    \
      "(1970..2554)")                                                          \
    X(TS_NSEC, USAGE, 1, "packet timestamp has %u nanoseconds")                \
    X(LINKTYPE_MISMATCH, USAGE, 2,                                             \
      "packet has link type %u but the pcap file has %u; use pcapng for "      \
      "mixed link types")

enum pf_capture_msg {
#define PF_CAPTURE_MSG_ENUM(id, code, nargs, text) PF_MSG_##id,
    PF_CAPTURE_MESSAGES(PF_CAPTURE_MSG_ENUM)
#undef PF_CAPTURE_MSG_ENUM
    PF_MSG_COUNT
};

/*
 * Records message @id in @err (first error wins) with errno @rc (negative)
 * and the byte @offset (PF_NO_OFFSET for none); @s1/@s2 fill the %s
 * slots, @nums[0..n) the numeric ones (a missing value prints as "?").
 * Returns @rc. Use the PF_FILE_ERR / PF_SYS_ERR wrappers.
 */
int pf_capture_error(struct pf_error *err, int rc, uint64_t offset,
                     enum pf_capture_msg id, const char *s1, const char *s2,
                     const uint64_t *nums, size_t n);

/* The template and numeric argument count of @id (for the table test). */
const char *pf_capture_msg_template(enum pf_capture_msg id);
int pf_capture_msg_nargs(enum pf_capture_msg id);

#define PF_CAPTURE_NUMS(...)                                                   \
    (const uint64_t[]){0, __VA_ARGS__} + 1,                                    \
        sizeof((const uint64_t[]){0, __VA_ARGS__}) / sizeof(uint64_t) - 1

/* Damage at byte @off of the input: -EINVAL with message @id. */
#define PF_FILE_ERR(err, off, id, ...)                                         \
    pf_capture_error((err), -EINVAL, (off), PF_MSG_##id, NULL, NULL,           \
                     PF_CAPTURE_NUMS(__VA_ARGS__))

/* Any other failure: errno @rc, strings @s1 and @s2, no offset. */
#define PF_SYS_ERR(err, rc, id, s1, s2, ...)                                   \
    pf_capture_error((err), (rc), PF_NO_OFFSET, PF_MSG_##id, (s1), (s2),       \
                     PF_CAPTURE_NUMS(__VA_ARGS__))

/* One pcapng interface (per section), with its timestamp conversion. */
struct pf_ng_iface {
    uint32_t linktype;
    uint32_t snaplen;      /* adjusted as libpcap does */
    uint64_t tsresol;      /* units per second */
    int binary;            /* tsresol is a power of 2 */
    int64_t tsoffset;      /* seconds added to every timestamp */
};

struct pf_pcap_reader {
    const uint8_t *base;   /* the whole input */
    size_t size;
    size_t pos;            /* offset of the next record or block */
    void *map;             /* mmap'd region, or NULL */
    size_t map_len;
    uint8_t *heap;         /* malloc'd copy (stdin, pipes), or NULL */
    enum pf_file_format format;
    int swap;              /* file byte order differs from ours */
    int linktype;          /* file / first interface; -1 if none yet */
    uint32_t snaplen;      /* file / first interface, adjusted */
    int nsec;
    int failed;            /* sticky: @error was reported */
    struct pf_error error;
    /* classic pcap */
    size_t rec_hdr_len;    /* 16, or 24 for the modified (Kuznetzov) magic */
    int lengths_swapped;   /* 0 no, 1 yes, 2 maybe (version 2.3) */
    uint32_t max_caplen;   /* libpcap's max_snaplen_for_dlt */
    /* pcapng */
    struct pf_ng_iface *ifaces;
    uint32_t n_ifaces;
    uint32_t cap_ifaces;
    uint32_t max_block;    /* largest block accepted */
    uint8_t *scratch;      /* a packet whose pseudo-header was swapped */
    size_t scratch_cap;
};

/* The largest caplen libpcap accepts for @linktype (max_snaplen_for_dlt). */
uint32_t pf_capture_max_snaplen(uint32_t linktype);

/* libpcap's snapshot adjustment: 0 or > INT_MAX becomes the maximum. */
uint32_t pf_capture_adjust_snaplen(uint32_t linktype, uint32_t snaplen);

/* Maps the few DLT values found in files to their LINKTYPE (12 -> 101). */
uint32_t pf_capture_linktype_normalize(uint32_t value);

/*
 * Parses the classic pcap file header at r->base (the magic has been
 * recognised by the caller). Returns 0 or a negative errno with @err set.
 */
int pf_pcap_header_parse(struct pf_pcap_reader *r, struct pf_error *err);

/* Next classic pcap record: 1 packet, 0 end, negative errno. */
int pf_pcap_record_next(struct pf_pcap_reader *r, struct pf_packet *pkt,
                        struct pf_error *err);

/*
 * Parses the first Section Header Block and reads ahead to the first
 * Interface Description Block, as libpcap does when it opens a pcapng
 * file. Returns 0 or a negative errno with @err set.
 */
int pf_pcapng_header_parse(struct pf_pcap_reader *r, struct pf_error *err);

/* Next pcapng packet (EPB, SPB or PB): 1 packet, 0 end, negative errno. */
int pf_pcapng_block_next(struct pf_pcap_reader *r, struct pf_packet *pkt,
                         struct pf_error *err);

/*
 * Applies libpcap's pseudo-header fix-ups to @pkt (byte-swapping host-order
 * headers of files from the other byte order, into r->scratch; the USB
 * mmapped wire length). Returns 0 or -ENOMEM.
 */
int pf_capture_pseudo_fix(struct pf_pcap_reader *r, struct pf_packet *pkt,
                          struct pf_error *err);

/*
 * Sets ts_sec/ts_nsec of @pkt from a signed seconds value and a signed
 * count of nanoseconds that may lie outside 0..999999999 (classic pcap
 * files carry 32-bit signed sub-second fields that are not always in
 * range); the instant is kept, the fields are normalised.
 */
void pf_capture_ts_set(struct pf_packet *pkt, int64_t sec, int64_t nsec);

#endif
