//! s390x model catalogs in RON: an error naming the file, or a validated catalog.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| cpucompat_s390x::fuzzing::catalog_ron(data));
