# SPDX-License-Identifier: BSD-2-Clause
#
# Sourced by the live-capture tests: two fresh network namespaces joined
# by a veth pair (va in $NSA, vb in $NSB), IPv6 off so the kernel sends
# nothing of its own, addresses from 10.99.0.0/24 inside them only, and
# a trap that removes namespaces, processes and files however the test
# ends. Exit status 77 (skip) only when the capabilities are missing.

skip() {
    echo "SKIP: $*" >&2
    echo "SKIP: this test needs root with CAP_NET_ADMIN, CAP_NET_RAW and network namespaces" >&2
    exit 77
}

fail() {
    echo "FAIL: $*" >&2
    exit 1
}

PF_TEST_ID="pfcapt-$$-$RANDOM"
NSA="$PF_TEST_ID-a"
NSB="$PF_TEST_ID-b"
WORK=$(mktemp -d "/tmp/$PF_TEST_ID.XXXXXX") || exit 1
PIDS=""
MOUNTS=""

cleanup() {
    for p in $PIDS; do kill -KILL "$p" 2>/dev/null; done
    for m in $MOUNTS; do umount "$m" 2>/dev/null; done
    ip netns del "$NSA" 2>/dev/null
    ip netns del "$NSB" 2>/dev/null
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

setup_netns() {
    command -v ip >/dev/null || skip "the ip command (iproute2) is missing"
    ip netns add "$NSA" 2>/dev/null || skip "cannot create a network namespace (ip netns add failed)"
    ip netns add "$NSB" || fail "ip netns add $NSB"
    for ns in "$NSA" "$NSB"; do
        ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
        ip netns exec "$ns" sysctl -qw net.ipv6.conf.default.disable_ipv6=1
        ip -n "$ns" link set lo up
    done
    ip -n "$NSA" link add name va type veth peer name vb netns "$NSB" ||
        skip "cannot create a veth pair"
    ip -n "$NSA" addr add 10.99.0.1/24 dev va
    ip -n "$NSB" addr add 10.99.0.2/24 dev vb
    ip -n "$NSA" link set va up
    ip -n "$NSB" link set vb up
    for _ in $(seq 1 50); do
        [ "$(ip netns exec "$NSB" cat /sys/class/net/vb/operstate)" = up ] &&
            [ "$(ip netns exec "$NSA" cat /sys/class/net/va/operstate)" = up ] && break
        sleep 0.1
    done
    # Probe: a packet socket needs CAP_NET_RAW.
    ip netns exec "$NSA" "$PFGEN" send va 1 >/dev/null 2>&1 ||
        skip "cannot send on a packet socket (CAP_NET_RAW?)"
}

# Runs a command in the capture namespace in the background; sets $BGPID.
in_b_bg() {
    ip netns exec "$NSB" "$@" &
    BGPID=$!
    PIDS="$PIDS $BGPID"
}

# Waits until file $1 contains $2 (at most ~10 s).
wait_for() {
    for _ in $(seq 1 100); do
        grep -q "$2" "$1" 2>/dev/null && return 0
        sleep 0.1
    done
    fail "timed out waiting for '$2' in $1: $(cat "$1" 2>/dev/null)"
}

# Sends $1 frames at $2 pps (0 = top rate) of mix $3 from va; sets
# SENT, TCP80, TXDROP.
send() {
    out=$(ip netns exec "$NSA" "$PFGEN" send va "$1" "${2:-0}" "${3:-all}") ||
        fail "pfgen send failed"
    set -- $out
    SENT=$2
    TCP80=$4
    TXDROP=$6
    echo "generator: $out"
}

# Stops background process $1 with signal $2 (default INT), waits, and
# sets RC to its exit status.
stop() {
    kill -"${2:-INT}" "$1" 2>/dev/null
    wait "$1"
    RC=$?
}

# The "N packets captured" etc. figure $2 from pfcap's stderr file $1.
stat_of() {
    sed -n "s/^\([0-9]*\) packets\{0,1\} $2\$/\1/p" "$1" | tail -n 1
}
