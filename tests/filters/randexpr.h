/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Seeded random filter expressions (see randexpr.c).
 */
#ifndef PF_TEST_FILTERS_RANDEXPR_H
#define PF_TEST_FILTERS_RANDEXPR_H

#include <stddef.h>
#include <stdint.h>

/* Writes a random valid-looking expression for link type @dlt into @buf;
 * advances the generator state *@seed. */
void pf_test_randexpr(uint64_t *seed, int dlt, char *buf, size_t len);

#endif
