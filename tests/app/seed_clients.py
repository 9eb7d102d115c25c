#!/usr/bin/env python3
"""Clients of the seeds' wallet protocols, behaving as the seeds' own clients do
(../shared/spec/wallet.md 1.2, 2.2). Used by tests/app/seed_servers_test.cpp.

  seed_clients.py wallet tcp|vsock HOST|CID PORT REQUEST_JSON
      nitro-enclave-wallet client.py: json.dumps(request) in ONE send(), no half-close,
      ONE recv(4096), close; writes the raw reply bytes to stdout.
  seed_clients.py wallet-to-eof ...
      the same request, but reads the reply to EOF (enclavectl's client rule, wallet.md 1.2;
      get_attestation replies are longer than 4096 bytes).
  seed_clients.py account tcp|vsock HOST|CID PORT MODE PAYLOAD
      aws-nitro-enclaves-rs parent: struct.pack('<Q', len) header, then the payload; reads
      one frame back and writes its payload to stdout. MODE: frame (a whole frame),
      short-header (3 header bytes, then half-close), huge (a header declaring 2^40 bytes),
      eof-body (a header declaring len+100 bytes, the payload, then half-close).
"""
import json
import socket
import struct
import sys


def connect(transport, host, port):
    if transport == "vsock":
        s = socket.socket(socket.AF_VSOCK, socket.SOCK_STREAM)
        address = (int(host), int(port))
    else:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        address = (host, int(port))
    s.settimeout(30)
    s.connect(address)
    return s


def recv_exactly(s, n):
    out = b""
    while len(out) < n:
        chunk = s.recv(n - len(out))
        if not chunk:
            raise EOFError("connection closed after %d of %d bytes" % (len(out), n))
        out += chunk
    return out


def wallet(transport, host, port, request_json, to_eof=False):
    request = json.loads(request_json)
    s = connect(transport, host, port)
    s.send(json.dumps(request).encode())
    response = s.recv(4096)
    while to_eof and len(response) < 65536:
        chunk = s.recv(65536)
        if not chunk:
            break
        response += chunk
    s.close()
    sys.stdout.buffer.write(response)


def account(transport, host, port, mode, payload):
    body = payload.encode()
    s = connect(transport, host, port)
    if mode == "frame":
        s.send(struct.pack("<Q", len(body)))
        s.sendall(body)
    elif mode == "short-header":
        s.sendall(struct.pack("<Q", len(body))[:3])
        s.shutdown(socket.SHUT_WR)
    elif mode == "huge":
        s.sendall(struct.pack("<Q", 1 << 40))
    elif mode == "eof-body":
        s.sendall(struct.pack("<Q", len(body) + 100) + body)
        s.shutdown(socket.SHUT_WR)
    (length,) = struct.unpack("<Q", recv_exactly(s, 8))
    response = recv_exactly(s, length)
    s.close()
    sys.stdout.buffer.write(response)


if __name__ == "__main__":
    if sys.argv[1] == "wallet":
        wallet(*sys.argv[2:6])
    elif sys.argv[1] == "wallet-to-eof":
        wallet(*sys.argv[2:6], to_eof=True)
    else:
        account(*sys.argv[2:7])
