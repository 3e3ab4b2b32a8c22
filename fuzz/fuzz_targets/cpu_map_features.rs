//! A cpu_map features file (in memory): an error naming a map file, or a catalog that round-trips.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| cpucompat_catalog::fuzzing::cpu_map_features(data));
