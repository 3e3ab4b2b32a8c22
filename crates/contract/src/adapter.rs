//! The contract an architecture adapter implements.
//!
//! An adapter is a catalog (named models, features, vendors, levels) plus the rules of one
//! architecture. Its `Cpu` type is a definition checked against that catalog: building one
//! ([`Adapter::cpu`], [`Adapter::decode`]) is where unknown names are refused, with the
//! position they were written at; every other operation then works on checked values.
//!
//! The lattice view ([`Adapter::point`], [`Adapter::ceiling`]) is what the laws are stated
//! over: with `F(c)` the features of `point(c)` and `L(c)` its level,
//!
//! ```text
//! baseline runs everywhere   ∀ h ∈ pool: compare(h, b) runs                 b = baseline(pool)
//! baseline is maximal        F(b) = (⋂_{h ∈ pool} F(h)) ∩ ceiling(b)   (− non-migratable)
//! baseline is below          L(b) ≤ min_{h ∈ pool} L(h)
//! ```
//!
//! `ceiling(b)` is every feature a CPU of `b`'s level may have: the whole catalog on x86
//! (so the baseline is exactly the intersection), the definition's full set on s390x
//! (QEMU presents a baseline as an older definition, which cannot carry newer features),
//! nothing on POWER (no feature bits).
use crate::{Arch, Comparison, Error, ErrorKind, Expansion, ModelInfo, ModelUsability};
use cpucompat_lattice::{FeatureSet, Point};
use cpucompat_xml::model::{CpuData, CpuDef, CpuKind};

/// In a compare, the input index ([`Error::input`]) of the host.
pub const HOST: usize = 0;
/// In a compare, the input index ([`Error::input`]) of the guest.
pub const GUEST: usize = 1;

/// Checks that a CPU in a host role (a compare's host, a baseline input, the host of
/// `usability`) is of `arch`: its `<arch>`, when written, must name it.
///
/// A *guest* naming another architecture is not an error but an incompatibility
/// (libvirt's "CPU arch A does not match host arch"); a host of another architecture is a
/// question this adapter cannot decide.
///
/// # Errors
/// [`ErrorKind::Unsupported`] for an architecture cpucompat does not decide (`sparc64`,
/// `aarch64`, `ia64` ...), [`ErrorKind::Invalid`] for one of another adapter; both at the
/// `<cpu>`'s position.
pub fn check_host_arch(def: &CpuDef, arch: Arch) -> Result<(), Error> {
    let Some(a) = def.arch.as_deref() else {
        return Ok(());
    };
    match Arch::from_name(a) {
        Some(x) if x == arch => Ok(()),
        Some(x) => Err(Error::new(
            ErrorKind::Invalid,
            format!("a {x} CPU cannot be judged by the {arch} engine (CPU arch {a})"),
        )
        .at(def.pos)),
        None => Err(Error::new(
            ErrorKind::Unsupported,
            format!(
                "cannot decide for CPUs of {a} architecture: cpucompat decides x86_64, ppc64 and s390x"
            ),
        )
        .at(def.pos)),
    }
}

/// How a baseline is computed and presented.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct BaselineOptions {
    /// List every feature of the result, not only the difference to its model (libvirt's
    /// `--features`).
    pub expand_features: bool,
    /// Leave out features that block live migration (libvirt's `--migratable`). An
    /// adapter without such features refuses the option.
    pub migratable: bool,
}

/// One architecture's decisions, over one catalog.
pub trait Adapter {
    /// A CPU definition checked against the catalog (every name it uses is known).
    type Cpu: Clone + std::fmt::Debug + Send + Sync;

    /// The architecture.
    fn arch(&self) -> Arch;

    /// The catalog and tables the adapter decides with, one line
    /// (`libvirt 12.8.0 cpu_map`, `QEMU 7.2 s390x models`).
    fn catalog(&self) -> String;

    /// Checks a parsed definition against the catalog.
    ///
    /// # Errors
    /// [`crate::ErrorKind::UnknownName`] for a model, feature or compat level the catalog
    /// does not know (at the position it was written); [`crate::ErrorKind::Invalid`] for a
    /// definition of another architecture or one the adapter cannot read.
    fn cpu(&self, def: CpuDef) -> Result<Self::Cpu, Error>;

    /// Decodes raw CPU data (an x86 CPUID/MSR dump, a POWER PVR) into a host or guest
    /// definition.
    ///
    /// # Errors
    /// [`crate::ErrorKind::Invalid`] for data of another architecture or data no model
    /// can express; [`crate::ErrorKind::Unsupported`] where the architecture has no raw
    /// data (s390x).
    fn decode(&self, data: &CpuData, kind: CpuKind) -> Result<Self::Cpu, Error>;

    /// The definition a CPU prints as (libvirt's `<cpu>`).
    fn definition(&self, cpu: &Self::Cpu) -> CpuDef;

    /// Can `guest` run on `host`? An incompatible guest is an answer, not an error.
    ///
    /// # Errors
    /// When no answer can be given (e.g. a guest relative to a host that names no model).
    fn compare(&self, host: &Self::Cpu, guest: &Self::Cpu) -> Result<Comparison, Error>;

    /// The richest guest CPU every CPU of the stream runs. The stream is consumed once, in
    /// `O(1)` memory; an error about one CPU carries its index ([`Error::input_index`]).
    ///
    /// # Errors
    /// [`crate::ErrorKind::NoAnswer`] when the CPUs have nothing in common (no CPU,
    /// different vendors or models, an empty intersection);
    /// [`crate::ErrorKind::Unsupported`] for an option the architecture does not have.
    fn baseline(
        &self,
        cpus: &mut dyn Iterator<Item = Self::Cpu>,
        opts: &BaselineOptions,
    ) -> Result<Self::Cpu, Error>;

    /// Every catalog model, in catalog order.
    fn models(&self) -> Vec<ModelInfo>;

    /// Every catalog model as seen from `host`: usable or not, and what blocks it.
    ///
    /// # Errors
    /// When the host cannot be judged (e.g. it names no model the catalog knows).
    fn usability(&self, host: &Self::Cpu) -> Result<Vec<ModelUsability>, Error>;

    /// A named model's full definition.
    ///
    /// # Errors
    /// [`crate::ErrorKind::UnknownName`] for a name the catalog does not know.
    fn expand(&self, model: &str) -> Result<Expansion, Error>;

    /// The guest that asks a host for exactly what it is (libvirt's `custom` guest of the
    /// host's model and features, QEMU's model of the host's definition): the reflexivity
    /// witness, and what a guest started with the host's CPU carries to a migration
    /// target.
    ///
    /// # Errors
    /// When the host names no model.
    fn guest_of(&self, host: &Self::Cpu) -> Result<Self::Cpu, Error>;

    /// The CPU as a point of the product lattice.
    fn point(&self, cpu: &Self::Cpu) -> Point;

    /// Every feature a CPU at `cpu`'s level may have (see the module documentation).
    fn ceiling(&self, cpu: &Self::Cpu) -> FeatureSet;

    /// Every feature of the catalog.
    fn universe(&self) -> FeatureSet;

    /// The names of a set of this adapter's features, in catalog order.
    fn feature_names(&self, set: &FeatureSet) -> Vec<String>;
}
