func.func @attr(%x: tensor<4x8xf32>, %y0: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %y = norm.rms_norm ins(%x : tensor<4x8xf32>) outs(%y0 : tensor<4x8xf32>) {epsilon = 1.0e-5 : f64, eps = 1.0e-5 : f64} -> tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}
