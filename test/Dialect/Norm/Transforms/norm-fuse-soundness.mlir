// RUN: norm-opt %s --norm-fuse -split-input-file | FileCheck %s
// Near misses that an earlier norm-fuse raised into wrong code (issue 23,
// items 1-8): each is almost a norm, and differs from it in a way the
// raised op would not reproduce. Either nothing is raised, or only the
// part that is a norm, with the difference left as written.

// 1. A reshape between two dynamic shapes is not the identity: the view's
// rows are not x's rows. (The count is x's, so raising x would be "right"
// only if the reshape did nothing.)
// CHECK-LABEL: func.func @reshape_dynamic_is_not_identity
// CHECK-NOT: norm.
func.func @reshape_dynamic_is_not_identity(%x: tensor<?x?xf32>, %shape: tensor<2xindex>) -> tensor<?x?xf32> {
  %c0 = arith.constant 0.0 : f32
  %i0 = arith.constant 0 : index
  %i1 = arith.constant 1 : index
  %eps = arith.constant 1.0e-6 : f32
  %v = tensor.reshape %x(%shape) : (tensor<?x?xf32>, tensor<2xindex>) -> tensor<?x?xf32>
  %rows = tensor.dim %x, %i0 : tensor<?x?xf32>
  %cols = tensor.dim %x, %i1 : tensor<?x?xf32>
  %ci = arith.index_cast %cols : index to i64
  %n = arith.sitofp %ci : i64 to f32
  %e = tensor.empty(%rows, %cols) : tensor<?x?xf32>
  %er = tensor.empty(%rows) : tensor<?xf32>
  %sq = arith.mulf %v, %v : tensor<?x?xf32>
  %z = linalg.fill ins(%c0 : f32) outs(%er : tensor<?xf32>) -> tensor<?xf32>
  %s = linalg.reduce ins(%sq : tensor<?x?xf32>) outs(%z : tensor<?xf32>) dimensions = [1]
    (%p: f32, %q: f32) {
      %0 = arith.addf %p, %q : f32
      linalg.yield %0 : f32
    }
  %r = linalg.map ins(%s : tensor<?xf32>) outs(%er : tensor<?xf32>)
    (%a: f32, %unused: f32) {
      %0 = arith.divf %a, %n : f32
      %1 = arith.addf %0, %eps : f32
      %2 = math.rsqrt %1 : f32
      linalg.yield %2 : f32
    }
  %rb = linalg.broadcast ins(%r : tensor<?xf32>) outs(%e : tensor<?x?xf32>) dimensions = [1]
  %y = arith.mulf %v, %rb : tensor<?x?xf32>
  return %y : tensor<?x?xf32>
}

// -----

// 1. The same with tosa.reshape: ?x? to ?x? says nothing about the rows.
// CHECK-LABEL: func.func @tosa_reshape_dynamic_is_not_identity
// CHECK-NOT: norm.
func.func @tosa_reshape_dynamic_is_not_identity(%x: tensor<?x?xf32>) -> tensor<?x?xf32> {
  %c0 = arith.constant 0.0 : f32
  %i0 = arith.constant 0 : index
  %i1 = arith.constant 1 : index
  %eps = arith.constant 1.0e-6 : f32
  %shape = tosa.const_shape {values = dense<[-1, 8]> : tensor<2xindex>} : () -> !tosa.shape<2>
  %v = tosa.reshape %x, %shape : (tensor<?x?xf32>, !tosa.shape<2>) -> tensor<?x?xf32>
  %rows = tensor.dim %x, %i0 : tensor<?x?xf32>
  %cols = tensor.dim %x, %i1 : tensor<?x?xf32>
  %ci = arith.index_cast %cols : index to i64
  %n = arith.sitofp %ci : i64 to f32
  %e = tensor.empty(%rows, %cols) : tensor<?x?xf32>
  %er = tensor.empty(%rows) : tensor<?xf32>
  %sq = arith.mulf %v, %v : tensor<?x?xf32>
  %z = linalg.fill ins(%c0 : f32) outs(%er : tensor<?xf32>) -> tensor<?xf32>
  %s = linalg.reduce ins(%sq : tensor<?x?xf32>) outs(%z : tensor<?xf32>) dimensions = [1]
    (%p: f32, %q: f32) {
      %0 = arith.addf %p, %q : f32
      linalg.yield %0 : f32
    }
  %r = linalg.map ins(%s : tensor<?xf32>) outs(%er : tensor<?xf32>)
    (%a: f32, %unused: f32) {
      %0 = arith.divf %a, %n : f32
      %1 = arith.addf %0, %eps : f32
      %2 = math.rsqrt %1 : f32
      linalg.yield %2 : f32
    }
  %rb = linalg.broadcast ins(%r : tensor<?xf32>) outs(%e : tensor<?x?xf32>) dimensions = [1]
  %y = arith.mulf %v, %rb : tensor<?x?xf32>
  return %y : tensor<?x?xf32>
}

