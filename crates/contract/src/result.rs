//! The answers every architecture gives in the same shape, in Rust and in JSON.
//!
//! JSON is written from these types by serde, so every client (the command line, the C
//! and Python bindings) prints the same value. The shapes, with their JSON Schemas in the
//! `cpucompat` package's `schemas/` folder:
//!
//! ```text
//! Comparison     {"result": "identical"|"superset"|"incompatible",
//!                 "reasons": [{"rule": "libvirt-missing", "message": "...",
//!                              "position": {"line": 3, "column": 5} | null}],
//!                 "missing": [...], "forbidden": [...], "extra": [...]}
//! ModelUsability {"name", "vendor", "canonical", "usable": bool, "blockers": [...]}
//! Expansion      {"model", "vendor", "canonical", "features": [...],
//!                 "details": {"arch": "x86_64"} | {"arch": "ppc64", ...} | {"arch": "s390x", ...}}
//! ```
use cpucompat_xml::model::Pos;
use serde::ser::SerializeStruct;
use serde::{Serialize, Serializer};
use std::fmt;

/// libvirt's three answers to "can this guest run on this host?".
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// The host offers exactly what the guest asks for.
    Identical,
    /// The host offers everything the guest asks for, and more.
    Superset,
    /// The guest does not run on the host (the reasons say why).
    Incompatible,
}

impl Verdict {
    /// Whether the guest runs: identical or superset.
    pub fn runs(self) -> bool {
        self != Verdict::Incompatible
    }

    /// `identical`, `superset`, `incompatible`.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Identical => "identical",
            Verdict::Superset => "superset",
            Verdict::Incompatible => "incompatible",
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The rule a [`Reason`] reports, named after who applies it (libvirt or QEMU) and what
/// it checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Rule {
    /// libvirt: the guest names an architecture the host is not.
    LibvirtArch,
    /// libvirt: the guest names a vendor the host does not have.
    LibvirtVendor,
    /// libvirt: the host CPU names no model, so nothing can be decided against it.
    LibvirtHost,
    /// libvirt: the host offers features the guest forbids.
    LibvirtForbidden,
    /// libvirt: the host lacks features the guest requires.
    LibvirtMissing,
    /// libvirt: a `match='strict'` guest does not accept the host's extra features.
    LibvirtStrict,
    /// libvirt (POWER): guest and host name different models.
    LibvirtModel,
    /// libvirt (POWER): the guest's compat level is newer than the host.
    LibvirtCompat,
    /// QEMU: the host's CPU family cannot run the guest's compat mode (POWER).
    QemuCompat,
    /// QEMU: the guest has more threads per core than its compat mode allows (POWER).
    QemuThreads,
    /// QEMU: a raw-mode guest's PVR does not match the host's CPU class (POWER).
    QemuRawPvr,
    /// QEMU: the guest's CPU generation (and GA level) is newer than the host's (s390x).
    QemuGeneration,
    /// QEMU: the guest enables features the host does not offer (s390x).
    QemuFeatures,
    /// QEMU: the hypervisor reports the guest's model unusable, and the guest does not
    /// disable what blocks it (x86 `hypervisor-cpu-compare`).
    QemuBlockers,
}

