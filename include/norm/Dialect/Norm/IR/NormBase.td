//===- NormBase.td - norm dialect definition ---------------*- tablegen -*-===//
//
// Part of the norm project, under the Apache License v2.0 with LLVM
// Exceptions. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#ifndef NORM_DIALECT_NORM_IR_NORMBASE_TD
#define NORM_DIALECT_NORM_IR_NORMBASE_TD

include "mlir/IR/OpBase.td"

def Norm_Dialect : Dialect {
  let name = "norm";
  let cppNamespace = "::mlir::norm";
  let summary = "Normalization layers (RMSNorm, LayerNorm) as first-class ops";
  let description = [{
    The `norm` dialect holds normalization layers as single ops: the forward
    RMSNorm and LayerNorm, their gradients, and the pre/post-all-gather split
    used when the normalized dimension is sharded across devices.

    Every op is destination-passing (`ins(...) outs(...)`) on ranked tensors
    or memrefs of any rank with static or dynamic sizes. It normalizes over
    the trailing dimensions of `x` starting at `axis` (negative values count
    from the end; the default `-1` is the last dimension). `N` is the product
    of the normalized sizes; a *row* is one index of the leading dimensions.
    Per-row results (`mean`, `rstd`, `stats`) have the leading shape of `x`;
    per-column operands and results (`gamma`, `beta`, `dgamma`, `dbeta`) have
    the normalized shape.

    Optional operands are written with a keyword (`gamma(...)`,
    `residual(...)`); an absent optional *result* means "not computed".

    Arithmetic happens in the accumulation type `acc_type` (f32 by default,
    f64 allowed): f16/bf16 inputs are widened before any arithmetic and
    nothing accumulates in 16 bits. `y` and `dx` are rounded to their element
    type once, at the end, unless `rounding = #norm.rounding<before_gamma>`
    asks for the normalized value to be rounded to `x`'s type before the
    gamma multiply (the Llama / Hugging Face order).

    ```mlir
    %y, %rstd = norm.rms_norm ins(%x : tensor<?x4096xbf16>)
        gamma(%w : tensor<4096xbf16>)
        outs(%y0 : tensor<?x4096xbf16>) rstd(%r0 : tensor<?xf32>)
        -> tensor<?x4096xbf16>, tensor<?xf32>
    ```
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::bufferization::BufferizationDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect",
    "::mlir::memref::MemRefDialect",
    "::mlir::tensor::TensorDialect"
  ];
  let useDefaultAttributePrinterParser = 1;
}

#endif // NORM_DIALECT_NORM_IR_NORMBASE_TD
