//! Structured: an arbitrary POWER map and pool; the laws of compare, baseline, compat baseline, decode.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| cpucompat::fuzzing::law_ppc64(data));
