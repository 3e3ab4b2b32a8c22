//! The spec harness: every `specs/cases/<area>/**/*.ron` file runs through one
//! [`check`], which hands it to the checker of its area. A failing case prints a readable
//! diff of expected against actual. With `CPUCOMPAT_BLESS=1`, checkers that compare output
//! text rewrite the expected output in the spec file instead of failing.
#[path = "specs/common.rs"]
mod common;

#[path = "specs/catalog.rs"]
mod catalog;
#[path = "specs/fleet.rs"]
mod fleet;
#[path = "specs/ppc64.rs"]
mod ppc64;
#[path = "specs/s390x.rs"]
mod s390x;
#[path = "specs/x86.rs"]
mod x86;
#[path = "specs/xml.rs"]
mod xml;

use common::Case;
use std::path::{Path, PathBuf};

/// Runs one spec file through the checker of its area.
fn check(case: &Case) -> Result<(), String> {
    match case.area.as_str() {
        "catalog" => catalog::check(case),
        "fleet" => fleet::check(case),
        "xml" => xml::check(case),
        "x86" => x86::check(case),
        "ppc64" => ppc64::check(case),
        "s390x" => s390x::check(case),
        other => Err(format!("no checker for area '{other}'")),
    }
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            collect(&p, out);
        } else if p.extension().is_some_and(|e| e == "ron") {
            out.push(p);
        }
    }
}

#[test]
fn every_spec_case_holds() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("specs/cases");
    let mut files = Vec::new();
    collect(&root, &mut files);
    let filter = std::env::var("CPUCOMPAT_SPEC").ok();
    let mut failures = Vec::new();
    let mut ran = 0usize;
    let mut per_area: std::collections::BTreeMap<String, usize> = Default::default();
    for path in &files {
        let rel = path.strip_prefix(&root).unwrap_or(path);
        if let Some(f) = &filter {
            if !rel.to_string_lossy().contains(f.as_str()) {
                continue;
            }
        }
        let case = match Case::load(&root, path) {
            Ok(c) => c,
            Err(e) => {
                failures.push(format!("{}: {e}", rel.display()));
                continue;
            }
        };
        ran += 1;
        *per_area.entry(case.area.clone()).or_default() += 1;
        if let Err(e) = check(&case) {
            failures.push(format!("{}:\n{e}", rel.display()));
        }
    }
    eprintln!("spec files run: {ran} {per_area:?}");
    if !failures.is_empty() {
        panic!(
            "{} of {ran} spec files failed:\n\n{}",
            failures.len(),
            failures.join("\n\n")
        );
    }
}
