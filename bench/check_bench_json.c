/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Golden test of `pfcap bench --json`: runs
 *   pfcap bench --synthetic 2000 --engines cbpf,libpcap --json 'tcp port 80'
 * and checks the shape of what it prints with a small strict JSON parser:
 * one object with "filter" (the expression), "packets" (2000) and
 * "results" (one object per engine, in the order asked, each with a
 * positive "ns_per_packet" and "mpps" and the same "accepted" count).
 * No timing is asserted: only that the figures exist and are positive.
 * Usage: check_bench_json PFCAP
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_NODES 256

enum jtype { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ };

/* A parsed value; members of arrays/objects are chained by @next. */
struct jnode {
    enum jtype type;
    double num;
    char str[256];   /* J_STR value */
    char key[64];    /* name when a member of an object */
    struct jnode *child, *next;
};

struct jparser {
    const char *p;
    struct jnode nodes[MAX_NODES];
    int used;
    const char *err;
};

static struct jnode *parse_value(struct jparser *jp);

static void skip_ws(struct jparser *jp)
{
    while (isspace((unsigned char)*jp->p))
        jp->p++;
}

static struct jnode *new_node(struct jparser *jp, enum jtype t)
{
    struct jnode *n;

    if (jp->used == MAX_NODES) {
        jp->err = "too many values";
        return NULL;
    }
    n = &jp->nodes[jp->used++];
    memset(n, 0, sizeof(*n));
    n->type = t;
    return n;
}

/* A string into @out (escapes \" \\ \/ \n \t \uXXXX kept as '?'). */
static int parse_string(struct jparser *jp, char *out, size_t cap)
{
    size_t n = 0;

    if (*jp->p++ != '"')
        return jp->err = "expected a string", -1;
    while (*jp->p && *jp->p != '"') {
        char c = *jp->p++;

        if ((unsigned char)c < 0x20)
            return jp->err = "control character in a string", -1;
        if (c == '\\') {
            c = *jp->p++;
            if (c == 'u') {
                for (int i = 0; i < 4; i++)
                    if (!isxdigit((unsigned char)*jp->p++))
                        return jp->err = "bad \\u escape", -1;
                c = '?';
            } else if (!strchr("\"\\/bfnrt", c) || !c) {
                return jp->err = "bad escape", -1;
            }
        }
        if (n + 1 < cap)
            out[n++] = c;
    }
    if (*jp->p++ != '"')
        return jp->err = "unterminated string", -1;
    out[n] = 0;
    return 0;
}

static struct jnode *parse_members(struct jparser *jp, struct jnode *n,
                                   int is_obj)
{
    struct jnode **tail = &n->child;
    char close = is_obj ? '}' : ']';

    jp->p++;
    skip_ws(jp);
    if (*jp->p == close) {
        jp->p++;
        return n;
    }
    for (;;) {
        char key[64] = "";
        struct jnode *m;

        skip_ws(jp);
        if (is_obj) {
            if (parse_string(jp, key, sizeof(key)) < 0)
                return NULL;
            skip_ws(jp);
            if (*jp->p++ != ':')
                return jp->err = "expected ':'", NULL;
        }
        if (!(m = parse_value(jp)))
            return NULL;
        snprintf(m->key, sizeof(m->key), "%s", key);
        *tail = m;
        tail = &m->next;
        skip_ws(jp);
        if (*jp->p == close) {
            jp->p++;
            return n;
        }
        if (*jp->p++ != ',')
            return jp->err = "expected ',' or the end", NULL;
    }
}

static struct jnode *parse_literal(struct jparser *jp)
{
    static const struct { const char *text; enum jtype t; } lit[] = {
        {"true", J_BOOL}, {"false", J_BOOL}, {"null", J_NULL},
    };
    struct jnode *n;
    char *end;

    for (size_t i = 0; i < 3; i++) {
        if (strncmp(jp->p, lit[i].text, strlen(lit[i].text)) == 0) {
            jp->p += strlen(lit[i].text);
            n = new_node(jp, lit[i].t);
            if (n)
                n->num = i == 0;
            return n;
        }
    }
    if (!(n = new_node(jp, J_NUM)))
        return NULL;
    n->num = strtod(jp->p, &end);
    if (end == jp->p || !(*jp->p == '-' || isdigit((unsigned char)*jp->p)))
        return jp->err = "expected a value", NULL;
    jp->p = end;
    return n;
}

