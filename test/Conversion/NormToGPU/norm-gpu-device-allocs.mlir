// RUN: norm-opt %s --norm-gpu-device-allocs -split-input-file -verify-diagnostics | FileCheck %s

// Host temporaries become device allocations; allocations inside kernels
// stay as they are.
// CHECK-LABEL: func.func @temporaries
// CHECK:         %[[T:.+]] = gpu.alloc  (%{{.+}}) : memref<?xf32>
// CHECK:         gpu.launch
// CHECK:           memref.alloca() : memref<4xf32>
// CHECK:         gpu.dealloc  %[[T]] : memref<?xf32>
// CHECK-NOT:     memref.alloc(
func.func @temporaries(%m: index) {
  %c1 = arith.constant 1 : index
  %t = memref.alloc(%m) : memref<?xf32>
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %m, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c1, %sy = %c1, %sz = %c1) {
    %s = memref.alloca() : memref<4xf32>
    %c0 = arith.constant 0 : index
    %v = memref.load %s[%c0] : memref<4xf32>
    memref.store %v, %t[%bx] : memref<?xf32>
    gpu.terminator
  }
  memref.dealloc %t : memref<?xf32>
  return
}

// -----

// A loop the GPU mapping did not take would touch device memory from the CPU.
func.func @host_loop(%a: memref<?xf32>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %f = arith.constant 0.0 : f32
  // expected-error @+1 {{parallel loop left on the host (not mapped to a GPU kernel)}}
  scf.parallel (%i) = (%c0) to (%n) step (%c1) {
    memref.store %f, %a[%i] : memref<?xf32>
    scf.reduce
  }
  return
}

// -----

// A host copy between buffers (device memory here) becomes gpu.memcpy; a
// host memcpy of device pointers segfaulted (the split ops' generic path).
// CHECK-LABEL: func.func @host_copy
// CHECK:         %[[T:.+]] = gpu.alloc  (%{{.+}}) : memref<?xf32>
// CHECK:         gpu.memcpy  %[[T]], %arg0 : memref<?xf32>, memref<?xf32>
// CHECK:         gpu.memcpy  %arg1, %[[T]] : memref<?xf32>, memref<?xf32>
// CHECK-NOT:     memref.copy
func.func @host_copy(%a: memref<?xf32>, %b: memref<?xf32>, %n: index) {
  %t = memref.alloc(%n) : memref<?xf32>
  memref.copy %a, %t : memref<?xf32> to memref<?xf32>
  memref.copy %t, %b : memref<?xf32> to memref<?xf32>
  memref.dealloc %t : memref<?xf32>
  return
}

// -----

// A strided copy cannot be one gpu.memcpy: an error, not a host access.
func.func @strided_copy(%a: memref<4x8xf32>, %b: memref<4x4xf32>) {
  %v = memref.subview %a[0, 0] [4, 4] [1, 1]
      : memref<4x8xf32> to memref<4x4xf32, strided<[8, 1]>>
  // expected-error @+1 {{a strided memref.copy on the host}}
  memref.copy %v, %b : memref<4x4xf32, strided<[8, 1]>> to memref<4x4xf32>
  return
}
