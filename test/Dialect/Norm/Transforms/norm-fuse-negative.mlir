// RUN: norm-opt %s --norm-fuse=report -split-input-file -verify-diagnostics | FileCheck %s
// What is not a norm is never raised. Near misses (a sqrt of a sum of
// squares whose expression is not a norm) get a remark naming the step.

// Batch-norm inference: rsqrt of per-channel running statistics, no
// reduction over x.
// CHECK-LABEL: func.func @batch_norm_inference
// CHECK-NOT: norm.
func.func @batch_norm_inference(%x: tensor<8x16xf32>, %mean: tensor<16xf32>, %var: tensor<16xf32>) -> tensor<8x16xf32> {
  %eps = arith.constant dense<1.0e-5> : tensor<16xf32>
  %e = tensor.empty() : tensor<8x16xf32>
  %v = arith.addf %var, %eps : tensor<16xf32>
  %r = math.rsqrt %v : tensor<16xf32>
  %mb = linalg.broadcast ins(%mean : tensor<16xf32>) outs(%e : tensor<8x16xf32>) dimensions = [0]
  %rb = linalg.broadcast ins(%r : tensor<16xf32>) outs(%e : tensor<8x16xf32>) dimensions = [0]
  %d = arith.subf %x, %mb : tensor<8x16xf32>
  %y = arith.mulf %d, %rb : tensor<8x16xf32>
  return %y : tensor<8x16xf32>
}

// -----

// Batch-norm statistics: mean and variance over the batch (dim 0), not over
// the normalized dim.
// CHECK-LABEL: func.func @batch_norm_statistics
// CHECK-NOT: norm.
func.func @batch_norm_statistics(%x: tensor<8x16xf32>) -> tensor<8x16xf32> {
  %c0 = arith.constant 0.0 : f32
  %inv = arith.constant dense<1.25e-01> : tensor<16xf32>
  %eps = arith.constant dense<1.0e-5> : tensor<16xf32>
  %e = tensor.empty() : tensor<8x16xf32>
  %ec = tensor.empty() : tensor<16xf32>
  %z = linalg.fill ins(%c0 : f32) outs(%ec : tensor<16xf32>) -> tensor<16xf32>
  %s = linalg.reduce ins(%x : tensor<8x16xf32>) outs(%z : tensor<16xf32>) dimensions = [0]
    (%p: f32, %q: f32) {
      %0 = arith.addf %p, %q : f32
      linalg.yield %0 : f32
    }
  %mean = arith.mulf %s, %inv : tensor<16xf32>
  %mb = linalg.broadcast ins(%mean : tensor<16xf32>) outs(%e : tensor<8x16xf32>) dimensions = [0]
  %d = arith.subf %x, %mb : tensor<8x16xf32>
  %sq = arith.mulf %d, %d : tensor<8x16xf32>
  %vs = linalg.reduce ins(%sq : tensor<8x16xf32>) outs(%z : tensor<16xf32>) dimensions = [0]
    (%p: f32, %q: f32) {
      %0 = arith.addf %p, %q : f32
      linalg.yield %0 : f32
    }
  %var = arith.mulf %vs, %inv : tensor<16xf32>
  %v = arith.addf %var, %eps : tensor<16xf32>
  %r = math.rsqrt %v : tensor<16xf32>
  %rb = linalg.broadcast ins(%r : tensor<16xf32>) outs(%e : tensor<8x16xf32>) dimensions = [0]
  // expected-remark @+1 {{not raised}}
  %y = arith.mulf %d, %rb : tensor<8x16xf32>
  return %y : tensor<8x16xf32>
}

// -----

