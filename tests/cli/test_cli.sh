#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# End-to-end tests of the pfcap command: filtering capture files with cBPF
# programs keeps exactly the packets tcpdump keeps, -d/-dd/-ddd print what
# tcpdump prints, and errors have the promised exit statuses and messages.
set -u

PFCAP="${PF_BUILD_ROOT:?}/cli/pfcap"
CORPUS="${PF_CORPUS:?}"
SRC="${PF_SOURCE_ROOT:?}"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
fails=0
checks=0

fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ok() { checks=$((checks + 1)); }

if ! command -v tcpdump >/dev/null; then
    echo "SKIP: tcpdump is not installed; the CLI tests compare against it" >&2
    exit 77
fi

# Prints a capture's packets so that two files can be compared.
show() { tcpdump -nn -tt -xx -r "$1" 2>/dev/null; }

# Compares two capture files' packets: records byte for byte when both
# files have the same header magic, else as tcpdump prints them.
same_packets() {
    if [ "$(head -c 4 "$1" | od -An -tx1)" = "$(head -c 4 "$2" | od -An -tx1)" ]; then
        cmp -s <(tail -c +25 "$1") <(tail -c +25 "$2")
    else
        cmp -s <(show "$1") <(show "$2")
    fi
}

# 1. -r IN -w OUT --cbpf PROG keeps exactly what tcpdump -r IN -w REF EXPR keeps.
filters=("tcp" "udp port 53" "ip6" "arp or icmp" "tcp[tcpflags] & tcp-syn != 0"
         "vlan" "ip and len > 200" "not ip" "ip6 protochain 6" "ether broadcast")
for i in "${!filters[@]}"; do
    tcpdump -y EN10MB -ddd "${filters[$i]}" >"$TMP/prog$i" 2>/dev/null
done
files=$(find "$CORPUS/tcpdump" -name '*.pcap' -size -200k | sort | awk 'NR % 2 == 1' | head -60)
efiles=""
for f in $files; do
    lt=$(tcpdump -r "$f" -c 1 2>&1 >/dev/null | sed -n 's/.*link-type \([A-Z0-9_]*\).*/\1/p')
    [ "$lt" = EN10MB ] && efiles="$efiles $f"
done
nfiles=0
for f in $efiles; do
    nfiles=$((nfiles + 1))
    for i in "${!filters[@]}"; do
        tcpdump -r "$f" -w "$TMP/ref.pcap" "${filters[$i]}" 2>/dev/null
        "$PFCAP" -r "$f" -w "$TMP/out.pcap" --cbpf "$TMP/prog$i" 2>"$TMP/err"
        st=$?
        # A damaged file ends with an error (status 2) after the good packets.
        if [ $st -ne 0 ] && [ $st -ne 2 ]; then
            fail "$f '${filters[$i]}': exit status $st: $(cat "$TMP/err")"
        elif ! same_packets "$TMP/ref.pcap" "$TMP/out.pcap"; then
            fail "$f '${filters[$i]}': pfcap kept different packets than tcpdump"
        else
            ok
        fi
    done
done
echo "filtered $nfiles Ethernet captures x ${#filters[@]} programs: $checks identical"
[ "$nfiles" -ge 20 ] || fail "only $nfiles Ethernet captures found in $CORPUS"

# 1b. A socket filter written in C and built with clang (--ebpf-obj) keeps the
#     packets of the equivalent expression, in the JIT, the eBPF
#     interpreter and the kernel.
if command -v clang >/dev/null &&
    clang -O2 -target bpf -c "$SRC/tests/cli/sockfilter_web.c" -o "$TMP/web.o" 2>"$TMP/err"; then
    engines="jit ebpf-interp"
    "$PFCAP" -r "$SRC/data/sample.pcap" --ebpf-obj "$TMP/web.o" --engine=kernel --count >/dev/null 2>&1 &&
        engines="$engines kernel" || echo "NOTE: kernel engine unavailable here; not tested for --ebpf-obj"
    nobj=0
    for f in $(echo $efiles | tr ' ' '\n' | head -20); do
        tcpdump -r "$f" -w "$TMP/ref.pcap" 'ip and tcp dst port 80' 2>/dev/null
        for e in $engines; do
            "$PFCAP" -r "$f" -w "$TMP/out.pcap" --ebpf-obj "$TMP/web.o" --engine=$e 2>/dev/null
            if same_packets "$TMP/ref.pcap" "$TMP/out.pcap"; then
                ok
            else
                fail "$f: --ebpf-obj on $e kept different packets than tcpdump 'ip and tcp dst port 80'"
            fi
        done
        nobj=$((nobj + 1))
    done
    echo "--ebpf-obj: $nobj Ethernet captures x engines ($engines) compared"
else
    echo "NOTE: clang cannot build eBPF objects here; --ebpf-obj not tested: $(cat "$TMP/err" 2>/dev/null)"
fi

