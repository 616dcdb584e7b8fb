"""Compile norm ops with norm-opt --norm-lower-to-cpu and call them from numpy.

A small runtime for tests, the benchmark and the README example:

* `emit_function` writes one MLIR function for a norm op in the
  destination-passing convention the CPU pipeline is built for: every operand
  is a memref argument; inputs are read through `bufferization.to_tensor
  restrict`, outputs written in place with `materialize_in_destination`.
* `compile_module` runs norm-opt, mlir-translate, opt, llc and the C compiler to a
  shared library; `Library.call` passes numpy arrays as memref descriptors to
  the `_mlir_ciface_` wrappers.
* `reference` is an independent float64 numpy implementation of the ops'
  meaning in docs/Norm.md.

bf16 arrays are numpy uint16 arrays holding the bit patterns.

Needs Python 3 with numpy (Debian: python3-numpy, for /usr/bin/python3). A
script run under another python without numpy (a pyenv one, say) is run
again under /usr/bin/python3 when that one has numpy; otherwise the import
fails with a message naming what is missing.
"""

import ctypes
import os
import subprocess
import sys
import tempfile

try:
    import numpy as np
except ImportError:
    _DEBIAN_PYTHON = "/usr/bin/python3"
    _script = sys.argv[0] if sys.argv else ""
    if (os.path.isfile(_script) and os.path.exists(_DEBIAN_PYTHON)
            and os.path.realpath(sys.executable)
            != os.path.realpath(_DEBIAN_PYTHON)
            and not os.environ.get("NORM_PYTHON_REEXEC")):
        os.environ["NORM_PYTHON_REEXEC"] = "1"
        os.execv(_DEBIAN_PYTHON, [_DEBIAN_PYTHON] + sys.argv)
    raise ImportError(
        f"normcpu needs numpy, which {sys.executable} does not have: install "
        "it (Debian: apt-get install python3-numpy) and run with "
        f"{_DEBIAN_PYTHON}") from None

LLVM_BIN = "/usr/lib/llvm-22/bin"
LLVM_LIB = "/usr/lib/llvm-22/lib"
# LLVM lowers a few bf16 conversions of odd-sized vectors to compiler-rt
# calls (__truncsfbf2); gcc 12's libgcc does not have them.
BUILTINS = LLVM_LIB + "/clang/22/lib/linux/libclang_rt.builtins-x86_64.a"

ELEM = {"f32": np.float32, "f16": np.float16, "bf16": np.uint16, "f64": np.float64}

# ---------------------------------------------------------------------------
# dtype helpers
# ---------------------------------------------------------------------------


def round_to(a, dtype):
    """float64 array rounded to `dtype` and back (round to nearest even)."""
    a = np.asarray(a, dtype=np.float64)
    if dtype == "f64":
        return a.copy()
    if dtype == "f32":
        return a.astype(np.float32).astype(np.float64)
    if dtype == "f16":
        return a.astype(np.float16).astype(np.float64)
    return from_storage(to_storage(a, "bf16"), "bf16")


