#!/usr/bin/python3
"""Userspace ESP tunnel client for testing p2sgw with manually keyed SAs.

Packets the kernel routes into a TUN device are encrypted with the outbound
SA (tunnel mode) and sent to the gateway, either as plain ESP (IP protocol
50, through a raw socket) or as ESP in UDP (RFC 3948, through a UDP socket
bound to local:sport). ESP arriving from the gateway is decrypted with the
inbound SA and the inner packet is written to the TUN device.

The ESP transforms are scapy's SecurityAssociation, an implementation
independent of the gateway's, so the gateway is tested against a peer it
did not write.

Run with Debian's interpreter (/usr/bin/python3), which sees python3-scapy.
Prints "esp_client: ready" once the TUN device and sockets are up, and its
packet counters on exit (SIGINT or SIGTERM).
"""

import argparse
import fcntl
import os
import select
import signal
import socket
import struct
import subprocess
import sys

import logging
logging.getLogger("scapy.runtime").setLevel(logging.ERROR)

from scapy.layers.inet import IP, UDP  # noqa: E402
from scapy.layers.ipsec import (ESP, SecurityAssociation,  # noqa: E402
                                IPSecIntegrityError, _ESPPlain)

TUNSETIFF = 0x400454CA
IFF_TUN = 0x0001
IFF_NO_PI = 0x1000

IPPROTO_ESP = 50
IPPROTO_IPIP = 4
ESP_HDR_LEN = 8          # SPI + sequence number
NON_ESP_MARKER = b"\x00\x00\x00\x00"   # RFC 3948: IKE on port 4500
NATT_KEEPALIVE = b"\xff"                # RFC 3948 NAT-keepalive
READ_BURST = 64          # packets taken from one source per select round

# suite name -> (scapy cipher, cipher key length, scapy integrity, auth key length)
SUITES = {
    "aes256gcm16": ("AES-GCM", 36, None, 0),
    "aes256-sha256": ("AES-CBC", 32, "SHA2-256-128", 32),
    "aes256-sha1": ("AES-CBC", 32, "HMAC-SHA1-96", 20),
}


def parse_hex_key(text, want, what):
    """Decode a hex key (optional 0x prefix) and check its length."""
    text = text[2:] if text.lower().startswith("0x") else text
    try:
        key = bytes.fromhex(text)
    except ValueError:
        raise SystemExit("esp_client: %s is not hex" % what)
    if len(key) != want:
        raise SystemExit("esp_client: %s is %d bytes, suite needs %d"
                         % (what, len(key), want))
    return key


def make_sa(suite, spi, key_hex, auth_hex, local, remote, encap, which):
    """Build one scapy SA in tunnel mode from local to remote."""
    crypt, key_len, auth, auth_len = SUITES[suite]
    key = parse_hex_key(key_hex, key_len, "--key-" + which)
    auth_key = None
    if auth:
        if not auth_hex:
            raise SystemExit("esp_client: suite %s needs --auth-key-%s"
                             % (suite, which))
        auth_key = parse_hex_key(auth_hex, auth_len, "--auth-key-" + which)
    nat_t = UDP(sport=encap[0], dport=encap[1]) if encap else None
    return SecurityAssociation(ESP, spi=spi, crypt_algo=crypt, crypt_key=key,
                               auth_algo=auth, auth_key=auth_key,
                               tunnel_header=IP(src=local, dst=remote),
                               nat_t_header=nat_t)


class FullCodec:
    """ESP through SecurityAssociation.encrypt()/decrypt() as a whole:
    scapy builds the tunnel header (and UDP header) and dissects every
    packet. The reference path; about 1 ms per packet."""

    def __init__(self, sa_out, sa_in, local, remote):
        self.sa_out = sa_out
        self.sa_in = sa_in
        self.outer_in = IP(src=remote, dst=local, proto=IPPROTO_ESP)

    def seal(self, inner):
        return bytes(self.sa_out.encrypt(IP(inner))[ESP])

    def open(self, esp):
        pkt = self.sa_in.decrypt(self.outer_in / ESP(esp))
        if not isinstance(pkt, IP):
            raise ValueError("inner packet is not IPv4")
        return bytes(pkt)


