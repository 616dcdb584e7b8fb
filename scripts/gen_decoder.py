#!/usr/bin/env python3
"""Writes a multi-layer Llama-style decoder (forward) as frontends emit it,
for norm-fuse: `linalg` (arith/math on tensors, linalg.reduce/broadcast/
matmul/transpose, torch-mlir style linalg.generic for the QK-norms) or
`tosa` (tosa.matmul, reduce_sum, rsqrt, implicit broadcasts, softmax from
reduce_max/exp/reciprocal). Each layer: RMSNorm -> q, k, v projections ->
per-head QK RMSNorm -> attention with softmax -> output projection ->
residual add -> RMSNorm -> SiLU MLP -> residual add; a final RMSNorm.
That is 4 norms per layer + 1, and every residual sum but the last feeds a
norm. Usage: gen_decoder.py {linalg|tosa} LAYERS [SEQ DIM HEADS]
"""
import sys


def linalg_model(layers, s, d, heads):
    hd = d // heads
    t2 = f"tensor<{s}x{d}xf32>"
    out = []
    w = out.append
    args = [f"%x: {t2}"]
    for l in range(layers):
        args += [f"%wn{l}: tensor<{d}xf32>", f"%wq{l}: tensor<{d}x{d}xf32>",
                 f"%wk{l}: tensor<{d}x{d}xf32>", f"%wv{l}: tensor<{d}x{d}xf32>",
                 f"%wo{l}: tensor<{d}x{d}xf32>", f"%wqn{l}: tensor<{hd}xf32>",
                 f"%wkn{l}: tensor<{hd}xf32>", f"%wm{l}: tensor<{d}xf32>",
                 f"%w1{l}: tensor<{d}x{d}xf32>", f"%w2{l}: tensor<{d}x{d}xf32>"]
    args.append(f"%wf: tensor<{d}xf32>")
    w(f"func.func @decoder({', '.join(args)}) -> {t2} {{")
    w("  %c0 = arith.constant 0.0 : f32")
    w(f"  %e = tensor.empty() : {t2}")
    w(f"  %er = tensor.empty() : tensor<{s}xf32>")
    w(f"  %z = linalg.fill ins(%c0 : f32) outs(%er : tensor<{s}xf32>) -> tensor<{s}xf32>")
    w(f"  %zm = linalg.fill ins(%c0 : f32) outs(%e : {t2}) -> {t2}")
    w(f"  %inv = arith.constant dense<{1.0 / d:.9e}> : tensor<{s}xf32>")
    w(f"  %eps = arith.constant dense<1.0e-6> : tensor<{s}xf32>")
    w(f"  %e3 = tensor.empty() : tensor<{s}x{heads}x{hd}xf32>")
    w(f"  %er3 = tensor.empty() : tensor<{s}x{heads}xf32>")
    w(f"  %z3 = linalg.fill ins(%c0 : f32) outs(%er3 : tensor<{s}x{heads}xf32>) -> tensor<{s}x{heads}xf32>")
    w(f"  %ess = tensor.empty() : tensor<{s}x{s}xf32>")
    w(f"  %et = tensor.empty() : tensor<{d}x{s}xf32>")
    w(f"  %zss = linalg.fill ins(%c0 : f32) outs(%ess : tensor<{s}x{s}xf32>) -> tensor<{s}x{s}xf32>")

    def rms(name, x, wt):
        w(f"  %{name}_sq = arith.mulf %{x}, %{x} : {t2}")
        w(f"  %{name}_s = linalg.reduce ins(%{name}_sq : {t2}) outs(%z : tensor<{s}xf32>) dimensions = [1]")
        w("    (%p: f32, %q: f32) {\n      %0 = arith.addf %p, %q : f32\n      linalg.yield %0 : f32\n    }")
        w(f"  %{name}_m = arith.mulf %{name}_s, %inv : tensor<{s}xf32>")
        w(f"  %{name}_v = arith.addf %{name}_m, %eps : tensor<{s}xf32>")
        w(f"  %{name}_r = math.rsqrt %{name}_v : tensor<{s}xf32>")
        w(f"  %{name}_rb = linalg.broadcast ins(%{name}_r : tensor<{s}xf32>) outs(%e : {t2}) dimensions = [1]")
        w(f"  %{name}_wb = linalg.broadcast ins(%{wt} : tensor<{d}xf32>) outs(%e : {t2}) dimensions = [0]")
        w(f"  %{name}_xn = arith.mulf %{x}, %{name}_rb : {t2}")
        w(f"  %{name} = arith.mulf %{name}_xn, %{name}_wb : {t2}")

    def qk_norm(name, x, wt):
        t3 = f"tensor<{s}x{heads}x{hd}xf32>"
        w(f"  %{name}_x = tensor.expand_shape %{x} [[0], [1, 2]] output_shape [{s}, {heads}, {hd}] : {t2} into {t3}")
        w(f"  %{name}_s = linalg.generic {{indexing_maps = [affine_map<(a, b, c) -> (a, b, c)>, affine_map<(a, b, c) -> (a, b)>], iterator_types = [\"parallel\", \"parallel\", \"reduction\"]}} ins(%{name}_x : {t3}) outs(%z3 : tensor<{s}x{heads}xf32>) {{")
        w("  ^bb0(%a: f32, %o: f32):\n    %0 = arith.mulf %a, %a : f32\n    %1 = arith.addf %o, %0 : f32\n    linalg.yield %1 : f32")
        w(f"  }} -> tensor<{s}x{heads}xf32>")
        w(f"  %{name}_y = linalg.generic {{indexing_maps = [affine_map<(a, b, c) -> (a, b, c)>, affine_map<(a, b, c) -> (a, b)>, affine_map<(a, b, c) -> (c)>, affine_map<(a, b, c) -> (a, b, c)>], iterator_types = [\"parallel\", \"parallel\", \"parallel\"]}} ins(%{name}_x, %{name}_s, %{wt} : {t3}, tensor<{s}x{heads}xf32>, tensor<{hd}xf32>) outs(%e3 : {t3}) {{")
        w(f"  ^bb0(%a: f32, %sum: f32, %g: f32, %o: f32):\n    %n = arith.constant {float(hd)} : f32\n    %ep = arith.constant 1.0e-6 : f32\n"
          "    %0 = arith.divf %sum, %n : f32\n    %1 = arith.addf %0, %ep : f32\n    %2 = math.rsqrt %1 : f32\n"
          "    %3 = arith.mulf %a, %2 : f32\n    %4 = arith.mulf %3, %g : f32\n    linalg.yield %4 : f32")
        w(f"  }} -> {t3}")
        w(f"  %{name} = tensor.collapse_shape %{name}_y [[0], [1, 2]] : {t3} into {t2}")

    def matmul(name, a, b, shape="", zero="%zm"):
        w(f"  %{name} = linalg.matmul ins(%{a}, %{b} : {shape or t2 + ', tensor<' + str(d) + 'x' + str(d) + 'xf32>'}) outs({zero} : {t2}) -> {t2}")

    h = "x"
    for l in range(layers):
        rms(f"n{l}", h, f"wn{l}")
        for p in "qkv":
            matmul(f"{p}{l}", f"n{l}", f"w{p}{l}")
        qk_norm(f"qn{l}", f"q{l}", f"wqn{l}")
        qk_norm(f"kn{l}", f"k{l}", f"wkn{l}")
        tt = f"tensor<{d}x{s}xf32>"
        w(f"  %kt{l} = linalg.transpose ins(%kn{l} : {t2}) outs(%et : {tt}) permutation = [1, 0]")
        ts = f"tensor<{s}x{s}xf32>"
        w(f"  %sc{l} = linalg.matmul ins(%qn{l}, %kt{l} : {t2}, {tt}) outs(%zss : {ts}) -> {ts}")
        w(f"  %mx{l} = linalg.reduce ins(%sc{l} : {ts}) outs(%z : tensor<{s}xf32>) dimensions = [1]")
        w("    (%p: f32, %q: f32) {\n      %0 = arith.maximumf %p, %q : f32\n      linalg.yield %0 : f32\n    }")
        w(f"  %mxb{l} = linalg.broadcast ins(%mx{l} : tensor<{s}xf32>) outs(%ess : {ts}) dimensions = [1]")
        w(f"  %sd{l} = arith.subf %sc{l}, %mxb{l} : {ts}")
        w(f"  %ex{l} = math.exp %sd{l} : {ts}")
        w(f"  %es{l} = linalg.reduce ins(%ex{l} : {ts}) outs(%z : tensor<{s}xf32>) dimensions = [1]")
        w("    (%p: f32, %q: f32) {\n      %0 = arith.addf %p, %q : f32\n      linalg.yield %0 : f32\n    }")
        w(f"  %esb{l} = linalg.broadcast ins(%es{l} : tensor<{s}xf32>) outs(%ess : {ts}) dimensions = [1]")
        w(f"  %pr{l} = arith.divf %ex{l}, %esb{l} : {ts}")
        w(f"  %at{l} = linalg.matmul ins(%pr{l}, %v{l} : {ts}, {t2}) outs(%zm : {t2}) -> {t2}")
        matmul(f"o{l}", f"at{l}", f"wo{l}")
        w(f"  %h{l} = arith.addf %{h}, %o{l} : {t2}")
        rms(f"m{l}", f"h{l}", f"wm{l}")
        matmul(f"u{l}", f"m{l}", f"w1{l}")
        w(f"  %ng{l} = arith.negf %u{l} : {t2}")
        w(f"  %eg{l} = math.exp %ng{l} : {t2}")
        w(f"  %one{l} = arith.constant dense<1.0> : {t2}")
        w(f"  %dg{l} = arith.addf %one{l}, %eg{l} : {t2}")
        w(f"  %sl{l} = arith.divf %u{l}, %dg{l} : {t2}")
        matmul(f"dn{l}", f"sl{l}", f"w2{l}")
        w(f"  %r{l} = arith.addf %h{l}, %dn{l} : {t2}")
        h = f"r{l}"
    rms("final", h, "wf")
    w(f"  return %final : {t2}")
    w("}")
    return "\n".join(out) + "\n"


