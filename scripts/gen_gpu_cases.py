#!/usr/bin/env python3
"""Writes MLIR functions on tensors for norm ops and a JSON manifest of them.

Each function is one norm op with a chosen set of optional operands and
results; the manifest says, per function, its arguments in order (role,
element type, shape in terms of M and N) so that a harness can call the
C entry point `norm_<name>(stream, ptr..., dynamic sizes...)` that
norm-lower-to-nvvm adds (norm-gpu-entry-points).

Usage: gen_gpu_cases.py {tests|bench|torch} OUT.mlir OUT.json
"""
import itertools
import json
import sys

MLIR_TYPE = {"f32": "f32", "f16": "f16", "bf16": "bf16"}


def tensor(shape, dtype):
    return "tensor<" + "x".join(str(s) for s in shape) + "x" + dtype + ">"


class Case:
    def __init__(self, name, op, dtype, n, static_n=True, gamma=True,
                 beta=False, residual=False, residual_out=False, stats=False,
                 offset=0.0, rounding="once", dx=True, dgamma=True,
                 dbeta=False, eps=None, runtime_eps=None):
        self.__dict__.update(locals())
        del self.__dict__["self"]

    def shape(self, kind):
        n = self.n if self.static_n else "?"
        return {"row": ["?", n], "col": [n], "stat": ["?"]}[kind]

    def emit(self):
        dt = MLIR_TYPE[self.dtype]
        row = self.shape("row")
        col = self.shape("col")
        stat = self.shape("stat")
        args, kinds = [], []  # (ssa, type, manifest entry)

        def add(name, shape, etype, role, kind):
            # Symbolic shape: rows are [M, N], columns [N], statistics [M].
            sym = {"row": ["M", "N"], "col": ["N"], "stat": ["M"]}[kind]
            args.append((name, tensor(shape, etype)))
            kinds.append({"name": name, "role": role, "dtype": etype,
                          "shape": [d if s == "?" else s
                                    for s, d in zip(shape, sym)]})

        op = self.op
        grad = op.endswith("_grad")
        layer = op.startswith("layer")
        if not grad:
            add("x", row, dt, "in", "row")
            if self.gamma:
                add("gamma", col, dt, "in", "col")
            if self.beta:
                add("beta", col, dt, "in", "col")
            if self.residual:
                add("residual", row, dt, "in", "row")
            add("y", row, dt, "out", "row")
            if self.stats and layer:
                add("mean", stat, "f32", "out", "stat")
            if self.stats:
                add("rstd", stat, "f32", "out", "stat")
            if self.residual_out:
                add("residual_out", row, dt, "out", "row")
        else:
            add("dy", row, dt, "in", "row")
            add("x", row, dt, "in", "row")
            if layer:
                add("mean", stat, "f32", "in", "stat")
            add("rstd", stat, "f32", "in", "stat")
            if self.gamma:
                add("gamma", col, dt, "in", "col")
            if self.dx:
                add("dx", row, dt, "out", "row")
            if self.dgamma:
                add("dgamma", col, "f32", "out", "col")
            if self.dbeta:
                add("dbeta", col, "f32", "out", "col")
        sig = ", ".join(f"%{a}: {t}" for a, t in args)
        # A runtime eps: an f32 scalar argument (after the pointers and the
        # dynamic sizes in the entry point; the manifest gives its value).
        if self.runtime_eps is not None:
            sig += ", %eps: f32"
        outs = [(a, t) for (a, t), k in zip(args, kinds) if k["role"] == "out"]
        ins = [(a, t) for (a, t), k in zip(args, kinds) if k["role"] == "in"]
        ty = {a: t for a, t in args}
        attrs = []
        if self.eps is not None:
            attrs.append(f"epsilon = {self.eps:e} : f64")
        if self.offset:
            attrs.append(f"gamma_offset = {self.offset:e} : f64")
        if self.rounding != "once":
            attrs.append("rounding = #norm.rounding<before_gamma>")
        attr = (" {" + ", ".join(attrs) + "}") if attrs else ""
        res = ", ".join(t for _, t in outs)
        lines = [f"func.func @{self.name}({sig}) -> ({res}) {{"]
        rnames = ", ".join(f"%r{i}" for i in range(len(outs)))
        if not grad:
            body = f"norm.{op} ins(%x : {ty['x']})"
            for g in ("gamma", "beta", "residual"):
                if g in ty:
                    body += f" {g}(%{g} : {ty[g]})"
            if self.runtime_eps is not None:
                body += " eps(%eps : f32)"
            body += f" outs(%y : {ty['y']})"
            for g in ("mean", "rstd", "residual_out"):
                if g in ty:
                    body += f" {g}(%{g} : {ty[g]})"
        else:
            st = "%mean : " + ty["mean"] + ", " if layer else ""
            body = (f"norm.{op} ins(%dy : {ty['dy']}, %x : {ty['x']}, {st}"
                    f"%rstd : {ty['rstd']})")
            if "gamma" in ty:
                body += f" gamma(%gamma : {ty['gamma']})"
            body += " outs"
            for g in ("dx", "dgamma", "dbeta"):
                if g in ty:
                    body += f" {g}(%{g} : {ty[g]})"
        lines.append(f"  {rnames} = {body}{attr} -> {res}")
        lines.append(f"  return {rnames} : {res}")
        lines.append("}")
        entry = {"name": self.name, "op": op, "dtype": self.dtype, "n": self.n,
                 "static_n": self.static_n, "args": kinds,
                 "eps": self.runtime_eps if self.runtime_eps is not None else
                 self.eps if self.eps is not None else
                 (1e-5 if layer else 1e-6),
                 "scalars": ([{"name": "eps", "dtype": "f32",
                               "value": self.runtime_eps}]
                             if self.runtime_eps is not None else []),
                 "offset": self.offset, "rounding": self.rounding}
        return "\n".join(lines), entry


