#!/usr/bin/env python3
"""Copies a representative set of libvirt cputestdata XML files (LGPL data) into
specs/cases/xml/fixtures/ and writes one spec case per file (specs/cases/xml/*.ron).

Run once, by hand, at conversion time (tests never read /work/shared):
    tools/import_xml_fixtures.py /work/shared/data/libvirt-cputestdata target/debug/cpucompat
The expected `output` of each case is what `cpucompat parse` prints; files that libvirt
itself wrote (update/baseline/decode results and CPUID dumps) are marked
`libvirt_formatted: true`, so the checker also demands byte-identical printing: an oracle
independent of this project. Review the outputs before committing.
"""
import os, re, shutil, subprocess, sys

FILES = """
x86_64-cpuid-Xeon-Gold-6148.xml x86_64-cpuid-Xeon-Gold-6148-host.xml
x86_64-cpuid-Xeon-Gold-6148-guest.xml x86_64-cpuid-Xeon-Gold-6148-json.xml
x86_64-cpuid-Cooperlake.xml x86_64-cpuid-Cooperlake-enabled.xml
x86_64-cpuid-EPYC-7601-32-Core-disabled.xml x86_64-cpuid-Core-i7-8700-host.xml
x86_64-baseline-Westmere+Nehalem.xml x86_64-baseline-Westmere+Nehalem-result.xml
x86_64-baseline-Westmere+Nehalem-migratable.xml x86_64-baseline-features-expanded.xml
x86_64-baseline-incompatible-vendors.xml x86_64-baseline-no-vendor.xml
x86_64-Haswell.xml x86_64-Haswell-noTSX-nofallback.xml x86_64-host-invtsc.xml
x86_64-host-model.xml x86_64-host-model-nofallback.xml x86_64-host-passthrough.xml
x86_64-host-passthrough-features.xml x86_64-host+host-passthrough-features.xml
x86_64-exact-force.xml x86_64-exact-forbid-extra.xml x86_64-guest.xml
x86_64-host+guest,model486-result.xml x86_64-host+guest.xml x86_64-host-amd.xml
x86_64-min.xml x86_64-strict-full.xml x86_64-bogus-feature.xml
ppc64-host.xml ppc64-guest.xml ppc64-guest-host-model.xml ppc64-guest-compat-none.xml
ppc64-guest-legacy.xml ppc64-baseline-same-model.xml ppc64-baseline-same-model-result.xml
ppc64-host+guest,ppc_models-result.xml ppc64-host+guest-compat-valid.xml
aarch64-guest.xml
""".split()

def libvirt_formatted(name, text):
    if "<cpudata" in text:
        return True
    if re.search(r"cpuid-.*-(host|guest|json)\.xml$", name):
        return True
    if re.search(r"-(result|expanded|migratable)\.xml$", name):
        return True
    return "+" in name and "baseline-" not in name

def main():
    src, exe = sys.argv[1], sys.argv[2]
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "specs", "cases", "xml")
    fx = os.path.join(root, "fixtures")
    os.makedirs(fx, exist_ok=True)
    for name in FILES:
        path = os.path.join(src, name)
        if not os.path.exists(path):
            print("missing", name)
            continue
        shutil.copy(path, os.path.join(fx, name))
        text = open(path).read()
        dump = "<cpudata" in text
        out = subprocess.run([exe, "parse", path], capture_output=True, text=True)
        if out.returncode != 0:
            print("FAILS", name, out.stderr)
            continue
        if dump:
            count = len(re.findall(r"<(cpuid|msr|pvr) ", text))
        else:
            count = out.stdout.count("<cpu") - out.stdout.count("<cpudata")
        lines = ["(",
                 f'    about: "libvirt cputestdata {name}",',
                 f'    fixture: "fixtures/{name}",']
        if dump:
            lines.append("    dump: true,")
        lines.append(f"    count: Some({count}),")
        if libvirt_formatted(name, text):
            lines.append("    libvirt_formatted: true,")
        lines.append(f'    output: Some(r##"{out.stdout}"##),')
        lines.append(")")
        case = re.sub(r"[^A-Za-z0-9_.-]", "_", name[:-4]) + ".ron"
        with open(os.path.join(root, case), "w") as f:
            f.write("\n".join(lines) + "\n")

main()
