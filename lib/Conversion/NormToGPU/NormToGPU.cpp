//===- NormToGPU.cpp - norm ops to row-parallel GPU kernels -----*- C++ -*-===//
//
// Part of the norm project, under the Apache License v2.0 with LLVM
// Exceptions. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// `convert-norm-to-gpu`: norm ops on memrefs become gpu.launch kernels
// written in vector/arith/math/scf/memref/gpu. Upstream's generic paths
// (linalg → parallel loops → gpu, or linalg tiling onto scf.forall mapped to
// blocks and threads) give one thread per row or a reduction through memory;
// neither keeps a row in registers with cooperative warp reductions, which
// is what memory-bound normalization needs to reach the bandwidth limit
// (docs/GPU.md). So the kernel structure is built here, from upstream ops
// only, and everything after it (outlining, NVVM, PTX, host code) is
// upstream's.
//
// Rows: the leading dims collapse into M rows, the normalized ones into N.
// Each row is owned by Tr threads; lane l of a row touches the vectors
// j = k·Tr + l (k = 0..K−1) of V elements: consecutive lanes touch
// consecutive 16-byte vectors, so every access is coalesced and 128-bit.
//
//===----------------------------------------------------------------------===//

#include "norm/Conversion/Passes.h"
#include "norm/Dialect/Norm/IR/NormOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/FunctionInterfaces.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::norm {
#define GEN_PASS_DEF_CONVERTNORMTOGPUPASS
#include "norm/Conversion/Passes.h.inc"
} // namespace mlir::norm

using namespace mlir;
using namespace mlir::norm;

namespace {

//===----------------------------------------------------------------------===//
// Mapping of rows onto threads
//===----------------------------------------------------------------------===//

/// How the rows of one op map onto a kernel.
struct RowMapping {
  int64_t vec = 1;           // V: elements per lane vector (partition)
  int64_t accessVec = 0;     // elements per memory access: 0 (V) or 1,
                             // for pointers too little aligned for V
                             // (dynamic N only)
  int64_t threadsPerRow = 1; // Tr
  int64_t rowsPerBlock = 1;  // R
  int64_t vecsPerThread = 0; // K (static N); 0 for a dynamic N
  int64_t numVecs = 0;       // N / V (static N)
  bool keepRow = true;       // row values stay in registers between passes
  bool prefetch = false;     // gradients: the next row is loaded ahead
  /// A dynamic N in a static mapping for up to numVecs vectors (a "bucket"
  /// of the run-time dispatch): the run-time N masks every vector.
  bool runtimeCount = false;

  bool isStatic() const { return vecsPerThread > 0; }
  int64_t blockSize() const { return threadsPerRow * rowsPerBlock; }
  bool masked() const {
    return isStatic() && (runtimeCount || numVecs % threadsPerRow != 0);
  }
  /// Whether vector i of a thread's K may lie past the row's end.
  bool maskedAt(int64_t i) const {
    return masked() && (runtimeCount || i == vecsPerThread - 1);
  }
};

} // namespace

int64_t mlir::norm::rowVectorElements(int64_t n, int64_t elementBytes,
                                      int64_t vectorBytes) {
  int64_t vec = std::max<int64_t>(1, vectorBytes / elementBytes);
  while (vec > 1 && n % vec != 0)
    vec /= 2;
  return vec;
}

namespace {

/// The most vectors one thread handles in an unrolled (static-N) row.
constexpr int64_t kMaxUnrolledVecs = 32;

/// Capacities (elements) of the static mappings that a dynamic N of the
/// widest vector width runs in (`dispatchDynamicWidth`); a larger N loops.
constexpr int64_t kDynamicBuckets[] = {2048, 4096, 8192};

int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }
int64_t nextPowerOf2(int64_t v) {
  int64_t p = 1;
  while (p < v)
    p *= 2;
  return p;
}

/// Picks threads per row from N (docs/GPU.md, "Mapping"): about
/// `targetElements` elements per thread (in 16-byte vectors); a power of two
/// ≤ 32 threads with several rows per 256-thread block for short rows, whole
/// warps with one row per block beyond. `floatsPerElement` is the number of
/// row-sized values a thread holds per element (1 forward; x, dy, γ and the
/// partial sums backward): past 64 registers' worth, the row is read again
/// from memory (L1/L2) after the reduction instead of being kept.
RowMapping chooseMapping(std::optional<int64_t> n, int64_t elementBytes,
                         int64_t targetElements, int64_t floatsPerElement,
                         const NormToGPUOptions &options) {
  RowMapping m;
  if (!n) {
    m.threadsPerRow = options.loopThreads;
    m.keepRow = false;
    return m;
  }
  m.vec = rowVectorElements(*n, elementBytes, options.vectorBytes);
  m.numVecs = *n / m.vec;
  int64_t targetVecs = std::max<int64_t>(1, targetElements / m.vec);
  if (m.numVecs <= 32 * targetVecs) {
    m.threadsPerRow =
        std::min<int64_t>(32, nextPowerOf2(ceilDiv(m.numVecs, targetVecs)));
    m.rowsPerBlock = std::max<int64_t>(1, 256 / m.threadsPerRow);
  } else {
    m.threadsPerRow = std::min<int64_t>(
        1024, 32 * ceilDiv(ceilDiv(m.numVecs, targetVecs), 32));
  }
  m.vecsPerThread = ceilDiv(m.numVecs, m.threadsPerRow);
  m.keepRow = m.vecsPerThread * m.vec * floatsPerElement <= 64;
  // Past kMaxUnrolledVecs vectors per thread the row is not unrolled: the
  // kernel loops over it as for a dynamic N (same vector width, since V
  // divides N), so compile time and code size stay bounded (issue 23.12;
  // 2^24 elements unrolled took 14 s, 2^28 over 200 s).
  if (m.vecsPerThread > kMaxUnrolledVecs) {
    m.threadsPerRow = std::max<int64_t>(options.loopThreads, 1024);
    m.rowsPerBlock = 1;
    m.vecsPerThread = 0;
    m.keepRow = false;
  }
  return m;
}

//===----------------------------------------------------------------------===//
// Views of the operands as rows × columns
//===----------------------------------------------------------------------===//

/// `mem` (rank r, identity layout) as a 2-D [rows, cols] memref, rows being
/// the product of dims [0, axis) (1 when axis = 0).
Value viewAs2D(OpBuilder &b, Location loc, Value mem, int64_t axis) {
  auto type = cast<MemRefType>(mem.getType());
  int64_t rank = type.getRank();
  if (axis == 0) {
    if (rank > 1) {
      ReassociationIndices all;
      for (int64_t d = 0; d < rank; ++d)
        all.push_back(d);
      mem = memref::CollapseShapeOp::create(b, loc, mem, {all});
    }
    auto flat = cast<MemRefType>(mem.getType());
    SmallVector<OpFoldResult> shape = {b.getIndexAttr(1),
                                       memref::getMixedSize(b, loc, mem, 0)};
    auto resultType =
        MemRefType::get({1, flat.getDimSize(0)}, flat.getElementType());
    return memref::ExpandShapeOp::create(b, loc, resultType, mem, {{0, 1}},
                                         shape);
  }
  if (rank == 2 && axis == 1)
    return mem;
  ReassociationIndices rows, cols;
  for (int64_t d = 0; d < rank; ++d)
    (d < axis ? rows : cols).push_back(d);
  return memref::CollapseShapeOp::create(b, loc, mem, {rows, cols});
}

/// `mem` (the leading or the normalized shape) as a 1-D memref.
Value viewAs1D(OpBuilder &b, Location loc, Value mem) {
  auto type = cast<MemRefType>(mem.getType());
  if (type.getRank() == 1)
    return mem;
  if (type.getRank() == 0)
    return memref::ExpandShapeOp::create(
        b, loc, MemRefType::get({1}, type.getElementType()), mem,
        ArrayRef<ReassociationIndices>{}, ArrayRef<OpFoldResult>{
                                              b.getIndexAttr(1)});
  ReassociationIndices all;
  for (int64_t d = 0; d < type.getRank(); ++d)
    all.push_back(d);
  return memref::CollapseShapeOp::create(b, loc, mem, {all});
}

/// Views of optional operands (null stays null) as rows × columns or flat.
struct OperandViews {
  OpBuilder &b;
  Location loc;
  int64_t axis;
  Value rows(Value v) { return v ? viewAs2D(b, loc, v, axis) : Value(); }
  Value flat(Value v) { return v ? viewAs1D(b, loc, v) : Value(); }
};

//===----------------------------------------------------------------------===//
// Kernel body builder
//===----------------------------------------------------------------------===//

/// Builds the body of one row kernel: indexing, predicated vector accesses,
/// row reductions. All arithmetic is in `acc`.
class RowKernel {
public:
  RowKernel(OpBuilder &b, Location loc, Type acc, const RowMapping &map,
            Value numRows, Value numCols, Value reductionScratch)
      : b(b), loc(loc), acc(acc), map(map), numRows(numRows),
        numCols(numCols), scratch(reductionScratch) {
    tid = gpu::ThreadIdOp::create(b, loc, gpu::Dimension::x);
    bid = gpu::BlockIdOp::create(b, loc, gpu::Dimension::x);
    lane = rem(tid, map.threadsPerRow);
    slot = div(tid, map.threadsPerRow);
    vecCount = map.isStatic() && !map.runtimeCount
                   ? idx(map.numVecs)
                   : arith::DivUIOp::create(b, loc, numCols, idx(map.vec))
                         .getResult();
    count = toAcc(numCols);
  }

  OpBuilder &b;
  Location loc;
  Type acc;
  RowMapping map;
  Value numRows, numCols;
  Value scratch;
  Value tid, bid, lane, slot, vecCount, count;
  unsigned nextScratch = 0;
  /// Set inside row loops whose iterations reuse the reduction scratch.
  bool reuseScratch = false;

