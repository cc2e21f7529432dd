/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Host lists as set tests. A run of adjacent or-ed `[ip|arp|rarp]
 * [src|dst] host A.B.C.D` or `net N/len` terms with the same qualifiers
 * is generated as one group: per protocol the link-layer type test
 * once, then the address fields loaded once each and tested against the
 * whole set. The set is sorted address ranges (a host is a range of
 * one; overlapping and adjacent ranges merge), tested by a balanced tree
 * of `jgt` ending in short chains of `jeq` (or `jgt`/`jge` for a range),
 * all on the loaded A: ~log2(n) compares instead of n.
 *
 * Verdicts stay those of libpcap's unoptimised program on every packet,
 * truncated ones included (a load past the captured length rejects the
 * packet at once, so which loads run matters, not only their values).
 * There, `host H1 or host H2 ...` tests the source against H1, then
 * loads the destination, and only then goes on; so the group tests the
 * source against H1, loads the destination and tests it against the
 * set, then loads the source again (it cannot fail: it was read on that
 * path) and tests it against the set. Once both fields are loaded, the
 * order of the compares cannot change the verdict. No M[] register is
 * used: taking one would shift the numbers libpcap's allocator gives the
 * registers after it, and libpcap's programs depend on those numbers
 * (e.g. on 802.11, `len > 64 and not host ...` reuses the register that
 * holds the radiotap length, and pfcap must reproduce what that does). (libpcap's optimiser often tests the source against all
 * hosts first, but not in every context, e.g. after `src and dst host
 * X or`, so that order could differ from both of libpcap's programs.)
 * ARP and RARP read the same offsets, so "arp or rarp" guards both; a
 * packet that passed the IPv4 type test cannot be ARP (its type tests
 * only re-read the same field), so every failure leaves the group, and
 * all protocols share the source tree (each protocol only repeats the
 * root compare after its own load); each has its own destination tree,
 * whose false exit is its own source test.
 */
#include <stdlib.h>

#include "filters/filters_impl.h"

/* The shortest run grouped, and the most intervals tested by a plain
 * chain. */
#define SET_MIN_RUN 3
#define SET_LEAF 3

/* Addresses lo..hi (a host: lo == hi; a network: its whole range). */
struct set_iv {
    uint32_t lo, hi;
};

/* The intervals of a group and the group's two exits. */
struct set_ctx {
    struct fc_state *st;
    struct set_iv *iv;
    size_t n;
    struct set_iv first;     /* the run's first term */
    struct fc_block *t, *f;  /* constant blocks holding the open exits */
    struct fc_block *src, *dst; /* the shared trees, once built */
    struct fc_frag *frag;
};

/* Dotted decimal, 1 to 4 parts each <= 255: the bits parsed, or 0. */
static int parse_dotted(const char *s, uint32_t *out)
{
    uint32_t a = 0;
    int parts = 0;

    for (;;) {
        uint32_t v = 0;
        int digits = 0;

        while (*s >= '0' && *s <= '9' && v <= 255) {
            v = v * 10 + (uint32_t)(*s++ - '0');
            digits++;
        }
        if (!digits || v > 255)
            return 0;
        a = a << 8 | v;
        parts++;
        if (!*s)
            break;
        if (*s++ != '.' || parts == 4)
            return 0;
    }
    *out = a;
    return 8 * parts;
}

/* A left-aligned dotted value (`10.1` is 10.1.0.0) and its mask. */
static int dotted_net(const char *s, uint32_t *a, uint32_t *m)
{
    int len = s ? parse_dotted(s, a) : 0;

    if (!len)
        return 0;
    *a = len < 32 ? *a << (32 - len) : *a;
    *m = len < 32 ? 0xffffffffu << (32 - len) : 0xffffffffu;
    return 1;
}

/* Address and mask of a `net` value the way gen_host.c reads it; 0 for
 * anything it would refuse (left to it, for its diagnostics). */
static int net_value(const struct fc_node *n, uint32_t *a, uint32_t *m)
{
    switch (n->form) {
    case FC_ID_NUM:
        *a = n->num;
        *m = 0xffffffffu;
        while (*a && !(*a & 0xff000000u)) {
            *a <<= 8;
            *m <<= 8;
        }
        return 1;
    case FC_ID_HID:
        return dotted_net(n->s, a, m);
    case FC_ID_HID_LEN:
        if (!dotted_net(n->s, a, m) || n->num > 32)
            return 0;
        *m = n->num ? 0xffffffffu << (32 - n->num) : 0;
        return !(*a & ~*m);
    case FC_ID_HID_MASK: {
        uint32_t mm;

        return dotted_net(n->s, a, &mm) && dotted_net(n->s2, m, &mm) &&
               !(*a & ~*m);
    }
    default:
        return 0;
    }
}

/* See filters_impl.h. */
int fc_set_term(const struct fc_node *n, uint32_t *lo, uint32_t *hi)
{
    uint32_t a, m;

    if (n->kind != FC_N_ID)
        return 0;
    if (n->q.proto != FC_P_DEFAULT && n->q.proto != FC_P_IP &&
        n->q.proto != FC_P_ARP && n->q.proto != FC_P_RARP)
        return 0;
    if (n->q.dir != FC_D_DEFAULT && n->q.dir != FC_D_OR &&
        n->q.dir != FC_D_SRC && n->q.dir != FC_D_DST)
        return 0;
    if (n->q.addr == FC_A_NET) {
        if (!net_value(n, &a, &m) || (~m & (~m + 1))) /* contiguous */
            return 0;
    } else if (n->q.addr == FC_A_HOST || n->q.addr == FC_A_DEFAULT) {
        m = 0xffffffffu;
        a = n->num;
        if (n->form != FC_ID_NUM &&
            (n->form != FC_ID_HID || parse_dotted(n->s, &a) != 32))
            return 0;
    } else {
        return 0;
    }
    *lo = a;
    *hi = a | ~m;
    return 1;
}

/* `src or dst` is the default direction. */
static int dir_class(int dir)
{
    return dir == FC_D_OR ? FC_D_DEFAULT : dir;
}

/* See filters_impl.h. */
size_t fc_set_run(const struct fc_state *st, struct fc_node *const *elem,
                  const int *is_or, size_t i, size_t n)
{
    uint32_t lo, hi;
    size_t j;
    if ((i > 0 && !is_or[i]) || !fc_set_term(elem[i], &lo, &hi))
        return 0;
    for (j = i + 1; j < n && is_or[j] && fc_set_term(elem[j], &lo, &hi);
         j++)
        if (elem[j]->q.proto != elem[i]->q.proto ||
            dir_class(elem[j]->q.dir) != dir_class(elem[i]->q.dir))
            break;
    return j - i >= SET_MIN_RUN ? j - i : 0;
}

static int iv_cmp(const void *a, const void *b)
{
    uint32_t x = ((const struct set_iv *)a)->lo;
    uint32_t y = ((const struct set_iv *)b)->lo;

    return (x > y) - (x < y);
}

/* A constant-true block whose only successor is a new open exit of the
 * group (true exits if @true_side): emission bypasses it. */
static struct fc_block *exit_block(struct set_ctx *c, int true_side)
{
    struct fc_block *b = fc_block_new(c->st, NULL, PF_CBPF_JEQ, 0);
    struct fc_exit *e = pf_arena_alloc(&c->st->arena, sizeof(*e));
    struct fc_frag *f = c->frag;

    if (!b || !e)
        return NULL;
    b->kind = FC_B_CONST;
    b->konst = 1;
    e->slot = &b->jt;
    e->next = NULL;
    if (true_side)
        f->t = f->t_tail = e;
    else
        f->f = f->f_tail = e;
    return b;
}

/* Moves every open exit of list @e to @target. */
static void patch(struct fc_exit *e, struct fc_block *target)
{
    for (; e; e = e->next)
        *e->slot = target;
}

/* Intervals v[0..n) in ascending order, tested one after the other:
 * a single address by `jeq`; a range by `jgt hi` (above: on to the
 * next) then `jge lo` (below: in none of the later ones either). The
 * first block gets @load; returns it, or NULL. */
static struct fc_block *chain(struct set_ctx *c, const struct set_iv *v,
                              size_t n, struct fc_slist *load,
                              struct fc_block *t, struct fc_block *f)
{
    struct fc_block *next = f, *b = NULL;

    for (size_t i = n; i-- > 0; next = b) {
        int range = v[i].lo != v[i].hi;
        struct fc_block *ge = NULL;

        if (range && !(ge = fc_block_new(c->st, NULL, PF_CBPF_JGE, v[i].lo)))
            return NULL;
        b = fc_block_new(c->st, i ? NULL : load,
                         range ? PF_CBPF_JGT : PF_CBPF_JEQ,
                         range ? v[i].hi : v[i].lo);
        if (!b)
            return NULL;
        b->jt = range ? next : t;
        b->jf = range ? ge : next;
        if (ge) {
            ge->jt = t;
            ge->jf = f;
        }
    }
    return b;
}

/* Is A in one of v[0..n) (sorted, disjoint)? Yes -> @t, no -> @f; the
 * root block gets @load. A balanced `jgt` tree over chains of at most
 * SET_LEAF intervals. (Exits far away need `ja` trampolines, one per
 * jump: emit.c adds them.) */
static struct fc_block *tree(struct set_ctx *c, const struct set_iv *v,
                             size_t n, struct fc_slist *load,
                             struct fc_block *t, struct fc_block *f)
{
    struct fc_block *b;
    size_t mid = n / 2;

    if (n <= SET_LEAF)
        return chain(c, v, n, load, t, f);
    b = fc_block_new(c->st, load, PF_CBPF_JGT, v[mid - 1].hi);
    if (!b)
        return NULL;
    b->jt = tree(c, v + mid, n - mid, NULL, t, f);
    b->jf = tree(c, v, mid, NULL, t, f);
    return b->jt && b->jf ? b : NULL;
}

/* @load, then the set test (true: the group's true exit, false: @f).
 * The first call builds the tree in *@shared; later ones only repeat
 * its root compare after their own load. */
static struct fc_block *set_test(struct set_ctx *c, struct fc_slist *load,
                                 struct fc_block *f, struct fc_block **shared)
{
    struct fc_block *b;

    if (!*shared)
        return *shared = tree(c, c->iv, c->n, load, c->t, f);
    b = fc_block_new(c->st, load, PF_CBPF_JEQ, (*shared)->jk);
    if (b) {
        b->jcode = (*shared)->jcode;
        b->jt = (*shared)->jt;
        b->jf = (*shared)->jf;
    }
    return b;
}

/* The statements loading the word at @off of the link-layer payload;
 * 0 or an error. */
static int load(struct set_ctx *c, uint32_t off, struct fc_slist *l)
{
    *l = (struct fc_slist){0};
    return fc_load_a(c->st, FC_OR_LINKPL, off, PF_CBPF_W, l) ? -1 : 0;
}

/* A protocol's tests after its type test, fields at @so/@do. */
static struct fc_block *fields(struct set_ctx *c, int dir, uint32_t so,
                               uint32_t dof)
{
    struct fc_slist l;
    struct fc_block *d, *b;
    uint32_t mask;

    if (dir == FC_D_SRC || dir == FC_D_DST)
        return load(c, dir == FC_D_SRC ? so : dof, &l)
                   ? NULL
                   : set_test(c, &l, c->f, dir == FC_D_SRC ? &c->src
                                                           : &c->dst);
    /* The source again (loaded on every path here, so it cannot fail)
     * against the set; then the destination's tree, of this protocol
     * only, as its false exit is this protocol's source test. */
    struct fc_block *s, *dst = NULL;

    if (load(c, so, &l) || !(s = set_test(c, &l, c->f, &c->src)))
        return NULL;
    mask = ~(c->first.hi - c->first.lo);
    if (load(c, dof, &l) || !(d = set_test(c, &l, s, &dst)) ||
        load(c, so, &l) ||
        (mask != 0xffffffffu &&
         fc_sadd(c->st, &l, PF_CBPF_ALU | PF_CBPF_AND | PF_CBPF_K, mask)) ||
        !(b = fc_block_new(c->st, &l, PF_CBPF_JEQ, c->first.lo)))
        return NULL;
    b->jt = c->t;
    b->jf = d;
    return b;
}

/* Enters protocol test @lt after the previous one's false exits
 * (*@pending); @lt's true exits go to the field tests. */
static int part(struct set_ctx *c, struct fc_frag *lt, int dir, uint32_t so,
                uint32_t dof, struct fc_exit **pending)
{
    struct fc_block *b;

    if (!lt || !(b = fields(c, dir, so, dof)))
        return -1;
    patch(lt->t, b);
    if (*pending)
        patch(*pending, lt->head);
    else
        c->frag->head = lt->head;
    *pending = lt->f;
    return 0;
}

/* The run's intervals, sorted, overlapping and adjacent ones merged. */
static int collect(struct set_ctx *c, struct fc_node *const *elem, size_t n)
{
    size_t u = 0;

    c->iv = pf_arena_alloc(&c->st->arena, n * sizeof(*c->iv));
    if (!c->iv)
        return -1;
    for (size_t i = 0; i < n; i++)
        fc_set_term(elem[i], &c->iv[i].lo, &c->iv[i].hi);
    c->first = c->iv[0];
    qsort(c->iv, n, sizeof(*c->iv), iv_cmp);
    for (size_t i = 0; i < n; i++) {
        struct set_iv *p = u ? &c->iv[u - 1] : NULL;

        if (p && (p->hi == 0xffffffffu || c->iv[i].lo <= p->hi + 1)) {
            if (c->iv[i].hi > p->hi)
                p->hi = c->iv[i].hi;
        } else {
            c->iv[u++] = c->iv[i];
        }
    }
    c->n = u;
    return 0;
}

/* The protocol tests of the group, in libpcap's order. */
static int parts(struct set_ctx *c, int proto, int dir)
{
    struct fc_state *st = c->st;
    struct fc_exit *pending = NULL;
    struct fc_frag *lt = NULL;
    int arp = proto == FC_P_ARP || proto == FC_P_RARP ||
              (proto == FC_P_DEFAULT && st->mpls_depth == 0);

    if ((proto == FC_P_DEFAULT || proto == FC_P_IP) &&
        part(c, fc_linktype(st, FC_ETHERTYPE_IP), dir, 12, 16, &pending))
        return -1;
    if (proto == FC_P_DEFAULT && arp)
        lt = fc_or(fc_linktype(st, FC_ETHERTYPE_ARP),
                   fc_linktype(st, FC_ETHERTYPE_REVARP));
    else if (arp)
        lt = fc_linktype(st, proto == FC_P_ARP ? FC_ETHERTYPE_ARP
                                               : FC_ETHERTYPE_REVARP);
    if (arp && part(c, lt, dir, 14, 24, &pending))
        return -1;
    patch(pending, c->f);
    return 0;
}

/* See filters_impl.h. */
struct fc_frag *fc_set_gen(struct fc_state *st, struct fc_node *const *elem,
                           size_t n)
{
    struct set_ctx c = {.st = st};
    int dir = dir_class(elem[0]->q.dir), r;

    st->col = elem[0]->col;
    st->end_col = elem[n - 1]->end_col;
    c.frag = pf_arena_alloc(&st->arena, sizeof(*c.frag));
    r = !c.frag || collect(&c, elem, n) || !(c.t = exit_block(&c, 1)) ||
        !(c.f = exit_block(&c, 0)) || parts(&c, elem[0]->q.proto, dir);
    if (!r)
        return c.frag;
    if (!st->err->err)
        fc_error(st, PF_COMPILE_LIMIT, "out of memory");
    return NULL;
}
