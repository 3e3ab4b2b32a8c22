//! `Engine::read` (first byte: which of the six embedded engines): one error line naming the input,
//! or CPUs that print and read back, run their own guest and the baseline of themselves.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| cpucompat::fuzzing::engine_read(data));
