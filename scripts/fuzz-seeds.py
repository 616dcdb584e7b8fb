#!/usr/bin/env python3
"""Writes norm-fuzz seeds from the lit tests: every `// -----` chunk of every
test/**/*.mlir (and examples/*.mlir), prefixed with the selector byte of the
norm-fuzz pipelines its test exercises (tools/norm-fuzz/norm-fuzz.cpp,
kPipelines). With NORM_OPT, every chunk is also written in generic form
(the generic parser and the custom ones are both fuzzed). Usage: fuzz-seeds.py OUTDIR
[NORM_OPT]; prints the number of seeds."""

import hashlib
import os
import re
import subprocess
import sys

FUSE, DECOMPOSE, TILE, VECTORIZE, CPU, NVVM, SHARDING, SPLIT = range(8)


def selectors(path):
    name = os.path.basename(path)
    if "norm-fuse" in name or "examples" in path:
        return [FUSE, CPU]
    if "decompose" in name:
        return [DECOMPOSE, CPU]
    if "tile-rows" in name:
        return [TILE]
    if "vectorize" in name:
        return [VECTORIZE]
    if "nvvm" in name or "NormToGPU" in path or "GPU" in path:
        return [NVVM]
    if "sharding" in name:
        return [SHARDING]
    if "split-all-gather" in name or "MPI" in path:
        return [SPLIT, CPU]
    return [CPU, DECOMPOSE]


def main():
    out = sys.argv[1]
    norm_opt = sys.argv[2] if len(sys.argv) > 2 else None
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    os.makedirs(out, exist_ok=True)
    count = 0
    for base in ("test", "examples"):
        for dirpath, _, files in os.walk(os.path.join(root, base)):
            for f in sorted(files):
                if not f.endswith(".mlir"):
                    continue
                path = os.path.join(dirpath, f)
                text = open(path, encoding="utf-8").read()
                for chunk in re.split(r"^// -----\s*$", text, flags=re.M):
                    body = "\n".join(l for l in chunk.splitlines()
                                     if not l.lstrip().startswith("//"))
                    if "func.func" not in body and "shard.grid" not in body:
                        continue
                    forms = [body]
                    if norm_opt:
                        r = subprocess.run([norm_opt, "--mlir-print-op-generic", "-"],
                                           input=body, capture_output=True, text=True)
                        if r.returncode == 0:
                            forms.append(r.stdout)
                    for form in forms:
                        for sel in selectors(path):
                            data = bytes([ord("0") + sel]) + form.encode()
                            digest = hashlib.sha1(data).hexdigest()
                            with open(os.path.join(out, digest), "wb") as fh:
                                fh.write(data)
                            count += 1
    print(count)


if __name__ == "__main__":
    main()
