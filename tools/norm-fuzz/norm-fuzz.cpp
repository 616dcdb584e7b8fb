//===- norm-fuzz.cpp - libFuzzer target over norm ---------------*- C++ -*-===//
//
// Part of the norm project, under the Apache License v2.0 with LLVM
// Exceptions. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Feeds bytes to the parser, the verifier and one norm pass or pipeline.
// Input: one selector byte, then MLIR text. The selector picks the pipeline
// from kPipelines (modulo its size), so that the fuzzer explores the passes
// rather than pipeline syntax (invalid options have their own lit test).
// Each input gets a fresh context (no state carried between inputs, so a
// crash reproduces from its input alone); diagnostics are swallowed: a
// rejected input is fine, a crash, sanitizer report, leak or assertion is
// not. Seeds: scripts/fuzz-seeds.py (the lit tests); dictionary: norm.dict.
//
//===----------------------------------------------------------------------===//

#include "norm/InitNorm.h"

#include "mlir/Dialect/Shard/IR/ShardOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"

#include "llvm/Support/raw_ostream.h"

#include <cerrno>
#include <cstdlib>
#include <csignal>
#include <cstddef>
#include <cstdint>
#include <string>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace mlir;

namespace {
/// What the selector byte chooses. `%grid` is replaced by the first
/// shard.grid of the input (norm-split-all-gather needs one).
const char *const kPipelines[] = {
    "builtin.module(norm-fuse)",
    "builtin.module(norm-decompose)",
    "builtin.module(norm-tile-rows{tile-rows=2})",
    "builtin.module(norm-vectorize{vector-width=8})",
    "builtin.module(norm-lower-to-cpu)",
    "builtin.module(norm-lower-to-nvvm{format=ptx})",
    // sharding-propagation and shard-partition are function passes.
    "builtin.module(func.func(sharding-propagation,shard-partition),"
    "norm-lower-to-cpu)",
    "builtin.module(norm-split-all-gather{grid=%grid},norm-lower-to-cpu)",
};
constexpr size_t kNumPipelines = sizeof(kPipelines) / sizeof(kPipelines[0]);

DialectRegistry &registry() {
  static DialectRegistry *r = [] {
    auto *reg = new DialectRegistry();
    registerAllDialects(*reg);
    registerAllExtensions(*reg);
    registerAllToLLVMIRTranslations(*reg);
    norm::registerNormDialect(*reg);
    return reg;
  }();
  return *r;
}

bool writeAll(int fd, const void *data, size_t size) {
  const char *p = static_cast<const char *>(data);
  while (size) {
    ssize_t n = write(fd, p, size);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return false;
    p += n;
    size -= n;
  }
  return true;
}

bool readAll(int fd, void *data, size_t size) {
  char *p = static_cast<char *>(data);
  while (size) {
    ssize_t n = read(fd, p, size);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return false;
    p += n;
    size -= n;
  }
  return true;
}

/// Parses every input first in a long-lived child process. MLIR 22.1's own
/// parsers crash on some malformed input (a null attribute in
/// linalg.broadcast's `dimensions`, a dense array of `index`:
/// docs/Hardening.md); those are upstream's to fix, so an input whose parse
/// kills the child is skipped (and the child restarted). Verification and
/// the passes run in the fuzzer's process, where a crash counts. Forking
/// per input instead costs ASan's whole address space each time (12 inputs
/// per second instead of ~300).
class ParseGuard {
public:
  /// Whether `source` parses (or fails to parse) without crashing.
  bool survives(const std::string &source) {
    for (int attempt = 0; attempt < 2; ++attempt) {
      if (pid < 0 && !start())
        return true; // no child: let the real parse decide
      uint64_t size = source.size();
      char done = 0;
      bool sent = writeAll(toChild, &size, sizeof(size)) &&
                  writeAll(toChild, source.data(), source.size());
      if (sent && readAll(fromChild, &done, 1))
        return true;
      // The child died: on this input if it had it whole, else before it
      // (then a new child gets the input once more).
      stop();
      if (sent)
        return false;
    }
    return true;
  }

private:
  bool start() {
    int down[2], up[2];
    if (pipe(down) != 0 || pipe(up) != 0)
      return false;
    pid = fork();
    if (pid < 0)
      return false;
    if (pid == 0) {
      close(down[1]);
      close(up[0]);
      int devNull = open("/dev/null", O_WRONLY);
      dup2(devNull, STDOUT_FILENO);
      dup2(devNull, STDERR_FILENO);
      serve(down[0], up[1]);
      _exit(0); // no atexit work (leak check) in the child
    }
    close(down[0]);
    close(up[1]);
    toChild = down[1];
    fromChild = up[0];
    return true;
  }