  Value idx(int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); }
  Value cst(double v) {
    return arith::ConstantOp::create(b, loc, acc, b.getFloatAttr(acc, v));
  }
  Value div(Value a, int64_t c) {
    return c == 1 ? a : arith::DivUIOp::create(b, loc, a, idx(c)).getResult();
  }
  Value rem(Value a, int64_t c) {
    return c == 1 ? idx(0)
                  : arith::RemUIOp::create(b, loc, a, idx(c)).getResult();
  }
  Value add(Value a, Value c) { return arith::AddFOp::create(b, loc, a, c); }
  Value sub(Value a, Value c) { return arith::SubFOp::create(b, loc, a, c); }
  Value mul(Value a, Value c) { return arith::MulFOp::create(b, loc, a, c); }
  /// a·c + d, rounded once. Products that feed a sum are fused: one
  /// rounding fewer than mul + add (what nvcc's default contraction gives
  /// CUDA C++ kernels such as PyTorch's; upstream's lowering of arith
  /// without fastmath flags emits mul.rn/add.rn, which ptxas never fuses).
  Value fma(Value a, Value c, Value d) {
    return math::FmaOp::create(b, loc, a, c, d);
  }
  Value neg(Value a) { return arith::NegFOp::create(b, loc, a); }
  Value addi(Value a, Value c) { return arith::AddIOp::create(b, loc, a, c); }
  Value muli(Value a, Value c) { return arith::MulIOp::create(b, loc, a, c); }
  Value ult(Value a, Value c) {
    return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, a, c);
  }
  Value andi(Value a, Value c) {
    if (!a)
      return c;
    if (!c)
      return a;
    return arith::AndIOp::create(b, loc, a, c);
  }
  Value toAcc(Value index) {
    Value i64 = arith::IndexCastUIOp::create(b, loc, b.getI64Type(), index);
    return arith::UIToFPOp::create(b, loc, acc, i64);
  }

  VectorType accVec() { return VectorType::get({map.vec}, acc); }
  Value splat(Value scalar) {
    return vector::BroadcastOp::create(b, loc, accVec(), scalar);
  }
  Value zeros() {
    return arith::ConstantOp::create(
        b, loc, accVec(),
        DenseElementsAttr::get(accVec(), b.getFloatAttr(acc, 0.0)));
  }
  Value widen(Value v) {
    auto type = cast<VectorType>(v.getType());
    if (type.getElementType() == acc)
      return v;
    return arith::ExtFOp::create(b, loc, accVec(), v);
  }
  Value narrow(Value v, Type element) {
    if (element == acc)
      return v;
    return arith::TruncFOp::create(
        b, loc, VectorType::get({map.vec}, element), v);
  }
  /// Rounds to `element` and back (the rounding of h and of x̂ before γ).
  Value roundTrip(Value v, Type element) {
    if (element == acc)
      return v;
    return widen(narrow(v, element));
  }
  Value hsum(Value v) {
    return vector::ReductionOp::create(b, loc, vector::CombiningKind::ADD, v);
  }

  /// Elements per memory access: V, or a divisor of it.
  int64_t accessElements() const {
    return map.accessVec ? map.accessVec : map.vec;
  }

  /// The alignment of an access of `element` (accessElements() of them at
  /// a multiple of that count).
  llvm::MaybeAlign alignment(Type element) {
    int64_t bytes = accessElements() * element.getIntOrFloatBitWidth() / 8;
    int64_t align = 1;
    while (align * 2 <= bytes && align * 2 <= 16 && bytes % (align * 2) == 0)
      align *= 2;
    return llvm::MaybeAlign(align);
  }

  /// Column index of vector `vecIndex`.
  Value column(Value vecIndex) { return muli(vecIndex, idx(map.vec)); }

  /// Loads V elements at `indices` (the last one a column) widened to acc;
  /// zeros where `pred` is false.
  Value load(Value mem, SmallVector<Value> indices, Value pred) {
    return widen(loadRaw(mem, indices, pred));
  }

  /// Loads V elements of `mem`'s element type at `indices`; zeros where
  /// `pred` is false. (Kept narrow where a value is carried across loop
  /// iterations: half the registers of the widened vector for 16-bit types.)
  Value loadRaw(Value mem, SmallVector<Value> indices, Value pred) {
    Type element = cast<MemRefType>(mem.getType()).getElementType();
    auto type = VectorType::get({map.vec}, element);
    int64_t access = accessElements();
    auto emit = [&](OpBuilder &nb, Location nl) -> Value {
      if (access == map.vec)
        return vector::LoadOp::create(nb, nl, type, mem, indices,
                                      /*nontemporal=*/false,
                                      alignment(element));
      // One-element accesses filling the same V lanes: the lanes, and so
      // every sum, are those of the V-wide kernel (batch invariance).
      Value v = arith::ConstantOp::create(
          nb, nl, type,
          DenseElementsAttr::get(type, nb.getFloatAttr(element, 0.0)));
      for (int64_t j = 0; j < map.vec; ++j) {
        SmallVector<Value> at(indices);
        at.back() = arith::AddIOp::create(
            nb, nl, at.back(), arith::ConstantIndexOp::create(nb, nl, j));
        Value e = memref::LoadOp::create(nb, nl, mem, at);
        v = vector::InsertOp::create(nb, nl, e, v, ArrayRef<int64_t>{j});
      }
      return v;
    };
    if (!pred)
      return emit(b, loc);
    auto ifOp = scf::IfOp::create(
        b, loc, pred,
        [&](OpBuilder &nb, Location nl) {
          scf::YieldOp::create(nb, nl, emit(nb, nl));
        },
        [&](OpBuilder &nb, Location nl) {
          Value zero = arith::ConstantOp::create(
              nb, nl, type,
              DenseElementsAttr::get(type, nb.getFloatAttr(element, 0.0)));
          scf::YieldOp::create(nb, nl, zero);
        });
    return ifOp.getResult(0);
  }

  /// Stores an acc vector rounded to `mem`'s element type where `pred`.
  void store(Value v, Value mem, SmallVector<Value> indices, Value pred) {
    Type element = cast<MemRefType>(mem.getType()).getElementType();
    int64_t access = accessElements();
    auto emit = [&]() {
      Value n = narrow(v, element);
      if (access == map.vec) {
        vector::StoreOp::create(b, loc, n, mem, indices,
                                /*nontemporal=*/false, alignment(element));
        return;
      }
      for (int64_t j = 0; j < map.vec; ++j) {
        SmallVector<Value> at(indices);
        at.back() = addi(at.back(), idx(j));
        Value e = vector::ExtractOp::create(b, loc, n, ArrayRef<int64_t>{j});
        memref::StoreOp::create(b, loc, e, mem, at);
      }
    };
    if (!pred) {
      emit();
      return;
    }
    auto ifOp = scf::IfOp::create(b, loc, pred, /*withElseRegion=*/false);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(ifOp.thenBlock());
    emit();
  }

  /// The factor γ + offset at column `col` (an absent γ is 1), or null when
  /// it is 1.
  Value gammaFactor(Value gamma, double offset, Value col, Value pred) {
    if (!gamma)
      return offset == 0.0 ? Value() : splat(cst(offset + 1.0));
    Value g = load(gamma, {col}, pred);
    return offset == 0.0 ? g : add(g, splat(cst(offset)));
  }

  /// Loads a per-row scalar (rstd, mean) of row `row`, widened to acc.
  Value loadScalar(Value mem, Value row) {
    Value v = memref::LoadOp::create(b, loc, mem, row);
    if (v.getType() != acc)
      v = arith::ExtFOp::create(b, loc, acc, v);
    return v;
  }
  void storeScalar(Value v, Value mem, Value row, Value pred) {
    Type element = cast<MemRefType>(mem.getType()).getElementType();
    if (element != acc)
      v = arith::TruncFOp::create(b, loc, element, v);
    auto ifOp = scf::IfOp::create(b, loc, pred, false);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(ifOp.thenBlock());
    memref::StoreOp::create(b, loc, v, mem, row);
  }

  /// Butterfly sum over `width` lanes (power of two ≤ 32, aligned groups):
  /// every lane of the group ends with the group's sum.
  Value warpSum(Value v, int64_t width) {
    for (int64_t offset = width / 2; offset >= 1; offset /= 2) {
      Value other;
      if (acc.isF64()) {
        // Shuffles move 32 bits: exchange the two halves of an f64.
        Value bits = arith::BitcastOp::create(b, loc, b.getI64Type(), v);
        Value lo = arith::TruncIOp::create(b, loc, b.getI32Type(), bits);
        Value hi = arith::TruncIOp::create(
            b, loc, b.getI32Type(),
            arith::ShRUIOp::create(
                b, loc, bits,
                arith::ConstantIntOp::create(b, loc, b.getI64Type(), 32)));
        auto shuffle = [&](Value x) -> Value {
          return gpu::ShuffleOp::create(b, loc, x, offset, 32,
                                        gpu::ShuffleMode::XOR)
              .getShuffleResult();
        };
        Value lo2 = arith::ExtUIOp::create(b, loc, b.getI64Type(), shuffle(lo));
        Value hi2 = arith::ExtUIOp::create(b, loc, b.getI64Type(), shuffle(hi));
        Value joined = arith::OrIOp::create(
            b, loc, lo2,
            arith::ShLIOp::create(
                b, loc, hi2,
                arith::ConstantIntOp::create(b, loc, b.getI64Type(), 32)));
        other = arith::BitcastOp::create(b, loc, acc, joined);
      } else {
        other = gpu::ShuffleOp::create(b, loc, v, offset, 32,
                                       gpu::ShuffleMode::XOR)
                    .getShuffleResult();
      }
      v = add(v, other);
    }
    return v;
  }

  /// Sums each of `values` over the Tr threads of the row; every thread of
  /// the row gets the sums. Across warps: one shared-memory slot per warp,
  /// read back in warp order (a fixed order: results do not depend on
  /// timing).
  SmallVector<Value> rowSums(ArrayRef<Value> values) {
    int64_t tr = map.threadsPerRow;
    SmallVector<Value> sums;
    for (Value v : values)
      sums.push_back(warpSum(v, std::min<int64_t>(tr, 32)));
    if (tr <= 32)
      return sums;
    int64_t warps = tr / 32;
    unsigned base = nextScratch;
    nextScratch += values.size();
    assert(nextScratch <= kScratchSlots && "too many row reductions");
    Value warp = div(tid, 32);
    Value first = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq,
                                        rem(tid, 32), idx(0));
    {
      auto ifOp = scf::IfOp::create(b, loc, first, false);
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(ifOp.thenBlock());
      for (unsigned i = 0; i < sums.size(); ++i)
        memref::StoreOp::create(b, loc, sums[i], scratch,
                                ValueRange{idx(base + i), warp});
    }
    gpu::BarrierOp::create(b, loc);
    for (unsigned i = 0; i < sums.size(); ++i) {
      Value s = memref::LoadOp::create(b, loc, scratch,
                                       ValueRange{idx(base + i), idx(0)});
      for (int64_t w = 1; w < warps; ++w)
        s = add(s, memref::LoadOp::create(b, loc, scratch,
                                          ValueRange{idx(base + i), idx(w)}));
      sums[i] = s;
    }
    if (reuseScratch) {
      gpu::BarrierOp::create(b, loc);
      nextScratch = base;
    }
    return sums;
  }

  /// 1 / sqrt(m2 / N + eps): both correctly rounded (as the CPU lowering).
  /// `epsValue` (a runtime epsilon, a kernel argument once outlined)
  /// replaces the constant when given.
  Value rstdOf(Value m2, double epsilon, Value epsValue = Value(),
               Value n = Value()) {
    Value var = arith::DivFOp::create(b, loc, m2, n ? n : count);
    Value root = math::SqrtOp::create(
        b, loc, add(var, epsValue ? epsValue : cst(epsilon)));
    return arith::DivFOp::create(b, loc, cst(1.0), root);
  }

  static constexpr int64_t kScratchSlots = 4;
};

/// Row-shaped and column-shaped operands of a forward op, viewed 2-D / 1-D.
struct ForwardOperands {
  Value x, gamma, beta, residual, y, mean, rstd, residualOut;
  /// pre_all_gather: the stats [rows, 2 or 3] written instead of y.
  Value statsOut;
  /// post_all_gather: the gathered stats [rows, K·P] the row's mean and
  /// rstd come from, instead of its own sums.
  Value statsIn;
  Value epsValue; ///< A runtime epsilon (f32 scalar), or null.
  double epsilon = 0, gammaOffset = 0;
  bool isLayer = false;
  bool roundBeforeGamma = false;
};

