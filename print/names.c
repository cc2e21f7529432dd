/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Host and service names for output without -n, as tcpdump prints them:
 * ports from the services database (loaded once), addresses through
 * reverse DNS. Reverse lookups run on one helper thread; the printer
 * waits for an answer at most PR_RESOLVE_WAIT_MS per new address and
 * prints the number meanwhile, and every answer is cached, so a slow or
 * absent DNS server never stalls the capture for long.
 */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "print_impl.h"

#define PR_RESOLVE_WAIT_MS 100
#define PR_HOST_CACHE 4096

enum { HOST_EMPTY, HOST_PENDING, HOST_DONE };

struct host_entry {
    uint8_t addr[16];
    uint8_t v6;
    uint8_t state;
    char name[256];    /* "" when the address has no name */
};

struct pr_names {
    int numeric;
    char **tcp, **udp;                 /* 65536 entries each, or NULL */
    struct host_entry *hosts;          /* PR_HOST_CACHE entries */
    pthread_t thread;
    int have_thread, stop;
    pthread_mutex_t lock;
    pthread_cond_t wake, done;
    struct host_entry *job;            /* being resolved, or NULL */
};

static void load_services(struct pr_names *n)
{
    struct servent *se;

    n->tcp = calloc(65536, sizeof(char *));
    n->udp = calloc(65536, sizeof(char *));
    if (!n->tcp || !n->udp)
        return;
    setservent(0);
    while ((se = getservent())) {
        uint16_t port = ntohs((uint16_t)se->s_port);
        char ***tab = !strcmp(se->s_proto, "tcp")   ? &n->tcp
                      : !strcmp(se->s_proto, "udp") ? &n->udp
                                                     : NULL;

        if (tab && !(*tab)[port])
            (*tab)[port] = strdup(se->s_name);
    }
    endservent();
}

static void resolve_one(struct host_entry *e, char *name, size_t len)
{
    struct sockaddr_storage ss;
    socklen_t sl;

    memset(&ss, 0, sizeof(ss));
    if (e->v6) {
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

        s6->sin6_family = AF_INET6;
        memcpy(&s6->sin6_addr, e->addr, 16);
        sl = sizeof(*s6);
    } else {
        struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

        s4->sin_family = AF_INET;
        memcpy(&s4->sin_addr, e->addr, 4);
        sl = sizeof(*s4);
    }
    if (getnameinfo((struct sockaddr *)&ss, sl, name, (socklen_t)len, NULL,
                    0, NI_NAMEREQD))
        name[0] = '\0';
}

static void *resolver(void *arg)
{
    struct pr_names *n = arg;
    char name[256];

    pthread_mutex_lock(&n->lock);
    while (!n->stop) {
        struct host_entry *e = n->job;

        if (!e) {
            pthread_cond_wait(&n->wake, &n->lock);
            continue;
        }
        pthread_mutex_unlock(&n->lock);
        resolve_one(e, name, sizeof(name));
        pthread_mutex_lock(&n->lock);
        memcpy(e->name, name, sizeof(name));
        e->state = HOST_DONE;
        n->job = NULL;
        pthread_cond_broadcast(&n->done);
    }
    pthread_mutex_unlock(&n->lock);
    return NULL;
}

int pr_names_new(struct pr_names **out, int numeric)
{
    struct pr_names *n;

    *out = NULL;
    if (numeric)
        return 0;
    n = calloc(1, sizeof(*n));
    if (!n)
        return -ENOMEM;
    n->numeric = numeric;
    load_services(n);
    n->hosts = calloc(PR_HOST_CACHE, sizeof(*n->hosts));
    pthread_mutex_init(&n->lock, NULL);
    pthread_cond_init(&n->wake, NULL);
    pthread_cond_init(&n->done, NULL);
    if (n->hosts && !pthread_create(&n->thread, NULL, resolver, n))
        n->have_thread = 1;
    *out = n;
    return 0;
}

void pr_names_free(struct pr_names *n)
{
    if (!n)
        return;
    if (n->have_thread) {
        pthread_mutex_lock(&n->lock);
        n->stop = 1;
        pthread_cond_broadcast(&n->wake);
        pthread_mutex_unlock(&n->lock);
        /* a lookup stuck in the resolver is not waited for */
        pthread_detach(n->thread);
    }
    for (int i = 0; i < 65536; i++) {
        if (n->tcp)
            free(n->tcp[i]);
        if (n->udp)
            free(n->udp[i]);
    }
    free(n->tcp);
    free(n->udp);
    if (!n->have_thread) {
        free(n->hosts);
        free(n);
    }
    /* with a detached thread the cache may still be written: it is left
       to process exit, like tcpdump's own caches */
}

static struct host_entry *host_slot(struct pr_names *n, const uint8_t *a,
                                    int v6)
{
    unsigned alen = v6 ? 16 : 4, h = 2166136261u;

    for (unsigned i = 0; i < alen; i++)
        h = (h ^ a[i]) * 16777619u;
    for (unsigned probe = 0; probe < 8; probe++) {
        struct host_entry *e = &n->hosts[(h + probe) % PR_HOST_CACHE];

        if (e->state == HOST_EMPTY ||
            (e->v6 == v6 && !memcmp(e->addr, a, alen)))
            return e;
    }
    return NULL;
}

/* The cached name of @a, resolving it now (bounded wait) if new. */
static const char *host_name(struct pr_names *n, const uint8_t *a, int v6)
{
    struct host_entry *e;
    struct timespec ts;
    const char *name = NULL;

    if (!n->have_thread)
        return NULL;
    pthread_mutex_lock(&n->lock);
    e = host_slot(n, a, v6);
    if (e && e->state == HOST_EMPTY && !n->job) {
        memcpy(e->addr, a, v6 ? 16 : 4);
        e->v6 = (uint8_t)v6;
        e->state = HOST_PENDING;
        n->job = e;
        pthread_cond_signal(&n->wake);
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += PR_RESOLVE_WAIT_MS * 1000000L;
        ts.tv_sec += ts.tv_nsec / 1000000000L;
        ts.tv_nsec %= 1000000000L;
        while (e->state != HOST_DONE &&
               pthread_cond_timedwait(&n->done, &n->lock, &ts) == 0)
            ;
    }
    if (e && e->state == HOST_DONE && e->name[0])
        name = e->name;
    pthread_mutex_unlock(&n->lock);
    return name;
}

void pr_out_host4(struct pr_ctx *c, const uint8_t *a)
{
    const char *name = c->p->names ? host_name(c->p->names, a, 0) : NULL;

    if (name)
        pr_out_str(c->out, name);
    else
        pr_out_ip4(c->out, a);
}

void pr_out_host6(struct pr_ctx *c, const uint8_t *a)
{
    const char *name = c->p->names ? host_name(c->p->names, a, 1) : NULL;

    if (name)
        pr_out_str(c->out, name);
    else
        pr_out_ip6(c->out, a);
}

void pr_out_port(struct pr_ctx *c, uint16_t port, int udp)
{
    struct pr_names *n = c->p->names;
    char **tab = n ? (udp ? n->udp : n->tcp) : NULL;

    if (tab && tab[port])
        pr_out_str(c->out, tab[port]);
    else
        pr_out_u(c->out, port);
}
