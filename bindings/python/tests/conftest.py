"""Shared fixtures: the repository's spec cases, and the `cpucompat` command line the
answers are checked against (``$CPUCOMPAT_CLI``, else ``target/release/cpucompat`` of the
checkout; tests that need it skip with the reason when it is absent)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Optional

import pytest

ROOT = Path(__file__).resolve().parents[3]
"""The repository (bindings/python/tests/ → ../../..)."""

X86 = ROOT / "specs" / "cases" / "x86"


def cli_path() -> Optional[Path]:
    env = os.environ.get("CPUCOMPAT_CLI")
    candidates = [Path(env)] if env else [ROOT / "target" / p / "cpucompat" for p in ("release", "debug")]
    return next((p for p in candidates if p.is_file()), None)


@pytest.fixture(scope="session")
def cli():
    """Runs the command line in the repository's root: (exit status, stdout, stderr)."""
    exe = cli_path()
    if exe is None:
        pytest.skip("the cpucompat binary is not built (cargo build --release, or set CPUCOMPAT_CLI)")

    def run(*args: str) -> tuple[int, str, str]:
        p = subprocess.run([str(exe), *args], cwd=ROOT, capture_output=True, text=True, check=False)
        return p.returncode, p.stdout, p.stderr

    return run


@pytest.fixture
def in_root(monkeypatch):
    """Runs the test in the repository's root, so that relative paths name inputs as the
    command line (run there) names them."""
    monkeypatch.chdir(ROOT)
    return ROOT
