#!/usr/bin/env bash
# Writes a pool file of N real Intel host <cpu> elements (for `cpucompat baseline`
# throughput measurements; large pools are not committed).
#
#   benches/data/make-pool.sh N OUT [CPUCOMPAT]
#
# The hosts are libvirt's real host CPUs (specs/cases/x86/data/x86_64-cpuid-*-host.xml)
# and the host decodes of the same CPUs' CPUID dumps by the default (newest) catalog,
# cycled in a fixed order, as top-level <cpu> elements (the form `virsh cpu-baseline` reads
# too). Only Intel CPUs, so the baseline of the whole pool is defined (libvirt refuses to
# mix vendors). `benches/data/hosts-1000.xml` is `make-pool.sh 1000`.
set -euo pipefail
cd "$(dirname "$0")/../.."
n=${1:?usage: make-pool.sh N OUT [CPUCOMPAT]}
out=${2:?usage: make-pool.sh N OUT [CPUCOMPAT]}
bin=${3:-target/release/cpucompat}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
i=0
for f in specs/cases/x86/data/x86_64-cpuid-*-host.xml; do
  grep -q '<vendor>Intel</vendor>' "$f" || continue
  cp "$f" "$tmp/$(printf '%03d' $i).xml"; i=$((i + 1))
  dump=${f%-host.xml}.xml
  if [ -f "$dump" ]; then
    "$bin" decode "$dump" --as host > "$tmp/$(printf '%03d' $i).xml"; i=$((i + 1))
  fi
done
awk -v n="$n" '
  FNR == 1 { k++ }
  { body[k] = body[k] $0 "\n" }
  END {
    for (j = 0; j < n; j++) printf "%s", body[j % k + 1]
  }' "$tmp"/*.xml > "$out"
