//===- NormOps.td - norm dialect ops -----------------------*- tablegen -*-===//
//
// Part of the norm project, under the Apache License v2.0 with LLVM
// Exceptions. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The eight ops of the norm dialect. The model is upstream `linalg.softmax`:
// destination style, results only on tensors, reified result shapes and
// generic memory effects. Operand roles are named and optional operands are
// introduced by a keyword so that the printed form says what each value is.
//
//===----------------------------------------------------------------------===//

#ifndef NORM_DIALECT_NORM_IR_NORMOPS_TD
#define NORM_DIALECT_NORM_IR_NORMOPS_TD

include "norm/Dialect/Norm/IR/NormBase.td"
include "norm/Dialect/Norm/IR/NormAttrs.td"
include "norm/Dialect/Norm/IR/NormInterfaces.td"
include "mlir/Dialect/Linalg/IR/LinalgInterfaces.td"
include "mlir/Interfaces/DestinationStyleOpInterface.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/IR/OpBase.td"

//===----------------------------------------------------------------------===//
// Common pieces
//===----------------------------------------------------------------------===//

// Operand and result constraints are deliberately loose here: the C++
// verifier checks ranks, shapes and element types itself so that every
// message names the operand (`gamma`, `rstd`, ...) instead of `operand #2`.
defvar Norm_Shaped = AnyShaped;
defvar Norm_OptShaped = Optional<AnyShaped>;
// A runtime epsilon: a float scalar of the accumulation type (checked by the
// verifier, which names it).
defvar Norm_OptEpsilon = Optional<AnyType>;

defvar Norm_AxisAttr = DefaultValuedAttr<I64Attr, "-1">;
// Absent means f32 (`getAccumulationType()` resolves it). A TypeAttr cannot
// be DefaultValuedAttr: its default would need a builder in the generated
// builders' default arguments.
defvar Norm_AccTypeAttr = OptionalAttr<TypeAttr>;
defvar Norm_GammaOffsetAttr = DefaultValuedAttr<F64Attr, "0.0">;
defvar Norm_RmsEpsilonAttr = DefaultValuedAttr<F64Attr, "1.0e-6">;
defvar Norm_LayerEpsilonAttr = DefaultValuedAttr<F64Attr, "1.0e-5">;
defvar Norm_RoundingAttr =
    DefaultValuedAttr<Norm_RoundingModeAttr, "::mlir::norm::RoundingMode::Once">;

// `numInputGroups`: how many leading ODS operand groups are inputs; every
// later group is an init (destination). Required inits come first.
// `operandRoles`: one letter per ODS operand group, the shape it has
// relative to `x` (see `OperandRole`): F full shape of x, R per row (the
// leading dims), C per column (the normalized dims), S statistics (leading
// dims + one trailing dim of entries), E a scalar read by every row (the
// runtime epsilon). Tiling and decomposition read it.
class Norm_Op<string mnemonic, int numInputGroups, int numRequiredInits,
              string operandRoles, list<Trait> traits = []>
    : Op<Norm_Dialect, mnemonic, !listconcat([
        AttrSizedOperandSegments,
        DestinationStyleOpInterface,
        DeclareOpInterfaceMethods<ReifyRankedShapedTypeOpInterface,
                                  ["reifyResultShapes"]>,
        DeclareOpInterfaceMethods<MemoryEffectsOpInterface>,
        // Every op decomposes into linalg on tensors (`norm-decompose`,
        // `transform.structured.decompose_interface`).
        DeclareOpInterfaceMethods<AggregatedOpInterface,
                                  ["decomposeOperation"]>,
        Norm_NormOpInterface], traits)> {
  let results = (outs Variadic<AnyRankedTensor>:$result);
  let hasVerifier = 1;
  let hasCanonicalizer = 1;
  let extraClassDeclaration = [{
    /// Number of leading ODS operand groups that are inputs (`ins`).
    static constexpr unsigned kNumInputGroups = }] # numInputGroups # [{;
    /// Number of init groups that are always present (they come first).
    static constexpr unsigned kNumRequiredInits = }] # numRequiredInits # [{;
    /// One `OperandRole` letter per ODS operand group.
    static constexpr ::llvm::StringLiteral kOperandRoles = "}] # operandRoles # [{";

    /// The role of operand `index` (its shape relative to `x`).
    ::mlir::norm::OperandRole getOperandRole(unsigned index) {
      for (unsigned group = 0; group < kOperandRoles.size(); ++group) {
        auto [start, length] = getODSOperandIndexAndLength(group);
        if (index >= start && index < start + length)
          return static_cast<::mlir::norm::OperandRole>(kOperandRoles[group]);
      }
      llvm_unreachable("operand index out of range");
    }

    /// The destination operands: every operand after the inputs.
    ::mlir::MutableOperandRange getDpsInitsMutable() {
      unsigned start = getODSOperandIndexAndLength(kNumInputGroups).first;
      return ::mlir::MutableOperandRange(getOperation(), start,
                                         getNumOperands() - start);
    }
  }];
}

