#!/usr/bin/env bash
# norm as a subdirectory of another CMake project (issue 21.4): a host
# project, as a compiler that vendors norm would write it, finds MLIR itself,
# then add_subdirectory()s norm and links a tool of its own against
# NormRegistration. Builds that tool and norm-opt, runs the tool, and runs
# the dialect, conversion and pipeline lit tests from norm's binary dir
# there (build-sub/). About 5 minutes on 2 cores: its compile lines name
# other directories than build/'s, so ccache does not reuse those objects.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
prefix="$(llvm-config-22 --prefix)"
host="${NORM_SUBPROJECT_DIR:-$root/build-subproject}"
src="$host/src"
mkdir -p "$src"
cat > "$src/CMakeLists.txt" <<CMAKE
cmake_minimum_required(VERSION 3.20)
project(host LANGUAGES CXX C)
find_package(MLIR 22.1 REQUIRED CONFIG)
list(APPEND CMAKE_MODULE_PATH "\${MLIR_CMAKE_DIR}" "\${LLVM_CMAKE_DIR}")
add_subdirectory("$root" "$root/build-sub")
set(NORM_SOURCE_INCLUDE "$root/include")
set(NORM_BINARY_INCLUDE "$root/build-sub/include")
add_executable(host-tool host.cpp)
target_link_libraries(host-tool PRIVATE NormRegistration NormPipelines)
target_include_directories(host-tool PRIVATE \${MLIR_INCLUDE_DIRS} \${LLVM_INCLUDE_DIRS}
  \${NORM_SOURCE_INCLUDE} \${NORM_BINARY_INCLUDE})
CMAKE
cat > "$src/host.cpp" <<'CPP'
// A host compiler's tool: registers norm, parses a norm op, runs the CPU
// pipeline on it, prints the result's first op.
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "norm/InitNorm.h"
#include "norm/Pipelines/Pipelines.h"
#include <cstdio>

int main() {
  mlir::DialectRegistry registry;
  mlir::norm::registerNormDialect(registry);
  mlir::norm::registerNormDependencies(registry);
  mlir::MLIRContext context(registry);
  const char *text = R"(
    func.func @f(%x: tensor<4x8xf32>, %y: tensor<4x8xf32>) -> tensor<4x8xf32> {
      %r = norm.rms_norm ins(%x : tensor<4x8xf32>) outs(%y : tensor<4x8xf32>)
          -> tensor<4x8xf32>
      return %r : tensor<4x8xf32>
    })";
  auto module = mlir::parseSourceString<mlir::ModuleOp>(text, &context);
  if (!module)
    return 1;
  mlir::PassManager pm(&context);
  if (mlir::failed(mlir::norm::buildNormLowerToCPUPipeline(
          pm, mlir::norm::NormLowerToCPUOptions())))
    return 1;
  if (mlir::failed(pm.run(*module)))
    return 1;
  std::printf("host-tool: norm lowered to the LLVM dialect in a host build\n");
  return 0;
}
CPP
if [ ! -f "$host/build/build.ninja" ]; then
  cmake -G Ninja -S "$src" -B "$host/build" -DCMAKE_BUILD_TYPE=Release \
    -DMLIR_DIR="$prefix/lib/cmake/mlir" -DLLVM_DIR="$prefix/lib/cmake/llvm" \
    >/dev/null
fi
export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$root}"
ninja -C "$host/build" host-tool norm-opt
"$host/build/host-tool"
"$prefix/bin/lit" -q "$root/build-sub/test" --filter '^NORM :: (Dialect|Conversion|Pipelines)/'
echo "test-subproject: norm built and tested as a subdirectory of a host project"
