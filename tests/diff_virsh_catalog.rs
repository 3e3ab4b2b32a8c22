//! Differential test against the installed libvirt, through the library and the binary:
//! an engine on the system cpu_map (`/usr/share/libvirt/cpu_map`, the data the installed
//! `virsh` reads; `Engine::builder(..).cpu_map(CpuMap::Dir(..))`) must list exactly the
//! models `virsh -c test:///default cpu-models ARCH` lists, in its order, and for every x86
//! model M, `virsh cpu-baseline --features` of a host CPU naming M must list exactly the
//! features `Engine::expand(M)` resolves (inheritance, aliases, removed features), which
//! are the features `cpucompat expand M --format xml` requires. (The binary prints the
//! guest CPU named M with `fallback='forbid'`; virsh names the model its decode picks, an
//! older alias with `fallback='allow'`, so the texts are equal only for some models: the
//! count is printed.)
//!
//! Skips, saying why, when `virsh` or the cpu_map directory is absent.
mod support;

use cpucompat::{Arch, CpuMap, Engine};
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

/// The features a printed `<cpu>` enables (every `<feature>` not disabled).
fn enabled(xml: &str) -> BTreeSet<&str> {
    xml.lines()
        .filter(|l| l.contains("<feature ") && !l.contains("policy='disable'"))
        .filter_map(|l| l.split("name='").nth(1)?.split('\'').next())
        .collect()
}

fn engine(arch: Arch) -> Engine {
    Engine::builder(arch)
        .cpu_map(CpuMap::Dir(CPU_MAP.into()))
        .build()
        .unwrap()
}

#[test]
fn virsh_lists_the_models_of_the_system_cpu_map() {
    if !available() {
        return;
    }
    for (arch, virsh_arch) in [(Arch::X86, "x86_64"), (Arch::Ppc64, "ppc64")] {
        let ours: Vec<String> = engine(arch)
            .models()
            .iter()
            .map(|m| m.name().to_string())
            .collect();
        assert_eq!(ours, listed(virsh_arch), "{virsh_arch} models");
        // The binary lists the same.
        let run = support::cpucompat(
            None,
            &[
                "models",
                "--arch",
                virsh_arch,
                "--cpu-map",
                CPU_MAP,
                "--format",
                "json",
            ],
            None,
        );
        assert_eq!(run.code, 0, "{}", run.stderr);
        let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
        let names: Vec<&str> = v
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ours, "{virsh_arch}: cpucompat models");
    }
}

#[test]
fn virsh_expands_every_x86_model_as_the_engine_does() {
    if !available() {
        return;
    }
    let engine = engine(Arch::X86);
    let dir = std::env::temp_dir().join(format!("cpucompat-catalog-diff-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut mismatches = Vec::new();
    let mut same_text = 0;
    let models = engine.models();
    for m in &models {
        let name = m.name();
        let file = dir.join("cpu.xml");
        std::fs::write(
            &file,
            format!("<cpu><arch>x86_64</arch><model>{name}</model></cpu>\n"),
        )
        .unwrap();
        let Some(out) = virsh(&["cpu-baseline", "--features", file.to_str().unwrap()]) else {
            mismatches.push(format!("{name}: virsh cpu-baseline failed"));
            continue;
        };
        let theirs = enabled(&out);
        let expansion = engine.expand(name).unwrap();
        let ours: BTreeSet<&str> = expansion.features().iter().map(String::as_str).collect();
        if theirs != ours {
            mismatches.push(format!(
                "{name}: only virsh {:?}, only ours {:?}",
                theirs.difference(&ours).collect::<Vec<_>>(),
                ours.difference(&theirs).collect::<Vec<_>>()
            ));
        }
        // The binary requires the same features.
        let run = support::cpucompat(
            None,
            &["expand", name, "--cpu-map", CPU_MAP, "--format", "xml"],
            None,
        );
        if run.code != 0 {
            mismatches.push(format!("{name}: cpucompat expand failed: {}", run.stderr));
            continue;
        }
        if run.stdout.trim() == out.trim() {
            same_text += 1;
        }
        let printed = enabled(&run.stdout);
        if printed != theirs {
            mismatches.push(format!(
                "{name}: cpucompat expand --format xml: only virsh {:?}, only cpucompat {:?}",
                theirs.difference(&printed).collect::<Vec<_>>(),
                printed.difference(&theirs).collect::<Vec<_>>()
            ));
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    eprintln!(
        "compared {} models with virsh ({same_text} of them printed by the binary as virsh \
         prints them)",
        models.len()
    );
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}
