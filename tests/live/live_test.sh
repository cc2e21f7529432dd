#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
#
# Live-capture tests on a real kernel: pfcap captures on one end of a veth
# pair in its own network namespace while pfgen sends known frames from
# the other end, and tcpdump (the reference) captures the same traffic
# where a verdict is compared. Usage: live_test.sh PFCAP PFGEN CASE.
set -u

PFCAP=$1
PFGEN=$2
CASE=$3
. "$(dirname "$0")/netns.sh"

TCPDUMP=$(command -v tcpdump)

# Starts pfcap in the capture namespace with stderr in $WORK/p.err.
pfcap_bg() {
    in_b_bg "$PFCAP" -i vb "$@" 2>"$WORK/p.err"
    PF=$BGPID
    wait_for "$WORK/p.err" "listening on"
}

tcpdump_bg() {
    [ -n "$TCPDUMP" ] || fail "tcpdump (the reference) is not installed"
    # A large buffer: tcpdump's default drops at these rates.
    in_b_bg "$TCPDUMP" -i vb -B 65536 "$@" 2>"$WORK/t.err"
    TD=$BGPID
    wait_for "$WORK/t.err" "listening on"
}

# Packets of capture files as tcpdump prints them, without timestamps.
dump() {
    "$TCPDUMP" -r "$1" -nn -t -e -x 2>/dev/null
}

expect_eq() {
    [ "$1" = "$2" ] || fail "$3: got '$1', expected '$2'"
    echo "ok: $3 = $2"
}

# A program from tcpdump -ddd compiled for the live interface.
program() {
    ip netns exec "$NSB" "$TCPDUMP" -ddd -i vb "$1" >"$WORK/prog" ||
        fail "tcpdump -ddd '$1'"
}

# Kernel-filtered capture next to tcpdump: same packets, exactly the
# matching ones. The program is tcpdump's (--cbpf), or with EXPR=1 pfcap's
# own compilation of the expression for a live socket.
t_filter() {
    local expr=$1 want=$2
    shift 2
    if [ "${EXPR:-0}" = 1 ]; then
        pfcap_bg -w "$WORK/p.pcap" "$@" "$expr"
    else
        program "$expr"
        pfcap_bg --cbpf "$WORK/prog" -w "$WORK/p.pcap" "$@"
    fi
    tcpdump_bg -w "$WORK/t.pcap" "$expr"
    send 4000 10000
    sleep 1.5
    stop "$PF"
    expect_eq "$RC" 0 "pfcap exit status"
    stop "$TD"
    echo "tcpdump: $(tr '\n' ' ' <"$WORK/t.err")"
    grep -q "user space\|instead" "$WORK/p.err" && fail "filter did not go in the kernel: $(cat "$WORK/p.err")"
    [ "$want" = tcp80 ] && want=$TCP80
    expect_eq "$(stat_of "$WORK/p.err" captured)" "$want" "packets captured"
    expect_eq "$(stat_of "$WORK/p.err" 'received by filter')" "$want" "received by filter"
    dump "$WORK/p.pcap" >"$WORK/p.txt"
    dump "$WORK/t.pcap" >"$WORK/t.txt"
    cmp -s "$WORK/p.txt" "$WORK/t.txt" ||
        fail "pfcap and tcpdump captured different packets: $(diff "$WORK/p.txt" "$WORK/t.txt" | head -5)"
    echo "ok: pfcap and tcpdump captured the same $want packets"
}

# A program longer than the kernel takes: user space, same verdicts.
t_userspace() {
    program "tcp port 80"
    { echo $(( $(head -n 1 "$WORK/prog") + 4200 ))
      for _ in $(seq 1 4200); do echo "1 0 0 0"; done
      tail -n +2 "$WORK/prog"; } >"$WORK/long"
    pfcap_bg --cbpf "$WORK/long" -w "$WORK/p.pcap"
    send 4000 20000
    sleep 0.3
    stop "$PF"
    expect_eq "$RC" 0 "pfcap exit status"
    expect_eq "$(grep -c "user space" "$WORK/p.err")" 1 "user-space notices"
    expect_eq "$(stat_of "$WORK/p.err" captured)" "$TCP80" "packets captured"
    set -- $("$PFGEN" check "$SENT" "$WORK/p.pcap")
    expect_eq "$4" "$TCP80" "distinct frames"
}

