#!/usr/bin/env bash
# CI step of the perf branch: cpucompat's baseline against libvirt's in-process
# virConnectBaselineCPU on the same pool files (2, 18 and 1,000 real hosts), side by side.
# Prints both times and the ratio (wall-clock, informative only) and FAILS when libvirt's
# baseline XML differs from cpucompat's. The instruction-count gate itself is
# `cargo bench --bench gate`, already a step of .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."
for tool in cc pkg-config; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "perf: libvirt side-by-side skipped: $tool is not installed"
    exit 0
  fi
done
if ! pkg-config --exists libvirt; then
  echo "perf: libvirt side-by-side skipped: libvirt's headers (libvirt-dev) are not installed"
  exit 0
fi
cargo bench --bench libvirt -- --quick