def tosa_model(layers, s, d, heads):
    t3 = f"tensor<1x{s}x{d}xf32>"
    tr = f"tensor<1x{s}x1xf32>"
    tw = f"tensor<1x{d}x{d}xf32>"
    out = []
    w = out.append
    args = [f"%x: {t3}"]
    for l in range(layers):
        args += [f"%wn{l}: tensor<1x1x{d}xf32>", f"%wq{l}: {tw}", f"%wk{l}: {tw}",
                 f"%wv{l}: {tw}", f"%wo{l}: {tw}", f"%wm{l}: tensor<1x1x{d}xf32>",
                 f"%w1{l}: {tw}", f"%w2{l}: {tw}"]
    args.append(f"%wf: tensor<1x1x{d}xf32>")
    w(f"func.func @decoder({', '.join(args)}) -> {t3} {{")
    w('  %shift = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>')
    w(f'  %inv = "tosa.const"() <{{values = dense<{1.0 / d:.9e}> : tensor<1x1x1xf32>}}> : () -> tensor<1x1x1xf32>')
    w('  %eps = "tosa.const"() <{values = dense<1.0e-6> : tensor<1x1x1xf32>}> : () -> tensor<1x1x1xf32>')
    w('  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>')

    def rms(name, x, wt):
        w(f"  %{name}_sq = tosa.mul %{x}, %{x}, %shift : ({t3}, {t3}, tensor<1xi8>) -> {t3}")
        w(f"  %{name}_s = tosa.reduce_sum %{name}_sq {{axis = 2 : i32}} : ({t3}) -> {tr}")
        w(f"  %{name}_m = tosa.mul %{name}_s, %inv, %shift : ({tr}, tensor<1x1x1xf32>, tensor<1xi8>) -> {tr}")
        w(f"  %{name}_v = tosa.add %{name}_m, %eps : ({tr}, tensor<1x1x1xf32>) -> {tr}")
        w(f"  %{name}_r = tosa.rsqrt %{name}_v : ({tr}) -> {tr}")
        w(f"  %{name}_xn = tosa.mul %{x}, %{name}_r, %shift : ({t3}, {tr}, tensor<1xi8>) -> {t3}")
        w(f"  %{name} = tosa.mul %{name}_xn, %{wt}, %shift : ({t3}, tensor<1x1x{d}xf32>, tensor<1xi8>) -> {t3}")

    def matmul(name, a, b, ta=t3, tb=tw, tout=t3):
        w(f"  %{name} = tosa.matmul %{a}, %{b}, %zp, %zp : ({ta}, {tb}, tensor<1xf32>, tensor<1xf32>) -> {tout}")

    ts = f"tensor<1x{s}x{s}xf32>"
    h = "x"
    for l in range(layers):
        rms(f"n{l}", h, f"wn{l}")
        for p in "qkv":
            matmul(f"{p}{l}", f"n{l}", f"w{p}{l}")
        w(f'  %perm{l} = tosa.transpose %k{l} {{perms = array<i32: 0, 2, 1>}} : ({t3}) -> tensor<1x{d}x{s}xf32>')
        matmul(f"sc{l}", f"q{l}", f"perm{l}", t3, f"tensor<1x{d}x{s}xf32>", ts)
        w(f"  %mx{l} = tosa.reduce_max %sc{l} {{axis = 2 : i32}} : ({ts}) -> tensor<1x{s}x1xf32>")
        w(f"  %sd{l} = tosa.sub %sc{l}, %mx{l} : ({ts}, tensor<1x{s}x1xf32>) -> {ts}")
        w(f"  %ex{l} = tosa.exp %sd{l} : ({ts}) -> {ts}")
        w(f"  %es{l} = tosa.reduce_sum %ex{l} {{axis = 2 : i32}} : ({ts}) -> tensor<1x{s}x1xf32>")
        w(f"  %ri{l} = tosa.reciprocal %es{l} : (tensor<1x{s}x1xf32>) -> tensor<1x{s}x1xf32>")
        w(f"  %pr{l} = tosa.mul %ex{l}, %ri{l}, %shift : ({ts}, tensor<1x{s}x1xf32>, tensor<1xi8>) -> {ts}")
        matmul(f"at{l}", f"pr{l}", f"v{l}", ts, t3, t3)
        matmul(f"o{l}", f"at{l}", f"wo{l}")
        w(f"  %h{l} = tosa.add %{h}, %o{l} : ({t3}, {t3}) -> {t3}")
        rms(f"m{l}", f"h{l}", f"wm{l}")
        matmul(f"u{l}", f"m{l}", f"w1{l}")
        w(f"  %sg{l} = tosa.sigmoid %u{l} : ({t3}) -> {t3}")
        w(f"  %sl{l} = tosa.mul %u{l}, %sg{l}, %shift : ({t3}, {t3}, tensor<1xi8>) -> {t3}")
        matmul(f"dn{l}", f"sl{l}", f"w2{l}")
        w(f"  %r{l} = tosa.add %h{l}, %dn{l} : ({t3}, {t3}) -> {t3}")
        h = f"r{l}"
    rms("final", h, "wf")
    w(f"  return %final : {t3}")
    w("}")
    return "\n".join(out) + "\n"


def main():
    kind, layers = sys.argv[1], int(sys.argv[2])
    s, d, heads = (int(a) for a in (sys.argv[3:6] if len(sys.argv) > 5 else (16, 64, 4)))
    sys.stdout.write((linalg_model if kind == "linalg" else tosa_model)(layers, s, d, heads))


if __name__ == "__main__":
    main()
