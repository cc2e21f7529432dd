/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Golden tests of the filter compiler: each data file holds cases
 * separated by blank lines:
 *
 *   link EN10MB                      link type (name or number)
 *   expr tcp port 80                 the expression
 *   accept ether ipv4 tcp 1234 80    a packet the program must accept
 *   reject ether ipv4 udp 1 80       ... or reject
 *   error 1:10 expected a port       or: refused, span start and a
 *                                    substring of the message
 *
 * Packets are built from words: ether [src MAC] [dst MAC], vlan ID,
 * mpls LABEL, pppoe SESSION, sll, ipv4 [src A] [dst A] [frag N] [ihl N],
 * ipv6 [src A] [dst A], tcp SPORT DPORT [flags N], udp SPORT DPORT,
 * icmp TYPE, icmp6 TYPE, arp [src A] [dst A], bytes HEX..., trunc N
 * (captured length N, wire length unchanged). Every accepted program is
 * also checked against the kernel validation rules.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pfcap/compile.h>

struct pkt {
    uint8_t b[512];
    size_t n;
    size_t caplen;
    size_t type_at, proto_at; /* where to patch the next layer's type */
    int proto_kind;           /* 0 none, 4 ipv4 proto, 6 ipv6 next hdr */
};

static unsigned failures, checks;

static void put(struct pkt *p, const void *d, size_t n)
{
    if (p->n + n <= sizeof(p->b)) {
        memcpy(p->b + p->n, d, n);
        p->n += n;
    }
}

static void put16(struct pkt *p, unsigned v)
{
    uint8_t b[2] = {(uint8_t)(v >> 8), (uint8_t)v};

    put(p, b, 2);
}

static void set_type(struct pkt *p, unsigned type)
{
    if (p->type_at) {
        p->b[p->type_at - 1] = (uint8_t)(type >> 8);
        p->b[p->type_at] = (uint8_t)type;
        p->type_at = 0;
    }
}

static void set_proto(struct pkt *p, unsigned proto)
{
    if (p->proto_at)
        p->b[p->proto_at] = (uint8_t)proto;
    p->proto_at = 0;
}

static void mac(const char *s, uint8_t *out)
{
    unsigned v[6] = {0};

    sscanf(s, "%x:%x:%x:%x:%x:%x", &v[0], &v[1], &v[2], &v[3], &v[4],
           &v[5]);
    for (int i = 0; i < 6; i++)
        out[i] = (uint8_t)v[i];
}

static void build_ipv4(struct pkt *p, char **save, char **next)
{
    uint8_t h[60] = {0x45, 0, 0, 40, 0, 1, 0, 0, 64, 0, 0, 0,
                     10, 0, 0, 1, 10, 0, 0, 2};
    char *w, *v;
    int ihl = 5;

    set_type(p, 0x0800);
    while ((w = strtok_r(NULL, " \t", save))) {
        if (!strcmp(w, "src") && (v = strtok_r(NULL, " \t", save)))
            inet_pton(AF_INET, v, h + 12);
        else if (!strcmp(w, "dst") && (v = strtok_r(NULL, " \t", save)))
            inet_pton(AF_INET, v, h + 16);
        else if (!strcmp(w, "frag") && (v = strtok_r(NULL, " \t", save))) {
            unsigned f = (unsigned)strtoul(v, NULL, 0);

            h[6] = (uint8_t)(f >> 8);
            h[7] = (uint8_t)f;
        } else if (!strcmp(w, "ihl") && (v = strtok_r(NULL, " \t", save)))
            ihl = atoi(v);
        else
            break;
    }
    h[0] = (uint8_t)(0x40 | ihl);
    p->proto_at = p->n + 9;
    put(p, h, (size_t)ihl * 4);
    *next = w;
}

static void build_ipv6(struct pkt *p, char **save, char **next)
{
    uint8_t h[40] = {0x60, 0, 0, 0, 0, 20, 0, 64};
    char *w, *v;

    set_type(p, 0x86dd);
    inet_pton(AF_INET6, "2001:db8::1", h + 8);
    inet_pton(AF_INET6, "2001:db8::2", h + 24);
    while ((w = strtok_r(NULL, " \t", save))) {
        if (!strcmp(w, "src") && (v = strtok_r(NULL, " \t", save)))
            inet_pton(AF_INET6, v, h + 8);
        else if (!strcmp(w, "dst") && (v = strtok_r(NULL, " \t", save)))
            inet_pton(AF_INET6, v, h + 24);
        else
            break;
    }
    p->proto_at = p->n + 6;
    put(p, h, 40);
    *next = w;
}

