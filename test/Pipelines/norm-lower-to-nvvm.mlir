// RUN: norm-opt %s --norm-lower-to-nvvm="format=ptx" | FileCheck %s
// RUN: norm-opt %s --norm-lower-to-nvvm="format=ptx entry-points=false" | FileCheck %s --check-prefix=NOENTRY
// RUN: %norm_exit norm-opt %s --norm-lower-to-nvvm="format=elf" 2>&1 | FileCheck %s --check-prefix=BADFMT
// RUN: %norm_exit norm-opt %s --norm-lower-to-nvvm="chip=gfx90a" 2>&1 | FileCheck %s --check-prefix=BADCHIP
// Every chip family LLVM 22 knows compiles, with its own PTX ISA by default
// (issue 21: sm_90a was rejected and +ptx80 made LLVM abort for sm_100).
// RUN: norm-opt %s --norm-lower-to-nvvm="format=ptx chip=sm_90a" | FileCheck %s --check-prefix=SM90A
// RUN: norm-opt %s --norm-lower-to-nvvm="format=ptx chip=sm_100" | FileCheck %s --check-prefix=SM100
// RUN: norm-opt %s --norm-lower-to-nvvm="format=ptx chip=sm_100a" | FileCheck %s --check-prefix=SM100A
// RUN: norm-opt %s --norm-lower-to-nvvm="format=ptx chip=sm_120" | FileCheck %s --check-prefix=SM120
// Launch bounds of the persistent gradient kernel (grad-launch-bounds, on by
// default): PTX .minnctapersm 2 beside .maxntid 512; off, none.
// RUN: norm-opt %s --norm-lower-to-nvvm="format=ptx" | FileCheck %s --check-prefix=LB
// RUN: norm-opt %s --norm-lower-to-nvvm="format=ptx grad-launch-bounds=false" | FileCheck %s --check-prefix=NOLB
// LB: gpu.binary @grad_kernel {{.*}}.maxntid 512, 1, 1{{.*}}.minnctapersm 2
// NOLB: gpu.binary @grad_kernel
// NOLB-NOT: .minnctapersm
// NOLB: gpu.binary @grad_kernel_0
// SM90A: chip = "sm_90a", features = "+ptx80"{{.*}}.target sm_90a
// SM100: chip = "sm_100", features = "+ptx88"{{.*}}.target sm_100
// SM100A: chip = "sm_100a", features = "+ptx88"{{.*}}.target sm_100a
// SM120: chip = "sm_120", features = "+ptx88"{{.*}}.target sm_120

// The whole path on tensors: bufferized, specialized kernels, PTX embedded
// in a gpu.binary, host code calling the mgpu* runtime, and a C entry point
// on device pointers and a stream. The split ops get row kernels too.
// CHECK-DAG: gpu.binary @rms_kernel {{.*}}#nvvm.target<O = 3, chip = "sm_90", features = "+ptx80">{{.*}}assembly = "{{.*}}ld.global.v4
// CHECK-DAG: gpu.launch_func <%{{.*}} : !llvm.ptr> @rms_kernel::@rms_kernel
// CHECK: llvm.func @norm_rms(%{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: i64, %{{.*}}: i64) -> i32
// CHECK: llvm.call @normGpuSetStream
// CHECK: llvm.call @rms(
// CHECK: llvm.call @normGpuTakeError
// CHECK: gpu.binary @pre_kernel
// CHECK: llvm.func @norm_pre(
// NOENTRY-NOT: llvm.func @norm_rms
// BADFMT: norm-lower-to-nvvm: format must be ptx, cubin or fatbin, got 'elf'
// BADFMT: exit=1
// BADCHIP: norm-lower-to-nvvm: chip must be sm_<N>, got 'gfx90a'
// BADCHIP: exit=1

func.func @rms(%x: tensor<?x4096xbf16>, %w: tensor<4096xbf16>,
               %y0: tensor<?x4096xbf16>) -> tensor<?x4096xbf16> {
  %y = norm.rms_norm ins(%x : tensor<?x4096xbf16>) gamma(%w : tensor<4096xbf16>)
      outs(%y0 : tensor<?x4096xbf16>) -> tensor<?x4096xbf16>
  return %y : tensor<?x4096xbf16>
}

func.func @pre(%x: tensor<?x384xbf16>, %s0: tensor<?x3xf32>) -> tensor<?x3xf32> {
  %s = norm.layer_norm_pre_all_gather ins(%x : tensor<?x384xbf16>)
      outs(%s0 : tensor<?x3xf32>) {stats_layout = #norm.stats<count_sum_m2>}
      -> tensor<?x3xf32>
  return %s : tensor<?x3xf32>
}

func.func @grad(%dy: tensor<?x4096xbf16>, %x: tensor<?x4096xbf16>,
                %rstd: tensor<?xf32>, %w: tensor<4096xbf16>,
                %dx0: tensor<?x4096xbf16>, %dw0: tensor<4096xf32>)
    -> (tensor<?x4096xbf16>, tensor<4096xf32>) {
  %dx, %dw = norm.rms_norm_grad ins(%dy : tensor<?x4096xbf16>, %x : tensor<?x4096xbf16>,
                                    %rstd : tensor<?xf32>)
      gamma(%w : tensor<4096xbf16>)
      outs dx(%dx0 : tensor<?x4096xbf16>) dgamma(%dw0 : tensor<4096xf32>)
      -> tensor<?x4096xbf16>, tensor<4096xf32>
  return %dx, %dw : tensor<?x4096xbf16>, tensor<4096xf32>
}
