#!/usr/bin/env bash
# CI for the bindings (issue 9), called by .ci/run after `cargo test --workspace --release`:
#
# 1. C: builds libcpucompat_c and the command line, compiles the C example
#    (crates/capi/examples/cpucompat_example.c) with `gcc -Wall -Werror` against the built
#    library through its pkg-config file, checks that it prints what the command line
#    prints (compare --format json, baseline --format xml, models --format json; same exit
#    status, same error text) on x86 (XML and `cpuid -r`), ppc64 and s390x inputs, and runs
#    it under `valgrind --leak-check=full --error-exitcode=1` on a success and on an error
#    path (the suppressions in crates/capi/valgrind.supp hide only the process-lifetime
#    catalogs' "possibly lost" blocks; a forgotten free still fails).
# 2. Python: creates a fresh venv, `pip install ./bindings/python` from source (maturin
#    comes from PyPI as the build backend), installs pytest and runs the package's tests,
#    the libvirt corpus compare and baseline cases among them, against the command line.
#
# Each part skips with a printed reason when its tool (gcc, valgrind, python3 with venv) is
# missing. Runs from anywhere; works in the repository root. Reuses $CARGO_TARGET_DIR
# (default: the repository's target/), so after the workspace tests it only links.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}"
rel="$CARGO_TARGET_DIR/release"
start=$(date +%s)
step() { printf '\n=== bindings: %s (%ss)\n' "$*" "$(($(date +%s) - start))"; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failed=0
fail() {
  echo "FAIL: $*"
  failed=1
}

step "build libcpucompat_c and the cpucompat command line (release)"
cargo build --release -p cpucompat-capi --lib
cargo build --release -p cpucompat --bin cpucompat
cli="$rel/cpucompat"

# ---------------------------------------------------------------------------------------
step "C example: gcc -Wall -Werror, output equal to the command line's, valgrind"
if ! command -v gcc >/dev/null 2>&1; then
  echo "skipped the C example: gcc is not installed"
else
  exe="$tmp/cpucompat_example"
  if command -v pkg-config >/dev/null 2>&1; then
    # The prefix is set here too: a build script that did not rerun (a moved checkout) may
    # have left another directory in the file.
    flags=$(PKG_CONFIG_PATH="$rel/pkgconfig" pkg-config --define-variable=prefix="$rel" \
      --define-variable=includedir="$root/crates/capi/include" --cflags --libs cpucompat-uninstalled)
  else
    echo "note: pkg-config is not installed; passing -I/-L by hand"
    flags="-I$root/crates/capi/include -L$rel -lcpucompat_c"
  fi
  # shellcheck disable=SC2086 # $flags is a list of words
  gcc -Wall -Werror -std=c99 -o "$exe" crates/capi/examples/cpucompat_example.c $flags \
    "-Wl,-rpath,$rel"
  echo "compiled: gcc -Wall -Werror -std=c99 ... $flags"

  # What the command line prints for the example's three steps: $tmp/want.out, want_exit
  # (0, 1 when compare says incompatible, 2 on an error) and want_err (the error text).
  cli_expect() {
    local -a opts files args
    read -r -a opts <<<"$1"
    shift
    files=("$@")
    : >"$tmp/want.out"
    want_exit=0
    want_err=""
    local s code
    for s in compare baseline models; do
      case $s in
      compare) args=(compare "${files[@]:0:2}" --format json) ;;
      baseline) args=(baseline "${files[@]}" --format xml) ;;
      models) args=(models "${files[0]}" --format json) ;;
      esac
      code=0
      "$cli" "${args[@]}" "${opts[@]}" >"$tmp/step.out" 2>"$tmp/step.err" || code=$?
      if [ "$code" = 2 ]; then
        want_exit=2
        want_err=$(cat "$tmp/step.err")
        want_err=${want_err#cpucompat: error: }
        return
      fi
      cat "$tmp/step.out" >>"$tmp/want.out"
      if [ "$s" = compare ] && [ "$code" = 1 ]; then
        want_exit=1
      elif [ "$code" != 0 ] && [ "$code" != 1 ]; then
        fail "cpucompat ${args[*]} exited $code: $(cat "$tmp/step.err")"
      fi
    done
  }

  # The example's options for the command line's: --arch A -> -a A, --cpu-map M -> -m M.
  example_opts() {
    local -a opts
    read -r -a opts <<<"$1"
    local i out=()
    for ((i = 0; i < ${#opts[@]}; i += 2)); do
      case ${opts[i]} in
      --arch) out+=(-a "${opts[i + 1]}") ;;
      --cpu-map) out+=(-m "${opts[i + 1]}") ;;
      esac
    done
    echo "${out[*]}"
  }

  x=specs/cases/x86/data
  p=specs/cases/ppc64
  s=specs/cases/s390x/data
  m11="--arch x86_64 --cpu-map libvirt-11.3"
  cases=(
    "$m11|$x/x86_64-host.xml $x/x86_64-exact-require.xml $x/x86_64-baseline-Westmere+Nehalem.xml"
    "$m11|$x/x86_64-host.xml $x/x86_64-exact-forbid.xml"
    "$m11|$x/x86_64-host.xml $x/x86_64-bogus-model.xml"
    "--arch x86_64|$x/x86_64-cpuid-Xeon-Gold-6148.cpuid-r.txt $x/x86_64-cpuid-EPYC-7601-32-Core.cpuid-r.txt"
    "--arch ppc64|$p/hosts/host-POWER9.xml $p/hosts/guest-compat-power7-smt8.xml"
    "--arch s390x|$s/host-z14.xml $s/guest-z13.xml"
  )
  same=0
  for c in "${cases[@]}"; do
    opts=${c%%|*}
    read -r -a files <<<"${c#*|}"
    cli_expect "$opts" "${files[@]}"
    read -r -a eopts <<<"$(example_opts "$opts")"
    code=0
    "$exe" "${eopts[@]}" "${files[@]}" >"$tmp/got.out" 2>"$tmp/got.err" || code=$?
    ok=1
    if ! cmp -s "$tmp/want.out" "$tmp/got.out"; then
      fail "stdout of the example differs from the command line's for ${files[*]}:"
      diff "$tmp/want.out" "$tmp/got.out" | head -20 || true
      ok=0
    fi
    [ "$code" = "$want_exit" ] || {
      fail "exit $code, the command line's $want_exit for ${files[*]}"
      ok=0
    }
    if [ "$want_exit" = 2 ]; then
      want="cpucompat_example: $want_err"
    else
      want=""
    fi
    got=$(cat "$tmp/got.err")
    [ "$got" = "$want" ] || {
      fail "stderr '$got', expected '$want' for ${files[*]}"
      ok=0
    }
    if [ $ok = 1 ]; then
      same=$((same + 1))
      echo "same as the CLI (exit $code, $(wc -c <"$tmp/got.out") bytes): $opts ${files[*]##*/}"
    fi
  done
  echo "the C example printed what the command line prints in $same of ${#cases[@]} cases"

  if ! command -v valgrind >/dev/null 2>&1; then
    echo "skipped valgrind: valgrind is not installed"
  else
    # A success (exit 0) and a failure half-way (exit 2: the error path frees too).
    for c in "${cases[0]}" "${cases[2]}"; do
      opts=${c%%|*}
      read -r -a files <<<"${c#*|}"
      read -r -a eopts <<<"$(example_opts "$opts")"
      case ${files[1]} in *bogus*) want=2 ;; *) want=0 ;; esac
      code=0
      valgrind --leak-check=full --error-exitcode=1 \
        --suppressions=crates/capi/valgrind.supp \
        "$exe" "${eopts[@]}" "${files[@]}" >/dev/null 2>"$tmp/vg.err" || code=$?
      summary=$(grep -E 'definitely lost|indirectly lost|possibly lost|ERROR SUMMARY' "$tmp/vg.err" |
        sed 's/^==[0-9]*== *//' | tr '\n' ';')
      if [ "$code" = "$want" ] && grep -q 'ERROR SUMMARY: 0 errors' "$tmp/vg.err" &&
        { grep -q 'All heap blocks were freed' "$tmp/vg.err" ||
          ! grep -Eq '(definitely|indirectly|possibly) lost: [1-9]' "$tmp/vg.err"; }; then
        echo "valgrind clean (exit $code): ${files[*]##*/}: $summary"
      else
        fail "valgrind (exit $code, expected $want) on ${files[*]}:"
        tail -30 "$tmp/vg.err"
      fi
    done
  fi
