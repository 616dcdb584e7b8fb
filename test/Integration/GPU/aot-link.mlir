// REQUIRES: gpu-runtime
// The ahead-of-time path compiles host code and kernels (fatbin, through
// ptxas) into a shared library with the norm GPU runtime inside: it links
// (against the libcuda stub), exports the C entry points, and keeps the
// runtime's symbols and the wrapped functions to itself: `nm -D` shows
// the entry points alone.
// RUN: rm -rf %t && mkdir -p %t
// RUN: bash %norm_src_root/scripts/norm-aot.sh %s %t/lib.so
// RUN: nm -D --defined-only %t/lib.so | FileCheck %s
// CHECK-DAG: T norm_rms_bwd
// CHECK-DAG: T norm_ln_fwd
// CHECK-NOT: mgpuLaunchKernel
// CHECK-NOT: {{ T (ln_fwd|rms_bwd)}}
// RUN: nm -D --defined-only %t/lib.so | grep -c " T " | FileCheck %s --check-prefix=COUNT
// COUNT: {{^}}2{{$}}
// RUN: nm -D %t/lib.so | grep -c "U cuLaunchKernel"

func.func @ln_fwd(%x: tensor<?x768xf16>, %w: tensor<768xf16>, %b: tensor<768xf16>,
                  %y0: tensor<?x768xf16>, %m0: tensor<?xf32>, %r0: tensor<?xf32>)
    -> (tensor<?x768xf16>, tensor<?xf32>, tensor<?xf32>) {
  %y, %m, %r = norm.layer_norm ins(%x : tensor<?x768xf16>) gamma(%w : tensor<768xf16>)
      beta(%b : tensor<768xf16>) outs(%y0 : tensor<?x768xf16>)
      mean(%m0 : tensor<?xf32>) rstd(%r0 : tensor<?xf32>)
      -> tensor<?x768xf16>, tensor<?xf32>, tensor<?xf32>
  return %y, %m, %r : tensor<?x768xf16>, tensor<?xf32>, tensor<?xf32>
}

func.func @rms_bwd(%dy: tensor<?x2048xbf16>, %x: tensor<?x2048xbf16>, %r: tensor<?xf32>,
                   %w: tensor<2048xbf16>, %dx0: tensor<?x2048xbf16>, %dw0: tensor<2048xf32>)
    -> (tensor<?x2048xbf16>, tensor<2048xf32>) {
  %dx, %dw = norm.rms_norm_grad ins(%dy : tensor<?x2048xbf16>, %x : tensor<?x2048xbf16>,
                                    %r : tensor<?xf32>) gamma(%w : tensor<2048xbf16>)
      outs dx(%dx0 : tensor<?x2048xbf16>) dgamma(%dw0 : tensor<2048xf32>)
      -> tensor<?x2048xbf16>, tensor<2048xf32>
  return %dx, %dw : tensor<?x2048xbf16>, tensor<2048xf32>
}
