/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * PACKET_FANOUT: several packet sockets on one interface form a group and
 * the kernel hands each packet to exactly one of them (by flow hash, by
 * CPU, round robin or by receive queue). Hash mode asks the kernel to
 * defragment IP first so all fragments of a datagram reach one worker.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include <linux/if_packet.h>

#include "capture/live_impl.h"

_Static_assert(PF_LIVE_FANOUT_HASH == PACKET_FANOUT_HASH, "fanout hash");
_Static_assert(PF_LIVE_FANOUT_LB == PACKET_FANOUT_LB, "fanout lb");
_Static_assert(PF_LIVE_FANOUT_CPU == PACKET_FANOUT_CPU, "fanout cpu");
_Static_assert(PF_LIVE_FANOUT_QM == PACKET_FANOUT_QM, "fanout qm");

static const struct {
    const char *name;
    enum pf_live_fanout mode;
} fanout_names[] = {
#define PF_LIVE_FANOUT_NAME(name, text, val) {text, PF_LIVE_FANOUT_##name},
    PF_LIVE_FANOUTS(PF_LIVE_FANOUT_NAME)
#undef PF_LIVE_FANOUT_NAME
};

int pf_live_fanout_from_name(const char *name, enum pf_live_fanout *out)
{
    size_t i;

    for (i = 0; name && i < sizeof(fanout_names) / sizeof(fanout_names[0]);
         i++) {
        if (strcmp(name, fanout_names[i].name) == 0) {
            *out = fanout_names[i].mode;
            return 0;
        }
    }
    return -EINVAL;
}

int pf_fanout_join(int fd, uint16_t group, enum pf_live_fanout mode,
                   struct pf_error *err)
{
    uint32_t flags = mode == PF_LIVE_FANOUT_HASH ? PACKET_FANOUT_FLAG_DEFRAG
                                                 : 0;
    uint32_t arg = group | (((uint32_t)mode | flags) << 16);

    if (setsockopt(fd, SOL_PACKET, PACKET_FANOUT, &arg, sizeof(arg)) == 0)
        return 0;
    return pf_error_set(err, -errno, PF_STAGE_CAPTURE, PF_LIVE_E_FANOUT,
                        "cannot join fanout group %u (mode %u): %s",
                        (unsigned)group, (unsigned)mode, strerror(errno));
}
