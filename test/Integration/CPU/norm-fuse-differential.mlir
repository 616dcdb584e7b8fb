// Differential test of norm-fuse: every function of the positive lit tests
// (forward in linalg/tosa/arith spellings, residual, QK-norm, dynamic shapes,
// backward graphs) runs through norm-lower-to-cpu as written and after
// norm-fuse, on the same random inputs; outputs must agree within the
// output type's tolerance and the raised module must contain a norm op.
// REQUIRES: cpu-pipeline
// RUN: %numpy_python %S/check_fuse.py %norm_obj_root/bin/norm-opt %norm_src_root/test/Dialect/Norm/Transforms/norm-fuse.mlir %norm_src_root/test/Dialect/Norm/Transforms/norm-fuse-grad.mlir %norm_src_root/test/Dialect/Norm/Transforms/norm-fuse-unit-extent.mlir | FileCheck %s
// The same functions as linalg-fold-unit-extent-dims leaves them (issue 16
// classes 4 and 11: rank-0 statistics, expand_shapes of returned mean/rstd).
// RUN: %numpy_python %S/check_fuse.py %norm_obj_root/bin/norm-opt --before=--linalg-fold-unit-extent-dims %norm_src_root/test/Dialect/Norm/Transforms/norm-fuse.mlir %norm_src_root/test/Dialect/Norm/Transforms/norm-fuse-grad.mlir %norm_src_root/test/Dialect/Norm/Transforms/norm-fuse-unit-extent.mlir | FileCheck %s
// CHECK-NOT: FAILED
// CHECK: {{[1-9][0-9]*}} passed, 0 failed
