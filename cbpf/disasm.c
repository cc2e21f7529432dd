/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The cBPF disassembler: prints a program the way `tcpdump -d`, `-dd` and
 * `-ddd` do (libpcap 1.10's bpf_image and bpf_dump), byte for byte. The
 * mnemonic and operand kind of every opcode come from the PF_CBPF_OPS
 * table; this file only knows how each operand kind is spelled and the
 * few places where libpcap's spelling depends on more than the kind:
 * bitwise ALU immediates are hex, other ALU immediates and offsets are
 * signed decimal, the Linux ancillary offsets print as names in absolute
 * loads, and jump targets are absolute instruction numbers.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <pfcap/cbpf.h>

#include "cbpf_ops.h"

/* A snprintf-like sink: writes what fits, counts everything wanted. */
struct text_out {
    char *buf;
    size_t cap;
    size_t len;
};

__attribute__((format(printf, 2, 3)))
static void out_printf(struct text_out *o, const char *fmt, ...)
{
    char *dst = NULL;
    size_t room = 0;
    va_list ap;
    int n;

    if (o->len < o->cap) {
        dst = o->buf + o->len;
        room = o->cap - o->len;
    }
    va_start(ap, fmt);
    n = vsnprintf(dst, room, fmt, ap);
    va_end(ap);
    if (n > 0)
        o->len += (size_t)n;
}

/* The name libpcap prints for an ancillary offset, NULL for others. */
static const char *ancillary_name(uint32_t k)
{
    switch (k - (uint32_t)PF_CBPF_AD_OFF) {
#define PF_AD_NAME_CASE(name, off, text)                                       \
    case off:                                                                  \
        return text;
        PF_CBPF_ANCILLARY(PF_AD_NAME_CASE)
#undef PF_AD_NAME_CASE
    default:
        return NULL;
    }
}

/* libpcap prints the immediate of and/or/xor in hex, the others signed. */
static int alu_k_is_hex(unsigned code)
{
    unsigned op = PF_CBPF_OP(code);

    return op == PF_CBPF_AND || op == PF_CBPF_OR || op == PF_CBPF_XOR;
}

/*
 * The operand kind the listing uses for @code. libpcap 1.10.3's bpf_image
 * has no case for `ldx len` (0x81) and prints it as `unimp 0x81`; the
 * listing follows it so that it stays byte-identical to tcpdump.
 */
static enum pf_cbpf_operand listing_operand(unsigned code,
                                            const char **mnemonic)
{
    const struct pf_cbpf_opinfo *info = pf_cbpf_op_lookup(code);

    if (!info || code == PF_CBPF_OP_LDX_LEN) {
        *mnemonic = "unimp";
        return PF_CBPF_OPND_INVALID;
    }
    *mnemonic = info->mnemonic;
    return info->operand;
}

/* Absolute target of a jump by @off from instruction @n, as libpcap's int. */
static int jump_target(int n, uint32_t off)
{
    return (int)((uint32_t)n + 1u + off);
}

/* Writes the operand text of @insn (instruction number @n) into @op. */
static void format_operand(const struct pf_cbpf_insn *insn, int n,
                           enum pf_cbpf_operand kind, char *op, size_t len)
{
    int32_t sk = (int32_t)insn->k;
    const char *name;

    switch (kind) {
    case PF_CBPF_OPND_ABS:
        name = ancillary_name(insn->k);
        if (name)
            snprintf(op, len, "[%s]", name);
        else
            snprintf(op, len, "[%d]", sk);
        break;
    case PF_CBPF_OPND_IND:
        snprintf(op, len, "[x + %d]", sk);
        break;
    case PF_CBPF_OPND_LEN:
        snprintf(op, len, "#pktlen");
        break;
    case PF_CBPF_OPND_IMM:
    case PF_CBPF_OPND_JK:
        snprintf(op, len, "#0x%x", insn->k);
        break;
    case PF_CBPF_OPND_MEM:
        snprintf(op, len, "M[%d]", sk);
        break;
    case PF_CBPF_OPND_MSH:
        snprintf(op, len, "4*([%d]&0xf)", sk);
        break;
    case PF_CBPF_OPND_ALUK:
        if (alu_k_is_hex(insn->code))
            snprintf(op, len, "#0x%x", insn->k);
        else
            snprintf(op, len, "#%d", sk);
        break;
    case PF_CBPF_OPND_ALUX:
    case PF_CBPF_OPND_JX:
        snprintf(op, len, "x");
        break;
    case PF_CBPF_OPND_JA:
        snprintf(op, len, "%d", jump_target(n, insn->k));
        break;
    case PF_CBPF_OPND_RETK:
        snprintf(op, len, "#%d", sk);
        break;
    case PF_CBPF_OPND_NONE:
    case PF_CBPF_OPND_RETA:
        op[0] = '\0';
        break;
    case PF_CBPF_OPND_INVALID:
    default:
        snprintf(op, len, "0x%x", insn->code);
        break;
    }
}

/*
 * Conditional jumps print their targets; libpcap decides that from the
 * raw class and op bits, so unknown codes in the jump class get them too.
 */
static int shows_targets(unsigned code)
{
    return PF_CBPF_CLASS(code) == PF_CBPF_JMP &&
           PF_CBPF_OP(code) != PF_CBPF_JA;
}

/* Appends the listing line of @insn (number @n) without its newline. */
static void format_insn(struct text_out *o, const struct pf_cbpf_insn *insn,
                        size_t n)
{
    const char *mnemonic;
    enum pf_cbpf_operand kind = listing_operand(insn->code, &mnemonic);
    int idx = (int)n;
    char operand[64];

    format_operand(insn, idx, kind, operand, sizeof operand);
    if (shows_targets(insn->code))
        out_printf(o, "(%03d) %-8s %-16s jt %d\tjf %d", idx, mnemonic,
                   operand, jump_target(idx, insn->jt),
                   jump_target(idx, insn->jf));
    else
        out_printf(o, "(%03d) %-8s %s", idx, mnemonic, operand);
}

/* Starts @o on @buf, leaving an empty string there if anything fits. */
static void out_init(struct text_out *o, char *buf, size_t cap)
{
    o->buf = buf;
    o->cap = buf ? cap : 0;
    o->len = 0;
    if (o->cap)
        o->buf[0] = '\0';
}

/*
 * Text of one instruction as `tcpdump -d` prints it (no newline). @insn
 * is read only; @buf (may be NULL when @len is 0) receives at most @len
 * bytes, NUL-terminated. Returns the length it wanted, like snprintf.
 */
size_t pf_cbpf_disasm_insn(const struct pf_cbpf_insn *insn, size_t n,
                           char *buf, size_t len)
{
    struct text_out o;

    out_init(&o, buf, len);
    format_insn(&o, insn, n);
    return o.len;
}

/* The `tcpdump -dd` form: one C initializer per instruction. */
static void dump_c(struct text_out *o, const struct pf_cbpf_insn *insns,
                   size_t len)
{
    for (size_t i = 0; i < len; i++)
        out_printf(o, "{ 0x%x, %d, %d, 0x%08x },\n", insns[i].code,
                   insns[i].jt, insns[i].jf, insns[i].k);
}

/* The `tcpdump -ddd` form: the count, then "code jt jf k" in decimal. */
static void dump_decimal(struct text_out *o,
                         const struct pf_cbpf_insn *insns, size_t len)
{
    out_printf(o, "%d\n", (int)len);
    for (size_t i = 0; i < len; i++)
        out_printf(o, "%u %u %u %u\n", insns[i].code, insns[i].jt,
                   insns[i].jf, insns[i].k);
}

/*
 * Writes @insns[0..len) in @fmt, byte-identical to tcpdump, into @buf
 * (at most @buflen bytes, NUL-terminated; @buf may be NULL when @buflen
 * is 0). An unknown @fmt writes nothing. Returns the length it wanted.
 */
size_t pf_cbpf_dump(const struct pf_cbpf_insn *insns, size_t len,
                    enum pf_cbpf_dump_fmt fmt, char *buf, size_t buflen)
{
    struct text_out o;

    out_init(&o, buf, buflen);
    if (!insns)
        len = 0;
    switch (fmt) {
    case PF_CBPF_DUMP_LISTING:
        for (size_t i = 0; i < len; i++) {
            format_insn(&o, &insns[i], i);
            out_printf(&o, "\n");
        }
        break;
    case PF_CBPF_DUMP_C:
        dump_c(&o, insns, len);
        break;
    case PF_CBPF_DUMP_DECIMAL:
        dump_decimal(&o, insns, len);
        break;
    }
    return o.len;
}
