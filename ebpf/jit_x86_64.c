/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The x86-64 back end: the register map (eBPF r1-r5 sit in the SysV
 * argument registers, so helpers are called with no shuffling; r6-r9 in
 * callee-saved registers, or in spare caller-saved ones when the program
 * calls nothing; r10 = rbp over a 512-byte frame), prologue and epilogue
 * saving only what the program uses, and one dispatch switch whose cases
 * call an emit_* helper per instruction family, the shortest encodings
 * (imm8 and eax forms, 8-bit test, no zero-extension after 32-bit ops that
 * already clear the upper half) and a few fused pairs (lea, load + swap).
 * Code layout: prologue, one block per instruction, an "exit with 0" stub
 * (xor eax, eax) that falls into the epilogue.
 */
#include <stdlib.h>
#include <string.h>

#include "ebpf_impl.h"
#include "jit_x86_enc.h"

/* eBPF register -> x86-64 register */
static const uint8_t regmap[PF_EBPF_NREGS] = {
    PF_X86_RAX, PF_X86_RDI, PF_X86_RSI, PF_X86_RDX, PF_X86_RCX, PF_X86_R8,
    PF_X86_RBX, PF_X86_R13, PF_X86_R14, PF_X86_R15, PF_X86_RBP,
};

/* Scratch registers the map leaves free. */
#define AUX1 PF_X86_R10
#define AUX2 PF_X86_R11

/* The one byte writer: appends @n bytes, growing the buffer. */
static void put(struct pf_ebpf_jit_ctx *c, const uint8_t *b, int n)
{
    if (c->oom)
        return;
    if (c->len + (size_t)n > c->cap) {
        size_t cap = c->cap ? 2 * c->cap : 4096;
        uint8_t *p = realloc(c->buf, cap);

        if (!p) {
            c->oom = 1;
            return;
        }
        c->buf = p;
        c->cap = cap;
    }
    memcpy(c->buf + c->len, b, (size_t)n);
    c->len += (size_t)n;
}

/* Emits a short jcc/jmp to be patched; returns its position. */
static size_t fwd_jump(struct pf_ebpf_jit_ctx *c, int cc)
{
    uint8_t t[16];
    size_t at = c->len;

    put(c, t, cc < 0 ? pf_x86_jmp(t, 0, 1) : pf_x86_jcc(t, cc, 0, 1));
    return at;
}

/* Points the short jump at @at to the current position. */
static void land(struct pf_ebpf_jit_ctx *c, size_t at)
{
    if (!c->oom)
        c->buf[at + 1] = (uint8_t)(int8_t)(c->len - (at + 2));
}

/*
 * jmp/jcc (cc < 0: jmp) to code offset @target of the previous pass. The
 * distance is measured in the previous pass's layout only (this
 * instruction's start there plus the bytes emitted for it so far), so that
 * distances, and with them jump sizes, only shrink from pass to pass and
 * the layout settles.
 */
static void emit_branch(struct pf_ebpf_jit_ctx *c, int cc, int64_t target)
{
    uint8_t t[16];
    int64_t here = (int64_t)c->prev[c->pc] +
                   (int64_t)(c->len - c->addrs[c->pc]);
    int64_t rel = target - (here + 2);

    if (pf_x86_is_imm8(rel)) {
        put(c, t, cc < 0 ? pf_x86_jmp(t, (int32_t)rel, 1)
                         : pf_x86_jcc(t, cc, (int32_t)rel, 1));
        return;
    }
    rel = target - (here + (cc < 0 ? 5 : 6));
    put(c, t, cc < 0 ? pf_x86_jmp(t, (int32_t)rel, 0)
                     : pf_x86_jcc(t, cc, (int32_t)rel, 0));
}

/* Nonzero when @in uses the scratch registers r10/r11 (division, shifts
 * by a register, atomics). */
static int needs_aux(const struct pf_ebpf_insn *in)
{
    enum pf_ebpf_kind kind = pf_ebpf_opinfo[in->code].kind;
    unsigned op = PF_EBPF_OP(in->code), cls = PF_EBPF_CLASS(in->code);

    if (kind == PF_EBPF_KIND_ATOMIC)
        return 1;
    if (cls != PF_EBPF_ALU && cls != PF_EBPF_ALU64)
        return 0;
    return op == PF_EBPF_DIV || op == PF_EBPF_MOD ||
           (PF_EBPF_SRC(in->code) == PF_EBPF_X &&
            (op == PF_EBPF_LSH || op == PF_EBPF_RSH || op == PF_EBPF_ARSH));
}

