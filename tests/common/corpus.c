/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Loading the capture corpus for tests and benchmarks: a recursive walk
 * that reads each file with libpcap and copies its packets.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <pcap/pcap.h>

#include "corpus.h"

static void add_packet(struct pf_test_corpus *c, const struct pcap_pkthdr *h,
                       const u_char *d, int dlt)
{
    struct pf_test_pkt *p;

    if (c->n == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 4096;
        c->pkts = realloc(c->pkts, c->cap * sizeof(*c->pkts));
        if (!c->pkts)
            abort();
    }
    p = &c->pkts[c->n++];
    p->data = malloc(h->caplen + 1);
    if (!p->data)
        abort();
    memcpy(p->data, d, h->caplen);
    p->caplen = h->caplen;
    p->wirelen = h->len;
    p->dlt = dlt;
}

static void add_file(const char *path, int dlt, struct pf_test_corpus *c)
{
    char errbuf[PCAP_ERRBUF_SIZE];
    pcap_t *p = pcap_open_offline(path, errbuf);
    struct pcap_pkthdr *h;
    const u_char *d;

    if (!p)
        return;
    if (dlt < 0 || pcap_datalink(p) == dlt) {
        c->files++;
        while (pcap_next_ex(p, &h, &d) == 1)
            add_packet(c, h, d, pcap_datalink(p));
    }
    pcap_close(p);
}

static void add_dir(const char *dir, int dlt, struct pf_test_corpus *c)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char path[4096];
    struct stat st;

    while (d && (e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        if (stat(path, &st))
            continue;
        if (S_ISDIR(st.st_mode))
            add_dir(path, dlt, c);
        else if (S_ISREG(st.st_mode))
            add_file(path, dlt, c);
    }
    if (d)
        closedir(d);
}

size_t pf_test_corpus_load(const char *dir, int dlt, struct pf_test_corpus *c)
{
    memset(c, 0, sizeof(*c));
    add_dir(dir, dlt, c);
    return c->n;
}

void pf_test_corpus_free(struct pf_test_corpus *c)
{
    for (size_t i = 0; i < c->n; i++)
        free(c->pkts[i].data);
    free(c->pkts);
    memset(c, 0, sizeof(*c));
}
