//===- NormInterfaces.cpp - norm op interfaces ------------------*- C++ -*-===//
//
// Part of the norm project, under the Apache License v2.0 with LLVM
// Exceptions. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "norm/Dialect/Norm/IR/NormInterfaces.h"

using namespace mlir;

#include "norm/Dialect/Norm/IR/NormInterfaces.cpp.inc"
