/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Golden test against the installed tcpdump: for every expression in
 * tests/data/cbpf/expressions.txt (argv[1]; "LINKTYPE[ -O]<TAB>expr"),
 * run `tcpdump -y LINKTYPE [-O] -d|-dd|-ddd -- expr` ("@IFACE" instead of
 * a link type runs `tcpdump -i IFACE`, which on Linux brings out the
 * ancillary loads; those lines are skipped, loudly, where the interface
 * cannot be opened), assemble the -ddd
 * output with pf_cbpf_asm, and check that pf_cbpf_dump reproduces all
 * three outputs byte for byte, and that the -dd text assembles to the
 * very same program and the -d listing to the same program in every field
 * the listing shows (libpcap leaves stale k values in some instructions
 * whose operand it does not print, e.g. `tax` with k = 3; no listing can
 * carry those). Exits 77 (skip) when tcpdump cannot be run, saying so.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <pfcap/cbpf.h>

#include "cbpf/cbpf_ops.h"

#define MAX_ARGS 16

struct growbuf {
    char *data;
    size_t len;
    size_t cap;
};

static void growbuf_add(struct growbuf *b, const char *p, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;

        while (cap < b->len + n + 1)
            cap *= 2;
        b->data = realloc(b->data, cap);
        if (!b->data) {
            perror("realloc");
            exit(1);
        }
        b->cap = cap;
    }
    memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
}

/*
 * Runs @argv (stdout captured into @out, stderr discarded). Returns the
 * exit status, or -1 if it could not run.
 */
static int run_capture(char *const argv[], struct growbuf *out)
{
    int fds[2], status;
    char chunk[4096];
    ssize_t n;
    pid_t pid;

    out->len = 0;
    if (pipe(fds) < 0)
        return -1;
    pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        int devnull = open("/dev/null", O_WRONLY);

        dup2(fds[1], STDOUT_FILENO);
        if (devnull >= 0)
            dup2(devnull, STDERR_FILENO);
        close(fds[0]);
        close(fds[1]);
        execvp(argv[0], argv);
        _exit(127);
    }
    close(fds[1]);
    while ((n = read(fds[0], chunk, sizeof chunk)) > 0 || (n < 0 && errno == EINTR))
        if (n > 0)
            growbuf_add(out, chunk, (size_t)n);
    close(fds[0]);
    growbuf_add(out, "", 0);
    if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status))
        return -1;
    return WEXITSTATUS(status);
}

/* Runs tcpdump on one expression with one -d flag. */
static int tcpdump(const char *opts, const char *dflag, const char *expr,
                   struct growbuf *out)
{
    char optbuf[128], *argv[MAX_ARGS];
    int argc = 0;

    snprintf(optbuf, sizeof optbuf, "%s", opts[0] == '@' ? opts + 1 : opts);
    argv[argc++] = "tcpdump";
    argv[argc++] = opts[0] == '@' ? "-i" : "-y";
    for (char *tok = strtok(optbuf, " "); tok && argc < MAX_ARGS - 4;
         tok = strtok(NULL, " "))
        argv[argc++] = tok;
    argv[argc++] = (char *)dflag;
    argv[argc++] = "--";
    argv[argc++] = (char *)expr;
    argv[argc] = NULL;
    return run_capture(argv, out);
}

/* pf_cbpf_dump into a malloc'd string. */
static char *dump(const struct pf_cbpf_prog *p, enum pf_cbpf_dump_fmt fmt)
{
    size_t need = pf_cbpf_dump(p->insns, p->len, fmt, NULL, 0);
    char *s = malloc(need + 1);

    if (!s) {
        perror("malloc");
        exit(1);
    }
    pf_cbpf_dump(p->insns, p->len, fmt, s, need + 1);
    return s;
}

/* Whether the -d listing prints k for @code (see cbpf/disasm.c). */
static int listing_shows_k(uint16_t code)
{
    const struct pf_cbpf_opinfo *info = pf_cbpf_op_lookup(code);

    if (!info || code == PF_CBPF_OP_LDX_LEN)
        return 0;
    switch (info->operand) {
    case PF_CBPF_OPND_LEN:
    case PF_CBPF_OPND_ALUX:
    case PF_CBPF_OPND_NONE:
    case PF_CBPF_OPND_JX:
    case PF_CBPF_OPND_RETA:
        return 0;
    default:
        return 1;
    }
}

static int listing_shows_targets(uint16_t code)
{
    return PF_CBPF_CLASS(code) == PF_CBPF_JMP &&
           PF_CBPF_OP(code) != PF_CBPF_JA;
}

/* @a equals @b in the fields a listing shows; unshown ones read back 0. */
static int same_listing(const struct pf_cbpf_prog *a,
                        const struct pf_cbpf_prog *listed, size_t *hidden)
{
    if (a->len != listed->len)
        return 0;
    for (size_t i = 0; i < a->len; i++) {
        struct pf_cbpf_insn want = a->insns[i];

        if (!listing_shows_k(want.code)) {
            *hidden += want.k != 0;
            want.k = 0;
        }
        if (!listing_shows_targets(want.code))
            want.jt = want.jf = 0;
        if (memcmp(&want, &listed->insns[i], sizeof want) != 0)
            return 0;
    }
    return 1;
}

static int same_prog(const struct pf_cbpf_prog *a, const struct pf_cbpf_prog *b)
{
    return a->len == b->len &&
           memcmp(a->insns, b->insns, a->len * sizeof *a->insns) == 0;
}