/* The register map of this program: without calls, the eBPF registers
 * r6-r9 it uses go to caller-saved x86 registers the map leaves free (r9,
 * and r10/r11 when no instruction needs them as scratch), so the prologue
 * saves nothing for them. */
static void assign_regs(struct pf_ebpf_jit_ctx *c, unsigned used, int calls,
                        int aux)
{
    static const uint8_t spare[] = {PF_X86_R9, PF_X86_R10, PF_X86_R11};
    size_t nspare = calls ? 0 : aux ? 1 : 3, k = 0;
    int r;

    memcpy(c->map, regmap, sizeof(c->map));
    for (r = 6; r <= 9 && k < nspare; r++)
        if ((used >> r) & 1)
            c->map[r] = spare[k++];
}

/* What the prologue must set up, from a scan of the program. */
static void scan_frame(struct pf_ebpf_jit_ctx *c)
{
    unsigned used = 0, calls = 0;
    int aux = 0;
    size_t i;
    int r;

    for (i = 0; i < c->n; i++) {
        const struct pf_ebpf_insn *in = &c->insns[i];
        enum pf_ebpf_kind kind = pf_ebpf_opinfo[in->code].kind;

        if (in->code == 0 && i > 0 &&
            c->insns[i - 1].code == PF_EBPF_OPC_LDDW)
            continue;
        used |= 1u << in->dst_reg | 1u << in->src_reg;
        aux |= needs_aux(in);
        if (kind == PF_EBPF_KIND_CALL || kind == PF_EBPF_KIND_LDABS ||
            kind == PF_EBPF_KIND_LDIND)
            calls = 1;
    }
    assign_regs(c, used, (int)calls, aux);
    memset(&c->frame, 0, sizeof(c->frame));
    c->frame.stack = (used >> 10) & 1;
    for (r = 6; r <= 9; r++)
        if (((used >> r) & 1) && c->map[r] == regmap[r])
            c->frame.saved[c->frame.nsaved++] = regmap[r];
    /* at entry rsp = 8 (mod 16); each push adds 8, the frame adds 8 + 512 */
    c->frame.pad = calls && (1 + c->frame.stack + c->frame.nsaved) % 2;
}

/* [push rbp; mov rbp, rsp; sub rsp, 512]; push the used callee-saved
 * registers; [sub rsp, 8] */
static void emit_prologue(struct pf_ebpf_jit_ctx *c)
{
    uint8_t t[16];
    int i;

    if (c->frame.stack) {
        put(c, t, pf_x86_push(t, PF_X86_RBP));
        put(c, t, pf_x86_mov_rr(t, 1, PF_X86_RBP, PF_X86_RSP));
        put(c, t, pf_x86_alu_ri(t, 1, PF_X86_SUB, PF_X86_RSP,
                                PF_EBPF_STACK_SIZE));
    }
    for (i = 0; i < c->frame.nsaved; i++)
        put(c, t, pf_x86_push(t, c->frame.saved[i]));
    if (c->frame.pad)
        put(c, t, pf_x86_alu_ri(t, 1, PF_X86_SUB, PF_X86_RSP, 8));
}

/* The prologue undone: [add rsp, 8]; pops; [leave]; ret */
static void emit_return(struct pf_ebpf_jit_ctx *c)
{
    static const uint8_t leave = 0xc9, ret = 0xc3;
    uint8_t t[16];
    int i;

    if (c->frame.pad)
        put(c, t, pf_x86_alu_ri(t, 1, PF_X86_ADD, PF_X86_RSP, 8));
    for (i = c->frame.nsaved - 1; i >= 0; i--)
        put(c, t, pf_x86_pop(t, c->frame.saved[i]));
    if (c->frame.stack)
        put(c, &leave, 1);
    put(c, &ret, 1);
}