// -----

// 2. The count read from a transposed copy of x: it is x's row count, not
// its row length.
// CHECK-LABEL: func.func @count_from_transpose
// CHECK-NOT: norm.
func.func @count_from_transpose(%x: tensor<?x?xf32>) -> tensor<?x?xf32> {
  %c0 = arith.constant 0.0 : f32
  %i0 = arith.constant 0 : index
  %i1 = arith.constant 1 : index
  %eps = arith.constant 1.0e-6 : f32
  %t = tosa.transpose %x {perms = array<i32: 1, 0>} : (tensor<?x?xf32>) -> tensor<?x?xf32>
  %rows = tensor.dim %x, %i0 : tensor<?x?xf32>
  %cols = tensor.dim %x, %i1 : tensor<?x?xf32>
  %tcols = tensor.dim %t, %i1 : tensor<?x?xf32>
  %ci = arith.index_cast %tcols : index to i64
  %n = arith.sitofp %ci : i64 to f32
  %e = tensor.empty(%rows, %cols) : tensor<?x?xf32>
  %er = tensor.empty(%rows) : tensor<?xf32>
  %sq = arith.mulf %x, %x : tensor<?x?xf32>
  %z = linalg.fill ins(%c0 : f32) outs(%er : tensor<?xf32>) -> tensor<?xf32>
  %s = linalg.reduce ins(%sq : tensor<?x?xf32>) outs(%z : tensor<?xf32>) dimensions = [1]
    (%p: f32, %q: f32) {
      %0 = arith.addf %p, %q : f32
      linalg.yield %0 : f32
    }
  %r = linalg.map ins(%s : tensor<?xf32>) outs(%er : tensor<?xf32>)
    (%a: f32, %unused: f32) {
      %0 = arith.divf %a, %n : f32
      %1 = arith.addf %0, %eps : f32
      %2 = math.rsqrt %1 : f32
      linalg.yield %2 : f32
    }
  %rb = linalg.broadcast ins(%r : tensor<?xf32>) outs(%e : tensor<?x?xf32>) dimensions = [1]
  %y = arith.mulf %x, %rb : tensor<?x?xf32>
  return %y : tensor<?x?xf32>
}

// -----