class TransformCodec:
    """ESP through the same SecurityAssociation objects' own transforms
    (scapy's padding, IV, cipher and ICV code, with the SA's keys and
    sequence counter), with tunnel-mode encapsulation done here: the inner
    packet is the ESP payload with next header 4 and the socket supplies the
    outer header. Skips scapy's per-packet dissection; about 15x faster."""

    def __init__(self, sa_out, sa_in, local, remote):
        self.sa_out = sa_out
        self.sa_in = sa_in
        self.icv_in = (sa_in.crypt_icv_size or sa_in.crypt_algo.icv_size
                       or sa_in.auth_algo.icv_size)

    def seal(self, inner):
        sa = self.sa_out
        esp = _ESPPlain(spi=sa.spi, seq=sa.seq_num, nh=IPPROTO_IPIP,
                        iv=sa.crypt_algo.generate_iv(), data=inner)
        esp = sa.crypt_algo.pad(esp)
        esp = sa.crypt_algo.encrypt(sa, esp, sa.crypt_key, sa.crypt_icv_size)
        sa.auth_algo.sign(esp, sa.auth_key)
        sa.seq_num += 1
        return bytes(esp)

    def open(self, wire):
        sa = self.sa_in
        esp = ESP(wire)
        sa.auth_algo.verify(esp, sa.auth_key)
        plain = sa.crypt_algo.decrypt(sa, esp, sa.crypt_key, self.icv_in)
        if plain.nh != IPPROTO_IPIP:
            raise ValueError("next header %d is not IPv4" % plain.nh)
        return bytes(plain.data)


def add_sa_args(p):
    """SA and addressing options shared with esp_inject.py."""
    p.add_argument("--local", required=True, help="client outer address")
    p.add_argument("--gateway", required=True, help="gateway outer address")
    p.add_argument("--suite", required=True, choices=sorted(SUITES))
    p.add_argument("--spi-out", required=True, type=lambda s: int(s, 0))
    p.add_argument("--key-out", required=True)
    p.add_argument("--auth-key-out")
    p.add_argument("--spi-in", type=lambda s: int(s, 0))
    p.add_argument("--key-in")
    p.add_argument("--auth-key-in")
    p.add_argument("--encap", action="store_true",
                   help="ESP in UDP (RFC 3948) from --sport to --dport")
    p.add_argument("--sport", type=int, default=4500)
    p.add_argument("--dport", type=int, default=4500)
    p.add_argument("--vip", required=True, help="inner (virtual) address")


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--tun", required=True, help="TUN device name to create")
    add_sa_args(p)
    p.add_argument("--route", action="append", default=[],
                   help="prefix routed through the tunnel (repeatable)")
    p.add_argument("--mtu", type=int, default=1400,
                   help="TUN MTU; leaves room for the ESP overhead")
    p.add_argument("--full-scapy", action="store_true",
                   help="use SecurityAssociation.encrypt/decrypt for every "
                   "packet (slow reference path)")
    a = p.parse_args(argv)
    if a.spi_in is None or a.key_in is None:
        p.error("--spi-in and --key-in are required")
    return a


def open_tun(name):
    fd = os.open("/dev/net/tun", os.O_RDWR | os.O_NONBLOCK)
    ifr = struct.pack("16sH", name.encode(), IFF_TUN | IFF_NO_PI)
    fcntl.ioctl(fd, TUNSETIFF, ifr)
    return fd


def ip_cmd(*args):
    subprocess.run(("ip",) + args, check=True)


def configure_tun(a):
    ip_cmd("addr", "add", a.vip + "/32", "dev", a.tun)
    ip_cmd("link", "set", a.tun, "mtu", str(a.mtu), "up")
    for prefix in a.route:
        ip_cmd("route", "replace", prefix, "dev", a.tun, "src", a.vip)


def open_socket(a):
    """The outer socket: UDP bound to local:sport, or raw protocol 50."""
    if a.encap:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind((a.local, a.sport))
    else:
        # The kernel writes the outer IPv4 header (local -> gateway,
        # protocol 50) and hands us received datagrams with theirs.
        s = socket.socket(socket.AF_INET, socket.SOCK_RAW, IPPROTO_ESP)
        s.bind((a.local, 0))
    for opt in (socket.SO_RCVBUF, socket.SO_SNDBUF):
        s.setsockopt(socket.SOL_SOCKET, opt, 4 << 20)
    s.setblocking(False)
    return s


