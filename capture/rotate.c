/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Rotating capture files, as tcpdump's -C (size), -G (time) and -W
 * (count) do, over pf_pcap_writer. Names follow tcpdump exactly: the
 * template goes through strftime(3) with the time the file was started
 * when -G is on, and with -C a file number is appended (none on the first
 * file unless -W asks for fixed-width numbers). -C with -W reuses the
 * numbers as a ring; -G with -W stops after that many files. Unlike
 * tcpdump, a -G rotation also happens when no packet arrives (tick).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture/live_impl.h"

struct pf_live_rotate {
    char *tmpl;
    struct pf_pcap_writer_opts wopts;
    struct pf_pcap_writer *w;
    uint64_t bytes;
    long secs;
    int files;
    int digits;        /* width of the file number with -W */
    int cnt;           /* -C file number */
    int g_count;       /* -G files finished */
    time_t g_time;     /* start of the current -G interval */
};

int pf_live_rotate_name(const char *tmpl, int use_time, time_t when,
                        int cnt, int digits, char *buf, size_t len)
{
    char name[PATH_MAX + 1];
    struct tm tm;
    int n;

    if (use_time) {
        if (!localtime_r(&when, &tm))
            return -EINVAL;
        if (strftime(name, sizeof(name), tmpl, &tm) == 0 && tmpl[0])
            return -ENAMETOOLONG;
    } else if ((size_t)snprintf(name, sizeof(name), "%s", tmpl) >=
               sizeof(name)) {
        return -ENAMETOOLONG;
    }
    if (cnt == 0 && digits == 0)
        n = snprintf(buf, len, "%s", name);
    else
        n = snprintf(buf, len, "%s%0*d", name, digits, cnt);
    return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* Digits needed for file numbers 0 .. @files - 1 (tcpdump's rule). */
static int rotate_digits(int files)
{
    int c = 0, x = files - 1;

    while (x > 0) {
        c++;
        x /= 10;
    }
    return c;
}

/* Opens the next file and writes its header out at once, so a file is
 * a valid capture from the start even if the disk fills up later. */
static int rotate_open_file(struct pf_live_rotate *r, struct pf_error *err)
{
    char name[PATH_MAX + 1] = "-";
    int rc = 0;

    if (strcmp(r->tmpl, "-") != 0)
        rc = pf_live_rotate_name(r->tmpl, r->secs > 0, r->g_time, r->cnt,
                                 r->bytes ? r->digits : 0, name,
                                 sizeof(name));
    if (rc)
        return pf_error_set(err, rc, PF_STAGE_CAPTURE, PF_LIVE_E_ROTATE,
                            "output file name too long: %s", r->tmpl);
    rc = pf_pcap_writer_open(name, &r->wopts, &r->w, err);
    if (!rc)
        rc = pf_pcap_writer_flush(r->w, err);
    return rc;
}

int pf_live_rotate_open(const struct pf_live_rotate_opts *opts, time_t now,
                        struct pf_live_rotate **out, struct pf_error *err)
{
    struct pf_live_rotate *r;
    int rc;

    *out = NULL;
    if (!opts || opts->sz < sizeof(*opts) || !opts->path)
        return pf_error_set(err, -EINVAL, PF_STAGE_CAPTURE, PF_LIVE_E_ROTATE,
                            "bad rotation options");
    r = calloc(1, sizeof(*r));
    if (!r || !(r->tmpl = strdup(opts->path))) {
        free(r);
        return pf_error_set(err, -ENOMEM, PF_STAGE_CAPTURE, PF_LIVE_E_ROTATE,
                            "out of memory");
    }
    r->wopts = opts->writer;
    r->bytes = opts->bytes;
    r->secs = opts->secs;
    r->files = opts->files;
    r->digits = opts->files > 0 ? rotate_digits(opts->files) : 0;
    r->g_time = now;
    rc = rotate_open_file(r, err);
    if (rc) {
        free(r->tmpl);
        free(r);
        return rc;
    }
    *out = r;
    return 0;
}

/* Closes the current file and opens the next one. */
static int rotate_next(struct pf_live_rotate *r, struct pf_error *err)
{
    int rc = pf_pcap_writer_close(r->w, err);

    r->w = NULL;
    if (rc)
        return rc;
    return rotate_open_file(r, err);
}

/* -G: a new file when the interval is over; 1 when -W files are done. */
static int rotate_time(struct pf_live_rotate *r, time_t now,
                       struct pf_error *err)
{
    if (r->secs <= 0 || strcmp(r->tmpl, "-") == 0 ||
        now - r->g_time < r->secs)
        return 0;
    r->g_time = now;
    r->g_count++;
    if (r->bytes == 0 && r->files > 0 && r->g_count >= r->files)
        return 1;
    r->cnt = 0;
    return rotate_next(r, err);
}

/* -C: a new file once the current one is past the size limit. */
static int rotate_size(struct pf_live_rotate *r, struct pf_error *err)
{
    if (r->bytes == 0 || strcmp(r->tmpl, "-") == 0 ||
        pf_pcap_writer_bytes(r->w) <= r->bytes)
        return 0;
    r->cnt++;
    if (r->files > 0 && r->cnt >= r->files)
        r->cnt = 0;
    return rotate_next(r, err);
}

int pf_live_rotate_write(struct pf_live_rotate *r,
                         const struct pf_packet *pkt, time_t now,
                         struct pf_error *err)
{
    int rc = rotate_time(r, now, err);

    if (rc)
        return rc;
    rc = rotate_size(r, err);
    if (rc)
        return rc;
    return pf_pcap_writer_write(r->w, pkt, err);
}

int pf_live_rotate_tick(struct pf_live_rotate *r, time_t now,
                        struct pf_error *err)
{
    return rotate_time(r, now, err);
}

int pf_live_rotate_flush(struct pf_live_rotate *r, struct pf_error *err)
{
    return r->w ? pf_pcap_writer_flush(r->w, err) : 0;
}

int pf_live_rotate_close(struct pf_live_rotate *r, struct pf_error *err)
{
    int rc = 0;

    if (!r)
        return 0;
    if (r->w)
        rc = pf_pcap_writer_close(r->w, err);
    free(r->tmpl);
    free(r);
    return rc;
}
