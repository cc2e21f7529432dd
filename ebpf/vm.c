/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The VM handle: a verified copy of a program, optionally compiled to
 * x86-64, and the entry points that build a run context and call the
 * machine code or the interpreter.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ebpf_impl.h"

int pf_ebpf_vm_new(const struct pf_ebpf_insn *insns, size_t len,
                   enum pf_ebpf_prog_type type, struct pf_ebpf_vm **out,
                   struct pf_error *err)
{
    struct pf_ebpf_vm *vm;
    int rc;

    *out = NULL;
    rc = pf_ebpf_verify(insns, len, type, err);
    if (rc)
        return rc;
    vm = calloc(1, sizeof(*vm));
    if (vm) {
        vm->insns = malloc(len * sizeof(*insns));
        vm->code = malloc(len * sizeof(*vm->code));
    }
    if (!vm || !vm->insns || !vm->code ||
        pf_ebpf_interp_prepare(insns, len, vm->code)) {
        pf_ebpf_vm_free(vm);
        return pf_error_set(err, -ENOMEM, PF_STAGE_EBPF, PF_EBPF_RULE_NOMEM,
                            "out of memory");
    }
    memcpy(vm->insns, insns, len * sizeof(*insns));
    vm->len = len;
    vm->type = type;
    *out = vm;
    return 0;
}

void pf_ebpf_vm_free(struct pf_ebpf_vm *vm)
{
    if (!vm)
        return;
    pf_ebpf_jit_release(vm);
    free(vm->insns);
    free(vm->code);
    free(vm);
}

int pf_ebpf_vm_jit(struct pf_ebpf_vm *vm, struct pf_error *err)
{
    if (vm->jit_code)
        return 0;
    return pf_ebpf_jit_compile(vm, err);
}

int pf_ebpf_vm_jit_code(const struct pf_ebpf_vm *vm, const void **code,
                        size_t *len)
{
    if (!vm->jit_code)
        return -ENOENT;
    *code = vm->jit_code;
    *len = vm->jit_size;
    return 0;
}

int pf_ebpf_vm_jit_filter_entry(const struct pf_ebpf_vm *vm,
                                const void **entry)
{
    if (!vm->jit_code || vm->type != PF_EBPF_PROG_FILTER)
        return -ENOENT;
    *entry = (const uint8_t *)vm->jit_base + PF_EBPF_JIT_SHIM_ENTRY;
    return 0;
}

enum pf_ebpf_prog_type pf_ebpf_vm_type(const struct pf_ebpf_vm *vm)
{
    return vm->type;
}

const struct pf_ebpf_insn *pf_ebpf_vm_insns(const struct pf_ebpf_vm *vm,
                                            size_t *len)
{
    *len = vm->len;
    return vm->insns;
}

/* Calls the machine code of @vm with three arguments. */
static uint64_t call_jit(const struct pf_ebpf_vm *vm, uint64_t a, uint64_t b,
                         uint64_t c)
{
    uint64_t (*fn)(uint64_t, uint64_t, uint64_t);

    memcpy(&fn, &vm->jit_code, sizeof(fn));
    return fn(a, b, c);
}

/* Runs @vm on @a, @b, @c with the JIT when @jit and compiled. */
static uint64_t run(const struct pf_ebpf_vm *vm, uint64_t a, uint64_t b,
                    uint64_t c, int jit)
{
    if (jit && vm->jit_code)
        return call_jit(vm, a, b, c);
    return pf_ebpf_interp_run(vm->code, a, b, c);
}

/* Fills the context of a socket program. */
static void fill_ctx(struct pf_ebpf_run_ctx *rc, const uint8_t *pkt,
                     uint32_t len, const struct pf_ebpf_skb_meta *m,
                     const uint32_t *cb)
{
    memset(rc, 0, sizeof(*rc));
    rc->data = pkt;
    rc->len = len;
    rc->skb.len = len;
    if (m) {
        rc->skb.protocol = __builtin_bswap16(m->protocol);
        rc->skb.pkt_type = m->pkt_type;
        rc->skb.ifindex = m->ifindex;
        rc->skb.ingress_ifindex = m->ifindex;
        rc->skb.mark = m->mark;
        rc->skb.priority = m->priority;
        rc->skb.hash = m->hash;
        rc->skb.queue_mapping = m->queue_mapping;
        rc->skb.vlan_present = m->vlan_present;
        rc->skb.vlan_tci = m->vlan_tci;
        rc->skb.vlan_proto = __builtin_bswap16((uint16_t)m->vlan_proto);
    }
    if (cb)
        memcpy(rc->skb.cb, cb, sizeof(rc->skb.cb));
}

uint64_t pf_ebpf_vm_run_socket(const struct pf_ebpf_vm *vm, const uint8_t *pkt,
                               uint32_t len,
                               const struct pf_ebpf_skb_meta *meta,
                               const uint32_t *cb, int jit)
{
    struct pf_ebpf_run_ctx rc;

    if (vm->type == PF_EBPF_PROG_FILTER)
        return run(vm, (uintptr_t)pkt, len, len, jit);
    fill_ctx(&rc, pkt, len, meta, cb);
    return run(vm, (uintptr_t)&rc, 0, 0, jit);
}

uint64_t pf_ebpf_vm_run_filter(const struct pf_ebpf_vm *vm, const uint8_t *pkt,
                               uint32_t caplen, uint32_t wirelen)
{
    if (vm->type == PF_EBPF_PROG_SOCKET)
        return pf_ebpf_vm_run_socket(vm, pkt, caplen, NULL, NULL, 1);
    return run(vm, (uintptr_t)pkt, caplen, wirelen, 1);
}

uint64_t pf_ebpf_vm_run_interp(const struct pf_ebpf_vm *vm, const uint8_t *pkt,
                               uint32_t caplen, uint32_t wirelen)
{
    if (vm->type == PF_EBPF_PROG_SOCKET)
        return pf_ebpf_vm_run_socket(vm, pkt, caplen, NULL, NULL, 0);
    return run(vm, (uintptr_t)pkt, caplen, wirelen, 0);
}
