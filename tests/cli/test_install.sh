#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# `meson install` into a scratch directory puts the pfcap binary, libpfcap,
# every public header, pfcap.pc and the man page in place, and a program
# built against the installed headers and library (through pkg-config) runs.
set -u
BUILD="${PF_BUILD_ROOT:?}"
SRC="${PF_SOURCE_ROOT:?}"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
fails=0
checks=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ok() { checks=$((checks + 1)); }

if ! meson install -C "$BUILD" --no-rebuild --destdir "$TMP/root" >"$TMP/log" 2>&1; then
    echo "FAIL: meson install: $(tail -5 "$TMP/log")"
    exit 1
fi
prefix=$(meson introspect "$BUILD" --buildoptions | python3 -c \
    'import json,sys; print([o["value"] for o in json.load(sys.stdin) if o["name"]=="prefix"][0])')
root="$TMP/root$prefix"
[ -x "$root/bin/pfcap" ] && ok || fail "no bin/pfcap"
lib=$(find "$root" -name libpfcap.so | head -1)
[ -n "$lib" ] && ok || fail "no libpfcap.so"
find "$root" -name pfcap.1 | grep -q . && ok || fail "no man page"
pc=$(find "$root" -name pfcap.pc | head -1)
[ -n "$pc" ] && ok || fail "no pfcap.pc"
# Every header under include/pfcap is installed.
for h in "$SRC"/include/pfcap/*.h; do
    [ -f "$root/include/pfcap/$(basename "$h")" ] && ok || fail "header $(basename "$h") not installed"
done

# Exported symbols: exactly the functions and variables the public
# headers declare, nothing of the modules' internals.
syms=$(nm -D --defined-only "$lib" | awk '{print $3}' | sed 's/@.*//' | grep -v '^PFCAP_')
bad=""
for s in $syms; do
    grep -qw "$s" "$SRC"/include/pfcap/*.h || bad="$bad $s"
done
[ -z "$bad" ] && ok || fail "libpfcap exports symbols no public header declares:$bad"
echo "$syms" | grep -qx pf_filter_run && ok || fail "pf_filter_run not exported"
echo "$syms" | grep -qx pf_arena_alloc && fail "internal pf_arena_alloc exported" || ok

# A program built only from the installed headers and pkg-config.
cat >"$TMP/user.c" <<'C'
#include <stdio.h>
#include <pfcap/pfcap.h>
int main(void)
{
    static const unsigned char pkt[60] = {[12] = 0x08, [13] = 0x06};
    struct pf_filter_opts o = {.sz = sizeof(o), .linktype = 1};
    struct pf_filter *f;
    struct pf_error e;

    pf_error_init(&e);
    if (pf_filter_new_expr("arp", &o, &f, &e)) {
        printf("compile failed: %s\n", e.msg);
        return 1;
    }
    printf("%s %u\n", pf_version(), pf_filter_run(f, pkt, 60, 60));
    pf_filter_free(f);
    return 0;
}
C
export PKG_CONFIG_PATH="$(dirname "$pc")"
flags=$(pkg-config --cflags --libs pfcap)
flags=$(echo "$flags" | sed "s#-I$prefix#-I$root#g; s#-L$prefix#-L$root#g")
if cc -o "$TMP/user" "$TMP/user.c" $flags 2>"$TMP/cc.log"; then
    out=$(LD_LIBRARY_PATH="$(dirname "$lib")" "$TMP/user")
    [ "$out" = "$("$BUILD/cli/pfcap" --version | awk '{print $3}') 262144" ] && ok ||
        fail "program against the installed library printed '$out'"
else
    fail "cannot build against the installed headers: $(head -5 "$TMP/cc.log")"
fi
echo "$checks passed, $fails failed"
[ $fails -eq 0 ]
