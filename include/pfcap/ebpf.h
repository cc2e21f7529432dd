/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * eBPF: the instruction format (RFC 9669), shared by the verifier,
 * interpreter, x86-64 JIT, ELF reader/writer and kernel loader in ebpf/,
 * and by the cBPF->eBPF translator in translate/. Below the format: opcode
 * fields with the kernel's values, instruction constructors in the style of
 * the kernel's include/linux/filter.h, the program types pfcap runs itself,
 * the verifier, a VM handle (interpreter + x86-64 JIT) and the text forms
 * (llvm-objdump style disassembler and an assembler that reads it back).
 */
#ifndef PFCAP_EBPF_H
#define PFCAP_EBPF_H

#include <stddef.h>
#include <stdint.h>

#include <pfcap/error.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Layout-identical to the kernel's struct bpf_insn. */
struct pf_ebpf_insn {
    uint8_t code;
    uint8_t dst_reg : 4;
    uint8_t src_reg : 4;
    int16_t off;
    int32_t imm;
};

/* A program: @len instructions at @insns. */
struct pf_ebpf_prog {
    struct pf_ebpf_insn *insns;
    size_t len;
};

/* ---- Opcode fields (values are the kernel's) ---------------------------- */

#define PF_EBPF_CLASS(c) ((c) & 0x07)
#define PF_EBPF_LD 0x00
#define PF_EBPF_LDX 0x01
#define PF_EBPF_ST 0x02
#define PF_EBPF_STX 0x03
#define PF_EBPF_ALU 0x04
#define PF_EBPF_JMP 0x05
#define PF_EBPF_JMP32 0x06
#define PF_EBPF_ALU64 0x07

#define PF_EBPF_SIZE(c) ((c) & 0x18)
#define PF_EBPF_W 0x00
#define PF_EBPF_H 0x08
#define PF_EBPF_B 0x10
#define PF_EBPF_DW 0x18

#define PF_EBPF_MODE(c) ((c) & 0xe0)
#define PF_EBPF_IMM 0x00
#define PF_EBPF_ABS 0x20
#define PF_EBPF_IND 0x40
#define PF_EBPF_MEM 0x60
#define PF_EBPF_MEMSX 0x80
#define PF_EBPF_ATOMIC 0xc0

#define PF_EBPF_OP(c) ((c) & 0xf0)
#define PF_EBPF_ADD 0x00
#define PF_EBPF_SUB 0x10
#define PF_EBPF_MUL 0x20
#define PF_EBPF_DIV 0x30
#define PF_EBPF_OR 0x40
#define PF_EBPF_AND 0x50
#define PF_EBPF_LSH 0x60
#define PF_EBPF_RSH 0x70
#define PF_EBPF_NEG 0x80
#define PF_EBPF_MOD 0x90
#define PF_EBPF_XOR 0xa0
#define PF_EBPF_MOV 0xb0
#define PF_EBPF_ARSH 0xc0
#define PF_EBPF_END 0xd0

#define PF_EBPF_JA 0x00
#define PF_EBPF_JEQ 0x10
#define PF_EBPF_JGT 0x20
#define PF_EBPF_JGE 0x30
#define PF_EBPF_JSET 0x40
#define PF_EBPF_JNE 0x50
#define PF_EBPF_JSGT 0x60
#define PF_EBPF_JSGE 0x70
#define PF_EBPF_CALL 0x80
/* PF_EBPF_EXIT is an enumerator so that the constructor PF_EBPF_EXIT() can
 * share its name (a function-like macro only expands before a '('). */
enum { PF_EBPF_EXIT = 0x90 };
#define PF_EBPF_JLT 0xa0
#define PF_EBPF_JLE 0xb0
#define PF_EBPF_JSLT 0xc0
#define PF_EBPF_JSLE 0xd0

#define PF_EBPF_SRC(c) ((c) & 0x08)
#define PF_EBPF_K 0x00
#define PF_EBPF_X 0x08
/* BPF_END direction (the source bit) */
#define PF_EBPF_TO_LE 0x00
#define PF_EBPF_TO_BE 0x08

