//! QEMU's s390x host model (JSON): refused, or a model identical to itself.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| cpucompat_s390x::fuzzing::host_model(data));
