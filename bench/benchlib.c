/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Shared pieces of the benchmark programs (see benchlib.h; the clocks and
 * statistics are in benchstat.c): the filter set and its list macros, the two-way report
 * (stdout and bench/results/<section>.md) and the SVG bar chart.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "benchlib.h"

static FILE *report_md;

uint32_t pf_bench_list_host(int i)
{
    /* 773 and 7919 are prime to 2000 and 62000: permutations, so the
     * first 2000 hosts are the pool's, spread over it, and the rest are
     * distinct addresses outside it */
    uint32_t k = i < 2000 ? (uint32_t)i * 773u % 2000u
                          : 2000u + (uint32_t)(i - 2000) * 7919u % 62000u;
    uint32_t sub = k / 250;

    return 0x0a000000u | sub << 8 | (k % 250 + 1);
}

/* " or host A.B.C.D" for the i-th host (no " or " for the first). */
static int host_word(int i, char *buf, size_t cap)
{
    uint32_t a = pf_bench_list_host(i);

    return snprintf(buf, cap, "%shost %u.%u.%u.%u", i ? " or " : "",
                    a >> 24, a >> 16 & 0xff, a >> 8 & 0xff, a & 0xff);
}

char *pf_bench_list_expr(const char *kind, int n)
{
    int hosts = strcmp(kind, "hosts") == 0;
    size_t cap = (size_t)n * 32 + 1, len = 0;
    char *s;

    if ((!hosts && strcmp(kind, "ports") != 0) || n <= 0 || n > 60000)
        return NULL;
    if (!(s = malloc(cap)))
        return NULL;
    s[0] = 0;
    for (int i = 0; i < n; i++) {
        if (hosts)
            len += (size_t)host_word(i, s + len, cap - len);
        else
            len += (size_t)snprintf(s + len, cap - len, "%sport %d",
                                    i ? " or " : "", 1000 + i);
    }
    return s;
}

/* Expands "@kind:N" or copies the expression. */
static char *expand(const char *text)
{
    char kind[16];
    int n;

    if (text[0] != '@')
        return strdup(text);
    if (sscanf(text, "@%15[a-z]:%d", kind, &n) != 2)
        return NULL;
    return pf_bench_list_expr(kind, n);
}

/* Parses one line into @f; returns 1 for a filter, 0 for none, <0. */
static int parse_line(char *line, struct pf_bench_filter *f)
{
    char *p = line, *name;

    line[strcspn(line, "\r\n")] = 0;
    while (isspace((unsigned char)*p))
        p++;
    if (!*p || *p == '#')
        return 0;
    name = p;
    while (*p && !isspace((unsigned char)*p))
        p++;
    if (*p)
        *p++ = 0;
    while (isspace((unsigned char)*p))
        p++;
    snprintf(f->name, sizeof(f->name), "%.63s", name);
    f->expr = expand(p);
    return f->expr ? 1 : -EINVAL;
}

int pf_bench_filters_load(const char *path, struct pf_bench_filter **out)
{
    FILE *fp = fopen(path, "r");
    struct pf_bench_filter *v = NULL;
    char line[4096];
    int n = 0, ret = 0;

    if (!fp)
        return -errno;
    while (fgets(line, sizeof(line), fp)) {
        struct pf_bench_filter *nv = realloc(v, (size_t)(n + 1) * sizeof(*v));

        if (!nv) {
            ret = -ENOMEM;
            break;
        }
        v = nv;
        ret = parse_line(line, &v[n]);
        if (ret < 0)
            break;
        n += ret;
    }
    fclose(fp);
    if (ret < 0) {
        pf_bench_filters_free(v, n);
        return ret;
    }
    *out = v;
    return n;
}

void pf_bench_filters_free(struct pf_bench_filter *f, int n)
{
    for (int i = 0; i < n; i++)
        free(f[i].expr);
    free(f);
}

int pf_bench_report_open(const char *dir, const char *section)
{
    char path[4096];

    if (!dir)
        return 0;
    mkdir(dir, 0755); /* EEXIST is the usual case */
    snprintf(path, sizeof(path), "%s/%s.md", dir, section);
    report_md = fopen(path, "w");
    return report_md ? 0 : -errno;
}

void pf_bench_say(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    if (report_md) {
        va_start(ap, fmt);
        vfprintf(report_md, fmt, ap);
        va_end(ap);
    }
    fflush(stdout);
}

void pf_bench_report_close(void)
{
    if (report_md)
        fclose(report_md);
    report_md = NULL;
}

const char *pf_bench_short(const char *s, size_t max, char *buf, size_t cap)
{
    size_t n = 0;

    for (; *s && n + 4 < cap && n < max; s++) {
        char c = *s;

        buf[n++] = (c == '<' || c == '>' || c == '&' || c == '|' ||
                    c == '"') ? '_' : c;
    }
    if (*s && n + 4 <= cap) {
        memcpy(buf + n, "\xe2\x80\xa6", 3); /* … */
        n += 3;
    }
    buf[n] = 0;
    return buf;
}

/* ---- SVG ----------------------------------------------------------- */