def test_cases():
    cases = []
    for op, dt in itertools.product(("rms_norm", "layer_norm"),
                                    ("f32", "f16", "bf16")):
        base = f"{op}_{dt}"
        # (suffix, N, static, options)
        variants = [
            ("plain", 1024, True, dict(gamma=False)),
            ("all", 4096, True, dict(gamma=True, beta=True, residual=True,
                                     residual_out=True, stats=True)),
            ("gemma_llama", 5120, True, dict(offset=1.0, rounding="before_gamma",
                                            stats=True)),
            ("small_masked", 200, True, dict(beta=True, stats=True)),
            ("large", 16384, True, dict(residual=True, stats=True)),
            ("dyn", 3000, False, dict(beta=True, residual=True,
                                      residual_out=True, stats=True)),
            # eps = 0 (check_gpu_edge.py: a row of zeros gives NaN).
            ("eps0", 3000, False, dict(beta=True, stats=True, eps=0.0)),
            # A runtime eps (a kernel argument), large enough to matter.
            ("runtime_eps", 2048, False, dict(beta=True, stats=True,
                                              runtime_eps=0.125)),
            # A static N past the unrolling limit (issue 23.12): the loop
            # kernel in 16-byte vectors, with a partial last round.
            ("huge_loop", 262152, True, dict(beta=True, residual=True,
                                             stats=True)),
        ]
        for suffix, n, static, kw in variants:
            cases.append(Case(f"{base}_{suffix}", op, dt, n, static, **kw))
    for op, dt in itertools.product(("rms_norm_grad", "layer_norm_grad"),
                                    ("f32", "f16", "bf16")):
        base = f"{op}_{dt}"
        variants = [
            ("all", 4096, True, dict(dbeta=True)),
            ("nogamma", 1024, True, dict(gamma=False, dbeta=True)),
            ("dx_only", 5120, True, dict(dgamma=False)),
            ("dgamma_only", 2048, True, dict(dx=False, dbeta=True)),
            ("offset_masked", 200, True, dict(offset=1.0, dbeta=True)),
            ("large", 16384, True, dict(dbeta=True)),
            ("dyn", 3000, False, dict(dbeta=True)),
            ("huge_loop", 262152, True, dict(dbeta=True)),
            # The column-sum kernel's 8-column tiles with a partial last
            # tile (1020 = 127.5 tiles).
            ("column_tail", 1020, True, dict(dbeta=True)),
        ]
        for suffix, n, static, kw in variants:
            cases.append(Case(f"{base}_{suffix}", op, dt, n, static, **kw))
    return cases


# The distributed split (issue 19.3): a shard of SPLIT_P shards of the
# normalized dim. The pre op's stats of every shard, concatenated (what the
# all-gather gives), feed the post op of each shard.
SPLIT_P = 4