impl Rule {
    /// The rule's name in output: `libvirt-missing`, `qemu-compat`, ...
    pub fn as_str(self) -> &'static str {
        match self {
            Rule::LibvirtArch => "libvirt-arch",
            Rule::LibvirtVendor => "libvirt-vendor",
            Rule::LibvirtHost => "libvirt-host",
            Rule::LibvirtForbidden => "libvirt-forbidden",
            Rule::LibvirtMissing => "libvirt-missing",
            Rule::LibvirtStrict => "libvirt-strict",
            Rule::LibvirtModel => "libvirt-model",
            Rule::LibvirtCompat => "libvirt-compat",
            Rule::QemuCompat => "qemu-compat",
            Rule::QemuThreads => "qemu-threads",
            Rule::QemuRawPvr => "qemu-raw-pvr",
            Rule::QemuGeneration => "qemu-generation",
            Rule::QemuFeatures => "qemu-features",
            Rule::QemuBlockers => "qemu-blockers",
        }
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Rule {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// One reason a guest does not run on a host: the rule that failed, a one-line message
/// (libvirt's or QEMU's wording where they have one), and where in the guest definition
/// the cause is written, when it was read from text.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Reason {
    rule: Rule,
    message: String,
    pos: Option<Pos>,
}

impl Reason {
    /// A reason; a position of line 0 ("not from a text") is dropped.
    pub fn new(rule: Rule, message: impl Into<String>, pos: Option<Pos>) -> Reason {
        Reason {
            rule,
            message: message.into(),
            pos: pos.filter(|p| p.line != 0),
        }
    }

    /// The rule that failed.
    pub fn rule(&self) -> Rule {
        self.rule
    }

    /// What failed, one line.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// Where in the guest definition the cause is written.
    pub fn pos(&self) -> Option<Pos> {
        self.pos
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.rule, self.message)
    }
}

impl Serialize for Reason {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("Reason", 3)?;
        st.serialize_field("rule", &self.rule)?;
        st.serialize_field("message", &self.message)?;
        st.serialize_field("position", &self.pos.map(PosJson))?;
        st.end()
    }
}

struct PosJson(Pos);

impl Serialize for PosJson {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("Position", 2)?;
        st.serialize_field("line", &self.0.line)?;
        st.serialize_field("column", &self.0.column)?;
        st.end()
    }
}

/// Names a set of an adapter's features, in its order: how a [`Comparison`] that runs
/// names its extra features only when they are read (a scheduler that only asks
/// [`Comparison::runs`] never pays for them). A plain function, so it is `'static` and
/// free to copy.
pub type NameFeatures = fn(&cpucompat_lattice::FeatureSet) -> Vec<String>;

/// A list of feature names, given or made when first read.
#[derive(Clone)]
enum Names {
    Given(Vec<String>),
    Lazy {
        set: cpucompat_lattice::FeatureSet,
        name: NameFeatures,
        made: std::sync::OnceLock<Vec<String>>,
    },
}

impl Names {
    fn get(&self) -> &[String] {
        match self {
            Names::Given(v) => v,
            Names::Lazy { set, name, made } => made.get_or_init(|| name(set)),
        }
    }
}

impl fmt::Debug for Names {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.get().fmt(f)
    }
}

/// The answer to "can this guest run on this host?".
///
/// Invariant (checked by [`Comparison::new`]): the verdict is
/// [`Verdict::Incompatible`] exactly when there is at least one [`Reason`].
/// Feature lists are in the catalog's order (x86) or QEMU's (s390x); POWER has none.
#[derive(Clone, Debug)]
pub struct Comparison {
    verdict: Verdict,
    reasons: Vec<Reason>,
    missing: Vec<String>,
    forbidden: Vec<String>,
    extra: Names,
}

impl PartialEq for Comparison {
    fn eq(&self, other: &Comparison) -> bool {
        self.verdict == other.verdict
            && self.reasons == other.reasons
            && self.missing == other.missing
            && self.forbidden == other.forbidden
            && self.extra() == other.extra()
    }
}

impl Eq for Comparison {}

impl Serialize for Comparison {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("Comparison", 5)?;
        st.serialize_field("result", &self.verdict)?;
        st.serialize_field("reasons", &self.reasons)?;
        st.serialize_field("missing", &self.missing)?;
        st.serialize_field("forbidden", &self.forbidden)?;
        st.serialize_field("extra", self.extra())?;
        st.end()
    }
}

