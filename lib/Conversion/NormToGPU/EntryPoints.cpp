//===- EntryPoints.cpp - C entry points on device pointers ------*- C++ -*-===//
//
// Part of the norm project, under the Apache License v2.0 with LLVM
// Exceptions. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// `norm-gpu-entry-points`: a framework holds device pointers and a stream,
// not memref descriptors. For each public function on memrefs this adds a
// wrapper `<prefix><name>(stream, ptr..., dynamic sizes..., scalars...) ->
// i32` that builds the descriptors (identity layouts: offset 0, row-major
// strides), routes the call's launches and allocations to `stream` through
// the norm GPU runtime, and returns the runtime's error code. The
// descriptors are built in the LLVM dialect and cast to memrefs with
// `builtin.unrealized_conversion_cast`, which the memref-to-LLVM lowering
// then folds away (reconcile-unrealized-casts).
//
//===----------------------------------------------------------------------===//

#include "norm/Conversion/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/Builders.h"

namespace mlir::norm {
#define GEN_PASS_DEF_NORMGPUENTRYPOINTSPASS
#include "norm/Conversion/Passes.h.inc"
} // namespace mlir::norm

using namespace mlir;
using namespace mlir::norm;

namespace {

constexpr StringLiteral kSetStream = "normGpuSetStream";
constexpr StringLiteral kClearStream = "normGpuClearStream";
constexpr StringLiteral kTakeError = "normGpuTakeError";

bool isSupported(func::FuncOp func) {
  if (func.isExternal() || !func.isPublic())
    return false;
  for (Type t : func.getArgumentTypes()) {
    if (auto m = dyn_cast<MemRefType>(t)) {
      if (!m.getLayout().isIdentity() || m.getMemorySpace())
        return false;
      continue;
    }
    if (!t.isIntOrIndexOrFloat())
      return false;
  }
  return true;
}

func::FuncOp declare(OpBuilder &b, ModuleOp module, StringRef name,
                     FunctionType type) {
  if (auto f = module.lookupSymbol<func::FuncOp>(name))
    return f;
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(module.getBody());
  auto f = func::FuncOp::create(b, module.getLoc(), name, type);
  f.setPrivate();
  return f;
}

struct NormGPUEntryPointsPass final
    : norm::impl::NormGPUEntryPointsPassBase<NormGPUEntryPointsPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    // The entry points are C symbols: the prefix must start one.
    StringRef p = prefix;
    if (p.empty() || !(llvm::isAlpha(p[0]) || p[0] == '_') ||
        !llvm::all_of(p, [](char c) { return llvm::isAlnum(c) || c == '_'; })) {
      mlir::emitError(module.getLoc())
          << "norm-gpu-entry-points: prefix must be a C identifier "
             "([A-Za-z_][A-Za-z0-9_]*), got '"
          << p << "'";
      return signalPassFailure();
    }
    MLIRContext *ctx = module.getContext();
    OpBuilder b(ctx);
    auto ptr = LLVM::LLVMPointerType::get(ctx);
    auto i64 = b.getI64Type();
    auto i32 = b.getI32Type();

    SmallVector<func::FuncOp> funcs;
    for (auto f : module.getOps<func::FuncOp>())
      if (isSupported(f) && !f.getSymName().starts_with(prefix))
        funcs.push_back(f);
    if (funcs.empty())
      return;
    func::FuncOp setStream =
        declare(b, module, kSetStream, b.getFunctionType({ptr}, {}));
    func::FuncOp clearStream =
        declare(b, module, kClearStream, b.getFunctionType({}, {}));
    func::FuncOp takeError =
        declare(b, module, kTakeError, b.getFunctionType({}, {i32}));

    for (func::FuncOp f : funcs) {
      Location loc = f.getLoc();
      std::string name = (prefix + f.getSymName()).str();
      if (module.lookupSymbol(name)) {
        f.emitError() << "norm-gpu-entry-points: '" << name
                      << "' already exists";
        return signalPassFailure();
      }
      SmallVector<Type> argTypes = {ptr};
      unsigned numDynamic = 0;
      for (Type t : f.getArgumentTypes())
        if (auto m = dyn_cast<MemRefType>(t)) {
          argTypes.push_back(ptr);
          numDynamic += m.getNumDynamicDims();
        }
      unsigned numMemrefs = argTypes.size() - 1;
      argTypes.append(numDynamic, i64);
      for (Type t : f.getArgumentTypes())
        if (!isa<MemRefType>(t))
          argTypes.push_back(t);

      b.setInsertionPointAfter(f);
      auto wrapper = func::FuncOp::create(b, loc, name,
                                          b.getFunctionType(argTypes, {i32}));
      Block *entry = wrapper.addEntryBlock();
      b.setInsertionPointToStart(entry);
      // Layout: [stream, ptrs (one per memref), dynamic sizes, scalars].
      unsigned nextPtr = 1;
      unsigned nextDyn = 1 + numMemrefs;
      unsigned nextScalar = nextDyn + numDynamic;

      auto constI64 = [&](int64_t v) {
        return LLVM::ConstantOp::create(b, loc, i64, b.getI64IntegerAttr(v));
      };
      SmallVector<Value> callArgs;
      for (Type t : f.getArgumentTypes()) {
        auto m = dyn_cast<MemRefType>(t);
        if (!m) {
          callArgs.push_back(entry->getArgument(nextScalar++));
          continue;
        }
        Value data = entry->getArgument(nextPtr++);
        int64_t rank = m.getRank();
        SmallVector<Type> fields = {ptr, ptr, i64};
        if (rank > 0) {
          fields.push_back(LLVM::LLVMArrayType::get(i64, rank));
          fields.push_back(LLVM::LLVMArrayType::get(i64, rank));
        }
        auto structType = LLVM::LLVMStructType::getLiteral(ctx, fields);
        Value desc = LLVM::PoisonOp::create(b, loc, structType);
        desc = LLVM::InsertValueOp::create(b, loc, desc, data, ArrayRef<int64_t>{0});
        desc = LLVM::InsertValueOp::create(b, loc, desc, data, ArrayRef<int64_t>{1});
        desc = LLVM::InsertValueOp::create(b, loc, desc, constI64(0),
                                           ArrayRef<int64_t>{2});
        SmallVector<Value> sizes;
        for (int64_t d = 0; d < rank; ++d)
          sizes.push_back(m.isDynamicDim(d)
                              ? Value(entry->getArgument(nextDyn++))
                              : Value(constI64(m.getDimSize(d))));
        Value stride = constI64(1);
        for (int64_t d = rank - 1; d >= 0; --d) {
          desc = LLVM::InsertValueOp::create(b, loc, desc, sizes[d],
                                             ArrayRef<int64_t>{3, d});
          desc = LLVM::InsertValueOp::create(b, loc, desc, stride,
                                             ArrayRef<int64_t>{4, d});
          if (d > 0)
            stride = LLVM::MulOp::create(b, loc, stride, sizes[d]);
        }
        callArgs.push_back(
            UnrealizedConversionCastOp::create(b, loc, t, desc).getResult(0));
      }
      // The caller's stream is the stream, 0 (the legacy default stream)
      // included, from here to the end of the call.
      func::CallOp::create(b, loc, setStream, ValueRange{entry->getArgument(0)});
      func::CallOp::create(b, loc, f, callArgs);
      func::CallOp::create(b, loc, clearStream, ValueRange{});
      Value err = func::CallOp::create(b, loc, takeError, ValueRange{})
                      .getResult(0);
      func::ReturnOp::create(b, loc, err);
    }
  }
};

} // namespace
