"""Calls norm kernels compiled ahead of time (scripts/norm-aot.sh) on PyTorch
CUDA tensors, and computes float64 references of the norm ops
(docs/Norm.md). Needs Python 3 with PyTorch built for CUDA.

A library built from scripts/gen_gpu_cases.py has, per function F, the C
entry point `norm_F(stream, ptr..., dynamic sizes...) -> int32` and an entry
in the JSON manifest describing F's arguments (role, dtype, shape in M/N).
"""
import ctypes
import json
import sys

try:
    import torch
except ImportError:
    raise ImportError(f"normgpu needs PyTorch (with CUDA), which "
                      f"{sys.executable} does not have") from None

DTYPE = {"f32": torch.float32, "f16": torch.float16, "bf16": torch.bfloat16}


class Library:
    def __init__(self, so_path, manifest_path):
        self.lib = ctypes.CDLL(so_path)
        with open(manifest_path) as f:
            self.cases = {c["name"]: c for c in json.load(f)}

    def call(self, name, tensors, stream=None):
        """tensors: dict arg name -> CUDA tensor (contiguous, 16B aligned)."""
        case = self.cases[name]
        fn = getattr(self.lib, "norm_" + name)
        ptrs, sizes = [], []
        for a in case["args"]:
            t = tensors[a["name"]]
            assert t.is_cuda and t.is_contiguous(), a["name"]
            assert t.dtype == DTYPE[a["dtype"]], (a["name"], t.dtype)
            ptrs.append(ctypes.c_void_p(t.data_ptr()))
            for d, s in enumerate(a["shape"]):
                if s in ("M", "N"):
                    sizes.append(ctypes.c_int64(t.shape[d]))
        if stream is None:
            stream = torch.cuda.current_stream()
        fn.restype = ctypes.c_int32
        # Scalars (a runtime eps) come last, with the manifest's value.
        scalars = [ctypes.c_float(a["value"]) for a in case.get("scalars", [])]
        err = fn(ctypes.c_void_p(stream.cuda_stream), *ptrs, *sizes, *scalars)
        if err != 0:
            raise RuntimeError(f"norm_{name} returned CUDA error {err}")


def shape_of(arg, m, n):
    return [m if s == "M" else (n if s == "N" else s) for s in arg["shape"]]


def reference(case, t):
    """float64 reference outputs from the inputs in `t` (docs/Norm.md)."""
    op = case["op"]
    dt = DTYPE[case["dtype"]]
    f64 = {k: v.double() for k, v in t.items()}
    eps, off = case["eps"], case["offset"]
    layer = op.startswith("layer")
    out = {}
    if not op.endswith("_grad"):
        h = f64["x"]
        if "residual" in t:
            h = (t["x"].double() + t["residual"].double()).to(dt).double()
            out["residual_out"] = h
        if layer:
            mean = h.mean(-1, keepdim=True)
            var = ((h - mean) ** 2).mean(-1, keepdim=True)
            xhat = (h - mean) / torch.sqrt(var + eps)
            out["mean"] = mean.squeeze(-1)
            out["rstd"] = (1 / torch.sqrt(var + eps)).squeeze(-1)
        else:
            ms = (h * h).mean(-1, keepdim=True)
            xhat = h / torch.sqrt(ms + eps)
            out["rstd"] = (1 / torch.sqrt(ms + eps)).squeeze(-1)
        if case["rounding"] == "before_gamma":
            xhat = xhat.to(dt).double()
        g = (f64["gamma"] + off) if "gamma" in t else (1.0 + off)
        y = xhat * g
        if "beta" in t:
            y = y + f64["beta"]
        out["y"] = y
        return out
    x, dy, rstd = f64["x"], f64["dy"], f64["rstd"].unsqueeze(-1)
    mean = f64["mean"].unsqueeze(-1) if layer else 0.0
    xhat = (x - mean) * rstd
    g = dy * ((f64["gamma"] + off) if "gamma" in t else (1.0 + off))
    dx = g - xhat * (g * xhat).mean(-1, keepdim=True)
    if layer:
        dx = dx - g.mean(-1, keepdim=True)
    out["dx"] = rstd * dx
    out["dgamma"] = (dy * xhat).sum(0)
    out["dbeta"] = dy.sum(0)
    return out


def torch_side(case, t):
    """What PyTorch computes for the same op in the inputs' own dtype."""
    op = case["op"]
    eps, off = case["eps"], case["offset"]
    layer = op.startswith("layer")
    n = t["x"].shape[-1]
    F = torch.nn.functional
    out = {}
    if not op.endswith("_grad"):
        h = t["x"] + t["residual"] if "residual" in t else t["x"]
        w = t.get("gamma")
        if w is not None and off:
            w = w + off
        elif w is None and off:
            w = torch.full((n,), 1.0 + off, dtype=h.dtype, device=h.device)
        if case["rounding"] == "before_gamma":
            hf = h.float()
            if layer:
                hf = hf - hf.mean(-1, keepdim=True)
            xhat = (hf * torch.rsqrt(hf.pow(2).mean(-1, keepdim=True) + eps)
                    ).to(h.dtype)
            y = xhat * w if w is not None else xhat
            if "beta" in t:
                y = y + t["beta"]
        elif layer:
            y = F.layer_norm(h, (n,), w, t.get("beta"), eps)
        else:
            y = F.rms_norm(h, (n,), w, eps)
            if "beta" in t:
                y = y + t["beta"]
        out["y"] = y
        return out
    x = t["x"].detach().clone().requires_grad_(True)
    w = t.get("gamma")
    wv = None
    if w is not None:
        wv = w.detach().clone().requires_grad_(True)
    wt = (wv + off) if (wv is not None and off) else wv
    if wt is None and off:
        wt = torch.full((n,), 1.0 + off, dtype=x.dtype, device=x.device)
    if layer:
        b = torch.zeros(n, dtype=x.dtype, device=x.device, requires_grad=True)
        y = F.layer_norm(x, (n,), wt, b, eps)
    else:
        b = torch.zeros(n, dtype=x.dtype, device=x.device, requires_grad=True)
        y = F.rms_norm(x, (n,), wt, eps) + b
    y.backward(t["dy"])
    out["dx"] = x.grad
    if wv is not None:
        out["dgamma"] = wv.grad
    out["dbeta"] = b.grad
    return out
