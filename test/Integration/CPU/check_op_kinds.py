#!/usr/bin/env python3
"""Every op kind that tosa-to-linalg and torch-mlir output contains, through
norm-lower-to-cpu, mlir-translate, opt, llc and the documented link line, run and
compared with numpy (issue 17): math.fpowi on vectors, math.erf / tanh /
atan / log1p / expm1 (libm), ub.poison, bufferization.clone (a returned
tensor whose init is an argument, with and without a norm op), linalg.pack /
unpack, memrefCopy (layer norm with mean, tile-rows=3), an embedding gather
(tensor.extract at linalg.index), a TOSA block (gather, matmul, erf,
softmax, tanh, clamp, sigmoid, pow, transpose) lowered by tosa-to-linalg.

Usage: check_op_kinds.py NORM_OPT
"""
import math
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "..", "scripts"))
import numpy as np  # noqa: E402
import normcpu  # noqa: E402

T = "tensor<8x37xf32>"
ID2 = "affine_map<(d0, d1) -> (d0, d1)>"


def ew(name, body, extra_args="", ins="%x", in_types=T, bb="%a: f32"):
    return f"""func.func @{name}(%x: {T}{extra_args}) -> {T} {{
  %e = tensor.empty() : {T}
  %y = linalg.generic {{indexing_maps = [{ID2}, {ID2}], iterator_types = ["parallel", "parallel"]}} ins({ins} : {in_types}) outs(%e : {T}) {{
  ^bb0({bb}, %o: f32):
{body}
  }} -> {T}
  return %y : {T}
}}
"""


erf = np.vectorize(math.erf)
CASES = [
    # (mlir, args [(shape, kind)], reference(args) -> [outputs], options)
    (ew("fpowi_const", "    %c3 = arith.constant 3 : i32\n    %p = math.fpowi %a, %c3 : f32, i32\n    linalg.yield %p : f32"),
     [((8, 37), "f")], lambda x: [x ** 3], ""),
    (ew("fpowi_runtime", "    %p = math.fpowi %a, %n : f32, i32\n    linalg.yield %p : f32", extra_args=", %n: i32"),
     None, None, ""),
    (ew("libm_ops", "    %p = math.erf %a : f32\n    %t = math.tanh %p : f32\n    %u = math.atan %t : f32\n"
        "    %v = math.log1p %u : f32\n    %w = math.expm1 %v : f32\n    linalg.yield %w : f32"),
     [((8, 37), "f")], lambda x: [np.expm1(np.log1p(np.arctan(np.tanh(erf(x)))))], ""),
    (ew("ipowi", "    %i = arith.fptosi %a : f32 to i32\n    %c3 = arith.constant 3 : i32\n"
        "    %p = math.ipowi %i, %c3 : i32\n    %f = arith.sitofp %p : i32 to f32\n    linalg.yield %f : f32"),
     [((8, 37), "f")], lambda x: [np.trunc(x).astype(np.int64).astype(np.float64) ** 3], ""),
    (f"""func.func @poison(%x: {T}) -> {T} {{
  %c0 = arith.constant 0 : index
  %p = ub.poison : f32
  %e = tensor.empty() : {T}
  %y = linalg.generic {{indexing_maps = [{ID2}, {ID2}], iterator_types = ["parallel", "parallel"]}} ins(%x : {T}) outs(%e : {T}) {{
  ^bb0(%a: f32, %o: f32):
    %t = arith.maximumf %a, %a : f32
    linalg.yield %t : f32
  }} -> {T}
  %v = vector.transfer_read %y[%c0, %c0], %p {{in_bounds = [true, false]}} : {T}, vector<8x40xf32>
  %z = vector.transfer_write %v, %e[%c0, %c0] {{in_bounds = [true, false]}} : vector<8x40xf32>, {T}
  return %z : {T}
}}
""", [((8, 37), "f")], lambda x: [x], ""),
    (f"""func.func @clone_norm(%x: {T}, %y0: {T}) -> {T} {{
  %y = norm.rms_norm ins(%x : {T}) outs(%y0 : {T}) -> {T}
  return %y : {T}
}}
""", [((8, 37), "f"), ((8, 37), "f")],
     lambda x, y0: [x / np.sqrt((x * x).mean(1, keepdims=True) + 1e-6)], ""),
    (f"""func.func @clone_exp(%x: {T}, %y0: {T}) -> {T} {{
  %y = linalg.exp ins(%x : {T}) outs(%y0 : {T}) -> {T}
  return %y : {T}
}}
""", [((8, 37), "f"), ((8, 37), "f")], lambda x, y0: [np.exp(x)], ""),
    (f"""func.func @pack_unpack(%x: {T}) -> {T} {{
  %e = tensor.empty() : tensor<2x5x4x8xf32>
  %c0 = arith.constant 0.0 : f32
  %p = linalg.pack %x padding_value(%c0 : f32) inner_dims_pos = [0, 1] inner_tiles = [4, 8] into %e : {T} -> tensor<2x5x4x8xf32>
  %s = linalg.exp ins(%p : tensor<2x5x4x8xf32>) outs(%e : tensor<2x5x4x8xf32>) -> tensor<2x5x4x8xf32>
  %e2 = tensor.empty() : {T}
  %u = linalg.unpack %s inner_dims_pos = [0, 1] inner_tiles = [4, 8] into %e2 : tensor<2x5x4x8xf32> -> {T}
  return %u : {T}
}}
""", [((8, 37), "f")], lambda x: [np.exp(x)], ""),
    (f"""func.func @ln_mean(%x: {T}) -> ({T}, tensor<8xf32>) {{
  %y0 = tensor.empty() : {T}
  %m0 = tensor.empty() : tensor<8xf32>
  %y:2 = norm.layer_norm ins(%x : {T}) outs(%y0 : {T}) mean(%m0 : tensor<8xf32>) -> {T}, tensor<8xf32>
  return %y#0, %y#1 : {T}, tensor<8xf32>
}}
""", [((8, 37), "f")],
     lambda x: [(x - x.mean(1, keepdims=True)) / np.sqrt(x.var(1, keepdims=True) + 1e-5), x.mean(1)],
     "tile-rows=3"),
    (f"""func.func @gather(%tab: tensor<50x37xf32>, %ids: tensor<8xi64>) -> {T} {{
  %e = tensor.empty() : {T}
  %y = linalg.generic {{indexing_maps = [affine_map<(d0, d1) -> (d0)>, {ID2}], iterator_types = ["parallel", "parallel"]}} ins(%ids : tensor<8xi64>) outs(%e : {T}) {{
  ^bb0(%i: i64, %o: f32):
    %k = linalg.index 1 : index
    %r = arith.index_cast %i : i64 to index
    %v = tensor.extract %tab[%r, %k] : tensor<50x37xf32>
    linalg.yield %v : f32
  }} -> {T}
  return %y : {T}
}}
""", [((50, 37), "f"), ((8,), "i64:50")], lambda tab, ids: [tab[ids]], ""),
]

