/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Private to ebpf/: the VM object, the run context a socket program's r1
 * points into, the helpers programs may call, and the arithmetic that the
 * interpreter and the verifier's constant folding share so that both agree
 * with the JIT bit for bit.
 */
#ifndef PF_EBPF_IMPL_H
#define PF_EBPF_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include <pfcap/ebpf.h>

#include "ebpf_ops.h"

/*
 * What r1 of a socket program points at: the __sk_buff image first, then
 * the packet. The JIT and the helpers reach the packet from the context
 * pointer (r6 for LD_ABS) at these fixed offsets.
 */
struct pf_ebpf_run_ctx {
    struct pf_ebpf_skb skb;
    const uint8_t *data;
    uint64_t len;
};

#define PF_EBPF_RUN_CTX_DATA 192
#define PF_EBPF_RUN_CTX_LEN 200

/* One pre-decoded instruction of the interpreter's threaded code. */
struct pf_ebpf_tinsn {
    const void *op; /* handler address (which also fixes any access size) */
    int32_t imm;
    int16_t off;
    uint8_t dst, src; /* 16 bytes in all: one slot per half cache line */
};

/* Bytes before the JIT code: the (handle, pkt, wirelen, caplen) entry. */
#define PF_EBPF_JIT_SHIM 16
#define PF_EBPF_JIT_SHIM_ENTRY 9

struct pf_ebpf_vm {
    struct pf_ebpf_insn *insns;
    struct pf_ebpf_tinsn *code; /* the interpreter's threaded form */
    size_t len;
    enum pf_ebpf_prog_type type;
    void *jit_base;   /* the mapping: PF_EBPF_JIT_SHIM bytes, then jit_code */
    void *jit_code;   /* read+exec, or NULL */
    size_t jit_size;  /* bytes of code */
    size_t jit_map;   /* bytes mapped */
};

/* The helper ABI: up to five u64 arguments, u64 result. */
typedef uint64_t (*pf_ebpf_helper_fn)(uint64_t, uint64_t, uint64_t, uint64_t,
                                      uint64_t);

/* Returns the C function of helper @id, or NULL. */
pf_ebpf_helper_fn pf_ebpf_helper_lookup(int32_t id);

/*
 * LD_ABS/LD_IND: reads @size (1, 2, 4) bytes at @off of the packet behind
 * the context @ctx in network order into *@val; returns 0 or -1 when the
 * read is out of bounds (the program then returns 0).
 */
int pf_ebpf_ld_packet(const void *ctx, int64_t off, int size, uint64_t *val);

/* Interpreter entry: @r1..@r3 are the first arguments. */
uint64_t pf_ebpf_interp_run(const struct pf_ebpf_tinsn *code, uint64_t r1,
                            uint64_t r2, uint64_t r3);

/* Pre-decodes verified @insns[0..@len) into @out[0..@len) (threaded code
 * for pf_ebpf_interp_run). Returns 0 (it allocates nothing). */
int pf_ebpf_interp_prepare(const struct pf_ebpf_insn *insns, size_t len,
                           struct pf_ebpf_tinsn *out);

/*
 * One JIT pass: the code goes to a growing scratch buffer (sticky error on
 * allocation failure); @addrs receives the offset of every instruction of
 * this pass (and of the exit stub at [len]), @prev holds the previous
 * pass's, which jumps are computed from until the two agree.
 */
struct pf_ebpf_jit_ctx {
    uint8_t *buf;
    size_t len, cap;
    int oom;
    const struct pf_ebpf_insn *insns;
    size_t n;
    uint32_t *addrs;
    const uint32_t *prev;
    size_t pc;       /* the instruction being emitted */
    uint8_t map[PF_EBPF_NREGS]; /* eBPF -> x86-64 register, per program */
    const uint8_t *target;      /* [n]: some jump lands on instruction i */
    struct {
        int stack;    /* r10 is used: rbp frame of 512 bytes */
        int saved[4]; /* callee-saved registers to preserve */
        int nsaved;
        int pad;      /* 8 bytes keeping rsp 16-aligned at calls */
    } frame;
};

/* Emits the whole program for x86-64 into @c (jit_x86_64.c). */
void pf_ebpf_jit_x86_emit(struct pf_ebpf_jit_ctx *c);

/* LD_ABS/LD_IND for JIT code: the value, or UINT64_MAX when out of
 * bounds. */
uint64_t pf_ebpf_jit_ld(const void *ctx, int64_t off, int64_t size);

/* Compiles @vm; fills vm->jit_*; see pf_ebpf_vm_jit. */
int pf_ebpf_jit_compile(struct pf_ebpf_vm *vm, struct pf_error *err);

/* Releases the machine code of @vm. */
void pf_ebpf_jit_release(struct pf_ebpf_vm *vm);

/* ---- Shared arithmetic (eBPF semantics) -------------------------------- */

