// Issue 17's miscompile: an embedding gather (linalg.generic with
// linalg.index + tensor.extract) + residual add + RMSNorm, as written and
// raised, static (1 and 9 rows) and dynamic rows, under vector-width
// 4/8/16/32 x tile-rows 1/7/64 x parallel on/off (f32) and in f16/bf16,
// against a float64 model.
// REQUIRES: cpu-pipeline
// RUN: %numpy_python %S/check_gather_residual.py %norm_obj_root/bin/norm-opt | FileCheck %s
// CHECK-NOT: FAILED
// CHECK: 208 passed, 0 failed
