// rms_norm and layer_norm, decomposed by norm-decompose and lowered with
// upstream passes, run on the CPU and match a float64 numpy reference:
// f32/f16/bf16 × {no operands; gamma+beta+residual; Gemma offset + Llama
// rounding}, N = 37, with a row of zeros.
// REQUIRES: cpu-runner
// RUN: %numpy_python %S/check_decompose.py %norm_obj_root/bin/norm-opt %mlir_runner %mlir_lib_dir | FileCheck %s
// CHECK-NOT: FAILED
// CHECK: 18 passed, 0 failed
