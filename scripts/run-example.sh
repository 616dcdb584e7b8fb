#!/usr/bin/env bash
# The main job on the built-in example: install what is missing, build
# norm-opt, compile the norms of a transformer block (forward and backward,
# examples/transformer_block_cpu.mlir) with norm-opt --norm-lower-to-cpu, run
# them on the CPU and print their error against a float64 reference and
# their time.
# Usage: scripts/run-example.sh [example.mlir] [--tokens M]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${NORM_BUILD_DIR:-$root/build}"

bash "$root/scripts/install-deps.sh" >&2
bash "$root/scripts/build.sh" norm-opt >&2

# Debian's numpy belongs to /usr/bin/python3.
exec /usr/bin/python3 "$root/examples/run_transformer_block.py" "$build/bin/norm-opt" "$@"
