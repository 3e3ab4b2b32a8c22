//! Bodies of cargo-fuzz targets for the s390x adapter, named after what they attack. They
//! run under `cargo test` too (the unit test below), and are public with the `fuzzing`
//! feature for `fuzz/`. Each must never panic, and checks a law on top:
//!
//! * [`qmp_lines`]: every reply to any text, fed line by line, is a JSON object with
//!   exactly one of `return` and `error`, under both releases (QMP is a byte stream, so a
//!   line may get no reply yet, or several; an echoed `id` may hold QEMU's `inf`).
//! * [`host_model`]: any text given as a host model is refused with an error or gives a
//!   model that compares identical with itself.
//! * [`catalog_ron`]: any text given as a catalog of QEMU's s390x models either fails with
//!   an error naming the file, or gives a validated catalog whose Rust form is written.
use crate::{parse_host_model, session, Engine, Release};
use cpucompat_lattice::Relation;

/// Attacks the QMP monitor with arbitrary lines.
pub fn qmp_lines(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    for release in [Release::Newest, Release::Qemu72] {
        let mut s = session(Engine::tcg(release));
        s.line(r#"{"execute":"qmp_capabilities"}"#);
        for line in text.lines() {
            for reply in s.line(line).iter().flat_map(|r| r.split("\r\n")) {
                let v: serde_json::Value =
                    serde_json::from_str(&reply.replace("inf", "0")).expect("replies are JSON");
                assert!(v.get("return").is_some() != v.get("error").is_some());
            }
        }
    }
}

/// Attacks the host-model reader.
pub fn host_model(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let e = Engine::tcg(Release::Qemu72);
    if let Ok(m) = parse_host_model(&e, "fuzz", &text) {
        assert_eq!(e.compare(&m, &m).result, Relation::Identical);
    }
}

/// Attacks the catalog reader (the RON schema of `specs/catalog/s390x*.ron`).
pub fn catalog_ron(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match crate::Catalog::parse("fuzz.ron", text) {
        Ok(c) => {
            for f in c.features() {
                let _ = c.feature_bit(&f.name);
            }
        }
        Err(e) => assert!(e.to_string().starts_with("fuzz.ron"), "{e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeds_hold() {
        qmp_lines(b"{\"execute\":\"query-cpu-definitions\"}\n\xff\xfe{\n'\n{'a':}\n");
        qmp_lines(br#"{"execute":"query-cpu-model-baseline","arguments":{"modela":{"name":"z900-base","props":{"esan3":false}},"modelb":{"name":"z14"}}}"#);
        host_model(br#"{"name":"z14","props":{"vx":false,"msa9":true}}"#);
        host_model(br#"{"return":{"model":{"name":"gen15a-base"}}}"#);
        host_model(b"[1,2");
        let z = include_str!("../../../specs/catalog/s390x-7.2.ron");
        catalog_ron(z.as_bytes());
        catalog_ron(&z.as_bytes()[..z.len() / 3]);
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
        with_prefixes("s390x_qmp", qmp_lines);
        with_prefixes("s390x_host_model", host_model);
        with_prefixes("s390x_catalog", catalog_ron);
    }
}
