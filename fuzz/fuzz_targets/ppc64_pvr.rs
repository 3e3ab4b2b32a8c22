//! PVR strings: never panic; printed PVRs read back; decode picks a model whose pattern matches.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| cpucompat_ppc64::fuzzing::pvr_text(data));
