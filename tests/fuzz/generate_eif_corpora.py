#!/usr/bin/env python3
"""Regenerates tests/fuzz/corpus/eif and tests/fuzz/corpus/tar (seed inputs for the eif and
tar fuzz targets). Deterministic: run from the repository root, commit the output.

eif_corpus: small images in the EIF layout of ../shared/spec/eif.md (548-byte header,
12-byte section headers, CRC-32 over header[0:544] and the sections), well formed and
deliberately broken. tar_corpus: gnu, pax and ustar archives made by Python's tarfile."""
import io
import struct
import tarfile
import zlib


def image(sections, version=4, flags=0, num=None):
    offsets, sizes, body, offset = [], [], b"", 548
    for kind, data in sections:
        offsets.append(offset)
        sizes.append(len(data))
        body += struct.pack(">HHQ", kind, 0, len(data)) + data
        offset += 12 + len(data)
    count = len(sections) if num is None else num
    header = b".eif" + struct.pack(">HHQQHH", version, flags, 1 << 30, 2, 0, count)
    header += b"".join(struct.pack(">Q", x) for x in (offsets + [0] * 32)[:32])
    header += b"".join(struct.pack(">Q", x) for x in (sizes + [0] * 32)[:32])
    header += struct.pack(">I", 0)
    crc = zlib.crc32(header + body) & 0xFFFFFFFF
    return header + struct.pack(">I", crc) + body


META = (b'{"ImageName":"t","ImageVersion":"1","BuildMetadata":{"BuildTime":"0",'
        b'"BuildTool":"t","BuildToolVersion":"0","OperatingSystem":"Linux",'
        b'"KernelVersion":"6"},"DockerInfo":null,"CustomMetadata":{"a":[1,{"b":null}]}}')
BASIC = [(1, b"kernel" * 10), (2, b"console=ttyS0"), (5, META),
         (3, b"070701" + b"0" * 100), (3, b"app")]
# The upstream CBOR vector of a signature section (its certificate is not a real one).
SIGNATURE = bytes.fromhex(
    "81a2737369676e696e675f6365727469666963617465983b182d182d182d182d182d1842184518471849"
    "184e182018431845185218541849184618491843184118541845182d182d182d182d182d0a184d184918"
    "4918420a182d182d182d182d182d1845184e1844182018431845185218541849184618491843184118"
    "541845182d182d182d182d182d0a697369676e61747572658a18d21884184418a1011838182218a0"
    "18401840")


def write(path, data):
    with open(path, "wb") as out:
        out.write(data)


def main():
    d = "tests/fuzz/corpus/eif/"
    write(d + "minimal_v4", image(BASIC))
    write(d + "v3_no_metadata", image([(1, b"k"), (2, b"c"), (3, b"r")], version=3))
    write(d + "metadata_null", image([(1, b"k"), (2, b"c"), (5, b"null"), (3, b"r")]))
    write(d + "unknown_flags", image(BASIC, flags=0x241))
    write(d + "bad_crc", image(BASIC)[:-1] + b"X")
    write(d + "truncated", image(BASIC)[:600])
    write(d + "section_type_7", image([(1, b"k"), (7, b"?")]))
    write(d + "table_mismatch", image(BASIC, num=3))
    write(d + "trailing", image(BASIC) + b"abc")
    write(d + "signature_garbage", image(BASIC + [(4, SIGNATURE)]))

    t = "tests/fuzz/corpus/tar/"
    members = [("./", tarfile.DIRTYPE, b""), ("./bin", tarfile.DIRTYPE, b""),
               ("./bin/app", tarfile.REGTYPE, b"#!/bin/sh\n", 0o755),
               ("./bin/sh", tarfile.SYMTYPE, b"app"), ("./bin/hard", tarfile.LNKTYPE, b"./bin/app"),
               ("x" * 150 + "/" + "y" * 120, tarfile.REGTYPE, b"long")]
    for name, fmt, subset in (("gnu", tarfile.GNU_FORMAT, members),
                              ("pax", tarfile.PAX_FORMAT, members),
                              ("ustar", tarfile.USTAR_FORMAT, members[:5])):
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w", format=fmt) as archive:
            for member in subset:
                info = tarfile.TarInfo(member[0])
                info.type = member[1]
                info.mode = member[3] if len(member) > 3 else 0o644
                data = member[2] if member[1] == tarfile.REGTYPE else b""
                if member[1] in (tarfile.SYMTYPE, tarfile.LNKTYPE):
                    info.linkname = member[2].decode()
                info.size = len(data)
                info.mtime = 0
                archive.addfile(info, io.BytesIO(data) if data else None)
        write(t + name, buffer.getvalue())


if __name__ == "__main__":
    main()
