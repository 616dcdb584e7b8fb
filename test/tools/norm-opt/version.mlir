// The tools print norm's own version and commit beside LLVM's (issue 21).
// RUN: norm-opt --version | FileCheck %s
// RUN: norm-lsp-server --version | FileCheck %s
// CHECK-DAG: norm version {{[0-9]+\.[0-9]+\.[0-9]+}} (git {{([0-9a-f]+(-dirty)?|unknown)}})
// CHECK-DAG: LLVM version 22.1
