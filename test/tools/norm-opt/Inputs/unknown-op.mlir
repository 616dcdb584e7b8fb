func.func @op(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %y = norm.batch_norm ins(%x : tensor<4x8xf32>) -> tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}
