/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Generated corner-case packets for the filter tests (see packets.c).
 */
#ifndef PF_TEST_FILTERS_PACKETS_H
#define PF_TEST_FILTERS_PACKETS_H

#include <stddef.h>
#include <stdint.h>

struct pf_test_pkt {
    uint8_t *data;
    uint32_t caplen, wirelen;
};

struct pf_test_pkts {
    struct pf_test_pkt *v;
    size_t n, cap;
};

/* Appends the generated packets for link type @dlt (a DLT_ value). */
void pf_test_pkts_generate(int dlt, struct pf_test_pkts *s);

/* Frees every packet and the array. */
void pf_test_pkts_free(struct pf_test_pkts *s);

#endif