// Softmax: a max and a sum of exponentials, no square.
// CHECK-LABEL: func.func @softmax
// CHECK-NOT: norm.
func.func @softmax(%x: tensor<4x32xf32>) -> tensor<4x32xf32> {
  %c0 = arith.constant 0.0 : f32
  %ninf = arith.constant 0xFF800000 : f32
  %e = tensor.empty() : tensor<4x32xf32>
  %er = tensor.empty() : tensor<4xf32>
  %zm = linalg.fill ins(%ninf : f32) outs(%er : tensor<4xf32>) -> tensor<4xf32>
  %m = linalg.reduce ins(%x : tensor<4x32xf32>) outs(%zm : tensor<4xf32>) dimensions = [1]
    (%p: f32, %q: f32) {
      %0 = arith.maximumf %p, %q : f32
      linalg.yield %0 : f32
    }
  %mb = linalg.broadcast ins(%m : tensor<4xf32>) outs(%e : tensor<4x32xf32>) dimensions = [1]
  %d = arith.subf %x, %mb : tensor<4x32xf32>
  %ex = math.exp %d : tensor<4x32xf32>
  %z = linalg.fill ins(%c0 : f32) outs(%er : tensor<4xf32>) -> tensor<4xf32>
  %s = linalg.reduce ins(%ex : tensor<4x32xf32>) outs(%z : tensor<4xf32>) dimensions = [1]
    (%p: f32, %q: f32) {
      %0 = arith.addf %p, %q : f32
      linalg.yield %0 : f32
    }
  %sb = linalg.broadcast ins(%s : tensor<4xf32>) outs(%e : tensor<4x32xf32>) dimensions = [1]
  %y = arith.divf %ex, %sb : tensor<4x32xf32>
  return %y : tensor<4x32xf32>
}

// -----

// An RMS statistic over dim 1 of a rank-3 tensor, broadcast back along it:
// not the trailing dims.
// CHECK-LABEL: func.func @reduce_middle_dim
// CHECK-NOT: norm.
func.func @reduce_middle_dim(%x: tensor<2x8x16xf32>) -> tensor<2x8x16xf32> {
  %c0 = arith.constant 0.0 : f32
  %inv = arith.constant dense<1.25e-01> : tensor<2x16xf32>
  %eps = arith.constant dense<1.0e-6> : tensor<2x16xf32>
  %e = tensor.empty() : tensor<2x8x16xf32>
  %er = tensor.empty() : tensor<2x16xf32>
  %sq = arith.mulf %x, %x : tensor<2x8x16xf32>
  %z = linalg.fill ins(%c0 : f32) outs(%er : tensor<2x16xf32>) -> tensor<2x16xf32>
  %s = linalg.reduce ins(%sq : tensor<2x8x16xf32>) outs(%z : tensor<2x16xf32>) dimensions = [1]
    (%p: f32, %q: f32) {
      %0 = arith.addf %p, %q : f32
      linalg.yield %0 : f32
    }
  %m = arith.mulf %s, %inv : tensor<2x16xf32>
  %v = arith.addf %m, %eps : tensor<2x16xf32>
  %r = math.rsqrt %v : tensor<2x16xf32>
  %rb = linalg.broadcast ins(%r : tensor<2x16xf32>) outs(%e : tensor<2x8x16xf32>) dimensions = [1]
  // expected-remark @+1 {{not raised}}
  %y = arith.mulf %x, %rb : tensor<2x8x16xf32>
  return %y : tensor<2x8x16xf32>
}

// -----

// eps added outside the square root: x / (sqrt(mean(x²)) + eps).
// CHECK-LABEL: func.func @eps_outside_sqrt
// CHECK-NOT: norm.
func.func @eps_outside_sqrt(%x: tensor<4x32xf32>) -> tensor<4x32xf32> {
  %c0 = arith.constant 0.0 : f32
  %inv = arith.constant dense<3.125e-02> : tensor<4xf32>
  %eps = arith.constant dense<1.0e-6> : tensor<4xf32>
  %e = tensor.empty() : tensor<4x32xf32>
  %er = tensor.empty() : tensor<4xf32>
  %sq = arith.mulf %x, %x : tensor<4x32xf32>
  %z = linalg.fill ins(%c0 : f32) outs(%er : tensor<4xf32>) -> tensor<4xf32>
  %s = linalg.reduce ins(%sq : tensor<4x32xf32>) outs(%z : tensor<4xf32>) dimensions = [1]
    (%p: f32, %q: f32) {
      %0 = arith.addf %p, %q : f32
      linalg.yield %0 : f32
    }
  %m = arith.mulf %s, %inv : tensor<4xf32>
  %q = math.sqrt %m : tensor<4xf32>
  %v = arith.addf %q, %eps : tensor<4xf32>
  %vb = linalg.broadcast ins(%v : tensor<4xf32>) outs(%e : tensor<4x32xf32>) dimensions = [1]
  // expected-remark @+1 {{not raised: no 1/sqrt of a row statistic multiplies x}}
  %y = arith.divf %x, %vb : tensor<4x32xf32>
  return %y : tensor<4x32xf32>
}