/* exit_zero: xor eax, eax; then the return sequence */
static void emit_epilogue(struct pf_ebpf_jit_ctx *c)
{
    uint8_t t[16];

    c->addrs[c->n] = (uint32_t)c->len;
    put(c, t, pf_x86_alu_rr(t, 0, PF_X86_XOR, PF_X86_RAX, PF_X86_RAX));
    emit_return(c);
}

/* exit: the return sequence in place when it is as short as a jump to
 * it plus a little (no frame, at most two pops), else a jump. */
static void emit_exit(struct pf_ebpf_jit_ctx *c)
{
    if (!c->frame.stack && !c->frame.pad && c->frame.nsaved <= 2)
        emit_return(c);
    else
        emit_branch(c, -1, (int64_t)c->prev[c->n] + 2);
}

/* dst = imm for MOV K: 32-bit zero-extending when it can. */
static void emit_mov_imm(struct pf_ebpf_jit_ctx *c, int is64, int d,
                         int32_t imm)
{
    uint8_t t[16];

    if (imm == 0) /* flags are dead between eBPF instructions */
        put(c, t, pf_x86_alu_rr(t, 0, PF_X86_XOR, d, d));
    else if (!is64 || imm >= 0)
        put(c, t, pf_x86_mov_ri32(t, d, (uint32_t)imm));
    else
        put(c, t, pf_x86_mov_ri64s(t, d, imm));
}

/* DIV/MOD (unsigned and signed) with the eBPF rules x/0 = 0, x%0 = x,
 * INT_MIN/-1 = INT_MIN, x%-1 = 0. Uses r10/r11, saves rax/rdx. */
static void emit_divmod(struct pf_ebpf_jit_ctx *c,
                        const struct pf_ebpf_insn *in, int is64)
{
    int d = c->map[in->dst_reg], mod = PF_EBPF_OP(in->code) == PF_EBPF_MOD;
    int sgn = in->off == 1;
    size_t jz, jnm = 0, jdone1 = 0, jdone2;
    uint8_t t[16];

    if (PF_EBPF_SRC(in->code) == PF_EBPF_X)
        put(c, t, pf_x86_mov_rr(t, is64, AUX1, c->map[in->src_reg]));
    else
        emit_mov_imm(c, is64, AUX1, in->imm);
    put(c, t, pf_x86_mov_rr(t, is64, AUX2, d));
    put(c, t, pf_x86_test_rr(t, is64, AUX1, AUX1));
    jz = fwd_jump(c, PF_X86_CC_E);
    if (sgn) {
        put(c, t, pf_x86_alu_ri(t, is64, PF_X86_CMP, AUX1, -1));
        jnm = fwd_jump(c, PF_X86_CC_NE);
        if (mod)
            put(c, t, pf_x86_alu_rr(t, 0, PF_X86_XOR, AUX2, AUX2));
        else
            put(c, t, pf_x86_grp3(t, is64, 3, AUX2));   /* neg r11 */
        jdone1 = fwd_jump(c, -1);
        land(c, jnm);
    }
    put(c, t, pf_x86_push(t, PF_X86_RAX));
    put(c, t, pf_x86_push(t, PF_X86_RDX));
    put(c, t, pf_x86_mov_rr(t, is64, PF_X86_RAX, AUX2));
    if (sgn) {
        static const uint8_t cqo[2] = {0x48, 0x99};

        put(c, cqo + !is64, is64 ? 2 : 1);               /* cqo / cdq */
    } else {
        put(c, t, pf_x86_alu_rr(t, 0, PF_X86_XOR, PF_X86_RDX, PF_X86_RDX));
    }
    put(c, t, pf_x86_grp3(t, is64, sgn ? 7 : 6, AUX1)); /* (i)div r10 */
    put(c, t, pf_x86_mov_rr(t, is64, AUX2, mod ? PF_X86_RDX : PF_X86_RAX));
    put(c, t, pf_x86_pop(t, PF_X86_RDX));
    put(c, t, pf_x86_pop(t, PF_X86_RAX));
    jdone2 = fwd_jump(c, -1);
    land(c, jz);
    if (!mod)
        put(c, t, pf_x86_alu_rr(t, 0, PF_X86_XOR, AUX2, AUX2));
    land(c, jdone2);
    if (sgn)
        land(c, jdone1);
    put(c, t, pf_x86_mov_rr(t, is64, d, AUX2));
}

