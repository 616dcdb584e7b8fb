// RUN: norm-opt %s --norm-tile-rows --norm-decompose --canonicalize --norm-vectorize --canonicalize | FileCheck %s
// RUN: norm-opt %s --norm-tile-rows --norm-decompose --canonicalize --norm-vectorize="vector-width=8" --canonicalize | FileCheck %s --check-prefix=W8
// RUN: %norm_exit norm-opt %s --norm-vectorize="vector-width=0" 2>&1 | FileCheck %s --check-prefix=BAD

// BAD: error: norm-vectorize: vector-width must be 1 to 1024, got {{-?[0-9]+}}
// BAD: exit=1

// A row of 100 bf16: Σx² in 16 f32 lanes (a loop-carried vector: the
// accumulator's read/write pair is hoisted) over the 96-element main loop, the
// 4-element remainder peeled and vectorized on its own, one cross-lane
// reduction; then the normalize loop on vector<16xbf16> and its remainder.
// The residual add is fused into both loops (residual_out is not asked for).
// CHECK-LABEL: func.func @rms_row
//       CHECK:   scf.forall
//       CHECK:     scf.for %{{.+}} = %c0 to %c96 step %c16 iter_args(%{{.+}} = %{{.+}}) -> (vector<16xf32>)
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
//       W8:     scf.for %{{.+}} = %c0 to %c96 step %c8 iter_args(%{{.+}} = %{{.+}}) -> (vector<8xf32>)
func.func @rms_row(%x: tensor<8x100xbf16>, %res: tensor<8x100xbf16>, %y: tensor<8x100xbf16>) -> tensor<8x100xbf16> {
  %0 = norm.rms_norm ins(%x : tensor<8x100xbf16>) residual(%res : tensor<8x100xbf16>) outs(%y : tensor<8x100xbf16>) -> tensor<8x100xbf16>
  return %0 : tensor<8x100xbf16>
}

// -----

// A row sum whose body reads at linalg.index (an embedding gather fused into
// it, issue 17): the partial-reduction tile offsets the index by the loop's
// induction variable (upstream's partial-reduction tiling does not).
// CHECK-LABEL: func.func @row_sum_with_index
//       CHECK:   scf.for %[[IV:.+]] = %c0 to %c64 step %c16
//       CHECK:     linalg.generic
//       CHECK:       %[[K:.+]] = linalg.index 1 : index
//       CHECK:       %[[J:.+]] = affine.apply #{{.+}}(%[[IV]])[%[[K]]]
//       CHECK:       tensor.extract %{{.+}}[%c7, %[[J]]]
func.func @row_sum_with_index(%t: tensor<50x64xf32>, %a: tensor<1x64xf32>) -> tensor<1xf32> {
  %c0 = arith.constant 0.0 : f32
  %er = tensor.empty() : tensor<1xf32>
  %z = linalg.fill ins(%c0 : f32) outs(%er : tensor<1xf32>) -> tensor<1xf32>
  %s = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]} ins(%a : tensor<1x64xf32>) outs(%z : tensor<1xf32>) {
  ^bb0(%in: f32, %o: f32):
    %k = linalg.index 1 : index
    %c7 = arith.constant 7 : index
    %v = tensor.extract %t[%c7, %k] : tensor<50x64xf32>
    %h = arith.addf %v, %in : f32
    %sq = arith.mulf %h, %h : f32
    %r = arith.addf %o, %sq : f32
    linalg.yield %r : f32
  } -> tensor<1xf32>
  return %s : tensor<1xf32>
}

// -----

// A long row is summed in a cascade (blocks of 16 vector chunks summed from
// zero, then added), not in one serial chain per lane (issue 23, item 20).
// CHECK-LABEL: func.func @long_row
//       CHECK:   scf.for %{{.+}} = %c0 to %c4096 step %c256 iter_args(%[[ACC:.+]] = %{{.+}}) -> (vector<16xf32>)
//       CHECK:     %[[PART:.+]] = scf.for %{{.+}} = %{{.+}} to %{{.+}} step %c16 iter_args(%{{.+}} = %cst{{.*}}) -> (vector<16xf32>)
//       CHECK:     arith.addf %[[ACC]], %[[PART]] : vector<16xf32>
func.func @long_row(%x: tensor<4x4097xf32>, %y0: tensor<4x4097xf32>) -> tensor<4x4097xf32> {
  %y = norm.rms_norm ins(%x : tensor<4x4097xf32>) outs(%y0 : tensor<4x4097xf32>) -> tensor<4x4097xf32>
  return %y : tensor<4x4097xf32>
}
