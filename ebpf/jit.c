/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The JIT driver: runs the x86-64 back end pass after pass until every
 * instruction's offset stops changing (jumps shrink to rel8 as distances
 * become known), then maps memory read-write, copies the code, fills the
 * tail of the page with int3 and flips the mapping to read-execute (the
 * mapping placed near the library's own code when it can be). The
 * memory is never writable and executable at once. Any failure leaves the
 * VM on the interpreter with the reason in the error.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ebpf_impl.h"

#define MAX_PASSES 64

/* The first guess of each instruction's offset: 64 bytes each, more than
 * any instruction needs, so every later layout is shorter everywhere and
 * jump sizes only shrink. */
static void first_guess(uint32_t *prev, size_t n)
{
    size_t i;

    for (i = 0; i <= n; i++)
        prev[i] = (uint32_t)(64 + 64 * i);
}

/* Runs passes until the layout is stable; the code is left in c->buf. */
static int converge(struct pf_ebpf_jit_ctx *c, uint32_t *a, uint32_t *b,
                    struct pf_error *err)
{
    int pass;

    first_guess(b, c->n);
    for (pass = 0; pass < MAX_PASSES; pass++) {
        uint32_t *tmp;

        c->addrs = a;
        c->prev = b;
        pf_ebpf_jit_x86_emit(c);
        if (c->oom)
            return pf_error_set(err, -ENOMEM, PF_STAGE_JIT, 0,
                                "out of memory while compiling");
        if (memcmp(a, b, (c->n + 1) * sizeof(*a)) == 0)
            return 0;
        tmp = a;
        a = b;
        b = tmp;
    }
    return pf_error_set(err, -ERANGE, PF_STAGE_JIT, 0,
                        "code layout did not settle after %d passes",
                        MAX_PASSES);
}

/* How far from the engine's own code the JIT code should sit, and the
 * steps of the search for such a place. */
#define NEAR_SPAN ((uintptr_t)1 << 30)
#define NEAR_STEP ((uintptr_t)32 << 20)
#define NEAR_TRIES 16

static int is_near(uintptr_t a, uintptr_t b)
{
    return (a > b ? a - b : b - a) < NEAR_SPAN;
}

/*
 * @map bytes read-write, preferably within 1 GiB of this library's code
 * (below it first, then above): the indirect call from pf_filter_run
 * into code placed terabytes away, where anonymous mappings of a PIE
 * binary land, costs a nanosecond or more per call on some CPUs (AMD
 * Zen's branch target buffer), as much as a short filter itself. The
 * addresses are only hints; anywhere is correct.
 */
static void *map_near(size_t map)
{
    uintptr_t here = (uintptr_t)&pf_ebpf_jit_compile & ~(NEAR_STEP - 1);
    int prot = PROT_READ | PROT_WRITE, flags = MAP_PRIVATE | MAP_ANONYMOUS;

    for (int i = 1; i <= 2 * NEAR_TRIES; i++) {
        uintptr_t d = NEAR_STEP * (uintptr_t)((i + 1) / 2);
        uintptr_t hint = i % 2 ? here - d : here + d;
        void *mem;

        if (hint > here && i % 2)
            continue; /* wrapped below 0 */
        mem = mmap((void *)hint, map, prot, flags, -1, 0);
        if (mem == MAP_FAILED)
            break;
        if (is_near((uintptr_t)mem, here))
            return mem;
        munmap(mem, map);
    }
    return mmap(NULL, map, prot, flags, -1, 0);
}

/*
 * The code starts with an entry for callers that pass the arguments the
 * way pf_filter_run does, (handle, pkt, wirelen, caplen): it moves them
 * to r1 = pkt, r2 = caplen, r3 = wirelen (zero-extending the 32-bit
 * ones) and falls into the program. int3 pads it to 16 bytes, so the
 * program itself stays 16-byte aligned.
 */
static const uint8_t entry_shim[PF_EBPF_JIT_SHIM] = {
    0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc,
    0x48, 0x89, 0xf7, /* mov rdi, rsi */
    0x89, 0xce,       /* mov esi, ecx */
    0x89, 0xd2,       /* mov edx, edx */
};

/* mmap RW, entry shim, copy, int3 tail, mprotect RX. */
static int install(struct pf_ebpf_vm *vm, const uint8_t *code, size_t len,
                   struct pf_error *err)
{
    long page = sysconf(_SC_PAGESIZE);
    size_t map = (sizeof(entry_shim) + len + (size_t)page - 1) &
                 ~((size_t)page - 1);
    uint8_t *mem = map_near(map);

    if (mem == MAP_FAILED)
        return pf_error_set(err, -errno, PF_STAGE_JIT, 0,
                            "cannot map %zu bytes for code", map);
    memcpy(mem, entry_shim, sizeof(entry_shim));
    memcpy(mem + sizeof(entry_shim), code, len);
    memset(mem + sizeof(entry_shim) + len, 0xcc,
           map - sizeof(entry_shim) - len);
    if (mprotect(mem, map, PROT_READ | PROT_EXEC)) {
        int e = errno;

        munmap(mem, map);
        return pf_error_set(err, -e, PF_STAGE_JIT, 0,
                            "cannot make the code executable");
    }
    vm->jit_base = mem;
    vm->jit_code = mem + sizeof(entry_shim);
    vm->jit_size = len;
    vm->jit_map = map;
    return 0;
}

/* Marks in @t[0..n) every instruction a jump lands on (the back end
 * fuses an instruction with the next only when none does). */
static void mark_targets(const struct pf_ebpf_insn *in, size_t n, uint8_t *t)
{
    for (size_t i = 0; i < n; i++) {
        long to = pf_ebpf_jump_target(&in[i], (long)i);

        if (in[i].code == PF_EBPF_OPC_LDDW)
            i++;
        else if (to >= 0 && (size_t)to < n)
            t[to] = 1;
    }
}

int pf_ebpf_jit_compile(struct pf_ebpf_vm *vm, struct pf_error *err)
{
#if defined(__x86_64__)
    struct pf_ebpf_jit_ctx c;
    uint32_t *a = calloc(vm->len + 1, sizeof(*a));
    uint32_t *b = calloc(vm->len + 1, sizeof(*b));
    uint8_t *t = calloc(vm->len + 1, 1);
    int rc;

    memset(&c, 0, sizeof(c));
    c.insns = vm->insns;
    c.n = vm->len;
    c.target = t;
    if (!a || !b || !t) {
        rc = pf_error_set(err, -ENOMEM, PF_STAGE_JIT, 0, "out of memory");
    } else {
        mark_targets(vm->insns, vm->len, t);
        rc = converge(&c, a, b, err);
    }
    if (!rc)
        rc = install(vm, c.buf, c.len, err);
    free(c.buf);
    free(a);
    free(b);
    free(t);
    return rc;
#else
    return pf_error_set(err, -ENOTSUP, PF_STAGE_JIT, 0,
                        "no JIT for this CPU; using the interpreter");
#endif
}

void pf_ebpf_jit_release(struct pf_ebpf_vm *vm)
{
    if (vm->jit_base)
        munmap(vm->jit_base, vm->jit_map);
    vm->jit_base = vm->jit_code = NULL;
    vm->jit_size = 0;
    vm->jit_map = 0;
}
