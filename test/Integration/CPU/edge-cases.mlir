// Numerical edge cases of the CPU pipeline against float64 (the cases and
// their documented results: check_edge_cases.py, docs/Hardening.md): rows
// of zeros, eps = 0 on a row of zeros, N = 1, f16/bf16 values whose squares
// overflow their type, bf16 beyond f32's range with acc_type = f64,
// subnormals, NaN and Inf in one element of a row, M = 0, very large rstd
// in backward; rms_norm, layer_norm and both gradients in f32/f16/bf16.
// REQUIRES: cpu-pipeline
// RUN: %numpy_python %S/check_edge_cases.py %norm_obj_root/bin/norm-opt | FileCheck %s
// CHECK-NOT: FAILED
// CHECK: {{[1-9][0-9]*}} passed, 0 failed
