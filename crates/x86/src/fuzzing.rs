//! Bodies of the cargo-fuzz targets of the x86 adapter (feature `fuzzing`), named after
//! what they attack. They run under `cargo test` too (the unit tests below, and
//! `tests/fuzz_seeds.rs` over the committed seeds). Each must never panic, and checks a law
//! on whatever parses:
//!
//! * [`cpuid_text`]: `cpuid -r` text either fails with an error whose position lies in the
//!   text, or gives a dump that survives `<cpudata>` XML unchanged
//!   (`parse_cpudata ∘ write_cpudata = id`) and decodes losslessly under both embedded
//!   catalogs: a host or guest decode denotes exactly the features read from the dump, or
//!   finds no model at all.
//! * [`hypervisor_json`]: QEMU's `query-cpu-definitions` and `query-cpu-model-expansion`
//!   replies (the `--hypervisor-models` file, a host-model expansion) give a value or an
//!   error; a model list reads back the same when written as a reply; decoding the
//!   expansion under the model list keeps to it.
use crate::{parse_cpuid_r, HypervisorModels, X86Error, X86};
use cpucompat_xml::model::{CpuData, CpuKind};

/// The two embedded catalogs the x86 bodies decode with: libvirt 12.8's and 11.3's maps.
fn engines() -> &'static [X86; 2] {
    static E: std::sync::OnceLock<[X86; 2]> = std::sync::OnceLock::new();
    E.get_or_init(|| {
        [
            X86::new(cpucompat_catalog::embedded::x86().clone()),
            X86::new(cpucompat_catalog::embedded::x86_libvirt_11_3().clone()),
        ]
    })
}

/// Decode is lossless: a decoded definition denotes exactly the features read, or no
/// model fits.
fn check_decode(x: &X86, d: &CpuData, hv: Option<&HypervisorModels>) {
    let Ok(read) = x.read_features(d) else {
        return;
    };
    for kind in [CpuKind::Host, CpuKind::Guest] {
        match x.decode(d, kind, hv) {
            Ok(def) => match x.features_of(&def) {
                Ok(f) if hv.is_none() => {
                    assert_eq!(f, read, "{kind:?} decode is lossy: {def:?}");
                }
                Ok(_) => {}
                Err(e) => panic!("a decoded definition does not check: {e}\n{def:?}"),
            },
            Err(X86Error::NoSuitableModel) => {}
            Err(e) if hv.is_some() => {
                let _ = e.to_string();
            }
            Err(e) => panic!("decode of data that reads fails with {e}"),
        }
    }
}

/// Attacks the `cpuid -r` parser and, through it, decode.
pub fn cpuid_text(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let d = match parse_cpuid_r(text) {
        Ok(d) => d,
        Err(e) => {
            if let X86Error::CpuidText { pos, .. } = &e {
                let lines = text.lines().count().max(1);
                assert!(
                    pos.line >= 1 && pos.line as usize <= lines && pos.column >= 1,
                    "error outside the text: {e}"
                );
                let line = text.lines().nth(pos.line as usize - 1).unwrap_or("");
                assert!(
                    pos.column as usize <= line.chars().count() + 1,
                    "column past the end of line {}: {e}",
                    pos.line
                );
            }
            return;
        }
    };
    let xml = cpucompat_xml::write_cpudata(&d);
    match cpucompat_xml::parse_cpudata(&xml) {
        Ok(back) => assert_eq!(back, d, "<cpudata> round trip changed the dump\n{xml}"),
        Err(e) => panic!("written <cpudata> does not parse: {e}\n{xml}"),
    }
    for x in engines() {
        check_decode(x, &d, None);
    }
}

/// Attacks the readers of QEMU's JSON replies: the model list and the expansion.
pub fn hypervisor_json(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let x = &engines()[0];
    let models = HypervisorModels::from_qmp_json(text);
    if let Ok(m) = &models {
        let _ = format!("{m:?}");
    }
    if let Ok(d) = x.qmp_expansion_data(text) {
        check_decode(x, &d, None);
        if let Ok(m) = &models {
            check_decode(x, &d, Some(m));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DUMP: &str = "CPU 0:\n   0x00000000 0x00: eax=0x00000016 ebx=0x756e6547 ecx=0x6c65746e edx=0x49656e69\n   0x00000001 0x00: eax=0x000906ea ebx=0x00100800 ecx=0x7ffafbbf edx=0xbfebfbff\n   0x00000007 0x00: eax=0x00000000 ebx=0x029c6fbf ecx=0x40000000 edx=0xbc000400\n";

    #[test]
    fn seeds_hold() {
        cpuid_text(DUMP.as_bytes());
        for cut in 0..DUMP.len() {
            if DUMP.is_char_boundary(cut) {
                cpuid_text(&DUMP.as_bytes()[..cut]);
            }
        }
        cpuid_text(b"CPU 0:\nCPU 1:\n");
        cpuid_text(b"   0x00000001 0x00: eax=0x1 ebx=0x2 ecx=0x3\n\xff");
        cpuid_text("0x1 0x0: eax=0x1 ébx=0x2".as_bytes());
        hypervisor_json(br#"{"return": [{"name": "Haswell", "typename": "Haswell-x86_64-cpu", "unavailable-features": ["avx2"], "static": false}]}"#);
        hypervisor_json(br#"{"return": {"model": {"name": "max", "props": {"sse4.2": true, "avx2": false, "vmx-exit-nosave-debugctl": true}}}}"#);
        hypervisor_json(b"{\"return\": [");
        hypervisor_json(b"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[");
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
        with_prefixes("x86_cpuid_text", cpuid_text);
        with_prefixes("x86_hypervisor_json", hypervisor_json);
    }
}