/* Assembles @text; reports and returns -1 on failure. */
static int assemble(const char *what, const char *text,
                    struct pf_cbpf_prog *p, int lineno)
{
    struct pf_error err;

    pf_error_init(&err);
    if (pf_cbpf_asm(text, strlen(text), p, &err) == 0)
        return 0;
    fprintf(stderr, "line %d: %s does not assemble: %d:%d: %s\n", lineno,
            what, err.line, err.col, err.msg);
    return -1;
}

/* Compares one pf_cbpf_dump format against tcpdump's bytes. */
static int check_format(const struct pf_cbpf_prog *p,
                        enum pf_cbpf_dump_fmt fmt, const char *want,
                        const char *flag, int lineno)
{
    char *got = dump(p, fmt);
    int ok = strcmp(got, want) == 0;

    if (!ok)
        fprintf(stderr, "line %d: tcpdump %s differs:\n--- tcpdump\n%s--- "
                "pfcap\n%s", lineno, flag, want, got);
    free(got);
    return ok ? 0 : -1;
}

/*
 * All checks for one expression. Returns 0, -1 on a difference, or 1
 * when a live interface could not be opened; adds to the counts.
 */
static int check_expr(const char *opts, const char *expr, int lineno,
                      size_t *insns, size_t *hidden)
{
    struct growbuf d = {0}, dd = {0}, ddd = {0};
    struct pf_cbpf_prog prog = {0}, from_d = {0}, from_dd = {0};
    int rc = -1;

    if (tcpdump(opts, "-d", expr, &d) != 0 ||
        tcpdump(opts, "-dd", expr, &dd) != 0 ||
        tcpdump(opts, "-ddd", expr, &ddd) != 0) {
        if (opts[0] == '@') {
            fprintf(stderr, "SKIP line %d: tcpdump -i %s cannot open the "
                    "interface here (needs CAP_NET_RAW)\n", lineno, opts + 1);
            rc = 1;
        } else {
            fprintf(stderr, "line %d: tcpdump -y %s failed on '%s'\n",
                    lineno, opts, expr);
        }
        goto out;
    }
    if (assemble("-ddd", ddd.data, &prog, lineno) < 0 ||
        assemble("-d", d.data, &from_d, lineno) < 0 ||
        assemble("-dd", dd.data, &from_dd, lineno) < 0)
        goto out;
    rc = check_format(&prog, PF_CBPF_DUMP_DECIMAL, ddd.data, "-ddd", lineno);
    rc |= check_format(&prog, PF_CBPF_DUMP_C, dd.data, "-dd", lineno);
    rc |= check_format(&prog, PF_CBPF_DUMP_LISTING, d.data, "-d", lineno);
    if (!same_listing(&prog, &from_d, hidden)) {
        fprintf(stderr, "line %d: -d assembles to a different program than "
                "-ddd\n", lineno);
        rc = -1;
    }
    if (!same_prog(&prog, &from_dd)) {
        fprintf(stderr, "line %d: -dd assembles to a different program than "
                "-ddd\n", lineno);
        rc = -1;
    }
    *insns += prog.len;
out:
    pf_cbpf_prog_free(&prog);
    pf_cbpf_prog_free(&from_d);
    pf_cbpf_prog_free(&from_dd);
    free(d.data);
    free(dd.data);
    free(ddd.data);
    return rc;
}

/* Exits 77 unless `tcpdump --version` runs. */
static void require_tcpdump(void)
{
    char *argv[] = {"tcpdump", "--version", NULL};
    struct growbuf out = {0};
    int rc = run_capture(argv, &out);

    free(out.data);
    if (rc == 0)
        return;
    fprintf(stderr, "SKIP: golden_tcpdump needs tcpdump in PATH (the oracle); "
            "`tcpdump --version` did not run (status %d)\n", rc);
    exit(77);
}

int main(int argc, char **argv)
{
    char line[1024];
    size_t exprs = 0, bad = 0, skipped = 0, insns = 0, hidden = 0;
    int lineno = 0;
    FILE *f;

    if (argc != 2) {
        fprintf(stderr, "usage: %s expressions.txt\n", argv[0]);
        return 2;
    }
    require_tcpdump();
    f = fopen(argv[1], "r");
    if (!f) {
        perror(argv[1]);
        return 1;
    }
    while (fgets(line, sizeof line, f)) {
        char *tab, *nl = strchr(line, '\n');

        lineno++;
        if (nl)
            *nl = '\0';
        tab = strchr(line, '\t');
        if (line[0] == '#' || line[0] == '\0')
            continue;
        if (!tab) {
            fprintf(stderr, "line %d: no tab between link type and expression\n",
                    lineno);
            bad++;
            continue;
        }
        *tab = '\0';
        exprs++;
        switch (check_expr(line, tab + 1, lineno, &insns, &hidden)) {
        case 0:
            break;
        case 1:
            skipped++;
            break;
        default:
            bad++;
            break;
        }
    }
    fclose(f);
    printf("golden_tcpdump: %zu expressions, %zu instructions (%zu with a "
           "stale k the listing cannot show), %zu skipped, %zu failed\n",
           exprs, insns, hidden, skipped, bad);
    if (exprs - skipped < 200) {
        fprintf(stderr, "expected at least 200 expressions\n");
        return 1;
    }
    return bad ? 1 : 0;
}
