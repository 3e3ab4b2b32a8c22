//! libvirt CPU XML in and out: guest and host `<cpu>`, capabilities, domain XML,
//! domcapabilities, `<cpudata>` dumps, files of many `<cpu>` elements.
//!
//! Parsing produces the values of [`model`]; it decides nothing.
pub mod model;
