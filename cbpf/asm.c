/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The cBPF assembler: reads back the text forms tcpdump prints. The first
 * line that is neither blank nor a comment ('#' as its first non-blank
 * character) picks the format:
 *   a number  `tcpdump -ddd`: a count line, then "code jt jf k" lines
 *             (decimal or 0x-hex; the count line may be left out),
 *   '{'       `tcpdump -dd`: "{ 0x28, 0, 0, 0x0000000c },",
 *   otherwise `tcpdump -d`: "(001) jeq #0x800 jt 2 jf 5", the "(NNN)"
 *             prefix optional, jump targets absolute instruction numbers.
 * The numeric formats allow a trailing '#' comment, the listing a trailing
 * ';' comment. Listing mnemonics and operand kinds come from the
 * PF_CBPF_OPS table, so anything the disassembler prints reads back.
 * The assembler checks syntax and field ranges only; whether the program
 * makes sense is pf_cbpf_validate's job. Every error names the line and
 * column span (stage PF_STAGE_ASM); nothing in the text can crash it.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pfcap/cbpf.h>

#include "cbpf_ops.h"

#define ASM_ERRORS(X)                                                          \
    X(NO_INSNS, "the text holds no instructions")                              \
    X(NOMEM, "out of memory")                                                  \
    X(FORMAT, "cannot tell the program format from '%s': expected a count, " \
              "'{', '(NNN)' or a mnemonic")                                    \
    X(NUMBERS, "expected 4 numbers 'code jt jf k', got %d")                    \
    X(COUNT_LINE, "expected a count line or 4 numbers 'code jt jf k', "        \
                  "got %d numbers")                                            \
    X(COUNT, "count line says %llu instructions but %zu follow")               \
    X(NUMBER, "expected %s, got '%s'")                                         \
    X(RANGE, "%s %s is out of range (%s)")                                     \
    X(EXPECTED, "expected '%s', got '%s'")                                     \
    X(TRAILING, "unexpected '%s' after the instruction")                       \
    X(INDEX, "instruction number %s does not match its position (%03zu)")      \
    X(MNEMONIC, "unknown mnemonic '%s'")                                       \
    X(OPERAND, "'%s' does not take the operand '%s'")                          \
    X(NEEDS_OPERAND, "'%s' needs an operand")                                  \
    X(SYNTAX, "unexpected '%s' in the operand")                                \
    X(ANCILLARY, "unknown ancillary field '%s'")                               \
    X(JUMP_BACK, "jump target %lld is before this instruction (%zu): jt/jf "   \
                 "only jump forward")                                          \
    X(JUMP_SELF, "jump target %lld is this instruction: jt/jf only jump "      \
                 "forward")                                                    \
    X(JUMP_FAR, "jump target %lld is %lld instructions ahead; jt/jf reach "    \
                "at most 255")                                                 \
    X(TOO_LONG, "too many instructions")

enum asm_error {
    ASM_ERR_NONE,
#define ASM_ERROR_ENUM(name, msg) ASM_ERR_##name,
    ASM_ERRORS(ASM_ERROR_ENUM)
#undef ASM_ERROR_ENUM
};

static const char *const asm_error_msg[] = {
#define ASM_ERROR_MSG(name, msg) [ASM_ERR_##name] = msg,
    ASM_ERRORS(ASM_ERROR_MSG)
#undef ASM_ERROR_MSG
};

/* Far more than any real program; keeps sizes far from overflow. */
#define ASM_MAX_INSNS (1u << 24)

enum asm_format {
    ASM_FMT_UNKNOWN,
    ASM_FMT_DECIMAL,
    ASM_FMT_C,
    ASM_FMT_LISTING,
};

struct asm_ctx {
    const char *text;
    size_t textlen;
    size_t next;                /* offset of the line after the current */
    struct pf_error *err;
    /* the current line */
    const char *line;
    size_t linelen;
    size_t pos;
    int lineno;
    /* the program so far */
    struct pf_cbpf_insn *insns;
    size_t len;
    size_t cap;
    /* -ddd count line, if any */
    int has_count;
    unsigned long long count;
    int count_line;
    size_t count_col;
    size_t count_end;
};

/* A number as written, before its range is checked. */
struct asm_num {
    long long v;
    int overflow;
    size_t col;                 /* offset of the first character */
    size_t end;                 /* offset after the last character */
};

/* ---- error reporting ---- */

