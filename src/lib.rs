//! cpucompat: can this virtual machine start on, or live-migrate to, this host, and what
//! CPU can a whole pool of hosts offer — for x86, POWER and s390x, decided the way
//! libvirt and QEMU decide, without a libvirt daemon or a QEMU process.
//!
//! # The library in one page
//!
//! An [`Engine`] is one architecture's rules over one catalog of named models. It reads
//! CPU descriptions ([`Input`]: files, standard input, strings, readers; any libvirt CPU
//! XML form, CPUID dumps, a POWER `/proc/cpuinfo`, QEMU's s390x host model) into checked
//! [`Cpu`]s, and answers three questions with the same result types on every
//! architecture:
//!
//! | question | method | answer |
//! | --- | --- | --- |
//! | can this guest run on this host? | [`Engine::compare`] | [`Comparison`]: [`Verdict`], [`Reason`]s, missing / forbidden / extra features |
//! | what can a pool run? | [`Engine::baseline`] | [`Baseline`]: a guest [`Cpu`] every host runs |
//! | which named models run here? | [`Engine::usability`] | [`ModelUsability`] per model |
//!
//! plus [`Engine::expand`] (a model's features), [`Engine::decode`] (a dump to a CPU) and
//! [`Engine::host`] (this machine). Every failure is one [`Error`] with a kind, the input
//! it is about and the line and column in it.
//!
//! ## x86
//!
//! ```
//! use cpucompat::{Arch, BaselineOptions, Engine};
//!
//! let engine = Engine::new(Arch::X86)?;
//! let a = engine.parse("<cpu><arch>x86_64</arch><model>Skylake-Client</model></cpu>")?;
//! let b = engine.parse("<cpu><arch>x86_64</arch><model>Haswell</model>
//!                       <feature name='avx512f'/></cpu>")?;
//! let cmp = engine.compare(&a, &b)?;
//! assert!(!cmp.runs());
//! assert_eq!(cmp.missing(), ["avx512f"]);
//! let pool = engine.baseline([&a, &b], &BaselineOptions::default())?;
//! assert_eq!(pool.cpu().model(), Some("Haswell"));
//! assert!(engine.compare(&a, pool.cpu())?.runs() && engine.compare(&b, pool.cpu())?.runs());
//! # Ok::<(), cpucompat::Error>(())
//! ```
//!
//! ## POWER
//!
//! ```
//! use cpucompat::{Arch, BaselineOptions, Engine};
//!
//! let engine = Engine::new(Arch::Ppc64)?;
//! let p9 = engine.parse("<cpu><arch>ppc64</arch><model>POWER9</model></cpu>")?;
//! let p10 = engine.parse("<cpu><arch>ppc64</arch><model>POWER10</model></cpu>")?;
//! let cmp = engine.compare(&p10, &p9)?;
//! assert!(!cmp.runs()); // POWER has no superset: crossing generations needs a compat mode
//! assert_eq!(cmp.reasons()[0].rule().as_str(), "libvirt-model");
//! let (mode, _guest) = engine.ppc64().unwrap().compat_baseline([&p9, &p10])?;
//! assert_eq!(mode.mode().name(), "power9");
//! assert!(engine.baseline([&p9, &p10], &BaselineOptions::default()).is_err());
//! # Ok::<(), cpucompat::Error>(())
//! ```
//!
//! ## s390x
//!
//! ```
//! use cpucompat::{Arch, BaselineOptions, Engine};
//!
//! let engine = Engine::new(Arch::S390x)?;
//! let z14 = engine.parse("<cpu><arch>s390x</arch><model>z14</model></cpu>")?;
//! let z15 = engine.parse("<cpu><arch>s390x</arch><model>gen15a</model></cpu>")?;
//! let cmp = engine.compare(&z14, &z15)?;
//! assert!(!cmp.runs());
//! assert_eq!(cmp.reasons()[0].rule().as_str(), "qemu-generation");
//! let pool = engine.baseline([&z14, &z15], &BaselineOptions::default())?;
//! assert_eq!(pool.cpu().model(), Some("z14-base"));
//! assert!(engine.compare(&z15, pool.cpu())?.runs());
//! # Ok::<(), cpucompat::Error>(())
//! ```
//!
//! ## Files, pools and errors
//!
//! ```no_run
//! use cpucompat::{Arch, BaselineOptions, Engine, Input};
//!
//! let engine = Engine::new(Arch::X86)?;
//! let host = engine.read_one(Input::path("host.xml"))?;        // also `virsh capabilities`,
//! let guest = engine.read_one(Input::path("domain.xml"))?;     // a <cpudata> or `cpuid -r` dump
//! println!("{}", engine.compare(&host, &guest)?.verdict());
//! // A million hosts, streamed one <cpu> at a time:
//! let pool = engine.read_pool(["fleet.xml", "more.xml"].map(Input::path));
//! println!("{}", engine.baseline(pool, &BaselineOptions::default())?.to_xml());
//! # Ok::<(), cpucompat::Error>(())
//! ```
//!
//! # Layers
//!
//! The crates below this one are the layers of `ARCHITECTURE.md`: `cpucompat-lattice`
//! (the algebra), `cpucompat-xml` (libvirt XML in and out; decides nothing),
//! `cpucompat-catalog` (model catalogs), `cpucompat-contract` (the adapter contract and
//! the shared result types), one adapter per architecture (where every decision is made),
//! `cpucompat-qmp` (QEMU's monitor protocol). This crate only dispatches, reads inputs and
//! names them in errors; the `cpucompat` command line and the bindings are its clients.
#![forbid(unsafe_code)]
#![warn(clippy::unwrap_used, clippy::expect_used)]

