// The CPU peers of the norm benchmark, in one shared library called from
// bench/cpu/run.py through ctypes:
//  - copy: an OpenMP-parallel memcpy of the same bytes (the bandwidth limit);
//  - hand_*: the plain C++ loops a user would write (row-parallel OpenMP,
//    `omp simd` reductions, f32 accumulation, one pass per statistic),
//    built with clang -O3 -march=native -fopenmp; hand_rms_res_fwd_* is
//    the pre-norm residual block's RMSNorm (h = x + residual, stored as
//    residual_out, then y = rms_norm(h));
//  - dnnl_*: oneDNN's layer normalization forward/backward (Debian
//    libdnnl 2.6 has no RMS norm).
#include <cmath>
#include <cstdint>
#include <cstring>
#include <omp.h>
#include <vector>

#include "oneapi/dnnl/dnnl.hpp"

namespace {

inline float load(const float *p, int64_t i) { return p[i]; }
inline float load(const uint16_t *p, int64_t i) {
  uint32_t bits = static_cast<uint32_t>(p[i]) << 16;
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}
inline void store(float *p, int64_t i, float v) { p[i] = v; }
inline void store(uint16_t *p, int64_t i, float v) {
  uint32_t bits;
  std::memcpy(&bits, &v, 4);
  bits += 0x7FFF + ((bits >> 16) & 1); // round to nearest even (no NaNs here)
  p[i] = static_cast<uint16_t>(bits >> 16);
}

template <typename T>
void rmsFwd(const T *x, const T *g, T *y, float *rstd, int64_t m, int64_t n,
            float eps) {
#pragma omp parallel for schedule(static)
  for (int64_t r = 0; r < m; ++r) {
    const T *xr = x + r * n;
    T *yr = y + r * n;
    float s = 0.f;
#pragma omp simd reduction(+ : s)
    for (int64_t i = 0; i < n; ++i) {
      float v = load(xr, i);
      s += v * v;
    }
    float rs = 1.f / std::sqrt(s / n + eps);
    rstd[r] = rs;
#pragma omp simd
    for (int64_t i = 0; i < n; ++i)
      store(yr, i, load(xr, i) * rs * load(g, i));
  }
}

// h = x + residual rounded to T (the residual stream the next block adds
// to), stored to residual_out and read back, then RMSNorm of h.
template <typename T>
void rmsResFwd(const T *x, const T *res, const T *g, T *y, T *resOut,
               float *rstd, int64_t m, int64_t n, float eps) {
#pragma omp parallel for schedule(static)
  for (int64_t r = 0; r < m; ++r) {
    const T *xr = x + r * n, *rr = res + r * n;
    T *yr = y + r * n, *hr = resOut + r * n;
    float s = 0.f;
#pragma omp simd reduction(+ : s)
    for (int64_t i = 0; i < n; ++i) {
      store(hr, i, load(xr, i) + load(rr, i));
      float h = load(hr, i);
      s += h * h;
    }
    float rs = 1.f / std::sqrt(s / n + eps);
    rstd[r] = rs;
#pragma omp simd
    for (int64_t i = 0; i < n; ++i)
      store(yr, i, load(hr, i) * rs * load(g, i));
  }
}

template <typename T>
void layerFwd(const T *x, const T *g, const T *b, T *y, float *mean,
              float *rstd, int64_t m, int64_t n, float eps) {
#pragma omp parallel for schedule(static)
  for (int64_t r = 0; r < m; ++r) {
    const T *xr = x + r * n;
    T *yr = y + r * n;
    float s = 0.f;
#pragma omp simd reduction(+ : s)
    for (int64_t i = 0; i < n; ++i)
      s += load(xr, i);
    float mu = s / n, m2 = 0.f;
#pragma omp simd reduction(+ : m2)
    for (int64_t i = 0; i < n; ++i) {
      float c = load(xr, i) - mu;
      m2 += c * c;
    }
    float rs = 1.f / std::sqrt(m2 / n + eps);
    mean[r] = mu;
    rstd[r] = rs;
#pragma omp simd
    for (int64_t i = 0; i < n; ++i)
      store(yr, i, (load(xr, i) - mu) * rs * load(g, i) + load(b, i));
  }
}

// dx = rstd·(g − x̂·mean(g·x̂) [− mean(g)]), dgamma = Σ dy·x̂ (per-thread
// partial rows, summed in thread order), dbeta = Σ dy (layer only).
template <typename T, bool Layer>
void normBwd(const T *dy, const T *x, const float *mean, const float *rstd,
             const T *gamma, T *dx, float *dgamma, float *dbeta, int64_t m,
             int64_t n) {
  int threads = omp_get_max_threads();
  std::vector<float> partG(static_cast<size_t>(threads) * n, 0.f);
  std::vector<float> partB(Layer ? static_cast<size_t>(threads) * n : 0, 0.f);
#pragma omp parallel
  {
    int t = omp_get_thread_num();
    float *pg = partG.data() + static_cast<size_t>(t) * n;
    float *pb = Layer ? partB.data() + static_cast<size_t>(t) * n : nullptr;
#pragma omp for schedule(static)
    for (int64_t r = 0; r < m; ++r) {
      const T *xr = x + r * n, *dyr = dy + r * n;
      T *dxr = dx + r * n;
      float mu = Layer ? mean[r] : 0.f, rs = rstd[r];
      float sg = 0.f, sgx = 0.f;
#pragma omp simd reduction(+ : sg, sgx)
      for (int64_t i = 0; i < n; ++i) {
        float xh = (load(xr, i) - mu) * rs;
        float d = load(dyr, i);
        float g = d * load(gamma, i);
        sg += g;
        sgx += g * xh;
        pg[i] += d * xh;
        if (Layer)
          pb[i] += d;
      }
      float c1 = sgx / n, c0 = Layer ? sg / n : 0.f;
#pragma omp simd
      for (int64_t i = 0; i < n; ++i) {
        float xh = (load(xr, i) - mu) * rs;
        float g = load(dyr, i) * load(gamma, i);
        store(dxr, i, rs * (g - c0 - xh * c1));
      }
    }
  }
  for (int64_t i = 0; i < n; ++i) {
    float sgm = 0.f, sb = 0.f;
    for (int t = 0; t < threads; ++t) {
      sgm += partG[static_cast<size_t>(t) * n + i];
      if (Layer)
        sb += partB[static_cast<size_t>(t) * n + i];
    }
    dgamma[i] = sgm;
    if (Layer)
      dbeta[i] = sb;
  }
}

struct DnnlLayerNorm {
  dnnl::engine engine{dnnl::engine::kind::cpu, 0};
  dnnl::stream stream{engine};
  dnnl::primitive prim;
  dnnl::memory::desc data, stats, scale;
  bool backward;
};

} // namespace