// 2. x is a slice of %big; the mean divides by the row length of %big.
// Both are ?x?, which says nothing about their runtime sizes.
// CHECK-LABEL: func.func @count_from_slice_source
// CHECK-NOT: norm.
func.func @count_from_slice_source(%big: tensor<?x?xf32>) -> tensor<?x?xf32> {
  %c0 = arith.constant 0.0 : f32
  %i0 = arith.constant 0 : index
  %i1 = arith.constant 1 : index
  %eps = arith.constant 1.0e-6 : f32
  %start = tosa.const_shape {values = dense<[0, 1]> : tensor<2xindex>} : () -> !tosa.shape<2>
  %size = tosa.const_shape {values = dense<[2, 3]> : tensor<2xindex>} : () -> !tosa.shape<2>
  %x = tosa.slice %big, %start, %size : (tensor<?x?xf32>, !tosa.shape<2>, !tosa.shape<2>) -> tensor<?x?xf32>
  %rows = tensor.dim %x, %i0 : tensor<?x?xf32>
  %cols = tensor.dim %x, %i1 : tensor<?x?xf32>
  %bcols = tensor.dim %big, %i1 : tensor<?x?xf32>
  %ci = arith.index_cast %bcols : index to i64
  %n = arith.sitofp %ci : i64 to f32
  %e = tensor.empty(%rows, %cols) : tensor<?x?xf32>
  %er = tensor.empty(%rows) : tensor<?xf32>
  %sq = arith.mulf %x, %x : tensor<?x?xf32>
  %z = linalg.fill ins(%c0 : f32) outs(%er : tensor<?xf32>) -> tensor<?xf32>
  %s = linalg.reduce ins(%sq : tensor<?x?xf32>) outs(%z : tensor<?xf32>) dimensions = [1]
    (%p: f32, %q: f32) {
      %0 = arith.addf %p, %q : f32
      linalg.yield %0 : f32
    }
  %r = linalg.map ins(%s : tensor<?xf32>) outs(%er : tensor<?xf32>)
    (%a: f32, %unused: f32) {
      %0 = arith.divf %a, %n : f32
      %1 = arith.addf %0, %eps : f32
      %2 = math.rsqrt %1 : f32
      linalg.yield %2 : f32
    }
  %rb = linalg.broadcast ins(%r : tensor<?xf32>) outs(%e : tensor<?x?xf32>) dimensions = [1]
  %y = arith.mulf %x, %rb : tensor<?x?xf32>
  return %y : tensor<?x?xf32>
}

// -----

// 3. A count that wraps: 160 truncated to i8 is -96.
// CHECK-LABEL: func.func @count_trunci_wraps
// CHECK-NOT: norm.
func.func @count_trunci_wraps(%x: tensor<4x160xf32>) -> tensor<4x160xf32> {
  %c0 = arith.constant 0.0 : f32
  %eps = arith.constant 1.0e-6 : f32
  %n64 = arith.constant 160 : i64
  %n8 = arith.trunci %n64 : i64 to i8
  %n = arith.sitofp %n8 : i8 to f32
  %e = tensor.empty() : tensor<4x160xf32>
  %er = tensor.empty() : tensor<4xf32>
  %sq = arith.mulf %x, %x : tensor<4x160xf32>
  %z = linalg.fill ins(%c0 : f32) outs(%er : tensor<4xf32>) -> tensor<4xf32>
  %s = linalg.reduce ins(%sq : tensor<4x160xf32>) outs(%z : tensor<4xf32>) dimensions = [1]
    (%p: f32, %q: f32) {
      %0 = arith.addf %p, %q : f32
      linalg.yield %0 : f32
    }
  %r = linalg.map ins(%s : tensor<4xf32>) outs(%er : tensor<4xf32>)
    (%a: f32, %unused: f32) {
      %0 = arith.divf %a, %n : f32
      %1 = arith.addf %0, %eps : f32
      %2 = math.rsqrt %1 : f32
      linalg.yield %2 : f32
    }
  %rb = linalg.broadcast ins(%r : tensor<4xf32>) outs(%e : tensor<4x160xf32>) dimensions = [1]
  %y = arith.mulf %x, %rb : tensor<4x160xf32>
  return %y : tensor<4x160xf32>
}

// -----

