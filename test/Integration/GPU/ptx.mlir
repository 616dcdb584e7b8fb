// REQUIRES: ptxas
// Every case of the GPU execution suite (rms/layer forward and backward ×
// f32/f16/bf16 × optional operands and results, static and dynamic N,
// masked tails, a static N past the unrolling limit) lowers to PTX that ptxas accepts for sm_90, with 128-bit
// global loads in the kernels of static N.
// RUN: rm -rf %t && mkdir -p %t
// RUN: %python %norm_src_root/scripts/gen_gpu_cases.py tests %t/cases.mlir %t/cases.json
// RUN: norm-opt %t/cases.mlir --norm-lower-to-nvvm="format=ptx" -o %t/lowered.mlir
// RUN: %python %norm_src_root/scripts/extract_ptx.py %t/lowered.mlir %t/ptx > %t/list
// RUN: count 776 < %t/list
// RUN: for f in %t/ptx/*.ptx; do %ptxas -arch=sm_90 $f -o /dev/null 2>&1 || echo "ptxas failed: $f"; done > %t/ptxas.log
// RUN: count 0 < %t/ptxas.log
// RUN: grep -l "ld.global.v4" %t/ptx/rms_norm_bf16_all_kernel.ptx %t/ptx/layer_norm_grad_f32_all_kernel.ptx %t/ptx/rms_norm_bf16_huge_loop_kernel.ptx | count 3