/*
 * Copies the token at @pos (up to the next blank, at most 24 bytes) for
 * a message, with unprintable bytes as \xNN; "end of line" at the end.
 */
static void token_at(const struct asm_ctx *c, size_t pos, char *out,
                     size_t outlen)
{
    size_t o = 0;

    if (pos >= c->linelen) {
        snprintf(out, outlen, "end of line");
        return;
    }
    for (size_t i = pos; i < c->linelen && i < pos + 24; i++) {
        unsigned char ch = (unsigned char)c->line[i];

        if (ch == ' ' || ch == '\t')
            break;
        if (o + 5 >= outlen)
            break;
        if (ch < 0x20 || ch >= 0x7f)
            o += (size_t)snprintf(out + o, outlen - o, "\\x%02x", ch);
        else
            out[o++] = (char)ch;
    }
    out[o] = '\0';
}

/* Copies line offsets [@from, @to) (at most 40 bytes) for a message. */
static const char *span_text(const struct asm_ctx *c, size_t from, size_t to,
                             char *out, size_t outlen)
{
    size_t n = to > from ? to - from : 0;

    snprintf(out, outlen, "%.*s", (int)(n < 40 ? n : 40), c->line + from);
    return out;
}

/* End of the token at @pos (next blank or end of line). */
static size_t token_end(const struct asm_ctx *c, size_t pos)
{
    while (pos < c->linelen && c->line[pos] != ' ' && c->line[pos] != '\t')
        pos++;
    return pos;
}

/*
 * Records error @code spanning line offsets [@from, @to) of the current
 * line; the remaining arguments fill the message template. Returns the
 * negative errno.
 */
static int asm_fail(struct asm_ctx *c, enum asm_error code, size_t from,
                    size_t to, ...)
{
    char msg[PF_ERROR_MSG_MAX];
    int err = code == ASM_ERR_NOMEM ? -ENOMEM : -EINVAL;
    va_list ap;

    va_start(ap, to);
    vsnprintf(msg, sizeof msg, asm_error_msg[code], ap);
    va_end(ap);
    if (from > 0x7ffffff0)
        from = 0x7ffffff0;
    if (to > 0x7ffffff0)
        to = 0x7ffffff0;
    if (to <= from)
        to = from + 1;
    return pf_error_set_span(c->err, err, PF_STAGE_ASM, code, c->lineno,
                             (int)from + 1, (int)to + 1, "%s", msg);
}

/* Reports @code, whose message takes the token at the cursor. */
static int fail_here(struct asm_ctx *c, enum asm_error code)
{
    char tok[128];

    token_at(c, c->pos, tok, sizeof tok);
    return asm_fail(c, code, c->pos, token_end(c, c->pos), tok);
}

/* Reports "expected X, got <token at pos>". */
static int fail_expected(struct asm_ctx *c, enum asm_error code,
                         const char *what)
{
    char tok[128];

    token_at(c, c->pos, tok, sizeof tok);
    return asm_fail(c, code, c->pos, token_end(c, c->pos), what, tok);
}

/* ---- lines and characters ---- */

static int is_blank(int ch)
{
    return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\v' ||
           ch == '\f';
}

static int is_alpha(int ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
           ch == '_';
}

static int is_digit(int ch)
{
    return ch >= '0' && ch <= '9';
}