//===----------------------------------------------------------------------===//
// Forward
//===----------------------------------------------------------------------===//

def Norm_RmsNormOp : Norm_Op<"rms_norm", 5, 1, "FCCFEFRF"> {
  let summary = "Root-mean-square normalization (RMSNorm)";
  let description = [{
    Normalizes every row of `x` (the trailing dims from `axis`) by its root
    mean square:

    ```
    h    = x + residual             (rounded to x's type; if residual given)
    rstd = 1 / sqrt(Σ h² / N + epsilon)
    y    = h · rstd · (gamma + gamma_offset) + beta
    ```

    `gamma` and `beta` have the normalized shape of `x`; absent, they are 1
    and 0. `gamma_offset = 1.0` gives Gemma's `x̂·(1+γ)`. `eps`, a scalar
    of `acc_type` (f32 unless set), is a runtime epsilon: given, it is used
    instead of the `epsilon` attribute (which must then be left unset; a
    constant `eps` canonicalizes into the attribute). The optional
    results are computed only when their init is given: `rstd` (per row, in
    `acc_type`) and `residual_out = h` (requires `residual`). `y` may have
    any of f32/f16/bf16 as element type; see the dialect docs for rounding.

    ```mlir
    %y, %rstd, %h = norm.rms_norm ins(%x : tensor<?x4096xbf16>)
        gamma(%w : tensor<4096xbf16>) residual(%r : tensor<?x4096xbf16>)
        outs(%y0 : tensor<?x4096xbf16>) rstd(%s0 : tensor<?xf32>)
        residual_out(%h0 : tensor<?x4096xbf16>)
        {epsilon = 1.0e-05 : f64}
        -> tensor<?x4096xbf16>, tensor<?xf32>, tensor<?x4096xbf16>
    ```
  }];
  let arguments = (ins Norm_Shaped:$x, Norm_OptShaped:$gamma,
      Norm_OptShaped:$beta, Norm_OptShaped:$residual, Norm_OptEpsilon:$eps,
      Norm_Shaped:$y, Norm_OptShaped:$rstd, Norm_OptShaped:$residual_out,
      Norm_AxisAttr:$axis, Norm_RmsEpsilonAttr:$epsilon,
      Norm_GammaOffsetAttr:$gamma_offset, Norm_AccTypeAttr:$acc_type,
      Norm_RoundingAttr:$rounding);
  let assemblyFormat = [{
    `ins` `(` $x `:` type($x) `)`
    (`gamma` `(` $gamma^ `:` type($gamma) `)`)?
    (`beta` `(` $beta^ `:` type($beta) `)`)?
    (`residual` `(` $residual^ `:` type($residual) `)`)?
    (`eps` `(` $eps^ `:` type($eps) `)`)?
    `outs` `(` $y `:` type($y) `)`
    (`rstd` `(` $rstd^ `:` type($rstd) `)`)?
    (`residual_out` `(` $residual_out^ `:` type($residual_out) `)`)?
    `` custom<RmsNormAttrs>(attr-dict) `` custom<NormResults>(type($result))
  }];
}

