// A whole 8-layer decoder as a frontend emits it (scripts/gen_decoder.py):
// per layer an RMSNorm, q/k/v projections, per-head QK RMSNorms over
// head_dim, attention with softmax, a residual add, an RMSNorm, a SiLU MLP
// and a residual add; a final RMSNorm. norm-fuse raises every norm (and
// fuses 16 residual adds with residual_out) and leaves softmax, SiLU and
// the matmuls alone.
// RUN: %python %norm_src_root/scripts/gen_decoder.py linalg 8 | norm-opt --norm-fuse | FileCheck %s --check-prefix=LINALG
// RUN: %python %norm_src_root/scripts/gen_decoder.py tosa 8 | norm-opt --norm-fuse | FileCheck %s --check-prefix=TOSA

// LINALG-COUNT-33: norm.rms_norm ins
// LINALG-NOT: norm.rms_norm ins
// LINALG-NOT: rsqrt
// LINALG-NOT: norm.layer_norm

// TOSA-COUNT-17: norm.rms_norm ins
// TOSA-NOT: norm.rms_norm ins
// TOSA-NOT: tosa.rsqrt

// Softmax and SiLU are not touched: their exps are all still there.
// RUN: %python %norm_src_root/scripts/gen_decoder.py linalg 8 | norm-opt --norm-fuse | grep -c "math.exp" | FileCheck %s --check-prefix=EXPS
// RUN: %python %norm_src_root/scripts/gen_decoder.py linalg 8 | norm-opt --norm-fuse | grep -c "residual_out" | FileCheck %s --check-prefix=RESIDUAL
// RUN: %python %norm_src_root/scripts/gen_decoder.py tosa 8 | norm-opt --norm-fuse | grep -c "tosa.exp\|tosa.sigmoid\|tosa.reduce_max" | FileCheck %s --check-prefix=TOSAOPS
// EXPS: 16
// RESIDUAL: 16
// TOSAOPS: 24

// The same decoders as other frontends spell them (issue 16): torch-mlir's
// linalg (generics, keep-dim reductions into 1xSx1 with a constant-0 output
// map, an embedding gather as the first norm's x, f64 eps truncated, GELU),
// and the tosa-to-linalg output of the TOSA model (linalg.reduce +
// expand_shape, broadcasts through constant-0 maps). Every norm is raised
// and every residual add that feeds one is fused.
// RUN: %python %norm_src_root/scripts/gen_decoder.py torch 8 | norm-opt --norm-fuse | FileCheck %s --check-prefix=TORCH
// RUN: %python %norm_src_root/scripts/gen_decoder.py torch 8 | norm-opt --norm-fuse | grep -c "residual_out" | FileCheck %s --check-prefix=RESIDUAL
// RUN: %python %norm_src_root/scripts/gen_decoder.py tosa 8 | norm-opt --pass-pipeline="builtin.module(func.func(tosa-to-linalg-named,tosa-to-linalg,tosa-to-arith,tosa-to-tensor))" | norm-opt --norm-fuse | FileCheck %s --check-prefix=TOSALINALG
// RUN: %python %norm_src_root/scripts/gen_decoder.py tosa 8 | norm-opt --pass-pipeline="builtin.module(func.func(tosa-to-linalg-named,tosa-to-linalg,tosa-to-arith,tosa-to-tensor))" | norm-opt --norm-fuse | grep -c "residual_out" | FileCheck %s --check-prefix=RESIDUAL
// TORCH-COUNT-33: norm.rms_norm ins
// TORCH-NOT: norm.rms_norm ins
// TORCH-NOT: math.rsqrt
// TOSALINALG-COUNT-17: norm.rms_norm ins
// TOSALINALG-NOT: norm.rms_norm ins
// TOSALINALG-NOT: math.rsqrt
