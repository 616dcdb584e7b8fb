#!/usr/bin/env python3
"""GPU benchmark: norm's kernels vs PyTorch eager vs torch.compile vs a
device copy of the same bytes, all in one run.

Usage (on the GPU machine): bench/gpu/run.py LIBBENCH.so BENCH.json OUTDIR
  [--dtypes bf16,f16,f32] [--ms 4096,16384,32768] [--ns ...] [--ops ...]
Library and manifest come from scripts/gen_gpu_cases.py bench and
scripts/norm-aot.sh. Writes OUTDIR/gpu.csv and prints a table.

Bytes counted (PERFORMANCE.md): forward x read + y written (2·M·N·s);
residual forward x, r read + y, h written (4·M·N·s); backward x, dy read +
dx written (3·M·N·s). gamma/beta/stats/dgamma partials are left out. The
copy baseline moves exactly the counted bytes (torch copy_ of a tensor of
half that many bytes). Timing: CUDA events around each call, L2 flushed
(a 512 MiB write) before each, median of `--reps` calls after warm-up.
"""
import argparse
import csv
import os
import statistics
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..",
                                "scripts"))
import normgpu  # noqa: E402

DT = normgpu.DTYPE
FLUSH = None


def timed(fn, reps):
    times = []
    for i in range(reps + 3):
        FLUSH.zero_()
        s = torch.cuda.Event(enable_timing=True)
        e = torch.cuda.Event(enable_timing=True)
        s.record()
        fn()
        e.record()
        e.synchronize()
        if i >= 3:
            times.append(s.elapsed_time(e))
    return statistics.median(times)


