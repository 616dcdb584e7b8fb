//===- ops.cpp - norm_torch's CUDA kernels of the torch.ops.norm ops ------===//
//
// Part of the norm project, under the Apache License v2.0 with LLVM
// Exceptions. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The CUDA implementations of norm::rms_norm, norm::layer_norm and their
// backward ops (schemas: _ops.py), in C++ so that a call costs the
// dispatcher and one launch, not a Python function (~30 µs). They call the
// C entry points of the AOT kernel library (scripts/build-torch-lib.sh)
// found by name, `norm_<variant>_<dtype>_<N>` or `..._dyn`, with the
// arguments in the order scripts/gen_gpu_cases.py emits them: pointers (x,
// gamma, beta, residual, y, mean, rstd, residual_out; backward dy, x, mean,
// rstd, gamma, dx, dgamma, dbeta, those present), then the dynamic sizes
// of each in that order (rows M and, for a dynamic N, N; columns N when
// dynamic; statistics M), then eps. _ops.py compiles this file on the GPU
// machine with the PyTorch it runs (torch/include), and falls back to its
// Python implementation when it cannot.
//
//===----------------------------------------------------------------------===//

#include <ATen/ATen.h>
#include <ATen/core/dispatch/Dispatcher.h>
#include <c10/core/impl/DeviceGuardImplInterface.h>
#include <torch/autograd.h>
#include <torch/library.h>
#include <torch/version.h>

#include <dlfcn.h>

#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

namespace {

std::mutex mutex;
void *library = nullptr;
std::string libraryPath;
std::map<std::string, void *> symbols;
std::map<std::tuple<int64_t, int, int>, at::Tensor> onesCache;

void *lookup(const std::string &name) {
  std::lock_guard<std::mutex> lock(mutex);
  TORCH_CHECK(library, "norm_torch: no kernel library loaded");
  auto it = symbols.find(name);
  if (it != symbols.end())
    return it->second;
  void *f = dlsym(library, name.c_str());
  symbols.emplace(name, f);
  return f;
}

const char *dtypeName(at::ScalarType t) {
  switch (t) {
  case at::kFloat:
    return "f32";
  case at::kHalf:
    return "f16";
  case at::kBFloat16:
    return "bf16";
  default:
    TORCH_CHECK(false, "norm_torch: dtype ", t,
                " is not supported (float32, float16, bfloat16)");
  }
}

/// Contiguous and 16-byte aligned (the kernels' vector accesses).
at::Tensor ready(const at::Tensor &t) {
  at::Tensor c = t.contiguous();
  if (reinterpret_cast<uintptr_t>(c.data_ptr()) % 16 != 0)
    c = c.clone();
  return c;
}

at::Tensor ones(int64_t n, const at::Tensor &like) {
  std::lock_guard<std::mutex> lock(mutex);
  auto key = std::make_tuple(n, static_cast<int>(like.scalar_type()),
                             static_cast<int>(like.get_device()));
  auto it = onesCache.find(key);
  if (it != onesCache.end())
    return it->second;
  at::Tensor t = at::ones({n}, like.options());
  onesCache.emplace(key, t);
  return t;
}

/// The current stream of t's device, as a cudaStream_t (0 is the legacy
/// default stream), without CUDA headers: c10::Stream::native_handle (2.2+).
void *stream(const at::Tensor &t) {
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 2)
  return c10::impl::getDeviceGuardImpl(c10::DeviceType::CUDA)
      ->getStream(t.device())
      .native_handle();
#else
  (void)t;
  TORCH_CHECK(false, "norm_torch's C++ ops need PyTorch 2.2 or later");
#endif
}

enum Kind { Row, Col, Stat };

template <size_t... I>
int32_t callInts(void *f, const int64_t *a, std::index_sequence<I...>) {
  using F = int32_t (*)(decltype((void)I, int64_t{})...);
  return reinterpret_cast<F>(f)(a[I]...);
}
template <size_t... I>
int32_t callIntsEps(void *f, const int64_t *a, float eps,
                    std::index_sequence<I...>) {
  using F = int32_t (*)(decltype((void)I, int64_t{})..., float);
  return reinterpret_cast<F>(f)(a[I]..., eps);
}

