/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Name resolution for the filter language: services (/etc/services, tcp
 * and udp), IP protocols (/etc/protocols), Ethernet protocol and LLC SAP
 * names (fixed tables, as libpcap's), port ranges written "a-b".
 */
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "filters/filters_impl.h"

static int serv_port(const char *name, const char *proto)
{
    struct servent se, *res = NULL;
    char buf[1024];

    if (getservbyname_r(name, proto, &se, buf, sizeof(buf), &res) || !res)
        return -1;
    return ntohs((uint16_t)res->s_port);
}

/* A service name: its port and protocol (FC_PROTO_UNDEF when the name
 * means the same port for tcp and udp). Returns 0 if unknown. */
int fc_name_port(const char *name, int *port, int *proto)
{
    int tcp = serv_port(name, "tcp"), udp = serv_port(name, "udp");

    if (tcp >= 0) {
        *port = tcp;
        *proto = udp == tcp ? FC_PROTO_UNDEF : FC_IPPROTO_TCP;
        return 1;
    }
    if (udp >= 0) {
        *port = udp;
        *proto = FC_IPPROTO_UDP;
        return 1;
    }
    return 0;
}

/* "lo-hi" as numbers or service names. Returns 0 if not a range. */
int fc_name_portrange(const char *name, int *lo, int *hi, int *proto)
{
    char buf[256];
    char *dash;
    int p1, p2, saved;

    if (sscanf(name, "%d-%d", &p1, &p2) == 2) {
        *lo = p1;
        *hi = p2;
        *proto = FC_PROTO_UNDEF;
        return 1;
    }
    if (strlen(name) >= sizeof(buf))
        return 0;
    strcpy(buf, name);
    dash = strchr(buf, '-');
    if (!dash)
        return 0;
    *dash = '\0';
    if (!fc_name_port(buf, lo, proto))
        return 0;
    saved = *proto;
    if (!fc_name_port(dash + 1, hi, proto))
        return 0;
    if (*proto != saved)
        *proto = FC_PROTO_UNDEF;
    return 1;
}

/* Ethernet protocol names, then LLC SAP names (libpcap's tables). */
int fc_name_llproto(const char *name)
{
    static const struct { const char *s; int v; } tab[] = {
        {"aarp", FC_ETHERTYPE_AARP}, {"arp", FC_ETHERTYPE_ARP},
        {"atalk", FC_ETHERTYPE_ATALK}, {"decnet", FC_ETHERTYPE_DN},
        {"ip", FC_ETHERTYPE_IP}, {"ip6", FC_ETHERTYPE_IPV6},
        {"lat", FC_ETHERTYPE_LAT}, {"loopback", 0x9000},
        {"mopdl", FC_ETHERTYPE_MOPDL}, {"moprc", FC_ETHERTYPE_MOPRC},
        {"rarp", FC_ETHERTYPE_REVARP}, {"sca", FC_ETHERTYPE_SCA},
        {"iso", FC_LLCSAP_ISONS}, {"stp", FC_LLCSAP_8021D},
        {"ipx", FC_LLCSAP_IPX}, {"netbeui", FC_LLCSAP_NETBEUI},
    };

    for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
        if (!strcmp(tab[i].s, name))
            return tab[i].v;
    return FC_PROTO_UNDEF;
}

/* A protocol name for `proto NAME` under pqual @proto. */
int fc_name_proto(const char *name, int proto)
{
    struct protoent pe, *res = NULL;
    char buf[1024];

    switch (proto) {
    case FC_P_DEFAULT: case FC_P_IP: case FC_P_IPV6:
        if (getprotobyname_r(name, &pe, buf, sizeof(buf), &res) || !res)
            return FC_PROTO_UNDEF;
        return res->p_proto;
    case FC_P_LINK:
        return fc_name_llproto(name);
    case FC_P_ISO:
        if (!strcmp(name, "esis"))
            return 0x82;
        if (!strcmp(name, "isis"))
            return 0x83;
        if (!strcmp(name, "clnp"))
            return 0x81;
        return FC_PROTO_UNDEF;
    default:
        return FC_PROTO_UNDEF;
    }
}
