/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Hand-written C filters (gcc -O2) for the few benchmark expressions where
 * writing one by hand is feasible: the baseline the JIT is held to.
 */
#ifndef PF_BENCH_HANDC_H
#define PF_BENCH_HANDC_H

#include <stdint.h>

/* Same contract as pf_filter_run: bytes to keep, 0 = reject. */
typedef uint32_t (*pf_bench_handc_fn)(const uint8_t *pkt, uint32_t wirelen,
                                      uint32_t caplen);

/* The hand-written filter for exactly @expr, or NULL. */
pf_bench_handc_fn pf_bench_handc_find(const char *expr);

/*
 * The harness floor: a "filter" that reads one byte of the packet and
 * returns. Timed like the others, it is the cost of the benchmark loop,
 * the call and the first touch of the packet, which every engine pays.
 */
pf_bench_handc_fn pf_bench_handc_floor(void);

#endif