struct BackwardOperands {
  Value dy, x, mean, rstd, gamma, dx, dgammaPartial, dbetaPartial;
  double gammaOffset = 0;
  bool isLayer = false;
};

/// Scratch for row reductions across warps: kScratchSlots × 32 warps.
MemRefType scratchType(OpBuilder &b, Type acc) {
  return MemRefType::get(
      {RowKernel::kScratchSlots, 32}, acc, MemRefLayoutAttrInterface(),
      gpu::AddressSpaceAttr::get(b.getContext(),
                                 gpu::AddressSpace::Workgroup));
}

/// Creates `gpu.launch` with 1-D grid and block and the reduction scratch
/// (plus `extraWorkgroup` buffers); returns it with the builder inside.
gpu::LaunchOp createLaunch(OpBuilder &b, Location loc, Value grid,
                           int64_t blockX, int64_t blockY,
                           ArrayRef<Type> workgroup) {
  Value one = arith::ConstantIndexOp::create(b, loc, 1);
  auto launch = gpu::LaunchOp::create(
      b, loc, grid, one, one, arith::ConstantIndexOp::create(b, loc, blockX),
      arith::ConstantIndexOp::create(b, loc, blockY), one, nullptr, nullptr,
      {}, workgroup);
  Block &body = launch.getBody().front();
  b.setInsertionPointToStart(&body);
  gpu::TerminatorOp::create(b, loc);
  b.setInsertionPointToStart(&body);
  return launch;
}

//===----------------------------------------------------------------------===//
// Forward
//===----------------------------------------------------------------------===//

/// A row's mean as hi + lo (lo small against hi): h − mean is formed as
/// (h − hi) − lo, whose first step is exact for h near hi (Sterbenz), so y
/// does not carry the f32 rounding of the mean itself (up to ulp(mean)/2,
/// which on a row of mean 100 is ~4e-6, far above the ulps of y). The
/// stored mean is the rounded hi + lo. rms norm: both null.
struct RowCenter {
  Value hi, lo;
  explicit operator bool() const { return static_cast<bool>(hi); }
};

/// post_all_gather: the row's mean (layer; null for rms) and rstd from the
/// gathered stats, merged in shard order as norm-decompose does
/// (docs/Norm.md): N = Σ n_p, rms rstd = 1/sqrt(Σ S_p / N + ε); layer
/// mean = Σ T_p / N, M2 = Σ M2_p + Σ n_p (T_p/n_p − mean)² (an empty shard
/// adds 0). Every thread of the row computes it (P is small; the loads are
/// the same addresses for the whole row).
std::pair<RowCenter, Value> mergeGatheredStats(RowKernel &k,
                                           const ForwardOperands &o,
                                           Value row) {
  OpBuilder &b = k.b;
  Location loc = k.loc;
  int64_t group = o.isLayer ? 3 : 2;
  Value entries = memref::DimOp::create(b, loc, o.statsIn, 1);
  Value shards = k.div(entries, group);
  auto entry = [&](OpBuilder &nb, Location nl, Value p, int64_t j) -> Value {
    Value col = arith::AddIOp::create(
        nb, nl,
        arith::MulIOp::create(nb, nl, p,
                              arith::ConstantIndexOp::create(nb, nl, group)),
        arith::ConstantIndexOp::create(nb, nl, j));
    Value v = memref::LoadOp::create(nb, nl, o.statsIn, ValueRange{row, col});
    if (v.getType() != k.acc)
      v = arith::ExtFOp::create(nb, nl, k.acc, v);
    return v;
  };
  SmallVector<Value> zeros(group, k.cst(0.0));
  auto totals = scf::ForOp::create(
      b, loc, k.idx(0), shards, k.idx(1), zeros,
      [&](OpBuilder &nb, Location nl, Value p, ValueRange sums) {
        SmallVector<Value> next;
        for (int64_t j = 0; j < group; ++j)
          next.push_back(
              arith::AddFOp::create(nb, nl, sums[j], entry(nb, nl, p, j)));
        scf::YieldOp::create(nb, nl, next);
      });
  Value n = totals.getResult(0);
  if (!o.isLayer)
    return {RowCenter(),
            k.rstdOf(totals.getResult(1), o.epsilon, o.epsValue, n)};
  // mean = c + Σ_p (T_p − n_p·c) / N with c the first shard's mean (0 if
  // it is empty): each term is one fma of nearly equal numbers, so the sum
  // has no large partial sums to round (Σ T_p in f32 lost ~1e-5 of a
  // mean-100 row); what is left is the f32 rounding of each T_p.
  Value zero = k.cst(0.0);
  // (No shard at all, a run-time stats dim of 0, reads nothing: c = 0.)
  Value anyShard = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ugt,
                                         shards, k.idx(0));
  auto first = scf::IfOp::create(
      b, loc, anyShard,
      [&](OpBuilder &nb, Location nl) {
        Value n0 = entry(nb, nl, arith::ConstantIndexOp::create(nb, nl, 0), 0);
        Value t0 = entry(nb, nl, arith::ConstantIndexOp::create(nb, nl, 0), 1);
        Value z = arith::ConstantOp::create(nb, nl, k.acc,
                                            nb.getFloatAttr(k.acc, 0.0));
        Value nonEmpty =
            arith::CmpFOp::create(nb, nl, arith::CmpFPredicate::OGT, n0, z);
        Value m0 = arith::DivFOp::create(nb, nl, t0, n0);
        scf::YieldOp::create(
            nb, nl,
            ValueRange{arith::SelectOp::create(nb, nl, nonEmpty, m0, z)});
      },
      [&](OpBuilder &nb, Location nl) {
        scf::YieldOp::create(
            nb, nl,
            ValueRange{arith::ConstantOp::create(
                nb, nl, k.acc, nb.getFloatAttr(k.acc, 0.0))});
      });
  Value c = first.getResult(0);
  Value negC = arith::NegFOp::create(b, loc, c);
  auto shifted = scf::ForOp::create(
      b, loc, k.idx(0), shards, k.idx(1), ValueRange{zero},
      [&](OpBuilder &nb, Location nl, Value p, ValueRange sum) {
        Value d = math::FmaOp::create(nb, nl, entry(nb, nl, p, 0), negC,
                                      entry(nb, nl, p, 1));
        scf::YieldOp::create(
            nb, nl, ValueRange{arith::AddFOp::create(nb, nl, sum[0], d)});
      });
  Value rest = arith::DivFOp::create(b, loc, shifted.getResult(0), n);
  Value mean = k.add(c, rest);
  auto between = scf::ForOp::create(
      b, loc, k.idx(0), shards, k.idx(1), ValueRange{zero},
      [&](OpBuilder &nb, Location nl, Value p, ValueRange sum) {
        Value np = entry(nb, nl, p, 0);
        Value shardMean =
            arith::DivFOp::create(nb, nl, entry(nb, nl, p, 1), np);
        Value delta = arith::SubFOp::create(nb, nl, shardMean, mean);
        Value term = arith::MulFOp::create(
            nb, nl, np, arith::MulFOp::create(nb, nl, delta, delta));
        Value empty = arith::CmpFOp::create(nb, nl, arith::CmpFPredicate::OLE,
                                            np, zero);
        term = arith::SelectOp::create(nb, nl, empty, zero, term);
        scf::YieldOp::create(
            nb, nl, ValueRange{arith::AddFOp::create(nb, nl, sum[0], term)});
      });
  Value m2 = k.add(totals.getResult(2), between.getResult(0));
  return {RowCenter{c, rest}, k.rstdOf(m2, o.epsilon, o.epsValue, n)};
}

