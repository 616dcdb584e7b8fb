"""norm's RMSNorm and LayerNorm as PyTorch custom operators.

Four operators in the `norm` namespace (torch.ops.norm.*):

  rms_norm(x, weight?, residual?, eps, offset) -> (y, residual_out, rstd)
  rms_norm_backward(dy, h, rstd, weight?, offset, need_dx, need_dweight)
      -> (dx, dweight)
  layer_norm(x, weight?, bias?, residual?, eps)
      -> (y, residual_out, mean, rstd)
  layer_norm_backward(dy, h, mean, rstd, weight?, has_bias, need_dx,
                      need_dweight, need_dbias) -> (dx, dweight, dbias)

Over the last dim of x (any leading shape). With a residual, h = x + residual
(rounded to x's dtype) is normalized and returned as residual_out; without
one, residual_out is an empty tensor. mean and rstd are float32 of x's
leading shape. The backward takes h (x when there is no residual); an output
not asked for is an empty tensor; dweight and dbias are float32.

CUDA: norm's kernels compiled ahead of time (the kernel library,
_library.py), launched on the current stream, asynchronously, with no
allocation but the outputs (PyTorch's caching allocator) and the backward's
stream-ordered partial sums. CPU: a float32 PyTorch implementation of the
same meaning (docs/Norm.md), so that the operators, their autograd and their
fake implementations can be tested without a GPU. Meta / fake: shapes only,
for torch.compile.
"""
import os

import torch

from . import _cpp, _library

_KERNELS = None


def load(so_path=None, manifest_path=None):
    """Loads the kernel library (default: _library.default_paths())."""
    global _KERNELS
    if so_path is None:
        so_path, manifest_path = _library.default_paths()
        if so_path is None:
            raise RuntimeError(
                "norm_torch: no kernel library: build it with "
                "scripts/build-torch-lib.sh (docs/Torch.md) or set "
                "NORM_TORCH_LIB to libnorm_torch.so")
    if manifest_path is None:
        manifest_path = so_path.rsplit(".", 1)[0] + ".json"
    _KERNELS = _library.KernelLibrary(so_path, manifest_path)
    _cpp.set_library(so_path)
    return _KERNELS


def kernels():
    return _KERNELS if _KERNELS is not None else load()


_DEF = torch.library.Library("norm", "DEF")
_DEF.define("rms_norm(Tensor x, Tensor? weight, Tensor? residual, float eps, "
            "float offset) -> (Tensor, Tensor, Tensor)")
_DEF.define("rms_norm_backward(Tensor dy, Tensor h, Tensor rstd, "
            "Tensor? weight, float offset, bool need_dx, bool need_dweight) "
            "-> (Tensor, Tensor)")
_DEF.define("layer_norm(Tensor x, Tensor? weight, Tensor? bias, "
            "Tensor? residual, float eps) -> (Tensor, Tensor, Tensor, Tensor)")
_DEF.define("layer_norm_backward(Tensor dy, Tensor h, Tensor mean, "
            "Tensor rstd, Tensor? weight, bool has_bias, bool need_dx, "
            "bool need_dweight, bool need_dbias) -> (Tensor, Tensor, Tensor)")

OFFSETS = (0.0, 1.0)  # the Gemma offsets compiled into the kernels


def _check(x, *cols, rows=()):
    n = x.shape[-1] if x.dim() > 0 else 0
    if x.dim() == 0:
        raise ValueError("norm_torch: x must have at least one dim")
    for name, t in cols:
        if t is not None and (t.dim() != 1 or t.shape[0] != n):
            raise ValueError(f"norm_torch: {name} must have shape [{n}], got "
                             f"{list(t.shape)}")
    for name, t in rows:
        if t is not None and t.shape != x.shape:
            raise ValueError(f"norm_torch: {name} must have x's shape "
                             f"{list(x.shape)}, got {list(t.shape)}")
    return n


def _empty(x):
    return x.new_empty((0,))


# ---------------------------------------------------------------------------
# Fake (meta) implementations: shapes and dtypes only.
# ---------------------------------------------------------------------------