/* Atomic operations (imm of STX|ATOMIC) */
#define PF_EBPF_FETCH 0x01
#define PF_EBPF_XCHG (0xe0 | PF_EBPF_FETCH)
#define PF_EBPF_CMPXCHG (0xf0 | PF_EBPF_FETCH)

/* Registers */
#define PF_EBPF_R0 0
#define PF_EBPF_R1 1
#define PF_EBPF_R2 2
#define PF_EBPF_R3 3
#define PF_EBPF_R4 4
#define PF_EBPF_R5 5
#define PF_EBPF_R6 6
#define PF_EBPF_R7 7
#define PF_EBPF_R8 8
#define PF_EBPF_R9 9
#define PF_EBPF_R10 10
#define PF_EBPF_NREGS 11
#define PF_EBPF_STACK_SIZE 512

/* Helper functions a program may call (kernel numbering). */
#define PF_EBPF_FUNC_get_prandom_u32 7
#define PF_EBPF_FUNC_skb_load_bytes 26

/* ---- Instruction constructors (compound literals, kernel style) --------- */

#define PF_EBPF_INSN(CODE, DST, SRC, OFF, IMM)                                 \
    ((struct pf_ebpf_insn){.code = (CODE),                                     \
                           .dst_reg = (DST),                                   \
                           .src_reg = (SRC),                                   \
                           .off = (OFF),                                       \
                           .imm = (IMM)})

/* dst op= src / dst op= imm, 64 and 32 bit */
#define PF_EBPF_ALU64_REG(OP, DST, SRC)                                        \
    PF_EBPF_INSN(PF_EBPF_ALU64 | (OP) | PF_EBPF_X, DST, SRC, 0, 0)
#define PF_EBPF_ALU32_REG(OP, DST, SRC)                                        \
    PF_EBPF_INSN(PF_EBPF_ALU | (OP) | PF_EBPF_X, DST, SRC, 0, 0)
#define PF_EBPF_ALU64_IMM(OP, DST, IMM)                                        \
    PF_EBPF_INSN(PF_EBPF_ALU64 | (OP) | PF_EBPF_K, DST, 0, 0, IMM)
#define PF_EBPF_ALU32_IMM(OP, DST, IMM)                                        \
    PF_EBPF_INSN(PF_EBPF_ALU | (OP) | PF_EBPF_K, DST, 0, 0, IMM)
#define PF_EBPF_MOV64_REG(DST, SRC) PF_EBPF_ALU64_REG(PF_EBPF_MOV, DST, SRC)
#define PF_EBPF_MOV32_REG(DST, SRC) PF_EBPF_ALU32_REG(PF_EBPF_MOV, DST, SRC)
#define PF_EBPF_MOV64_IMM(DST, IMM) PF_EBPF_ALU64_IMM(PF_EBPF_MOV, DST, IMM)
#define PF_EBPF_MOV32_IMM(DST, IMM) PF_EBPF_ALU32_IMM(PF_EBPF_MOV, DST, IMM)
/* dst = bswap/convert: TYPE is PF_EBPF_TO_BE or PF_EBPF_TO_LE, LEN 16/32/64 */
#define PF_EBPF_ENDIAN(TYPE, DST, LEN)                                         \
    PF_EBPF_INSN(PF_EBPF_ALU | PF_EBPF_END | (TYPE), DST, 0, 0, LEN)
#define PF_EBPF_BSWAP(DST, LEN)                                                \
    PF_EBPF_INSN(PF_EBPF_ALU64 | PF_EBPF_END, DST, 0, 0, LEN)

/* dst = 64-bit immediate: two instructions, use both in an initializer. */
#define PF_EBPF_LD_IMM64(DST, IMM)                                             \
    PF_EBPF_INSN(PF_EBPF_LD | PF_EBPF_DW | PF_EBPF_IMM, DST, 0, 0,             \
                 (int32_t)(uint32_t)(uint64_t)(IMM)),                          \
        PF_EBPF_INSN(0, 0, 0, 0, (int32_t)(uint32_t)((uint64_t)(IMM) >> 32))

/* Legacy packet loads (socket programs): r0 = ntoh(*(size *)skb[IMM]) and
 * r0 = ntoh(*(size *)skb[SRC + IMM]). */
