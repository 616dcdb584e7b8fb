#!/usr/bin/env python3
"""Numerics on offset data (issue 23, items 19-20): layer_norm in f32 on rows
x = offset + scale * N(0, 1) (100 + N(0,1), 3 + N(0,1), 1e4 + 1e-2 N(0,1)),
N = 1025, 4097, 16385, static and dynamic, under vector-width 1, 4, 16 and
32. The error of the mean (in ulp of the offset) and of y (in ulp of the
row's largest |y|), against float64, must be at most that of a float32
pairwise-summation reference (numpy's, the same class of algorithm as
PyTorch's cascade sum) plus 1 ulp.

Usage: check_offset_numerics.py NORM_OPT
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "..", "scripts"))
import numpy as np  # noqa: E402
import normcpu  # noqa: E402

ROWS = 6
EPS = 1e-5


def main():
    norm_opt = sys.argv[1]
    workdir = normcpu.make_workdir()
    rng = np.random.default_rng(19)
    passed = failed = 0
    for width in (1, 4, 16, 32):
        text, funcs = "", []
        for n in (1025, 4097, 16385):
            for dynamic in (False, True):
                name = f"ln_{n}_{'d' if dynamic else 's'}"
                t, _ = normcpu.emit_function(name, "layer_norm", {"x", "y", "mean"}, "f32",
                                             (ROWS,), (n,), dynamic=dynamic)
                text += t
                funcs.append((name, n))
        text = text.replace(") {\n", ") attributes {llvm.emit_c_interface} {\n")
        lib = normcpu.Library(normcpu.compile_module(norm_opt, text, workdir, name=f"off_{width}",
                                                     options=f"vector-width={width}"))
        for name, n in funcs:
            for offset, scale in ((100.0, 1.0), (3.0, 1.0), (1e4, 1e-2)):
                x = (offset + scale * rng.standard_normal((ROWS, n))).astype(np.float32)
                y = np.full((ROWS, n), np.nan, np.float32)
                mean = np.full((ROWS,), np.nan, np.float32)
                lib.call(name, [x, y, mean])
                x64 = x.astype(np.float64)
                m64 = x64.mean(1)
                y64 = (x64 - m64[:, None]) / np.sqrt(x64.var(1)[:, None] + EPS)
                # float32 pairwise reference (numpy sums float32 pairwise).
                m32 = x.mean(1, dtype=np.float32)
                v32 = ((x - m32[:, None]) ** 2).mean(1, dtype=np.float32)
                y32 = (x - m32[:, None]) / np.sqrt(v32[:, None] + np.float32(EPS))
                ulp_m = float(np.spacing(np.float32(offset)))
                ulp_y = np.spacing(np.abs(y64).max(1).astype(np.float32)).astype(np.float64)[:, None]
                em = float(np.max(np.abs(mean - m64))) / ulp_m
                em_ref = float(np.max(np.abs(m32 - m64))) / ulp_m
                ey = float(np.max(np.abs(y - y64) / ulp_y))
                ey_ref = float(np.max(np.abs(y32 - y64) / ulp_y))
                ok = em <= em_ref + 1 and ey <= ey_ref + 1
                print(f"{'ok' if ok else 'FAILED'} vector-width={width} {name} x={offset:g}+{scale:g}N(0,1): "
                      f"mean {em:.2f} ulp (f32 pairwise {em_ref:.2f}), y {ey:.1f} ulp (f32 pairwise {ey_ref:.1f})")
                passed += ok
                failed += not ok
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
