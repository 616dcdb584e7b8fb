#!/usr/bin/env python3
"""Device tests of norm_torch (a CUDA GPU, PyTorch ≥ 2.4; run by
scripts/gpu-device-check.sh with the library of scripts/build-torch-lib.sh):

- torch.library.opcheck on every operator (schema, fake, autograd
  registration, AOT dispatch);
- forward and every gradient against PyTorch's autograd of F.rms_norm /
  F.layer_norm and against float64, f32/f16/bf16, static and dynamic N,
  with and without weight, bias, residual, Gemma offset: ours within
  PyTorch's worst error + 1 ulp of the output type per element (y, dx), and
  within PyTorch's error + 1 ulp of max|ref| for dweight/dbias (f32: or
  within 2e-6 of max|ref|);
- a small Llama-style decoder trained 6 steps with norm's RMSNorm and with
  torch.nn.RMSNorm from the same weights: losses agree;
- torch.compile(fullgraph=True) of the same model: losses agree;
- CUDA-graph capture of a forward + backward, replayed on new data.

Every test runs twice: on the default stream and on a side stream.
Usage: test_gpu.py [LIB.so]  (default: norm_torch's own search)."""
import copy
import itertools
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

import norm_torch  # noqa: E402

failures = []
total = 0


def check(cond, what):
    global total
    total += 1
    print(("PASS " if cond else "FAIL ") + what, flush=True)
    if not cond:
        failures.append(what)


def ulp(ref, dtype):
    """The spacing of `dtype` at |ref| (float64)."""
    tiny = torch.finfo(dtype).tiny
    mant = {torch.float32: 23, torch.float16: 10, torch.bfloat16: 7}[dtype]
    e = torch.floor(torch.log2(ref.abs().clamp_min(tiny)))
    return torch.exp2(e - mant)


def opchecks(tag):
    if not hasattr(torch.library, "opcheck"):
        check(False, "torch.library.opcheck exists")
        return
    dev = "cuda"
    for dt in (torch.float32, torch.bfloat16):
        x = torch.randn(8, 4096, device=dev, dtype=dt, requires_grad=True)
        w = torch.randn(4096, device=dev, dtype=dt, requires_grad=True)
        b = torch.randn(4096, device=dev, dtype=dt, requires_grad=True)
        r = torch.randn(8, 4096, device=dev, dtype=dt, requires_grad=True)
        xd = torch.randn(3, 5, 3000, device=dev, dtype=dt, requires_grad=True)
        samples = [
            ("rms_norm", (x, w, None, 1e-6, 0.0)),
            ("rms_norm", (x, w, r, 1e-6, 1.0)),
            ("rms_norm", (xd, None, None, 1e-5, 0.0)),
            ("layer_norm", (x, w, b, None, 1e-5)),
            ("layer_norm", (x, w, None, r, 1e-5)),
            ("layer_norm", (xd, None, None, None, 1e-5)),
        ]
        with torch.no_grad():
            _, _, rstd = torch.ops.norm.rms_norm(x, w, None, 1e-6, 0.0)
            _, _, mean, lrstd = torch.ops.norm.layer_norm(x, w, b, None, 1e-5)
        dy = torch.randn_like(x)
        samples += [
            ("rms_norm_backward", (dy, x.detach(), rstd, w.detach(), 0.0,
                                   True, True)),
            ("rms_norm_backward", (dy, x.detach(), rstd, None, 0.0, True,
                                   False)),
            ("layer_norm_backward", (dy, x.detach(), mean, lrstd, w.detach(),
                                     True, True, True, True)),
            ("layer_norm_backward", (dy, x.detach(), mean, lrstd, w.detach(),
                                     True, False, True, True)),
        ]
        for name, args in samples:
            try:
                torch.library.opcheck(getattr(torch.ops.norm, name).default,
                                      args)
                check(True, f"{tag} opcheck norm::{name} {dt}")
            except Exception as e:  # report and go on
                check(False, f"{tag} opcheck norm::{name} {dt}: "
                      f"{str(e).splitlines()[0][:300]}")


