//! Recorded KVM hosts (`tests/data/kvm/*/`): the host CPU as `virsh capabilities` shows it,
//! QEMU 7.2's expansion of `host` and its blockers, and the KVM host-model as `virsh
//! domcapabilities --virttype kvm` shows it, each computed from the recorded kernel answers
//! and compared with the live answers recorded on the same machine.
use std::collections::BTreeMap;

use cpucompat_x86::{HostRecord, PropValue, QemuKvmHost, QemuX86Table, Source, X86};
use cpucompat_xml::model::{CpuDef, CpuKind};
use serde_json::Value;

const MACHINES: [&str; 2] = ["intel-spr-pvm", "amd-epyc-pvm"];

fn file(machine: &str, name: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/kvm")
        .join(machine)
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn record(machine: &str) -> HostRecord {
    HostRecord::from_json(&file(machine, "host.json")).unwrap()
}

fn x86() -> X86 {
    X86::new(cpucompat_catalog::embedded::x86_libvirt_11_3().clone())
}

fn one_cpu(text: &str) -> CpuDef {
    let mut v = cpucompat_xml::parse_cpus(text).unwrap();
    assert_eq!(v.len(), 1);
    v.remove(0)
}

/// Model, vendor, features with policies, in order.
type Summary = (
    Option<String>,
    Option<String>,
    Vec<(String, Option<&'static str>)>,
);

fn summary(c: &CpuDef) -> Summary {
    (
        c.model.as_ref().map(|m| m.name.clone()),
        c.vendor.clone(),
        c.features
            .iter()
            .map(|f| (f.name.clone(), f.policy.map(|p| p.as_str())))
            .collect(),
    )
}

#[test]
fn the_host_cpu_is_what_virsh_capabilities_shows() {
    let x = x86();
    for m in MACHINES {
        let rec = record(m);
        let probe = x.host_probe_from(&rec);
        // Neither machine has /dev/cpu/0/msr: the MSRs come from KVM.
        assert_eq!(
            probe.sources(),
            &[Source::CpuidInstruction, Source::KvmFeatureMsrs],
            "{m}"
        );
        let ours = x.decode(probe.data(), CpuKind::Host, None).unwrap();
        let theirs = one_cpu(&file(m, "capabilities-cpu.xml"));
        assert_eq!(summary(&ours), summary(&theirs), "{m}");
        assert_eq!(ours.signature, theirs.signature, "{m}");
    }
}

fn props(v: &Value) -> BTreeMap<String, PropValue> {
    v.as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| {
            let p = match v {
                Value::Bool(b) => PropValue::Bool(*b),
                Value::Number(n) => PropValue::Num(n.as_u64().unwrap()),
                Value::String(s) => PropValue::Str(s.clone()),
                _ => panic!("{k}: {v}"),
            };
            (k.clone(), p)
        })
        .collect()
}

#[test]
fn qemus_expansion_of_host_is_computed_exactly() {
    let t = QemuX86Table::qemu_7_2().unwrap();
    for m in MACHINES {
        let q: Value = serde_json::from_str(&file(m, "qemu-7.2.json")).unwrap();
        let host = QemuKvmHost::new(t, &record(m)).unwrap();
        for (migratable, key) in [
            (true, "qemu_static_expansion_host"),
            (false, "qemu_static_expansion_host_migratable_off"),
        ] {
            let ours = host.host_expansion(migratable);
            let theirs = props(&q[key]);
            let diff: Vec<_> = theirs
                .iter()
                .filter(|(k, v)| ours.get(*k) != Some(v))
                .map(|(k, v)| format!("{k}: qemu {v:?}, ours {:?}", ours.get(k)))
                .chain(
                    ours.keys()
                        .filter(|k| !theirs.contains_key(*k))
                        .map(|k| format!("{k}: not in qemu's answer")),
                )
                .collect();
            assert_eq!(diff, Vec::<String>::new(), "{m} migratable={migratable}");
            assert_eq!(ours.len(), 327, "{m}");
        }
    }
}

#[test]
fn qemus_blockers_are_computed_exactly() {
    let t = QemuX86Table::qemu_7_2().unwrap();
    for m in MACHINES {
        let q: Value = serde_json::from_str(&file(m, "qemu-7.2.json")).unwrap();
        let theirs: BTreeMap<String, Vec<String>> = q["qemu_query_cpu_definitions_unavailable"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| {
                let l = v.as_array().unwrap();
                (
                    k.clone(),
                    l.iter().map(|s| s.as_str().unwrap().to_string()).collect(),
                )
            })
            .collect();
        let host = QemuKvmHost::new(t, &record(m)).unwrap();
        let ours: BTreeMap<String, Vec<String>> = host
            .definitions()
            .into_iter()
            .map(|d| (d.name, d.unavailable))
            .collect();
        assert_eq!(ours.len(), 132, "{m}");
        let diff: Vec<_> = theirs
            .iter()
            .filter(|(k, v)| ours.get(*k) != Some(v))
            .map(|(k, v)| format!("{k}:\n  qemu {v:?}\n  ours {:?}", ours.get(k)))
            .collect();
        assert!(
            diff.is_empty(),
            "{m}: {} differ\n{}",
            diff.len(),
            diff.join("\n")
        );
        assert_eq!(
            ours.keys().collect::<Vec<_>>(),
            theirs.keys().collect::<Vec<_>>()
        );
    }
}

#[test]
fn the_kvm_host_model_is_what_virsh_domcapabilities_shows() {
    let x = x86();
    for m in MACHINES {
        let ours = x.kvm_host_model(&record(m)).unwrap();
        let theirs = one_cpu(&file(m, "domcapabilities-host-model.xml"));
        assert_eq!(summary(&ours), summary(&theirs), "{m}");
        assert_eq!(
            ours.model.as_ref().and_then(|m| m.fallback),
            theirs.model.as_ref().and_then(|m| m.fallback)
        );
    }
}
