#!/usr/bin/env python3
"""Numerical edge cases of norm-lower-to-cpu against a float64 reference.

For rms_norm, layer_norm and both gradients, in f32, f16 and bf16, with
dynamic shapes (so that M = 0 is a call, not a different function):
  zero-rows      rows of zeros, default eps: y = beta (0 without beta)
  eps0-zero-row  eps = 0 on a row of zeros: rstd = +inf and y = NaN on that
                 row only (0 · inf), the documented result (docs/Hardening.md)
  n1             N = 1: rms y = sign(x)·|x|/sqrt(x²+eps)·γ, layer y = β
  big            f16 values whose squares overflow f16 (|x| up to 6e4) and
                 bf16 values up to 1e18 (Σx² near f32's top): exact results
  huge-f64       bf16 values of 1e30, beyond f32 for Σx²: right with
                 acc_type = f64; with f32 accumulation rms gives rstd = 0 and
                 y = 0, the documented result
  subnormal      rows of subnormal values of the type (f32 1e-40, f16 1e-6,
                 bf16 1e-39): scaled up exactly like normal ones
  nan-inf        a NaN in one element of one row, an Inf in one element of
                 another: those rows (and for the gradients the affected
                 dgamma/dbeta columns) are non-finite as in the reference,
                 every other row is exact
  m0             M = 0 rows: nothing written for y/dx, dgamma = dbeta = 0
  big-rstd       backward with x ~ 1e-30 (f32; f16/bf16 their smallest
                 values) and eps = 0: rstd ~ 1e30, dx as in the reference
                 (±inf where it overflows the output type, as the reference
                 rounds it)

Non-finite values must match the reference element by element (same NaN
positions, same infinities); finite ones within the tolerances of
check_cpu_pipeline.py. Usage: check_edge_cases.py NORM_OPT.
"""

import os
import sys
import warnings

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "..", "scripts"))
import normcpu as nc  # noqa: E402
import numpy as np  # noqa: E402
from check_cpu_pipeline import TOL  # noqa: E402  (the execution suite's tolerances)

warnings.simplefilter("ignore", RuntimeWarning)  # the reference makes inf/NaN on purpose

SUBNORMAL = {"f32": 1e-40, "f16": 1e-6, "bf16": 1e-39}
TINY = {"f32": 1e-30, "f16": 6e-8, "bf16": 1e-30}


def check(name, got, ref, dtype, terms=None):
    """Non-finite positions must agree exactly; finite ones within TOL of
    the row's scale: max|ref| of the row, or `terms` (per row) where the
    result is a difference of larger terms (dx = rstd·(g − ...))."""
    if got.shape != ref.shape:
        return f"{name}: shape {got.shape}, want {ref.shape}"
    nan_ref, nan_got = np.isnan(ref), np.isnan(got)
    if (nan_ref != nan_got).any():
        i = np.argmax((nan_ref != nan_got).ravel())
        return f"{name}: NaN mismatch at {np.unravel_index(i, ref.shape)}: got {got.ravel()[i]!r} want {ref.ravel()[i]!r}"
    inf_ref = np.isinf(ref)
    if (inf_ref != np.isinf(got)).any() or (got[inf_ref] != ref[inf_ref]).any():
        i = np.argmax((inf_ref != np.isinf(got)).ravel() | (inf_ref & (got != ref)).ravel())
        return f"{name}: Inf mismatch at {np.unravel_index(i, ref.shape)}: got {got.ravel()[i]!r} want {ref.ravel()[i]!r}"
    fin = np.isfinite(ref)
    if not fin.any():
        return None
    tol = TOL[dtype]
    # Scale per row where rows exist, so that one poisoned row does not set
    # another's tolerance; per tensor otherwise.
    r, g = ref.copy(), got.copy()
    r[~fin], g[~fin] = 0.0, 0.0
    if r.ndim >= 2:
        scale = np.abs(r).reshape(r.shape[0], -1).max(axis=1).reshape((-1,) + (1,) * (r.ndim - 1))
        if terms is not None:
            scale = np.maximum(scale, terms.reshape(scale.shape))
    else:
        scale = np.abs(r).max()
    bad = ~(np.abs(g - r) <= tol * (np.abs(r) + scale / 4)) & fin
    if bad.any():
        i = np.argmax(bad.ravel())
        return (f"{name}: {bad.sum()} of {bad.size} off, e.g. at {np.unravel_index(i, ref.shape)} "
                f"got {got.ravel()[i]!r} want {ref.ravel()[i]!r}")
    return None


