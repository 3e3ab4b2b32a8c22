//! The s390x QMP monitor, one session over many lines, both releases: every reply is one JSON
//! object with exactly one of return and error.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| cpucompat_s390x::fuzzing::qmp_lines(data));
