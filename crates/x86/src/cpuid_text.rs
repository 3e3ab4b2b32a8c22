//! `cpuid -r` text (the raw dump of the `cpuid` tool) → a CPUID dump.
//!
//! Grammar (first CPU only; a second `CPU n:` header ends the input read):
//!
//! ```text
//! file   = { blank | header | leaf }
//! header = "CPU" [ " " digits ] ":"
//! leaf   = hex " " hex ":" " eax=" hex " ebx=" hex " ecx=" hex " edx=" hex
//! hex    = "0x" 1*8 hex-digit
//! ```
//!
//! Errors name the 1-based line and column of the first token that is not what the grammar
//! expects.
use cpucompat_xml::model::{CpuData, CpuDataItem, Pos};

use crate::X86Error;

/// Parses `cpuid -r` output (the first CPU's leaves).
///
/// # Errors
/// [`X86Error::CpuidText`] at the first token the grammar does not expect (a header other
/// than `CPU:`/`CPU n:`, a bad leaf or sub-leaf, a missing or malformed register, extra
/// tokens), with its line and column; [`X86Error::NoCpuidLeaves`] when the first CPU has no
/// leaf line.
pub fn parse_cpuid_r(text: &str) -> Result<CpuData, X86Error> {
    let mut items = Vec::new();
    let mut headers = 0;
    for (ln, line) in text.lines().enumerate() {
        let tokens = tokens(line);
        let Some(&(col0, first)) = tokens.first() else {
            continue;
        };
        let at = |col: usize| Pos {
            line: ln as u32 + 1,
            column: col as u32 + 1,
        };
        if first.starts_with("CPU") {
            headers += 1;
            if headers > 1 {
                break;
            }
            let ok = match tokens.as_slice() {
                [(_, "CPU:")] => true,
                [(_, "CPU"), (_, n)] => n
                    .strip_suffix(':')
                    .is_some_and(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit())),
                _ => false,
            };
            if !ok {
                return Err(X86Error::CpuidText {
                    expected: "a header like 'CPU 0:'".into(),
                    pos: at(col0),
                });
            }
            continue;
        }
        let expect = |i: usize, what: &str| X86Error::CpuidText {
            expected: what.to_string(),
            pos: at(tokens.get(i).map_or(line.chars().count(), |t| t.0)),
        };
        let leaf = tokens
            .first()
            .and_then(|t| hex(t.1))
            .ok_or_else(|| expect(0, "a leaf like '0x00000007'"))?;
        let subleaf = tokens
            .get(1)
            .and_then(|t| t.1.strip_suffix(':'))
            .and_then(hex)
            .ok_or_else(|| expect(1, "a sub-leaf like '0x00:'"))?;
        let mut regs = [0u32; 4];
        for (i, reg) in ["eax", "ebx", "ecx", "edx"].iter().enumerate() {
            regs[i] = tokens
                .get(2 + i)
                .and_then(|t| t.1.strip_prefix(reg))
                .and_then(|t| t.strip_prefix('='))
                .and_then(hex)
                .ok_or_else(|| expect(2 + i, &format!("'{reg}=0x...'")))?;
        }
        if tokens.len() > 6 {
            return Err(expect(6, "the end of the line"));
        }
        items.push(CpuDataItem::Cpuid {
            leaf,
            subleaf,
            regs,
        });
    }
    if items.is_empty() {
        return Err(X86Error::NoCpuidLeaves);
    }
    Ok(CpuData {
        arch: "x86".into(),
        items,
    })
}

/// Whitespace-separated tokens with their 0-based character column.
fn tokens(line: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut start = None;
    let mut start_col = 0;
    for (col, (i, c)) in line.char_indices().enumerate() {
        if c.is_whitespace() {
            if let Some(s) = start.take() {
                out.push((start_col, &line[s..i]));
            }
        } else if start.is_none() {
            start = Some(i);
            start_col = col;
        }
    }
    if let Some(s) = start {
        out.push((start_col, &line[s..]));
    }
    out
}

fn hex(s: &str) -> Option<u32> {
    let digits = s.strip_prefix("0x")?;
    if digits.is_empty() || digits.len() > 8 {
        return None;
    }
    u32::from_str_radix(digits, 16).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "CPU 0:
   0x00000000 0x00: eax=0x00000020 ebx=0x756e6547 ecx=0x6c65746e edx=0x49656e69
   0x00000007 0x01: eax=0x00001c30 ebx=0x00000000 ecx=0x00000000 edx=0x00000000
CPU 1:
   0x00000000 0x00: eax=0x00000000 ebx=0x00000000 ecx=0x00000000 edx=0x00000000
";

    #[test]
    fn reads_the_first_cpu_only() {
        let d = parse_cpuid_r(SAMPLE).unwrap();
        assert_eq!(d.arch, "x86");
        assert_eq!(
            d.items,
            vec![
                CpuDataItem::Cpuid {
                    leaf: 0,
                    subleaf: 0,
                    regs: [0x20, 0x756e6547, 0x6c65746e, 0x49656e69]
                },
                CpuDataItem::Cpuid {
                    leaf: 7,
                    subleaf: 1,
                    regs: [0x1c30, 0, 0, 0]
                },
            ]
        );
    }

    #[test]
    fn errors_name_line_and_column() {
        let text = "CPU:\n   0x00000001 0x00: eax=0x1 ebx=0xzz ecx=0x0 edx=0x0\n";
        let err = parse_cpuid_r(text).unwrap_err();
        assert_eq!(err.to_string(), "bad cpuid -r output: expected 'ebx=0x...'");
        assert_eq!(
            err.pos(),
            Some(Pos {
                line: 2,
                column: 29
            })
        );
        let err = parse_cpuid_r("   0x1 0x0 eax=0x1").unwrap_err();
        assert_eq!(
            err.to_string(),
            "bad cpuid -r output: expected a sub-leaf like '0x00:'"
        );
        assert_eq!(err.pos(), Some(Pos { line: 1, column: 8 }));
        assert_eq!(parse_cpuid_r("\n\n").unwrap_err(), X86Error::NoCpuidLeaves);
    }
}
