#!/usr/bin/env python3
"""Converts libvirt's and QEMU's ppc64 test material into spec cases (conversion time only).

Reads /work/shared/data (libvirt 11.3 cputestdata ppc64-*.xml, the QEMU 7.2 transcripts)
and writes specs/cases/ppc64/{data,libvirt,qemu}/. The tests never read /work/shared:
they read only what this script wrote, which is committed. Expected outcomes are the
ones libvirt's tests/cputest.c registers (DO_TEST_COMPARE / DO_TEST_UPDATE /
DO_TEST_BASELINE) and the outcomes the QEMU 7.2 binary printed.

Usage: python3 specs/cases/ppc64/convert.py [SHARED_DIR]
"""
import os, re, shutil, sys

SHARED = sys.argv[1] if len(sys.argv) > 1 else "/work/shared/data"
HERE = os.path.dirname(os.path.abspath(__file__))
CPUTEST = os.path.join(SHARED, "libvirt-cputestdata")
QEMU = os.path.join(SHARED, "qemu")

HEADER = "// Converted by specs/cases/ppc64/convert.py from {src}.\n"

COMPARE = [  # cputest.c DO_TEST_COMPARE(VIR_ARCH_PPC64, host, cpu, result)
    ("host", "host", "Identical"),
    ("host", "host-better", "Incompatible"),
    ("host", "host-worse", "Incompatible"),
    ("host", "host-incomp-arch", "Incompatible"),
    ("host", "host-no-vendor", "Identical"),
    ("host-no-vendor", "host", "Incompatible"),
    ("host", "guest-strict", "Identical"),
    ("host", "guest-exact", "Incompatible"),
    ("host", "guest-legacy", "Identical"),
    ("host", "guest-legacy-incompatible", "Incompatible"),
    ("host", "guest-legacy-bad", "Error"),
    ("host", "guest-compat-none", "Identical"),
    ("host", "guest-compat-valid", "Identical"),
    ("host", "guest-compat-bad", "Error"),
    ("host", "guest-compat-incompatible", "Incompatible"),
]
UPDATE = [  # cputest.c DO_TEST_UPDATE(VIR_ARCH_PPC64, host, cpu, result)
    ("host", "guest", "Identical"),
    ("host", "guest-nofallback", "Incompatible"),
    ("host", "guest-legacy", "Identical"),
    ("host", "guest-legacy-incompatible", "Incompatible"),
    ("host", "guest-legacy-bad", "Error"),
    ("host", "guest-compat-none", "Identical"),
    ("host", "guest-compat-valid", "Identical"),
    ("host", "guest-compat-bad", "Error"),
    ("host", "guest-compat-incompatible", "Incompatible"),
]
BASELINE = [  # cputest.c DO_TEST_BASELINE(VIR_ARCH_PPC64, name, 0, result)
    ("incompatible-vendors", "unknown CPU vendor Intel"),
    ("no-vendor", None),
    ("incompatible-models", "CPUs are incompatible: model POWER8 differs from POWER7"),
    ("same-model", None),
    ("legacy", "CPUs are incompatible: model power8e differs from POWER8"),
]
ERRORS = {  # our messages for libvirt's VIR_CPU_COMPARE_ERROR cases
    "guest-legacy-bad": "unknown CPU model POWER8E_v1.0",
    "guest-compat-bad": "unknown compatibility mode power7+",
}


def copy(name):
    src = os.path.join(CPUTEST, f"ppc64-{name}.xml")
    shutil.copy(src, os.path.join(HERE, "data", f"ppc64-{name}.xml"))
    return f"data/ppc64-{name}.xml"


