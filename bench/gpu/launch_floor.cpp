//===- launch_floor.cpp - host time of a norm call vs a bare launch -------===//
//
// Part of the norm project, under the Apache License v2.0 with LLVM
// Exceptions. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Issue 18's launch cost, without Python: host µs per call of
//   - `empty0`: cuLaunchKernel of an empty kernel with no parameters;
//   - `empty24`: an empty kernel with 24 u64 parameters (about what a norm
//     kernel takes: memref descriptors of x, γ, y, sizes);
//   - `norm`: a C entry point of the AOT library (rms_fwd_bf16_4096, M = 1
//     and 64): what the generated host code adds to the launch;
// each on the legacy default stream (0), the per-thread default stream and
// a created non-blocking stream, from one C++ loop on one thread. The
// driver's own launch is the floor of any kernel call on that machine.
//
// Build (here, against the CUDA stub; scripts/build-gpu-artifacts.sh does):
//   g++ -O2 -std=c++17 -I/usr/local/cuda/include launch_floor.cpp
//       -L/usr/local/cuda/lib64/stubs -lcuda -ldl -o launch_floor
// Run (on the GPU machine): launch_floor LIBBENCH.so
//
//===----------------------------------------------------------------------===//

#include <cuda.h>
#include <dlfcn.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace {

void ok(CUresult r, const char *what) {
  if (r == CUDA_SUCCESS)
    return;
  const char *name = nullptr;
  cuGetErrorName(r, &name);
  std::fprintf(stderr, "launch_floor: %s: %s\n", what, name ? name : "?");
  std::exit(1);
}

std::string ptx() {
  std::string s = ".version 8.0\n.target sm_90\n.address_size 64\n"
                  ".visible .entry empty0()\n{\nret;\n}\n"
                  ".visible .entry empty24(";
  for (int i = 0; i < 24; ++i)
    s += std::string(i ? ", " : "") + ".param .u64 p" + std::to_string(i);
  s += ")\n{\nret;\n}\n";
  return s;
}

/// Median over 7 rounds of the mean host µs per call of `fn` (20000 calls a
/// round, the device drained between rounds).
template <typename Fn> double hostMicros(Fn fn) {
  for (int i = 0; i < 500; ++i)
    fn();
  ok(cuCtxSynchronize(), "cuCtxSynchronize");
  std::vector<double> rounds;
  for (int r = 0; r < 7; ++r) {
    constexpr int kCalls = 20000;
    auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < kCalls; ++i)
      fn();
    auto t1 = std::chrono::steady_clock::now();
    ok(cuCtxSynchronize(), "cuCtxSynchronize");
    rounds.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count() /
                     kCalls);
  }
  std::sort(rounds.begin(), rounds.end());
  return rounds[rounds.size() / 2];
}

} // namespace

int main(int argc, char **argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: launch_floor LIBBENCH.so\n");
    return 2;
  }
  ok(cuInit(0), "cuInit");
  CUdevice dev;
  ok(cuDeviceGet(&dev, 0), "cuDeviceGet");
  CUcontext ctx;
  ok(cuDevicePrimaryCtxRetain(&ctx, dev), "cuDevicePrimaryCtxRetain");
  ok(cuCtxSetCurrent(ctx), "cuCtxSetCurrent");

  std::string text = ptx();
  CUmodule module;
  ok(cuModuleLoadData(&module, text.c_str()), "cuModuleLoadData");
  CUfunction empty0, empty24;
  ok(cuModuleGetFunction(&empty0, module, "empty0"), "empty0");
  ok(cuModuleGetFunction(&empty24, module, "empty24"), "empty24");

  void *lib = dlopen(argv[1], RTLD_NOW);
  if (!lib) {
    std::fprintf(stderr, "launch_floor: %s\n", dlerror());
    return 1;
  }
  using Entry = int (*)(void *, void *, void *, void *, long, long);
  auto norm = reinterpret_cast<Entry>(dlsym(lib, "norm_rms_fwd_bf16_4096"));
  if (!norm) {
    std::fprintf(stderr, "launch_floor: no norm_rms_fwd_bf16_4096\n");
    return 1;
  }
  constexpr long kN = 4096, kMaxM = 64;
  CUdeviceptr x, g, y;
  ok(cuMemAlloc(&x, kMaxM * kN * 2), "cuMemAlloc");
  ok(cuMemAlloc(&g, kN * 2), "cuMemAlloc");
  ok(cuMemAlloc(&y, kMaxM * kN * 2), "cuMemAlloc");
  ok(cuMemsetD16(x, 0x3f80, kMaxM * kN), "cuMemsetD16"); // bf16 1.0
  ok(cuMemsetD16(g, 0x3f80, kN), "cuMemsetD16");

  CUstream created;
  ok(cuStreamCreate(&created, CU_STREAM_NON_BLOCKING), "cuStreamCreate");
  struct {
    const char *name;
    CUstream s;
  } streams[] = {{"legacy(0)", nullptr},
                 {"per-thread", CU_STREAM_PER_THREAD},
                 {"created", created}};

  unsigned long long p[24] = {};
  void *params24[24];
  for (int i = 0; i < 24; ++i)
    params24[i] = &p[i];

  std::printf("%-11s %-8s %10s\n", "stream", "call", "host us");
  for (auto &st : streams) {
    CUstream s = st.s;
    double e0 = hostMicros([&] {
      ok(cuLaunchKernel(empty0, 1, 1, 1, 32, 1, 1, 0, s, nullptr, nullptr),
         "launch");
    });
    double e24 = hostMicros([&] {
      ok(cuLaunchKernel(empty24, 1, 1, 1, 32, 1, 1, 0, s, params24, nullptr),
         "launch");
    });
    std::printf("%-11s %-8s %10.2f\n", st.name, "empty0", e0);
    std::printf("%-11s %-8s %10.2f\n", st.name, "empty24", e24);
    for (long m : {1L, 64L}) {
      double t = hostMicros([&] {
        int err = norm(s, reinterpret_cast<void *>(x),
                       reinterpret_cast<void *>(g),
                       reinterpret_cast<void *>(y), m, m);
        if (err) {
          std::fprintf(stderr, "launch_floor: norm call failed: %d\n", err);
          std::exit(1);
        }
      });
      std::printf("%-11s norm M=%-2ld %10.2f\n", st.name, m, t);
    }
    std::fflush(stdout);
  }
  return 0;
}
