// norm-opt carries norm beside the upstream dialects a user needs.
// RUN: norm-opt --show-dialects | tr ', ' '\n\n' | FileCheck %s --check-prefix=DIALECTS
// DIALECTS-DAG: {{^}}arith{{$}}
// DIALECTS-DAG: {{^}}bufferization{{$}}
// DIALECTS-DAG: {{^}}func{{$}}
// DIALECTS-DAG: {{^}}gpu{{$}}
// DIALECTS-DAG: {{^}}linalg{{$}}
// DIALECTS-DAG: {{^}}llvm{{$}}
// DIALECTS-DAG: {{^}}math{{$}}
// DIALECTS-DAG: {{^}}memref{{$}}
// DIALECTS-DAG: {{^}}mpi{{$}}
// DIALECTS-DAG: {{^}}norm{{$}}
// DIALECTS-DAG: {{^}}nvvm{{$}}
// DIALECTS-DAG: {{^}}scf{{$}}
// DIALECTS-DAG: {{^}}shard{{$}}
// DIALECTS-DAG: {{^}}tensor{{$}}
// DIALECTS-DAG: {{^}}tosa{{$}}
// DIALECTS-DAG: {{^}}transform{{$}}
// DIALECTS-DAG: {{^}}vector{{$}}

// And their passes: a norm op next to tosa and linalg goes through upstream
// pipelines untouched.
// RUN: norm-opt %s --pass-pipeline='builtin.module(func.func(tosa-to-linalg),canonicalize)' | FileCheck %s

// CHECK-LABEL: func.func @mixed
//       CHECK:   linalg.generic
//       CHECK:   norm.rms_norm
func.func @mixed(%a: tensor<4x8xf32>, %b: tensor<4x8xf32>, %y0: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %s = tosa.add %a, %b : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  %y = norm.rms_norm ins(%s : tensor<4x8xf32>) outs(%y0 : tensor<4x8xf32>) -> tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}
