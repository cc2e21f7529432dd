#!/bin/sh
# Installs the Debian packages pfcap needs to build and test, skipping
# those already present. Run as root (or with sudo available).
set -eu

PKGS="meson ninja-build gcc pkg-config libpcap-dev libelf-dev libcmocka-dev
libnuma-dev tcpdump tshark bpftool iproute2 clang llvm"

missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
        missing="$missing $p"
done
[ -z "$missing" ] && exit 0

echo "installing:$missing"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
# tshark asks whether non-root users may capture; answer no, quietly.
echo "wireshark-common wireshark-common/install-setuid boolean false" |
    $SUDO debconf-set-selections 2>/dev/null || true
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing
