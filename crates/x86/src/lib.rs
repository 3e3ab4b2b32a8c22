//! The x86 adapter: libvirt 11.3's x86 CPU driver, computed over a compiled catalog.
//!
//! An [`X86`] engine wraps one [`Compiled`] x86 catalog (libvirt's `cpu_map`) and answers
//! the questions libvirt's `cpu_x86.c` answers, with the same results and the same feature
//! order:
//!
//! * [`X86::decode`]: raw CPUID/MSR data → a named model plus `require`/`disable`
//!   features (`x86Decode`; the selection rules are documented in `src/decode.rs`);
//! * [`X86::compare`]: host vs guest → identical / superset / incompatible with libvirt's
//!   messages (`x86Compute`), expressed as the lattice order test
//!   [`cpucompat_lattice::compare`];
//! * [`X86::baseline`]: the meet of a pool, presented as a model (`virCPUx86Baseline`);
//! * [`X86::expand`], [`X86::expand_model`]: every feature a definition implies;
//! * [`X86::runnable_models`]: which catalog models a host can run, and what blocks the
//!   others;
//! * [`X86::update`] (`virCPUUpdate`: optional features, host-model, `match='minimum'`)
//!   and [`X86::translate`] (`virCPUTranslate`: another model when the hypervisor lacks
//!   the guest's);
//! * [`HypervisorModels`] (QEMU's `query-cpu-definitions`) and
//!   [`X86::qmp_expansion_data`] (QEMU's `query-cpu-model-expansion` as raw data, whose
//!   guest decode is libvirt's host-model CPU);
//! * libvirt 11.3's QEMU driver exactly, from a capabilities cache or domcapabilities
//!   ([`QemuHost`], [`X86::qemu_host`]): [`X86::hypervisor_compare`]
//!   (`hypervisor-cpu-compare`: usable shortcut, compat or unusable check) and
//!   [`X86::hypervisor_baseline`] (`hypervisor-cpu-baseline`: QEMU's feature filter,
//!   its whole model list as candidates, forced `fallback='forbid'`);
//! * [`parse_cpuid_r`] (`cpuid -r` text) and [`probe_host`] (this machine's CPUID);
//! * [`HostRecord`] (what libvirt and QEMU read about a host: CPUID, `/dev/kvm` via
//!   [`KvmAnswers`], `/dev/cpu/0/msr`, `/proc/cpuinfo`; live or from a file),
//!   [`X86::host_probe`] / [`X86::host_probe_from`] (the host as `virsh capabilities`
//!   reads it, MSRs included, with the [`Source`]s read) and [`X86::kvm_host_model`] (the
//!   KVM host-model of `virsh domcapabilities`, through QEMU 7.2's rules in
//!   [`QemuKvmHost`]).
//!
//! Checked against libvirt 11.3's own test corpus with the 11.3 map (the one-off checker
//! `examples/corpus_check.rs`): 45/45 host and 45/45 guest decodes, 36/36 QEMU host-model
//! CPUs, 29/29 compares, 8/8 baselines, 9/9 CPUID baselines, 8/8 updates and 15/15
//! update+translate cases, XML text identical.
//!
//! Features are the catalog's universe: bit `i` of a [`FeatureSet`] is catalog feature `i`
//! (its place in `x86_features.xml`). A CPU definition denotes a set (its "policy −1 view",
//! [`X86::features_of`]):
//!
//! ```text
//! features(cpu) = model data, then for each <feature> in document order:
//!                 force/require → add, disable/forbid → remove, optional → skip
//! ```
//!
//! Names are matched exactly (feature aliases are not accepted, as in libvirt 11.3).
#![forbid(unsafe_code)]

mod adapter;
mod baseline;
mod compare;
mod cpuid_text;
mod data;
mod decode;
mod error;
#[cfg(any(test, feature = "fuzzing"))]
pub mod fuzzing;
mod host_record;
mod hvbaseline;
mod hvcompare;
mod hvhost;
mod hypervisor;
mod kvm;
mod models;
mod names;
mod probe;
mod qemu_host;
mod translate;

use cpucompat_catalog::Compiled;
use cpucompat_lattice::{Bit, FeatureSet};
use cpucompat_xml::model::{CpuDef, Policy};
use std::sync::Arc;

pub use adapter::{BaselineFold, Cpu};
pub use baseline::BaselineOptions;
pub use cpuid_text::parse_cpuid_r;
pub use data::{make_signature, signature_fields, SIGNATURE_MASK};
pub use error::X86Error;
pub use host_record::{CpuidRow, HostError, HostRecord};
pub use hvbaseline::HypervisorBaselineOptions;
pub use hvcompare::{CompareRoute, HypervisorComparison};
pub use hvhost::{FeatureFilter, HostSource, QemuDefinition, QemuHost};
pub use hypervisor::HypervisorModels;
pub use kvm::{KvmAnswers, KvmCpuidEntry, KvmError};
pub use models::ModelUsability;
pub use probe::{probe_host, HostProbe, Source};
pub use qemu_host::{PropValue, QemuDefinition as QemuTableDefinition, QemuKvmHost, QemuX86Table};

pub use cpucompat_contract::{Comparison, Reason, Rule, Verdict};
pub use cpucompat_lattice::Relation;

