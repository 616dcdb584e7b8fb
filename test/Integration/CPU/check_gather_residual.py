#!/usr/bin/env python3
"""Regression test of issue 17's miscompile: an embedding gather written as a
`linalg.generic` (`linalg.index` + `tensor.extract`), a residual add and an
RMSNorm of the sum. The gather is fused into the row sum when the row loop
folds away (one row, or a row tile as large as the rows), and the row sum is
tiled as a partial reduction; the gather must then read element k, not
k mod vector-width.

Each module holds static (1 and 9 rows) and dynamic-row functions; it is
compiled as written and after norm-fuse under every combination of
vector-width, tile-rows and parallel, run, and compared with a float64 numpy
model of the same program. N = 100 leaves a remainder at every width.

Usage: check_gather_residual.py NORM_OPT
"""
import itertools
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "..", "scripts"))
import numpy as np  # noqa: E402
import normcpu  # noqa: E402

V, N = 50, 100
TOL = {"f32": 2e-6, "f16": 2e-3, "bf16": 1.6e-2}


def function(name, rows, dt):
    m = str(rows) if rows else "?"
    t2, tr = f"tensor<{m}x{N}x{dt}>", f"tensor<{m}xf32>"
    dims = "" if rows else "%r0"
    pre = "" if rows else "  %c0i = arith.constant 0 : index\n  %r0 = tensor.dim %a, %c0i : " + t2 + "\n"
    widen = dt != "f32"
    tf = f"tensor<{m}x{N}xf32>"
    body = f"""func.func @{name}(%table: tensor<{V}x{N}x{dt}>, %ids: tensor<{m}xi64>, %a: {t2}, %g: tensor<{N}x{dt}>) -> {t2} {{
{pre}  %c0 = arith.constant 0.0 : f32
  %e = tensor.empty({dims}) : {t2}
  %x = linalg.generic {{indexing_maps = [affine_map<(d0, d1) -> (d0)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]}} ins(%ids : tensor<{m}xi64>) outs(%e : {t2}) {{
  ^bb0(%idv: i64, %o: {dt}):
    %k = linalg.index 1 : index
    %id = arith.index_cast %idv : i64 to index
    %v = tensor.extract %table[%id, %k] : tensor<{V}x{N}x{dt}>
    linalg.yield %v : {dt}
  }} -> {t2}
  %h = arith.addf %x, %a : {t2}
"""
    if widen:
        body += f"  %hf = arith.extf %h : {t2} to {tf}\n"
    hf = "%hf" if widen else "%h"
    body += f"""  %ef = tensor.empty({dims}) : {tf}
  %sq = arith.mulf {hf}, {hf} : {tf}
  %er = tensor.empty({dims}) : {tr}
  %z = linalg.fill ins(%c0 : f32) outs(%er : {tr}) -> {tr}
  %s = linalg.reduce ins(%sq : {tf}) outs(%z : {tr}) dimensions = [1]
    (%p: f32, %q: f32) {{
      %0 = arith.addf %p, %q : f32
      linalg.yield %0 : f32
    }}
  %n = arith.constant {float(N):.1f} : f32
  %eps = arith.constant 1.0e-6 : f32
  %rr = linalg.generic {{indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]}} ins(%s : {tr}) outs(%er : {tr}) {{
  ^bb0(%sv: f32, %o: f32):
    %mm = arith.divf %sv, %n : f32
    %vv = arith.addf %mm, %eps : f32
    %q = math.rsqrt %vv : f32
    linalg.yield %q : f32
  }} -> {tr}
  %rb = linalg.broadcast ins(%rr : {tr}) outs(%ef : {tf}) dimensions = [1]
  %xn = arith.mulf {hf}, %rb : {tf}
"""
    if widen:
        body += f"  %xt = arith.truncf %xn : {tf} to {t2}\n"
    xt = "%xt" if widen else "%xn"
    body += f"""  %wb = linalg.broadcast ins(%g : tensor<{N}x{dt}>) outs(%e : {t2}) dimensions = [0]
  %y = arith.mulf {xt}, %wb : {t2}
  return %y : {t2}
}}
"""
    mr = lambda s: s.replace("tensor<", "memref<")
    wrap = f"""func.func @{name}__wrap(%t: {mr(f'tensor<{V}x{N}x{dt}>')}, %i: {mr(f'tensor<{m}xi64>')}, %a: {mr(t2)}, %g: {mr(f'tensor<{N}x{dt}>')}, %o: {mr(t2)}) attributes {{llvm.emit_c_interface}} {{
  %tt = bufferization.to_tensor %t restrict : {mr(f'tensor<{V}x{N}x{dt}>')} to tensor<{V}x{N}x{dt}>
  %it = bufferization.to_tensor %i restrict : {mr(f'tensor<{m}xi64>')} to tensor<{m}xi64>
  %at = bufferization.to_tensor %a restrict : {mr(t2)} to {t2}
  %gt = bufferization.to_tensor %g restrict : {mr(f'tensor<{N}x{dt}>')} to tensor<{N}x{dt}>
  %r = func.call @{name}(%tt, %it, %at, %gt) : (tensor<{V}x{N}x{dt}>, tensor<{m}xi64>, {t2}, tensor<{N}x{dt}>) -> {t2}
  bufferization.materialize_in_destination %r in restrict writable %o : ({t2}, {mr(t2)}) -> ()
  return
}}
"""
    return body + wrap


