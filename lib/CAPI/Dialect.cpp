//===- Dialect.cpp - C API of the norm dialect ------------------*- C++ -*-===//
//
// Part of the norm project, under the Apache License v2.0 with LLVM
// Exceptions. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "norm-c/Dialect/Norm.h"

#include "mlir/CAPI/IR.h"
#include "mlir/CAPI/Pass.h"
#include "mlir/CAPI/Registration.h"
#include "norm/Dialect/Norm/IR/NormDialect.h"
#include "norm/Dialect/Norm/Transforms/Passes.h"
#include "norm/InitNorm.h"

using namespace mlir;
using namespace mlir::norm;

// MLIR_DEFINE_CAPI_DIALECT_REGISTRATION inserts the dialect alone; norm's
// insert hook also adds the external models (as registerNormDialect does),
// so that a handle-registered norm shards and lowers like norm-opt's.
static void mlirDialectRegistryInsertNormDialect(MlirDialectRegistry registry) {
  registerNormDialect(*unwrap(registry));
}
static MlirDialect mlirContextLoadNormDialect(MlirContext context) {
  return wrap(unwrap(context)->getOrLoadDialect<NormDialect>());
}
static MlirStringRef mlirNormDialectGetNamespace() {
  return wrap(NormDialect::getDialectNamespace());
}

MlirDialectHandle mlirGetDialectHandle__norm__() {
  static MlirDialectRegistrationHooks hooks = {
      mlirDialectRegistryInsertNormDialect, mlirContextLoadNormDialect,
      mlirNormDialectGetNamespace};
  return MlirDialectHandle{&hooks};
}

void mlirNormRegisterDialect(MlirDialectRegistry registry) {
  registerNormDialect(*unwrap(registry));
}

#include "norm/Dialect/Norm/Transforms/Passes.capi.cpp.inc"