/// The x86 engine over one compiled catalog.
#[derive(Clone, Debug)]
pub struct X86 {
    cat: Arc<Compiled>,
    /// Per catalog feature: where its bit lives (None for a non-x86 location).
    slots: Vec<Option<data::Slot>>,
    /// Per data key: `(register slot, mask, feature)` of the features living there. Built
    /// from `slots` on the first CPUID decode (a compare or baseline of XML CPUs never
    /// needs it, and building it is a sixth of `compare`'s start-up).
    by_key: std::sync::OnceLock<ByKey>,
    /// Per catalog vendor: leaf 0 `(ebx, edx, ecx)`.
    vendor_regs: Vec<Option<[u32; 3]>>,
    /// The vendor named `Intel`, for the TSX erratum.
    intel: Option<usize>,
    /// `hle` and `rtm`.
    tsx: FeatureSet,
    /// Features with `migratable='no'`.
    non_migratable: FeatureSet,
    /// The catalog's feature, model and vendor names, for lookups from bytes.
    index: Arc<names::Indexes>,
    /// For an embedded catalog: names of its features without a reference to it (what a
    /// compare that runs names its extra features with, when asked).
    static_names: Option<cpucompat_contract::NameFeatures>,
}

/// Per data key: `(register slot, mask, feature)` of the catalog features living there.
type ByKey = std::collections::HashMap<data::Key, Vec<(usize, u32, Bit)>>;

impl X86 {
    /// The features of each data key (see the field `by_key`), built on first use.
    pub(crate) fn by_key(&self) -> &ByKey {
        self.by_key.get_or_init(|| {
            let mut by_key = ByKey::default();
            for (i, slot) in self.slots.iter().enumerate() {
                if let (Some(s), Ok(bit)) = (slot, Bit::new(i)) {
                    by_key.entry(s.key).or_default().push((s.reg, s.mask, bit));
                }
            }
            by_key
        })
    }

    /// An engine over `cat` (an x86 catalog).
    pub fn new(cat: Arc<Compiled>) -> X86 {
        let slots: Vec<Option<data::Slot>> = cat
            .features()
            .iter()
            .map(|f| data::Slot::of(&f.location))
            .collect();
        let vendor_regs = cat
            .vendors()
            .iter()
            .map(|v| v.string.as_deref().and_then(data::vendor_regs))
            .collect();
        let tsx = ["hle", "rtm"]
            .iter()
            .filter_map(|n| cat.feature(n))
            .collect();
        let intel = cat.vendor("Intel");
        let non_migratable = cat.migration_blockers();
        let index = Arc::new(names::Indexes::new(&cat));
        let static_names = names::static_names(&cat);
        X86 {
            cat,
            slots,
            by_key: std::sync::OnceLock::new(),
            vendor_regs,
            intel,
            tsx,
            non_migratable,
            index,
            static_names,
        }
    }

    /// The catalog this engine decides with.
    pub fn catalog(&self) -> &Compiled {
        &self.cat
    }

    /// Feature names of a set, in catalog order.
    pub fn names(&self, set: &FeatureSet) -> Vec<String> {
        set.iter()
            .map(|b| self.cat.feature_name(b).to_string())
            .collect()
    }

    /// The set a definition denotes: its model's features, then its `<feature>`s in
    /// document order (force/require add, disable/forbid remove, optional is skipped before
    /// the name is even looked up). A host definition's policies count as require.
    ///
    /// # Errors
    /// An unknown model or feature name, with its position.
    pub fn features_of(&self, cpu: &CpuDef) -> Result<FeatureSet, X86Error> {
        let mut set = match named_model(cpu) {
            Some(m) => self.model_features(&m.name, m.pos)?,
            None => FeatureSet::EMPTY,
        };
        for f in &cpu.features {
            match cpu.policy_of(f) {
                Policy::Optional => {}
                Policy::Force | Policy::Require => {
                    set.insert(self.feature(&f.name, f.pos)?);
                }
                Policy::Disable | Policy::Forbid => {
                    set.remove(self.feature(&f.name, f.pos)?);
                }
            }
        }
        Ok(set)
    }

    /// The explicit features of a definition with exactly `policy` (libvirt's
    /// `x86ModelFromCPU(cpu, policy)` without the model), checking every name it reads.
    fn explicit(&self, cpu: &CpuDef, policy: Policy) -> Result<FeatureSet, X86Error> {
        let mut set = FeatureSet::EMPTY;
        for f in &cpu.features {
            if cpu.policy_of(f) == policy {
                set.insert(self.feature(&f.name, f.pos)?);
            }
        }
        Ok(set)
    }

    fn feature(&self, name: &str, pos: cpucompat_xml::model::Pos) -> Result<Bit, X86Error> {
        self.index
            .feature(name.as_bytes())
            .ok_or_else(|| X86Error::UnknownFeature {
                name: name.to_string(),
                pos: error::known(pos),
            })
    }

    fn model_index(&self, name: &str, pos: cpucompat_xml::model::Pos) -> Result<usize, X86Error> {
        self.index
            .model(name.as_bytes())
            .ok_or_else(|| X86Error::UnknownModel {
                name: name.to_string(),
                pos: error::known(pos),
            })
    }

    fn model_features(
        &self,
        name: &str,
        pos: cpucompat_xml::model::Pos,
    ) -> Result<FeatureSet, X86Error> {
        Ok(self.cat.models()[self.model_index(name, pos)?].features)
    }

    fn vendor_name(&self, v: usize) -> &str {
        &self.cat.vendors()[v].name
    }
}

/// The `<model>` of a definition when it names one (`<model fallback='forbid'/>` in a
/// host-model guest names none).
pub(crate) fn named_model(cpu: &CpuDef) -> Option<&cpucompat_xml::model::ModelRef> {
    cpu.model.as_ref().filter(|m| !m.name.is_empty())
}
