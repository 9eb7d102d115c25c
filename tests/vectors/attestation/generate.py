#!/usr/bin/env python3
"""Generates the attestation mutation vectors in this directory. Do not edit the JSON files
by hand: change this script and run it again (python3 generate.py); the output is
deterministic.

Each vector is data (STYLE.md section 7): a genuine document from
../shared/testdata/attestation/ (`base`), byte operations applied in order (`ops`), the
verification time and options, and the expectation (verdict, error code name, index).
Byte offsets are found by walking the document's CBOR here, so they are exact.

at:  "doc" (the document's own timestamp) or Unix seconds.
ops: {"op": "xor", "offset": N, "mask": M}   flip bits of one byte
     {"op": "truncate", "length": N}         keep the first N bytes
     {"op": "append", "hex": H}              add bytes at the end
     {"op": "prepend", "hex": H}             add bytes at the start
     {"op": "replace", "offset": N, "hex": H} overwrite bytes in place
"""
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SHARED = os.path.normpath(os.path.join(HERE, "..", "..", "data", "attestation"))


def head(data, pos):
    """Returns (major, argument, header_length) of the CBOR item head at pos."""
    ib = data[pos]
    major, ai = ib >> 5, ib & 0x1F
    if ai < 24:
        return major, ai, 1
    if ai == 31:
        return major, None, 1  # indefinite
    n = {24: 1, 25: 2, 26: 4, 27: 8}[ai]
    return major, int.from_bytes(data[pos + 1:pos + 1 + n], "big"), 1 + n


def skip(data, pos):
    """Returns the offset just after the item at pos."""
    major, arg, hl = head(data, pos)
    pos += hl
    if major in (0, 1, 7):
        return pos
    if major in (2, 3):
        if arg is None:
            while data[pos] != 0xFF:
                pos = skip(data, pos)
            return pos + 1
        return pos + arg
    if major == 6:
        return skip(data, pos)
    count = arg
    per = 2 if major == 5 else 1
    if count is None:
        while data[pos] != 0xFF:
            pos = skip(data, pos)
        return pos + 1
    for _ in range(count * per):
        pos = skip(data, pos)
    return pos


def locate(doc):
    """Offsets of interest in an untagged COSE_Sign1 attestation document."""
    out = {}
    pos = 1  # 0x84
    out["protected"] = pos
    pos = skip(doc, pos)
    out["unprotected"] = pos
    pos = skip(doc, pos)
    _, plen, phl = head(doc, pos)
    out["payload_head"] = pos
    payload = pos + phl
    pos = skip(doc, pos)
    _, slen, shl = head(doc, pos)
    out["signature_head"] = pos
    out["signature"] = pos + shl
    assert slen == 96 and pos + shl + slen == len(doc)
    # payload map entries
    major, count, hl = head(doc, payload)
    p = payload + hl
    fields = {}
    while (count is None and doc[p] != 0xFF) or (count is not None and len(fields) < count):
        _, klen, khl = head(doc, p)
        key = doc[p + khl:p + khl + klen].decode()
        p = skip(doc, p)
        fields[key] = p
        p = skip(doc, p)
    out["fields"] = fields
    # data offsets of certificate and cabundle entries
    _, clen, chl = head(doc, fields["certificate"])
    out["certificate"] = (fields["certificate"] + chl, clen)
    major, n, hl = head(doc, fields["cabundle"])
    p = fields["cabundle"] + hl
    bundle = []
    for _ in range(n):
        _, blen, bhl = head(doc, p)
        bundle.append((p + bhl, blen))
        p += bhl + blen
    out["cabundle"] = bundle
    # module_id text
    _, mlen, mhl = head(doc, fields["module_id"])
    out["module_id"] = fields["module_id"] + mhl
    # PCR0 value
    major, n, hl = head(doc, fields["pcrs"])
    p = fields["pcrs"] + hl
    _, _, khl = head(doc, p)
    _, vlen, vhl = head(doc, p + khl)
    out["pcr0"] = p + khl + vhl
    return out


