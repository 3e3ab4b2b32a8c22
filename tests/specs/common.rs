//! Shared pieces of the spec harness: loading a case, diffs, re-blessing.
#![allow(dead_code)]
use std::path::{Path, PathBuf};

/// One spec file.
pub struct Case {
    /// The area: the first directory under `specs/cases`.
    pub area: String,
    /// The file.
    pub path: PathBuf,
    /// Its text.
    pub text: String,
}

impl Case {
    /// Reads a spec file under `root`.
    pub fn load(root: &Path, path: &Path) -> Result<Case, String> {
        let rel = path.strip_prefix(root).map_err(|e| e.to_string())?;
        let area = rel
            .components()
            .next()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .unwrap_or_default();
        let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
        Ok(Case {
            area,
            path: path.to_path_buf(),
            text,
        })
    }

    /// Deserializes the case as RON.
    pub fn ron<T: serde::de::DeserializeOwned>(&self) -> Result<T, String> {
        ron::from_str(&self.text).map_err(|e| format!("bad spec file: {e}"))
    }
}

/// Whether expected output should be rewritten instead of compared.
pub fn blessing() -> bool {
    std::env::var("CPUCOMPAT_BLESS").is_ok_and(|v| v == "1")
}

/// A line diff of `expected` against `actual`; `None` when equal.
pub fn diff(expected: &str, actual: &str) -> Option<String> {
    if expected == actual {
        return None;
    }
    let e: Vec<&str> = expected.lines().collect();
    let a: Vec<&str> = actual.lines().collect();
    // Longest common subsequence table, small inputs only.
    let (n, m) = (e.len(), a.len());
    let mut lcs = vec![vec![0u32; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lcs[i][j] = if e[i] == a[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    let mut out = String::from("--- expected\n+++ actual\n");
    while i < n || j < m {
        if i < n && j < m && e[i] == a[j] {
            out.push_str(&format!("  {}\n", e[i]));
            i += 1;
            j += 1;
        } else if j < m && (i == n || lcs[i][j + 1] >= lcs[i + 1][j]) {
            out.push_str(&format!("+ {}\n", a[j]));
            j += 1;
        } else {
            out.push_str(&format!("- {}\n", e[i]));
            i += 1;
        }
    }
    if expected.trim_end() == actual.trim_end() {
        out.push_str("(only trailing whitespace differs)\n");
    }
    Some(out)
}

/// Compares an expected string with an actual one, or, when blessing, rewrites the spec
/// file by replacing the raw string literal holding `expected` with `actual`.
pub fn expect_text(case: &Case, expected: &str, actual: &str) -> Result<(), String> {
    match diff(expected, actual) {
        None => Ok(()),
        Some(d) if blessing() => {
            let text = std::fs::read_to_string(&case.path).map_err(|e| e.to_string())?;
            let Some(at) = text.find(expected) else {
                return Err(format!(
                    "cannot bless: expected text not found verbatim\n{d}"
                ));
            };
            let new = format!("{}{}{}", &text[..at], actual, &text[at + expected.len()..]);
            std::fs::write(&case.path, new).map_err(|e| e.to_string())?;
            Ok(())
        }
        Some(d) => Err(d),
    }
}
