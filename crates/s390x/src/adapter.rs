//! The s390x side of the adapter contract ([`cpucompat_contract::Adapter`]).
//!
//! A [`Cpu`] is a QEMU model (definition and feature set, [`CpuModel`]) together with the
//! libvirt definition it prints as. Checking a definition is libvirt's translation to a
//! QEMU model ([`crate::libvirt::model_of`]), which refuses unknown models and features,
//! and features the definition cannot enable, at their positions.
//!
//! The operations are QEMU's, read the way libvirt reads them:
//!
//! ```text
//! compare(host, guest)  = libvirt's verdict of QEMU's comparison of host (A) with guest (B):
//!                         identical, superset (runs), subset / incompatible (does not run);
//!                         reasons: qemu-generation when (gen, GA)(B) > (gen, GA)(A),
//!                                  qemu-features  when features(B) ⊄ features(A)
//! baseline(c1 … cn)     = QEMU's pairwise baselines folded left, presented as the static
//!                         expansion (the full one with --features)
//! usability(host)       = query-cpu-definitions under KVM with `host` as the host model
//!                         (and libvirt-arch for a guest naming another architecture)
//! point(c)              = (s390x, any vendor, Level::pair(gen, GA), features)
//! ceiling(c)            = the full set of c's definition
//! ```
use crate::error::ModelError;
use crate::libvirt;
use crate::model::{CpuModel, Engine};
use cpucompat_contract::{
    check_host_arch, Adapter, Arch, BaselineOptions, Comparison, Details, Error, ErrorKind,
    Expansion, ModelInfo, ModelUsability, Reason, Rule, Verdict, HOST,
};
use cpucompat_lattice::{FeatureSet, Flat, Point, Relation, Tag};
use cpucompat_xml::model::{CpuData, CpuDef, CpuKind};

/// An s390x CPU: a QEMU model and the definition it prints as.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cpu {
    model: CpuModel,
    def: CpuDef,
}

impl Cpu {
    /// The QEMU model.
    pub fn model(&self) -> &CpuModel {
        &self.model
    }

    /// The libvirt definition it prints as.
    pub fn def(&self) -> &CpuDef {
        &self.def
    }
}

impl From<ModelError> for Error {
    fn from(e: ModelError) -> Error {
        let kind = match &e {
            ModelError::UnknownModel(_) | ModelError::UnknownProperty { .. } => {
                ErrorKind::UnknownName
            }
            ModelError::NoBaseline => ErrorKind::NoAnswer,
            _ => ErrorKind::Invalid,
        };
        Error::new(kind, e.to_string())
    }
}

impl Engine<'_> {
    /// Checks a libvirt definition: its QEMU model (see [`libvirt::model_of`]).
    ///
    /// # Errors
    /// An unknown model or feature, or one the definition cannot enable, at its
    /// position.
    pub fn check(&self, def: CpuDef) -> Result<Cpu, Error> {
        let model = libvirt::model_of(self, &def)?;
        Ok(Cpu { model, def })
    }

    /// A QEMU model (e.g. a host model read from QEMU's JSON) as a CPU, printed as its
    /// static expansion.
    pub fn cpu_of_model(&self, model: CpuModel) -> Cpu {
        let def = libvirt::cpu_of(&self.expand_static(&model));
        Cpu { model, def }
    }

    fn describe(&self, m: &CpuModel) -> String {
        let d = self.catalog().definition(m.definition());
        format!("{} (generation {} GA{})", d.name, d.gen, d.ga)
    }

    fn names_of(&self, set: &FeatureSet) -> Vec<String> {
        self.names(set).into_iter().map(str::to_string).collect()
    }
}