def numerics(tag, gen):
    dev = "cuda"
    for op, dt, n, residual, with_w, with_b, offset in itertools.product(
            ("rms", "ln"), (torch.float32, torch.float16, torch.bfloat16),
            (4096, 3000), (False, True), (True, False), (True, False),
            (0.0, 1.0)):
        if (op == "rms" and with_b) or (op == "ln" and offset):
            continue
        if not with_w and (offset or n == 3000):
            continue
        m = 257
        x64 = torch.randn(m, n, generator=gen, dtype=torch.float64) + (
            100.0 if op == "ln" else 0.0)
        leaves = {"x": x64,
                  "w": 1 + 0.2 * torch.randn(n, generator=gen,
                                             dtype=torch.float64)
                  if with_w else None,
                  "b": 0.1 * torch.randn(n, generator=gen,
                                         dtype=torch.float64)
                  if with_b else None,
                  "r": torch.randn(m, n, generator=gen, dtype=torch.float64)
                  if residual else None}
        dy64 = torch.randn(m, n, generator=gen, dtype=torch.float64)
        eps = 1e-6 if op == "rms" else 1e-5

        def run(impl, prec):
            ins = {k: (v.to(dt).to(prec).cuda().requires_grad_()
                       if v is not None else None) for k, v in leaves.items()}
            xin = ins["x"]
            if ins["r"] is not None:
                h = (ins["x"] + ins["r"])
                if prec != torch.float64:
                    h = h.to(dt)
                else:  # the rounding of h to x's dtype, as the op defines it
                    h = h + (h.detach().to(dt).double() - h.detach())
            else:
                h = xin
            if impl == "norm":
                if op == "rms":
                    out = norm_torch.rms_norm(ins["x"], ins["w"], eps,
                                              residual=ins["r"], offset=offset)
                else:
                    out = norm_torch.layer_norm(ins["x"], ins["w"], ins["b"],
                                                eps, residual=ins["r"])
                y = out[0] if residual else out
            else:
                w = ins["w"] + offset if ins["w"] is not None else None
                if op == "rms":
                    y = F.rms_norm(h, (n,), w, eps)
                else:
                    y = F.layer_norm(h, (n,), w, ins["b"], eps)
            y.backward(dy64.to(dt).to(prec).cuda())
            return y.detach(), {k: v.grad for k, v in ins.items()
                                if v is not None}

        ref_y, ref_g = run("torch", torch.float64)
        our_y, our_g = run("norm", dt)
        th_y, th_g = run("torch", dt)
        ok, notes = True, []
        for name, got, theirs, ref in (
                [("y", our_y, th_y, ref_y)] +
                [(k, our_g[k], th_g[k], ref_g[k]) for k in ref_g]):
            if got.dtype != dt:
                ok = False
                notes.append(f"{name} dtype {got.dtype}")
                continue
            err = (got.double() - ref).abs()
            t_err = (theirs.double() - ref).abs().max().item()
            if name in ("y", "x", "r"):
                excess = (err - ulp(ref, dt)).max().item()
            else:  # column sums: relative to the largest
                excess = err.max().item() - ulp(ref.abs().max().reshape(1),
                                                 dt).item()
                # f32: norm's column sums (blocked, in a fixed order) may
                # reach ~2.5x PyTorch's absolute error; they stay within
                # 2e-6 of the largest sum (docs/Torch.md).
                if dt == torch.float32 and \
                        err.max().item() <= 2e-6 * ref.abs().max().item():
                    excess = 0.0
            good = excess <= t_err + 1e-12 and not torch.isnan(got).any()
            ok = ok and good
            notes.append(f"{name} {err.max().item():.2g}/{t_err:.2g}"
                         + ("" if good else " FAIL"))
        check(ok, f"{tag} {op} {str(dt)[6:]} N={n} res={residual} "
              f"w={with_w} b={with_b} off={offset}: " + " ".join(notes))