#define PF_EBPF_LD_ABS(SIZE, IMM)                                              \
    PF_EBPF_INSN(PF_EBPF_LD | (SIZE) | PF_EBPF_ABS, 0, 0, 0, IMM)
#define PF_EBPF_LD_IND(SIZE, SRC, IMM)                                         \
    PF_EBPF_INSN(PF_EBPF_LD | (SIZE) | PF_EBPF_IND, 0, SRC, 0, IMM)

/* dst = *(size *)(src + off); *(size *)(dst + off) = src / imm */
#define PF_EBPF_LDX_MEM(SIZE, DST, SRC, OFF)                                   \
    PF_EBPF_INSN(PF_EBPF_LDX | (SIZE) | PF_EBPF_MEM, DST, SRC, OFF, 0)
#define PF_EBPF_LDX_MEMSX(SIZE, DST, SRC, OFF)                                 \
    PF_EBPF_INSN(PF_EBPF_LDX | (SIZE) | PF_EBPF_MEMSX, DST, SRC, OFF, 0)
#define PF_EBPF_STX_MEM(SIZE, DST, SRC, OFF)                                   \
    PF_EBPF_INSN(PF_EBPF_STX | (SIZE) | PF_EBPF_MEM, DST, SRC, OFF, 0)
#define PF_EBPF_ST_MEM(SIZE, DST, OFF, IMM)                                    \
    PF_EBPF_INSN(PF_EBPF_ST | (SIZE) | PF_EBPF_MEM, DST, 0, OFF, IMM)
/* atomic OP (PF_EBPF_ADD..., | PF_EBPF_FETCH, XCHG, CMPXCHG) on (dst + off) */
#define PF_EBPF_ATOMIC_OP(SIZE, OP, DST, SRC, OFF)                             \
    PF_EBPF_INSN(PF_EBPF_STX | (SIZE) | PF_EBPF_ATOMIC, DST, SRC, OFF, OP)

/* if (dst op src/imm) goto pc + off + 1 */
#define PF_EBPF_JMP_REG(OP, DST, SRC, OFF)                                     \
    PF_EBPF_INSN(PF_EBPF_JMP | (OP) | PF_EBPF_X, DST, SRC, OFF, 0)
#define PF_EBPF_JMP_IMM(OP, DST, IMM, OFF)                                     \
    PF_EBPF_INSN(PF_EBPF_JMP | (OP) | PF_EBPF_K, DST, 0, OFF, IMM)
#define PF_EBPF_JMP32_REG(OP, DST, SRC, OFF)                                   \
    PF_EBPF_INSN(PF_EBPF_JMP32 | (OP) | PF_EBPF_X, DST, SRC, OFF, 0)
#define PF_EBPF_JMP32_IMM(OP, DST, IMM, OFF)                                   \
    PF_EBPF_INSN(PF_EBPF_JMP32 | (OP) | PF_EBPF_K, DST, 0, OFF, IMM)
#define PF_EBPF_JMP_A(OFF) PF_EBPF_INSN(PF_EBPF_JMP | PF_EBPF_JA, 0, 0, OFF, 0)
#define PF_EBPF_CALL_HELPER(FUNC)                                              \
    PF_EBPF_INSN(PF_EBPF_JMP | PF_EBPF_CALL, 0, 0, 0, FUNC)
#define PF_EBPF_EXIT_INSN() PF_EBPF_INSN(PF_EBPF_JMP | PF_EBPF_EXIT, 0, 0, 0, 0)

/* Short aliases used by generated code that reads like assembly. */
#define PF_EBPF_EXIT() PF_EBPF_EXIT_INSN()

/* ---- Program types ------------------------------------------------------ */

