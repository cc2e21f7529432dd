#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Parallel filtering of one capture file (pfcap -r IN --threads N): for
# corpus files and for larger captures generated here from corpus packets,
# --threads 2 and 3 give byte-identical output, the same messages and the
# same exit status as --threads 1 (the single-threaded loop), in every
# output mode (-w FILE, -w -, --pcapng, printing, --count, -c N), and on
# damaged copies (every good match, then the same error at the same byte
# offset, exit status 2). PFCAP_CHUNK_BYTES=1 makes every record a chunk
# of its own, so that chunk boundaries fall everywhere. The generated
# files are also checked against tcpdump, so that "identical" cannot mean
# "identically empty".
set -u

PFCAP="${PF_BUILD_ROOT:?}/cli/pfcap"
CORPUS="${PF_CORPUS:?}"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/pfcap-threads.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
fails=0
checks=0

fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

# run TAG THREADS ARGS...: pfcap's stdout, stderr and status in $TMP/TAG.*
# (standard input from the file $STDIN)
run() {
    local tag=$1 t=$2
    shift 2
    "$PFCAP" --threads "$t" "$@" <"${STDIN:-/dev/null}" >"$TMP/$tag.out" \
        2>"$TMP/$tag.err"
    echo $? >"$TMP/$tag.st"
}

# same WHAT ARGS...: --threads 2 and 3 (or those in $THREADS) behave
# exactly as --threads 1. With -w FILE, FILE must be $TMP/w, which is
# compared as well.
same() {
    local what=$1 t
    shift
    rm -f "$TMP/w"
    run ref 1 "$@"
    [ -e "$TMP/w" ] && mv "$TMP/w" "$TMP/ref.w"
    for t in ${THREADS:-2 3}; do
        rm -f "$TMP/w"
        run par "$t" "$@"
        if grep -q "Sanitizer\|runtime error" "$TMP/ref.err" "$TMP/par.err"
        then
            fail "$what: sanitizer report: $(head -c 600 "$TMP/par.err")"
        elif ! cmp -s "$TMP/ref.st" "$TMP/par.st"; then
            fail "$what: status $(cat "$TMP/par.st") with --threads $t," \
                 "$(cat "$TMP/ref.st") with 1: $(head -c 300 "$TMP/par.err")"
        elif ! cmp -s "$TMP/ref.out" "$TMP/par.out"; then
            fail "$what: standard output differs with --threads $t"
        elif ! cmp -s "$TMP/ref.err" "$TMP/par.err"; then
            fail "$what: messages differ with --threads $t:" \
                 "$(head -c 300 "$TMP/par.err")"
        elif [ -e "$TMP/ref.w" ] && ! cmp -s "$TMP/ref.w" "$TMP/w"; then
            fail "$what: -w file differs with --threads $t"
        else
            checks=$((checks + 1))
        fi
    done
    rm -f "$TMP/ref.w"
}

# status_is WHAT N: the last reference run ended with status N.
status_is() {
    if [ "$(cat "$TMP/ref.st")" != "$2" ]; then
        fail "$1: status $(cat "$TMP/ref.st"), expected $2:" \
             "$(head -c 300 "$TMP/ref.err")"
    fi
}

# le32 FILE OFFSET: the little-endian 32-bit value at OFFSET.
le32() { od -An -tu4 -j "$2" -N4 "$1" | tr -d ' '; }

# poke FILE OFFSET HEX: overwrites bytes (HEX like '\xff\xff').
poke() { printf "$3" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none; }

if ! command -v python3 >/dev/null || ! command -v editcap >/dev/null ||
    ! command -v tcpdump >/dev/null; then
    echo "SKIP: python3, editcap and tcpdump are needed to build and check" \
         "the test captures" >&2
    exit 77
fi

# 1. Every corpus capture, cut at every record (--threads 3 only, to keep
# the run short); the pcapng files and the damaged ones are printed too.
export PFCAP_CHUNK_BYTES=1
ncorpus=0
nerr=0
while IFS= read -r f; do
    ncorpus=$((ncorpus + 1))
    THREADS=3 same "$f -w - 'udp or arp'" -r "$f" -w - udp or arp
    [ "$(cat "$TMP/ref.st")" = 2 ] || [ "${f%.pcapng}" != "$f" ] || continue
    [ "$(cat "$TMP/ref.st")" = 2 ] && nerr=$((nerr + 1))
    THREADS=2 same "$f -nn -# -ttt" -r "$f" -nn -# -ttt
done < <(find "$CORPUS" -type f \( -name '*.pcap' -o -name '*.pcapng' \) | sort)
echo "[${SECONDS}s] corpus: $ncorpus files ($nerr damaged), cut at every record"
[ "$ncorpus" -ge 800 ] || fail "only $ncorpus capture files in $CORPUS"
[ "$nerr" -ge 3 ] || fail "only $nerr corpus files end in an error"
unset PFCAP_CHUNK_BYTES