// Per row (docs/Norm.md):
//   h = x [+ residual, rounded to x's type]      (residual_out = h)
//   rms:   rstd = 1/sqrt(Σh²/N + ε),   x̂ = h·rstd
//   layer: mean = Σh/N, var = Σ(h−mean)²/N, rstd = 1/sqrt(var + ε),
//          x̂ = (h−mean)·rstd
//   y = x̂ [rounded to x's type: before_gamma] · (γ + offset) + β
// The split ops share it: pre_all_gather stops after the sums and writes
// the shard's stats `[n_p, Σh²]` or `[n_p, Σh, Σ(h − Σh/n_p)²]` (the same
// tree sums, so as accurate as the unsplit op); post_all_gather takes mean
// and rstd from the gathered stats and only normalizes.
void emitForwardBody(RowKernel &k, const ForwardOperands &o, Type xType) {
  OpBuilder &b = k.b;
  Location loc = k.loc;
  const RowMapping &map = k.map;
  bool statsOnly = static_cast<bool>(o.statsOut);
  Value row = k.addi(k.muli(k.bid, k.idx(map.rowsPerBlock)), k.slot);
  Value rowOk = map.rowsPerBlock > 1 ? k.ult(row, k.numRows) : Value();
  // A row past M (only with several rows per block) reads and writes
  // nothing; its lanes still take part in the shuffles.
  Value safeRow = rowOk ? arith::SelectOp::create(b, loc, rowOk, row, k.idx(0))
                              .getResult()
                        : row;

  auto loadH = [&](Value vecIndex, Value pred, bool storeResidual) {
    Value col = k.column(vecIndex);
    Value h = k.load(o.x, {safeRow, col}, pred);
    if (o.residual) {
      h = k.roundTrip(k.add(h, k.load(o.residual, {safeRow, col}, pred)),
                      xType);
      if (storeResidual && o.residualOut)
        k.store(h, o.residualOut, {safeRow, col}, pred);
    }
    return h;
  };
  auto centerOf = [&](Value h, RowCenter c) {
    return c ? k.sub(k.sub(h, k.splat(c.hi)), k.splat(c.lo)) : h;
  };
  auto writeY = [&](Value h, RowCenter mean, Value rstd, Value vecIndex,
                    Value pred) {
    Value col = k.column(vecIndex);
    Value centered = centerOf(h, mean);
    Value xhat = k.mul(centered, k.splat(rstd));
    if (o.roundBeforeGamma)
      xhat = k.roundTrip(xhat, xType);
    Value y = xhat;
    Value g = k.gammaFactor(o.gamma, o.gammaOffset, col, pred);
    Value beta = o.beta ? k.load(o.beta, {col}, pred) : Value();
    if (g && beta)
      y = k.fma(y, g, beta);
    else if (g)
      y = k.mul(y, g);
    else if (beta)
      y = k.add(y, beta);
    k.store(y, o.y, {safeRow, col}, pred);
  };
  auto firstLane = [&] {
    Value first = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq,
                                        k.lane, k.idx(0));
    return k.andi(first, rowOk);
  };
  auto finishStats = [&](RowCenter mean, Value rstd) {
    Value pred = firstLane();
    if (o.rstd)
      k.storeScalar(rstd, o.rstd, safeRow, pred);
    if (o.mean && mean)
      k.storeScalar(k.add(mean.hi, mean.lo), o.mean, safeRow, pred);
  };
  // pre_all_gather, layer: T_p = Σh as n_p·m₁ + Σ(h − m₁) with one
  // rounding (fma). The tree sum Σh itself is off by ~log2(n)·ε·|Σh|, which
  // for rows far from zero (mean 100) moves the merged mean by more than an
  // f32 ulp; this T_p is as accurate as the unsplit kernel's mean.
  auto shardSum = [&](Value m1, Value dsum) -> Value {
    return math::FmaOp::create(b, loc, k.count, m1, dsum);
  };
  // pre_all_gather: lane 0 writes [n_p, s₁ (, m2)] of its row.
  auto writeShardStats = [&](Value s1, Value m2) {
    auto ifOp = scf::IfOp::create(b, loc, firstLane(), false);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(ifOp.thenBlock());
    SmallVector<Value> values = {k.count, s1};
    if (m2)
      values.push_back(m2);
    Type element = cast<MemRefType>(o.statsOut.getType()).getElementType();
    for (auto [j, v] : llvm::enumerate(values)) {
      if (v.getType() != element)
        v = arith::TruncFOp::create(b, loc, element, v);
      memref::StoreOp::create(b, loc, v, o.statsOut,
                              ValueRange{safeRow, k.idx(j)});
    }
  };

  if (map.isStatic()) {
    // K vectors per thread, unrolled; the last may be partial (masked).
    SmallVector<Value> vecIndex, pred;
    for (int64_t i = 0; i < map.vecsPerThread; ++i) {
      Value j = k.addi(k.idx(i * map.threadsPerRow), k.lane);
      vecIndex.push_back(j);
      pred.push_back(
          k.andi(rowOk, map.maskedAt(i) ? k.ult(j, k.vecCount) : Value()));
    }
    SmallVector<Value> h;
    auto getH = [&](int64_t i, bool storeResidual) -> Value {
      if (map.keepRow && i < (int64_t)h.size())
        return h[i];
      return loadH(vecIndex[i], pred[i], storeResidual);
    };
    if (o.statsIn) {
      auto [mean, rstd] = mergeGatheredStats(k, o, safeRow);
      finishStats(mean, rstd);
      for (int64_t i = 0; i < map.vecsPerThread; ++i)
        writeY(getH(i, false), mean, rstd, vecIndex[i], pred[i]);
      return;
    }
    // Pass 1: Σh (layer) or Σh² (rms).
    Value partial = k.zeros();
    for (int64_t i = 0; i < map.vecsPerThread; ++i) {
      Value hi = loadH(vecIndex[i], pred[i],
                       /*storeResidual=*/map.keepRow || statsOnly);
      if (map.keepRow)
        h.push_back(hi);
      partial = o.isLayer ? k.add(partial, hi) : k.fma(hi, hi, partial);
    }
    Value sum = k.rowSums({k.hsum(partial)})[0];
    RowCenter mean;
    Value rstd;
    if (o.isLayer) {
      // Pass 2 (from registers): d = h − m₁ with m₁ = Σh/N; Σd corrects
      // the mean (m = m₁ + Σd/N: Σh in f32 loses the low bits of a large
      // mean, Σd does not) and Σd² − (Σd)²/N is the centered sum of squares.
      Value m1 = arith::DivFOp::create(b, loc, sum, k.count);
      Value dsum = k.zeros(), m2 = k.zeros();
      for (int64_t i = 0; i < map.vecsPerThread; ++i) {
        Value d = k.sub(getH(i, false), k.splat(m1));
        if (pred[i])
          d = arith::SelectOp::create(b, loc, pred[i], d, k.zeros());
        dsum = k.add(dsum, d);
        m2 = k.fma(d, d, m2);
      }
      SmallVector<Value> sums = k.rowSums({k.hsum(dsum), k.hsum(m2)});
      Value shift = arith::DivFOp::create(b, loc, sums[0], k.count);
      mean = {m1, shift};
      Value centered = k.fma(k.neg(sums[0]), shift, sums[1]);
      if (statsOnly) {
        writeShardStats(shardSum(m1, sums[0]), centered);
        return;
      }
      rstd = k.rstdOf(centered, o.epsilon, o.epsValue);
    } else {
      if (statsOnly) {
        writeShardStats(sum, Value());
        return;
      }
      rstd = k.rstdOf(sum, o.epsilon, o.epsValue);
    }
    finishStats(mean, rstd);
    for (int64_t i = 0; i < map.vecsPerThread; ++i)
      writeY(getH(i, /*storeResidual=*/!map.keepRow), mean, rstd, vecIndex[i],
             pred[i]);
    return;
  }

  // Dynamic N: loop over the row once per pass.
  auto rowLoop = [&](Value init,
                     function_ref<Value(Value vecIndex, Value acc)> body) {
    auto loop = scf::ForOp::create(
        b, loc, k.lane, k.vecCount, k.idx(map.threadsPerRow),
        init ? ValueRange{init} : ValueRange{},
        [&](OpBuilder &nb, Location nl, Value iv, ValueRange args) {
          OpBuilder::InsertionGuard guard(b);
          b.setInsertionPoint(nb.getInsertionBlock(), nb.getInsertionPoint());
          Value r = body(iv, init ? args[0] : Value());
          scf::YieldOp::create(b, nl, r ? ValueRange{r} : ValueRange{});
        });
    return init ? loop.getResult(0) : Value();
  };
  if (o.statsIn) {
    auto [mean, rstd] = mergeGatheredStats(k, o, safeRow);
    finishStats(mean, rstd);
    rowLoop(Value(), [&](Value j, Value) {
      writeY(loadH(j, nullptr, false), mean, rstd, j, nullptr);
      return Value();
    });
    return;
  }
  Value partial = rowLoop(k.zeros(), [&](Value j, Value a) {
    Value h = loadH(j, nullptr, /*storeResidual=*/statsOnly);
    return o.isLayer ? k.add(a, h) : k.fma(h, h, a);
  });
  Value sum = k.rowSums({k.hsum(partial)})[0];
  RowCenter mean;
  Value rstd;
  if (o.isLayer) {
    // As above: the mean corrected by Σ(h − m₁).
    Value m1 = arith::DivFOp::create(b, loc, sum, k.count);
    Value dsum = rowLoop(k.zeros(), [&](Value j, Value a) {
      return k.add(a, k.sub(loadH(j, nullptr, false), k.splat(m1)));
    });
    Value dsumRow = k.rowSums({k.hsum(dsum)})[0];
    Value shift = arith::DivFOp::create(b, loc, dsumRow, k.count);
    mean = {m1, shift};
    Value m2 = rowLoop(k.zeros(), [&](Value j, Value a) {
      Value d = centerOf(loadH(j, nullptr, false), mean);
      return k.fma(d, d, a);
    });
    Value centered = k.rowSums({k.hsum(m2)})[0];
    if (statsOnly) {
      writeShardStats(shardSum(m1, dsumRow), centered);
      return;
    }
    rstd = k.rstdOf(centered, o.epsilon, o.epsValue);
  } else {
    if (statsOnly) {
      writeShardStats(sum, Value());
      return;
    }
    rstd = k.rstdOf(sum, o.epsilon, o.epsValue);
  }
  finishStats(mean, rstd);
  rowLoop(Value(), [&](Value j, Value) {
    writeY(loadH(j, nullptr, true), mean, rstd, j, nullptr);
    return Value();
  });
}

//===----------------------------------------------------------------------===//
// Backward
//===----------------------------------------------------------------------===//

