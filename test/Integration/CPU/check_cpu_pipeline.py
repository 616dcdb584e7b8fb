#!/usr/bin/env python3
"""Execution tests of norm-lower-to-cpu against a float64 numpy reference.

Every op × {f32, f16, bf16} × {static, dynamic shapes} × optional operand and
result subsets, residual, gamma_offset, the Llama rounding order, normalized
shapes of 1 and 2 dims, N = 1, N a multiple of the vector width and not,
rows of zeros, f16 inputs whose squares overflow f16, gradients with more
rows than grad-chunks; the pipeline options of OPTION_SETS (grad-chunks,
tile-rows, native-bf16, nontemporal-stores) on subsets of the cases; and the split chain
pre_all_gather on column shards → concatenated stats → post_all_gather,
which must equal the unsplit op (also for data with mean 100, std 1).

Usage: check_cpu_pipeline.py NORM_OPT [OP...]
Prints one line per failing case and `N passed, N failed`; exits 1 on a
failure.
"""

import itertools
import os
import sys
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "..", "scripts"))
import normcpu as nc  # noqa: E402
import numpy as np  # noqa: E402

# |got − ref| ≤ TOL · (|ref| + max|ref| / 4): a couple of units in the last
# place of the stored type, relative to the row's scale (dx and y are
# rounded once from f32 arithmetic). f32 results of sums (stats, dgamma)
# use the f32 entry.
TOL = {"f32": 3e-5, "f16": 2e-3, "bf16": 1.6e-2}

DTYPES = ["f32", "f16", "bf16"]
FWD = ["rms_norm", "layer_norm"]


def variants(op):
    """(name, present operands/results, attrs, extra) per op."""
    gamma_beta = ["gamma"] if op.startswith("rms") else ["gamma", "beta"]
    if op in FWD:
        rows = ["rstd"] if op == "rms_norm" else ["mean", "rstd"]
        return [
            ("plain", ["x", "y"], {}, {}),
            ("all", ["x", "gamma", "beta", "residual", "y", "residual_out"] + rows, {}, {}),
            ("gemma+llama", ["x", "gamma", "y", "rstd"],
             {"gamma_offset": "1.0 : f64", "rounding": "#norm.rounding<before_gamma>"}, {}),
            ("residual-no-out+f32-gamma", ["x", "gamma", "residual", "y"], {}, {"param": "f32"}),
        ]
    if op in nc.GRAD_OPS:
        stats_in = ["dy", "x", "rstd"] + (["mean"] if op == "layer_norm_grad" else [])
        return [
            ("dx", stats_in + ["dx"], {}, {}),
            ("all", stats_in + ["gamma", "dx", "dgamma", "dbeta"], {}, {}),
            ("dgamma", stats_in + ["dgamma"], {}, {}),
            ("dbeta+gemma", stats_in + ["gamma", "dx", "dbeta"], {"gamma_offset": "1.0 : f64"}, {}),
        ]
    if "pre_all_gather" in op:
        return [("plain", ["x", "stats"], {}, {}),
                ("residual", ["x", "residual", "stats", "residual_out"], {}, {})]
    rows = ["rstd"] if op.startswith("rms") else ["mean", "rstd"]
    return [("plain", ["x", "stats", "y"], {}, {}),
            ("all", ["x", "stats", "gamma", "beta", "y"] + rows, {}, {}),
            ("gemma+llama", ["x", "stats", "gamma", "y"],
             {"gamma_offset": "1.0 : f64", "rounding": "#norm.rounding<before_gamma>"}, {})]


def shapes(op):
    """(name, lead, norm, data) — data: how x is drawn."""
    base = [("5x37", (5,), (37,), "normal")]
    if op in FWD or op in nc.GRAD_OPS:
        base += [("3x1", (3,), (1,), "normal"), ("4x32", (4,), (32,), "normal"),
                 ("3x300", (3,), (300,), "normal"), ("2x3x4x10", (2, 3), (4, 10), "normal")]
    if op in nc.GRAD_OPS:
        # More rows than grad-chunks: chunks of 4 rows, the last ones empty.
        base.append(("200x33", (200,), (33,), "normal"))
        base.append(("0x33", (0,), (33,), "normal"))  # no rows: dgamma = 0
    if op == "rms_norm":
        base.append(("4x40-f16-overflow", (4,), (40,), "big"))
    return base


# Pipeline option sets other than the defaults, each on a subset of the
# cases: (options, ops, variant names, shape names, dtypes).
OPTION_SETS = [
    ("grad-chunks=7 tile-rows=3", list(nc.GRAD_OPS), ["all", "dgamma"],
     ["200x33", "2x3x4x10", "5x37"], DTYPES),
    ("grad-chunks=1", list(nc.GRAD_OPS), ["all", "dbeta+gemma"], ["200x33", "3x300"], DTYPES),
    # bf16 conversions left to LLVM (vcvtneps2bf16 with AVX512-BF16, a
    # library call per element elsewhere: correct either way).
    ("native-bf16=true target-cpu=native", FWD + list(nc.GRAD_OPS), ["all", "dx", "plain"],
     ["5x37", "3x300", "200x33"], ["bf16"]),
    # Streaming stores of the f32 outputs (64-byte vectors).
    ("nontemporal-stores=true target-cpu=native", FWD + list(nc.GRAD_OPS), ["all", "dx", "plain"],
     ["5x37", "3x300", "200x33"], ["f32"]),
]