class Kernel:
    """One dynamic-shape function computing `op` with `present`."""
    count = 0

    def __init__(self, op, dtype, present, eps, acc64=False):
        self.op, self.dtype, self.present, self.eps = op, dtype, present, eps
        # Gradients take rstd as an operand: eps only shapes their inputs.
        attrs = {} if op in nc.GRAD_OPS else {"epsilon": f"{eps:.6e} : f64"}
        if acc64:
            attrs["acc_type"] = "f64"
        self.name = f"k{Kernel.count}"
        Kernel.count += 1
        self.text, self.args = nc.emit_function(self.name, op, present, dtype, (4,), (64,),
                                                dynamic=True, attrs=attrs)


def run_case(lib, k, v, label):
    """Calls kernel `k` on the float64 inputs `v` (with the shapes they have)."""
    inputs = {s[0] for s in nc.SIGNATURES[k.op] if s[2]}
    m, n = v["x"].shape
    arrays, outputs = [], []
    for oname, _, odt in k.args:
        shape = {"gamma": (n,), "beta": (n,), "dgamma": (n,), "dbeta": (n,), "mean": (m,),
                 "rstd": (m,)}.get(oname, (m, n))
        if oname in inputs:
            arrays.append(nc.to_storage(v[oname], odt))
        else:  # poisoned: a skipped write is caught
            arrays.append(nc.to_storage(np.full(shape, np.nan), odt))
            outputs.append((oname, odt, arrays[-1]))
    lib.call(k.name, arrays)
    ref = nc.reference(k.op, v, k.dtype, 1, k.eps)
    errors = []
    for oname, odt, arr in outputs:
        tol_type = k.dtype if oname in ("y", "dx") else "f32"
        terms = None
        if oname == "dx":  # rstd · max|g| per row, the size of dx's terms
            g = np.abs(v["dy"] * v["gamma"]).max(axis=1) if m else np.zeros(0)
            terms = np.nan_to_num(v["rstd"] * g, nan=0.0, posinf=0.0)
        e = check(oname, nc.from_storage(arr, odt), ref[oname], tol_type, terms)
        if e:
            errors.append(e)
    return label, errors


def forward_inputs(rng, dtype, m, n, layer):
    v = {"x": nc.round_to(rng.normal(1.0, 2.0, (m, n)), dtype),
         "gamma": nc.round_to(rng.normal(1.0, 0.5, (n,)), dtype)}
    if layer:
        v["beta"] = nc.round_to(rng.normal(0.0, 0.5, (n,)), dtype)
    return v


def grad_inputs(rng, op, dtype, x, eps):
    m, n = x.shape
    v = {"x": x, "dy": nc.round_to(rng.normal(0.0, 1.0, (m, n)), dtype),
         "gamma": nc.round_to(rng.normal(1.0, 0.5, (n,)), dtype)}
    fwd = nc.reference("layer_norm" if op == "layer_norm_grad" else "rms_norm",
                       {"x": x}, dtype, 1, eps)
    v["rstd"] = nc.round_to(fwd["rstd"], "f32")
    if op == "layer_norm_grad":
        v["mean"] = nc.round_to(fwd["mean"], "f32")
    return v


