#!/usr/bin/env python3
"""Convert libvirt 11.3's x86 CPU test corpus (tests/cputestdata) into cpucompat specs.

Usage: tools/x86-convert/convert.py [SRC] [DEST]
  SRC  defaults to /work/shared/data/libvirt-cputestdata (libvirt 11.3 tests/cputestdata)
  DEST defaults to specs/cases/x86 (relative to the repository root)

What it writes (the RON shape is documented in tests/specs/x86.rs):
  DEST/data/                 the input files the cases need, copied verbatim (LGPL-2.1+ data),
                             and two dumps rewritten as `cpuid -r` text (*.cpuid-r.txt)
  DEST/decode-host/*.ron     host-type decode of each real-CPU dump   (-host.xml expected)
  DEST/decode-guest/*.ron    guest-type decode of each real-CPU dump  (-guest.xml expected)
  DEST/signature/*.ron       signature of each dump                   (.sig expected)
  DEST/compare/*.ron         cputest.c DO_TEST_COMPARE cases, and the compare half of the
                             DO_TEST_UPDATE cases (host vs the committed update result)
  DEST/update/*.ron          cputest.c DO_TEST_UPDATE cases (the update result itself)
  DEST/guestcpu/*.ron        cputest.c DO_TEST_GUESTCPU cases (compare, update, translate)
  DEST/baseline/*.ron        cputest.c DO_TEST_BASELINE cases (plain, expanded, migratable,
                             and the failure)
  DEST/cpuid-baseline/*.ron  cputest.c DO_TEST_CPUID_BASELINE cases

The facts (which test exists, its inputs, its expected answer) are libvirt's; the case
list below is transcribed from cputest.c's registrations as the reference write-up
(libvirt-cpu-semantics.md section 6) tabulates them. Run it from the repository root; the
tests never read SRC.
"""
import os
import shutil
import sys

SRC = sys.argv[1] if len(sys.argv) > 1 else "/work/shared/data/libvirt-cputestdata"
DEST = sys.argv[2] if len(sys.argv) > 2 else "specs/cases/x86"
CATALOG = "libvirt-11.3"

# CPUs whose guest decode gets QEMU's model list (cputest.c JSON_MODELS and
# JSON_MODELS_REQUIRED registrations; every other CPU decodes its guest CPU with no list).
JSON_MODELS = {
    "Core-i5-2540M", "Core-i7-7700", "Core-i7-8550U", "Core-i7-8700", "Xeon-E3-1225-v5",
    "Xeon-E5-2609-v3", "Xeon-E5-2623-v4", "Xeon-E5-2650", "Xeon-E5-2650-v4", "Xeon-E7540",
    "Xeon-Gold-6130", "Xeon-Platinum-9242", "Ice-Lake-Server", "Cooperlake",
    # JSON_MODELS_REQUIRED
    "Core-i5-650", "Core-i7-2600-xsaveopt", "EPYC-7601-32-Core-ibpb", "Xeon-E7-4830",
}

# libvirt's error texts in the lowercase-first form cpucompat uses.
ERRORS = {
    "bogus-model": "unknown CPU model Bogus",
    "bogus-feature": "unknown CPU feature bogus",
}

# DO_TEST_COMPARE: (host, cpu, expected)
COMPARE = [
    ("host", "host", "Identical"),
    ("host", "host-better", "Incompatible"),
    ("host", "host-worse", "Superset"),
    ("host", "host-amd-fake", "Incompatible"),
    ("host", "host-incomp-arch", "Incompatible"),
    ("host", "host-no-vendor", "Identical"),
    ("host-no-vendor", "host", "Incompatible"),
    ("host", "bogus-model", "Error"),
    ("host", "bogus-feature", "Error"),
    ("host", "min", "Superset"),
    ("host", "pentium3", "Superset"),
    ("host", "exact", "Superset"),
    ("host", "exact-forbid", "Incompatible"),
    ("host", "exact-forbid-extra", "Superset"),
    ("host", "exact-disable", "Superset"),
    ("host", "exact-disable2", "Superset"),
    ("host", "exact-disable-extra", "Superset"),
    ("host", "exact-require", "Superset"),
    ("host", "exact-require-extra", "Incompatible"),
    ("host", "exact-force", "Superset"),
    ("host", "strict", "Incompatible"),
    ("host", "strict-full", "Identical"),
    ("host", "strict-disable", "Identical"),
    ("host", "strict-force-extra", "Identical"),
    ("host", "guest", "Superset"),
    ("host", "pentium3-amd", "Incompatible"),
    ("host-amd", "pentium3-amd", "Superset"),
    ("host-worse", "penryn-force", "Identical"),
    ("host-SandyBridge", "exact-force-Haswell", "Identical"),
]

# DO_TEST_UPDATE: after the update, cputest compares the host with the update result file
# `<host>+<cpu>.xml`; that compare is a plain compare case over committed data.
UPDATE_COMPARE = [
    ("host", "min", "Identical"),
    ("host", "pentium3", "Identical"),
    ("host", "guest", "Superset"),
    ("host", "host-model", "Identical"),
    ("host", "host-model-nofallback", "Identical"),
    ("host-invtsc", "host-model", "Superset"),
]

# DO_TEST_UPDATE: virCPUUpdate(cpu, migratable copy of host, removed features disabled)
# against the committed `<host>+<cpu>.xml`.
UPDATE = [
    ("host", "min"), ("host", "pentium3"), ("host", "guest"), ("host", "host-model"),
    ("host", "host-model-nofallback"), ("host-invtsc", "host-model"),
    ("host", "host-passthrough"), ("host", "host-passthrough-features"),
]

# DO_TEST_GUESTCPU: compare (must not be incompatible), virCPUUpdate, virCPUTranslate with
# a model list; expected `<host>+<cpu>[,<list>]-result.xml`, or a failure (our message).
MODEL_LISTS = {
    "model486": ["486"],
    "nomodel": ["nomodel"],
    "models": ["qemu64", "core2duo", "Nehalem"],
    "haswell": ["SandyBridge", "Haswell"],
}
GUESTCPU = [
    ("host", "guest", None, None),
    ("host", "guest", "model486", None),
    ("host", "guest", "models", None),
    ("host", "guest", "nomodel", "cannot find suitable CPU model for given data"),
    ("host", "guest-nofallback", "models", "CPU model Penryn is not supported by hypervisor"),
    ("host", "host+host-model", "models", None),
    ("host", "host+host-model-nofallback", "models",
     "CPU model Penryn is not supported by hypervisor"),
    ("host-Haswell-noTSX", "Haswell", "haswell", None),
    ("host-Haswell-noTSX", "Haswell-noTSX", "haswell", None),
    ("host-Haswell-noTSX", "Haswell-noTSX-nofallback", "haswell",
     "CPU model Haswell-noTSX is not supported by hypervisor"),
    ("host-Haswell-noTSX", "Haswell-noTSX", None, None),
    ("host-worse", "guest", None, None),
    ("host-better", "pentium3", None, None),
    ("host", "penryn-force", None, None),
    ("host", "strict-force-extra", None, None),
]

# DO_TEST_BASELINE: (name, flavour, expected file suffix or None for failure, error text)
BASELINE = [
    ("incompatible-vendors", "plain", None, "CPU vendors do not match"),
    ("no-vendor", "plain", "result", None),
    ("some-vendors", "plain", "result", None),
    ("simple", "plain", "result", None),
    ("simple", "expanded", "expanded", None),
    ("features", "plain", "result", None),
    ("features", "expanded", "expanded", None),
    ("Westmere+Nehalem", "plain", "result", None),
    ("Westmere+Nehalem", "migratable", "migratable", None),
]

# DO_TEST_CPUID_BASELINE: (label, cpu1, cpu2)
CPUID_BASELINE = [
    ("Haswell-noTSX-IBRS+Skylake", "Xeon-E5-2609-v3", "Xeon-Gold-6148"),
    ("Haswell-noTSX-IBRS+Skylake-IBRS", "Xeon-E5-2609-v3", "Xeon-Gold-6130"),
    ("Broadwell-IBRS+Cascadelake", "Xeon-E5-2623-v4", "Xeon-Platinum-8268"),
    ("Cascadelake+Skylake-IBRS", "Xeon-Platinum-8268", "Xeon-Gold-6130"),
    ("Cascadelake+Skylake", "Xeon-Platinum-9242", "Xeon-Gold-6148"),
    ("Cascadelake+Icelake", "Xeon-Platinum-9242", "Ice-Lake-Server"),
    ("Cooperlake+Icelake", "Cooperlake", "Ice-Lake-Server"),
    ("Cooperlake+Cascadelake", "Cooperlake", "Xeon-Platinum-9242"),
    ("Haswell-noTSX-IBRS+Broadwell", "Xeon-E5-2609-v3", "Xeon-E5-2650-v4"),
]