static int is_hex(int ch)
{
    return is_digit(ch) || (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F');
}

static int hex_value(int ch)
{
    if (is_digit(ch))
        return ch - '0';
    return (ch | 0x20) - 'a' + 10;
}

/* The character at line offset @p, or -1 past the end of the line. */
static int char_at(const struct asm_ctx *c, size_t p)
{
    return p < c->linelen ? (unsigned char)c->line[p] : -1;
}

/* The character at the cursor, or -1 at the end of the line. */
static int peek(const struct asm_ctx *c)
{
    return char_at(c, c->pos);
}

static int is_digit_in(int ch, int base)
{
    return base == 16 ? is_hex(ch) : is_digit(ch);
}

static void skip_blanks(struct asm_ctx *c)
{
    while (c->pos < c->linelen && is_blank((unsigned char)c->line[c->pos]))
        c->pos++;
}

/* True (and moves past it) when the next non-blank character is @ch. */
static int accept_char(struct asm_ctx *c, int ch)
{
    skip_blanks(c);
    if (peek(c) != ch)
        return 0;
    c->pos++;
    return 1;
}

/* Like accept_char, and reports an error when it is missing. */
static int expect_char(struct asm_ctx *c, char ch)
{
    char want[2] = {ch, '\0'};

    if (accept_char(c, ch))
        return 0;
    return fail_expected(c, ASM_ERR_EXPECTED, want);
}

/* True (and moves past it) when the next non-blank word is @word. */
static int accept_word(struct asm_ctx *c, const char *word)
{
    size_t n = strlen(word);

    skip_blanks(c);
    if (c->linelen - c->pos < n || memcmp(c->line + c->pos, word, n) != 0)
        return 0;
    if (c->pos + n < c->linelen &&
        (is_alpha((unsigned char)c->line[c->pos + n]) ||
         is_digit((unsigned char)c->line[c->pos + n])))
        return 0;
    c->pos += n;
    return 1;
}

/* True (and moves past it) when the text at the cursor starts with @s. */
static int accept_prefix(struct asm_ctx *c, const char *s)
{
    size_t n = strlen(s);

    if (c->linelen - c->pos < n || memcmp(c->line + c->pos, s, n) != 0)
        return 0;
    c->pos += n;
    return 1;
}

/* True when nothing but blanks (or a comment starting with @comment) is left. */
static int at_line_end(struct asm_ctx *c, int comment)
{
    skip_blanks(c);
    return peek(c) == -1 || peek(c) == comment;
}

/* Reports anything left on the line after an instruction. */
static int expect_line_end(struct asm_ctx *c, int comment)
{
    return at_line_end(c, comment) ? 0 : fail_here(c, ASM_ERR_TRAILING);
}

/*
 * Moves to the next line that is neither blank nor a '#' comment, with
 * the cursor on its first non-blank character. Returns 0 at the end.
 */
static int next_line(struct asm_ctx *c)
{
    while (c->next < c->textlen) {
        const char *start = c->text + c->next;
        const char *nl = memchr(start, '\n', c->textlen - c->next);
        size_t n = nl ? (size_t)(nl - start) : c->textlen - c->next;

        c->next += n + (nl ? 1 : 0);
        if (c->lineno < 0x7fffffff)
            c->lineno++;
        c->line = start;
        c->linelen = n;
        c->pos = 0;
        skip_blanks(c);
        if (peek(c) != -1 && peek(c) != '#')
            return 1;
    }
    return 0;
}

/* ---- numbers ---- */

/*
 * Reads an integer at the cursor: optional '-', then decimal digits or
 * 0x and hex digits, not run into a following letter or digit. Values
 * beyond 2^33 set ->overflow. Returns 0, or -1 (cursor unmoved) if there
 * is no number there.
 */
static int scan_number(struct asm_ctx *c, struct asm_num *num)
{
    size_t p;
    int neg = 0, base = 10;

    skip_blanks(c);
    p = c->pos;
    num->col = p;
    num->v = 0;
    num->overflow = 0;
    if (char_at(c, p) == '-') {
        neg = 1;
        p++;
    }
    if (char_at(c, p) == '0' && (char_at(c, p + 1) | 0x20) == 'x' &&
        is_hex(char_at(c, p + 2))) {
        base = 16;
        p += 2;
    }
    if (!is_digit_in(char_at(c, p), base))
        return -1;
    for (; is_digit_in(char_at(c, p), base); p++) {
        num->v = num->v * base + hex_value(char_at(c, p));
        if (num->v > (1ll << 33)) {
            num->overflow = 1;
            num->v = 1ll << 33;
        }
    }
    if (is_alpha(char_at(c, p)) || is_digit(char_at(c, p)))
        return -1;
    num->v = neg ? -num->v : num->v;
    num->end = p;
    c->pos = p;
    return 0;
}

/* Reads a number, reporting "expected @what" when there is none. */
static int read_number(struct asm_ctx *c, struct asm_num *num,
                       const char *what)
{
    if (scan_number(c, num) == 0)
        return 0;
    return fail_expected(c, ASM_ERR_NUMBER, what);
}

/* Checks @lo <= num <= @hi; @field names it in the message. */
static int check_range(struct asm_ctx *c, const struct asm_num *num,
                       const char *field, long long lo, long long hi,
                       const char *range)
{
    char tok[128];

    if (!num->overflow && num->v >= lo && num->v <= hi)
        return 0;
    span_text(c, num->col, num->end, tok, sizeof tok);
    return asm_fail(c, ASM_ERR_RANGE, num->col, num->end, field, tok, range);
}

/* A 32-bit field: anything from INT32_MIN to UINT32_MAX, wrapped. */
static int read_k(struct asm_ctx *c, uint32_t *k, const char *field)
{
    struct asm_num num;
    int rc = read_number(c, &num, "a number");

    if (rc == 0)
        rc = check_range(c, &num, field, -2147483648ll, 4294967295ll,
                         "-2147483648..4294967295");
    if (rc == 0)
        *k = (uint32_t)num.v;
    return rc;
}

/* An unsigned field of at most @max. */
static int read_field(struct asm_ctx *c, unsigned *v, const char *field,
                      unsigned max, const char *range)
{
    struct asm_num num;
    int rc = read_number(c, &num, "a number");

    if (rc == 0)
        rc = check_range(c, &num, field, 0, max, range);
    if (rc == 0)
        *v = (unsigned)num.v;
    return rc;
}

/* ---- the program ---- */

static int push_insn(struct asm_ctx *c, const struct pf_cbpf_insn *insn)
{
    if (c->len == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 64;
        struct pf_cbpf_insn *p;

        if (c->len >= ASM_MAX_INSNS)
            return asm_fail(c, ASM_ERR_TOO_LONG, 0, c->linelen);
        p = realloc(c->insns, cap * sizeof *p);
        if (!p)
            return asm_fail(c, ASM_ERR_NOMEM, 0, c->linelen);
        c->insns = p;
        c->cap = cap;
    }
    c->insns[c->len++] = *insn;
    return 0;
}

/* ---- `tcpdump -ddd` ---- */

/* Reads up to 5 numbers of a -ddd line into @nums; returns how many. */
static int scan_decimal_line(struct asm_ctx *c, struct asm_num *nums,
                             int *count)
{
    int n = 0;

    while (!at_line_end(c, '#')) {
        struct asm_num num;

        int rc = read_number(c, &num, "a number");

        if (rc < 0)
            return rc;
        if (n < 5)
            nums[n] = num;
        n++;
    }
    *count = n;
    return 0;
}

/* Range-checks four numbers and appends them as an instruction. */
static int push_decimal(struct asm_ctx *c, const struct asm_num *nums)
{
    struct pf_cbpf_insn insn;
    int rc;

    rc = check_range(c, &nums[0], "code", 0, 0xffff, "0..65535");
    if (rc == 0)
        rc = check_range(c, &nums[1], "jt", 0, 255, "0..255");
    if (rc == 0)
        rc = check_range(c, &nums[2], "jf", 0, 255, "0..255");
    if (rc == 0)
        rc = check_range(c, &nums[3], "k", -2147483648ll, 4294967295ll,
                         "-2147483648..4294967295");
    if (rc < 0)
        return rc;
    insn.code = (uint16_t)nums[0].v;
    insn.jt = (uint8_t)nums[1].v;
    insn.jf = (uint8_t)nums[2].v;
    insn.k = (uint32_t)nums[3].v;
    return push_insn(c, &insn);
}

/* The first -ddd line: a count, or already an instruction. */
static int decimal_first(struct asm_ctx *c)
{
    struct asm_num nums[5];
    int n, rc = scan_decimal_line(c, nums, &n);

    if (rc < 0)
        return rc;
    if (n == 4)
        return push_decimal(c, nums);
    if (n != 1)
        return asm_fail(c, ASM_ERR_COUNT_LINE, 0, c->linelen, n);
    if (nums[0].v < 0 || nums[0].overflow)
        return check_range(c, &nums[0], "count", 0, 4294967295ll,
                           "0..4294967295");
    c->has_count = 1;
    c->count = (unsigned long long)nums[0].v;
    c->count_line = c->lineno;
    c->count_col = nums[0].col;
    c->count_end = nums[0].end;
    return 0;
}

/* Checks the count line against the number of instructions read. */
static int decimal_check_count(struct asm_ctx *c)
{
    if (!c->has_count || c->count == c->len)
        return 0;
    c->lineno = c->count_line;
    return asm_fail(c, ASM_ERR_COUNT, c->count_col, c->count_end, c->count,
                    c->len);
}

static int parse_decimal(struct asm_ctx *c)
{
    int rc = decimal_first(c);

    while (rc == 0 && next_line(c)) {
        struct asm_num nums[5];
        int n;

        rc = scan_decimal_line(c, nums, &n);
        if (rc == 0 && n != 4)
            rc = asm_fail(c, ASM_ERR_NUMBERS, 0, c->linelen, n);
        if (rc == 0)
            rc = push_decimal(c, nums);
    }
    return rc ? rc : decimal_check_count(c);
}

/* ---- `tcpdump -dd` ---- */

/* One "{ code, jt, jf, k }," line. */
static int c_line(struct asm_ctx *c)
{
    static const struct {
        const char *name;
        unsigned max;
        const char *range;
    } fields[3] = {
        {"code", 0xffff, "0..65535"},
        {"jt", 255, "0..255"},
        {"jf", 255, "0..255"},
    };
    unsigned v[3] = {0, 0, 0};
    uint32_t k = 0;
    int rc = expect_char(c, '{');

    for (int i = 0; rc == 0 && i < 3; i++) {
        rc = read_field(c, &v[i], fields[i].name, fields[i].max,
                        fields[i].range);
        rc = rc ? rc : expect_char(c, ',');
    }
    rc = rc ? rc : read_k(c, &k, "k");
    rc = rc ? rc : expect_char(c, '}');
    if (rc == 0) {
        accept_char(c, ',');
        rc = expect_line_end(c, '#');
    }
    return rc ? rc
              : push_insn(c, &(struct pf_cbpf_insn){(uint16_t)v[0],
                                                    (uint8_t)v[1],
                                                    (uint8_t)v[2], k});
}

static int parse_c(struct asm_ctx *c)
{
    int rc;

    do {
        rc = c_line(c);
    } while (rc == 0 && next_line(c));
    return rc;
}

/* ---- `tcpdump -d` ---- */

/* The operand shapes of the listing; each operand kind takes one. */
enum asm_form {
    FORM_NONE,     /* nothing              neg, tax, txa, ret (A) */
    FORM_IMM,      /* #k                   ld, ldx, alu, jcc, ret */
    FORM_PKTLEN,   /* #pktlen              ld, ldx */
    FORM_ABS,      /* [k] or [name]        ld, ldh, ldb */
    FORM_IND,      /* [x + k]              ld, ldh, ldb */
    FORM_MEM,      /* M[k]                 ld, ldx, st, stx */
    FORM_MSH,      /* 4*([k]&0xf)          ldxb */
    FORM_X,        /* x                    alu, jcc */
    FORM_NUM,      /* k                    ja (a target), unimp (a code) */
};

struct asm_operand {
    enum asm_form form;
    uint32_t k;
    long long num;   /* FORM_NUM as written */
    size_t col;
    size_t end;
};

static enum asm_form form_of_kind(enum pf_cbpf_operand kind)
{
    switch (kind) {
    case PF_CBPF_OPND_ABS:
        return FORM_ABS;
    case PF_CBPF_OPND_IND:
        return FORM_IND;
    case PF_CBPF_OPND_LEN:
        return FORM_PKTLEN;
    case PF_CBPF_OPND_MEM:
        return FORM_MEM;
    case PF_CBPF_OPND_MSH:
        return FORM_MSH;
    case PF_CBPF_OPND_ALUX:
    case PF_CBPF_OPND_JX:
        return FORM_X;
    case PF_CBPF_OPND_JA:
        return FORM_NUM;
    case PF_CBPF_OPND_NONE:
    case PF_CBPF_OPND_RETA:
        return FORM_NONE;
    default:
        return FORM_IMM;
    }
}

/* The offset an ancillary name stands for; -1 if it names none. */
static int ancillary_k(const char *name, size_t n, uint32_t *k)
{
    static const struct {
        const char *name;
        int off;
    } names[] = {
#define PF_AD_NAME_ENTRY(id, off, text) {text, off},
        PF_CBPF_ANCILLARY(PF_AD_NAME_ENTRY)
#undef PF_AD_NAME_ENTRY
    };

    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (strlen(names[i].name) == n && memcmp(names[i].name, name, n) == 0) {
            *k = (uint32_t)(PF_CBPF_AD_OFF + names[i].off);
            return 0;
        }
    }
    return -1;
}