/* 64-bit ALU operation @op (PF_EBPF_ADD...) with @off the variant field
 * (1 = signed div/mod, 8/16/32 = movsx). */
static inline uint64_t pf_ebpf_alu64(unsigned op, uint64_t a, uint64_t b,
                                     int16_t off)
{
    switch (op) {
    case PF_EBPF_ADD: return a + b;
    case PF_EBPF_SUB: return a - b;
    case PF_EBPF_MUL: return a * b;
    case PF_EBPF_DIV:
        if (off)
            return b == 0 ? 0
                   : (int64_t)b == -1 ? (uint64_t)0 - a
                                      : (uint64_t)((int64_t)a / (int64_t)b);
        return b ? a / b : 0;
    case PF_EBPF_MOD:
        if (off)
            return b == 0 ? a
                   : (int64_t)b == -1 ? 0
                                      : (uint64_t)((int64_t)a % (int64_t)b);
        return b ? a % b : a;
    case PF_EBPF_OR: return a | b;
    case PF_EBPF_AND: return a & b;
    case PF_EBPF_LSH: return a << (b & 63);
    case PF_EBPF_RSH: return a >> (b & 63);
    case PF_EBPF_NEG: return (uint64_t)0 - a;
    case PF_EBPF_XOR: return a ^ b;
    case PF_EBPF_MOV:
        return off == 8 ? (uint64_t)(int64_t)(int8_t)b
               : off == 16 ? (uint64_t)(int64_t)(int16_t)b
               : off == 32 ? (uint64_t)(int64_t)(int32_t)b : b;
    case PF_EBPF_ARSH: return (uint64_t)((int64_t)a >> (b & 63));
    default: return 0;
    }
}

/* 32-bit ALU operation; the result is zero-extended. */
static inline uint64_t pf_ebpf_alu32(unsigned op, uint32_t a, uint32_t b,
                                     int16_t off)
{
    switch (op) {
    case PF_EBPF_ADD: return (uint32_t)(a + b);
    case PF_EBPF_SUB: return (uint32_t)(a - b);
    case PF_EBPF_MUL: return (uint32_t)(a * b);
    case PF_EBPF_DIV:
        if (off)
            return b == 0 ? 0
                   : (int32_t)b == -1 ? (uint32_t)(0u - a)
                                      : (uint32_t)((int32_t)a / (int32_t)b);
        return b ? a / b : 0;
    case PF_EBPF_MOD:
        if (off)
            return b == 0 ? a
                   : (int32_t)b == -1 ? 0
                                      : (uint32_t)((int32_t)a % (int32_t)b);
        return b ? a % b : a;
    case PF_EBPF_OR: return a | b;
    case PF_EBPF_AND: return a & b;
    case PF_EBPF_LSH: return (uint32_t)(a << (b & 31));
    case PF_EBPF_RSH: return a >> (b & 31);
    case PF_EBPF_NEG: return (uint32_t)(0u - a);
    case PF_EBPF_XOR: return a ^ b;
    case PF_EBPF_MOV:
        return off == 8 ? (uint32_t)(int32_t)(int8_t)b
               : off == 16 ? (uint32_t)(int32_t)(int16_t)b : b;
    case PF_EBPF_ARSH: return (uint32_t)((int32_t)a >> (b & 31));
    default: return 0;
    }
}

/* BPF_END and ALU64 bswap: @code is the opcode, @bits 16/32/64. */
static inline uint64_t pf_ebpf_endian(unsigned code, uint64_t v, int32_t bits)
{
    int swap = code != PF_EBPF_OPC_LE; /* host is little-endian */

    switch (bits) {
    case 16: return swap ? __builtin_bswap16((uint16_t)v) : (uint16_t)v;
    case 32: return swap ? __builtin_bswap32((uint32_t)v) : (uint32_t)v;
    default: return swap ? __builtin_bswap64(v) : v;
    }
}

/* Condition of jump op @op on (@a, @b); @is32 compares the low halves. */
static inline int pf_ebpf_cond(unsigned op, uint64_t a, uint64_t b, int is32)
{
    int64_t sa = is32 ? (int64_t)(int32_t)a : (int64_t)a;
    int64_t sb = is32 ? (int64_t)(int32_t)b : (int64_t)b;

    if (is32) {
        a = (uint32_t)a;
        b = (uint32_t)b;
    }
    switch (op) {
    case PF_EBPF_JEQ: return a == b;
    case PF_EBPF_JGT: return a > b;
    case PF_EBPF_JGE: return a >= b;
    case PF_EBPF_JSET: return (a & b) != 0;
    case PF_EBPF_JNE: return a != b;
    case PF_EBPF_JSGT: return sa > sb;
    case PF_EBPF_JSGE: return sa >= sb;
    case PF_EBPF_JLT: return a < b;
    case PF_EBPF_JLE: return a <= b;
    case PF_EBPF_JSLT: return sa < sb;
    case PF_EBPF_JSLE: return sa <= sb;
    default: return 0;
    }
}

#endif
