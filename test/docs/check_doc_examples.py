#!/usr/bin/env python3
"""Checks that every ```mlir example in a generated dialect doc is valid IR.

Each example is wrapped in a function whose arguments are the SSA values the
example uses but does not define (their types are read from `%v : type` in
the example itself), then run through norm-opt. Prints one line per example
and exits non-zero if any fails to parse or verify.
"""

import re
import subprocess
import sys

TYPE = r"((?:tensor|memref)<[^>]*>)"


def wrap(example: str) -> str:
    defined = set()
    for lhs in re.findall(r"^\s*(%[\w, %]+?)\s*=", example, flags=re.M):
        defined.update(v.strip() for v in lhs.split(","))
    args = {}
    for name, ty in re.findall(r"(%\w+)\s*:\s*" + TYPE, example):
        if name not in defined:
            args.setdefault(name, ty)
    sig = ", ".join(f"{n}: {t}" for n, t in args.items())
    return f"func.func @example({sig}) {{\n{example}\n  return\n}}\n"


def main() -> int:
    doc, norm_opt = sys.argv[1], sys.argv[2]
    text = open(doc).read()
    examples = re.findall(r"```mlir\n(.*?)```", text, flags=re.S)
    failures = 0
    for i, example in enumerate(examples):
        module = wrap(example)
        proc = subprocess.run([norm_opt, "-"], input=module, text=True,
                              capture_output=True)
        ok = proc.returncode == 0
        failures += not ok
        first = example.strip().splitlines()[0]
        print(f"example {i}: {'ok' if ok else 'FAILED'}: {first}")
        if not ok:
            print(module + proc.stderr)
    print(f"{len(examples) - failures} of {len(examples)} examples parse")
    return 1 if failures or not examples else 0


if __name__ == "__main__":
    sys.exit(main())
