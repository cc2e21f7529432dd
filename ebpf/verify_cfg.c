/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The verifier's control-flow graph: the successors of an instruction and
 * a depth-first search that refuses cycles and orders the instructions
 * topologically. Backward jumps are allowed (clang places shared return
 * blocks before the jumps that reach them) as long as no path can come
 * back to an instruction it has executed: with no cycle every path ends
 * within the program's length, which is what a filter must guarantee (the
 * Linux verifier's check_cfg makes the same distinction). The walk and the
 * liveness pass then visit instructions in topological order, so every
 * state that reaches an instruction is known before it is explored.
 */
#include <stdlib.h>

#include "verify_impl.h"

int pf_ebpf_v_succ(const struct pf_ebpf_insn *insns, long pc, long succ[2])
{
    const struct pf_ebpf_insn *in = &insns[pc];
    enum pf_ebpf_kind kind = pf_ebpf_opinfo[in->code].kind;
    int n = 0;

    switch (kind) {
    case PF_EBPF_KIND_EXIT: return 0;
    case PF_EBPF_KIND_JA:
    case PF_EBPF_KIND_JA32: succ[0] = pf_ebpf_jump_target(in, pc); return 1;
    case PF_EBPF_KIND_JMP_K:
    case PF_EBPF_KIND_JMP_X:
    case PF_EBPF_KIND_JMP32_K:
    case PF_EBPF_KIND_JMP32_X: succ[n++] = pf_ebpf_jump_target(in, pc); break;
    default: break;
    }
    succ[n++] = pc + (kind == PF_EBPF_KIND_LDDW ? 2 : 1);
    return n;
}

/* DFS frame: an instruction and how many of its successors are done. */
struct frame {
    long pc;
    int next;
};

/* Pushes @t unless visited; refuses an edge back into the DFS path. */
static int visit(struct venv *env, long from, long t, uint8_t *color,
                 struct frame *stack, size_t *depth)
{
    if (color[t] == 1) {
        env->pc = from;
        return pf_ebpf_vfail(env, PF_EBPF_RULE_BACK_EDGE, t);
    }
    if (color[t] == 0) {
        color[t] = 1;
        stack[(*depth)++] = (struct frame){.pc = t, .next = 0};
    }
    return 0;
}

/* Depth-first from 0 over the (structurally valid) graph; fills @order
 * with the reachable instructions in reverse postorder. */
static int dfs(struct venv *env, uint8_t *color, struct frame *stack,
               long *order, size_t *norder)
{
    size_t depth = 0, post = env->len;
    int rc = 0;

    color[0] = 1;
    stack[depth++] = (struct frame){.pc = 0, .next = 0};
    while (depth && !rc) {
        struct frame *f = &stack[depth - 1];
        long succ[2];
        int ns = pf_ebpf_v_succ(env->insns, f->pc, succ);

        if (f->next < ns) {
            long t = succ[f->next++];

            rc = visit(env, f->pc, t, color, stack, &depth);
            continue;
        }
        color[f->pc] = 2;
        order[--post] = f->pc;
        depth--;
    }
    *norder = env->len - post;
    return rc;
}

int pf_ebpf_v_order(struct venv *env, long *order, long *rank,
                    size_t *norder)
{
    uint8_t *color = calloc(env->len, 1);
    struct frame *stack = malloc(env->len * sizeof(*stack));
    size_t n = 0;
    int rc;

    if (!color || !stack) {
        free(color);
        free(stack);
        return pf_ebpf_vfail(env, PF_EBPF_RULE_NOMEM);
    }
    rc = dfs(env, color, stack, order, &n);
    if (!rc) {
        /* move the order to the front: order[0..n) */
        for (size_t i = 0; i < n; i++)
            order[i] = order[env->len - n + i];
        for (size_t i = 0; i < n; i++)
            rank[order[i]] = (long)i;
    }
    *norder = n;
    free(color);
    free(stack);
    return rc;
}
