#!/usr/bin/env python3
"""Differential test of norm-fuse: every function of the given MLIR files is
compiled through norm-lower-to-cpu twice, as written and after norm-fuse,
run on the same random inputs, and the outputs compared. The raised version
must also contain a norm op (each function is a positive case).

Usage: check_fuse.py NORM_OPT FILE.mlir...
Tolerance: |raised - original| <= tol * (|original| + max|original| / 4)
with tol 2e-5 (f32), 2e-3 (f16), 1.6e-2 (bf16): the raised op accumulates in
f32 and rounds once, the original as written, so they may differ by a
rounding of the output type.
"""
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "..", "scripts"))
import warnings  # noqa: E402

import numpy as np  # noqa: E402
warnings.filterwarnings("ignore", "invalid value encountered in cast")
import normcpu  # noqa: E402

TOL = {"f32": 2e-5, "f16": 2e-3, "bf16": 1.6e-2}
DYNAMIC = 37
# Lower tosa and arith on tensors to linalg first; the same for both sides.
PRE = ["--pass-pipeline=builtin.module(func.func(tosa-to-linalg-named,tosa-to-linalg,"
       "tosa-to-arith,tosa-to-tensor,math-expand-ops{ops=fpowi}),"
       "convert-elementwise-to-linalg)"]

TYPE = re.compile(r"tensor<([0-9?x]*?)x?(f32|f16|bf16)>")
FUNC = re.compile(r"^func\.func @(\w+)\((.*)\)\s*->\s*\(?(.*?)\)?\s*\{\s*$", re.M)


def parse_type(text):
    m = TYPE.fullmatch(text.strip())
    dims = [d for d in m.group(1).split("x") if d] if m.group(1) else []
    shape = [DYNAMIC if d == "?" else int(d) for d in dims]
    return text.strip(), shape, m.group(2)


def memref(tensor_type):
    return tensor_type.replace("tensor<", "memref<")


def wrapper(name, args, results):
    params, body, operands = [], [], []
    for i, (tt, _, _) in enumerate(args):
        params.append(f"%i{i}: {memref(tt)}")
        body.append(f"  %t{i} = bufferization.to_tensor %i{i} restrict : {memref(tt)} to {tt}")
        operands.append(f"%t{i}")
    for k, (tt, _, _) in enumerate(results):
        params.append(f"%o{k}: {memref(tt)}")
    res = [f"%r{k}" for k in range(len(results))]
    body.append(f"  {', '.join(res)} = func.call @{name}({', '.join(operands)}) : "
                f"({', '.join(a[0] for a in args)}) -> ({', '.join(r[0] for r in results)})")
    for k, (tt, _, _) in enumerate(results):
        body.append(f"  bufferization.materialize_in_destination %r{k} in restrict writable "
                    f"%o{k} : ({tt}, {memref(tt)}) -> ()")
    return (f"func.func @{name}__wrap({', '.join(params)}) attributes "
            f"{{llvm.emit_c_interface}} {{\n" + "\n".join(body) + "\n  return\n}\n")


def cases(path):
    text = open(path).read()
    for chunk in text.split("// -----"):
        funcs = []
        for m in FUNC.finditer(chunk):
            args = [parse_type(a.split(":", 1)[1]) for a in split_top(m.group(2))]
            results = [parse_type(r) for r in split_top(m.group(3))]
            funcs.append((m.group(1), args, results))
        if funcs:
            yield chunk, funcs


def split_top(text):
    parts, depth, cur = [], 0, ""
    for ch in text:
        depth += ch == "<"
        depth -= ch == ">"
        if ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    if cur.strip():
        parts.append(cur)
    return parts


def main():
    norm_opt, files = sys.argv[1], sys.argv[2:]
    # --before=PASSES: both sides first go through these passes (the raise
    # is then tested on IR as that upstream pass leaves it).
    before = [f.split("=", 1)[1] for f in files if f.startswith("--before=")]
    files = [f for f in files if not f.startswith("--before=")]
    workdir = normcpu.make_workdir()
    rng = np.random.default_rng(7)
    passed = failed = 0
    for file_no, path in enumerate(files):
        for index, (chunk, funcs) in enumerate(cases(path)):
            module = chunk + "\n" + "".join(wrapper(n, a, r) for n, a, r in funcs)
            if before:
                module = normcpu.run([norm_opt, *before, "-"], input=module).stdout
            tag = f"{os.path.basename(path)}#{index}"
            try:
                fused = normcpu.run([norm_opt, "--norm-fuse", "-"], input=module).stdout
                libs = {}
                for side, text in (("original", module), ("raised", fused)):
                    text = normcpu.run([norm_opt, *PRE, "-"], input=text).stdout
                    libs[side] = normcpu.Library(normcpu.compile_module(
                        norm_opt, text, workdir, name=f"c{file_no}_{index}_{side}"))
            except RuntimeError as e:
                print(f"FAILED {tag}: {e}")
                failed += 1
                continue
            for name, args, results in funcs:
                ok = "norm.rms_norm" in fused or "norm.layer_norm" in fused
                inputs = [normcpu.to_storage(rng.standard_normal(shape) * 2.0, dt)
                          for _, shape, dt in args]
                outs = {}
                for side, lib in libs.items():
                    arrays = [np.array(a) for a in inputs]
                    res = [np.full(shape, np.nan, dtype=normcpu.to_storage(
                        np.zeros(1), dt).dtype) for _, shape, dt in results]
                    lib.call(name + "__wrap", arrays + res)
                    outs[side] = [normcpu.from_storage(r, dt)
                                  for r, (_, _, dt) in zip(res, results)]
                worst = 0.0
                for a, b, (_, _, dt) in zip(outs["original"], outs["raised"], results):
                    scale = np.abs(a) + np.max(np.abs(a)) / 4 + 1e-30
                    err = np.max(np.abs(b - a) / scale)
                    worst = max(worst, err / TOL[dt])
                    ok = ok and np.all(np.isfinite(b)) and err <= TOL[dt]
                print(f"{'ok' if ok else 'FAILED'} {tag} @{name}: error {worst:.3f} of tolerance"
                      + ("" if "norm." in fused else " (nothing raised)"))
                passed += ok
                failed += not ok
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
