#!/usr/bin/env python3
"""Runs norm ops through norm-decompose + upstream CPU lowering + mlir-runner
and compares them with an independent float64 numpy reference.

Inputs are random, rounded to the op's element type in numpy first, so that
both sides see the same values. Usage:
  check_decompose.py NORM_OPT MLIR_RUNNER LIB_DIR
Prints one line per case and `N passed, N failed`; exits 1 on any failure.
"""

import itertools
import os
import re
import subprocess
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "..", "scripts"))
from normcpu import round_to  # noqa: E402

PIPELINE = [
    "--norm-decompose", "--convert-elementwise-to-linalg",
    "--one-shot-bufferize=bufferize-function-boundaries",
    "--convert-linalg-to-loops", "--expand-strided-metadata", "--lower-affine",
    "--convert-scf-to-cf", "--convert-math-to-llvm", "--arith-expand",
    "--convert-arith-to-llvm", "--finalize-memref-to-llvm",
    "--convert-func-to-llvm", "--convert-cf-to-llvm",
    "--reconcile-unrealized-casts",
]

# |ours - ref| <= atol + rtol * |ref|: a couple of units in the last place of
# the output type (f32 results are rounded from f32 accumulation).
TOL = {"f32": (2e-5, 2e-5), "f16": (2e-3, 2e-3), "bf16": (1.6e-2, 1.6e-2)}


def dense(a):
    rows = [("[" + ", ".join(f"{v:.9e}" for v in r) + "]") for r in a]
    return "dense<[" + ", ".join(rows) + "]>"


def module(op, dtype, m, n, x, r, g, b, offset, rounding):
    t = f"tensor<{m}x{n}x{dtype}>"
    lines = ["func.func private @printMemrefF32(memref<*xf32>)",
             "func.func @main() {"]

    def convert(dst, src, shape, src_type, dst_type):
        """%dst = %src converted elementwise (a plain cast when equal)."""
        if src_type == dst_type:
            op_name = "tensor.cast"
        else:
            op_name = "arith.truncf" if dst_type != "f32" else "arith.extf"
        lines.append(f"  %{dst} = {op_name} %{src} : tensor<{shape}x{src_type}>"
                     f" to tensor<{shape}x{dst_type}>")

    def const(name, a, shape):
        lines.append(f"  %{name}32 = arith.constant {dense(np.atleast_2d(a))}"
                     f" : tensor<{shape}xf32>")
        convert(name, f"{name}32", shape, "f32", dtype)

    const("x", x, f"{m}x{n}")
    ins = f"ins(%x : {t})"
    for name, keyword, vec in (("g", "gamma", g), ("b", "beta", b)):
        if vec is None:
            continue
        lines.append(f"  %{name}2 = arith.constant {dense(np.atleast_2d(vec))} : tensor<1x{n}xf32>")
        lines.append(f"  %{name} = tensor.collapse_shape %{name}2 [[0, 1]] : tensor<1x{n}xf32> into tensor<{n}xf32>")
        ins += f" {keyword}(%{name} : tensor<{n}xf32>)"
    if r is not None:
        const("r", r, f"{m}x{n}")
        ins += f" residual(%r : {t})"
    lines.append(f"  %e = tensor.empty() : {t}")
    lines.append(f"  %s = tensor.empty() : tensor<{m}xf32>")
    attrs = [f"gamma_offset = {offset:.1f} : f64"]
    if rounding:
        attrs.append("rounding = #norm.rounding<before_gamma>")
    lines.append(f"  %y, %rstd = norm.{op} {ins} outs(%e : {t}) rstd(%s : tensor<{m}xf32>)"
                 f" {{{', '.join(attrs)}}} -> {t}, tensor<{m}xf32>")
    convert("y32", "y", f"{m}x{n}", dtype, "f32")
    for v, shape in (("y32", f"{m}x{n}"), ("rstd", f"{m}")):
        lines.append(f"  %{v}u = tensor.cast %{v} : tensor<{shape}xf32> to tensor<*xf32>")
        lines.append(f"  %{v}m = bufferization.to_buffer %{v}u : tensor<*xf32> to memref<*xf32>")
        lines.append(f"  call @printMemrefF32(%{v}m) : (memref<*xf32>) -> ()")
    lines += ["  return", "}"]
    return "\n".join(lines) + "\n"


