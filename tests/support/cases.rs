//! The operations of the spec cases (`specs/cases/**/*.ron`), read from their `op:` line
//! without the case types of `tests/specs/`: enough for tests that feed the cases' inputs
//! to other clients (the JSON schema check, the examples).
use std::path::{Path, PathBuf};

/// One case's operation: its name (`Compare`, `Baseline`, ...), the line that writes it,
/// and its quoted strings in order (paths relative to the area's folder, PVRs).
pub struct Op {
    /// The case file.
    pub file: PathBuf,
    /// The operation's name.
    pub name: String,
    /// The text after `op: `.
    pub line: String,
    /// Every quoted string of the line.
    pub strings: Vec<String>,
}

impl Op {
    /// Whether the operation sets `flag: true`.
    pub fn flag(&self, flag: &str) -> bool {
        self.line.contains(&format!("{flag}: true"))
    }
}

/// The operation of every case under `dir`, recursively, in path order.
pub fn ops(dir: &Path) -> Vec<Op> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "ron") {
                files.push(p);
            }
        }
    }
    files.sort();
    let mut out = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).expect("a case file");
        for l in text.lines() {
            let Some(rest) = l.trim().strip_prefix("op: ") else {
                continue;
            };
            out.push(Op {
                file: f.clone(),
                name: rest.chars().take_while(|c| c.is_alphanumeric()).collect(),
                line: rest.to_string(),
                strings: rest
                    .split('"')
                    .skip(1)
                    .step_by(2)
                    .map(str::to_string)
                    .collect(),
            });
        }
    }
    out
}
