"""The AOT kernel library behind norm_torch's ops: a shared library made by
scripts/build-torch-lib.sh (norm-opt + scripts/norm-aot.sh) and its JSON
manifest (scripts/gen_gpu_cases.py torch). Each function is
`int32 norm_<variant>_<dtype>_<N|dyn>(stream, ptr..., dynamic sizes...,
eps?)`; calls go on the caller's current stream, asynchronously."""
import ctypes
import json
import os

_DTYPES = {"f32": "float32", "f16": "float16", "bf16": "bfloat16"}


class Kernel:
    """One entry point, with its ctypes signature set once."""

    __slots__ = ("fn", "name", "args", "sizes", "has_eps", "static_n")

    def __init__(self, lib, case):
        self.name = case["name"]
        self.fn = getattr(lib, "norm_" + self.name)
        self.args = [a["name"] for a in case["args"]]
        # The dynamic sizes, in order: (argument index, dim index).
        self.sizes = [(i, d) for i, a in enumerate(case["args"])
                      for d, s in enumerate(a["shape"]) if s in ("M", "N")]
        self.has_eps = bool(case.get("scalars"))
        self.static_n = case["static_n"]
        self.fn.restype = ctypes.c_int32
        self.fn.argtypes = ([ctypes.c_void_p] * (1 + len(self.args)) +
                            [ctypes.c_int64] * len(self.sizes) +
                            ([ctypes.c_float] if self.has_eps else []))

    def __call__(self, stream, tensors, eps=None):
        """tensors: name -> 2-D rows / 1-D columns or stats, contiguous, on
        the GPU. Raises RuntimeError with the runtime's code on failure."""
        ts = [tensors[a] for a in self.args]
        sizes = [ts[i].shape[d] for i, d in self.sizes]
        extra = [eps] if self.has_eps else []
        err = self.fn(stream, *[t.data_ptr() for t in ts], *sizes, *extra)
        if err != 0:
            raise RuntimeError(f"norm_torch: norm_{self.name} failed with "
                               f"error {err} (see stderr)")


class KernelLibrary:
    def __init__(self, so_path, manifest_path):
        self.path = so_path
        self.lib = ctypes.CDLL(so_path)
        with open(manifest_path) as f:
            cases = json.load(f)
        self.kernels = {c["name"]: Kernel(self.lib, c) for c in cases}
        self.static_ns = sorted({c["n"] for c in cases if c["static_n"]})

    def find(self, variant, dtype, n):
        """The kernel for `variant` (e.g. 'rms_res', 'ln_bwd_dx') at dtype
        (torch dtype) and row length n: the static-N one if compiled, else
        the dynamic-N one."""
        dt = {"torch.float32": "f32", "torch.float16": "f16",
              "torch.bfloat16": "bf16"}.get(str(dtype))
        if dt is None:
            raise TypeError(f"norm_torch: dtype {dtype} is not supported "
                            "(float32, float16, bfloat16)")
        k = self.kernels.get(f"{variant}_{dt}_{n}")
        if k is None:
            k = self.kernels.get(f"{variant}_{dt}_dyn")
        if k is None:
            raise KeyError(f"norm_torch: no kernel {variant} for {dt} in "
                           f"{self.path}")
        return k


def default_paths():
    """Where the library is looked for: $NORM_TORCH_LIB (the .so; the
    manifest beside it with .json), else <package>/lib/, else the source
    tree's build/torch/."""
    env = os.environ.get("NORM_TORCH_LIB")
    if env:
        return env, os.path.splitext(env)[0] + ".json"
    here = os.path.dirname(os.path.abspath(__file__))
    for d in (os.path.join(here, "lib"),
              os.path.join(here, "..", "..", "build", "torch")):
        so = os.path.join(d, "libnorm_torch.so")
        if os.path.exists(so):
            return so, os.path.join(d, "libnorm_torch.json")
    return None, None
