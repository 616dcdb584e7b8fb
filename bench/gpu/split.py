#!/usr/bin/env python3
"""GPU benchmark of the distributed split (issue 19.3): one rank's work for
a normalized dim N cut into P = 4 shards of n = N/4 columns, on one GPU.

Usage (on the GPU machine): bench/gpu/split.py LIBBENCH.so BENCH.json OUTDIR
  [--ms 1,16384] [--dtypes bf16,f32]
Per shard: `*_pre_all_gather` (x read, stats written: M·n·s + M·K·4 bytes),
`*_post_all_gather` (x and the gathered stats read, y written, plus rstd
and mean: 2·M·n·s + M·K·P·4 + M·(1|2)·4), and both together; each beside
a copy of the same bytes measured in the same run, and beside our unsplit
forward kernel on the shard (rms_fwd/ln_fwd at N = n: what the rank would
run if it had whole rows of that length) and on the full row (N = P·n: the
local norm after all-gathering x). The collective itself is not timed (one
GPU). Timing as bench/gpu/run.py: CUDA events, L2 flushed, median.
Writes OUTDIR/gpu-split.csv and prints a table.
"""
import argparse
import csv
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(__file__))
import run as gpurun  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..",
                                "scripts"))
import normgpu  # noqa: E402

P = 4


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("lib")
    ap.add_argument("manifest")
    ap.add_argument("out")
    ap.add_argument("--ms", default="1,16384")
    ap.add_argument("--dtypes", default="bf16,f32")
    ap.add_argument("--reps", type=int, default=20)
    a = ap.parse_args()
    lib = normgpu.Library(a.lib, a.manifest)
    gpurun.FLUSH = torch.empty(512 << 20, dtype=torch.uint8, device="cuda")
    timed = lambda fn: gpurun.timed(fn, a.reps)  # noqa: E731
    rows = []
    for kind in ("rms", "layer"):
        k = 3 if kind == "layer" else 2
        fwd = "rms_fwd" if kind == "rms" else "ln_fwd"
        for dtype in a.dtypes.split(","):
            dt = normgpu.DTYPE[dtype]
            for n in (1024, 2048, 4096):
                for m in map(int, a.ms.split(",")):
                    s = torch.tensor([], dtype=dt).element_size()
                    x = torch.randn(m, n, dtype=dt, device="cuda")
                    w = torch.ones(n, dtype=dt, device="cuda")
                    stats = torch.empty(m, k, device="cuda")
                    gathered = torch.randn(m, k * P, device="cuda").abs() + 1
                    pre = {"x": x, "stats": stats}
                    post = {"x": x, "stats": gathered, "gamma": w,
                            "y": torch.empty_like(x),
                            "rstd": torch.empty(m, device="cuda")}
                    if kind == "layer":
                        post["beta"] = torch.zeros_like(w)
                        post["mean"] = torch.empty(m, device="cuda")
                    tag = f"split_{kind}_{dtype}_{n}"
                    bytes_pre = m * n * s + m * k * 4
                    bytes_post = (2 * m * n * s + m * k * P * 4
                                  + m * (2 if kind == "layer" else 1) * 4)
                    res = {}
                    for phase, args, nb in (("pre", pre, bytes_pre),
                                            ("post", post, bytes_post)):
                        name = f"{tag}_{phase}"
                        src = torch.empty(max(nb // 2, 1), dtype=torch.uint8,
                                          device="cuda")
                        dst = torch.empty_like(src)
                        res[phase] = timed(lambda: lib.call(name, args))
                        res[phase + "_copy"] = timed(lambda: dst.copy_(src))
                    both = bytes_pre + bytes_post
                    src = torch.empty(both // 2, dtype=torch.uint8,
                                      device="cuda")
                    dst = torch.empty_like(src)
                    res["both_copy"] = timed(lambda: dst.copy_(src))
                    # Our unsplit forward on the shard and on the full row.
                    for label, nn in (("fwd_shard", n), ("fwd_full", P * n)):
                        xx = torch.randn(m, nn, dtype=dt, device="cuda")
                        ww = torch.ones(nn, dtype=dt, device="cuda")
                        args = {"x": xx, "gamma": ww, "y": torch.empty_like(xx)}
                        if kind == "layer":
                            args["beta"] = torch.zeros_like(ww)
                        fname = f"{fwd}_{dtype}_{nn}"
                        res[label] = (timed(lambda: lib.call(fname, args))
                                      if fname in lib.cases else float("nan"))
                    both_us = (res["pre"] + res["post"]) * 1e3
                    row = {
                        "op": kind, "dtype": dtype, "N": P * n, "shard_n": n,
                        "M": m,
                        "pre_us": res["pre"] * 1e3,
                        "pre_pct_copy": 100 * res["pre_copy"] / res["pre"],
                        "post_us": res["post"] * 1e3,
                        "post_pct_copy": 100 * res["post_copy"] / res["post"],
                        "split_us": both_us,
                        "split_GBps": both / both_us / 1e3,
                        "split_pct_copy": 100 * res["both_copy"] * 1e3
                        / both_us,
                        "fwd_shard_us": res["fwd_shard"] * 1e3,
                        "fwd_full_us": res["fwd_full"] * 1e3,
                    }
                    rows.append(row)
                    print(" ".join(f"{key}={v:.4g}" if isinstance(v, float)
                                   else f"{key}={v}" for key, v in row.items()),
                          flush=True)
    os.makedirs(a.out, exist_ok=True)
    with open(os.path.join(a.out, "gpu-split.csv"), "w", newline="") as f:
        wr = csv.DictWriter(f, fieldnames=list(rows[0]))
        wr.writeheader()
        wr.writerows(rows)


if __name__ == "__main__":
    main()