class Tunnel:
    """The per-packet path: TUN -> encrypt -> socket, socket -> decrypt -> TUN."""

    def __init__(self, a, tun_fd, sock):
        self.a = a
        self.tun = tun_fd
        self.sock = sock
        self.dest = (a.gateway, a.dport if a.encap else 0)
        encap = (a.sport, a.dport) if a.encap else None
        sa_out = make_sa(a.suite, a.spi_out, a.key_out, a.auth_key_out,
                         a.local, a.gateway, encap, "out")
        sa_in = make_sa(a.suite, a.spi_in, a.key_in, a.auth_key_in,
                        a.gateway, a.local, None, "in")
        codec = FullCodec if a.full_scapy else TransformCodec
        self.codec = codec(sa_out, sa_in, a.local, a.gateway)
        self.spi_in = a.spi_in
        self.c = dict(sent=0, received=0, decrypt_failed=0, bad_spi=0,
                      not_esp=0, not_ipv4=0, keepalive=0, tx_errors=0)

    def outbound(self, data):
        if len(data) < 20 or data[0] >> 4 != 4:
            self.c["not_ipv4"] += 1
            return
        wire = self.codec.seal(data)
        try:
            self.sock.sendto(wire, self.dest)
            self.c["sent"] += 1
        except OSError:
            self.c["tx_errors"] += 1

    def esp_from_wire(self, data):
        """Return the ESP bytes of a received datagram, or None."""
        if self.a.encap:
            if data == NATT_KEEPALIVE:
                self.c["keepalive"] += 1
                return None
            if len(data) < ESP_HDR_LEN or data[:4] == NON_ESP_MARKER:
                self.c["not_esp"] += 1
                return None
            return data
        ihl = (data[0] & 0x0F) * 4 if data else 0
        if len(data) < ihl + ESP_HDR_LEN or data[9] != IPPROTO_ESP:
            self.c["not_esp"] += 1
            return None
        return data[ihl:]

    def inbound(self, data, peer):
        if peer != self.a.gateway:
            self.c["not_esp"] += 1
            return
        esp = self.esp_from_wire(data)
        if esp is None:
            return
        if struct.unpack_from("!I", esp)[0] != self.spi_in:
            self.c["bad_spi"] += 1
            return
        try:
            inner = self.codec.open(esp)
        except (IPSecIntegrityError, ValueError, IndexError, TypeError):
            self.c["decrypt_failed"] += 1
            return
        try:
            os.write(self.tun, inner)
            self.c["received"] += 1
        except OSError:
            self.c["tx_errors"] += 1

    def drain_tun(self):
        for _ in range(READ_BURST):
            try:
                data = os.read(self.tun, 65535)
            except BlockingIOError:
                return
            self.outbound(data)

    def drain_sock(self):
        for _ in range(READ_BURST):
            try:
                data, peer = self.sock.recvfrom(65535)
            except BlockingIOError:
                return
            self.inbound(data, peer[0])

    def summary(self):
        return "esp_client: " + " ".join("%s=%d" % kv for kv in self.c.items())


def run(tunnel, stop):
    poller = select.poll()
    poller.register(tunnel.tun, select.POLLIN)
    poller.register(tunnel.sock.fileno(), select.POLLIN)
    sock_fd = tunnel.sock.fileno()
    while not stop:
        try:
            events = poller.poll(200)
        except InterruptedError:
            continue
        for fd, _ in events:
            if fd == sock_fd:
                tunnel.drain_sock()
            else:
                tunnel.drain_tun()


def main(argv):
    a = parse_args(argv)
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    signal.signal(signal.SIGINT, lambda *_: stop.append(1))
    try:
        tun_fd = open_tun(a.tun)
        configure_tun(a)
        sock = open_socket(a)
    except (OSError, subprocess.CalledProcessError) as e:
        print("esp_client: error: %s" % e, file=sys.stderr)
        return 1
    tunnel = Tunnel(a, tun_fd, sock)
    print("esp_client: ready", flush=True)
    try:
        run(tunnel, stop)
    finally:
        print(tunnel.summary(), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
