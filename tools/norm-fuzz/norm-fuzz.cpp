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

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/raw_ostream.h"

#include <cstddef>
#include <cstdint>
#include <string>

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
    "builtin.module(sharding-propagation,shard-partition,norm-lower-to-cpu)",
    "builtin.module(norm-split-all-gather{grid=%grid},norm-lower-to-cpu)",
};
constexpr size_t kNumPipelines = sizeof(kPipelines) / sizeof(kPipelines[0]);

/// Whether `text` spells an op of an upstream dialect in custom form (an
/// op name with a dot right after `=`, `{` or the start of a line, outside
/// strings and comments). Upstream's custom parsers are not norm's to fix:
/// the fuzzer's first finding was a SEGV in linalg.broadcast's parser on a
/// malformed `dimensions` list (docs/Hardening.md). Such inputs are skipped;
/// upstream ops are reached in generic form, norm, func and builtin ops in
/// either form.
bool usesUpstreamCustomSyntax(llvm::StringRef text) {
  char prev = '\n'; // the last non-blank character
  for (size_t i = 0; i < text.size();) {
    char c = text[i];
    if (c == '"') { // a string: skip to its closing quote
      for (++i; i < text.size() && text[i] != '"'; ++i)
        if (text[i] == '\\')
          ++i;
      ++i;
      prev = '"';
      continue;
    }
    if (c == '/' && text.substr(i).starts_with("//")) {
      i = text.find('\n', i);
      if (i == llvm::StringRef::npos)
        return false;
      continue;
    }
    if (llvm::isAlpha(c) || c == '_') {
      size_t end = i;
      while (end < text.size() &&
             (llvm::isAlnum(text[end]) || text[end] == '_' ||
              text[end] == '.' || text[end] == '$'))
        ++end;
      llvm::StringRef word = text.slice(i, end);
      if ((prev == '=' || prev == '\n' || prev == '{') && word.contains('.')) {
        llvm::StringRef dialect = word.split('.').first;
        if (dialect != "norm" && dialect != "func" && dialect != "builtin")
          return true;
      }
      prev = 'a';
      i = end;
      continue;
    }
    if (c != ' ' && c != '\t' && c != '\r')
      prev = c;
    // #attr.x, !type.x, @sym.x, %val.x, ^bb.x: not op names.
    if (c == '#' || c == '!' || c == '@' || c == '%' || c == '^') {
      size_t end = i + 1;
      while (end < text.size() &&
             (llvm::isAlnum(text[end]) || text[end] == '_' ||
              text[end] == '.' || text[end] == '$'))
        ++end;
      i = end;
      prev = 'a';
      continue;
    }
    ++i;
  }
  return false;
}

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
} // namespace

extern "C" int LLVMFuzzerInitialize(int *, char ***) {
  registerAllPasses();
  norm::registerNormPasses();
  (void)registry();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 2)
    return 0;
  std::string pipeline = kPipelines[data[0] % kNumPipelines];
  llvm::StringRef text(reinterpret_cast<const char *>(data + 1), size - 1);
  if (usesUpstreamCustomSyntax(text))
    return 0;

  MLIRContext context(registry(), MLIRContext::Threading::DISABLED);
  context.printOpOnDiagnostic(false);
  ScopedDiagnosticHandler silence(&context,
                                  [](Diagnostic &) { return success(); });
  // MLIR's lexer reads up to a terminating NUL; libFuzzer's data has none
  // (parsing it in place was the harness's own heap-buffer-overflow).
  std::string source = text.str();
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
