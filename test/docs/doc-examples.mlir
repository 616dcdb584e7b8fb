// Every ```mlir example in the ODS descriptions (dialect, ops, attributes) is
// valid IR that norm-opt parses and verifies.
// RUN: %python %S/check_doc_examples.py %norm_obj_root/docs/Dialects/NormDialect.md norm-opt | FileCheck %s
// CHECK-NOT: FAILED
// CHECK: [[N:[0-9]+]] of [[N]] examples parse