mod catalog;
mod cpu;
mod engine;
mod error;
mod ext;
pub mod fleet;
#[cfg(feature = "fuzzing")]
pub mod fuzzing;
mod host;
mod hypervisor;
mod input;
mod pool;

pub use catalog::import_cpu_map;
pub use cpu::Cpu;
pub use engine::{Baseline, CpuMap, Engine, EngineBuilder, Qemu};
pub use error::{Error, ErrorKind};
pub use ext::{Ppc64Ext, PvrInfo, S390xExt, X86Ext};
pub use host::{HostReport, HostView};
pub use hypervisor::{
    hypervisor_arch, Accel, Hypervisor, HypervisorBaseline, HypervisorComparison, Route,
};
pub use input::{arch_of_model_name, detect_arch, read_definitions, Definitions, Input, MAX_INPUT};
pub use pool::{Pool, PoolItem};

pub use cpucompat_contract::{
    Arch, BaselineOptions, Comparison, Details, Expansion, ModelInfo, ModelUsability, Reason, Rule,
    Verdict,
};
pub use cpucompat_lattice::{FeatureSet, Level, Point};
pub use cpucompat_xml::model::{CpuData, CpuDef, CpuKind, Pos};

/// x86's typed extras: QEMU's model lists and the CPUID signature mask.
pub mod x86 {
    pub use crate::ext::HypervisorModels;
    pub use cpucompat_x86::SIGNATURE_MASK;
}

/// POWER's typed extras: PVRs, compat modes, QEMU's tables.
pub mod ppc64 {
    pub use crate::ext::{CompatBaseline, CompatMode, Pvr, QemuTable};
}

/// s390x's typed extras: QEMU's CPU definitions.
pub mod s390x {
    pub use cpucompat_s390x::DefinitionInfo;
}

/// libvirt CPU XML in and out: the values and writers the engine's CPUs are made of.
pub mod xml {
    pub use cpucompat_xml::model;
    pub use cpucompat_xml::{
        cpu_from_json, cpu_to_json, cpudata_to_json, parse_cpudata, parse_cpus, write_cpu,
        write_cpudata, CpuReader, ErrorKind, Limits, XmlError,
    };
}

/// One JSON text, pretty-printed with a final newline: how every client prints results.
pub fn to_json_text<T: serde::Serialize + ?Sized>(value: &T) -> String {
    let mut s = serde_json::to_string_pretty(value).unwrap_or_default();
    s.push('\n');
    s
}

/// The README's Rust example, run by `cargo test` as a doctest so that it stays true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeExample;
