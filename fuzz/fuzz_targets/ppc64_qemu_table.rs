//! QEMU ppc64 tables in RON: a table or an error naming it; a table answers its own questions.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| cpucompat_ppc64::fuzzing::qemu_table_ron(data));