def bench_one(lib, op, dtype, m, n, reps, compiled, no_peers=False,
              dynamic=False):
    dt = DT[dtype]
    dev = "cuda"
    x = torch.randn(m, n, dtype=dt, device=dev)
    w = (1 + 0.1 * torch.randn(n, device=dev)).to(dt)
    b = (0.1 * torch.randn(n, device=dev)).to(dt)
    name = f"{op}_{dtype}_{'dyn' if dynamic else n}"
    res = {}
    eps = 1e-6 if op.startswith("rms") else 1e-5
    if op in ("rms_fwd", "ln_fwd", "rms_res"):
        y = torch.empty_like(x)
        if op == "rms_fwd":
            args = {"x": x, "gamma": w, "y": y}
            eager = lambda: F.rms_norm(x, (n,), w, eps)  # noqa: E731
            fn = lambda xx, ww: F.rms_norm(xx, (n,), ww, eps)  # noqa: E731
            cargs = (x, w)
            nbytes = 2 * m * n * x.element_size()
        elif op == "ln_fwd":
            args = {"x": x, "gamma": w, "beta": b, "y": y}
            eager = lambda: F.layer_norm(x, (n,), w, b, eps)  # noqa: E731
            fn = lambda xx, ww, bb: F.layer_norm(xx, (n,), ww, bb, eps)  # noqa
            cargs = (x, w, b)
            nbytes = 2 * m * n * x.element_size()
        else:
            r = torch.randn_like(x)
            h = torch.empty_like(x)
            args = {"x": x, "gamma": w, "residual": r, "y": y,
                    "residual_out": h}

            def fn(xx, rr, ww):
                hh = xx + rr
                return F.rms_norm(hh, (n,), ww, eps), hh
            eager = lambda: fn(x, r, w)  # noqa: E731
            cargs = (x, r, w)
            nbytes = 4 * m * n * x.element_size()
        ours = lambda: lib.call(name, args)  # noqa: E731
        cfn = compiled.setdefault((op, dtype, n, m),
                                  torch.compile(fn, dynamic=False))
        comp = lambda: cfn(*cargs)  # noqa: E731
    else:
        dy = torch.randn_like(x)
        xd = x.double()
        if op == "ln_bwd":
            mean = xd.mean(-1)
            var = ((xd - mean[:, None]) ** 2).mean(-1)
        else:
            var = (xd * xd).mean(-1)
        rstd = (1 / torch.sqrt(var + eps)).float()
        dx = torch.empty_like(x)
        dw = torch.empty(n, dtype=torch.float32, device=dev)
        args = {"dy": dy, "x": x, "rstd": rstd, "gamma": w, "dx": dx,
                "dgamma": dw}
        if op == "ln_bwd":
            args["mean"] = mean.float()
            args["dbeta"] = torch.empty(n, dtype=torch.float32, device=dev)
        nbytes = 3 * m * n * x.element_size()
        ours = lambda: lib.call(name, args)  # noqa: E731
        xg = x.clone().requires_grad_(True)
        wg = w.clone().requires_grad_(True)
        bg = b.clone().requires_grad_(True)
        if op == "ln_bwd":
            fn = lambda xx, ww, bb: F.layer_norm(xx, (n,), ww, bb, eps)  # noqa
            ins = (xg, wg, bg)
        else:
            fn = lambda xx, ww: F.rms_norm(xx, (n,), ww, eps)  # noqa: E731
            ins = (xg, wg)
        if not no_peers:
            ye = fn(*ins)
            eager = lambda: torch.autograd.grad(ye, ins, dy,  # noqa: E731
                                                retain_graph=True)
            cfn = compiled.setdefault((op, dtype, n, m),
                                      torch.compile(fn, dynamic=False))
            yc = cfn(*ins)
            comp = lambda: torch.autograd.grad(yc, ins, dy,  # noqa: E731
                                               retain_graph=True)
    src = torch.empty(nbytes // 2, dtype=torch.uint8, device=dev)
    dst = torch.empty_like(src)
    res["copy"] = timed(lambda: dst.copy_(src), reps)
    res["ours"] = timed(ours, reps)
    if no_peers:
        res["eager"] = res["compile"] = float("nan")
        return nbytes, res
    res["eager"] = timed(eager, reps)
    try:
        res["compile"] = timed(comp, reps)
    except Exception as e:  # noqa: BLE001
        print(f"torch.compile failed for {name}: {e}", file=sys.stderr)
        res["compile"] = float("nan")
    return nbytes, res


def main():
    global FLUSH
    p = argparse.ArgumentParser()
    p.add_argument("lib")
    p.add_argument("manifest")
    p.add_argument("out")
    p.add_argument("--dtypes", default="bf16")
    p.add_argument("--ms", default="4096,16384,32768")
    p.add_argument("--ns", default="1024,2048,4096,5120,7168,8192,16384")
    p.add_argument("--ops", default="rms_fwd,ln_fwd,rms_res,rms_bwd,ln_bwd")
    p.add_argument("--reps", type=int, default=20)
    p.add_argument("--no-peers", action="store_true",
                   help="time only our library and the copy")
    p.add_argument("--dynamic", action="store_true",
                   help="time the dynamic-N kernels (OP_DTYPE_dyn)")
    p.add_argument("--label", default="ours",
                   help="name of our library's rows (to compare variants)")
    a = p.parse_args()
    lib = normgpu.Library(a.lib, a.manifest)
    FLUSH = torch.empty(512 << 20, dtype=torch.uint8, device="cuda")
    # torch.compile with static shapes (one graph per M, N, as a model with
    # fixed shapes gets), and backward graphs that may be replayed.
    torch._dynamo.config.cache_size_limit = 1024
    torch._dynamo.config.automatic_dynamic_shapes = False
    torch._functorch.config.donated_buffer = False
    os.makedirs(a.out, exist_ok=True)
    path = os.path.join(a.out, "gpu.csv")
    new = not os.path.exists(path)
    gpu = torch.cuda.get_device_name()
    compiled = {}
    with open(path, "a", newline="") as f:
        w = csv.writer(f)
        if new:
            w.writerow(["gpu", "op", "dtype", "M", "N", "bytes", "impl",
                        "ms", "GBps", "pct_copy"])
        print(f"{'op':8} {'dt':4} {'M':>6} {'N':>6} | {'copy':>6} "
              f"{'ours':>6} {'eager':>6} {'compile':>7} GB/s | ours %copy "
              f"| vs compile")
        for dtype in a.dtypes.split(","):
            for op in a.ops.split(","):
                for n in map(int, a.ns.split(",")):
                    for m in map(int, a.ms.split(",")):
                        nbytes, res = bench_one(lib, op, dtype, m, n, a.reps,
                                                compiled, a.no_peers,
                                                a.dynamic)
                        res.setdefault("compile", float("nan"))
                        gbps = {k: nbytes / (v * 1e6) for k, v in res.items()}
                        for k, v in res.items():
                            if a.no_peers and k in ("eager", "compile"):
                                continue
                            w.writerow([gpu, op, dtype, m, n, nbytes,
                                        a.label if k == "ours" else k,
                                        f"{v:.5f}", f"{gbps[k]:.0f}",
                                        f"{100 * gbps[k] / gbps['copy']:.1f}"])
                        f.flush()
                        print(f"{op:8} {dtype:4} {m:6} {n:6} | "
                              f"{gbps['copy']:6.0f} {gbps['ours']:6.0f} "
                              f"{gbps['eager']:6.0f} {gbps['compile']:7.0f} "
                              f"     | {100 * gbps['ours'] / gbps['copy']:5.1f}%"
                              f"    | {res['compile'] / res['ours']:.2f}x",
                              flush=True)


if __name__ == "__main__":
    main()