impl Comparison {
    /// A comparison. With at least one reason the verdict is [`Verdict::Incompatible`]
    /// whatever `verdict` says; an incompatible verdict must come with a reason (adapters
    /// always give one; debug builds check it).
    pub fn new(
        verdict: Verdict,
        reasons: Vec<Reason>,
        missing: Vec<String>,
        forbidden: Vec<String>,
        extra: Vec<String>,
    ) -> Comparison {
        debug_assert!(
            verdict.runs() || !reasons.is_empty(),
            "an incompatible verdict needs a reason"
        );
        let verdict = if reasons.is_empty() {
            verdict
        } else {
            Verdict::Incompatible
        };
        Comparison {
            verdict,
            reasons,
            missing,
            forbidden,
            extra: Names::Given(extra),
        }
    }

    /// A guest that runs: identical when `extra` is empty, else superset; nothing missing
    /// or forbidden, and the extra features named by `name` when first read
    /// ([`Comparison::extra`]). Equal to [`Comparison::new`] with `name(extra)`.
    ///
    /// ```
    /// use cpucompat_contract::{Comparison, Verdict};
    /// use cpucompat_lattice::{Bit, FeatureSet};
    ///
    /// fn name(set: &FeatureSet) -> Vec<String> {
    ///     set.iter().map(|b| format!("f{}", b.index())).collect()
    /// }
    /// let extra = FeatureSet::single(Bit::new(3)?);
    /// let c = Comparison::runs_with_extra(extra, name);
    /// assert_eq!(c.verdict(), Verdict::Superset);
    /// assert_eq!(c.extra(), ["f3"]);
    /// assert_eq!(c, Comparison::new(Verdict::Superset, vec![], vec![], vec![], vec!["f3".into()]));
    /// # Ok::<(), cpucompat_lattice::CapacityError>(())
    /// ```
    pub fn runs_with_extra(extra: cpucompat_lattice::FeatureSet, name: NameFeatures) -> Comparison {
        let verdict = if extra.is_empty() {
            Verdict::Identical
        } else {
            Verdict::Superset
        };
        Comparison {
            verdict,
            reasons: Vec::new(),
            missing: Vec::new(),
            forbidden: Vec::new(),
            extra: Names::Lazy {
                set: extra,
                name,
                made: std::sync::OnceLock::new(),
            },
        }
    }

    /// The verdict.
    pub fn verdict(&self) -> Verdict {
        self.verdict
    }

    /// Whether the guest runs on the host.
    pub fn runs(&self) -> bool {
        self.verdict.runs()
    }

    /// Why the guest does not run, in the order the rules ran; empty when it runs.
    pub fn reasons(&self) -> &[Reason] {
        &self.reasons
    }

    /// Features the guest requires that the host lacks.
    pub fn missing(&self) -> &[String] {
        &self.missing
    }

    /// Features the guest forbids that the host has.
    pub fn forbidden(&self) -> &[String] {
        &self.forbidden
    }

    /// Host features the guest neither requires nor mentions.
    pub fn extra(&self) -> &[String] {
        self.extra.get()
    }
}

/// A catalog model: its name, its vendor and the name it is an alias of.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct ModelInfo {
    name: String,
    vendor: Option<String>,
    canonical: Option<String>,
}

impl ModelInfo {
    /// A model; `canonical` is the (versioned) model this name is an alias of.
    pub fn new(name: impl Into<String>, vendor: Option<String>, canonical: Option<String>) -> Self {
        ModelInfo {
            name: name.into(),
            vendor,
            canonical,
        }
    }

    /// The model name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The model's vendor, if the catalog gives one.
    pub fn vendor(&self) -> Option<&str> {
        self.vendor.as_deref()
    }

    /// The model this name is an alias of (`Skylake-Client` → `Skylake-Client-v1`).
    pub fn canonical(&self) -> Option<&str> {
        self.canonical.as_deref()
    }
}

/// A catalog model as seen from one host: usable or not, and what blocks it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct ModelUsability {
    #[serde(flatten)]
    model: ModelInfo,
    usable: bool,
    blockers: Vec<String>,
}

impl ModelUsability {
    /// A model and its blockers; usable exactly when nothing blocks it.
    pub fn new(model: ModelInfo, blockers: Vec<String>) -> ModelUsability {
        ModelUsability {
            model,
            usable: blockers.is_empty(),
            blockers,
        }
    }