static void build_l4(struct pkt *p, const char *w, char **save)
{
    char *a = strtok_r(NULL, " \t", save), *b = NULL;
    unsigned x = a ? (unsigned)strtoul(a, NULL, 0) : 0, y = 0;

    if (strcmp(w, "icmp") && strcmp(w, "icmp6")) {
        b = strtok_r(NULL, " \t", save);
        y = b ? (unsigned)strtoul(b, NULL, 0) : 0;
    }
    if (!strcmp(w, "tcp")) {
        uint8_t t[20] = {0};

        set_proto(p, 6);
        t[0] = (uint8_t)(x >> 8); t[1] = (uint8_t)x;
        t[2] = (uint8_t)(y >> 8); t[3] = (uint8_t)y;
        t[12] = 0x50;
        t[13] = 0x02;
        put(p, t, 20);
    } else if (!strcmp(w, "udp")) {
        set_proto(p, 17);
        put16(p, x); put16(p, y); put16(p, 8); put16(p, 0);
    } else {
        uint8_t t[8] = {(uint8_t)x};

        set_proto(p, strcmp(w, "icmp") ? 58 : 1);
        put(p, t, 8);
    }
}

static void build_link(struct pkt *p, const char *w, char **save,
                       char **next)
{
    uint8_t e[14] = {0x00, 0x11, 0x22, 0x33, 0x44, 0x55,
                     0x02, 0x00, 0x00, 0x00, 0x00, 0x01};
    char *v;

    *next = strtok_r(NULL, " \t", save);
    if (!strcmp(w, "ether")) {
        while (*next && (!strcmp(*next, "src") || !strcmp(*next, "dst"))) {
            int src = !strcmp(*next, "src");

            if ((v = strtok_r(NULL, " \t", save)))
                mac(v, e + (src ? 6 : 0));
            *next = strtok_r(NULL, " \t", save);
        }
        put(p, e, 14);
        p->type_at = p->n - 1;
    } else if (!strcmp(w, "sll")) {
        uint8_t s[16] = {0, 0, 0, 1, 0, 6, 0x00, 0x11, 0x22, 0x33, 0x44,
                         0x55};

        put(p, s, 16);
        p->type_at = p->n - 1;
    }
}

static void build_tag(struct pkt *p, const char *w, unsigned v)
{
    if (!strcmp(w, "vlan")) {
        set_type(p, 0x8100);
        put16(p, v & 0xfff);
        put16(p, 0);
        p->type_at = p->n - 1;
    } else if (!strcmp(w, "mpls")) {
        uint8_t l[4] = {(uint8_t)(v >> 12), (uint8_t)(v >> 4),
                        (uint8_t)(v << 4 | 1), 64};

        set_type(p, 0x8847);
        if (p->n >= 4 && p->proto_kind == 'm')
            p->b[p->n - 2] &= 0xfe;
        put(p, l, 4);
        p->proto_kind = 'm';
    } else if (!strcmp(w, "pppoe")) {
        set_type(p, 0x8864);
        put16(p, 0x1100); put16(p, v); put16(p, 0); put16(p, 0x0021);
    }
}

static int build(char *spec, struct pkt *p)
{
    char *save, *w = strtok_r(spec, " \t", &save);

    memset(p, 0, sizeof(*p));
    while (w) {
        char *next = NULL;

        if (!strcmp(w, "ether") || !strcmp(w, "sll")) {
            build_link(p, w, &save, &next);
        } else if (!strcmp(w, "ipv4")) {
            build_ipv4(p, &save, &next);
        } else if (!strcmp(w, "ipv6")) {
            build_ipv6(p, &save, &next);
        } else if (!strcmp(w, "tcp") || !strcmp(w, "udp") ||
                   !strcmp(w, "icmp") || !strcmp(w, "icmp6")) {
            build_l4(p, w, &save);
            next = strtok_r(NULL, " \t", &save);
        } else if (!strcmp(w, "vlan") || !strcmp(w, "mpls") ||
                   !strcmp(w, "pppoe") || !strcmp(w, "trunc")) {
            char *v = strtok_r(NULL, " \t", &save);
            unsigned n = v ? (unsigned)strtoul(v, NULL, 0) : 0;

            if (!strcmp(w, "trunc"))
                p->caplen = n;
            else
                build_tag(p, w, n);
            next = strtok_r(NULL, " \t", &save);
        } else if (!strcmp(w, "arp")) {
            uint8_t a[28] = {0, 1, 8, 0, 6, 4, 0, 1, 0, 0x11, 0x22, 0x33,
                             0x44, 0x55, 10, 0, 0, 1, 0, 0, 0, 0, 0, 0,
                             10, 0, 0, 2};

            set_type(p, 0x0806);
            put(p, a, 28);
            next = strtok_r(NULL, " \t", &save);
        } else if (!strcmp(w, "bytes")) {
            while ((next = strtok_r(NULL, " \t", &save)) &&
                   strlen(next) == 2) {
                uint8_t b = (uint8_t)strtoul(next, NULL, 16);

                put(p, &b, 1);
            }
        } else {
            fprintf(stderr, "unknown packet word '%s'\n", w);
            return -1;
        }
        w = next;
    }
    if (!p->caplen || p->caplen > p->n)
        p->caplen = p->n;
    return 0;
}

