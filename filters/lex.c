/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The lexer: expression text to tokens with column spans. It follows
 * libpcap's scanner rule for rule: the longest match wins, and on a tie
 * the earlier rule (keywords, operators, MAC and IPv4/IPv6 literals,
 * numbers, named constants, then identifiers). Numbers are decimal, 0x
 * hex or 0-prefixed octal and must fit in 32 bits.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <string.h>

#include "filters/filters_impl.h"

/* Keyword spellings; several may map to one token. */
#define FC_SPELLINGS(X)                                                        \
    X("dst", DST) X("src", SRC) X("link", LINK) X("ether", LINK)             \
    X("ppp", LINK) X("slip", LINK) X("fddi", LINK) X("tr", LINK)             \
    X("wlan", LINK) X("arp", ARP) X("rarp", RARP) X("ip", IP)                \
    X("sctp", SCTP) X("tcp", TCP) X("udp", UDP) X("icmp", ICMP)              \
    X("igmp", IGMP) X("igrp", IGRP) X("pim", PIM) X("vrrp", VRRP)            \
    X("carp", CARP) X("radio", RADIO) X("ip6", IPV6) X("icmp6", ICMPV6)      \
    X("ah", AH) X("esp", ESP) X("atalk", ATALK) X("aarp", AARP)              \
    X("decnet", DECNET) X("lat", LAT) X("sca", SCA) X("moprc", MOPRC)        \
    X("mopdl", MOPDL) X("iso", ISO) X("esis", ESIS) X("es-is", ESIS)         \
    X("isis", ISIS) X("is-is", ISIS) X("l1", L1) X("l2", L2) X("iih", IIH)   \
    X("lsp", LSP) X("snp", SNP) X("csnp", CSNP) X("psnp", PSNP)              \
    X("clnp", CLNP) X("stp", STP) X("ipx", IPX) X("netbeui", NETBEUI)        \
    X("host", HOST) X("net", NET) X("mask", NETMASK) X("port", PORT)         \
    X("portrange", PORTRANGE) X("proto", PROTO)                              \
    X("protochain", PROTOCHAIN) X("gateway", GATEWAY) X("type", TYPE)        \
    X("subtype", SUBTYPE) X("direction", DIR) X("dir", DIR)                  \
    X("address1", ADDR1) X("addr1", ADDR1) X("address2", ADDR2)              \
    X("addr2", ADDR2) X("address3", ADDR3) X("addr3", ADDR3)                 \
    X("address4", ADDR4) X("addr4", ADDR4) X("ra", RA) X("ta", TA)           \
    X("less", LESS) X("greater", GREATER) X("byte", CBYTE)                   \
    X("broadcast", BROADCAST) X("multicast", MULTICAST) X("and", AND)        \
    X("or", OR) X("not", NOT) X("len", LEN) X("length", LEN)                 \
    X("inbound", INBOUND) X("outbound", OUTBOUND) X("ifindex", IFINDEX)      \
    X("vlan", VLAN) X("mpls", MPLS) X("pppoed", PPPOED)                      \
    X("pppoes", PPPOES) X("geneve", GENEVE) X("lane", LANE) X("llc", LLC)    \
    X("metac", METAC) X("bcc", BCC) X("oam", OAM) X("oamf4", OAMF4)          \
    X("oamf4ec", OAMF4EC) X("oamf4sc", OAMF4SC) X("sc", SC)                  \
    X("ilmic", ILMIC) X("vpi", VPI) X("vci", VCI)                            \
    X("connectmsg", CONNECTMSG) X("metaconnect", METACONNECT)                \
    X("on", PF_IFNAME) X("ifname", PF_IFNAME) X("rset", PF_RSET)             \
    X("ruleset", PF_RSET) X("rnr", PF_RNR) X("rulenum", PF_RNR)              \
    X("srnr", PF_SRNR) X("subrulenum", PF_SRNR) X("reason", PF_REASON)       \
    X("action", PF_ACTION) X("fisu", FISU) X("lssu", LSSU) X("lsu", LSSU)    \
    X("msu", MSU) X("hfisu", HFISU) X("hlssu", HLSSU) X("hmsu", HMSU)        \
    X("sio", SIO) X("opc", OPC) X("dpc", DPC) X("sls", SLS)                  \
    X("hsio", HSIO) X("hopc", HOPC) X("hdpc", HDPC) X("hsls", HSLS)