/* LSH/RSH/ARSH; by register through cl (rcx is eBPF r4). */
static void emit_shift(struct pf_ebpf_jit_ctx *c,
                       const struct pf_ebpf_insn *in, int is64)
{
    unsigned op = PF_EBPF_OP(in->code);
    enum pf_x86_shift sh = op == PF_EBPF_LSH   ? PF_X86_SHL
                           : op == PF_EBPF_RSH ? PF_X86_SHR
                                               : PF_X86_SAR;
    int d = c->map[in->dst_reg], s = c->map[in->src_reg];
    uint8_t t[16];

    if (PF_EBPF_SRC(in->code) == PF_EBPF_K) {
        if (in->imm)
            put(c, t, pf_x86_shift_ri(t, is64, sh, d, (uint8_t)in->imm));
    } else if (s == PF_X86_RCX) {
        put(c, t, pf_x86_shift_cl(t, is64, sh, d));
    } else if (d == PF_X86_RCX) {
        put(c, t, pf_x86_mov_rr(t, 1, AUX2, PF_X86_RCX));
        put(c, t, pf_x86_mov_rr(t, 1, PF_X86_RCX, s));
        put(c, t, pf_x86_shift_cl(t, is64, sh, AUX2));
        put(c, t, pf_x86_mov_rr(t, 1, PF_X86_RCX, AUX2));
    } else {
        put(c, t, pf_x86_mov_rr(t, 1, AUX2, PF_X86_RCX));
        put(c, t, pf_x86_mov_rr(t, 1, PF_X86_RCX, s));
        put(c, t, pf_x86_shift_cl(t, is64, sh, d));
        put(c, t, pf_x86_mov_rr(t, 1, PF_X86_RCX, AUX2));
    }
    /* a 32-bit shift by 0 (by a register that may be 0, or an immediate
     * that is) leaves the upper half: clear it explicitly */
    if (!is64 && (PF_EBPF_SRC(in->code) == PF_EBPF_X || (in->imm & 31) == 0))
        put(c, t, pf_x86_mov_rr(t, 0, d, d));
}

/* BPF_END to_le / to_be and the ALU64 bswap. */
static void emit_end(struct pf_ebpf_jit_ctx *c, const struct pf_ebpf_insn *in)
{
    int d = c->map[in->dst_reg];
    uint8_t t[16];

    if (in->code == PF_EBPF_OPC_LE) {
        if (in->imm == 16)
            put(c, t, pf_x86_movzx_rr(t, 16, d, d));
        else if (in->imm == 32)
            put(c, t, pf_x86_mov_rr(t, 0, d, d));
        return;
    }
    if (in->imm == 16) {
        put(c, t, pf_x86_ror16_8(t, d));
        put(c, t, pf_x86_movzx_rr(t, 16, d, d));
    } else {
        put(c, t, pf_x86_bswap(t, in->imm == 64, d));
    }
}

/* Group-1 operation for an eBPF ALU op, or -1. */
static int alu_group1(unsigned op)
{
    switch (op) {
    case PF_EBPF_ADD: return PF_X86_ADD;
    case PF_EBPF_SUB: return PF_X86_SUB;
    case PF_EBPF_OR: return PF_X86_OR;
    case PF_EBPF_AND: return PF_X86_AND;
    case PF_EBPF_XOR: return PF_X86_XOR;
    default: return -1;
    }
}

/* MOV, including movsx (off 8/16/32). */
static void emit_mov(struct pf_ebpf_jit_ctx *c, const struct pf_ebpf_insn *in,
                     int is64)
{
    int d = c->map[in->dst_reg], s = c->map[in->src_reg];
    uint8_t t[16];

    if (PF_EBPF_SRC(in->code) == PF_EBPF_K)
        emit_mov_imm(c, is64, d, in->imm);
    else if (in->off)
        put(c, t, pf_x86_movsx_rr(t, is64, in->off, d, s));
    else if (!is64 || d != s)
        put(c, t, pf_x86_mov_rr(t, is64, d, s));
}

