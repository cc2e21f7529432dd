/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The parser: tokens to an AST with source spans. It accepts what
 * libpcap's grammar accepts and resolves qualifier inheritance the same
 * way: an identifier with no qualifiers of its own (`host a or b`,
 * `tcp port 80 or 443`, `host a and not b`) takes those of the term
 * before it, a parenthesised expression passes on the qualifiers seen
 * before its '(' and a bare protocol or relation passes on none. `and`
 * and `or` have equal precedence and group to the left; `not` binds
 * tighter. In arithmetic, '%' and '^' have no precedence in libpcap's
 * grammar, so bison always shifts them: they take the operand just
 * before them and everything after them; this parser does the same.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "filters/filters_impl.h"

/* Operand and operator stacks of one arithmetic expression. */
#define ARITH_MAX 256

struct arith_stack {
    struct fc_arth *val[ARITH_MAX];
    enum fc_tok op[ARITH_MAX];
    int col[ARITH_MAX];
    int nval, nop;
};

struct parser {
    struct fc_state *st;
    struct fc_token *t;
    size_t n, i;
    int depth;
    struct arith_stack **stacks; /* one per nesting level, reused */
};

/* Nesting of parentheses and `not`s; deeper input is refused rather than
 * risking the C stack. */
#define FC_MAX_DEPTH 400

static const struct fc_qual qerr = {FC_P_UNDEF, FC_D_UNDEF, FC_A_UNDEF};

static struct fc_token *peek(struct parser *p, size_t ahead)
{
    size_t i = p->i + ahead;

    return &p->t[i < p->n ? i : p->n - 1];
}

static enum fc_tok kind(struct parser *p, size_t ahead)
{
    return peek(p, ahead)->kind;
}

static struct fc_token *next(struct parser *p)
{
    struct fc_token *t = peek(p, 0);

    if (p->i < p->n - 1)
        p->i++;
    return t;
}

static const char *tok_text(struct parser *p, struct fc_token *t)
{
    static char buf[64];
    int len = t->end_col - t->col;

    if (t->kind == FC_T_EOF)
        return "end of expression";
    snprintf(buf, sizeof(buf), "'%.*s'", len > 40 ? 40 : len,
             p->st->src + t->col - 1);
    return buf;
}

/* "expected WHAT after 'PREV'" at the current token. */
static int expected(struct parser *p, const char *what)
{
    struct fc_token *t = peek(p, 0);
    char prev[64] = "";

    if (p->i > 0) {
        struct fc_token *pt = &p->t[p->i - 1];
        int len = pt->end_col - pt->col;

        snprintf(prev, sizeof(prev), " after '%.*s'", len > 40 ? 40 : len,
                 p->st->src + pt->col - 1);
    }
    if (t->kind == FC_T_EOF)
        return fc_error_at(p->st, PF_COMPILE_SYNTAX, t->col, t->col + 1,
                           "expected %s%s, found end of expression", what,
                           prev);
    return fc_error_at(p->st, PF_COMPILE_SYNTAX, t->col, t->end_col,
                       "expected %s%s, found %s", what, prev, tok_text(p, t));
}

static struct fc_node *node_new(struct parser *p, enum fc_node_kind k,
                                int col, int end_col)
{
    struct fc_node *n = pf_arena_alloc(&p->st->arena, sizeof(*n));

    if (n) {
        n->kind = k;
        n->col = col;
        n->end_col = end_col;
    } else {
        pf_error_set(p->st->err, -ENOMEM, PF_STAGE_EXPR, PF_COMPILE_LIMIT,
                     "out of memory");
    }
    return n;
}

/* Enters one nesting level; refuses beyond FC_MAX_DEPTH. */
static int enter(struct parser *p)
{
    struct fc_token *t = peek(p, 0);

    if (++p->depth <= FC_MAX_DEPTH)
        return 0;
    return fc_error_at(p->st, PF_COMPILE_LIMIT, t->col, t->end_col,
                       "expression nested too deeply (more than %d levels "
                       "of parentheses or 'not')", FC_MAX_DEPTH);
}

static int end_of(struct parser *p)
{
    return p->i > 0 ? p->t[p->i - 1].end_col : 1;
}

