//! The C entry points called as C calls them: results equal the library's, every failure
//! is a status code plus a message with the input's name and position (word for word),
//! null pointers and non-UTF-8 arguments get clear errors, `*out` is null after a failure.
//!
//! Calling the C entry points from Rust takes `unsafe` (raw pointers), as in C.
#![allow(unsafe_code)]
#![allow(clippy::undocumented_unsafe_blocks)] // every call here is a C call with valid arguments unless the test says otherwise

use cpucompat::{Arch, CpuKind, CpuMap, Engine, Input};
use cpucompat_c::*;
use std::ffi::{c_char, CStr, CString};
use std::ptr::{null, null_mut};

fn data(f: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/../../specs/cases/x86/data/{f}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .expect("spec data")
}

/// An input holding its name and text alive.
struct In {
    _name: CString,
    text: Vec<u8>,
    raw: cpucompat_input,
}

fn input(name: &str, text: impl Into<Vec<u8>>) -> In {
    let name = CString::new(name).expect("name");
    let text = text.into();
    let raw = cpucompat_input {
        name: name.as_ptr(),
        data: text.as_ptr().cast::<c_char>(),
        len: text.len(),
    };
    In {
        _name: name,
        text,
        raw,
    }
}

struct Handle(*mut cpucompat_engine);

impl Drop for Handle {
    fn drop(&mut self) {
        unsafe { cpucompat_engine_free(self.0) }
    }
}

fn engine(arch: &CStr, map: Option<&CStr>) -> Handle {
    let mut h = null_mut();
    let s = unsafe {
        cpucompat_engine_new(
            &mut h,
            arch.as_ptr(),
            map.map_or(null(), CStr::as_ptr),
            null(),
        )
    };
    assert_eq!(s, cpucompat_status::CPUCOMPAT_OK, "{}", last_text());
    Handle(h)
}

fn x86() -> Handle {
    engine(c"x86_64", Some(c"libvirt-11.3"))
}

fn last_text() -> String {
    unsafe { CStr::from_ptr(cpucompat_error_message()) }
        .to_str()
        .expect("UTF-8")
        .to_string()
}

/// The last error's fields: code, kind, message, file, line, column.
fn last() -> (cpucompat_status, String, String, Option<String>, u32, u32) {
    let e = unsafe { &*cpucompat_error_last() };
    let s = |p: *const c_char| {
        unsafe { CStr::from_ptr(p) }
            .to_str()
            .expect("UTF-8")
            .to_string()
    };
    let file = (!e.file.is_null()).then(|| s(e.file));
    (e.code, s(e.kind), s(e.message), file, e.line, e.column)
}

/// Takes a returned string.
fn take(out: *mut c_char) -> String {
    assert!(!out.is_null());
    let s = unsafe { CStr::from_ptr(out) }
        .to_str()
        .expect("UTF-8")
        .to_string();
    unsafe { cpucompat_string_free(out) };
    s
}

fn rust_x86() -> Engine {
    Engine::builder(Arch::X86)
        .cpu_map(CpuMap::Libvirt11_3)
        .build()
        .expect("engine")
}

#[test]
fn compare_answers_as_the_library_does() {
    let e = x86();
    let (h, g) = (
        input("host.xml", data("x86_64-host.xml")),
        input("guest.xml", data("x86_64-exact-forbid.xml")),
    );
    let (mut out, mut verdict) = (null_mut(), cpucompat_verdict::CPUCOMPAT_IDENTICAL);
    let s = unsafe { cpucompat_compare(&mut out, &mut verdict, e.0, &h.raw, &g.raw) };
    assert_eq!(s, cpucompat_status::CPUCOMPAT_OK);
    assert_eq!(verdict, cpucompat_verdict::CPUCOMPAT_INCOMPATIBLE);
    let r = rust_x86();
    let hc = r
        .read_one(Input::from_bytes("host.xml", h.text.clone()))
        .unwrap();
    let gc = r
        .read_one(Input::from_bytes("guest.xml", g.text.clone()))
        .unwrap();
    assert_eq!(
        take(out),
        cpucompat::to_json_text(&r.compare(&hc, &gc).unwrap())
    );
    // The verdict is optional.
    let s = unsafe { cpucompat_compare(&mut out, null_mut(), e.0, &h.raw, &h.raw) };
    assert_eq!(s, cpucompat_status::CPUCOMPAT_OK);
    assert!(take(out).contains("\"result\": \"identical\""));
}

