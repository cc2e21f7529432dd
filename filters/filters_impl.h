/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Private types of the filter compiler: tokens, qualifiers, the AST with
 * source spans, and the control-flow graph that code generation builds
 * (basic blocks of cBPF statements ending in one conditional jump, wired
 * together by patching lists of open exits, as libpcap's gencode does).
 * Everything lives in one arena owned by struct fc_state.
 */
#ifndef PF_FILTERS_IMPL_H
#define PF_FILTERS_IMPL_H

#include <stdint.h>

#include <pfcap/cbpf.h>
#include <pfcap/compile.h>
#include <pfcap/error.h>

#include "common/arena.h"

/* ---- tokens ---------------------------------------------------------- */

/* Token kinds: literals, operators, then one per keyword. */
#define FC_TOKENS(X)                                                           \
    X(EOF) X(ERROR) X(ID) X(NUM) X(HID) X(HID6) X(EID) X(AID)                \
    X(LPAREN) X(RPAREN) X(LBRACK) X(RBRACK) X(COLON) X(PLUS) X(MINUS)        \
    X(STAR) X(SLASH) X(PERCENT) X(AMP) X(PIPE) X(CARET) X(LT) X(GT) X(EQ)    \
    X(GEQ) X(LEQ) X(NEQ) X(LSH) X(RSH) X(AND) X(OR) X(NOT)                   \
    X(DST) X(SRC) X(LINK) X(ARP) X(RARP) X(IP) X(SCTP) X(TCP) X(UDP)         \
    X(ICMP) X(IGMP) X(IGRP) X(PIM) X(VRRP) X(CARP) X(RADIO) X(IPV6)          \
    X(ICMPV6) X(AH) X(ESP) X(ATALK) X(AARP) X(DECNET) X(LAT) X(SCA)          \
    X(MOPRC) X(MOPDL) X(ISO) X(ESIS) X(ISIS) X(L1) X(L2) X(IIH) X(LSP)       \
    X(SNP) X(CSNP) X(PSNP) X(CLNP) X(STP) X(IPX) X(NETBEUI) X(HOST) X(NET)   \
    X(NETMASK) X(PORT) X(PORTRANGE) X(PROTO) X(PROTOCHAIN) X(GATEWAY)        \
    X(TYPE) X(SUBTYPE) X(DIR) X(ADDR1) X(ADDR2) X(ADDR3) X(ADDR4) X(RA)      \
    X(TA) X(LESS) X(GREATER) X(CBYTE) X(BROADCAST) X(MULTICAST) X(LEN)       \
    X(INBOUND) X(OUTBOUND) X(IFINDEX) X(VLAN) X(MPLS) X(PPPOED) X(PPPOES)    \
    X(GENEVE) X(LANE) X(LLC) X(METAC) X(BCC) X(OAM) X(OAMF4) X(OAMF4EC)      \
    X(OAMF4SC) X(SC) X(ILMIC) X(VPI) X(VCI) X(CONNECTMSG) X(METACONNECT)     \
    X(PF_IFNAME) X(PF_RSET) X(PF_RNR) X(PF_SRNR) X(PF_REASON) X(PF_ACTION)   \
    X(FISU) X(LSSU) X(MSU) X(HFISU) X(HLSSU) X(HMSU) X(SIO) X(OPC) X(DPC)    \
    X(SLS) X(HSIO) X(HOPC) X(HDPC) X(HSLS)

enum fc_tok {
#define FC_TOK_ENUM(name) FC_T_##name,
    FC_TOKENS(FC_TOK_ENUM)
#undef FC_TOK_ENUM
    FC_T_COUNT
};

struct fc_token {
    enum fc_tok kind;
    int col, end_col;     /* 1-based span [col, end_col) */
    uint32_t num;         /* FC_T_NUM */
    const char *text;     /* NUL-terminated copy (ID, HID, EID, ...) */
};

/* ---- qualifiers (values follow libpcap's Q_* numbering) -------------- */

enum fc_pq {
    FC_P_DEFAULT = 0, FC_P_LINK, FC_P_IP, FC_P_ARP, FC_P_RARP, FC_P_SCTP,
    FC_P_TCP, FC_P_UDP, FC_P_ICMP, FC_P_IGMP, FC_P_IGRP, FC_P_ATALK,
    FC_P_DECNET, FC_P_LAT, FC_P_SCA, FC_P_MOPRC, FC_P_MOPDL, FC_P_IPV6,
    FC_P_ICMPV6, FC_P_AH, FC_P_ESP, FC_P_PIM, FC_P_VRRP, FC_P_AARP,
    FC_P_ISO, FC_P_ESIS, FC_P_ISIS, FC_P_CLNP, FC_P_STP, FC_P_IPX,
    FC_P_NETBEUI, FC_P_ISIS_L1, FC_P_ISIS_L2, FC_P_ISIS_IIH, FC_P_ISIS_SNP,
    FC_P_ISIS_CSNP, FC_P_ISIS_PSNP, FC_P_ISIS_LSP, FC_P_RADIO, FC_P_CARP,
    FC_P_UNDEF = 255,
};

enum fc_aq {
    FC_A_DEFAULT = 0, FC_A_HOST, FC_A_NET, FC_A_PORT, FC_A_GATEWAY,
    FC_A_PROTO, FC_A_PROTOCHAIN, FC_A_PORTRANGE, FC_A_UNDEF = 255,
};

enum fc_dq {
    FC_D_DEFAULT = 0, FC_D_SRC, FC_D_DST, FC_D_OR, FC_D_AND, FC_D_ADDR1,
    FC_D_ADDR2, FC_D_ADDR3, FC_D_ADDR4, FC_D_RA, FC_D_TA, FC_D_UNDEF = 255,
};

struct fc_qual {
    uint8_t proto, dir, addr;
};

/* ---- AST -------------------------------------------------------------- */

enum fc_node_kind {
    FC_N_AND, FC_N_OR, FC_N_NOT,
    FC_N_ID,      /* qualified identifier: host/net/port... value */
    FC_N_PNAME,   /* protocol keyword alone: tcp, ip6, stp... */
    FC_N_REL,     /* arth relop arth */
    FC_N_OTHER,   /* broadcast, less, vlan, llc, 802.11, pf... */
};

/* Forms of an identifier (what the lexer saw). */
enum fc_id_form {
    FC_ID_NAME, FC_ID_NUM, FC_ID_HID, FC_ID_HID_LEN, FC_ID_HID_MASK,
    FC_ID_HID6, FC_ID_HID6_LEN, FC_ID_EID, FC_ID_AID,
};

enum fc_arth_kind { FC_AR_NUM, FC_AR_LOAD, FC_AR_LEN, FC_AR_BIN, FC_AR_NEG };

struct fc_arth {
    enum fc_arth_kind kind;
    int col, end_col;
    uint32_t k;           /* NUM value; LOAD size; BIN cBPF ALU op */
    int proto;            /* LOAD: enum fc_pq */
    struct fc_arth *l, *r;
};

struct fc_node {
    enum fc_node_kind kind;
    int col, end_col;
    struct fc_node *l, *r;      /* AND/OR/NOT */
    struct fc_qual q;           /* ID */
    enum fc_id_form form;       /* ID */
    const char *s, *s2;         /* ID text; second HID of `mask` */
    uint32_t num, num2;         /* ID number / prefix; OTHER arguments */
    int has_num, has_num2;
    int sub;                    /* PNAME: enum fc_pq; OTHER: token kind */
    int proto;                  /* OTHER: pqual for broadcast/multicast */
    struct fc_arth *a0, *a1;    /* REL */
    int relop, reversed;        /* REL: cBPF jump op, negate result */
};

/* ---- control-flow graph ------------------------------------------------ */

struct fc_stmt {
    uint16_t code;
    uint32_t k;
    struct fc_stmt *next;
};

struct fc_slist {
    struct fc_stmt *head, *tail;
};

/* Leaf kinds: a block that is a `ret`, or a constant condition. */
enum fc_blk_kind { FC_B_JUMP, FC_B_ACCEPT, FC_B_REJECT, FC_B_CONST };

/*
 * A basic block: statements that compute A (the values it loads are
 * explicit in @stmts), then `jcode #jk` with successors jt/jf. CONST
 * blocks have no code and always take jt (konst=1) or jf (konst=0).
 */
struct fc_block {
    enum fc_blk_kind kind;
    struct fc_slist stmts;
    uint16_t jcode;
    uint32_t jk;
    int konst;
    struct fc_block *jt, *jf;
    unsigned id;
    long pos;                /* emit: first instruction index */
    long len;                /* emit: instructions from here to the end */
    int tramp_t, tramp_f;    /* emit: jt/jf go through a `ja` */
    int fall;                /* emit: both edges go to the next block */
    int mark;
};

/* An open exit: a successor slot still to be patched. */
struct fc_exit {
    struct fc_block **slot;
    struct fc_exit *next;
};

/* A sub-graph under construction: its entry and its open exits. */
struct fc_frag {
    struct fc_block *head;
    struct fc_exit *t, *t_tail, *f, *f_tail;
};

/* ---- code generation state ------------------------------------------- */

/* An offset that is constant, or constant plus the value in M[reg]. */
struct fc_off {
    int is_variable;
    uint32_t constant_part;
    int reg;
};

struct fc_state {
    struct pf_arena arena;
    struct pf_error *err;
    const char *src;
    struct pf_compile_opts opts;
    int col, end_col;            /* span of the node being generated */

    int linktype;                /* current (pushed by pppoes...) */
    int prevlinktype;
    struct fc_off off_linkhdr, off_prevlinkhdr, off_linktype, off_linkpl;
    uint32_t off_nl, off_nl_nosnap;
    int is_pppoes, is_geneve;
    int no_optimize;             /* protochain: libpcap skips its optimiser */
    int is_vlan_vloffset;        /* live vlan: offsets kept in M[] */
    int vlan_depth, mpls_depth;
    int regs_used[PF_CBPF_MEMWORDS];
    int curreg;
    unsigned nblocks;
    struct fc_block *accept, *reject;
};

/* Records an error at the current node's span; returns -EINVAL. */
int fc_error(struct fc_state *st, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Like fc_error with an explicit span. */
int fc_error_at(struct fc_state *st, int code, int col, int end_col,
                const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* lex.c: splits @src into tokens (arena); *@n is the count incl. EOF. */
int fc_lex(struct fc_state *st, const char *src, struct fc_token **toks,
           size_t *n);
const char *fc_tok_name(enum fc_tok t);

/* parse.c: builds the AST; *@root is NULL for an empty expression. */
int fc_parse(struct fc_state *st, struct fc_token *toks, size_t n,
             struct fc_node **root);

/* cfg.c: statements, blocks and the and/or/not combinators. */
struct fc_stmt *fc_stmt_new(struct fc_state *st, uint16_t code, uint32_t k);
void fc_sappend(struct fc_slist *l, struct fc_stmt *s);
/* Appends a new `code k` statement to @l; 0 or -ENOMEM. */
int fc_sadd(struct fc_state *st, struct fc_slist *l, uint16_t code, uint32_t k);
void fc_scat(struct fc_slist *a, struct fc_slist *b);
struct fc_frag *fc_jump(struct fc_state *st, struct fc_slist *stmts,
                        uint16_t jop, uint32_t k);
struct fc_frag *fc_const(struct fc_state *st, int value);
/* A bare block whose successors the caller wires itself. */
struct fc_block *fc_block_new(struct fc_state *st, struct fc_slist *stmts,
                              uint16_t jop, uint32_t k);
/* A fragment entered at @head whose only open exits are @last's. */
struct fc_frag *fc_frag_wrap(struct fc_state *st, struct fc_block *head,
                             struct fc_block *last);
struct fc_frag *fc_and_(struct fc_frag *a, struct fc_frag *b);
struct fc_frag *fc_or_(struct fc_frag *a, struct fc_frag *b);
/*
 * `fc_and(f(st), g(st))` must generate f before g, as libpcap does
 * (register allocation and layout changes happen in generation order),
 * and C leaves argument evaluation order unspecified: these force it.
 */
#define FC_CAT_(x, y) x##y
#define FC_CAT(x, y) FC_CAT_(x, y)
#define FC_SEQ_(fn, a, b, v)                                                   \
    __extension__({                                                            \
        struct fc_frag *v = (a);                                               \
        fn(v, (b));                                                            \
    })
#define fc_and(a, b) FC_SEQ_(fc_and_, a, b, FC_CAT(fc_seq_, __COUNTER__))
#define fc_or(a, b) FC_SEQ_(fc_or_, a, b, FC_CAT(fc_seq_, __COUNTER__))
struct fc_frag *fc_not(struct fc_frag *a);
int fc_finish(struct fc_state *st, struct fc_frag *root);

/* emit.c: the CFG as a linear program with `ja` trampolines. */
int fc_emit(struct fc_state *st, struct fc_block *root,
            struct pf_cbpf_prog *out);

/* opt.c: known values, redundant loads, jump threading, then opt_merge.c;
 * verdicts unchanged (truncated packets too). *@rootp may change. */
int fc_optimize(struct fc_state *st, struct fc_block **rootp);
/* opt_merge.c: shares identical blocks, folds straight-line pairs. */
int fc_opt_merge(struct fc_state *st, struct fc_block **rootp);
/* cfg.c: post-order (successors first, jf before jt) of the blocks
 * reachable from @root in a malloc'd *@order of *@n, edges through
 * constant blocks shortened; 0 or -ENOMEM (*@order may need freeing
 * either way). */
int fc_postorder(struct fc_state *st, struct fc_block *root,
                 struct fc_block ***order, size_t *n);
/* cfg.c: @b, or the block a chain of constant blocks from @b leads to. */
struct fc_block *fc_skip_const(struct fc_block *b);

/* reject.c: does the optimiser prove that nothing is accepted? */
int fc_rejects_all(struct fc_state *st, struct fc_block *root);

/* Load bases, as libpcap's enum e_offrel. */
enum fc_rel {
    FC_OR_PACKET, FC_OR_LINKHDR, FC_OR_PREVLINKHDR, FC_OR_LLC,
    FC_OR_PREVMPLSHDR, FC_OR_LINKTYPE, FC_OR_LINKPL, FC_OR_LINKPL_NOSNAP,
    FC_OR_TRAN_IPV4, FC_OR_TRAN_IPV6,
};

/* gen_load.c: loads and comparisons relative to the link layout. */
int fc_load_a(struct fc_state *st, enum fc_rel rel, uint32_t off,
              uint32_t size, struct fc_slist *out);
struct fc_frag *fc_ncmp(struct fc_state *st, enum fc_rel rel, uint32_t off,
                        uint32_t size, uint32_t mask, uint16_t jop,
                        int reverse, uint32_t v);
struct fc_frag *fc_cmp(struct fc_state *st, enum fc_rel rel, uint32_t off,
                       uint32_t size, uint32_t v);
struct fc_frag *fc_mcmp(struct fc_state *st, enum fc_rel rel, uint32_t off,
                        uint32_t size, uint32_t v, uint32_t mask);
struct fc_frag *fc_bcmp(struct fc_state *st, enum fc_rel rel, uint32_t off,
                        uint32_t size, const uint8_t *v);
int fc_loadx_iphdrlen(struct fc_state *st, struct fc_slist *out);
int fc_reg_alloc(struct fc_state *st);
void fc_reg_free(struct fc_state *st, int reg);

/* gen_link.c: link-layer layout and protocol tests. */
int fc_link_init(struct fc_state *st);
struct fc_frag *fc_linktype(struct fc_state *st, uint32_t ll_proto);
struct fc_frag *fc_llc(struct fc_state *st);
struct fc_frag *fc_snap(struct fc_state *st, uint32_t orgcode,
                        uint32_t ptype);
struct fc_frag *fc_ehostop(struct fc_state *st, const uint8_t *mac, int dir);
struct fc_frag *fc_link_broadcast(struct fc_state *st);
struct fc_frag *fc_link_multicast(struct fc_state *st);
int fc_link_is_ether_like(const struct fc_state *st);
int fc_link_prologue(struct fc_state *st, struct fc_slist *out);
/* The register holding a variable offset, allocated on first use. */
int fc_off_reg(struct fc_state *st, struct fc_off *o);

/* gen_wlan.c: IEEE 802.11 (plain and radiotap). */
int fc_link_is_wlan(const struct fc_state *st);
struct fc_frag *fc_wlan_data_frame(struct fc_state *st);
struct fc_frag *fc_wlan_linktype(struct fc_state *st, uint32_t p);
struct fc_block *fc_wlan_prologue(struct fc_state *st, struct fc_block *next);
struct fc_frag *fc_wlan_fc(struct fc_state *st, struct fc_node *n);
struct fc_frag *fc_wlan_hostop(struct fc_state *st, const uint8_t *mac,
                               int dir);
struct fc_frag *fc_wlan_multicast(struct fc_state *st);

/* gen_geneve.c: Geneve tunnels. */
struct fc_frag *fc_geneve(struct fc_state *st, uint32_t vni, int has_vni);
struct fc_frag *fc_geneve_ll_check(struct fc_state *st);

/* gen_encap.c: vlan, mpls, pppoe, and the other stacking primitives. */
struct fc_frag *fc_gen_other(struct fc_state *st, struct fc_node *n);

/* gen_proto.c: protocol keywords, ip proto, fragments, ports. */
struct fc_frag *fc_proto_abbrev(struct fc_state *st, int proto);
struct fc_frag *fc_gen_proto(struct fc_state *st, uint32_t v, int proto,
                             int dir);
struct fc_frag *fc_ipfrag(struct fc_state *st);
struct fc_frag *fc_gen_port(struct fc_state *st, int lo, int hi,
                            int ipproto, int dir, int v6);
struct fc_frag *fc_protochain(struct fc_state *st, uint32_t v, int proto);

/* gen_host.c: identifiers with qualifiers (host, net, port...). */
struct fc_frag *fc_gen_id(struct fc_state *st, struct fc_node *n);

/* gen_set.c: host lists as set tests. */
/* 1 and its addresses @lo..@hi if @n is an IPv4 `[ip|arp|rarp]
 * [src|dst] host A.B.C.D` or `net` (contiguous mask) term that a set
 * group can hold, else 0. */
int fc_set_term(const struct fc_node *n, uint32_t *lo, uint32_t *hi);
/* The length of the groupable run of @elem[@i..@n) (or-ed: is_or[j],
 * is_or[0] unused), 0 if it is too short to group. */
size_t fc_set_run(const struct fc_state *st, struct fc_node *const *elem,
                  const int *is_or, size_t i, size_t n);
/* The or of the @n host/net terms @elem as one group; NULL on error. */
struct fc_frag *fc_set_gen(struct fc_state *st, struct fc_node *const *elem,
                           size_t n);

/* gen_arith.c: arithmetic expressions and relations. */
struct fc_frag *fc_gen_rel(struct fc_state *st, struct fc_node *n);

/* names.c: name lookups (services, protocols, hosts, ethers). */
int fc_name_port(const char *name, int *port, int *proto);
int fc_name_portrange(const char *name, int *lo, int *hi, int *proto);
int fc_name_proto(const char *name, int proto);
int fc_name_llproto(const char *name);

/* IP protocol numbers and ether types used across generators. */
#define FC_ETHERTYPE_IP 0x0800
#define FC_ETHERTYPE_ARP 0x0806
#define FC_ETHERTYPE_REVARP 0x8035
#define FC_ETHERTYPE_IPV6 0x86dd
#define FC_ETHERTYPE_8021Q 0x8100
#define FC_ETHERTYPE_8021AD 0x88a8
#define FC_ETHERTYPE_8021QINQ 0x9100
#define FC_ETHERTYPE_MPLS 0x8847
#define FC_ETHERTYPE_MPLS_MULTI 0x8848
#define FC_ETHERTYPE_PPPOED 0x8863
#define FC_ETHERTYPE_PPPOES 0x8864
#define FC_ETHERTYPE_ATALK 0x809b
#define FC_ETHERTYPE_AARP 0x80f3
#define FC_ETHERTYPE_IPX 0x8137
#define FC_ETHERTYPE_DN 0x6003
#define FC_ETHERTYPE_LAT 0x6004
#define FC_ETHERTYPE_SCA 0x6007
#define FC_ETHERTYPE_MOPRC 0x6002
#define FC_ETHERTYPE_MOPDL 0x6001
#define FC_ETHERTYPE_NS 0x0600
#define FC_ETHERMTU 1500
#define FC_LLCSAP_IP 0x06
#define FC_LLCSAP_ISONS 0xfe
#define FC_LLCSAP_NETBEUI 0xf0
#define FC_LLCSAP_IPX 0xe0
#define FC_LLCSAP_8021D 0x42

#define FC_IPPROTO_ICMP 1
#define FC_IPPROTO_IGMP 2
#define FC_IPPROTO_TCP 6
#define FC_IPPROTO_IGRP 9
#define FC_IPPROTO_UDP 17
#define FC_IPPROTO_FRAGMENT 44
#define FC_IPPROTO_ESP 50
#define FC_IPPROTO_AH 51
#define FC_IPPROTO_ICMPV6 58
#define FC_IPPROTO_PIM 103
#define FC_IPPROTO_VRRP 112
#define FC_IPPROTO_CARP 112
#define FC_IPPROTO_SCTP 132
#define FC_PROTO_UNDEF (-1)

/* cBPF helpers. */
#define FC_LD(size, mode) ((uint16_t)(PF_CBPF_LD | (size) | (mode)))
#define FC_JMP(op) ((uint16_t)(PF_CBPF_JMP | (op) | PF_CBPF_K))

#endif