// 3. A runtime count narrowed to i8: wraps for rows of 128 or more.
// CHECK-LABEL: func.func @count_dim_trunci
// CHECK-NOT: norm.
func.func @count_dim_trunci(%x: tensor<?x?xf32>) -> tensor<?x?xf32> {
  %c0 = arith.constant 0.0 : f32
  %i0 = arith.constant 0 : index
  %i1 = arith.constant 1 : index
  %eps = arith.constant 1.0e-6 : f32
  %rows = tensor.dim %x, %i0 : tensor<?x?xf32>
  %cols = tensor.dim %x, %i1 : tensor<?x?xf32>
  %ci = arith.index_cast %cols : index to i64
  %c8 = arith.trunci %ci : i64 to i8
  %n = arith.sitofp %c8 : i8 to f32
  %e = tensor.empty(%rows, %cols) : tensor<?x?xf32>
  %er = tensor.empty(%rows) : tensor<?xf32>
  %sq = arith.mulf %x, %x : tensor<?x?xf32>
  %z = linalg.fill ins(%c0 : f32) outs(%er : tensor<?xf32>) -> tensor<?xf32>
  %s = linalg.reduce ins(%sq : tensor<?x?xf32>) outs(%z : tensor<?xf32>) dimensions = [1]
    (%p: f32, %q: f32) {
      %0 = arith.addf %p, %q : f32
      linalg.yield %0 : f32
    }
  %r = linalg.map ins(%s : tensor<?xf32>) outs(%er : tensor<?xf32>)
    (%a: f32, %unused: f32) {
      %0 = arith.divf %a, %n : f32
      %1 = arith.addf %0, %eps : f32
      %2 = math.rsqrt %1 : f32
      linalg.yield %2 : f32
    }
  %rb = linalg.broadcast ins(%r : tensor<?xf32>) outs(%e : tensor<?x?xf32>) dimensions = [1]
  %y = arith.mulf %x, %rb : tensor<?x?xf32>
  return %y : tensor<?x?xf32>
}

// -----

// 4. sqrt(w·w) is |w|, not w: γ = w would keep the signs of w. The norm
// without γ is raised; the |w| factor stays.
// CHECK-LABEL: func.func @sqrt_of_square_is_abs
// CHECK: norm.rms_norm ins(%{{.+}} : tensor<4x32xf32>) outs(
// CHECK: math.sqrt
// CHECK: return
func.func @sqrt_of_square_is_abs(%x: tensor<4x32xf32>, %w: tensor<32xf32>) -> tensor<4x32xf32> {
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
  %xn = arith.mulf %x, %rb : tensor<4x32xf32>
  %wb = linalg.broadcast ins(%w : tensor<32xf32>) outs(%e : tensor<4x32xf32>) dimensions = [0]
  %ww = arith.mulf %wb, %wb : tensor<4x32xf32>
  %aw = math.sqrt %ww : tensor<4x32xf32>
  %y = arith.mulf %xn, %aw : tensor<4x32xf32>
  return %y : tensor<4x32xf32>
}

// -----

// 5. x̂ rounded through f16 and back (fake-quant) in an f32 norm: not a
// rounding the op models. Only x̂ (to f16, rounded once) is raised; the
// widening and the weight multiply stay.
// CHECK-LABEL: func.func @fake_quant_xhat_f16
// CHECK: norm.rms_norm ins(%{{.+}} : tensor<4x32xf32>) outs(%{{.+}} : tensor<4x32xf16>)
// CHECK: arith.extf
// CHECK: arith.mulf
// CHECK: return
func.func @fake_quant_xhat_f16(%x: tensor<4x32xf32>, %w: tensor<32xf32>) -> tensor<4x32xf32> {
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
  %xn = arith.mulf %x, %rb : tensor<4x32xf32>
  %wb = linalg.broadcast ins(%w : tensor<32xf32>) outs(%e : tensor<4x32xf32>) dimensions = [0]
  %q = arith.truncf %xn : tensor<4x32xf32> to tensor<4x32xf16>
  %dq = arith.extf %q : tensor<4x32xf16> to tensor<4x32xf32>
  %y = arith.mulf %dq, %wb : tensor<4x32xf32>
  return %y : tensor<4x32xf32>
}

// -----

// 5. y rounded through bf16 and back in an f32 norm: the norm is raised
// with a bf16 y, the widening stays.
// CHECK-LABEL: func.func @fake_quant_y_bf16
// CHECK: norm.rms_norm ins(%{{.+}} : tensor<4x32xf32>) gamma(%{{.+}} : tensor<32xf32>) outs(%{{.+}} : tensor<4x32xbf16>)
// CHECK: arith.extf
// CHECK: return
func.func @fake_quant_y_bf16(%x: tensor<4x32xf32>, %w: tensor<32xf32>) -> tensor<4x32xf32> {
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
  %xn = arith.mulf %x, %rb : tensor<4x32xf32>
  %wb = linalg.broadcast ins(%w : tensor<32xf32>) outs(%e : tensor<4x32xf32>) dimensions = [0]
  %yf = arith.mulf %xn, %wb : tensor<4x32xf32>
  %q = arith.truncf %yf : tensor<4x32xf32> to tensor<4x32xbf16>
  %y = arith.extf %q : tensor<4x32xbf16> to tensor<4x32xf32>
  return %y : tensor<4x32xf32>
}

