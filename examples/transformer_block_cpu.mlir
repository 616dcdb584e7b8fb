// The norms of one pre-norm transformer decoder block (Llama style: bf16,
// RMSNorm with the Llama rounding order, hidden size 4096, a dynamic number
// of tokens), forward and backward, in the calling convention of
// norm-lower-to-cpu: every operand is a memref argument; inputs are read
// through `bufferization.to_tensor restrict`, outputs are written in place
// with `bufferization.materialize_in_destination`.
//
// scripts/run-example.sh compiles this file with
//   norm-opt --norm-lower-to-cpu | mlir-translate --mlir-to-llvmir | llc
// runs it on the CPU from numpy (examples/run_transformer_block.py) and
// prints the error against a float64 reference and the time.

!act = memref<?x4096xbf16>
!actT = tensor<?x4096xbf16>
!w = memref<4096xbf16>
!wT = tensor<4096xbf16>
!rows = memref<?xf32>
!rowsT = tensor<?xf32>

// h_in   = rms_norm(x) · w_in                   (input_layernorm)
// sum    = x + attn                             (residual, returned)
// h_post = rms_norm(sum) · w_post, rstd kept    (post_attention_layernorm)
func.func @block_forward(%xm: !act, %attnm: !act, %w_inm: !w, %w_postm: !w,
                         %h_inm: !act, %h_postm: !act, %summ: !act, %rstdm: !rows) {
  %x = bufferization.to_tensor %xm restrict : !act to !actT
  %attn = bufferization.to_tensor %attnm restrict : !act to !actT
  %w_in = bufferization.to_tensor %w_inm restrict : !w to !wT
  %w_post = bufferization.to_tensor %w_postm restrict : !w to !wT
  %h_in0 = bufferization.to_tensor %h_inm restrict writable : !act to !actT
  %h_post0 = bufferization.to_tensor %h_postm restrict writable : !act to !actT
  %sum0 = bufferization.to_tensor %summ restrict writable : !act to !actT
  %rstd0 = bufferization.to_tensor %rstdm restrict writable : !rows to !rowsT

  %h_in = norm.rms_norm ins(%x : !actT) gamma(%w_in : !wT) outs(%h_in0 : !actT)
      {epsilon = 1.0e-5 : f64, rounding = #norm.rounding<before_gamma>} -> !actT
  %h_post, %rstd, %sum = norm.rms_norm ins(%attn : !actT) gamma(%w_post : !wT)
      residual(%x : !actT)
      outs(%h_post0 : !actT) rstd(%rstd0 : !rowsT) residual_out(%sum0 : !actT)
      {epsilon = 1.0e-5 : f64, rounding = #norm.rounding<before_gamma>}
      -> !actT, !rowsT, !actT

  bufferization.materialize_in_destination %h_in in restrict writable %h_inm : (!actT, !act) -> ()
  bufferization.materialize_in_destination %h_post in restrict writable %h_postm : (!actT, !act) -> ()
  bufferization.materialize_in_destination %sum in restrict writable %summ : (!actT, !act) -> ()
  bufferization.materialize_in_destination %rstd in restrict writable %rstdm : (!rowsT, !rows) -> ()
  return
}

// dx, dw_post = rms_norm_grad(dy, sum, rstd, w_post)
func.func @block_backward(%dym: !act, %summ: !act, %rstdm: !rows, %w_postm: !w,
                          %dxm: !act, %dwm: memref<4096xf32>) {
  %dy = bufferization.to_tensor %dym restrict : !act to !actT
  %sum = bufferization.to_tensor %summ restrict : !act to !actT
  %rstd = bufferization.to_tensor %rstdm restrict : !rows to !rowsT
  %w_post = bufferization.to_tensor %w_postm restrict : !w to !wT
  %dx0 = bufferization.to_tensor %dxm restrict writable : !act to !actT
  %dw0 = bufferization.to_tensor %dwm restrict writable : memref<4096xf32> to tensor<4096xf32>
  %dx, %dw = norm.rms_norm_grad ins(%dy : !actT, %sum : !actT, %rstd : !rowsT)
      gamma(%w_post : !wT) outs dx(%dx0 : !actT) dgamma(%dw0 : tensor<4096xf32>)
      -> !actT, tensor<4096xf32>
  bufferization.materialize_in_destination %dx in restrict writable %dxm : (!actT, !act) -> ()
  bufferization.materialize_in_destination %dw in restrict writable %dwm : (tensor<4096xf32>, memref<4096xf32>) -> ()
  return
}
