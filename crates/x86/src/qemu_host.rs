//! QEMU 7.2 on a KVM host, computed: which features QEMU passes to a guest of CPU model
//! `host` (`query-cpu-model-expansion`), which features block each named model
//! (`query-cpu-definitions`), and the host-model CPU libvirt 11.3 decodes from them
//! (`virsh domcapabilities --virttype kvm`).
//!
//! Inputs: a [`HostRecord`] (the kernel's answers, `kvm` module) and QEMU's tables,
//! `specs/catalog/x86-qemu-7.2.ron` (feature words, aliases, dependencies, XSAVE
//! components, KVM's default properties, the built-in models), embedded and loaded once.
//! QEMU's launch context is libvirt's probe: `-machine none`, KVM, in-kernel (not split)
//! irqchip, no `cpu-pm`, default model version 1.
//!
//! ## 1. The supported value of a feature word (`x86_cpu_get_supported_feature_word`)
//!
//! A CPUID word is the register of the `KVM_GET_SUPPORTED_CPUID` row with the same leaf
//! and sub-leaf (absent → 0), then QEMU 7.2's fix-ups:
//!
//! | word | fix-up |
//! |---|---|
//! | 1.EDX | + mtrr, pat, mce, mca |
//! | 1.ECX | + hypervisor; + tsc-deadline when `KVM_CAP_TSC_DEADLINE_TIMER` |
//! | 6.EAX | + arat |
//! | 7.0.EBX | − hle, rtm on a broken-TSX Haswell (CPUID instruction: Intel, family 6, model 60/69/70, or 63 with stepping < 4) |
//! | 7.0.EDX | − arch-capabilities unless `0x10a` is in `KVM_GET_MSR_INDEX_LIST` |
//! | 0xd.0 EAX/EDX | the XSAVE guest components, when `KVM_CAP_SYS_ATTRIBUTES` and the value was read |
//! | 8000_0001.ECX | + topoext |
//! | 8000_0001.EDX | + the 1.EDX bits AMD mirrors there (`0x0183f3ff`) |
//! | 4000_0001.EDX | + bit 0 (kvm-hint-dedicated) |
//!
//! An MSR word is 0 unless KVM lists the index as a feature MSR; then its `KVM_GET_MSRS`
//! value, except that the five VMX control MSRs (`0x48b`, `0x48d`–`0x490`) give
//! "may be 1" (high half) minus "must be 1" (low half), and `0x48b`, when the MSR index
//! list lacks it, first gets the XSAVES/RDRAND/INVPCID/RDSEED/RDTSCP exiting controls the
//! CPUID words allow (QEMU 7.2 tests XSAVES in 0xd.1 **ECX**, as its source does).
//!
//! With `migratable=on` each word keeps only its migratable bits: named and not
//! unmigratable (7.2: all but `invtsc`), plus the word's explicit migratable flags.
//!
//! ## 2. `host` (`x86_cpu_expand_features` with `max_features`)
//!
//! ```text
//! word(w) = supported(w, migratable) − no_autoenable(w)      (topoext, KVM hints, VMX-basic bit 49)
//! dependencies, once, in table order: clear `to` when `from` is absent
//! XCR0/XSS words = the XSAVE components whose enabling feature is present (0 without xsave)
//! ```
//!
//! A property is true when every bit it names is set (`kvmclock` names two bits). The static
//! expansion is every feature property plus `vendor`, `family`, `model`, `stepping`,
//! `model-id` (from the CPUID instruction), `min-level`, `min-xlevel` (KVM's maximum leaves,
//! raised to the highest leaf a non-empty word lives in) and `lmce`.
//!
//! ## 3. Named models (`x86_cpu_class_check_missing_features`)
//!
//! Every name QEMU registers (each model's `-vN` versions, the unversioned name for v1,
//! the version aliases, and `max`, `host`, `base`, which never miss anything):
//!
//! ```text
//! features = model masks ∪ {hypervisor}, then the props of versions 1..=N in order
//! then KVM's default props (user-set: kvmclock, x2apic, ... on; acpi, monitor, svm off)
//! dependencies (a cleared user-set feature is missing), XSAVE components as above
//! missing  ∪= features − supported(w, migratable = off)       for every word
//! intel-pt is missing unless KVM's leaf 0x14 offers QEMU's minimal PT capabilities
//! ```
//!
//! Missing bits are named word by word in QEMU's `FeatureWord` enum order, bit by bit; an
//! XCR0 component is named after the feature that enables it (so `mpx` may appear three
//! times); unnamed bits are left out.
//!
//! ## 4. libvirt's host-model
//!
//! libvirt merges the `migratable` on and off expansions (true in either counts), reads
//! them as raw data with [`X86::qmp_expansion_data`] and decodes that as a guest restricted
//! to QEMU's model list with its blockers ([`X86::decode`]), exactly as it decodes the
//! `-json.xml` host-model cases of its corpus.
use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;

use cpucompat_xml::model::{CpuDef, CpuKind};
use serde::Deserialize;

use crate::host_record::{HostError, HostRecord};
use crate::kvm::KvmAnswers;
use crate::{HypervisorModels, X86};

const TABLE_7_2: &str = include_str!("../../../specs/catalog/x86-qemu-7.2.ron");

