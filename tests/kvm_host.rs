//! Recorded KVM hosts (`specs/kvm/*/`), through the library's public API
//! ([`cpucompat::Engine::host_record`] with libvirt 11.3's map): the host CPU as `virsh
//! capabilities` shows it ([`HostView::Host`]) and the KVM host-model as `virsh
//! domcapabilities --virttype kvm` shows it ([`HostView::Kvm`]), each computed from the
//! recorded kernel answers (`host.json`) and compared with the live answers recorded on
//! the same machine. The binary's `host --record FILE --view V --format xml` prints the
//! same CPUs.
//!
//! (QEMU's own answers recorded there, its 327 properties of `host` and the blockers of
//! its 132 models, are intermediate facts the reports do not carry: they are checked by
//! `crates/x86/tests/qemu_kvm_host.rs`.)
mod support;

use cpucompat::xml::model::CpuDef;
use cpucompat::{Arch, CpuMap, Engine, HostView, Input};
use std::path::PathBuf;

const MACHINES: [&str; 2] = ["intel-spr-pvm", "amd-epyc-pvm"];

fn path(machine: &str, name: &str) -> PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("specs/kvm")
        .join(machine)
        .join(name)
}

fn file(machine: &str, name: &str) -> String {
    let p = path(machine, name);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn engine() -> Engine {
    Engine::builder(Arch::X86)
        .cpu_map(CpuMap::Libvirt11_3)
        .build()
        .unwrap()
}

fn one_cpu(text: &str) -> CpuDef {
    let mut v = cpucompat::xml::parse_cpus(text).unwrap();
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
    let engine = engine();
    for m in MACHINES {
        let r = engine
            .host_record(Input::path(path(m, "host.json")), HostView::Host)
            .unwrap();
        assert_eq!(r.view(), HostView::Host);
        assert_eq!(r.arch(), Arch::X86);
        // Neither machine has /dev/cpu/0/msr: the MSRs come from KVM.
        assert_eq!(
            r.sources(),
            ["cpuid instruction", "/dev/kvm feature msrs"],
            "{m}"
        );
        let ours = r.cpu().definition();
        let theirs = one_cpu(&file(m, "capabilities-cpu.xml"));
        assert_eq!(summary(ours), summary(&theirs), "{m}");
        assert_eq!(ours.signature, theirs.signature, "{m}");
        // The report's features are the CPU's, in catalog order.
        assert_eq!(r.features(), engine.features(r.cpu()).unwrap(), "{m}");
        assert!(r.guest().is_some());
    }
}

#[test]
fn the_kvm_host_model_is_what_virsh_domcapabilities_shows() {
    let engine = engine();
    for m in MACHINES {
        let r = engine
            .host_record(Input::path(path(m, "host.json")), HostView::Kvm)
            .unwrap();
        assert_eq!(r.view(), HostView::Kvm);
        assert!(r.skipped().is_empty(), "{m}: {:?}", r.skipped());
        let ours = r.cpu().definition();
        let theirs = one_cpu(&file(m, "domcapabilities-host-model.xml"));
        assert_eq!(summary(ours), summary(&theirs), "{m}");
        assert_eq!(
            ours.model.as_ref().and_then(|m| m.fallback),
            theirs.model.as_ref().and_then(|m| m.fallback),
            "{m}"
        );
    }
}

#[test]
fn the_binary_prints_the_same_cpus() {
    let engine = engine();
    for m in MACHINES {
        let record = path(m, "host.json");
        for (view, flag) in [(HostView::Host, "host"), (HostView::Kvm, "kvm")] {
            let lib = engine
                .host_record(Input::path(&record), view)
                .unwrap()
                .cpu()
                .to_xml();
            let run = support::cpucompat(
                None,
                &[
                    "host",
                    "--cpu-map",
                    "libvirt-11.3",
                    "--record",
                    record.to_str().unwrap(),
                    "--view",
                    flag,
                    "--format",
                    "xml",
                ],
                None,
            );
            assert_eq!(run.code, 0, "{m} {flag}: {}", run.stderr);
            assert_eq!(run.stdout, lib, "{m} {flag}");
        }
    }
}

#[test]
fn a_broken_record_is_named() {
    let e = engine()
        .host_record(
            Input::from_text("rec.json", "{\"cpuid\": 3"),
            HostView::Host,
        )
        .unwrap_err();
    assert_eq!(e.file(), Some("rec.json"));
    let e = Engine::new(Arch::S390x)
        .unwrap()
        .host_record(Input::path(path(MACHINES[0], "host.json")), HostView::Host)
        .unwrap_err();
    assert_eq!(e.message(), "host records are x86 CPUID and KVM answers");
}
