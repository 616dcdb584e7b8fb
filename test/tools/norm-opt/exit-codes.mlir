// Malformed input gets a located diagnostic and exit code 1, never a crash.
// Each RUN line prints the exit status so that FileCheck sees exactly 1.

// RUN: %norm_exit norm-opt %S/Inputs/truncated.mlir 2>&1 | FileCheck %s --check-prefix=TRUNC
// TRUNC: truncated.mlir:2:68: error: expected non-function type
// TRUNC: exit=1

// RUN: %norm_exit norm-opt %S/Inputs/gamma-rank.mlir 2>&1 | FileCheck %s --check-prefix=GAMMA
// GAMMA: gamma-rank.mlir:2:8: error: 'norm.rms_norm' op expects gamma to have the normalized shape of x (8, the dims from axis 1), got 4x8
// GAMMA: exit=1

// RUN: %norm_exit norm-opt %S/Inputs/axis-range.mlir 2>&1 | FileCheck %s --check-prefix=AXIS
// AXIS: axis-range.mlir:2:8: error: 'norm.layer_norm' op expects axis in [-2, 2) for x of rank 2, got 5
// AXIS: exit=1

// RUN: %norm_exit norm-opt %S/Inputs/unknown-attr.mlir 2>&1 | FileCheck %s --check-prefix=ATTR
// ATTR: unknown-attr.mlir:2:8: error: 'norm.rms_norm' op has unknown attribute 'eps'
// ATTR: exit=1

// RUN: %norm_exit norm-opt %S/Inputs/unknown-op.mlir 2>&1 | FileCheck %s --check-prefix=OP
// OP: unknown-op.mlir:2:8: error: custom op 'norm.batch_norm' is unknown
// OP: exit=1

// RUN: %norm_exit norm-opt %S/Inputs/does-not-exist.mlir 2>&1 | FileCheck %s --check-prefix=MISSING
// MISSING: does-not-exist.mlir
// MISSING: exit=1

// RUN: %norm_exit norm-opt --no-such-option %S/Inputs/gamma-rank.mlir 2>&1 | FileCheck %s --check-prefix=OPTION
// OPTION: Unknown command line argument '--no-such-option'
// OPTION: exit=1

// RUN: %norm_exit norm-opt %s --pass-pipeline='builtin.module(bogus-pass)' 2>&1 | FileCheck %s --check-prefix=PIPE
// PIPE: 'bogus-pass' does not refer to a registered pass or pass pipeline
// PIPE: exit=1

// Well-formed input exits 0.
// RUN: %norm_exit norm-opt %s 2>&1 | FileCheck %s --check-prefix=OK
// OK: exit=0