// -----

// 6. y scaled by 1.0000009 (an f32 constant that is not 1): the factor
// stays outside the raised op.
// CHECK-LABEL: func.func @gamma_factor_off
// CHECK: norm.rms_norm ins(%{{.+}} : tensor<4x32xf32>) gamma(
// CHECK: arith.mulf
// CHECK: return
func.func @gamma_factor_off(%x: tensor<4x32xf32>, %w: tensor<32xf32>) -> tensor<4x32xf32> {
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
  %xn = arith.mulf %x, %rb : tensor<4x32xf32>
  %wb = linalg.broadcast ins(%w : tensor<32xf32>) outs(%e : tensor<4x32xf32>) dimensions = [0]
  %k = arith.constant dense<1.0000009> : tensor<4x32xf32>
  %y0 = arith.mulf %xn, %wb : tensor<4x32xf32>
  %y = arith.mulf %y0, %k : tensor<4x32xf32>
  return %y : tensor<4x32xf32>
}

// -----

// 6. Without gamma, y scaled by 0.9999995: the factor stays.
// CHECK-LABEL: func.func @no_gamma_factor_off
// CHECK: norm.rms_norm ins(%{{.+}} : tensor<4x32xf32>) outs(
// CHECK: arith.mulf
// CHECK: return
func.func @no_gamma_factor_off(%x: tensor<4x32xf32>, %w: tensor<32xf32>) -> tensor<4x32xf32> {
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
  %xn = arith.mulf %x, %rb : tensor<4x32xf32>
  %wb = linalg.broadcast ins(%w : tensor<32xf32>) outs(%e : tensor<4x32xf32>) dimensions = [0]
  %k = arith.constant dense<0.9999995> : tensor<4x32xf32>
  %y = arith.mulf %xn, %k : tensor<4x32xf32>
  return %y : tensor<4x32xf32>
}

// -----

// 6. rsqrt(u1)² / rsqrt(u2) with eps 1e-6 in u1 and 1.000004e-6 in u2 is
// not rsqrt(u1): the sqrt atoms must not be merged by a rounded key.
// CHECK-LABEL: func.func @eps_keys_collide
// CHECK-NOT: norm.
func.func @eps_keys_collide(%x: tensor<4x32xf32>, %w: tensor<32xf32>) -> tensor<4x32xf32> {
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
  %xn = arith.mulf %x, %rb : tensor<4x32xf32>
  %wb = linalg.broadcast ins(%w : tensor<32xf32>) outs(%e : tensor<4x32xf32>) dimensions = [0]
  %eps2 = arith.constant dense<1.000004e-6> : tensor<4xf32>
  %v2 = arith.addf %m, %eps2 : tensor<4xf32>
  %r2 = math.rsqrt %v2 : tensor<4xf32>
  %rr = arith.mulf %r, %r : tensor<4xf32>
  %rq = arith.divf %rr, %r2 : tensor<4xf32>
  %rqb = linalg.broadcast ins(%rq : tensor<4xf32>) outs(%e : tensor<4x32xf32>) dimensions = [1]
  %y = arith.mulf %x, %rqb : tensor<4x32xf32>
  return %y : tensor<4x32xf32>
}

// -----

