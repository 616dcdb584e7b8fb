// layer_norm f32 on offset data (100 + N(0,1), 3 + N(0,1), 1e4 + 1e-2 N(0,1))
// at N = 1025/4097/16385, static and dynamic, vector-width 1/4/16/32: mean
// and y within a float32 pairwise-summation reference + 1 ulp (issue 23,
// items 19-20).
// REQUIRES: cpu-pipeline
// RUN: %numpy_python %S/check_offset_numerics.py %norm_obj_root/bin/norm-opt | FileCheck %s
// CHECK-NOT: FAILED
// CHECK: 72 passed, 0 failed
