/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The cBPF -> eBPF translator: lowers a classic BPF program into eBPF for
 * one of three targets, keeping libpcap's bpf_filter verdicts (A and X
 * start at 0, a load outside the captured bytes ends the program with 0,
 * division or modulo by X = 0 returns 0, shifts by X >= 32 give 0, M[] is
 * zero until written):
 *   - user:   pfcap's own engine (PF_EBPF_PROG_FILTER: r1 = packet, r2 =
 *             caplen, r3 = wirelen), direct loads behind hoisted and merged
 *             bounds checks;
 *   - socket: the kernel's BPF_PROG_TYPE_SOCKET_FILTER (LD_ABS/LD_IND,
 *             Linux ancillary loads read from struct __sk_buff);
 *   - xdp:    the kernel's BPF_PROG_TYPE_XDP (direct packet access behind
 *             data/data_end checks; accept = XDP_PASS, reject = XDP_DROP).
 * Loads at the Linux ancillary offsets (SKF_AD_OFF + n) read __sk_buff
 * fields or call helpers in the socket target (hatype, pay_offset and the
 * netlink ones are refused); in the user and xdp targets, which have no
 * packet metadata, they are out of bounds (verdict 0), as in libpcap's
 * bpf_filter. SKF_NET_OFF/SKF_LL_OFF absolute loads keep the kernel's
 * meaning in the socket target; X + k is never taken modulo 2^32. The user
 * target assumes packets shorter than 2^31 bytes, xdp shorter than 64 KiB.
 * Jumps too far for eBPF's 16-bit offsets (filters with thousands of
 * hosts) become `gotol` (BPF_JMP32 | BPF_JA, 32-bit offset in imm; Linux
 * takes it since 6.4), behind the inverted compare when conditional; for
 * the kernel targets the distance is measured as the kernel may grow it
 * when it rewrites LD_ABS/LD_IND, context loads and divisions.
 * Backward jumps (the loop libpcap emits for protochain) are refused for
 * every target: neither pfcap's verifier nor the kernel's takes the loop,
 * so such programs stay on the cBPF interpreter.
 */
#ifndef PFCAP_TRANSLATE_H
#define PFCAP_TRANSLATE_H

#include <stddef.h>
#include <stdint.h>

#include <pfcap/cbpf.h>
#include <pfcap/ebpf.h>
#include <pfcap/error.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PF_TRANSLATE_TARGETS(X)                                                \
    X(USER, "user")                                                            \
    X(SOCKET, "socket")                                                        \
    X(XDP, "xdp")

enum pf_translate_target {
#define PF_TRANSLATE_TARGET_ENUM(name, text) PF_TRANSLATE_##name,
    PF_TRANSLATE_TARGETS(PF_TRANSLATE_TARGET_ENUM)
#undef PF_TRANSLATE_TARGET_ENUM
};

/* Where the socket target reads cBPF `len` (the packet's wire length). */
enum pf_translate_len {
    PF_TRANSLATE_LEN_SKB = 0, /* __sk_buff.len: live sockets */
    PF_TRANSLATE_LEN_CB0 = 1, /* __sk_buff.cb[0]: BPF_PROG_TEST_RUN over
                                 capture files, the caller stores wirelen */
};

struct pf_translate_opts {
    size_t sz;                       /* sizeof(struct pf_translate_opts) */
    enum pf_translate_target target;
    enum pf_translate_len len_from;  /* socket target only */
};

/* Reasons the translator refuses a program (err->code, stage TRANSLATE). */
#define PF_TRANSLATE_CODES(X)                                                  \
    X(INVALID, "invalid instruction: %s")                                      \
    X(BACKWARD_JUMP, "backward jump (a loop, as protochain makes) cannot "     \
                     "be expressed for the %s target")                         \
    X(ANCILLARY, "ancillary load %s is not available to the %s target")       \
    X(TOO_FAR, "jump from eBPF instruction %zu spans more than 32767 "        \
               "instructions")                                                 \
    X(OPTS, "unknown target or option")                                        \
    X(NOMEM, "out of memory")

enum pf_translate_code {
    PF_TRANSLATE_OK = 0,
#define PF_TRANSLATE_CODE_ENUM(name, msg) PF_TRANSLATE_ERR_##name,
    PF_TRANSLATE_CODES(PF_TRANSLATE_CODE_ENUM)
#undef PF_TRANSLATE_CODE_ENUM
};

/*
 * Translates @insns[0..@len) (which must pass pf_cbpf_validate's libpcap
 * profile) for @opts->target (@opts NULL = user target). On success *@out
 * holds a malloc'd eBPF program (free out->insns with free()) that runs
 * with the target's calling convention and returns the cBPF verdict.
 * Errors (stage PF_STAGE_TRANSLATE, err->insn = cBPF index): -EINVAL (an
 * invalid program, or opts), -ENOTSUP (a loop, or an ancillary load the
 * target cannot express), -E2BIG (a jump too long for eBPF), -ENOMEM.
 * *@out is untouched on error.
 */
int pf_translate(const struct pf_cbpf_insn *insns, size_t len,
                 const struct pf_translate_opts *opts,
                 struct pf_ebpf_prog *out, struct pf_error *err);

/* Name of a target ("user", "socket", "xdp"); NULL if out of range. */
const char *pf_translate_target_name(enum pf_translate_target target);

/* Parses a target name; 0 or -EINVAL. */
int pf_translate_target_from_name(const char *name,
                                  enum pf_translate_target *out);

#ifdef __cplusplus
}
#endif

#endif