static void emit_alu(struct pf_ebpf_jit_ctx *c, const struct pf_ebpf_insn *in)
{
    int is64 = PF_EBPF_CLASS(in->code) == PF_EBPF_ALU64;
    int isk = PF_EBPF_SRC(in->code) == PF_EBPF_K;
    int d = c->map[in->dst_reg], s = c->map[in->src_reg];
    unsigned op = PF_EBPF_OP(in->code);
    int g1 = alu_group1(op);
    uint8_t t[16];

    if (g1 >= 0 && isk)
        put(c, t, pf_x86_alu_ri(t, is64, g1, d, in->imm));
    else if (g1 >= 0)
        put(c, t, pf_x86_alu_rr(t, is64, g1, d, s));
    else if (op == PF_EBPF_MOV)
        emit_mov(c, in, is64);
    else if (op == PF_EBPF_MUL && isk)
        put(c, t, pf_x86_imul_ri(t, is64, d, in->imm));
    else if (op == PF_EBPF_MUL)
        put(c, t, pf_x86_imul_rr(t, is64, d, s));
    else if (op == PF_EBPF_DIV || op == PF_EBPF_MOD)
        emit_divmod(c, in, is64);
    else if (op == PF_EBPF_NEG)
        put(c, t, pf_x86_grp3(t, is64, 3, d));
    else if (op == PF_EBPF_END)
        emit_end(c, in);
    else
        emit_shift(c, in, is64);
}

/* ld_imm64: the shortest mov for the value. */
static void emit_lddw(struct pf_ebpf_jit_ctx *c, const struct pf_ebpf_insn *in)
{
    uint64_t v = (uint32_t)in[0].imm | (uint64_t)(uint32_t)in[1].imm << 32;
    int d = c->map[in->dst_reg];
    uint8_t t[16];

    if (v <= UINT32_MAX)
        put(c, t, pf_x86_mov_ri32(t, d, (uint32_t)v));
    else if ((int64_t)v >= INT32_MIN && (int64_t)v <= INT32_MAX)
        put(c, t, pf_x86_mov_ri64s(t, d, (int32_t)v));
    else
        put(c, t, pf_x86_movabs(t, d, v));
}

/* Atomics. The verifier allows them on the program's own stack only, which
 * no other thread can see, so plain read-modify-write sequences suffice. */
static void emit_atomic(struct pf_ebpf_jit_ctx *c,
                        const struct pf_ebpf_insn *in)
{
    int bytes = pf_ebpf_size_bytes(in->code), w = bytes == 8;
    int b = c->map[in->dst_reg], s = c->map[in->src_reg];
    int g1 = alu_group1((unsigned)in->imm & ~PF_EBPF_FETCH);
    uint8_t t[16];
    size_t skip;

    put(c, t, pf_x86_load(t, bytes, AUX2, b, in->off));
    if (in->imm == PF_EBPF_CMPXCHG) {
        put(c, t, pf_x86_alu_rr(t, w, PF_X86_CMP, PF_X86_RAX, AUX2));
        skip = fwd_jump(c, PF_X86_CC_NE);
        put(c, t, pf_x86_store(t, bytes, b, in->off, s));
        land(c, skip);
        put(c, t, pf_x86_mov_rr(t, 1, PF_X86_RAX, AUX2));
        return;
    }
    if (in->imm == PF_EBPF_XCHG) {
        put(c, t, pf_x86_store(t, bytes, b, in->off, s));
        put(c, t, pf_x86_mov_rr(t, 1, s, AUX2));
        return;
    }
    put(c, t, pf_x86_mov_rr(t, 1, AUX1, AUX2));
    put(c, t, pf_x86_alu_rr(t, w, g1, AUX1, s));
    put(c, t, pf_x86_store(t, bytes, b, in->off, AUX1));
    if (in->imm & PF_EBPF_FETCH)
        put(c, t, pf_x86_mov_rr(t, 1, s, AUX2));
}

/* LD_ABS/LD_IND through pf_ebpf_jit_ld(ctx = r6, off, size); an out of
 * bounds read ends the program with 0. */