def reference(table, ids, a, g, dt):
    h = normcpu.round_to(normcpu.from_storage(table, dt)[ids] + normcpu.from_storage(a, dt), dt)
    xn = h / np.sqrt((h * h).mean(axis=1, keepdims=True) + 1e-6)
    if dt != "f32":
        xn = normcpu.round_to(xn, dt)
    return xn * normcpu.from_storage(g, dt)


def main():
    norm_opt = sys.argv[1]
    workdir = normcpu.make_workdir()
    rng = np.random.default_rng(17)
    configs = [("f32", vw, tr, par) for vw, tr, par in
               itertools.product([4, 8, 16, 32], [1, 7, 64], [True, False])]
    configs += [(dt, 16, 64, True) for dt in ("f16", "bf16")]
    passed = failed = 0
    for dt, vw, tr, par in configs:
        funcs = {"s1": 1, "s9": 9, "dyn": 0}
        module = "".join(function(f"{k}_{dt}", r, dt) for k, r in funcs.items())
        fused = normcpu.run([norm_opt, "--norm-fuse", "-"], input=module).stdout
        raised = fused.count("norm.rms_norm ins")
        residual = fused.count("residual(")
        opts = f"vector-width={vw} tile-rows={tr} parallel={'true' if par else 'false'}"
        for side, text in (("as-written", module), ("raised", fused)):
            tag = f"{dt} {opts} {side}"
            if side == "raised" and (raised != 3 or residual != 3):
                print(f"FAILED {tag}: raised {raised} norms with {residual} residuals, expected 3 and 3")
                failed += 1
                continue
            lib = normcpu.Library(normcpu.compile_module(
                norm_opt, text, workdir, name=f"g_{dt}_{vw}_{tr}_{int(par)}_{side}", options=opts))
            for key, rows in (("s1", 1), ("s9", 9), ("dyn", 1), ("dyn", 9)):
                table = normcpu.to_storage(rng.standard_normal((V, N)), dt)
                ids = rng.integers(0, V, size=rows).astype(np.int64)
                a = normcpu.to_storage(rng.standard_normal((rows, N)), dt)
                g = normcpu.to_storage(rng.standard_normal(N), dt)
                out = np.full((rows, N), np.nan, dtype=a.dtype)
                lib.call(f"{key}_{dt}__wrap", [table, ids, a, g, out])
                ref = reference(table, ids, a, g, dt)
                got = normcpu.from_storage(out, dt)
                err = np.max(np.abs(got - ref) / (np.abs(ref) + np.max(np.abs(ref)) / 4))
                ok = bool(np.all(np.isfinite(got)) and err <= TOL[dt])
                print(f"{'ok' if ok else 'FAILED'} {tag} @{key} M={rows}: error {err:.2e}")
                passed += ok
                failed += not ok
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
