#!/usr/bin/env python3
"""Writes the PTX embedded in the gpu.binary ops of an MLIR file.

Usage: extract_ptx.py FILE.mlir OUTDIR   (lowered with norm-lower-to-nvvm
format=ptx). Writes OUTDIR/<binary>.ptx per gpu.binary and prints the paths.
MLIR prints the PTX as a string attribute with \\XX hex escapes.
"""
import os
import re
import sys


def unescape(s):
    out = bytearray()
    i = 0
    while i < len(s):
        c = s[i]
        if c == "\\":
            nxt = s[i + 1]
            if nxt in "\\\"":
                out.append(ord(nxt))
                i += 2
            else:
                out.append(int(s[i + 1:i + 3], 16))
                i += 3
        else:
            out.extend(c.encode())
            i += 1
    return out.decode()


def main():
    text = open(sys.argv[1]).read()
    outdir = sys.argv[2]
    os.makedirs(outdir, exist_ok=True)
    found = 0
    for m in re.finditer(r'gpu\.binary @(\w+).*?assembly = "((?:[^"\\]|\\.)*)"',
                         text, re.S):
        path = os.path.join(outdir, m.group(1) + ".ptx")
        with open(path, "w") as f:
            f.write(unescape(m.group(2)))
        print(path)
        found += 1
    if not found:
        sys.exit("extract_ptx.py: no gpu.binary with PTX assembly in " +
                 sys.argv[1])


if __name__ == "__main__":
    main()