/* After '[': "k", "name" or "x + k". */
static int operand_bracket_inner(struct asm_ctx *c, struct asm_operand *op)
{
    size_t start;
    int rc;

    skip_blanks(c);
    start = c->pos;
    if (accept_word(c, "x")) {
        op->form = FORM_IND;
        rc = expect_char(c, '+');
        return rc ? rc : read_k(c, &op->k, "offset");
    }
    if (is_alpha(peek(c))) {
        char tok[128];

        while (is_alpha(peek(c)) || is_digit(peek(c)))
            c->pos++;
        op->form = FORM_ABS;
        if (ancillary_k(c->line + start, c->pos - start, &op->k) == 0)
            return 0;
        span_text(c, start, c->pos, tok, sizeof tok);
        return asm_fail(c, ASM_ERR_ANCILLARY, start, c->pos, tok);
    }
    op->form = FORM_ABS;
    return read_k(c, &op->k, "offset");
}

/* After '[': "k]", "name]" or "x + k]". */
static int operand_bracket(struct asm_ctx *c, struct asm_operand *op)
{
    int rc = operand_bracket_inner(c, op);

    return rc ? rc : expect_char(c, ']');
}

/* After "M[": "k]". */
static int operand_mem(struct asm_ctx *c, struct asm_operand *op)
{
    int rc = read_k(c, &op->k, "memory index");

    op->form = FORM_MEM;
    return rc ? rc : expect_char(c, ']');
}

