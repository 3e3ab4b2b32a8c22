//! The streaming `CpuReader` through a tiny buffer: never panics; agrees with `parse_cpus`.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| cpucompat_xml::fuzzing::stream_bytes(data));
