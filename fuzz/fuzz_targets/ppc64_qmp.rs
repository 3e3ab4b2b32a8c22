//! The ppc64 QMP monitor, one session over many lines, both tables: every reply is one JSON object
//! with exactly one of return and error.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| cpucompat_ppc64::fuzzing::qmp_lines(data));
