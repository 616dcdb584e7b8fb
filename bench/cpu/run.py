#!/usr/bin/env python3
"""CPU benchmark of norm-lower-to-cpu against its peers, in one run.

rms_norm and layer_norm, forward and backward, and the pre-norm residual
block's forward (`rms+res`: h = x + residual, stored as residual_out, then
rms_norm(h)); f32 and bf16; M×N over {4096, 16384} × {1024, 4096, 8192}; 1
thread and all cores. Side by side: ours (norm-opt --norm-lower-to-cpu,
called through scripts/normcpu.py), oneDNN (layer norm only: Debian's 2.6
has no RMS norm), PyTorch CPU eager, a plain C++ loop (clang -O3
-march=native -fopenmp) and a parallel memcpy of the same bytes.

Effective GB/s count forward as read x + write y (2·M·N·size), rms+res
forward as read x, residual + write y, residual_out (4·M·N·size) and
backward as read x, dy + write dx (3·M·N·size); the memcpy copies half the
effective bytes, so its GB/s count read + write alike.

Timing hygiene: a row is op × dir × dtype × M×N × threads. Each
implementation of the row, and the memcpy, is called once to warm up; then,
for each of --rounds rounds, every one of them is called once in a fixed
interleaved order (ours, oneDNN, PyTorch, hand-written C++, copy), so slow
drift of the machine (a neighbour, the clock) hits all of them alike. Cells
give the median GB/s over the rounds and its spread (min–max); "% copy" is
median(ours) / median(copy) of that row. Before its row is timed, ours is
checked once against the float64 numpy reference (scripts/normcpu.py) on a
sample of rows (dgamma/dbeta on all rows); a mismatch aborts the run.

Set up: bash scripts/install-deps.sh --bench && bash scripts/build.sh norm-opt
Usage: /usr/bin/python3 bench/cpu/run.py [--quick] [--rounds 5] [--threads 1,NCPU]
           [--ops rms,layer,rms+res] [--dirs fwd,bwd] [--dtypes f32,bf16] [--out docs/bench]
Writes OUT/cpu.csv, OUT/cpu.md (table) and OUT/cpu.svg (plot).
"""

import argparse
import ctypes
import datetime
import gc
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
OPS, DIRS, DTYPES = ("rms", "layer", "rms+res"), ("fwd", "bwd"), ("f32", "bf16")
# Streaming stores for the f32 outputs (the rows are beyond L3, where they
# measured faster; bf16 stores are 32 bytes and stay ordinary): docs/CPU.md.
OURS_OPTIONS = "target-cpu=native nontemporal-stores=true"
EPS = {"rms": 1e-6, "rms+res": 1e-6, "layer": 1e-5}
# Effective bytes of a row, in units of M·N·size.
MOVED = {("rms", "fwd"): 2, ("layer", "fwd"): 2, ("rms+res", "fwd"): 4,
         ("rms", "bwd"): 3, ("layer", "bwd"): 3}
# Our kernels: (op, dir) → (norm op, operands in the op's order).
KERNELS = {
    ("rms", "fwd"): ("rms_norm", ["x", "gamma", "y", "rstd"]),
    ("layer", "fwd"): ("layer_norm", ["x", "gamma", "beta", "y", "mean", "rstd"]),
    ("rms+res", "fwd"): ("rms_norm", ["x", "gamma", "residual", "y", "rstd", "residual_out"]),
    ("rms", "bwd"): ("rms_norm_grad", ["dy", "x", "rstd", "gamma", "dx", "dgamma"]),
    ("layer", "bwd"): ("layer_norm_grad",
                       ["dy", "x", "mean", "rstd", "gamma", "dx", "dgamma", "dbeta"]),
}
# Implementations, in the order each round calls them; "copy" last.
IMPLS = ["ours", "oneDNN", "PyTorch", "hand-written C++"]
ORDER = IMPLS + ["copy"]
SPREAD = "min–max"
# The correctness check: rows sampled, and the error allowed (in ulps of the
# output type, row-scaled): bf16 outputs round once in the kernel and once in
# the reference; f32 ones accumulate over up to N terms. dgamma/dbeta are f32
# sums over all M rows, whose rounding errors grow with M (the hand-written
# loop's are the same): M/8 ulps, at least 256.
CHECK_ROWS = 97
ULP_LIMIT = {"bf16": 2.0, "f32": 256.0}


