//! Runs every fuzz-target body over the committed seed corpus (`fuzz/corpus/seed/`), so
//! the fuzz oracles (no panic, round trip, stream = whole) also hold under `cargo test`.
//! Every seed goes through every target, and each seed is also tried truncated at every
//! 97th byte, which exercises the error paths.
use cpucompat_xml::fuzzing;
use std::path::Path;

fn seeds(target: &str) -> Vec<Vec<u8>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
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

fn all_seeds() -> Vec<Vec<u8>> {
    ["xml_cpu", "xml_cpudata", "xml_stream"]
        .iter()
        .flat_map(|t| seeds(t))
        .collect()
}

fn each_prefix(data: &[u8], f: fn(&[u8])) {
    f(data);
    for cut in (0..data.len()).step_by(97) {
        f(&data[..cut]);
    }
}

#[test]
fn xml_cpu_seeds_hold() {
    for s in all_seeds() {
        each_prefix(&s, fuzzing::parse_cpus_bytes);
    }
}

#[test]
fn xml_cpudata_seeds_hold() {
    for s in all_seeds() {
        each_prefix(&s, fuzzing::parse_cpudata_bytes);
    }
}

#[test]
fn xml_stream_seeds_hold() {
    for s in all_seeds() {
        each_prefix(&s, fuzzing::stream_bytes);
    }
}

#[test]
fn xml_sniff_seeds_hold() {
    for s in all_seeds() {
        each_prefix(&s, fuzzing::sniff_bytes);
    }
}

#[test]
fn seeds_that_should_parse_do() {
    // The corpus is not all junk: each target has seeds that pass its parser.
    let ok_cpus = seeds("xml_cpu")
        .iter()
        .filter(|s| cpucompat_xml::parse_cpus(std::str::from_utf8(s).unwrap()).is_ok())
        .count();
    assert!(ok_cpus >= 8, "{ok_cpus}");
    let ok_dumps = seeds("xml_cpudata")
        .iter()
        .filter(|s| cpucompat_xml::parse_cpudata(std::str::from_utf8(s).unwrap()).is_ok())
        .count();
    assert!(ok_dumps >= 3, "{ok_dumps}");
}

#[test]
fn xml_qemucaps_seeds_hold() {
    for s in seeds("xml_qemucaps").into_iter().chain(all_seeds()) {
        each_prefix(&s, fuzzing::qemucaps_bytes);
    }
}
