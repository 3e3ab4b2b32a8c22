//! This machine against the live libvirt, through the library's public API with libvirt
//! 11.3's map: our host CPU ([`HostView::Host`]: CPUID plus MSRs by libvirt's rule)
//! against `virsh capabilities`, and our KVM host-model ([`HostView::Kvm`]: `/dev/kvm`
//! through QEMU 7.2's rules) against `virsh domcapabilities --virttype kvm`.
//!
//! Skipped, with the reason printed, off x86_64, without a readable `/dev/kvm` (the
//! host-model half), or when `virsh -c qemu:///system` does not answer (start `libvirtd
//! -d`).
use cpucompat::xml::model::CpuDef;
use cpucompat::{Arch, CpuMap, Engine, HostView};
use std::process::Command;

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
    if std::env::consts::ARCH != "x86_64" {
        eprintln!("skipped: not an x86_64 machine");
        return;
    }
    let engine = Engine::builder(Arch::X86)
        .cpu_map(CpuMap::Libvirt11_3)
        .build()
        .unwrap();
    let report = engine.host_view(HostView::Host).unwrap();
    eprintln!("sources read: {}", report.sources().join(", "));
    for (s, why) in report.skipped() {
        eprintln!("not read: {s}: {why}");
    }
    let caps = match virsh(&["capabilities"]) {
        Ok(t) => t,
        Err(why) => {
            eprintln!("skipped: {why}");
            return;
        }
    };
    let theirs = cpucompat::xml::parse_cpus(&caps).unwrap().remove(0);
    let ours = report.cpu().definition();
    assert_eq!(model(ours), model(&theirs));
    assert_eq!(ours.vendor, theirs.vendor);
    assert_eq!(features(ours), features(&theirs));

    if let Err(e) = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/kvm")
    {
        eprintln!("skipped the host-model half: /dev/kvm: {e}");
        return;
    }
    let dom = match virsh(&["domcapabilities", "--virttype", "kvm"]) {
        Ok(t) => t,
        Err(why) => {
            eprintln!("skipped the host-model half: {why}");
            return;
        }
    };
    let theirs = cpucompat::xml::parse_cpus(&dom).unwrap().remove(0);
    let kvm = engine.host_view(HostView::Kvm).unwrap();
    let ours = kvm.cpu().definition();
    assert_eq!(model(ours), model(&theirs));
    assert_eq!(ours.vendor, theirs.vendor);
    assert_eq!(features(ours), features(&theirs));
}
