/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Benchmark section 3, file replay: `pfcap -r big.pcap -w out EXPR`
 * (1 thread and --threads 2) against `tcpdump -r big.pcap -w out EXPR`,
 * with out a file and /dev/null, on two generated captures of about
 * 1 GiB each (small packets, and the mixed sizes of pktgen.c), written
 * under the build directory so they sit in the page cache, and deleted
 * afterwards. The tools alternate round by round; wall-clock medians give
 * Mpps and GB/s. The outputs of pfcap and tcpdump are compared record for
 * record (everything after the 24-byte file header).
 * Usage: bench_replay PFCAP TCPDUMP WORKDIR [RESULTS_DIR]
 * (PF_BENCH_REPLAY_MB sets the capture size, default 1024.)
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "benchlib.h"
#include "pktgen.h"

#define ROUNDS 5
#define EXPR "tcp port 80 or udp port 53"

enum tool { T_PFCAP, T_PFCAP2, T_TCPDUMP, T_COUNT };

static const char *const tool_names[T_COUNT] = {
    "pfcap", "pfcap --threads 2", "tcpdump",
};

struct capture {
    const char *label;
    enum pf_bench_sizes sizes;
    char path[4096];
    unsigned long long packets, bytes;
};

static const char *tools[T_COUNT];
static const char *workdir;

