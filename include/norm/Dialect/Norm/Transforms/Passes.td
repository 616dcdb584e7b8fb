//===- Passes.td - norm dialect passes ---------------------*- tablegen -*-===//
//
// Part of the norm project, under the Apache License v2.0 with LLVM
// Exceptions. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#ifndef NORM_DIALECT_NORM_TRANSFORMS_PASSES_TD
#define NORM_DIALECT_NORM_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def NormDecomposePass : Pass<"norm-decompose"> {
  let summary = "Decompose norm ops into linalg on tensors";
  let description = [{
    Replaces norm ops by the linalg.generic / linalg.fill DAG that their
    `AggregatedOpInterface::decomposeOperation` builds (the same one
    `transform.structured.decompose_interface` uses): inputs widened to the
    accumulation type, reductions accumulated in it, outputs rounded once (or
    in the Llama order). Optional outputs that the op does not return are not
    materialized. Ops on memrefs are left alone: decompose before
    bufferization.

    `filter-ops` restricts the pass to the listed ops, so that a backend can
    keep the norm ops it lowers itself:

    ```mlir
    // norm-opt --norm-decompose="filter-ops=norm.layer_norm"
    %y = norm.rms_norm ins(%x : tensor<8x64xf32>) outs(%e : tensor<8x64xf32>)
        -> tensor<8x64xf32>           // kept
    %z = norm.layer_norm ins(%x : tensor<8x64xf32>) outs(%e : tensor<8x64xf32>)
        -> tensor<8x64xf32>           // becomes linalg.generic ops
    ```

    Today `norm.rms_norm` and `norm.layer_norm` decompose; the gradient and
    split ops are kept until their decompositions land.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect",
    "::mlir::tensor::TensorDialect"
  ];
  let options = [
    ListOption<"filterOps", "filter-ops", "std::string",
               "Decompose only these ops (e.g. norm.rms_norm); all when empty">
  ];
}

#endif // NORM_DIALECT_NORM_TRANSFORMS_PASSES_TD
