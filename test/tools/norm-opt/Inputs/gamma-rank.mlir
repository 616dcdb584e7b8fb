func.func @gamma_rank(%x: tensor<4x8xf32>, %g: tensor<4x8xf32>, %y0: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %y = norm.rms_norm ins(%x : tensor<4x8xf32>) gamma(%g : tensor<4x8xf32>) outs(%y0 : tensor<4x8xf32>) -> tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}
