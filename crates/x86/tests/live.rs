//! The live CPU: `probe_host` against the `cpuid` tool's raw dump of the same machine
//! (skipped, with the reason printed, when `cpuid` is not installed or not on x86_64).
use cpucompat_x86::{parse_cpuid_r, probe_host, X86};
use cpucompat_xml::model::CpuKind;

#[test]
fn probe_host_agrees_with_cpuid_r() {
    let Some(probed) = probe_host() else {
        eprintln!("skipped: probe_host is x86_64 only");
        return;
    };
    let out = match std::process::Command::new("cpuid").arg("-r").output() {
        Ok(o) if o.status.success() => o,
        _ => {
            eprintln!("skipped: the `cpuid` tool is not installed (apt-get install cpuid)");
            return;
        }
    };
    let text = String::from_utf8(out.stdout).unwrap();
    let dumped = parse_cpuid_r(&text).unwrap();
    for cat in [
        cpucompat_catalog::embedded::x86(),
        cpucompat_catalog::embedded::x86_libvirt_11_3(),
    ] {
        let x = X86::new(cat.clone());
        // Feature bits of CPUID only: the tool reads no MSRs.
        let cpuid_only = |d: &cpucompat_xml::model::CpuData| {
            let mut d = d.clone();
            d.items
                .retain(|i| matches!(i, cpucompat_xml::model::CpuDataItem::Cpuid { .. }));
            d
        };
        let a = x.read_features(&cpuid_only(&probed)).unwrap();
        let b = x.read_features(&cpuid_only(&dumped)).unwrap();
        assert_eq!(x.names(&(a ^ b)), Vec::<String>::new());
        let ha = x.decode(&cpuid_only(&probed), CpuKind::Host, None).unwrap();
        let hb = x.decode(&cpuid_only(&dumped), CpuKind::Host, None).unwrap();
        assert_eq!(ha.model, hb.model);
        assert_eq!(ha.features, hb.features);
        assert_eq!(ha.signature, hb.signature);
    }
}
