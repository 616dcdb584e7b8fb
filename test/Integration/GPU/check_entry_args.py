#!/usr/bin/env python3
"""The C entry points' argument checks (issue 18.3) on the GPU: a pointer
that is misaligned for the kernels' 16-byte accesses, a null pointer with a
non-empty size, a negative size, and sizes whose byte count overflows int64
each make the call return CUDA_ERROR_INVALID_VALUE (1) with a message on
stderr naming the entry point and the argument, and launch nothing (the
output keeps its poison); null row pointers with M = 0 are fine (nothing
to read). Then a good call on the same library still works (no sticky error).
Usage: check_entry_args.py LIB.so MANIFEST.json"""
import ctypes
import os
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "..",
                                "scripts"))
import normgpu  # noqa: E402


def main():
    lib = normgpu.Library(sys.argv[1], sys.argv[2])
    name = "rms_norm_bf16_all"  # static N = 4096: 16-byte vectors
    case = lib.cases[name]
    n = case["n"]
    fn = getattr(lib.lib, "norm_" + name)
    fn.restype = ctypes.c_int32
    m = 64

    def tensors():
        t = {}
        for a in case["args"]:
            shape = normgpu.shape_of(a, m, n)
            dt = normgpu.DTYPE[a["dtype"]]
            t[a["name"]] = (torch.randn(shape, device="cuda").to(dt)
                            if a["role"] == "in" else
                            torch.full(shape, float("nan"), device="cuda",
                                       dtype=dt))
        return t

    def call(ptr_override=None, size_override=None):
        t = tensors()
        ptrs, sizes = [], []
        for i, a in enumerate(case["args"]):
            p = t[a["name"]].data_ptr()
            if ptr_override and i in ptr_override:
                p = ptr_override[i](p)
            ptrs.append(ctypes.c_void_p(p))
            for d, s in enumerate(a["shape"]):
                if s in ("M", "N"):
                    sizes.append(t[a["name"]].shape[d])
        if size_override:
            sizes = size_override(sizes)
        torch.cuda.synchronize()
        err = fn(ctypes.c_void_p(torch.cuda.current_stream().cuda_stream),
                 *ptrs, *[ctypes.c_int64(s) for s in sizes])
        torch.cuda.synchronize()
        return err, t

    failures = 0

    def expect(label, err, t, want_err):
        nonlocal failures
        y_untouched = torch.isnan(t["y"]).all().item()
        ok = (err == 1 and y_untouched) if want_err else err == 0
        failures += not ok
        print(f"{'PASS' if ok else 'FAIL'} {label}: returned {err}"
              + (", y untouched" if want_err and y_untouched else ""),
              flush=True)

    x_index = [a["name"] for a in case["args"]].index("x")
    y_index = [a["name"] for a in case["args"]].index("y")
    err, t = call({x_index: lambda p: p + 2})
    expect("x misaligned by 2 bytes", err, t, True)
    err, t = call({y_index: lambda p: p + 8})
    expect("y misaligned by 8 bytes", err, t, True)
    err, t = call({x_index: lambda p: 0})
    expect("x null with M = 64", err, t, True)
    err, t = call(size_override=lambda s: [-1] + s[1:])
    expect("M = -1", err, t, True)
    err, t = call(size_override=lambda s: [2 ** 62] * len(s))
    expect("M = 2^62 (byte count overflows)", err, t, True)
    # M = 0 with null row and statistics pointers: nothing to touch,
    # success (gamma has N elements whatever M is: it stays a real pointer).
    t = tensors()
    ptrs = [ctypes.c_void_p(t[a["name"]].data_ptr() if "M" not in a["shape"]
                            else 0) for a in case["args"]]
    err = fn(ctypes.c_void_p(0), *ptrs,
             *[ctypes.c_int64(0)] * sum(s in ("M", "N") for a in case["args"]
                                         for s in a["shape"]))
    torch.cuda.synchronize()
    ok = err == 0
    failures += not ok
    print(f"{'PASS' if ok else 'FAIL'} M = 0 with null row and stats "
          f"pointers: returned {err}")
    err, t = call()
    ok = err == 0 and not torch.isnan(t["y"]).any().item()
    failures += not ok
    print(f"{'PASS' if ok else 'FAIL'} a good call after the bad ones: "
          f"returned {err}, y written")
    print(f"{7 - failures} of 7 entry-point argument checks passed")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
