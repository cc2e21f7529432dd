/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Benchmark section 4, live capture: runs the live-capture benchmark
 * script (tests/live/live_bench.sh: two network namespaces joined by a
 * veth pair, traffic only between them, pfgen sending 1M frames at top
 * rate while pfcap and tcpdump capture the same packets at once, in the
 * modes default, --immediate-mode and pfcap --threads 2) a few times and
 * reports the medians: packets captured and dropped, capture rate and
 * CPU time per captured packet. When the script skips (exit 77: no
 * CAP_NET_ADMIN, no tcpdump, no `pfcap -i`), the section says so.
 * Usage: bench_live SCRIPT PFCAP PFGEN [RESULTS_DIR]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "benchlib.h"

#define ROUNDS 3
#define MAX_ROWS 16

struct row {
    char mode[16], tool[16];
    double sent[ROUNDS], cap[ROUNDS], drop[ROUNDS], pps[ROUNDS], ns[ROUNDS];
    int n;
};

static struct row rows[MAX_ROWS];
static int nrows;

static struct row *row_for(const char *mode, const char *tool)
{
    for (int i = 0; i < nrows; i++)
        if (!strcmp(rows[i].mode, mode) && !strcmp(rows[i].tool, tool))
            return &rows[i];
    if (nrows == MAX_ROWS)
        return NULL;
    snprintf(rows[nrows].mode, sizeof(rows[nrows].mode), "%s", mode);
    snprintf(rows[nrows].tool, sizeof(rows[nrows].tool), "%s", tool);
    return &rows[nrows++];
}

/* One line "mode tool sent captured dropped pps cpu_s ns/pkt". */
static void parse_line(const char *line)
{
    char mode[16], tool[16];
    double sent, cap, drop, pps, cpu, ns;
    struct row *r;

    if (sscanf(line, "%15s %15s %lf %lf %lf %lf %lf %lf", mode, tool, &sent,
               &cap, &drop, &pps, &cpu, &ns) != 8 ||
        !(r = row_for(mode, tool)) || r->n == ROUNDS)
        return;
    r->sent[r->n] = sent, r->cap[r->n] = cap, r->drop[r->n] = drop;
    r->pps[r->n] = pps, r->ns[r->n] = ns;
    r->n++;
}

/* Runs the script once; returns its exit status (-1 if it did not run). */
static int run_once(const char *cmd, char *why, size_t cap)
{
    char line[512];
    FILE *p = popen(cmd, "r");
    int st;

    if (!p)
        return -1;
    while (fgets(line, sizeof(line), p)) {
        fputs(line, stderr);
        if (strstr(line, "SKIP") || strstr(line, "skip"))
            snprintf(why, cap, "%s", line);
        parse_line(line);
    }
    st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static double med(const double *v, int n)
{
    return pf_bench_stat_of(v, n).median;
}

static void report(void)
{
    pf_bench_say("\n## 4. Live capture\n\nveth pair between two network "
                 "namespaces created for the run (traffic only between "
                 "them); pfgen sends 1M mixed frames at top rate with "
                 "AF_PACKET while pfcap and tcpdump capture the *same* "
                 "packets at once, both writing a pcap file to tmpfs "
                 "(tests/live/live_bench.sh). Median of %d runs. Capture "
                 "%% = captured / sent; CPU = user + system time of the "
                 "capturing process per captured packet.\n\n| mode | tool | "
                 "sent | captured | dropped by kernel | capture %% | "
                 "captured pps | CPU ns/packet |\n|---|---|---:|---:|---:|"
                 "---:|---:|---:|\n", ROUNDS);
    for (int i = 0; i < nrows; i++) {
        const struct row *r = &rows[i];
        double sent = med(r->sent, r->n), cap = med(r->cap, r->n);

        pf_bench_say("| %s | %s | %.0f | %.0f | %.0f | %.1f%% | %.0f | %.0f "
                     "|\n", r->mode, r->tool, sent, cap,
                     med(r->drop, r->n), sent > 0 ? 100 * cap / sent : 0,
                     med(r->pps, r->n), med(r->ns, r->n));
    }
}

/* Capture % per mode, one bar per tool. */
static void chart(const char *dir)
{
    static const char *const tools[2] = {"pfcap", "tcpdump"};
    const char *modes[MAX_ROWS];
    double v[MAX_ROWS * 2] = {0};
    int nm = 0;

    for (int i = 0; i < nrows; i++) {
        int m = 0, t = strcmp(rows[i].tool, "pfcap") != 0;
        double sent = med(rows[i].sent, rows[i].n);

        while (m < nm && strcmp(modes[m], rows[i].mode))
            m++;
        if (m == nm)
            modes[nm++] = rows[i].mode;
        v[m * 2 + t] = sent > 0 ? 100 * med(rows[i].cap, rows[i].n) / sent
                                : 0;
    }
    struct pf_bench_chart c = {
        .title = "Live capture: % of 1M sent packets captured, higher is "
                 "better",
        .unit = "% captured", .log_scale = 0, .ncat = nm, .nser = 2,
        .cats = modes, .sers = tools, .values = v,
    };
    if (pf_bench_chart_write(&c, dir, "live.svg") < 0)
        fprintf(stderr, "bench_live: cannot write %s/live.svg\n", dir);
}

int main(int argc, char **argv)
{
    char cmd[8192], why[512] = "";
    int st = 0;

    if (argc < 4) {
        fprintf(stderr, "usage: bench_live SCRIPT PFCAP PFGEN [DIR]\n");
        return 1;
    }
    snprintf(cmd, sizeof(cmd), "bash '%s' '%s' '%s' 2>&1", argv[1], argv[2],
             argv[3]);
    for (int k = 0; k < ROUNDS && st == 0; k++)
        st = run_once(cmd, why, sizeof(why));
    pf_bench_report_open(argc > 4 ? argv[4] : NULL, "4-live");
    if (nrows == 0) {
        pf_bench_say("\n## 4. Live capture\n\nSkipped: the live benchmark "
                     "script exited with status %d%s%s\n", st,
                     why[0] ? ": " : ".", why);
    } else {
        report();
    }
    pf_bench_report_close();
    if (nrows && argc > 4)
        chart(argv[4]);
    return 0;
}
