"""Per-call overhead of the Python binding: ``Engine.compare`` of two pre-loaded CPUs
against the Rust call (``Engine::compare`` of the same two CPUs, measured by the C
interface's bench, ``cargo bench -p cpucompat-capi --bench overhead``), plus compare from
texts against the Rust read + compare + JSON. Wall-clock medians; a bench that prints,
never a test that asserts.

Run from the repository root, with the package installed:
    python bindings/python/bench/bench_compare.py [--no-rust]
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

import cpucompat

ROOT = Path(__file__).resolve().parents[3]
DATA = ROOT / "specs" / "cases" / "x86" / "data"


def per_call(fn, n: int, rounds: int = 21) -> float:
    """Median seconds per call of ``fn`` over ``rounds`` rounds of ``n`` calls."""
    for _ in range(max(1, n // 10)):
        fn()
    times = []
    for _ in range(rounds):
        t = time.perf_counter()
        for _ in range(n):
            fn()
        times.append((time.perf_counter() - t) / n)
    return statistics.median(times)


def rust_numbers() -> dict[str, float]:
    """The Rust side's medians (µs) from the C interface's overhead bench."""
    out = subprocess.run(
        ["cargo", "bench", "-q", "-p", "cpucompat-capi", "--bench", "overhead"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    numbers = {}
    for line in out.splitlines():
        m = re.match(r"(Rust .*?|C .*?)\s{2,}([0-9.]+)µs", line)
        if m:
            numbers[m.group(1).strip()] = float(m.group(2))
    return numbers


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--no-rust", action="store_true", help="do not run the Rust bench for comparison")
    args = ap.parse_args()

    engine = cpucompat.Engine("x86_64", cpu_map="libvirt-11.3")
    host_text = (DATA / "x86_64-host.xml").read_text()
    guest_text = (DATA / "x86_64-exact-require.xml").read_text()
    host, guest = engine.parse(host_text, "host.xml"), engine.parse(guest_text, "guest.xml")
    compare = engine.compare

    rows = [
        ("Python compare, pre-loaded CPUs", per_call(lambda: compare(host, guest), 20000)),
        ("Python compare(...).verdict, pre-loaded CPUs", per_call(lambda: compare(host, guest).verdict, 20000)),
        ("Python compare from texts + to_json()", per_call(lambda: compare(host_text, guest_text).to_json(), 2000)),
        ("Python models(host) (tuple of ModelUsability)", per_call(lambda: engine.models(host), 200)),
    ]
    print(f"Python {sys.version.split()[0]}, cpucompat {cpucompat.__version__}; x86, libvirt 11.3 map")
    print(f"{'call':<58} {'median/call':>12}")
    for name, s in rows:
        print(f"{name:<58} {s * 1e6:>10.2f}µs")
    if args.no_rust:
        return
    rust = rust_numbers()
    loaded = rust.get("Rust compare, pre-loaded CPUs")
    texts = rust.get("Rust read_one x2 + for_host + compare + to_json_text")
    if loaded is None or texts is None:
        print("(the Rust bench printed no comparable numbers)")
        return
    print(f"{'Rust compare, pre-loaded CPUs':<58} {loaded:>10.2f}µs")
    py = rows[0][1] * 1e6
    print(f"{'  Python overhead per call':<58} {py - loaded:>+10.2f}µs ({py / loaded:.2f}x)")
    print(f"{'Rust read x2 + compare + JSON (texts)':<58} {texts:>10.2f}µs")
    py = rows[2][1] * 1e6
    print(f"{'  Python overhead per call':<58} {py - texts:>+10.2f}µs ({py / texts:.2f}x)")


if __name__ == "__main__":
    main()
