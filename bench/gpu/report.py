#!/usr/bin/env python3
"""Table (Markdown) and plot (SVG) of bench/gpu/run.py's CSV.

Usage: report.py GPU.csv OUT.md OUT.svg "DATE, MACHINE"
Table: one row per (op, dtype, M, N) with GB/s of copy, ours, eager,
torch.compile, ours as % of copy, and ours / eager, ours / compile speedups.
Plot: % of copy against N for M = 16384 bf16, one panel per op.
"""
import collections
import csv
import sys


def load(path):
    t = collections.defaultdict(dict)
    for r in csv.DictReader(open(path)):
        key = (r["op"], r["dtype"], int(r["M"]), int(r["N"]))
        t[key][r["impl"]] = float(r["ms"]), float(r["GBps"])
        t[key]["gpu"] = r["gpu"]
    return t


def table(t, title):
    lines = [f"GB/s ({title}); % = ours over the copy of the same bytes; "
             "speedups are time ratios (> 1: ours faster).", "",
             "| op | dtype | M | N | copy | ours | eager | compile | ours % copy "
             "| vs eager | vs compile |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    order = {"rms_fwd": 0, "ln_fwd": 1, "rms_res": 2, "rms_bwd": 3, "ln_bwd": 4}
    for key in sorted(t, key=lambda k: (order.get(k[0], 9), k[1], k[3], k[2])):
        v = t[key]

        def gb(i):
            return f"{v[i][1]:.0f}" if i in v and v[i][1] == v[i][1] else "n/a"

        def sp(i):
            return (f"{v[i][0] / v['ours'][0]:.2f}×"
                    if i in v and v[i][0] == v[i][0] else "n/a")
        pct = 100 * v["ours"][1] / v["copy"][1]
        lines.append(f"| {key[0]} | {key[1]} | {key[2]} | {key[3]} | "
                     f"{gb('copy')} | {gb('ours')} | {gb('eager')} | "
                     f"{gb('compile')} | {pct:.1f}% | {sp('eager')} | "
                     f"{sp('compile')} |")
    return "\n".join(lines) + "\n"


def svg(t, title):
    ops = ["rms_fwd", "ln_fwd", "rms_res", "rms_bwd", "ln_bwd"]
    impls = [("copy", "#888"), ("ours", "#d62728"), ("eager", "#1f77b4"),
             ("compile", "#2ca02c")]
    pw, ph, pad = 260, 200, 40
    width = pad + len(ops) * (pw + pad)
    height = ph + 2 * pad + 40
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" '
           f'height="{height}" font-family="sans-serif" font-size="10">',
           f'<text x="{pad}" y="16" font-size="12">norm GPU benchmark, bf16, '
           f'M = 16384: GB/s against N — {title}</text>']
    for i, op in enumerate(ops):
        x0 = pad + i * (pw + pad)
        y0 = 40
        keys = sorted(k for k in t if k[0] == op and k[1] == "bf16"
                      and k[2] == 16384)
        if not keys:
            continue
        ns = [k[3] for k in keys]
        out.append(f'<rect x="{x0}" y="{y0}" width="{pw}" height="{ph}" '
                   'fill="none" stroke="#000"/>')
        out.append(f'<text x="{x0 + 4}" y="{y0 + 12}">{op}</text>')
        ymax = 4500.0
        for g in range(0, 4501, 1000):
            y = y0 + ph - ph * g / ymax
            out.append(f'<text x="{x0 - 30}" y="{y + 3}">{g}</text>')
        for j, n in enumerate(ns):
            x = x0 + 15 + j * (pw - 30) / max(1, len(ns) - 1)
            out.append(f'<text x="{x - 12}" y="{y0 + ph + 12}">{n}</text>')
        for impl, color in impls:
            pts = []
            for j, k in enumerate(keys):
                if impl in t[k] and t[k][impl][1] == t[k][impl][1]:
                    x = x0 + 15 + j * (pw - 30) / max(1, len(ns) - 1)
                    y = y0 + ph - ph * t[k][impl][1] / ymax
                    pts.append(f"{x:.1f},{y:.1f}")
            out.append(f'<polyline points="{" ".join(pts)}" fill="none" '
                       f'stroke="{color}" stroke-width="2"/>')
    for j, (impl, color) in enumerate(impls):
        x = pad + j * 120
        y = ph + 2 * pad + 20
        out.append(f'<rect x="{x}" y="{y - 8}" width="10" height="10" '
                   f'fill="{color}"/><text x="{x + 14}" y="{y}">'
                   f'{"torch.compile" if impl == "compile" else impl}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def main():
    t = load(sys.argv[1])
    title = sys.argv[4]
    with open(sys.argv[2], "w") as f:
        f.write(table(t, title))
    with open(sys.argv[3], "w") as f:
        f.write(svg(t, title))


if __name__ == "__main__":
    main()
