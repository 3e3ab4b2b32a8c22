#!/usr/bin/env python3
"""Write a KVM host's test data into specs/kvm/NAME/ (layout in that
folder's README.md).

Usage (from the repository root):
  tools/x86-convert/kvm_host_data.py replay SRC NAME
      converts a reference replay file (/work/shared/data/qemu/x86_64-7.2-kvm-host-replay.json:
      the machine's inputs and its live libvirt/QEMU answers)
  tools/x86-convert/kvm_host_data.py live NAME "ABOUT"
      records this machine: the host record (cargo example record_host), `virsh
      capabilities`, `virsh domcapabilities --virttype kvm` (libvirtd must run) and QEMU
      7.2's answers under KVM (qemu-system-x86_64 -machine none -accel kvm, over QMP)

The tests never read outside the repository; only this script does.
"""
import json
import os
import re
import subprocess
import sys

ROOT = "specs/kvm"
QMP = "/work/shared/tools/qmp.sh"


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def host_model_doc(mode):
    mode = mode.strip()
    return "<domainCapabilities>\n  <cpu>\n    %s\n  </cpu>\n</domainCapabilities>\n" % mode


def qemu_doc(about, on, off, unavailable):
    return json.dumps({
        "about": about,
        "qemu_static_expansion_host": on,
        "qemu_static_expansion_host_migratable_off": off,
        "qemu_query_cpu_definitions_unavailable": unavailable,
    }, indent=1) + "\n"


def replay(src, name):
    d = json.load(open(src))
    inputs = dict(d["inputs"])
    rec = {"about": d["about"]}
    rec.update(inputs)
    write(f"{ROOT}/{name}/host.json", json.dumps(rec, indent=1) + "\n")
    e = d["expected"]
    write(f"{ROOT}/{name}/capabilities-cpu.xml", e["virsh_capabilities_host_cpu"].strip() + "\n")
    write(f"{ROOT}/{name}/domcapabilities-host-model.xml", host_model_doc(e["domcapabilities_host_model"]))
    write(f"{ROOT}/{name}/qemu-7.2.json",
          qemu_doc("QEMU 7.2.22 answers on the same machine (from the replay file)",
                   e["qemu_static_expansion_host"], e["qemu_static_expansion_host_migratable_off"],
                   e["qemu_query_cpu_definitions_unavailable"]))


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, capture_output=True, text=True, **kw).stdout


def live(name, about):
    rec = run(["cargo", "run", "-q", "--release", "-p", "cpucompat-x86", "--example",
               "record_host", "--", about])
    write(f"{ROOT}/{name}/host.json", rec)
    caps = run(["virsh", "-c", "qemu:///system", "capabilities"])
    cpu = re.search(r"<host>.*?(<cpu>.*?</cpu>)", caps, re.S).group(1)
    write(f"{ROOT}/{name}/capabilities-cpu.xml", cpu + "\n")
    dom = run(["virsh", "-c", "qemu:///system", "domcapabilities", "--virttype", "kvm"])
    mode = re.search(r"(<mode name='host-model'.*?</mode>)", dom, re.S).group(1)
    write(f"{ROOT}/{name}/domcapabilities-host-model.xml", host_model_doc(mode))
    cmds = "\n".join([
        '{"execute":"query-cpu-definitions"}',
        '{"execute":"query-cpu-model-expansion","arguments":{"type":"static","model":{"name":"host"}}}',
        '{"execute":"query-cpu-model-expansion","arguments":{"type":"static","model":{"name":"host","props":{"migratable":false}}}}',
    ]) + "\n"
    env = dict(os.environ, QEMU_ARGS="-machine none -accel kvm")
    out = subprocess.run([QMP, "-t", "60", "qemu-system-x86_64", "-"], input=cmds, env=env,
                         check=True, capture_output=True, text=True).stdout
    replies = [json.loads(l) for l in out.splitlines() if l.strip()]
    defs, on, off = (r["return"] for r in replies)
    version = run(["qemu-system-x86_64", "--version"]).splitlines()[0]
    write(f"{ROOT}/{name}/qemu-7.2.json",
          qemu_doc(f"{version}, -machine none -accel kvm, over QMP", on["model"]["props"],
                   off["model"]["props"], {x["name"]: x["unavailable-features"] for x in defs}))


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "replay":
        replay(sys.argv[2], sys.argv[3])
    elif len(sys.argv) == 4 and sys.argv[1] == "live":
        live(sys.argv[2], sys.argv[3])
    else:
        sys.exit(__doc__)
