"""Distributed norms under MPI, checked against the single-process unsplit op.

Three steps, so that only the middle one runs under mpirun:

  check_mpi.py compile NORM_OPT DIR P   global functions annotated with
      shard.shard → sharding-propagation → shard-partition → norm-lower-to-cpu
      (MPI collectives) → DIR/split.P.so; the same functions without
      annotations → DIR/unsplit.so (one process, no MPI).
  mpirun -n P check_mpi.py run DIR P     every rank feeds its shard of the
      inputs to split.P.so, runs unsplit.so on the whole inputs, and compares
      its shard of every output with the unsplit one and with a float64
      reference (scripts/normcpu.py); writes DIR/result.P.RANK.
  check_mpi.py summary DIR P             totals over the ranks; exit 1 on any
      failure or missing rank.

Cases: rms_norm, layer_norm (± residual, ± gamma/beta), rms_norm_grad,
layer_norm_grad (± gamma; dx, dgamma, dbeta), in f32, f16 and bf16, with the
normalized dim split over a 1-D grid of P; with P = 4 also a 2×2 grid that
splits rows and the normalized dim at once (dgamma/dbeta all-reduced over
row shards). Layer norm runs on data with mean 100 and standard deviation 1.

Pass criteria (per output, scale = max |reference|): split and unsplit agree
within `AGREE` units of the output type's precision; the split output's error
against float64 is at most the unsplit output's plus one such unit.
"""

import ctypes
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "..", "scripts"))
import normcpu as nc  # noqa: E402

M, N = 8, 256
EPS = {"rms": 1e-6, "layer": 1e-5}
# One unit: 2^-(mantissa bits) of the output type (f32 outputs of gradients
# accumulate over the rows: dgamma/dbeta sums use the f32 unit).
UNIT = {"f32": 2.0 ** -23, "f16": 2.0 ** -11, "bf16": 2.0 ** -8}
AGREE = {"f32": 64, "f16": 1, "bf16": 1}
MPICH_COMM_WORLD = 0x44000000


def cases(p):
    """(name, op, dtype, residual, affine, grid) with grid 'g' (1-D, P) or
    'g2' (2×2: rows on axis 0, normalized dim on axis 1)."""
    out = []
    grids = ["g"] + (["g2"] if p == 4 else [])
    for grid in grids:
        for dt in ("f32", "f16", "bf16"):
            for op in ("rms_norm", "layer_norm"):
                for res in (False, True):
                    for aff in (False, True):
                        if grid == "g2" and (res or not aff):
                            continue
                        out.append((f"{op}_{dt}_r{int(res)}_a{int(aff)}_{grid}", op, dt, res,
                                    aff, grid))
            for op in ("rms_norm_grad", "layer_norm_grad"):
                for aff in (False, True):
                    if grid == "g2" and not aff:
                        continue
                    out.append((f"{op}_{dt}_a{int(aff)}_{grid}", op, dt, False, aff, grid))
    return out


def signature(op, res, aff):
    """[(name, role, is_input)], role F (M×N), R (M), C (N)."""
    if op == "rms_norm":
        ins = [("x", "F")] + ([("gamma", "C")] if aff else []) + ([("residual", "F")] if res else [])
        outs = [("y", "F"), ("rstd", "R")] + ([("residual_out", "F")] if res else [])
    elif op == "layer_norm":
        ins = ([("x", "F")] + ([("gamma", "C"), ("beta", "C")] if aff else [])
               + ([("residual", "F")] if res else []))
        outs = [("y", "F"), ("mean", "R"), ("rstd", "R")] + ([("residual_out", "F")] if res else [])
    elif op == "rms_norm_grad":
        ins = [("dy", "F"), ("x", "F"), ("rstd", "R")] + ([("gamma", "C")] if aff else [])
        outs = [("dx", "F"), ("dgamma", "C")]
    else:
        ins = ([("dy", "F"), ("x", "F"), ("mean", "R"), ("rstd", "R")]
               + ([("gamma", "C")] if aff else []))
        outs = [("dx", "F"), ("dgamma", "C"), ("dbeta", "C")]
    return ins, outs


def dtype_of(name, dt):
    return "f32" if name in ("mean", "rstd", "dgamma", "dbeta") else dt


def shape_of(role):
    return {"F": (M, N), "R": (M,), "C": (N,)}[role]


def ttype(shape, dt):
    return "tensor<" + "".join(f"{d}x" for d in shape) + dt + ">"


def split_axes(role, grid):
    rows, cols = ("[]", "[0]") if grid == "g" else ("[0]", "[1]")
    return {"F": f"[{rows}, {cols}]", "R": f"[{rows}]", "C": f"[{cols}]"}[role]