# 2. -d, -dd and -ddd print exactly what tcpdump prints.
for expr in "tcp dst port 80" "ip6 protochain 17" "vlan 10 and udp" "len < 100"; do
    tcpdump -y EN10MB -ddd "$expr" >"$TMP/prog" 2>/dev/null
    for d in -d -dd -ddd; do
        if cmp -s <(tcpdump -y EN10MB $d "$expr" 2>/dev/null) <("$PFCAP" $d --cbpf "$TMP/prog"); then
            ok
        else
            fail "pfcap $d differs from tcpdump $d for '$expr'"
        fi
    done
done

# 3. Statuses and messages.
expect() { # expect STATUS PATTERN -- command...
    local want=$1 pat=$2
    shift 3
    "$@" >"$TMP/out" 2>"$TMP/err"
    local st=$?
    if [ $st -ne "$want" ]; then
        fail "'$*' exited $st, expected $want ($(head -c 300 "$TMP/err"))"
    elif ! grep -q -- "$pat" "$TMP/err" "$TMP/out"; then
        fail "'$*' did not print '$pat': $(head -c 300 "$TMP/err")"
    else
        ok
    fi
}
printf '2\n40 0 0 12\n4 0 0 1\n' >"$TMP/bad.cbpf"
printf '1\n6 0 0 65535 extra\n' >"$TMP/junk.cbpf"
expect 0 "Usage: pfcap" -- "$PFCAP" --help
expect 0 "pfcap version" -- "$PFCAP" --version
expect 1 "nothing to do" -- "$PFCAP"
expect 1 "invalid option" -- "$PFCAP" --no-such-option
expect 1 "unknown link type" -- "$PFCAP" -y NOSUCHTYPE -d --cbpf "$TMP/bad.cbpf"
expect 2 "no-such-file" -- "$PFCAP" -r "$TMP/no-such-file.pcap"
expect 1 "does not end in ret" -- "$PFCAP" -r "$SRC/data/sample.pcap" --cbpf "$TMP/bad.cbpf"
expect 1 "line 2" -- "$PFCAP" -r "$SRC/data/sample.pcap" --cbpf "$TMP/junk.cbpf"
expect 2 "error" -- "$PFCAP" -r "$CORPUS/libpcap/pcap-invalid-version-1.pcap"

# 4. A damaged file: every good packet before the damage is written, then
#    an error naming the byte offset, exit status 2.
head -c 1000 "$SRC/data/sample.pcap" >"$TMP/cut.pcap"
good=$(tcpdump -r "$TMP/cut.pcap" 2>/dev/null | wc -l)
"$PFCAP" -r "$TMP/cut.pcap" -w "$TMP/cut-out.pcap" 2>"$TMP/err"
st=$?
got=$(tcpdump -r "$TMP/cut-out.pcap" 2>/dev/null | wc -l)
if [ $st -ne 2 ] || [ "$got" -ne "$good" ] || ! grep -q "offset [0-9]" "$TMP/err"; then
    fail "truncated file: status $st, $got of $good packets, stderr: $(cat "$TMP/err")"
else
    ok
fi

# 5. -c, -U and --count.
"$PFCAP" -r "$SRC/data/sample.pcap" -U -w "$TMP/u.pcap" && cmp -s "$TMP/u.pcap" <("$PFCAP" -r "$SRC/data/sample.pcap" -w -) &&
    ok || fail "-U -w differs from -w -"
n=$("$PFCAP" -r "$SRC/data/sample.pcap" --count | awk '{print $1}')
want=$(tcpdump -r "$SRC/data/sample.pcap" 2>/dev/null | wc -l)
[ "$n" = "$want" ] && ok || fail "--count printed $n, tcpdump counts $want"
"$PFCAP" -r "$SRC/data/sample.pcap" -c 3 -w "$TMP/three.pcap"
n=$(tcpdump -r "$TMP/three.pcap" 2>/dev/null | wc -l)
[ "$n" = 3 ] && ok || fail "-c 3 wrote $n packets"

# 6. `pfcap bench` with its default engines (make demo runs it; the kernel
# engine and its empty-program harness run where bpf() is allowed): every
# engine accepts what tcpdump accepts.
want=$(tcpdump -r "$SRC/data/sample.pcap" 'tcp dst port 80' 2>/dev/null | wc -l)
out=$("$PFCAP" bench -r "$SRC/data/sample.pcap" 'tcp dst port 80' 2>&1)
rc=$?
bad=$(printf '%s\n' "$out" | awk -v w="$want" '$1 ~ /^(jit|ebpf-interp|cbpf|kernel|libpcap)$/ && $2 ~ /^[0-9.]+$/ && $NF != w' | wc -l)
nengines=$(printf '%s\n' "$out" | awk '$1 ~ /^(jit|ebpf-interp|cbpf|libpcap)$/ && $2 ~ /^[0-9.]+$/' | wc -l)
[ $rc -eq 0 ] && [ "$bad" = 0 ] && [ "$nengines" = 4 ] && ok ||
    fail "pfcap bench: exit $rc, $bad engines with another count than tcpdump's $want: $out"

echo "$checks passed, $fails failed"
[ $fails -eq 0 ]
