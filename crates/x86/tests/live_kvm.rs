//! This machine against the live libvirt: our host CPU (CPUID + MSRs by libvirt's rule)
//! against `virsh capabilities`, and our KVM host-model (from `/dev/kvm` through QEMU
//! 7.2's rules) against `virsh domcapabilities --virttype kvm`, with libvirt 11.3's map.
//! Skipped, with the reason printed, off x86_64, without a readable `/dev/kvm` (the
//! host-model half), or when `virsh -c qemu:///system` does not answer (start `libvirtd
//! -d`).
use std::process::Command;

use cpucompat_x86::{HostRecord, Source, X86};
use cpucompat_xml::model::{CpuDef, CpuKind};

fn virsh(args: &[&str]) -> Result<String, String> {
    let out = Command::new("virsh")
        .arg("-c")
        .arg("qemu:///system")
        .args(args)
        .output()
        .map_err(|e| format!("virsh cannot run: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "virsh {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    String::from_utf8(out.stdout).map_err(|e| e.to_string())
}

fn features(c: &CpuDef) -> Vec<(String, Option<&'static str>)> {
    c.features
        .iter()
        .map(|f| (f.name.clone(), f.policy.map(|p| p.as_str())))
        .collect()
}

fn model(c: &CpuDef) -> Option<&str> {
    c.model.as_ref().map(|m| m.name.as_str())
}

#[test]
fn our_host_cpu_and_kvm_host_model_are_libvirts() {
    let Some(rec) = HostRecord::live() else {
        eprintln!("skipped: not an x86_64 machine");
        return;
    };
    let x = X86::new(cpucompat_catalog::embedded::x86_libvirt_11_3().clone());
    let probe = x.host_probe_from(&rec);
    eprintln!(
        "sources read: {}",
        probe
            .sources()
            .iter()
            .map(Source::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    );
    for (s, why) in probe.skipped() {
        eprintln!("not read: {s}: {why}");
    }
    let caps = match virsh(&["capabilities"]) {
        Ok(t) => t,
        Err(why) => {
            eprintln!("skipped: {why}");
            return;
        }
    };
    let theirs = cpucompat_xml::parse_cpus(&caps).unwrap().remove(0);
    let ours = x.decode(probe.data(), CpuKind::Host, None).unwrap();
    assert_eq!(model(&ours), model(&theirs));
    assert_eq!(ours.vendor, theirs.vendor);
    assert_eq!(features(&ours), features(&theirs));

    if let Err(why) = &rec.kvm {
        eprintln!("skipped the host-model half: {why}");
        return;
    }
    let dom = match virsh(&["domcapabilities", "--virttype", "kvm"]) {
        Ok(t) => t,
        Err(why) => {
            eprintln!("skipped the host-model half: {why}");
            return;
        }
    };
    let theirs = cpucompat_xml::parse_cpus(&dom).unwrap().remove(0);
    let ours = x.kvm_host_model(&rec).unwrap();
    assert_eq!(model(&ours), model(&theirs));
    assert_eq!(ours.vendor, theirs.vendor);
    assert_eq!(features(&ours), features(&theirs));
}
