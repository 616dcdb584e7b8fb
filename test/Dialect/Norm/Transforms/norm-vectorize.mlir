// RUN: norm-opt %s --norm-tile-rows --norm-decompose --canonicalize --norm-vectorize --canonicalize | FileCheck %s
// RUN: norm-opt %s --norm-tile-rows --norm-decompose --canonicalize --norm-vectorize="vector-width=8" --canonicalize | FileCheck %s --check-prefix=W8
// RUN: %norm_exit norm-opt %s --norm-vectorize="vector-width=0" 2>&1 | FileCheck %s --check-prefix=BAD

// BAD: error: norm-vectorize: vector-width must be positive
// BAD: exit=1

// A row of 100 bf16: Σx² in 16 f32 lanes over the 96-element main loop, the
// 4-element remainder peeled and vectorized on its own, one cross-lane
// reduction; then the normalize loop on vector<16xbf16> and its remainder.
// The residual add is fused into both loops (residual_out is not asked for).
// CHECK-LABEL: func.func @rms_row
//       CHECK:   scf.forall
//       CHECK:     scf.for %{{.+}} = %c0 to %c96 step %c16 iter_args(%{{.+}} = %{{.+}}) -> (tensor<1x16xf32>)
//       CHECK:       vector.transfer_read {{.*}} : tensor<8x100xbf16>, vector<16xbf16>
//       CHECK:       vector.transfer_read {{.*}} : tensor<8x100xbf16>, vector<16xbf16>
//       CHECK:       arith.addf %{{.+}}, %{{.+}} : vector<16xf32>
//       CHECK:       arith.mulf %{{.+}}, %{{.+}} : vector<16xf32>
//       CHECK:     vector<4xf32>
//       CHECK:     vector.reduction <add>, %{{.+}} : vector<16xf32> into f32
//       CHECK:     math.sqrt
//       CHECK:     scf.for %{{.+}} = %c0 to %c96 step %c16
//       CHECK:       arith.truncf %{{.+}} : vector<16xf32> to vector<16xbf16>
//   CHECK-NOT:   linalg.generic
// W8-LABEL: func.func @rms_row
//       W8:     scf.for %{{.+}} = %c0 to %c96 step %c8 iter_args(%{{.+}} = %{{.+}}) -> (tensor<1x8xf32>)
func.func @rms_row(%x: tensor<8x100xbf16>, %res: tensor<8x100xbf16>, %y: tensor<8x100xbf16>) -> tensor<8x100xbf16> {
  %0 = norm.rms_norm ins(%x : tensor<8x100xbf16>) residual(%res : tensor<8x100xbf16>) outs(%y : tensor<8x100xbf16>) -> tensor<8x100xbf16>
  return %0 : tensor<8x100xbf16>
}