// -----

// The mean divides by 64 but the row has 32 elements.
// CHECK-LABEL: func.func @wrong_count
// CHECK-NOT: norm.
func.func @wrong_count(%x: tensor<4x32xf32>) -> tensor<4x32xf32> {
  %c0 = arith.constant 0.0 : f32
  %inv = arith.constant dense<1.5625e-02> : tensor<4xf32>
  %eps = arith.constant dense<1.0e-6> : tensor<4xf32>
  %e = tensor.empty() : tensor<4x32xf32>
  %er = tensor.empty() : tensor<4xf32>
  %sq = arith.mulf %x, %x : tensor<4x32xf32>
  %z = linalg.fill ins(%c0 : f32) outs(%er : tensor<4xf32>) -> tensor<4xf32>
  %s = linalg.reduce ins(%sq : tensor<4x32xf32>) outs(%z : tensor<4xf32>) dimensions = [1]
    (%p: f32, %q: f32) {
      %0 = arith.addf %p, %q : f32
      linalg.yield %0 : f32
    }
  %m = arith.mulf %s, %inv : tensor<4xf32>
  %v = arith.addf %m, %eps : tensor<4xf32>
  %r = math.rsqrt %v : tensor<4xf32>
  %rb = linalg.broadcast ins(%r : tensor<4xf32>) outs(%e : tensor<4x32xf32>) dimensions = [1]
  // expected-remark @+1 {{not raised: the statistic under the sqrt is not the mean square of x}}
  %y = arith.mulf %x, %rb : tensor<4x32xf32>
  return %y : tensor<4x32xf32>
}

// -----

// x² is also returned: the norm op cannot provide it.
// CHECK-LABEL: func.func @intermediate_used_outside
// CHECK-NOT: norm.
func.func @intermediate_used_outside(%x: tensor<4x32xf32>) -> (tensor<4x32xf32>, tensor<4x32xf32>) {
  %c0 = arith.constant 0.0 : f32
  %inv = arith.constant dense<3.125e-02> : tensor<4xf32>
  %eps = arith.constant dense<1.0e-6> : tensor<4xf32>
  %e = tensor.empty() : tensor<4x32xf32>
  %er = tensor.empty() : tensor<4xf32>
  %sq = arith.mulf %x, %x : tensor<4x32xf32>
  %z = linalg.fill ins(%c0 : f32) outs(%er : tensor<4xf32>) -> tensor<4xf32>
  %s = linalg.reduce ins(%sq : tensor<4x32xf32>) outs(%z : tensor<4xf32>) dimensions = [1]
    (%p: f32, %q: f32) {
      %0 = arith.addf %p, %q : f32
      linalg.yield %0 : f32
    }
  %m = arith.mulf %s, %inv : tensor<4xf32>
  %v = arith.addf %m, %eps : tensor<4xf32>
  %r = math.rsqrt %v : tensor<4xf32>
  %rb = linalg.broadcast ins(%r : tensor<4xf32>) outs(%e : tensor<4x32xf32>) dimensions = [1]
  // expected-remark @+1 {{not raised: the intermediate}}
  %y = arith.mulf %x, %rb : tensor<4x32xf32>
  return %y, %sq : tensor<4x32xf32>, tensor<4x32xf32>
}

// -----

// Mean of squares but no rsqrt: x · mean(x²) is not a norm.
// CHECK-LABEL: func.func @no_rsqrt
// CHECK-NOT: norm.
func.func @no_rsqrt(%x: tensor<4x32xf32>) -> tensor<4x32xf32> {
  %c0 = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x32xf32>
  %er = tensor.empty() : tensor<4xf32>
  %sq = arith.mulf %x, %x : tensor<4x32xf32>
  %z = linalg.fill ins(%c0 : f32) outs(%er : tensor<4xf32>) -> tensor<4xf32>
  %s = linalg.reduce ins(%sq : tensor<4x32xf32>) outs(%z : tensor<4xf32>) dimensions = [1]
    (%p: f32, %q: f32) {
      %0 = arith.addf %p, %q : f32
      linalg.yield %0 : f32
    }
  %sb = linalg.broadcast ins(%s : tensor<4xf32>) outs(%e : tensor<4x32xf32>) dimensions = [1]
  // expected-remark @+1 {{not raised: no 1/sqrt of a row statistic multiplies x}}
  %y = arith.mulf %x, %sb : tensor<4x32xf32>
  return %y : tensor<4x32xf32>
}