impl Adapter for Engine<'_> {
    type Cpu = Cpu;

    fn arch(&self) -> Arch {
        Arch::S390x
    }

    fn catalog(&self) -> String {
        format!("QEMU {} s390x models", self.catalog().release())
    }

    fn cpu(&self, def: CpuDef) -> Result<Cpu, Error> {
        self.check(def)
    }

    fn decode(&self, _data: &CpuData, _kind: CpuKind) -> Result<Cpu, Error> {
        Err(Error::new(
            ErrorKind::Unsupported,
            "s390x has no CPUID dump to decode: give a <cpu> definition or QEMU's host model",
        ))
    }

    fn definition(&self, cpu: &Cpu) -> CpuDef {
        cpu.def.clone()
    }

    fn compare(&self, host: &Cpu, guest: &Cpu) -> Result<Comparison, Error> {
        check_host_arch(&host.def, Arch::S390x).map_err(|e| e.input(HOST))?;
        let (a, b) = (&host.model, &guest.model);
        let qemu = Engine::compare(self, a, b);
        let mut reasons = Vec::new();
        if let Some(arch) = guest.def.arch.as_deref() {
            if Arch::from_name(arch) != Some(Arch::S390x) {
                let msg = format!("CPU arch {arch} does not match host arch");
                reasons.push(Reason::new(Rule::LibvirtArch, msg, Some(guest.def.pos)));
            }
        }
        if self.level(b) > self.level(a) {
            let msg = format!(
                "guest CPU {} is newer than host CPU {}",
                self.describe(b),
                self.describe(a)
            );
            let at = guest.def.model.as_ref().map_or(guest.def.pos, |m| m.pos);
            reasons.push(Reason::new(Rule::QemuGeneration, msg, Some(at)));
        }
        let missing = *b.features() - *a.features();
        let missing_names = self.names_of(&missing);
        if !missing.is_empty() {
            let msg = format!(
                "host CPU does not provide features the guest enables: {}",
                missing_names.join(", ")
            );
            let at = guest
                .def
                .features
                .iter()
                .find(|f| missing_names.contains(&f.name))
                .map(|f| f.pos)
                .or_else(|| guest.def.model.as_ref().map(|m| m.pos));
            reasons.push(Reason::new(Rule::QemuFeatures, msg, at));
        }
        let verdict = match libvirt::verdict(qemu.result) {
            Relation::Identical => Verdict::Identical,
            Relation::Superset => Verdict::Superset,
            _ => Verdict::Incompatible,
        };
        let extra = self.names_of(&(*a.features() - *b.features()));
        Ok(Comparison::new(
            verdict,
            reasons,
            missing_names,
            vec![],
            extra,
        ))
    }

    fn baseline(
        &self,
        cpus: &mut dyn Iterator<Item = Cpu>,
        opts: &BaselineOptions,
    ) -> Result<Cpu, Error> {
        if opts.migratable {
            return Err(Error::new(
                ErrorKind::Unsupported,
                "s390x baselines are static models, which always migrate: --migratable does not apply",
            ));
        }
        let first = cpus
            .next()
            .ok_or_else(|| Error::new(ErrorKind::NoAnswer, "no CPUs given"))?;
        check_host_arch(&first.def, Arch::S390x).map_err(|e| e.input(0))?;
        let mut acc = first.model;
        for (i, c) in cpus.enumerate() {
            check_host_arch(&c.def, Arch::S390x).map_err(|e| e.input(i + 1))?;
            acc =
                Engine::baseline(self, &acc, &c.model).map_err(|e| Error::from(e).input(i + 1))?;
        }
        let e = if opts.expand_features {
            self.expand_full(&acc)
        } else {
            self.expand_static(&acc)
        };
        Ok(Cpu {
            model: acc,
            def: libvirt::cpu_of(&e),
        })
    }

    fn models(&self) -> Vec<ModelInfo> {
        self.definitions()
            .into_iter()
            .map(|d| ModelInfo::new(d.name, None, None))
            .collect()
    }

    fn usability(&self, host: &Cpu) -> Result<Vec<ModelUsability>, Error> {
        check_host_arch(&host.def, Arch::S390x)?;
        Ok(self
            .clone()
            .with_host(host.model)
            .definitions()
            .into_iter()
            .map(|d| ModelUsability::new(ModelInfo::new(d.name, None, None), d.unavailable))
            .collect())
    }

    fn expand(&self, model: &str) -> Result<Expansion, Error> {
        let m = self.build(model, &[])?;
        let d = self.catalog().definition(m.definition());
        let details = Details::S390x {
            definition: d.name.clone(),
            cpu_type: format!("{:#06x}", d.cpu_type),
            generation: d.gen,
            ga: d.ga,
            ibc: format!("{:#04x}", d.ibc()),
            description: d.desc.clone(),
            static_model: self.expand_static(&m).name,
        };
        let features = m
            .features()
            .iter()
            .map(|b| self.catalog().feature(b).name.clone())
            .collect();
        Ok(Expansion::new(
            ModelInfo::new(model, None, None),
            features,
            details,
        ))
    }

    fn guest_of(&self, host: &Cpu) -> Result<Cpu, Error> {
        check_host_arch(&host.def, Arch::S390x)?;
        Ok(self.cpu_of_model(host.model))
    }

    fn point(&self, cpu: &Cpu) -> Point {
        Point {
            arch: Tag(2),
            vendor: Flat::Any,
            level: self.level(&cpu.model),
            features: *cpu.model.features(),
        }
    }

    fn ceiling(&self, cpu: &Cpu) -> FeatureSet {
        self.catalog().definition(cpu.model.definition()).full
    }

    fn universe(&self) -> FeatureSet {
        self.catalog().all()
    }

    fn feature_names(&self, set: &FeatureSet) -> Vec<String> {
        set.iter()
            .map(|b| self.catalog().feature(b).name.clone())
            .collect()
    }
}
