#!/usr/bin/env python3
"""CPU-side tests of norm_torch (no GPU, any PyTorch ≥ 1.13): the operators
are registered with their schemas; the fake/meta implementations give the
shapes and dtypes the CUDA ones produce; the CPU implementations and the
autograd formulas (the gradient operators, only the gradients asked for)
match PyTorch's autograd on a float64 reference; the modules are drop-ins
for torch.nn's; the kernel table picks the static-N kernel when one is
compiled and the dynamic one otherwise. Exits non-zero on any failure.

Usage: test_cpu.py [MANIFEST.json]  (the kernel-table test needs one:
scripts/gen_gpu_cases.py torch makes it)."""
import itertools
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
import torch  # noqa: E402

import norm_torch  # noqa: E402
from norm_torch import _library  # noqa: E402

failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


def ref_rms(x, w, eps, offset, r=None):
    h = x if r is None else (x + r)
    g = (w + offset) if w is not None else 1.0 + offset
    return h * torch.rsqrt(h.pow(2).mean(-1, keepdim=True) + eps) * g


def ref_ln(x, w, b, eps, r=None):
    h = x if r is None else (x + r)
    y = torch.nn.functional.layer_norm(h, h.shape[-1:], None, None, eps)
    if w is not None:
        y = y * w
    if b is not None:
        y = y + b
    return y


def registered():
    for name in ("rms_norm", "rms_norm_backward", "layer_norm",
                 "layer_norm_backward"):
        op = getattr(torch.ops.norm, name, None)
        check(op is not None, f"torch.ops.norm.{name} registered")


def fake_shapes():
    x = torch.empty(3, 5, 64, device="meta", dtype=torch.bfloat16)
    w = torch.empty(64, device="meta", dtype=torch.bfloat16)
    y, h, rstd = torch.ops.norm.rms_norm(x, w, x, 1e-6, 0.0)
    check(y.shape == x.shape and y.dtype == x.dtype and h.shape == x.shape
          and rstd.shape == (3, 5) and rstd.dtype == torch.float32,
          "meta rms_norm with residual: y, h, rstd shapes and dtypes")
    y, h, rstd = torch.ops.norm.rms_norm(x, None, None, 1e-6, 1.0)
    check(h.numel() == 0, "meta rms_norm without residual: empty h")
    y, h, mean, rstd = torch.ops.norm.layer_norm(x, w, w, None, 1e-5)
    check(mean.shape == (3, 5) and rstd.shape == (3, 5),
          "meta layer_norm: mean and rstd shapes")
    dx, dw = torch.ops.norm.rms_norm_backward(x, x, rstd, w, 0.0, False, True)
    check(dx.numel() == 0 and dw.shape == (64,) and dw.dtype == torch.float32,
          "meta rms_norm_backward: only dweight")
    dx, dw, db = torch.ops.norm.layer_norm_backward(x, x, mean, rstd, w, True,
                                                    True, False, True)
    check(dx.shape == x.shape and dw.numel() == 0 and db.shape == (64,),
          "meta layer_norm_backward: dx and dbias")
    try:
        torch.ops.norm.rms_norm(x, torch.empty(63, device="meta",
                                               dtype=torch.bfloat16),
                                None, 1e-6, 0.0)
        check(False, "a weight of the wrong length is rejected")
    except (ValueError, RuntimeError) as e:
        check("shape [64]" in str(e), "a weight of the wrong length is "
              "rejected with its expected shape")


def forward_and_grads():
    gen = torch.Generator().manual_seed(0)
    for op, dtype, residual, with_w, with_b, offset in itertools.product(
            ("rms", "ln"), (torch.float32, torch.bfloat16), (False, True),
            (False, True), (False, True), (0.0, 1.0)):
        if op == "rms" and with_b or op == "ln" and offset:
            continue
        n = 96
        x64 = torch.randn(4, 3, n, generator=gen, dtype=torch.float64) + (
            3.0 if op == "ln" else 0.0)
        w64 = 1 + 0.3 * torch.randn(n, generator=gen, dtype=torch.float64)
        b64 = 0.2 * torch.randn(n, generator=gen, dtype=torch.float64)
        r64 = torch.randn(4, 3, n, generator=gen, dtype=torch.float64)
        leaves = {"x": x64, "w": w64 if with_w else None,
                  "b": b64 if with_b else None, "r": r64 if residual else None}
        # Every subset of the differentiable inputs, one at a time and all.
        names = [k for k, v in leaves.items() if v is not None]
        for wanted in [names] + [[k] for k in names]:
            ins = {k: (v.to(dtype).requires_grad_(k in wanted)
                       if v is not None else None) for k, v in leaves.items()}
            ref_in = {k: (v.to(dtype).double().requires_grad_(k in wanted)
                          if v is not None else None)
                      for k, v in leaves.items()}
            eps = 1e-6 if op == "rms" else 1e-5
            if op == "rms":
                out = norm_torch.rms_norm(ins["x"], ins["w"], eps,
                                          residual=ins["r"], offset=offset)
                ref = ref_rms(ref_in["x"], ref_in["w"], eps, offset,
                              ref_in["r"])
            else:
                out = norm_torch.layer_norm(ins["x"], ins["w"], ins["b"], eps,
                                            residual=ins["r"])
                ref = ref_ln(ref_in["x"], ref_in["w"], ref_in["b"], eps,
                             ref_in["r"])
            y = out[0] if residual else out
            tol = 1e-5 if dtype == torch.float32 else 2e-2
            scale = ref.abs().max().item()
            ok = (y.double() - ref).abs().max().item() <= tol * scale
            dy = torch.randn(y.shape, generator=gen, dtype=torch.float64)
            y.backward(dy.to(dtype))
            ref.backward(dy)
            for k in names:
                got, exp = ins[k].grad, ref_in[k].grad
                if k not in wanted:
                    ok = ok and got is None
                    continue
                gs = exp.abs().max().item() + 1e-30
                ok = ok and got is not None and got.dtype == ins[k].dtype and \
                    (got.double() - exp).abs().max().item() <= \
                    (1e-4 if dtype == torch.float32 else 5e-2) * gs
            check(ok, f"{op} {str(dtype)[6:]} residual={residual} "
                  f"weight={with_w} bias={with_b} offset={offset} "
                  f"grads of {','.join(wanted)}: y and the asked-for grads "
                  "match autograd on float64; the others are None")