def expect_compare(result, guest):
    if result == "Error":
        return f'Error("{ERRORS[guest]}")'
    return f"Relation({result})"


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def main():
    os.makedirs(os.path.join(HERE, "data"), exist_ok=True)
    for f in sorted(os.listdir(CPUTEST)):
        if f.startswith("ppc64-"):
            shutil.copy(os.path.join(CPUTEST, f), os.path.join(HERE, "data", f))
    src = "libvirt 11.3 tests/cputestdata"
    for host, guest, result in COMPARE:
        write(os.path.join(HERE, "libvirt", "compare", f"{host}--{guest}.ron"),
              HEADER.format(src=src)
              + f'// cputest.c DO_TEST_COMPARE(ppc64, "{host}", "{guest}"): {result.upper()}.\n'
              + "Ppc64Case(\n    catalog: \"libvirt-11.3\",\n"
              + f'    op: Compare(host: "{copy(host)}", guest: "{copy(guest)}"),\n'
              + f"    expect: {expect_compare(result, guest)},\n)\n")
    for host, guest, result in UPDATE:
        expected = open(os.path.join(CPUTEST, f"ppc64-{host}+{guest}.xml")).read()
        copy(host); copy(guest)
        write(os.path.join(HERE, "libvirt", "update", f"{host}--{guest}.ron"),
              HEADER.format(src=src)
              + f'// cputest.c DO_TEST_UPDATE(ppc64, "{host}", "{guest}"): the updated guest is\n'
              + f"// ppc64-{host}+{guest}.xml, then it compares {result.upper()} with the host.\n"
              + "Ppc64Case(\n    catalog: \"libvirt-11.3\",\n"
              + f'    op: Update(host: "data/ppc64-{host}.xml", guest: "data/ppc64-{guest}.xml"),\n'
              + f'    expect: Updated(xml: r#"{expected}"#, then: {expect_compare(result, guest)}),\n)\n')
    for name, err in BASELINE:
        inp = copy(f"baseline-{name}")
        if err is None:
            res = open(os.path.join(CPUTEST, f"ppc64-baseline-{name}-result.xml")).read()
            exp = f'Xml(r#"{res}"#)'
            verdict = "result"
        else:
            exp = f'Error("{err}")'
            verdict = "failure"
        write(os.path.join(HERE, "libvirt", "baseline", f"{name}.ron"),
              HEADER.format(src=src)
              + f'// cputest.c DO_TEST_BASELINE(ppc64, "{name}"): {verdict}. The harness also\n'
              + "// checks that every input compares IDENTICAL with a result.\n"
              + "Ppc64Case(\n    catalog: \"libvirt-11.3\",\n"
              + f'    op: Baseline(inputs: ["{inp}"]),\n'
              + f"    expect: {exp},\n)\n")

    # QEMU 7.2 transcripts.
    for f in ["ppc64-7.2-machine-none.jsonl", "ppc64-7.2-machine-none.cmds",
              "ppc64-7.2-max-cpu-compat-tests.txt"]:
        shutil.copy(os.path.join(QEMU, f), os.path.join(HERE, "data", f))
    text = open(os.path.join(QEMU, "ppc64-7.2-max-cpu-compat-tests.txt")).read()
    runs = re.split(r"^== ", text, flags=re.M)[1:]
    for i, run in enumerate(runs, 1):
        head, _, body = run.partition("\n")
        m = re.search(r"max-cpu-compat=(\S+)", head)
        compat = m.group(1) if m else None
        cpu = re.search(r"-cpu (\S+)", head).group(1)
        err = re.search(r"qemu-stderr: qemu-system-ppc64: ((?:Compatibility|Invalid).*)", body)
        if err:
            exp = 'QemuError("' + err.group(1).replace('"', '\\"') + '")'
        else:
            got = re.search(r'\{"return": "([^"]*)"\}', body).group(1)
            exp = f'Runs(mode: "{got}")'
        c = f'Some("{compat}")' if compat else "None"
        write(os.path.join(HERE, "qemu", "max-cpu-compat", f"{i:02}-{compat or 'raw'}-on-{cpu}.ron"),
              HEADER.format(src="the QEMU 7.2 transcript ppc64-7.2-max-cpu-compat-tests.txt")
              + f"// == {head.strip()}\n"
              + "Ppc64Case(\n    qemu: \"7.2\",\n"
              + f'    op: MaxCpuCompat(cpu: "{cpu}", compat: {c}),\n'
              + f"    expect: {exp},\n)\n")


if __name__ == "__main__":
    main()
