//===- norm-embed.cpp - a downstream compiler that embeds norm --*- C++ -*-===//
//
// Part of the norm project, under the Apache License v2.0 with LLVM
// Exceptions. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// What another compiler does to use norm, built against the installed
// package alone (find_package(Norm)):
//   1. registers norm into its own registry and pass registry
//      (registerNormDialect, registerNormPasses);
//   2. runs norm-fuse and the CPU pipeline, built in C++ from the pipeline
//      function and its options struct (or any textual --pass-pipeline,
//      which parses because the norm passes are registered);
//   3. JIT-compiles the result with MLIR's ExecutionEngine, runs @forward
//      (a residual add + RMSNorm, examples/embed/residual_rms_norm.mlir) on
//      generated data and compares it with a float64 reference.
// Usage: norm-embed [input.mlir] [--rows=N] [--cpu-options="..."]
//                   [--pass-pipeline="..."] [--emit=run|mlir]
//
//===----------------------------------------------------------------------===//

#include "norm/Dialect/Norm/Transforms/Passes.h"
#include "norm/InitNorm.h"
#include "norm/Pipelines/Pipelines.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <random>
#include <vector>

using namespace mlir;
namespace cl = llvm::cl;

static cl::opt<std::string> inputFile(cl::Positional,
                                      cl::desc("<input .mlir>"),
                                      cl::init(NORM_EMBED_DEFAULT_INPUT));
static cl::opt<std::string> passPipeline(
    "pass-pipeline",
    cl::desc("A textual pipeline run instead of norm-fuse + "
             "norm-lower-to-cpu (norm passes are registered)"),
    cl::init(""));
static cl::opt<std::string> cpuOptions(
    "cpu-options", cl::desc("Options of norm-lower-to-cpu"),
    cl::init(NORM_EMBED_DEFAULT_CPU_OPTIONS));
static cl::opt<std::string>
    emit("emit", cl::desc("run: execute @forward and check it; mlir: print "
                          "the lowered module"),
         cl::init("run"));
static cl::opt<int64_t> rows("rows", cl::desc("Rows of the inputs"),
                             cl::init(33));