def kernel_name(op, direction, dtype):
    return f"{op.replace('+', '_')}_{direction}_{dtype}"


def l3_size():
    """(bytes, where from): cpu0's L3 from sysfs, else 32 MiB assumed."""
    try:
        with open("/sys/devices/system/cpu/cpu0/cache/index3/size") as f:
            text = f.read().strip()
        unit = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}.get(text[-1:].upper(), 1)
        return int(text.rstrip("KkMmGg")) * unit, "cpu0's L3, from sysfs"
    except (OSError, ValueError):
        return 32 << 20, "assumed: sysfs has no L3 size"


def build(workdir, rows, dtypes):
    """Our kernels for the selected rows (one shared library) and the peers'."""
    text = []
    for dtype in dtypes:
        for op, direction in rows:
            norm_op, present = KERNELS[(op, direction)]
            t, _ = nc.emit_function(kernel_name(op, direction, dtype), norm_op, present, dtype,
                                    (4,), (8,), dynamic=True)
            text.append(t)
    norm_opt = os.path.join(ROOT, "build", "bin", "norm-opt")
    # The host's vector instructions, as the hand loop gets from
    # -march=native (the pipeline's default target is portable AVX2).
    ours = nc.compile_module(norm_opt, "".join(text), workdir, name="ours",
                             options=OURS_OPTIONS)
    peers = os.path.join(workdir, "peers.so")
    nc.run(["clang++-22", "-O3", "-march=native", "-fopenmp", "-shared", "-fPIC",
            os.path.join(HERE, "peers.cpp"), "-o", peers, "-ldnnl"])
    return ours, peers


def ptr(a):
    return ctypes.c_void_p(a.ctypes.data)


def bind(lib, name, arrays):
    """A no-argument call of our `name` on `arrays`, descriptors built once
    (so that a timed call costs what the hand-written loop's ctypes call
    does)."""
    fn = lib.function(name)
    descs = [nc.Descriptor.make(a) for a in arrays]
    refs = [ctypes.byref(d) for d in descs]
    return lambda: fn(*refs)


def run_rounds(impls, rounds):
    """`impls`: [(name, fn)] in ORDER. One warm-up call each (page faults,
    thread pools), then `rounds` rounds calling each once in that order.
    Returns {name: [seconds per round]}."""
    gc.collect()
    gc.disable()  # no collector pause inside a timed call
    try:
        for _, fn in impls:
            fn()
        times = {name: [] for name, _ in impls}
        for _ in range(rounds):
            for name, fn in impls:
                t0 = time.perf_counter()
                fn()
                times[name].append(time.perf_counter() - t0)
    finally:
        gc.enable()
    return times


def max_ulp_error(got, ref, dtype):
    """max |got − ref| in ulps of `dtype`, scaled by max(|ref|, max|ref|/4)
    per row (as examples/run_transformer_block.py)."""
    eps = {"bf16": 2.0 ** -7, "f32": 2.0 ** -23}[dtype]
    got, ref = np.atleast_2d(got), np.atleast_2d(ref)
    scale = np.maximum(np.abs(ref), np.max(np.abs(ref), axis=-1, keepdims=True) / 4)
    scale = np.where(scale > 0, scale, 1.0)
    return float(np.max(np.abs(got - ref) / (eps * scale)))


