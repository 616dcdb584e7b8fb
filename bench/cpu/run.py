#!/usr/bin/env python3
"""CPU benchmark of norm-lower-to-cpu against its peers, in one run.

rms_norm and layer_norm, forward and backward, f32 and bf16, M×N over
{4096, 16384} × {1024, 4096, 8192}, 1 and 2 threads. Side by side: ours
(norm-opt --norm-lower-to-cpu, called through scripts/normcpu.py), oneDNN
(layer norm only: Debian's 2.6 has no RMS norm), PyTorch CPU eager, a plain
C++ loop (clang -O3 -march=native -fopenmp) and a parallel memcpy of the
same bytes. Effective GB/s count forward as read x + write y (2·M·N·size)
and backward as read x, dy + write dx (3·M·N·size); "% of copy" divides by
the memcpy GB/s measured in the same run.

Set up: bash scripts/install-deps.sh --bench && bash scripts/build.sh norm-opt
Usage: /usr/bin/python3 bench/cpu/run.py [--quick] [--threads 1,2] [--out docs/bench]
Writes OUT/cpu.csv, OUT/cpu.md (table) and OUT/cpu.svg (plot).
"""

import argparse
import ctypes
import datetime
import json
import os
import platform
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
import normcpu as nc  # noqa: E402
import numpy as np  # noqa: E402

SIZES = [(m, n) for m in (4096, 16384) for n in (1024, 4096, 8192)]
QUICK = [(4096, 1024), (16384, 4096)]
EPS = {"rms": 1e-6, "layer": 1e-5}
L3_BYTES = 32 << 20


def build(workdir):
    """Our kernels (one shared library) and the peers' library."""
    text = []
    for dtype in ("f32", "bf16"):
        for name, op, present in [
                ("rms_fwd", "rms_norm", ["x", "gamma", "y", "rstd"]),
                ("layer_fwd", "layer_norm", ["x", "gamma", "beta", "y", "mean", "rstd"]),
                ("rms_bwd", "rms_norm_grad", ["dy", "x", "rstd", "gamma", "dx", "dgamma"]),
                ("layer_bwd", "layer_norm_grad",
                 ["dy", "x", "mean", "rstd", "gamma", "dx", "dgamma", "dbeta"])]:
            t, _ = nc.emit_function(f"{name}_{dtype}", op, present, dtype, (4,), (8,),
                                    dynamic=True)
            text.append(t)
    norm_opt = os.path.join(ROOT, "build", "bin", "norm-opt")
    ours = nc.compile_module(norm_opt, "".join(text), workdir, name="ours")
    peers = os.path.join(workdir, "peers.so")
    nc.run(["clang++-22", "-O3", "-march=native", "-fopenmp", "-shared", "-fPIC",
            os.path.join(HERE, "peers.cpp"), "-o", peers, "-ldnnl"])
    return ours, peers


def timeit(fn, reps):
    fn()  # warm up (page faults, thread pools)
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


def ptr(a):
    return ctypes.c_void_p(a.ctypes.data)


