/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * NUMA placement for live capture, the only file that uses libnuma: which
 * node a NIC hangs off (sysfs), making the kernel allocate a ring on that
 * node (a preferred-node memory policy while the ring is created), and
 * pinning worker threads to that node's CPUs. When the system does not
 * say (virtual NICs report -1, or NUMA is unavailable) everything falls
 * back to the CPUs the process may run on.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>

#include <numa.h>

#include "capture/live_impl.h"

int pf_live_numa_node(const char *iface)
{
    char path[256];
    FILE *f;
    int node = -1;

    if (!iface || strchr(iface, '/'))
        return -1;
    snprintf(path, sizeof(path), "/sys/class/net/%s/device/numa_node", iface);
    f = fopen(path, "re");
    if (!f)
        return -1;
    if (fscanf(f, "%d", &node) != 1)
        node = -1;
    fclose(f);
    if (node >= 0 && (numa_available() < 0 || node > numa_max_node()))
        node = -1;
    return node;
}

int pf_numa_prefer_begin(int node)
{
    if (node < 0 || numa_available() < 0)
        return 0;
    numa_set_preferred(node);
    return 1;
}

void pf_numa_prefer_end(int was_set)
{
    if (was_set)
        numa_set_localalloc();
}

/* The CPUs of @node (all allowed CPUs when @node < 0 or has none). */
static void numa_cpus(int node, cpu_set_t *set)
{
    struct bitmask *bm;
    int i;

    CPU_ZERO(set);
    if (sched_getaffinity(0, sizeof(*set), set) != 0)
        CPU_SET(0, set);
    if (node < 0 || numa_available() < 0)
        return;
    bm = numa_allocate_cpumask();
    if (!bm)
        return;
    if (numa_node_to_cpus(node, bm) == 0) {
        cpu_set_t both;
        CPU_ZERO(&both);
        for (i = 0; i < CPU_SETSIZE && (unsigned)i < bm->size; i++)
            if (numa_bitmask_isbitset(bm, (unsigned)i) && CPU_ISSET(i, set))
                CPU_SET(i, &both);
        if (CPU_COUNT(&both) > 0)
            *set = both;
    }
    numa_free_cpumask(bm);
}

int pf_live_thread_pin(int node, unsigned index, int *cpu)
{
    cpu_set_t set, one;
    int i, n, want, rc;

    numa_cpus(node, &set);
    n = CPU_COUNT(&set);
    if (n <= 0)
        return -ENOENT;
    want = (int)(index % (unsigned)n);
    for (i = 0; i < CPU_SETSIZE; i++) {
        if (!CPU_ISSET(i, &set) || want-- > 0)
            continue;
        CPU_ZERO(&one);
        CPU_SET(i, &one);
        rc = pthread_setaffinity_np(pthread_self(), sizeof(one), &one);
        if (rc)
            return -rc;
        if (cpu)
            *cpu = i;
        return 0;
    }
    return -ENOENT;
}