class Block(torch.nn.Module):
    def __init__(self, d, norm):
        super().__init__()
        self.n1, self.n2 = norm(d), norm(d)
        self.qkv = torch.nn.Linear(d, 3 * d, bias=False)
        self.o = torch.nn.Linear(d, d, bias=False)
        self.up = torch.nn.Linear(d, 4 * d, bias=False)
        self.gate = torch.nn.Linear(d, 4 * d, bias=False)
        self.down = torch.nn.Linear(4 * d, d, bias=False)
        self.heads = 8

    def forward(self, x):
        b, s, d = x.shape
        q, k, v = self.qkv(self.n1(x)).view(b, s, 3, self.heads, -1).unbind(2)
        a = F.scaled_dot_product_attention(q.transpose(1, 2), k.transpose(1, 2),
                                           v.transpose(1, 2), is_causal=True)
        x = x + self.o(a.transpose(1, 2).reshape(b, s, d))
        h = self.n2(x)
        return x + self.down(F.silu(self.gate(h)) * self.up(h))


class Model(torch.nn.Module):
    def __init__(self, d=512, layers=2, vocab=1000):
        super().__init__()
        self.emb = torch.nn.Embedding(vocab, d)
        self.blocks = torch.nn.ModuleList(
            Block(d, lambda n: torch.nn.RMSNorm(n, eps=1e-6))
            for _ in range(layers))
        self.norm = torch.nn.RMSNorm(d, eps=1e-6)
        self.head = torch.nn.Linear(d, vocab, bias=False)

    def forward(self, t):
        x = self.emb(t)
        for blk in self.blocks:
            x = blk(x)
        return self.head(self.norm(x))


def with_norm_torch(model):
    m = copy.deepcopy(model)
    for name, mod in list(m.named_modules()):
        for cname, child in list(mod.named_children()):
            if isinstance(child, torch.nn.RMSNorm):
                setattr(mod, cname, norm_torch.RMSNorm.from_torch(child))
    return m


def train(model, data, steps=6, compile_=False):
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    fwd = torch.compile(model, fullgraph=True) if compile_ else model
    losses = []
    for i in range(steps):
        t = data[i % len(data)]
        with torch.autocast("cuda", dtype=torch.bfloat16):
            logits = fwd(t[:, :-1])
        loss = F.cross_entropy(logits.float().flatten(0, 1),
                               t[:, 1:].flatten())
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses


def training(tag):
    torch.manual_seed(0)
    base = Model().cuda()
    data = [torch.randint(0, 1000, (4, 129), device="cuda") for _ in range(3)]
    ref = train(copy.deepcopy(base), data)
    ours = train(with_norm_torch(base), data)
    n_norms = sum(isinstance(m, norm_torch.RMSNorm)
                  for m in with_norm_torch(base).modules())
    close = all(abs(a - b) <= 2e-2 * abs(a) for a, b in zip(ref, ours))
    check(close and n_norms == 5 and ours[-1] < ours[0],
          f"{tag} Llama-style block, 6 AdamW steps (bf16 autocast), {n_norms} "
          f"norm_torch.RMSNorm: losses torch {['%.4f' % v for v in ref]} "
          f"norm {['%.4f' % v for v in ours]}")
    try:
        comp = train(with_norm_torch(base), data, compile_=True)
        close = all(abs(a - b) <= 2e-2 * abs(a) for a, b in zip(ref, comp))
        check(close, f"{tag} torch.compile(fullgraph=True) of the same model: "
              f"losses {['%.4f' % v for v in comp]}")
    except Exception as e:  # report and go on
        check(False, f"{tag} torch.compile(fullgraph=True): "
              f"{str(e).splitlines()[0][:300]}")


