//! Per-call overhead of the C interface: `cpucompat_compare` (two XML texts in, JSON out)
//! against the same work through the Rust API (`read_one` twice, `for_host`, `compare`,
//! `to_json_text`), and the Rust `compare` of two pre-loaded CPUs for scale. Also
//! `cpucompat_models` against `usability` + JSON. Wall-clock, so a bench that prints, never
//! a test that asserts.
//!
//! Run: `cargo bench -p cpucompat-capi --bench overhead`.
//!
//! Calling the C entry points from Rust takes `unsafe` (raw pointers), as in C.
#![allow(unsafe_code)]
use cpucompat::{Arch, CpuMap, Engine, Input};
use cpucompat_c::*;
use std::ffi::c_char;
use std::hint::black_box;
use std::time::Instant;

/// Median nanoseconds per call of `f` and of `g`, over `rounds` rounds of `n` calls each,
/// the rounds of the two interleaved so that both see the same machine load.
fn per_call(n: u32, rounds: usize, mut f: impl FnMut(), mut g: impl FnMut()) -> (f64, f64) {
    for _ in 0..n / 10 + 1 {
        f();
        g();
    }
    let time = |h: &mut dyn FnMut()| {
        let t = Instant::now();
        for _ in 0..n {
            h();
        }
        t.elapsed().as_nanos() as f64 / f64::from(n)
    };
    let (mut a, mut b) = (Vec::new(), Vec::new());
    for _ in 0..rounds {
        a.push(time(&mut f));
        b.push(time(&mut g));
    }
    a.sort_by(f64::total_cmp);
    b.sort_by(f64::total_cmp);
    (a[rounds / 2], b[rounds / 2])
}

fn input(name: &std::ffi::CStr, text: &str) -> cpucompat_input {
    cpucompat_input {
        name: name.as_ptr(),
        data: text.as_ptr().cast::<c_char>(),
        len: text.len(),
    }
}

fn main() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../specs/cases/x86/data/");
    let read = |f: &str| std::fs::read_to_string(format!("{root}{f}")).expect("spec data");
    let (host, guest) = (read("x86_64-host.xml"), read("x86_64-exact-require.xml"));

    let engine = Engine::builder(Arch::X86)
        .cpu_map(CpuMap::Libvirt11_3)
        .build()
        .expect("engine");
    let mut handle: *mut cpucompat_engine = std::ptr::null_mut();
    // SAFETY: valid out-pointer and NUL-terminated strings.
    let status = unsafe {
        cpucompat_engine_new(
            &mut handle,
            c"x86_64".as_ptr(),
            c"libvirt-11.3".as_ptr(),
            std::ptr::null(),
        )
    };
    assert_eq!(status, cpucompat_status::CPUCOMPAT_OK);
    let (h, g) = (input(c"host.xml", &host), input(c"guest.xml", &guest));

    let rust_text = || {
        let hc = engine
            .read_one(Input::from_text("host.xml", host.as_str()))
            .expect("host");
        let judge = engine.for_host(&hc).expect("judge");
        let gc = judge
            .read_one(Input::from_text("guest.xml", guest.as_str()))
            .expect("guest");
        cpucompat::to_json_text(&judge.compare(&hc, &gc).expect("compare"))
    };
    let c_text = || {
        let mut out: *mut c_char = std::ptr::null_mut();
        // SAFETY: valid out-pointer, live handle, inputs pointing at live strings.
        let s = unsafe { cpucompat_compare(&mut out, std::ptr::null_mut(), handle, &h, &g) };
        assert_eq!(s, cpucompat_status::CPUCOMPAT_OK);
        // SAFETY: a string this library returned, freed once.
        let json = unsafe { std::ffi::CStr::from_ptr(out) }.to_bytes().len();
        // SAFETY: as above.
        unsafe { cpucompat_string_free(out) };
        json
    };
    // The two answers are the same bytes.
    {
        let mut out: *mut c_char = std::ptr::null_mut();
        // SAFETY: as in c_text.
        unsafe { cpucompat_compare(&mut out, std::ptr::null_mut(), handle, &h, &g) };
        // SAFETY: a string this library returned.
        let c = unsafe { std::ffi::CStr::from_ptr(out) }
            .to_str()
            .expect("UTF-8")
            .to_string();
        // SAFETY: freed once.
        unsafe { cpucompat_string_free(out) };
        assert_eq!(c, rust_text());
    }
    let hc = engine
        .read_one(Input::from_text("host.xml", host.as_str()))
        .expect("host");
    let gc = engine
        .read_one(Input::from_text("guest.xml", guest.as_str()))
        .expect("guest");

    let (n, rounds) = (1_000, 21);
    let (loaded, _) = per_call(
        n * 10,
        rounds,
        || {
            black_box(
                engine
                    .compare(black_box(&hc), black_box(&gc))
                    .expect("compare"),
            );
        },
        || {},
    );
    let (rust, c) = per_call(
        n,
        rounds,
        || {
            black_box(rust_text());
        },
        || {
            black_box(c_text());
        },
    );
    let (rust_models, c_models) = per_call(
        n / 10,
        rounds,
        || {
            let hc = engine
                .read_one(Input::from_text("host.xml", host.as_str()))
                .expect("host");
            black_box(cpucompat::to_json_text(
                &engine.usability(&hc).expect("usability"),
            ));
        },
        || {
            let mut out: *mut c_char = std::ptr::null_mut();
            // SAFETY: valid out-pointer, live handle, input pointing at a live string.
            let s = unsafe { cpucompat_models(&mut out, handle, &h) };
            assert_eq!(s, cpucompat_status::CPUCOMPAT_OK);
            // SAFETY: a string this library returned, freed once.
            unsafe { cpucompat_string_free(out) };
        },
    );
    // SAFETY: the handle from cpucompat_engine_new, freed once, no call running.
    unsafe { cpucompat_engine_free(handle) };

    println!(
        "{:<58} {:>12}",
        "call (x86, libvirt 11.3 map)", "median/call"
    );
    println!(
        "{:<58} {:>10.2}µs",
        "Rust compare, pre-loaded CPUs",
        loaded / 1e3
    );
    println!(
        "{:<58} {:>10.2}µs",
        "Rust read_one x2 + for_host + compare + to_json_text",
        rust / 1e3
    );
    println!(
        "{:<58} {:>10.2}µs",
        "C cpucompat_compare (texts in, JSON out, free)",
        c / 1e3
    );
    println!(
        "{:<58} {:>+10.2}µs ({:+.1} %)",
        "  C overhead over the same Rust work",
        (c - rust) / 1e3,
        (c - rust) / rust * 100.0
    );
    println!(
        "{:<58} {:>10.2}µs",
        "Rust read_one + usability + to_json_text",
        rust_models / 1e3
    );
    println!(
        "{:<58} {:>10.2}µs",
        "C cpucompat_models (host text in, JSON out, free)",
        c_models / 1e3
    );
    println!(
        "{:<58} {:>+10.2}µs ({:+.1} %)",
        "  C overhead over the same Rust work",
        (c_models - rust_models) / 1e3,
        (c_models - rust_models) / rust_models * 100.0
    );
}