#[test]
fn errors_carry_the_input_and_position() {
    let e = x86();
    let h = input("host.xml", data("x86_64-host.xml"));
    let g = input("bogus.xml", data("x86_64-bogus-model.xml"));
    let mut out = null_mut();
    let s = unsafe { cpucompat_compare(&mut out, null_mut(), e.0, &h.raw, &g.raw) };
    assert_eq!(s, cpucompat_status::CPUCOMPAT_EUNKNOWN_NAME);
    assert!(out.is_null());
    assert_eq!(last_text(), "bogus.xml:2:3: unknown CPU model Bogus");
    assert_eq!(
        last(),
        (
            cpucompat_status::CPUCOMPAT_EUNKNOWN_NAME,
            "unknown-name".into(),
            "unknown CPU model Bogus".into(),
            Some("bogus.xml".into()),
            2,
            3
        )
    );
    // Malformed XML.
    let bad = input("bad.xml", "<cpu>\n  <model>Haswell</cpu>");
    let s = unsafe { cpucompat_compare(&mut out, null_mut(), e.0, &h.raw, &bad.raw) };
    assert_eq!(s, cpucompat_status::CPUCOMPAT_ESYNTAX);
    assert!(last_text().starts_with("bad.xml:2:"), "{}", last_text());
    // Input text that is not UTF-8: the library's syntax error, at the first bad byte.
    let latin1 = input(
        "latin1.xml",
        b"<cpu>\n  <model>Hasw\xe9ll</model></cpu>".to_vec(),
    );
    let s = unsafe { cpucompat_compare(&mut out, null_mut(), e.0, &h.raw, &latin1.raw) };
    assert_eq!(s, cpucompat_status::CPUCOMPAT_ESYNTAX);
    assert_eq!(last().3.as_deref(), Some("latin1.xml"));
    assert_eq!((last().4, last().5), (2, 14), "{}", last_text());
}

#[test]
fn null_pointers_are_refused_by_name() {
    let e = x86();
    let h = input("host.xml", data("x86_64-host.xml"));
    let mut out = null_mut();
    type Call<'a> = Box<dyn Fn() -> cpucompat_status + 'a>;
    let out_p: *mut *mut c_char = &mut out;
    let cases: Vec<(Call, &str)> = vec![
        (
            Box::new(|| unsafe { cpucompat_compare(null_mut(), null_mut(), e.0, &h.raw, &h.raw) }),
            "out is null",
        ),
        (
            Box::new(|| unsafe { cpucompat_compare(out_p, null_mut(), null(), &h.raw, &h.raw) }),
            "engine is null",
        ),
        (
            Box::new(|| unsafe { cpucompat_compare(out_p, null_mut(), e.0, &h.raw, null()) }),
            "input <guest> is null",
        ),
        (
            Box::new(|| unsafe { cpucompat_expand(out_p, e.0, null()) }),
            "model is null",
        ),
        (
            Box::new(|| unsafe { cpucompat_engine_new(&mut null_mut(), null(), null(), null()) }),
            "arch is null",
        ),
    ];
    for (call, text) in cases {
        assert_eq!(call(), cpucompat_status::CPUCOMPAT_ENULL, "{text}");
        assert_eq!(last_text(), text);
        assert_eq!(last().1, "null");
    }
    let no_data = cpucompat_input {
        name: c"host.xml".as_ptr(),
        data: null(),
        len: 0,
    };
    let s = unsafe { cpucompat_models(&mut out, e.0, &no_data) };
    assert_eq!(s, cpucompat_status::CPUCOMPAT_ENULL);
    assert_eq!(last_text(), "the data of input host.xml is null");
    let s = unsafe { cpucompat_baseline(&mut out, e.0, null(), 1, 0, 1) };
    assert_eq!(
        (s, last_text().as_str()),
        (cpucompat_status::CPUCOMPAT_ENULL, "inputs is null")
    );
}

#[test]
fn arguments_that_are_not_utf8_are_refused() {
    let e = x86();
    let mut out = null_mut();
    let s = unsafe { cpucompat_expand(&mut out, e.0, c"Hasw\xe9ll".as_ptr()) };
    assert_eq!(s, cpucompat_status::CPUCOMPAT_EUTF8);
    assert_eq!(last_text(), "model is not UTF-8 (byte 5)");
    let h = cpucompat_input {
        name: c"h\xffst".as_ptr(),
        data: c"<cpu/>".as_ptr(),
        len: 6,
    };
    let s = unsafe { cpucompat_models(&mut out, e.0, &h) };
    assert_eq!(s, cpucompat_status::CPUCOMPAT_EUTF8);
    assert_eq!(
        last_text(),
        "the name of input <host> is not UTF-8 (byte 2)"
    );
}