class SplitCase:
    """norm.{rms,layer}_norm_{pre,post}_all_gather on one shard [M, n]."""

    def __init__(self, name, kind, phase, dtype, n, static_n=True,
                 residual=False):
        self.__dict__.update(locals())
        del self.__dict__["self"]

    def emit(self):
        dt = MLIR_TYPE[self.dtype]
        layer = self.kind == "layer"
        k = 3 if layer else 2
        n = self.n if self.static_n else "?"
        args, kinds = [], []

        def add(name, shape, sym, etype, role):
            args.append((name, tensor(shape, etype)))
            kinds.append({"name": name, "role": role, "dtype": etype,
                          "shape": [d if s == "?" else s
                                    for s, d in zip(shape, sym)]})

        layout = "count_sum_m2" if layer else "count_sumsq"
        op = f"norm.{self.kind}_norm_{self.phase}_all_gather"
        add("x", ["?", n], ["M", "N"], dt, "in")
        if self.phase == "pre":
            if self.residual:
                add("residual", ["?", n], ["M", "N"], dt, "in")
            add("stats", ["?", k], ["M", k], "f32", "out")
            if self.residual:
                add("residual_out", ["?", n], ["M", "N"], dt, "out")
        else:
            add("stats", ["?", k * SPLIT_P], ["M", k * SPLIT_P], "f32", "in")
            add("gamma", [n], ["N"], dt, "in")
            if layer:
                add("beta", [n], ["N"], dt, "in")
            add("y", ["?", n], ["M", "N"], dt, "out")
            if layer:
                add("mean", ["?"], ["M"], "f32", "out")
            add("rstd", ["?"], ["M"], "f32", "out")
        ty = dict(args)
        outs = [(a, t) for (a, t), kd in zip(args, kinds) if kd["role"] == "out"]
        res = ", ".join(t for _, t in outs)
        sig = ", ".join(f"%{a}: {t}" for a, t in args)
        body = f"{op} ins(%x : {ty['x']})"
        if self.phase == "pre":
            if self.residual:
                body += f" residual(%residual : {ty['residual']})"
            body += f" outs(%stats : {ty['stats']})"
            if self.residual:
                body += f" residual_out(%residual_out : {ty['residual_out']})"
            attr = f"{{stats_layout = #norm.stats<{layout}>}}"
        else:
            body += f" stats(%stats : {ty['stats']}) gamma(%gamma : {ty['gamma']})"
            if layer:
                body += f" beta(%beta : {ty['beta']})"
            body += f" outs(%y : {ty['y']})"
            if layer:
                body += f" mean(%mean : {ty['mean']})"
            body += f" rstd(%rstd : {ty['rstd']})"
            attr = (f"{{epsilon = 1.000000e-05 : f64, "
                    f"stats_layout = #norm.stats<{layout}>}}")
        rnames = ", ".join(f"%r{i}" for i in range(len(outs)))
        text = "\n".join([
            f"func.func @{self.name}({sig}) -> ({res}) {{",
            f"  {rnames} = {body} {attr} -> {res}",
            f"  return {rnames} : {res}", "}"])
        entry = {"name": self.name, "op": f"{self.kind}_norm_{self.phase}"
                 "_all_gather", "dtype": self.dtype, "n": self.n,
                 "static_n": self.static_n, "args": kinds, "eps": 1e-5,
                 "scalars": [], "offset": 0.0, "rounding": "once",
                 "shards": SPLIT_P, "residual": self.residual}
        return text, entry


def split_cases():
    """Per dtype, rms and layer: pre (static shard n = 1024 with a residual;
    dynamic n without) and post, and the unsplit op on the full row (N =
    SPLIT_P·n, gamma, beta for layer, statistics) to compare with."""
    cases = []
    for kind, dt in itertools.product(("rms", "layer"), ("f32", "f16", "bf16")):
        for static in (True, False):
            tag = f"split_{kind}_{dt}_{'static' if static else 'dyn'}"
            n = 1024 if static else 750
            cases.append(SplitCase(f"{tag}_pre", kind, "pre", dt, n, static,
                                   residual=static))
            cases.append(SplitCase(f"{tag}_post", kind, "post", dt, n, static))
            cases.append(Case(f"{tag}_full", f"{kind}_norm", dt, SPLIT_P * n,
                              static, beta=kind == "layer", stats=True,
                              eps=1e-5))
    return cases


BENCH_N = (1024, 2048, 4096, 5120, 7168, 8192, 16384)