# 2. A generated classic pcap (~35 MB, 150k packets): the records of
# every whole little-endian Ethernet capture of the corpus without jumbo
# packets, twenty times over, behind one file header with the largest
# snapshot length (and a copy of three rounds for the pcapng below).
big="$TMP/big.pcap"
python3 - "$big" "$CORPUS"/tcpdump/*.pcap <<'EOF'
import struct, sys
pieces = []
for name in sys.argv[2:]:
    d = open(name, "rb").read()
    if len(d) < 24 or struct.unpack("<II", d[:4] + d[20:24]) != (0xa1b2c3d4, 1):
        continue
    pos = 24
    while pos + 16 <= len(d):
        caplen = struct.unpack("<I", d[pos + 8:pos + 12])[0]
        if caplen > 16384 or pos + 16 + caplen > len(d):
            break
        pos += 16 + caplen
    if pos == len(d):
        pieces.append(d[24:])
for name, rounds in ((sys.argv[1], 20), (sys.argv[1] + ".1", 3)):
    with open(name, "wb") as out:
        out.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 262144, 1))
        for _ in range(rounds):
            out.write(b"".join(pieces))
EOF
size=$(stat -c %s "$big")
echo "[${SECONDS}s] generated $big: $size bytes"
[ "$size" -ge 20000000 ] || fail "the generated capture has only $size bytes"

for expr in "tcp" "udp or arp" "ip6" ""; do
    same "big.pcap -w FILE '$expr'" -r "$big" -w "$TMP/w" $expr
    status_is "big.pcap '$expr'" 0
    same "big.pcap --count '$expr'" -r "$big" --count $expr
    # tcpdump, the oracle, keeps as many.
    want=$(tcpdump -r "$big" --count $expr 2>/dev/null |
           sed -n 's/^\([0-9]*\) packets*$/\1/p')
    got=$(sed -n 's/^\([0-9]*\) packets*$/\1/p' "$TMP/ref.out")
    [ "$want" = "$got" ] || fail "big.pcap '$expr': $got matches, tcpdump $want"
    [ "${got:-0}" -gt 1000 ] || fail "big.pcap '$expr': only ${got:-0} matches"
done
same "big.pcap -w - -c 7 tcp" -r "$big" -w - -c 7 tcp
same "big.pcap -w - -c 123456 udp" -r "$big" -w - -c 123456 udp
same "big.pcap --count -c 54321 tcp" -r "$big" --count -c 54321 tcp
same "big.pcap -w - --pcapng -U ip6" -r "$big" -w - --pcapng -U ip6
same "big.pcap -nn -tttt -e ip6" -r "$big" -nn -tttt -e ip6
PFCAP_CHUNK_BYTES=3000 same "big.pcap small chunks -w - arp" \
    -r "$big" -w - arp

# 3. A generated pcapng (~23 MB): a pcapng copy of three rounds of the
# above, then every good corpus pcapng file (sections with their own
# interfaces and link types), all four times over.
editcap -F pcapng "$big.1" "$TMP/part.pcapng"
ngs=()
for f in "$CORPUS"/tcpdump/*.pcapng; do
    "$PFCAP" -r "$f" --count >/dev/null 2>&1 && ngs+=("$f")
done
bigng="$TMP/big.pcapng"
for _ in 1 2 3 4; do cat "$TMP/part.pcapng" "${ngs[@]}"; done >"$bigng"
echo "[${SECONDS}s] generated $bigng: $(stat -c %s "$bigng") bytes"
for expr in "tcp" "udp or arp" "ip6" ""; do
    same "big.pcapng -w FILE '$expr'" -r "$bigng" -w "$TMP/w" --pcapng $expr
    status_is "big.pcapng '$expr'" 0
    same "big.pcapng --count '$expr'" -r "$bigng" --count $expr
done
same "big.pcapng -nn -v udp" -r "$bigng" -nn -v udp
same "big.pcapng -w - -c 99999 --pcapng" -r "$bigng" -w - --pcapng -c 99999
PFCAP_CHUNK_BYTES=1 same "big.pcapng every block -w - --pcapng ip" \
    -r "$bigng" -w - --pcapng ip

# 4. Damaged copies: the good packets, then the same error.
# 4a. Truncated in the middle of a record.
head -c $((size * 2 / 3 + 7)) "$big" >"$TMP/trunc.pcap"
same "trunc.pcap -w FILE tcp" -r "$TMP/trunc.pcap" -w "$TMP/w" tcp
status_is "trunc.pcap" 2
grep -q "truncated" "$TMP/ref.err" || fail "trunc.pcap: $(cat "$TMP/ref.err")"
[ "$(stat -c %s "$TMP/ref.out")" = 0 ] || fail "trunc.pcap: output on stdout"
same "trunc.pcap --count udp" -r "$TMP/trunc.pcap" --count udp
same "trunc.pcap -c 10 (before the damage)" -r "$TMP/trunc.pcap" -w - -c 10
status_is "trunc.pcap -c 10" 0
# 4b. An impossible capture length at a record boundary halfway through
# (where the eleventh round starts).
half=$(( (size - 24) / 2 + 24 ))
cp "$big" "$TMP/caplen.pcap"
poke "$TMP/caplen.pcap" $((half + 8)) '\xff\xff\xff\x7f'
same "caplen.pcap -w - ip" -r "$TMP/caplen.pcap" -w - ip
status_is "caplen.pcap" 2
grep -q "offset $half:" "$TMP/ref.err" ||
    fail "caplen.pcap: the error does not name offset $half: $(cat "$TMP/ref.err")"
# 4c. pcapng truncated inside a block.
head -c $(( $(stat -c %s "$bigng") / 2 + 5 )) "$bigng" >"$TMP/trunc.pcapng"
same "trunc.pcapng -w - --pcapng tcp" -r "$TMP/trunc.pcapng" -w - --pcapng tcp
status_is "trunc.pcapng" 2
# 4d. pcapng: a packet on an interface that does not exist, in the first
# corpus section (the block headers are fine, so cutting goes on past it;
# the chunk's reader finds the damage, and later chunks must not be
# output).
off=$(stat -c %s "$TMP/part.pcapng")
while [ "$(le32 "$bigng" "$off")" != 6 ]; do
    off=$((off + $(le32 "$bigng" $((off + 4)))))
done
cp "$bigng" "$TMP/iface.pcapng"
poke "$TMP/iface.pcapng" $((off + 8)) '\x09\x00\x00\x00'
PFCAP_CHUNK_BYTES=100 same "iface.pcapng --count" -r "$TMP/iface.pcapng" --count
status_is "iface.pcapng" 2
grep -q "interface 9" "$TMP/ref.err" || fail "iface.pcapng: $(cat "$TMP/ref.err")"
PFCAP_CHUNK_BYTES=100 same "iface.pcapng -w - --pcapng" \
    -r "$TMP/iface.pcapng" -w - --pcapng

# 5. A big-endian capture of Linux cooked packets: the reader byte-swaps
# their pseudo-headers into a copy (the one case where a match's data is
# not in the mapping).
python3 - "$TMP/sll-be.pcap" "$CORPUS"/tcpdump/*.pcap <<'EOF'
import struct, sys
records = []
for name in sys.argv[2:]:
    d = open(name, "rb").read()
    if len(d) < 24 or struct.unpack("<II", d[:4] + d[20:24]) != (0xa1b2c3d4, 113):
        continue
    pos, recs = 24, []
    while pos + 16 <= len(d):
        rec = struct.unpack("<IIII", d[pos:pos + 16])
        if rec[2] > 262144 or pos + 16 + rec[2] > len(d):
            break
        recs.append(struct.pack(">IIII", *rec) + d[pos + 16:pos + 16 + rec[2]])
        pos += 16 + rec[2]
    if pos == len(d):
        records += recs
with open(sys.argv[1], "wb") as out:
    out.write(struct.pack(">IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 262144, 113))
    for _ in range(10):
        out.write(b"".join(records))
EOF
same "sll-be.pcap -w FILE" -r "$TMP/sll-be.pcap" -w "$TMP/w"
status_is "sll-be.pcap" 0
PFCAP_CHUNK_BYTES=1 same "sll-be.pcap every record -nn -x ip" \
    -r "$TMP/sll-be.pcap" -nn -x ip
n=$(tcpdump -r "$TMP/sll-be.pcap" --count 2>/dev/null |
    sed -n 's/^\([0-9]*\) packets*$/\1/p')
[ "${n:-0}" -gt 100 ] || fail "sll-be.pcap: only ${n:-0} packets"

# 6. Edge cases: standard input, a file with no packets, -c 0, an output
# that fails, more threads than the cap.
STDIN="$TMP/caplen.pcap" same "stdin -w - tcp" -r - -w - tcp
status_is "stdin" 2
head -c 24 "$big" >"$TMP/hdr.pcap"
same "no packets -w -" -r "$TMP/hdr.pcap" -w -
same "-c 0" -r "$big" -w - -c 0
same "-w /dev/full" -r "$big" -w /dev/full
status_is "-w /dev/full" 2
THREADS=200 same "--threads 200 --count" -r "$big" --count udp

echo "[${SECONDS}s] $checks identical runs, $fails failures"
[ "$fails" -eq 0 ]
