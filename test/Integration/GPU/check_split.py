#!/usr/bin/env python3
"""The distributed split on the GPU (issue 19.3): for each dtype, rms and
layer, a static shard (n = 1024, pre with a residual) and a dynamic one
(n = 750): x of [M, P·n] cut into P = 4 column shards; each shard's
`*_pre_all_gather` gives its stats, the P stats are concatenated along the
last dim (what the all-gather gives), and each shard's `*_post_all_gather`
normalizes it. The gathered y is checked
- against a float64 reference of the unsplit norm on the full rows: every
  element within PyTorch's worst error (F.rms_norm / F.layer_norm in the
  dtype) plus one ulp of the output type (check_gpu.py's contract), plus
  for layer norm what the documented limit of the stats format allows
  (each T_p rounded to f32 once: docs/Norm.md);
- against our unsplit kernel (`*_full`, N = P·n, same operands): element
  by element within what the difference of the row statistics moves y plus
  each kernel's own roundings (the shards sum in another order), rstd/mean
  within 1e-5 relative;
- residual_out exact ((x + r) rounded), stats count column exact.
M = 333, 1 and 0 (no launch, no error). Outputs are poisoned with NaN.
Usage: check_split.py LIB.so MANIFEST.json
"""
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "..",
                                "scripts"))
import normgpu  # noqa: E402
from check_gpu import ulp  # noqa: E402


def nan(shape, dtype):
    return torch.full(shape, float("nan"), dtype=dtype, device="cuda")