namespace {
/// A ranked memref descriptor as the C interface passes it.
template <int Rank>
struct MemRef {
  float *allocated = nullptr, *aligned = nullptr;
  int64_t offset = 0, sizes[Rank] = {}, strides[Rank] = {};
};

/// Checks that @forward is (tensor<?xNxf32>, tensor<?xNxf32>,
/// tensor<Nxf32>) -> (tensor<?xNxf32>, tensor<?xNxf32>); returns N.
FailureOr<int64_t> forwardHiddenSize(ModuleOp module) {
  auto fn = module.lookupSymbol<func::FuncOp>("forward");
  if (!fn)
    return module.emitError("norm-embed runs @forward; there is none");
  FunctionType type = fn.getFunctionType();
  auto matrix = [](Type t) {
    auto r = dyn_cast<RankedTensorType>(t);
    return r && r.getRank() == 2 && r.getElementType().isF32() &&
           !ShapedType::isDynamic(r.getDimSize(1));
  };
  if (type.getNumInputs() != 3 || type.getNumResults() != 2 ||
      !matrix(type.getInput(0)) || type.getInput(1) != type.getInput(0) ||
      type.getResult(0) != type.getInput(0) ||
      type.getResult(1) != type.getInput(0))
    return fn.emitError("norm-embed runs @forward(x, attn: tensor<?xNxf32>, "
                        "w: tensor<Nxf32>) -> (y, h: tensor<?xNxf32>)");
  int64_t n = cast<RankedTensorType>(type.getInput(0)).getDimSize(1);
  if (type.getInput(2) != RankedTensorType::get({n}, Float32Type::get(
                                                         module.getContext())))
    return fn.emitError("@forward's weight must be tensor<") << n << "xf32>";
  return n;
}
} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();

  // (1) Registration: upstream's dialects and passes, then norm's, exactly
  // one call each.
  registerAllPasses();
  norm::registerNormPasses();
  DialectRegistry registry;
  registerAllDialects(registry);
  registerAllExtensions(registry);
  registerAllToLLVMIRTranslations(registry);
  norm::registerNormDialect(registry);
  cl::ParseCommandLineOptions(argc, argv, "norm embedded in a downstream tool\n");

  MLIRContext context(registry);
  context.printOpOnDiagnostic(false);
  std::string error;
  auto file = openInputFile(inputFile, &error);
  if (!file) {
    llvm::errs() << "norm-embed: " << error << "\n";
    return 1;
  }
  llvm::SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(std::move(file), llvm::SMLoc());
  SourceMgrDiagnosticHandler diagnostics(sourceMgr, &context);
  OwningOpRef<ModuleOp> module = parseSourceFile<ModuleOp>(sourceMgr, &context);
  if (!module)
    return 1;
  if (emit != "run" && emit != "mlir") {
    llvm::errs() << "norm-embed: --emit is run or mlir, not '" << emit << "'\n";
    return 1;
  }
  FailureOr<int64_t> hidden = 0;
  if (emit == "run" && failed(hidden = forwardHiddenSize(*module)))
    return 1;

  // (2) The pipeline: norm-fuse, then norm-lower-to-cpu from its C++
  // function and options struct; or the user's textual pipeline.
  // Anchored on builtin.module, as a textual pipeline's outer op is.
  auto pm = PassManager::on<ModuleOp>(&context);
  if (!passPipeline.empty()) {
    // The anchored form, as mlir-opt's --pass-pipeline takes it.
    FailureOr<OpPassManager> parsed = parsePassPipeline(passPipeline);
    if (failed(parsed))
      return 1;
    if (parsed->getOpAnchorName() != ModuleOp::getOperationName()) {
      llvm::errs() << "norm-embed: --pass-pipeline must be "
                      "builtin.module(...)\n";
      return 1;
    }
    static_cast<OpPassManager &>(pm) = *parsed;
  } else {
    // Fusion first, on its own, to report what it raised.
    auto fuse = PassManager::on<ModuleOp>(&context);
    fuse.addNestedPass<func::FuncOp>(norm::createNormFusePass());
    if (failed(fuse.run(*module)))
      return 1;
    int64_t raised = 0;
    module->walk([&](Operation *op) {
      raised += isa<norm::NormDialect>(op->getDialect());
    });
    llvm::outs() << "norm-fuse: " << raised << " norm op(s)\n";
    if (raised == 0) {
      llvm::errs() << "norm-embed: norm-fuse raised nothing\n";
      return 1;
    }
    norm::NormLowerToCPUOptions options;
    if (failed(options.parseFromString(cpuOptions))) {
      llvm::errs() << "norm-embed: bad --cpu-options '" << cpuOptions << "'\n";
      return 1;
    }
    norm::buildNormLowerToCPUPipeline(pm, options);
  }
  if (failed(pm.run(*module)))
    return 1;
  if (emit == "mlir") {
    module->print(llvm::outs());
    return 0;
  }

  // (3) JIT and run: y, h = forward(x, attn, w).
  SmallVector<StringRef> libs;
  for (StringRef lib : {NORM_EMBED_RUNNER_UTILS, NORM_EMBED_OMP})
    if (!lib.empty())
      libs.push_back(lib);
  ExecutionEngineOptions engineOptions;
  auto transformer = makeOptimizingTransformer(2, 0, nullptr);
  engineOptions.transformer = transformer;
  engineOptions.sharedLibPaths = libs;
  auto engine = ExecutionEngine::create(*module, engineOptions);
  if (!engine) {
    llvm::errs() << "norm-embed: " << llvm::toString(engine.takeError())
                 << "\n";
    return 1;
  }
  auto symbol = (*engine)->lookup("_mlir_ciface_forward");
  if (!symbol) {
    llvm::errs() << "norm-embed: " << llvm::toString(symbol.takeError())
                 << "\n";
    return 1;
  }
  struct Results {
    MemRef<2> y, h;
  };
  auto forward = reinterpret_cast<void (*)(Results *, MemRef<2> *, MemRef<2> *,
                                           MemRef<1> *)>(*symbol);

  const int64_t m = rows, n = *hidden;
  std::mt19937 rng(7);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> x(m * n), attn(m * n), w(n);
  for (float &v : x)
    v = normal(rng);
  for (float &v : attn)
    v = 0.5f * normal(rng);
  for (float &v : w)
    v = 1.0f + 0.1f * normal(rng);
  MemRef<2> xm{x.data(), x.data(), 0, {m, n}, {n, 1}};
  MemRef<2> am{attn.data(), attn.data(), 0, {m, n}, {n, 1}};
  MemRef<1> wm{w.data(), w.data(), 0, {n}, {1}};
  Results out;
  forward(&out, &xm, &am, &wm);

  // float64 reference; h must be the f32 sum exactly.
  double maxErr = 0.0, maxRef = 0.0;
  int64_t hMismatches = 0;
  auto at = [](const MemRef<2> &r, int64_t i, int64_t j) {
    return r.aligned[r.offset + i * r.strides[0] + j * r.strides[1]];
  };
  for (int64_t i = 0; i < m; ++i) {
    double ss = 0.0;
    for (int64_t j = 0; j < n; ++j) {
      float h = x[i * n + j] + attn[i * n + j];
      hMismatches += at(out.h, i, j) != h;
      ss += double(h) * h;
    }
    double rstd = 1.0 / std::sqrt(ss / n + 1.0e-6);
    for (int64_t j = 0; j < n; ++j) {
      double ref = double(x[i * n + j] + attn[i * n + j]) * rstd * w[j];
      maxErr = std::max(maxErr, std::fabs(at(out.y, i, j) - ref));
      maxRef = std::max(maxRef, std::fabs(ref));
    }
  }
  std::free(out.y.allocated);
  std::free(out.h.allocated);
  // Within 16 f32 units of max|y|.
  bool pass = hMismatches == 0 && maxErr <= 16 * 0x1p-23 * maxRef;
  llvm::outs() << "forward " << m << "x" << n << ": y max error " << maxErr
               << " (max |y| " << maxRef << "), h mismatches " << hMismatches
               << ": " << (pass ? "PASS" : "FAIL") << "\n";
  return pass ? 0 : 1;
}
