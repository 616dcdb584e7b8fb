//===- NormAttrs.td - norm dialect attributes --------------*- tablegen -*-===//
//
// Part of the norm project, under the Apache License v2.0 with LLVM
// Exceptions. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#ifndef NORM_DIALECT_NORM_IR_NORMATTRS_TD
#define NORM_DIALECT_NORM_IR_NORMATTRS_TD

include "norm/Dialect/Norm/IR/NormBase.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/EnumAttr.td"

//===----------------------------------------------------------------------===//
// Rounding order
//===----------------------------------------------------------------------===//

def Norm_RoundingOnce : I32EnumAttrCase<"Once", 0, "once">;
def Norm_RoundingBeforeGamma : I32EnumAttrCase<"BeforeGamma", 1, "before_gamma">;

def Norm_RoundingMode : I32EnumAttr<"RoundingMode",
    "where the output is rounded to its element type",
    [Norm_RoundingOnce, Norm_RoundingBeforeGamma]> {
  let genSpecializedAttr = 0;
  let cppNamespace = "::mlir::norm";
}

def Norm_RoundingModeAttr : EnumAttr<Norm_Dialect, Norm_RoundingMode, "rounding"> {
  let summary = "Where a normalization rounds its output";
  let description = [{
    `#norm.rounding<once>` (the default): the whole expression
    `x̂·(γ+offset)+β` is evaluated in the accumulation type and rounded to the
    output element type once, at the end.

    `#norm.rounding<before_gamma>`: the normalized value `x̂` is rounded to the
    element type of `x` first, then multiplied by `γ+offset` (and `β` added)
    and rounded to the output type. This is the order of the Llama / Hugging
    Face reference code (`weight * hidden.to(input_dtype)`); raising such IR
    into a norm op keeps it.

    ```mlir
    norm.rms_norm ins(%x : tensor<8x64xbf16>) gamma(%w : tensor<64xbf16>)
        outs(%y : tensor<8x64xbf16>)
        {rounding = #norm.rounding<before_gamma>} -> tensor<8x64xbf16>
    ```
  }];
  let assemblyFormat = "`<` $value `>`";
}

//===----------------------------------------------------------------------===//
// Statistics layout of the distributed split
//===----------------------------------------------------------------------===//

def Norm_StatsCountSumSq : I32EnumAttrCase<"CountSumSq", 0, "count_sumsq">;
def Norm_StatsCountSumM2 : I32EnumAttrCase<"CountSumM2", 1, "count_sum_m2">;

def Norm_StatsLayout : I32EnumAttr<"StatsLayout",
    "what one shard's entries of a stats tensor hold",
    [Norm_StatsCountSumSq, Norm_StatsCountSumM2]> {
  let genSpecializedAttr = 0;
  let cppNamespace = "::mlir::norm";
}

def Norm_StatsLayoutAttr : EnumAttr<Norm_Dialect, Norm_StatsLayout, "stats"> {
  let summary = "Layout of the per-row statistics exchanged by the split ops";
  let description = [{
    A stats tensor has the leading shape of `x` plus one trailing dimension.
    Each shard contributes a fixed-size group of entries along that last
    dimension, all in the accumulation type; an all-gather along the last
    dimension concatenates the groups of the P shards in shard order.

    * `#norm.stats<count_sumsq>` (RMSNorm, 2 entries per shard):
      `[n_p, Σ x²]` — the number of elements of the row this shard holds
      (a logical count, never padding) and the *sum* (not the mean) of their
      squares.
    * `#norm.stats<count_sum_m2>` (LayerNorm, 3 entries per shard):
      `[n_p, Σ x, M2_p]` with `M2_p = Σ (x − Σx/n_p)²`, the sum of squared
      deviations from the shard's own mean. Shards merge with Chan et al.'s
      pairwise formula `M2 = Σ M2_p + Σ n_p·(mean_p − mean)²`, which never
      subtracts two large sums of squares and so does not cancel
      catastrophically on data with a large mean.

    ```mlir
    %s = norm.layer_norm_pre_all_gather ins(%x : tensor<8x512xf32>)
        outs(%s0 : tensor<8x3xf32>)
        {stats_layout = #norm.stats<count_sum_m2>} -> tensor<8x3xf32>
    ```
  }];
  let assemblyFormat = "`<` $value `>`";
  let extraClassDeclaration = [{
    /// Number of entries one shard contributes per row.
    unsigned getEntriesPerShard() const;
  }];
}

#endif // NORM_DIALECT_NORM_IR_NORMATTRS_TD
