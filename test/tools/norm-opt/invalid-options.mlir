// Invalid pass and pipeline options: a diagnostic and exit code 1, never a
// crash, and no dump of the module (an option is not an op). Every norm
// pass and pipeline with an option that can be wrong is here; the
// distributed split's options are in
// Dialect/Norm/Transforms/norm-split-all-gather-errors.mlir.

// RUN: %norm_exit norm-opt %s --pass-pipeline='builtin.module(norm-tile-rows{tile-rows=0})' -o /dev/null 2>&1 | FileCheck %s --check-prefix=TILE0
// TILE0: error: norm-tile-rows: tile-rows and tile-cols must be 1 to 16777216, got
// TILE0-NOT: see current operation
// TILE0: exit=1

// RUN: %norm_exit norm-opt %s --pass-pipeline='builtin.module(func.func(norm-vectorize{vector-width=-8}))' -o /dev/null 2>&1 | FileCheck %s --check-prefix=VEC
// VEC: error: norm-vectorize: vector-width must be 1 to 1024, got {{-?[0-9]+}}
// VEC-NOT: see current operation
// VEC: exit=1

// RUN: %norm_exit norm-opt %s --pass-pipeline='builtin.module(func.func(norm-decompose{filter-ops=foo.bar}))' -o /dev/null 2>&1 | FileCheck %s --check-prefix=FILTER
// FILTER: error: norm-decompose: filter-ops names 'foo.bar', which is not a norm op
// FILTER-NOT: see current operation
// FILTER: exit=1

// RUN: %norm_exit norm-opt %s --pass-pipeline='builtin.module(norm-set-llvm-target{target-cpu=x86-64-v3})' -o /dev/null 2>&1 | FileCheck %s --check-prefix=UNKNOWN
// UNKNOWN: no such option target-cpu
// UNKNOWN: failed to add `norm-set-llvm-target`
// UNKNOWN-NOT: see current operation
// UNKNOWN: exit=1

// RUN: %norm_exit norm-opt %s --pass-pipeline='builtin.module(func.func(norm-fuse{report=maybe}))' -o /dev/null 2>&1 | FileCheck %s --check-prefix=BOOL
// BOOL: 'maybe' is invalid value for boolean argument
// BOOL: failed to add `norm-fuse`
// BOOL-NOT: see current operation
// BOOL: exit=1

// RUN: %norm_exit norm-opt %s --pass-pipeline='builtin.module(norm-lower-to-cpu{tile-rows=0})' -o /dev/null 2>&1 | FileCheck %s --check-prefix=CPUTILE
// CPUTILE: error: norm-lower-to-cpu: tile-rows must be 1 to 16777216, got 0
// CPUTILE-NOT: see current operation
// CPUTILE: exit=1

// RUN: %norm_exit norm-opt %s --pass-pipeline='builtin.module(norm-lower-to-cpu{grad-chunks=5000})' -o /dev/null 2>&1 | FileCheck %s --check-prefix=CPUCHUNKS
// CPUCHUNKS: error: norm-lower-to-cpu: grad-chunks must be 1 to 4096, got 5000
// CPUCHUNKS-NOT: see current operation
// CPUCHUNKS: exit=1

// RUN: %norm_exit norm-opt %s --pass-pipeline='builtin.module(norm-tile-rows{grad-chunks=-1})' -o /dev/null 2>&1 | FileCheck %s --check-prefix=TILECHUNKS
// TILECHUNKS: error: norm-tile-rows: grad-chunks must be 1 to 4096, got -1
// TILECHUNKS: exit=1

// RUN: %norm_exit norm-opt %s --pass-pipeline='builtin.module(norm-lower-to-cpu{vector-width=0})' -o /dev/null 2>&1 | FileCheck %s --check-prefix=CPUVEC
// CPUVEC: error: norm-lower-to-cpu: vector-width must be 1 to 1024, got 0
// CPUVEC-NOT: see current operation
// CPUVEC: exit=1