/// A CPUID register.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
enum RawReg {
    Eax,
    Ebx,
    Ecx,
    Edx,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
enum Location {
    Cpuid {
        leaf: u32,
        subleaf: u32,
        reg: RawReg,
    },
    Msr {
        index: u32,
    },
}

#[derive(Deserialize)]
#[serde(rename = "Word", deny_unknown_fields)]
struct RawWord {
    name: String,
    location: Location,
    #[serde(default)]
    migratable: u64,
    #[serde(default)]
    unmigratable: u64,
    #[serde(default)]
    no_autoenable: u64,
    bits: Vec<(u32, String)>,
}

#[derive(Deserialize)]
#[serde(rename = "Dependency", deny_unknown_fields)]
struct RawDependency {
    from: (String, u64),
    to: (String, u64),
}

#[derive(Deserialize)]
#[serde(rename = "Version", deny_unknown_fields)]
struct RawVersion {
    number: u32,
    alias: Option<String>,
    props: Vec<(String, String)>,
}

#[derive(Deserialize)]
#[serde(rename = "Model", deny_unknown_fields)]
struct RawModel {
    name: String,
    // Facts of the model that no rule here needs (QEMU reports them, libvirt ignores them).
    #[allow(dead_code)]
    vendor: String,
    #[allow(dead_code)]
    family: u32,
    #[allow(dead_code)]
    model: u32,
    #[allow(dead_code)]
    stepping: u32,
    features: Vec<(String, u64)>,
    versions: Vec<RawVersion>,
}

#[derive(Deserialize)]
#[serde(rename = "QemuX86Table", deny_unknown_fields)]
struct RawTable {
    release: String,
    words: Vec<RawWord>,
    aliases: Vec<(String, String)>,
    dependencies: Vec<RawDependency>,
    xsave_components: Vec<(u32, String)>,
    xcr0_components: u64,
    xss_components: u64,
    kvm_default_props: Vec<(String, bool)>,
    models: Vec<RawModel>,
}

/// One feature word.
#[derive(Clone, Debug)]
struct Word {
    name: String,
    location: Location,
    /// Property name of each bit.
    names: BTreeMap<u32, String>,
    /// `x86_cpu_get_migratable_flags`.
    migratable: u64,
    no_autoenable: u64,
}

/// A feature property: the bits it sets and reads.
#[derive(Clone, Debug)]
struct Prop {
    name: String,
    bits: Vec<(usize, u64)>,
}

/// One registered model name: the resolved features and whether it is an alias.
#[derive(Clone, Debug)]
struct Definition {
    name: String,
    alias_of: Option<String>,
    /// Model masks + hypervisor + version props, per word.
    features: Vec<u64>,
}

/// QEMU's x86 tables of one release, validated (see the module doc).
#[derive(Clone, Debug)]
pub struct QemuX86Table {
    release: String,
    words: Vec<Word>,
    props: Vec<Prop>,
    /// Property and alias names → `props` index.
    by_name: HashMap<String, usize>,
    deps: Vec<((usize, u64), (usize, u64))>,
    /// Component bit → enabling `(word, mask)`.
    xsave: Vec<(u32, (usize, u64))>,
    xcr0: u64,
    xss: u64,
    kvm_defaults: Vec<(usize, bool)>,
    definitions: Vec<Definition>,
    w: Fixed,
}

/// Words and bits the rules name.
#[derive(Clone, Copy, Debug)]
struct Fixed {
    xcr0_lo: usize,
    xcr0_hi: usize,
    xss_lo: usize,
    xss_hi: usize,
    xsave: (usize, u64),
    intel_pt: (usize, u64),
    pt_lip: (usize, u64),
    hypervisor: (usize, u64),
    svm: (usize, u64),
}

fn table_error(m: impl Into<String>) -> HostError {
    HostError::Table(m.into())
}

impl QemuX86Table {
    /// QEMU 7.2's table (embedded, parsed and validated once).
    ///
    /// # Errors
    /// [`HostError::Table`] when the embedded table does not parse or validate (a
    /// build-time mistake, tested); every call returns the same error.
    pub fn qemu_7_2() -> Result<&'static QemuX86Table, HostError> {
        static CELL: OnceLock<Result<QemuX86Table, HostError>> = OnceLock::new();
        CELL.get_or_init(|| QemuX86Table::parse(TABLE_7_2))
            .as_ref()
            .map_err(Clone::clone)
    }

    /// The QEMU release the table describes.
    pub fn release(&self) -> &str {
        &self.release
    }

