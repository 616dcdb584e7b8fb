#!/usr/bin/env python3
"""GPU execution check of every case of scripts/gen_gpu_cases.py (tests).

Usage: check_gpu.py LIB.so MANIFEST.json
For each case: random inputs on the GPU (fresh per case, one row of mean
100 / std 1 data in layer-norm cases, M not a multiple of any block's rows),
outputs poisoned with NaN, our kernels run through the AOT entry points on
PyTorch's current stream; each output is compared with a float64 reference,
side by side with PyTorch's own result in the same dtype on the same inputs.
Pass: for y/dx, every element's error is within PyTorch's worst error plus
one unit in the last place of the output type at that element (docs/Norm.md's
contract; two with M = 1, where both worst errors are samples of one row); statistics and f32 sums within 1e-5 relative (2e-5 of the
largest |value| plus that for column sums); residual_out exact; no NaN, every
element written; dgamma/dbeta bitwise identical over two runs. Also M = 0
and M = 1. Prints one line per case and exits non-zero if any fails.
"""
import os
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "..",
                                "scripts"))
import normgpu  # noqa: E402

ULP = {torch.float32: 2.0**-23, torch.float16: 2.0**-10,
       torch.bfloat16: 2.0**-7}


def ulp(ref, dtype):
    """One unit in the last place of `dtype` at |ref| (float64)."""
    mag = ref.abs().clamp_min(torch.finfo(dtype).tiny)
    return torch.exp2(torch.floor(torch.log2(mag))) * ULP[dtype]


def make_inputs(case, m, n, gen):
    t = {}
    for a in case["args"]:
        if a["role"] != "in":
            continue
        shape = normgpu.shape_of(a, m, n)
        dt = normgpu.DTYPE[a["dtype"]]
        v = torch.randn(shape, generator=gen, dtype=torch.float64)
        if a["name"] in ("gamma",):
            v = 1.0 + 0.5 * v
        if a["name"] == "x" and case["op"].startswith("layer") and m > 2:
            v[1] = 100.0 + v[1]  # a row with mean 100, std 1
        t[a["name"]] = v.to(dt).cuda()
    # Statistics inputs of gradients: float64 from x, stored as f32.
    if case["op"].endswith("_grad"):
        x = t["x"].double()
        layer = case["op"].startswith("layer")
        if layer:
            mean = x.mean(-1)
            var = ((x - mean[:, None]) ** 2).mean(-1)
            t["mean"] = mean.float()
        else:
            var = (x * x).mean(-1)
        t["rstd"] = (1 / torch.sqrt(var + case["eps"])).float()
    return t


def outputs(case, m, n):
    o = {}
    for a in case["args"]:
        if a["role"] == "out":
            o[a["name"]] = torch.full(normgpu.shape_of(a, m, n), float("nan"),
                                      dtype=normgpu.DTYPE[a["dtype"]],
                                      device="cuda")
    return o


def check_case(lib, case, m, gen):
    n = case["n"]
    t = make_inputs(case, m, n, gen)
    o = outputs(case, m, n)
    lib.call(case["name"], {**t, **o})
    torch.cuda.synchronize()
    if m == 0:
        return True, "M=0: no launch, no error"
    ref = normgpu.reference(case, t)
    theirs = normgpu.torch_side(case, t)
    notes, ok = [], True
    for name, got in o.items():
        r = ref[name]
        if torch.isnan(got).any():
            return False, f"{name}: NaN (unwritten or wrong)"
        g = got.double()
        if name == "residual_out":
            if not torch.equal(g, r):
                return False, "residual_out differs from (x + r) rounded"
            continue
        if name in ("y", "dx"):
            err = (g - r).abs()
            t_err = (theirs[name].double() - r).abs().max().item()
            # One ulp over PyTorch's worst error; with a single row the
            # worst error of either is a sample of one row, so a second ulp
            # is allowed there (M = 1 checks indexing, M = 333 accuracy).
            slack = ulp(r, got.dtype) * (2 if m < 16 else 1)
            excess = (err - slack).max().item()
            passed = excess <= t_err + 1e-12
            notes.append(f"{name} err {err.max().item():.3g} torch "
                         f"{t_err:.3g}")
        else:
            scale = r.abs().max().item() + 1e-30
            err = (g - r).abs().max().item()
            tol = 1e-5 * scale if name in ("mean", "rstd") else 2e-5 * scale
            if name == "mean":
                # Relative to the data, not to a mean that may be near 0.
                scale = max(scale, t["x"].double().abs().max().item())
                tol = 1e-6 * scale
            passed = err <= tol
            if name in theirs:
                t_err = (theirs[name].double() - r).abs().max().item()
                notes.append(f"{name} err {err / scale:.2g} torch "
                             f"{t_err / scale:.2g} (rel)")
            else:
                notes.append(f"{name} err {err / scale:.2g} (rel)")
        if not passed:
            ok = False
            notes.append(f"FAIL {name}")
    # Determinism of the column sums: a second run, bitwise.
    sums = [k for k in o if k in ("dgamma", "dbeta")]
    if sums:
        first = {k: o[k].clone() for k in sums}
        for k in sums:
            o[k].fill_(float("nan"))
        lib.call(case["name"], {**t, **o})
        torch.cuda.synchronize()
        for k in sums:
            if not torch.equal(first[k], o[k]):
                ok = False
                notes.append(f"FAIL {k} not bitwise reproducible")
    return ok, "; ".join(notes)


def main():
    lib = normgpu.Library(sys.argv[1], sys.argv[2])
    only = sys.argv[3] if len(sys.argv) > 3 else None
    gen = torch.Generator().manual_seed(0)
    failed = total = 0
    for name, case in lib.cases.items():
        if only and only not in name:
            continue
        if case["op"].endswith("_all_gather"):
            continue  # check_split.py: shards only mean something together
        for m in ((333, 1, 0) if name.endswith(("_all", "_dyn")) else
                  (333,)):
            total += 1
            try:
                ok, msg = check_case(lib, case, m, gen)
            except Exception as e:  # report and go on
                ok, msg = False, f"exception: {e}"
            failed += not ok
            print(f"{'PASS' if ok else 'FAIL'} {name} M={m}: {msg}",
                  flush=True)
    print(f"{total - failed} of {total} GPU checks passed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