  static void serve(int in, int out) {
    uint64_t size;
    while (readAll(in, &size, sizeof(size))) {
      std::string source(size, '\0');
      if (!readAll(in, source.data(), size))
        return;
      MLIRContext context(registry(), MLIRContext::Threading::DISABLED);
      ScopedDiagnosticHandler silence(&context,
                                      [](Diagnostic &) { return success(); });
      (void)parseSourceString<ModuleOp>(source, &context);
      char done = 1;
      if (!writeAll(out, &done, 1))
        return;
    }
  }

  void stop() {
    close(toChild);
    close(fromChild);
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    pid = -1;
  }

  pid_t pid = -1;
  int toChild = -1, fromChild = -1;
};
} // namespace

/// Every selector must run its pipeline: one that cannot be parsed or
/// scheduled (a function pass at module level) would make 1 in
/// kNumPipelines inputs run nothing. Checked on a seed module at start-up,
/// so that such a selector stops the fuzzer instead of hiding.
void checkSelectors() {
  const char *grid = "shard.grid @grid(shape = 2)\n";
  const char *seed = R"mlir(
    func.func @f(%x: tensor<4x8xf32>, %y: tensor<4x8xf32>) -> tensor<4x8xf32> {
      %0 = norm.rms_norm ins(%x : tensor<4x8xf32>) outs(%y : tensor<4x8xf32>) -> tensor<4x8xf32>
      return %0 : tensor<4x8xf32>
    }
  )mlir";
  for (const char *selector : kPipelines) {
    std::string pipeline = selector;
    // The distributed selectors get a grid (the others would rightly
    // refuse to hand back a shard.grid as LLVM).
    std::string source = seed;
    if (pipeline.find("shard") != std::string::npos ||
        pipeline.find("%grid") != std::string::npos)
      source = grid + source;
    if (size_t at = pipeline.find("%grid"); at != std::string::npos)
      pipeline.replace(at, 5, "grid");
    MLIRContext context(registry(), MLIRContext::Threading::DISABLED);
    OwningOpRef<ModuleOp> module =
        parseSourceString<ModuleOp>(source, &context);
    std::string errors;
    llvm::raw_string_ostream os(errors);
    FailureOr<OpPassManager> parsed = parsePassPipeline(pipeline, os);
    bool ok = module && succeeded(parsed);
    if (ok) {
      auto pm = PassManager::on<ModuleOp>(&context);
      static_cast<OpPassManager &>(pm) = *parsed;
      ok = succeeded(pm.run(*module));
    }
    if (!ok) {
      llvm::errs() << "norm-fuzz: selector '" << selector
                   << "' does not run on the seed module: " << errors << "\n";
      std::abort();
    }
  }
}

extern "C" int LLVMFuzzerInitialize(int *, char ***) {
  signal(SIGPIPE, SIG_IGN); // a dead parse child is noticed, not fatal
  registerAllPasses();
  norm::registerNormPasses();
  (void)registry();
  checkSelectors();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 2)
    return 0;
  std::string pipeline = kPipelines[data[0] % kNumPipelines];
  llvm::StringRef text(reinterpret_cast<const char *>(data + 1), size - 1);

  MLIRContext context(registry(), MLIRContext::Threading::DISABLED);
  context.printOpOnDiagnostic(false);
  ScopedDiagnosticHandler silence(&context,
                                  [](Diagnostic &) { return success(); });
  // MLIR's lexer reads up to a terminating NUL; libFuzzer's data has none
  // (parsing it in place was the harness's own heap-buffer-overflow).
  std::string source = text.str();
  static ParseGuard guard;
  if (!guard.survives(source))
    return 0;
  OwningOpRef<ModuleOp> module =
      parseSourceString<ModuleOp>(source, &context);
  if (!module || failed(verify(*module)))
    return 0;

  size_t at = pipeline.find("%grid");
  if (at != std::string::npos) {
    shard::GridOp grid;
    module->walk([&](shard::GridOp g) {
      grid = g;
      return WalkResult::interrupt();
    });
    if (!grid)
      return 0;
    pipeline.replace(at, 5, grid.getSymName().str());
  }
  std::string errors;
  llvm::raw_string_ostream os(errors);
  FailureOr<OpPassManager> parsed = parsePassPipeline(pipeline, os);
  if (failed(parsed))
    return 0;
  auto pm = PassManager::on<ModuleOp>(&context);
  static_cast<OpPassManager &>(pm) = *parsed;
  (void)pm.run(*module);
  return 0;
}