def Norm_LayerNormOp : Norm_Op<"layer_norm", 5, 1, "FCCFEFRRF"> {
  let summary = "Layer normalization (LayerNorm)";
  let description = [{
    Normalizes every row of `x` (the trailing dims from `axis`) to zero mean
    and unit variance:

    ```
    h    = x + residual             (rounded to x's type; if residual given)
    mean = Σ h / N
    var  = Σ (h − mean)² / N        (two-pass, never E[h²] − mean²)
    rstd = 1 / sqrt(var + epsilon)
    y    = (h − mean) · rstd · (gamma + gamma_offset) + beta
    ```

    The optional results `mean`, `rstd` (per row, `acc_type`) and
    `residual_out = h` are computed only when their init is given. `eps` is
    a runtime epsilon, as on `norm.rms_norm`.

    ```mlir
    %y, %mean, %rstd = norm.layer_norm ins(%x : tensor<8x128x768xf16>)
        gamma(%w : tensor<768xf16>) beta(%b : tensor<768xf16>)
        outs(%y0 : tensor<8x128x768xf16>) mean(%m0 : tensor<8x128xf32>)
        rstd(%r0 : tensor<8x128xf32>)
        -> tensor<8x128x768xf16>, tensor<8x128xf32>, tensor<8x128xf32>
    ```
  }];
  let arguments = (ins Norm_Shaped:$x, Norm_OptShaped:$gamma,
      Norm_OptShaped:$beta, Norm_OptShaped:$residual, Norm_OptEpsilon:$eps,
      Norm_Shaped:$y, Norm_OptShaped:$mean, Norm_OptShaped:$rstd,
      Norm_OptShaped:$residual_out,
      Norm_AxisAttr:$axis, Norm_LayerEpsilonAttr:$epsilon,
      Norm_GammaOffsetAttr:$gamma_offset, Norm_AccTypeAttr:$acc_type,
      Norm_RoundingAttr:$rounding);
  let assemblyFormat = [{
    `ins` `(` $x `:` type($x) `)`
    (`gamma` `(` $gamma^ `:` type($gamma) `)`)?
    (`beta` `(` $beta^ `:` type($beta) `)`)?
    (`residual` `(` $residual^ `:` type($residual) `)`)?
    (`eps` `(` $eps^ `:` type($eps) `)`)?
    `outs` `(` $y `:` type($y) `)`
    (`mean` `(` $mean^ `:` type($mean) `)`)?
    (`rstd` `(` $rstd^ `:` type($rstd) `)`)?
    (`residual_out` `(` $residual_out^ `:` type($residual_out) `)`)?
    `` custom<LayerNormAttrs>(attr-dict) `` custom<NormResults>(type($result))
  }];
}

//===----------------------------------------------------------------------===//
// Backward
//===----------------------------------------------------------------------===//

