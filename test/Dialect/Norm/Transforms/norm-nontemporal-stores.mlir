// RUN: norm-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(norm-nontemporal-stores))' | FileCheck %s
// RUN: norm-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(norm-nontemporal-stores{min-bytes=32}))' | FileCheck %s --check-prefix=B32
// RUN: %norm_exit norm-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(norm-nontemporal-stores{min-bytes=0}))' 2>&1 | FileCheck %s --check-prefix=BAD

// BAD: error: norm-nontemporal-stores: min-bytes must be 1 to 4096, got 0
// BAD: exit=1

// A 64-byte store into an argument (through a subview) streams; a 32-byte
// one only with min-bytes=32; stores into a local buffer, masked or
// out-of-bounds writes are left alone.
// CHECK-LABEL: func.func @stores
//       CHECK:   vector.store %{{.+}}, %{{.+}}[%{{.+}}] {nontemporal = true} : memref<16xf32, strided<[1], offset: ?>>, vector<16xf32>
//       CHECK:   vector.transfer_write %{{.+}} : vector<16xbf16>, memref<?x?xbf16>
//       CHECK:   vector.transfer_write %{{.+}} : vector<16xf32>, memref<16xf32>
//       CHECK:   vector.transfer_write %{{.+}}[%{{.+}}, %{{.+}}] : vector<16xf32>, memref<?x?xf32>
//       CHECK:   vector.store %{{.+}}, %{{.+}}[%{{.+}}, %{{.+}}] {nontemporal = true} : memref<?x?xf32>, vector<16xf32>
// B32-LABEL: func.func @stores
//       B32:   vector.store %{{.+}}[%{{.+}}, %{{.+}}] {nontemporal = true} : memref<?x?xbf16>, vector<16xbf16>
func.func @stores(%y: memref<?x?xf32>, %z: memref<?x?xbf16>, %v: vector<16xf32>, %w: vector<16xbf16>, %i: index) {
  %c0 = arith.constant 0 : index
  %s = memref.subview %y[%i, 0] [1, 16] [1, 1] : memref<?x?xf32> to memref<16xf32, strided<[1], offset: ?>>
  vector.transfer_write %v, %s[%c0] {in_bounds = [true]} : vector<16xf32>, memref<16xf32, strided<[1], offset: ?>>
  vector.transfer_write %w, %z[%i, %c0] {in_bounds = [true]} : vector<16xbf16>, memref<?x?xbf16>
  %local = memref.alloca() : memref<16xf32>
  vector.transfer_write %v, %local[%c0] {in_bounds = [true]} : vector<16xf32>, memref<16xf32>
  vector.transfer_write %v, %y[%i, %c0] {in_bounds = [false]} : vector<16xf32>, memref<?x?xf32>
  vector.store %v, %y[%i, %c0] : memref<?x?xf32>, vector<16xf32>
  return
}

// -----

// A strided view (innermost stride 2) is not a contiguous vector store.
// CHECK-LABEL: func.func @strided
//   CHECK-NOT:   nontemporal
func.func @strided(%out: memref<8x64xf32>, %x: vector<16xf32>, %i: index) {
  %c0 = arith.constant 0 : index
  %v = memref.subview %out[0, 0] [8, 32] [1, 2] : memref<8x64xf32> to memref<8x32xf32, strided<[64, 2]>>
  vector.transfer_write %x, %v[%i, %c0] {in_bounds = [true]} : vector<16xf32>, memref<8x32xf32, strided<[64, 2]>>
  return
}
