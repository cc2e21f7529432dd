/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The Linux kernel as an eBPF engine: bpf(BPF_PROG_LOAD) with the
 * verifier's log on refusal, BPF_PROG_TEST_RUN (socket filters see the
 * test input after a 14-byte Ethernet header, which is why one is put in
 * front), and SO_ATTACH_BPF. The only file that issues bpf() syscalls.
 */
#include <errno.h>
#include <linux/bpf.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <pfcap/ebpf_io.h>

#define ETH_HDR_LEN 14
#define LOG_FALLBACK_SIZE (1024 * 1024)

_Static_assert(sizeof(struct pf_ebpf_insn) == sizeof(struct bpf_insn),
               "pf_ebpf_insn must match struct bpf_insn");

static long sys_bpf(int cmd, union bpf_attr *attr)
{
    return syscall(SYS_bpf, cmd, attr, sizeof(*attr));
}

static uint32_t kernel_prog_type(enum pf_ebpf_kernel_type type)
{
    return type == PF_EBPF_KERNEL_XDP ? BPF_PROG_TYPE_XDP
                                      : BPF_PROG_TYPE_SOCKET_FILTER;
}

static int raw_load(const struct pf_ebpf_insn *insns, size_t len,
                    enum pf_ebpf_kernel_type type, char *log, size_t logsz)
{
    union bpf_attr attr;

    memset(&attr, 0, sizeof(attr));
    attr.prog_type = kernel_prog_type(type);
    attr.insns = (uint64_t)(uintptr_t)insns;
    attr.insn_cnt = (uint32_t)len;
    attr.license = (uint64_t)(uintptr_t)"GPL";
    if (log && logsz > 1) {
        log[0] = '\0';
        attr.log_buf = (uint64_t)(uintptr_t)log;
        attr.log_size = (uint32_t)(logsz > UINT32_MAX >> 8 ? UINT32_MAX >> 8
                                                           : logsz);
        attr.log_level = 1;
    }
    return (int)sys_bpf(BPF_PROG_LOAD, &attr);
}

int pf_ebpf_kernel_probe(struct pf_error *err)
{
    static const struct pf_ebpf_insn ret0[] = {
        PF_EBPF_MOV64_IMM(PF_EBPF_R0, 0),
        PF_EBPF_EXIT(),
    };
    int fd = raw_load(ret0, 2, PF_EBPF_KERNEL_SOCKET, NULL, 0);

    if (fd < 0)
        return pf_error_set(err, -errno, PF_STAGE_KERNEL, 0,
                            "bpf(BPF_PROG_LOAD) is not permitted here: %s",
                            strerror(errno));
    close(fd);
    return 0;
}

/* Nonzero for the statistics lines the verifier ends its log with. */
static int is_stats_line(const char *line, size_t len)
{
    static const char *const prefixes[] = {"processed ", "verification time",
                                           "stack depth"};

    for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
        if (len >= strlen(prefixes[i]) &&
            strncmp(line, prefixes[i], strlen(prefixes[i])) == 0)
            return 1;
    return len == 0;
}

/* The verifier's reason (its last line before the statistics) into @e. */
static void set_log_error(struct pf_error *e, int rc, const char *log)
{
    size_t end = strlen(log), begin = end;

    while (end > 0) {
        while (end > 0 && (log[end - 1] == '\n' || log[end - 1] == ' '))
            end--;
        begin = end;
        while (begin > 0 && log[begin - 1] != '\n')
            begin--;
        if (!is_stats_line(log + begin, end - begin))
            break;
        end = begin;
    }
    if (end > begin)
        pf_error_set(e, rc, PF_STAGE_KERNEL, 0,
                     "the kernel verifier refused the program: %.*s",
                     (int)(end - begin), log + begin);
    else
        pf_error_set(e, rc, PF_STAGE_KERNEL, 0,
                     "the kernel refused the program: %s", strerror(-rc));
}

int pf_ebpf_kernel_load(const struct pf_ebpf_insn *insns, size_t len,
                        enum pf_ebpf_kernel_type type, char *log, size_t logsz,
                        int *fd, struct pf_error *err)
{
    char *own = NULL;
    int rc;

    if (!insns || len == 0 || len > UINT32_MAX || !fd)
        return pf_error_set(err, -EINVAL, PF_STAGE_KERNEL, 0,
                            "no program to load");
    if (log && logsz)
        log[0] = '\0';
    /* without a log first: a log that fills up fails even a good load
     * (-ENOSPC); the log is only wanted to explain a refusal */
    rc = raw_load(insns, len, type, NULL, 0);
    if (rc >= 0) {
        *fd = rc;
        return 0;
    }
    rc = -errno;
    if (!log || logsz < 2) {
        own = malloc(LOG_FALLBACK_SIZE);
        log = own;
        logsz = own ? LOG_FALLBACK_SIZE : 0;
    }
    if (log && raw_load(insns, len, type, log, logsz) >= 0)
        log[0] = '\0'; /* refused once, accepted now: no reason to give */
    set_log_error(err, rc, log ? log : "");
    free(own);
    return rc;
}

