#!/usr/bin/env python3
"""Batch invariance and dynamic N on the GPU (issue 19.2 and 19.4).

1. Dynamic N, every vector width: the `_dyn` kernels at N = 3000, 3004,
   3002, 3001 (16-bit: lane vectors of 8, 4, 2, 1; f32: 4, 4, 2, 1), 1, 8
   and 40 against float64 (check_gpu.py's check_case and contract); the
   widest width's static-mapping buckets (capacities 2048, 4096, 8192) at
   N = 512, 2048, 2056 (past the first), 4096, 8192 (full buckets) and
   8200 (past the last: the loop kernel).
2. Batch invariance: a row's y (and rstd, mean, residual_out) and dx are
   bitwise identical whatever M is and wherever the row sits: a batch of
   M = 2000 rows against (a) each of rows 0, 777 and 1999 alone (M = 1),
   (b) rows 101..137 passed as a view into the batch (M = 37, pointers
   offset by 101 rows: with an odd dynamic N they are not 16-byte aligned
   and the one-element-access kernel runs), (c) the batch in reverse order,
   (d) for dynamic N, the whole batch in buffers offset by one element
   (every pointer misaligned). Static N: forward and backward cases of
   several mappings (rows per block, masked lanes, a persistent backward
   grid); dynamic N at every width.
Usage: check_invariance.py LIB.so MANIFEST.json
"""
import os
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "..",
                                "scripts"))
import normgpu  # noqa: E402
from check_gpu import check_case, make_inputs  # noqa: E402
from check_gpu import outputs as gpu_outputs  # noqa: E402

DYN_NS = (3000, 3004, 3002, 3001, 1, 8, 40, 512, 2048, 2056, 4096, 8192, 8200)
STATIC = ("all", "large", "small_masked", "plain", "gemma_llama")
STATIC_GRAD = ("all", "dx_only", "offset_masked", "large", "nogamma")
ROWWISE = ("y", "rstd", "mean", "residual_out", "dx")


def is_rows(arg):
    return arg["shape"][0] == "M"


def outputs(case, m, n, misaligned=False):
    """NaN-poisoned outputs (check_gpu.py's); with `misaligned`, each in a
    buffer offset by one element."""
    if not misaligned:
        return gpu_outputs(case, m, n)
    return {k: shifted(v) for k, v in gpu_outputs(case, m, n).items()}


def shifted(t):
    """A copy of `t` whose storage starts one element past an aligned one."""
    buf = torch.empty(t.numel() + 8, dtype=t.dtype, device="cuda")
    v = buf[1:1 + t.numel()].view(t.shape)
    v.copy_(t)
    return v


def run(lib, case, t, m, n, misaligned=False):
    o = outputs(case, m, n, misaligned)
    lib.call(case["name"], {**t, **o})
    return o


def invariance(lib, case, n, gen):
    m = 2000
    t = make_inputs(case, m, n, gen)
    rows = {a["name"] for a in case["args"] if is_rows(a) and a["role"] == "in"}
    full = run(lib, case, t, m, n)
    torch.cuda.synchronize()
    keys = [k for k in full if k in ROWWISE]
    bad = []

    def compare(tag, got, idx):
        for k in keys:
            if not torch.equal(got[k], full[k][idx]):
                diff = (got[k].double() - full[k][idx].double()).abs().max()
                bad.append(f"{tag}: {k} differs (max {diff.item():.3g})")

    for r in (0, 777, m - 1):
        sub = {k: (v[r:r + 1].clone() if k in rows else v) for k, v in t.items()}
        compare(f"row {r} alone", run(lib, case, sub, 1, n), slice(r, r + 1))
    sl = slice(101, 138)
    sub = {k: (v[sl] if k in rows else v) for k, v in t.items()}
    compare("rows 101..137 as a view", run(lib, case, sub, 37, n), sl)
    rev = {k: (v.flip(0).contiguous() if k in rows else v)
           for k, v in t.items()}
    got = run(lib, case, rev, m, n)
    compare("reversed batch", {k: v.flip(0) for k, v in got.items()},
            slice(None))
    if not case["static_n"]:
        mis = {k: shifted(v) for k, v in t.items()}
        compare("every pointer misaligned", run(lib, case, mis, m, n, True),
                slice(None))
    torch.cuda.synchronize()
    return bad


def main():
    lib = normgpu.Library(sys.argv[1], sys.argv[2])
    gen = torch.Generator().manual_seed(7)
    failed = total = 0

    def report(ok, what, msg):
        nonlocal failed, total
        total += 1
        failed += not ok
        print(f"{'PASS' if ok else 'FAIL'} {what}: {msg}", flush=True)

    for op in ("rms_norm", "layer_norm", "rms_norm_grad", "layer_norm_grad"):
        for dt in ("f32", "f16", "bf16"):
            case = lib.cases[f"{op}_{dt}_dyn"]
            for n in DYN_NS:
                c = dict(case, n=n)
                try:
                    ok, msg = check_case(lib, c, 333, gen)
                except Exception as e:
                    ok, msg = False, f"exception: {e}"
                report(ok, f"{op}_{dt}_dyn N={n} M=333", msg)
                try:
                    bad = invariance(lib, case, n, gen)
                except Exception as e:
                    bad = [f"exception: {e}"]
                report(not bad, f"{op}_{dt}_dyn N={n} batch invariance",
                       "; ".join(bad) or "bitwise identical")
            for suffix in (STATIC_GRAD if op.endswith("_grad") else STATIC):
                case = lib.cases[f"{op}_{dt}_{suffix}"]
                try:
                    bad = invariance(lib, case, case["n"], gen)
                except Exception as e:
                    bad = [f"exception: {e}"]
                report(not bad, f"{case['name']} batch invariance",
                       "; ".join(bad) or "bitwise identical")
    print(f"{total - failed} of {total} dynamic-N and invariance checks passed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
