// RUN: norm-opt %s -split-input-file --norm-check-lowered -verify-diagnostics
// RUN: %norm_exit norm-opt %s -split-input-file --norm-check-lowered 2>&1 | FileCheck %s --check-prefix=EXIT
// RUN: %norm_exit norm-opt %s -split-input-file --norm-lower-to-cpu 2>&1 | FileCheck %s --check-prefix=PIPELINE

// EXIT: exit=1
// PIPELINE: error: 'complex.create' was not lowered to LLVM
// PIPELINE: exit=1

// Only LLVM (and builtin, omp) is left: nothing to say.
llvm.func @ok(%a: f32) -> f32 {
  llvm.return %a : f32
}

// -----

// A leftover op is reported where it is, named.
llvm.func @left(%a: f32) -> f32 {
  // expected-error @+1 {{'math.erf' was not lowered to LLVM: the lowered module may hold only ops of the dialects builtin, llvm, omp}}
  %0 = math.erf %a : f32
  llvm.return %0 : f32
}

// -----

// Through the whole pipeline: the complex dialect has no lowering in it, so
// the pipeline fails at the op instead of exiting 0.
func.func @complex_abs(%a: f32, %b: f32) -> f32 {
  // expected-error @+1 {{'complex.create' was not lowered to LLVM}}
  %c = complex.create %a, %b : complex<f32>
  %r = complex.abs %c : complex<f32>
  return %r : f32
}
