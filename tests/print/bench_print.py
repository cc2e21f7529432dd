#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Printing speed: lines per second of `pfcap -nn -r` against `tcpdump -nn
-r` on the same generated capture (TCP/UDP/DNS/ICMP/ARP/IPv6 mix from
golden_print.py's generator), output to /dev/null, best of 3 runs each.
Run with `meson test --benchmark` or directly (needs PF_BUILD_ROOT)."""
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import golden_print as g  # noqa: E402


def best(cmd, runs=3):
    t = None
    for _ in range(runs):
        s = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, check=False)
        d = time.perf_counter() - s
        t = d if t is None else min(t, d)
    return t


def main():
    count = int(os.environ.get("PF_BENCH_PACKETS", "200000"))
    if not shutil.which("tcpdump"):
        print("SKIP: tcpdump is not installed")
        return 77
    pfcap = os.path.join(os.environ["PF_BUILD_ROOT"], "cli", "pfcap")
    tmp = tempfile.mkdtemp(prefix="pfprint-bench-")
    path = os.path.join(tmp, "bench.pcap")
    rng = random.Random(1)
    g.write_pcap(path, g.generate(rng, count), rng)
    lines = subprocess.run(["tcpdump", "-nn", "-r", path],
                           stdout=subprocess.PIPE,
                           stderr=subprocess.DEVNULL).stdout.count(b"\n")
    t_tcpdump = best(["tcpdump", "-nn", "-r", path])
    t_pfcap = best([pfcap, "-nn", "-r", path])
    print("%d packets, %d lines" % (count, lines))
    print("tcpdump -nn -r: %.3f s, %.0f lines/s" % (t_tcpdump, lines / t_tcpdump))
    print("pfcap   -nn -r: %.3f s, %.0f lines/s" % (t_pfcap, lines / t_pfcap))
    print("ratio pfcap/tcpdump speed: %.2fx" % (t_tcpdump / t_pfcap))
    shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