def worker(threads, sizes, ours_path, peers_path):
    import torch
    torch.set_num_threads(threads)
    ours = nc.Library(ours_path)
    peers = ctypes.CDLL(peers_path)
    peers.dnnl_ln_create.restype = ctypes.c_void_p
    peers.dnnl_ln_create.argtypes = [ctypes.c_int64, ctypes.c_int64, ctypes.c_int,
                                     ctypes.c_int, ctypes.c_float]
    i64, f32 = ctypes.c_int64, ctypes.c_float
    rows = []
    rng = np.random.default_rng(0)
    for m, n in sizes:
        reps = 5 if m * n <= 4096 * 4096 else 3
        for dtype in ("f32", "bf16"):
            size = 4 if dtype == "f32" else 2
            base = rng.standard_normal(n * 64, dtype=np.float32)
            x64 = np.resize(base, m * n).reshape(m, n).astype(np.float64) + 0.5
            x = nc.to_storage(x64, dtype)
            dy = nc.to_storage(np.roll(x64, 7, axis=1) * 0.5, dtype)
            g = nc.to_storage(1.0 + 0.1 * base[:n].astype(np.float64), dtype)
            b = nc.to_storage(0.1 * base[n:2 * n].astype(np.float64), dtype)
            gf, bf = nc.from_storage(g, dtype).astype(np.float32), nc.from_storage(b, dtype).astype(np.float32)
            y = np.empty_like(x)
            mean = np.empty(m, np.float32)
            rstd = np.empty(m, np.float32)
            var = np.empty(m, np.float32)
            dg, db = np.empty(n, np.float32), np.empty(n, np.float32)
            nbytes = m * n * size
            copy_s = timeit(lambda: peers.copy_bytes(ptr(y), ptr(x), i64(nbytes)), reps)
            copy_gbs = 2 * nbytes / copy_s / 1e9
            tx = torch.from_numpy(nc.from_storage(x, dtype).astype(np.float32))
            tdt = torch.float32 if dtype == "f32" else torch.bfloat16
            tx = tx.to(tdt)
            tdy = torch.from_numpy(nc.from_storage(dy, dtype).astype(np.float32)).to(tdt)
            tg = torch.from_numpy(gf).to(tdt)
            tb = torch.from_numpy(bf).to(tdt)

            def record(op, direction, impl, seconds):
                moved = (2 if direction == "fwd" else 3) * nbytes
                gbs = moved / seconds / 1e9 if seconds else None
                rows.append({"op": op, "dir": direction, "dtype": dtype, "M": m, "N": n,
                             "threads": threads, "impl": impl,
                             "ms": seconds * 1e3 if seconds else None, "GBps": gbs,
                             "copy_GBps": copy_gbs,
                             "pct_copy": 100 * gbs / copy_gbs if gbs else None,
                             "in_cache": (2 if direction == "fwd" else 3) * nbytes < 2 * L3_BYTES})

            # Forward.
            record("rms", "fwd", "ours", timeit(lambda: ours.call(f"rms_fwd_{dtype}", [x, g, y, rstd]), reps))
            record("layer", "fwd", "ours", timeit(
                lambda: ours.call(f"layer_fwd_{dtype}", [x, g, b, y, mean, rstd]), reps))
            hf = getattr(peers, f"hand_rms_fwd_{dtype}")
            record("rms", "fwd", "hand-written C++", timeit(
                lambda: hf(ptr(x), ptr(g), ptr(y), ptr(rstd), i64(m), i64(n), f32(EPS["rms"])), reps))
            hl = getattr(peers, f"hand_layer_fwd_{dtype}")
            record("layer", "fwd", "hand-written C++", timeit(
                lambda: hl(ptr(x), ptr(g), ptr(b), ptr(y), ptr(mean), ptr(rstd), i64(m), i64(n),
                           f32(EPS["layer"])), reps))

            def torch_rms(t):
                tf = t.float()
                return (tf * torch.rsqrt(tf.pow(2).mean(-1, keepdim=True) + EPS["rms"])).to(tdt) * tg
            with torch.no_grad():
                record("rms", "fwd", "PyTorch", timeit(lambda: torch_rms(tx), reps))
                record("layer", "fwd", "PyTorch", timeit(
                    lambda: torch.nn.functional.layer_norm(tx, (n,), tg, tb, EPS["layer"]), reps))

            # Backward (dx and dgamma; dbeta for layer norm).
            stats_rms = nc.reference("rms_norm", {"x": nc.from_storage(x, dtype)}, dtype, 1, EPS["rms"])
            rstd[:] = stats_rms["rstd"]
            record("rms", "bwd", "ours", timeit(
                lambda: ours.call(f"rms_bwd_{dtype}", [dy, x, rstd, g, y, dg]), reps))
            hb = getattr(peers, f"hand_rms_bwd_{dtype}")
            record("rms", "bwd", "hand-written C++", timeit(
                lambda: hb(ptr(dy), ptr(x), ptr(rstd), ptr(g), ptr(y), ptr(dg), i64(m), i64(n)), reps))
            stats_ln = nc.reference("layer_norm", {"x": nc.from_storage(x, dtype)}, dtype, 1, EPS["layer"])
            mean[:], rstd[:] = stats_ln["mean"], stats_ln["rstd"]
            var[:] = 1.0 / stats_ln["rstd"] ** 2 - EPS["layer"]
            record("layer", "bwd", "ours", timeit(
                lambda: ours.call(f"layer_bwd_{dtype}", [dy, x, mean, rstd, g, y, dg, db]), reps))
            hlb = getattr(peers, f"hand_layer_bwd_{dtype}")
            record("layer", "bwd", "hand-written C++", timeit(
                lambda: hlb(ptr(dy), ptr(x), ptr(mean), ptr(rstd), ptr(g), ptr(y), ptr(dg), ptr(db),
                            i64(m), i64(n)), reps))

            for direction, backward in (("fwd", 0), ("bwd", 1)):
                h = peers.dnnl_ln_create(i64(m), i64(n), 1 if dtype == "bf16" else 0, backward,
                                         f32(EPS["layer"]))
                if not h:
                    record("layer", direction, "oneDNN", None)
                    continue
                h = ctypes.c_void_p(h)
                if backward:
                    fn = lambda: peers.dnnl_ln_run(h, ptr(x), ptr(dy), ptr(y), ptr(gf), ptr(bf),
                                                   ptr(mean), ptr(var), ptr(dg), ptr(db))
                else:
                    fn = lambda: peers.dnnl_ln_run(h, ptr(x), ptr(y), None, ptr(gf), ptr(bf),
                                                   None, None, None, None)
                record("layer", direction, "oneDNN", timeit(fn, reps))
                peers.dnnl_ln_destroy(h)

            # PyTorch backward through autograd, forward done outside the timing.
            for op in ("rms", "layer"):
                xg = tx.clone().requires_grad_(True)
                wg = tg.clone().requires_grad_(True)
                bg = tb.clone().requires_grad_(True)
                if op == "rms":
                    xf = xg.float()
                    out = (xf * torch.rsqrt(xf.pow(2).mean(-1, keepdim=True) + EPS["rms"])).to(tdt) * wg
                    wrt = [xg, wg]
                else:
                    out = torch.nn.functional.layer_norm(xg, (n,), wg, bg, EPS["layer"])
                    wrt = [xg, wg, bg]
                record(op, "bwd", "PyTorch", timeit(
                    lambda: torch.autograd.grad(out, wrt, tdy, retain_graph=True), reps))
                del out
            print(f"# {threads} thread(s) {m}x{n} {dtype} done", file=sys.stderr, flush=True)
    print(json.dumps(rows))