/* Test input for a socket program: a dummy Ethernet header, then @pkt. */
static uint8_t *socket_input(const uint8_t *pkt, uint32_t len,
                             uint16_t protocol)
{
    uint8_t *buf = calloc(1, (size_t)len + ETH_HDR_LEN);

    if (!buf)
        return NULL;
    buf[12] = (uint8_t)(protocol >> 8);
    buf[13] = (uint8_t)protocol;
    if (len)
        memcpy(buf + ETH_HDR_LEN, pkt, len);
    return buf;
}

static int check_run_size(enum pf_ebpf_kernel_type type, uint32_t len,
                          struct pf_error *err)
{
    uint32_t max = type == PF_EBPF_KERNEL_XDP ? PF_EBPF_KERNEL_TEST_MAX_XDP
                                              : PF_EBPF_KERNEL_TEST_MAX_SOCKET;

    if (len > max)
        return pf_error_set(err, -E2BIG, PF_STAGE_KERNEL, 0,
                            "BPF_PROG_TEST_RUN takes at most %u bytes, "
                            "not %u", max, len);
    if (type == PF_EBPF_KERNEL_XDP && len < ETH_HDR_LEN)
        return pf_error_set(err, -EINVAL, PF_STAGE_KERNEL, 0,
                            "BPF_PROG_TEST_RUN needs at least 14 bytes "
                            "for XDP, not %u", len);
    if (len == 0) /* the kernel refuses an skb left empty */
        return pf_error_set(err, -EINVAL, PF_STAGE_KERNEL, 0,
                            "BPF_PROG_TEST_RUN needs at least 1 byte");
    return 0;
}

static void fill_skb_ctx(struct __sk_buff *skb,
                         const struct pf_ebpf_kernel_run_opts *o)
{
    memset(skb, 0, sizeof(*skb));
    if (!o)
        return;
    memcpy(skb->cb, o->cb, sizeof(skb->cb));
    skb->mark = o->mark;
}

int pf_ebpf_kernel_test_run(int fd, enum pf_ebpf_kernel_type type,
                            const uint8_t *pkt, uint32_t len,
                            const struct pf_ebpf_kernel_run_opts *opts,
                            uint32_t *retval, uint32_t *duration_ns,
                            struct pf_error *err)
{
    int sock = type == PF_EBPF_KERNEL_SOCKET;
    uint16_t proto = opts && opts->protocol ? opts->protocol : 0x88b5;
    struct __sk_buff skb;
    union bpf_attr attr;
    uint8_t *in = NULL;
    int rc = check_run_size(type, len, err);

    if (rc)
        return rc;
    if (sock && !(in = socket_input(pkt, len, proto)))
        return pf_error_set(err, -ENOMEM, PF_STAGE_KERNEL, 0, "out of memory");
    fill_skb_ctx(&skb, opts);
    memset(&attr, 0, sizeof(attr));
    attr.test.prog_fd = (uint32_t)fd;
    attr.test.data_in = (uint64_t)(uintptr_t)(sock ? in : pkt);
    attr.test.data_size_in = len + (sock ? ETH_HDR_LEN : 0);
    attr.test.repeat = opts && opts->repeat ? opts->repeat : 1;
    if (sock) {
        attr.test.ctx_in = (uint64_t)(uintptr_t)&skb;
        attr.test.ctx_size_in = sizeof(skb);
    }
    rc = (int)sys_bpf(BPF_PROG_TEST_RUN, &attr) < 0 ? -errno : 0;
    free(in);
    if (rc)
        return pf_error_set(err, rc, PF_STAGE_KERNEL, 0,
                            "BPF_PROG_TEST_RUN failed: %s", strerror(-rc));
    *retval = attr.test.retval;
    if (duration_ns)
        *duration_ns = attr.test.duration;
    return 0;
}

int pf_ebpf_kernel_attach_socket(int sock, int fd, struct pf_error *err)
{
    if (setsockopt(sock, SOL_SOCKET, SO_ATTACH_BPF, &fd, sizeof(fd)) < 0)
        return pf_error_set(err, -errno, PF_STAGE_KERNEL, 0,
                            "SO_ATTACH_BPF: %s", strerror(errno));
    return 0;
}

int pf_ebpf_kernel_detach_socket(int sock, struct pf_error *err)
{
    int zero = 0;

    if (setsockopt(sock, SOL_SOCKET, SO_DETACH_BPF, &zero, sizeof(zero)) < 0)
        return pf_error_set(err, -errno, PF_STAGE_KERNEL, 0,
                            "SO_DETACH_BPF: %s", strerror(errno));
    return 0;
}

void pf_ebpf_kernel_close(int fd)
{
    if (fd >= 0)
        close(fd);
}
