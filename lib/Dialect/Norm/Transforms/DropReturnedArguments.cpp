//===- DropReturnedArguments.cpp - results that are arguments ---*- C++ -*-===//
//
// Part of the norm project, under the Apache License v2.0 with LLVM
// Exceptions. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "norm/Dialect/Norm/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"

namespace mlir::norm {
#define GEN_PASS_DEF_NORMDROPRETURNEDARGUMENTSPASS
#include "norm/Dialect/Norm/Transforms/Passes.h.inc"
} // namespace mlir::norm

using namespace mlir;
using namespace mlir::norm;

namespace {

/// For each result of `func`: the argument it returns at every return, or
/// null.
SmallVector<BlockArgument> returnedArguments(func::FuncOp func) {
  SmallVector<BlockArgument> args(func.getNumResults());
  bool first = true;
  func.walk([&](func::ReturnOp ret) {
    for (auto [i, v] : llvm::enumerate(ret.getOperands())) {
      auto arg = dyn_cast<BlockArgument>(v);
      if (!arg || arg.getOwner() != &func.getBody().front())
        arg = nullptr;
      if (first)
        args[i] = arg;
      else if (args[i] != arg)
        args[i] = nullptr;
    }
    first = false;
  });
  return args;
}

struct NormDropReturnedArgumentsPass final
    : norm::impl::NormDropReturnedArgumentsPassBase<
          NormDropReturnedArgumentsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    for (auto func : module.getOps<func::FuncOp>()) {
      if (func.isExternal())
        continue;
      SmallVector<BlockArgument> args = returnedArguments(func);
      llvm::BitVector drop(args.size());
      for (auto [i, arg] : llvm::enumerate(args))
        if (arg)
          drop.set(i);
      if (drop.none())
        continue;
      // Calls in the module: each dropped result is the operand passed.
      std::optional<SymbolTable::UseRange> uses = func.getSymbolUses(module);
      if (uses) {
        for (SymbolTable::SymbolUse use : *uses) {
          auto call = dyn_cast<func::CallOp>(use.getUser());
          if (!call) {
            drop.reset(); // used other than by calls: leave it alone
            break;
          }
        }
        if (drop.none())
          continue;
        for (SymbolTable::SymbolUse use : *uses) {
          auto call = cast<func::CallOp>(use.getUser());
          OpBuilder b(call);
          SmallVector<Type> kept;
          for (unsigned i = 0; i < call.getNumResults(); ++i)
            if (!drop.test(i))
              kept.push_back(call.getResult(i).getType());
          auto newCall = func::CallOp::create(b, call.getLoc(), func.getSymName(),
                                              kept, call.getOperands());
          unsigned next = 0;
          for (unsigned i = 0; i < call.getNumResults(); ++i)
            call.getResult(i).replaceAllUsesWith(
                drop.test(i) ? call.getOperand(args[i].getArgNumber())
                             : newCall.getResult(next++));
          call.erase();
        }
      }
      func.walk([&](func::ReturnOp ret) { ret->eraseOperands(drop); });
      if (failed(func.eraseResults(drop)))
        return signalPassFailure();
    }
  }
};

} // namespace