def emit(case, sharded):
    name, op, dt, res, aff, grid = case
    ins, outs = signature(op, res, aff)
    lines, args = [], []
    vals = {}
    for i, (n, role) in enumerate(ins):
        t = ttype(shape_of(role), dtype_of(n, dt))
        args.append(f"%a{i}: {t}")
        v = f"%a{i}"
        if sharded:
            lines.append(f"  %s{i} = shard.sharding @{grid} split_axes = {split_axes(role, grid)}"
                         " : !shard.sharding")
            lines.append(f"  %in{i} = shard.shard {v} to %s{i} annotate_for_users : {t}")
            v = f"%in{i}"
        vals[n] = (v, t)
    inits = []
    for j, (n, role) in enumerate(outs):
        t = ttype(shape_of(role), dtype_of(n, dt))
        lines.append(f"  %e{j} = tensor.empty() : {t}")
        inits.append((n, f"%e{j}", t))
    kw = {n: f"{n}({v} : {t})" for n, (v, t) in vals.items()}
    if op in ("rms_norm", "layer_norm"):
        text = f"norm.{op} ins({vals['x'][0]} : {vals['x'][1]})"
        for k in ("gamma", "beta", "residual"):
            if k in kw:
                text += " " + kw[k]
        n0, v0, t0 = inits[0]
        text += f" outs({v0} : {t0})"
        for n, v, t in inits[1:]:
            text += f" {n}({v} : {t})"
        text += f" {{epsilon = {EPS[op.split('_')[0]]:.1e} : f64}}"
    else:
        pos = ["dy", "x"] + (["mean"] if op == "layer_norm_grad" else []) + ["rstd"]
        text = f"norm.{op} ins(" + ", ".join(f"{vals[k][0]} : {vals[k][1]}" for k in pos) + ")"
        if "gamma" in kw:
            text += " " + kw["gamma"]
        text += " outs" + "".join(f" {n}({v} : {t})" for n, v, t in inits)
    types = [t for _, _, t in inits]
    text += " -> " + ", ".join(types)
    results = [f"%r{j}" for j in range(len(inits))]
    lines.append(f"  {', '.join(results)} = {text}")
    rets = []
    for j, ((n, role), (_, _, t)) in enumerate(zip(outs, inits)):
        if sharded:
            lines.append(f"  %os{j} = shard.sharding @{grid} split_axes = "
                         f"{split_axes(role, grid)} : !shard.sharding")
            lines.append(f"  %o{j} = shard.shard {results[j]} to %os{j} annotate_for_users : {t}")
            rets.append(f"%o{j}")
        else:
            rets.append(results[j])
    lines.append(f"  return {', '.join(rets)} : {', '.join(types)}")
    head = f"func.func @{name}({', '.join(args)}) -> ({', '.join(types)}) {{"
    return head + "\n" + "\n".join(lines) + "\n}\n"


def compile_all(norm_opt, workdir, p):
    os.makedirs(workdir, exist_ok=True)
    cs = cases(p)
    grids = f"shard.grid @g(shape = {p})\n" + ("shard.grid @g2(shape = 2x2)\n" if p == 4 else "")
    split = grids + "".join(emit(c, True) for c in cs)
    nc.compile_module(norm_opt, split, workdir, name=f"split.{p}",
                      options="parallel=false mpi-implementation=MPICH",
                      before="func.func(sharding-propagation),func.func(shard-partition),"
                             "canonicalize",
                      libs=("-lmpich",))
    if not os.path.exists(os.path.join(workdir, "unsplit.so")):
        unsplit = "".join(emit(c, False) for c in cases(4))
        nc.compile_module(norm_opt, unsplit, workdir, name="unsplit", options="parallel=false")


# ---------------------------------------------------------------------------
# Running
# ---------------------------------------------------------------------------


