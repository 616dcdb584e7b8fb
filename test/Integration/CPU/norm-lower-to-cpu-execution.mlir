// All eight norm ops compiled by norm-lower-to-cpu (row tiles on OpenMP
// threads, vectorized rows) and called from numpy, against a float64
// reference: f32/f16/bf16 × static/dynamic shapes × optional operand and
// result subsets, residual, gamma_offset, Llama rounding, normalized shapes
// of 1 and 2 dims, N = 1, 32, 37, 300, rows of zeros, f16 inputs whose
// squares overflow f16; and pre_all_gather on uneven column shards →
// concatenated stats → post_all_gather equal to the unsplit op (also for
// mean-100 data). Tolerances are written in check_cpu_pipeline.py.
// REQUIRES: cpu-pipeline
// RUN: %numpy_python %S/check_cpu_pipeline.py %norm_obj_root/bin/norm-opt | FileCheck %s
// CHECK-NOT: FAILED
// CHECK: {{[1-9][0-9]*}} passed, 0 failed
