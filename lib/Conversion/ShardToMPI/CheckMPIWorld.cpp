//===- CheckMPIWorld.cpp - norm-check-mpi-world pass ------------*- C++ -*-===//
//
// Part of the norm project, under the Apache License v2.0 with LLVM
// Exceptions. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// A distributed function checks, on entry, that the program runs on as many
// MPI processes as the grid it was partitioned for (issue 21: a program
// partitioned for 4 ran on 2 ranks and computed wrong results silently).
//
//===----------------------------------------------------------------------===//

#include "norm/Conversion/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Shard/IR/ShardOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/SymbolTable.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/Support/raw_ostream.h"

namespace mlir::norm {
#define GEN_PASS_DEF_NORMCHECKMPIWORLDPASS
#include "norm/Conversion/Passes.h.inc"
} // namespace mlir::norm

using namespace mlir;

namespace {

/// An external C function, declared once in `module` as an llvm.func (a
/// func.func declaration would get a _mlir_ciface_ wrapper name).
LLVM::LLVMFuncOp declareC(OpBuilder &b, ModuleOp module, StringRef name,
                          LLVM::LLVMFunctionType type) {
  if (auto f = module.lookupSymbol<LLVM::LLVMFuncOp>(name))
    return f;
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(module.getBody());
  return LLVM::LLVMFuncOp::create(b, module.getLoc(), name, type);
}

struct NormCheckMPIWorldPass final
    : norm::impl::NormCheckMPIWorldPassBase<NormCheckMPIWorldPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SymbolTableCollection symbols;
    unsigned next = 0;
    for (func::FuncOp func :
         llvm::to_vector(module.getOps<func::FuncOp>())) {
      if (func.isExternal())
        continue;
      if (failed(check(module, func, symbols, next)))
        return signalPassFailure();
    }
  }

  LogicalResult check(ModuleOp module, func::FuncOp func,
                      SymbolTableCollection &symbols, unsigned &next) {
    // The grids this function's shard ops run on (shard.sharding and
    // shard.shard annotations are not communication).
    llvm::SetVector<StringRef> gridNames;
    func.walk([&](Operation *op) {
      if (!isa_and_nonnull<shard::ShardDialect>(op->getDialect()) ||
          isa<shard::ShardingOp, shard::ShardOp, shard::GridOp>(op))
        return;
      if (auto grid = op->getAttrOfType<FlatSymbolRefAttr>("grid"))
        gridNames.insert(grid.getValue());
    });
    if (gridNames.empty())
      return success();
    shard::GridOp grid;
    int64_t size = 0;
    for (StringRef name : gridNames) {
      auto op = symbols.lookupNearestSymbolFrom<shard::GridOp>(
          func, StringAttr::get(&getContext(), name));
      if (!op)
        return func.emitError("norm-check-mpi-world: no shard.grid named @")
               << name;
      int64_t n = 1;
      for (int64_t d : op.getShape()) {
        if (ShapedType::isDynamic(d))
          return func.emitError("norm-check-mpi-world: grid @")
                 << name << " has a dynamic shape: the number of processes "
                 << "cannot be checked";
        n *= d;
      }
      if (grid && n != size)
        return func.emitError("norm-check-mpi-world: the function uses grids @")
               << grid.getSymName() << " (" << size << " processes) and @"
               << name << " (" << n << "): one program runs on one number "
               << "of processes";
      grid = op;
      size = n;
    }

    MLIRContext *ctx = &getContext();
    OpBuilder b(ctx);
    Location loc = func.getLoc();
    // The message, a constant global.
    std::string shape;
    llvm::raw_string_ostream os(shape);
    llvm::interleave(grid.getShape(), os, "x");
    std::string text = ("norm: @" + func.getSymName() +
                        " was partitioned for the " + Twine(size) +
                        " processes of @" + grid.getSymName() + " (shape " +
                        shape + ") but runs on another number of MPI "
                        "processes\n")
                           .str();
    std::string globalName =
        ("__norm_mpi_world_message_" + Twine(next++)).str();
    auto charsType = LLVM::LLVMArrayType::get(b.getI8Type(), text.size());
    {
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(module.getBody());
      LLVM::GlobalOp::create(b, loc, charsType, /*isConstant=*/true,
                             LLVM::Linkage::Internal, globalName,
                             b.getStringAttr(text));
    }
    auto ptr = LLVM::LLVMPointerType::get(ctx);
    Type i32 = b.getI32Type(), i64 = b.getI64Type();
    if (module.lookupSymbol<func::FuncOp>("write") ||
        module.lookupSymbol<func::FuncOp>("abort"))
      return func.emitError("norm-check-mpi-world: the module defines a "
                            "func.func named write or abort");
    LLVM::LLVMFuncOp write = declareC(
        b, module, "write", LLVM::LLVMFunctionType::get(i64, {i32, ptr, i64}));
    LLVM::LLVMFuncOp abort = declareC(
        b, module, "abort",
        LLVM::LLVMFunctionType::get(LLVM::LLVMVoidType::get(ctx), {}));

    b.setInsertionPointToStart(&func.getBody().front());
    auto type = RankedTensorType::get({1}, i64);
    Value one = arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(type, b.getI64IntegerAttr(1)));
    SmallVector<shard::GridAxis> axes;
    for (int64_t a = 0, e = grid.getRank(); a < e; ++a)
      axes.push_back(static_cast<shard::GridAxis>(a));
    Value count = shard::AllReduceOp::create(
        b, loc, type, FlatSymbolRefAttr::get(grid.getSymNameAttr()),
        b.getDenseI16ArrayAttr(axes), one,
        shard::ReductionKindAttr::get(ctx, shard::ReductionKind::Sum));
    Value zero = arith::ConstantIndexOp::create(b, loc, 0);
    Value n = tensor::ExtractOp::create(b, loc, count, ValueRange{zero});
    Value wrong = arith::CmpIOp::create(
        b, loc, arith::CmpIPredicate::ne, n,
        arith::ConstantOp::create(b, loc, b.getI64IntegerAttr(size)));
    auto ifOp = scf::IfOp::create(b, loc, wrong, /*withElseRegion=*/false);
    b.setInsertionPointToStart(ifOp.thenBlock());
    Value message = LLVM::AddressOfOp::create(b, loc, ptr, globalName);
    Value fd = arith::ConstantOp::create(b, loc, b.getI32IntegerAttr(2));
    Value length = arith::ConstantOp::create(
        b, loc, b.getI64IntegerAttr(static_cast<int64_t>(text.size())));
    LLVM::CallOp::create(b, loc, write, ValueRange{fd, message, length});
    LLVM::CallOp::create(b, loc, abort, ValueRange{});
    return success();
  }
};

} // namespace
