#!/usr/bin/env python3
"""Compiles examples/transformer_block_cpu.mlir with norm-lower-to-cpu, runs
it on the CPU, and prints its error against a float64 reference and its time.

Usage: run_transformer_block.py NORM_OPT [EXAMPLE.mlir] [--tokens M]
Exits 1 if an output is off by more than the bf16 tolerance.
"""

import argparse
import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
import normcpu as nc  # noqa: E402
import numpy as np  # noqa: E402

HIDDEN, EPS = 4096, 1e-5


def median_ms(fn, reps=5):
    fn()
    t = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        t.append(time.perf_counter() - t0)
    return 1e3 * float(np.median(t))


def max_ulp_error(got, ref, dtype):
    """max |got − ref| in units of the output type's epsilon × |ref| scale."""
    eps = {"bf16": 2.0 ** -7, "f32": 2.0 ** -23}[dtype]
    scale = np.maximum(np.abs(ref), np.max(np.abs(ref)) / 4)
    return float(np.max(np.abs(got - ref) / (eps * scale)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("norm_opt")
    ap.add_argument("example", nargs="?",
                    default=os.path.join(ROOT, "examples", "transformer_block_cpu.mlir"))
    ap.add_argument("--tokens", type=int, default=4096)
    args = ap.parse_args()

    workdir = nc.make_workdir()
    t0 = time.perf_counter()
    with open(args.example) as f:
        # The host's vector instructions, as the benchmark compiles (and as
        # clang -march=native would).
        lib = nc.Library(nc.compile_module(args.norm_opt, f.read(), workdir, "block",
                                           options="target-cpu=native"))
    print(f"compiled {os.path.basename(args.example)} with norm-opt --norm-lower-to-cpu "
          f"in {time.perf_counter() - t0:.1f} s")

    m, n = args.tokens, HIDDEN
    rng = np.random.default_rng(0)
    r = lambda *s, mu=0.0, sd=1.0: nc.round_to(rng.normal(mu, sd, s), "bf16")
    x, attn, dy = r(m, n), r(m, n, sd=0.5), r(m, n)
    w_in, w_post = r(n, mu=1.0, sd=0.1), r(n, mu=1.0, sd=0.1)
    bf = lambda a: nc.to_storage(a, "bf16")
    xs, attns, dys, w_ins, w_posts = map(bf, (x, attn, dy, w_in, w_post))
    h_in, h_post, ssum = (np.zeros((m, n), np.uint16) for _ in range(3))
    rstd = np.zeros(m, np.float32)
    dx = np.zeros((m, n), np.uint16)
    dw = np.zeros(n, np.float32)

    fwd = lambda: lib.call("block_forward", [xs, attns, w_ins, w_posts, h_in, h_post, ssum, rstd])
    fwd_ms = median_ms(fwd)
    bwd = lambda: lib.call("block_backward", [dys, ssum, rstd, w_posts, dx, dw])
    bwd_ms = median_ms(bwd)

    ref_in = nc.reference("rms_norm", {"x": x, "gamma": w_in}, "bf16", 1, EPS, llama=True)
    ref_post = nc.reference("rms_norm", {"x": attn, "residual": x, "gamma": w_post}, "bf16", 1,
                            EPS, llama=True)
    ref_bwd = nc.reference("rms_norm_grad", {"dy": dy, "x": ref_post["residual_out"],
                                             "rstd": nc.round_to(ref_post["rstd"], "f32"),
                                             "gamma": w_post}, "bf16", 1, EPS)
    checks = [
        ("h_in = rms_norm(x)·w_in", nc.from_storage(h_in, "bf16"), ref_in["y"], "bf16"),
        ("sum = x + attn", nc.from_storage(ssum, "bf16"), ref_post["residual_out"], "bf16"),
        ("h_post = rms_norm(sum)·w_post", nc.from_storage(h_post, "bf16"), ref_post["y"], "bf16"),
        ("rstd", rstd.astype(np.float64), ref_post["rstd"], "f32"),
        ("dx", nc.from_storage(dx, "bf16"), ref_bwd["dx"], "bf16"),
        ("dw_post", dw.astype(np.float64), ref_bwd["dgamma"], "f32"),
    ]
    ok = True
    print(f"tokens M = {m}, hidden N = {n}, bf16, OMP_NUM_THREADS="
          f"{os.environ.get('OMP_NUM_THREADS', 'all cores')}")
    print("output                          max error (ulp of its type, row-scaled)")
    # bf16: the kernel and the reference each round once (twice in the
    # Llama order); f32: sums over up to 4096 rows accumulated in f32.
    limits = {"bf16": 2.0, "f32": 256.0}
    for name, got, ref, dtype in checks:
        e = max_ulp_error(got, ref, dtype)
        ok &= e <= limits[dtype]
        print(f"  {name:30s} {e:8.2f}  {'ok' if e <= limits[dtype] else 'FAIL'}")
    moved_fwd = 2 * m * n * 5  # read x, attn, x; write h_in, h_post, sum (bf16)
    moved_bwd = 2 * m * n * 3  # read dy, sum; write dx
    print(f"forward  {fwd_ms:8.2f} ms  {moved_fwd / fwd_ms / 1e6:6.1f} GB/s effective")
    print(f"backward {bwd_ms:8.2f} ms  {moved_bwd / bwd_ms / 1e6:6.1f} GB/s effective")
    print("result: " + ("matches the float64 reference" if ok else "ERROR: off the reference"))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