struct gcase {
    char file[256];
    int line, linktype;
    char expr[1024];
};

static int link_value(const char *s)
{
    static const struct { const char *n; int v; } t[] = {
        {"EN10MB", 1}, {"RAW", 12}, {"IPV4", 228}, {"IPV6", 229},
        {"LINUX_SLL", 113}, {"LINUX_SLL2", 276}, {"NULL", 0},
        {"LOOP", 108}, {"PPP", 9}, {"PPP_SERIAL", 50}, {"C_HDLC", 104},
        {"PFLOG", 117},
    };

    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
        if (!strcmp(t[i].n, s))
            return t[i].v;
    return atoi(s);
}

static void failf(const struct gcase *c, const char *fmt, const char *a,
                  const char *b)
{
    failures++;
    fprintf(stderr, "%s:%d: [%s] ", c->file, c->line, c->expr);
    fprintf(stderr, fmt, a, b);
    fputc('\n', stderr);
}

static void check_error(const struct gcase *c, const char *want)
{
    struct pf_compile_opts o = {sizeof(o), c->linktype, 0, 1,
                                PF_COMPILE_FILE, 0, 0};
    struct pf_cbpf_prog prog;
    struct pf_error err;
    int line, col;
    char where[32], msg[256] = "";

    pf_error_init(&err);
    checks++;
    if (!pf_filter_compile(c->expr, &o, &prog, &err)) {
        free(prog.insns);
        failf(c, "compiled, expected error %s%s", want, "");
        return;
    }
    if (sscanf(want, "%d:%d %255[^\n]", &line, &col, msg) < 2) {
        failf(c, "bad error line '%s'%s", want, "");
        return;
    }
    snprintf(where, sizeof(where), "%d:%d", err.line, err.col);
    if (err.line != line || err.col != col || !strstr(err.msg, msg) ||
        err.stage != PF_STAGE_EXPR)
        failf(c, "got error %s: %s", where, err.msg);
}

static void check_packet(const struct gcase *c, char *spec, int accept)
{
    struct pf_compile_opts o = {sizeof(o), c->linktype, 0, 1,
                                PF_COMPILE_FILE, 0, 0};
    struct pf_cbpf_prog prog;
    struct pf_error err;
    struct pkt p;
    char copy[1024];
    uint32_t v;

    snprintf(copy, sizeof(copy), "%s", spec);
    pf_error_init(&err);
    checks++;
    if (build(spec, &p)) {
        failf(c, "bad packet spec %s%s", copy, "");
        return;
    }
    if (pf_filter_compile(c->expr, &o, &prog, &err)) {
        failf(c, "refused: %s%s", err.msg, "");
        return;
    }
    if (prog.len <= PF_CBPF_KERNEL_MAXINSNS &&
        pf_cbpf_validate(prog.insns, prog.len, PF_CBPF_PROFILE_KERNEL, &err))
        failf(c, "program fails kernel validation: %s%s", err.msg, "");
    v = pf_cbpf_run(prog.insns, prog.len, p.b, (uint32_t)p.n,
                    (uint32_t)p.caplen, NULL);
    if ((v != 0) != accept)
        failf(c, "packet '%s' %s", copy, accept ? "rejected" : "accepted");
    free(prog.insns);
}

static void run_file(const char *path)
{
    FILE *f = fopen(path, "r");
    char line[2048];
    struct gcase c;
    int n = 0;

    if (!f) {
        fprintf(stderr, "cannot open %s\n", path);
        failures++;
        return;
    }
    memset(&c, 0, sizeof(c));
    c.linktype = 1;
    snprintf(c.file, sizeof(c.file), "%s", path);
    while (fgets(line, sizeof(line), f)) {
        char *arg;

        n++;
        line[strcspn(line, "\r\n")] = '\0';
        if (!line[0] || line[0] == '#')
            continue;
        arg = strchr(line, ' ');
        arg = arg ? arg + 1 : line + strlen(line);
        c.line = n;
        if (!strncmp(line, "link ", 5))
            c.linktype = link_value(arg);
        else if (!strncmp(line, "expr", 4))
            snprintf(c.expr, sizeof(c.expr), "%s", arg);
        else if (!strncmp(line, "accept ", 7) || !strncmp(line, "reject ", 7))
            check_packet(&c, arg, line[0] == 'a');
        else if (!strncmp(line, "error ", 6))
            check_error(&c, arg);
        else
            failf(&c, "unknown line '%s'%s", line, "");
    }
    fclose(f);
}

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        run_file(argv[i]);
    printf("%u checks, %u failures\n", checks, failures);
    return failures ? 1 : 0;
}