// Sizes past their documented ranges (issue 23, item 11: these aborted or
// overflowed).
// RUN: %norm_exit norm-opt %s --pass-pipeline='builtin.module(norm-lower-to-cpu{vector-width=9223372036854775807})' -o /dev/null 2>&1 | FileCheck %s --check-prefix=CPUVECBIG
// CPUVECBIG: error: norm-lower-to-cpu: vector-width must be 1 to 1024, got 9223372036854775807
// CPUVECBIG: exit=1
// RUN: %norm_exit norm-opt %s --pass-pipeline='builtin.module(norm-lower-to-cpu{tile-rows=9223372036854775807})' -o /dev/null 2>&1 | FileCheck %s --check-prefix=CPUTILEBIG
// CPUTILEBIG: error: norm-lower-to-cpu: tile-rows must be 1 to 16777216, got 9223372036854775807
// CPUTILEBIG: exit=1
// RUN: %norm_exit norm-opt %s --pass-pipeline='builtin.module(norm-lower-to-nvvm{chip=sm_91})' -o /dev/null 2>&1 | FileCheck %s --check-prefix=SM91
// SM91: norm-lower-to-nvvm: chip 'sm_91' is not an NVPTX target LLVM 22 knows
// SM91: exit=1
// RUN: %norm_exit norm-opt %s --pass-pipeline='builtin.module(norm-lower-to-nvvm{chip=sm_99999})' -o /dev/null 2>&1 | FileCheck %s --check-prefix=SM99999
// SM99999: norm-lower-to-nvvm: chip 'sm_99999' is not an NVPTX target LLVM 22 knows
// SM99999: exit=1

// RUN: %norm_exit norm-opt %s --pass-pipeline='builtin.module(norm-lower-to-cpu{mpi-implementation=LAM})' -o /dev/null 2>&1 | FileCheck %s --check-prefix=CPUMPI
// CPUMPI: error: norm-lower-to-cpu: mpi-implementation must be MPICH or OpenMPI, got 'LAM'
// CPUMPI-NOT: see current operation
// CPUMPI: exit=1

// RUN: %norm_exit norm-opt %s --pass-pipeline='builtin.module(norm-lower-to-cpu{num-threads=-1})' -o /dev/null 2>&1 | FileCheck %s --check-prefix=CPUTHREADS
// CPUTHREADS: '-1' value invalid for uint argument
// CPUTHREADS: failed to add `norm-lower-to-cpu` with options `num-threads=-1`
// CPUTHREADS-NOT: see current operation
// CPUTHREADS: exit=1

// RUN: %norm_exit norm-opt %s --pass-pipeline='builtin.module(norm-lower-to-nvvm{chip=gfx90a})' -o /dev/null 2>&1 | FileCheck %s --check-prefix=CHIP
// CHIP: norm-lower-to-nvvm: chip must be sm_<N>, got 'gfx90a'
// CHIP: failed to add `norm-lower-to-nvvm`
// CHIP-NOT: see current operation
// CHIP: exit=1

// RUN: %norm_exit norm-opt %s --pass-pipeline='builtin.module(norm-lower-to-nvvm{chip=sm_x})' -o /dev/null 2>&1 | FileCheck %s --check-prefix=CHIPNUM
// CHIPNUM: norm-lower-to-nvvm: chip must be sm_<N>, got 'sm_x'
// CHIPNUM-NOT: see current operation
// CHIPNUM: exit=1

// RUN: %norm_exit norm-opt %s --pass-pipeline='builtin.module(norm-lower-to-nvvm{format=elf})' -o /dev/null 2>&1 | FileCheck %s --check-prefix=FORMAT
// FORMAT: norm-lower-to-nvvm: format must be ptx, cubin or fatbin, got 'elf'
// FORMAT-NOT: see current operation
// FORMAT: exit=1

// RUN: %norm_exit norm-opt %s --pass-pipeline='builtin.module(norm-lower-to-nvvm{opt-level=9})' -o /dev/null 2>&1 | FileCheck %s --check-prefix=OPT
// OPT: norm-lower-to-nvvm: opt-level must be 0 to 3, got 9
// OPT-NOT: see current operation
// OPT: exit=1

