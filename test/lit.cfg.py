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
                   "Inputs", "check_doc_examples.py"]

config.substitutions.append(("%norm_src_root", config.norm_src_root))
config.substitutions.append(("%norm_obj_root", config.norm_obj_root))
# `%norm_exit CMD ARGS` runs CMD and prints `exit=<status>` afterwards, so a
# test can check the exact exit code (lit's `not` accepts any non-zero one).
config.substitutions.append(
    ("%norm_exit", os.path.join(config.norm_src_root, "test", "exit-status.sh")))

config.substitutions.append(("%python", config.python_executable))

llvm_config.use_default_substitutions()
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)
llvm_config.add_tool_substitutions(["norm-opt"], [config.norm_tools_dir])
