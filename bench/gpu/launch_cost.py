#!/usr/bin/env python3
"""Host time per norm call from PyTorch's default stream (issue 18): the
AOT entry point, called the way scripts/normgpu.py does, M = 1..64, next to
the device time of the same call (CUDA events). Usage: launch_cost.py
LIBBENCH.so BENCH.json"""
import os
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "scripts"))
import normgpu  # noqa: E402


def main():
    lib = normgpu.Library(sys.argv[1], sys.argv[2])
    name = "rms_fwd_bf16_4096"
    n = lib.cases[name]["n"]
    print(f"{'M':>6} {'host us/call':>13} {'device us/call':>15}")
    for m in (1, 8, 64, 1024, 16384):
        x = torch.randn(m, n, device="cuda", dtype=torch.bfloat16)
        t = {"x": x, "gamma": torch.ones(n, device="cuda", dtype=torch.bfloat16),
             "y": torch.empty_like(x)}
        for _ in range(50):
            lib.call(name, t)
        torch.cuda.synchronize()
        reps = 2000
        t0 = time.perf_counter()
        for _ in range(reps):
            lib.call(name, t)
        host = (time.perf_counter() - t0) / reps * 1e6
        torch.cuda.synchronize()
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        for _ in range(200):
            lib.call(name, t)
        end.record()
        torch.cuda.synchronize()
        print(f"{m:>6} {host:>13.2f} {start.elapsed_time(end) / 200 * 1e3:>15.2f}")


if __name__ == "__main__":
    main()