static void emit_ldabs(struct pf_ebpf_jit_ctx *c,
                       const struct pf_ebpf_insn *in)
{
    uint8_t t[16];

    if (PF_EBPF_MODE(in->code) == PF_EBPF_IND) {
        put(c, t, pf_x86_mov_rr(t, 0, PF_X86_RSI, c->map[in->src_reg]));
        put(c, t, pf_x86_alu_ri(t, 0, PF_X86_ADD, PF_X86_RSI, in->imm));
        put(c, t, pf_x86_movsx_rr(t, 1, 32, PF_X86_RSI, PF_X86_RSI));
    } else {
        put(c, t, pf_x86_mov_ri64s(t, PF_X86_RSI, in->imm));
    }
    put(c, t, pf_x86_mov_rr(t, 1, PF_X86_RDI, c->map[6]));
    put(c, t, pf_x86_mov_ri32(t, PF_X86_RDX,
                              (uint32_t)pf_ebpf_size_bytes(in->code)));
    put(c, t, pf_x86_movabs(t, PF_X86_RAX, (uintptr_t)pf_ebpf_jit_ld));
    put(c, t, pf_x86_call_r(t, PF_X86_RAX));
    put(c, t, pf_x86_alu_ri(t, 1, PF_X86_CMP, PF_X86_RAX, -1));
    emit_branch(c, PF_X86_CC_E, c->prev[c->n]);
}

/* Helper call: arguments are already in rdi, rsi, rdx, rcx, r8. */
static void emit_call(struct pf_ebpf_jit_ctx *c, const struct pf_ebpf_insn *in)
{
    pf_ebpf_helper_fn fn = pf_ebpf_helper_lookup(in->imm);
    uint8_t t[16];

    put(c, t, pf_x86_movabs(t, PF_X86_RAX, (uintptr_t)fn));
    put(c, t, pf_x86_call_r(t, PF_X86_RAX));
}

/* Condition code of an eBPF jump op (after cmp / test). */
static int jump_cc(unsigned op)
{
    switch (op) {
    case PF_EBPF_JEQ: return PF_X86_CC_E;
    case PF_EBPF_JGT: return PF_X86_CC_A;
    case PF_EBPF_JGE: return PF_X86_CC_AE;
    case PF_EBPF_JSET:
    case PF_EBPF_JNE: return PF_X86_CC_NE;
    case PF_EBPF_JSGT: return PF_X86_CC_G;
    case PF_EBPF_JSGE: return PF_X86_CC_GE;
    case PF_EBPF_JLT: return PF_X86_CC_B;
    case PF_EBPF_JLE: return PF_X86_CC_BE;
    case PF_EBPF_JSLT: return PF_X86_CC_L;
    default: return PF_X86_CC_LE;
    }
}

static void emit_cond(struct pf_ebpf_jit_ctx *c, const struct pf_ebpf_insn *in,
                      size_t pc)
{
    int w = PF_EBPF_CLASS(in->code) == PF_EBPF_JMP;
    int d = c->map[in->dst_reg], s = c->map[in->src_reg];
    int isk = PF_EBPF_SRC(in->code) == PF_EBPF_K;
    unsigned op = PF_EBPF_OP(in->code);
    uint8_t t[16];

    if (op == PF_EBPF_JSET && isk && in->imm >= 0 && in->imm <= 0xff)
        put(c, t, pf_x86_test_ri8(t, d, (uint8_t)in->imm));
    else if (op == PF_EBPF_JSET)
        put(c, t, isk ? pf_x86_test_ri(t, w, d, in->imm)
                      : pf_x86_test_rr(t, w, d, s));
    else
        put(c, t, isk ? pf_x86_alu_ri(t, w, PF_X86_CMP, d, in->imm)
                      : pf_x86_alu_rr(t, w, PF_X86_CMP, d, s));
    emit_branch(c, jump_cc(op), c->prev[pc + 1 + in->off]);
}

/*
 * Pairs that one or two x86 instructions do better, when no jump lands
 * between them (returns 2 when it emitted the pair, else 0):
 *   rD = rS; rD += imm / rT   ->  lea rD, [rS + imm / rT]
 *   rD = *(u16 *)(..); rD = be16 rD  ->  movzx; ror rD16, 8 (the load
 *                                         already cleared the upper bits)
 */
