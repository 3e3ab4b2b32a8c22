//! Bodies of the cargo-fuzz targets of the POWER adapter (feature `fuzzing`), named after
//! what they attack. They run under `cargo test` too (the unit test below, and the seed
//! corpus through `tests/fuzz_seeds.rs`). Each must never panic, and checks a law on
//! whatever parses:
//!
//! * [`pvr_text`]: a PVR as written on a command line either fails with an error quoting
//!   the text, or gives a PVR whose printed form parses back to it; decoding it under
//!   every embedded map and table gives a model whose PVR patterns accept it (or no model).
//! * [`cpuinfo`]: a `/proc/cpuinfo` text either has no PVR line, or a bad PVR at a line
//!   and column inside the text, or gives a PVR that decodes as [`pvr_text`] says.
//! * [`qmp_lines`]: the ppc64 QMP monitor over arbitrary lines, under both tables: every
//!   reply is one JSON object with exactly one of `return` and `error`.
//! * [`qemu_table_ron`]: a QEMU table in the RON schema of `specs/catalog/ppc64-qemu*.ron`
//!   gives a table or an error naming the table; a table answers its own questions
//!   (definitions, compat modes, `max-cpu-compat`) without panicking.
use crate::{LibvirtMap, Ppc64, Pvr, QemuTable};
use cpucompat_xml::model::CpuKind;
use std::sync::{Arc, OnceLock};

/// The adapters the bodies decode with: both embedded maps, both QEMU tables.
fn adapters() -> &'static [Ppc64] {
    static A: OnceLock<Vec<Ppc64>> = OnceLock::new();
    A.get_or_init(|| {
        let maps = [
            cpucompat_catalog::embedded::ppc64(),
            cpucompat_catalog::embedded::ppc64_libvirt_11_3(),
        ];
        let tables = [QemuTable::newest(), QemuTable::v7_2()];
        let mut out = Vec::new();
        for m in maps {
            for t in &tables {
                if let (Ok(map), Ok(t)) = (LibvirtMap::from_compiled(m), t) {
                    out.push(Ppc64::new(Arc::new(map), t));
                }
            }
        }
        assert_eq!(out.len(), 4, "the embedded POWER maps and tables load");
        out
    })
}

/// Decoding a PVR: a host and a guest of a model whose patterns accept the PVR, both
/// keeping it; or no model at all.
fn check_decode(pvr: Pvr) {
    for a in adapters() {
        let Ok(d) = a.decode(pvr) else {
            assert!(
                a.map().models().iter().all(|m| !m.matches(pvr)),
                "{pvr} matches a model but does not decode"
            );
            continue;
        };
        assert!(d.model.matches(pvr), "{pvr} decoded to {}", d.model.name());
        for kind in [CpuKind::Host, CpuKind::Guest] {
            let cpu = a.decode_cpu(pvr, kind).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(cpu.pvr(), Some(pvr));
            assert_eq!(cpu.model_name(), Some(d.model.name()));
        }
    }
}

/// Attacks the PVR parser.
pub fn pvr_text(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match Pvr::parse(text) {
        Ok(p) => {
            assert_eq!(
                Pvr::parse(&p.to_string()).ok(),
                Some(p),
                "{p} does not read back"
            );
            check_decode(p);
        }
        Err(e) => assert!(
            e.to_string().contains(text),
            "the error quotes no text: {e}"
        ),
    }
}

/// Attacks the `/proc/cpuinfo` reader.
pub fn cpuinfo(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match Pvr::from_cpuinfo(text) {
        Ok((pvr, _name)) => {
            assert_eq!(Pvr::parse(&pvr.to_string()).ok(), Some(pvr));
            check_decode(pvr);
        }
        Err(crate::Error::BadPvrAt { line, column, .. }) => {
            let l = text
                .lines()
                .nth(line as usize - 1)
                .expect("the error's line exists");
            assert!(column >= 1 && column as usize <= l.chars().count() + 1);
        }
        Err(_) => {}
    }
}

