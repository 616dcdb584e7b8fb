// The norm-doc target generates the dialect reference from ODS with every op
// and attribute in it.
// RUN: FileCheck %s --input-file=%norm_obj_root/docs/Dialects/NormDialect.md

// CHECK: # 'norm' Dialect
// CHECK-DAG: ### `norm.layer_norm` (norm::LayerNormOp)
// CHECK-DAG: ### `norm.layer_norm_grad` (norm::LayerNormGradOp)
// CHECK-DAG: ### `norm.layer_norm_post_all_gather` (norm::LayerNormPostAllGatherOp)
// CHECK-DAG: ### `norm.layer_norm_pre_all_gather` (norm::LayerNormPreAllGatherOp)
// CHECK-DAG: ### `norm.rms_norm` (norm::RmsNormOp)
// CHECK-DAG: ### `norm.rms_norm_grad` (norm::RmsNormGradOp)
// CHECK-DAG: ### `norm.rms_norm_post_all_gather` (norm::RmsNormPostAllGatherOp)
// CHECK-DAG: ### `norm.rms_norm_pre_all_gather` (norm::RmsNormPreAllGatherOp)
// CHECK-DAG: ### RoundingModeAttr
// CHECK-DAG: ### StatsLayoutAttr