def local_slice(role, grid, rank, p):
    """Index of this rank's shard of an operand of `role`."""
    if grid == "g":
        r_rows, n_rows, r_cols, n_cols = 0, 1, rank, p
    else:
        r_rows, n_rows, r_cols, n_cols = rank // 2, 2, rank % 2, 2
    rows = slice(r_rows * M // n_rows, (r_rows + 1) * M // n_rows)
    cols = slice(r_cols * N // n_cols, (r_cols + 1) * N // n_cols)
    return {"F": (rows, cols), "R": (rows,), "C": (cols,)}[role]


def inputs(case, rng):
    name, op, dt, res, aff, grid = case
    layer = op.startswith("layer")
    x = rng.standard_normal((M, N)) + (100.0 if layer else 0.0)
    v = {"x": nc.round_to(x, dt)}
    if res:
        v["residual"] = nc.round_to(0.5 * rng.standard_normal((M, N)), dt)
    if aff:
        v["gamma"] = nc.round_to(1.0 + 0.25 * rng.standard_normal(N), dt)
        if layer:
            v["beta"] = nc.round_to(0.1 * rng.standard_normal(N), dt)
    if op.endswith("_grad"):
        v["dy"] = nc.round_to(rng.standard_normal((M, N)), dt)
        fwd = nc.reference(op[:-5], {"x": v["x"]}, "f64", 1, EPS[op.split("_")[0]])
        v["rstd"] = nc.round_to(fwd["rstd"], "f32")
        if layer:
            v["mean"] = nc.round_to(fwd["mean"], "f32")
    return v


def check_case(case, split_lib, unsplit_lib, rank, p, rng):
    name, op, dt, res, aff, grid = case
    ins, outs = signature(op, res, aff)
    v = inputs(case, rng)
    full_args = [nc.to_storage(v[n], dtype_of(n, dt)) for n, _ in ins]
    local_args = [np.ascontiguousarray(a[local_slice(role, grid, rank, p)])
                  for a, (_, role) in zip(full_args, ins)]
    full_specs = [(shape_of(role), dtype_of(n, dt)) for n, role in outs]
    local_specs = [(tuple(len(range(*s.indices(d))) for s, d in
                          zip(local_slice(role, grid, rank, p), shape_of(role))), dtype_of(n, dt))
                   for n, role in outs]
    got = split_lib.call_returning(name, local_args, local_specs)
    want = unsplit_lib.call_returning(name, full_args, full_specs)
    ref = nc.reference(op, v, dt, 1, EPS[op.split("_")[0]])
    failures = []
    for (n, role), g, w in zip(outs, got, want):
        odt = dtype_of(n, dt)
        sl = local_slice(role, grid, rank, p)
        g = nc.from_storage(g, odt)
        w = nc.from_storage(w, odt)[sl]
        r = np.asarray(ref[n], dtype=np.float64)[sl]
        unit = UNIT[odt] * max(1.0, float(np.max(np.abs(r))))
        if not np.all(np.isfinite(g)):
            failures.append(f"{n}: non-finite values")
            continue
        agree = float(np.max(np.abs(g - w)))
        err_split = float(np.max(np.abs(g - r)))
        err_unsplit = float(np.max(np.abs(w - r)))
        if agree > AGREE[odt] * unit or err_split > err_unsplit + unit:
            failures.append(f"{n}: |split-unsplit| {agree:.3g}, err split {err_split:.3g} "
                            f"vs unsplit {err_unsplit:.3g} (unit {unit:.3g})")
    return failures


def run_all(workdir, p):
    mpi = ctypes.CDLL("libmpich.so.12", mode=ctypes.RTLD_GLOBAL)
    mpi.MPI_Init(None, None)
    rank, size = ctypes.c_int(), ctypes.c_int()
    mpi.MPI_Comm_rank(ctypes.c_int(MPICH_COMM_WORLD), ctypes.byref(rank))
    mpi.MPI_Comm_size(ctypes.c_int(MPICH_COMM_WORLD), ctypes.byref(size))
    rank, size = rank.value, size.value
    lines = []
    if size != p:
        lines.append(f"FAILED: started with {size} processes, compiled for {p}")
    else:
        split_lib = nc.Library(os.path.join(workdir, f"split.{p}.so"))
        unsplit_lib = nc.Library(os.path.join(workdir, "unsplit.so"))
        for k, case in enumerate(cases(p)):
            # Every rank draws the same inputs.
            rng = np.random.default_rng(1000 + k)
            fails = check_case(case, split_lib, unsplit_lib, rank, p, rng)
            lines.append(("FAILED " if fails else "ok ") + case[0] +
                         ("" if not fails else ": " + "; ".join(fails)))
    with open(os.path.join(workdir, f"result.{p}.{rank}"), "w") as f:
        f.write("\n".join(lines) + "\n")
    mpi.MPI_Finalize()


def mismatch(workdir, p):
    """Calls the first function compiled for `p` processes on however many
    were started: it must stop with its message (issue 21 item 7)."""
    mpi = ctypes.CDLL("libmpich.so.12", mode=ctypes.RTLD_GLOBAL)
    mpi.MPI_Init(None, None)
    split_lib = nc.Library(os.path.join(workdir, f"split.{p}.so"))
    case = cases(p)[0]
    v = inputs(case, np.random.default_rng(0))
    ins, outs = signature(case[1], case[3], case[4])
    args = [np.ascontiguousarray(nc.to_storage(v[n], dtype_of(n, case[2]))[
        local_slice(role, case[5], 0, p)]) for n, role in ins]
    specs = [(tuple(len(range(*s.indices(d))) for s, d in
                    zip(local_slice(role, case[5], 0, p), shape_of(role))),
              dtype_of(n, case[2])) for n, role in outs]
    split_lib.call_returning(case[0], args, specs)
    print("mismatch: the call returned (no check)", flush=True)
    mpi.MPI_Finalize()


def summary(workdir, p):
    passed = failed = 0
    for rank in range(p):
        path = os.path.join(workdir, f"result.{p}.{rank}")
        if not os.path.exists(path):
            print(f"FAILED: rank {rank} wrote no result")
            failed += 1
            continue
        for line in open(path).read().splitlines():
            if line.startswith("ok "):
                passed += 1
            else:
                failed += 1
                print(f"rank {rank}: {line}")
    print(f"{p} processes: {passed} passed, {failed} failed")
    return 1 if failed or not passed else 0


if __name__ == "__main__":
    mode = sys.argv[1]
    if mode == "compile":
        compile_all(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    elif mode == "run":
        run_all(sys.argv[2], int(sys.argv[3]))
    elif mode == "mismatch":
        mismatch(sys.argv[2], int(sys.argv[3]))
    else:
        sys.exit(summary(sys.argv[2], int(sys.argv[3])))
