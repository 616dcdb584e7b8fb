#!/usr/bin/env bash
# The hardening job (docs/Hardening.md): norm's code built with clang-22,
# AddressSanitizer + UndefinedBehaviorSanitizer and assertions on, into
# $NORM_SAN_BUILD_DIR (default build-san/); the lit suite run against those
# tools; then norm-fuzz (libFuzzer) for $NORM_FUZZ_SECONDS (default 180)
# from the committed corpus (tools/norm-fuzz/corpus.tar.gz) and seeds made
# of the lit tests. Fails on any test failure, sanitizer
# report, assertion, crash, leak or fuzzer finding (the input is kept under
# $NORM_SAN_BUILD_DIR/fuzz-artifacts/, from which it reproduces alone).
# libMLIR.so stays as Debian built it:
# only norm's code is instrumented.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${NORM_SAN_BUILD_DIR:-$root/build-san}"
seconds="${NORM_FUZZ_SECONDS:-180}"
prefix="$(llvm-config-22 --prefix)"

if [ ! -f "$build/build.ninja" ]; then
  # -O1 -g1 without -DNDEBUG: norm's assertions (and those of MLIR's inline
  # header code) are checked.
  cmake -G Ninja -S "$root" -B "$build" \
    -DCMAKE_C_COMPILER=clang-22 -DCMAKE_CXX_COMPILER=clang++-22 \
    -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_C_FLAGS_RELEASE="-O1 -g1" -DCMAKE_CXX_FLAGS_RELEASE="-O1 -g1" \
    -DNORM_SANITIZERS="address;undefined" -DNORM_BUILD_FUZZER=ON \
    -DMLIR_DIR="$prefix/lib/cmake/mlir" -DLLVM_DIR="$prefix/lib/cmake/llvm" \
    >/dev/null
fi
export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$root}"
ninja -C "$build" all norm-doc

# Leaks are errors. allow_user_poisoning=0: LLVM's BumpPtrAllocator poisons
# the unused part of its slabs when compiled with ASan (our inline copies
# of it are) but not in libMLIR.so, which then allocates from the same slabs
# (attribute and location storage) and would be reported; with it off,
# every other check stays.
export ASAN_OPTIONS="detect_leaks=1:halt_on_error=1:allow_user_poisoning=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
export NORM_REQUIRE_EXECUTION=1
"$prefix/bin/lit" -sv "$build/test"

seeds="$build/fuzz-seeds"
corpus="$build/fuzz-corpus"
artifacts="$build/fuzz-artifacts"
rm -rf "$seeds" "$corpus"
mkdir -p "$corpus" "$artifacts"
# The corpus kept between runs (issue 23.22): a minimized one is committed
# (tools/norm-fuzz/corpus.tar.gz) and each run starts from it.
tar -xzf "$root/tools/norm-fuzz/corpus.tar.gz" -C "$corpus"
/usr/bin/python3 "$root/scripts/fuzz-seeds.py" "$seeds" "$build/bin/norm-opt" >/dev/null
"$build/bin/norm-fuzz" "$corpus" "$seeds" \
  -dict="$root/tools/norm-fuzz/norm.dict" \
  -seed="${NORM_FUZZ_SEED:-1}" \
  -max_total_time="$seconds" -timeout=60 -rss_limit_mb=8192 \
  -max_len=16384 -print_final_stats=1 \
  -artifact_prefix="$artifacts/" >"$build/fuzz.log" 2>&1 || {
  # The report (sanitizer, assertion, crash, leak) and the input's name.
  grep -v -E '^#[0-9]+ +(NEW|REDUCE|pulse)' "$build/fuzz.log" | tail -120
  echo "sanitize.sh: norm-fuzz failed; input in $artifacts" >&2
  exit 1
}
tail -8 "$build/fuzz.log"
# NORM_FUZZ_UPDATE_CORPUS=1: minimize this run's corpus with the seeds
# (libFuzzer -merge=1) into tools/norm-fuzz/corpus.tar.gz, to commit.
if [ "${NORM_FUZZ_UPDATE_CORPUS:-0}" = 1 ]; then
  merged="$build/fuzz-merged"
  rm -rf "$merged" && mkdir -p "$merged"
  "$build/bin/norm-fuzz" -merge=1 "$merged" "$corpus" "$seeds" \
    -max_len=16384 -timeout=60 -rss_limit_mb=8192 >"$build/fuzz-merge.log" 2>&1
  tar -C "$merged" -czf "$root/tools/norm-fuzz/corpus.tar.gz" .
  echo "sanitize.sh: $(ls "$merged" | wc -l) inputs in tools/norm-fuzz/corpus.tar.gz"
fi
echo "sanitize.sh: lit under ASan+UBSan and ${seconds}s of norm-fuzz passed"
