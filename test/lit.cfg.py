# -*- Python -*-
# lit configuration of the norm test suite.

import os

import lit.formats
from lit.llvm import llvm_config

config.name = "NORM"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.norm_obj_root, "test")
config.excludes = ["CMakeLists.txt", "README.md", "lit.cfg.py", "lit.site.cfg.py",
                   "Inputs", "check_doc_examples.py", "check_decompose.py"]

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

numpy_python = None
for candidate in [config.python_executable, "/usr/bin/python3"]:
    if candidate and subprocess.call([candidate, "-c", "import numpy"],
                                     stderr=subprocess.DEVNULL) == 0:
        numpy_python = candidate
        break
mlir_runner = shutil.which("mlir-runner", path=config.llvm_tools_dir)
mlir_lib_dir = os.path.join(os.path.dirname(config.llvm_tools_dir), "lib")
if numpy_python and mlir_runner and os.path.exists(
        os.path.join(mlir_lib_dir, "libmlir_c_runner_utils.so")):
    config.available_features.add("cpu-runner")
    config.substitutions.append(("%numpy_python", numpy_python))
    config.substitutions.append(("%mlir_runner", mlir_runner))
    config.substitutions.append(("%mlir_lib_dir", mlir_lib_dir))
else:
    lit_config.note("cpu-runner tests disabled: need numpy, mlir-runner and "
                    "the MLIR runner utils libraries")

llvm_config.use_default_substitutions()
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)
llvm_config.add_tool_substitutions(["norm-opt"], [config.norm_tools_dir])