def bench_cases():
    cases = []
    for dt, n in itertools.product(("bf16", "f16", "f32"), BENCH_N):
        cases.append(Case(f"rms_fwd_{dt}_{n}", "rms_norm", dt, n))
        cases.append(Case(f"ln_fwd_{dt}_{n}", "layer_norm", dt, n, beta=True))
        cases.append(Case(f"rms_res_{dt}_{n}", "rms_norm", dt, n,
                          residual=True, residual_out=True))
        cases.append(Case(f"rms_bwd_{dt}_{n}", "rms_norm_grad", dt, n))
        cases.append(Case(f"ln_bwd_{dt}_{n}", "layer_norm_grad", dt, n,
                          dbeta=True))
    # The split (bench/gpu/split.py): one shard of N = SPLIT_P·n.
    for kind, dt, n in itertools.product(("rms", "layer"), ("bf16", "f32"),
                                         (1024, 2048, 4096)):
        for phase in ("pre", "post"):
            cases.append(SplitCase(f"split_{kind}_{dt}_{n}_{phase}", kind,
                                   phase, dt, n))
    # Dynamic N (bench/gpu/run.py --dynamic), beside the static kernels.
    for dt in ("bf16", "f16", "f32"):
        cases.append(Case(f"rms_fwd_{dt}_dyn", "rms_norm", dt, 0, False))
        cases.append(Case(f"ln_fwd_{dt}_dyn", "layer_norm", dt, 0, False,
                          beta=True))
        cases.append(Case(f"rms_res_{dt}_dyn", "rms_norm", dt, 0, False,
                          residual=True, residual_out=True))
        cases.append(Case(f"rms_bwd_{dt}_dyn", "rms_norm_grad", dt, 0, False))
        cases.append(Case(f"ln_bwd_{dt}_dyn", "layer_norm_grad", dt, 0, False,
                          dbeta=True))
    return cases


# The hidden sizes python/norm_torch gets kernels for (static N); any other N
# uses the dynamic-N kernels. NORM_TORCH_NS overrides (comma-separated).
TORCH_N = (768, 1024, 2048, 3072, 4096, 5120, 7168, 8192, 16384)


def torch_cases(ns=None):
    """The functions behind python/norm_torch's custom ops, per dtype and N
    (None: dynamic N). Forward ops take a runtime eps and always write the
    statistics (the backward reads them); the backward variants compute only
    the gradients asked for. Names: <variant>_<dtype>_<N|dyn>."""
    cases = []
    for dt in ("f32", "f16", "bf16"):
        for n in tuple(ns or TORCH_N) + (None,):
            static = n is not None
            size = n if static else 0
            tag = f"{dt}_{n if static else 'dyn'}"
            for res in (False, True):
                r = "_res" if res else ""
                for off in (0.0, 1.0):
                    o = "_off1" if off else ""
                    cases.append(Case(f"rms{r}{o}_{tag}", "rms_norm", dt, size,
                                      static, residual=res,
                                      residual_out=res, stats=True,
                                      offset=off, runtime_eps=1e-6))
                for beta in (False, True):
                    b = "_bias" if beta else ""
                    cases.append(Case(f"ln{r}{b}_{tag}", "layer_norm", dt, size,
                                      static, beta=beta, residual=res,
                                      residual_out=res, stats=True,
                                      runtime_eps=1e-5))
            for off in (0.0, 1.0):
                o = "_off1" if off else ""
                for want, dx, dg in (("dx_dw", True, True), ("dx", True, False),
                                     ("dw", False, True)):
                    cases.append(Case(f"rms_bwd{o}_{want}_{tag}", "rms_norm_grad",
                                      dt, size, static, offset=off, dx=dx,
                                      dgamma=dg))
            for want, dx, dg, db in (("dx_dw_db", True, True, True),
                                     ("dx_dw", True, True, False),
                                     ("dx", True, False, False),
                                     ("dw_db", False, True, True),
                                     ("dw", False, True, False)):
                cases.append(Case(f"ln_bwd_{want}_{tag}", "layer_norm_grad", dt,
                                  size, static, dx=dx, dgamma=dg, dbeta=db))
    return cases


def main():
    kind, out_mlir, out_json = sys.argv[1:4]
    if kind == "torch":
        import os
        ns = os.environ.get("NORM_TORCH_NS")
        cases = torch_cases([int(v) for v in ns.split(",")] if ns else None)
    else:
        cases = {"tests": lambda: test_cases() + split_cases(),
                 "bench": bench_cases}[kind]()
    texts, manifest = [], []
    for c in cases:
        t, e = c.emit()
        texts.append(t)
        manifest.append(e)
    with open(out_mlir, "w") as f:
        f.write("// Generated by scripts/gen_gpu_cases.py " + kind + "\n")
        f.write("\n\n".join(texts) + "\n")
    with open(out_json, "w") as f:
        json.dump(manifest, f, indent=1)


if __name__ == "__main__":
    main()
