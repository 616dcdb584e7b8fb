// RUN: norm-opt %s --norm-gpu-entry-points -split-input-file -verify-diagnostics | FileCheck %s
// RUN: norm-opt %s --norm-gpu-entry-points="prefix=my_" -split-input-file -verify-diagnostics | FileCheck %s --check-prefix=PREFIX

// One pointer per memref, then its dynamic sizes in order, then scalars;
// descriptors with offset 0 and row-major strides; the stream set around
// the call and the runtime's error returned. Private and external functions
// get no entry point.
// CHECK-LABEL: func.func @f(
// CHECK-LABEL: func.func @norm_f(
// CHECK-SAME:      %[[S:.+]]: !llvm.ptr, %[[X:.+]]: !llvm.ptr, %[[Y:.+]]: !llvm.ptr, %[[M:.+]]: i64, %[[K:.+]]: i64, %[[E:.+]]: f32) -> i32
// CHECK:         llvm.insertvalue %[[X]], %{{.+}}[0]
// CHECK:         llvm.insertvalue %[[M]], %{{.+}}[3, 0]
// CHECK:         %[[XM:.+]] = builtin.unrealized_conversion_cast %{{.+}} to memref<?x8xf32>
// CHECK:         llvm.insertvalue %[[K]], %{{.+}}[3, 0]
// CHECK:         %[[YM:.+]] = builtin.unrealized_conversion_cast %{{.+}} to memref<?x8xf32>
// Checks before the call: x's address, 16-byte alignment (8 f32 rows are
// two 16-byte vectors), a negative M, the byte count's overflow; the first
// bad pointer is reported and nothing runs.
// CHECK:         %[[XA:.+]] = llvm.ptrtoint %[[X]] : !llvm.ptr to i64
// CHECK:         llvm.icmp "slt" %[[M]]
// CHECK:         llvm.intr.smul.with.overflow
// CHECK:         %[[C15:.+]] = llvm.mlir.constant(15 : i64) : i64
// CHECK:         llvm.and %[[XA]], %[[C15]] : i64
// CHECK:         llvm.ptrtoint %[[Y]] : !llvm.ptr to i64
// CHECK:         llvm.cond_br %{{.+}}, ^[[FAIL:.+]], ^[[GO:.+]]
// CHECK:       ^[[FAIL]]:
// CHECK:         %[[NAME:.+]] = llvm.getelementptr %{{.+}}[0, 0] : (!llvm.ptr) -> !llvm.ptr, !llvm.array<7 x i8>
// CHECK:         %[[CODE:.+]] = call @normGpuBadArgument(%[[NAME]],
// CHECK:         return %[[CODE]] : i32
// CHECK:       ^[[GO]]:
// CHECK:         call @normGpuSetStream(%[[S]])
// CHECK:         call @f(%[[XM]], %[[YM]], %[[E]])
// CHECK:         call @normGpuClearStream()
// CHECK:         %[[ERR:.+]] = call @normGpuTakeError()
// CHECK:         return %[[ERR]] : i32
// CHECK-NOT:     func.func @norm_g
// CHECK-NOT:     func.func @norm_h
// PREFIX:        func.func @my_f(
func.func @f(%x: memref<?x8xf32>, %y: memref<?x8xf32>, %e: f32) {
  return
}
func.func private @g(%x: memref<?x8xf32>) {
  return
}
func.func private @h(%x: memref<?x8xf32>)

// -----

// A name already taken is an error, not a silent overwrite (norm_k with the
// default prefix, my_k with prefix=my_).
// expected-error @+1 {{_k' already exists}}
func.func @k(%x: memref<4xf32>) {
  return
}
func.func @norm_k(%x: memref<4xf32>) {
  return
}
func.func @my_k(%x: memref<4xf32>) {
  return
}
