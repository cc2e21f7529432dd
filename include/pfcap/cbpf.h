/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Classic BPF: the instruction format, its validator (kernel and libpcap
 * profiles), an interpreter with libpcap's bpf_filter semantics (plus the
 * Linux ancillary loads when packet metadata is given), and text forms:
 * the disassembler prints exactly what `tcpdump -d`, `-dd` and `-ddd`
 * print, and the assembler reads the `-ddd` and `-d` formats back.
 */
#ifndef PFCAP_CBPF_H
#define PFCAP_CBPF_H

#include <stddef.h>
#include <stdint.h>

#include <pfcap/error.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Layout-identical to struct bpf_insn (libpcap) and struct sock_filter. */
struct pf_cbpf_insn {
    uint16_t code;
    uint8_t jt;
    uint8_t jf;
    uint32_t k;
};

/* A program: @len instructions at @insns (owned as documented per call). */
struct pf_cbpf_prog {
    struct pf_cbpf_insn *insns;
    size_t len;
};

/* Opcode fields (values are the classic BPF ones). */
#define PF_CBPF_CLASS(c) ((c) & 0x07)
#define PF_CBPF_LD 0x00
#define PF_CBPF_LDX 0x01
#define PF_CBPF_ST 0x02
#define PF_CBPF_STX 0x03
#define PF_CBPF_ALU 0x04
#define PF_CBPF_JMP 0x05
#define PF_CBPF_RET 0x06
#define PF_CBPF_MISC 0x07

#define PF_CBPF_SIZE(c) ((c) & 0x18)
#define PF_CBPF_W 0x00
#define PF_CBPF_H 0x08
#define PF_CBPF_B 0x10

#define PF_CBPF_MODE(c) ((c) & 0xe0)
#define PF_CBPF_IMM 0x00
#define PF_CBPF_ABS 0x20
#define PF_CBPF_IND 0x40
#define PF_CBPF_MEM 0x60
#define PF_CBPF_LEN 0x80
#define PF_CBPF_MSH 0xa0

#define PF_CBPF_OP(c) ((c) & 0xf0)
#define PF_CBPF_ADD 0x00
#define PF_CBPF_SUB 0x10
#define PF_CBPF_MUL 0x20
#define PF_CBPF_DIV 0x30
#define PF_CBPF_OR 0x40
#define PF_CBPF_AND 0x50
#define PF_CBPF_LSH 0x60
#define PF_CBPF_RSH 0x70
#define PF_CBPF_NEG 0x80
#define PF_CBPF_MOD 0x90
#define PF_CBPF_XOR 0xa0

#define PF_CBPF_JA 0x00
#define PF_CBPF_JEQ 0x10
#define PF_CBPF_JGT 0x20
#define PF_CBPF_JGE 0x30
#define PF_CBPF_JSET 0x40

#define PF_CBPF_SRC(c) ((c) & 0x08)
#define PF_CBPF_K 0x00
#define PF_CBPF_X 0x08

#define PF_CBPF_RVAL(c) ((c) & 0x18)
#define PF_CBPF_A 0x10

#define PF_CBPF_MISCOP(c) ((c) & 0xf8)
#define PF_CBPF_TAX 0x00
#define PF_CBPF_TXA 0x80

#define PF_CBPF_MEMWORDS 16
#define PF_CBPF_KERNEL_MAXINSNS 4096

/* Linux ancillary data: loads at SKF_AD_OFF + n, and negative bases. */
#define PF_CBPF_AD_OFF (-0x1000)
#define PF_CBPF_NET_OFF (-0x100000)
#define PF_CBPF_LL_OFF (-0x200000)
#define PF_CBPF_ANCILLARY(X)                                                   \
    X(PROTOCOL, 0, "proto")                                                    \
    X(PKTTYPE, 4, "type")                                                      \
    X(IFINDEX, 8, "ifidx")                                                     \
    X(NLATTR, 12, "nla")                                                       \
    X(NLATTR_NEST, 16, "nlan")                                                 \
    X(MARK, 20, "mark")                                                        \
    X(QUEUE, 24, "queue")                                                      \
    X(HATYPE, 28, "hatype")                                                    \
    X(RXHASH, 32, "rxhash")                                                    \
    X(CPU, 36, "cpu")                                                          \
    X(ALU_XOR_X, 40, "xor_x")                                                  \
    X(VLAN_TAG, 44, "vlan_tci")                                                \
    X(VLAN_TAG_PRESENT, 48, "vlanp")                                           \
    X(PAY_OFFSET, 52, "poff")                                                  \
    X(RANDOM, 56, "random")                                                    \
    X(VLAN_TPID, 60, "vlan_tpid")

enum pf_cbpf_ancillary {
#define PF_CBPF_AD_ENUM(name, off, text) PF_CBPF_AD_##name = off,
    PF_CBPF_ANCILLARY(PF_CBPF_AD_ENUM)
#undef PF_CBPF_AD_ENUM
};

/*
 * Packet metadata for ancillary loads (what AF_PACKET capture knows). When
 * the interpreter is given no metadata, ancillary and negative-offset loads
 * behave as libpcap's bpf_filter does: out of bounds, verdict 0.
 */
