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

// The torch spellings' variants (issue 16): decode rows (1x1x64), N = 96 and
// head_dim 24 with the mean as Σ times a rounded f32 1/N and eps a runtime
// tensor<1xf32> argument, and a bf16 model with f32 upcast in each norm.
// All 33 norms are raised in each, with the eps operand where eps is an
// argument and before_gamma where x̂ is narrowed; --norm-fuse=report has no
// `not raised` remark (every anchor accounted for).
// RUN: %python %norm_src_root/scripts/gen_decoder.py torch 8 1 64 4 | norm-opt --norm-fuse | FileCheck %s --check-prefix=TORCH
// RUN: %python %norm_src_root/scripts/gen_decoder.py torch 8 16 96 4 --recip --eps-arg | norm-opt --norm-fuse | FileCheck %s --check-prefix=EPSARG
// RUN: %python %norm_src_root/scripts/gen_decoder.py torch 8 16 64 4 --bf16 | norm-opt --norm-fuse | FileCheck %s --check-prefix=BF16
// RUN: %python %norm_src_root/scripts/gen_decoder.py torch 8 1 96 4 --bf16 --recip --eps-arg | norm-opt --norm-fuse | grep -c "residual_out" | FileCheck %s --check-prefix=RESIDUAL
// RUN: %python %norm_src_root/scripts/gen_decoder.py torch 8 1 96 4 --bf16 --recip --eps-arg | norm-opt --norm-fuse=report 2>&1 | FileCheck %s --check-prefix=REPORT
// EPSARG-COUNT-33: norm.rms_norm ins({{.*}}) eps(%{{.+}} : f32)
// EPSARG-NOT: norm.rms_norm ins
// EPSARG-NOT: math.rsqrt
// BF16-COUNT-33: norm.rms_norm ins({{.*}} : tensor<1x16x{{[0-9x]+}}xbf16>) {{.*}}rounding = #norm.rounding<before_gamma>
// BF16-NOT: norm.rms_norm ins
// BF16-NOT: math.rsqrt
// REPORT-NOT: not raised
// REPORT-COUNT-33: remark: raised
// REPORT-NOT: not raised