static void put32le(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* Writes a classic pcap of about @mb MiB of generated frames. */
static int generate(struct capture *c, unsigned long long mb)
{
    static const uint8_t hdr[24] = {0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0,
                                    0, 0, 0, 0, 0, 0, 0, 0,
                                    0, 0, 4, 0, 1, 0, 0, 0};
    uint8_t rec[16 + PF_BENCH_PKT_MAX];
    struct pf_bench_rng rng;
    FILE *f = fopen(c->path, "w");

    if (!f)
        return -errno;
    setvbuf(f, NULL, _IOFBF, 1 << 20);
    fwrite(hdr, 1, sizeof(hdr), f);
    pf_bench_rng_seed(&rng, 11);
    c->bytes = sizeof(hdr);
    for (c->packets = 0; c->bytes < mb << 20; c->packets++) {
        uint32_t len = pf_bench_pkt_build(&rng, c->sizes, rec + 16);

        put32le(rec, 1800000000u + (uint32_t)(c->packets / 1000000));
        put32le(rec + 4, (uint32_t)(c->packets % 1000000));
        put32le(rec + 8, len);
        put32le(rec + 12, len);
        fwrite(rec, 1, 16 + len, f);
        c->bytes += 16 + len;
    }
    return fclose(f) ? -errno : 0;
}

/* Runs one replay; returns wall-clock ns (and the child's user + system
 * CPU ns in *@cpu), or -1 on failure. */
static double replay(enum tool t, const char *in, const char *out,
                     double *cpu)
{
    double t0 = pf_bench_now_ns();
    struct rusage ru;
    int st;
    pid_t pid = fork();

    if (pid == 0) {
        int null = open("/dev/null", O_WRONLY);

        dup2(null, 2);
        if (t == T_PFCAP2)
            execl(tools[t], tools[t], "--threads", "2", "-r", in, "-w", out,
                  EXPR, (char *)NULL);
        execl(tools[t], tools[t], "-r", in, "-w", out, EXPR, (char *)NULL);
        _exit(127);
    }
    if (pid < 0 || wait4(pid, &st, 0, &ru) < 0 || !WIFEXITED(st) ||
        WEXITSTATUS(st) != 0)
        return -1;
    *cpu = (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e9 +
           (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1e3;
    return pf_bench_now_ns() - t0;
}

static void out_path(enum tool t, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s/replay-out-%d.pcap", workdir, (int)t);
}

/* 1 if the two captures hold the same records (headers aside). */
static int same_records(const char *a, const char *b)
{
    int fa = open(a, O_RDONLY), fb = open(b, O_RDONLY), same = 0;
    struct stat sa, sb;

    if (fa >= 0 && fb >= 0 && fstat(fa, &sa) == 0 && fstat(fb, &sb) == 0 &&
        sa.st_size == sb.st_size && sa.st_size >= 24) {
        size_t len = (size_t)sa.st_size;
        void *ma = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fa, 0);
        void *mb = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fb, 0);

        same = ma != MAP_FAILED && mb != MAP_FAILED &&
               memcmp((char *)ma + 24, (char *)mb + 24,
                      (size_t)sa.st_size - 24) == 0;
        if (ma != MAP_FAILED)
            munmap(ma, (size_t)sa.st_size);
        if (mb != MAP_FAILED)
            munmap(mb, (size_t)sb.st_size);
    }
    if (fa >= 0)
        close(fa);
    if (fb >= 0)
        close(fb);
    return same;
}

struct cell {
    double ns[ROUNDS], cpu[ROUNDS];
    int n;
    double median, cpu_median;
};

/* All tools on @c, to a file (@to_file) or /dev/null, ROUNDS times. */
static int measure(const struct capture *c, int to_file,
                   struct cell cells[T_COUNT], int *same)
{
    char out[T_COUNT][4200];

    for (int t = 0; t < T_COUNT; t++) {
        if (to_file)
            out_path((enum tool)t, out[t], sizeof(out[t]));
        else
            snprintf(out[t], sizeof(out[t]), "/dev/null");
        cells[t].n = 0;
    }
    for (int k = 0; k < ROUNDS; k++)
        for (int t = 0; t < T_COUNT; t++) {
            double cpu = 0, ns = replay((enum tool)t, c->path, out[t], &cpu);

            if (ns > 0) {
                cells[t].cpu[cells[t].n] = cpu;
                cells[t].ns[cells[t].n++] = ns;
            }
        }
    *same = to_file && same_records(out[T_PFCAP], out[T_TCPDUMP]) &&
            same_records(out[T_PFCAP2], out[T_TCPDUMP]);
    for (int t = 0; t < T_COUNT; t++) {
        cells[t].median = pf_bench_stat_of(cells[t].ns, cells[t].n).median;
        cells[t].cpu_median =
            pf_bench_stat_of(cells[t].cpu, cells[t].n).median;
        if (to_file)
            unlink(out[t]);
    }
    return 0;
}

static void print_row(const struct capture *c, int to_file,
                      const struct cell cells[T_COUNT], int same)
{
    pf_bench_say("| %s, %.2f GB, %.1f M packets | %s |", c->label,
                 c->bytes / 1e9, c->packets / 1e6,
                 to_file ? "file" : "/dev/null");
    for (int t = 0; t < T_COUNT; t++) {
        double s = cells[t].median / 1e9;

        if (cells[t].n == 0)
            pf_bench_say(" failed |");
        else
            pf_bench_say(" %.2f s, %.1f Mpps, %.2f GB/s (CPU %.2f s) |", s,
                         c->packets / 1e6 / s, c->bytes / 1e9 / s,
                         cells[t].cpu_median / 1e9);
    }
    if (cells[T_PFCAP].n && cells[T_PFCAP2].n && cells[T_TCPDUMP].n)
        pf_bench_say(" %.2fx / %.2fx | %.2fx |", cells[T_TCPDUMP].median /
                     cells[T_PFCAP].median, cells[T_TCPDUMP].median /
                     cells[T_PFCAP2].median, cells[T_TCPDUMP].cpu_median /
                     cells[T_PFCAP].cpu_median);
    else
        pf_bench_say(" – | – |");
    pf_bench_say(" %s |\n", to_file ? (same ? "identical" : "**differ**")
                                    : "–");
}

static void header(void)
{
    pf_bench_say("\n## 3. File replay\n\n`pfcap -r big.pcap -w OUT '%s'` "
                 "against `tcpdump -r big.pcap -w OUT '%s'` on generated "
                 "captures held in the page cache, OUT a file (under the "
                 "build directory) or /dev/null. Wall-clock median of %d "
                 "runs, tools alternating; CPU = user + system time of the "
                 "process (all threads). Speed-up = tcpdump wall time / "
                 "pfcap wall time (1 thread / 2 threads); CPU ratio = "
                 "tcpdump CPU / pfcap CPU (1 thread), steadier than wall "
                 "time on a busy machine. \"Output\" compares the written "
                 "records of pfcap and tcpdump byte for byte.\n\n"
                 "| capture | -w | pfcap | pfcap --threads 2 | tcpdump | "
                 "speed-up | CPU ratio | output |\n"
                 "|---|---|---:|---:|---:|---:|---:|---|\n",
                 EXPR, EXPR, ROUNDS);
}

static void chart(const double *v, const char *const *cats, const char *dir)
{
    struct pf_bench_chart c = {
        .title = "File replay: million packets per second, higher is better",
        .unit = "Mpps", .log_scale = 0, .ncat = 4, .nser = T_COUNT,
        .cats = cats, .sers = tool_names, .values = v,
    };

    if (pf_bench_chart_write(&c, dir, "replay.svg") < 0)
        fprintf(stderr, "bench_replay: cannot write %s/replay.svg\n", dir);
}

/* Generates capture @i, replays it to a file and to /dev/null, deletes it;
 * fills the Mpps of its two chart rows. */
static int run_capture(struct capture *c, int i, unsigned long long mb,
                       double *mpps)
{
    snprintf(c->path, sizeof(c->path), "%s/replay-%d.pcap", workdir, i);
    if (generate(c, mb) < 0) {
        fprintf(stderr, "bench_replay: cannot write %s\n", c->path);
        unlink(c->path);
        return -1;
    }
    for (int w = 1; w >= 0; w--) {
        struct cell cells[T_COUNT];
        int same, row = i * 2 + (1 - w);

        measure(c, w, cells, &same);
        print_row(c, w, cells, same);
        for (int t = 0; t < T_COUNT; t++)
            mpps[row * T_COUNT + t] =
                cells[t].n ? (double)c->packets * 1e3 / cells[t].median : 0;
    }
    unlink(c->path);
    return 0;
}

int main(int argc, char **argv)
{
    struct capture caps[2] = {
        {.label = "small packets", .sizes = PF_BENCH_SIZES_SMALL},
        {.label = "mixed sizes", .sizes = PF_BENCH_SIZES_MIXED},
    };
    static const char *const cats[4] = {
        "small -> file", "small -> /dev/null", "mixed -> file",
        "mixed -> /dev/null",
    };
    const char *mbs = getenv("PF_BENCH_REPLAY_MB");
    double mpps[4 * T_COUNT] = {0};

    if (argc < 4) {
        fprintf(stderr, "usage: bench_replay PFCAP TCPDUMP WORKDIR [DIR]\n");
        return 1;
    }
    tools[T_PFCAP] = tools[T_PFCAP2] = argv[1];
    tools[T_TCPDUMP] = argv[2];
    workdir = argv[3];
    pf_bench_report_open(argc > 4 ? argv[4] : NULL, "3-replay");
    header();
    for (int i = 0; i < 2; i++)
        if (run_capture(&caps[i], i, mbs ? strtoull(mbs, NULL, 10) : 1024,
                        mpps) < 0)
            return 1;
    pf_bench_report_close();
    if (argc > 4)
        chart(mpps, cats, argv[4]);
    return 0;
}
