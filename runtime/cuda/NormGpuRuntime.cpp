//===- NormGpuRuntime.cpp - the CUDA runtime of lowered norm code -*- C++ -*-===//
//
// Part of the norm project, under the Apache License v2.0 with LLVM
// Exceptions. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The functions that host code lowered by upstream `gpu-to-llvm` calls
// (mgpuModuleLoad, mgpuLaunchKernel, mgpuMemAlloc, ...), written against the
// CUDA driver API (libcuda). Debian's MLIR ships no CUDA runtime wrappers,
// so norm ships this one. Differences from upstream's wrappers, on purpose:
//
// - Streams: `normGpuSetStream(s)` (called by the C entry points of
//   norm-gpu-entry-points) makes `s`, a CUstream/cudaStream_t owned by the
//   caller, the stream of every launch and allocation until
//   `normGpuClearStream()`. `s` is the stream whatever its value: 0 is the
//   legacy default stream (PyTorch's default), CU_STREAM_PER_THREAD the
//   per-thread one. (Treating 0 as "no stream" made every call create,
//   synchronize and destroy a non-blocking stream: unordered after the
//   caller's work on the default stream, and blocking the host.)
//   While it is set, mgpuStreamCreate returns it and mgpuStreamSynchronize
//   and mgpuStreamDestroy do nothing: the work stays asynchronous and
//   ordered on the caller's stream, as a framework expects of a kernel call.
// - Allocations are stream-ordered (cuMemAllocAsync / cuMemFreeAsync on the
//   current stream): temporaries such as gradient partials cost no device
//   synchronization.
// - Errors do not abort: the first failing call's CUDA error code is kept
//   (and printed once) and `normGpuTakeError()` returns and clears it; the
//   entry points return it to the caller. Launches after an error are
//   skipped.
// - The context is the device's primary context (the one the CUDA runtime,
//   and so PyTorch, uses), made current on the calling thread if none is.
//
//===----------------------------------------------------------------------===//

#include <cuda.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <mutex>

#define NORM_GPU_EXPORT extern "C" __attribute__((visibility("default")))

namespace {

thread_local CUstream currentStream = nullptr;
thread_local bool streamSet = false;
thread_local int firstError = 0;

bool check(CUresult result, const char *what) {
  if (result == CUDA_SUCCESS)
    return true;
  if (firstError == 0) {
    firstError = static_cast<int>(result);
    const char *name = nullptr;
    cuGetErrorName(result, &name);
    std::fprintf(stderr, "norm GPU runtime: %s failed: %s (%d)\n", what,
                 name ? name : "unknown", static_cast<int>(result));
  }
  return false;
}

/// Makes a context current: the primary context of device 0 (or of
/// NORM_GPU_DEVICE) unless the thread already has one.
bool ensureContext() {
  static std::once_flag once;
  static CUresult initResult = CUDA_SUCCESS;
  std::call_once(once, [] { initResult = cuInit(0); });
  if (!check(initResult, "cuInit"))
    return false;
  CUcontext ctx = nullptr;
  if (cuCtxGetCurrent(&ctx) == CUDA_SUCCESS && ctx)
    return true;
  int ordinal = 0;
  if (const char *env = std::getenv("NORM_GPU_DEVICE"))
    ordinal = std::atoi(env);
  CUdevice device;
  if (!check(cuDeviceGet(&device, ordinal), "cuDeviceGet"))
    return false;
  if (!check(cuDevicePrimaryCtxRetain(&ctx, device),
             "cuDevicePrimaryCtxRetain"))
    return false;
  return check(cuCtxSetCurrent(ctx), "cuCtxSetCurrent");
}

/// Keeps freed stream-ordered memory in the device's default pool instead
/// of returning it to the driver at every synchronization (the default
/// release threshold is 0): gradient partials are allocated on every call,
/// and re-mapping them each time costs tens of microseconds.
void keepPoolMemory() {
  static std::once_flag once;
  std::call_once(once, [] {
    CUdevice device;
    CUmemoryPool pool;
    if (cuCtxGetDevice(&device) != CUDA_SUCCESS ||
        cuDeviceGetDefaultMemPool(&pool, device) != CUDA_SUCCESS)
      return;
    cuuint64_t threshold = ~cuuint64_t(0);
    cuMemPoolSetAttribute(pool, CU_MEMPOOL_ATTR_RELEASE_THRESHOLD, &threshold);
  });
}

} // namespace