/* Named constants the scanner turns into numbers. */
#define FC_CONSTANTS(X)                                                        \
    X("icmptype", 0) X("icmpcode", 1) X("icmp-echoreply", 0)                 \
    X("icmp-unreach", 3) X("icmp-sourcequench", 4) X("icmp-redirect", 5)     \
    X("icmp-echo", 8) X("icmp-routeradvert", 9)                              \
    X("icmp-routersolicit", 10) X("icmp-timxceed", 11)                       \
    X("icmp-paramprob", 12) X("icmp-tstamp", 13)                             \
    X("icmp-tstampreply", 14) X("icmp-ireq", 15) X("icmp-ireqreply", 16)     \
    X("icmp-maskreq", 17) X("icmp-maskreply", 18) X("icmp6type", 0)          \
    X("icmp6code", 1) X("icmp6-destinationunreach", 1)                       \
    X("icmp6-packettoobig", 2) X("icmp6-timeexceeded", 3)                    \
    X("icmp6-parameterproblem", 4) X("icmp6-echo", 128)                      \
    X("icmp6-echoreply", 129) X("icmp6-multicastlistenerquery", 130)         \
    X("icmp6-multicastlistenerreportv1", 131)                                \
    X("icmp6-multicastlistenerdone", 132) X("icmp6-routersolicit", 133)      \
    X("icmp6-routeradvert", 134) X("icmp6-neighborsolicit", 135)             \
    X("icmp6-neighboradvert", 136) X("icmp6-redirect", 137)                  \
    X("icmp6-routerrenum", 138) X("icmp6-nodeinformationquery", 139)         \
    X("icmp6-nodeinformationresponse", 140)                                  \
    X("icmp6-ineighbordiscoverysolicit", 141)                                \
    X("icmp6-ineighbordiscoveryadvert", 142)                                 \
    X("icmp6-multicastlistenerreportv2", 143)                                \
    X("icmp6-homeagentdiscoveryrequest", 144)                                \
    X("icmp6-homeagentdiscoveryreply", 145)                                  \
    X("icmp6-mobileprefixsolicit", 146) X("icmp6-mobileprefixadvert", 147)   \
    X("icmp6-certpathsolicit", 148) X("icmp6-certpathadvert", 149)           \
    X("icmp6-multicastrouteradvert", 151)                                    \
    X("icmp6-multicastroutersolicit", 152)                                   \
    X("icmp6-multicastrouterterm", 153) X("tcpflags", 13)                    \
    X("tcp-fin", 0x01) X("tcp-syn", 0x02) X("tcp-rst", 0x04)                 \
    X("tcp-push", 0x08) X("tcp-ack", 0x10) X("tcp-urg", 0x20)                \
    X("tcp-ece", 0x40) X("tcp-cwr", 0x80)

struct spelling {
    const char *text;
    enum fc_tok tok;
};

static const struct spelling keywords[] = {
#define FC_SPELL(text, tok) {text, FC_T_##tok},
    FC_SPELLINGS(FC_SPELL)
#undef FC_SPELL
};

struct constant {
    const char *text;
    uint32_t value;
};

static const struct constant constants[] = {
#define FC_CONST(text, v) {text, v},
    FC_CONSTANTS(FC_CONST)
#undef FC_CONST
};

static const char *const tok_names[] = {
#define FC_TOK_NAME(name) #name,
    FC_TOKENS(FC_TOK_NAME)
#undef FC_TOK_NAME
};

/* The enum name of a token kind (for diagnostics and tests). */
const char *fc_tok_name(enum fc_tok t)
{
    return (unsigned)t < FC_T_COUNT ? tok_names[t] : "?";
}

struct lexer {
    struct fc_state *st;
    const char *s;
    size_t pos;
};

static int is_hex(int c) { return isxdigit((unsigned char)c); }
static int is_dig(int c) { return c >= '0' && c <= '9'; }
static int is_alnum(int c) { return isalnum((unsigned char)c); }

/* {N}: decimal digits, or 0x/0X and hex digits. */
static size_t match_n(const char *p)
{
    size_t n = 0;

    if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X') && is_hex(p[2])) {
        n = 2;
        while (is_hex(p[n]))
            n++;
        return n;
    }
    while (is_dig(p[n]))
        n++;
    return n;
}

/* {N}(.{N}){1,3}: a dotted IPv4 literal, possibly partial. */
static size_t match_hid(const char *p)
{
    size_t n = match_n(p), best = 0;

    for (int parts = 1; n && parts < 4; parts++) {
        size_t m;

        if (p[n] != '.')
            break;
        m = match_n(p + n + 1);
        if (!m)
            break;
        n += 1 + m;
        best = n;
    }
    return best;
}

/* {B}: one or two hex digits. */
static size_t match_b(const char *p)
{
    if (!is_hex(p[0]))
        return 0;
    return is_hex(p[1]) ? 2 : 1;
}

