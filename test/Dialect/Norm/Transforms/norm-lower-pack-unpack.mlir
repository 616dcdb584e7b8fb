// RUN: norm-opt %s --norm-lower-pack-unpack | FileCheck %s

// CHECK-LABEL: func.func @pack_unpack
//   CHECK-NOT:   linalg.pack
//       CHECK:   tensor.pad
//       CHECK:   tensor.expand_shape
//       CHECK:   linalg.transpose
//   CHECK-NOT:   linalg.unpack
//       CHECK:   linalg.transpose
//       CHECK:   tensor.collapse_shape
//       CHECK:   tensor.extract_slice
func.func @pack_unpack(%x: tensor<8x37xf32>) -> tensor<8x37xf32> {
  %e = tensor.empty() : tensor<2x5x4x8xf32>
  %c0 = arith.constant 0.0 : f32
  %p = linalg.pack %x padding_value(%c0 : f32) inner_dims_pos = [0, 1] inner_tiles = [4, 8] into %e : tensor<8x37xf32> -> tensor<2x5x4x8xf32>
  %e2 = tensor.empty() : tensor<8x37xf32>
  %u = linalg.unpack %p inner_dims_pos = [0, 1] inner_tiles = [4, 8] into %e2 : tensor<2x5x4x8xf32> -> tensor<8x37xf32>
  return %u : tensor<8x37xf32>
}
