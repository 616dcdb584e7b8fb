"""Builds and loads csrc/ops.cpp, the C++ CUDA kernels of torch.ops.norm.*,
with the PyTorch that runs (its headers and libraries; a C++17 compiler from
$CXX, g++ or c++), into $NORM_TORCH_CACHE (default ~/.cache/norm_torch),
once per source and PyTorch version. _ops.py uses it when CUDA is there and
$NORM_TORCH_PYTHON_OPS is not set, and falls back to its Python CUDA
implementation (same meaning, ~30 µs more host time per call) otherwise."""
import ctypes
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile

import torch

SOURCE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "csrc",
                      "ops.cpp")
_handle = None


def _compiler():
    for c in (os.environ.get("CXX"), "g++", "c++", "clang++"):
        if c and shutil.which(c):
            return shutil.which(c)
    return None


def build():
    """Path of the compiled shim (built if missing)."""
    with open(SOURCE, "rb") as f:
        src = f.read()
    abi = int(torch._C._GLIBCXX_USE_CXX11_ABI)
    key = hashlib.sha256(src + torch.__version__.encode() +
                         bytes([abi])).hexdigest()[:16]
    cache = os.environ.get("NORM_TORCH_CACHE",
                           os.path.join(os.path.expanduser("~"), ".cache",
                                        "norm_torch"))
    so = os.path.join(cache, f"norm_torch_ops_{key}.so")
    if os.path.exists(so):
        return so
    cxx = _compiler()
    if cxx is None:
        raise RuntimeError("no C++ compiler (set CXX)")
    root = os.path.dirname(torch.__file__)
    includes = [os.path.join(root, "include"),
                os.path.join(root, "include", "torch", "csrc", "api",
                             "include")]
    libdir = os.path.join(root, "lib")
    os.makedirs(cache, exist_ok=True)
    fd, tmp = tempfile.mkstemp(suffix=".so", dir=cache)
    os.close(fd)
    cmd = [cxx, "-O2", "-shared", "-fPIC", "-std=c++17",
           f"-D_GLIBCXX_USE_CXX11_ABI={abi}",
           *[f"-I{d}" for d in includes], SOURCE, f"-L{libdir}", "-lc10",
           "-ltorch_cpu", "-ltorch", f"-Wl,-rpath,{libdir}", "-ldl",
           "-o", tmp]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        os.unlink(tmp)
        raise RuntimeError("compiling csrc/ops.cpp failed:\n" +
                           r.stderr[-2000:])
    os.replace(tmp, so)
    return so


def load_shim():
    """Loads the shim (its TORCH_LIBRARY_IMPL registers the CUDA kernels).
    Returns True on success; on failure says why once on stderr."""
    global _handle
    if _handle is not None:
        return True
    try:
        so = build()
        torch.ops.load_library(so)
        _handle = ctypes.CDLL(so)
        _handle.norm_torch_set_library.argtypes = [ctypes.c_char_p]
        _handle.norm_torch_set_library.restype = ctypes.c_int
        return True
    except Exception as e:  # fall back to the Python implementation
        print(f"norm_torch: C++ ops unavailable ({str(e).splitlines()[0]}); "
              "using the Python CUDA implementation", file=sys.stderr)
        return False


def set_library(path):
    if _handle is not None and _handle.norm_torch_set_library(
            os.path.abspath(path).encode()) != 0:
        raise RuntimeError(f"norm_torch: cannot load {path}")


def active():
    return _handle is not None
