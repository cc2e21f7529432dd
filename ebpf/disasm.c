/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The disassembler: one line per instruction in llvm-objdump's syntax
 * ("r0 = *(u16 *)(r1 + 12)", "if w0 s> 0x5 goto -3", "lock *(u64 *)(r10 -
 * 8) += r1"), driven by the text column of PF_EBPF_OPS. The assembler
 * (asm.c) reads the same syntax back.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ebpf_impl.h"

/* Appends printf output to @buf (bounded). */
static void out(char *buf, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void out(char *buf, size_t len, const char *fmt, ...)
{
    size_t used = strnlen(buf, len);
    va_list ap;

    if (used + 1 >= len)
        return;
    va_start(ap, fmt);
    vsnprintf(buf + used, len - used, fmt, ap);
    va_end(ap);
}

/* Immediates: decimal below 10 in magnitude, hex otherwise. */
static void out_imm(char *buf, size_t len, int64_t v)
{
    uint64_t mag = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;

    if (mag < 10)
        out(buf, len, "%s%" PRIu64, v < 0 ? "-" : "", mag);
    else
        out(buf, len, "%s0x%" PRIx64, v < 0 ? "-" : "", mag);
}

/* "(r1 + 12)" / "(r10 - 8)" */
static void out_addr(char *buf, size_t len, unsigned reg, int16_t off)
{
    out(buf, len, "r%u %c %d", reg, off < 0 ? '-' : '+',
        off < 0 ? -(int)off : (int)off);
}

static void dis_alu(char *buf, size_t len, const struct pf_ebpf_insn *in,
                    const struct pf_ebpf_opinfo *oi)
{
    int is64 = PF_EBPF_CLASS(in->code) == PF_EBPF_ALU64;
    char r = is64 ? 'r' : 'w';
    unsigned op = PF_EBPF_OP(in->code);
    const char *text = oi->text;

    if (op == PF_EBPF_DIV && in->off == 1)
        text = "s/=";
    if (op == PF_EBPF_MOD && in->off == 1)
        text = "s%=";
    if (op == PF_EBPF_MOV && in->off) {
        out(buf, len, "%c%u = (s%d)%c%u", r, in->dst_reg, in->off, r,
            in->src_reg);
        return;
    }
    out(buf, len, "%c%u %s ", r, in->dst_reg, text);
    if (PF_EBPF_SRC(in->code) == PF_EBPF_X)
        out(buf, len, "%c%u", r, in->src_reg);
    else
        out_imm(buf, len, in->imm);
}

static void dis_mem(char *buf, size_t len, const struct pf_ebpf_insn *in,
                    const struct pf_ebpf_opinfo *oi)
{
    switch (oi->kind) {
    case PF_EBPF_KIND_LDX:
    case PF_EBPF_KIND_LDXSX:
        out(buf, len, "r%u = *(%s *)(", in->dst_reg, oi->text);
        out_addr(buf, len, in->src_reg, in->off);
        out(buf, len, ")");
        return;
    case PF_EBPF_KIND_LDABS:
        out(buf, len, "r0 = *(%s *)skb[", oi->text);
        out_imm(buf, len, in->imm);
        out(buf, len, "]");
        return;
    case PF_EBPF_KIND_LDIND:
        out(buf, len, "r0 = *(%s *)skb[r%u + ", oi->text, in->src_reg);
        out_imm(buf, len, in->imm);
        out(buf, len, "]");
        return;
    default:
        out(buf, len, "*(%s *)(", oi->text);
        out_addr(buf, len, in->dst_reg, in->off);
        out(buf, len, ") = ");
        if (oi->kind == PF_EBPF_KIND_ST)
            out_imm(buf, len, in->imm);
        else
            out(buf, len, "r%u", in->src_reg);
        return;
    }
}

/* Atomic op names: "+=" style for plain ops, atomic_fetch_* otherwise. */
static int dis_atomic(char *buf, size_t len, const struct pf_ebpf_insn *in,
                      const struct pf_ebpf_opinfo *oi)
{
    static const struct { int op; const char *sym, *name; } ops[] = {
        {PF_EBPF_ADD, "+=", "add"}, {PF_EBPF_OR, "|=", "or"},
        {PF_EBPF_AND, "&=", "and"}, {PF_EBPF_XOR, "^=", "xor"},
    };
    char w = in->code == PF_EBPF_OPC_ATOMIC_W ? 'w' : 'r';
    const char *sfx = w == 'w' ? "32_32" : "_64";
    size_t i;

    if (in->imm == PF_EBPF_XCHG || in->imm == PF_EBPF_CMPXCHG) {
        int cmp = in->imm == PF_EBPF_CMPXCHG;

        out(buf, len, "%c%u = %s%s(", w, cmp ? 0u : in->src_reg,
            cmp ? "cmpxchg" : "xchg", sfx);
        out_addr(buf, len, in->dst_reg, in->off);
        if (cmp)
            out(buf, len, ", %c0", w);
        out(buf, len, ", %c%u)", w, in->src_reg);
        return 1;
    }
    for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
        if ((in->imm & ~PF_EBPF_FETCH) != ops[i].op)
            continue;
        if (in->imm & PF_EBPF_FETCH) {
            out(buf, len, "%c%u = atomic_fetch_%s((%s *)(", w, in->src_reg,
                ops[i].name, oi->text);
            out_addr(buf, len, in->dst_reg, in->off);
            out(buf, len, "), %c%u)", w, in->src_reg);
        } else {
            out(buf, len, "lock *(%s *)(", oi->text);
            out_addr(buf, len, in->dst_reg, in->off);
            out(buf, len, ") %s %c%u", ops[i].sym, w, in->src_reg);
        }
        return 1;
    }
    out(buf, len, "invalid atomic operation 0x%x", (unsigned)in->imm);
    return 0;
}

