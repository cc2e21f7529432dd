/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The interface list tcpdump -D prints: every network interface with its
 * state (up, running, loopback, wireless) and link status (connected or
 * not, from ethtool's link test), most useful first as libpcap sorts them:
 * up and running before down, loopback after real interfaces.
 */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <linux/wireless.h>

#include "capture/live_impl.h"

static enum pf_live_link iface_link(int fd, const char *name, unsigned flags)
{
    struct ethtool_value ev = {.cmd = ETHTOOL_GLINK};
    struct ifreq ifr;

    if (flags & PF_LIVE_IF_LOOPBACK)
        return PF_LIVE_LINK_NOT_APPLICABLE;
    memset(&ifr, 0, sizeof(ifr));
    strncpy(ifr.ifr_name, name, sizeof(ifr.ifr_name) - 1);
    ifr.ifr_data = (char *)&ev;
    if (ioctl(fd, SIOCETHTOOL, &ifr) == 0)
        return ev.data ? PF_LIVE_LINK_CONNECTED : PF_LIVE_LINK_DISCONNECTED;
    if (errno == EOPNOTSUPP || errno == EINVAL || errno == ENODEV)
        return PF_LIVE_LINK_NOT_APPLICABLE;
    return PF_LIVE_LINK_UNKNOWN;
}

static void iface_fill(int fd, const char *name, struct pf_live_iface *ifc)
{
    struct ifreq ifr;
    struct iwreq iwr;

    memset(ifc, 0, sizeof(*ifc));
    snprintf(ifc->name, sizeof(ifc->name), "%s", name);
    memset(&ifr, 0, sizeof(ifr));
    strncpy(ifr.ifr_name, name, sizeof(ifr.ifr_name) - 1);
    if (ioctl(fd, SIOCGIFFLAGS, &ifr) == 0) {
        ifc->flags |= (ifr.ifr_flags & IFF_UP) ? PF_LIVE_IF_UP : 0;
        ifc->flags |= (ifr.ifr_flags & IFF_RUNNING) ? PF_LIVE_IF_RUNNING : 0;
        ifc->flags |= (ifr.ifr_flags & IFF_LOOPBACK) ? PF_LIVE_IF_LOOPBACK
                                                     : 0;
    }
    memset(&iwr, 0, sizeof(iwr));
    strncpy(iwr.ifr_name, name, sizeof(iwr.ifr_name) - 1);
    if (ioctl(fd, SIOCGIWNAME, &iwr) == 0)
        ifc->flags |= PF_LIVE_IF_WIRELESS;
    ifc->link = iface_link(fd, name, ifc->flags);
}

/* libpcap's order: a lower figure is listed first. */
static unsigned iface_merit(const struct pf_live_iface *ifc)
{
    unsigned n = 0;

    if (!(ifc->flags & PF_LIVE_IF_UP))
        n |= 0x80000000u;
    if (!(ifc->flags & PF_LIVE_IF_RUNNING))
        n |= 0x40000000u;
    if (ifc->link == PF_LIVE_LINK_DISCONNECTED)
        n |= 0x20000000u;
    if (ifc->flags & PF_LIVE_IF_LOOPBACK)
        n |= 0x10000000u;
    return n;
}

/* Stable insertion sort by merit (lists are short). */
static void iface_sort(struct pf_live_iface *v, size_t n)
{
    size_t i, j;

    for (i = 1; i < n; i++) {
        struct pf_live_iface t = v[i];
        for (j = i; j > 0 && iface_merit(&v[j - 1]) > iface_merit(&t); j--)
            v[j] = v[j - 1];
        v[j] = t;
    }
}

int pf_live_iface_list(struct pf_live_iface **out, size_t *n,
                       struct pf_error *err)
{
    struct if_nameindex *names = if_nameindex(), *p;
    struct pf_live_iface *v;
    size_t count = 0;
    int fd;

    *out = NULL;
    *n = 0;
    if (!names)
        return pf_error_set(err, -errno, PF_STAGE_CAPTURE, PF_LIVE_E_IFACE,
                            "cannot list interfaces: %s", strerror(errno));
    for (p = names; p->if_index; p++)
        count++;
    v = calloc(count ? count : 1, sizeof(*v));
    fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (!v || fd < 0) {
        free(v);
        if_freenameindex(names);
        if (fd >= 0)
            close(fd);
        return pf_error_set(err, -ENOMEM, PF_STAGE_CAPTURE, PF_LIVE_E_IFACE,
                            "cannot list interfaces");
    }
    for (count = 0, p = names; p->if_index; p++)
        iface_fill(fd, p->if_name, &v[count++]);
    close(fd);
    if_freenameindex(names);
    iface_sort(v, count);
    *out = v;
    *n = count;
    return 0;
}

static const char *iface_link_text(const struct pf_live_iface *ifc)
{
    int wl = (ifc->flags & PF_LIVE_IF_WIRELESS) != 0;

    switch (ifc->link) {
    case PF_LIVE_LINK_UNKNOWN:
        return wl ? ", Association status unknown"
                  : ", Connection status unknown";
    case PF_LIVE_LINK_CONNECTED:
        return wl ? ", Associated" : ", Connected";
    case PF_LIVE_LINK_DISCONNECTED:
        return wl ? ", Not associated" : ", Disconnected";
    case PF_LIVE_LINK_NOT_APPLICABLE:
        break;
    }
    return "";
}

size_t pf_live_iface_format(const struct pf_live_iface *ifc, char *buf,
                            size_t len)
{
    static const struct {
        unsigned bit;
        const char *text;
    } bits[] = {
        {PF_LIVE_IF_UP, "Up"},
        {PF_LIVE_IF_RUNNING, "Running"},
        {PF_LIVE_IF_LOOPBACK, "Loopback"},
        {PF_LIVE_IF_WIRELESS, "Wireless"},
    };
    char flags[64] = "";
    size_t i;

    for (i = 0; i < sizeof(bits) / sizeof(bits[0]); i++) {
        if (!(ifc->flags & bits[i].bit))
            continue;
        if (flags[0])
            strcat(flags, ", ");
        strcat(flags, bits[i].text);
    }
    return (size_t)snprintf(buf, len, "%s [%s%s]", ifc->name,
                            flags[0] ? flags : "none", iface_link_text(ifc));
}
