#!/usr/bin/env bash
# Builds every cargo-fuzz target and runs each for SECONDS on its committed seeds
# (`corpus/seed/TARGET`, read only) plus a working corpus (`corpus/TARGET`, not committed).
#
#   fuzz/run-all.sh SECONDS [TARGET...]      (default: every target of fuzz/Cargo.toml)
#
# A crash, timeout or out-of-memory fails the run (exit 1). Its input is copied into
# `corpus/seed/TARGET/` as `crash-<sha1>` so that, once committed, `cargo test` runs it as a
# regression test (every seed folder is run by the crates' seed tests). Targets run one
# after another; JOBS=2 runs two at a time (mind the machine). Prints one line per target:
# executions, coverage (libFuzzer's `cov`), features, corpus size.
#
# Needs cargo-fuzz (`cargo install cargo-fuzz --locked`) and a nightly compiler or
# RUSTC_BOOTSTRAP=1 (set here).
set -euo pipefail
cd "$(dirname "$0")"
secs=${1:?usage: fuzz/run-all.sh SECONDS [TARGET...]}
shift
export RUSTC_BOOTSTRAP=1
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  mapfile -t targets < <(cargo fuzz list)
fi

# The dictionaries of a target (concatenated into one, as libFuzzer takes one -dict).
dicts_for() {
  case "$1" in
    xml_*) echo xml.dict ;;
    cpu_map_*) echo xml.dict cpu-map.dict ;;
    engine_read) echo xml.dict json.dict text.dict ;;
    *_qmp|qmp_*|*host_model|*hypervisor_json) echo json.dict cpu-model.dict ;;
    catalog_ron|*_catalog|*_qemu_table) echo ron.dict ;;
    x86_cpuid_text|ppc64_*) echo text.dict ;;
    *) echo "" ;;
  esac
}

echo "=== build (${#targets[@]} targets)"
cargo fuzz build -O >/dev/null 2>build.log || { cat build.log; exit 1; }

mkdir -p logs
failed=()
run_one() {
  local t=$1
  local seed=corpus/seed/$t work=corpus/$t log=logs/$t.log
  mkdir -p "$work" "$seed" "artifacts/$t"
  local args=(-max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1)
  local d dict=logs/$t.dict
  : >"$dict"
  for d in $(dicts_for "$t"); do cat "$d" >>"$dict"; done
  if [ -s "$dict" ]; then args+=(-dict="$dict"); fi
  if cargo fuzz run -O "$t" "$work" "$seed" -- "${args[@]}" >"$log" 2>&1; then
    local stats
    stats=$(grep -E '^#[0-9]+.*DONE' "$log" | tail -1 || true)
    [ -n "$stats" ] || stats=$(grep -E '^#[0-9]+' "$log" | tail -1 || true)
    printf '%-22s ok   %s\n' "$t" "$stats"
    return 0
  fi
  printf '%-22s FAIL (log: fuzz/%s)\n' "$t" "$log"
  grep -E 'panicked|ERROR: libFuzzer|SUMMARY' "$log" | head -5 || true
  for a in artifacts/"$t"/*; do
    [ -f "$a" ] || continue
    local sum
    sum=$(sha1sum "$a" | cut -c1-16)
    cp "$a" "$seed/crash-$sum"
    echo "  kept $a as fuzz/$seed/crash-$sum (commit it: cargo test then runs it)"
  done
  return 1
}

jobs=${JOBS:-1}
if [ "$jobs" -le 1 ]; then
  for t in "${targets[@]}"; do
    run_one "$t" || failed+=("$t")
  done
else
  # Two at a time: background pairs, collecting the failures.
  i=0
  pids=()
  names=()
  for t in "${targets[@]}"; do
    run_one "$t" &
    pids+=($!)
    names+=("$t")
    i=$((i + 1))
    if [ $((i % jobs)) -eq 0 ]; then
      for k in "${!pids[@]}"; do wait "${pids[$k]}" || failed+=("${names[$k]}"); done
      pids=()
      names=()
    fi
  done
  for k in "${!pids[@]}"; do wait "${pids[$k]}" || failed+=("${names[$k]}"); done
fi

if [ ${#failed[@]} -gt 0 ]; then
  echo "=== fuzzing found crashes in: ${failed[*]}"
  exit 1
fi
echo "=== ${#targets[@]} targets, ${secs} s each: no crash"