def main():
    norm_opt = sys.argv[1]
    rng = np.random.default_rng(8)
    fwd_present = {"rms_norm": ["x", "gamma", "y", "rstd"],
                   "layer_norm": ["x", "gamma", "beta", "y", "mean", "rstd"]}
    grad_present = ["dy", "x", "mean", "rstd", "gamma", "dx", "dgamma", "dbeta"]
    kernels = {}
    for dtype in ("f32", "f16", "bf16"):
        for op in ("rms_norm", "layer_norm"):
            eps = 1e-6 if op == "rms_norm" else 1e-5
            kernels[(op, dtype, "default")] = Kernel(op, dtype, fwd_present[op], eps)
            kernels[(op, dtype, "eps0")] = Kernel(op, dtype, fwd_present[op], 0.0)
            present = [p for p in fwd_present[op] if p not in ("mean", "rstd")]
            kernels[(op, dtype, "acc64")] = Kernel(op, dtype, present, eps, acc64=True)
            kernels[(op, dtype, "acc32")] = Kernel(op, dtype, present, eps)
        for op in ("rms_norm_grad", "layer_norm_grad"):
            present = [p for p in grad_present if p != "mean" or op == "layer_norm_grad"]
            kernels[(op, dtype, "default")] = Kernel(op, dtype, present, 1e-6)
    workdir = nc.make_workdir()
    text = "".join(k.text for k in kernels.values())
    lib = nc.Library(nc.compile_module(norm_opt, text, workdir, name="edge"))

    results = []
    for dtype in ("f32", "f16", "bf16"):
        for op in ("rms_norm", "layer_norm"):
            layer = op == "layer_norm"
            k, k0 = kernels[(op, dtype, "default")], kernels[(op, dtype, "eps0")]
            v = forward_inputs(rng, dtype, 6, 64, layer)
            v["x"][2] = 0.0
            results.append(run_case(lib, k, v, f"{op} {dtype} zero-rows"))
            results.append(run_case(lib, k0, v, f"{op} {dtype} eps0-zero-row"))
            results.append(run_case(lib, k, forward_inputs(rng, dtype, 5, 1, layer),
                                    f"{op} {dtype} n1"))
            v = forward_inputs(rng, dtype, 5, 64, layer)
            if dtype == "f16":
                v["x"] = nc.round_to(rng.uniform(2e3, 6e4, (5, 64)) *
                                     rng.choice([-1, 1], (5, 64)), dtype)
            elif dtype == "bf16":
                v["x"] = nc.round_to(rng.normal(0, 1e18, (5, 64)), dtype)
            if dtype != "f32":
                results.append(run_case(lib, k, v, f"{op} {dtype} big"))
            if dtype == "bf16":
                v = forward_inputs(rng, dtype, 5, 64, layer)
                v["x"] = nc.round_to(rng.normal(0, 1e30, (5, 64)), dtype)
                results.append(run_case(lib, kernels[(op, dtype, "acc64")], v,
                                        f"{op} {dtype} huge-f64"))
                if not layer:
                    # Documented: Σx² overflows f32, rstd = 1/sqrt(inf) = 0.
                    k32 = kernels[(op, dtype, "acc32")]
                    arrays = [nc.to_storage(v["x"], dtype), nc.to_storage(v["gamma"], dtype),
                              nc.to_storage(np.full((5, 64), np.nan), dtype)]
                    lib.call(k32.name, arrays)
                    y = nc.from_storage(arrays[-1], dtype)
                    ok = (y == 0).all()
                    results.append((f"{op} {dtype} huge-f32 (documented y = 0)",
                                    [] if ok else [f"y: want all 0, got e.g. {y.ravel()[:4]}"]))
            v = forward_inputs(rng, dtype, 5, 64, layer)
            v["x"][1] = nc.round_to(rng.normal(0, SUBNORMAL[dtype], 64), dtype)
            v["x"][3] = nc.round_to(rng.uniform(0.5, 4.0, 64) * SUBNORMAL[dtype], dtype)
            assert (np.abs(v["x"][3]) > 0).all()
            results.append(run_case(lib, k, v, f"{op} {dtype} subnormal"))
            v = forward_inputs(rng, dtype, 6, 64, layer)
            v["x"][1, 7] = np.nan
            v["x"][4, 30] = np.inf
            results.append(run_case(lib, k, v, f"{op} {dtype} nan-inf"))
            results.append(run_case(lib, k, forward_inputs(rng, dtype, 0, 64, layer),
                                    f"{op} {dtype} m0"))
        for op in ("rms_norm_grad", "layer_norm_grad"):
            k = kernels[(op, dtype, "default")]
            x = nc.round_to(rng.normal(1.0, 2.0, (6, 64)), dtype)
            x[2] = 0.0
            results.append(run_case(lib, k, grad_inputs(rng, op, dtype, x, 1e-6),
                                    f"{op} {dtype} zero-rows"))
            results.append(run_case(lib, k, grad_inputs(rng, op, dtype,
                                                        nc.round_to(rng.normal(0, 1, (5, 1)), dtype),
                                                        1e-6), f"{op} {dtype} n1"))
            x = nc.round_to(rng.normal(1.0, 2.0, (5, 64)), dtype)
            x[1] = nc.round_to(rng.normal(0, SUBNORMAL[dtype], 64), dtype)
            results.append(run_case(lib, k, grad_inputs(rng, op, dtype, x, 1e-6),
                                    f"{op} {dtype} subnormal"))
            v = grad_inputs(rng, op, dtype, nc.round_to(rng.normal(1.0, 2.0, (6, 64)), dtype), 1e-6)
            v["dy"][1, 7] = np.nan
            v["x"][4, 30] = np.inf
            results.append(run_case(lib, k, v, f"{op} {dtype} nan-inf"))
            results.append(run_case(lib, k, grad_inputs(rng, op, dtype,
                                                        np.zeros((0, 64)), 1e-6), f"{op} {dtype} m0"))
            x = nc.round_to(rng.normal(0, 1, (5, 64)) * TINY[dtype], dtype)
            x[:, 0] = TINY[dtype]  # no row entirely flushed to zero
            x = nc.round_to(x, dtype)
            results.append(run_case(lib, k, grad_inputs(rng, op, dtype, x, 0.0),
                                    f"{op} {dtype} big-rstd"))

    failed = 0
    for label, errors in results:
        if errors:
            failed += 1
            print(f"FAILED {label}: " + "; ".join(errors))
    print(f"{len(results) - failed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
