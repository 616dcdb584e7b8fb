#!/usr/bin/env python3
"""GPU numerical edge cases (the CPU ones of test/Integration/CPU/
check_edge_cases.py) on the kernels of scripts/gen_gpu_cases.py (tests):
rows of zeros; eps = 0 on a row of zeros (NaN on that row only); N = 1
(dynamic-N kernels); f16/bf16 values whose squares overflow the type;
subnormal rows; NaN and Inf in one element of a row (only those rows, and
the gradients' affected dgamma/dbeta columns, are non-finite, as in the
reference); M = 0; backward with rstd ~ 1e30 (f32; the smallest f16/bf16
values otherwise). Non-finite positions must match the float64 reference
rounded to the output type element by element; finite values within the
CPU check's tolerances of the row's scale.
Usage: check_gpu_edge.py LIB.so MANIFEST.json
"""
import os
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "..",
                                "scripts"))
import normgpu  # noqa: E402

TOL = {torch.float32: 3e-5, torch.float16: 2e-3, torch.bfloat16: 1.6e-2}
SUBNORMAL = {"f32": 1e-40, "f16": 1e-6, "bf16": 1e-39}
TINY = {"f32": 1e-30, "f16": 6e-8, "bf16": 1e-30}
BIG = {"f32": None, "f16": 3e4, "bf16": 1e18}


def check(name, got, ref, dtype, terms=None):
    r = ref.to(dtype).double() if dtype != torch.float32 else ref.float().double()
    g = got.double()
    if torch.isnan(r).ne(torch.isnan(g)).any():
        i = torch.isnan(r).ne(torch.isnan(g)).nonzero()[0].tolist()
        return f"{name}: NaN mismatch at {i}: got {g[tuple(i)].item()} want {r[tuple(i)].item()}"
    inf = torch.isinf(r)
    if inf.ne(torch.isinf(g)).any() or (g[inf] != r[inf]).any():
        return f"{name}: Inf mismatch"
    fin = torch.isfinite(r)
    if not fin.any():
        return None
    r0, g0 = torch.where(fin, r, 0.0), torch.where(fin, g, 0.0)
    if r0.dim() == 2:
        scale = r0.abs().amax(dim=1, keepdim=True)
        if terms is not None:
            scale = torch.maximum(scale, terms.reshape(-1, 1))
    else:
        scale = r0.abs().max()
    bad = ((g0 - r0).abs() > TOL[dtype] * (r0.abs() + scale / 4)) & fin
    if bad.any():
        i = bad.nonzero()[0].tolist()
        return (f"{name}: {int(bad.sum())} of {bad.numel()} off, e.g. at {i} "
                f"got {g[tuple(i)].item()} want {r[tuple(i)].item()}")
    return None


def run(lib, case, t, m, n):
    """Runs `case` on inputs `t` (M = m, N = n); returns its errors."""
    o = {}
    for a in case["args"]:
        if a["role"] == "out":
            o[a["name"]] = torch.full(normgpu.shape_of(a, m, n), float("nan"),
                                      dtype=normgpu.DTYPE[a["dtype"]], device="cuda")
    lib.call(case["name"], {**t, **o})
    torch.cuda.synchronize()
    if m == 0:
        bad = [k for k in ("dgamma", "dbeta") if k in o and (o[k] != 0).any()]
        return [f"{k}: not 0 with M = 0" for k in bad]
    ref = normgpu.reference(case, {k: v for k, v in t.items()})
    errors = []
    for k, v in o.items():
        if k == "residual_out":
            continue
        terms = None
        if k == "dx":
            gm = (t["dy"].double() * ((t["gamma"].double() if "gamma" in t else 1.0) + case["offset"])).abs()
            terms = torch.nan_to_num(t["rstd"].double() * gm.amax(dim=1), nan=0.0, posinf=0.0)
        r = ref[k]
        if k == "mean":
            # Documented (docs/Hardening.md): the GPU merges partial means
            # (Welford), so a row holding ±Inf gets mean NaN (inf − inf)
            # where the reference has ±Inf; y and rstd are as the reference.
            r = torch.where(torch.isinf(r), float("nan"), r)
        e = check(k, v, r, v.dtype if k in ("y", "dx") else torch.float32, terms)
        if e:
            errors.append(e)
    return errors