def run_split(lib, tag, m, gen):
    pre, post, full = (lib.cases[f"{tag}_{p}"] for p in ("pre", "post", "full"))
    dt = normgpu.DTYPE[pre["dtype"]]
    layer = tag.startswith("split_layer")
    p, n = pre["shards"], pre["n"]
    big = p * n
    k = 3 if layer else 2
    x = torch.randn(m, big, generator=gen, dtype=torch.float64)
    if layer and m > 2:
        x[1] += 100.0  # a row with mean 100, std 1
    x = x.to(dt).cuda()
    r = torch.randn(m, big, generator=gen, dtype=torch.float64).to(dt).cuda()
    gamma = (1 + 0.5 * torch.randn(big, generator=gen,
                                   dtype=torch.float64)).to(dt).cuda()
    beta = torch.randn(big, generator=gen, dtype=torch.float64).to(dt).cuda()
    res = pre["residual"]
    cols = [slice(i * n, (i + 1) * n) for i in range(p)]
    stats, hs = [], []
    for c in cols:
        t = {"x": x[:, c].contiguous(), "stats": nan((m, k), torch.float32)}
        if res:
            t["residual"] = r[:, c].contiguous()
            t["residual_out"] = nan((m, n), dt)
        lib.call(pre["name"], t)
        stats.append(t["stats"])
        hs.append(t["residual_out"] if res else t["x"])
    gathered = torch.cat(stats, dim=1).contiguous()  # the all-gather
    ys, means, rstds = [], [], []
    for i, c in enumerate(cols):
        t = {"x": hs[i], "stats": gathered, "gamma": gamma[c].contiguous(),
             "y": nan((m, n), dt), "rstd": nan((m,), torch.float32)}
        if layer:
            t["beta"] = beta[c].contiguous()
            t["mean"] = nan((m,), torch.float32)
        lib.call(post["name"], t)
        ys.append(t["y"])
        rstds.append(t["rstd"])
        if layer:
            means.append(t["mean"])
    torch.cuda.synchronize()
    if m == 0:
        return True, "M=0: no launch, no error"
    h = torch.cat(hs, dim=1)
    notes, ok = [], True
    if res and not torch.equal(h.double(),
                               (x.double() + r.double()).to(dt).double()):
        return False, "residual_out differs from (x + r) rounded"
    counts = gathered[:, 0::k]
    if not torch.equal(counts, torch.full_like(counts, float(n))):
        return False, "stats count column is not n"
    y = torch.cat(ys, dim=1).double()
    if torch.isnan(y).any():
        return False, "y: NaN (unwritten or wrong)"
    # float64 reference of the unsplit op on h.
    hd = h.double()
    if layer:
        mu = hd.mean(-1, keepdim=True)
        var = ((hd - mu) ** 2).mean(-1, keepdim=True)
        ref = (hd - mu) / torch.sqrt(var + 1e-5) * gamma.double() + beta.double()
        theirs = F.layer_norm(h, (big,), gamma, beta, 1e-5)
    else:
        ms = (hd * hd).mean(-1, keepdim=True)
        ref = hd / torch.sqrt(ms + 1e-5) * gamma.double()
        theirs = F.rms_norm(h, (big,), gamma, 1e-5)
    err = (y - ref).abs()
    t_err = (theirs.double() - ref).abs().max().item()
    slack = ulp(ref, dt) * (2 if m < 16 else 1)
    if layer:
        # The documented limit of the stats format (docs/Norm.md): each
        # T_p = Σh is rounded to f32 once, so the merged mean may be off by
        # Σ_p ulp(T_p)/2 / N, which y carries times |γ|·rstd (a few 1e-6
        # on the mean-100 row; below an ulp of the 16-bit types).
        # Each T_p also moves the between-shard term of M2 by up to
        # 2·|T_p/n_p − mean|·ulp(T_p)/2, i.e. rstd by that over 2·M2 (relative),
        # which y carries times |x̂γ|.
        t_ulp = ulp(gathered[:, 1::k].double(), torch.float32)
        t_round = (t_ulp / 2).sum(-1, keepdim=True) / big
        dev = (gathered[:, 1::k].double() / n - mu).abs()
        m2_move = (dev * t_ulp).sum(-1, keepdim=True) / (2 * big * var)
        rstd_ref = 1 / torch.sqrt(var + 1e-5)
        slack = slack + gamma.double().abs() * (
            t_round * rstd_ref + (hd - mu).abs() * rstd_ref * m2_move)
    excess = err - slack
    if excess.max().item() > t_err + 1e-12:
        ok = False
        r_, c_ = divmod(int(excess.argmax()), big)
        notes.append(f"FAIL y vs float64 (row {r_} col {c_}: y "
                     f"{y[r_, c_].item():.9g} ref {ref[r_, c_].item():.9g} "
                     f"slack {slack[r_, c_].item():.3g})")
    notes.append(f"y err {err.max().item():.3g} torch {t_err:.3g}")
    # Our unsplit kernel on the same rows.
    t = {"x": h.contiguous(), "gamma": gamma, "y": nan((m, big), dt),
         "rstd": nan((m,), torch.float32)}
    if layer:
        t["beta"] = beta
        t["mean"] = nan((m,), torch.float32)
    lib.call(full["name"], t)
    torch.cuda.synchronize()
    u = t["y"].double()
    du = (y - u).abs()
    # The split's mean/rstd differ from the unsplit kernel's in their last
    # f32 bits (other summation orders); y may differ by what that moves
    # (|γ|·(Δmean·rstd + |x̂|·Δrstd/rstd), large in ulps where y is near 0
    # on a mean-100 row). Both kernels center h on an unrounded mean
    # (hi + lo, docs/GPU.md), each within ulp(mean)/2 of the stored one, so
    # Δmean is the stored difference plus one f32 ulp of the mean. On top:
    # each kernel's own roundings, ≤ 2^-24 of |x̂γ| four times (the two
    # steps of the centering, ·rstd, the product in the fma) and half an
    # ulp of y: one ulp of y plus 2^-21·|x̂γ| for the two kernels.
    rstd_u = t["rstd"].double()[:, None]
    mean_u = t["mean"].double()[:, None] if layer else 0.0
    d_rstd = (torch.stack(rstds)[0].double()[:, None] - rstd_u).abs()
    d_mean = ((torch.stack(means)[0].double()[:, None] - mean_u).abs()
              + ulp(t["mean"].double()[:, None], torch.float32)
              if layer else 0.0)
    xhat_u = (hd - mean_u) * rstd_u
    xg = xhat_u.abs() * gamma.double().abs()
    if layer:
        # The first step of the centering, h − hi, rounds relative to
        # |h − hi|, not |h − mean|: hi is shard 0's mean c in the split (off
        # the row's mean by |mean − c|) and m₁ = Σh/N in the unsplit (off by
        # the tree sum's error, ≤ log2(N)·2^-24·mean|h|): two roundings of
        # that each, where x̂ is near 0.
        c0 = gathered[:, 1:2].double() / gathered[:, 0:1].double()
        hi_off = ((torch.stack(means)[0].double()[:, None] - c0).abs()
                  + torch.log2(torch.tensor(float(big)))
                  * hd.abs().mean(-1, keepdim=True) * 2.0 ** -24)
        d_mean = d_mean + 2.0 ** -23 * hi_off
    moved = gamma.double().abs() * (d_mean * rstd_u
                                    + xhat_u.abs() * d_rstd / rstd_u)
    over = ((du - moved * (1 + 1e-6) - 2.0 ** -21 * xg).clamp(min=0)
            / ulp(u, dt))
    ulps = over.max().item()
    if ulps > 1:
        ok = False
        r_, c_ = divmod(int(over.argmax()), big)
        notes.append(f"FAIL y vs unsplit (row {r_} col {c_}: split "
                     f"{y[r_, c_].item():.9g} unsplit {u[r_, c_].item():.9g} "
                     f"moved {moved[r_, c_].item():.3g})")
    notes.append(f"vs unsplit {ulps:.0f} ulp")
    for name, got in (("rstd", torch.stack(rstds)),
                      ("mean", torch.stack(means) if layer else None)):
        if got is None:
            continue
        # Every shard's post computes the same row statistics.
        if not (got == got[0]).all():
            ok = False
            notes.append(f"FAIL {name} differs between shards")
        want = t[name].double()
        scale = want.abs().max().item() + 1e-30
        if name == "mean":
            scale = max(scale, hd.abs().max().item())
        rel = (got[0].double() - want).abs().max().item() / scale
        if rel > 1e-5:
            ok = False
            notes.append(f"FAIL {name}")
        notes.append(f"{name} vs unsplit {rel:.2g} (rel)")
    return ok, "; ".join(notes)


def main():
    lib = normgpu.Library(sys.argv[1], sys.argv[2])
    tags = sorted({n[:-4] for n in lib.cases if n.startswith("split_")
                   and n.endswith("_pre")})
    gen = torch.Generator().manual_seed(3)
    failed = total = 0
    for tag in tags:
        for m in (333, 1, 0):
            total += 1
            try:
                ok, msg = run_split(lib, tag, m, gen)
            except Exception as e:  # report and go on
                ok, msg = False, f"exception: {e}"
            failed += not ok
            print(f"{'PASS' if ok else 'FAIL'} {tag} M={m}: {msg}", flush=True)
    if not tags:
        print("FAIL no split cases in the manifest")
        failed = total = 1
    print(f"{total - failed} of {total} split checks passed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
