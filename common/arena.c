/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The arena allocator: a list of chunks, newest first; allocation bumps a
 * pointer in the newest chunk and opens a larger chunk when it is full.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"

struct pf_arena_chunk {
    struct pf_arena_chunk *next;
    size_t size;
    size_t used;
    _Alignas(16) unsigned char data[];
};

void pf_arena_init(struct pf_arena *a, size_t chunk_size)
{
    a->head = NULL;
    a->chunk_size = chunk_size ? chunk_size : 64 * 1024;
    a->total = 0;
}

static struct pf_arena_chunk *chunk_new(struct pf_arena *a, size_t need)
{
    size_t size = a->chunk_size;
    struct pf_arena_chunk *c;

    while (size < need)
        size *= 2;
    c = malloc(sizeof(*c) + size);
    if (!c)
        return NULL;
    c->next = a->head;
    c->size = size;
    c->used = 0;
    a->head = c;
    if (a->chunk_size < (1u << 24))
        a->chunk_size *= 2;
    return c;
}

void *pf_arena_alloc(struct pf_arena *a, size_t size)
{
    struct pf_arena_chunk *c = a->head;
    size_t at;
    void *p;

    if (size > SIZE_MAX / 2)
        return NULL;
    size = (size + 15) & ~(size_t)15;
    if (!c || c->size - c->used < size) {
        c = chunk_new(a, size);
        if (!c)
            return NULL;
    }
    at = c->used;
    c->used += size;
    a->total += size;
    p = c->data + at;
    memset(p, 0, size);
    return p;
}

char *pf_arena_strndup(struct pf_arena *a, const char *s, size_t len)
{
    char *p = pf_arena_alloc(a, len + 1);

    if (!p)
        return NULL;
    memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

void pf_arena_free(struct pf_arena *a)
{
    struct pf_arena_chunk *c = a->head;

    while (c) {
        struct pf_arena_chunk *next = c->next;
        free(c);
        c = next;
    }
    a->head = NULL;
    a->total = 0;
}