// 6. dgamma scaled by 1.000009: the factor stays outside the gradient op.
// CHECK-LABEL: func.func @dgamma_factor_off
// CHECK: %[[G:.+]]:2 = norm.rms_norm_grad
// CHECK: %[[S:.+]] = arith.mulf %[[G]]#1
// CHECK: return %[[G]]#0, %[[S]]
func.func @dgamma_factor_off(%dy: tensor<4x32xf32>, %x: tensor<4x32xf32>, %r: tensor<4x1xf32>, %w: tensor<32xf32>) -> (tensor<4x32xf32>, tensor<32xf32>) {
  %c0 = arith.constant 0.0 : f32
  %inv = arith.constant dense<3.125e-02> : tensor<4xf32>
  %e = tensor.empty() : tensor<4x32xf32>
  %er = tensor.empty() : tensor<4xf32>
  %ec = tensor.empty() : tensor<32xf32>
  %r1 = tensor.collapse_shape %r [[0, 1]] : tensor<4x1xf32> into tensor<4xf32>
  %rb = linalg.broadcast ins(%r1 : tensor<4xf32>) outs(%e : tensor<4x32xf32>) dimensions = [1]
  %wb = linalg.broadcast ins(%w : tensor<32xf32>) outs(%e : tensor<4x32xf32>) dimensions = [0]
  %xhat = arith.mulf %x, %rb : tensor<4x32xf32>
  %g = arith.mulf %dy, %wb : tensor<4x32xf32>
  %gx = arith.mulf %g, %xhat : tensor<4x32xf32>
  %z = linalg.fill ins(%c0 : f32) outs(%er : tensor<4xf32>) -> tensor<4xf32>
  %s = linalg.reduce ins(%gx : tensor<4x32xf32>) outs(%z : tensor<4xf32>) dimensions = [1]
    (%p: f32, %q: f32) {
      %0 = arith.addf %p, %q : f32
      linalg.yield %0 : f32
    }
  %m = arith.mulf %s, %inv : tensor<4xf32>
  %mb = linalg.broadcast ins(%m : tensor<4xf32>) outs(%e : tensor<4x32xf32>) dimensions = [1]
  %t = arith.mulf %xhat, %mb : tensor<4x32xf32>
  %u = arith.subf %g, %t : tensor<4x32xf32>
  %dx = arith.mulf %rb, %u : tensor<4x32xf32>
  %dyx = arith.mulf %dy, %xhat : tensor<4x32xf32>
  %zc = linalg.fill ins(%c0 : f32) outs(%ec : tensor<32xf32>) -> tensor<32xf32>
  %dw0 = linalg.reduce ins(%dyx : tensor<4x32xf32>) outs(%zc : tensor<32xf32>) dimensions = [0]
    (%p: f32, %q: f32) {
      %0 = arith.addf %p, %q : f32
      linalg.yield %0 : f32
    }
  %k = arith.constant dense<1.000009> : tensor<32xf32>
  %dw = arith.mulf %dw0, %k : tensor<32xf32>
  return %dx, %dw : tensor<4x32xf32>, tensor<32xf32>
}

// -----

// 6. dx with 1/N = 0.031250156 (1/32 · (1 + 5e-6)) instead of 1/32: dgamma is raised, dx is not.
// CHECK-LABEL: func.func @dx_count_off
// CHECK: norm.rms_norm_grad
// CHECK-NOT: dx(
// CHECK: return
func.func @dx_count_off(%dy: tensor<4x32xf32>, %x: tensor<4x32xf32>, %r: tensor<4x1xf32>, %w: tensor<32xf32>) -> (tensor<4x32xf32>, tensor<32xf32>) {
  %c0 = arith.constant 0.0 : f32
  %inv = arith.constant dense<3.1250156e-02> : tensor<4xf32>
  %e = tensor.empty() : tensor<4x32xf32>
  %er = tensor.empty() : tensor<4xf32>
  %ec = tensor.empty() : tensor<32xf32>
  %r1 = tensor.collapse_shape %r [[0, 1]] : tensor<4x1xf32> into tensor<4xf32>
  %rb = linalg.broadcast ins(%r1 : tensor<4xf32>) outs(%e : tensor<4x32xf32>) dimensions = [1]
  %wb = linalg.broadcast ins(%w : tensor<32xf32>) outs(%e : tensor<4x32xf32>) dimensions = [0]
  %xhat = arith.mulf %x, %rb : tensor<4x32xf32>
  %g = arith.mulf %dy, %wb : tensor<4x32xf32>
  %gx = arith.mulf %g, %xhat : tensor<4x32xf32>
  %z = linalg.fill ins(%c0 : f32) outs(%er : tensor<4xf32>) -> tensor<4xf32>
  %s = linalg.reduce ins(%gx : tensor<4x32xf32>) outs(%z : tensor<4xf32>) dimensions = [1]
    (%p: f32, %q: f32) {
      %0 = arith.addf %p, %q : f32
      linalg.yield %0 : f32
    }
  %m = arith.mulf %s, %inv : tensor<4xf32>
  %mb = linalg.broadcast ins(%m : tensor<4xf32>) outs(%e : tensor<4x32xf32>) dimensions = [1]
  %t = arith.mulf %xhat, %mb : tensor<4x32xf32>
  %u = arith.subf %g, %t : tensor<4x32xf32>
  %dx = arith.mulf %rb, %u : tensor<4x32xf32>
  %dyx = arith.mulf %dy, %xhat : tensor<4x32xf32>
  %zc = linalg.fill ins(%c0 : f32) outs(%ec : tensor<32xf32>) -> tensor<32xf32>
  %dw = linalg.reduce ins(%dyx : tensor<4x32xf32>) outs(%zc : tensor<32xf32>) dimensions = [0]
    (%p: f32, %q: f32) {
      %0 = arith.addf %p, %q : f32
      linalg.yield %0 : f32
    }
  return %dx, %dw : tensor<4x32xf32>, tensor<32xf32>
}

