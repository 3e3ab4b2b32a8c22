//! One QMP session over arbitrary bytes: never panics; replies do not depend on how the
//! bytes are chunked; shape, bounds and reply count as `cpucompat_qmp::fuzzing` says.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| cpucompat_qmp::fuzzing::session_bytes(data));