# sent = captured + dropped, every packet once (single or N threads).
t_counts() {
    local threads=$1 files
    shift
    pfcap_bg -w "$WORK/p.pcap" --threads "$threads" "$@"
    send 200000 0 all
    sleep 0.5
    stop "$PF" TERM
    expect_eq "$RC" 0 "pfcap exit status"
    cap=$(stat_of "$WORK/p.err" captured)
    drop=$(stat_of "$WORK/p.err" 'dropped by kernel')
    recv=$(stat_of "$WORK/p.err" 'received by filter')
    echo "captured $cap dropped $drop received $recv (veth dropped $TXDROP)"
    expect_eq $((cap + drop)) $((SENT - TXDROP)) "captured + dropped"
    if [ "$threads" -gt 1 ] && ! echo "$*" | grep -q merge; then
        files=$(ls "$WORK"/p.pcap.*)
        [ "$(echo "$files" | wc -l)" = "$threads" ] || fail "expected $threads files: $files"
        for f in $files; do
            n=$("$PFGEN" check "$SENT" "$f" | cut -d' ' -f2)
            [ "$n" -gt 0 ] || fail "worker file $f is empty: no fanout?"
            echo "ok: $f holds $n packets"
        done
    else
        files=$WORK/p.pcap
    fi
    set -- $("$PFGEN" check "$SENT" $files)
    expect_eq "$2" "$cap" "packets in the files"
    expect_eq "$4" "$cap" "distinct frames"
    expect_eq "$6" 0 "frames seen twice"
}

# --merge: one file in timestamp order.
t_merge() {
    t_counts 2 --merge --fanout=lb
    "$TCPDUMP" -r "$WORK/p.pcap" -nn -tt 2>/dev/null | cut -d' ' -f1 >"$WORK/ts"
    sort -c -n "$WORK/ts" || fail "merged file is not in timestamp order"
    echo "ok: merged file in timestamp order"
}

# Immediate mode at the generator's top rate: nothing dropped.
t_immediate() {
    pfcap_bg --immediate-mode -w "$WORK/p.pcap"
    send 100000 0 small
    sleep 0.3
    stop "$PF"
    expect_eq "$(stat_of "$WORK/p.err" 'dropped by kernel')" 0 "dropped"
    expect_eq "$(stat_of "$WORK/p.err" captured)" $((SENT - TXDROP)) "captured"
}

# -C 1: a new file each MB, named as tcpdump names them; -W 2 wraps.
t_rotate_size() {
    pfcap_bg -w "$WORK/r.pcap" -C 1
    send 6000 20000
    sleep 0.3
    stop "$PF"
    expect_eq "$RC" 0 "pfcap exit status"
    ls "$WORK"/r.pcap "$WORK"/r.pcap1 "$WORK"/r.pcap2 >/dev/null || fail "missing r.pcap, r.pcap1, r.pcap2: $(ls "$WORK")"
    set -- $("$PFGEN" check "$SENT" "$WORK"/r.pcap*)
    expect_eq "$2" "$SENT" "packets over all files"
    for f in "$WORK"/r.pcap*; do
        s=$(stat -c %s "$f")
        [ "$s" -le 1100000 ] || fail "$f is $s bytes, over -C 1"
    done
    pfcap_bg -w "$WORK/w.pcap" -C 1 -W 2
    send 6000 20000
    sleep 0.3
    stop "$PF"
    expect_eq "$(cd "$WORK" && ls w.pcap* | tr '\n' ' ')" "w.pcap0 w.pcap1 " "-W 2 files"
}

