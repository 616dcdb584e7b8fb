// The pre-norm residual block of a decoder layer as a frontend emits it
// (torch-mlir/StableHLO style: linalg and arith on tensors): h = x + attn,
// y = h · rsqrt(mean(h²) + 1e-6) · w, returning y and h (the next residual).
// Rows (tokens) are dynamic; the hidden size is 256.
//
// norm-embed raises it to one norm.rms_norm with residual and residual_out
// (norm-fuse), lowers it for the CPU (norm-lower-to-cpu), runs @forward and
// checks it against a float64 reference.
func.func @forward(%x: tensor<?x256xf32>, %attn: tensor<?x256xf32>,
                   %w: tensor<256xf32>) -> (tensor<?x256xf32>, tensor<?x256xf32>) {
  %c0 = arith.constant 0.0 : f32
  %i0 = arith.constant 0 : index
  %n = arith.constant 256.0 : f32
  %eps = arith.constant 1.0e-6 : f32
  %rows = tensor.dim %x, %i0 : tensor<?x256xf32>
  %e = tensor.empty(%rows) : tensor<?x256xf32>
  %er = tensor.empty(%rows) : tensor<?xf32>
  %h = arith.addf %x, %attn : tensor<?x256xf32>
  %sq = arith.mulf %h, %h : tensor<?x256xf32>
  %z = linalg.fill ins(%c0 : f32) outs(%er : tensor<?xf32>) -> tensor<?xf32>
  %s = linalg.reduce ins(%sq : tensor<?x256xf32>) outs(%z : tensor<?xf32>) dimensions = [1]
    (%p: f32, %q: f32) {
      %0 = arith.addf %p, %q : f32
      linalg.yield %0 : f32
    }
  %r = linalg.map ins(%s : tensor<?xf32>) outs(%er : tensor<?xf32>)
    (%a: f32, %unused: f32) {
      %0 = arith.divf %a, %n : f32
      %1 = arith.addf %0, %eps : f32
      %2 = math.rsqrt %1 : f32
      linalg.yield %2 : f32
    }
  %rb = linalg.broadcast ins(%r : tensor<?xf32>) outs(%e : tensor<?x256xf32>) dimensions = [1]
  %wb = linalg.broadcast ins(%w : tensor<256xf32>) outs(%e : tensor<?x256xf32>) dimensions = [0]
  %hn = arith.mulf %h, %rb : tensor<?x256xf32>
  %y = arith.mulf %hn, %wb : tensor<?x256xf32>
  return %y, %h : tensor<?x256xf32>, tensor<?x256xf32>
}