# Dumps also written in `cpuid -r` form (dumps without MSR items: `cpuid -r` prints none).
CPUID_R = ["Xeon-Gold-6148", "EPYC-7601-32-Core"]

HEADER = "// Converted from libvirt 11.3 tests/cputestdata by tools/x86-convert/convert.py.\n"


def read(name):
    with open(os.path.join(SRC, name), encoding="utf-8") as f:
        return f.read()


def copy(name):
    os.makedirs(os.path.join(DEST, "data"), exist_ok=True)
    shutil.copyfile(os.path.join(SRC, name), os.path.join(DEST, "data", name))
    return "data/" + name


def raw(text):
    """A RON raw string holding `text` verbatim."""
    hashes = "#"
    while ('"' + hashes) in text:
        hashes += "#"
    return 'r' + hashes + '"' + text + '"' + hashes


def write(kind, name, comment, op, expect):
    d = os.path.join(DEST, kind)
    os.makedirs(d, exist_ok=True)
    body = (
        HEADER
        + "".join("// " + line + "\n" for line in comment.splitlines())
        + "X86Case(\n"
        + f'    catalog: "{CATALOG}",\n'
        + f"    op: {op},\n"
        + f"    expect: {expect},\n"
        + ")\n"
    )
    with open(os.path.join(d, name + ".ron"), "w", encoding="utf-8") as f:
        f.write(body)


