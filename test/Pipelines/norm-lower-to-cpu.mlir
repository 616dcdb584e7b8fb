// norm-lower-to-cpu takes norm ops (and other linalg on tensors) to the LLVM
// dialect: OpenMP for the row loop, vector code, C wrappers, target features.
// RUN: norm-opt %s --norm-lower-to-cpu | FileCheck %s
// RUN: norm-opt %s --norm-lower-to-cpu="parallel=false emit-c-interface=false target-cpu=x86-64-v3 target-features=+avx2" | FileCheck %s --check-prefix=SEQ
// RUN: %norm_exit norm-opt %s --norm-lower-to-cpu="vector-width=0" 2>&1 | FileCheck %s --check-prefix=BAD

// CHECK-LABEL: llvm.func @layer(
//  CHECK-SAME:   target_features = #llvm.target_features<["+avx2", "+fma", "+f16c"]>
//       CHECK:   omp.parallel
//       CHECK:     omp.wsloop
//       CHECK: llvm.func @_mlir_ciface_layer(
// SEQ-LABEL: llvm.func @layer(
//  SEQ-SAME:   target_cpu = "x86-64-v3"
//   SEQ-NOT:   omp.parallel
//   SEQ-NOT: _mlir_ciface_layer
//       SEQ:   llvm.fmul {{.*}} : vector<16xf32>
// BAD: error: norm-lower-to-cpu: vector-width must be 1 to 1024, got {{-?[0-9]+}}
// BAD: exit=1
func.func @layer(%xm: memref<?x?xf16>, %gm: memref<?xf16>, %ym: memref<?x?xf16>) {
  %x = bufferization.to_tensor %xm restrict : memref<?x?xf16> to tensor<?x?xf16>
  %g = bufferization.to_tensor %gm restrict : memref<?xf16> to tensor<?xf16>
  %y0 = bufferization.to_tensor %ym restrict writable : memref<?x?xf16> to tensor<?x?xf16>
  %y = norm.layer_norm ins(%x : tensor<?x?xf16>) gamma(%g : tensor<?xf16>) outs(%y0 : tensor<?x?xf16>) -> tensor<?x?xf16>
  bufferization.materialize_in_destination %y in restrict writable %ym : (tensor<?x?xf16>, memref<?x?xf16>) -> ()
  return
}