/* After "4*(": "[k]&0xf)". */
static int operand_msh(struct asm_ctx *c, struct asm_operand *op)
{
    int rc = expect_char(c, '[');

    op->form = FORM_MSH;
    if (rc == 0)
        rc = read_k(c, &op->k, "offset");
    if (rc == 0)
        rc = expect_char(c, ']');
    if (rc == 0)
        rc = expect_char(c, '&');
    skip_blanks(c);
    if (rc == 0 && !accept_word(c, "0xf") && !accept_word(c, "0xF") &&
        !accept_word(c, "15"))
        rc = fail_expected(c, ASM_ERR_EXPECTED, "0xf");
    return rc ? rc : expect_char(c, ')');
}

/* After '#': "pktlen" or a number. */
static int operand_hash(struct asm_ctx *c, struct asm_operand *op)
{
    if (accept_word(c, "pktlen")) {
        op->form = FORM_PKTLEN;
        return 0;
    }
    op->form = FORM_IMM;
    return read_k(c, &op->k, "immediate");
}

/* A bare number: a ja target or an unimp code, range-checked later. */
static int operand_num(struct asm_ctx *c, struct asm_operand *op)
{
    struct asm_num num;
    int rc = read_number(c, &num, "an operand");

    if (rc == 0)
        rc = check_range(c, &num, "number", -2147483648ll, 4294967295ll,
                         "-2147483648..4294967295");
    op->form = FORM_NUM;
    op->num = num.v;
    return rc;
}

