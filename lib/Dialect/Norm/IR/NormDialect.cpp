//===- NormDialect.cpp - norm dialect ---------------------------*- C++ -*-===//
//
// Part of the norm project, under the Apache License v2.0 with LLVM
// Exceptions. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "norm/Dialect/Norm/IR/NormDialect.h"
#include "norm/Dialect/Norm/IR/NormAttrs.h"
#include "norm/Dialect/Norm/IR/NormOps.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::norm;

#include "norm/Dialect/Norm/IR/NormEnums.cpp.inc"
#include "norm/Dialect/Norm/IR/NormOpsDialect.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "norm/Dialect/Norm/IR/NormAttrs.cpp.inc"

void NormDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "norm/Dialect/Norm/IR/NormOps.cpp.inc"
      >();
  addAttributes<
#define GET_ATTRDEF_LIST
#include "norm/Dialect/Norm/IR/NormAttrs.cpp.inc"
      >();
  detail::attachTilingInterface(getContext());
  detail::attachBufferizableOpInterface(getContext());
}

unsigned StatsLayoutAttr::getEntriesPerShard() const {
  switch (getValue()) {
  case StatsLayout::CountSumSq:
    return 2; // [n_p, Σx²]
  case StatsLayout::CountSumM2:
    return 3; // [n_p, Σx, Σ(x − x̄_p)²]
  }
  llvm_unreachable("unknown stats layout");
}