// Per row (docs/Norm.md): x̂ = (x − mean)·rstd (mean = 0 for rms),
// g = dy·(γ + offset);  dx = rstd·(g − mean(g) [layer] − x̂·mean(g·x̂)).
// Per column: dgamma = Σ_rows dy·x̂, dbeta = Σ_rows dy, accumulated per
// block (rows bid·R + slot, stepping by gridDim·R) and written as one
// partial row per block.
void emitBackwardBody(RowKernel &k, const BackwardOperands &o,
                      Value wgPartials) {
  OpBuilder &b = k.b;
  Location loc = k.loc;
  const RowMapping &map = k.map;
  bool wantDx = static_cast<bool>(o.dx);
  bool wantDg = static_cast<bool>(o.dgammaPartial);
  bool wantDb = static_cast<bool>(o.dbetaPartial);
  Value gridDim = gpu::GridDimOp::create(b, loc, gpu::Dimension::x);
  Value step = k.muli(gridDim, k.idx(map.rowsPerBlock));
  Value start = k.muli(k.bid, k.idx(map.rowsPerBlock));
  bool isStatic = map.isStatic();
  int64_t numChunks = isStatic ? map.vecsPerThread : 0;

  SmallVector<Value> vecIndex, colPred;
  for (int64_t i = 0; i < numChunks; ++i) {
    Value j = k.addi(k.idx(i * map.threadsPerRow), k.lane);
    vecIndex.push_back(j);
    colPred.push_back(map.maskedAt(i) ? k.ult(j, k.vecCount) : Value());
  }

  auto gammaAt = [&](Value col, Value pred) {
    return k.gammaFactor(o.gamma, o.gammaOffset, col, pred);
  };
  // γ stays in registers across rows only when the row does too; otherwise
  // it is read where it is used (it is small and stays in L1/L2).
  SmallVector<Value> gammaVecs;
  if (isStatic && wantDx && map.keepRow)
    for (int64_t i = 0; i < numChunks; ++i)
      gammaVecs.push_back(gammaAt(k.column(vecIndex[i]), colPred[i]));
  auto gammaChunk = [&](int64_t i) -> Value {
    if (!gammaVecs.empty())
      return gammaVecs[i];
    return gammaAt(k.column(vecIndex[i]), colPred[i]);
  };

  // Dynamic N: this block's partial rows start at zero (each thread zeroes
  // the columns it later accumulates, so no barrier is needed).
  if (!isStatic && (wantDg || wantDb)) {
    scf::ForOp::create(
        b, loc, k.lane, k.vecCount, k.idx(map.threadsPerRow), ValueRange{},
        [&](OpBuilder &nb, Location nl, Value j, ValueRange) {
          OpBuilder::InsertionGuard guard(b);
          b.setInsertionPoint(nb.getInsertionBlock(), nb.getInsertionPoint());
          Value col = k.column(j);
          if (wantDg)
            k.store(k.zeros(), o.dgammaPartial, {k.bid, col}, nullptr);
          if (wantDb)
            k.store(k.zeros(), o.dbetaPartial, {k.bid, col}, nullptr);
          scf::YieldOp::create(b, nl);
        });
  }

  // Loop-carried partial sums (static N): K vectors each.
  SmallVector<Value> inits;
  if (isStatic) {
    if (wantDg)
      inits.append(numChunks, k.zeros());
    if (wantDb)
      inits.append(numChunks, k.zeros());
  }
  unsigned numAcc = inits.size();

  // A row index clamped into [0, M): loads of a row past the end (the last
  // group's empty slots, the prefetch after a block's last row) read row 0,
  // and what they read is discarded.
  auto clampRow = [&](Value row) -> Value {
    return arith::SelectOp::create(b, loc, k.ult(row, k.numRows), row,
                                   k.idx(0));
  };
  // Prefetch (static N): the next row's x, dy (in their own type), rstd and
  // mean are loaded at the top of an iteration and carried into the next
  // one, so that their loads are in flight during this row's reductions,
  // barriers and stores (software pipelining of the row loop).
  bool prefetch = isStatic && map.prefetch;
  auto loadRowData = [&](Value safeRow) {
    SmallVector<Value> data;
    for (Value mem : {o.x, o.dy})
      for (int64_t i = 0; i < numChunks; ++i)
        data.push_back(
            k.loadRaw(mem, {safeRow, k.column(vecIndex[i])}, colPred[i]));
    data.push_back(k.loadScalar(o.rstd, safeRow));
    if (o.mean)
      data.push_back(k.loadScalar(o.mean, safeRow));
    return data;
  };
  if (prefetch)
    llvm::append_range(inits, loadRowData(clampRow(k.addi(start, k.slot))));

  k.reuseScratch = true;
  auto rowLoop = scf::ForOp::create(
      b, loc, start, k.numRows, step, inits,
      [&](OpBuilder &nb, Location nl, Value base, ValueRange carried) {
        OpBuilder::InsertionGuard guard(b);
        b.setInsertionPoint(nb.getInsertionBlock(), nb.getInsertionPoint());
        Value row = k.addi(base, k.slot);
        Value rowOk =
            map.rowsPerBlock > 1 ? k.ult(row, k.numRows) : Value();
        Value safeRow = rowOk ? clampRow(row) : row;
        SmallVector<Value> next;
        ValueRange current;
        if (prefetch) {
          next = loadRowData(clampRow(k.addi(row, step)));
          current = carried.drop_front(numAcc);
        }
        Value rstd = prefetch ? current[2 * numChunks]
                              : k.loadScalar(o.rstd, safeRow);
        Value mean = !o.mean ? Value()
                     : prefetch ? current[2 * numChunks + 1]
                                : k.loadScalar(o.mean, safeRow);
        auto xhatOf = [&](Value x) {
          return k.mul(mean ? k.sub(x, k.splat(mean)) : x, k.splat(rstd));
        };

        if (isStatic) {
          SmallVector<Value> xs, dys;
          auto pred = [&](int64_t i) { return k.andi(rowOk, colPred[i]); };
          // First pass: the prefetched row, or loads (zeros in empty slots).
          auto firstX = [&](int64_t i) {
            return prefetch ? k.widen(current[i])
                            : k.load(o.x, {safeRow, k.column(vecIndex[i])},
                                     pred(i));
          };
          auto firstDy = [&](int64_t i) {
            return prefetch ? k.widen(current[numChunks + i])
                            : k.load(o.dy, {safeRow, k.column(vecIndex[i])},
                                     pred(i));
          };
          // Second pass: the row kept in registers, or read again (L1/L2).
          auto getX = [&](int64_t i) {
            if (map.keepRow && i < (int64_t)xs.size())
              return xs[i];
            return k.load(o.x, {safeRow, k.column(vecIndex[i])}, pred(i));
          };
          auto getDy = [&](int64_t i) {
            if (map.keepRow && i < (int64_t)dys.size())
              return dys[i];
            return k.load(o.dy, {safeRow, k.column(vecIndex[i])}, pred(i));
          };
          SmallVector<Value> newCarried(carried.take_front(numAcc));
          Value c1 = k.zeros(), c2 = k.zeros();
          for (int64_t i = 0; i < numChunks; ++i) {
            Value x = firstX(i), dy = firstDy(i);
            if (map.keepRow) {
              xs.push_back(x);
              dys.push_back(dy);
            }
            Value xhat = xhatOf(x);
            if (wantDx) {
              Value gm = gammaChunk(i);
              Value g = gm ? k.mul(dy, gm) : dy;
              c1 = k.fma(g, xhat, c1);
              c2 = k.add(c2, g);
            }
            unsigned at = 0;
            if (wantDg)
              newCarried[at + i] = k.fma(dy, xhat, carried[at + i]);
            at += wantDg ? numChunks : 0;
            if (wantDb)
              newCarried[at + i] = k.add(carried[at + i], dy);
          }
          // An empty slot of the last group adds nothing (with prefetch it
          // holds row 0's values, not zeros).
          if (rowOk && prefetch)
            for (unsigned a = 0; a < numAcc; ++a)
              newCarried[a] = arith::SelectOp::create(b, loc, rowOk,
                                                      newCarried[a],
                                                      carried[a]);
          if (wantDx) {
            SmallVector<Value> sums =
                o.isLayer ? k.rowSums({k.hsum(c1), k.hsum(c2)})
                          : k.rowSums({k.hsum(c1)});
            Value negM1 =
                k.neg(arith::DivFOp::create(b, loc, sums[0], k.count));
            Value m2 = o.isLayer
                           ? arith::DivFOp::create(b, loc, sums[1], k.count)
                                 .getResult()
                           : Value();
            for (int64_t i = 0; i < numChunks; ++i) {
              Value x = getX(i), dy = getDy(i);
              Value xhat = xhatOf(x);
              Value gm = gammaChunk(i);
              Value g = gm ? k.mul(dy, gm) : dy;
              Value t = k.fma(xhat, k.splat(negM1), g);
              if (m2)
                t = k.sub(t, k.splat(m2));
              k.store(k.mul(t, k.splat(rstd)), o.dx,
                      {safeRow, k.column(vecIndex[i])}, pred(i));
            }
          }
          llvm::append_range(newCarried, next);
          scf::YieldOp::create(b, nl, newCarried);
          return;
        }

        // Dynamic N: pass 1 sums, pass 2 writes dx and the partial rows.
        auto forRow = [&](ValueRange init,
                          function_ref<SmallVector<Value>(Value, ValueRange)>
                              body) {
          return scf::ForOp::create(
                     b, loc, k.lane, k.vecCount, k.idx(map.threadsPerRow),
                     init,
                     [&](OpBuilder &lb, Location ll, Value j,
                         ValueRange args) {
                       OpBuilder::InsertionGuard g2(b);
                       b.setInsertionPoint(lb.getInsertionBlock(),
                                           lb.getInsertionPoint());
                       scf::YieldOp::create(b, ll, body(j, args));
                     })
              .getResults();
        };
        // −mean(g·x̂), and mean(g) for layer norm.
        Value negM1, m2;
        if (wantDx) {
          SmallVector<Value> sums(forRow(
              {k.zeros(), k.zeros()}, [&](Value j, ValueRange a) {
                Value col = k.column(j);
                Value x = k.load(o.x, {row, col}, nullptr);
                Value dy = k.load(o.dy, {row, col}, nullptr);
                Value gm = gammaAt(col, nullptr);
                Value g = gm ? k.mul(dy, gm) : dy;
                return SmallVector<Value>{k.fma(g, xhatOf(x), a[0]),
                                          k.add(a[1], g)};
              }));
          SmallVector<Value> r =
              o.isLayer ? k.rowSums({k.hsum(sums[0]), k.hsum(sums[1])})
                        : k.rowSums({k.hsum(sums[0])});
          negM1 = k.neg(arith::DivFOp::create(b, loc, r[0], k.count));
          if (o.isLayer)
            m2 = arith::DivFOp::create(b, loc, r[1], k.count);
        }
        forRow({}, [&](Value j, ValueRange) {
          Value col = k.column(j);
          Value x = k.load(o.x, {row, col}, nullptr);
          Value dy = k.load(o.dy, {row, col}, nullptr);
          Value xhat = xhatOf(x);
          if (wantDx) {
            Value gm = gammaAt(col, nullptr);
            Value g = gm ? k.mul(dy, gm) : dy;
            Value t = k.fma(xhat, k.splat(negM1), g);
            if (m2)
              t = k.sub(t, k.splat(m2));
            k.store(k.mul(t, k.splat(rstd)), o.dx, {row, col}, nullptr);
          }
          if (wantDg) {
            Value p = k.load(o.dgammaPartial, {k.bid, col}, nullptr);
            k.store(k.fma(dy, xhat, p), o.dgammaPartial, {k.bid, col},
                    nullptr);
          }
          if (wantDb) {
            Value p = k.load(o.dbetaPartial, {k.bid, col}, nullptr);
            k.store(k.add(p, dy), o.dbetaPartial, {k.bid, col}, nullptr);
          }
          return SmallVector<Value>{};
        });
        scf::YieldOp::create(b, nl);
      });
  k.reuseScratch = false;
  if (!isStatic || !(wantDg || wantDb))
    return;

  // Static N: combine the R row slots of the block (in slot order, through
  // shared memory), then the last slot writes the block's partial row.
  SmallVector<Value> finals(rowLoop.getResults().take_front(numAcc));
  int64_t slots = map.rowsPerBlock;
  auto partialOut = [&](unsigned which) {
    return which == 0 && wantDg ? o.dgammaPartial : o.dbetaPartial;
  };
  unsigned numSums = (wantDg ? 1 : 0) + (wantDb ? 1 : 0);
  for (unsigned s = 0; s < numSums; ++s) {
    Value out = partialOut(s);
    ArrayRef<Value> mine = ArrayRef(finals).slice(s * numChunks, numChunks);
    if (slots == 1) {
      for (int64_t i = 0; i < numChunks; ++i)
        k.store(mine[i], out, {k.bid, k.column(vecIndex[i])}, colPred[i]);
      continue;
    }
    Value shared = wgPartials;
    for (int64_t r = 0; r < slots; ++r) {
      Value isR = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq,
                                        k.slot, k.idx(r));
      auto ifOp = scf::IfOp::create(b, loc, isR, false);
      {
        OpBuilder::InsertionGuard guard(b);
        b.setInsertionPointToStart(ifOp.thenBlock());
        for (int64_t i = 0; i < numChunks; ++i) {
          Value col = k.column(vecIndex[i]);
          Value total = mine[i];
          if (r > 0)
            total = k.add(k.load(shared, {col}, colPred[i]), total);
          if (r + 1 < slots)
            k.store(total, shared, {col}, colPred[i]);
          else
            k.store(total, out, {k.bid, col}, colPred[i]);
        }
      }
      if (r + 1 < slots)
        gpu::BarrierOp::create(b, loc);
    }
    gpu::BarrierOp::create(b, loc);
  }
}

/// The persistent gradient grid of a static N as one wave: blocks per SM R
/// from an estimate of the registers per thread (the row values each thread
/// holds, `perElement` per element, plus ~26 for addresses, indices and
/// scalars: within 2-10 of ptxas's counts for the kernels of the bf16
/// benchmark, ncu on the H200, 2026-12-03). An estimate up to 80 is held to
/// 64 (ptxas fits it, mostly by rematerializing addresses), which gives
/// 1024 resident threads per SM; beyond, R is what the estimate allows.
/// Returns {grid blocks, R}: `persistentBlocks` is 2 per SM, so the SMs
/// are persistentBlocks / 2. Measured before (same date): grids of 2 SMs'
/// worth of 512-thread blocks with 74-114 registers (1 resident) ran as two
/// waves, 128-thread blocks with 72 (7 resident, 8 launched) as 1.14.
std::pair<int64_t, int64_t> residentGrid(const RowMapping &map,
                                         int64_t perElement,
                                         int64_t persistentBlocks) {
  int64_t block = map.blockSize();
  int64_t estimate = map.vecsPerThread * map.vec * perElement + 26;
  int64_t regs = estimate <= 80 ? 64 : 8 * ceilDiv(estimate, 8);
  int64_t perSM = std::clamp<int64_t>(65536 / (block * regs), 1,
                                      std::min<int64_t>(32, 2048 / block));
  int64_t sms = std::max<int64_t>(1, persistentBlocks / 2);
  return {sms * perSM, perSM};
}

