#!/usr/bin/env python3
"""The distributed split on the GPU (issue 19.3): for each dtype, rms and
layer, a static shard (n = 1024, pre with a residual) and a dynamic one
(n = 750): x of [M, P·n] cut into P = 4 column shards; each shard's
`*_pre_all_gather` gives its stats, the P stats are concatenated along the
last dim (what the all-gather gives), and each shard's `*_post_all_gather`
normalizes it. The gathered y is checked
- against a float64 reference of the unsplit norm on the full rows: every
  element within PyTorch's worst error (F.rms_norm / F.layer_norm in the
  dtype) plus one ulp of the output type (check_gpu.py's contract);
- against our unsplit kernel (`*_full`, N = P·n, same operands): element
  by element within what the difference of the row statistics moves y plus
  one ulp of the output type (the shards sum in another order), rstd/mean
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
    if (err - slack).max().item() > t_err + 1e-12:
        ok = False
        notes.append("FAIL y vs float64")
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
    # on a mean-100 row) plus one rounding of the output type.
    rstd_u = t["rstd"].double()[:, None]
    mean_u = t["mean"].double()[:, None] if layer else 0.0
    d_rstd = (torch.stack(rstds)[0].double()[:, None] - rstd_u).abs()
    d_mean = ((torch.stack(means)[0].double()[:, None] - mean_u).abs()
              if layer else 0.0)
    xhat_u = (hd - mean_u) * rstd_u
    moved = gamma.double().abs() * (d_mean * rstd_u
                                    + xhat_u.abs() * d_rstd / rstd_u)
    ulps = ((du - moved * (1 + 1e-6)).clamp(min=0) / ulp(u, dt)).max().item()
    if ulps > 1:
        ok = False
        notes.append("FAIL y vs unsplit")
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
