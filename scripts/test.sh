#!/usr/bin/env bash
# The whole test suite from a fresh Debian 12 machine: install what is
# missing, build, run the lit suite (check-norm), and close with one line
# `N passed, N failed`; then the installed package is used by
# examples/embed (scripts/test-embed.sh), python/norm_torch's library and
# CPU-side tests run (scripts/test-torch.sh), and norm-opt is built on
# static MLIR and tested (scripts/test-static.sh), and norm is built as a
# subdirectory of a host project (scripts/test-subproject.sh).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${NORM_BUILD_DIR:-$root/build}"

bash "$root/scripts/install-deps.sh"
# Every target (tools, libraries, C API, the GPU runtime where the CUDA
# toolkit was found) and the generated docs: the install below needs all.
bash "$root/scripts/build.sh" all norm-doc

# Everything is installed: an execution test must run, not be skipped.
export NORM_REQUIRE_EXECUTION=1
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
set +e
"$(llvm-config-22 --prefix)/bin/lit" -sv "$build/test" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e

passed=$(sed -n 's/^ *Passed *: *\([0-9]*\).*/\1/p' "$log" | tail -1)
failed=$(awk '/^ *(Failed|Unresolved|Timed Out|Unexpectedly Passed) *:/ {
                sub(/.*: */, ""); s += $1 } END { print s + 0 }' "$log")
skipped=$(sed -n 's/^ *Unsupported *: *\([0-9]*\).*/\1/p' "$log" | tail -1)
echo "${passed:-0} passed, ${failed:-0} failed, ${skipped:-0} skipped"
if [ "${passed:-0}" -eq 0 ]; then
  echo "test.sh: no test ran" >&2
  exit 1
fi
[ "$status" -eq 0 ] || exit "$status"

bash "$root/scripts/test-embed.sh"
# python/norm_torch: its kernel library and CPU-side tests (docs/Torch.md).
bash "$root/scripts/test-torch.sh"
# norm on MLIR's static libraries (NORM_LINK_MLIR_STATIC, docs/Embedding.md).
bash "$root/scripts/test-static.sh"
# norm add_subdirectory()'d by a host project (docs/Embedding.md).
bash "$root/scripts/test-subproject.sh"