// RUN: %norm_exit norm-opt %s --pass-pipeline='builtin.module(norm-lower-to-nvvm{generic-threads=0})' -o /dev/null 2>&1 | FileCheck %s --check-prefix=GENERIC
// GENERIC: norm-lower-to-nvvm: generic-threads must be 1 to 1024, got 0
// GENERIC-NOT: see current operation
// GENERIC: exit=1

// RUN: %norm_exit norm-opt %s --pass-pipeline='builtin.module(norm-lower-to-nvvm{vector-bytes=3})' -o /dev/null 2>&1 | FileCheck %s --check-prefix=VBYTES
// VBYTES: error: convert-norm-to-gpu: vector-bytes must be 1, 2, 4, 8 or 16, got 3
// VBYTES-NOT: see current operation
// VBYTES: exit=1

// RUN: %norm_exit norm-opt %s --pass-pipeline='builtin.module(norm-lower-to-nvvm{loop-threads=48})' -o /dev/null 2>&1 | FileCheck %s --check-prefix=LOOP
// LOOP: error: convert-norm-to-gpu: persistent-blocks must be ≥ 1 and loop-threads a multiple of 32 in [32, 1024]
// LOOP-NOT: see current operation
// LOOP: exit=1

// RUN: %norm_exit norm-opt %s --pass-pipeline='builtin.module(convert-norm-to-gpu{persistent-blocks=0})' -o /dev/null 2>&1 | FileCheck %s --check-prefix=BLOCKS
// BLOCKS: error: convert-norm-to-gpu: persistent-blocks must be ≥ 1
// BLOCKS-NOT: see current operation
// BLOCKS: exit=1

// RUN: %norm_exit norm-opt %s --pass-pipeline='builtin.module(norm-lower-to-nvvm{grad-elements=0})' -o /dev/null 2>&1 | FileCheck %s --check-prefix=GRADEL
// GRADEL: norm-lower-to-nvvm: grad-elements must be 1 to 64, got 0
// GRADEL-NOT: see current operation
// GRADEL: exit=1

// RUN: %norm_exit norm-opt %s --pass-pipeline='builtin.module(convert-norm-to-gpu{grad-elements=65})' -o /dev/null 2>&1 | FileCheck %s --check-prefix=GRADEL2
// GRADEL2: error: convert-norm-to-gpu: grad-elements must be in [1, 64], got 65
// GRADEL2-NOT: see current operation
// GRADEL2: exit=1

// RUN: %norm_exit norm-opt %s --pass-pipeline='builtin.module(norm-finalize-mpi{implementation=x})' -o /dev/null 2>&1 | FileCheck %s --check-prefix=FINAL
// FINAL: error: norm-finalize-mpi: implementation must be MPICH or OpenMPI, not 'x'
// FINAL-NOT: see current operation
// FINAL: exit=1

// RUN: %norm_exit norm-opt %s --pass-pipeline='builtin.module(norm-gpu-entry-points{prefix=1bad})' -o /dev/null 2>&1 | FileCheck %s --check-prefix=PREFIX
// PREFIX: error: norm-gpu-entry-points: prefix must be a C identifier ([A-Za-z_][A-Za-z0-9_]*), got '1bad'
// PREFIX-NOT: see current operation
// PREFIX: exit=1

// RUN: %norm_exit norm-opt %s --pass-pipeline='builtin.module(norm-split-all-gather{grid=nowhere})' -o /dev/null 2>&1 | FileCheck %s --check-prefix=SPLIT
// SPLIT: error: norm-split-all-gather
// SPLIT-NOT: see current operation
// SPLIT: exit=1

func.func @f(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %e = tensor.empty() : tensor<4x8xf32>
  %y = norm.rms_norm ins(%x : tensor<4x8xf32>) outs(%e : tensor<4x8xf32>) -> tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// RUN: %norm_exit norm-opt %s --pass-pipeline='builtin.module(norm-lower-to-cpu{nontemporal-stores=maybe})' -o /dev/null 2>&1 | FileCheck %s --check-prefix=CPUNT
// CPUNT: {{error|Error}}
// CPUNT: exit=1
