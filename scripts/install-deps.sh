#!/usr/bin/env bash
# Installs the Debian 12 packages that building and testing norm need, when
# they are missing. Idempotent; apt-get only; nothing is downloaded from
# anywhere but the machine's configured Debian archives.
set -euo pipefail

PACKAGES=(
  # Build
  cmake ninja-build g++ ccache git
  # LLVM / MLIR 22.1 (headers, libMLIR.so, mlir-tblgen, lit, FileCheck)
  llvm-22-dev llvm-22-tools libmlir-22-dev mlir-22-tools
  # lit runs on python3; execution tests compare with a numpy reference;
  # python/norm_torch's CPU-side tests and its C++ ops' headers (libtorch-dev) use
  # Debian's PyTorch
  python3 python3-numpy python3-torch libtorch-dev
  # Code from norm-lower-to-cpu links the OpenMP runtime and compiler-rt
  # builtins (bf16 conversions of odd-sized vectors)
  libomp-22-dev libclang-rt-22-dev
  # Distributed tests (test/Integration/MPI): MPICH's mpirun and libmpich;
  # clang-22 links the MPI executables' objects
  mpich libmpich-dev clang-22
)
# `--bench`: also the CPU benchmark's peers (bench/cpu/run.py).
if [ "${1:-}" = "--bench" ]; then
  PACKAGES+=(clang-22 libdnnl-dev python3-torch python3-matplotlib)
fi

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#PACKAGES[@]} packages present"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "install-deps: need root (or sudo) to install: ${missing[*]}" >&2
    exit 1
  fi
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