def _rms_fake(x, weight, residual, eps, offset):
    _check(x, ("weight", weight), rows=(("residual", residual),))
    stats = x.new_empty(x.shape[:-1], dtype=torch.float32)
    h = torch.empty_like(x) if residual is not None else _empty(x)
    return torch.empty_like(x), h, stats


def _rms_bwd_fake(dy, h, rstd, weight, offset, need_dx, need_dweight):
    n = h.shape[-1]
    dx = torch.empty_like(h) if need_dx else _empty(h)
    dw = (h.new_empty((n,), dtype=torch.float32) if need_dweight
          else _empty(h).float())
    return dx, dw


def _ln_fake(x, weight, bias, residual, eps):
    _check(x, ("weight", weight), ("bias", bias),
           rows=(("residual", residual),))
    stats = x.new_empty(x.shape[:-1], dtype=torch.float32)
    h = torch.empty_like(x) if residual is not None else _empty(x)
    return torch.empty_like(x), h, stats, torch.empty_like(stats)


def _ln_bwd_fake(dy, h, mean, rstd, weight, has_bias, need_dx, need_dweight,
                 need_dbias):
    n = h.shape[-1]
    f32 = torch.float32
    dx = torch.empty_like(h) if need_dx else _empty(h)
    dw = h.new_empty((n,), dtype=f32) if need_dweight else _empty(h).float()
    db = (h.new_empty((n,), dtype=f32) if need_dbias and has_bias
          else _empty(h).float())
    return dx, dw, db


# ---------------------------------------------------------------------------
# CPU: float32 PyTorch, the meaning of docs/Norm.md.
# ---------------------------------------------------------------------------

def _rms_cpu(x, weight, residual, eps, offset):
    _check(x, ("weight", weight), rows=(("residual", residual),))
    h = (x.float() + residual.float()).to(x.dtype) if residual is not None else x
    hf = h.float()
    rstd = torch.rsqrt(hf.pow(2).mean(-1) + eps)
    g = (weight.float() + offset) if weight is not None else 1.0 + offset
    y = (hf * rstd.unsqueeze(-1) * g).to(x.dtype)
    return y, (h.clone() if residual is not None else _empty(x)), rstd


def _rms_bwd_cpu(dy, h, rstd, weight, offset, need_dx, need_dweight):
    hf, dyf, r = h.float(), dy.float(), rstd.float().unsqueeze(-1)
    n = h.shape[-1]
    xhat = hf * r
    g = dyf * ((weight.float() + offset) if weight is not None else 1.0 + offset)
    dx = ((g - xhat * (g * xhat).mean(-1, keepdim=True)) * r).to(h.dtype) \
        if need_dx else _empty(h)
    dw = (dyf * xhat).reshape(-1, n).sum(0) if need_dweight \
        else _empty(h).float()
    return dx, dw


def _ln_cpu(x, weight, bias, residual, eps):
    _check(x, ("weight", weight), ("bias", bias),
           rows=(("residual", residual),))
    h = (x.float() + residual.float()).to(x.dtype) if residual is not None else x
    hf = h.float()
    mean = hf.mean(-1)
    d = hf - mean.unsqueeze(-1)
    rstd = torch.rsqrt(d.pow(2).mean(-1) + eps)
    y = d * rstd.unsqueeze(-1)
    if weight is not None:
        y = y * weight.float()
    if bias is not None:
        y = y + bias.float()
    return (y.to(x.dtype), (h.clone() if residual is not None else _empty(x)),
            mean, rstd)


def _ln_bwd_cpu(dy, h, mean, rstd, weight, has_bias, need_dx, need_dweight,
                need_dbias):
    hf, dyf = h.float(), dy.float()
    r = rstd.float().unsqueeze(-1)
    n = h.shape[-1]
    xhat = (hf - mean.float().unsqueeze(-1)) * r
    g = dyf * weight.float() if weight is not None else dyf
    if need_dx:
        dx = ((g - g.mean(-1, keepdim=True)
               - xhat * (g * xhat).mean(-1, keepdim=True)) * r).to(h.dtype)
    else:
        dx = _empty(h)
    dw = (dyf * xhat).reshape(-1, n).sum(0) if need_dweight \
        else _empty(h).float()
    db = dyf.reshape(-1, n).sum(0) if need_dbias and has_bias \
        else _empty(h).float()
    return dx, dw, db