// -----

// A runtime eps added twice (2·eps): not one runtime value, so not the op's
// eps operand (one runtime eps is raised: norm-fuse-frontends.mlir).
// CHECK-LABEL: func.func @runtime_eps
// CHECK-NOT: norm.
func.func @runtime_eps(%x: tensor<4x32xf32>, %eps: f32) -> tensor<4x32xf32> {
  %c0 = arith.constant 0.0 : f32
  %inv = arith.constant 3.125e-02 : f32
  %e = tensor.empty() : tensor<4x32xf32>
  %er = tensor.empty() : tensor<4xf32>
  %sq = arith.mulf %x, %x : tensor<4x32xf32>
  %z = linalg.fill ins(%c0 : f32) outs(%er : tensor<4xf32>) -> tensor<4xf32>
  %s = linalg.reduce ins(%sq : tensor<4x32xf32>) outs(%z : tensor<4xf32>) dimensions = [1]
    (%p: f32, %q: f32) {
      %0 = arith.addf %p, %q : f32
      linalg.yield %0 : f32
    }
  %r = linalg.map ins(%s : tensor<4xf32>) outs(%er : tensor<4xf32>)
    (%a: f32, %unused: f32) {
      %0 = arith.mulf %a, %inv : f32
      %e1 = arith.addf %0, %eps : f32
      %1 = arith.addf %e1, %eps : f32
      %2 = math.rsqrt %1 : f32
      linalg.yield %2 : f32
    }
  %rb = linalg.broadcast ins(%r : tensor<4xf32>) outs(%e : tensor<4x32xf32>) dimensions = [1]
  // expected-remark @+1 {{not raised: eps is a runtime expression, not one runtime value added once}}
  %y = arith.mulf %x, %rb : tensor<4x32xf32>
  return %y : tensor<4x32xf32>
}

// -----

// Issue 23, item 8: a dx graph (rank 3, normalized over dim 2) next to a
// reduction of dy over dim 0 only. That sum is not a dbeta of this norm; the
// gradient op built for it failed its own verifier, and the error landed on
// the user's linalg.reduce. Now the op is verified before it replaces
// anything, and it is dropped with a remark.
// CHECK-LABEL: func.func @dbeta_over_dim0_only
// CHECK: norm.rms_norm_grad
// CHECK-NOT: dbeta(
// CHECK: linalg.reduce
// CHECK: return
func.func @dbeta_over_dim0_only(%dy: tensor<2x4x32xf32>, %x: tensor<2x4x32xf32>, %r: tensor<2x4xf32>, %w: tensor<32xf32>) -> (tensor<2x4x32xf32>, tensor<4x32xf32>) {
  %c0 = arith.constant 0.0 : f32
  %inv = arith.constant dense<3.125e-02> : tensor<2x4xf32>
  %e = tensor.empty() : tensor<2x4x32xf32>
  %er = tensor.empty() : tensor<2x4xf32>
  %rb = linalg.broadcast ins(%r : tensor<2x4xf32>) outs(%e : tensor<2x4x32xf32>) dimensions = [2]
  %wb = linalg.broadcast ins(%w : tensor<32xf32>) outs(%e : tensor<2x4x32xf32>) dimensions = [0, 1]
  %xhat = arith.mulf %x, %rb : tensor<2x4x32xf32>
  %g = arith.mulf %dy, %wb : tensor<2x4x32xf32>
  %gx = arith.mulf %g, %xhat : tensor<2x4x32xf32>
  %z = linalg.fill ins(%c0 : f32) outs(%er : tensor<2x4xf32>) -> tensor<2x4xf32>
  %s = linalg.reduce ins(%gx : tensor<2x4x32xf32>) outs(%z : tensor<2x4xf32>) dimensions = [2]
    (%p: f32, %q: f32) {
      %0 = arith.addf %p, %q : f32
      linalg.yield %0 : f32
    }
  %m = arith.mulf %s, %inv : tensor<2x4xf32>
  %mb = linalg.broadcast ins(%m : tensor<2x4xf32>) outs(%e : tensor<2x4x32xf32>) dimensions = [2]
  %t = arith.mulf %xhat, %mb : tensor<2x4x32xf32>
  %u = arith.subf %g, %t : tensor<2x4x32xf32>
  // expected-remark @+1 {{raised dx into norm.rms_norm_grad}}
  %dx = arith.mulf %rb, %u : tensor<2x4x32xf32>
  %eb = tensor.empty() : tensor<4x32xf32>
  %zb = linalg.fill ins(%c0 : f32) outs(%eb : tensor<4x32xf32>) -> tensor<4x32xf32>
  // expected-remark @+1 {{not raised: the gradient op would not verify}}
  %db = linalg.reduce ins(%dy : tensor<2x4x32xf32>) outs(%zb : tensor<4x32xf32>) dimensions = [0]
    (%p: f32, %q: f32) {
      %0 = arith.addf %p, %q : f32
      linalg.yield %0 : f32
    }
  return %dx, %db : tensor<2x4x32xf32>, tensor<4x32xf32>
}