class Data:
    """The arrays of one shape × dtype, shared by all rows and impls: inputs
    (x, dy, residual, gamma, beta), outputs written by every impl in turn
    (out: y or dx; residual_out; the statistics and parameter gradients),
    the backward's input statistics, and the memcpy's buffers."""

    def __init__(self, m, n, dtype, rng, torch):
        self.m, self.n, self.dtype = m, n, dtype
        self.size = 4 if dtype == "f32" else 2
        # 64 distinct rows, repeated: rows stay cheap to build at any M.
        base = rng.standard_normal((64, n)).astype(np.float64)
        tile = lambda a: np.ascontiguousarray(np.resize(nc.to_storage(a, dtype), (m, n)))
        self.x = tile(base + 0.5)
        self.dy = tile(np.roll(base, 7, axis=1) * 0.5)
        self.res = tile(np.roll(base, 13, axis=0) * 0.75 - 0.25)
        self.g64 = nc.round_to(1.0 + 0.1 * rng.standard_normal(n), dtype)
        self.b64 = nc.round_to(0.1 * rng.standard_normal(n), dtype)
        self.g, self.b = nc.to_storage(self.g64, dtype), nc.to_storage(self.b64, dtype)
        self.gf, self.bf = self.g64.astype(np.float32), self.b64.astype(np.float32)
        self.out = np.zeros_like(self.x)
        self.res_out = np.zeros_like(self.x)
        self.mean_out, self.rstd_out = np.zeros(m, np.float32), np.zeros(m, np.float32)
        self.dg, self.db = np.zeros(n, np.float32), np.zeros(n, np.float32)
        self.stats = {}  # op → (mean, rstd, var) of x, the backward's inputs
        # The memcpy's source and destination: up to 2·M·N·size (rms+res).
        self.copy_src = np.ones(2 * m * n * self.size, np.uint8)
        self.copy_dst = np.zeros_like(self.copy_src)
        # PyTorch views of the same memory (bf16: the uint16 bits).
        self.tdt = torch.float32 if dtype == "f32" else torch.bfloat16
        as_torch = (lambda a: torch.from_numpy(a)) if dtype == "f32" else \
            (lambda a: torch.from_numpy(a.view(np.int16)).view(torch.bfloat16))
        self.tx, self.tdy, self.tres = as_torch(self.x), as_torch(self.dy), as_torch(self.res)
        self.tg, self.tb = as_torch(self.g), as_torch(self.b)

    def f64(self, a, rows=None):
        return nc.from_storage(a if rows is None else a[rows], self.dtype)

    def chunks(self, step=2048):
        return [slice(i, min(i + step, self.m)) for i in range(0, self.m, step)]

    def backward_stats(self, op):
        """mean, rstd (and var = 1/rstd² − eps, for oneDNN) of x, from the
        float64 reference by row chunks; f32 as the kernels take them."""
        if op not in self.stats:
            mean, rstd = np.zeros(self.m, np.float32), np.zeros(self.m, np.float32)
            norm_op = "layer_norm" if op == "layer" else "rms_norm"
            for c in self.chunks():
                ref = nc.reference(norm_op, {"x": self.f64(self.x, c)}, self.dtype, 1, EPS[op])
                mean[c], rstd[c] = ref["mean"], ref["rstd"]
            var = (1.0 / rstd.astype(np.float64) ** 2 - EPS[op]).astype(np.float32)
            self.stats[op] = (mean, rstd, var)
        return self.stats[op]


def check_ours(op, direction, d, call):
    """Runs our kernel once and compares its outputs with the reference:
    forward outputs and dx on CHECK_ROWS sampled rows, dgamma/dbeta on all
    rows. Aborts the benchmark on a mismatch."""
    call()
    rows = np.unique(np.linspace(0, d.m - 1, CHECK_ROWS).astype(np.int64))
    checks = []
    if direction == "fwd":
        v = {"x": d.f64(d.x, rows), "gamma": d.g64}
        if op == "layer":
            v["beta"] = d.b64
        if op == "rms+res":
            v["residual"] = d.f64(d.res, rows)
        ref = nc.reference("layer_norm" if op == "layer" else "rms_norm", v, d.dtype, 1, EPS[op])
        checks += [("y", d.f64(d.out, rows), ref["y"], d.dtype),
                   ("rstd", d.rstd_out[rows], ref["rstd"], "f32")]
        if op == "layer":
            checks.append(("mean", d.mean_out[rows], ref["mean"], "f32"))
        if op == "rms+res":
            checks.append(("residual_out", d.f64(d.res_out, rows), ref["residual_out"], d.dtype))
    else:
        mean, rstd, _ = d.backward_stats(op)
        grad_op = "layer_norm_grad" if op == "layer" else "rms_norm_grad"
        v = lambda s: {"dy": d.f64(d.dy, s), "x": d.f64(d.x, s), "gamma": d.g64,
                       "rstd": rstd[s].astype(np.float64),
                       "mean": mean[s].astype(np.float64) if op == "layer" else None}
        ref = nc.reference(grad_op, v(rows), d.dtype, 1, EPS[op])
        checks.append(("dx", d.f64(d.out, rows), ref["dx"], d.dtype))
        dg, db = np.zeros(d.n), np.zeros(d.n)
        for c in d.chunks():
            part = nc.reference(grad_op, v(c), d.dtype, 1, EPS[op])
            dg += part["dgamma"]
            db += part["dbeta"]
        sums = max(ULP_LIMIT["f32"], d.m / 8)
        checks.append(("dgamma", d.dg, dg, "f32", sums))
        if op == "layer":
            checks.append(("dbeta", d.db, db, "f32", sums))
    for name, got, want, dtype, *limit in checks:
        limit = limit[0] if limit else ULP_LIMIT[dtype]
        e = max_ulp_error(np.asarray(got, np.float64), want, dtype)
        if not e <= limit:
            sys.exit(f"ERROR: ours is off the float64 reference: {op} {direction} {d.dtype} "
                     f"{d.m}x{d.n}, {name}: {e:.1f} ulps (limit {limit:g})")