/*
 * PF_EBPF_PROG_FILTER: pfcap's user-space target. On entry r1 = const
 * uint8_t *pkt, r2 = caplen (u32), r3 = wirelen (u32); r4, r5 are not
 * initialised. Packet bytes are read with LDX through r1 (or pointers
 * derived from it by adding scalars) after comparisons that prove the
 * access lies in [0, caplen): against r2 (or a scalar equal to it), or
 * against a packet-end pointer r1 + r2. A variable offset added to r1 must
 * be below 2^32 and is bounded by comparing it (or a copy plus a constant)
 * with r2. The packet is read-only. The result r0 (u32) is the number of
 * bytes to keep, 0 = drop. Both types: stack r10-512..r10, no loops
 * (backward jumps are fine when the control-flow graph has no cycle),
 * pointers never become numbers (no pointer bits reach a result, so every
 * engine gives the same answer); 8-byte spills of up to 16 registers keep
 * their type.
 *
 * PF_EBPF_PROG_SOCKET: Linux BPF_PROG_TYPE_SOCKET_FILTER semantics. r1 =
 * pointer to a struct pf_ebpf_skb (layout of the kernel's struct
 * __sk_buff) the engine fills; u32 reads of len, pkt_type, mark,
 * queue_mapping, protocol, vlan_present, vlan_tci, vlan_proto, priority,
 * ingress_ifindex, ifindex, tc_index, cb[0..4], hash, napi_id; writes to
 * cb[] only. LD_ABS/LD_IND read the packet in network byte order with r6 =
 * the context (out of bounds: the program returns 0; the kernel's
 * SKF_LL_OFF + n reads byte n, SKF_NET_OFF and other negative offsets
 * fail); helpers skb_load_bytes (26) and get_prandom_u32 (7).
 */
enum pf_ebpf_prog_type {
    PF_EBPF_PROG_FILTER = 0,
    PF_EBPF_PROG_SOCKET = 1,
};

/* The context of a socket program: layout-identical to struct __sk_buff. */
struct pf_ebpf_skb {
    uint32_t len;
    uint32_t pkt_type;
    uint32_t mark;
    uint32_t queue_mapping;
    uint32_t protocol; /* network byte order in the low 16 bits */
    uint32_t vlan_present;
    uint32_t vlan_tci;
    uint32_t vlan_proto;
    uint32_t priority;
    uint32_t ingress_ifindex;
    uint32_t ifindex;
    uint32_t tc_index;
    uint32_t cb[5];
    uint32_t hash;
    uint32_t tc_classid;
    uint32_t data;
    uint32_t data_end;
    uint32_t napi_id;
    uint32_t rest[26]; /* family ... hwtstamp: not readable by filters */
};

/* Packet metadata for socket programs (host byte order throughout). */
struct pf_ebpf_skb_meta {
    uint16_t protocol;   /* EtherType, e.g. 0x0800 */
    uint32_t pkt_type;   /* PACKET_HOST, PACKET_OUTGOING, ... */
    uint32_t ifindex;
    uint32_t mark;
    uint32_t priority;
    uint32_t hash;
    uint32_t queue_mapping;
    uint32_t vlan_present;
    uint32_t vlan_tci;
    uint32_t vlan_proto; /* e.g. 0x8100 */
};

/* ---- Verifier ----------------------------------------------------------- */

/*
 * The verifier's rules: X(name, message). The error code of a refusal is
 * PF_EBPF_RULE_<name>; the message (printf template) names the problem and
 * pf_error.insn the instruction index.
 */