static int is_pname(enum fc_tok k)
{
    switch (k) {
    case FC_T_LINK: case FC_T_IP: case FC_T_ARP: case FC_T_RARP:
    case FC_T_SCTP: case FC_T_TCP: case FC_T_UDP: case FC_T_ICMP:
    case FC_T_IGMP: case FC_T_IGRP: case FC_T_PIM: case FC_T_VRRP:
    case FC_T_CARP: case FC_T_ATALK: case FC_T_AARP: case FC_T_DECNET:
    case FC_T_LAT: case FC_T_SCA: case FC_T_MOPDL: case FC_T_MOPRC:
    case FC_T_IPV6: case FC_T_ICMPV6: case FC_T_AH: case FC_T_ESP:
    case FC_T_ISO: case FC_T_ESIS: case FC_T_ISIS: case FC_T_L1:
    case FC_T_L2: case FC_T_IIH: case FC_T_LSP: case FC_T_SNP:
    case FC_T_PSNP: case FC_T_CSNP: case FC_T_CLNP: case FC_T_STP:
    case FC_T_IPX: case FC_T_NETBEUI: case FC_T_RADIO:
        return 1;
    default:
        return 0;
    }
}

static int pname_value(enum fc_tok k)
{
    static const struct { enum fc_tok t; int q; } map[] = {
        {FC_T_LINK, FC_P_LINK}, {FC_T_IP, FC_P_IP}, {FC_T_ARP, FC_P_ARP},
        {FC_T_RARP, FC_P_RARP}, {FC_T_SCTP, FC_P_SCTP},
        {FC_T_TCP, FC_P_TCP}, {FC_T_UDP, FC_P_UDP}, {FC_T_ICMP, FC_P_ICMP},
        {FC_T_IGMP, FC_P_IGMP}, {FC_T_IGRP, FC_P_IGRP}, {FC_T_PIM, FC_P_PIM},
        {FC_T_VRRP, FC_P_VRRP}, {FC_T_CARP, FC_P_CARP},
        {FC_T_ATALK, FC_P_ATALK}, {FC_T_AARP, FC_P_AARP},
        {FC_T_DECNET, FC_P_DECNET}, {FC_T_LAT, FC_P_LAT},
        {FC_T_SCA, FC_P_SCA}, {FC_T_MOPDL, FC_P_MOPDL},
        {FC_T_MOPRC, FC_P_MOPRC}, {FC_T_IPV6, FC_P_IPV6},
        {FC_T_ICMPV6, FC_P_ICMPV6}, {FC_T_AH, FC_P_AH}, {FC_T_ESP, FC_P_ESP},
        {FC_T_ISO, FC_P_ISO}, {FC_T_ESIS, FC_P_ESIS}, {FC_T_ISIS, FC_P_ISIS},
        {FC_T_L1, FC_P_ISIS_L1}, {FC_T_L2, FC_P_ISIS_L2},
        {FC_T_IIH, FC_P_ISIS_IIH}, {FC_T_LSP, FC_P_ISIS_LSP},
        {FC_T_SNP, FC_P_ISIS_SNP}, {FC_T_PSNP, FC_P_ISIS_PSNP},
        {FC_T_CSNP, FC_P_ISIS_CSNP}, {FC_T_CLNP, FC_P_CLNP},
        {FC_T_STP, FC_P_STP}, {FC_T_IPX, FC_P_IPX},
        {FC_T_NETBEUI, FC_P_NETBEUI}, {FC_T_RADIO, FC_P_RADIO},
    };

    for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
        if (map[i].t == k)
            return map[i].q;
    return FC_P_UNDEF;
}

static int is_dqual(enum fc_tok k)
{
    return k == FC_T_SRC || k == FC_T_DST || k == FC_T_ADDR1 ||
           k == FC_T_ADDR2 || k == FC_T_ADDR3 || k == FC_T_ADDR4 ||
           k == FC_T_RA || k == FC_T_TA;
}

static int is_aqual(enum fc_tok k)
{
    return k == FC_T_HOST || k == FC_T_NET || k == FC_T_PORT ||
           k == FC_T_PORTRANGE;
}

static int is_head_start(enum fc_tok k)
{
    return is_dqual(k) || is_aqual(k) || k == FC_T_PROTO ||
           k == FC_T_PROTOCHAIN || k == FC_T_GATEWAY;
}

static int is_arith_op(enum fc_tok k)
{
    switch (k) {
    case FC_T_PLUS: case FC_T_MINUS: case FC_T_STAR: case FC_T_SLASH:
    case FC_T_PERCENT: case FC_T_AMP: case FC_T_PIPE: case FC_T_CARET:
    case FC_T_LSH: case FC_T_RSH:
        return 1;
    default:
        return 0;
    }
}