def to_storage(a, dtype):
    """float64 values → the array the kernel reads (bf16: uint16 bits)."""
    a = np.asarray(a, dtype=np.float64)
    if dtype != "bf16":
        return np.ascontiguousarray(a.astype(ELEM[dtype]))
    bits = a.astype(np.float32).view(np.uint32).astype(np.uint64)
    nan = np.isnan(a)
    bits = ((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16).astype(np.uint16)
    bits[nan] = 0x7FC0
    return np.ascontiguousarray(bits)


def from_storage(a, dtype):
    if dtype != "bf16":
        return np.asarray(a, dtype=np.float64)
    return (a.astype(np.uint32) << 16).view(np.float32).astype(np.float64)


# ---------------------------------------------------------------------------
# MLIR emission
# ---------------------------------------------------------------------------

ROWS, COLS, FULL, STATS = "R", "C", "F", "S"

# Operand order and keywords of each op: (name, role, is_input, keyword).
# keyword None: positional in `ins(...)` / `outs(...)`.
SIGNATURES = {
    "rms_norm": [("x", FULL, True, None), ("gamma", COLS, True, "gamma"),
                 ("beta", COLS, True, "beta"), ("residual", FULL, True, "residual"),
                 ("y", FULL, False, None), ("rstd", ROWS, False, "rstd"),
                 ("residual_out", FULL, False, "residual_out")],
    "layer_norm": [("x", FULL, True, None), ("gamma", COLS, True, "gamma"),
                   ("beta", COLS, True, "beta"), ("residual", FULL, True, "residual"),
                   ("y", FULL, False, None), ("mean", ROWS, False, "mean"),
                   ("rstd", ROWS, False, "rstd"),
                   ("residual_out", FULL, False, "residual_out")],
    "rms_norm_grad": [("dy", FULL, True, None), ("x", FULL, True, None),
                      ("rstd", ROWS, True, None), ("gamma", COLS, True, "gamma"),
                      ("dx", FULL, False, "dx"), ("dgamma", COLS, False, "dgamma"),
                      ("dbeta", COLS, False, "dbeta")],
    "layer_norm_grad": [("dy", FULL, True, None), ("x", FULL, True, None),
                        ("mean", ROWS, True, None), ("rstd", ROWS, True, None),
                        ("gamma", COLS, True, "gamma"), ("dx", FULL, False, "dx"),
                        ("dgamma", COLS, False, "dgamma"), ("dbeta", COLS, False, "dbeta")],
    "rms_norm_pre_all_gather": [("x", FULL, True, None), ("residual", FULL, True, "residual"),
                                ("stats", STATS, False, None),
                                ("residual_out", FULL, False, "residual_out")],
    "layer_norm_pre_all_gather": [("x", FULL, True, None), ("residual", FULL, True, "residual"),
                                  ("stats", STATS, False, None),
                                  ("residual_out", FULL, False, "residual_out")],
    "rms_norm_post_all_gather": [("x", FULL, True, None), ("stats", STATS, True, "stats"),
                                 ("gamma", COLS, True, "gamma"), ("beta", COLS, True, "beta"),
                                 ("y", FULL, False, None), ("rstd", ROWS, False, "rstd")],
    "layer_norm_post_all_gather": [("x", FULL, True, None), ("stats", STATS, True, "stats"),
                                   ("gamma", COLS, True, "gamma"), ("beta", COLS, True, "beta"),
                                   ("y", FULL, False, None), ("mean", ROWS, False, "mean"),
                                   ("rstd", ROWS, False, "rstd")],
}

GRAD_OPS = ("rms_norm_grad", "layer_norm_grad")


def entries_per_shard(op):
    return 2 if op.startswith("rms") else 3


def operand_shape(role, lead, norm, stats_width=None):
    if role == FULL:
        return tuple(lead) + tuple(norm)
    if role == ROWS:
        return tuple(lead)
    if role == COLS:
        return tuple(norm)
    return tuple(lead) + (stats_width,)


def operand_dtype(op, name, dtype, param_dtype):
    if name in ("gamma", "beta"):
        return param_dtype
    if name in ("mean", "rstd", "stats", "dgamma", "dbeta"):
        return "f32"
    return dtype


def memref_type(shape, dtype, dynamic):
    dims = ["?" if dynamic else str(d) for d in shape]
    return "memref<" + "".join(d + "x" for d in dims) + dtype + ">"


def tensor_type(shape, dtype, dynamic):
    return memref_type(shape, dtype, dynamic).replace("memref<", "tensor<", 1)


def emit_function(name, op, present, dtype, lead, norm, dynamic=False,
                  param_dtype=None, attrs=None, stats_width=None):
    """One function `@name` computing `op` with the operands in `present`.

    Arguments are the present operands in the op's order, all memrefs.
    Returns (mlir_text, [(operand name, shape, dtype)]) for the arguments.
    """
    param_dtype = param_dtype or dtype
    sig = [s for s in SIGNATURES[op] if s[0] in present]
    args, body, ins, outs, results = [], [], [], [], []
    arg_info = []
    for i, (oname, role, is_input, kw) in enumerate(sig):
        shape = operand_shape(role, lead, norm, stats_width)
        odt = operand_dtype(op, oname, dtype, param_dtype)
        mt, tt = memref_type(shape, odt, dynamic), tensor_type(shape, odt, dynamic)
        args.append(f"%m{i}: {mt}")
        arg_info.append((oname, shape, odt))
        writable = "" if is_input else " writable"
        body.append(f"  %t{i} = bufferization.to_tensor %m{i} restrict{writable} : {mt} to {tt}")
        (ins if is_input else outs).append((i, kw, tt, mt))
    text = []
    positional = [f"%t{i} : {tt}" for i, kw, tt, _ in ins if kw is None]
    op_text = f"norm.{op} ins(" + ", ".join(positional) + ")"
    for i, kw, tt, _ in ins:
        if kw is not None:
            op_text += f" {kw}(%t{i} : {tt})"
    if op in GRAD_OPS:
        op_text += " outs"
        for i, kw, tt, _ in outs:
            op_text += f" {kw}(%t{i} : {tt})"
    else:
        first = outs[0]
        op_text += f" outs(%t{first[0]} : {first[2]})"
        for i, kw, tt, _ in outs[1:]:
            op_text += f" {kw}(%t{i} : {tt})"
    attr_items = dict(attrs or {})
    if "pre_all_gather" in op or "post_all_gather" in op:
        attr_items.setdefault("stats_layout", "#norm.stats<count_sumsq>" if op.startswith("rms")
                              else "#norm.stats<count_sum_m2>")
    if attr_items:
        op_text += " {" + ", ".join(f"{k} = {v}" for k, v in attr_items.items()) + "}"
    op_text += " -> " + ", ".join(tt for _, _, tt, _ in outs)
    res_names = [f"%r{k}" for k in range(len(outs))]
    text.append(f"func.func @{name}(" + ", ".join(args) + ") {")
    text += body
    text.append(f"  {', '.join(res_names)} = {op_text}")
    for k, (i, kw, tt, mt) in enumerate(outs):
        text.append(f"  bufferization.materialize_in_destination {res_names[k]} in restrict"
                    f" writable %m{i} : ({tt}, {mt}) -> ()")
    text += ["  return", "}"]
    return "\n".join(text) + "\n", arg_info


# ---------------------------------------------------------------------------
# Compilation and calls
# ---------------------------------------------------------------------------


def run(cmd, **kw):
    r = subprocess.run(cmd, capture_output=True, text=kw.pop("text", True), **kw)
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, cmd))} failed ({r.returncode}):\n"
                           f"{r.stderr[-4000:] if isinstance(r.stderr, str) else r.stderr}")
    return r