#[test]
fn engines_are_made_from_names() {
    let mut h = null_mut();
    let s = unsafe { cpucompat_engine_new(&mut h, c"arm".as_ptr(), null(), null()) };
    assert_eq!(s, cpucompat_status::CPUCOMPAT_EARGUMENT);
    assert!(h.is_null());
    assert_eq!(
        last_text(),
        "unknown architecture 'arm': expected x86_64, ppc64 or s390x"
    );
    let s = unsafe { cpucompat_engine_new(&mut h, c"s390x".as_ptr(), null(), c"6.0".as_ptr()) };
    assert_eq!(s, cpucompat_status::CPUCOMPAT_EARGUMENT);
    assert_eq!(
        last_text(),
        "unknown QEMU version '6.0': expected 7.2 or newest (10.2)"
    );
    // A choice that does not apply to the architecture is the library's error.
    let s = unsafe {
        cpucompat_engine_new(&mut h, c"s390x".as_ptr(), c"libvirt-11.3".as_ptr(), null())
    };
    assert_eq!(s, cpucompat_status::CPUCOMPAT_EARGUMENT);
    assert_eq!(
        last_text(),
        "s390x models come from QEMU's tables: a libvirt cpu_map does not apply"
    );
    // A cpu_map directory that does not exist names it.
    let s = unsafe {
        cpucompat_engine_new(
            &mut h,
            c"x86_64".as_ptr(),
            c"/nonexistent/cpu_map".as_ptr(),
            null(),
        )
    };
    assert_ne!(s, cpucompat_status::CPUCOMPAT_OK);
    assert!(
        last_text().contains("/nonexistent/cpu_map"),
        "{}",
        last_text()
    );
    let e = engine(c"s390x", None);
    assert_eq!(
        unsafe { CStr::from_ptr(cpucompat_engine_arch(e.0)) },
        c"s390x"
    );
    assert!(unsafe { cpucompat_engine_arch(null()) }.is_null());
    let mut out = null_mut();
    let s = unsafe { cpucompat_engine_catalog(&mut out, e.0) };
    assert_eq!(s, cpucompat_status::CPUCOMPAT_OK);
    assert_eq!(take(out), Engine::new(Arch::S390x).unwrap().catalog());
}

#[test]
fn baseline_reads_every_cpu_of_every_input() {
    let e = x86();
    let r = rust_x86();
    let a = input("wn.xml", data("x86_64-baseline-Westmere+Nehalem.xml"));
    let b = input("host.xml", data("x86_64-host.xml"));
    let mut out = null_mut();
    let inputs = [a.raw, b.raw];
    let flags = CPUCOMPAT_BASELINE_MIGRATABLE;
    let s = unsafe { cpucompat_baseline(&mut out, e.0, inputs.as_ptr(), 2, flags, 1) };
    assert_eq!(s, cpucompat_status::CPUCOMPAT_OK, "{}", last_text());
    let pool = r.read_pool([
        Input::from_bytes("wn.xml", a.text.clone()),
        Input::from_bytes("host.xml", b.text.clone()),
    ]);
    let opts = cpucompat::BaselineOptions {
        migratable: true,
        ..Default::default()
    };
    let expect = r.baseline(pool, &opts).unwrap();
    assert_eq!(take(out), expect.to_xml());
    // JSON.
    let s = unsafe { cpucompat_baseline(&mut out, e.0, inputs.as_ptr(), 2, 0, 0) };
    assert_eq!(s, cpucompat_status::CPUCOMPAT_OK);
    assert!(take(out).starts_with('{'));
    // Incompatible vendors: no answer, naming the CPU where it failed.
    let v = input(
        "vendors.xml",
        data("x86_64-baseline-incompatible-vendors.xml"),
    );
    let s = unsafe { cpucompat_baseline(&mut out, e.0, &v.raw, 1, 0, 1) };
    assert_eq!(s, cpucompat_status::CPUCOMPAT_ENO_ANSWER);
    assert!(out.is_null());
    assert!(last_text().starts_with("vendors.xml:"), "{}", last_text());
    assert!(
        last_text().ends_with("CPU vendors do not match"),
        "{}",
        last_text()
    );
    // Bad arguments.
    let s = unsafe { cpucompat_baseline(&mut out, e.0, inputs.as_ptr(), 2, 4, 1) };
    assert_eq!(
        (s, last_text().as_str()),
        (
            cpucompat_status::CPUCOMPAT_EARGUMENT,
            "unknown baseline flags 0x4"
        )
    );
    let s = unsafe { cpucompat_baseline(&mut out, e.0, inputs.as_ptr(), 2, 0, 7) };
    assert_eq!(s, cpucompat_status::CPUCOMPAT_EARGUMENT);
    assert_eq!(
        last_text(),
        "unknown format 7: expected CPUCOMPAT_FORMAT_JSON (0) or CPUCOMPAT_FORMAT_XML (1)"
    );
    let s = unsafe { cpucompat_baseline(&mut out, e.0, inputs.as_ptr(), 0, 0, 1) };
    assert_eq!(
        (s, last_text().as_str()),
        (
            cpucompat_status::CPUCOMPAT_EARGUMENT,
            "baseline needs at least one input"
        )
    );
    // Default names.
    let nameless = cpucompat_input {
        name: null(),
        ..v.raw
    };
    let s = unsafe { cpucompat_baseline(&mut out, e.0, &nameless, 1, 0, 1) };
    assert_eq!(s, cpucompat_status::CPUCOMPAT_ENO_ANSWER);
    assert!(last_text().starts_with("<input 1>:"), "{}", last_text());
}

