#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# `pfcap compile` end to end: every --emit, checked against tcpdump (the
# cBPF listing), llvm-objdump and bpftool (the ELF object), and the
# errors. Usage: test_cli_compile.sh PFCAP
set -u
PFCAP=$1
# meson passes the program relative to the build directory
if [ ! -x "$PFCAP" ] && [ -n "${PF_BUILD_ROOT:-}" ]; then PFCAP=$PF_BUILD_ROOT/$PFCAP; fi
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0

check() { # check NAME COMMAND... : the command must succeed
    name=$1; shift
    if "$@"; then echo "ok   $name"; else echo "FAIL $name"; fails=$((fails + 1)); fi
}

expect_exit() { # expect_exit NAME STATUS PATTERN COMMAND...
    name=$1; want=$2; pat=$3; shift 3
    "$@" >"$T/out" 2>"$T/err"; got=$?
    if [ "$got" -eq "$want" ] && grep -q -- "$pat" "$T/err"; then
        echo "ok   $name"
    else
        echo "FAIL $name (exit $got, want $want; stderr:)"; cat "$T/err"
        fails=$((fails + 1))
    fi
}

EXPR='tcp port 80 or udp port 53'
tcpdump -ddd -y EN10MB "$EXPR" >"$T/prog.ddd" 2>/dev/null
tcpdump -d -y EN10MB "$EXPR" >"$T/want.d" 2>/dev/null

"$PFCAP" compile --emit=cbpf --cbpf "$T/prog.ddd" >"$T/got.d"
check "--emit=cbpf --cbpf FILE equals tcpdump -d" cmp -s "$T/want.d" "$T/got.d"
# (the expression compiler's own tests compare it with libpcap at length)
tcpdump -d -y LINUX_SLL ip >"$T/want2.d" 2>/dev/null
"$PFCAP" compile --emit=cbpf -y LINUX_SLL ip >"$T/got2.d"
check "--emit=cbpf -y LINUX_SLL ip equals tcpdump -d" cmp -s "$T/want2.d" "$T/got2.d"

"$PFCAP" compile --emit=ebpf --cbpf "$T/prog.ddd" >"$T/user.s"
check "--emit=ebpf (user) loads through r1" grep -q 'r0 = \*(u16 \*)(r1 + 12)' "$T/user.s"
check "--emit=ebpf (user) checks caplen once up front" grep -q 'if r2 < ' "$T/user.s"
"$PFCAP" compile --emit=ebpf --target=socket --cbpf "$T/prog.ddd" >"$T/sock.s"
check "--emit=ebpf --target=socket uses LD_ABS" grep -q 'skb\[' "$T/sock.s"
"$PFCAP" compile --emit=ebpf --target=xdp "$EXPR" >"$T/xdp.s"
check "--emit=ebpf --target=xdp ends in XDP verdicts" grep -q 'w0 = 2' "$T/xdp.s"

"$PFCAP" compile --emit=elf -o "$T/f.o" "$EXPR"
check "--emit=elf writes an EM_BPF object" sh -c "llvm-objdump -d '$T/f.o' | grep -q 'section socket'"
if [ "$(id -u)" = 0 ] && command -v bpftool >/dev/null && command -v unshare >/dev/null; then
    mkdir "$T/fs"
    check "--emit=elf object loads with bpftool" unshare -m sh -c \
        "mount -t bpf bpf '$T/fs' && bpftool prog load '$T/f.o' '$T/fs/p' type socket && rm '$T/fs/p'"
else
    echo "skip bpftool load (needs root, bpftool and unshare)"
fi

"$PFCAP" compile --emit=jit "$EXPR" >"$T/jit.txt"
check "--emit=jit prints hex bytes" grep -q -E '^([0-9a-f]{2} ){15}[0-9a-f]{2}$' "$T/jit.txt"
"$PFCAP" compile --emit=jit -o "$T/jit.bin" "$EXPR"
check "--emit=jit -o writes the code" test -s "$T/jit.bin"

expect_exit "no --emit is a usage error" 1 "emit" "$PFCAP" compile "$EXPR"
expect_exit "bad expression names the column" 1 "1:9: error" "$PFCAP" compile --emit=ebpf 'tcp port'
expect_exit "--emit=elf needs -o" 1 "-o FILE" "$PFCAP" compile --emit=elf "$EXPR"
expect_exit "unknown target" 1 "target" "$PFCAP" compile --emit=ebpf --target=tc "$EXPR"
tcpdump -ddd -y EN10MB 'ip6 protochain 6' >"$T/loop.ddd" 2>/dev/null
expect_exit "protochain's loop is refused for the kernel" 2 "backward jump" \
    "$PFCAP" compile --emit=ebpf --target=socket --cbpf "$T/loop.ddd"

if [ "$fails" -ne 0 ]; then echo "$fails check(s) failed"; exit 1; fi
echo "all checks passed"
