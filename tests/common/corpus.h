/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Test and benchmark support: every packet of the capture corpus, read
 * with libpcap (the reference reader) into memory once.
 */
#ifndef PF_TEST_CORPUS_H
#define PF_TEST_CORPUS_H

#include <stddef.h>
#include <stdint.h>

struct pf_test_pkt {
    uint8_t *data;
    uint32_t caplen;
    uint32_t wirelen;
    int dlt;           /* libpcap's DLT_* for the packet's file */
};

struct pf_test_corpus {
    struct pf_test_pkt *pkts;
    size_t n;
    size_t cap;        /* allocated entries */
    size_t files;
};

/*
 * Loads every packet of every capture below @dir (recursively) whose link
 * type is @dlt, or of any link type when @dlt is -1. Aborts when out of
 * memory. Returns the number of packets.
 */
size_t pf_test_corpus_load(const char *dir, int dlt,
                           struct pf_test_corpus *c);

/* Frees what pf_test_corpus_load loaded. */
void pf_test_corpus_free(struct pf_test_corpus *c);

#endif