TOSA = """func.func @tosa_block(%x: tensor<1x8x32xf32>, %w: tensor<1x32x32xf32>, %ids: tensor<1x8xi32>, %tab: tensor<1x50x32xf32>) -> tensor<1x8x32xf32> {
  %g = tosa.gather %tab, %ids : (tensor<1x50x32xf32>, tensor<1x8xi32>) -> tensor<1x8x32xf32>
  %h = tosa.add %g, %x : (tensor<1x8x32xf32>, tensor<1x8x32xf32>) -> tensor<1x8x32xf32>
  %azp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %m = tosa.matmul %h, %w, %azp, %azp : (tensor<1x8x32xf32>, tensor<1x32x32xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x8x32xf32>
  %e = tosa.erf %m : (tensor<1x8x32xf32>) -> tensor<1x8x32xf32>
  %mx = tosa.reduce_max %e {axis = 2 : i32} : (tensor<1x8x32xf32>) -> tensor<1x8x1xf32>
  %s = tosa.sub %e, %mx : (tensor<1x8x32xf32>, tensor<1x8x1xf32>) -> tensor<1x8x32xf32>
  %ex = tosa.exp %s : (tensor<1x8x32xf32>) -> tensor<1x8x32xf32>
  %sm = tosa.reduce_sum %ex {axis = 2 : i32} : (tensor<1x8x32xf32>) -> tensor<1x8x1xf32>
  %r = tosa.reciprocal %sm : (tensor<1x8x1xf32>) -> tensor<1x8x1xf32>
  %sh = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
  %p = tosa.mul %ex, %r, %sh : (tensor<1x8x32xf32>, tensor<1x8x1xf32>, tensor<1xi8>) -> tensor<1x8x32xf32>
  %t = tosa.tanh %p : (tensor<1x8x32xf32>) -> tensor<1x8x32xf32>
  %c = tosa.clamp %t {min_val = 0.02 : f32, max_val = 0.5 : f32} : (tensor<1x8x32xf32>) -> tensor<1x8x32xf32>
  %sg = tosa.sigmoid %c : (tensor<1x8x32xf32>) -> tensor<1x8x32xf32>
  %two = "tosa.const"() <{values = dense<2.0> : tensor<1x1x1xf32>}> : () -> tensor<1x1x1xf32>
  %pw = tosa.pow %sg, %two : (tensor<1x8x32xf32>, tensor<1x1x1xf32>) -> tensor<1x8x32xf32>
  %tr = tosa.transpose %pw {perms = array<i32: 0, 2, 1>} : (tensor<1x8x32xf32>) -> tensor<1x32x8xf32>
  %tr2 = tosa.transpose %tr {perms = array<i32: 0, 2, 1>} : (tensor<1x32x8xf32>) -> tensor<1x8x32xf32>
  return %tr2 : tensor<1x8x32xf32>
}
"""


