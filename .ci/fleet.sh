#!/usr/bin/env bash
# CI for fleet planning (issue 10), beyond `cargo test --workspace --release`:
#  1. installs Graphviz and Debian's chromium when missing (root + apt-get only), then runs
#     the picture tests strictly: `dot -Tsvg` renders `pool --format dot`, and headless
#     Chromium's screenshot of `pool --format html` shows the diagram (a skip is a failure);
#  2. `pool` of 100,000 real hosts in one file stays under 64 MiB peak memory
#     (`cargo bench --bench fleet`, measured with /usr/bin/time -v).
# Runs from the repository root; skips a step, saying why, when its tool is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "=== fleet: picture tools (graphviz, chromium)"
if ! command -v dot >/dev/null 2>&1 || [ ! -x /usr/bin/chromium ]; then
  if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq || true
    apt-get install -y -qq --no-install-recommends graphviz chromium fonts-dejavu-core >/dev/null \
      || echo "warning: could not install graphviz/chromium"
  else
    echo "cannot install graphviz/chromium here (needs root and apt-get)"
  fi
fi

echo "=== fleet: picture tests (Graphviz render, Chromium screenshot)"
if command -v dot >/dev/null 2>&1 && [ -x /usr/bin/chromium ]; then
  CPUCOMPAT_FLEET_STRICT=1 cargo test --release --test fleet_picture
else
  echo "fleet picture tests skipped: graphviz or /usr/bin/chromium is not installed"
fi

echo "=== fleet: pool of 100,000 hosts, peak memory under 64 MiB"
if [ -x /usr/bin/time ]; then
  cargo bench --bench fleet
else
  echo "fleet memory bench skipped: /usr/bin/time is not installed"
fi
