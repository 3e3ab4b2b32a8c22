//! Reading input files, guessing their architecture, and the arch-independent commands
//! (`parse`, `catalog import`).
use crate::{Arch, Error};
use std::io::Read;
use std::path::{Path, PathBuf};

/// The largest input file read, in bytes.
pub const MAX_INPUT: u64 = 64 << 20;

/// Reads a whole file (or stdin for `-`), bounded by [`MAX_INPUT`].
pub fn read(path: &Path) -> Result<String, Error> {
    let name = display(path);
    let mut buf = Vec::new();
    let res = if path.as_os_str() == "-" {
        std::io::stdin()
            .lock()
            .take(MAX_INPUT + 1)
            .read_to_end(&mut buf)
    } else {
        std::fs::File::open(path).and_then(|f| f.take(MAX_INPUT + 1).read_to_end(&mut buf))
    };
    res.map_err(|source| Error::Io {
        path: name.clone(),
        source,
    })?;
    if buf.len() as u64 > MAX_INPUT {
        return Err(Error::input(
            &name,
            0,
            0,
            format!("file is larger than {MAX_INPUT} bytes"),
        ));
    }
    String::from_utf8(buf).map_err(|e| {
        let bad = e.utf8_error().valid_up_to();
        let (line, column) = line_col(&e.as_bytes()[..bad]);
        Error::input(&name, line, column, "not UTF-8 text")
    })
}

/// The 1-based line and column just after `before` (columns count characters).
fn line_col(before: &[u8]) -> (u32, u32) {
    let (mut line, mut col) = (1u32, 1u32);
    for &b in before {
        if b == b'\n' {
            line = line.saturating_add(1);
            col = 1;
        } else if b & 0xC0 != 0x80 {
            col = col.saturating_add(1);
        }
    }
    (line, col)
}

/// An XML-layer error in file `name`, as a located input error.
pub fn xml_error(name: &str, e: &cpucompat_xml::XmlError) -> Error {
    let pos = e.pos();
    Error::input(name, pos.line, pos.column, e.message())
}

/// How a path is named in messages.
pub fn display(path: &Path) -> String {
    if path.as_os_str() == "-" {
        "<stdin>".to_string()
    } else {
        path.display().to_string()
    }
}

/// How much of each input [`arch_of`] looks at: the architecture is named near the top.
const SNIFF_WINDOW: u64 = 64 << 10;

/// The architecture of a command: `--arch`, else the first input that names one (in its
/// first 64 KiB, so a pool file of a million hosts is not read twice), else x86.
pub fn arch_of(forced: Option<Arch>, paths: &[&PathBuf]) -> Result<Arch, Error> {
    if let Some(a) = forced {
        return Ok(a);
    }
    for p in paths {
        if p.as_os_str() == "-" {
            continue;
        }
        let mut head = Vec::new();
        std::fs::File::open(p)
            .and_then(|f| f.take(SNIFF_WINDOW).read_to_end(&mut head))
            .map_err(|source| Error::Io {
                path: display(p),
                source,
            })?;
        if let Some(a) = sniff_arch(&String::from_utf8_lossy(&head)) {
            return Ok(a);
        }
    }
    Ok(Arch::X86)
}

/// Finds an architecture named by an `<arch>` element or a `<cpudata arch=>` attribute.
pub fn sniff_arch(text: &str) -> Option<Arch> {
    if let Some(i) = text.find("<arch>") {
        let rest = &text[i + 6..];
        if let Some(j) = rest.find("</arch>") {
            return Arch::from_name(rest[..j].trim());
        }
    }
    if let Some(i) = text.find("<cpudata") {
        let rest = &text[i..];
        for q in ["arch='", "arch=\""] {
            if let Some(j) = rest.find(q) {
                let v = &rest[j + q.len()..];
                let end = v.find(['\'', '"']).unwrap_or(v.len());
                return Arch::from_name(&v[..end]);
            }
        }
    }
    sniff_model(text)
}

/// Guesses the architecture from the first `<model>` name: s390x models are `z…` and
/// `gen…` (libvirt's rule for the IBM vendor of s390 models), POWER models and compat levels
/// start with `POWER`/`power`. x86 model names do neither.
fn sniff_model(text: &str) -> Option<Arch> {
    let i = text.find("<model")?;
    let rest = &text[i..];
    let start = rest.find('>')? + 1;
    if rest[..start].ends_with("/>") {
        return None;
    }
    let end = start + rest[start..].find('<')?;
    let name = rest[start..end].trim();
    let digit_after = |p: &str| {
        name.strip_prefix(p)
            .is_some_and(|r| r.starts_with(|c: char| c.is_ascii_digit()))
    };
    if digit_after("z") || digit_after("gen") {
        Some(Arch::S390x)
    } else if digit_after("POWER") || digit_after("power") || name.starts_with("POWERPC_") {
        Some(Arch::Ppc64)
    } else {
        None
    }
}
