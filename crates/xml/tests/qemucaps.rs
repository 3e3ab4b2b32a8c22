//! The capabilities-cache and domcapabilities reader on real files and on damaged ones:
//! the committed caches of this machine (`specs/qemu-driver/`) read completely; every
//! prefix and many byte-level mutations of them give a value or a positioned error, never a
//! panic, and every error position lies inside the input.
use cpucompat_xml::qemucaps::{self, Accel, HypervisorDoc};
use std::path::Path;

fn spec(name: &str) -> String {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../specs/qemu-driver")
        .join(name);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

#[test]
fn the_committed_files_read_completely() {
    let x86 = qemucaps::parse_qemu_caps(&spec("x86_64-qemu-7.2.qemucaps.xml")).unwrap();
    assert_eq!(x86.arch, "x86_64");
    assert_eq!(x86.host_cpus.len(), 2);
    assert_eq!(x86.definitions.len(), 264);
    assert!(x86
        .machines_for(Accel::Kvm)
        .any(|m| m.alias.as_deref() == Some("pc")));
    let s390x = qemucaps::parse_qemu_caps(&spec("s390x-qemu-7.2.qemucaps.xml")).unwrap();
    assert_eq!(s390x.definitions_for(Accel::Tcg).count(), 78);
    assert!(s390x.host_cpus.is_empty());
    for f in [
        "x86_64-kvm.domcaps.xml",
        "x86_64-qemu.domcaps.xml",
        "s390x-qemu.domcaps.xml",
    ] {
        let HypervisorDoc::DomainCaps(d) = qemucaps::parse_hypervisor(&spec(f)).unwrap() else {
            panic!("{f} is not domcapabilities");
        };
        assert!(!d.custom_models.is_empty(), "{f}");
        // The x86 host-models are shown; s390x has none on this x86_64 host.
        assert_eq!(d.host_model.is_some(), f.starts_with("x86_64"), "{f}");
    }
}

fn check(text: &str) {
    let lines = text.lines().count().max(1) as u32 + 1;
    if let Err(e) = qemucaps::parse_hypervisor(text) {
        assert!(e.pos().line >= 1 && e.pos().line <= lines, "{e}");
    }
    if let Err(e) = qemucaps::maxphysaddr_limits(text) {
        assert!(e.pos().line >= 1 && e.pos().line <= lines, "{e}");
    }
}

#[test]
fn damaged_files_give_errors_not_panics() {
    let text = spec("x86_64-qemu.domcaps.xml");
    let cache = spec("x86_64-qemu-7.2.qemucaps.xml");
    for t in [&text, &cache] {
        let mut cut = 0;
        while cut < t.len() {
            if t.is_char_boundary(cut) {
                check(&t[..cut]);
            }
            cut += 997;
        }
    }
    // Byte mutations (splitmix64-chosen places, ASCII replacements).
    let mut x: u64 = 0x5eed;
    let mut next = || {
        x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = x;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    };
    let small = cache[..20_000.min(cache.len())].to_string() + "</qemuCaps>";
    for _ in 0..300 {
        let mut bytes = small.clone().into_bytes();
        for _ in 0..1 + next() % 4 {
            let i = (next() as usize) % bytes.len();
            bytes[i] = b"<>/='\"&;x \n!?-"[(next() % 14) as usize];
        }
        if let Ok(t) = String::from_utf8(bytes) {
            check(&t);
        }
    }
}

/// Found by the `xml_qemucaps` fuzz target: an error at the end of a file read through the
/// wrapper of several top-level elements was placed inside the wrapper's end tag (past the
/// last line's end) and named the wrapper.
#[test]
fn maxphysaddr_errors_at_the_end_stay_inside_the_input_and_never_name_the_wrapper() {
    let e = |t: &str| qemucaps::maxphysaddr_limits(t).unwrap_err().to_string();
    assert_eq!(
        e("<cpu>"),
        "1:6: unexpected end of input: <cpu> opened at 1:1 is not closed"
    );
    assert_eq!(
        e("<?xml version='1.0'?>\n<cpu>\n<model>a</model>"),
        "3:17: unexpected end of input: <cpu> opened at 2:1 is not closed"
    );
    // An unterminated processing instruction: the error names where it starts.
    assert_eq!(
        e("<cpu/>\n  <?pi x"),
        "2:3: unexpected end of input inside a processing instruction"
    );
}
