// A bad inherent attribute is one located error that names the op once
// (issue 21.6: it used to read "custom op 'norm.rms_norm' 'norm.rms_norm' op
// attribute ..."), for every op's custom attribute dictionary.
// RUN: %norm_exit norm-opt %s -split-input-file 2>&1 | FileCheck %s
// CHECK-NOT: 'norm.{{[a-z_]+}}' 'norm.
// CHECK: invalid-attr-message.mlir:8:75: error: custom op 'norm.rms_norm' attribute 'axis' failed to satisfy constraint: 64-bit signless integer attribute
func.func @f(%x: tensor<4x8xf32>, %e: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %y = norm.rms_norm ins(%x : tensor<4x8xf32>) outs(%e : tensor<4x8xf32>) {axis = "a"} -> tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// -----

// CHECK: error: custom op 'norm.layer_norm_grad' attribute 'axis' failed to satisfy constraint: 64-bit signless integer attribute
// CHECK-NOT: 'norm.{{[a-z_]+}}' 'norm.
func.func @g(%dy: tensor<4x8xf32>, %x: tensor<4x8xf32>, %m: tensor<4xf32>, %r: tensor<4xf32>, %dx: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %d = norm.layer_norm_grad ins(%dy : tensor<4x8xf32>, %x : tensor<4x8xf32>, %m : tensor<4xf32>, %r : tensor<4xf32>)
      outs dx(%dx : tensor<4x8xf32>) {axis = 1.5 : f64} -> tensor<4x8xf32>
  return %d : tensor<4x8xf32>
}
// CHECK: exit=1
