#!/usr/bin/python3
"""Send single crafted ESP packets to the gateway, for negative tests.

Each packet carries an inner ICMP echo request from --vip (or --spoof-src)
to --dst, encrypted with the outbound SA by scapy's
SecurityAssociation.encrypt() in tunnel mode (with a UDP header when
--encap), and is sent whole through a raw socket, so no port needs to be
free. Modes:

  (none)            one valid packet
  --tampered        one packet with a ciphertext byte flipped (bad ICV)
  --duplicate SEQ   the same valid packet with sequence number SEQ, twice
  --spoof-src ADDR  one valid packet whose inner source is ADDR, not the VIP

With --wait-reply T (needs --spi-in/--key-in, and for --encap the UDP port
--sport free on --local) it then waits up to T seconds for the echo replies,
decrypts them with the inbound SA, prints them, and exits 0 only if at least
one valid reply came back. Run with /usr/bin/python3.
"""

import argparse
import os
import select
import socket
import sys
import time

sys.dont_write_bytecode = True     # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from esp_client import IPPROTO_ESP, add_sa_args, make_sa  # noqa: E402

from scapy.layers.inet import ICMP, IP, UDP  # noqa: E402
from scapy.layers.ipsec import ESP, IPSecIntegrityError  # noqa: E402

ICMP_ECHO_REPLY = 0
PAYLOAD = b"p2sgw-esp-inject"


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_sa_args(p)
    p.add_argument("--dst", required=True, help="inner destination address")
    p.add_argument("--seq", type=lambda s: int(s, 0), default=1,
                   help="ESP sequence number (not with --duplicate)")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--tampered", action="store_true")
    mode.add_argument("--duplicate", type=lambda s: int(s, 0), metavar="SEQ")
    mode.add_argument("--spoof-src", metavar="ADDR")
    p.add_argument("--wait-reply", type=float, default=0, metavar="SECONDS")
    a = p.parse_args(argv)
    if a.wait_reply and (a.spi_in is None or a.key_in is None):
        p.error("--wait-reply needs --spi-in and --key-in")
    return a


def esp_offset(a):
    """Offset of the ESP header in the outer packet (IPv4, no options)."""
    return 20 + (8 if a.encap else 0)


def build(a, sa):
    """Return the list of outer packets (bytes) to send."""
    src = a.spoof_src or a.vip
    seq = a.duplicate if a.duplicate is not None else a.seq
    inner = IP(src=src, dst=a.dst) / ICMP(id=os.getpid() & 0xFFFF, seq=1) / PAYLOAD
    pkt = sa.encrypt(inner, seq_num=seq)
    if a.encap:
        # scapy 2.5 builds the UDP header before appending ESP, leaving its
        # length at 8; set it to cover the ESP payload (checksum stays 0).
        pkt[UDP].len = 8 + len(pkt[ESP])
    wire = bytearray(bytes(pkt))
    if a.tampered:
        # first ciphertext byte after SPI, sequence number and IV
        off = esp_offset(a) + 8 + sa.crypt_algo.iv_size
        wire[off] ^= 0x01
    copies = 2 if a.duplicate is not None else 1
    return [bytes(wire)] * copies, seq


def open_reply_socket(a):
    if a.encap:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind((a.local, a.sport))
    else:
        s = socket.socket(socket.AF_INET, socket.SOCK_RAW, IPPROTO_ESP)
        s.bind((a.local, 0))
    return s


def reply_packet(a, data):
    """The received datagram as a scapy packet with an ESP layer."""
    if not a.encap:
        return IP(data)
    outer = IP(src=a.gateway, dst=a.local)
    return outer / UDP(sport=a.dport, dport=a.sport) / ESP(data)


def wait_replies(a, sock, sa_in, seconds, most):
    """Count valid echo replies from --dst to the VIP, printing each one,
    until `most` arrived or the time is up."""
    got = 0
    deadline = time.monotonic() + seconds
    while got < most:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([sock], [], [], left)[0]:
            return got
        data, peer = sock.recvfrom(65535)
        if peer[0] != a.gateway or (a.encap and data[:4] == b"\0\0\0\0"):
            continue
        pkt = reply_packet(a, data)
        if ESP not in pkt or pkt[ESP].spi != sa_in.spi:
            continue
        seq = pkt[ESP].seq
        try:
            inner = sa_in.decrypt(pkt)
        except (IPSecIntegrityError, ValueError, IndexError, TypeError) as e:
            print("esp_inject: reply failed to decrypt: %s" % e)
            continue
        if ICMP in inner and inner[ICMP].type == ICMP_ECHO_REPLY \
                and inner[IP].src == a.dst and inner[IP].dst == a.vip:
            got += 1
            print("esp_inject: reply seq=%d %s -> %s"
                  % (seq, inner[IP].src, inner[IP].dst))
    return got


def main(argv):
    a = parse_args(argv)
    encap = (a.sport, a.dport) if a.encap else None
    sa_out = make_sa(a.suite, a.spi_out, a.key_out, a.auth_key_out,
                     a.local, a.gateway, encap, "out")
    reply_sock = sa_in = None
    if a.wait_reply:
        sa_in = make_sa(a.suite, a.spi_in, a.key_in, a.auth_key_in,
                        a.gateway, a.local, None, "in")
        reply_sock = open_reply_socket(a)
    packets, seq = build(a, sa_out)
    out = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    for wire in packets:
        out.sendto(wire, (a.gateway, 0))
    print("esp_inject: sent %d packet(s) spi=0x%x seq=%d len=%d%s"
          % (len(packets), a.spi_out, seq, len(packets[0]),
             " (tampered)" if a.tampered else ""))
    if not a.wait_reply:
        return 0
    got = wait_replies(a, reply_sock, sa_in, a.wait_reply, len(packets))
    print("esp_inject: %d valid repl%s" % (got, "y" if got == 1 else "ies"))
    return 0 if got else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
