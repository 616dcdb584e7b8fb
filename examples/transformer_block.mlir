// The norms of one pre-norm transformer decoder block (Llama style, bf16,
// dynamic token count, hidden size 4096), forward and backward, a GPT-2 style
// final LayerNorm, and the tensor-parallel split of the second norm over 4
// shards of the hidden dim, in tensor form (an IR example; it is not run).
//
// The attention and MLP bodies are outside the scope of this example: their
// outputs come in as arguments. The lit test
// test/examples/transformer_block.mlir (part of check-norm) parses, verifies
// and canonicalizes it:
//   norm-opt examples/transformer_block.mlir --canonicalize
// (the unused rstd result is dropped, the all-ones gamma disappears). The
// main job, scripts/run-example.sh, compiles and runs a different file:
// examples/transformer_block_cpu.mlir, the block's forward and backward in
// the memref calling convention of norm-lower-to-cpu.

func.func @block_forward(%x: tensor<?x4096xbf16>, %attn: tensor<?x4096xbf16>,
                         %w_in: tensor<4096xbf16>, %w_post: tensor<4096xbf16>)
    -> (tensor<?x4096xbf16>, tensor<?x4096xbf16>, tensor<?x4096xbf16>, tensor<?xf32>) {
  %c0 = arith.constant 0 : index
  %m = tensor.dim %x, %c0 : tensor<?x4096xbf16>
  %e = tensor.empty(%m) : tensor<?x4096xbf16>
  %r = tensor.empty(%m) : tensor<?xf32>

  // input_layernorm: its rstd is never used, so canonicalization drops it.
  %h_in, %unused_rstd = norm.rms_norm ins(%x : tensor<?x4096xbf16>) gamma(%w_in : tensor<4096xbf16>)
      outs(%e : tensor<?x4096xbf16>) rstd(%r : tensor<?xf32>)
      {epsilon = 1.0e-5 : f64, rounding = #norm.rounding<before_gamma>}
      -> tensor<?x4096xbf16>, tensor<?xf32>

  // post_attention_layernorm, fused with the residual add x + attn(h_in):
  // the sum is returned as residual_out for the next residual connection,
  // and rstd is kept for the backward pass.
  %h_post, %rstd, %sum = norm.rms_norm ins(%attn : tensor<?x4096xbf16>) gamma(%w_post : tensor<4096xbf16>)
      residual(%x : tensor<?x4096xbf16>)
      outs(%e : tensor<?x4096xbf16>) rstd(%r : tensor<?xf32>) residual_out(%e : tensor<?x4096xbf16>)
      {epsilon = 1.0e-5 : f64, rounding = #norm.rounding<before_gamma>}
      -> tensor<?x4096xbf16>, tensor<?xf32>, tensor<?x4096xbf16>
  return %h_in, %h_post, %sum, %rstd : tensor<?x4096xbf16>, tensor<?x4096xbf16>, tensor<?x4096xbf16>, tensor<?xf32>
}

func.func @block_backward(%dy: tensor<?x4096xbf16>, %sum: tensor<?x4096xbf16>, %rstd: tensor<?xf32>,
                          %w_post: tensor<4096xbf16>)
    -> (tensor<?x4096xbf16>, tensor<4096xf32>) {
  %c0 = arith.constant 0 : index
  %m = tensor.dim %dy, %c0 : tensor<?x4096xbf16>
  %dx0 = tensor.empty(%m) : tensor<?x4096xbf16>
  %dw0 = tensor.empty() : tensor<4096xf32>
  %dx, %dw = norm.rms_norm_grad ins(%dy : tensor<?x4096xbf16>, %sum : tensor<?x4096xbf16>, %rstd : tensor<?xf32>)
      gamma(%w_post : tensor<4096xbf16>)
      outs dx(%dx0 : tensor<?x4096xbf16>) dgamma(%dw0 : tensor<4096xf32>)
      -> tensor<?x4096xbf16>, tensor<4096xf32>
  return %dx, %dw : tensor<?x4096xbf16>, tensor<4096xf32>
}

// A GPT-2 style LayerNorm whose weight was folded to ones by the frontend.
func.func @gpt2_final_norm(%x: tensor<8x1024x768xf16>, %b: tensor<768xf16>)
    -> (tensor<8x1024x768xf16>, tensor<8x1024xf32>, tensor<8x1024xf32>) {
  %ones = arith.constant dense<1.0> : tensor<768xf16>
  %e = tensor.empty() : tensor<8x1024x768xf16>
  %s = tensor.empty() : tensor<8x1024xf32>
  %y, %mean, %rstd = norm.layer_norm ins(%x : tensor<8x1024x768xf16>) gamma(%ones : tensor<768xf16>)
      beta(%b : tensor<768xf16>) outs(%e : tensor<8x1024x768xf16>) mean(%s : tensor<8x1024xf32>) rstd(%s : tensor<8x1024xf32>)
      -> tensor<8x1024x768xf16>, tensor<8x1024xf32>, tensor<8x1024xf32>
  return %y, %mean, %rstd : tensor<8x1024x768xf16>, tensor<8x1024xf32>, tensor<8x1024xf32>
}

// Tensor parallelism: this rank holds 1024 of the 4096 hidden columns. The
// gathered stats of 4 shards are 4 × [n_p, Σx²] = 8 entries per row.
func.func @block_norm_sharded(%x_shard: tensor<?x1024xbf16>, %w_shard: tensor<1024xbf16>,
                              %gathered: tensor<?x8xf32>) -> (tensor<?x2xf32>, tensor<?x1024xbf16>) {
  %c0 = arith.constant 0 : index
  %m = tensor.dim %x_shard, %c0 : tensor<?x1024xbf16>
  %s0 = tensor.empty(%m) : tensor<?x2xf32>
  %y0 = tensor.empty(%m) : tensor<?x1024xbf16>
  %local = norm.rms_norm_pre_all_gather ins(%x_shard : tensor<?x1024xbf16>) outs(%s0 : tensor<?x2xf32>)
      {stats_layout = #norm.stats<count_sumsq>} -> tensor<?x2xf32>
  // ... an all-gather of %local along the last dim produces %gathered ...
  %y = norm.rms_norm_post_all_gather ins(%x_shard : tensor<?x1024xbf16>) stats(%gathered : tensor<?x8xf32>)
      gamma(%w_shard : tensor<1024xbf16>) outs(%y0 : tensor<?x1024xbf16>)
      {epsilon = 1.0e-5 : f64, stats_layout = #norm.stats<count_sumsq>} -> tensor<?x1024xbf16>
  return %local, %y : tensor<?x2xf32>, tensor<?x1024xbf16>
}
