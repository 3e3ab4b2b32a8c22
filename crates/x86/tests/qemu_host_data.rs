//! What only the adapter knows of libvirt 11.3's QEMU driver on x86, on the committed
//! capabilities cache (`specs/qemu-driver/x86_64-qemu-7.2.qemucaps.xml`): the cache as
//! libvirt wrote it, QEMU's feature filter (the property names this QEMU knows that the
//! 11.3 map knows), machine-type selection, and a host of an architecture cpucompat does
//! not decide. The differential and replay tests, and the rules a client sees, go through
//! the `cpucompat` library: `tests/qemu_driver_x86.rs` and `tests/diff_qemu_driver_x86.rs`
//! at the top level.
use cpucompat_x86::{HostSource, QemuHost, X86Error, X86};
use cpucompat_xml::qemucaps::{self, Accel};

fn x86() -> X86 {
    X86::new(cpucompat_catalog::embedded::x86_libvirt_11_3().clone())
}

fn specs(name: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../specs/qemu-driver")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn host(accel: Accel) -> QemuHost {
    let caps = qemucaps::parse_qemu_caps(&specs("x86_64-qemu-7.2.qemucaps.xml")).unwrap();
    x86().qemu_host(&caps, accel, "x86_64", None).unwrap()
}

#[test]
fn the_committed_cache_reads_as_libvirt_wrote_it() {
    let caps = qemucaps::parse_qemu_caps(&specs("x86_64-qemu-7.2.qemucaps.xml")).unwrap();
    assert_eq!(caps.emulator, "/usr/bin/qemu-system-x86_64");
    assert_eq!(caps.version_triple(), Some((7, 2, 22)));
    assert_eq!(caps.definitions_for(Accel::Kvm).count(), 132);
    assert_eq!(caps.definitions_for(Accel::Tcg).count(), 132);
    let kvm = caps.host_cpu(Accel::Kvm).unwrap();
    assert!(kvm.migratability);
    let invtsc = kvm.props.iter().find(|p| p.name == "invtsc").unwrap();
    assert_eq!(invtsc.migratable, Some(false));
    // The filter F: this QEMU's property names that the 11.3 map knows (293 of 364, the
    // same for both accelerators).
    let cat = cpucompat_catalog::embedded::x86_libvirt_11_3();
    for accel in [Accel::Kvm, Accel::Tcg] {
        let h = host(accel);
        assert_eq!(h.source(), HostSource::Cache);
        let f = h.filter().unwrap();
        let mut known: Vec<&str> = f
            .known
            .iter()
            .filter(|n| cat.feature(n).is_some())
            .map(String::as_str)
            .collect();
        known.sort_unstable();
        known.dedup();
        assert_eq!(known.len(), 293, "{accel:?}");
    }
    // domcapabilities has no filter.
    let dc = qemucaps::parse_domain_caps(&specs("x86_64-kvm.domcaps.xml")).unwrap();
    let h = x86().qemu_host_from_domcaps(&dc).unwrap();
    assert_eq!(h.source(), HostSource::DomainCaps);
    assert!(h.filter().is_none());
}

const TINY: &str = "<qemuCaps>
  <emulator>/usr/bin/qemu-system-x86_64</emulator>
  <arch>x86_64</arch>
  <flag name='tcg'/>
  <machine type='tcg' name='pc-q35-7.2' alias='q35'/>
  <cpu type='tcg' name='qemu64' usable='yes'/>
</qemuCaps>";

#[test]
fn machine_selection_and_foreign_hosts() {
    let x86 = x86();
    let caps = qemucaps::parse_qemu_caps(TINY).unwrap();
    let e = x86
        .qemu_host(&caps, Accel::Tcg, "x86_64", Some("pc-i440fx-7.2"))
        .unwrap_err();
    assert_eq!(
        e.libvirt_text(),
        "invalid argument: the machine 'pc-i440fx-7.2' is not supported by emulator \
         '/usr/bin/qemu-system-x86_64'"
    );
    assert!(x86
        .qemu_host(&caps, Accel::Tcg, "x86_64", Some("q35"))
        .is_ok());
    let hvf = x86.qemu_host(&caps, Accel::Hvf, "x86_64", None).unwrap();
    let one = cpucompat_xml::parse_cpus("<cpu><model>qemu64</model></cpu>").unwrap();
    assert_eq!(
        x86.hypervisor_baseline(&hvf, &one, &Default::default())
            .unwrap_err(),
        X86Error::NoHypervisorModels {
            emulator: "/usr/bin/qemu-system-x86_64".into(),
            virttype: "hvf".into()
        }
    );
    // A host of an arch cpucompat does not decide has no host-model for x86 guests.
    let full = qemucaps::parse_qemu_caps(&specs("x86_64-qemu-7.2.qemucaps.xml")).unwrap();
    let foreign = x86.qemu_host(&full, Accel::Tcg, "aarch64", None).unwrap();
    assert!(foreign.host_model().is_none());
}