// -----

// RMSNorm computed entirely in bf16: x², Σ, the mean, rsqrt and x·rstd each
// round to bf16; the op accumulates in f32, so raising it would change the
// numbers.
// CHECK-LABEL: func.func @rms_all_bf16
// CHECK-NOT: norm.
func.func @rms_all_bf16(%x: tensor<4x64xbf16>, %w: tensor<64xbf16>) -> tensor<4x64xbf16> {
  %sq = arith.mulf %x, %x : tensor<4x64xbf16>
  %z = arith.constant 0.0 : bf16
  %e = tensor.empty() : tensor<4xbf16>
  %f = linalg.fill ins(%z : bf16) outs(%e : tensor<4xbf16>) -> tensor<4xbf16>
  %s = linalg.reduce ins(%sq : tensor<4x64xbf16>) outs(%f : tensor<4xbf16>) dimensions = [1]
    (%a: bf16, %b: bf16) {
      %t = arith.addf %a, %b : bf16
      linalg.yield %t : bf16
    }
  %eb = tensor.empty() : tensor<4x64xbf16>
  // expected-remark @+1 {{not raised: arith.mulf in bf16 (which rounds its result to bf16)}}
  %y = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>, affine_map<(d0, d1) -> (d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]}
      ins(%x, %s, %w : tensor<4x64xbf16>, tensor<4xbf16>, tensor<64xbf16>) outs(%eb : tensor<4x64xbf16>) {
  ^bb0(%a: bf16, %ss: bf16, %g: bf16, %o: bf16):
    %n = arith.constant 64.0 : bf16
    %eps = arith.constant 1.0e-6 : bf16
    %m = arith.divf %ss, %n : bf16
    %v = arith.addf %m, %eps : bf16
    %r = math.rsqrt %v : bf16
    %xh = arith.mulf %a, %r : bf16
    %q = arith.mulf %xh, %g : bf16
    linalg.yield %q : bf16
  } -> tensor<4x64xbf16>
  return %y : tensor<4x64xbf16>
}

// -----

// rstd narrowed to f16 before it scales x in f16: a rounded statistic.
// CHECK-LABEL: func.func @rms_rstd_narrowed
// CHECK-NOT: norm.
func.func @rms_rstd_narrowed(%x: tensor<4x64xf16>, %w: tensor<64xf16>) -> tensor<4x64xf16> {
  %xf = arith.extf %x : tensor<4x64xf16> to tensor<4x64xf32>
  %sq = arith.mulf %xf, %xf : tensor<4x64xf32>
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4xf32>
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<4xf32>) -> tensor<4xf32>
  %s = linalg.reduce ins(%sq : tensor<4x64xf32>) outs(%f : tensor<4xf32>) dimensions = [1]
    (%a: f32, %b: f32) {
      %t = arith.addf %a, %b : f32
      linalg.yield %t : f32
    }
  %eb = tensor.empty() : tensor<4x64xf16>
  // expected-remark @+1 {{not raised: a narrowing cast to f16}}
  %y = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>, affine_map<(d0, d1) -> (d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]}
      ins(%x, %s, %w : tensor<4x64xf16>, tensor<4xf32>, tensor<64xf16>) outs(%eb : tensor<4x64xf16>) {
  ^bb0(%a: f16, %ss: f32, %g: f16, %o: f16):
    %n = arith.constant 64.0 : f32
    %eps = arith.constant 1.0e-6 : f32
    %m = arith.divf %ss, %n : f32
    %v = arith.addf %m, %eps : f32
    %r = math.rsqrt %v : f32
    %rh = arith.truncf %r : f32 to f16
    %xh = arith.mulf %a, %rh : f16
    %q = arith.mulf %xh, %g : f16
    linalg.yield %q : f16
  } -> tensor<4x64xf16>
  return %y : tensor<4x64xf16>
}