def draw(rng, shape, dtype, how):
    if how == "big":  # squares overflow f16 (300² > 65504)
        a = rng.uniform(250, 400, shape) * rng.choice([-1, 1], shape)
    else:
        a = rng.normal(3.0, 2.0, shape)
    if len(shape) >= 2 and shape[0] > 2:
        a[1] = 0.0  # a row of zeros
    return nc.round_to(a, dtype)


def build_inputs(rng, op, present, dtype, param, lead, norm, how, eps):
    """float64 inputs (already rounded to their storage types)."""
    full = tuple(lead) + tuple(norm)
    nlead = len(lead)
    v = {}
    v["x"] = draw(rng, full, dtype, how)
    if "residual" in present:
        v["residual"] = nc.round_to(rng.normal(0, 1, full), dtype)
    if "gamma" in present:
        v["gamma"] = nc.round_to(rng.normal(1, 0.5, norm), param)
    if "beta" in present:
        v["beta"] = nc.round_to(rng.normal(0, 0.5, norm), param)
    if op in nc.GRAD_OPS:
        v["dy"] = nc.round_to(rng.normal(0, 1, full), dtype)
        fwd = nc.reference("layer_norm" if op == "layer_norm_grad" else "rms_norm",
                           {"x": v["x"]}, dtype, nlead, eps)
        v["rstd"] = nc.round_to(fwd["rstd"], "f32")
        if op == "layer_norm_grad":
            v["mean"] = nc.round_to(fwd["mean"], "f32")
    if "post_all_gather" in op:
        # Stats of 3 uneven column shards of a row as wide as x.
        pre = op.replace("post", "pre")
        cuts = np.array_split(np.arange(norm[-1]), 3)
        parts = [nc.reference(pre, {"x": v["x"][..., c]}, dtype, nlead, eps)["stats"]
                 for c in cuts]
        v["stats"] = nc.round_to(np.concatenate(parts, axis=-1), "f32")
    return v


def check(name, got, ref, dtype):
    tol = TOL[dtype]
    scale = np.max(np.abs(ref)) if ref.size else 0.0
    err = np.abs(got - ref)
    bad = ~(err <= tol * (np.abs(ref) + scale / 4))
    if bad.any():
        i = np.argmax(bad.ravel())
        return (f"{name}: {bad.sum()} of {bad.size} off, e.g. got {got.ravel()[i]!r} "
                f"want {ref.ravel()[i]!r}")
    return None


class Case:
    def __init__(self, fname, op, dtype, dynamic, vname, present, attrs, extra, sname, lead,
                 norm, how):
        self.fname, self.op, self.dtype, self.dynamic = fname, op, dtype, dynamic
        self.present, self.attrs, self.lead, self.norm, self.how = present, dict(attrs), lead, norm, how
        self.param = extra.get("param", dtype)
        self.label = (f"{op} {dtype} {'dynamic' if dynamic else 'static'} {vname} {sname}")
        if len(norm) > 1:
            self.attrs["axis"] = f"{-len(norm)} : i64"
        self.eps = 1e-6 if op.startswith("rms") else 1e-5
        self.offset = 1.0 if "gamma_offset" in self.attrs else 0.0
        self.llama = "rounding" in self.attrs
        self.stats_width = None
        if "stats" in present:
            k = nc.entries_per_shard(op)
            self.stats_width = k * (3 if "post" in op else 1)

    def emit(self):
        text, self.args = nc.emit_function(
            self.fname, self.op, self.present, self.dtype, self.lead, self.norm,
            dynamic=self.dynamic, param_dtype=self.param, attrs=self.attrs,
            stats_width=self.stats_width)
        return text

    def run(self, lib, rng):
        v = build_inputs(rng, self.op, self.present, self.dtype, self.param, self.lead,
                         self.norm, self.how, self.eps)
        arrays, outputs = [], []
        inputs = {s[0] for s in nc.SIGNATURES[self.op] if s[2]}
        for oname, shape, odt in self.args:
            if oname in inputs:
                arrays.append(nc.to_storage(v[oname], odt))
            else:  # poison outputs so that a skipped write is caught
                arrays.append(nc.to_storage(np.full(shape, np.nan), odt))
                outputs.append((oname, odt, arrays[-1]))
        lib.call(self.fname, arrays)
        ref = nc.reference(self.op, v, self.dtype, len(self.lead), self.eps, self.offset,
                           self.llama)
        errors = []
        for oname, odt, arr in outputs:
            e = check(oname, nc.from_storage(arr, odt), ref[oname], odt if odt != "f32" else
                      ("f32" if self.dtype == "f32" or oname in ("mean", "rstd", "stats", "dgamma", "dbeta")
                       else self.dtype))
            if e:
                errors.append(e)
        return errors


