//! The POWER side of the adapter contract ([`cpucompat_contract::Adapter`]).
//!
//! A POWER CPU is read as libvirt's parser reads it: the definition is taken as written
//! ([`Ppc64::check`] refuses nothing), and names are resolved when a rule needs them, in
//! libvirt's order, so that libvirt's own outcomes hold (a legacy host model name in a
//! baseline is "model power8e differs from POWER8", an update of a guest naming an
//! unknown compat level succeeds and only the compare fails). Every such error points at
//! the `<model>` (or `<cpu>`) it is about, and says whether it is the host's or the
//! guest's ([`cpucompat_contract::HOST`], [`cpucompat_contract::GUEST`]).
//!
//! The operations: compare is libvirt's then QEMU's rules ([`crate::compare`]); the
//! baseline is libvirt's same-model baseline (POWER has no features, so
//! `--features`/`--migratable` do not apply; the compat-mode baseline is the extension
//! [`Ppc64::compat_baseline_iter`]); a model is usable on a host when a custom guest of it
//! compares identical, and its blockers are the rules that fail; the lattice point of a
//! CPU is its model's generation on the chain, with no features. A CPU in a host role
//! must be of the ppc64 architecture ([`cpucompat_contract::check_host_arch`]).
use crate::{convert_legacy, Cpu, Error as PpcError, Ppc64, Pvr, Reason};
use cpucompat_contract::{
    check_host_arch, Adapter, Arch, BaselineOptions, Comparison, Details, Error, ErrorKind,
    Expansion, ModelInfo, ModelUsability, Rule, Verdict, GUEST, HOST,
};
use cpucompat_lattice::{FeatureSet, Flat, Level, Point, Tag};
use cpucompat_xml::model::{CpuData, CpuDef, CpuKind, Pos};

impl From<PpcError> for Error {
    fn from(e: PpcError) -> Error {
        let kind = match &e {
            PpcError::UnknownCompatMode(_)
            | PpcError::UnknownModel(_)
            | PpcError::UnknownPvr(_)
            | PpcError::UnknownVendor(_) => ErrorKind::UnknownName,
            PpcError::BaselineModels { .. }
            | PpcError::BaselineNoCompat
            | PpcError::HostFamilyUnknown(_)
            | PpcError::NoCpus
            | PpcError::VendorsDiffer
            | PpcError::VendorOfModel { .. } => ErrorKind::NoAnswer,
            PpcError::Map { .. } | PpcError::Table { .. } => ErrorKind::Catalog,
            PpcError::UnknownQemuVersion(_) => ErrorKind::Unsupported,
            _ => ErrorKind::Invalid,
        };
        let at = match &e {
            PpcError::BadPvrAt { line, column, .. } => Some(Pos {
                line: *line,
                column: *column,
            }),
            _ => None,
        };
        let out = Error::new(kind, e.to_string());
        match at {
            Some(p) => out.at(p),
            None => out,
        }
    }
}

impl Reason {
    /// The contract's name of the rule that failed.
    pub fn contract_rule(&self) -> Rule {
        match self {
            Reason::Arch { .. } => Rule::LibvirtArch,
            Reason::Vendor { .. } => Rule::LibvirtVendor,
            Reason::Model { .. } => Rule::LibvirtModel,
            Reason::CompatNewer { .. } => Rule::LibvirtCompat,
            Reason::CompatUnsupported { .. } | Reason::CompatUnknownToQemu { .. } => {
                Rule::QemuCompat
            }
            Reason::Threads { .. } => Rule::QemuThreads,
            Reason::RawPvr { .. } | Reason::RawNoClass { .. } => Rule::QemuRawPvr,
        }
    }
}

impl Ppc64 {
    /// Takes a definition as a POWER CPU (see the module documentation: names are
    /// resolved when a rule needs them).
    ///
    /// # Errors
    /// None today; the signature leaves room for checks libvirt's parser makes.
    pub fn check(&self, def: CpuDef) -> Result<Cpu, Error> {
        Ok(Cpu::from_def(def))
    }

    /// An error of a rule about `host` or `guest`, pointing at the one it names.
    fn locate(e: PpcError, host: &Cpu, guest: &Cpu) -> Error {
        let about_host = match &e {
            PpcError::UnknownModel(n) => host.model_name() == Some(n.as_str()),
            PpcError::NoModel(who) => *who == "host",
            PpcError::HostWithoutCompat(_) | PpcError::HostFamilyUnknown(_) => true,
            _ => false,
        };
        let (cpu, index) = if about_host {
            (host, HOST)
        } else {
            (guest, GUEST)
        };
        Error::from(e).at(Self::reason_pos(cpu)).input(index)
    }

    /// A PVR decoded as a checked host or guest CPU that keeps its PVR.
    ///
    /// # Errors
    /// A PVR no map model matches.
    pub fn decode_cpu(&self, pvr: Pvr, kind: CpuKind) -> Result<Cpu, Error> {
        Ok(self.decode(pvr)?.cpu(kind == CpuKind::Guest))
    }

    /// Where in a guest a reason points: its `<model>`, else the `<cpu>`.
    fn reason_pos(guest: &Cpu) -> Pos {
        guest
            .def()
            .model
            .as_ref()
            .map_or(guest.def().pos, |m| m.pos)
    }

    fn info(&self, m: &crate::LibvirtModel) -> ModelInfo {
        ModelInfo::new(m.name(), m.vendor().map(str::to_string), None)
    }
}

impl Adapter for Ppc64 {
    type Cpu = Cpu;

    fn arch(&self) -> Arch {
        Arch::Ppc64
    }

    fn catalog(&self) -> String {
        format!(
            "{} with QEMU {} tables",
            self.map().source(),
            self.qemu().release()
        )
    }

