#!/usr/bin/env bash
# CI: a short fuzz run. Builds every cargo-fuzz target of fuzz/Cargo.toml and runs each one
# for a few seconds on its committed seeds (fuzz/corpus/seed/TARGET), two at a time, through
# fuzz/run-all.sh: a crash, timeout or out-of-memory fails CI, and its input is copied into
# the target's seed folder (commit it: `cargo test` then runs it as a regression test).
#
#   .ci/fuzz.sh [SECONDS]    (default 8 seconds per target; 23 targets, two at a time,
#                             take about 2 to 3 minutes once built)
#
# Needs cargo-fuzz (installed here with `cargo install cargo-fuzz --locked` when missing) and
# a C++ compiler (libFuzzer); uses the stable compiler with RUSTC_BOOTSTRAP=1 for the
# sanitizer flags. Skips, saying why, when one of them cannot be had.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-8}
start=$(date +%s)

if ! command -v c++ >/dev/null 2>&1; then
  echo "fuzz skipped: no C++ compiler (c++) to build libFuzzer"
  exit 0
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "=== installing cargo-fuzz"
  if ! cargo install cargo-fuzz --locked >/tmp/cargo-fuzz-install.log 2>&1; then
    tail -5 /tmp/cargo-fuzz-install.log
    echo "fuzz skipped: cargo-fuzz could not be installed (log: /tmp/cargo-fuzz-install.log)"
    exit 0
  fi
fi

export RUSTC_BOOTSTRAP=1
JOBS=2 nice -n 10 fuzz/run-all.sh "$secs"
echo "=== fuzz: $(($(date +%s) - start)) s"
