//! Spec checker for `specs/cases/catalog`: model expansion through libvirt's inheritance,
//! catalog validation errors, and cpu_map import (fixtures under
//! `specs/cases/catalog/fixtures/`).
//!
//! ```text
//! CatalogCase(
//!     catalog: Embedded("x86" | "ppc64" | "x86-libvirt-11.3" | "ppc64-libvirt-11.3")
//!            | Ron(r#"Catalog(...)"#)          // an inline catalog
//!            | CpuMap(dir: "fixtures/<dir>", arch: X86 | Ppc64),   // Compiled::load_cpu_map
//!     expect: Models([Expansion, ...])         // compiles; each listed model resolves so
//!           | Error("message")                 // fails with exactly this message
//!           | Text(r#"..."#),                  // CpuMap only: the stdout of `cpucompat
//!                                              // catalog import`, exactly (blessable)
//! )
//!
//! Expansion := (
//!     model: "Skylake-Client-v2",
//!     features: ["3dnowprefetch", ...],        // the resolved data, exactly, catalog order
//!     vendor: Some("Intel"),                   // vendor, parent, alias_of, canonical:
//!     parent: Some("..."),                     // always checked, omitted means None
//!     alias_of: Some("..."), canonical: Some("..."),
//!     removed: Some([...]), added: Some([...]),   // the rest: checked only when given
//!     signatures: Some([(family, model), ...]),
//!     pvrs: Some([(value, mask), ...]),
//! )
//! ```
//!
//! For `CpuMap` errors, the file in the message is the path relative to the package root
//! (`specs/cases/catalog/fixtures/...`), as cargo runs tests from there.
use crate::common::{expect_text, Case};
use cpucompat_catalog::{embedded, Arch, Catalog, Compiled, ModelInfo};
use serde::Deserialize;
use std::path::Path;

#[derive(Deserialize)]
struct CatalogCase {
    catalog: Source,
    expect: Expect,
}

#[derive(Deserialize)]
enum Source {
    Embedded(String),
    Ron(String),
    CpuMap { dir: String, arch: Arch },
}

#[derive(Deserialize)]
enum Expect {
    Models(Vec<Expansion>),
    Error(String),
    Text(String),
}

#[derive(Deserialize)]
struct Expansion {
    model: String,
    features: Vec<String>,
    #[serde(default)]
    vendor: Option<String>,
    #[serde(default)]
    parent: Option<String>,
    #[serde(default)]
    alias_of: Option<String>,
    #[serde(default)]
    canonical: Option<String>,
    #[serde(default)]
    removed: Option<Vec<String>>,
    #[serde(default)]
    added: Option<Vec<String>>,
    #[serde(default)]
    signatures: Option<Vec<(u32, u32)>>,
    #[serde(default)]
    pvrs: Option<Vec<(u32, u32)>>,
}

/// The fixture directory of a `CpuMap` source, relative to the package root.
fn fixture_dir(case: &Case, dir: &str) -> std::path::PathBuf {
    let base = case.path.parent().unwrap_or(Path::new("."));
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    base.strip_prefix(root).unwrap_or(base).join(dir)
}

/// Runs the importer behind `cpucompat catalog import`, through the library.
fn cli_import(case: &Case, source: &Source) -> Result<String, String> {
    let Source::CpuMap { dir, arch } = source else {
        return Err("Text expectations need a CpuMap source".into());
    };
    let dir = fixture_dir(case, dir);
    let arch = match arch {
        Arch::X86 => cpucompat::Arch::X86,
        Arch::Ppc64 => cpucompat::Arch::Ppc64,
        Arch::S390x => cpucompat::Arch::S390x,
    };
    cpucompat::import_cpu_map(&dir, arch).map_err(|e| e.to_string())
}

fn load(source: &Source, case: &Case) -> Result<Result<Compiled, String>, String> {
    Ok(match source {
        Source::Embedded(name) => Ok(match name.as_str() {
            "x86" => (**embedded::x86()).clone(),
            "ppc64" => (**embedded::ppc64()).clone(),
            "x86-libvirt-11.3" => (**embedded::x86_libvirt_11_3()).clone(),
            "ppc64-libvirt-11.3" => (**embedded::ppc64_libvirt_11_3()).clone(),
            other => return Err(format!("no embedded catalog '{other}'")),
        }),
        Source::Ron(text) => Catalog::from_ron(text, "inline")
            .and_then(|c| Compiled::compile(&c))
            .map_err(|e| e.to_string()),
        Source::CpuMap { dir, arch } => {
            Compiled::load_cpu_map(&fixture_dir(case, dir), *arch).map_err(|e| e.to_string())
        }
    })
}

