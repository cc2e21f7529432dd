/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Diagnostics shared by every pfcap module: a caller-owned struct pf_error
 * that the first failing function fills in (first error wins), with the
 * place the problem was found: a line:column span in expression or
 * assembler text, an instruction index in a program, or a byte offset in
 * a capture file. Functions return 0 or a negative errno and never print.
 */
#ifndef PFCAP_ERROR_H
#define PFCAP_ERROR_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The pipeline stage that produced a diagnostic. */
#define PF_STAGES(X)                                                           \
    X(NONE, "none")                                                            \
    X(EXPR, "expression")                                                      \
    X(CBPF, "cbpf")                                                            \
    X(ASM, "assembler")                                                        \
    X(EBPF, "ebpf")                                                            \
    X(TRANSLATE, "translate")                                                  \
    X(JIT, "jit")                                                              \
    X(ELF, "elf")                                                              \
    X(KERNEL, "kernel")                                                        \
    X(FILE, "file")                                                            \
    X(CAPTURE, "capture")                                                      \
    X(PRINT, "print")                                                          \
    X(USAGE, "usage")

enum pf_stage {
#define PF_STAGE_ENUM(name, text) PF_STAGE_##name,
    PF_STAGES(PF_STAGE_ENUM)
#undef PF_STAGE_ENUM
};

#define PF_ERROR_MSG_MAX 256
#define PF_NO_OFFSET UINT64_MAX

struct pf_error {
    int err;               /* negative errno; 0 while no error is recorded */
    enum pf_stage stage;   /* who reported it */
    int code;              /* stage-specific code (e.g. a validator rule) */
    int line;              /* 1-based line in text input, 0 when none */
    int col;               /* 1-based column of the first bad character */
    int end_col;           /* 1-based column after the span, 0 = one char */
    long insn;             /* instruction index, -1 when none */
    uint64_t offset;       /* byte offset in a file, PF_NO_OFFSET when none */
    char msg[PF_ERROR_MSG_MAX];
};

/* Resets @e to "no error" (insn = -1, offset = PF_NO_OFFSET). */
void pf_error_init(struct pf_error *e);

/*
 * Records an error unless @e already holds one (first error wins) or @e is
 * NULL. @err is a negative errno and is returned so callers can write
 * `return pf_error_set(e, ...)`. The message is printf-formatted.
 */
int pf_error_set(struct pf_error *e, int err, enum pf_stage stage, int code,
                 const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Like pf_error_set, and records an instruction index. */
int pf_error_set_insn(struct pf_error *e, int err, enum pf_stage stage,
                      int code, long insn, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

/* Like pf_error_set, and records a byte offset in a file. */
int pf_error_set_offset(struct pf_error *e, int err, enum pf_stage stage,
                        int code, uint64_t offset, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

/* Like pf_error_set, and records a 1-based line and column span. */
int pf_error_set_span(struct pf_error *e, int err, enum pf_stage stage,
                      int code, int line, int col, int end_col,
                      const char *fmt, ...)
    __attribute__((format(printf, 8, 9)));

/* Name of a stage ("expression", "cbpf", ...). */
const char *pf_stage_name(enum pf_stage stage);

/*
 * Renders @e the way a compiler does, into @buf (always NUL-terminated):
 *   "1:10: error: MESSAGE\n<source line>\n         ^~~~\n" when @e has a
 * line and @source (the text it refers to) is given; "instruction 7:
 * error: MESSAGE\n" for programs; "offset 1234: error: MESSAGE\n" for
 * files; "error: MESSAGE\n" otherwise. Returns the length it wanted.
 */
size_t pf_error_format(const struct pf_error *e, const char *source,
                       char *buf, size_t len);

#ifdef __cplusplus
}
#endif

#endif