def residual_out_grad():
    # h = x + r is an output too: its gradient adds to the norm's.
    x = torch.randn(5, 32, dtype=torch.float64).float().requires_grad_()
    r = torch.randn(5, 32).requires_grad_()
    y, h = norm_torch.rms_norm(x, None, 1e-6, residual=r)
    (y.sum() + (h * h).sum()).backward()
    x2 = x.detach().double().requires_grad_()
    r2 = r.detach().double().requires_grad_()
    h2 = x2 + r2
    (ref_rms(h2, None, 1e-6, 0.0).sum() + (h2 * h2).sum()).backward()
    check((x.grad.double() - x2.grad).abs().max() < 1e-4 and
          (r.grad.double() - r2.grad).abs().max() < 1e-4,
          "the gradient of residual_out adds to dx and dresidual")


def modules():
    for shape in (64, (4, 16)):
        t = torch.nn.LayerNorm(shape)
        with torch.no_grad():
            t.weight.normal_()
            t.bias.normal_()
        m = norm_torch.LayerNorm.from_torch(t)
        x = torch.randn(3, 7, *((shape,) if isinstance(shape, int) else shape))
        check(torch.allclose(m(x), t(x), atol=1e-5),
              f"LayerNorm({shape}) matches torch.nn.LayerNorm")
        fresh = norm_torch.LayerNorm(shape)
        fresh.load_state_dict(t.state_dict())
        check(torch.allclose(fresh(x), t(x), atol=1e-5),
              f"LayerNorm({shape}) loads torch.nn.LayerNorm's state_dict")
    m = norm_torch.LayerNorm(64, bias=False)
    check(m.bias is None and m(torch.randn(2, 64)).shape == (2, 64),
          "LayerNorm(bias=False)")
    if hasattr(torch.nn, "RMSNorm"):
        t = torch.nn.RMSNorm(64, eps=1e-6)
        m = norm_torch.RMSNorm.from_torch(t)
        x = torch.randn(3, 64)
        check(torch.allclose(m(x), t(x), atol=1e-5),
              "RMSNorm matches torch.nn.RMSNorm")
    m = norm_torch.RMSNorm(64, eps=1e-6, offset=1.0)
    with torch.no_grad():
        m.weight.zero_()
    x = torch.randn(3, 64)
    check(torch.allclose(m(x), ref_rms(x, None, 1e-6, 0.0), atol=1e-5),
          "RMSNorm(offset=1) with zero weight is the plain RMS norm (Gemma)")


def kernel_table(manifest):
    with open(manifest) as f:
        cases = json.load(f)
    names = {c["name"] for c in cases}

    class Fake:
        def __getattr__(self, name):
            class F:
                restype = argtypes = None
            return F()

    lib = _library.KernelLibrary.__new__(_library.KernelLibrary)
    lib.path = manifest
    lib.lib = Fake()
    lib.kernels = {c["name"]: _library.Kernel(lib.lib, c) for c in cases}
    k = lib.find("rms_res", torch.bfloat16, 4096)
    check(k.name == "rms_res_bf16_4096" and k.static_n,
          "N = 4096 bf16 residual: the static-N kernel")
    k = lib.find("ln_bwd_dx_dw_db", torch.float16, 4100)
    check(k.name == "ln_bwd_dx_dw_db_f16_dyn" and not k.static_n,
          "N = 4100: the dynamic-N kernel")
    # Every variant the operators ask for exists for every dtype.
    variants = ["rms", "rms_off1", "rms_res", "rms_res_off1", "ln", "ln_bias",
                "ln_res", "ln_res_bias"]
    variants += [f"rms_bwd{o}_{w}" for o in ("", "_off1")
                 for w in ("dx_dw", "dx", "dw")]
    variants += [f"ln_bwd_{w}" for w in ("dx_dw_db", "dx_dw", "dx", "dw_db",
                                         "dw")]
    missing = [f"{v}_{d}_dyn" for v in variants for d in ("f32", "f16", "bf16")
               if f"{v}_{d}_dyn" not in names]
    check(not missing, f"every variant has a dynamic-N kernel {missing[:3]}")
    # The argument order of the forward: eps last, as a scalar.
    rms = next(c for c in cases if c["name"] == "rms_bf16_4096")
    check([a["name"] for a in rms["args"]] == ["x", "gamma", "y", "rstd"]
          and rms["scalars"][0]["name"] == "eps",
          "rms_bf16_4096: (x, gamma, y, rstd; eps)")
    try:
        lib.find("rms", torch.float64, 4096)
        check(False, "float64 is rejected")
    except TypeError:
        check(True, "float64 is rejected with a TypeError")


def main():
    print(f"torch {torch.__version__}")
    registered()
    fake_shapes()
    forward_and_grads()
    residual_out_grad()
    modules()
    if len(sys.argv) > 1:
        kernel_table(sys.argv[1])
    print(f"{len(failures)} failed")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