def inputs(case, m, n, gen, x=None, eps=None):
    dt = normgpu.DTYPE[case["dtype"]]
    t = {}
    for a in case["args"]:
        if a["role"] != "in" or a["name"] in ("rstd", "mean"):
            continue
        v = torch.randn(normgpu.shape_of(a, m, n), generator=gen, dtype=torch.float64)
        if a["name"] == "gamma":
            v = 1.0 + 0.5 * v
        if a["name"] == "residual":
            v = torch.zeros_like(v)
        t[a["name"]] = v
    if x is not None:
        t["x"] = x
    t = {k: v.to(dt) for k, v in t.items()}
    if case["op"].endswith("_grad"):
        xd = t["x"].double()
        e = case["eps"] if eps is None else eps
        if case["op"].startswith("layer"):
            mean = xd.mean(-1)
            var = ((xd - mean[:, None]) ** 2).mean(-1)
            t["mean"] = mean.float()
        else:
            var = (xd * xd).mean(-1)
        t["rstd"] = (1 / torch.sqrt(var + e)).float()
    return {k: v.cuda() for k, v in t.items()}


def main():
    lib = normgpu.Library(sys.argv[1], sys.argv[2])
    gen = torch.Generator().manual_seed(1)
    results = []
    for dt in ("f32", "f16", "bf16"):
        for op in ("rms_norm", "layer_norm"):
            c = lib.cases[f"{op}_{dt}_small_masked"]
            n = c["n"]
            x = torch.randn(6, n, generator=gen, dtype=torch.float64)
            x[2] = 0.0
            results.append((f"{op} {dt} zero-rows", run(lib, c, inputs(c, 6, n, gen, x), 6, n)))
            c0 = lib.cases[f"{op}_{dt}_eps0"]
            x = torch.randn(6, 300, generator=gen, dtype=torch.float64)
            x[2] = 0.0
            results.append((f"{op} {dt} eps0-zero-row", run(lib, c0, inputs(c0, 6, 300, gen, x), 6, 300)))
            cd = lib.cases[f"{op}_{dt}_dyn"]
            results.append((f"{op} {dt} n1", run(lib, cd, inputs(cd, 7, 1, gen), 7, 1)))
            if BIG[dt]:
                x = torch.rand(5, n, generator=gen, dtype=torch.float64) * BIG[dt] + BIG[dt] / 10
                x = x * torch.where(torch.rand(5, n, generator=gen) < 0.5, -1.0, 1.0).double()
                results.append((f"{op} {dt} big", run(lib, c, inputs(c, 5, n, gen, x), 5, n)))
            x = torch.randn(5, n, generator=gen, dtype=torch.float64)
            x[1] = torch.randn(n, generator=gen, dtype=torch.float64) * SUBNORMAL[dt]
            results.append((f"{op} {dt} subnormal", run(lib, c, inputs(c, 5, n, gen, x), 5, n)))
            x = torch.randn(6, n, generator=gen, dtype=torch.float64)
            x[1, 7] = float("nan")
            x[4, 30] = float("inf")
            results.append((f"{op} {dt} nan-inf", run(lib, c, inputs(c, 6, n, gen, x), 6, n)))
            results.append((f"{op} {dt} m0", run(lib, c, inputs(c, 0, n, gen), 0, n)))
        for op in ("rms_norm_grad", "layer_norm_grad"):
            c = lib.cases[f"{op}_{dt}_offset_masked"]
            n = c["n"]
            x = torch.randn(6, n, generator=gen, dtype=torch.float64)
            x[2] = 0.0
            results.append((f"{op} {dt} zero-rows", run(lib, c, inputs(c, 6, n, gen, x), 6, n)))
            cd = lib.cases[f"{op}_{dt}_dyn"]
            results.append((f"{op} {dt} n1", run(lib, cd, inputs(cd, 7, 1, gen), 7, 1)))
            x = torch.randn(5, n, generator=gen, dtype=torch.float64)
            x[1] = torch.randn(n, generator=gen, dtype=torch.float64) * SUBNORMAL[dt]
            results.append((f"{op} {dt} subnormal", run(lib, c, inputs(c, 5, n, gen, x), 5, n)))
            t = inputs(c, 6, n, gen)
            t["dy"][1, 7] = float("nan")
            t["x"][4, 30] = float("inf")
            results.append((f"{op} {dt} nan-inf", run(lib, c, t, 6, n)))
            results.append((f"{op} {dt} m0", run(lib, c, inputs(c, 0, n, gen), 0, n)))
            x = torch.randn(5, n, generator=gen, dtype=torch.float64) * TINY[dt]
            x[:, 0] = TINY[dt]
            results.append((f"{op} {dt} big-rstd", run(lib, c, inputs(c, 5, n, gen, x, eps=0.0), 5, n)))
    failed = 0
    for label, errors in results:
        failed += bool(errors)
        print(f"{'FAIL' if errors else 'PASS'} {label}" + (": " + "; ".join(errors) if errors else ""))
    print(f"{len(results) - failed} of {len(results)} GPU edge cases passed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