def row_impls(op, direction, d, ours, peers, torch):
    """[(impl, no-argument call or None when it has none)] in ORDER, for one
    row; oneDNN's primitive handles go to the caller to destroy."""
    m, n, dt = d.m, d.n, d.dtype
    i64, f32 = ctypes.c_int64, ctypes.c_float
    eps = EPS[op]
    copied = MOVED[(op, direction)] * m * n * d.size // 2
    copy = lambda: peers.copy_bytes(ptr(d.copy_dst), ptr(d.copy_src), i64(copied))

    def no_grad(fn):
        def call():
            with torch.no_grad():
                return fn()
        return call

    def torch_rms(t):
        tf = t.float()
        return (tf * torch.rsqrt(tf.pow(2).mean(-1, keepdim=True) + eps)).to(d.tdt) * d.tg

    dnnl, handles = None, []
    if direction == "fwd":
        if op == "rms":
            arrays = [d.x, d.g, d.out, d.rstd_out]
            hand_fn = getattr(peers, f"hand_rms_fwd_{dt}")
            hand = lambda: hand_fn(ptr(d.x), ptr(d.g), ptr(d.out), ptr(d.rstd_out),
                                   i64(m), i64(n), f32(eps))
            pt = no_grad(lambda: torch_rms(d.tx))
        elif op == "rms+res":
            arrays = [d.x, d.g, d.res, d.out, d.rstd_out, d.res_out]
            hand_fn = getattr(peers, f"hand_rms_res_fwd_{dt}")
            hand = lambda: hand_fn(ptr(d.x), ptr(d.res), ptr(d.g), ptr(d.out), ptr(d.res_out),
                                   ptr(d.rstd_out), i64(m), i64(n), f32(eps))

            def torch_res():
                h = d.tx + d.tres  # in the storage type, as residual_out
                return torch_rms(h), h
            pt = no_grad(torch_res)
        else:
            arrays = [d.x, d.g, d.b, d.out, d.mean_out, d.rstd_out]
            hand_fn = getattr(peers, f"hand_layer_fwd_{dt}")
            hand = lambda: hand_fn(ptr(d.x), ptr(d.g), ptr(d.b), ptr(d.out), ptr(d.mean_out),
                                   ptr(d.rstd_out), i64(m), i64(n), f32(eps))
            pt = no_grad(lambda: torch.nn.functional.layer_norm(d.tx, (n,), d.tg, d.tb, eps))
    else:
        mean, rstd, var = d.backward_stats(op)
        if op == "rms":
            arrays = [d.dy, d.x, rstd, d.g, d.out, d.dg]
            hand_fn = getattr(peers, f"hand_rms_bwd_{dt}")
            hand = lambda: hand_fn(ptr(d.dy), ptr(d.x), ptr(rstd), ptr(d.g), ptr(d.out),
                                   ptr(d.dg), i64(m), i64(n))
        else:
            arrays = [d.dy, d.x, mean, rstd, d.g, d.out, d.dg, d.db]
            hand_fn = getattr(peers, f"hand_layer_bwd_{dt}")
            hand = lambda: hand_fn(ptr(d.dy), ptr(d.x), ptr(mean), ptr(rstd), ptr(d.g),
                                   ptr(d.out), ptr(d.dg), ptr(d.db), i64(m), i64(n))
        # PyTorch through autograd; the forward (and its graph) built once,
        # outside the timing.
        xg = d.tx.clone().requires_grad_(True)
        wg = d.tg.clone().requires_grad_(True)
        bg = d.tb.clone().requires_grad_(True)
        if op == "rms":
            xf = xg.float()
            out = (xf * torch.rsqrt(xf.pow(2).mean(-1, keepdim=True) + eps)).to(d.tdt) * wg
            wrt = [xg, wg]
        else:
            out, wrt = torch.nn.functional.layer_norm(xg, (n,), wg, bg, eps), [xg, wg, bg]
        pt = lambda: torch.autograd.grad(out, wrt, d.tdy, retain_graph=True)
    if op == "layer":
        h = peers.dnnl_ln_create(i64(m), i64(n), 1 if dt == "bf16" else 0,
                                 1 if direction == "bwd" else 0, f32(eps))
        if h:
            h = ctypes.c_void_p(h)
            handles.append(h)
            if direction == "bwd":  # mean, rstd, var: the backward's inputs above
                args = (ptr(d.x), ptr(d.dy), ptr(d.out), ptr(d.gf), ptr(d.bf), ptr(mean),
                        ptr(var), ptr(d.dg), ptr(d.db))
            else:
                args = (ptr(d.x), ptr(d.out), None, ptr(d.gf), ptr(d.bf), None, None, None, None)
            dnnl = lambda: peers.dnnl_ln_run(h, *args)
            if dnnl() != 0:  # oneDNN refused at run time: n/a
                dnnl = None
    impls = {"ours": bind(ours, kernel_name(op, direction, dt), arrays), "oneDNN": dnnl,
             "PyTorch": pt, "hand-written C++": hand, "copy": copy}
    return [(k, impls[k]) for k in ORDER], handles


