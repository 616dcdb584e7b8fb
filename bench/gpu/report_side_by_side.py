#!/usr/bin/env python3
"""Table (Markdown) and plot (SVG) of ../shared/bench/gpu_side_by_side.py's
CSV: % of copy against N, one panel per op, one line per implementation.

Usage: report_side_by_side.py SBS.csv OUT.md OUT.svg "DATE, MACHINE, M"
"""
import collections
import csv
import sys

COLORS = {"norm": "#d62728", "liger": "#1f77b4", "triton_tutorial": "#2ca02c",
          "eager": "#7f7f7f", "compile": "#9467bd"}


def main():
    src, md, svg, title = sys.argv[1:5]
    rows = list(csv.DictReader(open(src)))
    pct = collections.defaultdict(dict)  # (op, impl) -> {N: pct}
    impls = []
    for r in rows:
        if r["impl"] == "copy":
            continue
        pct[(r["op"], r["impl"])][int(r["N"])] = float(r["pct_copy"])
        if r["impl"] not in impls:
            impls.append(r["impl"])
    ops = sorted({op for op, _ in pct}, key=lambda o: (o.endswith("bwd"), o))
    ns = sorted({int(r["N"]) for r in rows})
    out = [f"% of a copy of the same bytes ({title}).", ""]
    for op in ops:
        have = [i for i in impls if (op, i) in pct]
        out.append(f"| {op} | " + " | ".join(have) + " |")
        out.append("|---" * (len(have) + 1) + "|")
        for n in ns:
            cells = [f"{pct[(op, i)].get(n, float('nan')):.0f}%" for i in have]
            out.append(f"| N = {n} | " + " | ".join(cells) + " |")
        out.append("")
    open(md, "w").write("\n".join(out))
    w, h, pad = 360, 240, 40
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w * len(ops)}" '
             f'height="{h + 40}" font-family="sans-serif" font-size="11">',
             f'<text x="8" y="14">{title}: % of copy vs N</text>']
    for k, op in enumerate(ops):
        x0 = k * w + pad
        y0 = 30

        def xy(i, v):
            return (x0 + i * (w - 2 * pad) / max(1, len(ns) - 1),
                    y0 + (h - 40) * (1 - v / 100))
        parts.append(f'<text x="{x0}" y="{y0 - 4}">{op}</text>')
        parts.append(f'<rect x="{x0}" y="{y0}" width="{w - 2 * pad}" '
                     f'height="{h - 40}" fill="none" stroke="#ccc"/>')
        for v in (0, 50, 100):
            _, y = xy(0, v)
            parts.append(f'<text x="{x0 - 28}" y="{y + 4}">{v}%</text>')
        for i, n in enumerate(ns):
            x, _ = xy(i, 0)
            parts.append(f'<text x="{x - 12}" y="{y0 + h - 26}">{n}</text>')
        for j, impl in enumerate(i for i in impls if (op, i) in pct):
            pts = [xy(i, pct[(op, impl)][n]) for i, n in enumerate(ns)
                   if n in pct[(op, impl)]]
            c = COLORS.get(impl, "#000")
            parts.append('<polyline fill="none" stroke="%s" stroke-width="2" '
                         'points="%s"/>' % (c, " ".join(f"{x:.1f},{y:.1f}"
                                                        for x, y in pts)))
            parts.append(f'<text x="{x0 + 4}" y="{y0 + 12 + 12 * j}" '
                         f'fill="{c}">{impl}</text>')
    parts.append("</svg>")
    open(svg, "w").write("\n".join(parts))


if __name__ == "__main__":
    main()
