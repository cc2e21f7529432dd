/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * struct pf_error: recording the first diagnostic and rendering it the way
 * a compiler does (position, message, source line and a caret).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <pfcap/error.h>

static const char *const stage_names[] = {
#define PF_STAGE_NAME(name, text) text,
    PF_STAGES(PF_STAGE_NAME)
#undef PF_STAGE_NAME
};

void pf_error_init(struct pf_error *e)
{
    if (!e)
        return;
    memset(e, 0, sizeof(*e));
    e->insn = -1;
    e->offset = PF_NO_OFFSET;
}

const char *pf_stage_name(enum pf_stage stage)
{
    if ((size_t)stage >= sizeof(stage_names) / sizeof(stage_names[0]))
        return "unknown";
    return stage_names[stage];
}

/* Fills the common fields; returns 1 if @e was free and is now taken. */
static int take(struct pf_error *e, int err, enum pf_stage stage, int code,
                const char *fmt, va_list ap)
{
    if (!e || e->err)
        return 0;
    pf_error_init(e);
    e->err = err ? err : -1;
    e->stage = stage;
    e->code = code;
    vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
    return 1;
}

int pf_error_set(struct pf_error *e, int err, enum pf_stage stage, int code,
                 const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    take(e, err, stage, code, fmt, ap);
    va_end(ap);
    return err;
}

int pf_error_set_insn(struct pf_error *e, int err, enum pf_stage stage,
                      int code, long insn, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    if (take(e, err, stage, code, fmt, ap))
        e->insn = insn;
    va_end(ap);
    return err;
}

int pf_error_set_offset(struct pf_error *e, int err, enum pf_stage stage,
                        int code, uint64_t offset, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    if (take(e, err, stage, code, fmt, ap))
        e->offset = offset;
    va_end(ap);
    return err;
}

int pf_error_set_span(struct pf_error *e, int err, enum pf_stage stage,
                      int code, int line, int col, int end_col,
                      const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    if (take(e, err, stage, code, fmt, ap)) {
        e->line = line;
        e->col = col;
        e->end_col = end_col;
    }
    va_end(ap);
    return err;
}

/* Finds line @line (1-based) of @src; returns its start and length. */
static const char *find_line(const char *src, int line, size_t *len)
{
    const char *p = src;

    for (int n = 1; n < line && p; n++) {
        p = strchr(p, '\n');
        if (p)
            p++;
    }
    if (!p)
        return NULL;
    *len = strcspn(p, "\n");
    return p;
}

/* Appends to buf[*pos..len) snprintf-style, tracking the wanted length. */
static void put(char *buf, size_t len, size_t *pos, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void put(char *buf, size_t len, size_t *pos, const char *fmt, ...)
{
    va_list ap;
    size_t room = *pos < len ? len - *pos : 0;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(room ? buf + *pos : NULL, room, fmt, ap);
    va_end(ap);
    if (n > 0)
        *pos += (size_t)n;
}

/* The source line and a caret line under columns col..end_col. */
static void put_caret(const struct pf_error *e, const char *source, char *buf,
                      size_t len, size_t *pos)
{
    size_t n;
    const char *l = find_line(source, e->line, &n);
    int width;

    if (!l)
        return;
    put(buf, len, pos, "%.*s\n", (int)n, l);
    for (int c = 1; c < e->col; c++)
        put(buf, len, pos, "%c", l[c - 1] == '\t' ? '\t' : ' ');
    width = e->end_col > e->col ? e->end_col - e->col : 1;
    put(buf, len, pos, "^");
    for (int c = 1; c < width; c++)
        put(buf, len, pos, "~");
    put(buf, len, pos, "\n");
}

size_t pf_error_format(const struct pf_error *e, const char *source,
                       char *buf, size_t len)
{
    size_t pos = 0;

    if (len)
        buf[0] = '\0';
    if (e->line > 0)
        put(buf, len, &pos, "%d:%d: ", e->line, e->col);
    else if (e->insn >= 0)
        put(buf, len, &pos, "instruction %ld: ", e->insn);
    else if (e->offset != PF_NO_OFFSET)
        put(buf, len, &pos, "offset %llu: ", (unsigned long long)e->offset);
    put(buf, len, &pos, "error: %s\n", e->msg);
    if (e->line > 0 && source)
        put_caret(e, source, buf, len, &pos);
    return pos;
}