# Strided inputs (q/k slices of a fused qkv): static strides [64, 2] and
# dynamic strides with an offset, through the documented convention.
STRIDED = """func.func @rms_strided(%x: memref<4x32xf32, strided<[64, 2]>>, %y: memref<4x32xf32>) attributes {llvm.emit_c_interface} {
  %xt = bufferization.to_tensor %x restrict : memref<4x32xf32, strided<[64, 2]>> to tensor<4x32xf32>
  %e = tensor.empty() : tensor<4x32xf32>
  %r = norm.rms_norm ins(%xt : tensor<4x32xf32>) outs(%e : tensor<4x32xf32>) -> tensor<4x32xf32>
  bufferization.materialize_in_destination %r in restrict writable %y : (tensor<4x32xf32>, memref<4x32xf32>) -> ()
  return
}
func.func @rms_dyn_strided(%x: memref<?x?xf32, strided<[?, ?], offset: ?>>, %y: memref<?x?xf32>) attributes {llvm.emit_c_interface} {
  %xt = bufferization.to_tensor %x restrict : memref<?x?xf32, strided<[?, ?], offset: ?>> to tensor<?x?xf32>
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %m = tensor.dim %xt, %c0 : tensor<?x?xf32>
  %n = tensor.dim %xt, %c1 : tensor<?x?xf32>
  %e = tensor.empty(%m, %n) : tensor<?x?xf32>
  %r = norm.rms_norm ins(%xt : tensor<?x?xf32>) outs(%e : tensor<?x?xf32>) -> tensor<?x?xf32>
  bufferization.materialize_in_destination %r in restrict writable %y : (tensor<?x?xf32>, memref<?x?xf32>) -> ()
  return
}
"""


def check_strided(norm_opt, workdir, rng):
    import ctypes
    lib = normcpu.Library(normcpu.compile_module(norm_opt, STRIDED, workdir, name="strided"))
    big = rng.standard_normal((5, 64)).astype(np.float32)
    results = []
    for name, off in (("rms_strided", 0), ("rms_dyn_strided", 3)):
        d = normcpu.Descriptor.for_rank(2)()
        d.allocated = d.aligned = big.ctypes.data
        d.offset = off
        d.sizes[0], d.sizes[1], d.strides[0], d.strides[1] = 4, 32, 64, 2
        view = np.lib.stride_tricks.as_strided(big.reshape(-1)[off:], shape=(4, 32),
                                               strides=(64 * 4, 2 * 4)).astype(np.float64)
        y = np.full((4, 32), np.nan, np.float32)
        lib.function(name)(ctypes.byref(d), ctypes.byref(normcpu.Descriptor.make(y)))
        ref = view / np.sqrt((view ** 2).mean(1, keepdims=True) + 1e-6)
        results.append((name, float(np.max(np.abs(y - ref) / (np.abs(ref) + 1e-3)))))
    return results


def tosa_ref(x, w, ids, tab):
    h = tab[0][ids[0]][None] + x
    m = h @ w
    e = erf(m)
    ex = np.exp(e - e.max(2, keepdims=True))
    p = ex / ex.sum(2, keepdims=True)
    c = np.clip(np.tanh(p), 0.02, 0.5)
    return [(1 / (1 + np.exp(-c))) ** 2]


def mtype(shape, dt):
    return "memref<" + "x".join(map(str, shape)) + ("x" if shape else "") + dt + ">"


