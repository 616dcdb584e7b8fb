// Whole models (issues 16, 17): the 2-layer decoders of gen_decoder.py in
// the linalg, tosa, tosa-to-linalg and torch-mlir spellings (embedding
// lookup, QK-norms, attention with softmax, SiLU and GELU MLPs, residuals,
// final norm), compiled as written and raised through norm-lower-to-cpu, run
// on the same inputs, compared with each other and with float64 numpy; the
// raised modules hold every norm and every fused residual add.
// REQUIRES: cpu-pipeline
// RUN: %numpy_python %S/check_decoder.py %norm_obj_root/bin/norm-opt %norm_src_root/scripts/gen_decoder.py | FileCheck %s
// CHECK-NOT: FAILED
// CHECK: 28 passed, 0 failed