def worker(threads, sizes, rows_sel, dtypes, rounds, ours_path, peers_path):
    import torch
    torch.set_num_threads(threads)
    ours = nc.Library(ours_path)
    peers = ctypes.CDLL(peers_path)
    peers.dnnl_ln_create.restype = ctypes.c_void_p
    peers.dnnl_ln_create.argtypes = [ctypes.c_int64, ctypes.c_int64, ctypes.c_int,
                                     ctypes.c_int, ctypes.c_float]
    peers.dnnl_ln_run.restype = ctypes.c_int
    peers.dnnl_ln_destroy.argtypes = [ctypes.c_void_p]
    l3, _ = l3_size()
    out = []
    rng = np.random.default_rng(0)
    for m, n in sizes:
        for dtype in dtypes:
            d = Data(m, n, dtype, rng, torch)
            for op, direction in rows_sel:
                impls, handles = row_impls(op, direction, d, ours, peers, torch)
                check_ours(op, direction, d, impls[0][1])
                times = run_rounds([(k, fn) for k, fn in impls if fn], rounds)
                for h in handles:
                    peers.dnnl_ln_destroy(h)
                moved = MOVED[(op, direction)] * m * n * d.size
                gbs = {k: [moved / t / 1e9 for t in ts] for k, ts in times.items()}
                copy = gbs["copy"]
                for impl, fn in impls[:-1]:
                    if fn is None and not (impl == "oneDNN" and op == "layer"):
                        continue  # no such implementation (oneDNN's RMS norm)
                    g = gbs.get(impl)
                    out.append({
                        "op": op, "dir": direction, "dtype": dtype, "M": m, "N": n,
                        "threads": threads, "impl": impl, "rounds": rounds,
                        "ms": 1e3 * float(np.median(times[impl])) if g else None,
                        "GBps": float(np.median(g)) if g else None,
                        "GBps_min": min(g) if g else None, "GBps_max": max(g) if g else None,
                        "copy_GBps": float(np.median(copy)),
                        "copy_GBps_min": min(copy), "copy_GBps_max": max(copy),
                        "pct_copy": 100 * float(np.median(g)) / float(np.median(copy))
                        if g else None,
                        "in_cache": moved < 2 * l3})
                print(f"# {threads} thread(s) {op} {direction} {dtype} {m}x{n} done",
                      file=sys.stderr, flush=True)
            del d
    print(json.dumps(out))


def machine():
    model = "unknown CPU"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return f"{model}, {os.cpu_count()} cores, {platform.system()} {platform.release()}"