def machine():
    model = "unknown CPU"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return f"{model}, {os.cpu_count()} cores, {platform.system()} {platform.release()}"


def write_outputs(rows, out):
    os.makedirs(out, exist_ok=True)
    keys = ["op", "dir", "dtype", "M", "N", "threads", "impl", "ms", "GBps", "copy_GBps",
            "pct_copy", "in_cache"]
    with open(os.path.join(out, "cpu.csv"), "w") as f:
        f.write(",".join(keys) + "\n")
        for r in rows:
            f.write(",".join("" if r[k] is None else (f"{r[k]:.4g}" if isinstance(r[k], float)
                                                      else str(r[k])) for k in keys) + "\n")
    impls = ["ours", "oneDNN", "PyTorch", "hand-written C++"]
    groups = {}
    for r in rows:
        groups.setdefault((r["op"], r["dir"], r["dtype"], r["M"], r["N"], r["threads"]), {})[r["impl"]] = r
    lines = [f"Machine: {machine()}. Date: {datetime.date.today()}.",
             "GB/s (effective: fwd 2·M·N·size, bwd 3·M·N·size); ours as % of a parallel "
             "memcpy measured in the same run; * = footprint under 2×L3 (cache-assisted).", "",
             "| op | dir | dtype | M×N | thr | copy | ours | % copy | oneDNN | PyTorch | hand C++ | fastest |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for key in sorted(groups, key=lambda k: (k[0], k[1], k[2], k[5], k[3], k[4])):
        g = groups[key]
        o = g["ours"]

        def cell(impl):
            r = g.get(impl)
            return "n/a" if not r or r["GBps"] is None else f"{r['GBps']:.1f}"
        best = max((i for i in impls if g.get(i) and g[i]["GBps"]), key=lambda i: g[i]["GBps"])
        lines.append(f"| {key[0]} | {key[1]} | {key[2]} | {key[3]}×{key[4]}{'*' if o['in_cache'] else ''}"
                     f" | {key[5]} | {o['copy_GBps']:.1f} | {cell('ours')} | {o['pct_copy']:.0f}% | "
                     f"{cell('oneDNN')} | {cell('PyTorch')} | {cell('hand-written C++')} | {best} |")
    with open(os.path.join(out, "cpu.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        panels = sorted({(r["op"], r["dir"], r["dtype"]) for r in rows})
        fig, axes = plt.subplots(2, (len(panels) + 1) // 2, figsize=(4 * ((len(panels) + 1) // 2), 7),
                                 squeeze=False)
        for ax, (op, d, dt) in zip(axes.ravel(), panels):
            sel = [r for r in rows if (r["op"], r["dir"], r["dtype"]) == (op, d, dt) and r["threads"] == max(x["threads"] for x in rows)]
            shapes = sorted({(r["M"], r["N"]) for r in sel})
            for k, impl in enumerate(impls + ["copy"]):
                vals = []
                for s in shapes:
                    rr = [r for r in sel if (r["M"], r["N"]) == s and (r["impl"] == impl or impl == "copy")]
                    v = rr[0]["copy_GBps"] if impl == "copy" and rr else (rr[0]["GBps"] if rr and rr[0]["GBps"] else 0)
                    vals.append(v)
                ax.bar(np.arange(len(shapes)) + k * 0.16, vals, 0.16, label=impl)
            ax.set_xticks(np.arange(len(shapes)) + 0.32)
            ax.set_xticklabels([f"{m // 1024}K×{n // 1024}K" for m, n in shapes], fontsize=7)
            ax.set_title(f"{op} {d} {dt}", fontsize=9)
            ax.set_ylabel("GB/s")
        axes.ravel()[0].legend(fontsize=7)
        fig.suptitle(f"norm CPU benchmark, {max(r['threads'] for r in rows)} threads — {machine()}", fontsize=9)
        fig.tight_layout()
        fig.savefig(os.path.join(out, "cpu.svg"))
    except ImportError:
        print("matplotlib missing: no plot", file=sys.stderr)
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="two shapes only")
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--out", default=os.path.join(ROOT, "docs", "bench"))
    ap.add_argument("--worker", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--libs", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args()
    sizes = QUICK if args.quick else SIZES
    if args.worker:
        worker(args.worker, sizes, *args.libs)
        return
    workdir = nc.make_workdir()
    ours, peers = build(workdir)
    rows = []
    for t in [int(v) for v in args.threads.split(",")]:
        env = dict(os.environ, OMP_NUM_THREADS=str(t), KMP_BLOCKTIME="0", OMP_WAIT_POLICY="passive")
        cmd = [sys.executable, __file__, "--worker", str(t), "--libs", ours, peers] + \
              (["--quick"] if args.quick else [])
        r = subprocess.run(cmd, env=env, capture_output=True, text=True)
        sys.stderr.write(r.stderr)
        if r.returncode != 0:
            sys.exit(f"worker with {t} threads failed")
        rows += json.loads(r.stdout.strip().splitlines()[-1])
    print(write_outputs(rows, args.out))


if __name__ == "__main__":
    main()
