/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The body of the cBPF interpreter, included by interp.c twice: once with
 * PF_INTERP_CHECKED = 1 (pf_cbpf_run: every step checks the program
 * counter and the opcode, so any program is safe) and once with 0
 * (pf_cbpf_run_valid: for programs that passed the validator, whose jumps
 * are in range and whose last instruction is ret). One copy of every
 * opcode's semantics serves both.
 * Defines: PF_INTERP_NAME (the function), PF_INTERP_CHECKED.
 */
uint32_t PF_INTERP_NAME(const struct pf_cbpf_insn *insns, size_t len,
                        const uint8_t *pkt, uint32_t wirelen, uint32_t caplen,
                        const struct pf_cbpf_meta *meta)
{
    static const void *const labels[256] = {
        [0 ... 255] = &&op_invalid,
#define PF_CBPF_OP_LABEL(name, code, mnem, opnd) [code] = &&op_##name,
        PF_CBPF_OPS(PF_CBPF_OP_LABEL)
#undef PF_CBPF_OP_LABEL
    };
    const struct pf_cbpf_insn *pc = insns, *end = insns + len;
    uint32_t A = 0, X = 0, k, M[PF_CBPF_MEMWORDS];
    unsigned backward = 0;
    int ok, mem_ready = 0;

    (void)end;

#if PF_INTERP_CHECKED
#define DISPATCH()                                                             \
    do {                                                                       \
        if (__builtin_expect(pc >= end, 0))                                    \
            return 0;                                                          \
        goto *labels[pc->code <= 0xff ? pc->code : 0xff];                      \
    } while (0)
#else
#define DISPATCH() goto *labels[pc->code]
#endif
#define NEXT()                                                                 \
    do {                                                                       \
        pc++;                                                                  \
        DISPATCH();                                                            \
    } while (0)
#define JUMP(cond)                                                             \
    do {                                                                       \
        pc += 1 + ((cond) ? pc->jt : pc->jf);                                  \
        DISPATCH();                                                            \
    } while (0)
/* A load of @size bytes at @off (64-bit, so X + k cannot wrap). With
 * metadata, an offset that is negative as a 32-bit value is the kernel's
 * ancillary/negative-offset load (@abs: ancillary loads exist only for
 * absolute loads); without it, it is simply out of bounds. */
#define LOAD(dst, off, size, abs)                                              \
    do {                                                                       \
        uint64_t o_ = (off);                                                   \
        if (__builtin_expect(o_ + (size) > caplen, 0)) {                       \
            if (!meta || (int32_t)(uint32_t)o_ >= 0)                           \
                return 0;                                                      \
            ok = 1;                                                            \
            dst = load_negative(meta, (int32_t)(uint32_t)o_, size, abs, pkt,   \
                                caplen, A, X, &ok);                            \
            if (!ok)                                                           \
                return 0;                                                      \
            NEXT();                                                            \
        }                                                                      \
        dst = (size) == 4   ? pf_get_be32(pkt + o_)                            \
              : (size) == 2 ? pf_get_be16(pkt + o_)                            \
                            : pkt[o_];                                         \
        NEXT();                                                                \
    } while (0)
/* Scratch memory is zeroed on first use only, so programs that never touch
 * it do not pay for it, and every program's result is deterministic. */
#define MEM_READY()                                                            \
    do {                                                                       \
        if (pc->k >= PF_CBPF_MEMWORDS)                                         \
            return 0;                                                          \
        if (!mem_ready) {                                                      \
            memset(M, 0, sizeof(M));                                           \
            mem_ready = 1;                                                     \
        }                                                                      \
    } while (0)

    DISPATCH();
op_LD_W_ABS: LOAD(A, pc->k, 4, 1);
op_LD_H_ABS: LOAD(A, pc->k, 2, 1);
op_LD_B_ABS: LOAD(A, pc->k, 1, 1);
op_LD_W_IND: LOAD(A, (uint64_t)X + pc->k, 4, 0);
op_LD_H_IND: LOAD(A, (uint64_t)X + pc->k, 2, 0);
op_LD_B_IND: LOAD(A, (uint64_t)X + pc->k, 1, 0);
op_LD_W_LEN: A = wirelen; NEXT();
op_LD_IMM: A = pc->k; NEXT();
op_LD_MEM: MEM_READY(); A = M[pc->k]; NEXT();
op_LDX_IMM: X = pc->k; NEXT();
op_LDX_MEM: MEM_READY(); X = M[pc->k]; NEXT();
op_LDX_LEN: X = wirelen; NEXT();
op_LDX_MSH: if (pc->k >= caplen) return 0; X = (pkt[pc->k] & 0xfu) << 2; NEXT();
op_ST: MEM_READY(); M[pc->k] = A; NEXT();
op_STX: MEM_READY(); M[pc->k] = X; NEXT();
op_ADD_K: A += pc->k; NEXT();
op_SUB_K: A -= pc->k; NEXT();
op_MUL_K: A *= pc->k; NEXT();
op_DIV_K: if (pc->k == 0) return 0; A /= pc->k; NEXT();
op_MOD_K: if (pc->k == 0) return 0; A %= pc->k; NEXT();
op_OR_K: A |= pc->k; NEXT();
op_AND_K: A &= pc->k; NEXT();
op_XOR_K: A ^= pc->k; NEXT();
op_LSH_K: A = pc->k < 32 ? A << pc->k : 0; NEXT();
op_RSH_K: A = pc->k < 32 ? A >> pc->k : 0; NEXT();
op_ADD_X: A += X; NEXT();
op_SUB_X: A -= X; NEXT();
op_MUL_X: A *= X; NEXT();
op_DIV_X: if (X == 0) return 0; A /= X; NEXT();
op_MOD_X: if (X == 0) return 0; A %= X; NEXT();
op_OR_X: A |= X; NEXT();
op_AND_X: A &= X; NEXT();
op_XOR_X: A ^= X; NEXT();
op_LSH_X: A = X < 32 ? A << X : 0; NEXT();
op_RSH_X: A = X < 32 ? A >> X : 0; NEXT();
op_NEG: A = 0u - A; NEXT();
op_JA:
    k = pc->k;
    if ((int32_t)k < 0) {
        if ((int32_t)k == -1 || ++backward > PF_CBPF_MAX_BACKWARD_JUMPS)
            return 0;
        if ((size_t)(pc - insns) + 1 < (size_t)-(int64_t)(int32_t)k)
            return 0;
    } else if ((uint64_t)k >= (uint64_t)(end - pc)) {
        return 0;
    }
    pc += 1 + (int64_t)(int32_t)k;
    DISPATCH();
op_JEQ_K: JUMP(A == pc->k);
op_JGT_K: JUMP(A > pc->k);
op_JGE_K: JUMP(A >= pc->k);
op_JSET_K: JUMP(A & pc->k);
op_JEQ_X: JUMP(A == X);
op_JGT_X: JUMP(A > X);
op_JGE_X: JUMP(A >= X);
op_JSET_X: JUMP(A & X);
op_RET_K: return pc->k;
op_RET_A: return A;
op_TAX: X = A; NEXT();
op_TXA: A = X; NEXT();
op_invalid:
    return 0;
#undef LOAD
#undef MEM_READY
#undef JUMP
#undef NEXT
#undef DISPATCH
}