def Norm_RmsNormGradOp : Norm_Op<"rms_norm_grad", 4, 0, "FFRCFCC"> {
  let summary = "Gradients of RMSNorm";
  let description = [{
    Given the output gradient `dy`, the forward input `x` (the normalized
    `h` when the forward had a residual) and the forward's per-row `rstd`:

    ```
    x̂      = x · rstd
    g      = dy · (gamma + gamma_offset)     (dy if there is no gamma)
    dx     = rstd · (g − x̂ · mean(g · x̂))
    dgamma = Σ_rows dy · x̂
    dbeta  = Σ_rows dy
    ```

    Each of `dx`, `dgamma`, `dbeta` is computed only when its init is given
    (like torch's `output_mask`); at least one must be. `dx` has `x`'s type;
    `dgamma`/`dbeta` have the normalized shape and `acc_type` elements, and
    are summed over every leading dimension in a fixed order.

    ```mlir
    %dx, %dw = norm.rms_norm_grad ins(%dy : tensor<?x4096xbf16>,
        %x : tensor<?x4096xbf16>, %rstd : tensor<?xf32>)
        gamma(%w : tensor<4096xbf16>)
        outs dx(%dx0 : tensor<?x4096xbf16>) dgamma(%dw0 : tensor<4096xf32>)
        -> tensor<?x4096xbf16>, tensor<4096xf32>
    ```
  }];
  let arguments = (ins Norm_Shaped:$dy, Norm_Shaped:$x, Norm_Shaped:$rstd,
      Norm_OptShaped:$gamma,
      Norm_OptShaped:$dx, Norm_OptShaped:$dgamma, Norm_OptShaped:$dbeta,
      Norm_AxisAttr:$axis, Norm_GammaOffsetAttr:$gamma_offset,
      Norm_AccTypeAttr:$acc_type);
  let assemblyFormat = [{
    `ins` `(` custom<RmsGradInputs>($dy, type($dy), $x, type($x), $rstd,
                                    type($rstd)) `)`
    (`gamma` `(` $gamma^ `:` type($gamma) `)`)?
    `outs`
    (`dx` `(` $dx^ `:` type($dx) `)`)?
    (`dgamma` `(` $dgamma^ `:` type($dgamma) `)`)?
    (`dbeta` `(` $dbeta^ `:` type($dbeta) `)`)?
    `` custom<RmsNormGradAttrs>(attr-dict) `` custom<NormResults>(type($result))
  }];
}

def Norm_LayerNormGradOp : Norm_Op<"layer_norm_grad", 5, 0, "FFRRCFCC"> {
  let summary = "Gradients of LayerNorm";
  let description = [{
    Given the output gradient `dy`, the forward input `x`, and the forward's
    per-row `mean` and `rstd`:

    ```
    x̂      = (x − mean) · rstd
    g      = dy · (gamma + gamma_offset)     (dy if there is no gamma)
    dx     = rstd · (g − mean(g) − x̂ · mean(g · x̂))
    dgamma = Σ_rows dy · x̂
    dbeta  = Σ_rows dy
    ```

    Each of `dx`, `dgamma`, `dbeta` is computed only when its init is given;
    at least one must be.

    ```mlir
    %dx, %dw, %db = norm.layer_norm_grad ins(%dy : tensor<16x768xf32>,
        %x : tensor<16x768xf32>, %mean : tensor<16xf32>,
        %rstd : tensor<16xf32>) gamma(%w : tensor<768xf32>)
        outs dx(%dx0 : tensor<16x768xf32>) dgamma(%dw0 : tensor<768xf32>)
        dbeta(%db0 : tensor<768xf32>)
        -> tensor<16x768xf32>, tensor<768xf32>, tensor<768xf32>
    ```
  }];
  let arguments = (ins Norm_Shaped:$dy, Norm_Shaped:$x, Norm_Shaped:$mean,
      Norm_Shaped:$rstd, Norm_OptShaped:$gamma,
      Norm_OptShaped:$dx, Norm_OptShaped:$dgamma, Norm_OptShaped:$dbeta,
      Norm_AxisAttr:$axis, Norm_GammaOffsetAttr:$gamma_offset,
      Norm_AccTypeAttr:$acc_type);
  let assemblyFormat = [{
    `ins` `(` custom<LayerGradInputs>($dy, type($dy), $x, type($x), $mean,
                                      type($mean), $rstd, type($rstd)) `)`
    (`gamma` `(` $gamma^ `:` type($gamma) `)`)?
    `outs`
    (`dx` `(` $dx^ `:` type($dx) `)`)?
    (`dgamma` `(` $dgamma^ `:` type($dgamma) `)`)?
    (`dbeta` `(` $dbeta^ `:` type($dbeta) `)`)?
    `` custom<LayerNormGradAttrs>(attr-dict) `` custom<NormResults>(type($result))
  }];
}

//===----------------------------------------------------------------------===//
// Distributed split
//===----------------------------------------------------------------------===//

def Norm_RmsNormPreAllGatherOp : Norm_Op<"rms_norm_pre_all_gather", 2, 1, "FFSF"> {
  let summary = "Per-shard statistics of RMSNorm before an all-gather";
  let description = [{
    `x` is one shard of the normalized dimension (every row, N/P of its
    columns). Reduces each row of the shard to the statistics
    `#norm.stats<count_sumsq>`: `[n_p, Σ h²]`, the shard's element count and
    the sum (not the mean) of the squares, in `acc_type`. `stats` has the
    leading shape of `x` and a last dimension of 2. With a `residual`,
    `h = x + residual` is normalized and returned as `residual_out`.

    Concatenating the stats of the P shards along the last dimension (an
    all-gather) gives the input of `norm.rms_norm_post_all_gather`.

    ```mlir
    %s = norm.rms_norm_pre_all_gather ins(%x : tensor<?x1024xbf16>)
        outs(%s0 : tensor<?x2xf32>)
        {stats_layout = #norm.stats<count_sumsq>} -> tensor<?x2xf32>
    ```
  }];
  let arguments = (ins Norm_Shaped:$x, Norm_OptShaped:$residual,
      Norm_Shaped:$stats, Norm_OptShaped:$residual_out,
      Norm_AxisAttr:$axis, Norm_AccTypeAttr:$acc_type,
      OptionalAttr<Norm_StatsLayoutAttr>:$stats_layout);
  let assemblyFormat = [{
    `ins` `(` $x `:` type($x) `)`
    (`residual` `(` $residual^ `:` type($residual) `)`)?
    `outs` `(` $stats `:` type($stats) `)`
    (`residual_out` `(` $residual_out^ `:` type($residual_out) `)`)?
    `` custom<RmsNormPreAllGatherAttrs>(attr-dict) `` custom<NormResults>(type($result))
  }];
}

def Norm_RmsNormPostAllGatherOp : Norm_Op<"rms_norm_post_all_gather", 5, 1, "FSCCEFR"> {
  let summary = "RMSNorm of a shard from the gathered statistics of all shards";
  let description = [{
    `x` is this device's shard of the rows (the `residual_out` of the pre op
    when it had a residual); `stats` is the concatenation of every shard's
    `#norm.stats<count_sumsq>` entries, last dimension `2·P`. Merges them and
    normalizes the local shard:

    ```
    N    = Σ_p n_p
    rstd = 1 / sqrt(Σ_p sumsq_p / N + epsilon)
    y    = x · rstd · (gamma + gamma_offset) + beta
    ```

    `gamma` and `beta` are this shard's slices; `eps` is a runtime epsilon
    as on `norm.rms_norm`. The chain pre → all-gather → post equals
    `norm.rms_norm` on the full rows.

    ```mlir
    %y = norm.rms_norm_post_all_gather ins(%x : tensor<?x1024xbf16>)
        stats(%s : tensor<?x8xf32>) gamma(%w : tensor<1024xbf16>)
        outs(%y0 : tensor<?x1024xbf16>)
        {stats_layout = #norm.stats<count_sumsq>} -> tensor<?x1024xbf16>
    ```
  }];
  let arguments = (ins Norm_Shaped:$x, Norm_Shaped:$stats,
      Norm_OptShaped:$gamma, Norm_OptShaped:$beta, Norm_OptEpsilon:$eps,
      Norm_Shaped:$y, Norm_OptShaped:$rstd,
      Norm_AxisAttr:$axis, Norm_RmsEpsilonAttr:$epsilon,
      Norm_GammaOffsetAttr:$gamma_offset, Norm_AccTypeAttr:$acc_type,
      Norm_RoundingAttr:$rounding, OptionalAttr<Norm_StatsLayoutAttr>:$stats_layout);
  let assemblyFormat = [{
    `ins` `(` $x `:` type($x) `)`
    `stats` `(` $stats `:` type($stats) `)`
    (`gamma` `(` $gamma^ `:` type($gamma) `)`)?
    (`beta` `(` $beta^ `:` type($beta) `)`)?
    (`eps` `(` $eps^ `:` type($eps) `)`)?
    `outs` `(` $y `:` type($y) `)`
    (`rstd` `(` $rstd^ `:` type($rstd) `)`)?
    `` custom<RmsNormPostAllGatherAttrs>(attr-dict) `` custom<NormResults>(type($result))
  }];
}

