//! POWER /proc/cpuinfo: never panics; a PVR found decodes as `ppc64_pvr` says.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| cpucompat_ppc64::fuzzing::cpuinfo(data));