/// Columns per block of the column-sum kernel (its 1024 threads are
/// `kCols` columns × 1024/kCols partial-row lanes): 32 (a warp reads 128
/// contiguous bytes of a partial row) unless that leaves fewer than 64
/// blocks for a static N (N <= 2016), then 8 (32-byte sectors still whole;
/// 128 blocks at N = 1024). Measured (H200, M = 16384, 2026-12-04, A/B in
/// one run): at N = 1024, where 32 columns made 32 blocks for 1056 partial
/// rows (ncu: 6.4-8.7 µs next to a 25-28 µs row kernel), 8 columns gained
/// 2.3-3.6 points of copy (rms bf16 75.2 -> 77.5%, ln f16 68.5 -> 72.1%);
/// at N = 2048, 16 columns (128 blocks) lost 0.4-1.1 points, so N >= 2048
/// keeps 32. A dynamic N keeps 32.
int64_t columnTile(std::optional<int64_t> n) {
  return n && ceilDiv(*n, 32) < 64 ? 8 : 32;
}

/// Second stage of dgamma/dbeta, one kernel for both: out[c] = Σ_p
/// partial[p, c] over the P partial rows of each (partial, out) pair, in a
/// fixed order (bitwise reproducible): R = 1024/kCols threads per column
/// each sum the rows p ≡ ty (mod R) in increasing p, then thread ty = 0 adds
/// the R sums in order (R = 32), or, for R = 128, a fixed tree in shared
/// memory does (step h = 64, ..., 1: lane ty < h adds lane ty + h), since
/// 128 dependent shared-memory loads in one thread would take longer than
/// the sums. The per-thread loop issues kUnroll loads before it adds
/// them (in the same order), so kUnroll reads are in flight instead of one:
/// measured (ncu, H200, 2026-12-03) with 16 threads and one load at a
/// time, the kernel took 10-11 µs for P = 1056 at N = 1024, a third of the
/// row kernel's time, stalled on L1TEX scoreboard 31-69 cycles per issue.
void emitColumnSums(OpBuilder &b, Location loc, Type acc,
                    ArrayRef<std::pair<Value, Value>> sums, Value numPartials,
                    Value numCols, std::optional<int64_t> staticCols) {
  constexpr int64_t kUnroll = 8;
  const int64_t kCols = columnTile(staticCols), kRowsPar = 1024 / kCols;
  int64_t numSums = sums.size();
  Value grid = arith::CeilDivUIOp::create(
      b, loc, numCols, arith::ConstantIndexOp::create(b, loc, kCols));
  auto shared = MemRefType::get(
      {numSums, kRowsPar, kCols}, acc, MemRefLayoutAttrInterface(),
      gpu::AddressSpaceAttr::get(b.getContext(),
                                 gpu::AddressSpace::Workgroup));
  OpBuilder::InsertionGuard guard(b);
  auto launch = createLaunch(b, loc, grid, kCols, kRowsPar, {shared});
  Value smem = launch.getWorkgroupAttributions()[0];
  auto idx = [&](int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); };
  Value tx = gpu::ThreadIdOp::create(b, loc, gpu::Dimension::x);
  Value ty = gpu::ThreadIdOp::create(b, loc, gpu::Dimension::y);
  Value bx = gpu::BlockIdOp::create(b, loc, gpu::Dimension::x);
  Value col = arith::AddIOp::create(
      b, loc, arith::MulIOp::create(b, loc, bx, idx(kCols)), tx);
  Value colOk =
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, col, numCols);
  Value zero = arith::ConstantOp::create(b, loc, acc, b.getFloatAttr(acc, 0));
  SmallVector<Value> zeros(numSums, zero);
  auto sumIf = scf::IfOp::create(
      b, loc, colOk,
      [&](OpBuilder &nb, Location nl) {
        Value last = arith::SubIOp::create(
            nb, nl, numPartials, arith::ConstantIndexOp::create(nb, nl, 1));
        auto loop = scf::ForOp::create(
            nb, nl, ty, numPartials,
            arith::ConstantIndexOp::create(nb, nl, kRowsPar * kUnroll), zeros,
            [&](OpBuilder &lb, Location ll, Value p0, ValueRange a) {
              // Rows p0 + u·kRowsPar past the end read the last row
              // (clamped) and add nothing.
              SmallVector<Value> valid, values;
              for (int64_t u = 0; u < kUnroll; ++u) {
                Value p = arith::AddIOp::create(
                    lb, ll, p0,
                    arith::ConstantIndexOp::create(lb, ll, u * kRowsPar));
                Value ok = arith::CmpIOp::create(
                    lb, ll, arith::CmpIPredicate::ult, p, numPartials);
                Value safe = arith::MinUIOp::create(lb, ll, p, last);
                valid.push_back(ok);
                for (int64_t s = 0; s < numSums; ++s)
                  values.push_back(memref::LoadOp::create(
                      lb, ll, sums[s].first, ValueRange{safe, col}));
              }
              SmallVector<Value> next(a);
              for (int64_t u = 0; u < kUnroll; ++u)
                for (int64_t s = 0; s < numSums; ++s)
                  next[s] = arith::SelectOp::create(
                      lb, ll, valid[u],
                      arith::AddFOp::create(lb, ll, next[s],
                                            values[u * numSums + s]),
                      next[s]);
              scf::YieldOp::create(lb, ll, next);
            });
        scf::YieldOp::create(nb, nl, loop.getResults());
      },
      [&](OpBuilder &nb, Location nl) {
        scf::YieldOp::create(nb, nl, zeros);
      });
  for (int64_t s = 0; s < numSums; ++s)
    memref::StoreOp::create(b, loc, sumIf.getResult(s), smem,
                            ValueRange{idx(s), ty, tx});
  gpu::BarrierOp::create(b, loc);
  bool tree = kRowsPar > 32;
  for (int64_t h = kRowsPar / 2; tree && h >= 1; h /= 2) {
    Value lower =
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, ty, idx(h));
    auto addIf = scf::IfOp::create(
        b, loc, arith::AndIOp::create(b, loc, lower, colOk), false);
    {
      OpBuilder::InsertionGuard g(b);
      b.setInsertionPointToStart(addIf.thenBlock());
      Value upper = arith::AddIOp::create(b, loc, ty, idx(h));
      for (int64_t s = 0; s < numSums; ++s) {
        Value mine =
            memref::LoadOp::create(b, loc, smem, ValueRange{idx(s), ty, tx});
        Value theirs = memref::LoadOp::create(b, loc, smem,
                                              ValueRange{idx(s), upper, tx});
        memref::StoreOp::create(b, loc,
                                arith::AddFOp::create(b, loc, mine, theirs),
                                smem, ValueRange{idx(s), ty, tx});
      }
    }
    gpu::BarrierOp::create(b, loc);
  }
  Value first =
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, ty, idx(0));
  auto writeIf = scf::IfOp::create(
      b, loc, arith::AndIOp::create(b, loc, first, colOk), false);
  b.setInsertionPointToStart(writeIf.thenBlock());
  for (int64_t s = 0; s < numSums; ++s) {
    Value total =
        memref::LoadOp::create(b, loc, smem, ValueRange{idx(s), idx(0), tx});
    for (int64_t r = 1; !tree && r < kRowsPar; ++r)
      total = arith::AddFOp::create(
          b, loc, total,
          memref::LoadOp::create(b, loc, smem, ValueRange{idx(s), idx(r), tx}));
    Value out = sums[s].second;
    Type outType = cast<MemRefType>(out.getType()).getElementType();
    if (outType != acc)
      total = arith::TruncFOp::create(b, loc, outType, total);
    memref::StoreOp::create(b, loc, total, out, col);
  }
}

//===----------------------------------------------------------------------===//
// Patterns
//===----------------------------------------------------------------------===//

/// Checks what every kernel assumes: memrefs with identity layouts.
LogicalResult checkOperands(PatternRewriter &rewriter, Operation *op) {
  for (Value v : op->getOperands()) {
    if (isa<FloatType>(v.getType()))
      continue; // the runtime eps scalar
    auto type = dyn_cast<MemRefType>(v.getType());
    if (!type)
      return rewriter.notifyMatchFailure(op, "expects memref operands");
    if (!type.getLayout().isIdentity())
      return rewriter.notifyMatchFailure(
          op, "expects identity (row-major contiguous) layouts");
  }
  return success();
}

/// N, static if every normalized dim is.
std::optional<int64_t> staticCount(NormOpInterface op) {
  auto type = cast<MemRefType>(op.getInput().getType());
  int64_t n = 1;
  for (int64_t d = op.getNormalizedAxis(); d < type.getRank(); ++d) {
    if (type.isDynamicDim(d))
      return std::nullopt;
    n *= type.getDimSize(d);
  }
  return n;
}

int64_t elementBytes(ArrayRef<Value> rowValues) {
  int64_t bytes = 1;
  for (Value v : rowValues)
    if (v)
      bytes = std::max<int64_t>(
          bytes,
          cast<MemRefType>(v.getType()).getElementTypeBitWidth() / 8);
  return bytes;
}

/// Wraps the kernel launches of one op in `scf.if (M > 0)`: an empty grid
/// is not a valid launch.
template <typename Fn>
void ifRows(OpBuilder &b, Location loc, Value numRows, Fn fn,
            function_ref<void()> noRows = nullptr) {
  Value any = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ugt, numRows,
                                    arith::ConstantIndexOp::create(b, loc, 0));
  auto ifOp = scf::IfOp::create(b, loc, any, /*withElseRegion=*/bool(noRows));
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(ifOp.thenBlock());
  fn();
  if (noRows) {
    b.setInsertionPointToStart(ifOp.elseBlock());
    noRows();
  }
}

