"""norm's RMSNorm and LayerNorm for PyTorch (docs/Torch.md).

    import norm_torch
    y = norm_torch.rms_norm(x, weight, eps=1e-6)
    y, h = norm_torch.rms_norm(x, weight, eps=1e-6, residual=r)  # h = x + r
    y = norm_torch.layer_norm(x, weight, bias, eps=1e-5)
    model.norm = norm_torch.RMSNorm.from_torch(model.norm)

The operators are torch.ops.norm.{rms_norm,layer_norm}[_backward]
(torch.library custom ops with autograd and fake implementations, so
torch.compile(fullgraph=True) traces through them). On CUDA they run norm's
kernels compiled ahead of time (scripts/build-torch-lib.sh) on the current
stream; on the CPU, a float32 PyTorch implementation of the same meaning.
"""
import math

import torch

from ._ops import OFFSETS, kernels, layer_norm_op, load, rms_norm_op

__all__ = ["rms_norm", "layer_norm", "RMSNorm", "LayerNorm", "load",
           "kernels", "OFFSETS"]


def _flatten(x, weight, normalized_shape):
    """Norm over the trailing `normalized_shape` dims = over their product
    (row-major): x as [..., N], weight as [N]."""
    if normalized_shape is None:
        return x, weight, None
    k = len(normalized_shape)
    if tuple(x.shape[x.dim() - k:]) != tuple(normalized_shape):
        raise ValueError(f"norm_torch: x's trailing dims {list(x.shape)} do "
                         f"not match normalized_shape {list(normalized_shape)}")
    if k == 1:
        return x, weight, None
    n = math.prod(normalized_shape)
    w = weight.reshape(n) if weight is not None else None
    return x.reshape(*x.shape[:x.dim() - k], n), w, x.shape


def rms_norm(x, weight=None, eps=1e-6, *, residual=None, offset=0.0,
             normalized_shape=None, return_rstd=False):
    """y = (x / sqrt(mean(x²) + eps)) · (weight + offset), over the last dim
    (or the trailing `normalized_shape` dims). With `residual`, the input is
    h = x + residual and (y, h) is returned. offset: 0, or 1 (Gemma).
    `return_rstd` appends rstd (float32, leading shape)."""
    if normalized_shape is not None:
        normalized_shape = tuple(normalized_shape)
    shape = x.shape
    x2, w2, _ = _flatten(x, weight, normalized_shape)
    r2 = residual.reshape(x2.shape) if residual is not None else None
    y, h, rstd = rms_norm_op(x2, w2, r2, float(eps), float(offset))
    out = [y.reshape(shape)]
    if residual is not None:
        out.append(h.reshape(shape))
    if return_rstd:
        out.append(rstd)
    return out[0] if len(out) == 1 else tuple(out)


def layer_norm(x, weight=None, bias=None, eps=1e-5, *, residual=None,
               normalized_shape=None, return_stats=False):
    """y = (x − mean) / sqrt(var + eps) · weight + bias, over the last dim
    (or the trailing `normalized_shape` dims). With `residual`, (y, h) with
    h = x + residual. `return_stats` appends mean and rstd (float32)."""
    if normalized_shape is not None:
        normalized_shape = tuple(normalized_shape)
    shape = x.shape
    x2, w2, _ = _flatten(x, weight, normalized_shape)
    b2 = bias.reshape(-1) if bias is not None and normalized_shape else bias
    r2 = residual.reshape(x2.shape) if residual is not None else None
    y, h, mean, rstd = layer_norm_op(x2, w2, b2, r2, float(eps))
    out = [y.reshape(shape)]
    if residual is not None:
        out.append(h.reshape(shape))
    if return_stats:
        out += [mean, rstd]
    return out[0] if len(out) == 1 else tuple(out)


def _shape(normalized_shape):
    if isinstance(normalized_shape, int):
        return (normalized_shape,)
    return tuple(normalized_shape)


class RMSNorm(torch.nn.Module):
    """A drop-in for torch.nn.RMSNorm (same arguments, parameter names and
    state_dict), plus `offset` (Gemma: weight + 1) and forward(x, residual)
    returning (y, x + residual)."""

    def __init__(self, normalized_shape, eps=None, elementwise_affine=True,
                 device=None, dtype=None, offset=0.0):
        super().__init__()
        self.normalized_shape = _shape(normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        self.offset = offset
        if elementwise_affine:
            self.weight = torch.nn.Parameter(torch.ones(
                self.normalized_shape, device=device, dtype=dtype))
        else:
            self.register_parameter("weight", None)

    @classmethod
    def from_torch(cls, m):
        """A norm_torch.RMSNorm with `m`'s shape, eps and weight (shared)."""
        new = cls(m.normalized_shape, m.eps, m.elementwise_affine)
        if m.elementwise_affine:
            new.weight = m.weight
        return new

    def forward(self, x, residual=None):
        eps = self.eps if self.eps is not None else torch.finfo(x.dtype).eps
        return rms_norm(x, self.weight, eps, residual=residual,
                        offset=self.offset,
                        normalized_shape=self.normalized_shape)

    def extra_repr(self):
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}"
                + (f", offset={self.offset}" if self.offset else ""))


class LayerNorm(torch.nn.Module):
    """A drop-in for torch.nn.LayerNorm (same arguments, parameter names and
    state_dict), plus forward(x, residual) returning (y, x + residual)."""

    def __init__(self, normalized_shape, eps=1e-5, elementwise_affine=True,
                 bias=True, device=None, dtype=None):
        super().__init__()
        self.normalized_shape = _shape(normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        if elementwise_affine:
            self.weight = torch.nn.Parameter(torch.ones(
                self.normalized_shape, device=device, dtype=dtype))
            if bias:
                self.bias = torch.nn.Parameter(torch.zeros(
                    self.normalized_shape, device=device, dtype=dtype))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)

    @classmethod
    def from_torch(cls, m):
        has_bias = getattr(m, "bias", None) is not None
        new = cls(m.normalized_shape, m.eps, m.elementwise_affine,
                  bias=has_bias)
        if m.elementwise_affine:
            new.weight = m.weight
            if has_bias:
                new.bias = m.bias
        return new

    def forward(self, x, residual=None):
        return layer_norm(x, self.weight, self.bias, self.eps,
                          residual=residual,
                          normalized_shape=self.normalized_shape)

    def extra_repr(self):
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}")
