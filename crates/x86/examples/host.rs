//! Decodes the machine this runs on, as host and as guest, with the default (libvirt 12.8)
//! catalog, and counts the usable catalog models: `cargo run -p cpucompat-x86 --example host`.
use cpucompat_x86::{probe_host, X86};
use cpucompat_xml::model::CpuKind;

fn main() {
    let Some(data) = probe_host() else {
        eprintln!("not an x86_64 machine");
        return;
    };
    let x = X86::new(cpucompat_catalog::embedded::x86().clone());
    for kind in [CpuKind::Host, CpuKind::Guest] {
        match x.decode(&data, kind, None) {
            Ok(cpu) => print!("{}", cpucompat_xml::write_cpu(&cpu)),
            Err(e) => eprintln!("{kind:?} decode: {e}"),
        }
    }
    if let Ok(host) = x.decode(&data, CpuKind::Host, None) {
        if let Ok(models) = x.runnable_models(&host) {
            let usable: Vec<&str> = models
                .iter()
                .filter(|m| m.usable)
                .map(|m| m.name.as_str())
                .collect();
            println!("usable models: {} of {}", usable.len(), models.len());
        }
    }
}
