//! `parse_cpus` on arbitrary bytes: never panics; whatever parses round-trips.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| cpucompat_xml::fuzzing::parse_cpus_bytes(data));
