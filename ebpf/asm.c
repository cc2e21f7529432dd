/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The assembler: reads the disassembler's llvm-objdump syntax back into
 * instructions, one per line, for tests and for users who write eBPF by
 * hand. Lines may start with an "N:" index and carry comments after '#',
 * ';' or "//". Errors name the line and column.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ebpf_impl.h"

struct cur {
    const char *line; /* start of the current line */
    const char *p;
    const char *end;  /* end of the line (comment stripped) */
    int lineno;
    struct pf_error *err;
};

/* Room for two slots (ld_imm64) of output per line. */
struct out {
    struct pf_ebpf_insn in[2];
    int n;
};

static int fail(struct cur *c, const char *what)
{
    int col = (int)(c->p - c->line) + 1;

    return pf_error_set_span(c->err, -EINVAL, PF_STAGE_ASM, 0, c->lineno, col,
                             0, "%s", what);
}

static void ws(struct cur *c)
{
    while (c->p < c->end && isspace((unsigned char)*c->p))
        c->p++;
}

/* Consumes @s (after blanks) if it is next. */
static int accept(struct cur *c, const char *s)
{
    size_t n = strlen(s);

    ws(c);
    if ((size_t)(c->end - c->p) >= n && memcmp(c->p, s, n) == 0) {
        c->p += n;
        return 1;
    }
    return 0;
}

static int expect(struct cur *c, const char *s)
{
    char msg[64];

    if (accept(c, s))
        return 0;
    snprintf(msg, sizeof(msg), "expected '%s'", s);
    return fail(c, msg);
}

/* r0..r10 / w0..w10; *@w says which. */
static int reg(struct cur *c, unsigned *r, int *w)
{
    char *e;
    unsigned long v;

    ws(c);
    if (c->p >= c->end || (*c->p != 'r' && *c->p != 'w') ||
        !isdigit((unsigned char)c->p[1]))
        return fail(c, "expected a register");
    v = strtoul(c->p + 1, &e, 10);
    if (v > 10 || e > c->end)
        return fail(c, "no such register");
    if (w)
        *w = *c->p == 'w';
    *r = (unsigned)v;
    c->p = e;
    return 0;
}

static int is_reg_next(struct cur *c)
{
    ws(c);
    return c->p + 1 < c->end && (*c->p == 'r' || *c->p == 'w') &&
           isdigit((unsigned char)c->p[1]);
}

/* A decimal or 0x number with an optional sign. */
static int num(struct cur *c, int64_t *v, int64_t lo, int64_t hi)
{
    const char *s;
    char *e;
    int neg = 0;
    uint64_t u;

    ws(c);
    s = c->p;
    if (s < c->end && (*s == '-' || *s == '+'))
        neg = *s++ == '-';
    if (s >= c->end || !isdigit((unsigned char)*s))
        return fail(c, "expected a number");
    errno = 0;
    u = strtoull(s, &e, 0);
    if (errno || e > c->end)
        return fail(c, "number out of range");
    *v = neg ? (int64_t)((uint64_t)0 - u) : (int64_t)u;
    if ((neg && u > (uint64_t)INT64_MAX + 1) || *v < lo ||
        (!neg && hi >= 0 && u > (uint64_t)hi))
        return fail(c, "number out of range");
    c->p = e;
    return 0;
}

/* "u8" .. "u64", "s8" .. "s32": opcode size field, *@sx for signed. */
static int size_name(struct cur *c, unsigned *size, int *sx)
{
    static const struct { const char *name; unsigned size; } sizes[] = {
        {"64", PF_EBPF_DW}, {"32", PF_EBPF_W}, {"16", PF_EBPF_H},
        {"8", PF_EBPF_B},
    };
    size_t i;

    ws(c);
    if (c->p >= c->end || (*c->p != 'u' && *c->p != 's'))
        return fail(c, "expected a size (u8, u16, u32, u64)");
    *sx = *c->p++ == 's';
    for (i = 0; i < 4; i++)
        if (c->p < c->end && !isspace((unsigned char)*c->p) &&
            accept(c, sizes[i].name)) {
            *size = sizes[i].size;
            return 0;
        }
    c->p--;
    return fail(c, "expected a size (u8, u16, u32, u64)");
}