# ---------------------------------------------------------------------------
# CUDA: the AOT kernels.
# ---------------------------------------------------------------------------

_ONES = {}


def _ones(n, like):
    key = (n, like.dtype, like.device)
    t = _ONES.get(key)
    if t is None:
        t = _ONES[key] = torch.ones(n, dtype=like.dtype, device=like.device)
    return t


def _ready(t):
    """Contiguous and 16-byte aligned (the kernels' vector accesses): a view
    that is neither is copied."""
    if t is None:
        return None
    if not t.is_contiguous():
        t = t.contiguous()
    if t.data_ptr() % 16 != 0:
        t = t.clone()
    return t


_raw_stream = getattr(torch._C, "_cuda_getCurrentRawStream", None)


def _stream(device):
    if _raw_stream is not None:
        return _raw_stream(device.index if device.index is not None else
                           torch.cuda.current_device())
    return torch.cuda.current_stream(device).cuda_stream


def _check_device(x):
    if x.device.index not in (None, 0) and x.device.index != \
            torch.cuda.current_device():
        raise RuntimeError("norm_torch: the kernels run on the device current "
                           "when the library was loaded")


def _same_dtype(x, **tensors):
    for name, t in tensors.items():
        if t is not None and t.dtype != x.dtype:
            raise TypeError(f"norm_torch: {name} must have x's dtype "
                            f"{x.dtype}, got {t.dtype}")


def _forward_cuda(variant, x, n, weight, residual, eps, stats, cols=()):
    """The forward kernels' common call: x as rows, gamma (ones without a
    weight), the `cols` (name, tensor) such as beta, the residual and
    residual_out, y and the float32 statistics named in `stats`. Returns
    (y, residual_out or empty, stats...) in x's shapes."""
    _check_device(x)
    lead = x.shape[:-1]
    x2 = _ready(x).reshape(-1, n)
    y = torch.empty_like(x2)
    t = {"x": x2, "gamma": _ready(weight) if weight is not None
         else _ones(n, x), "y": y}
    for name in stats:
        t[name] = torch.empty(x2.shape[0], dtype=torch.float32,
                              device=x.device)
    if residual is not None:
        t["residual"] = _ready(residual).reshape(-1, n)
        t["residual_out"] = torch.empty_like(x2)
    for name, c in cols:
        t[name] = _ready(c)
    if x2.shape[0] > 0 and n > 0:
        kernels().find(variant, x.dtype, n)(_stream(x.device), t, float(eps))
    h = t["residual_out"].view(x.shape) if residual is not None else _empty(x)
    return (y.view(x.shape), h) + tuple(t[name].view(lead) for name in stats)


def _rms_cuda(x, weight, residual, eps, offset):
    n = _check(x, ("weight", weight), rows=(("residual", residual),))
    if offset not in OFFSETS:
        raise ValueError(f"norm_torch: offset must be one of {OFFSETS} (the "
                         f"compiled variants), got {offset}")
    _same_dtype(x, weight=weight, residual=residual)
    variant = ("rms" + ("_res" if residual is not None else "")
               + ("_off1" if offset else ""))
    return _forward_cuda(variant, x, n, weight, residual, eps, ("rstd",))


def _rms_bwd_cuda(dy, h, rstd, weight, offset, need_dx, need_dweight):
    n = h.shape[-1]
    m = h.numel() // n if n else 0
    dx = torch.empty_like(h) if need_dx else _empty(h)
    dw = (torch.empty(n, dtype=torch.float32, device=h.device)
          if need_dweight else _empty(h).float())
    if not (need_dx or need_dweight):
        return dx, dw
    if m == 0 or n == 0:
        if need_dweight:
            dw.zero_()
        return dx, dw
    _check_device(h)
    want = "dx_dw" if need_dx and need_dweight else ("dx" if need_dx else "dw")
    variant = "rms_bwd" + ("_off1" if offset else "") + "_" + want
    t = {"dy": _ready(dy).reshape(m, n), "x": _ready(h).reshape(m, n),
         "rstd": _ready(rstd).reshape(m),
         "gamma": _ready(weight) if weight is not None else _ones(n, h)}
    if need_dx:
        t["dx"] = dx.view(m, n)
    if need_dweight:
        t["dgamma"] = dw
    kernels().find(variant, h.dtype, n)(_stream(h.device), t)
    return dx, dw