/* Dispatches on the operand's first characters. */
static int operand_shape(struct asm_ctx *c, struct asm_operand *op)
{
    int ch = peek(c);

    if (at_line_end(c, ';') || accept_word(c, "jt")) {
        c->pos = op->col;
        return 0;
    }
    if (accept_char(c, '#'))
        return operand_hash(c, op);
    if (accept_char(c, '['))
        return operand_bracket(c, op);
    if (accept_prefix(c, "M["))
        return operand_mem(c, op);
    if (accept_prefix(c, "4*("))
        return operand_msh(c, op);
    if (accept_word(c, "x") || accept_word(c, "X")) {
        op->form = FORM_X;
        return 0;
    }
    if (ch == '-' || is_digit(ch))
        return operand_num(c, op);
    return fail_here(c, ASM_ERR_SYNTAX);
}

/* Parses the operand at the cursor into @op (shape and value). */
static int parse_operand(struct asm_ctx *c, struct asm_operand *op)
{
    int rc;

    skip_blanks(c);
    op->col = c->pos;
    op->k = 0;
    op->num = 0;
    op->form = FORM_NONE;
    rc = operand_shape(c, op);
    op->end = c->pos;
    return rc;
}

/* Turns absolute target @t of instruction @n into a jt/jf offset. */
static int jump_offset(struct asm_ctx *c, const struct asm_num *t, size_t n,
                       uint8_t *off)
{
    long long d = t->v - (long long)n - 1;

    if (!t->overflow && t->v < (long long)n)
        return asm_fail(c, ASM_ERR_JUMP_BACK, t->col, t->end, t->v, n);
    if (!t->overflow && d < 0)
        return asm_fail(c, ASM_ERR_JUMP_SELF, t->col, t->end, t->v);
    if (t->overflow || d > 255)
        return asm_fail(c, ASM_ERR_JUMP_FAR, t->col, t->end, t->v, d);
    *off = (uint8_t)d;
    return 0;
}

