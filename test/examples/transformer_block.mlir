// The README's example module verifies and canonicalizes as its comments say.
// RUN: norm-opt %norm_src_root/examples/transformer_block.mlir --canonicalize | FileCheck %s

// CHECK-LABEL: func.func @block_forward
//       CHECK:   norm.rms_norm ins(%{{.+}} : tensor<?x4096xbf16>) gamma(%{{.+}} : tensor<4096xbf16>) outs(%{{.+}} : tensor<?x4096xbf16>) {epsilon
//       CHECK:   norm.rms_norm {{.*}} residual(%{{.+}} : tensor<?x4096xbf16>) outs({{.*}}) rstd({{.*}}) residual_out(
// CHECK-LABEL: func.func @block_backward
//       CHECK:   norm.rms_norm_grad
// CHECK-LABEL: func.func @gpt2_final_norm
//   CHECK-NOT:   gamma(
//       CHECK:   norm.layer_norm ins(%{{.+}} : tensor<8x1024x768xf16>) beta(
// CHECK-LABEL: func.func @block_norm_sharded
//       CHECK:   norm.rms_norm_pre_all_gather
//       CHECK:   norm.rms_norm_post_all_gather
