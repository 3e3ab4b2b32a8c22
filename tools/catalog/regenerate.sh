#!/usr/bin/env bash
# Regenerates specs/catalog/{x86,ppc64}*.ron from libvirt cpu_map directories with the
# project's own importer, or (with --check) verifies the committed files are byte for byte
# what the importer prints. Run by hand; tests never read libvirt's data.
#   tools/catalog/regenerate.sh [--check] [DATA_DIR]   (DATA_DIR holds libvirt-cpu_map*/)
set -euo pipefail
cd "$(dirname "$0")/../.."
check=0
if [ "${1:-}" = "--check" ]; then check=1; shift; fi
data=${1:-../shared/data}
cargo build --release -q
bin=${CARGO_TARGET_DIR:-target}/release/cpucompat
status=0
for spec in "libvirt-cpu_map-12.8.0 x86 x86.ron" "libvirt-cpu_map-12.8.0 ppc64 ppc64.ron" \
            "libvirt-cpu_map x86 x86-libvirt-11.3.ron" "libvirt-cpu_map ppc64 ppc64-libvirt-11.3.ron"; do
  set -- $spec
  out=$(mktemp)
  "$bin" catalog import --cpu-map "$data/$1" --catalog-arch "$2" > "$out"
  if [ $check = 1 ]; then
    if cmp -s "$out" "specs/catalog/$3"; then echo "same bytes: specs/catalog/$3"; else echo "DIFFERS: specs/catalog/$3"; status=1; fi
  else
    mv "$out" "specs/catalog/$3"; echo "wrote specs/catalog/$3"
  fi
  rm -f "$out"
done
exit $status