def Norm_LayerNormPreAllGatherOp : Norm_Op<"layer_norm_pre_all_gather", 2, 1, "FFSF"> {
  let summary = "Per-shard statistics of LayerNorm before an all-gather";
  let description = [{
    `x` is one shard of the normalized dimension. Reduces each row of the
    shard to `#norm.stats<count_sum_m2>`: `[n_p, Σ h, M2_p]` where
    `M2_p = Σ (h − Σh/n_p)²` is the sum of squared deviations from the
    shard's own mean (computed two-pass). `stats` has the leading shape of
    `x` and a last dimension of 3. With a `residual`, `h = x + residual` is
    normalized and returned as `residual_out`.

    ```mlir
    %s, %h = norm.layer_norm_pre_all_gather ins(%x : tensor<16x384xf32>)
        residual(%r : tensor<16x384xf32>)
        outs(%s0 : tensor<16x3xf32>) residual_out(%h0 : tensor<16x384xf32>)
        {stats_layout = #norm.stats<count_sum_m2>}
        -> tensor<16x3xf32>, tensor<16x384xf32>
    ```
  }];
  let arguments = (ins Norm_Shaped:$x, Norm_OptShaped:$residual,
      Norm_Shaped:$stats, Norm_OptShaped:$residual_out,
      Norm_AxisAttr:$axis, Norm_AccTypeAttr:$acc_type,
      OptionalAttr<Norm_StatsLayoutAttr>:$stats_layout);
  let assemblyFormat = [{
    `ins` `(` $x `:` type($x) `)`
    (`residual` `(` $residual^ `:` type($residual) `)`)?
    `outs` `(` $stats `:` type($stats) `)`
    (`residual_out` `(` $residual_out^ `:` type($residual_out) `)`)?
    `` custom<LayerNormPreAllGatherAttrs>(attr-dict) `` custom<NormResults>(type($result))
  }];
}

