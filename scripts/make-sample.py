#!/usr/bin/env python3
# Writes data/sample.pcap: a small, varied Ethernet capture for `make demo`
# (ARP, DNS, an HTTP exchange over TCP, ICMP echo, ICMPv6 neighbour
# discovery, a VLAN-tagged TCP segment). Addresses are from the
# documentation ranges. Deterministic: same bytes on every run.
import struct
import sys

def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF

def ip4(a):
    return bytes(int(x) for x in a.split("."))

def eth(dst, src, etype, payload):
    return bytes.fromhex(dst.replace(":", "")) + bytes.fromhex(src.replace(":", "")) + struct.pack("!H", etype) + payload

def ipv4(src, dst, proto, payload, ident=1, ttl=64):
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident, 0x4000, ttl, proto, 0, ip4(src), ip4(dst))
    hdr = hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:]
    return hdr + payload

def l4sum(src, dst, proto, seg):
    pseudo = ip4(src) + ip4(dst) + struct.pack("!BBH", 0, proto, len(seg))
    return csum(pseudo + seg)

def udp(src, dst, sport, dport, data):
    seg = struct.pack("!HHHH", sport, dport, 8 + len(data), 0) + data
    return seg[:6] + struct.pack("!H", l4sum(src, dst, 17, seg)) + seg[8:]

def tcp(src, dst, sport, dport, seq, ack, flags, data=b"", win=64240, opts=b""):
    off = (20 + len(opts)) // 4
    seg = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, off << 4, flags, win, 0, 0) + opts + data
    return seg[:16] + struct.pack("!H", l4sum(src, dst, 6, seg)) + seg[18:]

def dns_query(ident, name):
    q = b"".join(bytes([len(p)]) + p.encode() for p in name.split(".")) + b"\0"
    return struct.pack("!HHHHHH", ident, 0x0100, 1, 0, 0, 0) + q + struct.pack("!HH", 1, 1)

def dns_answer(ident, name, addr):
    q = b"".join(bytes([len(p)]) + p.encode() for p in name.split(".")) + b"\0"
    ans = struct.pack("!HHHIH", 0xC00C, 1, 1, 300, 4) + ip4(addr)
    return struct.pack("!HHHHHH", ident, 0x8180, 1, 1, 0, 0) + q + struct.pack("!HH", 1, 1) + ans

def icmp_echo(kind, ident, seq, data):
    msg = struct.pack("!BBHHH", kind, 0, 0, ident, seq) + data
    return msg[:2] + struct.pack("!H", csum(msg)) + msg[4:]

A, B = "02:00:00:00:00:01", "02:00:00:00:00:02"
HA, HB, DNS = "192.0.2.10", "198.51.100.80", "192.0.2.53"
pkts = []
arp = struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, 1, bytes.fromhex("020000000001"), ip4(HA), b"\0" * 6, ip4("192.0.2.1"))
pkts.append(eth("ff:ff:ff:ff:ff:ff", A, 0x0806, arp + b"\0" * 18))
pkts.append(eth(B, A, 0x0800, ipv4(HA, DNS, 17, udp(HA, DNS, 40000, 53, dns_query(0x1234, "www.example.com")))))
pkts.append(eth(A, B, 0x0800, ipv4(DNS, HA, 17, udp(DNS, HA, 53, 40000, dns_answer(0x1234, "www.example.com", HB)))))
mss = b"\x02\x04\x05\xb4\x04\x02\x08\x0a\x00\x00\x00\x01\x00\x00\x00\x00\x01\x03\x03\x07"
req = b"GET / HTTP/1.1\r\nHost: www.example.com\r\nUser-Agent: pfcap-demo\r\n\r\n"
resp = b"HTTP/1.1 200 OK\r\nContent-Length: 13\r\nContent-Type: text/plain\r\n\r\nhello, world\n"
flow = [
    (HA, HB, A, B, 51000, 80, 1000, 0, 0x02, b"", mss),
    (HB, HA, B, A, 80, 51000, 5000, 1001, 0x12, b"", mss),
    (HA, HB, A, B, 51000, 80, 1001, 5001, 0x10, b"", b""),
    (HA, HB, A, B, 51000, 80, 1001, 5001, 0x18, req, b""),
    (HB, HA, B, A, 80, 51000, 5001, 1001 + len(req), 0x10, b"", b""),
    (HB, HA, B, A, 80, 51000, 5001, 1001 + len(req), 0x18, resp, b""),
    (HA, HB, A, B, 51000, 80, 1001 + len(req), 5001 + len(resp), 0x11, b"", b""),
    (HB, HA, B, A, 80, 51000, 5001 + len(resp), 1002 + len(req), 0x11, b"", b""),
    (HA, HB, A, B, 51000, 80, 1002 + len(req), 5002 + len(resp), 0x10, b"", b""),
]
for i, (s, d, ms, md, sp, dp, seq, ack, fl, data, opts) in enumerate(flow):
    pkts.append(eth(md, ms, 0x0800, ipv4(s, d, 6, tcp(s, d, sp, dp, seq, ack, fl, data, opts=opts), ident=100 + i)))
for i in range(2):
    pkts.append(eth(B, A, 0x0800, ipv4(HA, HB, 1, icmp_echo(8, 7, i + 1, bytes(range(32))), ident=200 + i)))
    pkts.append(eth(A, B, 0x0800, ipv4(HB, HA, 1, icmp_echo(0, 7, i + 1, bytes(range(32))), ident=300 + i)))
# ICMPv6 neighbour solicitation for 2001:db8::2 from 2001:db8::1
s6 = bytes.fromhex("20010db8000000000000000000000001")
t6 = bytes.fromhex("20010db8000000000000000000000002")
d6 = bytes.fromhex("ff0200000000000000000001ff000002")
ns = struct.pack("!BBHI", 135, 0, 0, 0) + t6 + bytes([1, 1]) + bytes.fromhex("020000000001")
pseudo = s6 + d6 + struct.pack("!IxxxB", len(ns), 58)
ns = ns[:2] + struct.pack("!H", csum(pseudo + ns)) + ns[4:]
ip6 = struct.pack("!IHBB", 0x60000000, len(ns), 58, 255) + s6 + d6 + ns
pkts.append(eth("33:33:ff:00:00:02", A, 0x86DD, ip6))
# VLAN 100 tagged TCP SYN to port 443
seg = ipv4(HA, HB, 6, tcp(HA, HB, 52000, 443, 7000, 0, 0x02, opts=mss), ident=400)
pkts.append(eth(B, A, 0x8100, struct.pack("!HH", 100, 0x0800) + seg))

out = bytearray(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1))
t = 1795305600  # 2026-11-22 00:00:00 UTC
for i, p in enumerate(pkts):
    usec = i * 12345
    out += struct.pack("<IIII", t + usec // 1000000, usec % 1000000, len(p), len(p)) + p
open(sys.argv[1] if len(sys.argv) > 1 else "data/sample.pcap", "wb").write(bytes(out))