// -----

// 7. h = a + b in tosa with both ?x64: either may be 1x64 at run time and
// broadcast, so b is not a residual of h's shape. The norm of h is raised; the
// add stays.
// CHECK-LABEL: func.func @residual_runtime_broadcast
// CHECK: norm.rms_norm ins(
// CHECK-NOT: residual(
// CHECK: return
func.func @residual_runtime_broadcast(%a: tensor<?x64xf32>, %b: tensor<?x64xf32>) -> tensor<?x64xf32> {
  %shift = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
  %inv = "tosa.const"() <{values = dense<1.5625e-02> : tensor<1x1xf32>}> : () -> tensor<1x1xf32>
  %eps = "tosa.const"() <{values = dense<1.0e-6> : tensor<1x1xf32>}> : () -> tensor<1x1xf32>
  %h = tosa.add %a, %b : (tensor<?x64xf32>, tensor<?x64xf32>) -> tensor<?x64xf32>
  %sq = tosa.mul %h, %h, %shift : (tensor<?x64xf32>, tensor<?x64xf32>, tensor<1xi8>) -> tensor<?x64xf32>
  %s = tosa.reduce_sum %sq {axis = 1 : i32} : (tensor<?x64xf32>) -> tensor<?x1xf32>
  %m = tosa.mul %s, %inv, %shift : (tensor<?x1xf32>, tensor<1x1xf32>, tensor<1xi8>) -> tensor<?x1xf32>
  %v = tosa.add %m, %eps : (tensor<?x1xf32>, tensor<1x1xf32>) -> tensor<?x1xf32>
  %r = tosa.rsqrt %v : (tensor<?x1xf32>) -> tensor<?x1xf32>
  %y = tosa.mul %h, %r, %shift : (tensor<?x64xf32>, tensor<?x1xf32>, tensor<1xi8>) -> tensor<?x64xf32>
  return %y : tensor<?x64xf32>
}

// -----

// 7. The same with a 1x64 against ?x64.
// CHECK-LABEL: func.func @residual_static_broadcast
// CHECK: norm.rms_norm ins(
// CHECK-NOT: residual(
// CHECK: return
func.func @residual_static_broadcast(%a: tensor<1x64xf32>, %b: tensor<?x64xf32>) -> tensor<?x64xf32> {
  %shift = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
  %inv = "tosa.const"() <{values = dense<1.5625e-02> : tensor<1x1xf32>}> : () -> tensor<1x1xf32>
  %eps = "tosa.const"() <{values = dense<1.0e-6> : tensor<1x1xf32>}> : () -> tensor<1x1xf32>
  %h = tosa.add %a, %b : (tensor<1x64xf32>, tensor<?x64xf32>) -> tensor<?x64xf32>
  %sq = tosa.mul %h, %h, %shift : (tensor<?x64xf32>, tensor<?x64xf32>, tensor<1xi8>) -> tensor<?x64xf32>
  %s = tosa.reduce_sum %sq {axis = 1 : i32} : (tensor<?x64xf32>) -> tensor<?x1xf32>
  %m = tosa.mul %s, %inv, %shift : (tensor<?x1xf32>, tensor<1x1xf32>, tensor<1xi8>) -> tensor<?x1xf32>
  %v = tosa.add %m, %eps : (tensor<?x1xf32>, tensor<1x1xf32>) -> tensor<?x1xf32>
  %r = tosa.rsqrt %v : (tensor<?x1xf32>) -> tensor<?x1xf32>
  %y = tosa.mul %h, %r, %shift : (tensor<?x64xf32>, tensor<?x1xf32>, tensor<1xi8>) -> tensor<?x64xf32>
  return %y : tensor<?x64xf32>
}