/// Attacks the ppc64 QMP monitor with arbitrary lines.
pub fn qmp_lines(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let tables = [QemuTable::newest(), QemuTable::v7_2()];
    for table in tables.into_iter().flatten() {
        let mut s = crate::qmp::session(table);
        s.line(r#"{"execute":"qmp_capabilities"}"#);
        for line in text.lines() {
            for reply in s.line(line).iter().flat_map(|r| r.split("\r\n")) {
                if reply.is_empty() {
                    continue;
                }
                // QEMU prints an echoed non-finite number as `inf`, which is not JSON.
                let v: serde_json::Value = serde_json::from_str(&reply.replace("inf", "0"))
                    .unwrap_or_else(|e| panic!("reply is not JSON ({e}): {reply}"));
                assert!(
                    v.get("return").is_some() != v.get("error").is_some(),
                    "reply has not exactly one of return and error: {reply}"
                );
            }
        }
    }
}

/// Attacks the QEMU-table reader with arbitrary RON text.
pub fn qemu_table_ron(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match QemuTable::parse("fuzz.ron", text) {
        Err(e) => assert!(e.to_string().contains("fuzz.ron"), "{e}"),
        Ok(t) => {
            let _ = t.cpu_definitions();
            let _ = crate::qmp::cpu_definitions(&t);
            for m in t.compat_modes() {
                let _ = t.mode_at(m.level());
                for f in t.families() {
                    let _ = t.supports(f, m);
                }
            }
            for f in t.families() {
                let _ = t.highest_in(&t.supported_modes(f));
            }
            for class in t.models() {
                let _ = t.family_of(class);
                let _ = t.pvr_matches(class, class.pvr());
                let _ = t.class_for_pvr(class.pvr());
                for m in t.compat_modes() {
                    let _ = t.max_cpu_compat(class.name(), m.name());
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NEWEST: &str = include_str!("../../../specs/catalog/ppc64-qemu.ron");

    #[test]
    fn seeds_hold() {
        for t in [
            "0x004e1202",
            "004e 1202",
            "0x",
            "POWER9",
            "0x_",
            "0x0080_0200",
            "ffffffff",
        ] {
            pvr_text(t.as_bytes());
        }
        cpuinfo(b"processor\t: 0\ncpu\t\t: POWER9, altivec supported\nrevision\t: 2.2 (pvr 004e 1202)\n");
        cpuinfo(b"revision : (pvr");
        cpuinfo(b"revision : 1.0 (pvr 0080 0100)\n");
        qmp_lines(b"{\"execute\":\"query-cpu-definitions\"}\n{\"execute\":\"query-cpu-model-expansion\",\"arguments\":{\"type\":\"full\",\"model\":{\"name\":\"POWER9\"}}}\n\xff{\n");
        qemu_table_ron(NEWEST.as_bytes());
        qemu_table_ron(&NEWEST.as_bytes()[..NEWEST.len() / 2]);
        qemu_table_ron(b"QemuTable(");
    }

    /// The committed seeds of a fuzz target (`fuzz/corpus/seed/TARGET/`): crashes found by
    /// campaigns are kept there, so each is a regression test.
    fn committed(target: &str) -> Vec<Vec<u8>> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../fuzz/corpus/seed")
            .join(target);
        let mut out: Vec<Vec<u8>> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|e| std::fs::read(e.unwrap().path()).unwrap())
            .collect();
        out.sort();
        assert!(!out.is_empty(), "no seeds in {}", dir.display());
        out
    }

    /// Each seed, and each seed cut at every 37th byte (the error paths).
    fn with_prefixes(target: &str, f: fn(&[u8])) {
        for s in committed(target) {
            f(&s);
            for cut in (1..s.len()).step_by(37) {
                f(&s[..cut]);
            }
        }
    }

    #[test]
    fn committed_seeds_hold() {
        with_prefixes("ppc64_pvr", pvr_text);
        with_prefixes("ppc64_cpuinfo", cpuinfo);
        with_prefixes("ppc64_qmp", qmp_lines);
        with_prefixes("ppc64_qemu_table", qemu_table_ron);
    }
}
