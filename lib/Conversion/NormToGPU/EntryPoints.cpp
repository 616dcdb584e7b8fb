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

#include "norm/Conversion/NormToGPU/NormToGPU.h"
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
constexpr StringLiteral kBadArgument = "normGpuBadArgument";

/// The alignment the kernels' accesses to `m` need: vectors along a static
/// last dim (as NormToGPU chooses them, with its default vector bytes), else
/// one element.
int64_t requiredAlignment(MemRefType m) {
  int64_t elem = std::max<int64_t>(1, m.getElementTypeBitWidth() / 8);
  if (m.getRank() == 0 || m.isDynamicDim(m.getRank() - 1))
    return elem;
  return elem * rowVectorElements(m.getDimSize(m.getRank() - 1), elem);
}

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
    // normGpuBadArgument(entry name, argument index, reason, address,
    // alignment) -> error code: prints the message, returns the code.
    func::FuncOp badArgument = declare(
        b, module, kBadArgument,
        b.getFunctionType({ptr, i32, i32, i64, i64}, {i32}));

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
      // Checks before any launch (issue 18.3): every pointer non-null
      // (unless its memref has no element) and aligned as the kernels'
      // accesses need; every dynamic size non-negative; no memref whose
      // byte size overflows 63 bits. The first bad argument is reported
      // (normGpuBadArgument prints which and why) and its code returned.
      {
        auto i1 = b.getI1Type();
        auto constI32 = [&](int64_t v) {
          return LLVM::ConstantOp::create(b, loc, i32, b.getI32IntegerAttr(v));
        };
        auto constBool = [&](bool v) {
          return LLVM::ConstantOp::create(b, loc, i1, b.getBoolAttr(v));
        };
        Value zero = constI64(0);
        Value reason = constI32(0), badIndex = constI32(-1);
        Value badAddress = zero, badAlign = zero;
        unsigned p = 1, d = 1 + numMemrefs;
        for (Type t : f.getArgumentTypes()) {
          auto m = dyn_cast<MemRefType>(t);
          if (!m)
            continue;
          Value address = LLVM::PtrToIntOp::create(b, loc, i64,
                                                   entry->getArgument(p));
          int64_t align = requiredAlignment(m);
          int64_t elem = std::max<int64_t>(1, m.getElementTypeBitWidth() / 8);
          // Element count (and bytes) with overflow and negative sizes.
          Value count = constI64(1);
          Value overflow = constBool(false), negative = constBool(false);
          auto mulChecked = [&](Value a, Value c) {
            auto structType = LLVM::LLVMStructType::getLiteral(ctx, {i64, i1});
            Value r = LLVM::SMulWithOverflowOp::create(b, loc, structType, a, c);
            overflow = LLVM::OrOp::create(
                b, loc, overflow,
                LLVM::ExtractValueOp::create(b, loc, r, ArrayRef<int64_t>{1}));
            return LLVM::ExtractValueOp::create(b, loc, r, ArrayRef<int64_t>{0})
                .getResult();
          };
          for (int64_t k = 0; k < m.getRank(); ++k) {
            Value size = m.isDynamicDim(k) ? Value(entry->getArgument(d++))
                                           : Value(constI64(m.getDimSize(k)));
            if (m.isDynamicDim(k))
              negative = LLVM::OrOp::create(
                  b, loc, negative,
                  LLVM::ICmpOp::create(b, loc, LLVM::ICmpPredicate::slt, size,
                                       zero));
            count = mulChecked(count, size);
          }
          (void)mulChecked(count, constI64(elem));
          Value isNull = LLVM::AndOp::create(
              b, loc,
              LLVM::ICmpOp::create(b, loc, LLVM::ICmpPredicate::eq, address,
                                   zero),
              LLVM::ICmpOp::create(b, loc, LLVM::ICmpPredicate::ne, count,
                                   zero));
          Value misaligned = LLVM::ICmpOp::create(
              b, loc, LLVM::ICmpPredicate::ne,
              LLVM::AndOp::create(b, loc, address, constI64(align - 1)), zero);
          // Reasons: 1 null, 2 misaligned, 3 negative size, 4 overflow.
          Value why = constI32(0);
          for (auto [cond, code] :
               {std::pair<Value, int>{overflow, 4}, {negative, 3},
                {misaligned, 2}, {isNull, 1}})
            why = LLVM::SelectOp::create(b, loc, cond, constI32(code), why);
          Value firstBad = LLVM::AndOp::create(
              b, loc,
              LLVM::ICmpOp::create(b, loc, LLVM::ICmpPredicate::eq, reason,
                                   constI32(0)),
              LLVM::ICmpOp::create(b, loc, LLVM::ICmpPredicate::ne, why,
                                   constI32(0)));
          reason = LLVM::SelectOp::create(b, loc, firstBad, why, reason);
          badIndex = LLVM::SelectOp::create(b, loc, firstBad,
                                            constI32(p - 1), badIndex);
          badAddress = LLVM::SelectOp::create(b, loc, firstBad, address,
                                              badAddress);
          badAlign = LLVM::SelectOp::create(b, loc, firstBad, constI64(align),
                                            badAlign);
          ++p;
        }
        Value bad = LLVM::ICmpOp::create(b, loc, LLVM::ICmpPredicate::ne,
                                         reason, constI32(0));
        Block *fail = wrapper.addBlock();
        Block *run = wrapper.addBlock();
        LLVM::CondBrOp::create(b, loc, bad, fail, run);
        b.setInsertionPointToStart(fail);
        Value nameStr = LLVM::createGlobalString(
            loc, b, "__norm_entry_" + name, StringRef(name.c_str(), name.size() + 1),
            LLVM::Linkage::Internal);
        Value code =
            func::CallOp::create(b, loc, badArgument,
                                 ValueRange{nameStr, badIndex, reason,
                                            badAddress, badAlign})
                .getResult(0);
        func::ReturnOp::create(b, loc, code);
        b.setInsertionPointToStart(run);
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
