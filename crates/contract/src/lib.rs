//! The adapter contract: what every architecture adapter (x86, ppc64, s390x) implements,
//! and the result types every architecture shares.
//!
//! cpucompat answers three questions, on every architecture, with the same shapes:
//!
//! | question | trait method | result |
//! | --- | --- | --- |
//! | can this guest run on this host? | [`Adapter::compare`] | [`Comparison`]: [`Verdict`], [`Reason`]s, missing / forbidden / extra features |
//! | what can a whole pool run? | [`Adapter::baseline`] | the adapter's CPU: a guest definition every input runs |
//! | which named models run here? | [`Adapter::models`] | [`ModelUsability`] per catalog model |
//!
//! plus [`Adapter::expand`] (a model's features, [`Expansion`]) and [`Adapter::decode`]
//! (raw CPU data to a definition).
//!
//! The layers: the `cpucompat-xml` crate turns text into [`CpuDef`] values and decides
//! nothing; an adapter checks a definition against its catalog once ([`Adapter::cpu`],
//! "parse, don't validate": the adapter's `Cpu` type only holds definitions whose names
//! are known) and decides; the `cpucompat` library above chooses the adapter, reads
//! inputs and names files in errors. Nothing above the adapters decides.
//!
//! Every adapter is also a view of the product lattice `Arch × Vendor × Level ×
//! FeatureSet` ([`Adapter::point`]), which is what the conformance laws (in the
//! `cpucompat` package's `tests/conformance.rs`) are stated over:
//!
//! ```text
//! compare(h, as_guest(h))                 runs                        (reflexive)
//! compare(a, g) runs, compare(b, as_guest(a)) runs  ⇒  compare(b, g) runs   (transitive)
//! ∀ h ∈ pool: compare(h, baseline(pool))  runs                        (always compatible)
//! point(baseline(pool)).features = ⋂ point(h).features  (within the chosen level)   (maximal)
//! ```
#![forbid(unsafe_code)]
#![warn(clippy::unwrap_used, clippy::expect_used)]

mod adapter;
mod arch;
mod error;
mod result;

pub use adapter::{check_host_arch, Adapter, BaselineOptions, GUEST, HOST};
pub use arch::Arch;
pub use error::{Error, ErrorKind};
pub use result::{
    Comparison, Details, Expansion, ModelInfo, ModelUsability, NameFeatures, Reason, Rule, Verdict,
};

pub use cpucompat_lattice::{FeatureSet, Level, Point};
pub use cpucompat_xml::model::{CpuData, CpuDef, CpuKind, Pos};
