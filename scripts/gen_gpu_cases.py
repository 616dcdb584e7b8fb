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
        ]
        for suffix, n, static, kw in variants:
            cases.append(Case(f"{base}_{suffix}", op, dt, n, static, **kw))
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
        cases = {"tests": test_cases, "bench": bench_cases}[kind]()
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