static int is_relop(enum fc_tok k)
{
    return k == FC_T_GT || k == FC_T_GEQ || k == FC_T_EQ || k == FC_T_LEQ ||
           k == FC_T_LT || k == FC_T_NEQ;
}

static int parse_expr(struct parser *p, struct fc_qual q0,
                      struct fc_node **out, struct fc_qual *qout);
static int parse_id(struct parser *p, struct fc_qual q0,
                    struct fc_node **out);

/* ---- arithmetic --------------------------------------------------------- */

/* Binary operator precedence; 0 = none (bison shifts: '%' and '^'). */
static int arith_prec(enum fc_tok k)
{
    switch (k) {
    case FC_T_PIPE: return 1;
    case FC_T_AMP: return 2;
    case FC_T_LSH: case FC_T_RSH: return 3;
    case FC_T_PLUS: case FC_T_MINUS: return 4;
    case FC_T_STAR: case FC_T_SLASH: return 5;
    default: return 0;
    }
}

static uint32_t arith_alu(enum fc_tok k)
{
    switch (k) {
    case FC_T_PLUS: return PF_CBPF_ADD;
    case FC_T_MINUS: return PF_CBPF_SUB;
    case FC_T_STAR: return PF_CBPF_MUL;
    case FC_T_SLASH: return PF_CBPF_DIV;
    case FC_T_PERCENT: return PF_CBPF_MOD;
    case FC_T_AMP: return PF_CBPF_AND;
    case FC_T_PIPE: return PF_CBPF_OR;
    case FC_T_CARET: return PF_CBPF_XOR;
    case FC_T_LSH: return PF_CBPF_LSH;
    default: return PF_CBPF_RSH;
    }
}

static struct fc_arth *arth_new(struct parser *p, enum fc_arth_kind k,
                                int col)
{
    struct fc_arth *a = pf_arena_alloc(&p->st->arena, sizeof(*a));

    if (!a) {
        pf_error_set(p->st->err, -ENOMEM, PF_STAGE_EXPR, PF_COMPILE_LIMIT,
                     "out of memory");
        return NULL;
    }
    a->kind = k;
    a->col = col;
    return a;
}

static int parse_arith(struct parser *p, struct fc_arth **out);

/* pnum: NUM | '(' pnum ')' */
static int parse_pnum(struct parser *p, uint32_t *v)
{
    if (kind(p, 0) == FC_T_NUM) {
        *v = next(p)->num;
        return 0;
    }
    if (kind(p, 0) != FC_T_LPAREN)
        return expected(p, "a number");
    if (enter(p))
        return -EINVAL;
    next(p);
    if (parse_pnum(p, v))
        return -EINVAL;
    p->depth--;
    if (kind(p, 0) != FC_T_RPAREN)
        return expected(p, "')'");
    next(p);
    return 0;
}

/* proto '[' arth [':' size] ']' */
static int parse_load(struct parser *p, struct fc_arth **out)
{
    struct fc_token *t = next(p);
    struct fc_arth *a = arth_new(p, FC_AR_LOAD, t->col);

    if (!a || enter(p))
        return -EINVAL;
    a->proto = pname_value(t->kind);
    a->k = 1;
    next(p); /* '[' */
    if (parse_arith(p, &a->l))
        return -EINVAL;
    if (kind(p, 0) == FC_T_COLON) {
        next(p);
        if (kind(p, 0) != FC_T_NUM)
            return expected(p, "a size (1, 2 or 4)");
        a->k = next(p)->num;
    }
    if (kind(p, 0) != FC_T_RBRACK)
        return expected(p, "']'");
    next(p);
    p->depth--;
    a->end_col = end_of(p);
    *out = a;
    return 0;
}

/* An operand: NUM, len, proto[...], '(' arith ')', or '-' operand. */
static int parse_operand(struct parser *p, struct fc_arth **out)
{
    struct fc_token *t = peek(p, 0);
    struct fc_arth *a;

    if (t->kind == FC_T_NUM || t->kind == FC_T_LEN) {
        next(p);
        a = arth_new(p, t->kind == FC_T_NUM ? FC_AR_NUM : FC_AR_LEN,
                     t->col);
        if (!a)
            return -ENOMEM;
        a->k = t->num;
        a->end_col = t->end_col;
        *out = a;
        return 0;
    }
    if (is_pname(t->kind) && kind(p, 1) == FC_T_LBRACK)
        return parse_load(p, out);
    if (t->kind == FC_T_LPAREN) {
        if (enter(p))
            return -EINVAL;
        next(p);
        if (parse_arith(p, out))
            return -EINVAL;
        if (kind(p, 0) != FC_T_RPAREN)
            return expected(p, "')' or an arithmetic operator");
        next(p);
        p->depth--;
        return 0;
    }
    return expected(p, "a number, 'len' or a packet access like ip[0]");
}