/* "jt T jf F" after a conditional jump's operand. */
static int parse_targets(struct asm_ctx *c, struct pf_cbpf_insn *insn)
{
    struct asm_num t;
    int rc = 0;

    if (!accept_word(c, "jt"))
        rc = fail_expected(c, ASM_ERR_EXPECTED, "jt");
    if (rc == 0)
        rc = read_number(c, &t, "a jump target");
    if (rc == 0)
        rc = jump_offset(c, &t, c->len, &insn->jt);
    if (rc == 0 && !accept_word(c, "jf"))
        rc = fail_expected(c, ASM_ERR_EXPECTED, "jf");
    if (rc == 0)
        rc = read_number(c, &t, "a jump target");
    if (rc == 0)
        rc = jump_offset(c, &t, c->len, &insn->jf);
    return rc;
}

/*
 * Finds the opcode named @mnem whose operand kind takes @op's shape, in
 * table order. Returns 0, or an error naming the mnemonic or operand.
 */
static int match_opcode(struct asm_ctx *c, const char *mnem, size_t mcol,
                        const struct asm_operand *op, unsigned *code)
{
    int known = 0;
    char tok[128];

    for (unsigned i = 0; i < 256; i++) {
        const struct pf_cbpf_opinfo *info = &pf_cbpf_opinfo[i];

        if (!info->mnemonic || strcmp(info->mnemonic, mnem) != 0)
            continue;
        known = 1;
        if (form_of_kind(info->operand) == op->form) {
            *code = i;
            return 0;
        }
    }
    if (!known)
        return asm_fail(c, ASM_ERR_MNEMONIC, mcol, mcol + strlen(mnem), mnem);
    if (op->form == FORM_NONE)
        return asm_fail(c, ASM_ERR_NEEDS_OPERAND, mcol, mcol + strlen(mnem),
                        mnem);
    span_text(c, op->col, op->end, tok, sizeof tok);
    return asm_fail(c, ASM_ERR_OPERAND, op->col, op->end, mnem, tok);
}

/* `unimp 0xNN`: the raw code; conditional-jump codes carry targets. */
static int listing_unimp(struct asm_ctx *c, const struct asm_operand *op,
                         struct pf_cbpf_insn *insn)
{
    char tok[128];

    if (op->form != FORM_NUM || op->num < 0 || op->num > 0xffff) {
        span_text(c, op->col, op->end, tok, sizeof tok);
        return asm_fail(c, ASM_ERR_OPERAND, op->col, op->end, "unimp", tok);
    }
    insn->code = (uint16_t)op->num;
    if (PF_CBPF_CLASS(insn->code) == PF_CBPF_JMP &&
        PF_CBPF_OP(insn->code) != PF_CBPF_JA)
        return parse_targets(c, insn);
    return 0;
}

/* Fills @insn from the matched opcode and operand (and targets). */
static int listing_fill(struct asm_ctx *c, unsigned code,
                        const struct asm_operand *op,
                        struct pf_cbpf_insn *insn)
{
    enum pf_cbpf_operand kind = pf_cbpf_opinfo[code].operand;

    insn->code = (uint16_t)code;
    insn->k = op->k;
    if (kind == PF_CBPF_OPND_JA)
        insn->k = (uint32_t)((unsigned long long)op->num - c->len - 1);
    if (kind == PF_CBPF_OPND_JK || kind == PF_CBPF_OPND_JX)
        return parse_targets(c, insn);
    return 0;
}

/* The optional "(NNN)" prefix, which must match the position. */
static int listing_index(struct asm_ctx *c)
{
    struct asm_num num;
    size_t start = c->pos;
    char tok[128];
    int rc;

    if (!accept_char(c, '('))
        return 0;
    rc = read_number(c, &num, "an instruction number");
    if (rc == 0)
        rc = expect_char(c, ')');
    if (rc < 0)
        return rc;
    if (!num.overflow && num.v == (long long)c->len)
        return 0;
    span_text(c, start, c->pos, tok, sizeof tok);
    return asm_fail(c, ASM_ERR_INDEX, start, c->pos, tok, c->len);
}