/* B sep B sep ... six times. */
static size_t match_mac6(const char *p, char sep)
{
    size_t n = 0;

    for (int i = 0; i < 6; i++) {
        size_t m = match_b(p + n);

        if (!m)
            return 0;
        n += m;
        if (i < 5) {
            if (p[n] != sep)
                return 0;
            n++;
        }
    }
    return n;
}

/* The MAC literal forms: xx:xx:.., xx-xx-.., xx.xx.., xxxx.xxxx.xxxx. */
static size_t match_mac(const char *p)
{
    size_t best = 0, m;
    size_t i;

    if ((m = match_mac6(p, ':')) > best)
        best = m;
    if ((m = match_mac6(p, '-')) > best)
        best = m;
    if ((m = match_mac6(p, '.')) > best)
        best = m;
    for (i = 0; i < 14 && (i % 5 == 4 ? p[i] == '.' : is_hex(p[i])); i++)
        ;
    if (i == 14)
        best = best > 14 ? best : 14;
    for (i = 0; i < 12 && is_hex(p[i]); i++)
        ;
    if (i == 12 && best < 12)
        best = 12;
    return best;
}

/* The longest prefix of @p that is an IPv6 literal (inet_pton). */
static size_t match_v6(const char *p)
{
    char buf[64];
    size_t n = 0, colons = 0;
    unsigned char a[16];

    while (n < sizeof(buf) - 1 && (is_hex(p[n]) || p[n] == ':' ||
                                   p[n] == '.')) {
        colons += p[n] == ':';
        n++;
    }
    if (colons < 2)
        return 0;
    for (; n >= 2; n--) {
        memcpy(buf, p, n);
        buf[n] = '\0';
        if (inet_pton(AF_INET6, buf, a) == 1)
            return n;
    }
    return 0;
}

/* [A-Za-z0-9]([-_.A-Za-z0-9]*[.A-Za-z0-9])? */
static size_t match_id(const char *p)
{
    size_t n, last = 0;

    if (!is_alnum(p[0]))
        return 0;
    for (n = 1; is_alnum(p[n]) || p[n] == '-' || p[n] == '_' ||
                p[n] == '.'; n++)
        if (p[n] != '-' && p[n] != '_')
            last = n;
    return last + 1;
}

/* Converts {N} text (already matched) to a number, as libpcap does. */
static int to_num(struct lexer *lx, const char *p, size_t n, int col,
                  uint32_t *out)
{
    uint64_t v = 0;
    unsigned base = 10;
    size_t i = 0;

    if (n >= 2 && p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
        base = 16;
        i = 2;
    } else if (p[0] == '0') {
        base = 8;
        i = 1;
    }
    for (; i < n; i++) {
        unsigned d = is_dig(p[i]) ? (unsigned)(p[i] - '0')
                                  : (unsigned)(tolower(p[i]) - 'a' + 10);

        if (d >= base)
            return fc_error_at(lx->st, PF_COMPILE_VALUE, col, col + (int)n,
                               "number %.*s contains a non-%s digit", (int)n,
                               p, base == 8 ? "octal" : "decimal");
        v = v * base + d;
        if (v > UINT32_MAX)
            return fc_error_at(lx->st, PF_COMPILE_VALUE, col, col + (int)n,
                               "number %.*s does not fit in 32 bits",
                               (int)n, p);
    }
    *out = (uint32_t)v;
    return 0;
}

/* Operators: two-character ones first. */
static size_t match_op(const char *p, enum fc_tok *t)
{
    static const struct { const char *s; enum fc_tok t; } ops[] = {
        {"&&", FC_T_AND}, {"||", FC_T_OR}, {">=", FC_T_GEQ},
        {"<=", FC_T_LEQ}, {"!=", FC_T_NEQ}, {"==", FC_T_EQ},
        {"<<", FC_T_LSH}, {">>", FC_T_RSH}, {"+", FC_T_PLUS},
        {"-", FC_T_MINUS}, {"*", FC_T_STAR}, {"/", FC_T_SLASH},
        {"%", FC_T_PERCENT}, {":", FC_T_COLON}, {"[", FC_T_LBRACK},
        {"]", FC_T_RBRACK}, {"!", FC_T_NOT}, {"<", FC_T_LT},
        {">", FC_T_GT}, {"(", FC_T_LPAREN}, {")", FC_T_RPAREN},
        {"&", FC_T_AMP}, {"|", FC_T_PIPE}, {"^", FC_T_CARET},
        {"=", FC_T_EQ},
    };

    for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
        size_t n = strlen(ops[i].s);

        if (!strncmp(p, ops[i].s, n)) {
            *t = ops[i].t;
            return n;
        }
    }
    return 0;
}