def unix(rfc3339):
    import datetime
    return int(datetime.datetime.fromisoformat(rfc3339).timestamp())


def main():
    vectors = []

    def add(name, base, ops, expect, at="doc", options=None, note=""):
        vectors.append({
            "name": name,
            "base": base + ".cbor",
            "note": note,
            "ops": ops,
            "at": at,
            "options": options or {},
            "expect": expect,
        })

    def rejected(code, index=None):
        return {"verdict": "rejected", "code": code, "index": index}

    def malformed(code, index=None):
        return {"verdict": "malformed", "code": code, "index": index}

    for base in ("evervault_2022-10-13_valid", "turnkey_2025-09-16_indef"):
        doc = open(os.path.join(SHARED, base + ".cbor"), "rb").read()
        meta = json.load(open(os.path.join(SHARED, base + ".json")))
        loc = locate(doc)
        leaf = len(loc["cabundle"])
        cert_off, cert_len = loc["certificate"]
        add(f"{base}__tagged", base, [{"op": "prepend", "hex": "d2"}],
            {"verdict": "accepted", "code": None, "index": None},
            note="COSE tag 18 in front of a genuine untagged document is still valid")
        add(f"{base}__signature_last_byte", base,
            [{"op": "xor", "offset": len(doc) - 1, "mask": 1}], rejected("SIGNATURE_INVALID"))
        add(f"{base}__signature_r_first_byte", base,
            [{"op": "xor", "offset": loc["signature"], "mask": 0x80}], rejected("SIGNATURE_INVALID"))
        add(f"{base}__payload_module_id", base,
            [{"op": "xor", "offset": loc["module_id"] + 2, "mask": 1}], rejected("SIGNATURE_INVALID"),
            note="one character of module_id changed: the payload no longer matches the signature")
        add(f"{base}__payload_pcr0", base,
            [{"op": "xor", "offset": loc["pcr0"] + 5, "mask": 0x10}], rejected("SIGNATURE_INVALID"))
        add(f"{base}__leaf_cert_signature", base,
            [{"op": "xor", "offset": cert_off + cert_len - 1, "mask": 1}],
            rejected("CERT_SIGNATURE", leaf),
            note="last byte of the leaf certificate's signature value")
        subject = doc.find(meta["module_id"].encode(), cert_off, cert_off + cert_len)
        assert subject > 0 and meta["module_id"][2] == "0"
        add(f"{base}__leaf_cert_subject", base,
            [{"op": "xor", "offset": subject + 2, "mask": 1}], rejected("CERT_SIGNATURE", leaf),
            note="one character of the leaf subject CN changed (i-0... to i-1...)")
        inst_off, inst_len = loc["cabundle"][-1]
        add(f"{base}__instance_cert_signature", base,
            [{"op": "xor", "offset": inst_off + inst_len - 1, "mask": 1}],
            rejected("CERT_SIGNATURE", leaf - 1))
        root_off, root_len = loc["cabundle"][0]
        add(f"{base}__root_cert_altered", base,
            [{"op": "xor", "offset": root_off + root_len - 1, "mask": 1}],
            rejected("CHAIN_ROOT_MISMATCH", 0),
            note="cabundle[0] differs from the pinned root by one bit")
        add(f"{base}__alg_es512", base, [{"op": "replace", "offset": loc["protected"] + 4, "hex": "23"}],
            malformed("COSE_ALGORITHM"), note="protected header {1: -36} instead of {1: -35}")
        add(f"{base}__signature_95_bytes", base,
            [{"op": "replace", "offset": loc["signature_head"] + 1, "hex": "5f"},
             {"op": "truncate", "length": len(doc) - 1}], malformed("COSE_SIGNATURE_LENGTH"))
        add(f"{base}__tag_17", base, [{"op": "prepend", "hex": "d1"}], malformed("COSE_STRUCTURE"))
        add(f"{base}__unprotected_not_map", base,
            [{"op": "replace", "offset": loc["unprotected"], "hex": "80"}], malformed("COSE_STRUCTURE", 1))
        add(f"{base}__trailing_byte", base, [{"op": "append", "hex": "00"}], malformed("TRAILING_BYTES"))
        add(f"{base}__trailing_document", base, [{"op": "append", "hex": doc[:64].hex()}],
            malformed("TRAILING_BYTES"))
        add(f"{base}__truncated_in_signature", base, [{"op": "truncate", "length": len(doc) - 10}],
            malformed("TRUNCATED"))
        add(f"{base}__truncated_in_payload", base, [{"op": "truncate", "length": 1000}],
            malformed("TRUNCATED"))
        add(f"{base}__oversize", base, [{"op": "append", "hex": "00" * 0x3000}],
            malformed("INPUT_TOO_LARGE"))
        chain = meta["chain"]
        leaf_not_before = unix(chain[-1]["not_before"])
        leaf_not_after = unix(chain[-1]["not_after"])
        add(f"{base}__before_leaf_validity", base, [], rejected("CERT_NOT_YET_VALID", leaf),
            at=str(leaf_not_before - 1), note="one second before the leaf's notBefore")
        add(f"{base}__at_leaf_expiry", base, [], rejected("CERT_EXPIRED", leaf),
            at=str(leaf_not_after), note="at the leaf's notAfter (expired, as OpenSSL counts it)")
        add(f"{base}__one_second_before_expiry", base, [], {"verdict": "accepted", "code": None, "index": None},
            at=str(leaf_not_after - 1), options={"insecure_allow_debug": meta["debug_mode_pcr0_2_zero"]})
        add(f"{base}__at_given_time", base, [], {"verdict": "accepted", "code": None, "index": None},
            at=str(meta["verification_time"]), options={"insecure_allow_debug": meta["debug_mode_pcr0_2_zero"]})
        add(f"{base}__expected_nonce_wrong", base, [],
            rejected("NONCE_MISMATCH" if meta["nonce"] is not None else "NONCE_MISSING"),
            options={"expect_nonce": "00" * 20, "insecure_allow_debug": meta["debug_mode_pcr0_2_zero"]})
        add(f"{base}__pcr0_expected_wrong", base, [], rejected("PCR_MISMATCH", 0),
            options={"expect_pcr": {"0": "11" * 48}, "insecure_allow_debug": meta["debug_mode_pcr0_2_zero"]})
        add(f"{base}__pcr0_expected_right", base, [], {"verdict": "accepted", "code": None, "index": None},
            options={"expect_pcr": {"0": meta["pcrs"]["0"]}, "insecure_allow_debug": meta["debug_mode_pcr0_2_zero"]})
        add(f"{base}__pcr16_expected_missing", base, [], rejected("PCR_MISSING", 16),
            options={"expect_pcr": {"16": "00" * 48}, "insecure_allow_debug": meta["debug_mode_pcr0_2_zero"]})

    # Debug-mode documents are refused unless allowed.
    add("evervault_2022-10-12_debug__refused", "evervault_2022-10-12_debug", [],
        rejected("DEBUG_MODE"))
    add("evervault_2022-10-12_debug__allowed", "evervault_2022-10-12_debug", [],
        {"verdict": "accepted", "code": None, "index": None}, options={"insecure_allow_debug": True})

    for v in vectors:
        v["provenance"] = "generated by tests/vectors/attestation/generate.py from ../shared/testdata/attestation/" + v["base"]
        path = os.path.join(HERE, v["name"] + ".json")
        with open(path, "w") as f:
            json.dump(v, f, indent=1, sort_keys=True)
            f.write("\n")
    print(f"wrote {len(vectors)} vectors", file=sys.stderr)


if __name__ == "__main__":
    main()