# -G 1 rotates every second even with no traffic; -G with -W stops.
t_rotate_time() {
    pfcap_bg -w "$WORK/g-%s.pcap" -G 1
    sleep 3.6
    stop "$PF"
    n=$(ls "$WORK"/g-*.pcap | wc -l)
    [ "$n" -ge 3 ] || fail "-G 1 over 3.6 s of silence made $n files"
    echo "ok: -G 1 made $n files with no traffic"
    for f in "$WORK"/g-*.pcap; do
        capinfos -c "$f" >/dev/null 2>&1 || fail "$f is not a valid capture"
    done
    in_b_bg "$PFCAP" -i vb -w "$WORK/h-%s.pcap" -G 1 -W 2 2>"$WORK/h.err"
    wait "$BGPID"
    expect_eq "$?" 0 "-G 1 -W 2 exit status"
    grep -q "Maximum file limit reached: 2" "$WORK/h.err" || fail "no file limit message"
    expect_eq "$(ls "$WORK"/h-*.pcap | wc -l)" 2 "-G 1 -W 2 files"
}

# SIGTERM in the middle of traffic: a complete file tshark reads whole.
t_sigterm() {
    pfcap_bg -w "$WORK/s.pcap"
    ip netns exec "$NSA" "$PFGEN" send va 400000 30000 >/dev/null &
    G=$!
    PIDS="$PIDS $G"
    sleep 1
    stop "$PF" TERM
    expect_eq "$RC" 0 "pfcap exit status"
    kill "$G" 2>/dev/null
    wait "$G"
    cap=$(stat_of "$WORK/p.err" captured)
    [ "$cap" -gt 0 ] || fail "nothing captured"
    command -v tshark >/dev/null || skip "tshark is not installed"
    n=$(tshark -r "$WORK/s.pcap" 2>"$WORK/ts.err" | wc -l)
    grep -v "Running as user" "$WORK/ts.err" >"$WORK/ts.err2"
    [ -s "$WORK/ts.err2" ] && fail "tshark: $(cat "$WORK/ts.err2")"
    expect_eq "$n" "$cap" "packets tshark reads"
}

# Write error: a tiny tmpfs fills up; clear message, what is there stays
# readable.
t_write_error() {
    mkdir "$WORK/small"
    mount -t tmpfs -o size=2500k tmpfs "$WORK/small" || skip "cannot mount a tmpfs"
    MOUNTS="$WORK/small"
    pfcap_bg -w "$WORK/small/f.pcap"
    send 12000 20000
    sleep 1
    stop "$PF"
    expect_eq "$RC" 2 "exit status after the write error"
    grep -q "No space left on device" "$WORK/p.err" || fail "no clear message: $(cat "$WORK/p.err")"
    echo "ok: $(grep -m1 "No space" "$WORK/p.err")"
    "$TCPDUMP" -r "$WORK/small/f.pcap" -nn >/dev/null 2>"$WORK/r.err" ||
        fail "partial file unreadable: $(cat "$WORK/r.err")"
    n=$("$TCPDUMP" -r "$WORK/small/f.pcap" -nn 2>/dev/null | wc -l)
    [ "$n" -gt 0 ] || fail "nothing was kept before the disk filled up"
    echo "ok: the partial file reads cleanly: $n packets"
}

# -Z: the capture goes on as 'nobody', who cannot open a raw socket.
t_privdrop() {
    id nobody >/dev/null 2>&1 || skip "no user 'nobody'"
    pfcap_bg -Z nobody -w "$WORK/z.pcap"
    sleep 0.2
    uid=$(awk '/^Uid:/ {print $3}' "/proc/$PF/status")
    cap=$(awk '/^CapEff:/ {print $2}' "/proc/$PF/status")
    expect_eq "$uid" "$(id -u nobody)" "effective uid"
    expect_eq "$cap" 0000000000000000 "effective capabilities"
    send 800 20000
    sleep 0.3
    stop "$PF"
    expect_eq "$(stat_of "$WORK/p.err" captured)" "$SENT" "captured after -Z"
    # The same user really cannot open a packet socket.
    ip netns exec "$NSB" setpriv --reuid=nobody --regid=nogroup --clear-groups \
        "$PFCAP" -i vb -c 1 >/dev/null 2>"$WORK/n.err" &&
        fail "nobody could open a packet socket"
    grep -q "Operation not permitted" "$WORK/n.err" || fail "unexpected: $(cat "$WORK/n.err")"
    echo "ok: nobody: $(head -1 "$WORK/n.err")"
}

