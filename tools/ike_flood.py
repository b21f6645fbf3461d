#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""A bounded half-open flood for the IKEv2 responder's tests: COUNT
IKE_SA_INIT requests (AES-GCM-256, PRF-HMAC-SHA256, ECP-256, a valid
public key, fresh SPIs and nonces) from one address, never followed by
IKE_AUTH. With --echo-cookie a COOKIE notify is answered once (as a
client would), so the requests get past the cookie check and reach the
per-address limit. Prints one line of counts.

usage: ike_flood.py --src A --dst A [--count N] [--rate PPS] [--echo-cookie]
Only ever aimed at a gateway in the test's own network namespaces.
"""
import argparse
import os
import select
import socket
import struct
import sys
import time

from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives import serialization

IKE_SA_INIT, SA, KE, NONCE, NOTIFY = 34, 33, 34, 40, 41
COOKIE, NO_PROPOSAL = 16390, 14


def payload(nxt, body):
    return struct.pack("!BBH", nxt, 0, 4 + len(body)) + body


def xform(last, typ, tid, keylen=None):
    attrs = struct.pack("!HH", 0x800E, keylen) if keylen else b""
    return struct.pack("!BBHBBH", 0 if last else 3, 0, 8 + len(attrs),
                       typ, 0, tid) + attrs


def sa_body():
    xf = (xform(False, 1, 20, 256) + xform(False, 2, 5) +
          xform(True, 4, 19))
    return struct.pack("!BBHBBBB", 0, 0, 8 + len(xf), 1, 1, 0, 3) + xf


def request(spi_i, pub, nonce, cookie=None):
    chain = []
    if cookie is not None:
        chain.append((NOTIFY, struct.pack("!BBH", 0, 0, COOKIE) + cookie))
    chain += [(SA, sa_body()), (KE, struct.pack("!HH", 19, 0) + pub),
              (NONCE, nonce)]
    body = b""
    for i, (typ, b) in enumerate(chain):
        nxt = chain[i + 1][0] if i + 1 < len(chain) else 0
        body += payload(nxt, b)
    hdr = struct.pack("!8s8sBBBBII", spi_i, b"\0" * 8, chain[0][0], 0x20,
                      IKE_SA_INIT, 0x08, 0, 28 + len(body))
    return hdr + body


def notify_of(resp):
    """(type, data) of the first Notify of a response, or None."""
    if len(resp) < 28:
        return None
    nxt, off = resp[16], 28
    while nxt and off + 4 <= len(resp):
        plen = struct.unpack("!H", resp[off + 2:off + 4])[0]
        if plen < 4 or off + plen > len(resp):
            return None
        if nxt == NOTIFY and plen >= 8:
            ntype = struct.unpack("!H", resp[off + 6:off + 8])[0]
            spisz = resp[off + 5]
            return ntype, resp[off + 8 + spisz:off + plen]
        nxt, off = resp[off], off + plen
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--src", required=True)
    ap.add_argument("--dst", required=True)
    ap.add_argument("--count", type=int, default=1000)
    ap.add_argument("--rate", type=int, default=2000)
    ap.add_argument("--echo-cookie", action="store_true")
    a = ap.parse_args()
    if a.count > 100000:
        sys.exit("ike_flood: --count is bounded to 100000")
    keys = [ec.generate_private_key(ec.SECP256R1()).public_key()
            .public_bytes(serialization.Encoding.X962,
                          serialization.PublicFormat.UncompressedPoint)[1:]
            for _ in range(8)]
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((a.src, 0))
    s.setblocking(False)
    sent = replies = cookies = echoed = others = 0
    pending = {}
    gap = 1.0 / a.rate
    t_end = None
    i = 0
    while True:
        now = time.monotonic()
        if i < a.count:
            spi, nonce = os.urandom(8), os.urandom(32)
            pub = keys[i % len(keys)]
            s.sendto(request(spi, pub, nonce), (a.dst, 500))
            pending[spi] = (pub, nonce)
            sent += 1
            i += 1
            if i == a.count:
                t_end = now + 2.0
        elif now > t_end:
            break
        r, _, _ = select.select([s], [], [], gap if i < a.count else 0.05)
        while r:
            try:
                resp = s.recv(65535)
            except BlockingIOError:
                break
            replies += 1
            n = notify_of(resp)
            if n and n[0] == COOKIE:
                cookies += 1
                spi = resp[:8]
                if a.echo_cookie and spi in pending:
                    pub, nonce = pending.pop(spi)
                    s.sendto(request(spi, pub, nonce, n[1]), (a.dst, 500))
                    echoed += 1
            elif n:
                others += 1
    print("ike_flood: sent=%d replies=%d cookies=%d echoed=%d other_notifies=%d"
          % (sent, replies, cookies, echoed, others))


if __name__ == "__main__":
    main()