    /// Parses and validates a table in the RON schema of `specs/catalog/x86-qemu-7.2.ron`.
    ///
    /// # Errors
    /// [`HostError::Table`] for text that is not RON of the schema (with its position), or
    /// an inconsistent table: a word given twice, a bit out of range or named twice, an
    /// alias, dependency, XSAVE component or KVM default naming an unknown word or feature,
    /// a feature the rules need that is not one bit, a component beyond 63, model versions
    /// not numbered from 1, or a version prop that is unknown or neither `on` nor `off`.
    pub fn parse(text: &str) -> Result<QemuX86Table, HostError> {
        let raw: RawTable = ron::from_str(text)
            .map_err(|e| table_error(format!("{}: {}", e.span.start, e.code)))?;
        let mut words = Vec::new();
        let mut props: Vec<Prop> = Vec::new();
        let mut by_name: HashMap<String, usize> = HashMap::new();
        let mut word_index: HashMap<String, usize> = HashMap::new();
        for (wi, w) in raw.words.iter().enumerate() {
            if word_index.insert(w.name.clone(), wi).is_some() {
                return Err(table_error(format!("word {} twice", w.name)));
            }
            let mut names = BTreeMap::new();
            for (bit, name) in &w.bits {
                let limit = match w.location {
                    Location::Cpuid { .. } => 32,
                    Location::Msr { .. } => 64,
                };
                if *bit >= limit || names.insert(*bit, name.clone()).is_some() {
                    return Err(table_error(format!("word {}: bad bit {bit}", w.name)));
                }
                let mask = 1u64 << bit;
                match by_name.get(name) {
                    Some(&p) => match props[p].bits.iter_mut().find(|(x, _)| *x == wi) {
                        Some(b) => b.1 |= mask,
                        None => props[p].bits.push((wi, mask)),
                    },
                    None => {
                        by_name.insert(name.clone(), props.len());
                        props.push(Prop {
                            name: name.clone(),
                            bits: vec![(wi, mask)],
                        });
                    }
                }
            }
            let mut migratable = w.migratable;
            for (bit, _) in &w.bits {
                if w.unmigratable & (1 << bit) == 0 {
                    migratable |= 1 << bit;
                }
            }
            words.push(Word {
                name: w.name.clone(),
                location: w.location,
                names,
                migratable,
                no_autoenable: w.no_autoenable,
            });
        }
        for (alias, target) in &raw.aliases {
            let &p = by_name
                .get(target)
                .ok_or_else(|| table_error(format!("alias {alias} of unknown {target}")))?;
            by_name.insert(alias.clone(), p);
        }
        let word = |n: &str| {
            word_index
                .get(n)
                .copied()
                .ok_or_else(|| table_error(format!("unknown word {n}")))
        };
        let bit = |n: &str| -> Result<(usize, u64), HostError> {
            let &p = by_name
                .get(n)
                .ok_or_else(|| table_error(format!("unknown feature {n}")))?;
            match props[p].bits.as_slice() {
                [one] if one.1.count_ones() == 1 => Ok(*one),
                _ => Err(table_error(format!("{n} is not one bit"))),
            }
        };
        let mut deps = Vec::new();
        for d in &raw.dependencies {
            deps.push(((word(&d.from.0)?, d.from.1), (word(&d.to.0)?, d.to.1)));
        }
        let mut xsave = Vec::new();
        for (comp, feature) in &raw.xsave_components {
            if *comp >= 64 {
                return Err(table_error(format!("xsave component {comp}")));
            }
            xsave.push((*comp, bit(feature)?));
        }
        let mut kvm_defaults = Vec::new();
        for (name, on) in &raw.kvm_default_props {
            let &p = by_name
                .get(name)
                .ok_or_else(|| table_error(format!("unknown default prop {name}")))?;
            kvm_defaults.push((p, *on));
        }
        let w = Fixed {
            xcr0_lo: word("FEAT_XSAVE_XCR0_LO")?,
            xcr0_hi: word("FEAT_XSAVE_XCR0_HI")?,
            xss_lo: word("FEAT_XSAVE_XSS_LO")?,
            xss_hi: word("FEAT_XSAVE_XSS_HI")?,
            xsave: bit("xsave")?,
            intel_pt: bit("intel-pt")?,
            pt_lip: bit("intel-pt-lip")?,
            hypervisor: bit("hypervisor")?,
            svm: bit("svm")?,
        };
        let mut definitions = Vec::new();
        for m in &raw.models {
            let mut base = vec![0u64; words.len()];
            for (wn, mask) in &m.features {
                base[word(wn)?] |= mask;
            }
            base[w.hypervisor.0] |= w.hypervisor.1;
            let mut features = base;
            for (i, v) in m.versions.iter().enumerate() {
                if v.number as usize != i + 1 {
                    return Err(table_error(format!("{}: version {}", m.name, v.number)));
                }
                for (prop, value) in &v.props {
                    let on = match value.as_str() {
                        "on" => true,
                        "off" => false,
                        _ if matches!(prop.as_str(), "model-id" | "stepping" | "model") => continue,
                        _ => {
                            return Err(table_error(format!(
                                "{}-v{}: prop {prop}={value}",
                                m.name, v.number
                            )))
                        }
                    };
                    let &p = by_name.get(prop).ok_or_else(|| {
                        table_error(format!("{}-v{}: unknown prop {prop}", m.name, v.number))
                    })?;
                    for &(wi, mask) in &props[p].bits {
                        if on {
                            features[wi] |= mask;
                        } else {
                            features[wi] &= !mask;
                        }
                    }
                }
                let versioned = format!("{}-v{}", m.name, v.number);
                definitions.push(Definition {
                    name: versioned.clone(),
                    alias_of: None,
                    features: features.clone(),
                });
                if v.number == 1 {
                    definitions.push(Definition {
                        name: m.name.clone(),
                        alias_of: Some(versioned.clone()),
                        features: features.clone(),
                    });
                }
                if let Some(a) = &v.alias {
                    definitions.push(Definition {
                        name: a.clone(),
                        alias_of: Some(versioned),
                        features: features.clone(),
                    });
                }
            }
        }
        Ok(QemuX86Table {
            release: raw.release,
            words,
            props,
            by_name,
            deps,
            xsave,
            xcr0: raw.xcr0_components,
            xss: raw.xss_components,
            kvm_defaults,
            definitions,
            w,
        })
    }