/* "rN + off" / "rN - off" */
static int addr(struct cur *c, unsigned *r, int16_t *off)
{
    int64_t v = 0;
    int neg, rc = reg(c, r, NULL);

    if (rc)
        return rc;
    neg = accept(c, "-");
    if (!neg && !accept(c, "+"))
        return fail(c, "expected '+' or '-'");
    rc = num(c, &v, 0, 32768);
    if (rc)
        return rc;
    if (!neg && v > 32767)
        return fail(c, "offset out of range");
    *off = (int16_t)(neg ? -v : v);
    return 0;
}

/* "*(uN *)(rX + off)" after the '*'; */
static int mem_operand(struct cur *c, unsigned *size, int *sx, unsigned *r,
                       int16_t *off)
{
    int rc;

    if ((rc = expect(c, "(")) || (rc = size_name(c, size, sx)) ||
        (rc = expect(c, "*")) || (rc = expect(c, ")")) ||
        (rc = expect(c, "(")) || (rc = addr(c, r, off)))
        return rc;
    return expect(c, ")");
}

static int end_of_line(struct cur *c)
{
    ws(c);
    return c->p == c->end ? 0 : fail(c, "unexpected text at end of line");
}

static int jump_off(struct cur *c, int64_t *v, int wide)
{
    return num(c, v, wide ? INT32_MIN : INT16_MIN, wide ? INT32_MAX
                                                         : INT16_MAX);
}


/* Jump operators, longest first so "s>=" wins over "s>". */
static const struct { const char *text; unsigned op; } jops[] = {
    {"s>=", PF_EBPF_JSGE}, {"s<=", PF_EBPF_JSLE}, {"s>", PF_EBPF_JSGT},
    {"s<", PF_EBPF_JSLT},  {"==", PF_EBPF_JEQ},   {"!=", PF_EBPF_JNE},
    {">=", PF_EBPF_JGE},   {"<=", PF_EBPF_JLE},   {">", PF_EBPF_JGT},
    {"<", PF_EBPF_JLT},    {"&", PF_EBPF_JSET},
};

/* "if rX OP (rY|imm) goto +off" after "if". */
static int parse_if(struct cur *c, struct out *o)
{
    struct pf_ebpf_insn *in = &o->in[0];
    unsigned d, s, op = 0;
    int w, w2, rc;
    int64_t v;
    size_t i;

    if ((rc = reg(c, &d, &w)))
        return rc;
    for (i = 0; i < sizeof(jops) / sizeof(jops[0]) && !op; i++)
        if (accept(c, jops[i].text))
            op = jops[i].op | 0x100;
    if (!op)
        return fail(c, "expected a comparison operator");
    in->code = (uint8_t)((w ? PF_EBPF_JMP32 : PF_EBPF_JMP) | (op & 0xf0));
    in->dst_reg = d & 0xf;
    if (is_reg_next(c)) {
        if ((rc = reg(c, &s, &w2)))
            return rc;
        if (w2 != w)
            return fail(c, "mixed r and w registers");
        in->code |= PF_EBPF_X;
        in->src_reg = s & 0xf;
    } else {
        if ((rc = num(c, &v, INT32_MIN, UINT32_MAX)))
            return rc;
        in->imm = (int32_t)(uint32_t)v;
    }
    if ((rc = expect(c, "goto")) || (rc = jump_off(c, &v, 0)))
        return rc;
    in->off = (int16_t)v;
    return end_of_line(c);
}

