#!/usr/bin/env bash
# Installs norm into a temporary prefix and builds examples/embed against
# that prefix alone (find_package(Norm) through CMAKE_PREFIX_PATH; nothing
# from the build or source tree), then runs it: norm registered into a
# downstream driver, norm-fuse + norm-lower-to-cpu, the JIT-run result
# checked against float64. Also runs the installed tools. Needs a build with
# every target (scripts/test.sh builds `all` first).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${NORM_BUILD_DIR:-$root/build}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
prefix="$work/prefix"

cmake --install "$build" --prefix "$prefix" >/dev/null
# The package must not point back into the trees it was built from.
if grep -rl -e "$build" -e "$root/include" -e "$root/lib" \
    "$prefix/lib/cmake" >/dev/null; then
  echo "test-embed: the installed package refers to the build tree" >&2
  exit 1
fi

launcher=()
if command -v ccache >/dev/null; then
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi
export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$root}"
# The C++ program of docs/Embedding.md, as written there (issue 21).
awk '/<!-- snippet: compiled and run by scripts\/test-embed.sh -->/ {on=1; next}
     on && /^```c\+\+/ {body=1; next}
     body && /^```/ {exit}
     body {print}' "$root/docs/Embedding.md" >"$work/snippet.cpp"
if ! grep -q "buildNormLowerToCPUPipeline" "$work/snippet.cpp"; then
  echo "test-embed: no snippet found in docs/Embedding.md" >&2
  exit 1
fi
cmake -G Ninja -S "$root/examples/embed" -B "$work/embed" \
  -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$prefix" \
  -DNORM_EMBED_SNIPPET="$work/snippet.cpp" \
  "${launcher[@]}" >/dev/null
ninja -C "$work/embed" >/dev/null
# Compiled against the installed headers only.
if grep -e "-I$root/include" -e "-I$build" "$work/embed/build.ninja" \
    >/dev/null; then
  echo "test-embed: examples/embed compiled against the source tree" >&2
  exit 1
fi

embed="$work/embed/norm-embed"
"$embed"                                   # fused, lowered, run, checked
"$embed" --rows=1000 --cpu-options="tile-rows=4 parallel=false"
"$embed" --rows=0
"$embed" --pass-pipeline="builtin.module(func.func(norm-fuse),norm-lower-to-cpu{vector-width=8})"
# Bad input is a located error and exit 1, not a crash.
status=0
"$embed" --cpu-options="tile-rows=many" 2>"$work/err" || status=$?
grep -q "bad --cpu-options" "$work/err" && [ "$status" -eq 1 ]

# The documented snippet: raises and lowers the example to the LLVM dialect
# (no pass registration, no abort), which mlir-translate accepts; a bad
# input is an error and exit 1.
"$work/embed/norm-snippet" "$root/examples/embed/residual_rms_norm.mlir" >"$work/snippet.out"
grep -q "llvm.func @" "$work/snippet.out"
if grep -q "norm\.\|linalg\." "$work/snippet.out"; then
  echo "test-embed: the snippet left norm or linalg ops" >&2
  exit 1
fi
"$(llvm-config-22 --bindir)/mlir-translate" --mlir-to-llvmir "$work/snippet.out" >/dev/null
echo "func.func @f(" >"$work/bad.mlir"
status=0
"$work/embed/norm-snippet" "$work/bad.mlir" 2>"$work/err" || status=$?
[ "$status" -eq 1 ] && grep -q "error:" "$work/err"

# The installed tools run from the prefix.
"$prefix/bin/norm-opt" --norm-fuse "$root/examples/embed/residual_rms_norm.mlir" |
  grep -q "norm.rms_norm"
"$prefix/bin/norm-lsp-server" --help >/dev/null

# The installed helpers (issue 21.5): the numpy caller from
# <prefix>/share/norm/python compiles an op with the installed norm-opt and
# matches its own float64 reference; the AOT script, where the GPU runtime
# was built, makes a library that exports only the entry points.
mkdir -p "$work/py"
PYTHONPATH="$prefix/share/norm/python" /usr/bin/python3 - \
    "$prefix/bin/norm-opt" "$work/py" <<'PY'
import sys
import numpy as np
import normcpu
norm_opt, workdir = sys.argv[1:3]
text, args = normcpu.emit_function("f", "rms_norm", {"x", "gamma", "y"},
                                   "f32", [8], [64])
lib = normcpu.Library(normcpu.compile_module(norm_opt, text, workdir))
rng = np.random.default_rng(0)
x = rng.standard_normal((8, 64)).astype(np.float32)
g = rng.standard_normal(64).astype(np.float32)
y = np.zeros_like(x)
lib.call("f", [x, g, y])
ms = (x.astype(np.float64) ** 2).mean(-1, keepdims=True)
ref = x / np.sqrt(ms + 1e-5) * g
assert np.abs(y - ref).max() < 1e-5 * np.abs(ref).max(), "normcpu from prefix"
PY
if [ -f "$prefix/lib/libnorm_gpu_runtime_static.a" ]; then
  "$prefix/bin/norm-aot" "$root/test/Integration/GPU/aot-link.mlir" \
    "$work/aot.so"
  exported="$(nm -D --defined-only "$work/aot.so" | awk '$2 == "T" {print $3}' |
    sort | tr '\n' ' ')"
  if [ "$exported" != "norm_ln_fwd norm_rms_bwd " ]; then
    echo "test-embed: the installed norm-aot exports: $exported" >&2
    exit 1
  fi
fi
echo "test-embed: examples/embed built against the installed package and passed"
