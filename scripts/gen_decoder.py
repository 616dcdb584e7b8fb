#!/usr/bin/env python3
"""Writes a multi-layer Llama-style decoder (forward) as frontends emit it,
for norm-fuse: `linalg` (arith/math on tensors, linalg.reduce/broadcast/
matmul/transpose, torch-mlir style linalg.generic for the QK-norms) or
`tosa` (tosa.matmul, reduce_sum, rsqrt, implicit broadcasts, softmax from
reduce_max/exp/reciprocal). Each layer: RMSNorm -> q, k, v projections ->
per-head QK RMSNorm -> attention with softmax -> output projection ->
residual add -> RMSNorm -> SiLU MLP -> residual add; a final RMSNorm.
`torch`: torch-mlir's linalg style (see torch_model), with an embedding
lookup as the first input and a GELU MLP.
That is 4 norms per layer + 1, and every residual sum but the last feeds a
norm. Usage: gen_decoder.py {linalg|tosa|torch} LAYERS [SEQ DIM HEADS]
[--bf16] [--recip] [--eps-arg] (the last three: torch variants).
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


def torch_model(layers, s, d, heads, vocab=50, dt="f32", recip=False,
                eps_arg=False):
    """torch-mlir's linalg output style: every elementwise op a
    linalg.generic, keep-dim reductions into tensor<1xSx1xf32> through an
    output map with a constant 0, residual adds as generics, an embedding
    gather (linalg.index + tensor.extract) as the first norm's input, eps an
    f64 constant truncated to f32, the mean as sum / N, per-head QK-norm on
    1xSxHxhd, softmax, and a GELU (erf) MLP.
    Variants (issue 16): `dt="bf16"` stores everything in bf16 and each norm
    widens x to f32, computes in f32 and narrows x̂ before the bf16 weight
    multiply (Hugging Face's order); `recip` writes the mean as Σ times 1/N
    pre-folded and rounded to f32 (inexact unless N is a power of 2);
    `eps_arg` reads eps from a `tensor<1xf32>` argument. SEQ = 1 gives the
    decode shapes 1x1xN."""
    hd = d // heads
    t3 = f"tensor<1x{s}x{d}x{dt}>"
    t3f = f"tensor<1x{s}x{d}xf32>"
    t1 = f"tensor<1x{s}x1xf32>"
    t2 = f"tensor<{s}x{d}x{dt}>"
    tw = f"tensor<{d}x{d}x{dt}>"
    narrow = dt != "f32"
    ninf = {"f32": "0xFF800000", "bf16": "0xFF80", "f16": "0xFC00"}[dt]
    out = []
    w = out.append
    id3 = "affine_map<(d0, d1, d2) -> (d0, d1, d2)>"
    kd3 = "affine_map<(d0, d1, d2) -> (d0, d1, 0)>"
    col3 = "affine_map<(d0, d1, d2) -> (d2)>"
    par3 = '["parallel", "parallel", "parallel"]'
    red3 = '["parallel", "parallel", "reduction"]'
    args = [f"%ids: tensor<1x{s}xi64>", f"%table: tensor<{vocab}x{d}x{dt}>"]
    for l in range(layers):
        args += [f"%wn{l}: tensor<{d}x{dt}>", f"%wq{l}: {tw}", f"%wk{l}: {tw}",
                 f"%wv{l}: {tw}", f"%wo{l}: {tw}", f"%wqn{l}: tensor<{hd}x{dt}>",
                 f"%wkn{l}: tensor<{hd}x{dt}>", f"%wm{l}: tensor<{d}x{dt}>",
                 f"%w1{l}: {tw}", f"%w2{l}: {tw}"]
    args.append(f"%wf: tensor<{d}x{dt}>")
    if eps_arg:
        args.append("%epsv: tensor<1xf32>")
    w(f"func.func @decoder({', '.join(args)}) -> {t3} {{")
    w("  %c0 = arith.constant 0.0 : f32")
    w(f"  %c0d = arith.constant 0.0 : {dt}")
    w(f"  %ninf = arith.constant {ninf} : {dt}")
    w(f"  %e3 = tensor.empty() : {t3}")
    w(f"  %e3f = tensor.empty() : {t3f}")
    w(f"  %e1 = tensor.empty() : {t1}")
    w(f"  %z1 = linalg.fill ins(%c0 : f32) outs(%e1 : {t1}) -> {t1}")
    w(f"  %e2 = tensor.empty() : {t2}")
    w(f"  %z2 = linalg.fill ins(%c0d : {dt}) outs(%e2 : {t2}) -> {t2}")

    def gen(name, ins, maps, iters, body, out_t=t3, init="%e3", bb=None):
        names = [v for v, _ in ins]
        types = [t for _, t in ins]
        w(f"  %{name} = linalg.generic {{indexing_maps = [{', '.join(maps)}], iterator_types = {iters}}} "
          f"ins({', '.join(names)} : {', '.join(types)}) outs({init} : {out_t}) {{")
        w(f"  ^bb0({bb}):")
        w(body)
        w(f"  }} -> {out_t}")

    def rms(name, x, wt, n, t=t3, tk=t1, z="%z1", e="%e3", ek="%e1", idm=id3, kd=kd3, col=col3,
            par=par3, red=red3, tf=t3f, ef="%e3f"):
        if narrow:  # hidden_states.to(torch.float32)
            gen(f"{name}_xf", [(f"%{x}", t)], [idm, idm], par,
                f"    %0 = arith.extf %a : {dt} to f32\n    linalg.yield %0 : f32", tf, ef,
                f"%a: {dt}, %o: f32")
            x = f"{name}_xf"
        else:
            tf, ef = t, e
        gen(f"{name}_sq", [(f"%{x}", tf)], [idm, idm], par,
            "    %two = arith.constant 2.0 : f32\n    %0 = math.powf %a, %two : f32\n    linalg.yield %0 : f32",
            tf, ef, "%a: f32, %o: f32")
        gen(f"{name}_s", [(f"%{name}_sq", tf)], [idm, kd], red,
            "    %0 = arith.addf %a, %o : f32\n    linalg.yield %0 : f32", tk, z, "%a: f32, %o: f32")
        mean = (f"    %n = arith.constant {float(n):.1f} : f32\n    %0 = arith.divf %a, %n : f32\n"
                if not recip else
                f"    %inv = arith.constant {float(np_f32(1.0 / n)):.9e} : f32\n"
                "    %0 = arith.mulf %a, %inv : f32\n")
        gen(f"{name}_m", [(f"%{name}_s", tk)], [idm, idm], par, mean + "    linalg.yield %0 : f32",
            tk, ek, "%a: f32, %o: f32")
        if eps_arg:
            rank = len(idm.split("->")[0].split(","))
            one = "affine_map<(" + ", ".join(f"d{i}" for i in range(rank)) + ") -> (0)>"
            gen(f"{name}_r", [(f"%{name}_m", tk), ("%epsv", "tensor<1xf32>")], [idm, one, idm], par,
                "    %0 = arith.addf %a, %ev : f32\n    %1 = math.rsqrt %0 : f32\n    linalg.yield %1 : f32",
                tk, ek, "%a: f32, %ev: f32, %o: f32")
        else:
            gen(f"{name}_r", [(f"%{name}_m", tk)], [idm, idm], par,
                "    %eps = arith.constant 1.0e-6 : f64\n    %ef = arith.truncf %eps : f64 to f32\n"
                "    %0 = arith.addf %a, %ef : f32\n    %1 = math.rsqrt %0 : f32\n    linalg.yield %1 : f32",
                tk, ek, "%a: f32, %o: f32")
        gen(f"{name}_xn", [(f"%{x}", tf), (f"%{name}_r", tk)], [idm, kd, idm], par,
            "    %0 = arith.mulf %a, %b : f32\n    linalg.yield %0 : f32", tf, ef, "%a: f32, %b: f32, %o: f32")
        xn = f"{name}_xn"
        if narrow:  # hidden_states.to(input_dtype)
            gen(f"{name}_xb", [(f"%{xn}", tf)], [idm, idm], par,
                f"    %0 = arith.truncf %a : f32 to {dt}\n    linalg.yield %0 : {dt}", t, e,
                f"%a: f32, %o: {dt}")
            xn = f"{name}_xb"
        gen(name, [(f"%{wt}", f"tensor<{n}x{dt}>"), (f"%{xn}", t)], [col, idm, idm], par,
            f"    %0 = arith.mulf %a, %b : {dt}\n    linalg.yield %0 : {dt}", t, e,
            f"%a: {dt}, %b: {dt}, %o: {dt}")

    def matmul(name, a, wt):
        w(f"  %{name}_c = tensor.collapse_shape %{a} [[0, 1], [2]] : {t3} into {t2}")
        w(f"  %{name}_m = linalg.matmul ins(%{name}_c, %{wt} : {t2}, {tw}) outs(%z2 : {t2}) -> {t2}")
        w(f"  %{name} = tensor.expand_shape %{name}_m [[0, 1], [2]] output_shape [1, {s}, {d}] : {t2} into {t3}")

    def add(name, a, b):
        gen(name, [(f"%{a}", t3), (f"%{b}", t3)], [id3, id3, id3], par3,
            f"    %0 = arith.addf %a, %b : {dt}\n    linalg.yield %0 : {dt}", t3, "%e3",
            f"%a: {dt}, %b: {dt}, %o: {dt}")

    t4 = f"tensor<1x{s}x{heads}x{hd}x{dt}>"
    t4f = f"tensor<1x{s}x{heads}x{hd}xf32>"
    t4k = f"tensor<1x{s}x{heads}x1xf32>"
    id4 = "affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>"
    kd4 = "affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, 0)>"
    col4 = "affine_map<(d0, d1, d2, d3) -> (d3)>"
    par4 = '["parallel", "parallel", "parallel", "parallel"]'
    red4 = '["parallel", "parallel", "parallel", "reduction"]'
    w(f"  %e4 = tensor.empty() : {t4}")
    w(f"  %e4f = tensor.empty() : {t4f}")
    w(f"  %e4k = tensor.empty() : {t4k}")
    w(f"  %z4 = linalg.fill ins(%c0 : f32) outs(%e4k : {t4k}) -> {t4k}")

    def qk_norm(name, x, wt):
        w(f"  %{name}_x = tensor.expand_shape %{x} [[0], [1], [2, 3]] output_shape [1, {s}, {heads}, {hd}] : {t3} into {t4}")
        rms(f"{name}_y", f"{name}_x", wt, hd, t4, t4k, "%z4", "%e4", "%e4k", id4, kd4, col4, par4,
            red4, t4f, "%e4f")
        w(f"  %{name} = tensor.collapse_shape %{name}_y [[0], [1], [2, 3]] : {t4} into {t3}")

    # Embedding lookup.
    gen("x", [("%ids", f"tensor<1x{s}xi64>")], ["affine_map<(d0, d1, d2) -> (d0, d1)>", id3], par3,
        "    %k = linalg.index 2 : index\n    %r = arith.index_cast %i : i64 to index\n"
        f"    %v = tensor.extract %table[%r, %k] : tensor<{vocab}x{d}x{dt}>\n    linalg.yield %v : {dt}",
        t3, "%e3", f"%i: i64, %o: {dt}")
    ts = f"tensor<{s}x{s}x{dt}>"
    t1s = f"tensor<{s}x1x{dt}>"
    w(f"  %ess = tensor.empty() : {ts}")
    w(f"  %zss = linalg.fill ins(%c0d : {dt}) outs(%ess : {ts}) -> {ts}")
    w(f"  %es = tensor.empty() : {t1s}")
    w(f"  %zs = linalg.fill ins(%c0d : {dt}) outs(%es : {t1s}) -> {t1s}")
    w(f"  %ms = linalg.fill ins(%ninf : {dt}) outs(%es : {t1s}) -> {t1s}")
    w(f"  %et = tensor.empty() : tensor<{d}x{s}x{dt}>")
    id2 = "affine_map<(d0, d1) -> (d0, d1)>"
    kd2 = "affine_map<(d0, d1) -> (d0, 0)>"
    h = "x"
    for l in range(layers):
        rms(f"n{l}", h, f"wn{l}", d)
        for p in "qkv":
            matmul(f"{p}{l}", f"n{l}", f"w{p}{l}")
        qk_norm(f"qn{l}", f"q{l}", f"wqn{l}")
        qk_norm(f"kn{l}", f"k{l}", f"wkn{l}")
        w(f"  %qc{l} = tensor.collapse_shape %qn{l} [[0, 1], [2]] : {t3} into {t2}")
        w(f"  %kc{l} = tensor.collapse_shape %kn{l} [[0, 1], [2]] : {t3} into {t2}")
        w(f"  %vc{l} = tensor.collapse_shape %v{l} [[0, 1], [2]] : {t3} into {t2}")
        w(f"  %kt{l} = linalg.transpose ins(%kc{l} : {t2}) outs(%et : tensor<{d}x{s}x{dt}>) permutation = [1, 0]")
        w(f"  %sc{l} = linalg.matmul ins(%qc{l}, %kt{l} : {t2}, tensor<{d}x{s}x{dt}>) outs(%zss : {ts}) -> {ts}")
        gen(f"mx{l}", [(f"%sc{l}", ts)], [id2, kd2], '["parallel", "reduction"]',
            f"    %0 = arith.maximumf %a, %o : {dt}\n    linalg.yield %0 : {dt}", t1s, "%ms",
            f"%a: {dt}, %o: {dt}")
        gen(f"ex{l}", [(f"%sc{l}", ts), (f"%mx{l}", t1s)], [id2, kd2, id2],
            '["parallel", "parallel"]',
            f"    %0 = arith.subf %a, %b : {dt}\n    %1 = math.exp %0 : {dt}\n    linalg.yield %1 : {dt}", ts,
            "%ess", f"%a: {dt}, %b: {dt}, %o: {dt}")
        gen(f"es{l}", [(f"%ex{l}", ts)], [id2, kd2], '["parallel", "reduction"]',
            f"    %0 = arith.addf %a, %o : {dt}\n    linalg.yield %0 : {dt}", t1s, "%zs",
            f"%a: {dt}, %o: {dt}")
        gen(f"pr{l}", [(f"%ex{l}", ts), (f"%es{l}", t1s)], [id2, kd2, id2],
            '["parallel", "parallel"]',
            f"    %0 = arith.divf %a, %b : {dt}\n    linalg.yield %0 : {dt}", ts, "%ess",
            f"%a: {dt}, %b: {dt}, %o: {dt}")
        w(f"  %atm{l} = linalg.matmul ins(%pr{l}, %vc{l} : {ts}, {t2}) outs(%z2 : {t2}) -> {t2}")
        w(f"  %at{l} = tensor.expand_shape %atm{l} [[0, 1], [2]] output_shape [1, {s}, {d}] : {t2} into {t3}")
        matmul(f"o{l}", f"at{l}", f"wo{l}")
        add(f"h{l}", h, f"o{l}")
        rms(f"m{l}", f"h{l}", f"wm{l}", d)
        matmul(f"u{l}", f"m{l}", f"w1{l}")
        # GELU (erf), computed in f32 (widened and narrowed in the body).
        av = "%af" if narrow else "%a"
        gen(f"g{l}", [(f"%u{l}", t3)], [id3, id3], par3,
            (f"    %af = arith.extf %a : {dt} to f32\n" if narrow else "") +
            "    %half = arith.constant 0.5 : f32\n    %one = arith.constant 1.0 : f32\n"
            f"    %rs = arith.constant 0.70710678118654757 : f32\n    %0 = arith.mulf {av}, %rs : f32\n"
            f"    %1 = math.erf %0 : f32\n    %2 = arith.addf %1, %one : f32\n    %3 = arith.mulf {av}, %half : f32\n"
            "    %4 = arith.mulf %3, %2 : f32\n" +
            (f"    %5 = arith.truncf %4 : f32 to {dt}\n    linalg.yield %5 : {dt}" if narrow else
             "    linalg.yield %4 : f32"), t3, "%e3", f"%a: {dt}, %o: {dt}")
        matmul(f"dn{l}", f"g{l}", f"w2{l}")
        add(f"r{l}", f"h{l}", f"dn{l}")
        h = f"r{l}"
    rms("final", h, "wf", d)
    w(f"  return %final : {t3}")
    w("}")
    return "\n".join(out) + "\n"


def np_f32(v):
    """v rounded to f32 (struct, so that the generator needs no numpy)."""
    import struct
    return struct.unpack("f", struct.pack("f", v))[0]


def main():
    flags = [a for a in sys.argv[1:] if a.startswith("--")]
    pos = [a for a in sys.argv[1:] if not a.startswith("--")]
    kind, layers = pos[0], int(pos[1])
    s, d, heads = (int(a) for a in (pos[2:5] if len(pos) > 4 else (16, 64, 4)))
    models = {"linalg": linalg_model, "tosa": tosa_model, "torch": torch_model}
    kw = {}
    if flags:
        if kind != "torch":
            sys.exit("gen_decoder.py: --bf16, --recip and --eps-arg are torch spellings")
        known = {"--bf16": ("dt", "bf16"), "--recip": ("recip", True),
                 "--eps-arg": ("eps_arg", True)}
        for f in flags:
            if f not in known:
                sys.exit(f"gen_decoder.py: unknown flag {f}")
            kw[known[f][0]] = known[f][1]
    sys.stdout.write(models[kind](layers, s, d, heads, **kw))


if __name__ == "__main__":
    main()