def Norm_LayerNormPostAllGatherOp
    : Norm_Op<"layer_norm_post_all_gather", 5, 1, "FSCCEFRR"> {
  let summary = "LayerNorm of a shard from the gathered statistics of all shards";
  let description = [{
    `stats` is the concatenation of every shard's `#norm.stats<count_sum_m2>`
    entries, last dimension `3·P`. The shards merge without cancellation
    (Chan et al.):

    ```
    N    = Σ_p n_p
    mean = Σ_p sum_p / N
    M2   = Σ_p M2_p + Σ_p n_p · (sum_p / n_p − mean)²
    rstd = 1 / sqrt(M2 / N + epsilon)
    y    = (x − mean) · rstd · (gamma + gamma_offset) + beta
    ```

    `eps` is a runtime epsilon, as on `norm.rms_norm`.

    ```mlir
    %y, %mean, %rstd = norm.layer_norm_post_all_gather
        ins(%x : tensor<16x384xf32>) stats(%s : tensor<16x6xf32>)
        gamma(%w : tensor<384xf32>) beta(%b : tensor<384xf32>)
        outs(%y0 : tensor<16x384xf32>) mean(%m0 : tensor<16xf32>)
        rstd(%r0 : tensor<16xf32>)
        {stats_layout = #norm.stats<count_sum_m2>}
        -> tensor<16x384xf32>, tensor<16xf32>, tensor<16xf32>
    ```
  }];
  let arguments = (ins Norm_Shaped:$x, Norm_Shaped:$stats,
      Norm_OptShaped:$gamma, Norm_OptShaped:$beta, Norm_OptEpsilon:$eps,
      Norm_Shaped:$y, Norm_OptShaped:$mean, Norm_OptShaped:$rstd,
      Norm_AxisAttr:$axis, Norm_LayerEpsilonAttr:$epsilon,
      Norm_GammaOffsetAttr:$gamma_offset, Norm_AccTypeAttr:$acc_type,
      Norm_RoundingAttr:$rounding, OptionalAttr<Norm_StatsLayoutAttr>:$stats_layout);
  let assemblyFormat = [{
    `ins` `(` $x `:` type($x) `)`
    `stats` `(` $stats `:` type($stats) `)`
    (`gamma` `(` $gamma^ `:` type($gamma) `)`)?
    (`beta` `(` $beta^ `:` type($beta) `)`)?
    (`eps` `(` $eps^ `:` type($eps) `)`)?
    `outs` `(` $y `:` type($y) `)`
    (`mean` `(` $mean^ `:` type($mean) `)`)?
    (`rstd` `(` $rstd^ `:` type($rstd) `)`)?
    `` custom<LayerNormPostAllGatherAttrs>(attr-dict) `` custom<NormResults>(type($result))
  }];
}

#endif // NORM_DIALECT_NORM_IR_NORMOPS_TD
