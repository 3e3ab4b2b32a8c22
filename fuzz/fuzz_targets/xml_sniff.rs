//! Form recognition: never panics; the same through any buffer; consistent with parsing.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| cpucompat_xml::fuzzing::sniff_bytes(data));