def compile_module(norm_opt, mlir_text, workdir, name="kernels", options="",
                   cc="cc", before="", libs=()):
    """Compiles `mlir_text` to `workdir/name.so`; returns its path."""
    src = os.path.join(workdir, name + ".mlir")
    lowered = os.path.join(workdir, name + ".llvm.mlir")
    ll = os.path.join(workdir, name + ".ll")
    obj = os.path.join(workdir, name + ".o")
    so = os.path.join(workdir, name + ".so")
    with open(src, "w") as f:
        f.write(mlir_text)
    # `before`: passes to run first (e.g. sharding-propagation and
    # shard-partition for distributed code), as a textual pipeline.
    lower = "norm-lower-to-cpu" + (f"{{{options}}}" if options else "")
    pipeline = f"--pass-pipeline=builtin.module({before + ',' if before else ''}{lower})"
    run([norm_opt, pipeline, src, "-o", lowered])
    run([os.path.join(LLVM_BIN, "mlir-translate"), "--mlir-to-llvmir", lowered, "-o", ll])
    # LLVM's optimizer, then code generation: `opt -O3` hoists and strength-
    # reduces what llc alone leaves in the loops (docs/CPU.md).
    bc = os.path.join(workdir, name + ".opt.bc")
    run([os.path.join(LLVM_BIN, "opt"), "-O3", ll, "-o", bc])
    run([os.path.join(LLVM_BIN, "llc"), "-O3", "-filetype=obj", "--relocation-model=pic",
         bc, "-o", obj])
    run([cc, "-shared", obj, "-o", so, f"-L{LLVM_LIB}", f"-Wl,-rpath,{LLVM_LIB}", "-lomp", "-lm",
         # memrefCopy (memref.copy between non-contiguous buffers)
         "-lmlir_c_runner_utils",
         BUILTINS, *libs])
    return so


