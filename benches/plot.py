#!/usr/bin/env python3
"""Plots baseline time against pool size, log-log, for cpucompat and libvirt.

Reads the CSV that `cargo bench --bench libvirt` writes (target/bench/baseline-sizes.csv:
hosts, bytes, cpucompat_ns, libvirt_ns, ratio: medians, and the median of the paired
rounds' ratios libvirt / cpucompat; empty libvirt fields where libvirt was not run) and
writes benches/baseline-sizes.png, the figure of BENCHMARKS.md.

    pip install matplotlib
    python3 benches/plot.py [CSV] [PNG]
"""
import csv
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

root = Path(__file__).resolve().parent.parent
src = Path(sys.argv[1]) if len(sys.argv) > 1 else root / "target/bench/baseline-sizes.csv"
out = Path(sys.argv[2]) if len(sys.argv) > 2 else root / "benches/baseline-sizes.png"

rows = list(csv.DictReader(src.open()))
ours = [(int(r["hosts"]), float(r["cpucompat_ns"]) / 1e6) for r in rows]
theirs = [(int(r["hosts"]), float(r["libvirt_ns"]) / 1e6) for r in rows if r["libvirt_ns"]]
ratios = [float(r["ratio"]) if r.get("ratio") else None for r in rows if r["libvirt_ns"]]

fig, ax = plt.subplots(figsize=(7, 4.5), dpi=120)
ax.plot(*zip(*ours), "o-", label="cpucompat (Engine::read_pool + baseline)")
if theirs:
    ax.plot(*zip(*theirs), "s-", label="libvirt 11.3 (virConnectBaselineCPU, test:///default)")
    for (n, a), (_, b), r in zip(ours, theirs, ratios):
        r = r if r is not None else b / a
        ax.annotate(f"{r:.0f}x", (n, (a * b) ** 0.5), ha="center", fontsize=8, color="gray")
ax.set_xscale("log")
ax.set_yscale("log")
ax.set_xlabel("hosts in the pool (real Intel hosts, one XML file)")
ax.set_ylabel("baseline from XML, in-process (ms, median)")
ax.set_title("Baseline time against pool size")
ax.grid(True, which="both", alpha=0.3)
ax.legend()
fig.tight_layout()
fig.savefig(out)
print(f"wrote {out}")
