//! Structured: an arbitrary x86 cpu_map and pool of hosts; the laws of compare, baseline and decode.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| cpucompat::fuzzing::law_x86(data));
