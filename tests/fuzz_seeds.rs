//! Runs the library's fuzz-target bodies (`cpucompat::fuzzing`) under `cargo test`: over
//! the committed seed corpus (`fuzz/corpus/seed/<target>/`, crashes found by campaigns
//! included, so each is a regression test) and over inputs generated here, so the laws
//! they assert also hold without a fuzzing campaign.
mod support;

use cpucompat::fuzzing;
use std::path::Path;
use support::Rng;

fn seeds(target: &str) -> Vec<Vec<u8>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus/seed")
        .join(target);
    let mut out: Vec<Vec<u8>> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| std::fs::read(e.unwrap().path()).unwrap())
        .collect();
    out.sort();
    assert!(!out.is_empty(), "no seeds in {}", dir.display());
    out
}

/// `count` random byte strings of up to `len` bytes.
fn random(seed: u64, count: usize, len: usize) -> Vec<Vec<u8>> {
    let mut r = Rng(seed);
    (0..count)
        .map(|_| {
            let n = r.below(len + 1);
            (0..n).map(|_| r.next() as u8).collect()
        })
        .collect()
}

/// Each seed, and each seed cut at every `step`-th byte (the error paths).
fn with_prefixes(target: &str, step: usize, f: fn(&[u8])) {
    for s in seeds(target) {
        f(&s);
        for cut in (1..s.len()).step_by(step) {
            f(&s[..cut]);
        }
    }
}

#[test]
fn engine_read_seeds_hold() {
    with_prefixes("engine_read", 61, fuzzing::engine_read);
    for engine in 0..6u8 {
        for s in seeds("engine_read") {
            let mut v = s.clone();
            v[0] = engine;
            fuzzing::engine_read(&v);
        }
    }
}

#[test]
fn cpu_map_dir_seeds_hold() {
    with_prefixes("cpu_map_dir", 53, fuzzing::cpu_map_dir);
}

#[test]
fn law_x86_holds_on_seeds_and_generated_catalogs() {
    for s in seeds("law_x86") {
        fuzzing::law_x86(&s);
    }
    for s in random(1, 300, 400) {
        fuzzing::law_x86(&s);
    }
}

#[test]
fn law_ppc64_holds_on_seeds_and_generated_maps() {
    for s in seeds("law_ppc64") {
        fuzzing::law_ppc64(&s);
    }
    for s in random(2, 300, 200) {
        fuzzing::law_ppc64(&s);
    }
}

#[test]
fn law_s390x_holds_on_seeds_and_generated_pools() {
    for s in seeds("law_s390x") {
        fuzzing::law_s390x(&s);
    }
    for s in random(3, 300, 200) {
        fuzzing::law_s390x(&s);
    }
}
