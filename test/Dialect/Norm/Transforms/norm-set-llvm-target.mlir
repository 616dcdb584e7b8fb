// RUN: norm-opt %s --norm-set-llvm-target="cpu=x86-64-v3 features=+avx2,+fma" | FileCheck %s
// RUN: norm-opt %s --norm-set-llvm-target | FileCheck %s --check-prefix=NONE
// cpu=native is resolved to the host's CPU (llc rejects "native").
// RUN: norm-opt %s --norm-set-llvm-target="cpu=native" | FileCheck %s --check-prefix=NATIVE
// NATIVE-NOT: "native"
// NATIVE: llvm.func @f() attributes {target_cpu = "{{[a-z0-9_-]+}}"}

// CHECK: llvm.func @f() attributes {target_cpu = "x86-64-v3", target_features = #llvm.target_features<["+avx2", "+fma"]>}
// NONE: llvm.func @f() {
llvm.func @f() {
  llvm.return
}