extern "C" {

void copy_bytes(void *dst, const void *src, int64_t bytes) {
#pragma omp parallel
  {
    int t = omp_get_thread_num(), nt = omp_get_num_threads();
    int64_t chunk = (bytes / nt + 63) / 64 * 64;
    int64_t begin = t * chunk, end = begin + chunk < bytes ? begin + chunk : bytes;
    if (begin < end)
      std::memcpy(static_cast<char *>(dst) + begin,
                  static_cast<const char *>(src) + begin, end - begin);
  }
}

void hand_rms_fwd_f32(const float *x, const float *g, float *y, float *rstd,
                      int64_t m, int64_t n, float eps) {
  rmsFwd(x, g, y, rstd, m, n, eps);
}
void hand_rms_fwd_bf16(const uint16_t *x, const uint16_t *g, uint16_t *y,
                       float *rstd, int64_t m, int64_t n, float eps) {
  rmsFwd(x, g, y, rstd, m, n, eps);
}
void hand_rms_res_fwd_f32(const float *x, const float *res, const float *g,
                          float *y, float *resOut, float *rstd, int64_t m,
                          int64_t n, float eps) {
  rmsResFwd(x, res, g, y, resOut, rstd, m, n, eps);
}
void hand_rms_res_fwd_bf16(const uint16_t *x, const uint16_t *res,
                           const uint16_t *g, uint16_t *y, uint16_t *resOut,
                           float *rstd, int64_t m, int64_t n, float eps) {
  rmsResFwd(x, res, g, y, resOut, rstd, m, n, eps);
}
void hand_layer_fwd_f32(const float *x, const float *g, const float *b,
                        float *y, float *mean, float *rstd, int64_t m,
                        int64_t n, float eps) {
  layerFwd(x, g, b, y, mean, rstd, m, n, eps);
}
void hand_layer_fwd_bf16(const uint16_t *x, const uint16_t *g,
                         const uint16_t *b, uint16_t *y, float *mean,
                         float *rstd, int64_t m, int64_t n, float eps) {
  layerFwd(x, g, b, y, mean, rstd, m, n, eps);
}
void hand_rms_bwd_f32(const float *dy, const float *x, const float *rstd,
                      const float *g, float *dx, float *dgamma, int64_t m,
                      int64_t n) {
  normBwd<float, false>(dy, x, nullptr, rstd, g, dx, dgamma, nullptr, m, n);
}
void hand_rms_bwd_bf16(const uint16_t *dy, const uint16_t *x,
                       const float *rstd, const uint16_t *g, uint16_t *dx,
                       float *dgamma, int64_t m, int64_t n) {
  normBwd<uint16_t, false>(dy, x, nullptr, rstd, g, dx, dgamma, nullptr, m, n);
}
void hand_layer_bwd_f32(const float *dy, const float *x, const float *mean,
                        const float *rstd, const float *g, float *dx,
                        float *dgamma, float *dbeta, int64_t m, int64_t n) {
  normBwd<float, true>(dy, x, mean, rstd, g, dx, dgamma, dbeta, m, n);
}
void hand_layer_bwd_bf16(const uint16_t *dy, const uint16_t *x,
                         const float *mean, const float *rstd,
                         const uint16_t *g, uint16_t *dx, float *dgamma,
                         float *dbeta, int64_t m, int64_t n) {
  normBwd<uint16_t, true>(dy, x, mean, rstd, g, dx, dgamma, dbeta, m, n);
}

// oneDNN layer norm with scale and shift (f32 params); returns null when
// oneDNN has no implementation for this configuration.
void *dnnl_ln_create(int64_t m, int64_t n, int bf16, int backward, float eps) {
  using namespace dnnl;
  try {
    auto *h = new DnnlLayerNorm();
    auto dt = bf16 ? memory::data_type::bf16 : memory::data_type::f32;
    h->data = memory::desc({m, n}, dt, memory::format_tag::ab);
    h->stats = memory::desc({m}, memory::data_type::f32, memory::format_tag::a);
    h->scale = memory::desc({n}, memory::data_type::f32, memory::format_tag::a);
    auto flags = normalization_flags::use_scale | normalization_flags::use_shift;
    auto fwdDesc = layer_normalization_forward::desc(
        backward ? prop_kind::forward_training : prop_kind::forward_inference,
        h->data, h->stats, eps, flags);
    auto fwdPd = layer_normalization_forward::primitive_desc(fwdDesc, h->engine);
    h->backward = backward;
    if (!backward) {
      h->prim = layer_normalization_forward(fwdPd);
    } else {
      auto bwdDesc = layer_normalization_backward::desc(
          prop_kind::backward, h->data, h->data, h->stats, eps, flags);
      auto bwdPd = layer_normalization_backward::primitive_desc(
          bwdDesc, h->engine, fwdPd);
      h->prim = layer_normalization_backward(bwdPd);
    }
    return h;
  } catch (const dnnl::error &) {
    return nullptr;
  }
}

// Forward: a = x, b = y. Backward: a = x, b = dy, c = dx.
int dnnl_ln_run(void *handle, void *a, void *b, void *c, float *scale,
                float *shift, float *mean, float *var, float *dscale,
                float *dshift) {
  using namespace dnnl;
  try {
  auto *h = static_cast<DnnlLayerNorm *>(handle);
  auto mem = [&](const memory::desc &d, void *p) {
    return memory(d, h->engine, p);
  };
  if (!h->backward) {
    h->prim.execute(h->stream, {{DNNL_ARG_SRC, mem(h->data, a)},
                                {DNNL_ARG_DST, mem(h->data, b)},
                                {DNNL_ARG_SCALE, mem(h->scale, scale)},
                                {DNNL_ARG_SHIFT, mem(h->scale, shift)}});
  } else {
    h->prim.execute(h->stream, {{DNNL_ARG_SRC, mem(h->data, a)},
                                {DNNL_ARG_DIFF_DST, mem(h->data, b)},
                                {DNNL_ARG_DIFF_SRC, mem(h->data, c)},
                                {DNNL_ARG_MEAN, mem(h->stats, mean)},
                                {DNNL_ARG_VARIANCE, mem(h->stats, var)},
                                {DNNL_ARG_SCALE, mem(h->scale, scale)},
                                {DNNL_ARG_SHIFT, mem(h->scale, shift)},
                                {DNNL_ARG_DIFF_SCALE, mem(h->scale, dscale)},
                                {DNNL_ARG_DIFF_SHIFT, mem(h->scale, dshift)}});
  }
  h->stream.wait();
  } catch (const dnnl::error &e) {
    return e.status;
  }
  return 0;
}

void dnnl_ln_destroy(void *handle) { delete static_cast<DnnlLayerNorm *>(handle); }
}