class Descriptor:
    """ctypes memref descriptors, one Structure class per rank."""
    _classes = {}

    @classmethod
    def for_rank(cls, rank):
        if rank not in cls._classes:
            fields = [("allocated", ctypes.c_void_p), ("aligned", ctypes.c_void_p),
                      ("offset", ctypes.c_int64)]
            if rank:
                fields += [("sizes", ctypes.c_int64 * rank), ("strides", ctypes.c_int64 * rank)]
            cls._classes[rank] = type(f"MemRef{rank}D", (ctypes.Structure,), {"_fields_": fields})
        return cls._classes[rank]

    @classmethod
    def make(cls, array):
        assert array.flags["C_CONTIGUOUS"]
        d = cls.for_rank(array.ndim)()
        d.allocated = d.aligned = array.ctypes.data
        d.offset = 0
        for k in range(array.ndim):
            d.sizes[k] = array.shape[k]
            d.strides[k] = array.strides[k] // array.itemsize
        return d


class Library:
    def __init__(self, path):
        self.lib = ctypes.CDLL(path)

    def function(self, name):
        fn = getattr(self.lib, "_mlir_ciface_" + name)
        fn.restype = None
        return fn

    def call(self, name, arrays):
        descs = [Descriptor.make(a) for a in arrays]
        self.function(name)(*[ctypes.byref(d) for d in descs])

    def call_returning(self, name, arrays, out_specs):
        """Calls a function that returns its outputs as memrefs it allocated
        (tensor results bufferized at the function boundary): the C interface
        takes a pointer to them first. `out_specs` is [(shape, dtype)];
        returns numpy copies and frees the buffers."""
        fields = [(f"r{j}", Descriptor.for_rank(len(shape)))
                  for j, (shape, _) in enumerate(out_specs)]
        results = type("Results", (ctypes.Structure,), {"_fields_": fields})()
        descs = [Descriptor.make(a) for a in arrays]
        self.function(name)(ctypes.byref(results), *[ctypes.byref(d) for d in descs])
        libc = ctypes.CDLL(None)
        outs = []
        for j, (shape, dt) in enumerate(out_specs):
            d = getattr(results, f"r{j}")
            got = tuple(d.sizes[k] for k in range(len(shape)))
            if got != tuple(shape):
                raise RuntimeError(f"{name}: result {j} has shape {got}, expected {shape}")
            elem = np.dtype(ELEM[dt])
            nbytes = int(np.prod(shape)) * elem.itemsize
            buf = (ctypes.c_char * nbytes).from_address(d.aligned + d.offset * elem.itemsize)
            outs.append(np.frombuffer(buf, dtype=elem).reshape(shape).copy())
            libc.free(ctypes.c_void_p(d.allocated))
        return outs


# ---------------------------------------------------------------------------
# float64 reference (docs/Norm.md)
# ---------------------------------------------------------------------------