/* Stores and "lock" atomics after the leading "*". */
static int parse_store(struct cur *c, struct out *o, int lock)
{
    static const struct { const char *text; int op; } aops[] = {
        {"+=", PF_EBPF_ADD}, {"|=", PF_EBPF_OR}, {"&=", PF_EBPF_AND},
        {"^=", PF_EBPF_XOR},
    };
    struct pf_ebpf_insn *in = &o->in[0];
    unsigned size, d, s;
    int sx, rc;
    int64_t v;
    size_t i;

    if ((rc = mem_operand(c, &size, &sx, &d, &in->off)))
        return rc;
    if (sx)
        return fail(c, "stores take an unsigned size");
    in->dst_reg = d & 0xf;
    if (lock) {
        for (i = 0; i < 4 && !accept(c, aops[i].text); i++)
            ;
        if (i == 4)
            return fail(c, "expected +=, |=, &= or ^=");
        if ((rc = reg(c, &s, NULL)))
            return rc;
        in->code = (uint8_t)(PF_EBPF_STX | size | PF_EBPF_ATOMIC);
        in->src_reg = s & 0xf;
        in->imm = aops[i].op;
        return end_of_line(c);
    }
    if ((rc = expect(c, "=")))
        return rc;
    if (is_reg_next(c)) {
        if ((rc = reg(c, &s, NULL)))
            return rc;
        in->code = (uint8_t)(PF_EBPF_STX | size | PF_EBPF_MEM);
        in->src_reg = s & 0xf;
    } else {
        if ((rc = num(c, &v, INT32_MIN, INT32_MAX)))
            return rc;
        in->code = (uint8_t)(PF_EBPF_ST | size | PF_EBPF_MEM);
        in->imm = (int32_t)v;
    }
    return end_of_line(c);
}

/* ALU operators for "rX OP= ..." (and "=" for mov). */
static const struct { const char *text; unsigned op; int16_t off; } aluops[] = {
    {"s>>=", PF_EBPF_ARSH, 0}, {"s/=", PF_EBPF_DIV, 1},
    {"s%=", PF_EBPF_MOD, 1},   {"<<=", PF_EBPF_LSH, 0},
    {">>=", PF_EBPF_RSH, 0},   {"+=", PF_EBPF_ADD, 0},
    {"-=", PF_EBPF_SUB, 0},    {"*=", PF_EBPF_MUL, 0},
    {"/=", PF_EBPF_DIV, 0},    {"|=", PF_EBPF_OR, 0},
    {"&=", PF_EBPF_AND, 0},    {"%=", PF_EBPF_MOD, 0},
    {"^=", PF_EBPF_XOR, 0},    {"=", PF_EBPF_MOV, 0},
};
#define N_ALUOPS (sizeof(aluops) / sizeof(aluops[0]))

/* "(rX|imm)" as the source of an ALU op with dst width @w. */
static int alu_src(struct cur *c, struct pf_ebpf_insn *in, int w)
{
    unsigned s;
    int w2, rc;
    int64_t v;

    if (is_reg_next(c)) {
        if ((rc = reg(c, &s, &w2)))
            return rc;
        if (w2 != w)
            return fail(c, "mixed r and w registers");
        in->code |= PF_EBPF_X;
        in->src_reg = s & 0xf;
    } else {
        if ((rc = num(c, &v, INT32_MIN, w ? UINT32_MAX : INT32_MAX)))
            return rc;
        in->imm = (int32_t)(uint32_t)v;
    }
    return end_of_line(c);
}

/* "rX = *(uN *)skb[...]" after "skb". */
static int parse_ldabs(struct cur *c, struct pf_ebpf_insn *in, unsigned size)
{
    unsigned s;
    int64_t v;
    int rc;

    if (size == PF_EBPF_DW || in->dst_reg != 0)
        return fail(c, "skb loads are u8/u16/u32 into r0");
    if ((rc = expect(c, "[")))
        return rc;
    in->code = (uint8_t)(PF_EBPF_LD | size | PF_EBPF_ABS);
    if (is_reg_next(c)) {
        if ((rc = reg(c, &s, NULL)) || (rc = expect(c, "+")))
            return rc;
        in->code = (uint8_t)(PF_EBPF_LD | size | PF_EBPF_IND);
        in->src_reg = s & 0xf;
    }
    if ((rc = num(c, &v, INT32_MIN, INT32_MAX)) || (rc = expect(c, "]")))
        return rc;
    in->imm = (int32_t)v;
    return end_of_line(c);
}

