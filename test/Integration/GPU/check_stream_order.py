#!/usr/bin/env python3
"""Stream semantics of the AOT entry points (issue 18), on a GPU machine:
the stream argument is the stream, 0 (PyTorch's default stream) included.
A long kernel is queued on the stream, then the write of x, then the norm
call at once: the call must read the written x (it did not, 19 of 20
times, when stream 0 meant "make a stream of your own"). Run on the
default stream and on a side stream, 20 times each; a call must also
return before the queued sleep is over (no host synchronization).

Usage: check_stream_order.py LIB.so CASES.json
"""
import os
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "..", "scripts"))
import normgpu  # noqa: E402

NAME = "rms_norm_bf16_plain"  # scripts/gen_gpu_cases.py: no gamma, N = 1024


def main():
    lib = normgpu.Library(sys.argv[1], sys.argv[2])
    case = lib.cases[NAME]
    m, n = 8192, case["n"]
    src = torch.randn(m, n, device="cuda", dtype=torch.bfloat16)
    ref = F.rms_norm(src.float(), (n,), None, case["eps"])
    failed = 0
    for label, stream in (("default stream", torch.cuda.default_stream()),
                          ("side stream", torch.cuda.Stream())):
        bad = blocked = 0
        with torch.cuda.stream(stream):
            for _ in range(20):
                x = torch.zeros(m, n, device="cuda", dtype=torch.bfloat16)
                y = torch.full_like(x, float("nan"))
                torch.cuda.synchronize()
                torch.cuda._sleep(20_000_000)  # ~10 ms of GPU time on `stream`
                x.copy_(src)                   # x is written after the sleep
                t0 = time.perf_counter()
                lib.call(NAME, {"x": x, "y": y}, stream=stream)
                blocked += time.perf_counter() - t0 > 2e-3
                torch.cuda.synchronize()
                bad += not (y.float() - ref).abs().max().item() < 0.05
        ok = bad == 0 and blocked == 0
        failed += not ok
        print(f"{'ok' if ok else 'FAILED'} {label}: {20 - bad}/20 calls read the written x, "
              f"{blocked}/20 blocked the host")
    print(f"{2 - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