def reference(op, v, dtype, nlead, eps, offset=0.0, llama=False):
    """Outputs of `op` in float64 from the float64 inputs in `v` (dict).

    Outputs that the kernel stores in a narrower type are rounded to it, as
    the contract says (y/dx/residual_out once, at the end)."""
    axes = tuple(range(nlead, v["x"].ndim))
    out = {}
    if op in ("rms_norm", "layer_norm", "rms_norm_pre_all_gather", "layer_norm_pre_all_gather"):
        h = v["x"] if v.get("residual") is None else round_to(v["x"] + v["residual"], dtype)
        out["residual_out"] = h
        n = np.prod([v["x"].shape[a] for a in axes])
        if op == "rms_norm_pre_all_gather":
            out["stats"] = np.stack([np.full(h.shape[:nlead], float(n)),
                                     (h * h).sum(axis=axes)], axis=-1)
            return out
        if op == "layer_norm_pre_all_gather":
            s = h.sum(axis=axes)
            m = s / n
            c = h - m.reshape(m.shape + (1,) * len(axes))
            out["stats"] = np.stack([np.full(h.shape[:nlead], float(n)), s,
                                     (c * c).sum(axis=axes)], axis=-1)
            return out
        mean = h.mean(axis=axes) if op == "layer_norm" else np.zeros(h.shape[:nlead])
        c = h - mean.reshape(mean.shape + (1,) * len(axes))
        var = (c * c).mean(axis=axes)
        rstd = 1.0 / np.sqrt(var + eps)
        out["mean"], out["rstd"] = mean, rstd
        xhat = c * rstd.reshape(rstd.shape + (1,) * len(axes))
    elif op in ("rms_norm_post_all_gather", "layer_norm_post_all_gather"):
        k = entries_per_shard(op)
        st = v["stats"].reshape(v["stats"].shape[:-1] + (-1, k))
        n = st[..., 0].sum(axis=-1)
        if op.startswith("rms"):
            mean = np.zeros(n.shape)
            var = st[..., 1].sum(axis=-1) / n
        else:
            mean = st[..., 1].sum(axis=-1) / n
            with np.errstate(invalid="ignore", divide="ignore"):
                shard_mean = np.where(st[..., 0] > 0, st[..., 1] / st[..., 0], 0.0)
            between = (st[..., 0] * (shard_mean - mean[..., None]) ** 2).sum(axis=-1)
            var = (st[..., 2].sum(axis=-1) + between) / n
        rstd = 1.0 / np.sqrt(var + eps)
        out["mean"], out["rstd"] = mean, rstd
        c = v["x"] - mean.reshape(mean.shape + (1,) * len(axes))
        xhat = c * rstd.reshape(rstd.shape + (1,) * len(axes))
    else:  # gradients
        x, dy, rstd = v["x"], v["dy"], v["rstd"]
        mean = v.get("mean")
        mean = np.zeros(rstd.shape) if mean is None else mean
        ex = (1,) * len(axes)
        xhat = (x - mean.reshape(mean.shape + ex)) * rstd.reshape(rstd.shape + ex)
        g = dy if v.get("gamma") is None else dy * (v["gamma"] + offset)
        c1 = (g * xhat).mean(axis=axes)
        d = g - xhat * c1.reshape(c1.shape + ex)
        if op == "layer_norm_grad":
            d = d - g.mean(axis=axes).reshape(c1.shape + ex)
        out["dx"] = round_to(d * rstd.reshape(rstd.shape + ex), dtype)
        lead_axes = tuple(range(nlead))
        out["dgamma"] = (dy * xhat).sum(axis=lead_axes)
        out["dbeta"] = dy.sum(axis=lead_axes)
        return out
    y = xhat
    if llama:
        y = round_to(y, dtype)
    if v.get("gamma") is not None:
        y = y * (v["gamma"] + offset)
    if v.get("beta") is not None:
        y = y + v["beta"]
    out["y"] = round_to(y, dtype)
    return out


def make_workdir():
    return tempfile.mkdtemp(prefix="normcpu-")
