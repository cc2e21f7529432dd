/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A bump allocator freed as a whole: the compiler allocates every token,
 * AST node and block from one arena, so error paths never leak and never
 * need setjmp/longjmp.
 */
#ifndef PF_COMMON_ARENA_H
#define PF_COMMON_ARENA_H

#include <stddef.h>

struct pf_arena_chunk;

struct pf_arena {
    struct pf_arena_chunk *head;
    size_t chunk_size;   /* default size of new chunks */
    size_t total;        /* bytes handed out, for statistics */
};

/* Prepares an empty arena; no memory is taken until the first alloc. */
void pf_arena_init(struct pf_arena *a, size_t chunk_size);

/* Returns @size bytes aligned to 16, zero-filled, or NULL when out of
 * memory. The memory lives until pf_arena_free. */
void *pf_arena_alloc(struct pf_arena *a, size_t size);

/* Copies @len bytes of @s into the arena and NUL-terminates them. */
char *pf_arena_strndup(struct pf_arena *a, const char *s, size_t len);

/* Releases every chunk of @a and leaves it empty and reusable. */
void pf_arena_free(struct pf_arena *a);

#endif