//===----------------------------------------------------------------------===//
// norm entry points
//===----------------------------------------------------------------------===//

NORM_GPU_EXPORT void normGpuSetStream(void *stream) {
  currentStream = static_cast<CUstream>(stream);
  streamSet = true;
}

NORM_GPU_EXPORT void normGpuClearStream() {
  currentStream = nullptr;
  streamSet = false;
}

/// Called by an entry point whose arguments fail its checks (nothing is
/// launched): says which pointer argument and why, and returns the code the
/// entry point returns, CUDA_ERROR_INVALID_VALUE. Reasons: 1 null, 2 not
/// aligned to `alignment` bytes, 3 a negative size, 4 a byte size that
/// overflows int64.
NORM_GPU_EXPORT int normGpuBadArgument(const char *entry, int index,
                                       int reason, int64_t address,
                                       int64_t alignment) {
  static const char *const what[] = {
      "", "is null", "is not aligned", "has a negative size",
      "has a size whose byte count overflows int64"};
  char extra[64] = "";
  if (reason == 2)
    std::snprintf(extra, sizeof(extra), " (the kernels need %lld bytes)",
                  static_cast<long long>(alignment));
  std::fprintf(stderr,
               "norm GPU runtime: %s: pointer argument %d (0x%llx) %s%s; "
               "nothing was launched\n",
               entry ? entry : "entry point", index,
               static_cast<unsigned long long>(address),
               what[reason >= 1 && reason <= 4 ? reason : 0], extra);
  return CUDA_ERROR_INVALID_VALUE;
}

NORM_GPU_EXPORT int normGpuTakeError() {
  int e = firstError;
  firstError = 0;
  return e;
}

//===----------------------------------------------------------------------===//
// What gpu-to-llvm's host code calls
//===----------------------------------------------------------------------===//

NORM_GPU_EXPORT void *mgpuModuleLoad(void *data, size_t /*size*/) {
  if (!ensureContext())
    return nullptr;
  CUmodule module = nullptr;
  check(cuModuleLoadData(&module, data), "cuModuleLoadData");
  return module;
}

NORM_GPU_EXPORT void *mgpuModuleLoadJIT(void *data, int optLevel) {
  if (!ensureContext())
    return nullptr;
  CUmodule module = nullptr;
  char log[8192] = {0};
  CUjit_option options[] = {CU_JIT_ERROR_LOG_BUFFER,
                            CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES,
                            CU_JIT_OPTIMIZATION_LEVEL};
  void *values[] = {log, reinterpret_cast<void *>(sizeof(log)),
                    reinterpret_cast<void *>(static_cast<intptr_t>(optLevel))};
  if (!check(cuModuleLoadDataEx(&module, data, 3, options, values),
             "cuModuleLoadDataEx (PTX JIT)"))
    std::fprintf(stderr, "%s\n", log);
  return module;
}

NORM_GPU_EXPORT void mgpuModuleUnload(void *module) {
  if (module)
    cuModuleUnload(static_cast<CUmodule>(module)); // at exit: errors ignored
}

NORM_GPU_EXPORT void *mgpuModuleGetFunction(void *module, const char *name) {
  if (!module)
    return nullptr;
  CUfunction function = nullptr;
  check(cuModuleGetFunction(&function, static_cast<CUmodule>(module), name),
        "cuModuleGetFunction");
  return function;
}

NORM_GPU_EXPORT void mgpuLaunchKernel(void *function, intptr_t gridX,
                                      intptr_t gridY, intptr_t gridZ,
                                      intptr_t blockX, intptr_t blockY,
                                      intptr_t blockZ, int32_t smem,
                                      void *stream, void **params,
                                      void **extra, size_t /*paramsCount*/) {
  if (firstError != 0 || !function)
    return;
  auto f = static_cast<CUfunction>(function);
  if (smem > 48 * 1024)
    check(cuFuncSetAttribute(f, CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES,
                             smem),
          "cuFuncSetAttribute");
  check(cuLaunchKernel(f, gridX, gridY, gridZ, blockX, blockY, blockZ, smem,
                       static_cast<CUstream>(stream), params, extra),
        "cuLaunchKernel");
}

