// The upstream transform op drives the same decomposition.
// RUN: norm-opt %s --transform-interpreter | FileCheck %s

// CHECK-LABEL: func.func @rms_norm
//   CHECK-NOT:   norm.rms_norm
//       CHECK:   linalg.generic {{.+}} iterator_types = ["parallel", "reduction"]
//       CHECK:   linalg.generic {{.+}} iterator_types = ["parallel"]
//       CHECK:   %[[Y:.+]] = linalg.generic {{.+}} iterator_types = ["parallel", "parallel"]
//       CHECK:   return %[[Y]]
func.func @rms_norm(%x: tensor<?x128xf32>, %y0: tensor<?x128xf32>) -> tensor<?x128xf32> {
  %y = norm.rms_norm ins(%x : tensor<?x128xf32>) outs(%y0 : tensor<?x128xf32>) -> tensor<?x128xf32>
  return %y : tensor<?x128xf32>
}

module attributes {transform.with_named_sequence} {
  transform.named_sequence @__transform_main(%root: !transform.any_op {transform.readonly}) {
    %0 = transform.structured.match ops{["norm.rms_norm"]} in %root : (!transform.any_op) -> !transform.any_op
    %1 = transform.structured.decompose_interface %0 : (!transform.any_op) -> !transform.any_op
    transform.yield
  }
}