static void dis_jmp(char *buf, size_t len, const struct pf_ebpf_insn *in,
                    const struct pf_ebpf_opinfo *oi)
{
    char r = PF_EBPF_CLASS(in->code) == PF_EBPF_JMP32 ? 'w' : 'r';

    out(buf, len, "if %c%u %s ", r, in->dst_reg, oi->text);
    if (PF_EBPF_SRC(in->code) == PF_EBPF_X)
        out(buf, len, "%c%u", r, in->src_reg);
    else
        out_imm(buf, len, in->imm);
    out(buf, len, " goto %+d", in->off);
}

/* Formats @in (with @next, the following slot, for ld_imm64); returns
 * the slots consumed or -EINVAL. */
static int dis_one(char *buf, size_t len, const struct pf_ebpf_insn *in,
                   const struct pf_ebpf_insn *next)
{
    const struct pf_ebpf_opinfo *oi = pf_ebpf_op_lookup(in->code);

    if (!oi) {
        out(buf, len, "invalid opcode 0x%02x", in->code);
        return -EINVAL;
    }
    switch (oi->kind) {
    case PF_EBPF_KIND_NEG:
    case PF_EBPF_KIND_NEG64: {
        char r = oi->kind == PF_EBPF_KIND_NEG ? 'w' : 'r';

        out(buf, len, "%c%u = -%c%u", r, in->dst_reg, r, in->dst_reg);
        return 1;
    }
    case PF_EBPF_KIND_END:
    case PF_EBPF_KIND_BSWAP:
        out(buf, len, "r%u = %s%d r%u", in->dst_reg, oi->text, in->imm,
            in->dst_reg);
        return 1;
    case PF_EBPF_KIND_LDDW:
        if (!next) {
            out(buf, len, "invalid ld_imm64 without its second half");
            return -EINVAL;
        }
        out(buf, len, "r%u = ", in->dst_reg);
        out_imm(buf, len, (int64_t)((uint32_t)in->imm |
                                    (uint64_t)(uint32_t)next->imm << 32));
        out(buf, len, " ll");
        return 2;
    case PF_EBPF_KIND_ATOMIC: return dis_atomic(buf, len, in, oi) ? 1 : -EINVAL;
    case PF_EBPF_KIND_JA: out(buf, len, "goto %+d", in->off); return 1;
    case PF_EBPF_KIND_JA32: out(buf, len, "gotol %+d", in->imm); return 1;
    case PF_EBPF_KIND_JMP_K:
    case PF_EBPF_KIND_JMP_X:
    case PF_EBPF_KIND_JMP32_K:
    case PF_EBPF_KIND_JMP32_X: dis_jmp(buf, len, in, oi); return 1;
    case PF_EBPF_KIND_CALL: out(buf, len, "call %d", in->imm); return 1;
    case PF_EBPF_KIND_EXIT: out(buf, len, "exit"); return 1;
    default:
        if (oi->kind <= PF_EBPF_KIND_ALU64_X)
            dis_alu(buf, len, in, oi);
        else
            dis_mem(buf, len, in, oi);
        return 1;
    }
}

int pf_ebpf_disasm_insn(const struct pf_ebpf_insn *insns, size_t len,
                        size_t idx, char *buf, size_t buflen)
{
    if (!buf || buflen == 0)
        return -EINVAL;
    buf[0] = '\0';
    if (idx >= len) {
        out(buf, buflen, "invalid index %zu", idx);
        return -EINVAL;
    }
    return dis_one(buf, buflen, &insns[idx],
                   idx + 1 < len ? &insns[idx + 1] : NULL);
}

size_t pf_ebpf_dump(const struct pf_ebpf_insn *insns, size_t len, char *buf,
                    size_t buflen)
{
    char line[128];
    size_t i = 0, total = 0;

    if (buf && buflen)
        buf[0] = '\0';
    while (i < len) {
        int n = pf_ebpf_disasm_insn(insns, len, i, line, sizeof(line));
        int w = snprintf(buf && total < buflen ? buf + total : NULL,
                         buf && total < buflen ? buflen - total : 0,
                         "%4zu: %s\n", i, line);

        total += (size_t)w;
        i += n == 2 ? 2 : 1;
    }
    return total;
}
