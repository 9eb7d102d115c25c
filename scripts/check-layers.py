#!/usr/bin/env python3
"""Layering check: every include points down, and no source file outside tests is too long.

The rooms and their arrows are docs/design/0010-rooms.md. A room may include its own headers
and those of the rooms listed for it below; anything else is an include that points up (or
sideways), which this script reports with the file and line. It also reports every C++ file
outside tests/ longer than --max-lines (900).

Usage: scripts/check-layers.py [--root DIR] [--max-lines N]
Exit status: 0 clean, 1 a violation was found, 64 usage error.
"""
import argparse
import os
import re
import sys

# The folder of each room and the header prefix (enclavectl/<prefix>/) its headers use.
HEADER_ROOM = {
    "core": "core",
    "net": "core",  # core/net: the HTTP server and client adapters
    "aws": "aws",
    "verifier": "verifier",
    "eif": "eifbuild",
    "bitcoin": "bitcoin",
    "ethereum": "ethereum",
    "wallet": "wallet",
    "kmspolicy": "kmspolicy",
    "localkms": "localkms",
    "monitor": "monitor",
    "app": "enclave-app",
    "cli": "cli",
    "cmddoc": "cmddoc",
}

# Which rooms a room may include (besides itself). Dependencies point down: core at the
# bottom, cli at the top.
ALLOWED = {
    "core": set(),
    # cmddoc: man pages and completions from the command tree (core/suggest.hpp's description).
    "cmddoc": {"core"},
    "aws": {"core"},
    "verifier": {"core"},
    "eifbuild": {"core"},
    "bitcoin": {"core"},
    "ethereum": {"core"},
    "wallet": {"core", "ethereum"},
    "kmspolicy": {"core", "aws", "verifier"},
    "localkms": {"core", "aws", "kmspolicy", "verifier"},
    # monitor: the continuous audit (verifier's live checks on a schedule, Prometheus metrics).
    "monitor": {"core", "verifier"},
    "enclave-app": {"core", "aws", "verifier", "eifbuild", "bitcoin", "ethereum", "wallet",
                    "kmspolicy", "cmddoc"},
    "cli": {"core", "aws", "verifier", "eifbuild", "bitcoin", "ethereum", "wallet", "kmspolicy",
            "localkms", "enclave-app", "monitor", "cmddoc"},
}

# Adapter layers that may reach one step further than their room's pure code.
ADAPTER_EXTRA = {
    # kmspolicy/io reads PCRs from EIF images (eifbuild's reader).
    ("kmspolicy", "io"): {"eifbuild"},
    # wallet/io keeps accounts in DynamoDB (aws's client) or SQLite.
    ("wallet", "io"): {"aws"},
}

INCLUDE = re.compile(r'^\s*#\s*include\s+"enclavectl/([a-z_]+)/')
SOURCE = re.compile(r"\.(cpp|hpp|h|cc)$")


def room_of(rel):
    top = rel.split("/", 1)[0]
    return top if top in ALLOWED else None


def is_adapter(rel, layer):
    return layer in rel.split("/")[1:-1]


def check(root, max_lines):
    problems = []
    for dirpath, dirnames, filenames in os.walk(root):
        rel_dir = os.path.relpath(dirpath, root)
        first = rel_dir.split(os.sep, 1)[0]
        if first in {".git", "build", "tests", "node_modules"} or first.startswith("."):
            if rel_dir != ".":
                dirnames[:] = []
                continue
        for name in filenames:
            if not SOURCE.search(name):
                continue
            rel = os.path.normpath(os.path.join(rel_dir, name)).replace(os.sep, "/")
            if rel.split("/", 1)[0] in {"tests", "build"}:
                continue
            path = os.path.join(root, rel)
            try:
                with open(path, encoding="utf-8", errors="replace") as f:
                    lines = f.readlines()
            except OSError as e:
                problems.append(f"{rel}: cannot read: {e.strerror}")
                continue
            if len(lines) > max_lines:
                problems.append(f"{rel}: {len(lines)} lines (more than {max_lines}): split it")
            room = room_of(rel)
            if room is None:
                continue
            allowed = set(ALLOWED[room]) | {room}
            for (adapter_room, layer), extra in ADAPTER_EXTRA.items():
                if room == adapter_room and is_adapter(rel, layer):
                    allowed |= extra
            for number, line in enumerate(lines, 1):
                m = INCLUDE.match(line)
                if not m:
                    continue
                target = HEADER_ROOM.get(m.group(1))
                if target is None:
                    problems.append(f"{rel}:{number}: includes enclavectl/{m.group(1)}/, "
                                    "which is no room's header folder")
                elif target not in allowed:
                    problems.append(f"{rel}:{number}: {room} includes {target} "
                                    f"(enclavectl/{m.group(1)}/): the include points up or "
                                    f"sideways; {room} may include "
                                    f"{', '.join(sorted(allowed - {room})) or 'only itself'}")
    return problems


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", default=os.path.join(os.path.dirname(__file__), ".."))
    parser.add_argument("--max-lines", type=int, default=900)
    try:
        args = parser.parse_args()
    except SystemExit as e:
        sys.exit(64 if e.code else 0)
    if not os.path.isdir(args.root):
        print(f"check-layers: {args.root} is not a directory", file=sys.stderr)
        sys.exit(64)
    problems = check(os.path.abspath(args.root), args.max_lines)
    for p in problems:
        print(p)
    if problems:
        print(f"check-layers: {len(problems)} problem(s)", file=sys.stderr)
        sys.exit(1)
    print("check-layers: every include points down; no source file over "
          f"{args.max_lines} lines")


if __name__ == "__main__":
    main()