static int lookup_word(const char *p, size_t n, enum fc_tok *t)
{
    for (size_t i = 0; i < sizeof(keywords) / sizeof(keywords[0]); i++)
        if (strlen(keywords[i].text) == n && !strncmp(p, keywords[i].text, n)) {
            *t = keywords[i].tok;
            return 1;
        }
    return 0;
}

static int lookup_const(const char *p, size_t n, uint32_t *v)
{
    for (size_t i = 0; i < sizeof(constants) / sizeof(constants[0]); i++)
        if (strlen(constants[i].text) == n &&
            !strncmp(p, constants[i].text, n)) {
            *v = constants[i].value;
            return 1;
        }
    return 0;
}

/* A word-like token: picks the longest literal class, ties by rule order. */
static int lex_word(struct lexer *lx, struct fc_token *t, size_t *len)
{
    const char *p = lx->s + lx->pos;
    size_t id = match_id(p), mac = match_mac(p), n = match_n(p);
    size_t hid = match_hid(p), v6 = match_v6(p);
    size_t best = id;
    int col = (int)lx->pos + 1;

    if (mac > best) best = mac;
    if (n > best) best = n;
    if (hid > best) best = hid;
    if (v6 > best) best = v6;
    if (!best)
        return 0;
    *len = best;
    if (best == id && lookup_word(p, id, &t->kind))
        return 1;
    if (best == mac) {
        t->kind = FC_T_EID;
    } else if (best == n) {
        t->kind = FC_T_NUM;
        return to_num(lx, p, n, col, &t->num) ? -1 : 1;
    } else if (best == hid) {
        t->kind = FC_T_HID;
    } else if (best == v6) {
        t->kind = FC_T_HID6;
    } else if (lookup_const(p, id, &t->num)) {
        t->kind = FC_T_NUM;
        return 1;
    } else {
        t->kind = FC_T_ID;
    }
    t->text = pf_arena_strndup(&lx->st->arena, p, best);
    return t->text ? 1 : -1;
}

/* `$xx` (ARCnet address) and `\name` (escaped identifier). */
static int lex_special(struct lexer *lx, struct fc_token *t, size_t *len)
{
    const char *p = lx->s + lx->pos;
    size_t n;

    if (p[0] == '$' && (n = match_b(p + 1))) {
        t->kind = FC_T_AID;
        t->text = pf_arena_strndup(&lx->st->arena, p, n + 1);
        *len = n + 1;
        return t->text ? 1 : -1;
    }
    if (p[0] == '\\' && p[1] && !strchr(" !()\n\t", p[1])) {
        n = 1 + strcspn(p + 1, " !()\n\t");
        t->kind = FC_T_ID;
        t->text = pf_arena_strndup(&lx->st->arena, p + 1, n - 1);
        *len = n;
        return t->text ? 1 : -1;
    }
    return 0;
}

static int lex_one(struct lexer *lx, struct fc_token *t)
{
    const char *p = lx->s + lx->pos;
    size_t len = 0;
    int r;

    memset(t, 0, sizeof(*t));
    t->col = (int)lx->pos + 1;
    if (!*p) {
        t->kind = FC_T_EOF;
        t->end_col = t->col;
        return 0;
    }
    r = lex_special(lx, t, &len);
    if (!r)
        r = lex_word(lx, t, &len);
    if (!r && (len = match_op(p, &t->kind)) > 0)
        r = 1;
    if (r < 0)
        return lx->st->err->err ? lx->st->err->err : -ENOMEM;
    if (!r)
        return fc_error_at(lx->st, PF_COMPILE_SYNTAX, t->col, t->col + 1,
                           "unexpected character '%c'", *p);
    lx->pos += len;
    t->end_col = (int)lx->pos + 1;
    return 0;
}

/* Tokenises @src into an arena array (*@toks, *@n including EOF);
 * returns 0 or an error with the column of the bad character. */
int fc_lex(struct fc_state *st, const char *src, struct fc_token **toks,
           size_t *n)
{
    struct lexer lx = {st, src, 0};
    size_t cap = 16, cnt = 0;
    struct fc_token *v = pf_arena_alloc(&st->arena, cap * sizeof(*v));

    for (;;) {
        int r;

        while (lx.s[lx.pos] && strchr(" \t\r\n", lx.s[lx.pos]))
            lx.pos++;
        if (!v)
            return -ENOMEM;
        if (cnt == cap) {
            struct fc_token *nv = pf_arena_alloc(&st->arena,
                                                 2 * cap * sizeof(*v));
            if (!nv)
                return -ENOMEM;
            memcpy(nv, v, cap * sizeof(*v));
            v = nv;
            cap *= 2;
        }
        r = lex_one(&lx, &v[cnt]);
        if (r)
            return r;
        if (v[cnt++].kind == FC_T_EOF)
            break;
    }
    *toks = v;
    *n = cnt;
    return 0;
}
