//! QEMU 7.2's own answers on the recorded KVM hosts (`specs/kvm/*/qemu-7.2.json`): its
//! static expansion of `host` (327 properties, `migratable` on and off) and the blockers
//! of its 132 models, computed exactly from the recorded kernel answers (`host.json`).
//! These are the adapter's intermediate facts; the answers a client sees (the host CPU and
//! the KVM host-model, against `virsh`) are checked through the public API by the
//! top-level `tests/kvm_host.rs`.
use std::collections::BTreeMap;

use cpucompat_x86::{HostRecord, PropValue, QemuKvmHost, QemuX86Table};
use serde_json::Value;

const MACHINES: [&str; 2] = ["intel-spr-pvm", "amd-epyc-pvm"];

fn file(machine: &str, name: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../specs/kvm")
        .join(machine)
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn record(machine: &str) -> HostRecord {
    HostRecord::from_json(&file(machine, "host.json")).unwrap()
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
