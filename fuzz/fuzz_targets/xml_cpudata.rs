//! `parse_cpudata` on arbitrary bytes: never panics; whatever parses round-trips.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| cpucompat_xml::fuzzing::parse_cpudata_bytes(data));