/*
 * Shunting-yard that reproduces bison's decisions: reduce the operator
 * on the stack before @look only if both have a precedence and the
 * stacked one binds at least as tightly. Unary minus has the highest.
 */
static int reduce_one(struct parser *p, struct arith_stack *s)
{
    enum fc_tok op = s->op[--s->nop];
    struct fc_arth *a;

    if (op == FC_T_NOT) { /* stands for unary minus */
        a = arth_new(p, FC_AR_NEG, s->col[s->nop]);
        if (!a)
            return -ENOMEM;
        a->l = s->val[s->nval - 1];
        a->end_col = a->l->end_col;
        s->val[s->nval - 1] = a;
        return 0;
    }
    a = arth_new(p, FC_AR_BIN, s->val[s->nval - 2]->col);
    if (!a)
        return -ENOMEM;
    a->k = arith_alu(op);
    a->l = s->val[s->nval - 2];
    a->r = s->val[s->nval - 1];
    a->end_col = a->r->end_col;
    s->val[s->nval - 2] = a;
    s->nval--;
    return 0;
}

static int stacked_prec(enum fc_tok op)
{
    return op == FC_T_NOT ? 6 : arith_prec(op);
}

static int parse_arith(struct parser *p, struct fc_arth **out)
{
    struct arith_stack *s;

    if (!p->stacks[p->depth])
        p->stacks[p->depth] = pf_arena_alloc(&p->st->arena, sizeof(*s));
    s = p->stacks[p->depth];
    if (!s)
        return -ENOMEM;
    s->nval = s->nop = 0;
    for (;;) {
        while (kind(p, 0) == FC_T_MINUS) {
            if (s->nop >= ARITH_MAX)
                return expected(p, "a simpler arithmetic expression");
            s->col[s->nop] = next(p)->col;
            s->op[s->nop++] = FC_T_NOT;
        }
        if (s->nval >= ARITH_MAX)
            return expected(p, "a simpler arithmetic expression");
        if (parse_operand(p, &s->val[s->nval]))
            return -EINVAL;
        s->nval++;
        enum fc_tok look = kind(p, 0);
        int lp = is_arith_op(look) ? arith_prec(look) : -1;

        while (s->nop > 0 && lp != 0 && stacked_prec(s->op[s->nop - 1]) &&
               stacked_prec(s->op[s->nop - 1]) >= lp)
            if (reduce_one(p, s))
                return -ENOMEM;
        if (lp < 0) {
            while (s->nop > 0)
                if (reduce_one(p, s))
                    return -ENOMEM;
            break;
        }
        s->col[s->nop] = peek(p, 0)->col;
        s->op[s->nop++] = next(p)->kind;
    }
    *out = s->val[0];
    return 0;
}

/* arth relop arth */
static int parse_relation(struct parser *p, struct fc_node **out)
{
    int col = peek(p, 0)->col;
    struct fc_node *n = node_new(p, FC_N_REL, col, col);
    enum fc_tok op;

    if (!n || parse_arith(p, &n->a0))
        return -EINVAL;
    op = kind(p, 0);
    if (!is_relop(op))
        return expected(p, "a comparison ('=', '!=', '<', '>', ...)");
    next(p);
    n->relop = op == FC_T_GT || op == FC_T_LEQ ? PF_CBPF_JGT
               : op == FC_T_GEQ || op == FC_T_LT ? PF_CBPF_JGE
                                                 : PF_CBPF_JEQ;
    n->reversed = op == FC_T_LEQ || op == FC_T_LT || op == FC_T_NEQ;
    if (parse_arith(p, &n->a1))
        return -EINVAL;
    n->end_col = end_of(p);
    *out = n;
    return 0;
}

/* Does an arithmetic relation start here? Tries it without side effects. */
static int starts_relation(struct parser *p)
{
    size_t save = p->i;
    int depth = p->depth;
    struct fc_arth *a;
    struct pf_error e, *keep = p->st->err;
    int ok;

    pf_error_init(&e);
    p->st->err = &e;
    ok = !parse_arith(p, &a) && is_relop(kind(p, 0));
    p->st->err = keep;
    p->i = save;
    p->depth = depth;
    return ok;
}