/* "rX = *(...)..." loads after the '*'. */
static int parse_load(struct cur *c, struct pf_ebpf_insn *in)
{
    unsigned size, s;
    int sx, rc;

    if ((rc = expect(c, "(")) || (rc = size_name(c, &size, &sx)) ||
        (rc = expect(c, "*")) || (rc = expect(c, ")")))
        return rc;
    if (accept(c, "skb"))
        return sx ? fail(c, "skb loads are unsigned")
                  : parse_ldabs(c, in, size);
    if ((rc = expect(c, "(")) || (rc = addr(c, &s, &in->off)) ||
        (rc = expect(c, ")")))
        return rc;
    if (sx && size == PF_EBPF_DW)
        return fail(c, "no s64 load");
    in->code = (uint8_t)(PF_EBPF_LDX | size |
                         (sx ? PF_EBPF_MEMSX : PF_EBPF_MEM));
    in->src_reg = s & 0xf;
    return end_of_line(c);
}

/* "rX = atomic_fetch_OP((uN *)(rY + off), rX)" after "atomic_fetch_". */
static int parse_fetch(struct cur *c, struct pf_ebpf_insn *in, int w)
{
    static const struct { const char *name; int op; } ops[] = {
        {"add", PF_EBPF_ADD}, {"or", PF_EBPF_OR}, {"and", PF_EBPF_AND},
        {"xor", PF_EBPF_XOR},
    };
    unsigned size, d, s;
    int sx, rc;
    size_t i;

    for (i = 0; i < 4 && !accept(c, ops[i].name); i++)
        ;
    if (i == 4)
        return fail(c, "expected add, or, and or xor");
    if ((rc = expect(c, "(")) ||
        (rc = mem_operand(c, &size, &sx, &d, &in->off)) ||
        (rc = expect(c, ",")) || (rc = reg(c, &s, NULL)) ||
        (rc = expect(c, ")")))
        return rc;
    if (s != in->dst_reg || (size == PF_EBPF_W) != w ||
        (size != PF_EBPF_W && size != PF_EBPF_DW))
        return fail(c, "atomic_fetch needs the same register on both sides");
    in->code = (uint8_t)(PF_EBPF_STX | size | PF_EBPF_ATOMIC);
    in->imm = ops[i].op | PF_EBPF_FETCH;
    in->src_reg = s & 0xf;
    in->dst_reg = d & 0xf;
    return end_of_line(c);
}

/* "rX = xchg_64(rY + off, rX)", "r0 = cmpxchg_64(rY + off, r0, rZ)"
 * (32-bit forms: xchg32_32, cmpxchg32_32 with w registers). */
static int parse_xchg(struct cur *c, struct pf_ebpf_insn *in, int w, int cmp)
{
    unsigned d, s, r0;
    int rc;

    if ((rc = expect(c, w ? "32_32(" : "_64(")) ||
        (rc = addr(c, &d, &in->off)) || (rc = expect(c, ",")))
        return rc;
    if (cmp && ((rc = reg(c, &r0, NULL)) || (rc = expect(c, ","))))
        return rc;
    if ((rc = reg(c, &s, NULL)) || (rc = expect(c, ")")))
        return rc;
    if (cmp ? (in->dst_reg != 0 || r0 != 0) : s != in->dst_reg)
        return fail(c, cmp ? "cmpxchg works on r0" : "xchg needs the same "
                                                     "register on both sides");
    in->code = (uint8_t)(PF_EBPF_STX | (w ? PF_EBPF_W : PF_EBPF_DW) |
                         PF_EBPF_ATOMIC);
    in->imm = cmp ? PF_EBPF_CMPXCHG : PF_EBPF_XCHG;
    in->src_reg = s & 0xf;
    in->dst_reg = d & 0xf;
    return end_of_line(c);
}

/* "rX = be16 rX", "rX = bswap64 rX" after the name. */
static int parse_endian(struct cur *c, struct pf_ebpf_insn *in, uint8_t code)
{
    unsigned r;
    int64_t bits;
    int rc;

    if ((rc = num(c, &bits, 16, 64)))
        return rc;
    if (bits != 16 && bits != 32 && bits != 64)
        return fail(c, "expected 16, 32 or 64");
    if ((rc = reg(c, &r, NULL)))
        return rc;
    if (r != in->dst_reg)
        return fail(c, "byte swaps work in place");
    in->code = code;
    in->imm = (int32_t)bits;
    return end_of_line(c);
}

