// Every op kind of tosa-to-linalg / torch-mlir output that the CPU pipeline
// must lower (issue 17): fpowi, libm math, ipowi, ub.poison, clones,
// pack/unpack, memrefCopy, a gather, a whole TOSA block, strided inputs; linked with the
// documented link line and run against numpy.
// REQUIRES: cpu-pipeline
// RUN: %numpy_python %S/check_op_kinds.py %norm_obj_root/bin/norm-opt | FileCheck %s
// CHECK-NOT: FAILED
// CHECK: 13 passed, 0 failed