static int emit_pair(struct pf_ebpf_jit_ctx *c, size_t pc)
{
    static const uint8_t mov64 = PF_EBPF_ALU64 | PF_EBPF_MOV | PF_EBPF_X;
    static const uint8_t addk = PF_EBPF_ALU64 | PF_EBPF_ADD | PF_EBPF_K;
    static const uint8_t addx = PF_EBPF_ALU64 | PF_EBPF_ADD | PF_EBPF_X;
    static const uint8_t ldxh = PF_EBPF_LDX | PF_EBPF_MEM | PF_EBPF_H;
    const struct pf_ebpf_insn *a = &c->insns[pc], *b = a + 1;
    int d = c->map[a->dst_reg], s = c->map[a->src_reg];
    uint8_t t[16];

    if (pc + 1 >= c->n || c->target[pc + 1] || b->dst_reg != a->dst_reg)
        return 0;
    if (a->code == mov64 && a->off == 0 && a->dst_reg != a->src_reg) {
        if (b->code == addk)
            put(c, t, pf_x86_lea(t, d, s, b->imm));
        else if (b->code == addx) /* rD += rD adds rS once more */
            put(c, t, pf_x86_lea_idx(t, d, s,
                                     b->src_reg == a->dst_reg
                                         ? s : c->map[b->src_reg]));
        else
            return 0;
        return 2;
    }
    if (a->code == ldxh && b->code == PF_EBPF_OPC_BE && b->imm == 16) {
        put(c, t, pf_x86_load(t, 2, d, s, a->off));
        put(c, t, pf_x86_ror16_8(t, d));
        return 2;
    }
    return 0;
}

/* One instruction (or a pair, see emit_pair); returns the number of slots
 * it used. */
static int emit_insn(struct pf_ebpf_jit_ctx *c, size_t pc)
{
    const struct pf_ebpf_insn *in = &c->insns[pc];
    uint8_t t[16];
    int bytes = pf_ebpf_size_bytes(in->code);

    if (emit_pair(c, pc))
        return 2;

    switch (pf_ebpf_opinfo[in->code].kind) {
    case PF_EBPF_KIND_LDDW: emit_lddw(c, in); return 2;
    case PF_EBPF_KIND_LDABS:
    case PF_EBPF_KIND_LDIND: emit_ldabs(c, in); break;
    case PF_EBPF_KIND_LDX:
        put(c, t, pf_x86_load(t, bytes, c->map[in->dst_reg],
                              c->map[in->src_reg], in->off));
        break;
    case PF_EBPF_KIND_LDXSX:
        put(c, t, pf_x86_load_sx(t, bytes, c->map[in->dst_reg],
                                 c->map[in->src_reg], in->off));
        break;
    case PF_EBPF_KIND_ST:
        put(c, t, pf_x86_store_imm(t, bytes, c->map[in->dst_reg], in->off,
                                   in->imm));
        break;
    case PF_EBPF_KIND_STX:
        put(c, t, pf_x86_store(t, bytes, c->map[in->dst_reg], in->off,
                               c->map[in->src_reg]));
        break;
    case PF_EBPF_KIND_ATOMIC: emit_atomic(c, in); break;
    case PF_EBPF_KIND_JA:
        if (in->off)
            emit_branch(c, -1, c->prev[pc + 1 + in->off]);
        break;
    case PF_EBPF_KIND_JA32:
        if (in->imm)
            emit_branch(c, -1, c->prev[pc + 1 + in->imm]);
        break;
    case PF_EBPF_KIND_JMP_K:
    case PF_EBPF_KIND_JMP_X:
    case PF_EBPF_KIND_JMP32_K:
    case PF_EBPF_KIND_JMP32_X: emit_cond(c, in, pc); break;
    case PF_EBPF_KIND_CALL: emit_call(c, in); break;
    case PF_EBPF_KIND_EXIT: emit_exit(c); break;
    default: emit_alu(c, in); break;
    }
    return 1;
}

void pf_ebpf_jit_x86_emit(struct pf_ebpf_jit_ctx *c)
{
    size_t pc = 0;

    c->len = 0;
    scan_frame(c);
    emit_prologue(c);
    while (pc < c->n) {
        int used;

        c->addrs[pc] = (uint32_t)c->len;
        c->pc = pc;
        used = emit_insn(c, pc);
        if (used == 2)
            c->addrs[pc + 1] = (uint32_t)c->len;
        pc += (size_t)used;
    }
    emit_epilogue(c);
}
