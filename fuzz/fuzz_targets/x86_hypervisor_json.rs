//! QEMU's x86 JSON replies (model list, expansion): never panic; decode keeps its laws.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| cpucompat_x86::fuzzing::hypervisor_json(data));