def wrap(name, args, outs):
    params, body, operands, types = [], [], [], []
    for i, (shape, dt) in enumerate(args):
        tt = mtype(shape, dt).replace("memref<", "tensor<")
        params.append(f"%i{i}: {mtype(shape, dt)}")
        body.append(f"  %t{i} = bufferization.to_tensor %i{i} restrict : {mtype(shape, dt)} to {tt}")
        operands.append(f"%t{i}")
        types.append(tt)
    otypes = [mtype(s, "f32").replace("memref<", "tensor<") for s in outs]
    for k, s in enumerate(outs):
        params.append(f"%o{k}: {mtype(s, 'f32')}")
    res = [f"%r{k}" for k in range(len(outs))]
    body.append(f"  {', '.join(res)} = func.call @{name}({', '.join(operands)}) : ({', '.join(types)}) -> ({', '.join(otypes)})")
    for k, s in enumerate(outs):
        body.append(f"  bufferization.materialize_in_destination %r{k} in restrict writable %o{k} : ({otypes[k]}, {mtype(s, 'f32')}) -> ()")
    return (f"func.func @{name}__wrap({', '.join(params)}) attributes {{llvm.emit_c_interface}} {{\n"
            + "\n".join(body) + "\n  return\n}\n")


def main():
    norm_opt = sys.argv[1]
    workdir = normcpu.make_workdir()
    rng = np.random.default_rng(3)
    passed = failed = 0

    def check(tag, text, name, args, ref, options=""):
        nonlocal passed, failed
        arrays = []
        for shape, kind in args:
            if kind.startswith("i64:") or kind.startswith("i32:"):
                bound = int(kind.split(":")[1])
                arrays.append(rng.integers(0, bound, size=shape).astype(
                    np.int64 if kind.startswith("i64") else np.int32))
            else:
                arrays.append((rng.standard_normal(shape) * 1.5).astype(np.float32))
        expected = ref(*[a.astype(np.float64) if a.dtype == np.float32 else a for a in arrays])
        outs = [e.shape for e in expected]
        mdt = [("i64" if a.dtype == np.int64 else "i32" if a.dtype == np.int32 else "f32") for a in arrays]
        module = text + wrap(name, [(a.shape, d) for a, d in zip(arrays, mdt)], outs)
        try:
            lib = normcpu.Library(normcpu.compile_module(norm_opt, module, workdir, name=name,
                                                         options=options))
        except RuntimeError as err:
            print(f"FAILED {tag}: {err}")
            failed += 1
            return
        results = [np.full(s, np.nan, dtype=np.float32) for s in outs]
        lib.call(name + "__wrap", arrays + results)
        worst = max(float(np.max(np.abs(r - e) / (np.abs(e) + 1e-3))) for r, e in zip(results, expected))
        ok = worst <= 1e-4 and all(np.all(np.isfinite(r)) for r in results)
        print(f"{'ok' if ok else 'FAILED'} {tag}: relative error {worst:.2e}")
        passed += ok
        failed += not ok

    for text, args, ref, options in CASES:
        name = text.split("@", 1)[1].split("(", 1)[0]
        if args is None:  # fpowi with a runtime exponent: the exponent is a constant in the wrapper
            inner = text.replace(f"@{name}(%x: {T}, %n: i32)", f"@{name}_n(%x: {T}, %n: i32)")
            text = inner + f"""func.func @{name}(%x: {T}) -> {T} {{
  %n = arith.constant 3 : i32
  %y = func.call @{name}_n(%x, %n) : ({T}, i32) -> {T}
  return %y : {T}
}}
"""
            args, ref = [((8, 37), "f")], (lambda x: [x ** 3])
        check(name, text, name, args, ref, options)

    lowered = normcpu.run([norm_opt, "--pass-pipeline=builtin.module(func.func(tosa-to-linalg-named,"
                           "tosa-to-linalg,tosa-to-arith,tosa-to-tensor))", "--mlir-print-local-scope", "-"], input=TOSA).stdout
    # The functions, without the printed `module { ... }` around them.
    lowered = lowered[lowered.index("module {") + len("module {"):lowered.rindex("}")]
    check("tosa_block (tosa-to-linalg output)", lowered, "tosa_block",
          [((1, 8, 32), "f"), ((1, 32, 32), "f"), ((1, 8), "i32:50"), ((1, 50, 32), "f")],
          tosa_ref)
    for name, err in check_strided(norm_opt, workdir, rng):
        ok = err <= 1e-4
        print(f"{'ok' if ok else 'FAILED'} {name}: relative error {err:.2e}")
        passed += ok
        failed += not ok
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
