#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
#
# pfcap against tcpdump on the same veth traffic, both capturing at once
# (so both see exactly the same packets), in three modes: default,
# immediate (--immediate-mode for both) and pfcap --threads 2 (tcpdump
# has one mode for that: default). Each writes a pcap file to tmpfs.
# Prints, per mode and tool: packets captured, dropped by the kernel,
# captured packets per second of sending, CPU seconds and CPU ns per
# captured packet. Usage: live_bench.sh PFCAP PFGEN [COUNT]
set -u
PFCAP=$1
PFGEN=$2
COUNT=${3:-1000000}
CASE=bench
. "$(dirname "$0")/netns.sh"
command -v tcpdump >/dev/null || skip "tcpdump is not installed"

# CPU seconds (user + system) of process $1 so far.
cpu_of() {
    awk -v hz="$(getconf CLK_TCK)" '{ printf "%.3f", ($14 + $15) / hz }' "/proc/$1/stat"
}

run_mode() {
    local mode=$1 pflags=$2 tflags=$3
    in_b_bg "$PFCAP" -i vb $pflags -w "$WORK/p.pcap" 2>"$WORK/p.err"
    P=$BGPID
    in_b_bg tcpdump -i vb $tflags -w "$WORK/t.pcap" 2>"$WORK/t.err"
    T=$BGPID
    wait_for "$WORK/p.err" "listening on"
    wait_for "$WORK/t.err" "listening on"
    out=$(ip netns exec "$NSA" "$PFGEN" send va "$COUNT" 0 all)
    set -- $out
    sent=$2 secs=$8
    sleep 1.2
    pc=$(cpu_of "$P") tc=$(cpu_of "$T")
    stop "$P"
    stop "$T"
    for tool in pfcap tcpdump; do
        f=$WORK/p.err c=$pc
        [ $tool = tcpdump ] && f=$WORK/t.err c=$tc
        cap=$(stat_of "$f" captured)
        drop=$(stat_of "$f" 'dropped by kernel')
        awk -v m="$mode" -v t="$tool" -v s="$sent" -v cap="$cap" -v d="$drop" \
            -v secs="$secs" -v c="$c" 'BEGIN {
                printf "%-10s %-8s %9d %9d %9d %10.0f %7.2f %8.0f\n", m, t, s, cap, d,
                    cap / secs, c, (cap > 0 ? c * 1e9 / cap : 0) }'
    done
    rm -f "$WORK"/p.pcap* "$WORK/t.pcap"
}

setup_netns
printf "%-10s %-8s %9s %9s %9s %10s %7s %8s\n" mode tool sent captured dropped "pps" "cpu_s" "ns/pkt"
run_mode default "" ""
run_mode immediate "--immediate-mode" "--immediate-mode"
run_mode threads2 "--threads 2 --fanout=hash" ""