def cpuid_r(cpu):
    """Writes a <cpudata> dump as `cpuid -r` text (one CPU, the tool's line layout)."""
    import re
    text = read(f"x86_64-cpuid-{cpu}.xml")
    lines = ["CPU 0:"]
    for m in re.finditer(r"<cpuid ([^>]*)/>", text):
        a = dict(re.findall(r"(\w+)='([^']*)'", m.group(1)))
        lines.append("   0x%08x 0x%02x: eax=0x%08x ebx=0x%08x ecx=0x%08x edx=0x%08x" % (
            int(a["eax_in"], 16), int(a["ecx_in"], 16), int(a["eax"], 16),
            int(a["ebx"], 16), int(a["ecx"], 16), int(a["edx"], 16)))
    if "<msr" in text:
        raise SystemExit(f"{cpu}: has MSR items, which cpuid -r cannot show")
    with open(os.path.join(DEST, "data", f"x86_64-cpuid-{cpu}.cpuid-r.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")


def cpus():
    out = []
    for f in sorted(os.listdir(SRC)):
        if f.startswith("x86_64-cpuid-") and f.endswith(".sig"):
            out.append(f[len("x86_64-cpuid-"):-len(".sig")])
    return out


def main():
    counts = {}

    def count(kind):
        counts[kind] = counts.get(kind, 0) + 1

    for cpu in cpus():
        dump = copy(f"x86_64-cpuid-{cpu}.xml")
        copy(f"x86_64-cpuid-{cpu}-host.xml")  # host <cpu> defs: CLI and virsh tests read them
        write("decode-host", cpu,
              f"cputest.c DO_TEST_CPUID: host-type decode of {cpu} (no model list).",
              f'Decode(kind: Host, dump: "{dump}", models: None)',
              "Xml(" + raw(read(f"x86_64-cpuid-{cpu}-host.xml")) + ")")
        count("decode-host")
        models = "None"
        note = "no model list (JSON_NONE/JSON_HOST registration)"
        if cpu in JSON_MODELS:
            models = 'Some("' + copy(f"x86_64-cpuid-{cpu}.json") + '")'
            note = "QEMU's query-cpu-definitions list from the .json (JSON_MODELS registration)"
        write("decode-guest", cpu,
              f"cputest.c DO_TEST_CPUID: guest-type decode of {cpu}, {note}.",
              f'Decode(kind: Guest, dump: "{dump}", models: {models})',
              "Xml(" + raw(read(f"x86_64-cpuid-{cpu}-guest.xml")) + ")")
        count("decode-guest")
        write("signature", cpu,
              f"cputest.c DO_TEST_CPUID: the signature of {cpu}.",
              f'Signature(dump: "{dump}")',
              "Text(" + raw(read(f"x86_64-cpuid-{cpu}.sig")) + ")")
        count("signature")

    for host, cpu, want in COMPARE:
        h = copy(f"x86_64-{host}.xml")
        g = copy(f"x86_64-{cpu}.xml")
        if want == "Error":
            expect = "Error(Some(" + raw(ERRORS[cpu]) + "))"
        else:
            expect = f"Relation({want})"
        write("compare", f"{host}--{cpu}",
              f"cputest.c DO_TEST_COMPARE(x86_64, \"{host}\", \"{cpu}\"): {want.upper()}.",
              f'Compare(host: "{h}", guest: "{g}")', expect)
        count("compare")

    for host, cpu, want in UPDATE_COMPARE:
        h = copy(f"x86_64-{host}.xml")
        g = copy(f"x86_64-{host}+{cpu}.xml")
        write("compare", f"update-{host}+{cpu}",
              f"cputest.c DO_TEST_UPDATE(x86_64, \"{host}\", \"{cpu}\"): the host compared with\n"
              f"the committed update result {host}+{cpu}: {want.upper()}.",
              f'Compare(host: "{h}", guest: "{g}")', f"Relation({want})")
        count("compare-update")

    for host, cpu in UPDATE:
        h = copy(f"x86_64-{host}.xml")
        g = copy(f"x86_64-{cpu}.xml")
        write("update", f"{host}+{cpu}",
              f"cputest.c DO_TEST_UPDATE(x86_64, \"{host}\", \"{cpu}\"): virCPUUpdate against the\n"
              "host's migratable copy, removed features disabled.",
              f'Update(host: "{h}", guest: "{g}")',
              "Xml(" + raw(read(f"x86_64-{host}+{cpu}.xml")) + ")")
        count("update")

    for host, cpu, lst, err in GUESTCPU:
        h = copy(f"x86_64-{host}.xml")
        g = copy(f"x86_64-{cpu}.xml")
        label = f"{host}+{cpu}" + (f",{lst}" if lst else "")
        models = "None"
        if lst:
            models = "Some([" + ", ".join(f'"{m}"' for m in MODEL_LISTS[lst]) + "])"
        if err is None:
            expect = "Xml(" + raw(read(f"x86_64-{label}-result.xml")) + ")"
            want = "the -result.xml"
        else:
            expect = "Error(Some(" + raw(err) + "))"
            want = "a failure (libvirt asserts only that it fails; the message is ours)"
        write("guestcpu", label,
              f"cputest.c DO_TEST_GUESTCPU(x86_64, \"{host}\", \"{cpu}\", {lst or 'NULL'}): compare,\n"
              f"update and translate; expected: {want}.",
              f'GuestCpu(host: "{h}", guest: "{g}", models: {models})', expect)
        count("guestcpu")

    for name, flavour, suffix, err in BASELINE:
        inp = copy(f"x86_64-baseline-{name}.xml")
        expand = "true" if flavour == "expanded" else "false"
        mig = "true" if flavour == "migratable" else "false"
        if suffix is None:
            expect = "Error(Some(" + raw(err) + "))"
        else:
            expect = "Xml(" + raw(read(f"x86_64-baseline-{name}-{suffix}.xml")) + ")"
        write("baseline", f"{name}-{flavour}",
              f"cputest.c DO_TEST_BASELINE(x86_64, \"{name}\", {flavour}); the harness also checks\n"
              "that every input compares IDENTICAL or SUPERSET with the result.",
              f'Baseline(inputs: ["{inp}"], features: {expand}, migratable: {mig})', expect)
        count("baseline")

    for label, a, b in CPUID_BASELINE:
        ia = copy(f"x86_64-cpuid-{a}-json.xml")
        ib = copy(f"x86_64-cpuid-{b}-json.xml")
        write("cpuid-baseline", label,
              f"cputest.c DO_TEST_CPUID_BASELINE(\"{label}\", {a}, {b}): baseline of the two\n"
              "-json.xml CPUs; the harness also checks both compare IDENTICAL or SUPERSET.",
              f'Baseline(inputs: ["{ia}", "{ib}"], features: false, migratable: false)',
              "Xml(" + raw(read(f"x86_64-cpuid-baseline-{label}.xml")) + ")")
        count("cpuid-baseline")

    # The same CPU as `cpuid -r` prints it, for the CLI tests of the text reader.
    for cpu in CPUID_R:
        cpuid_r(cpu)
        count("cpuid-r")

    for k, v in sorted(counts.items()):
        print(f"{k}: {v}")


if __name__ == "__main__":
    main()