    /// The property names of the table (feature properties, without aliases), in
    /// table order.
    pub fn feature_names(&self) -> impl Iterator<Item = &str> {
        self.props.iter().map(|p| p.name.as_str())
    }

    /// Every model name QEMU registers, without `max`, `host`, `base`.
    pub fn model_names(&self) -> impl Iterator<Item = &str> {
        self.definitions.iter().map(|d| d.name.as_str())
    }
}

/// A property value of an expansion.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PropValue {
    /// A feature or flag.
    Bool(bool),
    /// A number (`family`, `min-level`, ...).
    Num(u64),
    /// A string (`vendor`, `model-id`).
    Str(String),
}

/// One `query-cpu-definitions` entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QemuDefinition {
    /// The model name.
    pub name: String,
    /// The versioned name an alias stands for.
    pub alias_of: Option<String>,
    /// QEMU's blockers (QEMU names, QEMU order, duplicates kept).
    pub unavailable: Vec<String>,
}

/// QEMU 7.2's view of one KVM host: the supported feature words and the host CPU's
/// identity, computed from a record.
#[derive(Clone, Debug)]
pub struct QemuKvmHost<'t> {
    table: &'t QemuX86Table,
    /// Per word, `migratable=off`.
    supported: Vec<u64>,
    kvm_level: u32,
    kvm_xlevel: u32,
    pt_ok: bool,
    vendor: String,
    family: u32,
    model: u32,
    stepping: u32,
    model_id: String,
    lmce: bool,
}

/// The 1.EDX bits AMD mirrors in 8000_0001.EDX (`CPUID_EXT2_AMD_ALIASES`).
const AMD_ALIASES: u32 = 0x0183_f3ff;
/// MCG_LMCE_P in the MCE capabilities.
const MCG_LMCE_P: u64 = 1 << 27;
/// The VMX control MSRs whose value is "may be 1" / "must be 1" halves.
const VMX_CONTROL_MSRS: [u32; 5] = [0x48b, 0x48d, 0x48e, 0x48f, 0x490];

