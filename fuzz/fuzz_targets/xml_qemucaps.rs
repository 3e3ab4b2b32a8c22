//! libvirt's QEMU capabilities cache and domcapabilities readers: never panic; the readers agree;
//! errors lie inside the input; a host-model CPU round-trips.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| cpucompat_xml::fuzzing::qemucaps_bytes(data));