/* ---- identifiers -------------------------------------------------------- */

static int parse_hid(struct parser *p, struct fc_node *n, struct fc_token *t)
{
    int six = t->kind == FC_T_HID6;

    n->s = t->text;
    n->form = six ? FC_ID_HID6 : FC_ID_HID;
    if (kind(p, 0) == FC_T_SLASH) {
        next(p);
        if (kind(p, 0) != FC_T_NUM)
            return expected(p, "a prefix length");
        n->num = next(p)->num;
        n->form = six ? FC_ID_HID6_LEN : FC_ID_HID_LEN;
    } else if (!six && kind(p, 0) == FC_T_NETMASK) {
        next(p);
        if (kind(p, 0) != FC_T_HID)
            return expected(p, "a dotted netmask");
        n->s2 = next(p)->text;
        n->form = FC_ID_HID_MASK;
    }
    return 0;
}

/* Does an identifier (not a term) start here? Mirrors bison's choice. */
static int starts_id(struct parser *p, size_t at)
{
    for (;; at++) {
        enum fc_tok k = kind(p, at);

        if (k == FC_T_NOT || k == FC_T_LPAREN)
            continue;
        if (k == FC_T_NUM)
            return !is_arith_op(kind(p, at + 1)) && !is_relop(kind(p, at + 1));
        return k == FC_T_ID || k == FC_T_HID || k == FC_T_HID6 ||
               k == FC_T_EID || k == FC_T_AID;
    }
}

/* '(' id { (and|or) id } ')' -- libpcap's pid */
static int parse_pid(struct parser *p, struct fc_qual q0,
                     struct fc_node **out)
{
    struct fc_node *n;

    if (enter(p))
        return -EINVAL;
    next(p); /* '(' */
    if (parse_id(p, q0, &n))
        return -EINVAL;
    while (kind(p, 0) == FC_T_AND || kind(p, 0) == FC_T_OR) {
        struct fc_node *c = node_new(p, kind(p, 0) == FC_T_AND ? FC_N_AND
                                                                : FC_N_OR,
                                     n->col, 0);
        if (!c)
            return -ENOMEM;
        next(p);
        c->l = n;
        if (parse_id(p, q0, &c->r))
            return -EINVAL;
        c->end_col = c->r->end_col;
        n = c;
    }
    if (kind(p, 0) != FC_T_RPAREN)
        return expected(p, "')' or 'and'/'or' and another value");
    next(p);
    p->depth--;
    *out = n;
    return 0;
}

static int parse_id(struct parser *p, struct fc_qual q0,
                    struct fc_node **out)
{
    struct fc_token *t = peek(p, 0);
    struct fc_node *n;

    if (t->kind == FC_T_LPAREN)
        return parse_pid(p, q0, out);
    if (t->kind == FC_T_NOT) {
        if (enter(p))
            return -EINVAL;
        next(p);
        n = node_new(p, FC_N_NOT, t->col, 0);
        if (!n || parse_id(p, q0, &n->l))
            return -EINVAL;
        p->depth--;
        n->end_col = n->l->end_col;
        *out = n;
        return 0;
    }
    n = node_new(p, FC_N_ID, t->col, t->end_col);
    if (!n)
        return -ENOMEM;
    n->q = q0;
    switch (t->kind) {
    case FC_T_ID: n->form = FC_ID_NAME; n->s = t->text; break;
    case FC_T_NUM: n->form = FC_ID_NUM; n->num = t->num; break;
    case FC_T_EID: n->form = FC_ID_EID; n->s = t->text; break;
    case FC_T_AID: n->form = FC_ID_AID; n->s = t->text; break;
    case FC_T_HID:
    case FC_T_HID6:
        next(p);
        if (parse_hid(p, n, t))
            return -EINVAL;
        n->end_col = end_of(p);
        *out = n;
        return 0;
    default:
        return expected(p, "a host, network, port or protocol value");
    }
    next(p);
    *out = n;
    return 0;
}

/* ---- terms --------------------------------------------------------------- */

