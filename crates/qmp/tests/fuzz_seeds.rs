//! Runs the fuzz-target body over the committed seed corpus
//! (`fuzz/corpus/seed/qmp_session/`), so the fuzz oracles (no panic, chunking does not
//! matter, shape, bounds, reply count) also hold under `cargo test`. Each seed is also
//! tried cut at every 13th byte, and with a few bytes changed.
use cpucompat_qmp::fuzzing::session_bytes;
use std::path::Path;

fn seeds() -> Vec<Vec<u8>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/seed/qmp_session");
    let mut out: Vec<Vec<u8>> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| std::fs::read(e.unwrap().path()).unwrap())
        .collect();
    out.sort();
    assert!(out.len() >= 10, "too few seeds in {}", dir.display());
    out
}

#[test]
fn seeds_hold() {
    for s in seeds() {
        session_bytes(&s);
        for cut in (0..s.len()).step_by(13) {
            session_bytes(&s[..cut]);
        }
    }
}

#[test]
fn changed_seeds_hold() {
    // Each byte position in turn, within the first 200, set to bytes that matter to the
    // lexer: a quote, a backslash, a control byte, FF, a closer.
    for s in seeds() {
        for i in 0..s.len().min(200) {
            for b in [b'"', b'\\', 0x01, 0xFF, b'}'] {
                let mut t = s.clone();
                t[i] = b;
                session_bytes(&t);
            }
        }
    }
}

#[test]
fn the_seeds_are_answered() {
    // The corpus is not all junk: most seeds get a successful reply.
    let ok = seeds()
        .iter()
        .filter(|s| {
            let mut sess = cpucompat_qmp::Session::new(cpucompat_qmp::fuzzing::Echo);
            sess.replies(s).iter().any(|r| r.starts_with("{\"return\""))
        })
        .count();
    assert!(ok >= 8, "{ok}");
}