template <size_t N>
int32_t callAt(void *f, const int64_t *a, bool hasEps, float eps) {
  return hasEps ? callIntsEps(f, a, eps, std::make_index_sequence<N>())
                : callInts(f, a, std::make_index_sequence<N>());
}

/// Calls f(stream, pointers..., sizes..., [eps]): pointers and int64 sizes
/// are both INTEGER-class arguments of the x86-64 SysV ABI.
int32_t callEntry(void *f, const std::vector<int64_t> &a, bool hasEps,
                  float eps) {
  switch (a.size()) {
#define NORM_CASE(n)                                                           \
  case n:                                                                      \
    return callAt<n>(f, a.data(), hasEps, eps);
    NORM_CASE(4) NORM_CASE(5) NORM_CASE(6) NORM_CASE(7) NORM_CASE(8)
    NORM_CASE(9) NORM_CASE(10) NORM_CASE(11) NORM_CASE(12) NORM_CASE(13)
    NORM_CASE(14) NORM_CASE(15) NORM_CASE(16) NORM_CASE(17) NORM_CASE(18)
    NORM_CASE(19) NORM_CASE(20) NORM_CASE(21) NORM_CASE(22) NORM_CASE(23)
    NORM_CASE(24)
#undef NORM_CASE
  default:
    TORCH_CHECK(false, "norm_torch: ", a.size(), " arguments");
  }
}

/// Finds the kernel and calls it on `args` (tensor, kind) with eps.
void launch(const std::string &variant, const at::Tensor &x, int64_t m,
            int64_t n, const std::vector<std::pair<at::Tensor, Kind>> &args,
            bool hasEps, double eps) {
  std::string base = "norm_" + variant + "_" + dtypeName(x.scalar_type()) + "_";
  void *f = lookup(base + std::to_string(n));
  bool staticN = f != nullptr;
  if (!f)
    f = lookup(base + "dyn");
  TORCH_CHECK(f, "norm_torch: no kernel ", base, "dyn in ", libraryPath);
  std::vector<int64_t> a;
  a.reserve(24);
  a.push_back(reinterpret_cast<int64_t>(stream(x)));
  for (auto &[t, kind] : args)
    a.push_back(reinterpret_cast<int64_t>(t.data_ptr()));
  for (auto &[t, kind] : args) {
    if (kind == Row) {
      a.push_back(m);
      if (!staticN)
        a.push_back(n);
    } else if (kind == Col) {
      if (!staticN)
        a.push_back(n);
    } else {
      a.push_back(m);
    }
  }
  int32_t err = callEntry(f, a, hasEps, static_cast<float>(eps));
  TORCH_CHECK(err == 0, "norm_torch: ", base, staticN ? std::to_string(n)
                                                       : std::string("dyn"),
              " failed with error ", err, " (see stderr)");
}

int64_t checkInputs(const at::Tensor &x,
                    std::initializer_list<std::pair<const char *,
                                                    const c10::optional<at::Tensor> *>>
                        cols,
                    const c10::optional<at::Tensor> &residual) {
  TORCH_CHECK(x.dim() >= 1, "norm_torch: x must have at least one dim");
  TORCH_CHECK(x.is_cuda(), "norm_torch: x must be a CUDA tensor");
  dtypeName(x.scalar_type());
  int64_t n = x.size(-1);
  for (auto &[name, t] : cols)
    if (t->has_value()) {
      const at::Tensor &v = **t;
      TORCH_CHECK(v.dim() == 1 && v.size(0) == n, "norm_torch: ", name,
                  " must have shape [", n, "], got ", v.sizes());
      TORCH_CHECK(v.scalar_type() == x.scalar_type(), "norm_torch: ", name,
                  " must have x's dtype");
      TORCH_CHECK(v.device() == x.device(), "norm_torch: ", name,
                  " must be on x's device");
    }
  if (residual.has_value()) {
    TORCH_CHECK(residual->sizes() == x.sizes(),
                "norm_torch: residual must have x's shape ", x.sizes(),
                ", got ", residual->sizes());
    TORCH_CHECK(residual->scalar_type() == x.scalar_type() &&
                    residual->device() == x.device(),
                "norm_torch: residual must have x's dtype and device");
  }
  return n;
}