def _ln_cuda(x, weight, bias, residual, eps):
    n = _check(x, ("weight", weight), ("bias", bias),
               rows=(("residual", residual),))
    _same_dtype(x, weight=weight, bias=bias, residual=residual)
    variant = ("ln" + ("_res" if residual is not None else "")
               + ("_bias" if bias is not None else ""))
    cols = (("beta", bias),) if bias is not None else ()
    return _forward_cuda(variant, x, n, weight, residual, eps,
                         ("mean", "rstd"), cols)


def _ln_bwd_cuda(dy, h, mean, rstd, weight, has_bias, need_dx, need_dweight,
                 need_dbias):
    n = h.shape[-1]
    m = h.numel() // n if n else 0
    need_dbias = need_dbias and has_bias
    f32 = torch.float32
    dx = torch.empty_like(h) if need_dx else _empty(h)
    dw = (torch.empty(n, dtype=f32, device=h.device) if need_dweight
          else _empty(h).float())
    db = (torch.empty(n, dtype=f32, device=h.device) if need_dbias
          else _empty(h).float())
    if not (need_dx or need_dweight or need_dbias):
        return dx, dw, db
    if m == 0 or n == 0:
        dw.zero_()
        db.zero_()
        return dx, dw, db
    _check_device(h)
    # The compiled variants: dx_dw_db, dx_dw, dx, dw_db, dw. A dbias alone
    # comes with dweight; dx with dbias alone with both.
    sums = "dw_db" if need_dbias else ("dw" if need_dweight else "")
    want = "_".join(p for p in ("dx" if need_dx else "", sums) if p)
    t = {"dy": _ready(dy).reshape(m, n), "x": _ready(h).reshape(m, n),
         "mean": _ready(mean).reshape(m), "rstd": _ready(rstd).reshape(m),
         "gamma": _ready(weight) if weight is not None else _ones(n, h)}
    if need_dx:
        t["dx"] = dx.view(m, n)
    if "dw" in sums:
        t["dgamma"] = dw if need_dweight else torch.empty(
            n, dtype=f32, device=h.device)
    if need_dbias:
        t["dbeta"] = db
    kernels().find("ln_bwd_" + want, h.dtype, n)(_stream(h.device), t)
    return dx, dw, db


_HAS_FAKE = hasattr(torch.library, "register_fake")
_HAS_AUTOGRAD = hasattr(torch.library, "register_autograd")

# The CUDA kernels: C++ (csrc/ops.cpp, one dispatcher call and one launch)
# where it builds, else the Python functions above.
_USE_CPP = (torch.cuda.is_available()
            and not os.environ.get("NORM_TORCH_PYTHON_OPS")
            and _cpp.load_shim())

for _name, _cpu, _cuda, _fake in (
        ("rms_norm", _rms_cpu, _rms_cuda, _rms_fake),
        ("rms_norm_backward", _rms_bwd_cpu, _rms_bwd_cuda, _rms_bwd_fake),
        ("layer_norm", _ln_cpu, _ln_cuda, _ln_fake),
        ("layer_norm_backward", _ln_bwd_cpu, _ln_bwd_cuda, _ln_bwd_fake)):
    _DEF.impl(_name, _cpu, "CPU")
    if not _USE_CPP:
        _DEF.impl(_name, _cuda, "CUDA")
    if _HAS_FAKE:
        torch.library.register_fake("norm::" + _name, _fake, lib=_DEF)
    else:  # PyTorch < 2.4 (Debian's 1.13): a Meta kernel (and the same
        # one for AutogradMeta, which has no fallthrough there)
        _DEF.impl(_name, _fake, "Meta")
        _DEF.impl(_name, _fake, "AutogradMeta")


# ---------------------------------------------------------------------------
# Autograd: norm's gradient kernels, only the gradients asked for.
# ---------------------------------------------------------------------------

