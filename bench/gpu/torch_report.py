#!/usr/bin/env python3
"""Table (Markdown) and plot (SVG) of bench/gpu/torch_op.py's CSV.

Usage: torch_report.py TORCH.csv OUT.md OUT.svg "DATE, MACHINE"
Table: per (op, M, N) the time in µs of each implementation, norm's custom
op as % of copy and as % of the same kernel on a side stream, and the best
peer (eager, torch.compile, Triton tutorial, Liger-style). Plot: % of copy
against N at the largest M, one panel per op, plus µs against M at N = 4096.
"""
import collections
import csv
import sys

PEERS = ("eager", "compile", "triton_tutorial", "liger")
ORDER = {"rms_fwd": 0, "ln_fwd": 1, "rms_res": 2, "rms_bwd": 3, "ln_bwd": 4}


def load(path):
    t = collections.defaultdict(dict)
    for r in csv.DictReader(open(path)):
        t[(r["op"], int(r["M"]), int(r["N"]))][r["impl"]] = float(r["us"])
    return t


def fmt(v):
    return "" if v is None or v != v else f"{v:.1f}"


def table(t, title):
    lines = [
        f"Through `torch.ops.norm` on the default stream ({title}); bf16; "
        "µs per call (triton.testing.do_bench median, L2 cleared); "
        "`norm_op` = the custom op (C++ kernel registration), `norm_side` = "
        "the same kernel's C entry point on a side stream; % copy = copy "
        "time / norm_op time for the same bytes.", "",
        "| op | M | N | copy | norm_op | norm_side | eager | compile | "
        "Triton tutorial | Liger-style | norm_op % copy | norm_op % side | "
        "best peer | norm_op vs best peer |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    wins = total = 0
    for key in sorted(t, key=lambda k: (ORDER.get(k[0], 9), k[2], k[1])):
        r = t[key]
        peers = {p: r[p] for p in PEERS if p in r and r[p] == r[p]}
        best = min(peers, key=peers.get) if peers else None
        ours = r.get("norm_op")
        total += 1
        wins += best is not None and ours <= peers[best]
        lines.append(
            f"| {key[0]} | {key[1]} | {key[2]} | {fmt(r.get('copy'))} | "
            f"{fmt(ours)} | {fmt(r.get('norm_side'))} | {fmt(r.get('eager'))} | "
            f"{fmt(r.get('compile'))} | {fmt(r.get('triton_tutorial'))} | "
            f"{fmt(r.get('liger'))} | {100 * r['copy'] / ours:.0f}% | "
            f"{100 * r['norm_side'] / ours:.0f}% | "
            f"{best} | {peers[best] / ours:.2f}× |")
    lines += ["", f"norm_op at least as fast as every peer in {wins} of "
              f"{total} rows."]
    return "\n".join(lines) + "\n"


def svg(t, title):
    ops = sorted({k[0] for k in t}, key=lambda o: ORDER.get(o, 9))
    impls = [("norm_op", "#d62728"), ("eager", "#1f77b4"),
             ("compile", "#2ca02c"), ("liger", "#9467bd"),
             ("triton_tutorial", "#ff7f0e")]
    mmax = max(k[1] for k in t)
    pw, ph, pad = 220, 180, 40
    width = pad + len(ops) * (pw + pad)
    height = 2 * ph + 4 * pad + 40
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" '
           f'height="{height}" font-family="sans-serif" font-size="10">',
           f'<text x="{pad}" y="16" font-size="12">norm through torch.ops.norm '
           f'(default stream), bf16 — top: % of copy against N at M = {mmax}; '
           f'bottom: µs against M at N = 4096 (log) — {title}</text>']

    def panel(x0, y0, xs, series, ymax, ylabels, xlabel, log=False):
        out.append(f'<rect x="{x0}" y="{y0}" width="{pw}" height="{ph}" '
                   'fill="none" stroke="#000"/>')
        for g, lab in ylabels:
            y = y0 + ph - ph * g / ymax
            out.append(f'<text x="{x0 - 30}" y="{y + 3}">{lab}</text>')
        for j, xv in enumerate(xs):
            x = x0 + 15 + j * (pw - 30) / max(1, len(xs) - 1)
            out.append(f'<text x="{x - 12}" y="{y0 + ph + 12}">{xv}</text>')
        out.append(f'<text x="{x0 + pw / 2 - 10}" y="{y0 + ph + 26}">'
                   f'{xlabel}</text>')
        for color, vals in series:
            pts = []
            for j, v in enumerate(vals):
                if v is None or v != v:
                    continue
                x = x0 + 15 + j * (pw - 30) / max(1, len(xs) - 1)
                y = y0 + ph - ph * min(v, ymax) / ymax
                pts.append(f"{x:.1f},{y:.1f}")
            out.append(f'<polyline points="{" ".join(pts)}" fill="none" '
                       f'stroke="{color}" stroke-width="2"/>')

    import math
    for i, op in enumerate(ops):
        x0 = pad + i * (pw + pad)
        ns = sorted({k[2] for k in t if k[0] == op and k[1] == mmax})
        series = []
        for impl, color in impls:
            vals = []
            for n in ns:
                r = t[(op, mmax, n)]
                vals.append(100 * r["copy"] / r[impl] if impl in r else None)
            series.append((color, vals))
        out.append(f'<text x="{x0 + 4}" y="{40 + 12}">{op}</text>')
        panel(x0, 40, ns, series, 110, [(g, f"{g}%") for g in (0, 50, 100)],
              "N")
        ms = sorted({k[1] for k in t if k[0] == op and k[2] == 4096})
        series = []
        for impl, color in impls:
            vals = []
            for m in ms:
                r = t.get((op, m, 4096), {})
                vals.append(math.log10(r[impl]) if impl in r else None)
            series.append((color, vals))
        panel(x0, 40 + ph + 2 * pad, ms, series, 3.0,
              [(0, "1"), (1, "10"), (2, "100"), (3, "1000")], "M")
    for j, (impl, color) in enumerate(impls):
        x = pad + j * 130
        y = height - 10
        out.append(f'<rect x="{x}" y="{y - 8}" width="10" height="10" '
                   f'fill="{color}"/><text x="{x + 14}" y="{y}">{impl}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def main():
    t = load(sys.argv[1])
    with open(sys.argv[2], "w") as f:
        f.write(table(t, sys.argv[4]))
    with open(sys.argv[3], "w") as f:
        f.write(svg(t, sys.argv[4]))


if __name__ == "__main__":
    main()
