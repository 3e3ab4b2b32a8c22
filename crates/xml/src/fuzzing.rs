//! Fuzz-target bodies (feature `fuzzing`): each takes arbitrary bytes, must never panic,
//! and checks the laws of this crate on whatever parses:
//!
//! * round trip: `parse(write(c)) == c.normalized()` (positions aside), and writing is
//!   idempotent: `write(parse(write(c))) == write(c)`;
//! * streaming agrees with whole-input parsing: the [`crate::CpuReader`] over the same
//!   bytes, read through a tiny buffer, yields the same definitions;
//! * sniffing agrees with itself through any buffer, and with parsing: input it calls not
//!   XML never parses, input that parses is XML whose root is the first element;
//! * libvirt's QEMU documents ([`qemucaps_bytes`]): the reader of either document agrees
//!   with the reader of each (`parse_hypervisor` gives a cache exactly when
//!   `parse_qemu_caps` does, the same value, and likewise for domcapabilities), every error
//!   lies inside the input, and a domcapabilities host-model CPU round-trips.
//!
//! The `fuzz/` targets are one call each; `tests/fuzz_seeds.rs` runs these over the seed
//! corpus under `cargo test`.
use crate::model::{CpuDef, Pos};
use crate::qemucaps::{self, HypervisorDoc};
use crate::{
    parse_cpudata, parse_cpus, sniff, sniff_reader, write_cpu, write_cpudata, CpuReader, Sniffed,
    XmlError,
};

fn unpositioned(c: &CpuDef) -> CpuDef {
    let mut c = c.normalized();
    c.pos = Pos::default();
    c
}

/// Checks the round-trip law of one definition; panics (a fuzz finding) if it fails.
pub fn check_round_trip(c: &CpuDef) {
    let text = write_cpu(c);
    let back = match parse_cpus(&text) {
        Ok(v) => v,
        Err(e) => panic!("written CPU does not parse: {e}\n{text}"),
    };
    assert_eq!(
        back.len(),
        1,
        "written CPU parses to {} CPUs\n{text}",
        back.len()
    );
    assert_eq!(
        unpositioned(&back[0]),
        unpositioned(c),
        "round trip changed\n{text}"
    );
    assert_eq!(write_cpu(&back[0]), text, "writing is not idempotent");
}

/// `parse_cpus` on arbitrary bytes, with the round-trip law on success.
pub fn parse_cpus_bytes(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(cpus) = parse_cpus(text) {
        for c in &cpus {
            check_round_trip(c);
        }
    }
}

/// `parse_cpudata` on arbitrary bytes, with the round-trip law on success.
pub fn parse_cpudata_bytes(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(d) = parse_cpudata(text) {
        let w = write_cpudata(&d);
        match parse_cpudata(&w) {
            Ok(back) => assert_eq!(back, d, "cpudata round trip changed\n{w}"),
            Err(e) => panic!("written cpudata does not parse: {e}\n{w}"),
        }
    }
}

/// The streaming reader on arbitrary bytes through a 7-byte buffer: never panics, and
/// on UTF-8 input agrees with [`parse_cpus`] (same definitions, or an error from both).
pub fn stream_bytes(data: &[u8]) {
    let reader = std::io::BufReader::with_capacity(7, data);
    let streamed: Result<Vec<CpuDef>, _> = CpuReader::new(reader).collect();
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let whole = parse_cpus(text);
    match (&streamed, &whole) {
        (Ok(a), Ok(b)) => assert_eq!(a, b, "stream and whole-input parses differ"),
        (Err(a), Err(b)) => assert_eq!(a, b, "stream and whole-input errors differ"),
        _ => panic!("stream {streamed:?} vs whole {whole:?}"),
    }
}

/// [`sniff`] on arbitrary bytes: the same answer through a 3-byte buffer, and consistent
/// with [`parse_cpus`] on UTF-8 input.
pub fn sniff_bytes(data: &[u8]) {
    let whole = sniff(data);
    let slow = sniff_reader(std::io::BufReader::with_capacity(3, data));
    assert_eq!(whole, slow, "sniff differs through a small buffer");
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let parsed = parse_cpus(text);
    match (&whole, &parsed) {
        (Ok(Sniffed::NotXml), Ok(_)) => panic!("sniffed as not XML but parses"),
        (Err(e), Ok(_)) => panic!("sniff fails ({e}) but the input parses"),
        (Ok(Sniffed::Xml { root, .. }), Ok(cpus)) if root == "cpu" => {
            assert!(!cpus.is_empty());
        }
        _ => {}
    }
}

/// An error lies inside the text: its line exists, its column is at most one past the end
/// of that line.
fn inside(text: &str, e: &XmlError) {
    let p = e.pos();
    if p.line == 0 {
        return;
    }
    let line = text.split('\n').nth(p.line as usize - 1);
    let Some(line) = line else {
        panic!(
            "error on line {} of a {}-line text: {e}",
            p.line,
            text.split('\n').count()
        );
    };
    assert!(
        p.column as usize <= line.chars().count() + 1,
        "error at column {} of a {}-character line: {e}",
        p.column,
        line.chars().count()
    );
}

/// libvirt's QEMU capabilities cache and domcapabilities readers on arbitrary bytes.
pub fn qemucaps_bytes(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let either = qemucaps::parse_hypervisor(text);
    let cache = qemucaps::parse_qemu_caps(text);
    let domcaps = qemucaps::parse_domain_caps(text);
    match &either {
        Ok(HypervisorDoc::Cache(c)) => {
            assert_eq!(cache.as_ref().ok(), Some(c), "parse_qemu_caps disagrees");
            assert!(domcaps.is_err());
            let _ = c.version_triple();
            for accel in [
                qemucaps::Accel::Kvm,
                qemucaps::Accel::Tcg,
                qemucaps::Accel::Hvf,
            ] {
                let _ = c.host_cpu(accel);
                let _ = c.definitions_for(accel).count();
                let _ = c.machines_for(accel).count();
            }
        }
        Ok(HypervisorDoc::DomainCaps(d)) => {
            assert_eq!(
                domcaps.as_ref().ok(),
                Some(d),
                "parse_domain_caps disagrees"
            );
            assert!(cache.is_err());
            if let Some(cpu) = &d.host_model {
                check_round_trip(cpu);
            }
        }
        Err(e) => {
            inside(text, e);
            assert!(
                cache.is_err() && domcaps.is_err(),
                "only one reader accepts"
            );
        }
    }
    for e in [cache.err(), domcaps.err()].iter().flatten() {
        inside(text, e);
    }
    let cpus = parse_cpus(text);
    match qemucaps::maxphysaddr_limits(text) {
        Ok(limits) => {
            let limit = qemucaps::baseline_maxphysaddr(&limits);
            if let Ok(cpus) = &cpus {
                assert_eq!(limits.len(), cpus.len(), "one limit per CPU definition");
                for c in cpus {
                    let _ = qemucaps::write_cpu_with_maxphysaddr(c, limit);
                }
            }
        }
        Err(e) => {
            inside(text, &e);
            // The wrapper that lets several top-level elements read as one document never
            // shows.
            assert!(!e.to_string().contains("wrapper"), "{e}");
        }
    }
}
