//! Bodies of the cargo-fuzz targets, named after what they attack. They run under
//! `cargo test` too (unit tests below, and proptests), and are public with the `fuzzing`
//! feature for `fuzz/`.
//!
//! Each body must never panic; on top of that each checks a law:
//!
//! * [`catalog_ron`]: any text either fails to parse with an error, or parses to a catalog
//!   whose written text parses back to the same catalog (`from_ron ∘ to_ron = id`) and is a
//!   fixed point of writing; compiling it returns a value or an error.
//! * [`cpu_map_features`] / [`cpu_map_model`]: any bytes given as the features file or as a
//!   model file of a small cpu_map import either fail with an error naming a file of the
//!   map, or give a catalog that round-trips through RON.
use crate::{import, to_ron, Arch, Catalog, CatalogError, Compiled};
use std::path::Path;

/// Attacks the RON reader, the writer and the compiler with arbitrary text.
pub fn catalog_ron(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(cat) = Catalog::from_ron(text, "fuzz") else {
        return;
    };
    round_trip(&cat);
    let _ = Compiled::compile(&cat);
}

fn round_trip(cat: &Catalog) {
    let written = to_ron(cat);
    match Catalog::from_ron(&written, "written") {
        Ok(back) => {
            assert!(back == *cat, "to_ron then from_ron changed the catalog");
            assert!(to_ron(&back) == written, "to_ron is not a fixed point");
        }
        Err(e) => panic!("to_ron wrote text that does not parse: {e}\n{written}"),
    }
}

const INDEX: &str = "<cpus><arch name='x86'>\
    <include filename='x86_vendors.xml'/><include filename='x86_features.xml'/>\
    <group name='g'><include filename='x86_M.xml'/></group></arch></cpus>";
const VENDORS: &str = "<cpus><vendor name='Intel' string='GenuineIntel'/></cpus>";
const FEATURES: &str = "<cpus><feature name='fpu'><cpuid eax_in='0x1' edx='0x1'/></feature>\
    <feature name='pni'><alias name='sse3' source='qemu'/><cpuid eax_in='0x1' ecx='0x1'/></feature></cpus>";
const MODEL: &str = "<cpus><model name='M'><decode host='on' guest='on'/><vendor name='Intel'/>\
    <feature name='fpu'/></model></cpus>";

fn import_one(file: &str, data: &[u8]) {
    let read = |p: &Path| -> Result<Vec<u8>, CatalogError> {
        let name = p.file_name().map(|n| n.to_string_lossy().into_owned());
        Ok(match name.as_deref() {
            Some("index.xml") => INDEX.as_bytes().to_vec(),
            Some("x86_vendors.xml") => VENDORS.as_bytes().to_vec(),
            Some(n) if n == file => data.to_vec(),
            Some("x86_features.xml") => FEATURES.as_bytes().to_vec(),
            _ => MODEL.as_bytes().to_vec(),
        })
    };
    match import::import_with(Path::new("fuzz"), Arch::X86, &read) {
        Ok(cat) => {
            round_trip(&cat);
            let _ = Compiled::compile(&cat);
        }
        Err(e) => {
            // The error names the file at fault: the mutated one, or one whose references
            // the mutation broke.
            let msg = e.to_string();
            assert!(msg.starts_with("fuzz/x86_"), "error names no file: {msg}");
        }
    }
}

/// Attacks the cpu_map importer through the features file.
pub fn cpu_map_features(data: &[u8]) {
    import_one("x86_features.xml", data);
}

/// Attacks the cpu_map importer through a model file.
pub fn cpu_map_model(data: &[u8]) {
    import_one("x86_M.xml", data);
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const PPC64: &str = include_str!("../../../specs/catalog/ppc64.ron");

    /// Flips, drops or inserts bytes of a valid text, so that inputs stay close to valid.
    fn mutate(base: &[u8], edits: &[(usize, u8, u8)]) -> Vec<u8> {
        let mut v = base.to_vec();
        for &(at, kind, byte) in edits {
            if v.is_empty() {
                v.push(byte);
                continue;
            }
            let at = at % v.len();
            match kind % 3 {
                0 => v[at] = byte,
                1 => {
                    v.remove(at);
                }
                _ => v.insert(at, byte),
            }
        }
        v
    }

    proptest! {
        #[test]
        fn catalog_ron_round_trips_or_fails_cleanly_on_mutated_text(
            edits in prop::collection::vec((any::<usize>(), any::<u8>(), any::<u8>()), 1..6)
        ) {
            catalog_ron(&mutate(PPC64.as_bytes(), &edits));
        }

        #[test]
        fn cpu_map_import_names_the_file_or_round_trips_on_mutated_features(
            edits in prop::collection::vec((any::<usize>(), any::<u8>(), any::<u8>()), 1..6)
        ) {
            cpu_map_features(&mutate(FEATURES.as_bytes(), &edits));
        }

        #[test]
        fn cpu_map_import_names_the_file_or_round_trips_on_mutated_models(
            edits in prop::collection::vec((any::<usize>(), any::<u8>(), any::<u8>()), 1..6)
        ) {
            cpu_map_model(&mutate(MODEL.as_bytes(), &edits));
        }
    }

    #[test]
    fn fuzz_bodies_accept_seed_inputs() {
        catalog_ron(b"Catalog(arch: X86, source: \"s\", vendors: [], features: [], models: [])");
        catalog_ron(b"Catalog(arch: X86");
        catalog_ron(&[0xff, 0xfe]);
        cpu_map_features(FEATURES.as_bytes());
        cpu_map_features(b"<cpus><feature name='x'><cpuid eax_in='1' ecx='3'/></feature></cpus>");
        cpu_map_features(b"<!DOCTYPE x [<!ENTITY a 'b'>]><cpus/>");
        cpu_map_model(MODEL.as_bytes());
        cpu_map_model(b"<cpus><model name='M'><model name='M'/></model></cpus>");
        cpu_map_model(b"<cpus><model name='\x01'><signature family='6' model='1' stepping='9-3'/></model></cpus>");
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
        with_prefixes("catalog_ron", catalog_ron);
        with_prefixes("cpu_map_features", cpu_map_features);
        with_prefixes("cpu_map_model", cpu_map_model);
    }
}
