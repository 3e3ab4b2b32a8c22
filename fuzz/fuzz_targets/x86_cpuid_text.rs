//! `cpuid -r` text: never panics; errors inside the text; dumps survive <cpudata> and decode losslessly.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| cpucompat_x86::fuzzing::cpuid_text(data));