#define PF_EBPF_RULES(X)                                                       \
    X(EMPTY, "program is empty")                                               \
    X(TOO_LONG, "program has %zu instructions, more than %u")                  \
    X(BAD_OPCODE, "unknown opcode 0x%02x")                                     \
    X(BAD_REG, "invalid register r%u")                                         \
    X(RESERVED, "reserved field %s must be 0")                                 \
    X(BAD_IMM, "invalid immediate %d for %s")                                  \
    X(BAD_OFF, "invalid offset %d for %s")                                     \
    X(LD_IMM64_TRUNC, "ld_imm64 is missing its second half")                   \
    X(LD_IMM64_SRC, "ld_imm64 pseudo source %u (maps, BTF) is not supported")  \
    X(JUMP_RANGE, "jump to %ld is outside the program")                        \
    X(JUMP_INTO_IMM64, "jump to %ld lands inside an ld_imm64")                 \
    X(BACK_EDGE, "back-edge to insn %ld: loops are not allowed in filters")    \
    X(FALL_OFF, "execution falls off the end of the program")                  \
    X(UNREACHABLE, "unreachable instruction")                                  \
    X(UNINIT_REG, "r%u is read before it is written")                          \
    X(WRITE_R10, "r10 (frame pointer) is read-only")                           \
    X(SHIFT_RANGE, "shift by %d is out of range for a %u-bit operation")       \
    X(PTR_ARITH, "%s on a pointer in r%u is not allowed")                      \
    X(PTR_COMPARE, "comparison of a pointer in r%u is not allowed")            \
    X(PTR_LEAK, "r%u holds a pointer that would leak %s")                      \
    X(BAD_MEM_BASE, "r%u is not a pointer (memory access through a scalar)")   \
    X(PKT_WRITE, "the packet is read-only")                                    \
    X(PKT_RANGE, "packet access [%lld, %lld) not proven within caplen")        \
    X(PKT_VAR_RANGE, "variable packet access not proven within caplen")        \
    X(STACK_RANGE, "stack access at %d size %d is outside r10-512..r10")       \
    X(STACK_ALIGN, "misaligned stack access at %d size %d")                    \
    X(STACK_VAR, "variable-offset stack access")                               \
    X(STACK_UNINIT, "stack read at %d size %d before it is written")           \
    X(STACK_PTR, "stack slot at %d holds a pointer; %s would leak its bits")   \
    X(CTX_ACCESS, "invalid context access at offset %d size %d")               \
    X(CTX_WRITE, "context write at offset %d: only cb[0..4] is writable")      \
    X(ATOMIC_MEM, "atomic operations are only allowed on the stack")           \
    X(ATOMIC_OP, "unknown atomic operation 0x%x")                              \
    X(LD_ABS_TYPE, "LD_ABS/LD_IND are only allowed in socket programs")        \
    X(LD_ABS_CTX, "LD_ABS/LD_IND need r6 = the context pointer")               \
    X(HELPER_UNKNOWN, "unknown helper function %d")                            \
    X(HELPER_TYPE, "helper %d is not allowed in this program type")            \
    X(HELPER_ARG, "helper %d argument r%u: %s")                                \
    X(RET_UNINIT, "r0 is not initialised at exit")                             \
    X(RET_POINTER, "r0 holds a pointer at exit")                               \
    X(COMPLEXITY, "program too complex: more than %u states explored")         \
    X(NOMEM, "out of memory")

enum pf_ebpf_rule {
    PF_EBPF_RULE_OK = 0,
#define PF_EBPF_RULE_ENUM(name, msg) PF_EBPF_RULE_##name,
    PF_EBPF_RULES(PF_EBPF_RULE_ENUM)
#undef PF_EBPF_RULE_ENUM
    PF_EBPF_RULE_COUNT
};

/* Largest program the verifier accepts. */
#define PF_EBPF_MAX_INSNS 1000000

/*
 * Checks that @insns[0..@len) is a safe @type program: every opcode and
 * field valid, every path ends in exit, no cycle in the control flow
 * (acyclic backward jumps are accepted), at most PF_EBPF_MAX_INSNS
 * instructions (the kernel's own limit), registers and stack written
 * before read, every memory access proven in bounds, helpers called
 * with the right argument types. Returns 0, or -EINVAL (-ENOMEM) with the
 * rule as err->code, the instruction index in err->insn and stage
 * PF_STAGE_EBPF.
 */
int pf_ebpf_verify(const struct pf_ebpf_insn *insns, size_t len,
                   enum pf_ebpf_prog_type type, struct pf_error *err);

/* Name of a rule ("PKT_RANGE") or NULL when @rule is out of range. */
const char *pf_ebpf_rule_name(int rule);

/* ---- VM: interpreter and JIT -------------------------------------------- */

struct pf_ebpf_vm;

/*
 * Copies @insns[0..@len), verifies them as a @type program and returns a VM
 * in *@out (free with pf_ebpf_vm_free). Errors: those of pf_ebpf_verify,
 * -ENOMEM. The VM runs the interpreter until pf_ebpf_vm_jit succeeds.
 */
int pf_ebpf_vm_new(const struct pf_ebpf_insn *insns, size_t len,
                   enum pf_ebpf_prog_type type, struct pf_ebpf_vm **out,
                   struct pf_error *err);