NORM_GPU_EXPORT void *mgpuStreamCreate() {
  if (streamSet)
    return currentStream;
  if (!ensureContext())
    return nullptr;
  CUstream stream = nullptr;
  check(cuStreamCreate(&stream, CU_STREAM_NON_BLOCKING), "cuStreamCreate");
  return stream;
}

NORM_GPU_EXPORT void mgpuStreamDestroy(void *stream) {
  if (streamSet && stream == currentStream)
    return;
  if (stream)
    check(cuStreamDestroy(static_cast<CUstream>(stream)), "cuStreamDestroy");
}

NORM_GPU_EXPORT void mgpuStreamSynchronize(void *stream) {
  if (streamSet && stream == currentStream)
    return;
  check(cuStreamSynchronize(static_cast<CUstream>(stream)),
        "cuStreamSynchronize");
}

NORM_GPU_EXPORT void mgpuStreamWaitEvent(void *stream, void *event) {
  check(cuStreamWaitEvent(static_cast<CUstream>(stream),
                          static_cast<CUevent>(event), 0),
        "cuStreamWaitEvent");
}

NORM_GPU_EXPORT void *mgpuEventCreate() {
  if (!ensureContext())
    return nullptr;
  CUevent event = nullptr;
  check(cuEventCreate(&event, CU_EVENT_DISABLE_TIMING), "cuEventCreate");
  return event;
}

NORM_GPU_EXPORT void mgpuEventDestroy(void *event) {
  check(cuEventDestroy(static_cast<CUevent>(event)), "cuEventDestroy");
}

NORM_GPU_EXPORT void mgpuEventSynchronize(void *event) {
  check(cuEventSynchronize(static_cast<CUevent>(event)), "cuEventSynchronize");
}

NORM_GPU_EXPORT void mgpuEventRecord(void *event, void *stream) {
  check(cuEventRecord(static_cast<CUevent>(event),
                      static_cast<CUstream>(stream)),
        "cuEventRecord");
}

/// Allocations go on the given stream, else the current one.
static CUstream allocStream(void *stream) {
  return stream ? static_cast<CUstream>(stream) : currentStream;
}

NORM_GPU_EXPORT void *mgpuMemAlloc(uint64_t size, void *stream,
                                   bool isHostShared) {
  if (!ensureContext() || size == 0)
    return nullptr;
  CUdeviceptr ptr = 0;
  keepPoolMemory();
  if (isHostShared)
    check(cuMemAllocManaged(&ptr, size, CU_MEM_ATTACH_GLOBAL),
          "cuMemAllocManaged");
  else
    check(cuMemAllocAsync(&ptr, size, allocStream(stream)), "cuMemAllocAsync");
  return reinterpret_cast<void *>(ptr);
}

NORM_GPU_EXPORT void mgpuMemFree(void *ptr, void *stream) {
  if (!ptr)
    return;
  check(cuMemFreeAsync(reinterpret_cast<CUdeviceptr>(ptr), allocStream(stream)),
        "cuMemFreeAsync");
}

NORM_GPU_EXPORT void mgpuMemcpy(void *dst, void *src, size_t bytes,
                                void *stream) {
  check(cuMemcpyAsync(reinterpret_cast<CUdeviceptr>(dst),
                      reinterpret_cast<CUdeviceptr>(src), bytes,
                      allocStream(stream)),
        "cuMemcpyAsync");
}

NORM_GPU_EXPORT void mgpuMemset32(void *dst, unsigned int value, size_t count,
                                  void *stream) {
  check(cuMemsetD32Async(reinterpret_cast<CUdeviceptr>(dst), value, count,
                         allocStream(stream)),
        "cuMemsetD32Async");
}

NORM_GPU_EXPORT void mgpuMemset16(void *dst, unsigned short value,
                                  size_t count, void *stream) {
  check(cuMemsetD16Async(reinterpret_cast<CUdeviceptr>(dst), value, count,
                         allocStream(stream)),
        "cuMemsetD16Async");
}

NORM_GPU_EXPORT void mgpuSetDefaultDevice(int32_t device) {
  static char buffer[16];
  std::snprintf(buffer, sizeof(buffer), "%d", device);
  setenv("NORM_GPU_DEVICE", buffer, 1);
}
