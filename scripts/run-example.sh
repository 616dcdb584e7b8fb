#!/usr/bin/env bash
# The main job on the built-in example: install what is missing, build
# norm-opt, verify the transformer-block module and canonicalize it.
# Usage: scripts/run-example.sh [example.mlir] [extra norm-opt flags...]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${NORM_BUILD_DIR:-$root/build}"
input="${1:-$root/examples/transformer_block.mlir}"
shift || true

bash "$root/scripts/install-deps.sh" >&2
bash "$root/scripts/build.sh" norm-opt >&2

echo "== norm-opt --canonicalize $(basename "$input")" >&2
"$build/bin/norm-opt" --canonicalize "$@" "$input"