/* dqual: src | dst | src or dst | src and dst | addr1..4 | ra | ta */
static int parse_dqual(struct parser *p, uint8_t *dir)
{
    enum fc_tok k = next(p)->kind;

    if ((k == FC_T_SRC || k == FC_T_DST) &&
        (kind(p, 0) == FC_T_OR || kind(p, 0) == FC_T_AND)) {
        enum fc_tok other = k == FC_T_SRC ? FC_T_DST : FC_T_SRC;
        int is_or = kind(p, 0) == FC_T_OR;

        if (kind(p, 1) != other)
            return next(p), expected(p, other == FC_T_DST ? "'dst'"
                                                          : "'src'");
        next(p);
        next(p);
        *dir = is_or ? FC_D_OR : FC_D_AND;
        return 0;
    }
    switch (k) {
    case FC_T_SRC: *dir = FC_D_SRC; break;
    case FC_T_DST: *dir = FC_D_DST; break;
    case FC_T_ADDR1: *dir = FC_D_ADDR1; break;
    case FC_T_ADDR2: *dir = FC_D_ADDR2; break;
    case FC_T_ADDR3: *dir = FC_D_ADDR3; break;
    case FC_T_ADDR4: *dir = FC_D_ADDR4; break;
    case FC_T_RA: *dir = FC_D_RA; break;
    default: *dir = FC_D_TA; break;
    }
    return 0;
}

static const char *aqual_need(enum fc_tok k)
{
    switch (k) {
    case FC_T_PORT: return "a port number or service name";
    case FC_T_PORTRANGE: return "a port range like 1000-2000";
    case FC_T_NET: return "a network address";
    case FC_T_PROTO: case FC_T_PROTOCHAIN: return "a protocol number or name";
    case FC_T_GATEWAY: return "a host name";
    default: return "a host address or name";
    }
}

/* head id: [pname] [dqual] [aqual|proto|protochain|gateway] id */
static int parse_head_id(struct parser *p, int proto, struct fc_node **out,
                         struct fc_qual *qout)
{
    struct fc_qual q = {(uint8_t)proto, FC_D_DEFAULT, FC_A_DEFAULT};
    enum fc_tok last = kind(p, 0);

    if (is_dqual(kind(p, 0)) && parse_dqual(p, &q.dir))
        return -EINVAL;
    if (is_aqual(kind(p, 0)) || (q.dir == FC_D_DEFAULT &&
                                 (kind(p, 0) == FC_T_PROTO ||
                                  kind(p, 0) == FC_T_PROTOCHAIN ||
                                  kind(p, 0) == FC_T_GATEWAY))) {
        last = next(p)->kind;
        q.addr = last == FC_T_HOST ? FC_A_HOST
                 : last == FC_T_NET ? FC_A_NET
                 : last == FC_T_PORT ? FC_A_PORT
                 : last == FC_T_PORTRANGE ? FC_A_PORTRANGE
                 : last == FC_T_PROTO ? FC_A_PROTO
                 : last == FC_T_PROTOCHAIN ? FC_A_PROTOCHAIN
                                           : FC_A_GATEWAY;
    }
    if (!starts_id(p, 0) && kind(p, 0) != FC_T_LPAREN)
        return expected(p, aqual_need(last));
    *qout = q;
    return parse_id(p, q, out);
}

/* A number, or a name (an ID token), into @num/@s; 0 on success. */
static int num_or_name(struct parser *p, uint32_t *num, int *has_num,
                       const char **s, const char *what)
{
    if (kind(p, 0) == FC_T_NUM) {
        *num = next(p)->num;
        *has_num |= 1;
    } else if (kind(p, 0) == FC_T_ID) {
        *s = next(p)->text;
    } else {
        return expected(p, what);
    }
    return 0;
}

/* byte N (&|<>=) M */
static int parse_byte(struct parser *p, struct fc_node *n)
{
    enum fc_tok k;

    if (kind(p, 0) != FC_T_NUM)
        return expected(p, "a byte offset");
    n->num = next(p)->num;
    k = kind(p, 0);
    if (k != FC_T_AMP && k != FC_T_PIPE && k != FC_T_LT && k != FC_T_GT &&
        k != FC_T_EQ)
        return expected(p, "one of '&', '|', '<', '>', '='");
    n->proto = next(p)->kind;
    if (kind(p, 0) != FC_T_NUM)
        return expected(p, "a number");
    n->num2 = next(p)->num;
    return 0;
}

/* reason, type [subtype], subtype, dir: a number or a name each. */
static int parse_named(struct parser *p, struct fc_node *n)
{
    if (num_or_name(p, &n->num, &n->has_num, &n->s, "a number or a name"))
        return -EINVAL;
    if (n->sub != FC_T_TYPE || kind(p, 0) != FC_T_SUBTYPE)
        return 0;
    next(p);
    n->has_num2 = 2;
    return num_or_name(p, &n->num2, &n->has_num2, &n->s2,
                       "an 802.11 subtype");
}