/* "rX = -rX" after the '-'. */
static int parse_neg(struct cur *c, struct pf_ebpf_insn *in, int w)
{
    unsigned r;
    int rc = reg(c, &r, NULL);

    if (rc)
        return rc;
    if (r != in->dst_reg)
        return fail(c, "negation works in place");
    in->code = w ? PF_EBPF_OPC_NEG32 : PF_EBPF_OPC_NEG64;
    return end_of_line(c);
}

/* "rX = (s8)rY" after "(s". */
static int parse_movsx(struct cur *c, struct pf_ebpf_insn *in, int w)
{
    int64_t v;
    int rc;

    if ((rc = num(c, &v, 8, 32)) || (rc = expect(c, ")")))
        return rc;
    if (v != 8 && v != 16 && (v != 32 || w))
        return fail(c, "expected (s8), (s16) or (s32)");
    in->code = (uint8_t)((w ? PF_EBPF_ALU : PF_EBPF_ALU64) | PF_EBPF_MOV);
    in->off = (int16_t)v;
    return alu_src(c, in, w);
}

/* "rX = imm ll" (returns 1 when the number is not followed by "ll"). */
static int parse_imm64(struct cur *c, struct out *o)
{
    const char *save = c->p;
    int64_t v;
    int rc = num(c, &v, INT64_MIN, -1);

    if (rc)
        return rc;
    if (!accept(c, "ll")) {
        c->p = save;
        return 1;
    }
    o->in[0].code = PF_EBPF_OPC_LDDW;
    o->in[0].imm = (int32_t)(uint32_t)(uint64_t)v;
    o->in[1].imm = (int32_t)(uint32_t)((uint64_t)v >> 32);
    o->n = 2;
    return end_of_line(c);
}

/* Everything after "rX =". */
static int parse_assign(struct cur *c, struct out *o, int w)
{
    struct pf_ebpf_insn *in = &o->in[0];
    const char *at = c->p;
    int rc;

    if (accept(c, "*"))
        return parse_load(c, in);
    if (accept(c, "atomic_fetch_"))
        return parse_fetch(c, in, w);
    if (accept(c, "cmpxchg"))
        return parse_xchg(c, in, w, 1);
    if (accept(c, "xchg"))
        return parse_xchg(c, in, w, 0);
    if (!w && accept(c, "be"))
        return parse_endian(c, in, PF_EBPF_OPC_BE);
    if (!w && accept(c, "le"))
        return parse_endian(c, in, PF_EBPF_OPC_LE);
    if (!w && accept(c, "bswap"))
        return parse_endian(c, in, PF_EBPF_OPC_BSWAP);
    if (accept(c, "-") && is_reg_next(c))
        return parse_neg(c, in, w);
    c->p = at;
    if (accept(c, "(s"))
        return parse_movsx(c, in, w);
    if (!w && !is_reg_next(c) && (rc = parse_imm64(c, o)) != 1)
        return rc;
    in->code = (uint8_t)((w ? PF_EBPF_ALU : PF_EBPF_ALU64) | PF_EBPF_MOV);
    return alu_src(c, in, w);
}

/* "call N" / "call bpf_skb_load_bytes" after "call". */
static int parse_call(struct cur *c, struct pf_ebpf_insn *in)
{
    int64_t v;
    int rc;

    if (accept(c, "bpf_skb_load_bytes") || accept(c, "skb_load_bytes"))
        v = PF_EBPF_FUNC_skb_load_bytes;
    else if (accept(c, "bpf_get_prandom_u32") || accept(c, "get_prandom_u32"))
        v = PF_EBPF_FUNC_get_prandom_u32;
    else if ((rc = num(c, &v, INT32_MIN, INT32_MAX)))
        return rc;
    in->code = PF_EBPF_OPC_CALL;
    in->imm = (int32_t)v;
    return end_of_line(c);
}

