/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Unaligned big- and little-endian loads and stores, and byte swaps.
 * Every module that parses wire or file data reads through these.
 */
#ifndef PF_COMMON_BYTES_H
#define PF_COMMON_BYTES_H

#include <stdint.h>
#include <string.h>

static inline uint16_t pf_get_be16(const void *p)
{
    uint16_t v;
    memcpy(&v, p, sizeof(v));
    return __builtin_bswap16(v);
}

static inline uint32_t pf_get_be32(const void *p)
{
    uint32_t v;
    memcpy(&v, p, sizeof(v));
    return __builtin_bswap32(v);
}

static inline uint64_t pf_get_be64(const void *p)
{
    uint64_t v;
    memcpy(&v, p, sizeof(v));
    return __builtin_bswap64(v);
}

static inline uint16_t pf_get_le16(const void *p)
{
    uint16_t v;
    memcpy(&v, p, sizeof(v));
    return v;
}

static inline uint32_t pf_get_le32(const void *p)
{
    uint32_t v;
    memcpy(&v, p, sizeof(v));
    return v;
}

static inline uint64_t pf_get_le64(const void *p)
{
    uint64_t v;
    memcpy(&v, p, sizeof(v));
    return v;
}

static inline void pf_put_be16(void *p, uint16_t v)
{
    v = __builtin_bswap16(v);
    memcpy(p, &v, sizeof(v));
}

static inline void pf_put_be32(void *p, uint32_t v)
{
    v = __builtin_bswap32(v);
    memcpy(p, &v, sizeof(v));
}

static inline void pf_put_le16(void *p, uint16_t v) { memcpy(p, &v, sizeof(v)); }
static inline void pf_put_le32(void *p, uint32_t v) { memcpy(p, &v, sizeof(v)); }
static inline void pf_put_le64(void *p, uint64_t v) { memcpy(p, &v, sizeof(v)); }

/* Reads a 16/32/64-bit value in the byte order a file declared. */
static inline uint16_t pf_get16(const void *p, int swap)
{
    uint16_t v = pf_get_le16(p);
    return swap ? __builtin_bswap16(v) : v;
}

static inline uint32_t pf_get32(const void *p, int swap)
{
    uint32_t v = pf_get_le32(p);
    return swap ? __builtin_bswap32(v) : v;
}

static inline uint64_t pf_get64(const void *p, int swap)
{
    uint64_t v = pf_get_le64(p);
    return swap ? __builtin_bswap64(v) : v;
}

#endif