def reference(op, dtype, x, r, g, b, offset, rounding, eps):
    h = x if r is None else round_to(x + r, dtype)
    if op == "layer_norm":
        mean = h.mean(axis=1, keepdims=True)
        c = h - mean
    else:
        c = h
    rstd = 1.0 / np.sqrt((c * c).mean(axis=1, keepdims=True) + eps)
    v = c * rstd
    if rounding:
        v = round_to(v, dtype)
    if g is not None:
        v = v * (g + offset)
    if b is not None:
        v = v + b
    return round_to(v, dtype), rstd[:, 0]


def parse(out):
    blocks = re.findall(r"data =\s*(.*?)(?=Unranked|\Z)", out, flags=re.S)
    return [np.array([float(v) for v in re.findall(r"[-+]?(?:\d+\.?\d*(?:[eE][-+]?\d+)?|nan|inf)", blk)])
            for blk in blocks]


def main():
    norm_opt, runner, libdir = sys.argv[1:4]
    rng = np.random.default_rng(1234)
    passed = failed = 0
    m, n = 5, 37  # 37: not a multiple of any vector width
    cases = itertools.product(["rms_norm", "layer_norm"], ["f32", "f16", "bf16"],
                              [(False, False, False, 0.0, False),
                               (True, True, True, 0.0, False),
                               (True, False, False, 1.0, True)])
    for op, dtype, (has_g, has_b, has_r, offset, rounding) in cases:
        x = round_to(rng.normal(3.0, 2.0, (m, n)), dtype)
        x[2, :] = 0.0  # a row of zeros
        r = round_to(rng.normal(0, 1, (m, n)), dtype) if has_r else None
        g = round_to(rng.normal(1, 0.5, n), "f32") if has_g else None
        b = round_to(rng.normal(0, 0.5, n), "f32") if has_b else None
        eps = 1e-6 if op == "rms_norm" else 1e-5
        mod = module(op, dtype, m, n, x, r, g, b, offset, rounding)
        lowered = subprocess.run([norm_opt] + PIPELINE, input=mod, text=True,
                                 capture_output=True)
        name = f"{op} {dtype} gamma={has_g} beta={has_b} residual={has_r} offset={offset} llama={rounding}"
        if lowered.returncode != 0:
            print(f"FAILED {name}: lowering\n{lowered.stderr}")
            failed += 1
            continue
        run = subprocess.run([runner, "-e", "main", "-entry-point-result=void",
                              f"-shared-libs={libdir}/libmlir_runner_utils.so,{libdir}/libmlir_c_runner_utils.so"],
                             input=lowered.stdout, text=True, capture_output=True)
        got = parse(run.stdout)
        if run.returncode != 0 or len(got) != 2:
            print(f"FAILED {name}: run\n{run.stderr}")
            failed += 1
            continue
        y_ref, rstd_ref = reference(op, dtype, x, r, g, b, offset, rounding, eps)
        atol, rtol = TOL[dtype]
        # printMemrefF32 prints 6 significant digits: allow for that too.
        err_y = np.abs(got[0] - y_ref.ravel()) - (atol + rtol * np.abs(y_ref.ravel()) + 1e-6 * np.abs(y_ref.ravel()))
        err_r = np.abs(got[1] - rstd_ref) - (2e-5 * np.abs(rstd_ref) + 1e-6 * np.abs(rstd_ref))
        ok = np.all(err_y <= 0) and np.all(err_r <= 0)
        worst = float(np.max(np.abs(got[0] - y_ref.ravel())))
        print(f"{'ok' if ok else 'FAILED'} {name}: max |y - ref| = {worst:.3g}")
        passed += ok
        failed += not ok
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
