#!/usr/bin/env bash
# The JSON Schemas of schemas/ checked by an independent implementation: Python's
# `jsonschema` checks each schema against the draft 2020-12 meta-schema and validates a
# sample of the binary's --format json outputs (x86, ppc64, s390x; every schema).
# tests/json_schemas.rs validates every spec case's output with its own validator.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v python3 >/dev/null 2>&1; then
  echo "tests.sh skipped: python3 is not installed"
  exit 0
fi
if ! python3 -c 'import jsonschema' >/dev/null 2>&1; then
  python3 -m pip install --quiet 'jsonschema>=4.18' >/dev/null 2>&1 || true
fi
if ! python3 -c 'import jsonschema' >/dev/null 2>&1; then
  echo "tests.sh skipped: the python jsonschema package is not installed and pip could not install it"
  exit 0
fi

cargo build --release --quiet --bin cpucompat
B=target/release/cpucompat
X=specs/cases/x86/data
P=specs/cases/ppc64/data
Z=specs/cases/s390x/data
Q=specs/qemu-driver
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

n=0
emit() { # emit SCHEMA ARGS...: the binary's JSON into $out/N.SCHEMA.json
  local schema=$1; shift
  local code=0
  "$B" "$@" --format json >"$out/$n.$schema.json" || code=$?
  if [ "$code" -gt 1 ]; then
    echo "error: cpucompat $* --format json exited $code" >&2
    exit 1
  fi
  n=$((n + 1))
}
emit comparison compare --cpu-map libvirt-11.3 "$X/x86_64-host.xml" "$X/x86_64-Haswell.xml"
emit comparison compare --arch ppc64 "$P/ppc64-host.xml" "$P/ppc64-guest-exact.xml"
emit comparison compare "$Z/host-z14.xml" "$Z/guest-z13.xml"
emit hypervisor-comparison compare --hypervisor "$Q/x86_64-qemu-7.2.qemucaps.xml" "$X/x86_64-Haswell.xml"
emit cpu baseline --cpu-map libvirt-11.3 "$X/x86_64-baseline-simple.xml"
emit cpu baseline --arch ppc64 "$P/ppc64-baseline-same-model.xml"
emit cpu baseline "$Z/pool.xml"
emit cpu decode --cpu-map libvirt-11.3 "$X/x86_64-cpuid-Core-i7-7700.xml"
emit cpu decode --pvr 0x004e1202
emit hypervisor-baseline baseline --hypervisor "$Q/x86_64-qemu-7.2.qemucaps.xml" "$X/x86_64-baseline-simple.xml"
emit hypervisor-baseline baseline --hypervisor "$Q/s390x-qemu-7.2.qemucaps.xml" "$Z/pool.xml"
emit models models --arch x86_64
emit models models --arch ppc64
emit models models --arch s390x
emit usability models --cpu-map libvirt-11.3 "$X/x86_64-host.xml"
emit usability models "$Z/host-z14.xml"
emit expansion expand Haswell
emit expansion expand --arch ppc64 POWER9
emit expansion expand z14
emit host host --arch x86_64 --view kvm --record specs/kvm/intel-spr-pvm/host.json
emit parse parse "$X/x86_64-host.xml"
emit parse parse "$X/x86_64-cpuid-Core-i7-7700.xml"

python3 - "$out" <<'PY'
import glob, importlib.metadata, json, os, sys
import jsonschema
schemas = {}
for f in sorted(glob.glob("schemas/*.schema.json")):
    s = json.load(open(f))
    jsonschema.Draft202012Validator.check_schema(s)
    schemas[os.path.basename(f)[: -len(".schema.json")]] = jsonschema.Draft202012Validator(s)
print(f"{len(schemas)} schemas are valid draft 2020-12")
used = set()
outputs = sorted(glob.glob(os.path.join(sys.argv[1], "*.json")))
for f in outputs:
    name = os.path.basename(f).split(".", 1)[1][: -len(".json")]
    errors = list(schemas[name].iter_errors(json.load(open(f))))
    if errors:
        sys.exit(f"{f} does not match {name}: {errors[0].message}")
    used.add(name)
missing = set(schemas) - used
if missing:
    sys.exit(f"no sample output for {sorted(missing)}")
print(f"{len(outputs)} outputs valid against {len(used)} schemas (python jsonschema {importlib.metadata.version('jsonschema')})")
PY