/* The argument of a fixed-shape primitive (`less N`, `vlan [N]`...). */
static int parse_other_arg(struct parser *p, struct fc_node *n)
{
    switch (n->sub) {
    case FC_T_LESS: case FC_T_GREATER: case FC_T_IFINDEX: case FC_T_PF_RNR:
    case FC_T_PF_SRNR:
        if (kind(p, 0) != FC_T_NUM)
            return expected(p, "a number");
        n->num = next(p)->num;
        n->has_num = 1;
        return 0;
    case FC_T_VLAN: case FC_T_MPLS: case FC_T_PPPOES: case FC_T_GENEVE:
        if (kind(p, 0) != FC_T_NUM && kind(p, 0) != FC_T_LPAREN)
            return 0;
        n->has_num = 1;
        return parse_pnum(p, &n->num);
    case FC_T_CBYTE:
        return parse_byte(p, n);
    case FC_T_PF_IFNAME: case FC_T_PF_RSET: case FC_T_PF_ACTION:
        if (kind(p, 0) != FC_T_ID)
            return expected(p, "a name");
        n->s = next(p)->text;
        return 0;
    case FC_T_PF_REASON: case FC_T_TYPE: case FC_T_SUBTYPE: case FC_T_DIR:
        return parse_named(p, n);
    case FC_T_LLC:
        if (kind(p, 0) == FC_T_ID)
            n->s = next(p)->text;
        else if (kind(p, 0) == FC_T_PF_RNR)
            next(p), n->s = "rnr";
        return 0;
    default:
        return 0;
    }
}

/* Primitives with fixed shapes: less N, vlan [N], llc [kind]... */
static int parse_other(struct parser *p, int proto, struct fc_node **out)
{
    struct fc_token *t = next(p);
    struct fc_node *n = node_new(p, FC_N_OTHER, t->col, t->end_col);

    if (!n)
        return -ENOMEM;
    n->sub = t->kind;
    n->proto = proto;
    if (parse_other_arg(p, n))
        return -EINVAL;
    n->end_col = end_of(p);
    *out = n;
    return 0;
}

static int is_other_start(enum fc_tok k)
{
    switch (k) {
    case FC_T_LESS: case FC_T_GREATER: case FC_T_CBYTE: case FC_T_INBOUND:
    case FC_T_OUTBOUND: case FC_T_IFINDEX: case FC_T_VLAN: case FC_T_MPLS:
    case FC_T_PPPOED: case FC_T_PPPOES: case FC_T_GENEVE:
    case FC_T_PF_IFNAME: case FC_T_PF_RSET: case FC_T_PF_RNR:
    case FC_T_PF_SRNR: case FC_T_PF_REASON: case FC_T_PF_ACTION:
    case FC_T_LLC: case FC_T_BROADCAST: case FC_T_MULTICAST: case FC_T_TYPE:
    case FC_T_SUBTYPE: case FC_T_DIR:
        return 1;
    default:
        return 0;
    }
}

/* ATM and SS7 keywords: accepted by the grammar, refused by every link
 * type pfcap supports, as libpcap refuses them there. */
static int is_atm_mtp(enum fc_tok k)
{
    return (k >= FC_T_LANE && k <= FC_T_METACONNECT && k != FC_T_LLC) ||
           (k >= FC_T_FISU && k <= FC_T_HSLS);
}

static int parse_atm_mtp(struct parser *p, struct fc_node **out)
{
    struct fc_token *t = next(p);

    (void)out;
    return fc_error_at(p->st, PF_COMPILE_LINKTYPE, t->col, t->end_col,
                       "'%.*s' is supported only on ATM and SS7 link types",
                       t->end_col - t->col, p->st->src + t->col - 1);
}

/* '(' expr ')' or '(' arith ')' relop arth */
static int parse_paren_term(struct parser *p, struct fc_qual q0,
                            struct fc_node **out, struct fc_qual *qout)
{
    struct fc_qual qi;

    if (starts_relation(p))
        return parse_relation(p, out);
    if (enter(p))
        return -EINVAL;
    next(p);
    if (parse_expr(p, q0, out, &qi))
        return -EINVAL;
    if (kind(p, 0) != FC_T_RPAREN)
        return expected(p, "')' or 'and'/'or'");
    next(p);
    p->depth--;
    *qout = q0;
    return 0;
}

static int parse_rterm(struct parser *p, struct fc_qual q0,
                       struct fc_node **out, struct fc_qual *qout)
{
    enum fc_tok k = kind(p, 0);
    struct fc_token *t = peek(p, 0);