# -D and -L in tcpdump's format; -Q in/out; -c.
t_misc() {
    ip netns exec "$NSB" "$PFCAP" -D >"$WORK/d" || fail "-D failed"
    want=$(ip netns exec "$NSB" "$TCPDUMP" -D | sed -n 's/^[0-9]*\.\(vb .*\)/\1/p')
    expect_eq "$(sed -n 's/^[0-9]*\.\(vb .*\)/\1/p' "$WORK/d")" "$want" "-D line for vb"
    ip netns exec "$NSB" "$PFCAP" -L -i vb >"$WORK/l" || fail "-L failed"
    expect_eq "$(head -2 "$WORK/l" | tr '\n' '|')" "Data link types for vb (use option -y to set):|  EN10MB (Ethernet)|" "-L"
    # On the sending side every frame is outgoing.
    ip netns exec "$NSA" "$PFCAP" -i va -Q out -w "$WORK/o.pcap" 2>"$WORK/o.err" &
    O=$!; PIDS="$PIDS $O"
    ip netns exec "$NSA" "$PFCAP" -i va -Q in -w "$WORK/i.pcap" 2>"$WORK/i.err" &
    I=$!; PIDS="$PIDS $I"
    # The direction test goes in front of the program, in the kernel.
    program "tcp port 80"
    ip netns exec "$NSA" "$PFCAP" -i va -Q out --cbpf "$WORK/prog" -w "$WORK/f.pcap" 2>"$WORK/f.err" &
    F=$!; PIDS="$PIDS $F"
    ip netns exec "$NSA" "$TCPDUMP" -i va -B 65536 -Q out -w "$WORK/ft.pcap" "tcp port 80" 2>"$WORK/ft.err" &
    T=$!; PIDS="$PIDS $T"
    wait_for "$WORK/o.err" "listening on"
    wait_for "$WORK/i.err" "listening on"
    wait_for "$WORK/f.err" "listening on"
    wait_for "$WORK/ft.err" "listening on"
    send 500 20000
    sleep 1.5
    stop "$O"; stop "$I"; stop "$F"; stop "$T"
    # Tagged frames leave with the tag inline: 'tcp port 80' skips them.
    TCP80=$(stat_of "$WORK/ft.err" captured)
    dump "$WORK/f.pcap" >"$WORK/f.txt"
    dump "$WORK/ft.pcap" >"$WORK/ft.txt"
    cmp -s "$WORK/f.txt" "$WORK/ft.txt" || fail "-Q out: pfcap and tcpdump differ"
    expect_eq "$(stat_of "$WORK/o.err" captured)" "$SENT" "-Q out captured"
    expect_eq "$(stat_of "$WORK/i.err" captured)" 0 "-Q in captured"
    expect_eq "$(stat_of "$WORK/f.err" 'received by filter')" "$TCP80" "-Q out 'tcp port 80' in the kernel"
    expect_eq "$(stat_of "$WORK/f.err" captured)" "$TCP80" "-Q out 'tcp port 80' captured"
    pfcap_bg -c 10 -w "$WORK/c.pcap"
    send 500 20000
    wait "$PF"
    expect_eq "$(stat_of "$WORK/p.err" captured)" 10 "-c 10 captured"
}