std::vector<int64_t> leading(const at::Tensor &x) {
  auto s = x.sizes();
  return std::vector<int64_t>(s.begin(), s.end() - 1);
}

std::tuple<at::Tensor, at::Tensor, at::Tensor>
rmsNorm(const at::Tensor &x, const c10::optional<at::Tensor> &weight,
        const c10::optional<at::Tensor> &residual, double eps, double offset) {
  int64_t n = checkInputs(x, {{"weight", &weight}}, residual);
  TORCH_CHECK(offset == 0.0 || offset == 1.0,
              "norm_torch: offset must be 0 or 1 (the compiled variants), got ",
              offset);
  at::Tensor x2 = ready(x).reshape({-1, n});
  int64_t m = x2.size(0);
  at::Tensor y = at::empty_like(x2);
  at::Tensor rstd = at::empty({m}, x.options().dtype(at::kFloat));
  at::Tensor h;
  std::vector<std::pair<at::Tensor, Kind>> args = {
      {x2, Row}, {weight ? ready(*weight) : ones(n, x), Col}};
  std::string variant = "rms";
  if (residual) {
    args.push_back({ready(*residual).reshape({-1, n}), Row});
    h = at::empty_like(x2);
    variant += "_res";
  }
  args.push_back({y, Row});
  args.push_back({rstd, Stat});
  if (residual)
    args.push_back({h, Row});
  if (offset != 0.0)
    variant += "_off1";
  if (m > 0 && n > 0)
    launch(variant, x, m, n, args, true, eps);
  return {y.view(x.sizes()),
          residual ? h.view(x.sizes()) : at::empty({0}, x.options()),
          rstd.view(leading(x))};
}

std::tuple<at::Tensor, at::Tensor>
rmsNormBackward(const at::Tensor &dy, const at::Tensor &h,
                const at::Tensor &rstd,
                const c10::optional<at::Tensor> &weight, double offset,
                bool needDx, bool needDw) {
  int64_t n = checkInputs(h, {{"weight", &weight}}, c10::nullopt);
  TORCH_CHECK(dy.sizes() == h.sizes(), "norm_torch: dy must have h's shape");
  int64_t m = n ? h.numel() / n : 0;
  auto f32 = h.options().dtype(at::kFloat);
  at::Tensor dx = needDx ? at::empty_like(h, at::MemoryFormat::Contiguous)
                         : at::empty({0}, h.options());
  at::Tensor dw = needDw ? at::empty({n}, f32) : at::empty({0}, f32);
  if (!needDx && !needDw)
    return {dx, dw};
  if (m == 0 || n == 0) {
    if (needDw)
      dw.zero_();
    return {dx, dw};
  }
  std::vector<std::pair<at::Tensor, Kind>> args = {
      {ready(dy).reshape({m, n}), Row},
      {ready(h).reshape({m, n}), Row},
      {ready(rstd).reshape({m}), Stat},
      {weight ? ready(*weight) : ones(n, h), Col}};
  if (needDx)
    args.push_back({dx.view({m, n}), Row});
  if (needDw)
    args.push_back({dw, Col});
  std::string want = needDx && needDw ? "dx_dw" : (needDx ? "dx" : "dw");
  launch(std::string("rms_bwd") + (offset != 0.0 ? "_off1" : "") + "_" + want,
         h, m, n, args, false, 0.0);
  return {dx, dw};
}