#define SVG_LEFT 230.0
#define SVG_WIDTH 960.0
#define SVG_BAR 11.0
#define SVG_GAP 9.0
#define SVG_TOP 60.0

static const char *const svg_colors[] = {
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b",
    "#e377c2", "#7f7f7f",
};

static void chart_range(const struct pf_bench_chart *c, double *lo,
                        double *hi)
{
    *lo = INFINITY;
    *hi = 0;
    for (int i = 0; i < c->ncat * c->nser; i++) {
        if (c->values[i] <= 0)
            continue;
        *lo = fmin(*lo, c->values[i]);
        *hi = fmax(*hi, c->values[i]);
    }
    if (*hi <= 0)
        *lo = 1, *hi = 10;
    if (c->log_scale) {
        *lo = pow(10, floor(log10(*lo)));
        *hi = pow(10, ceil(log10(*hi)));
        if (*hi <= *lo)
            *hi = *lo * 10;
    } else {
        *lo = 0;
    }
}

/* Bar length in pixels for @v on the chart's axis. */
static double chart_x(const struct pf_bench_chart *c, double lo, double hi,
                      double v)
{
    double span = SVG_WIDTH - SVG_LEFT - 90;

    if (c->log_scale)
        return span * (log10(v) - log10(lo)) / (log10(hi) - log10(lo));
    return span * v / hi;
}

static void chart_axis(FILE *f, const struct pf_bench_chart *c, double lo,
                       double hi, double bottom)
{
    fprintf(f, "<text x='%.0f' y='%.0f' font-size='11'>%s (%s scale)</text>\n",
            SVG_LEFT, bottom + 28, c->unit, c->log_scale ? "log" : "linear");
    for (int i = 0; i <= 10; i++) {
        double v = c->log_scale ? lo * pow(10, i) : hi * i / 5.0;
        double x;

        if ((c->log_scale && v > hi * 1.0001) || (!c->log_scale && i > 5))
            break;
        x = SVG_LEFT + (v > 0 ? chart_x(c, lo, hi, v) : 0);
        fprintf(f, "<line x1='%.1f' y1='%.0f' x2='%.1f' y2='%.0f' "
                "stroke='#ddd'/>\n<text x='%.1f' y='%.0f' font-size='10' "
                "text-anchor='middle'>%g</text>\n",
                x, SVG_TOP - 4, x, bottom, x, bottom + 13, v);
    }
}

static void chart_legend(FILE *f, const struct pf_bench_chart *c)
{
    for (int s = 0; s < c->nser; s++)
        fprintf(f, "<rect x='%d' y='30' width='10' height='10' fill='%s'/>"
                "<text x='%d' y='39' font-size='11'>%s</text>\n",
                (int)SVG_LEFT + s * 110, svg_colors[s % 8],
                (int)SVG_LEFT + s * 110 + 14, c->sers[s]);
}

static void chart_bars(FILE *f, const struct pf_bench_chart *c, double lo,
                       double hi)
{
    double y = SVG_TOP;
    char lab[128];

    for (int k = 0; k < c->ncat; k++) {
        fprintf(f, "<text x='%.0f' y='%.1f' font-size='11' "
                "text-anchor='end'>%s</text>\n", SVG_LEFT - 6,
                y + c->nser * SVG_BAR / 2 + 4,
                pf_bench_short(c->cats[k], 34, lab, sizeof(lab)));
        for (int s = 0; s < c->nser; s++, y += SVG_BAR) {
            double v = c->values[k * c->nser + s];
            double w = v > 0 ? fmax(1, chart_x(c, lo, hi, v)) : 0;

            if (v <= 0)
                continue;
            fprintf(f, "<rect x='%.0f' y='%.1f' width='%.1f' height='%.1f' "
                    "fill='%s'/><text x='%.1f' y='%.1f' font-size='9'>%.3g"
                    "</text>\n", SVG_LEFT, y, w, SVG_BAR - 1,
                    svg_colors[s % 8], SVG_LEFT + w + 3, y + SVG_BAR - 2, v);
        }
        y += SVG_GAP;
    }
}

int pf_bench_chart_write(const struct pf_bench_chart *c, const char *dir,
                         const char *name)
{
    double lo, hi;
    double height = SVG_TOP + c->ncat * (c->nser * SVG_BAR + SVG_GAP) + 40;
    char path[4096];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    if (!(f = fopen(path, "w")))
        return -errno;
    chart_range(c, &lo, &hi);
    fprintf(f, "<svg xmlns='http://www.w3.org/2000/svg' width='%.0f' "
            "height='%.0f' font-family='sans-serif'>\n<rect width='100%%' "
            "height='100%%' fill='white'/>\n<text x='10' y='18' "
            "font-size='14' font-weight='bold'>%s</text>\n", SVG_WIDTH,
            height, c->title);
    chart_legend(f, c);
    chart_axis(f, c, lo, hi, height - 40);
    chart_bars(f, c, lo, hi);
    fprintf(f, "</svg>\n");
    return fclose(f) ? -errno : 0;
}