/// Dynamic N: the kernel for the widest lane vector that the run-time N
/// allows. Width w (V, V/2, ..., 2 elements, V·s = vector-bytes; scalar
/// last) is the largest that divides N: it fixes which lanes of which thread
/// sum which elements, so a row's result depends on N alone (batch
/// invariance). Each width has two kernels: w-wide accesses when every
/// pointer in `mems` (rows and columns; null entries skipped) is aligned to
/// min(w·s, 16) bytes (then every row starts aligned), else one-element
/// accesses into the same lanes (a misaligned view gets the same bits,
/// slower). One `scf.if` chain on the host picks the kernel. With `bucket`
/// (for a dynamic N only), the widest width first tries the static mappings
/// of kDynamicBuckets (`bucket(capacity)`, the static mapping for N =
/// capacity, or nullopt to skip one), masked by the run-time N
/// (runtimeCount): the smallest that holds N.
/// Measured (H200, M = 16384, 2026-12-04): bf16 rms forward at N = 1024 and
/// 2048 from 59% and 73% of copy (the loop kernel) to 97% and 98%.
void dispatchDynamicWidth(
    OpBuilder &b, Location loc, const RowMapping &map, int64_t elementBytes,
    int64_t vectorBytes, Value numCols, ArrayRef<Value> mems,
    function_ref<void(const RowMapping &)> emit,
    function_ref<std::optional<RowMapping>(int64_t)> bucket = nullptr) {
  auto idx = [&](int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); };
  auto isZero = [&](Value v) {
    return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, v, idx(0));
  };
  // Emits `then` under `cond` and `otherwise` in the else branch.
  auto branch = [&](Value cond, function_ref<void()> then,
                    function_ref<void()> otherwise) {
    auto ifOp = scf::IfOp::create(b, loc, cond, /*withElseRegion=*/true);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(ifOp.thenBlock());
    then();
    b.setInsertionPointToStart(ifOp.elseBlock());
    otherwise();
  };
  // `m` with w-wide accesses when every pointer is aligned to them, else
  // with one-element accesses into the same lanes (the same bits).
  auto emitAligned = [&](const RowMapping &m) {
    Value aligned;
    for (Value mem : mems) {
      if (!mem)
        continue;
      int64_t bytes = std::max<int64_t>(
          1, cast<MemRefType>(mem.getType()).getElementTypeBitWidth() / 8);
      int64_t align = std::min<int64_t>(16, m.vec * bytes);
      Value ptr = memref::ExtractAlignedPointerAsIndexOp::create(b, loc, mem);
      Value ok = isZero(arith::RemUIOp::create(b, loc, ptr, idx(align)));
      aligned = aligned ? arith::AndIOp::create(b, loc, aligned, ok) : ok;
    }
    if (!aligned) {
      emit(m);
      return;
    }
    RowMapping narrow = m;
    narrow.accessVec = 1;
    branch(aligned, [&] { emit(m); }, [&] { emit(narrow); });
  };
  int64_t widest = std::max<int64_t>(1, vectorBytes / elementBytes);
  std::function<void(int64_t)> level = [&](int64_t w) {
    RowMapping m = map;
    m.vec = w;
    m.accessVec = 0;
    if (w == 1) {
      emit(m);
      return;
    }
    Value divides = isZero(arith::RemUIOp::create(b, loc, numCols, idx(w)));
    branch(
        divides,
        [&] {
          if (w != widest || !bucket) {
            emitAligned(m);
            return;
          }
          // The widest width: N up to a bucket's capacity runs that
          // bucket's static mapping (row in registers, unrolled), masked by
          // the run-time N; the smallest bucket that holds N is chosen, so
          // N alone still fixes a row's lanes.
          std::function<void(size_t)> chain = [&](size_t i) {
            if (i == std::size(kDynamicBuckets)) {
              emitAligned(m);
              return;
            }
            std::optional<RowMapping> bm = bucket(kDynamicBuckets[i]);
            if (!bm || !bm->isStatic() || bm->vec != w) {
              chain(i + 1);
              return;
            }
            bm->runtimeCount = true;
            Value fits = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ule,
                                               numCols,
                                               idx(kDynamicBuckets[i]));
            branch(fits, [&] { emitAligned(*bm); }, [&] { chain(i + 1); });
          };
          chain(0);
        },
        [&] { level(w / 2); });
  };
  level(widest);
}

/// out[c] = 0 for c < numCols: the column sums (dgamma, dbeta) of zero
/// rows, which no row kernel writes.
void emitZeroFill(OpBuilder &b, Location loc, Value out, Value numCols) {
  constexpr int64_t kThreads = 256;
  Value grid = arith::CeilDivUIOp::create(
      b, loc, numCols, arith::ConstantIndexOp::create(b, loc, kThreads));
  OpBuilder::InsertionGuard guard(b);
  createLaunch(b, loc, grid, kThreads, 1, {});
  Value col = arith::AddIOp::create(
      b, loc,
      arith::MulIOp::create(b, loc,
                            gpu::BlockIdOp::create(b, loc, gpu::Dimension::x),
                            arith::ConstantIndexOp::create(b, loc, kThreads)),
      gpu::ThreadIdOp::create(b, loc, gpu::Dimension::x));
  Value colOk =
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, col, numCols);
  auto ifOp = scf::IfOp::create(b, loc, colOk, false);
  b.setInsertionPointToStart(ifOp.thenBlock());
  Type type = cast<MemRefType>(out.getType()).getElementType();
  memref::StoreOp::create(
      b, loc, arith::ConstantOp::create(b, loc, type, b.getFloatAttr(type, 0)),
      out, col);
}

/// The row kernels of a forward op or a split op (its operands in `o`):
/// one launch for a static N, the run-time width dispatch for a dynamic one,
/// nothing when there are no rows.
void emitForwardLaunches(PatternRewriter &rewriter, Location loc,
                         NormOpInterface iface, const ForwardOperands &o,
                         Type xType, const NormToGPUOptions &options) {
  Type acc = iface.getAccumulationType();
  std::optional<int64_t> n = staticCount(iface);
  int64_t bytes = elementBytes({o.x, o.residual, o.y, o.residualOut});
  RowMapping map = chooseMapping(n, bytes, /*targetElements=*/32,
                                 /*floatsPerElement=*/1, options);
  Value numRows = memref::DimOp::create(rewriter, loc, o.x, 0);
  Value numCols = memref::DimOp::create(rewriter, loc, o.x, 1);

  ifRows(rewriter, loc, numRows, [&] {
    auto emit = [&](const RowMapping &m) {
      OpBuilder::InsertionGuard guard(rewriter);
      Value grid = arith::CeilDivUIOp::create(
          rewriter, loc, numRows,
          arith::ConstantIndexOp::create(rewriter, loc, m.rowsPerBlock));
      auto launch = createLaunch(rewriter, loc, grid, m.blockSize(), 1,
                                 {scratchType(rewriter, acc)});
      RowKernel k(rewriter, loc, acc, m, numRows, numCols,
                  launch.getWorkgroupAttributions()[0]);
      emitForwardBody(k, o, xType);
    };
    auto bucket = [&](int64_t capacity) -> std::optional<RowMapping> {
      return chooseMapping(capacity, bytes, 32, 1, options);
    };
    using Bucket = function_ref<std::optional<RowMapping>(int64_t)>;
    if (map.isStatic())
      emit(map);
    else // a static N past the unrolling limit loops: no bucket holds it
      dispatchDynamicWidth(
          rewriter, loc, map, bytes, options.vectorBytes, numCols,
          {o.x, o.residual, o.y, o.residualOut, o.gamma, o.beta}, emit,
          n ? Bucket() : Bucket(bucket));
  });
}

/// What the forward ops and post_all_gather share: the normalization of
/// x into y (ε, γ, β, the rounding, rstd and, for layer norm, mean).
template <typename OpTy>
void normalizeOperands(OpTy op, OperandViews &views, ForwardOperands &o) {
  o.epsilon = op.getEpsilon().convertToDouble();
  o.epsValue = op.getEps();
  o.gammaOffset = op.getGammaOffset().convertToDouble();
  o.roundBeforeGamma = op.getRounding() == RoundingMode::BeforeGamma;
  o.x = views.rows(op.getX());
  o.y = views.rows(op.getY());
  o.gamma = views.flat(op.getGamma());
  o.beta = views.flat(op.getBeta());
  o.rstd = views.flat(op.getRstd());
  if constexpr (std::is_same_v<OpTy, LayerNormOp> ||
                std::is_same_v<OpTy, LayerNormPostAllGatherOp>)
    o.mean = views.flat(op.getMean());
}

/// The operands of each op the forward kernel lowers: rms_norm/layer_norm
/// (normalize, with the residual), `*_pre_all_gather` (the residual and
/// the stats written instead of y), `*_post_all_gather` (normalize, mean
/// and rstd from the gathered stats).
template <typename OpTy>
ForwardOperands forwardOperands(OpTy op, OpBuilder &b, OperandViews &views,
                                int64_t axis) {
  ForwardOperands o;
  o.isLayer = std::is_same_v<OpTy, LayerNormOp> ||
              std::is_same_v<OpTy, LayerNormPreAllGatherOp> ||
              std::is_same_v<OpTy, LayerNormPostAllGatherOp>;
  constexpr bool isPre = std::is_same_v<OpTy, RmsNormPreAllGatherOp> ||
                         std::is_same_v<OpTy, LayerNormPreAllGatherOp>;
  constexpr bool isPost = std::is_same_v<OpTy, RmsNormPostAllGatherOp> ||
                          std::is_same_v<OpTy, LayerNormPostAllGatherOp>;
  if constexpr (!isPre)
    normalizeOperands(op, views, o);
  if constexpr (!isPost) {
    o.x = views.rows(op.getX());
    o.residual = views.rows(op.getResidual());
    o.residualOut = views.rows(op.getResidualOut());
  }
  // stats: the leading shape of x and one trailing dim of entries.
  if constexpr (isPre)
    o.statsOut = viewAs2D(b, op.getLoc(), op.getStats(), axis);
  if constexpr (isPost)
    o.statsIn = viewAs2D(b, op.getLoc(), op.getStats(), axis);
  return o;
}

/// rms_norm, layer_norm and the split ops on memrefs: the forward row
/// kernel (`emitForwardBody`).
template <typename OpTy>
struct ForwardToGPU final : OpRewritePattern<OpTy> {
  ForwardToGPU(MLIRContext *ctx, const NormToGPUOptions &options)
      : OpRewritePattern<OpTy>(ctx), options(options) {}

  LogicalResult matchAndRewrite(OpTy op,
                                PatternRewriter &rewriter) const override {
    if (failed(checkOperands(rewriter, op)))
      return failure();
    auto iface = cast<NormOpInterface>(op.getOperation());
    Location loc = op.getLoc();
    int64_t axis = iface.getNormalizedAxis();
    OperandViews views{rewriter, loc, axis};
    ForwardOperands o = forwardOperands(op, rewriter, views, axis);
    Type xType = cast<MemRefType>(op.getX().getType()).getElementType();
    emitForwardLaunches(rewriter, loc, iface, o, xType, options);
    rewriter.eraseOp(op);
    return success();
  }

  NormToGPUOptions options;
};

template <typename OpTy>
struct BackwardToGPU final : OpRewritePattern<OpTy> {
  BackwardToGPU(MLIRContext *ctx, const NormToGPUOptions &options)
      : OpRewritePattern<OpTy>(ctx), options(options) {}