fi

# ---------------------------------------------------------------------------------------
step "Python: pip install ./bindings/python into a fresh venv, pytest"
if ! command -v python3 >/dev/null 2>&1; then
  echo "skipped the Python package: python3 is not installed"
elif ! python3 -m venv "$tmp/venv" >"$tmp/venv.log" 2>&1; then
  echo "skipped the Python package: python3 -m venv failed (python3-venv missing?):"
  tail -3 "$tmp/venv.log"
else
  py="$tmp/venv/bin/python"
  "$py" -m pip install --quiet --disable-pip-version-check --upgrade pip
  # From source: pip builds the wheel with maturin (PEP 517), which compiles the
  # extension with cargo into $CARGO_TARGET_DIR.
  "$py" -m pip install --disable-pip-version-check --no-cache-dir ./bindings/python
  "$py" -m pip install --quiet --disable-pip-version-check pytest
  (cd "$tmp" && "$py" -c 'import cpucompat; print("installed:", cpucompat.__file__)')
  ncorpus=$(CPUCOMPAT_CLI="$cli" "$py" -m pytest -q --collect-only bindings/python/tests/test_corpus.py |
    tail -1)
  echo "corpus cases (bindings/python/tests/test_corpus.py): $ncorpus"
  CPUCOMPAT_CLI="$cli" "$py" -m pytest -q -rs -p no:cacheprovider bindings/python/tests ||
    fail "pytest"
fi

step "done"
if [ "$failed" != 0 ]; then
  echo "bindings: FAILED"
  exit 1
fi
echo "bindings: ok"