    /// The model.
    pub fn model(&self) -> &ModelInfo {
        &self.model
    }

    /// The model name.
    pub fn name(&self) -> &str {
        &self.model.name
    }

    /// Whether a guest of this model runs on the host.
    pub fn usable(&self) -> bool {
        self.usable
    }

    /// What stops it: the model's features the host lacks (x86 in catalog order; s390x in
    /// QEMU's order, `type` for a newer generation), or the rule that fails (POWER).
    pub fn blockers(&self) -> &[String] {
        &self.blockers
    }
}

/// A named model's full definition: every feature it enables, and what else the
/// architecture knows about it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Expansion {
    #[serde(flatten)]
    model: ModelInfo,
    features: Vec<String>,
    details: Details,
}

/// What an architecture knows about a model besides its features.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "arch")]
#[non_exhaustive]
pub enum Details {
    /// x86: nothing more.
    #[serde(rename = "x86_64")]
    X86,
    /// POWER: the PVR patterns, QEMU's CPU family and the compat modes it runs.
    #[serde(rename = "ppc64")]
    Ppc64 {
        /// `value/mask` patterns, hex.
        pvrs: Vec<String>,
        /// QEMU's server family, when QEMU has one for the model.
        family: Option<String>,
        /// Compat modes the family runs, oldest first.
        compat_modes: Vec<String>,
    },
    /// s390x: the QEMU definition behind the name.
    #[serde(rename = "s390x")]
    S390x {
        /// The definition (`z14`, `gen16a` ...).
        definition: String,
        /// Machine type, hex (`0x3906`).
        cpu_type: String,
        /// Generation.
        generation: u8,
        /// GA level.
        ga: u8,
        /// Instruction blocking control, hex.
        ibc: String,
        /// QEMU's description.
        description: String,
        /// The static (`-base`) model this one expands to.
        static_model: String,
    },
}

impl Expansion {
    /// An expansion.
    pub fn new(model: ModelInfo, features: Vec<String>, details: Details) -> Expansion {
        Expansion {
            model,
            features,
            details,
        }
    }

    /// The model.
    pub fn model(&self) -> &ModelInfo {
        &self.model
    }

    /// Every feature the model enables (x86: catalog order; s390x: QEMU's; POWER: none).
    pub fn features(&self) -> &[String] {
        &self.features
    }

    /// Architecture-specific facts.
    pub fn details(&self) -> &Details {
        &self.details
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reason_makes_the_verdict_incompatible() {
        let r = Reason::new(
            Rule::LibvirtMissing,
            "Host CPU does not provide required features: avx",
            None,
        );
        let c = Comparison::new(
            Verdict::Superset,
            vec![r],
            vec!["avx".into()],
            vec![],
            vec![],
        );
        assert_eq!(c.verdict(), Verdict::Incompatible);
        assert!(!c.runs());
        let c = Comparison::new(
            Verdict::Superset,
            vec![],
            vec![],
            vec![],
            vec!["aes".into()],
        );
        assert!(c.runs());
    }

    #[test]
    fn reasons_print_rule_then_message() {
        let r = Reason::new(
            Rule::QemuCompat,
            "power10 unsupported",
            Some(Pos { line: 2, column: 3 }),
        );
        assert_eq!(r.to_string(), "qemu-compat: power10 unsupported");
        assert_eq!(r.pos(), Some(Pos { line: 2, column: 3 }));
        assert_eq!(
            Reason::new(Rule::QemuCompat, "x", Some(Pos::default())).pos(),
            None
        );
    }

    #[test]
    fn usable_means_no_blockers() {
        let m = ModelInfo::new("Haswell", Some("Intel".into()), None);
        assert!(ModelUsability::new(m.clone(), vec![]).usable());
        assert!(!ModelUsability::new(m, vec!["avx2".into()]).usable());
    }
}
