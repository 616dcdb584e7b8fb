/*===- norm-capi.c - norm through the C API ------------------------*- C -*-===*\
|*                                                                            *|
|* Part of the norm project, under the Apache License v2.0 with LLVM          *|
|* Exceptions. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception        *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

// RUN: norm-capi-test 2>&1 | FileCheck %s

/* Uses norm as a project with Python bindings would, through libNorm-C.so
 * alone: the dialect handle, pass and pipeline registration, a created pass,
 * the CPU pipeline as a function with textual options (and a bad option),
 * then the lowered module run by MLIR's execution engine and compared with
 * a float64 reference computed here. */

#include "mlir-c/ExecutionEngine.h"
#include "mlir-c/IR.h"
#include "mlir-c/Pass.h"
#include "mlir-c/RegisterEverything.h"
#include "norm-c/Conversion.h"
#include "norm-c/Dialect/Norm.h"
#include "norm-c/Pipelines.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define M 5
#define N 64

/* RMSNorm as a TOSA frontend emits it (x·rsqrt(mean(x²)+eps)·w). */
static const char *kModule =
    "func.func @rms(%x: tensor<5x64xf32>, %w: tensor<64xf32>) -> "
    "tensor<5x64xf32> {\n"
    "  %shift = \"tosa.const\"() <{values = dense<0> : tensor<1xi8>}> : () -> "
    "tensor<1xi8>\n"
    "  %inv = \"tosa.const\"() <{values = dense<1.5625e-02> : "
    "tensor<1x1xf32>}> : () -> tensor<1x1xf32>\n"
    "  %eps = \"tosa.const\"() <{values = dense<1.0e-6> : tensor<1x1xf32>}> "
    ": () -> tensor<1x1xf32>\n"
    "  %shape = tosa.const_shape {values = dense<[1, 64]> : tensor<2xindex>} "
    ": () -> !tosa.shape<2>\n"
    "  %sq = tosa.mul %x, %x, %shift : (tensor<5x64xf32>, tensor<5x64xf32>, "
    "tensor<1xi8>) -> tensor<5x64xf32>\n"
    "  %s = tosa.reduce_sum %sq {axis = 1 : i32} : (tensor<5x64xf32>) -> "
    "tensor<5x1xf32>\n"
    "  %m = tosa.mul %s, %inv, %shift : (tensor<5x1xf32>, tensor<1x1xf32>, "
    "tensor<1xi8>) -> tensor<5x1xf32>\n"
    "  %v = tosa.add %m, %eps : (tensor<5x1xf32>, tensor<1x1xf32>) -> "
    "tensor<5x1xf32>\n"
    "  %r = tosa.rsqrt %v : (tensor<5x1xf32>) -> tensor<5x1xf32>\n"
    "  %xn = tosa.mul %x, %r, %shift : (tensor<5x64xf32>, tensor<5x1xf32>, "
    "tensor<1xi8>) -> tensor<5x64xf32>\n"
    "  %w2 = tosa.reshape %w, %shape : (tensor<64xf32>, !tosa.shape<2>) -> "
    "tensor<1x64xf32>\n"
    "  %y = tosa.mul %xn, %w2, %shift : (tensor<5x64xf32>, tensor<1x64xf32>, "
    "tensor<1xi8>) -> tensor<5x64xf32>\n"
    "  return %y : tensor<5x64xf32>\n"
    "}\n";

static void printToStderr(MlirStringRef str, void *userData) {
  (void)userData;
  fwrite(str.data, 1, str.length, stderr);
}

static int runPipeline(MlirContext ctx, MlirModule module, const char *text) {
  MlirPassManager pm = mlirPassManagerCreate(ctx);
  MlirOpPassManager opm = mlirPassManagerGetAsOpPassManager(pm);
  MlirLogicalResult parsed = mlirParsePassPipeline(
      opm, mlirStringRefCreateFromCString(text), printToStderr, NULL);
  int ok = mlirLogicalResultIsSuccess(parsed) &&
           mlirLogicalResultIsSuccess(mlirPassManagerRunOnOp(
               pm, mlirModuleGetOperation(module)));
  mlirPassManagerDestroy(pm);
  return ok;
}

