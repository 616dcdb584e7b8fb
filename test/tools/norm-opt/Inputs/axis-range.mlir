func.func @axis(%x: tensor<4x8xf32>, %y0: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %y = norm.layer_norm ins(%x : tensor<4x8xf32>) outs(%y0 : tensor<4x8xf32>) {axis = 5 : i64} -> tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}
