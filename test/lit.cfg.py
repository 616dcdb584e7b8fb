# -*- Python -*-
# lit configuration of the norm test suite.

import os

import lit.formats
from lit.llvm import llvm_config

config.name = "NORM"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".c", ".test"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.norm_obj_root, "test")
config.excludes = ["CMakeLists.txt", "README.md", "lit.cfg.py", "lit.site.cfg.py",
                   "Inputs", "check_doc_examples.py", "check_decompose.py",
                   "check_cpu_pipeline.py", "check_edge_cases.py", "check_gpu_edge.py", "check_fuse.py", "check_gpu.py"]

config.substitutions.append(("%norm_src_root", config.norm_src_root))
config.substitutions.append(("%norm_obj_root", config.norm_obj_root))
# `%norm_exit CMD ARGS` runs CMD and prints `exit=<status>` afterwards, so a
# test can check the exact exit code (lit's `not` accepts any non-zero one).
config.substitutions.append(
    ("%norm_exit", os.path.join(config.norm_src_root, "test", "exit-status.sh")))

config.substitutions.append(("%python", config.python_executable))

# Execution tests compare with a float64 numpy reference. Debian's numpy
# belongs to /usr/bin/python3, which need not be the python running lit.
import shutil
import subprocess

def missing_feature(name, what):
    # scripts/test.sh installs everything and sets NORM_REQUIRE_EXECUTION:
    # there a missing feature is an error, not a silently skipped test.
    if os.environ.get("NORM_REQUIRE_EXECUTION"):
        lit_config.fatal(f"{name} tests need {what}")
    lit_config.note(f"{name} tests disabled: need {what}")


numpy_python = None
for candidate in [config.python_executable, "/usr/bin/python3"]:
    if candidate and subprocess.call([candidate, "-c", "import numpy"],
                                     stderr=subprocess.DEVNULL) == 0:
        numpy_python = candidate
        break
if numpy_python:
    config.substitutions.append(("%numpy_python", numpy_python))
mlir_runner = shutil.which("mlir-runner", path=config.llvm_tools_dir)
mlir_lib_dir = os.path.join(os.path.dirname(config.llvm_tools_dir), "lib")
if numpy_python and mlir_runner and os.path.exists(
        os.path.join(mlir_lib_dir, "libmlir_c_runner_utils.so")):
    config.available_features.add("cpu-runner")
    config.substitutions.append(("%mlir_runner", mlir_runner))
    config.substitutions.append(("%mlir_lib_dir", mlir_lib_dir))
else:
    missing_feature("cpu-runner", "numpy, mlir-runner and the MLIR runner "
                    "utils libraries")

# Tests that compile with norm-lower-to-cpu to a shared library and call it
# from numpy (scripts/normcpu.py): mlir-translate, opt, llc, a C compiler,
# the OpenMP runtime and compiler-rt builtins.
llvm_lib_dir = mlir_lib_dir
if numpy_python and all(
        os.path.exists(p) for p in [
            os.path.join(config.llvm_tools_dir, "llc"),
            os.path.join(config.llvm_tools_dir, "opt"),
            os.path.join(config.llvm_tools_dir, "mlir-translate"),
            os.path.join(llvm_lib_dir, "libomp.so"),
            os.path.join(llvm_lib_dir, "clang", "22", "lib", "linux",
                         "libclang_rt.builtins-x86_64.a")]) and shutil.which("cc"):
    config.available_features.add("cpu-pipeline")
else:
    missing_feature("cpu-pipeline", "numpy, opt, llc, mlir-translate, cc, libomp "
                    "(libomp-22-dev) and compiler-rt (libclang-rt-22-dev)")

# Distributed execution (test/Integration/MPI): MPICH's launcher and library
# (the code is lowered for MPICH's ABI), and the CPU pipeline's tools.
mpirun = shutil.which("mpirun.mpich")
libmpich = "/usr/lib/x86_64-linux-gnu/libmpich.so"
if mpirun and os.path.exists(libmpich) and \
        "cpu-pipeline" in config.available_features:
    config.available_features.add("mpi")
    config.substitutions.append(("%mpirun", mpirun))
else:
    missing_feature("mpi", "MPICH (mpich, libmpich-dev) and the cpu-pipeline "
                    "tools")

llvm_config.use_default_substitutions()
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)
llvm_config.add_tool_substitutions(["norm-opt", "norm-capi-test", "norm-lsp-server"],
                                  [config.norm_tools_dir])

# GPU: PTX checked by ptxas (CUDA toolkit), the GPU runtime and AOT libraries
# (cuda.h, libcuda stub, clang-22), and execution on a GPU (nvidia-smi and a
# python with torch.cuda). None is installable from Debian in the versions
# needed (CUDA 13 for PTX 8.0 / sm_90): each is a visible UNSUPPORTED where
# absent, never a failure of the suite.
cuda_home = os.environ.get("CUDA_HOME", "/usr/local/cuda")
# gpu-module-to-binary finds ptxas and libdevice through CUDA_HOME.
if os.path.isdir(cuda_home):
    config.environment["CUDA_HOME"] = cuda_home
ptxas = shutil.which("ptxas") or shutil.which(
    "ptxas", path=os.path.join(cuda_home, "bin"))
if ptxas:
    config.available_features.add("ptxas")
    config.substitutions.append(("%ptxas", ptxas))
else:
    lit_config.note("ptxas tests disabled: need the CUDA toolkit's ptxas")
if os.path.exists(os.path.join(config.norm_obj_root, "lib",
                               "libnorm_gpu_runtime_static.a")) and \
        shutil.which("clang-22"):
    config.available_features.add("gpu-runtime")
else:
    lit_config.note("gpu-runtime tests disabled: need the CUDA toolkit "
                    "(cuda.h) at configure time and clang-22")
torch_python = None
if shutil.which("nvidia-smi") and subprocess.call(
        ["nvidia-smi", "-L"], stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL) == 0:
    for candidate in [config.python_executable, "python3", "/usr/bin/python3"]:
        if candidate and shutil.which(candidate) and subprocess.call(
                [candidate, "-c",
                 "import torch,sys; sys.exit(0 if torch.cuda.is_available() "
                 "else 1)"], stderr=subprocess.DEVNULL) == 0:
            torch_python = candidate
            break
if torch_python and "gpu-runtime" in config.available_features:
    config.available_features.add("cuda")
    config.substitutions.append(("%torch_python", torch_python))
else:
    lit_config.note("cuda tests disabled: need a GPU (nvidia-smi), a python "
                    "with torch.cuda and the GPU runtime")