/* "goto +N" (@wide: "gotol +N") after the keyword. */
static int parse_goto(struct cur *c, struct pf_ebpf_insn *in, int wide)
{
    int64_t v;
    int rc = jump_off(c, &v, wide);

    if (rc)
        return rc;
    in->code = wide ? PF_EBPF_OPC_JA32 : PF_EBPF_OPC_JA;
    if (wide)
        in->imm = (int32_t)v;
    else
        in->off = (int16_t)v;
    return end_of_line(c);
}

/* One statement (the line has text). */
static int parse_stmt(struct cur *c, struct out *o)
{
    struct pf_ebpf_insn *in = &o->in[0];
    unsigned d;
    int w, rc;
    size_t i;

    o->n = 1;
    if (accept(c, "exit")) {
        in->code = PF_EBPF_OPC_EXIT;
        return end_of_line(c);
    }
    if (accept(c, "call"))
        return parse_call(c, in);
    if (accept(c, "gotol"))
        return parse_goto(c, in, 1);
    if (accept(c, "goto"))
        return parse_goto(c, in, 0);
    if (accept(c, "if "))
        return parse_if(c, o);
    if (accept(c, "lock") && !(rc = expect(c, "*")))
        return parse_store(c, o, 1);
    if (accept(c, "*"))
        return parse_store(c, o, 0);
    if ((rc = reg(c, &d, &w)))
        return rc;
    in->dst_reg = d & 0xf;
    for (i = 0; i < N_ALUOPS && !accept(c, aluops[i].text); i++)
        ;
    if (i == N_ALUOPS)
        return fail(c, "expected an assignment operator");
    if (aluops[i].op == PF_EBPF_MOV)
        return parse_assign(c, o, w);
    in->code = (uint8_t)((w ? PF_EBPF_ALU : PF_EBPF_ALU64) | aluops[i].op);
    in->off = aluops[i].off;
    return alu_src(c, in, w);
}

/* Sets c->end to the end of the line without its comment; skips an
 * "N:" prefix. Returns 1 when the line holds a statement. */
static int prepare_line(struct cur *c)
{
    const char *e = c->p, *q;

    while (*e && *e != '\n')
        e++;
    for (q = c->p; q < e; q++)
        if (*q == '#' || *q == ';' || (*q == '/' && q + 1 < e && q[1] == '/'))
            break;
    c->end = q;
    ws(c);
    q = c->p;
    while (q < c->end && isdigit((unsigned char)*q))
        q++;
    if (q > c->p && q < c->end && *q == ':')
        c->p = q + 1;
    ws(c);
    return c->p < c->end;
}

static int append(struct pf_ebpf_insn **v, size_t *n, size_t *cap,
                  const struct out *o)
{
    if (*n + 2 > *cap) {
        size_t nc = *cap ? 2 * *cap : 64;
        struct pf_ebpf_insn *p = realloc(*v, nc * sizeof(*p));

        if (!p)
            return -ENOMEM;
        *v = p;
        *cap = nc;
    }
    memcpy(*v + *n, o->in, (size_t)o->n * sizeof(o->in[0]));
    *n += (size_t)o->n;
    return 0;
}

int pf_ebpf_asm(const char *text, struct pf_ebpf_insn **out, size_t *len,
                struct pf_error *err)
{
    struct cur c = {.p = text, .lineno = 1, .err = err};
    struct pf_ebpf_insn *v = NULL;
    size_t n = 0, cap = 0;
    int rc = 0;

    while (!rc && c.p && *c.p) {
        struct out o;

        memset(&o, 0, sizeof(o));
        c.line = c.p;
        if (prepare_line(&c)) {
            rc = parse_stmt(&c, &o);
            if (!rc && append(&v, &n, &cap, &o))
                rc = pf_error_set(err, -ENOMEM, PF_STAGE_ASM, 0,
                                  "out of memory");
        }
        while (*c.p && *c.p != '\n')
            c.p++;
        if (*c.p == '\n')
            c.p++;
        c.lineno++;
    }
    if (rc) {
        free(v);
        return rc;
    }
    *out = v;
    *len = n;
    return 0;
}