std::tuple<at::Tensor, at::Tensor, at::Tensor, at::Tensor>
layerNorm(const at::Tensor &x, const c10::optional<at::Tensor> &weight,
          const c10::optional<at::Tensor> &bias,
          const c10::optional<at::Tensor> &residual, double eps) {
  int64_t n =
      checkInputs(x, {{"weight", &weight}, {"bias", &bias}}, residual);
  at::Tensor x2 = ready(x).reshape({-1, n});
  int64_t m = x2.size(0);
  at::Tensor y = at::empty_like(x2);
  at::Tensor mean = at::empty({m}, x.options().dtype(at::kFloat));
  at::Tensor rstd = at::empty_like(mean);
  at::Tensor h;
  std::vector<std::pair<at::Tensor, Kind>> args = {
      {x2, Row}, {weight ? ready(*weight) : ones(n, x), Col}};
  std::string variant = "ln";
  if (residual)
    variant += "_res";
  if (bias) {
    args.push_back({ready(*bias), Col});
    variant += "_bias";
  }
  if (residual) {
    args.push_back({ready(*residual).reshape({-1, n}), Row});
    h = at::empty_like(x2);
  }
  args.push_back({y, Row});
  args.push_back({mean, Stat});
  args.push_back({rstd, Stat});
  if (residual)
    args.push_back({h, Row});
  if (m > 0 && n > 0)
    launch(variant, x, m, n, args, true, eps);
  auto lead = leading(x);
  return {y.view(x.sizes()),
          residual ? h.view(x.sizes()) : at::empty({0}, x.options()),
          mean.view(lead), rstd.view(lead)};
}

std::tuple<at::Tensor, at::Tensor, at::Tensor>
layerNormBackward(const at::Tensor &dy, const at::Tensor &h,
                  const at::Tensor &mean, const at::Tensor &rstd,
                  const c10::optional<at::Tensor> &weight, bool hasBias,
                  bool needDx, bool needDw, bool needDb) {
  int64_t n = checkInputs(h, {{"weight", &weight}}, c10::nullopt);
  TORCH_CHECK(dy.sizes() == h.sizes(), "norm_torch: dy must have h's shape");
  needDb = needDb && hasBias;
  int64_t m = n ? h.numel() / n : 0;
  auto f32 = h.options().dtype(at::kFloat);
  at::Tensor dx = needDx ? at::empty_like(h, at::MemoryFormat::Contiguous)
                         : at::empty({0}, h.options());
  at::Tensor dw = needDw ? at::empty({n}, f32) : at::empty({0}, f32);
  at::Tensor db = needDb ? at::empty({n}, f32) : at::empty({0}, f32);
  if (!needDx && !needDw && !needDb)
    return {dx, dw, db};
  if (m == 0 || n == 0) {
    dw.zero_();
    db.zero_();
    return {dx, dw, db};
  }
  std::vector<std::pair<at::Tensor, Kind>> args = {
      {ready(dy).reshape({m, n}), Row},
      {ready(h).reshape({m, n}), Row},
      {ready(mean).reshape({m}), Stat},
      {ready(rstd).reshape({m}), Stat},
      {weight ? ready(*weight) : ones(n, h), Col}};
  std::string sums = needDb ? "dw_db" : (needDw ? "dw" : "");
  if (needDx)
    args.push_back({dx.view({m, n}), Row});
  if (!sums.empty())
    args.push_back({needDw ? dw : at::empty({n}, f32), Col});
  if (needDb)
    args.push_back({db, Col});
  std::string want = needDx ? (sums.empty() ? "dx" : "dx_" + sums) : sums;
  launch("ln_bwd_" + want, h, m, n, args, false, 0.0);
  return {dx, dw, db};
}

//===----------------------------------------------------------------------===//
// Autograd
//===----------------------------------------------------------------------===//

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

template <typename Sig>
c10::TypedOperatorHandle<Sig> op(const char *name) {
  return c10::Dispatcher::singleton().findSchemaOrThrow(name, "").typed<Sig>();
}

using RmsSig = decltype(rmsNorm);
using RmsBwdSig = decltype(rmsNormBackward);
using LnSig = decltype(layerNorm);
using LnBwdSig = decltype(layerNormBackward);

/// The forward ops' CUDA kernels, called below autograd.
std::tuple<at::Tensor, at::Tensor, at::Tensor>
rmsNormBelowAutograd(const at::Tensor &x,
                     const c10::optional<at::Tensor> &weight,
                     const c10::optional<at::Tensor> &residual, double eps,
                     double offset) {
  at::AutoDispatchBelowADInplaceOrView guard;
  static auto fwd = op<RmsSig>("norm::rms_norm");
  return fwd.call(x, weight, residual, eps, offset);
}