def write_outputs(rows, out, rounds):
    os.makedirs(out, exist_ok=True)
    keys = ["op", "dir", "dtype", "M", "N", "threads", "impl", "rounds", "ms", "GBps",
            "GBps_min", "GBps_max", "copy_GBps", "copy_GBps_min", "copy_GBps_max", "pct_copy",
            "in_cache"]
    with open(os.path.join(out, "cpu.csv"), "w") as f:
        f.write(",".join(keys) + "\n")
        for r in rows:
            f.write(",".join("" if r[k] is None else (f"{r[k]:.4g}" if isinstance(r[k], float)
                                                      else str(r[k])) for k in keys) + "\n")
    groups = {}
    for r in rows:
        groups.setdefault((r["op"], r["dir"], r["dtype"], r["M"], r["N"], r["threads"]), {})[r["impl"]] = r
    l3, l3_from = l3_size()

    def cell(r, key="GBps"):
        if not r or r[key] is None:
            return "n/a"
        return f"{r[key]:.1f} ({r[key + '_min']:.1f}–{r[key + '_max']:.1f})"
    lines = [f"Machine: {machine()}. Date: {datetime.date.today()}. "
             f"L3: {l3 / (1 << 20):g} MiB ({l3_from}).",
             "GB/s, effective: fwd 2·M·N·size; rms+res fwd (h = x + residual, y = rms_norm(h)) "
             "4·M·N·size (read x, residual; write y, residual_out); bwd 3·M·N·size. "
             f"Each cell: median ({SPREAD}) over {rounds} rounds; in a round every "
             "implementation of the row and a memcpy of the same bytes (copy) run once, in the "
             "order ours, oneDNN, PyTorch, hand C++, copy, after one warm-up call each. "
             "% copy = median(ours) / median(copy) of the row; fastest = highest median; "
             "* = effective bytes under 2×L3 (cache-assisted). "
             f"Ours: norm-opt --norm-lower-to-cpu=\"{OURS_OPTIONS}\" | mlir-translate | "
             "opt -O3 | llc -O3 (scripts/normcpu.py); hand C++: clang++-22 -O3 -march=native "
             "-fopenmp; oneDNN: Debian libdnnl 2.6.", "",
             "| op | dir | dtype | M×N | thr | copy | ours | % copy | oneDNN | PyTorch | hand C++ "
             "| fastest |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    summary = {}
    for key in sorted(groups, key=lambda k: (k[0], k[1], k[2], k[5], k[3], k[4])):
        g = groups[key]
        o = g["ours"]
        best = max((i for i in IMPLS if g.get(i) and g[i]["GBps"]), key=lambda i: g[i]["GBps"])
        s = summary.setdefault((key[1], key[5]), [0, 0, 0])
        s[0] += 1
        s[1] += best == "ours"
        s[2] += o["pct_copy"] >= 85
        lines.append(f"| {key[0]} | {key[1]} | {key[2]} | {key[3]}×{key[4]}{'*' if o['in_cache'] else ''}"
                     f" | {key[5]} | {cell(o, 'copy_GBps')} | {cell(o)} | {o['pct_copy']:.0f}% | "
                     f"{cell(g.get('oneDNN'))} | {cell(g.get('PyTorch'))} | "
                     f"{cell(g.get('hand-written C++'))} | {best} |")
    lines.append("")
    for (direction, threads), (total, fastest, near) in sorted(summary.items()):
        lines.append(f"- {direction}, {threads} thread{'s' if threads > 1 else ''}: ours fastest "
                     f"in {fastest} of {total} rows; ours ≥ 85% of copy in {near} of {total} rows.")
    with open(os.path.join(out, "cpu.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        threads = max(r["threads"] for r in rows)
        panels = sorted({(r["op"], r["dir"], r["dtype"]) for r in rows})
        cols = (len(panels) + 1) // 2
        fig, axes = plt.subplots(2, cols, figsize=(4 * cols, 7), squeeze=False)
        width = 0.8 / len(ORDER)
        for ax in axes.ravel()[len(panels):]:
            ax.axis("off")
        for ax, (op, d, dt) in zip(axes.ravel(), panels):
            sel = {(r["M"], r["N"]): groups[(op, d, dt, r["M"], r["N"], threads)]
                   for r in rows if (r["op"], r["dir"], r["dtype"], r["threads"]) == (op, d, dt, threads)}
            shapes = sorted(sel)
            for k, impl in enumerate(ORDER):
                # The copy's cells ride on ours' record of the row.
                recs = [sel[s].get("ours" if impl == "copy" else impl) for s in shapes]
                key = "copy_GBps" if impl == "copy" else "GBps"
                med = np.array([r[key] if r and r[key] else 0.0 for r in recs])
                lo = np.array([r[key + "_min"] if r and r[key] else 0.0 for r in recs])
                hi = np.array([r[key + "_max"] if r and r[key] else 0.0 for r in recs])
                ax.bar(np.arange(len(shapes)) + k * width, med, width, label=impl,
                       yerr=[med - lo, hi - med], error_kw={"elinewidth": 0.6, "capsize": 1})
            ax.set_xticks(np.arange(len(shapes)) + width * (len(ORDER) - 1) / 2)
            ax.set_xticklabels([f"{m // 1024}K×{n // 1024}K" for m, n in shapes], fontsize=7)
            ax.set_title(f"{op} {d} {dt}", fontsize=9)
            ax.set_ylabel("GB/s")
        axes.ravel()[0].legend(fontsize=7)
        fig.suptitle(f"norm CPU benchmark, {threads} thread(s), median and {SPREAD} of {rounds} "
                     f"rounds — {machine()}", fontsize=9)
        fig.tight_layout()
        fig.savefig(os.path.join(out, "cpu.svg"))
    except ImportError:
        print("matplotlib missing: no plot (scripts/install-deps.sh --bench installs it)",
              file=sys.stderr)
    return "\n".join(lines)


def parse_list(text, allowed, what):
    items = [v.strip() for v in text.split(",") if v.strip()]
    bad = [v for v in items if v not in allowed]
    if bad or not items:
        sys.exit(f"--{what}: {', '.join(bad) or 'empty'}; choose from {','.join(allowed)}")
    return [v for v in allowed if v in items]  # canonical order, no repeats


def main():
    ap = argparse.ArgumentParser(description="CPU benchmark of norm-lower-to-cpu and its peers")
    ap.add_argument("--quick", action="store_true", help="two shapes only")
    ap.add_argument("--threads", default=None,
                    help=f"comma list (default 1 and all cores: 1,{os.cpu_count()})")
    ap.add_argument("--rounds", type=int, default=5,
                    help="interleaved rounds per row (default 5)")
    ap.add_argument("--ops", default=",".join(OPS), help=f"comma list of {','.join(OPS)}")
    ap.add_argument("--dirs", default=",".join(DIRS), help=f"comma list of {','.join(DIRS)}")
    ap.add_argument("--dtypes", default=",".join(DTYPES),
                    help=f"comma list of {','.join(DTYPES)}")
    ap.add_argument("--out", default=os.path.join(ROOT, "docs", "bench"))
    ap.add_argument("--worker", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--libs", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.rounds < 1:
        sys.exit("--rounds must be at least 1")
    sizes = QUICK if args.quick else SIZES
    ops = parse_list(args.ops, OPS, "ops")
    dirs = parse_list(args.dirs, DIRS, "dirs")
    dtypes = parse_list(args.dtypes, DTYPES, "dtypes")
    rows_sel = [(op, d) for op in ops for d in dirs if (op, d) in MOVED]
    if not rows_sel:
        sys.exit(f"no rows: --ops {args.ops} --dirs {args.dirs} (rms+res has fwd only)")
    if args.worker:
        worker(args.worker, sizes, rows_sel, dtypes, args.rounds, *args.libs)
        return
    threads = sorted({int(v) for v in (args.threads or f"1,{os.cpu_count()}").split(",")})
    workdir = nc.make_workdir()
    ours, peers = build(workdir, rows_sel, dtypes)
    rows = []
    for t in threads:
        # One process per thread count: OMP_NUM_THREADS is read once.
        env = dict(os.environ, OMP_NUM_THREADS=str(t), KMP_BLOCKTIME="0", OMP_WAIT_POLICY="passive")
        cmd = [sys.executable, __file__, "--worker", str(t), "--libs", ours, peers,
               "--rounds", str(args.rounds), "--ops", ",".join(ops), "--dirs", ",".join(dirs),
               "--dtypes", ",".join(dtypes)] + (["--quick"] if args.quick else [])
        r = subprocess.run(cmd, env=env, capture_output=True, text=True)
        sys.stderr.write(r.stderr)
        if r.returncode != 0:
            sys.exit(f"worker with {t} threads failed")
        rows += json.loads(r.stdout.strip().splitlines()[-1])
    print(write_outputs(rows, args.out, args.rounds))


if __name__ == "__main__":
    main()