def cuda_graph(tag):
    dev = "cuda"
    for op in ("rms", "ln"):
        x = torch.randn(64, 4096, device=dev, dtype=torch.bfloat16,
                        requires_grad=True)
        w = torch.randn(4096, device=dev, dtype=torch.bfloat16,
                        requires_grad=True)
        dy = torch.randn(64, 4096, device=dev, dtype=torch.bfloat16)

        def step():
            y = (norm_torch.rms_norm(x, w, 1e-6) if op == "rms"
                 else norm_torch.layer_norm(x, w, None, 1e-5))
            gx, gw = torch.autograd.grad(y, (x, w), dy)
            return y, gx, gw

        s = torch.cuda.Stream()
        s.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(s):
            for _ in range(2):
                step()
        torch.cuda.current_stream().wait_stream(s)
        g = torch.cuda.CUDAGraph()
        try:
            with torch.cuda.graph(g):
                out = step()
        except Exception as e:  # report and go on
            check(False, f"{tag} CUDA graph capture of {op}: "
                  f"{str(e).splitlines()[0][:300]}")
            continue
        ok = True
        for _ in range(3):
            with torch.no_grad():
                x.copy_(torch.randn_like(x))
                w.copy_(torch.randn_like(w))
                dy.copy_(torch.randn_like(dy))
            g.replay()
            expect = step()
            ok = ok and all(torch.equal(a, b) for a, b in zip(out, expect))
        check(ok, f"{tag} CUDA graph of {op} forward + backward: 3 replays on "
              "new data equal eager calls bitwise")


def no_graph(tag):
    """Calls that record no autograd graph (torch.no_grad, inference mode,
    inputs that need no grad) take the C++ ops' direct path: the same
    outputs, bitwise, as a call that records one, and no grad_fn."""
    dev = "cuda"
    for dt in (torch.float32, torch.bfloat16):
        x = torch.randn(37, 4096, device=dev, dtype=dt)
        w = torch.randn(4096, device=dev, dtype=dt)
        b = torch.randn(4096, device=dev, dtype=dt)
        r = torch.randn(37, 4096, device=dev, dtype=dt)
        for name, call in (
                ("rms", lambda x, w, b, r: torch.ops.norm.rms_norm(
                    x, w, r, 1e-6, 1.0)),
                ("ln", lambda x, w, b, r: torch.ops.norm.layer_norm(
                    x, w, b, r, 1e-5))):
            xg, wg = x.clone().requires_grad_(), w.clone().requires_grad_()
            recorded = call(xg, wg, b, r)
            for mode, fn in (
                    ("no grad", lambda: torch.no_grad()),
                    ("inference", lambda: torch.inference_mode()),
                    ("plain inputs", lambda: torch.enable_grad())):
                with fn():
                    args = (x, w, b, r) if mode == "plain inputs" else (
                        xg, wg, b, r)
                    out = call(*args)
                same = all(torch.equal(o, p.detach())
                           for o, p in zip(out, recorded))
                ok = (recorded[0].grad_fn is not None and same
                      and out[0].grad_fn is None)
                check(ok, f"{tag}: {name} {dt} {mode}: outputs of the call "
                          "without a graph equal the recorded call's")
    torch.cuda.synchronize()


def main():
    if len(sys.argv) > 1:
        norm_torch.load(sys.argv[1])
    else:
        norm_torch.kernels()
    print(f"torch {torch.__version__}, {torch.cuda.get_device_name()}, "
          f"library {norm_torch.kernels().path}")
    for tag in ("default-stream", "side-stream"):
        gen = torch.Generator().manual_seed(1)
        ctx = (torch.cuda.stream(torch.cuda.Stream()) if tag == "side-stream"
               else torch.cuda.stream(torch.cuda.current_stream()))
        with ctx:
            opchecks(tag)
            no_graph(tag)
            numerics(tag, gen)
            training(tag)
            cuda_graph(tag)
        torch.cuda.synchronize()
    print(f"{total - len(failures)} of {total} norm_torch GPU checks passed")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