    *qout = qerr;
    if (k == FC_T_LPAREN)
        return parse_paren_term(p, q0, out, qout);
    if (is_pname(k)) {
        enum fc_tok k1 = kind(p, 1);

        if (k1 == FC_T_LBRACK)
            return parse_relation(p, out);
        if (is_head_start(k1)) {
            next(p);
            return parse_head_id(p, pname_value(k), out, qout);
        }
        if (k1 == FC_T_BROADCAST || k1 == FC_T_MULTICAST ||
            k1 == FC_T_TYPE || k1 == FC_T_SUBTYPE || k1 == FC_T_DIR) {
            next(p);
            if (parse_other(p, pname_value(k), out))
                return -EINVAL;
            (*out)->col = t->col;
            return 0;
        }
        next(p);
        *out = node_new(p, FC_N_PNAME, t->col, t->end_col);
        if (!*out)
            return -ENOMEM;
        (*out)->sub = pname_value(k);
        return 0;
    }
    if (is_head_start(k))
        return parse_head_id(p, FC_P_DEFAULT, out, qout);
    if (is_other_start(k))
        return parse_other(p, FC_P_DEFAULT, out);
    if (is_atm_mtp(k))
        return parse_atm_mtp(p, out);
    if (k == FC_T_NUM || k == FC_T_MINUS || k == FC_T_LEN)
        return parse_relation(p, out);
    if (k == FC_T_ID || k == FC_T_HID || k == FC_T_HID6 || k == FC_T_EID)
        return fc_error_at(p->st, PF_COMPILE_SYNTAX, t->col, t->end_col,
                           "%s needs a qualifier such as 'host', 'net' or "
                           "'port' before it", tok_text(p, t));
    return expected(p, "a filter primitive");
}

static int parse_term(struct parser *p, struct fc_qual q0,
                      struct fc_node **out, struct fc_qual *qout)
{
    struct fc_token *t = peek(p, 0);
    struct fc_node *n;

    if (t->kind != FC_T_NOT)
        return parse_rterm(p, q0, out, qout);
    if (enter(p))
        return -EINVAL;
    next(p);
    n = node_new(p, FC_N_NOT, t->col, 0);
    if (!n || parse_term(p, q0, &n->l, qout))
        return -EINVAL;
    p->depth--;
    n->end_col = n->l->end_col;
    *out = n;
    return 0;
}

static int parse_expr(struct parser *p, struct fc_qual q0,
                      struct fc_node **out, struct fc_qual *qout)
{
    struct fc_node *n;
    struct fc_qual q;

    if (parse_term(p, q0, &n, &q))
        return -EINVAL;
    while (kind(p, 0) == FC_T_AND || kind(p, 0) == FC_T_OR) {
        struct fc_node *c = node_new(p, kind(p, 0) == FC_T_AND ? FC_N_AND
                                                                : FC_N_OR,
                                     n->col, 0);
        if (!c)
            return -ENOMEM;
        next(p);
        c->l = n;
        if (starts_id(p, 0)) {
            if (parse_id(p, q, &c->r))
                return -EINVAL;
        } else if (parse_term(p, q, &c->r, &q)) {
            return -EINVAL;
        }
        c->end_col = c->r->end_col;
        n = c;
    }
    *out = n;
    *qout = q;
    return 0;
}

/* Parses the tokens into *@root (NULL for an empty expression);
 * returns 0 or an error naming what was expected where. */
int fc_parse(struct fc_state *st, struct fc_token *toks, size_t n,
             struct fc_node **root)
{
    struct parser p = {st, toks, n, 0, 0, NULL};
    struct fc_qual q;

    *root = NULL;
    p.stacks = pf_arena_alloc(&st->arena,
                              (FC_MAX_DEPTH + 2) * sizeof(*p.stacks));
    if (!p.stacks)
        return -ENOMEM;
    if (toks[0].kind == FC_T_EOF)
        return 0;
    if (parse_expr(&p, qerr, root, &q))
        return st->err->err ? st->err->err : -EINVAL;
    if (kind(&p, 0) != FC_T_EOF) {
        if (kind(&p, 0) == FC_T_RPAREN)
            return fc_error_at(st, PF_COMPILE_SYNTAX, peek(&p, 0)->col,
                               peek(&p, 0)->end_col,
                               "unbalanced ')' with no matching '('");
        return expected(&p, "'and', 'or' or the end of the expression");
    }
    return 0;
}