std::tuple<at::Tensor, at::Tensor, at::Tensor, at::Tensor>
layerNormBelowAutograd(const at::Tensor &x,
                       const c10::optional<at::Tensor> &weight,
                       const c10::optional<at::Tensor> &bias,
                       const c10::optional<at::Tensor> &residual, double eps) {
  at::AutoDispatchBelowADInplaceOrView guard;
  static auto fwd = op<LnSig>("norm::layer_norm");
  return fwd.call(x, weight, bias, residual, eps);
}

struct RmsNormFn : torch::autograd::Function<RmsNormFn> {
  static variable_list forward(AutogradContext *ctx, const at::Tensor &x,
                               const c10::optional<at::Tensor> &weight,
                               const c10::optional<at::Tensor> &residual,
                               double eps, double offset) {
    auto [y, h, rstd] = rmsNormBelowAutograd(x, weight, residual, eps, offset);
    ctx->save_for_backward(
        {residual ? h : x, rstd, weight ? *weight : at::Tensor()});
    ctx->saved_data["offset"] = offset;
    ctx->saved_data["residual"] = residual.has_value();
    ctx->saved_data["weight"] = weight.has_value();
    // needs_input_grad counts the tensor inputs present (x, then weight
    // and residual where given).
    int64_t next = 1;
    ctx->saved_data["weight_edge"] = weight ? next++ : int64_t(-1);
    ctx->saved_data["residual_edge"] = residual ? next++ : int64_t(-1);
    ctx->mark_non_differentiable({rstd});
    return {y, h, rstd};
  }

  static variable_list backward(AutogradContext *ctx, variable_list grads) {
    auto saved = ctx->get_saved_variables();
    at::Tensor h = saved[0], rstd = saved[1], weight = saved[2];
    bool hasResidual = ctx->saved_data["residual"].toBool();
    bool hasWeight = ctx->saved_data["weight"].toBool();
    bool needX = ctx->needs_input_grad(0);
    bool needR = hasResidual &&
                 ctx->needs_input_grad(ctx->saved_data["residual_edge"].toInt());
    bool needDx = needX || needR;
    bool needDw = hasWeight &&
                  ctx->needs_input_grad(ctx->saved_data["weight_edge"].toInt());
    at::Tensor dy = grads[0].defined() ? grads[0] : at::zeros_like(h);
    static auto bwd = op<RmsBwdSig>("norm::rms_norm_backward");
    auto [dx, dw] =
        bwd.call(dy, h, rstd,
                 hasWeight ? c10::optional<at::Tensor>(weight) : c10::nullopt,
                 ctx->saved_data["offset"].toDouble(), needDx, needDw);
    if (hasResidual && grads[1].defined())
      dx = needDx ? dx + grads[1] : grads[1];
    return {needX ? dx : at::Tensor(),
            needDw ? dw.to(weight.scalar_type()) : at::Tensor(),
            needR ? dx : at::Tensor(), at::Tensor(), at::Tensor()};
  }
};

struct LayerNormFn : torch::autograd::Function<LayerNormFn> {
  static variable_list forward(AutogradContext *ctx, const at::Tensor &x,
                               const c10::optional<at::Tensor> &weight,
                               const c10::optional<at::Tensor> &bias,
                               const c10::optional<at::Tensor> &residual,
                               double eps) {
    auto [y, h, mean, rstd] =
        layerNormBelowAutograd(x, weight, bias, residual, eps);
    ctx->save_for_backward(
        {residual ? h : x, mean, rstd, weight ? *weight : at::Tensor()});
    ctx->saved_data["residual"] = residual.has_value();
    ctx->saved_data["weight"] = weight.has_value();
    ctx->saved_data["bias"] = bias.has_value();
    if (bias)
      ctx->saved_data["bias_dtype"] = static_cast<int64_t>(bias->scalar_type());
    int64_t next = 1;
    ctx->saved_data["weight_edge"] = weight ? next++ : int64_t(-1);
    ctx->saved_data["bias_edge"] = bias ? next++ : int64_t(-1);
    ctx->saved_data["residual_edge"] = residual ? next++ : int64_t(-1);
    ctx->mark_non_differentiable({mean, rstd});
    return {y, h, mean, rstd};
  }