/// Checks one `catalog` case.
pub fn check(case: &Case) -> Result<(), String> {
    let spec: CatalogCase = case.ron()?;
    if let Expect::Text(want) = &spec.expect {
        let got = cli_import(case, &spec.catalog)?;
        return expect_text(case, want, &got);
    }
    let compiled = load(&spec.catalog, case)?;
    match (spec.expect, compiled) {
        (Expect::Error(want), Err(got)) if want == got => Ok(()),
        (Expect::Error(want), Err(got)) => {
            Err(format!("wrong error\nexpected: {want}\nactual:   {got}"))
        }
        (Expect::Error(want), Ok(_)) => Err(format!("expected error '{want}', catalog compiled")),
        (Expect::Models(_), Err(got)) => Err(format!("catalog failed: {got}")),
        (Expect::Text(_), _) => Err("unreachable: text cases return above".into()),
        (Expect::Models(list), Ok(c)) => {
            let mut problems = Vec::new();
            for e in &list {
                if let Err(p) = check_model(&c, e) {
                    problems.push(format!("model '{}': {p}", e.model));
                }
            }
            if problems.is_empty() {
                Ok(())
            } else {
                Err(problems.join("\n"))
            }
        }
    }
}

fn model_name(c: &Compiled, i: Option<usize>) -> Option<String> {
    i.and_then(|i| c.models().get(i))
        .map(|m| m.name.to_string())
}

fn list_diff(what: &str, want: &[String], got: &[&str]) -> Result<(), String> {
    if want.iter().map(String::as_str).eq(got.iter().copied()) {
        return Ok(());
    }
    let missing: Vec<&String> = want.iter().filter(|w| !got.contains(&w.as_str())).collect();
    let extra: Vec<&&str> = got
        .iter()
        .filter(|g| !want.iter().any(|w| w == *g))
        .collect();
    Err(format!(
        "{what} differ: missing {missing:?}, unexpected {extra:?} (expected {} names, got {})",
        want.len(),
        got.len()
    ))
}

fn check_model(c: &Compiled, e: &Expansion) -> Result<(), String> {
    let i = c.model(&e.model).ok_or("no such model")?;
    let m: &ModelInfo = &c.models()[i];
    let mut problems = Vec::new();
    let mut push = |r: Result<(), String>| {
        if let Err(p) = r {
            problems.push(p);
        }
    };
    push(list_diff("features", &e.features, &c.names(&m.features)));
    if let Some(want) = &e.removed {
        let got: Vec<&str> = m.removed.iter().map(|&b| c.feature_name(b)).collect();
        push(list_diff("removed features", want, &got));
    }
    if let Some(want) = &e.added {
        push(list_diff("added features", want, &c.names(&m.added)));
    }
    let same = |what: &str, want: &Option<String>, got: Option<String>| {
        if *want == got {
            Ok(())
        } else {
            Err(format!("{what}: expected {want:?}, got {got:?}"))
        }
    };
    let vendor = m
        .vendor
        .and_then(|v| c.vendors().get(v))
        .map(|v| v.name.to_string());
    push(same("vendor", &e.vendor, vendor));
    push(same("parent", &e.parent, model_name(c, m.parent)));
    push(same("alias_of", &e.alias_of, model_name(c, m.alias_of)));
    push(same("canonical", &e.canonical, model_name(c, m.canonical)));
    if let Some(want) = &e.signatures {
        let got: Vec<(u32, u32)> = m.signatures.iter().map(|s| (s.family, s.model)).collect();
        if *want != got {
            push(Err(format!("signatures: expected {want:?}, got {got:?}")));
        }
    }
    if let Some(want) = &e.pvrs {
        let got: Vec<(u32, u32)> = m.pvrs.iter().map(|p| (p.value, p.mask)).collect();
        if *want != got {
            push(Err(format!("pvrs: expected {want:x?}, got {got:x?}")));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("; "))
    }
}