  LogicalResult matchAndRewrite(OpTy op,
                                PatternRewriter &rewriter) const override {
    if (failed(checkOperands(rewriter, op)))
      return failure();
    auto iface = cast<NormOpInterface>(op.getOperation());
    Location loc = op.getLoc();
    int64_t axis = iface.getNormalizedAxis();
    Type acc = iface.getAccumulationType();

    BackwardOperands o;
    o.isLayer = std::is_same_v<OpTy, LayerNormGradOp>;
    o.gammaOffset = op.getGammaOffset().convertToDouble();
    OperandViews views{rewriter, loc, axis};
    o.dy = views.rows(op.getDy());
    o.x = views.rows(op.getX());
    o.dx = views.rows(op.getDx());
    o.rstd = views.flat(op.getRstd());
    o.gamma = views.flat(op.getGamma());
    if constexpr (std::is_same_v<OpTy, LayerNormGradOp>)
      o.mean = views.flat(op.getMean());
    Value dgamma = views.flat(op.getDgamma()), dbeta = views.flat(op.getDbeta());
    bool sums = dgamma || dbeta;
    if (!o.dx && !sums) {
      rewriter.eraseOp(op);
      return success();
    }

    std::optional<int64_t> n = staticCount(iface);
    int64_t bytes = elementBytes({o.dy, o.x, o.dx});
    // Registers per element of a thread's columns: x, dy, γ, the partial
    // sums, and with prefetch the next row's x and dy in their own type
    // (`rowRegs`).
    int64_t numSums = (dgamma ? 1 : 0) + (dbeta ? 1 : 0);
    int64_t rowRegs = ceilDiv(2 * bytes, 4);
    auto perElement = [&](bool prefetch) {
      return 2 + numSums + (o.dx && o.gamma ? 1 : 0) +
             (prefetch ? rowRegs : 0);
    };
    auto pickFor = [&](std::optional<int64_t> count, int64_t targetElements) {
      RowMapping m = chooseMapping(count, bytes, targetElements,
                                   perElement(options.gradPrefetch), options);
      // Measured (H200, bf16, M = 16384, 2026-12-03): the prefetch gains
      // 4-26 points of copy wherever it applies except layer norm with the
      // row re-read (N = 16384: 41% of copy without, 24% with, spilling).
      m.prefetch = options.gradPrefetch && m.isStatic();
      if (m.prefetch && o.isLayer && !m.keepRow) {
        m = chooseMapping(count, bytes, targetElements, perElement(false),
                          options);
        m.prefetch = false;
      }
      return m;
    };
    auto pick = [&](int64_t targetElements) {
      return pickFor(n, targetElements);
    };
    RowMapping map = pick(options.gradElements);
    // A 1024-thread row gets at most 64 registers a thread. With 16 or
    // more elements a thread, when the column sums (one register an
    // element each) and the row as loaded (x and dy in their own type) take
    // more than 32 of them, ptxas spills: 112-332 bytes, 40-45% of copy
    // for layer norm bf16 and both f32 norms at N = 16384. Half the
    // threads, twice the elements (128 registers) measured 60%, 51% and
    // 59% there; rms bf16, whose sums and row fit, ran 80% at 1024 threads
    // and 73% at 512 and keeps 1024 (H200, M = 16384, 2026-12-03).
    if (map.isStatic() && sums && map.threadsPerRow == 1024) {
      int64_t elems = map.vecsPerThread * map.vec;
      if (elems >= 16 && 2 * elems <= 32 && elems * (numSums + rowRegs) > 32)
        map = pick(ceilDiv(*n, 512));
    }
    Value numRows = memref::DimOp::create(rewriter, loc, o.x, 0);
    Value numCols = memref::DimOp::create(rewriter, loc, o.x, 1);

    ifRows(rewriter, loc, numRows, [&] {
      Value blocks = arith::CeilDivUIOp::create(
          rewriter, loc, numRows,
          arith::ConstantIndexOp::create(rewriter, loc, map.rowsPerBlock));
      // Without column sums every block takes one row group; with them the
      // grid is persistent (at most `persistentBlocks` partial rows).
      // `persistentBlocks` counts blocks of 512 threads; smaller blocks get
      // proportionally more, so that the grid fills the GPU alike.
      int64_t maxBlocks = options.persistentBlocks *
                          std::max<int64_t>(1, 512 / map.blockSize());
      int64_t minBlocksPerSM = 0;
      if (sums && options.gradLaunchBounds && map.isStatic()) {
        std::tie(maxBlocks, minBlocksPerSM) = residentGrid(
            map, perElement(map.prefetch), options.persistentBlocks);
      }
      Value grid =
          sums ? arith::MinUIOp::create(
                     rewriter, loc, blocks,
                     arith::ConstantIndexOp::create(rewriter, loc, maxBlocks))
                     .getResult()
               : blocks;
      auto partialType = MemRefType::get(
          {ShapedType::kDynamic, n ? *n : ShapedType::kDynamic}, acc);
      auto allocPartial = [&](Value out) -> Value {
        if (!out)
          return Value();
        SmallVector<Value> dyn = {grid};
        if (!n)
          dyn.push_back(numCols);
        return gpu::AllocOp::create(rewriter, loc, partialType, Type(),
                                    ValueRange{}, dyn, ValueRange{})
            .getMemref();
      };
      o.dgammaPartial = allocPartial(dgamma);
      o.dbetaPartial = allocPartial(dbeta);

      SmallVector<Type> workgroup = {scratchType(rewriter, acc)};
      if (sums && map.isStatic() && map.rowsPerBlock > 1)
        workgroup.push_back(MemRefType::get(
            {*n}, acc, MemRefLayoutAttrInterface(),
            gpu::AddressSpaceAttr::get(rewriter.getContext(),
                                       gpu::AddressSpace::Workgroup)));
      auto emit = [&](const RowMapping &m) {
        OpBuilder::InsertionGuard guard(rewriter);
        auto launch =
            createLaunch(rewriter, loc, grid, m.blockSize(), 1, workgroup);
        RowKernel k(rewriter, loc, acc, m, numRows, numCols,
                    launch.getWorkgroupAttributions()[0]);
        if (minBlocksPerSM > 0)
          k.bid.getDefiningOp()->setAttr(
              kMinBlocksPerSMAttr,
              rewriter.getI32IntegerAttr(static_cast<int32_t>(minBlocksPerSM)));
        emitBackwardBody(k, o,
                         workgroup.size() > 1
                             ? Value(launch.getWorkgroupAttributions()[1])
                             : Value());
      };
      auto bucket = [&](int64_t capacity) -> std::optional<RowMapping> {
        RowMapping m = pickFor(capacity, options.gradElements);
        // Not in 1024-thread blocks: capped at 64 registers, a row masked
        // at every vector spilled 124-460 bytes there (ptxas -v, sm_90,
        // the 8192 bucket of every type); such a bucket takes 512 threads
        // and twice the elements.
        if (m.isStatic() && m.blockSize() > 512)
          m = pickFor(capacity, ceilDiv(capacity, 512));
        // One row a block: the grid and the partial rows are shared with
        // the loop kernel's (one row group a block).
        if (m.rowsPerBlock != 1 || m.blockSize() > 512)
          return std::nullopt;
        return m;
      };
      using Bucket = function_ref<std::optional<RowMapping>(int64_t)>;
      if (map.isStatic())
        emit(map);
      else // a static N past the unrolling limit loops: no bucket holds it
        dispatchDynamicWidth(rewriter, loc, map, bytes, options.vectorBytes,
                             numCols, {o.dy, o.x, o.dx, o.gamma}, emit,
                             n ? Bucket() : Bucket(bucket));
      SmallVector<std::pair<Value, Value>> columnSums;
      for (auto [partial, out] :
           {std::pair{o.dgammaPartial, dgamma}, {o.dbetaPartial, dbeta}})
        if (out)
          columnSums.push_back({partial, out});
      if (!columnSums.empty()) {
        emitColumnSums(rewriter, loc, acc, columnSums, grid, numCols, n);
        for (auto [partial, out] : columnSums)
          gpu::DeallocOp::create(rewriter, loc, Type(), ValueRange{}, partial);
      }
    }, [&] {
      // No rows: dgamma and dbeta are sums over nothing.
      for (Value out : {dgamma, dbeta})
        if (out)
          emitZeroFill(rewriter, loc, out, numCols);
    });
    rewriter.eraseOp(op);
    return success();
  }

  NormToGPUOptions options;
};

struct ConvertNormToGPUPass final
    : norm::impl::ConvertNormToGPUPassBase<ConvertNormToGPUPass> {
  using Base::Base;

  void runOnOperation() override {
    if (vectorBytes < 1 || vectorBytes > 16 ||
        (vectorBytes & (vectorBytes - 1)) != 0) {
      mlir::emitError(getOperation()->getLoc())
          << "convert-norm-to-gpu: vector-bytes must be 1, 2, 4, 8 or 16, got "
          << static_cast<int64_t>(vectorBytes);
      return signalPassFailure();
    }
    if (persistentBlocks < 1 || loopThreads < 32 || loopThreads > 1024 ||
        loopThreads % 32 != 0) {
      mlir::emitError(getOperation()->getLoc())
          << "convert-norm-to-gpu: persistent-blocks must be ≥ 1 and "
             "loop-threads a multiple of 32 in [32, 1024]";
      return signalPassFailure();
    }
    if (gradElements < 1 || gradElements > 64) {
      mlir::emitError(getOperation()->getLoc())
          << "convert-norm-to-gpu: grad-elements must be in [1, 64], got "
          << static_cast<int64_t>(gradElements);
      return signalPassFailure();
    }
    // Kernels are named after their function, and PTX symbols are
    // [A-Za-z_$][A-Za-z0-9_$]*: anything else would reach the NVPTX
    // backend's fatal error (found by norm-fuzz).
    WalkResult names = getOperation()->walk([](FunctionOpInterface f) {
      StringRef name = SymbolTable::getSymbolName(f).getValue();
      auto ok = [](char c) { return llvm::isAlnum(c) || c == '_' || c == '$'; };
      if (name.empty() || llvm::isDigit(name[0]) || !llvm::all_of(name, ok)) {
        f.emitError() << "convert-norm-to-gpu: '" << name
                      << "' cannot name GPU kernels (PTX symbols are "
                         "[A-Za-z_$][A-Za-z0-9_$]*)";
        return WalkResult::interrupt();
      }
      return WalkResult::advance();
    });
    if (names.wasInterrupted())
      return signalPassFailure();
    NormToGPUOptions options;
    options.vectorBytes = vectorBytes;
    options.persistentBlocks = persistentBlocks;
    options.loopThreads = loopThreads;
    options.gradElements = gradElements;
    options.gradPrefetch = gradPrefetch;
    options.gradLaunchBounds = gradLaunchBounds;
    RewritePatternSet patterns(&getContext());
    populateNormToGPUConversionPatterns(patterns, options);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
    // Whatever is left could not be lowered: say why at the op.
    WalkResult result = getOperation()->walk([](Operation *op) {
      if (!isa<NormOpInterface>(op))
        return WalkResult::advance();
      op->emitOpError("could not be lowered to GPU kernels: operands must "
                      "be memrefs with identity layouts (bufferize first)");
      return WalkResult::interrupt();
    });
    if (result.wasInterrupted())
      signalPassFailure();
  }
};

} // namespace

void mlir::norm::populateNormToGPUConversionPatterns(
    RewritePatternSet &patterns, const NormToGPUOptions &options) {
  patterns.add<ForwardToGPU<RmsNormOp>, ForwardToGPU<LayerNormOp>,
               BackwardToGPU<RmsNormGradOp>, BackwardToGPU<LayerNormGradOp>,
               ForwardToGPU<RmsNormPreAllGatherOp>,
               ForwardToGPU<LayerNormPreAllGatherOp>,
               ForwardToGPU<RmsNormPostAllGatherOp>,
               ForwardToGPU<LayerNormPostAllGatherOp>>(
      patterns.getContext(), options);
}
