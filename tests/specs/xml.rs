//! Spec checker for `specs/cases/xml`: reading and writing CPU XML.
//!
//! A case names its input (`fixture`, a file next to the case, or inline `text`) and
//! expects either an `error` (`"LINE:COL: message"`, word for word) or:
//! * `count` definitions (or, with `dump: true`, one `<cpudata>`);
//! * `output`: the normalized text (each definition as libvirt writes it); re-blessable;
//! * `json` (optional): the JSON array `cpucompat parse --format json` prints (compact);
//! * `libvirt_formatted: true`: the fixture was written by libvirt itself, so printing
//!   must reproduce it byte for byte (an oracle independent of this project).
//!
//! And always the laws: parse(print(x)) is x normalized (positions aside), printing is
//! idempotent, and the streaming reader (tiny buffer) agrees with whole-input parsing.
use crate::common::{expect_text, Case};
use cpucompat::xml::{cpu_to_json, parse_cpudata, parse_cpus, write_cpu, write_cpudata, CpuReader};
use cpucompat::{CpuDef, Pos};
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct XmlSpec {
    /// What the case shows.
    #[allow(dead_code)]
    about: String,
    /// A fixture file, relative to the case file.
    #[serde(default)]
    fixture: String,
    /// Or the input inline.
    #[serde(default)]
    text: String,
    #[serde(default)]
    dump: bool,
    #[serde(default)]
    count: Option<usize>,
    #[serde(default)]
    libvirt_formatted: bool,
    #[serde(default)]
    output: Option<String>,
    #[serde(default)]
    json: Option<String>,
    #[serde(default)]
    error: Option<String>,
}

fn strip(c: &CpuDef) -> CpuDef {
    let mut c = c.normalized();
    c.pos = Pos::default();
    c
}

/// Checks one `xml` case.
pub fn check(case: &Case) -> Result<(), String> {
    let spec: XmlSpec = case.ron()?;
    let input = match (spec.fixture.as_str(), spec.text.as_str()) {
        (f, "") if !f.is_empty() => {
            let p = case.path.parent().unwrap_or(&case.path).join(f);
            std::fs::read_to_string(&p).map_err(|e| format!("{}: {e}", p.display()))?
        }
        ("", t) => t.to_string(),
        _ => return Err("give exactly one of `fixture` and `text`".into()),
    };
    if spec.dump {
        return check_dump(case, &spec, &input);
    }
    let parsed = parse_cpus(&input);
    let streamed: Result<Vec<CpuDef>, _> =
        CpuReader::new(std::io::BufReader::with_capacity(5, input.as_bytes())).collect();
    if streamed != parsed {
        return Err(format!(
            "streaming reader disagrees:\nstream: {streamed:?}\nwhole: {parsed:?}"
        ));
    }
    let cpus = match (parsed, &spec.error) {
        (Err(e), Some(want)) => return expect_text(case, want, &e.to_string()),
        (Err(e), None) => return Err(format!("unexpected error: {e}")),
        (Ok(v), Some(want)) => {
            return Err(format!("expected error {want}, parsed {} CPUs", v.len()))
        }
        (Ok(v), None) => v,
    };
    if let Some(n) = spec.count {
        if n != cpus.len() {
            return Err(format!(
                "expected {n} CPU definitions, found {}",
                cpus.len()
            ));
        }
    }
    let printed: String = cpus.iter().map(write_cpu).collect();
    for c in &cpus {
        let w = write_cpu(c);
        let back = parse_cpus(&w).map_err(|e| format!("printed CPU does not parse: {e}\n{w}"))?;
        if back.len() != 1 || strip(&back[0]) != strip(c) {
            return Err(format!("print-then-parse changed the value:\n{w}"));
        }
        if write_cpu(&back[0]) != w {
            return Err(format!("printing is not idempotent:\n{w}"));
        }
    }
    if spec.libvirt_formatted && printed != input {
        let d = crate::common::diff(&input, &printed).unwrap_or_default();
        return Err(format!(
            "output differs from libvirt's own formatting:\n{d}"
        ));
    }
    if let Some(want) = &spec.json {
        let got = serde_json::Value::Array(cpus.iter().map(cpu_to_json).collect()).to_string();
        expect_text(case, want, &got)?;
    }
    match &spec.output {
        Some(want) => expect_text(case, want, &printed),
        None => Err("a case without `error` needs `output`".into()),
    }
}

fn check_dump(case: &Case, spec: &XmlSpec, input: &str) -> Result<(), String> {
    let d = match (parse_cpudata(input), &spec.error) {
        (Err(e), Some(want)) => return expect_text(case, want, &e.to_string()),
        (Err(e), None) => return Err(format!("unexpected error: {e}")),
        (Ok(_), Some(want)) => return Err(format!("expected error {want}")),
        (Ok(d), None) => d,
    };
    if let Some(n) = spec.count {
        if n != d.items.len() {
            return Err(format!("expected {n} items, found {}", d.items.len()));
        }
    }
    let printed = write_cpudata(&d);
    let back = parse_cpudata(&printed).map_err(|e| format!("printed dump does not parse: {e}"))?;
    if back != d {
        return Err("print-then-parse changed the dump".into());
    }
    if spec.libvirt_formatted {
        // libvirt's dumps start with a comment naming the CPU; the items must match.
        let body = input.find("<cpudata").map(|i| &input[i..]).unwrap_or(input);
        if body != printed {
            let d = crate::common::diff(body, &printed).unwrap_or_default();
            return Err(format!(
                "output differs from libvirt's own formatting:\n{d}"
            ));
        }
    }
    match &spec.output {
        Some(want) => expect_text(case, want, &printed),
        None => Err("a case without `error` needs `output`".into()),
    }
}