// -----

// 8. dx is used (added to a residual gradient) before dgamma is computed:
// the merged gradient op must come before that use (it used to be built at
// dgamma, after it: "operand #0 does not dominate this use").
// CHECK-LABEL: func.func @dx_used_before_dgamma
// CHECK: %[[G:.+]]:2 = norm.rms_norm_grad
// CHECK-SAME: outs dx(%{{.+}} : tensor<4x32xf32>) dgamma(%{{.+}} : tensor<32xf32>)
// CHECK: %[[S:.+]] = arith.addf %[[G]]#0, %{{.+}}
// CHECK: return %[[S]], %[[G]]#1
func.func @dx_used_before_dgamma(%dy: tensor<4x32xf32>, %x: tensor<4x32xf32>, %r: tensor<4x1xf32>, %w: tensor<32xf32>, %gres: tensor<4x32xf32>) -> (tensor<4x32xf32>, tensor<32xf32>) {
  %c0 = arith.constant 0.0 : f32
  %inv = arith.constant dense<3.125e-02> : tensor<4xf32>
  %e = tensor.empty() : tensor<4x32xf32>
  %er = tensor.empty() : tensor<4xf32>
  %r1 = tensor.collapse_shape %r [[0, 1]] : tensor<4x1xf32> into tensor<4xf32>
  %rb = linalg.broadcast ins(%r1 : tensor<4xf32>) outs(%e : tensor<4x32xf32>) dimensions = [1]
  %wb = linalg.broadcast ins(%w : tensor<32xf32>) outs(%e : tensor<4x32xf32>) dimensions = [0]
  %xhat = arith.mulf %x, %rb : tensor<4x32xf32>
  %g = arith.mulf %dy, %wb : tensor<4x32xf32>
  %gx = arith.mulf %g, %xhat : tensor<4x32xf32>
  %z = linalg.fill ins(%c0 : f32) outs(%er : tensor<4xf32>) -> tensor<4xf32>
  %s = linalg.reduce ins(%gx : tensor<4x32xf32>) outs(%z : tensor<4xf32>) dimensions = [1]
    (%p: f32, %q: f32) {
      %0 = arith.addf %p, %q : f32
      linalg.yield %0 : f32
    }
  %m = arith.mulf %s, %inv : tensor<4xf32>
  %mb = linalg.broadcast ins(%m : tensor<4xf32>) outs(%e : tensor<4x32xf32>) dimensions = [1]
  %t = arith.mulf %xhat, %mb : tensor<4x32xf32>
  %u = arith.subf %g, %t : tensor<4x32xf32>
  %dx = arith.mulf %rb, %u : tensor<4x32xf32>
  %dsum = arith.addf %dx, %gres : tensor<4x32xf32>
  %ec = tensor.empty() : tensor<32xf32>
  %dyx = arith.mulf %dy, %xhat : tensor<4x32xf32>
  %zc = linalg.fill ins(%c0 : f32) outs(%ec : tensor<32xf32>) -> tensor<32xf32>
  %dw = linalg.reduce ins(%dyx : tensor<4x32xf32>) outs(%zc : tensor<32xf32>) dimensions = [0]
    (%p: f32, %q: f32) {
      %0 = arith.addf %p, %q : f32
      linalg.yield %0 : f32
    }
  return %dsum, %dw : tensor<4x32xf32>, tensor<32xf32>
}
