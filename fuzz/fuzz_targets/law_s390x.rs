//! Structured: an arbitrary s390x pool over QEMU's tables; the baseline laws and QMP's baseline law.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| cpucompat::fuzzing::law_s390x(data));