def split_chain_cases():
    """(op, dtype, mean) for the pre → gather → post chain."""
    return [(kind, dtype, 3.0) for kind in ("rms_norm", "layer_norm") for dtype in DTYPES] + \
           [("layer_norm", "f32", 100.0), ("layer_norm", "bf16", 100.0)]


def run_split_chain(lib, rng, kind, dtype, mean):
    m, n, shards = 6, 101, [40, 33, 28]  # uneven shards
    eps = 1e-6 if kind == "rms_norm" else 1e-5
    x = nc.round_to(rng.normal(mean, 1.0, (m, n)), dtype)
    x[2] = 0.0 if mean == 3.0 else mean
    gamma = nc.round_to(rng.normal(1, 0.5, n), dtype)
    k = nc.entries_per_shard(kind)
    cuts = np.cumsum([0] + shards)
    stats = []
    for p in range(3):
        xs = nc.to_storage(x[:, cuts[p]:cuts[p + 1]], dtype)
        s = np.full((m, k), np.nan, np.float32)
        lib.call(f"pre_{kind}_{dtype}", [xs, s])
        stats.append(s)
    gathered = np.ascontiguousarray(np.concatenate(stats, axis=1))
    ys = []
    for p in range(3):
        xs = nc.to_storage(x[:, cuts[p]:cuts[p + 1]], dtype)
        gs = nc.to_storage(gamma[cuts[p]:cuts[p + 1]], dtype)
        y = nc.to_storage(np.full(xs.shape, np.nan), dtype)
        lib.call(f"post_{kind}_{dtype}", [xs, gathered, gs, y])
        ys.append(nc.from_storage(y, dtype))
    got = np.concatenate(ys, axis=1)
    ref = nc.reference(kind, {"x": x, "gamma": gamma}, dtype, 1, eps)["y"]
    return check(f"split chain {kind} {dtype} mean={mean}", got, ref, dtype)


def split_chain_module():
    text = []
    for kind in ("rms_norm", "layer_norm"):
        for dtype in DTYPES:
            t, _ = nc.emit_function(f"pre_{kind}_{dtype}", f"{kind}_pre_all_gather",
                                    ["x", "stats"], dtype, (6,), (101,), dynamic=True,
                                    stats_width=nc.entries_per_shard(kind))
            text.append(t)
            t, _ = nc.emit_function(f"post_{kind}_{dtype}", f"{kind}_post_all_gather",
                                    ["x", "stats", "gamma", "y"], dtype, (6,), (101,),
                                    dynamic=True, stats_width=3 * nc.entries_per_shard(kind))
            text.append(t)
    return "".join(text)


def main():
    norm_opt = sys.argv[1]
    ops = sys.argv[2:] or list(nc.SIGNATURES)
    workdir = nc.make_workdir()
    cases = {}
    for op in ops:
        cases[op] = []
        for (vname, present, attrs, extra), (sname, lead, norm, how), dtype, dynamic in \
                itertools.product(variants(op), shapes(op), DTYPES, [False, True]):
            if how == "big" and dtype != "f16":
                continue
            fname = f"c{len(cases[op])}"
            cases[op].append(Case(fname, op, dtype, dynamic, vname, present, attrs, extra,
                                  sname, lead, norm, how))
    options = {op: "" for op in cases}
    for k, (opts, set_ops, vnames, snames, dtypes) in enumerate(OPTION_SETS):
        for op in set_ops:
            if op not in ops:
                continue
            key = f"{op}__opt{k}"
            cases[key], options[key] = [], opts
            for (vname, present, attrs, extra), (sname, lead, norm, how), dtype, dynamic in \
                    itertools.product(variants(op), shapes(op), dtypes, [False, True]):
                if vname in vnames and sname in snames:
                    c = Case(f"c{len(cases[key])}", op, dtype, dynamic, vname, present, attrs,
                             extra, sname, lead, norm, how)
                    c.label += f" [{opts}]"
                    cases[key].append(c)
    modules = {op: "".join(c.emit() for c in cs) for op, cs in cases.items()}
    modules["split_chain"] = split_chain_module()
    options["split_chain"] = ""

    def build(item):
        name, text = item
        return name, nc.compile_module(norm_opt, text, workdir, name=name,
                                       options=options[name])

    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        libs = {name: nc.Library(path) for name, path in pool.map(build, modules.items())}

    rng = np.random.default_rng(2026)
    passed = failed = 0
    for op, cs in cases.items():
        for c in cs:
            errors = c.run(libs[op], rng)
            if errors:
                failed += 1
                print(f"FAILED {c.label}: " + "; ".join(errors))
            else:
                passed += 1
    for kind, dtype, mean in split_chain_cases():
        e = run_split_chain(libs["split_chain"], rng, kind, dtype, mean)
        if e:
            failed += 1
            print(f"FAILED {e}")
        else:
            passed += 1
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
