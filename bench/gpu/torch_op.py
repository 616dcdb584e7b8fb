#!/usr/bin/env python3
"""GPU benchmark through PyTorch (issue 18): norm called the way a PyTorch
user calls it, through the norm_torch custom ops on the default stream, next
to the peers of ../shared/bench/gpu_side_by_side.py in the same run and
process (a copy of the same bytes, F.rms_norm / F.layer_norm eager,
torch.compile, the Triton tutorial layer norm, Liger-style Triton), the same
kernel called directly through its C entry point on the default stream
(`norm_raw`) and on a side stream (`norm_side`). bf16. Timing: triton's
do_bench (L2 cleared before each rep, median), so host time is included
where the GPU would wait for it (small M).

Usage: torch_op.py PEERS.py LIBBENCH.so BENCH.json OUT.csv
         [--ms 1,64,4096,16384] [--ns 1024,4096,8192,16384]
         [--compile-ms 16384]
Writes OUT.csv (gpu, op, M, N, impl, us, GBps, pct_copy, relerr) and prints
one line per case.
"""
import argparse
import csv
import importlib.util
import os
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..",
                                "python"))
import norm_torch  # noqa: E402


def custom_op(op, M, N):
    """(callable, check tensor, reference) through torch.ops.norm on the
    default stream, on fresh bf16 inputs like the peers'."""
    dt, dev = torch.bfloat16, "cuda"
    x = torch.randn(M, N, device=dev, dtype=dt)
    w = (1 + 0.1 * torch.randn(N, device=dev)).to(dt)
    b = (0.1 * torch.randn(N, device=dev)).to(dt)
    F = torch.nn.functional
    ops = torch.ops.norm
    if op == "rms_fwd":
        return (lambda: ops.rms_norm(x, w, None, 1e-6, 0.0),
                lambda: F.rms_norm(x, (N,), w, 1e-6))
    if op == "ln_fwd":
        return (lambda: ops.layer_norm(x, w, b, None, 1e-5),
                lambda: F.layer_norm(x, (N,), w, b, 1e-5))
    if op == "rms_res":
        r = torch.randn_like(x)
        return (lambda: ops.rms_norm(x, w, r, 1e-6, 0.0),
                lambda: F.rms_norm(x + r, (N,), w, 1e-6))
    dy = torch.randn_like(x)
    if op == "rms_bwd":
        _, _, rstd = ops.rms_norm(x, w, None, 1e-6, 0.0)
        xg = x.clone().requires_grad_()
        ye = F.rms_norm(xg, (N,), w, 1e-6)
        return (lambda: ops.rms_norm_backward(dy, x, rstd, w, 0.0, True, True),
                lambda: torch.autograd.grad(ye, xg, dy, retain_graph=True)[0])
    _, _, mean, rstd = ops.layer_norm(x, w, b, None, 1e-5)
    xg = x.clone().requires_grad_()
    ye = F.layer_norm(xg, (N,), w, b, 1e-5)
    return (lambda: ops.layer_norm_backward(dy, x, mean, rstd, w, True, True,
                                            True, True),
            lambda: torch.autograd.grad(ye, xg, dy, retain_graph=True)[0])


def main():
    p = argparse.ArgumentParser()
    p.add_argument("peers")
    p.add_argument("lib")
    p.add_argument("manifest")
    p.add_argument("out")
    p.add_argument("--ms", default="1,64,4096,16384")
    p.add_argument("--ns", default="1024,4096,8192,16384")
    p.add_argument("--ops", default="rms_fwd,ln_fwd,rms_res,rms_bwd,ln_bwd")
    p.add_argument("--compile-ms", default="16384",
                   help="the M at which torch.compile is measured (it "
                        "compiles once per shape)")
    a = p.parse_args()
    spec = importlib.util.spec_from_file_location("peers", a.peers)
    peers = importlib.util.module_from_spec(spec)
    sys.argv = [a.peers]
    spec.loader.exec_module(peers)
    torch._dynamo.config.cache_size_limit = 1024
    torch._dynamo.config.automatic_dynamic_shapes = False
    torch._functorch.config.donated_buffer = False
    lib = peers.NormLib(a.lib, a.manifest)
    norm_torch.kernels()
    gpu = torch.cuda.get_device_name()
    compile_ms = {int(v) for v in a.compile_ms.split(",") if v}
    side = torch.cuda.Stream()
    with open(a.out, "w", newline="") as fh:
        wr = csv.writer(fh)
        wr.writerow(["gpu", "op", "M", "N", "impl", "us", "GBps", "pct_copy",
                     "relerr"])
        for op in a.ops.split(","):
            for N in map(int, a.ns.split(",")):
                for M in map(int, a.ms.split(",")):
                    peers.NO_COMPILE = M not in compile_ms
                    nbytes, res, errs = peers.run_case(lib, op, M, N, {})
                    res["norm_raw"] = res.pop("norm")
                    errs["norm_raw"] = errs.pop("norm", float("nan"))
                    fn, ref = custom_op(op, M, N)
                    fn()
                    torch.cuda.synchronize()
                    res["norm_op"] = peers.bench(fn)
                    out = fn()[0]
                    errs["norm_op"] = peers.relerr(out, ref())
                    # The same kernel on a side stream (its best case).
                    with torch.cuda.stream(side):
                        t = {}
                        for arg in lib.cases[f"{op}_bf16_{N}"]["args"]:
                            shape = [M if s == "M" else N if s == "N" else s
                                     for s in arg["shape"]]
                            dt = {"bf16": torch.bfloat16,
                                  "f32": torch.float32}[arg["dtype"]]
                            t[arg["name"]] = (torch.randn(shape, device="cuda")
                                              .abs().add(0.5).to(dt))
                        raw = lib.fn(f"{op}_bf16_{N}", t)
                        raw()
                        torch.cuda.synchronize()
                        res["norm_side"] = peers.bench(raw)
                    line = []
                    for k, ms in res.items():
                        g = nbytes / (ms * 1e6)
                        pc = 100 * res["copy"] / ms
                        wr.writerow([gpu, op, M, N, k, f"{ms * 1e3:.2f}",
                                     f"{g:.0f}", f"{pc:.1f}",
                                     f"{errs.get(k, float('nan')):.2e}"])
                        line.append(f"{k}={ms * 1e3:.1f}us/{pc:.0f}%")
                    fh.flush()
                    print(op, M, N, " ".join(line), flush=True)


if __name__ == "__main__":
    main()