struct pf_cbpf_meta {
    uint32_t protocol;     /* ethertype, host order (ntohs(skb->protocol)) */
    uint32_t pkttype;      /* PACKET_HOST, PACKET_OUTGOING, ... */
    uint32_t ifindex;
    uint32_t mark;
    uint32_t queue;
    uint32_t hatype;       /* ARPHRD_* */
    uint32_t rxhash;
    uint32_t cpu;
    uint32_t vlan_tci;
    uint32_t vlan_present;
    uint32_t vlan_tpid;
    uint32_t random;
    uint32_t net_offset;   /* offset of the network header in the packet */
};

/* Validation profiles. */
enum pf_cbpf_profile {
    PF_CBPF_PROFILE_KERNEL,  /* Linux sk_chk_filter rules, M[] init rule */
    PF_CBPF_PROFILE_LIBPCAP, /* bpf_validate: backward ja, any length */
};

/* Validator rules; each refusal names one of these and an instruction. */
#define PF_CBPF_RULES(X)                                                       \
    X(EMPTY, "the program is empty")                                           \
    X(TOO_LONG, "the program is too long")                                     \
    X(BAD_OPCODE, "unknown opcode")                                            \
    X(JUMP_RANGE, "jump target out of range")                                  \
    X(JUMP_BACKWARD, "backward jump")                                          \
    X(JUMP_SELF, "jump to itself (infinite loop)")                             \
    X(DIV_ZERO, "division or modulo by constant 0")                            \
    X(SHIFT_RANGE, "shift by 32 or more")                                      \
    X(MEM_INDEX, "scratch memory index out of range")                          \
    X(NO_RET, "the program does not end in ret")                               \
    X(MEM_UNINIT, "scratch memory read before it is written")

enum pf_cbpf_rule {
    PF_CBPF_RULE_OK = 0,
#define PF_CBPF_RULE_ENUM(name, text) PF_CBPF_RULE_##name,
    PF_CBPF_RULES(PF_CBPF_RULE_ENUM)
#undef PF_CBPF_RULE_ENUM
};

/*
 * Checks @insns[0..len) against @profile. Returns 0, or -EINVAL with @err
 * naming the first offending instruction and the rule (err->code is an
 * enum pf_cbpf_rule).
 */
int pf_cbpf_validate(const struct pf_cbpf_insn *insns, size_t len,
                     enum pf_cbpf_profile profile, struct pf_error *err);

/*
 * Runs a program on one packet with libpcap's bpf_filter semantics: A and
 * X start at 0, a load past @caplen returns 0, division or modulo by X = 0
 * returns 0, `len` is @wirelen, ja offsets are sign-extended, and a bound
 * on backward jumps ends any loop with 0. Safe on unvalidated programs
 * (invalid opcodes and out-of-range jumps return 0). @meta may be NULL.
 * Returns the number of bytes to keep (0 = drop).
 */
uint32_t pf_cbpf_run(const struct pf_cbpf_insn *insns, size_t len,
                     const uint8_t *pkt, uint32_t wirelen, uint32_t caplen,
                     const struct pf_cbpf_meta *meta);

/*
 * pf_cbpf_run without its safety checks, for a program that passed
 * pf_cbpf_validate (either profile): same results, fewer instructions per
 * step. Undefined for programs that did not pass.
 */
uint32_t pf_cbpf_run_valid(const struct pf_cbpf_insn *insns, size_t len,
                           const uint8_t *pkt, uint32_t wirelen,
                           uint32_t caplen, const struct pf_cbpf_meta *meta);

/* Output formats of the disassembler. */
enum pf_cbpf_dump_fmt {
    PF_CBPF_DUMP_LISTING, /* tcpdump -d:   "(000) ldh      [12]" */
    PF_CBPF_DUMP_C,       /* tcpdump -dd:  "{ 0x28, 0, 0, 0x0000000c }," */
    PF_CBPF_DUMP_DECIMAL, /* tcpdump -ddd: count line, then "40 0 0 12" */
};

/*
 * Writes the text of one instruction (index @n, as tcpdump -d prints it,
 * without the newline) into @buf. Returns the length it wanted, like
 * snprintf.
 */
size_t pf_cbpf_disasm_insn(const struct pf_cbpf_insn *insn, size_t n,
                           char *buf, size_t len);

/*
 * Writes the whole program in @fmt, byte-identical to tcpdump's output
 * (newline-terminated lines), into @buf. Returns the length it wanted,
 * like snprintf; call with len 0 to size the buffer.
 */
size_t pf_cbpf_dump(const struct pf_cbpf_insn *insns, size_t len,
                    enum pf_cbpf_dump_fmt fmt, char *buf, size_t buflen);

/*
 * Parses program text: the `tcpdump -ddd` format (a count line, then
 * "code jt jf k" lines) or the `tcpdump -d` listing format, detected from
 * the text. On success *@out owns a malloc'd array (free with
 * pf_cbpf_prog_free). Errors: -EINVAL with @err naming line and column.
 */
int pf_cbpf_asm(const char *text, size_t textlen, struct pf_cbpf_prog *out,
                struct pf_error *err);

/* Frees the instructions of @prog (from pf_cbpf_asm) and zeroes it. */
void pf_cbpf_prog_free(struct pf_cbpf_prog *prog);

#ifdef __cplusplus
}
#endif

#endif