def _rms_setup(ctx, inputs, output):
    x, weight, residual, eps, offset = inputs
    _, h, rstd = output
    ctx.has_residual = residual is not None
    ctx.has_weight = weight is not None
    ctx.offset = offset
    ctx.save_for_backward(h if residual is not None else x, rstd, weight)


def _rms_backward(ctx, dy, dh, drstd):
    h, rstd, weight = ctx.saved_tensors
    needs = ctx.needs_input_grad
    need_dx = needs[0] or (ctx.has_residual and needs[2])
    need_dw = ctx.has_weight and needs[1]
    if dy is None:
        dy = torch.zeros_like(h)
    dx, dw = torch.ops.norm.rms_norm_backward(dy, h, rstd, weight, ctx.offset,
                                              need_dx, need_dw)
    if ctx.has_residual and dh is not None and dh.numel():
        dx = dx + dh if need_dx else dh
    return (dx if needs[0] else None,
            dw.to(weight.dtype) if need_dw else None,
            dx if ctx.has_residual and needs[2] else None, None, None)


def _ln_setup(ctx, inputs, output):
    x, weight, bias, residual, eps = inputs
    _, h, mean, rstd = output
    ctx.has_residual = residual is not None
    ctx.has_weight = weight is not None
    ctx.has_bias = bias is not None
    ctx.bias_dtype = bias.dtype if bias is not None else None
    ctx.save_for_backward(h if residual is not None else x, mean, rstd, weight)


def _ln_backward(ctx, dy, dh, dmean, drstd):
    h, mean, rstd, weight = ctx.saved_tensors
    needs = ctx.needs_input_grad
    need_dx = needs[0] or (ctx.has_residual and needs[3])
    need_dw = ctx.has_weight and needs[1]
    need_db = ctx.has_bias and needs[2]
    if dy is None:
        dy = torch.zeros_like(h)
    dx, dw, db = torch.ops.norm.layer_norm_backward(
        dy, h, mean, rstd, weight, ctx.has_bias, need_dx, need_dw, need_db)
    if ctx.has_residual and dh is not None and dh.numel():
        dx = dx + dh if need_dx else dh
    return (dx if needs[0] else None,
            dw.to(weight.dtype) if need_dw else None,
            db.to(ctx.bias_dtype) if need_db else None,
            dx if ctx.has_residual and needs[3] else None, None)


# With the C++ ops, autograd is C++ too (csrc/ops.cpp, same formulas).
if _HAS_AUTOGRAD and not _USE_CPP:
    torch.library.register_autograd("norm::rms_norm", _rms_backward,
                                    setup_context=_rms_setup, lib=_DEF)
    torch.library.register_autograd("norm::layer_norm", _ln_backward,
                                    setup_context=_ln_setup, lib=_DEF)


class _RmsFn(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, weight, residual, eps, offset):
        out = torch.ops.norm.rms_norm(x, weight, residual, eps, offset)
        _rms_setup(ctx, (x, weight, residual, eps, offset), out)
        return out

    @staticmethod
    def backward(ctx, dy, dh, drstd):
        return _rms_backward(ctx, dy, dh, drstd)


class _LnFn(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, weight, bias, residual, eps):
        out = torch.ops.norm.layer_norm(x, weight, bias, residual, eps)
        _ln_setup(ctx, (x, weight, bias, residual, eps), out)
        return out

    @staticmethod
    def backward(ctx, dy, dh, dmean, drstd):
        return _ln_backward(ctx, dy, dh, dmean, drstd)


def rms_norm_op(x, weight, residual, eps, offset):
    """The operator, differentiable on every PyTorch version."""
    if _HAS_AUTOGRAD or _USE_CPP:
        return torch.ops.norm.rms_norm(x, weight, residual, eps, offset)
    return _RmsFn.apply(x, weight, residual, eps, offset)


def layer_norm_op(x, weight, bias, residual, eps):
    if _HAS_AUTOGRAD or _USE_CPP:
        return torch.ops.norm.layer_norm(x, weight, bias, residual, eps)
    return _LnFn.apply(x, weight, bias, residual, eps)


if _USE_CPP and _library.default_paths()[0] is not None:
    load()