/* Releases @vm and its machine code; NULL is allowed. */
void pf_ebpf_vm_free(struct pf_ebpf_vm *vm);

/*
 * Compiles @vm to x86-64 code (mmap RW, emit, mprotect RX). On failure
 * (unsupported host, mmap refused, ...) returns a negative errno, says why
 * in @err (stage PF_STAGE_JIT) and the VM keeps using the interpreter.
 */
int pf_ebpf_vm_jit(struct pf_ebpf_vm *vm, struct pf_error *err);

/* The machine code of a JITed @vm: 0 and @code, @len set, or -ENOENT. */
int pf_ebpf_vm_jit_code(const struct pf_ebpf_vm *vm, const void **code,
                        size_t *len);

/*
 * The JIT code of a FILTER program as a function taking its arguments in
 * pf_filter_run's order, (ignored, pkt, wirelen, caplen), returning the
 * verdict in 32 bits (a few moves, then the program): 0 and @entry set,
 * or -ENOENT (not compiled, or a SOCKET program). See pf_filter_entry.
 */
int pf_ebpf_vm_jit_filter_entry(const struct pf_ebpf_vm *vm,
                                const void **entry);

/* The program type and instructions (owned by @vm). */
enum pf_ebpf_prog_type pf_ebpf_vm_type(const struct pf_ebpf_vm *vm);
const struct pf_ebpf_insn *pf_ebpf_vm_insns(const struct pf_ebpf_vm *vm,
                                            size_t *len);

/*
 * Runs a FILTER program on @pkt (@caplen bytes present of @wirelen) with the
 * JIT if compiled, else the interpreter; returns r0. A SOCKET program is run
 * as by pf_ebpf_vm_run_socket with no metadata.
 */
uint64_t pf_ebpf_vm_run_filter(const struct pf_ebpf_vm *vm, const uint8_t *pkt,
                               uint32_t caplen, uint32_t wirelen);

/* Same as pf_ebpf_vm_run_filter, always with the interpreter. */
uint64_t pf_ebpf_vm_run_interp(const struct pf_ebpf_vm *vm, const uint8_t *pkt,
                               uint32_t caplen, uint32_t wirelen);

/*
 * Runs a SOCKET program on @pkt (@len bytes, starting at the link-layer
 * header) with @meta (NULL = zeros) and @cb (5 words, NULL = zeros) in the
 * context; returns r0. @jit = 0 forces the interpreter. A FILTER program is
 * run with caplen = wirelen = @len.
 */
uint64_t pf_ebpf_vm_run_socket(const struct pf_ebpf_vm *vm, const uint8_t *pkt,
                               uint32_t len,
                               const struct pf_ebpf_skb_meta *meta,
                               const uint32_t *cb, int jit);

/* ---- Text forms --------------------------------------------------------- */

/*
 * Writes instruction @idx of @insns[0..@len) into @buf (always
 * NUL-terminated) the way llvm-objdump prints it, e.g.
 * "r0 = *(u16 *)(r1 + 12)", "if r0 != 0x800 goto +5", "exit". Returns the
 * number of instructions consumed (2 for ld_imm64), or -EINVAL for an
 * invalid instruction (then @buf says "invalid ..." anyway).
 */
int pf_ebpf_disasm_insn(const struct pf_ebpf_insn *insns, size_t len,
                        size_t idx, char *buf, size_t buflen);

/*
 * Writes the whole program, one "%4zu: text\n" line per instruction, into
 * @buf (always NUL-terminated when @buflen > 0); returns the length it
 * wanted (call with NULL/0 to size the buffer).
 */
size_t pf_ebpf_dump(const struct pf_ebpf_insn *insns, size_t len, char *buf,
                    size_t buflen);

/*
 * Assembles @text (the disassembler's syntax, one instruction per line;
 * optional "N:" index prefixes; comments start with '#', ';' or "//") into
 * a malloc'd array in *@out (free with free()) of *@len instructions.
 * Errors: -EINVAL with line:col in @err (stage PF_STAGE_ASM), -ENOMEM.
 */
int pf_ebpf_asm(const char *text, struct pf_ebpf_insn **out, size_t *len,
                struct pf_error *err);

#ifdef __cplusplus
}
#endif

#endif