// -----

// Red-team (issue 16 class 7): the term added under the sqrt is an
// expression of runtime values (sqrt(e)), not one value: a near miss, no
// crash (the runtime-eps check read the value of a non-leaf atom).
// CHECK-LABEL: func.func @eps_sqrt
// CHECK-NOT: norm.
func.func @eps_sqrt(%x: tensor<4x32xf32>, %e: f32) -> tensor<4x32xf32> {
  %zero = arith.constant 0.0 : f32
  %er = tensor.empty() : tensor<4xf32>
  %z = linalg.fill ins(%zero : f32) outs(%er : tensor<4xf32>) -> tensor<4xf32>
  %sq = arith.mulf %x, %x : tensor<4x32xf32>
  %s = linalg.reduce ins(%sq : tensor<4x32xf32>) outs(%z : tensor<4xf32>) dimensions = [1]
    (%p: f32, %q: f32) {
      %0 = arith.addf %p, %q : f32
      linalg.yield %0 : f32
    }
  %r = linalg.map ins(%s : tensor<4xf32>) outs(%er : tensor<4xf32>)
    (%a: f32, %unused: f32) {
      %inv = arith.constant 3.125e-02 : f32
      %0 = arith.mulf %a, %inv : f32
      %se = math.sqrt %e : f32
      %1 = arith.addf %0, %se : f32
      %2 = math.rsqrt %1 : f32
      linalg.yield %2 : f32
    }
  %e0 = tensor.empty() : tensor<4x32xf32>
  %rb = linalg.broadcast ins(%r : tensor<4xf32>) outs(%e0 : tensor<4x32xf32>) dimensions = [1]
  // expected-remark @+1 {{not raised: eps is a runtime expression, not one runtime value added once}}
  %y = arith.mulf %x, %rb : tensor<4x32xf32>
  return %y : tensor<4x32xf32>
}

// -----

// The row sum itself added under the sqrt (Σx²/N + Σx²): not an eps.
// CHECK-LABEL: func.func @s_self
// CHECK-NOT: norm.
func.func @s_self(%x: tensor<4x32xf32>) -> tensor<4x32xf32> {
  %zero = arith.constant 0.0 : f32
  %er = tensor.empty() : tensor<4xf32>
  %z = linalg.fill ins(%zero : f32) outs(%er : tensor<4xf32>) -> tensor<4xf32>
  %sq = arith.mulf %x, %x : tensor<4x32xf32>
  %s = linalg.reduce ins(%sq : tensor<4x32xf32>) outs(%z : tensor<4xf32>) dimensions = [1]
    (%p: f32, %q: f32) {
      %0 = arith.addf %p, %q : f32
      linalg.yield %0 : f32
    }
  %inv = arith.constant dense<3.125e-02> : tensor<4xf32>
  %m = arith.mulf %s, %inv : tensor<4xf32>
  %v = arith.addf %m, %s : tensor<4xf32>
  %r = math.rsqrt %v : tensor<4xf32>
  %e = tensor.empty() : tensor<4x32xf32>
  %rb = linalg.broadcast ins(%r : tensor<4xf32>) outs(%e : tensor<4x32xf32>) dimensions = [1]
  // expected-remark @+1 {{not raised: the statistic under the sqrt is not the mean square of x}}
  %y = arith.mulf %x, %rb : tensor<4x32xf32>
  return %y : tensor<4x32xf32>
}
