#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Line-for-line comparison of pfcap's packet printing with tcpdump 4.99.

For every capture in $PF_CORPUS/tcpdump whose link type is EN10MB,
LINUX_SLL, LINUX_SLL2, RAW, NULL, LOOP, IPV4 or IPV6, run `tcpdump FLAGS -r`
and `pfcap FLAGS -r` ($PF_BUILD_ROOT/cli/pfcap) once per file and flag set,
split both outputs into packets, and compare the packets whose protocols
pfcap decodes ("listed": pfprint_tool --classify says L). -nn, -e, -v, -tttt
and -x run on every file; -q, -S, -XX and -ttttt on every second file. Files and packets listed
in tests/data/print/excluded.txt (with the reason) are skipped. Prints
identical/compared per flag set and fails below the thresholds measured
when the test was written. Exit 77 (skip) only when tcpdump is missing.
"""
import concurrent.futures
import os
import random
import re
import shutil
import struct
import subprocess
import sys
import tempfile

LINKTYPES = {"EN10MB", "LINUX_SLL", "LINUX_SLL2", "RAW", "NULL", "LOOP",
             "IPV4", "IPV6"}
# flag set -> (files: "all" or every Nth, minimum identical/compared)
FLAG_SETS = [
    ("-nn", 1, 0.998),
    ("-nn -e", 1, 0.998),
    ("-nn -v", 1, 0.998),
    ("-nn -tttt", 1, 0.998),
    ("-nn -x", 1, 0.998),
    ("-nn -q", 2, 0.998),
    ("-nn -S", 2, 0.998),
    ("-nn -XX", 2, 0.998),
    ("-nn -ttttt", 2, 0.998),
]
NEW_PACKET = re.compile(r"^[ -]\d\d:\d\d:\d\d\.")


def split_packets(text):
    """Packets start at a line that does not begin with white space (or
    with the " 00:00:01.000000" of -ttt, which -nn runs never use)."""
    packets = []
    for line in text.split("\n"):
        if not line:
            continue
        if packets and line[0] in " \t" and not NEW_PACKET.match(line):
            packets[-1] += "\n" + line
        else:
            packets.append(line)
    return packets


def run(cmd):
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                       timeout=60, env=dict(os.environ, TZ="UTC"))
    return r.stdout.decode("latin-1")


def linktype(path):
    r = subprocess.run(["tcpdump", "-nn", "-c", "1", "-r", path],
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                       timeout=30)
    m = re.search(rb"link-type (\S+)", r.stderr)
    return m.group(1).decode() if m else None


def load_excluded(path):
    files, packets = {}, {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            what, reason = line.split(None, 1)
            if ":" in what:
                name, num = what.rsplit(":", 1)
                packets[(name, int(num))] = reason
            else:
                files[what] = reason
    return files, packets


def compare_file(printer, tool, flags, path, excluded_packets):
    name = os.path.basename(path)
    args = flags.split()
    want = split_packets(run(["tcpdump"] + args + ["-r", path]))
    got = split_packets(run(printer + args + ["-r", path]))
    kinds = run([tool] + args + ["--classify", "-r", path]).split()
    compared = same = 0
    diffs = []
    for i, kind in enumerate(kinds):
        if kind != "L" or (name, i + 1) in excluded_packets:
            continue
        compared += 1
        a = want[i] if i < len(want) else "<missing>"
        b = got[i] if i < len(got) else "<missing>"
        if a == b:
            same += 1
        else:
            diffs.append("%s #%d [%s]\n  tcpdump: %r\n  pfcap:   %r"
                         % (name, i + 1, flags, a[:400], b[:400]))
    return compared, same, len(kinds), diffs


def pick_printer(build, tool, sample):
    pfcap = os.path.join(build, "cli", "pfcap")
    if os.environ.get("PF_PRINT_GOLDEN_TOOL"):
        print("WARNING: PF_PRINT_GOLDEN_TOOL is set: comparing through "
              "pfprint_tool, not the pfcap binary")
        return [tool], "pfprint_tool"
    if os.access(pfcap, os.X_OK):
        out = run([pfcap, "-nn", "-r", sample])
        if out.count("\n") >= 1 and " IP " in out:
            return [pfcap], "pfcap"
    print("WARNING: %s is missing or prints nothing on %s; comparing the "
          "printer through pfprint_tool instead" % (pfcap, sample))
    return [tool], "pfprint_tool"


# ---- generated packets -------------------------------------------------

def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def ipv4(rng, proto, payload, src=None, dst=None):
    src = src or bytes([10, rng.randrange(4), rng.randrange(4), 1 + rng.randrange(9)])
    dst = dst or bytes([192, 168, rng.randrange(3), 1 + rng.randrange(9)])
    flags = rng.choice([0, 0x4000, 0x4000, 0x2000])
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, rng.choice([0, 0, 0x10, 0x02]),
                      20 + len(payload), rng.randrange(65536), flags,
                      rng.choice([64, 128, 1, 255]), proto, 0, src, dst)
    hdr = hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:]
    return hdr, hdr + payload


def ipv6(rng, nh, payload):
    src = bytes.fromhex("20010db8000000000000000000000001")
    dst = bytes.fromhex("20010db80000000000000000000000%02x" % (2 + rng.randrange(5)))
    hdr = struct.pack("!IHBB16s16s", 0x60000000 | rng.choice([0, 0x12345]),
                      len(payload), nh, rng.choice([64, 255]), src, dst)
    return hdr, hdr + payload


def pseudo(iph, proto, length):
    if iph[0] >> 4 == 6:
        return iph[8:40] + struct.pack("!IxxxB", length, proto)
    return iph[12:20] + struct.pack("!xBH", proto, length)


def l4(rng, iph_fn, proto, body):
    iph, _ = iph_fn(proto, body)
    off = 16 if proto == 6 else 6 if proto == 17 else 2
    if rng.random() < 0.9:
        c = csum(pseudo(iph, proto, len(body)) + body) if proto != 1 else csum(body)
        body = body[:off] + struct.pack("!H", c) + body[off + 2:]
    return iph_fn(proto, body)[1]


def tcp(rng, sport, dport, seq, ack, flags, data):
    opts = b""
    if flags & 2:
        opts = b"\x02\x04\x05\xb4\x04\x02\x08\x0a" + struct.pack("!II", rng.randrange(1 << 32), 0) + b"\x01\x03\x03\x07"
    elif rng.random() < 0.5:
        opts = b"\x01\x01\x08\x0a" + struct.pack("!II", rng.randrange(1 << 32), rng.randrange(1 << 32))
    elif rng.random() < 0.2:
        opts = b"\x01\x01\x05\x0a" + struct.pack("!II", seq + 100, seq + 200)
    hl = (20 + len(opts)) // 4
    return struct.pack("!HHIIBBHHH", sport, dport, seq, ack, hl << 4, flags,
                       rng.choice([65535, 512, 29200]), 0, 0) + opts + data


def dns_query(rng):
    labels = [rng.choice(["www", "mail", "a", "ns1", "x-y"]), rng.choice(["example", "tcpdump", "test"]), rng.choice(["org", "com", "net"])]
    name = b"".join(bytes([len(l)]) + l.encode() for l in labels) + b"\0"
    qtype = rng.choice([1, 28, 15, 16, 12, 255, 33])
    flags = rng.choice([0x0100, 0x0000, 0x0110])
    return struct.pack("!HHHHHH", rng.randrange(65536), flags, 1, 0, 0, 0) + name + struct.pack("!HH", qtype, 1)


def dns_reply(rng, q):
    rid, = struct.unpack("!H", q[:2])
    qd = q[12:]
    ans = b""
    n = rng.randrange(4)
    for _ in range(n):
        if rng.random() < 0.5:
            ans += b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 300, 4) + bytes(rng.randrange(256) for _ in range(4))
        else:
            ans += b"\xc0\x0c" + struct.pack("!HHIH", 28, 1, 300, 16) + bytes(rng.randrange(256) for _ in range(16))
    flags = 0x8180 | rng.choice([0, 0x400, 3])
    return struct.pack("!HHHHHH", rid, flags, 1, n, 0, 0) + qd + ans


def generate(rng, count):
    pkts = []
    macs = [bytes([0, 0x11, 0x22, 0x33, 0x44, i]) for i in range(4)]
    conns = {}
    for i in range(count):
        kind = rng.choice(["tcp", "tcp", "tcp", "udp", "dns", "icmp", "arp", "tcp6", "icmp6", "dns6"])
        v4 = lambda p, b: ipv4(rng, p, b, src=b"\x0a\x00\x00\x01", dst=b"\x0a\x00\x00\x02")
        v6 = lambda p, b: ipv6(rng, p, b)
        if kind in ("tcp", "tcp6"):
            key = rng.randrange(6)
            sport, dport = 40000 + key, rng.choice([8000, 443, 5001])
            st = conns.setdefault((kind, key), [rng.randrange(1 << 32), rng.randrange(1 << 32), 0])
            data = bytes(rng.randrange(256) for _ in range(rng.choice([0, 0, 10, 100, 1400])))
            stage = st[2]
            st[2] += 1
            if stage == 0:
                seg = tcp(rng, sport, dport, st[0], 0, 2, b"")
            elif stage == 1:
                seg = tcp(rng, dport, sport, st[1], st[0] + 1, 0x12, b"")
            else:
                fl = rng.choice([0x10, 0x18, 0x18, 0x11, 0x04, 0x14, 0x30])
                if rng.random() < 0.5:
                    seg = tcp(rng, sport, dport, st[0] + 1 + stage, st[1] + 1, fl, data)
                else:
                    seg = tcp(rng, dport, sport, st[1] + 1 + stage, st[0] + 1, fl, data)
            ip = l4(rng, v4 if kind == "tcp" else v6, 6, seg)
            et = 0x0800 if kind == "tcp" else 0x86dd
        elif kind in ("udp", "dns", "dns6"):
            if kind == "udp":
                sp, dp, body = rng.randrange(1024, 65535), rng.choice([9999, 5004, 33434]), bytes(rng.randrange(256) for _ in range(rng.randrange(200)))
            else:
                q = dns_query(rng)
                if rng.random() < 0.5:
                    sp, dp, body = 40000 + rng.randrange(9), 53, q
                else:
                    sp, dp, body = 53, 40000 + rng.randrange(9), dns_reply(rng, q)
            seg = struct.pack("!HHHH", sp, dp, 8 + len(body), 0) + body
            ip = l4(rng, v4 if kind != "dns6" else v6, 17, seg)
            et = 0x0800 if kind != "dns6" else 0x86dd
        elif kind == "icmp":
            t = rng.choice([8, 0, 3, 11])
            if t in (0, 8):
                body = struct.pack("!BBHHH", t, 0, 0, rng.randrange(65536), rng.randrange(100)) + bytes(56)
            else:
                _, inner = ipv4(rng, 17, struct.pack("!HHHH", 40000, 33434, 20, 0) + bytes(12))
                body = struct.pack("!BBHI", t, rng.choice([0, 1, 3]) if t == 3 else 0, 0, 0) + inner[:28]
            ip = l4(rng, lambda p, b: ipv4(rng, p, b), 1, body)
            et = 0x0800
        elif kind == "icmp6":
            t = rng.choice([128, 129, 135, 136])
            if t in (128, 129):
                body = struct.pack("!BBHHH", t, 0, 0, 7, rng.randrange(100)) + bytes(8)
            else:
                body = struct.pack("!BBHI", t, 0, 0, 0x60000000 if t == 136 else 0) + bytes.fromhex("20010db8000000000000000000000002") + b"\x01\x01" + macs[1]
            ip = l4(rng, v6, 58, body)
            et = 0x86dd
        else:
            op = rng.choice([1, 2])
            ip = struct.pack("!HHBBH", 1, 0x0800, 6, 4, op) + macs[0] + bytes([10, 0, 0, 1]) + (bytes(6) if op == 1 else macs[1]) + bytes([10, 0, 0, rng.randrange(1, 9)])
            et = 0x0806
        vlan = b""
        if rng.random() < 0.1:
            vlan = struct.pack("!HH", 0x8100, rng.randrange(1, 4095))
        frame = macs[2] + macs[3] + vlan + struct.pack("!H", et) + ip
        if len(frame) < 60:
            frame += bytes(60 - len(frame))
        pkts.append(frame)
    return pkts


def to_sll2(pkts, rng):
    """The same frames as Linux cooked v2 (SLL2) records."""
    out = []
    for p in pkts:
        et, body = struct.unpack("!H", p[12:14])[0], p[14:]
        if et == 0x8100:
            et, body = struct.unpack("!H", p[16:18])[0], p[18:]
        out.append(struct.pack("!HHIHBB8s", et, 0, rng.choice([1, 2, 7]), 1,
                               rng.choice([0, 1, 2, 4]), 6,
                               p[6:12] + b"\0\0") + body)
    return out


def write_pcap(path, pkts, rng, linktype=1):
    ts = 1600000000
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 262144,
                            linktype))
        for p in pkts:
            ts_us = rng.randrange(1, 200000)
            ts += ts_us
            cap = len(p) if rng.random() < 0.95 else rng.randrange(14, len(p) + 1)
            f.write(struct.pack("<IIII", 1600000000 + ts // 1000000, ts % 1000000, cap, len(p)))
            f.write(p[:cap])


def main():
    if not shutil.which("tcpdump"):
        print("SKIP: tcpdump is not installed; the golden print test needs "
              "it as the reference")
        return 77
    corpus = os.path.join(os.environ["PF_CORPUS"], "tcpdump")
    build = os.environ["PF_BUILD_ROOT"]
    src = os.environ["PF_SOURCE_ROOT"]
    tool = os.path.join(build, "tests", "print", "pfprint_tool")
    excl_files, excl_packets = load_excluded(
        os.path.join(src, "tests", "data", "print", "excluded.txt"))
    names = sorted(os.listdir(corpus))
    with concurrent.futures.ThreadPoolExecutor(4) as ex:
        kinds = dict(zip(names, ex.map(
            lambda n: linktype(os.path.join(corpus, n)), names)))
    files = [n for n in names if kinds[n] in LINKTYPES
             and n not in excl_files]
    printer, pname = pick_printer(build, tool,
                                  os.path.join(corpus, "dns_udp.pcap"))
    print("%d capture files with the listed link types (%d excluded by "
          "file); printer under test: %s" % (len(files), len(excl_files),
                                            pname))
    seed = int(os.environ.get("PF_TEST_SEED", random.SystemRandom().randrange(1 << 31)))
    print("generated capture: seed %d (set PF_TEST_SEED to replay)" % seed)
    rng = random.Random(seed)
    tmp = tempfile.mkdtemp(prefix="pfprint-")
    gen_path = os.path.join(tmp, "generated.pcap")
    gen_pkts = generate(rng, 3000)
    write_pcap(gen_path, gen_pkts, rng)
    sll2_path = os.path.join(tmp, "generated-sll2.pcap")
    write_pcap(sll2_path, to_sll2(gen_pkts[:1000], rng), rng, 276)
    failed = False
    all_diffs = []
    for flags, every, minimum in FLAG_SETS:
        subset = [os.path.join(corpus, n) for n in files[::every]]
        subset += [sll2_path, gen_path]
        with concurrent.futures.ThreadPoolExecutor(2) as ex:
            res = list(ex.map(lambda path: compare_file(
                printer, tool, flags, path, excl_packets), subset))
        g = res[-1]
        print("%-12s generated: packets %d listed %d identical %d"
              % (flags, g[2], g[0], g[1]))
        failed |= g[0] < 2000 or g[1] < g[0] * minimum
        compared = sum(r[0] for r in res)
        same = sum(r[1] for r in res)
        total = sum(r[2] for r in res)
        ratio = same / compared if compared else 0.0
        ok = compared > 1000 // every and ratio >= minimum
        print("%-12s files %4d packets %6d listed %6d identical %6d "
              "(%.2f%%, need %.1f%%) %s"
              % (flags, len(subset), total, compared, same, 100 * ratio,
                 100 * minimum, "ok" if ok else "FAIL"))
        failed |= not ok
        for r in res:
            all_diffs.extend(r[3])
    for d in all_diffs[:200]:
        print(d)
    if len(all_diffs) > 200:
        print("... %d more differences" % (len(all_diffs) - 200))
    shutil.rmtree(tmp, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