#[test]
fn models_expand_and_decode_answer_as_the_library_does() {
    let e = x86();
    let r = rust_x86();
    let mut out = null_mut();
    assert_eq!(
        unsafe { cpucompat_models(&mut out, e.0, null()) },
        cpucompat_status::CPUCOMPAT_OK
    );
    assert_eq!(take(out), cpucompat::to_json_text(&r.models()));
    let h = input("host.xml", data("x86_64-host.xml"));
    assert_eq!(
        unsafe { cpucompat_models(&mut out, e.0, &h.raw) },
        cpucompat_status::CPUCOMPAT_OK
    );
    let hc = r
        .read_one(Input::from_bytes("host.xml", h.text.clone()))
        .unwrap();
    assert_eq!(
        take(out),
        cpucompat::to_json_text(&r.usability(&hc).unwrap())
    );

    assert_eq!(
        unsafe { cpucompat_expand(&mut out, e.0, c"Haswell".as_ptr()) },
        cpucompat_status::CPUCOMPAT_OK
    );
    assert_eq!(
        take(out),
        cpucompat::to_json_text(&r.expand("Haswell").unwrap())
    );
    assert_eq!(
        unsafe { cpucompat_expand(&mut out, e.0, c"Haswel".as_ptr()) },
        cpucompat_status::CPUCOMPAT_EUNKNOWN_NAME
    );
    assert!(out.is_null());

    // A `cpuid -r` dump, as a guest, XML.
    let name = "x86_64-cpuid-Xeon-Gold-6148.cpuid-r.txt";
    let d = input(name, data(name));
    let s = unsafe { cpucompat_decode(&mut out, e.0, &d.raw, 1, 1) };
    assert_eq!(s, cpucompat_status::CPUCOMPAT_OK, "{}", last_text());
    let cpu = r
        .decode(Input::from_bytes(name, d.text.clone()), CpuKind::Guest)
        .unwrap();
    assert_eq!(take(out), cpu.to_xml());
    let s = unsafe { cpucompat_decode(&mut out, e.0, &d.raw, 2, 1) };
    assert_eq!(s, cpucompat_status::CPUCOMPAT_EARGUMENT);
    assert_eq!(
        last_text(),
        "unknown CPU kind 2: expected CPUCOMPAT_CPU_HOST (0) or CPUCOMPAT_CPU_GUEST (1)"
    );
    // Definitions are not a dump.
    let s = unsafe { cpucompat_decode(&mut out, e.0, &h.raw, 0, 0) };
    assert_eq!(s, cpucompat_status::CPUCOMPAT_ESYNTAX);
    assert!(
        last_text().starts_with("host.xml:1:1: expected a CPU dump"),
        "{}",
        last_text()
    );
}

#[test]
fn an_engine_serves_several_threads() {
    let e = x86();
    let ptr = e.0 as usize;
    let host = data("x86_64-host.xml");
    let results: Vec<String> = std::thread::scope(|s| {
        let hs: Vec<_> = (0..4)
            .map(|_| {
                let host = host.clone();
                s.spawn(move || {
                    let h = input("host.xml", host);
                    let mut out = null_mut();
                    let engine = ptr as *const cpucompat_engine;
                    let st = unsafe { cpucompat_models(&mut out, engine, &h.raw) };
                    assert_eq!(st, cpucompat_status::CPUCOMPAT_OK);
                    take(out)
                })
            })
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert!(results.windows(2).all(|w| w[0] == w[1]));
    // Errors are per thread.
    cpucompat_error_clear();
    std::thread::spawn(|| {
        let mut out = null_mut();
        unsafe { cpucompat_expand(&mut out, null(), c"x".as_ptr()) };
        assert_eq!(last_text(), "engine is null");
    })
    .join()
    .unwrap();
    assert!(cpucompat_error_last().is_null());
}

#[test]
fn freeing_null_is_harmless() {
    unsafe {
        cpucompat_string_free(null_mut());
        cpucompat_engine_free(null_mut());
    }
}