# -s, --nano, -w - and --stats-interval.
t_output() {
    pfcap_bg -s 64 --nano -w "$WORK/s.pcap" --stats-interval 0.2
    in_b_bg sh -c "\"$PFCAP\" -i vb -w - 2>\"$WORK/o.err\" >\"$WORK/o.pcap\""
    O=$BGPID
    wait_for "$WORK/o.err" "listening on"
    send 3000 5000
    sleep 0.3
    stop "$PF"
    kill -INT $(pgrep -P "$O") 2>/dev/null
    wait "$O"
    expect_eq "$(od -An -tx4 -N4 "$WORK/s.pcap" | tr -d ' ')" a1b23c4d "nanosecond pcap magic"
    "$TCPDUMP" -r "$WORK/s.pcap" -c 1 2>&1 >/dev/null | grep -q "snapshot length 64" ||
        fail "snapshot length not 64"
    max=$(tshark -r "$WORK/s.pcap" -T fields -e frame.cap_len 2>/dev/null | sort -n | tail -1)
    expect_eq "$max" 64 "largest captured length with -s 64"
    grep -q "packets/s, .* Mbit/s, .* drops/s" "$WORK/p.err" || fail "no --stats-interval lines"
    echo "ok: $(grep -m1 "packets/s" "$WORK/p.err")"
    expect_eq "$("$TCPDUMP" -r "$WORK/o.pcap" -nn 2>/dev/null | wc -l)" "$SENT" "packets through -w -"
    pfcap_bg --pcapng -p -w "$WORK/n.pcapng"
    send 300 5000
    sleep 0.3
    stop "$PF"
    capinfos -t "$WORK/n.pcapng" | grep -q pcapng || fail "--pcapng did not write pcapng"
    expect_eq "$(capinfos -c -M "$WORK/n.pcapng" | awk '/Number of packets/ {print $NF}')" "$SENT" "packets in the pcapng file"
}

# Changing the filter of a running socket leaks nothing of the old one.
t_refilter() {
    ip netns exec "$NSA" "$PFGEN" send va 40000 40000 >/dev/null &
    G=$!
    PIDS="$PIDS $G"
    ip netns exec "$NSB" "$(dirname "$PFGEN")/refilter" vb >"$WORK/r.out" 2>&1
    RC=$?
    kill "$G" 2>/dev/null
    cat "$WORK/r.out"
    expect_eq "$RC" 0 "refilter status"
}

# The interface goes down mid-capture: a clear error, every packet that
# reached the ring still written.
t_ifdown() {
    pfcap_bg -w "$WORK/d.pcap"
    send 100 10000
    ip -n "$NSB" link set vb down
    for _ in $(seq 1 50); do
        kill -0 "$PF" 2>/dev/null || break
        sleep 0.1
    done
    stop "$PF"
    expect_eq "$RC" 2 "exit status"
    grep -q "the interface went down" "$WORK/p.err" || fail "no clear message: $(cat "$WORK/p.err")"
    expect_eq "$(stat_of "$WORK/p.err" captured)" "$SENT" "captured"
    expect_eq "$("$TCPDUMP" -r "$WORK/d.pcap" 2>/dev/null | wc -l)" "$SENT" "packets in the file"
}

setup_netns
case "$CASE" in
filter) t_filter "tcp port 80" tcp80 ;;
vlan) t_filter "vlan 100" 500 ;;
expr-filter) EXPR=1 t_filter "tcp port 80" tcp80 ;;
expr-vlan) EXPR=1 t_filter "vlan 100" 500 ;;
expr-ebpf) EXPR=1 t_filter "tcp port 80" tcp80 --kernel-filter=ebpf ;;
ebpf) t_filter "tcp port 80" tcp80 --kernel-filter=ebpf ;;
userspace) t_userspace ;;
refilter) t_refilter ;;
ifdown) t_ifdown ;;
counts) t_counts 1 ;;
drops) t_counts 1 -B 256 ;;
threads) t_counts 2 --fanout=hash ;;
merge) t_merge ;;
immediate) t_immediate ;;
rotate-size) t_rotate_size ;;
rotate-time) t_rotate_time ;;
sigterm) t_sigterm ;;
write-error) t_write_error ;;
privdrop) t_privdrop ;;
misc) t_misc ;;
output) t_output ;;
*) fail "unknown case $CASE" ;;
esac
echo "PASS: $CASE"
