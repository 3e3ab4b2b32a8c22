//! RON catalogs: never panic; whatever parses round-trips through `to_ron` and compiles or fails.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| cpucompat_catalog::fuzzing::catalog_ron(data));
