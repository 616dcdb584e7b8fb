#!/usr/bin/env python3
"""Host time per norm call on PyTorch's default stream (issue 18), in µs,
M = 1..16384, rms_norm bf16 N = 4096, each next to the device time of the
same calls (CUDA events over 200 back-to-back calls):

- `ctypes_min`: the C entry point through ctypes with its arguments
  converted once (what the C call itself costs, plus ctypes' own ~1 µs);
- `normgpu`: scripts/normgpu.py's Library.call (builds the argument list
  from the manifest on every call);
- `norm_op`: torch.ops.norm.rms_norm (norm_torch: the PyTorch dispatcher,
  output allocation, the Python CUDA implementation, the entry point);
- `eager`: F.rms_norm, for comparison;
- `ctypes_noop`: a ctypes call of libc's getpid: the floor of any ctypes
  call.

Usage: launch_cost.py LIBBENCH.so BENCH.json [LIBNORM_TORCH.so]"""
import ctypes
import os
import sys
import time

import torch
import torch.nn.functional as F

here = os.path.dirname(__file__)
sys.path.insert(0, os.path.join(here, "..", "..", "scripts"))
sys.path.insert(0, os.path.join(here, "..", "..", "python"))
import normgpu  # noqa: E402


def timed(fn, reps=2000):
    for _ in range(50):
        fn()
    torch.cuda.synchronize()
    t0 = time.perf_counter()
    for _ in range(reps):
        fn()
    host = (time.perf_counter() - t0) / reps * 1e6
    torch.cuda.synchronize()
    s, e = (torch.cuda.Event(enable_timing=True),
            torch.cuda.Event(enable_timing=True))
    s.record()
    for _ in range(200):
        fn()
    e.record()
    torch.cuda.synchronize()
    return host, s.elapsed_time(e) / 200 * 1e3


def main():
    lib = normgpu.Library(sys.argv[1], sys.argv[2])
    norm_op = None
    if len(sys.argv) > 3:
        import norm_torch
        norm_torch.load(sys.argv[3])
        norm_op = torch.ops.norm.rms_norm
    name = "rms_fwd_bf16_4096"
    n = lib.cases[name]["n"]
    fn = getattr(lib.lib, "norm_" + name)
    fn.restype = ctypes.c_int32
    fn.argtypes = [ctypes.c_void_p] * 4 + [ctypes.c_int64] * 2
    noop = ctypes.CDLL(None).getpid
    print(f"{'M':>6} {'impl':>12} {'host us/call':>13} {'device us/call':>15}")
    for m in (1, 8, 64, 1024, 16384):
        x = torch.randn(m, n, device="cuda", dtype=torch.bfloat16)
        g = torch.ones(n, device="cuda", dtype=torch.bfloat16)
        y = torch.empty_like(x)
        t = {"x": x, "gamma": g, "y": y}
        stream = torch.cuda.current_stream().cuda_stream
        args = (stream, x.data_ptr(), g.data_ptr(), y.data_ptr(), m, m)
        impls = {"ctypes_min": lambda: fn(*args),
                 "normgpu": lambda: lib.call(name, t),
                 "eager": lambda: F.rms_norm(x, (n,), g, 1e-6)}
        if norm_op is not None:
            impls["norm_op"] = lambda: norm_op(x, g, None, 1e-6, 0.0)
        if noop is not None and m == 1:
            impls["ctypes_noop"] = noop
        for k, f in impls.items():
            host, dev = timed(f)
            print(f"{m:>6} {k:>12} {host:>13.2f} {dev:>15.2f}", flush=True)


if __name__ == "__main__":
    main()