impl<'t> QemuKvmHost<'t> {
    /// QEMU's view of a recorded host; the record needs KVM answers and CPUID rows.
    ///
    /// # Errors
    /// [`HostError::NoKvm`] when the record has no KVM answers (with the recorded reason);
    /// [`HostError::NoCpuid`] when its CPUID dump lacks leaf 1 or a leaf 0 whose vendor
    /// string is UTF-8.
    pub fn new(table: &'t QemuX86Table, rec: &HostRecord) -> Result<QemuKvmHost<'t>, HostError> {
        let kvm = rec
            .kvm
            .as_ref()
            .map_err(|why| HostError::NoKvm(why.clone()))?;
        let leaf1 = rec.cpuid(1, 0).ok_or(HostError::NoCpuid)?;
        let vendor = rec.vendor_string().ok_or(HostError::NoCpuid)?;
        // QEMU's host_cpu_vendor_fms.
        let eax = leaf1[0];
        let mut family = (eax >> 8) & 0xf;
        if family == 0xf {
            family += (eax >> 20) & 0xff;
        }
        let model = ((eax >> 4) & 0xf) | ((eax & 0xf0000) >> 12);
        let stepping = eax & 0xf;
        let tsx_broken = vendor == "GenuineIntel"
            && family == 6
            && ((model == 63 && stepping < 4) || matches!(model, 60 | 69 | 70));
        let mut brand = Vec::new();
        for leaf in 0x8000_0002..=0x8000_0004u32 {
            let r = rec.cpuid(leaf, 0).unwrap_or_default();
            for reg in r {
                brand.extend_from_slice(&reg.to_le_bytes());
            }
        }
        let end = brand.iter().position(|&b| b == 0).unwrap_or(brand.len());
        let model_id = String::from_utf8_lossy(&brand[..end]).into_owned();
        let mut h = QemuKvmHost {
            table,
            supported: Vec::new(),
            kvm_level: kvm.cpuid(0, 0).map_or(0, |r| r[0]),
            kvm_xlevel: kvm.cpuid(0x8000_0000, 0).map_or(0, |r| r[0]),
            pt_ok: false,
            vendor,
            family,
            model,
            stepping,
            model_id,
            lmce: kvm.mce_cap_supported.is_some_and(|m| m & MCG_LMCE_P != 0),
        };
        h.supported = (0..table.words.len())
            .map(|w| h.compute_supported(kvm, w, tsx_broken))
            .collect();
        h.pt_ok = pt_supported(kvm);
        Ok(h)
    }

    /// `kvm_arch_get_supported_cpuid` with QEMU 7.2's fix-ups (module doc, §1).
    fn cpuid_reg(&self, kvm: &KvmAnswers, leaf: u32, sub: u32, reg: RawReg, tsx: bool) -> u32 {
        let r = kvm.cpuid(leaf, sub).unwrap_or_default();
        let mut v = r[reg as usize];
        let bit = |(_, m): (usize, u64)| m as u32;
        let named = |n: &str| {
            self.table
                .by_name
                .get(n)
                .map_or(0, |&p| self.table.props[p].bits[0].1 as u32)
        };
        match (leaf, sub, reg) {
            (1, 0, RawReg::Edx) => v |= named("mtrr") | named("pat") | named("mce") | named("mca"),
            (1, 0, RawReg::Ecx) => {
                v |= bit(self.table.w.hypervisor);
                if kvm.tsc_deadline_timer {
                    v |= named("tsc-deadline");
                }
            }
            (6, 0, RawReg::Eax) => v |= named("arat"),
            (7, 0, RawReg::Ebx) if tsx => v &= !(named("hle") | named("rtm")),
            (7, 0, RawReg::Edx) if !kvm.msr_indices.contains(&0x10a) => {
                v &= !named("arch-capabilities")
            }
            (0xd, 0, RawReg::Eax | RawReg::Edx) if kvm.sys_attributes => {
                if let Some(x) = kvm.xcomp_guest_supp {
                    v = if reg == RawReg::Eax {
                        x as u32
                    } else {
                        (x >> 32) as u32
                    };
                }
            }
            (0x8000_0001, 0, RawReg::Ecx) => v |= named("topoext"),
            (0x8000_0001, 0, RawReg::Edx) => {
                v |= self.cpuid_reg(kvm, 1, 0, RawReg::Edx, tsx) & AMD_ALIASES
            }
            (0x4000_0001, 0, RawReg::Edx) => v |= 1,
            _ => {}
        }
        v
    }

    fn compute_supported(&self, kvm: &KvmAnswers, w: usize, tsx: bool) -> u64 {
        match self.table.words[w].location {
            Location::Cpuid { leaf, subleaf, reg } => {
                u64::from(self.cpuid_reg(kvm, leaf, subleaf, reg, tsx))
            }
            Location::Msr { index } => {
                let Some(mut value) = kvm.feature_msr(index) else {
                    return 0;
                };
                if index == 0x48b && !kvm.msr_indices.contains(&0x48b) {
                    let has = |leaf, sub, reg, name: &str| {
                        let m = self
                            .table
                            .by_name
                            .get(name)
                            .map_or(0, |&p| self.table.props[p].bits[0].1 as u32);
                        self.cpuid_reg(kvm, leaf, sub, reg, tsx) & m != 0
                    };
                    let exits: [(bool, &str); 5] = [
                        (has(0xd, 1, RawReg::Ecx, "xsaves"), "vmx-xsaves"),
                        (has(1, 0, RawReg::Ecx, "rdrand"), "vmx-rdrand-exit"),
                        (has(7, 0, RawReg::Ebx, "invpcid"), "vmx-invpcid-exit"),
                        (has(7, 0, RawReg::Ebx, "rdseed"), "vmx-rdseed-exit"),
                        (
                            has(0x8000_0001, 0, RawReg::Edx, "rdtscp"),
                            "vmx-rdtscp-exit",
                        ),
                    ];
                    for (on, name) in exits {
                        if on {
                            if let Some(&p) = self.table.by_name.get(name) {
                                value |= self.table.props[p].bits[0].1 << 32;
                            }
                        }
                    }
                }
                if VMX_CONTROL_MSRS.contains(&index) {
                    let must = value & 0xffff_ffff;
                    let may = value >> 32;
                    may & !must
                } else {
                    value
                }
            }
        }
    }

    /// The supported value of a word by QEMU name (`FEAT_1_ECX`), `migratable=off`.
    pub fn supported_word(&self, name: &str) -> Option<u64> {
        let w = self.table.words.iter().position(|w| w.name == name)?;
        Some(self.supported[w])
    }

    /// Dependencies once in table order; returns the bits cleared that were user-set.
    fn apply_dependencies(&self, f: &mut [u64], user: &[u64]) -> Vec<u64> {
        let mut missing = vec![0u64; f.len()];
        for &((fw, fm), (tw, tm)) in &self.table.deps {
            if f[fw] & fm == 0 {
                let gone = f[tw] & tm;
                missing[tw] |= gone & user[tw];
                f[tw] &= !gone;
            }
        }
        missing
    }

    /// `x86_cpu_enable_xsave_components`.
    fn xsave_components(&self, f: &mut [u64]) {
        let w = &self.table.w;
        if f[w.xsave.0] & w.xsave.1 == 0 {
            f[w.xcr0_lo] = 0;
            f[w.xcr0_hi] = 0;
            return;
        }
        let mut mask = 0u64;
        for &(comp, (fw, fm)) in &self.table.xsave {
            if f[fw] & fm != 0 {
                mask |= 1 << comp;
            }
        }
        f[w.xcr0_lo] = mask & self.table.xcr0 & 0xffff_ffff;
        f[w.xcr0_hi] = mask >> 32;
        f[w.xss_lo] = mask & self.table.xss & 0xffff_ffff;
        f[w.xss_hi] = mask >> 32;
    }

    /// The feature words of `host` (module doc, §2).
    fn host_words(&self, migratable: bool) -> Vec<u64> {
        let t = self.table;
        let mut f: Vec<u64> = (0..t.words.len())
            .map(|w| {
                let mut v = self.supported[w];
                if migratable {
                    v &= t.words[w].migratable;
                }
                v & !t.words[w].no_autoenable
            })
            .collect();
        let user = vec![0u64; f.len()];
        self.apply_dependencies(&mut f, &user);
        self.xsave_components(&mut f);
        f
    }

    /// QEMU's static expansion of `host` (`query-cpu-model-expansion type=static`), as
    /// property name → value.
    pub fn host_expansion(&self, migratable: bool) -> BTreeMap<String, PropValue> {
        let t = self.table;
        let f = self.host_words(migratable);
        let mut out = BTreeMap::new();
        for p in &t.props {
            let on = p.bits.iter().all(|&(w, m)| f[w] & m == m);
            out.insert(p.name.clone(), PropValue::Bool(on));
        }
        let (mut level, mut xlevel) = (self.kvm_level, self.kvm_xlevel);
        for (w, word) in t.words.iter().enumerate() {
            if let Location::Cpuid { leaf, .. } = word.location {
                if f[w] != 0 {
                    match leaf & 0xf000_0000 {
                        0 => level = level.max(leaf),
                        0x8000_0000 => xlevel = xlevel.max(leaf),
                        _ => {}
                    }
                }
            }
        }
        let (pw, pm) = t.w.intel_pt;
        if f[pw] & pm != 0 {
            level = level.max(0x14);
        }
        let (sw, sm) = t.w.svm;
        if f[sw] & sm != 0 {
            xlevel = xlevel.max(0x8000_000a);
        }
        out.insert("vendor".into(), PropValue::Str(self.vendor.clone()));
        out.insert("family".into(), PropValue::Num(self.family.into()));
        out.insert("model".into(), PropValue::Num(self.model.into()));
        out.insert("stepping".into(), PropValue::Num(self.stepping.into()));
        out.insert("model-id".into(), PropValue::Str(self.model_id.clone()));
        out.insert("min-level".into(), PropValue::Num(level.into()));
        out.insert("min-xlevel".into(), PropValue::Num(xlevel.into()));
        out.insert("lmce".into(), PropValue::Bool(self.lmce));
        out
    }

    /// The expansion libvirt keeps: `migratable` on and off merged (true in either).
    pub fn merged_expansion(&self) -> BTreeMap<String, PropValue> {
        let mut on = self.host_expansion(true);
        for (k, v) in self.host_expansion(false) {
            if v == PropValue::Bool(true) {
                on.insert(k, v);
            }
        }
        on
    }

    /// A `query-cpu-model-expansion` reply holding `props` (QEMU's JSON shape).
    pub fn expansion_reply(props: &BTreeMap<String, PropValue>) -> String {
        let map: serde_json::Map<String, serde_json::Value> = props
            .iter()
            .map(|(k, v)| {
                let v = match v {
                    PropValue::Bool(b) => serde_json::Value::Bool(*b),
                    PropValue::Num(n) => serde_json::Value::from(*n),
                    PropValue::Str(s) => serde_json::Value::from(s.as_str()),
                };
                (k.clone(), v)
            })
            .collect();
        serde_json::json!({"return": {"model": {"name": "base", "props": map}}}).to_string()
    }

    /// `query-cpu-definitions` (module doc, §3): `max`, `host`, `base`, then every model
    /// name in table order.
    pub fn definitions(&self) -> Vec<QemuDefinition> {
        let mut out: Vec<QemuDefinition> = ["max", "host", "base"]
            .iter()
            .map(|n| QemuDefinition {
                name: n.to_string(),
                alias_of: None,
                unavailable: Vec::new(),
            })
            .collect();
        for d in &self.table.definitions {
            out.push(QemuDefinition {
                name: d.name.clone(),
                alias_of: d.alias_of.clone(),
                unavailable: self.missing(&d.features),
            });
        }
        out
    }

    /// The blockers of a model whose features (masks, hypervisor, version props) are `f`.
    fn missing(&self, model: &[u64]) -> Vec<String> {
        let t = self.table;
        let mut f = model.to_vec();
        let mut user = vec![0u64; f.len()];
        for &(p, on) in &t.kvm_defaults {
            for &(w, m) in &t.props[p].bits {
                user[w] |= m;
                if on {
                    f[w] |= m;
                } else {
                    f[w] &= !m;
                }
            }
        }
        let mut missing = self.apply_dependencies(&mut f, &user);
        self.xsave_components(&mut f);
        for (w, m) in missing.iter_mut().enumerate() {
            *m |= f[w] & !self.supported[w];
        }
        let (pw, pm) = t.w.intel_pt;
        if f[pw] & pm != 0 && !self.pt_lip_matches(&f) {
            missing[pw] |= pm;
        }
        let mut names = Vec::new();
        for (w, &m) in missing.iter().enumerate() {
            for bit in 0..64u32 {
                if m & (1 << bit) != 0 {
                    if let Some(n) = self.bit_name(w, bit) {
                        names.push(n.to_string());
                    }
                }
            }
        }
        names
    }

    /// intel-pt passes when KVM offers QEMU's minimal PT capabilities and the same LIP
    /// setting as the model.
    fn pt_lip_matches(&self, f: &[u64]) -> bool {
        let (lw, lm) = self.table.w.pt_lip;
        let model_lip = f[lw] & lm != 0;
        let kvm_lip = self.supported[lw] & lm != 0;
        self.pt_ok && model_lip == kvm_lip
    }

    /// `x86_cpu_feature_name`: an XCR0 component is named after its enabling feature.
    fn bit_name(&self, w: usize, bit: u32) -> Option<&str> {
        let t = self.table;
        let (mut w, mut bit) = (w, bit);
        if w == t.w.xcr0_lo || w == t.w.xcr0_hi {
            let comp = if w == t.w.xcr0_hi { bit + 32 } else { bit };
            if let Some(&(_, (fw, fm))) = t.xsave.iter().find(|(c, _)| *c == comp) {
                w = fw;
                bit = fm.trailing_zeros();
            }
        }
        t.words[w].names.get(&bit).map(String::as_str)
    }

    /// The model list with blockers as libvirt keeps it (blockers renamed).
    pub fn hypervisor_models(&self) -> HypervisorModels {
        HypervisorModels::new(
            self.definitions()
                .into_iter()
                .map(|d| (d.name, d.unavailable)),
        )
    }
}

/// QEMU 7.2's minimal Processor Trace capabilities in KVM's leaf 0x14 (without LIP).
fn pt_supported(kvm: &KvmAnswers) -> bool {
    const MINIMAL_EBX: u32 = 0xf;
    const MINIMAL_ECX: u32 = 0x7;
    const ADDR_RANGES: u32 = 2;
    const MTC_BITMAP: u32 = 0x0249 << 16;
    const CYCLE_BITMAP: u32 = 0x1fff;
    const PSB_BITMAP: u32 = 0x003f << 16;
    let r0 = kvm.cpuid(0x14, 0).unwrap_or_default();
    let r1 = kvm.cpuid(0x14, 1).unwrap_or_default();
    r0[0] != 0
        && r0[1] & MINIMAL_EBX == MINIMAL_EBX
        && r0[2] & MINIMAL_ECX == MINIMAL_ECX
        && r1[0] & MTC_BITMAP == MTC_BITMAP
        && r1[0] & 0x7 >= ADDR_RANGES
        && r1[1] & (PSB_BITMAP | CYCLE_BITMAP) == (PSB_BITMAP | CYCLE_BITMAP)
}

impl X86 {
    /// The host-model CPU a KVM guest gets with QEMU 7.2, as libvirt 11.3 reports it in
    /// `virsh domcapabilities --virttype kvm` (module doc, §4): a guest `<cpu>` with
    /// `fallback='forbid'` and require/disable features.
    ///
    /// # Errors
    /// [`HostError::Table`] as [`QemuX86Table::qemu_7_2`]; [`HostError::NoKvm`] and
    /// [`HostError::NoCpuid`] as [`QemuKvmHost::new`]; [`HostError::X86`] when the decode
    /// fails ([`X86Error::NoSuitableModel`](crate::X86Error::NoSuitableModel): no QEMU
    /// definition expresses the host's features).
    pub fn kvm_host_model(&self, rec: &HostRecord) -> Result<CpuDef, HostError> {
        let host = QemuKvmHost::new(QemuX86Table::qemu_7_2()?, rec)?;
        let reply = QemuKvmHost::expansion_reply(&host.merged_expansion());
        let data = self.qmp_expansion_data(&reply)?;
        Ok(self.decode(&data, CpuKind::Guest, Some(&host.hypervisor_models()))?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const INTEL: &str = include_str!("../../../specs/kvm/intel-spr-pvm/host.json");

    /// The reference Intel machine's record, changed by `edit`.
    fn record(edit: impl FnOnce(&mut HostRecord, &mut KvmAnswers)) -> HostRecord {
        let mut rec = HostRecord::from_json(INTEL).unwrap();
        let mut kvm = rec.kvm.clone().unwrap();
        edit(&mut rec, &mut kvm);
        rec.kvm = Ok(kvm);
        rec
    }

    fn set_kvm_reg(kvm: &mut KvmAnswers, leaf: u32, sub: u32, reg: usize, f: impl Fn(u32) -> u32) {
        let e = kvm
            .supported_cpuid
            .iter_mut()
            .find(|e| e.function == leaf && e.index == sub)
            .unwrap();
        e.regs[reg] = f(e.regs[reg]);
    }

    fn word(rec: &HostRecord, name: &str) -> u64 {
        let t = QemuX86Table::qemu_7_2().unwrap();
        QemuKvmHost::new(t, rec)
            .unwrap()
            .supported_word(name)
            .unwrap()
    }

    #[test]
    fn tsc_deadline_comes_from_the_capability() {
        for cap in [true, false] {
            let rec = record(|_, k| {
                set_kvm_reg(k, 1, 0, 2, |v| v & !(1 << 24));
                k.tsc_deadline_timer = cap;
            });
            assert_eq!(word(&rec, "FEAT_1_ECX") & (1 << 24) != 0, cap);
            // hypervisor is always added.
            assert_ne!(word(&rec, "FEAT_1_ECX") & (1 << 31), 0);
        }
    }

    #[test]
    fn arch_capabilities_needs_the_msr_in_kvms_index_list() {
        let t = QemuX86Table::qemu_7_2().unwrap();
        let rec = record(|_, k| k.msr_indices.retain(|&i| i != 0x10a));
        assert_eq!(word(&rec, "FEAT_7_0_EDX") & (1 << 29), 0);
        // The MSR word itself is still supported, but the dependency clears it in `host`.
        assert_ne!(word(&rec, "FEAT_ARCH_CAPABILITIES"), 0);
        let e = QemuKvmHost::new(t, &rec).unwrap().host_expansion(true);
        assert_eq!(e["arch-capabilities"], PropValue::Bool(false));
        assert_eq!(e["mds-no"], PropValue::Bool(false));
        let e = QemuKvmHost::new(t, &record(|_, _| {}))
            .unwrap()
            .host_expansion(true);
        assert_eq!(e["mds-no"], PropValue::Bool(true));
    }

    #[test]
    fn a_broken_tsx_haswell_loses_hle_and_rtm() {
        let hle_rtm = (1 << 4) | (1 << 11);
        assert_eq!(word(&record(|_, _| {}), "FEAT_7_0_EBX") & hle_rtm, hle_rtm);
        for (eax, broken) in [
            (0x306c3, true),
            (0x306f2, true),
            (0x306f4, false),
            (0x406f1, false),
        ] {
            let rec = record(|r, _| {
                r.cpuid.iter_mut().find(|c| c.leaf == 1).unwrap().regs[0] = eax;
            });
            assert_eq!(
                word(&rec, "FEAT_7_0_EBX") & hle_rtm == 0,
                broken,
                "{eax:#x}"
            );
        }
    }

    #[test]
    fn vmx_control_msrs_give_may_be_one_minus_must_be_one() {
        let rec = record(|_, k| {
            k.feature_msr_indices.push(0x48d);
            k.feature_msrs.push((0x48d, (0x3f << 32) | 0x16));
        });
        assert_eq!(word(&rec, "FEAT_VMX_PINBASED_CTLS"), 0x29);
        // An MSR KVM does not list is 0, whatever value was recorded.
        let rec = record(|_, k| k.feature_msrs.push((0x48e, u64::MAX)));
        assert_eq!(word(&rec, "FEAT_VMX_PROCBASED_CTLS"), 0);
    }

    #[test]
    fn secondary_controls_get_the_exits_the_cpuid_words_allow() {
        let rdrand_exit = 1 << 11;
        for listed in [true, false] {
            let rec = record(|_, k| {
                set_kvm_reg(k, 1, 0, 2, |v| v | (1 << 30));
                k.feature_msr_indices.push(0x48b);
                k.feature_msrs.push((0x48b, 0));
                if listed {
                    k.msr_indices.push(0x48b);
                }
            });
            assert_eq!(
                word(&rec, "FEAT_VMX_SECONDARY_CTLS") == rdrand_exit,
                !listed
            );
        }
    }

    #[test]
    fn xsave_guest_components_replace_leaf_0xd() {
        let rec = record(|_, k| k.xcomp_guest_supp = Some(0x600e7));
        assert_eq!(word(&rec, "FEAT_XSAVE_XCR0_LO"), 0x600e7);
        let rec = record(|_, k| {
            k.xcomp_guest_supp = Some(0x600e7);
            k.sys_attributes = false;
        });
        assert_eq!(word(&rec, "FEAT_XSAVE_XCR0_LO"), 0xe7);
        let rec = record(|_, k| k.xcomp_guest_supp = None);
        assert_eq!(word(&rec, "FEAT_XSAVE_XCR0_LO"), 0xe7);
    }

    #[test]
    fn amd_mirrors_leaf_1_edx_in_the_extended_leaf() {
        let rec = record(|_, _| {});
        let edx1 = word(&rec, "FEAT_1_EDX");
        let ext = word(&rec, "FEAT_8000_0001_EDX");
        assert_eq!(ext & u64::from(AMD_ALIASES), edx1 & u64::from(AMD_ALIASES));
        assert_ne!(ext & u64::from(AMD_ALIASES), 0);
    }

    #[test]
    fn without_kvm_answers_there_is_no_host_model() {
        let mut rec = HostRecord::from_json(INTEL).unwrap();
        rec.kvm = Err("cannot open /dev/kvm: permission denied".into());
        let x = X86::new(cpucompat_catalog::embedded::x86_libvirt_11_3().clone());
        assert_eq!(
            x.kvm_host_model(&rec).unwrap_err().to_string(),
            "no kvm answers: cannot open /dev/kvm: permission denied"
        );
    }

    #[test]
    fn the_7_2_table_loads_with_qemus_counts() {
        let t = QemuX86Table::qemu_7_2().unwrap();
        assert_eq!(t.release(), "7.2");
        assert_eq!(t.words.len(), 36);
        // 319 feature properties (kvmclock and vmx-invept-single-context name two bits).
        assert_eq!(t.feature_names().count(), 319);
        assert_eq!(t.model_names().count(), 129);
        assert_eq!(t.deps.len(), 24);
        let kvmclock = &t.props[t.by_name["kvmclock"]];
        assert_eq!(kvmclock.bits.len(), 1);
        assert_eq!(kvmclock.bits[0].1, 0b1001);
        // Aliases resolve to their target.
        assert_eq!(t.by_name["sse4_1"], t.by_name["sse4.1"]);
        // Only invtsc is unmigratable among the named bits of 8000_0007.EDX.
        let w = t
            .words
            .iter()
            .find(|w| w.name == "FEAT_8000_0007_EDX")
            .unwrap();
        assert_eq!(w.migratable & 0x100, 0);
    }

    #[test]
    fn table_errors_name_what_is_wrong() {
        let e = QemuX86Table::parse("QemuX86Table(").unwrap_err();
        assert!(e.to_string().starts_with("bad qemu x86 table: "), "{e}");
        let bad = TABLE_7_2.replacen("(\"sse3\", \"pni\")", "(\"sse3\", \"nope\")", 1);
        assert_eq!(
            QemuX86Table::parse(&bad).unwrap_err().to_string(),
            "bad qemu x86 table: alias sse3 of unknown nope"
        );
    }
}