  static variable_list backward(AutogradContext *ctx, variable_list grads) {
    auto saved = ctx->get_saved_variables();
    at::Tensor h = saved[0], mean = saved[1], rstd = saved[2],
               weight = saved[3];
    bool hasResidual = ctx->saved_data["residual"].toBool();
    bool hasWeight = ctx->saved_data["weight"].toBool();
    bool hasBias = ctx->saved_data["bias"].toBool();
    auto edge = [&](const char *k) {
      return ctx->needs_input_grad(ctx->saved_data[k].toInt());
    };
    bool needX = ctx->needs_input_grad(0);
    bool needR = hasResidual && edge("residual_edge");
    bool needDx = needX || needR;
    bool needDw = hasWeight && edge("weight_edge");
    bool needDb = hasBias && edge("bias_edge");
    at::Tensor dy = grads[0].defined() ? grads[0] : at::zeros_like(h);
    static auto bwd = op<LnBwdSig>("norm::layer_norm_backward");
    auto [dx, dw, db] = bwd.call(
        dy, h, mean, rstd,
        hasWeight ? c10::optional<at::Tensor>(weight) : c10::nullopt, hasBias,
        needDx, needDw, needDb);
    if (hasResidual && grads[1].defined())
      dx = needDx ? dx + grads[1] : grads[1];
    at::Tensor dbias;
    if (needDb)
      dbias = db.to(static_cast<at::ScalarType>(
          ctx->saved_data["bias_dtype"].toInt()));
    return {needX ? dx : at::Tensor(),
            needDw ? dw.to(weight.scalar_type()) : at::Tensor(), dbias,
            needR ? dx : at::Tensor(), at::Tensor()};
  }
};

/// Whether a call records an autograd node: grad mode on and some tensor
/// input requiring grad. When not (inference, torch.no_grad, inputs that
/// need no grad), the ops call the CUDA kernel below autograd directly:
/// torch::autograd::Function::apply builds its node, context and saved
/// data on every call whether or not a graph is recorded, host time that
/// a small-M call pays in full.
bool recordsGraph(const at::Tensor &x,
                  std::initializer_list<const c10::optional<at::Tensor> *> opt) {
  if (!at::GradMode::is_enabled())
    return false;
  if (x.requires_grad())
    return true;
  for (auto *t : opt)
    if (t->has_value() && (*t)->requires_grad())
      return true;
  return false;
}

std::tuple<at::Tensor, at::Tensor, at::Tensor>
rmsNormAutograd(const at::Tensor &x, const c10::optional<at::Tensor> &weight,
                const c10::optional<at::Tensor> &residual, double eps,
                double offset) {
  if (!recordsGraph(x, {&weight, &residual}))
    return rmsNormBelowAutograd(x, weight, residual, eps, offset);
  auto out = RmsNormFn::apply(x, weight, residual, eps, offset);
  return {out[0], out[1], out[2]};
}

std::tuple<at::Tensor, at::Tensor, at::Tensor, at::Tensor>
layerNormAutograd(const at::Tensor &x, const c10::optional<at::Tensor> &weight,
                  const c10::optional<at::Tensor> &bias,
                  const c10::optional<at::Tensor> &residual, double eps) {
  if (!recordsGraph(x, {&weight, &bias, &residual}))
    return layerNormBelowAutograd(x, weight, bias, residual, eps);
  auto out = LayerNormFn::apply(x, weight, bias, residual, eps);
  return {out[0], out[1], out[2], out[3]};
}

} // namespace

extern "C" __attribute__((visibility("default"))) int
norm_torch_set_library(const char *path) {
  void *handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (!handle)
    return 1;
  std::lock_guard<std::mutex> lock(mutex);
  library = handle;
  libraryPath = path;
  symbols.clear();
  return 0;
}

TORCH_LIBRARY_IMPL(norm, CUDA, m) {
  m.impl("rms_norm", &rmsNorm);
  m.impl("rms_norm_backward", &rmsNormBackward);
  m.impl("layer_norm", &layerNorm);
  m.impl("layer_norm_backward", &layerNormBackward);
}

TORCH_LIBRARY_IMPL(norm, Autograd, m) {
  m.impl("rms_norm", &rmsNormAutograd);
  m.impl("layer_norm", &layerNormAutograd);
}
