// Sibling fusion in norm-vectorize: two all-parallel generics over the same
// iteration space (they read one value through the same permutation) become
// one loop; a sibling whose result is used before the later op, or one over
// another space, is left alone.
// RUN: norm-opt %s --norm-vectorize --split-input-file | FileCheck %s

#id = affine_map<(d0) -> (d0)>
// CHECK-LABEL: func.func @fused
//       CHECK:   %{{.+}}:2 = scf.for
//       CHECK:   vector.transfer_read %{{.+}}[%{{.+}}], %{{.+}} {in_bounds = [true]} : tensor<64xf32>, vector<16xf32>
//       CHECK:   arith.mulf
//       CHECK:   arith.addf
//       CHECK:   vector.transfer_write
//       CHECK:   vector.transfer_write
//   CHECK-NOT:   scf.for
//       CHECK:   return
func.func @fused(%x: tensor<64xf32>, %a: tensor<64xf32>, %b: tensor<64xf32>) -> (tensor<64xf32>, tensor<64xf32>) {
  %0 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} ins(%x : tensor<64xf32>) outs(%a : tensor<64xf32>) {
  ^bb0(%in: f32, %out: f32):
    %m = arith.mulf %in, %in : f32
    linalg.yield %m : f32
  } -> tensor<64xf32>
  %1 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} ins(%x : tensor<64xf32>) outs(%b : tensor<64xf32>) {
  ^bb0(%in: f32, %out: f32):
    %s = arith.addf %in, %out : f32
    linalg.yield %s : f32
  } -> tensor<64xf32>
  return %0, %1 : tensor<64xf32>, tensor<64xf32>
}

// -----

#id = affine_map<(d0) -> (d0)>
// The first result feeds the second op's init: not siblings (two loops).
// CHECK-LABEL: func.func @dependent
//       CHECK:   scf.for
//       CHECK:   scf.for
func.func @dependent(%x: tensor<64xf32>, %a: tensor<64xf32>, %y: tensor<64xf32>) -> tensor<64xf32> {
  %0 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} ins(%x : tensor<64xf32>) outs(%a : tensor<64xf32>) {
  ^bb0(%in: f32, %out: f32):
    %m = arith.mulf %in, %in : f32
    linalg.yield %m : f32
  } -> tensor<64xf32>
  %1 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} ins(%y : tensor<64xf32>) outs(%0 : tensor<64xf32>) {
  ^bb0(%in: f32, %out: f32):
    %s = arith.addf %in, %out : f32
    linalg.yield %s : f32
  } -> tensor<64xf32>
  return %1 : tensor<64xf32>
}

// -----

#id = affine_map<(d0) -> (d0)>
// Different iteration spaces (64 and 32 elements): no shared operand, two loops.
// CHECK-LABEL: func.func @other_space
//       CHECK:   scf.for
//       CHECK:   scf.for
func.func @other_space(%x: tensor<64xf32>, %a: tensor<64xf32>, %z: tensor<32xf32>, %b: tensor<32xf32>) -> (tensor<64xf32>, tensor<32xf32>) {
  %0 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} ins(%x : tensor<64xf32>) outs(%a : tensor<64xf32>) {
  ^bb0(%in: f32, %out: f32):
    %m = arith.mulf %in, %in : f32
    linalg.yield %m : f32
  } -> tensor<64xf32>
  %1 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} ins(%z : tensor<32xf32>) outs(%b : tensor<32xf32>) {
  ^bb0(%in: f32, %out: f32):
    %s = arith.addf %in, %out : f32
    linalg.yield %s : f32
  } -> tensor<32xf32>
  return %0, %1 : tensor<64xf32>, tensor<32xf32>
}
