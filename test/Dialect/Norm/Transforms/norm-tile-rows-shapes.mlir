// Gradient shapes that once broke norm-tile-rows / norm-vectorize: dgamma
// static where x is dynamic and the reverse (the partials take the init's
// shape), statically empty rows (left whole; no vectorization of 0 loops),
// rank 3. Each lowers to LLVM.
// RUN: norm-opt %s --norm-lower-to-cpu | FileCheck %s
// CHECK: llvm.func @mix(
// CHECK: llvm.func @mix2(
// CHECK: llvm.func @empty(
// CHECK: llvm.func @rank3(

func.func @mix(%dy: tensor<?x?xf32>, %x: tensor<?x?xf32>, %r: tensor<?xf32>, %dg: tensor<64xf32>) -> tensor<64xf32> {
  %0 = norm.rms_norm_grad ins(%dy : tensor<?x?xf32>, %x : tensor<?x?xf32>, %r : tensor<?xf32>) outs dgamma(%dg : tensor<64xf32>) -> tensor<64xf32>
  return %0 : tensor<64xf32>
}
func.func @mix2(%dy: tensor<?x64xf32>, %x: tensor<?x64xf32>, %r: tensor<?xf32>, %dg: tensor<?xf32>, %dx: tensor<?x64xf32>) -> (tensor<?x64xf32>, tensor<?xf32>) {
  %0:2 = norm.rms_norm_grad ins(%dy : tensor<?x64xf32>, %x : tensor<?x64xf32>, %r : tensor<?xf32>) outs dx(%dx : tensor<?x64xf32>) dgamma(%dg : tensor<?xf32>) -> tensor<?x64xf32>, tensor<?xf32>
  return %0#0, %0#1 : tensor<?x64xf32>, tensor<?xf32>
}
func.func @empty(%dy: tensor<0x64xf32>, %x: tensor<0x64xf32>, %r: tensor<0xf32>, %dg: tensor<64xf32>) -> tensor<64xf32> {
  %0 = norm.rms_norm_grad ins(%dy : tensor<0x64xf32>, %x : tensor<0x64xf32>, %r : tensor<0xf32>) outs dgamma(%dg : tensor<64xf32>) -> tensor<64xf32>
  return %0 : tensor<64xf32>
}
func.func @rank3(%dy: tensor<?x?x64xbf16>, %x: tensor<?x?x64xbf16>, %r: tensor<?x?xf32>, %dg: tensor<64xf32>, %dx: tensor<?x?x64xbf16>) -> (tensor<?x?x64xbf16>, tensor<64xf32>) {
  %0:2 = norm.rms_norm_grad ins(%dy : tensor<?x?x64xbf16>, %x : tensor<?x?x64xbf16>, %r : tensor<?x?xf32>) outs dx(%dx : tensor<?x?x64xbf16>) dgamma(%dg : tensor<64xf32>) -> tensor<?x?x64xbf16>, tensor<64xf32>
  return %0#0, %0#1 : tensor<?x?x64xbf16>, tensor<64xf32>
}