    fn cpu(&self, def: CpuDef) -> Result<Cpu, Error> {
        self.check(def)
    }

    fn decode(&self, data: &CpuData, kind: CpuKind) -> Result<Cpu, Error> {
        if Arch::from_name(&data.arch) != Some(Arch::Ppc64) {
            return Err(Error::new(
                ErrorKind::Invalid,
                format!("CPU data for arch '{}' is not ppc64 data", data.arch),
            ));
        }
        let pvr = crate::pvr_of_data(data)?;
        self.decode_cpu(pvr, kind)
    }

    fn definition(&self, cpu: &Cpu) -> CpuDef {
        cpu.def().clone()
    }

    fn compare(&self, host: &Cpu, guest: &Cpu) -> Result<Comparison, Error> {
        check_host_arch(host.def(), Arch::Ppc64).map_err(|e| e.input(HOST))?;
        let v = Ppc64::compare(self, host, guest).map_err(|e| Self::locate(e, host, guest))?;
        let at = Self::reason_pos(guest);
        let reasons = v
            .reasons()
            .iter()
            .map(|r| cpucompat_contract::Reason::new(r.contract_rule(), r.to_string(), Some(at)))
            .collect();
        Ok(Comparison::new(
            Verdict::Identical,
            reasons,
            vec![],
            vec![],
            vec![],
        ))
    }

    fn baseline(
        &self,
        cpus: &mut dyn Iterator<Item = Cpu>,
        opts: &BaselineOptions,
    ) -> Result<Cpu, Error> {
        if opts.expand_features || opts.migratable {
            return Err(Error::new(
                ErrorKind::Unsupported,
                "POWER models have no features: --features and --migratable do not apply",
            ));
        }
        let mut seen = 0usize;
        let mut last: Option<Cpu> = None;
        let mut foreign = None;
        let defs = cpus.map_while(|c| {
            seen += 1;
            if let Err(e) = check_host_arch(c.def(), Arch::Ppc64) {
                foreign = Some(e.input(seen - 1));
                return None;
            }
            let d = c.def().clone();
            last = Some(c);
            Some(d)
        });
        let result = self.baseline_iter(defs);
        if let Some(e) = foreign {
            return Err(e);
        }
        let def = result.map_err(|e| {
            let per_cpu = !matches!(e, PpcError::NoCpus);
            let err = Error::from(e);
            match (&last, per_cpu) {
                (Some(c), true) => err.at(Self::reason_pos(c)).input(seen - 1),
                _ => err,
            }
        })?;
        Ok(Cpu::from_def(def))
    }

    fn models(&self) -> Vec<ModelInfo> {
        self.map().models().iter().map(|m| self.info(m)).collect()
    }

    fn usability(&self, host: &Cpu) -> Result<Vec<ModelUsability>, Error> {
        check_host_arch(host.def(), Arch::Ppc64)?;
        self.map()
            .models()
            .iter()
            .map(|m| {
                let guest = Cpu::guest_named(m.name());
                let v = Ppc64::compare(self, host, &guest)
                    .map_err(|e| Self::locate(e, host, &guest))?;
                let blockers = v.reasons().iter().map(|r| r.to_string()).collect();
                Ok(ModelUsability::new(self.info(m), blockers))
            })
            .collect()
    }

    fn expand(&self, model: &str) -> Result<Expansion, Error> {
        let name = convert_legacy(model);
        let m = self.map().model(name).ok_or_else(|| {
            Error::new(ErrorKind::UnknownName, format!("unknown CPU model {model}"))
        })?;
        let family = self.host_family(&Cpu::host_named(m.name()));
        let compat_modes = family.map_or_else(Vec::new, |f| {
            self.qemu()
                .compat_modes()
                .iter()
                .filter(|md| self.qemu().supports(f, md))
                .map(|md| md.name().to_string())
                .collect()
        });
        let details = Details::Ppc64 {
            pvrs: m
                .pvrs()
                .iter()
                .map(|(v, k)| format!("{v:#010x}/{k:#010x}"))
                .collect(),
            family: family.map(|f| f.name().to_string()),
            compat_modes,
        };
        Ok(Expansion::new(self.info(m), vec![], details))
    }

    fn guest_of(&self, host: &Cpu) -> Result<Cpu, Error> {
        check_host_arch(host.def(), Arch::Ppc64)?;
        let name = host
            .model_name()
            .ok_or(PpcError::NoModel("host"))?
            .to_string();
        let mut def = Cpu::guest_named(convert_legacy(&name)).def().clone();
        def.vendor = host.def().vendor.clone();
        Ok(self.check(def)?.with_pvr(host.pvr()))
    }

    fn point(&self, cpu: &Cpu) -> Point {
        let model = cpu
            .model_name()
            .and_then(|n| self.map().model(convert_legacy(n)));
        let vendor = cpu
            .def()
            .vendor
            .as_deref()
            .or_else(|| model.and_then(|m| m.vendor()));
        let vendor = match vendor {
            None => Flat::Any,
            Some(v) => {
                let i = self.map().vendors().iter().position(|k| k == v);
                Flat::Is(Tag(i.map_or(u32::MAX, |i| i as u32)))
            }
        };
        Point {
            arch: Tag(1),
            vendor,
            level: Level::new(model.and_then(|m| m.generation()).unwrap_or(0)),
            features: FeatureSet::EMPTY,
        }
    }

    fn ceiling(&self, _cpu: &Cpu) -> FeatureSet {
        FeatureSet::EMPTY
    }

    fn universe(&self) -> FeatureSet {
        FeatureSet::EMPTY
    }

    fn feature_names(&self, _set: &FeatureSet) -> Vec<String> {
        Vec::new()
    }
}
