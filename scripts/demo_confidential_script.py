#!/usr/bin/env python3
"""The verify-and-sign step of scripts/demo.sh, independent of enclavectl's C++ code.

  demo_confidential_script.py request ADDRESS_JSON PREIMAGE_HEX > request.json
  demo_confidential_script.py check ADDRESS_JSON REQUEST_JSON RESPONSE_JSON

`request` builds an emulated spend of the real output described by ADDRESS_JSON (the output
of `enclavectl bitcoin address --json` for the emulated tree of `hash_lock_leaf`): one input
spending the emulated single-leaf tree <OP_SHA256 <sha256(secret)> OP_EQUAL> by its script path
with the given preimage. `check` recomputes the BIP-341 key-path sighash of the signed input
and verifies its BIP-340 signature under the real output key (pure Python, exit 1 if not).
"""
import hashlib
import json
import sys

P = 2**256 - 2**32 - 977
N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
G = (0x79BE667EF9DCBBAC55A06295CE870B07029BFCDB2DCE28D959F2815B16F81798,
     0x483ADA7726A3C4655DA4FBFC0E1108A8FD17B448A68554199C47D08FFB10D4B8)
# BIP-341's provably unspendable internal key for the emulated tree (no key path).
NUMS = "50929b74c1a04954b78b4b6035e97a5e078a5a0f28ec96d547bfee9ace803ac0"
SECRET = b"the demo's hash lock"


def add(a, b):
    if a is None:
        return b
    if b is None:
        return a
    if a[0] == b[0] and (a[1] + b[1]) % P == 0:
        return None
    if a == b:
        lam = 3 * a[0] * a[0] * pow(2 * a[1], P - 2, P) % P
    else:
        lam = (b[1] - a[1]) * pow(b[0] - a[0], P - 2, P) % P
    x = (lam * lam - a[0] - b[0]) % P
    return (x, (lam * (a[0] - x) - a[1]) % P)


def mul(k, point):
    result = None
    while k:
        if k & 1:
            result = add(result, point)
        point = add(point, point)
        k >>= 1
    return result


def lift_x(xb):
    x = int.from_bytes(xb, "big")
    c = (pow(x, 3, P) + 7) % P
    y = pow(c, (P + 1) // 4, P)
    if y * y % P != c:
        raise ValueError("not on the curve")
    return (x, y if y % 2 == 0 else P - y)


def tagged(tag, msg):
    t = hashlib.sha256(tag.encode()).digest()
    return hashlib.sha256(t + t + msg).digest()


def compact(n):
    return bytes([n]) if n < 0xFD else b"\xfd" + n.to_bytes(2, "little")


def hash_lock_leaf():
    return b"\xa8\x20" + hashlib.sha256(SECRET).digest() + b"\x87"


def emulated_root():
    leaf = hash_lock_leaf()
    return tagged("TapLeaf", b"\xc0" + compact(len(leaf)) + leaf)


def request(address, preimage):
    internal = bytes.fromhex(NUMS)
    root = emulated_root()
    tweak = int.from_bytes(tagged("TapTweak", internal + root), "big")
    q = add(lift_x(internal), mul(tweak, G))
    control = bytes([0xC0 | (q[1] & 1)]) + internal
    tx = {"version": 2, "lock_time": 0,
          "input": [{"previous_output": "aa" * 32 + ":0", "script_sig": "",
                     "sequence": 0xFFFFFFFD,
                     "witness": [preimage.hex(), hash_lock_leaf().hex(), control.hex()]}],
          "output": [{"value": 90000, "script_pubkey": "0014" + "bb" * 20}]}
    return {"emulated_tx_to": tx,
            "actual_spent_outputs": [{"value": 100000, "script_pubkey": address["script_pub_key"]}],
            "backup_merkle_roots": {}}


def key_path_sighash(tx, spent, index):
    le = lambda v, n: v.to_bytes(n, "little")
    prevouts = b"".join(bytes.fromhex(i["previous_output"].split(":")[0])[::-1] +
                        le(int(i["previous_output"].split(":")[1]), 4) for i in tx["input"])
    amounts = b"".join(le(o["value"], 8) for o in spent)
    spks = b"".join(compact(len(s)) + s for s in (bytes.fromhex(o["script_pubkey"]) for o in spent))
    seqs = b"".join(le(i["sequence"], 4) for i in tx["input"])
    outs = b"".join(le(o["value"], 8) + compact(len(s)) + s
                    for o in tx["output"] for s in [bytes.fromhex(o["script_pubkey"])])
    sha = lambda b: hashlib.sha256(b).digest()
    msg = (b"\x00\x00" + le(tx["version"], 4) + le(tx["lock_time"], 4) + sha(prevouts) +
           sha(amounts) + sha(spks) + sha(seqs) + sha(outs) + b"\x00" + le(index, 4))
    return tagged("TapSighash", msg)


def schnorr_verify(pub, msg, sig):
    r, s = int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big")
    if r >= P or s >= N:
        return False
    e = int.from_bytes(tagged("BIP0340/challenge", sig[:32] + pub + msg), "big") % N
    q = lift_x(pub)
    point = add(mul(s, G), mul(N - e, q))
    return point is not None and point[1] % 2 == 0 and point[0] == r


def check(address, req, resp):
    signed = resp["signed_tx"]
    witness = signed["input"][0]["witness"]
    if len(witness) != 1 or len(bytes.fromhex(witness[0])) != 64:
        print("verify-and-sign: the signed input's witness is not one 64-byte signature")
        return 1
    unsigned = dict(req["emulated_tx_to"])
    if {k: v for k, v in signed.items() if k != "input"} != \
            {k: v for k, v in unsigned.items() if k != "input"}:
        print("verify-and-sign: the transaction changed beyond the witness")
        return 1
    output_key = bytes.fromhex(address["output_key"])
    if address["script_pub_key"] != "5120" + output_key.hex():
        print("verify-and-sign: the address's scriptPubKey is not P2TR of its output key")
        return 1
    sighash = key_path_sighash(signed, req["actual_spent_outputs"], 0)
    ok = schnorr_verify(output_key, sighash, bytes.fromhex(witness[0]))
    print(f"BIP-341 key-path sighash {sighash.hex()}")
    print(f"BIP-340 signature {witness[0][:32]}... under output key {output_key.hex()[:16]}...: "
          f"{'valid' if ok else 'INVALID'}")
    return 0 if ok else 1


def main():
    load = lambda path: json.load(open(path))
    if sys.argv[1] == "root":
        print(emulated_root().hex())
        return 0
    if sys.argv[1] == "request":
        print(json.dumps(request(load(sys.argv[2]), bytes.fromhex(sys.argv[3]))))
        return 0
    return check(load(sys.argv[2]), load(sys.argv[3]), load(sys.argv[4]))


if __name__ == "__main__":
    sys.exit(main())
