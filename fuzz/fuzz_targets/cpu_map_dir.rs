//! Arbitrary files written into a temporary libvirt cpu_map (`@@ NAME` sections): import and
//! engine fail naming a map file, or agree and answer for every model.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| cpucompat::fuzzing::cpu_map_dir(data));