/* Reads the mnemonic at the cursor into @mnem. */
static int listing_mnemonic(struct asm_ctx *c, char *mnem, size_t len,
                            size_t *col)
{
    size_t start;

    skip_blanks(c);
    start = c->pos;
    *col = start;
    while (is_alpha(peek(c)) || is_digit(peek(c)))
        c->pos++;
    if (c->pos == start || !is_alpha((unsigned char)c->line[start])) {
        c->pos = start;
        return fail_expected(c, ASM_ERR_NUMBER, "a mnemonic");
    }
    if (c->pos - start >= len) {
        snprintf(mnem, len, "%.*s", (int)(len - 1), c->line + start);
        return asm_fail(c, ASM_ERR_MNEMONIC, start, c->pos, mnem);
    }
    memcpy(mnem, c->line + start, c->pos - start);
    mnem[c->pos - start] = '\0';
    return 0;
}

/* One listing line: [(NNN)] mnemonic [operand] [jt T jf F] [; comment]. */
static int listing_line(struct asm_ctx *c)
{
    struct pf_cbpf_insn insn = {0, 0, 0, 0};
    struct asm_operand op;
    char mnem[16];
    size_t mcol;
    unsigned code = 0;
    int rc = listing_index(c);

    if (rc == 0)
        rc = listing_mnemonic(c, mnem, sizeof mnem, &mcol);
    if (rc == 0)
        rc = parse_operand(c, &op);
    if (rc == 0 && strcmp(mnem, "unimp") == 0) {
        rc = listing_unimp(c, &op, &insn);
    } else if (rc == 0) {
        rc = match_opcode(c, mnem, mcol, &op, &code);
        if (rc == 0)
            rc = listing_fill(c, code, &op, &insn);
    }
    if (rc == 0)
        rc = expect_line_end(c, ';');
    return rc ? rc : push_insn(c, &insn);
}

static int parse_listing(struct asm_ctx *c)
{
    int rc;

    do {
        rc = listing_line(c);
    } while (rc == 0 && next_line(c));
    return rc;
}

/* ---- entry ---- */

/* Picks the format from the first significant line (cursor on it). */
static enum asm_format detect_format(const struct asm_ctx *c)
{
    int ch = peek(c);

    if (is_digit(ch))
        return ASM_FMT_DECIMAL;
    if (ch == '{')
        return ASM_FMT_C;
    if (ch == '(' || is_alpha(ch))
        return ASM_FMT_LISTING;
    return ASM_FMT_UNKNOWN;
}

static int parse_program(struct asm_ctx *c)
{
    if (!next_line(c)) {
        c->lineno = 0;
        return pf_error_set(c->err, -EINVAL, PF_STAGE_ASM, ASM_ERR_NO_INSNS,
                            "%s", asm_error_msg[ASM_ERR_NO_INSNS]);
    }
    switch (detect_format(c)) {
    case ASM_FMT_DECIMAL:
        return parse_decimal(c);
    case ASM_FMT_C:
        return parse_c(c);
    case ASM_FMT_LISTING:
        return parse_listing(c);
    default:
        return fail_here(c, ASM_ERR_FORMAT);
    }
}

/*
 * Parses @text[0..textlen) (need not be NUL-terminated; may hold any
 * bytes) in the -ddd, -dd or -d format. On success returns 0 and *@out
 * owns a malloc'd array of out->len >= 1 instructions (free with
 * pf_cbpf_prog_free). On failure *@out is empty and @err says where:
 * -EINVAL for bad text (line and column span, stage PF_STAGE_ASM),
 * -ENOMEM when memory runs out.
 */
int pf_cbpf_asm(const char *text, size_t textlen, struct pf_cbpf_prog *out,
                struct pf_error *err)
{
    struct asm_ctx c;
    int rc;

    if (!out)
        return pf_error_set(err, -EINVAL, PF_STAGE_ASM, 0, "no output program");
    out->insns = NULL;
    out->len = 0;
    memset(&c, 0, sizeof c);
    c.text = text;
    c.textlen = text ? textlen : 0;
    c.err = err;
    rc = parse_program(&c);
    if (rc == 0 && c.len == 0)
        rc = pf_error_set(err, -EINVAL, PF_STAGE_ASM, ASM_ERR_NO_INSNS,
                          "%s", asm_error_msg[ASM_ERR_NO_INSNS]);
    if (rc < 0) {
        free(c.insns);
        return rc;
    }
    out->insns = c.insns;
    out->len = c.len;
    return 0;
}

/* Frees the instructions of @prog (from pf_cbpf_asm; may be NULL). */
void pf_cbpf_prog_free(struct pf_cbpf_prog *prog)
{
    if (!prog)
        return;
    free(prog->insns);
    prog->insns = NULL;
    prog->len = 0;
}