static struct jnode *parse_value(struct jparser *jp)
{
    struct jnode *n;

    skip_ws(jp);
    switch (*jp->p) {
    case '{':
    case '[':
        n = new_node(jp, *jp->p == '{' ? J_OBJ : J_ARR);
        return n ? parse_members(jp, n, n->type == J_OBJ) : NULL;
    case '"':
        n = new_node(jp, J_STR);
        if (n && parse_string(jp, n->str, sizeof(n->str)) < 0)
            return NULL;
        return n;
    default:
        return parse_literal(jp);
    }
}

static const struct jnode *member(const struct jnode *obj, const char *key,
                                  enum jtype t)
{
    for (const struct jnode *m = obj->child; m; m = m->next)
        if (strcmp(m->key, key) == 0)
            return m->type == t ? m : NULL;
    return NULL;
}

static int fail(const char *what)
{
    fprintf(stderr, "FAIL: %s\n", what);
    return 1;
}

/* Checks one entry of "results": engine @want with positive figures. */
static int check_result(const struct jnode *r, const char *want,
                        double *accepted)
{
    const struct jnode *e = member(r, "engine", J_STR);
    const struct jnode *ns = member(r, "ns_per_packet", J_NUM);
    const struct jnode *mpps = member(r, "mpps", J_NUM);
    const struct jnode *acc = member(r, "accepted", J_NUM);

    if (r->type != J_OBJ || !e || strcmp(e->str, want) != 0)
        return fail("a result is not the engine asked for, in order");
    if (!ns || !(ns->num > 0) || !mpps || !(mpps->num > 0))
        return fail("a result lacks a positive ns_per_packet or mpps");
    if (!acc || acc->num <= 0 || acc->num >= 2000)
        return fail("accepted is missing or not between 0 and 2000");
    if (*accepted >= 0 && acc->num != *accepted)
        return fail("the engines disagree on the accepted count");
    *accepted = acc->num;
    printf("ok: %s %.2f ns/packet, %.2f Mpps, %.0f accepted\n", e->str,
           ns->num, mpps->num, acc->num);
    return 0;
}

static int check_doc(const struct jnode *doc)
{
    static const char *const engines[] = {"cbpf", "libpcap"};
    const struct jnode *f = member(doc, "filter", J_STR);
    const struct jnode *n = member(doc, "packets", J_NUM);
    const struct jnode *res = member(doc, "results", J_ARR);
    const struct jnode *r;
    double accepted = -1;
    size_t i = 0;

    if (doc->type != J_OBJ)
        return fail("the output is not one JSON object");
    if (!f || strcmp(f->str, "tcp port 80") != 0)
        return fail("\"filter\" is not the expression");
    if (!n || n->num != 2000)
        return fail("\"packets\" is not 2000");
    if (!res)
        return fail("no \"results\" array");
    for (r = res->child; r; r = r->next, i++)
        if (i >= 2 || check_result(r, engines[i], &accepted))
            return i >= 2 ? fail("more results than engines asked") : 1;
    return i == 2 ? 0 : fail("fewer results than engines asked");
}

int main(int argc, char **argv)
{
    static struct jparser jp;
    char cmd[4096], out[65536];
    const struct jnode *doc;
    size_t len;
    FILE *p;

    if (argc != 2)
        return fail("usage: check_bench_json PFCAP");
    snprintf(cmd, sizeof(cmd), "'%s' bench --synthetic 2000 --engines "
             "cbpf,libpcap --json 'tcp port 80'", argv[1]);
    if (!(p = popen(cmd, "r")))
        return fail("cannot run pfcap");
    len = fread(out, 1, sizeof(out) - 1, p);
    out[len] = 0;
    if (pclose(p) != 0)
        return fail("pfcap bench did not exit with status 0");
    printf("output: %s", out);
    jp.p = out;
    doc = parse_value(&jp);
    skip_ws(&jp);
    if (!doc || *jp.p)
        return fail(jp.err ? jp.err : "text after the JSON object");
    return check_doc(doc);
}
