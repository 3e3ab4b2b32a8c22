//! Differential test against the installed libvirt: import the system cpu_map
//! (`/usr/share/libvirt/cpu_map`, the data the installed `virsh` reads), then check that
//! `virsh -c test:///default cpu-models ARCH` lists exactly our models, in our order, and
//! that `virsh cpu-baseline --features` of a host CPU naming model M lists exactly the
//! features our compilation resolves for M (inheritance, aliases, removed features).
//!
//! Skips, saying why, when `virsh` or the cpu_map directory is absent.
use cpucompat_catalog::{Arch, Compiled};
use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

const CPU_MAP: &str = "/usr/share/libvirt/cpu_map";

fn virsh(args: &[&str]) -> Option<String> {
    let out = Command::new("virsh")
        .args(["-q", "-c", "test:///default"])
        .args(args)
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

fn available() -> bool {
    if virsh(&["cpu-models", "x86_64"]).is_none() {
        eprintln!("skipped: `virsh -c test:///default` is not available");
        return false;
    }
    if !Path::new(CPU_MAP).join("index.xml").exists() {
        eprintln!("skipped: {CPU_MAP}/index.xml is absent");
        return false;
    }
    true
}

fn listed(arch: &str) -> Vec<String> {
    virsh(&["cpu-models", arch])
        .unwrap_or_default()
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

#[test]
fn virsh_lists_the_models_of_the_imported_system_cpu_map() {
    if !available() {
        return;
    }
    for (arch, virsh_arch) in [(Arch::X86, "x86_64"), (Arch::Ppc64, "ppc64")] {
        let c = Compiled::load_cpu_map(Path::new(CPU_MAP), arch).unwrap();
        let ours: Vec<&str> = c.models().iter().map(|m| &*m.name).collect();
        assert_eq!(ours, listed(virsh_arch), "{virsh_arch} models");
    }
}

#[test]
fn virsh_expands_every_x86_model_as_the_compiled_catalog_does() {
    if !available() {
        return;
    }
    let c = Compiled::load_cpu_map(Path::new(CPU_MAP), Arch::X86).unwrap();
    let dir = std::env::temp_dir().join(format!("cpucompat-catalog-diff-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut mismatches = Vec::new();
    for m in c.models() {
        let file = dir.join("cpu.xml");
        std::fs::write(
            &file,
            format!("<cpu><arch>x86_64</arch><model>{}</model></cpu>\n", m.name),
        )
        .unwrap();
        let Some(out) = virsh(&["cpu-baseline", "--features", file.to_str().unwrap()]) else {
            mismatches.push(format!("{}: virsh cpu-baseline failed", m.name));
            continue;
        };
        let theirs: BTreeSet<&str> = out
            .lines()
            .filter(|l| l.contains("<feature ") && !l.contains("policy='disable'"))
            .filter_map(|l| l.split("name='").nth(1)?.split('\'').next())
            .collect();
        let ours: BTreeSet<&str> = c.names(&m.features).into_iter().collect();
        if theirs != ours {
            mismatches.push(format!(
                "{}: only virsh {:?}, only ours {:?}",
                m.name,
                theirs.difference(&ours).collect::<Vec<_>>(),
                ours.difference(&theirs).collect::<Vec<_>>()
            ));
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    eprintln!("compared {} models with virsh", c.models().len());
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}