typedef struct {
  float *allocated, *aligned;
  int64_t offset, sizes[2], strides[2];
} MemRef2D;
typedef struct {
  float *allocated, *aligned;
  int64_t offset, sizes[1], strides[1];
} MemRef1D;

int main(void) {
  MlirContext ctx = mlirContextCreate();
  MlirDialectRegistry registry = mlirDialectRegistryCreate();
  mlirRegisterAllDialects(registry);
  mlirDialectHandleInsertDialect(mlirGetDialectHandle__norm__(), registry);
  mlirContextAppendDialectRegistry(ctx, registry);
  mlirDialectRegistryDestroy(registry);
  mlirRegisterAllPasses();
  mlirRegisterAllLLVMTranslations(ctx);
  mlirRegisterNormPasses();

  MlirStringRef ns =
      mlirDialectHandleGetNamespace(mlirGetDialectHandle__norm__());
  fprintf(stderr, "dialect: %.*s\n", (int)ns.length, ns.data);
  // CHECK: dialect: norm

  // Fusion, by its registered name.
  MlirModule module =
      mlirModuleCreateParse(ctx, mlirStringRefCreateFromCString(kModule));
  if (mlirModuleIsNull(module))
    return 1;
  if (!runPipeline(ctx, module, "builtin.module(func.func(norm-fuse))"))
    return 2;
  mlirOperationDump(mlirModuleGetOperation(module));
  // CHECK-LABEL: func.func @rms
  // CHECK: norm.rms_norm ins(%{{.+}} : tensor<5x64xf32>) gamma(%{{.+}} : tensor<64xf32>)
  // CHECK-NOT: tosa.

  // A pass created through its generated C constructor.
  {
    MlirModule copy = mlirModuleCreateParse(
        ctx, mlirStringRefCreateFromCString(
                 "func.func @f(%x: tensor<2x8xf32>) -> tensor<2x8xf32> {\n"
                 "  %e = tensor.empty() : tensor<2x8xf32>\n"
                 "  %y = norm.rms_norm ins(%x : tensor<2x8xf32>) "
                 "outs(%e : tensor<2x8xf32>) -> tensor<2x8xf32>\n"
                 "  return %y : tensor<2x8xf32>\n}\n"));
    MlirPassManager pm = mlirPassManagerCreate(ctx);
    MlirOpPassManager fpm = mlirPassManagerGetNestedUnder(
        pm, mlirStringRefCreateFromCString("func.func"));
    mlirOpPassManagerAddOwnedPass(fpm, mlirCreateNormTransformsNormDecomposePass());
    if (mlirLogicalResultIsFailure(
            mlirPassManagerRunOnOp(pm, mlirModuleGetOperation(copy))))
      return 3;
    mlirOperationDump(mlirModuleGetOperation(copy));
    mlirPassManagerDestroy(pm);
    mlirModuleDestroy(copy);
  }
  // CHECK-LABEL: func.func @f
  // CHECK-NOT: norm.
  // CHECK: linalg.generic
  // CHECK-NOT: norm.
  // CHECK: return

  // A bad pipeline option is an error with a message, not a crash.
  {
    MlirPassManager pm = mlirPassManagerCreate(ctx);
    MlirLogicalResult r = mlirNormBuildLowerToCPUPipeline(
        mlirPassManagerGetAsOpPassManager(pm),
        mlirStringRefCreateFromCString("tile-rows=many"), printToStderr, NULL);
    fprintf(stderr, "\nbad option: %s\n",
            mlirLogicalResultIsFailure(r) ? "rejected" : "accepted");
    mlirPassManagerDestroy(pm);
  }
  // CHECK: invalid pipeline options 'tile-rows=many'
  // CHECK: bad option: rejected

  // Options that parse but no pass can run with fail the builder, with the
  // message through the callback (issue 21: it aborted).
  {
    MlirPassManager pm = mlirPassManagerCreate(ctx);
    MlirLogicalResult r = mlirNormBuildLowerToCPUPipeline(
        mlirPassManagerGetAsOpPassManager(pm),
        mlirStringRefCreateFromCString("tile-rows=0"), printToStderr, NULL);
    fprintf(stderr, "\ntile-rows=0: %s\n",
            mlirLogicalResultIsFailure(r) ? "rejected" : "accepted");
    r = mlirNormBuildLowerToNVVMPipeline(
        mlirPassManagerGetAsOpPassManager(pm),
        mlirStringRefCreateFromCString("chip=sm_42"), printToStderr, NULL);
    fprintf(stderr, "\nchip=sm_42: %s\n",
            mlirLogicalResultIsFailure(r) ? "rejected" : "accepted");
    mlirPassManagerDestroy(pm);
  }
  // CHECK: norm-lower-to-cpu: tile-rows must be 1 to 16777216, got 0
  // CHECK: tile-rows=0: rejected
  // CHECK: norm-lower-to-nvvm: chip 'sm_42' is not an NVPTX target LLVM 22 knows
  // CHECK: chip=sm_42: rejected

  // The CPU pipeline as a function with options, then the JIT.
  {
    MlirPassManager pm = mlirPassManagerCreate(ctx);
    if (mlirLogicalResultIsFailure(mlirNormBuildLowerToCPUPipeline(
            mlirPassManagerGetAsOpPassManager(pm),
            mlirStringRefCreateFromCString("parallel=false tile-rows=2"),
            printToStderr, NULL)))
      return 4;
    if (mlirLogicalResultIsFailure(
            mlirPassManagerRunOnOp(pm, mlirModuleGetOperation(module))))
      return 5;
    mlirPassManagerDestroy(pm);
  }
  MlirExecutionEngine jit = mlirExecutionEngineCreate(
      module, /*optLevel=*/2, /*numPaths=*/0, NULL, /*enableObjectDump=*/0,
      /*enablePIC=*/0);
  if (mlirExecutionEngineIsNull(jit))
    return 6;
  void (*rms)(MemRef2D *, MemRef2D *, MemRef1D *) =
      (void (*)(MemRef2D *, MemRef2D *, MemRef1D *))mlirExecutionEngineLookup(
          jit, mlirStringRefCreateFromCString("_mlir_ciface_rms"));
  if (!rms)
    return 7;
  mlirExecutionEngineInitialize(jit);

  static float x[M * N], w[N];
  for (int i = 0; i < M * N; ++i)
    x[i] = (float)((i * 37 % 101) - 50) / 16.0f * (float)(1 + i / N);
  for (int j = 0; j < N; ++j)
    w[j] = 0.5f + (float)(j % 7) / 8.0f;
  MemRef2D xm = {x, x, 0, {M, N}, {N, 1}};
  MemRef1D wm = {w, w, 0, {N}, {1}};
  MemRef2D ym = {0};
  rms(&ym, &xm, &wm);

  double maxErr = 0.0, maxRef = 0.0;
  for (int i = 0; i < M; ++i) {
    double ss = 0.0;
    for (int j = 0; j < N; ++j)
      ss += (double)x[i * N + j] * x[i * N + j];
    double rstd = 1.0 / sqrt(ss / N + 1.0e-6);
    for (int j = 0; j < N; ++j) {
      double ref = (double)x[i * N + j] * rstd * w[j];
      double got = ym.aligned[ym.offset + i * ym.strides[0] + j * ym.strides[1]];
      maxErr = fmax(maxErr, fabs(got - ref));
      maxRef = fmax(maxRef, fabs(ref));
    }
  }
  // Within 8 f32 units of max|ref| (docs/Norm.md's criterion for f32 is looser).
  int pass = maxErr <= 8 * 1.1920929e-7 * maxRef;
  fprintf(stderr, "executed: %dx%d, max error %.3g of max %.3g: %s\n", M, N,
          maxErr, maxRef, pass ? "PASS" : "FAIL");
  // CHECK: executed: 5x64, max error {{.*}}: PASS
  free(ym.allocated);
  mlirExecutionEngineDestroy(jit);
  mlirModuleDestroy(module);
  mlirContextDestroy(ctx);
  return pass ? 0 : 8;
}
