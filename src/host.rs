//! This machine, as an engine sees it: [`Engine::host`].
//!
//! x86 reads the CPUID instruction (and the feature MSRs where `/dev/cpu/0/msr` is
//! readable), decodes it as a host CPU (libvirt's `virsh capabilities` view) and as a
//! guest CPU (what a `host-model` guest starts from), and judges every catalog model
//! against it. POWER reads the PVR from `/proc/cpuinfo`. s390x needs KVM on s390x, which
//! cpucompat cannot read; it answers from a host-model file instead
//! ([`crate::S390xExt::with_host_model`]).
use crate::cpu::Cpu;
use crate::engine::{Engine, Inner};
use crate::error::{Error, ErrorKind};
use crate::ext::PvrInfo;
use cpucompat_contract::{Arch, ModelUsability};
use cpucompat_xml::model::CpuKind;
use serde_json::{json, Value};

/// A report on this machine (see [`Engine::host`]).
#[derive(Clone, Debug)]
pub struct HostReport {
    arch: Arch,
    catalog: String,
    cpu: Cpu,
    guest: Option<Cpu>,
    features: Vec<String>,
    models: Vec<ModelUsability>,
    pvr: Option<PvrInfo>,
    sources: Vec<String>,
}

impl HostReport {
    /// The architecture.
    pub fn arch(&self) -> Arch {
        self.arch
    }

    /// The catalog the report was decided with.
    pub fn catalog(&self) -> &str {
        &self.catalog
    }

    /// This machine's CPU as a host definition.
    pub fn cpu(&self) -> &Cpu {
        &self.cpu
    }

    /// The same data decoded as a guest CPU (x86): what a `host-model` guest starts from.
    pub fn guest(&self) -> Option<&Cpu> {
        self.guest.as_ref()
    }

    /// Every feature this machine offers, in catalog order.
    pub fn features(&self) -> &[String] {
        &self.features
    }

    /// Every catalog model, usable here or not.
    pub fn models(&self) -> &[ModelUsability] {
        &self.models
    }

    /// What its PVR decodes to (POWER).
    pub fn pvr(&self) -> Option<&PvrInfo> {
        self.pvr.as_ref()
    }

    /// What was read to make the report (`CPUID instruction`, `/dev/cpu/0/msr`,
    /// `/proc/cpuinfo`).
    pub fn sources(&self) -> &[String] {
        &self.sources
    }

    /// The report as JSON: `arch`, `catalog`, `sources`, `vendor`, `signature`, `model`,
    /// `extra_features`, `guest_model`, `guest_features`, `features`, `models` (and `pvr`
    /// on POWER).
    pub fn to_json(&self) -> Value {
        let def = self.cpu.definition();
        let mut v = json!({
            "arch": self.arch.as_str(),
            "catalog": self.catalog,
            "sources": self.sources,
            "vendor": def.vendor,
            "signature": def.signature.map(|s| json!({
                "family": s.family, "model": s.model, "stepping": s.stepping,
            })),
            "model": def.model_name(),
            "extra_features": def.features.iter().map(|f| f.name.clone()).collect::<Vec<_>>(),
            "guest_model": self.guest.as_ref().and_then(|g| g.model().map(str::to_string)),
            "guest_features": self.guest.as_ref().map(|g| g.definition().features.iter().map(|f| json!({
                "name": f.name,
                "policy": f.policy.map(|p| p.as_str()),
            })).collect::<Vec<_>>()),
            "features": self.features,
            "models": self.models,
        });
        if let (Some(p), Some(obj)) = (&self.pvr, v.as_object_mut()) {
            obj.insert(
                "pvr".into(),
                json!({
                    "pvr": p.pvr.to_string(),
                    "model": p.model,
                    "vendor": p.vendor,
                    "qemu_class": p.qemu_class,
                    "family": p.family,
                    "dd": format!("{}.{}", p.pvr.dd_major(), p.pvr.dd_minor()),
                    "compat_modes": p.compat_modes,
                }),
            );
        }
        v
    }
}

impl Engine {
    /// A report on the machine this program runs on.
    ///
    /// # Errors
    /// A machine of another architecture than the engine's (it cannot be read), or s390x
    /// (cpucompat cannot read KVM's host model there).
    pub fn host(&self) -> Result<HostReport, Error> {
        match &self.inner {
            Inner::X86(_) => self.x86_host(),
            Inner::Ppc64(_) => self.ppc64_host(),
            Inner::S390x(_) => Err(Error::new(
                ErrorKind::Unsupported,
                "reading this machine's s390x CPU needs KVM on s390x; use `models HOST` with a host model file",
            )),
        }
    }

    fn x86_host(&self) -> Result<HostReport, Error> {
        let ext = self.x86().ok_or_else(|| not_this(Arch::X86))?;
        let data = ext.probe().ok_or_else(|| not_this(Arch::X86))?;
        let mut sources = vec!["CPUID instruction".to_string()];
        if data
            .items
            .iter()
            .any(|i| matches!(i, cpucompat_xml::model::CpuDataItem::Msr { .. }))
        {
            sources.push("/dev/cpu/0/msr".to_string());
        }
        let named = |e: Error| e.about("<this machine's CPUID>", Default::default());
        let cpu = ext.decode_with(&data, CpuKind::Host, None).map_err(named)?;
        let guest = ext
            .decode_with(&data, CpuKind::Guest, None)
            .map_err(named)?;
        let features = self.features(&cpu)?;
        let models = self.usability(&cpu)?;
        Ok(HostReport {
            arch: Arch::X86,
            catalog: self.catalog(),
            cpu,
            guest: Some(guest),
            features,
            models,
            pvr: None,
            sources,
        })
    }

    fn ppc64_host(&self) -> Result<HostReport, Error> {
        let ext = self.ppc64().ok_or_else(|| not_this(Arch::Ppc64))?;
        let text = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let (pvr, _) =
            cpucompat_ppc64::Pvr::from_cpuinfo(&text).map_err(|_| not_this(Arch::Ppc64))?;
        let info = ext.decode(pvr)?;
        let models = self.usability(&info.host)?;
        Ok(HostReport {
            arch: Arch::Ppc64,
            catalog: self.catalog(),
            cpu: info.host.clone(),
            guest: Some(info.guest.clone()),
            features: vec![],
            models,
            pvr: Some(info),
            sources: vec!["/proc/cpuinfo".to_string()],
        })
    }
}

fn not_this(arch: Arch) -> Error {
    let what = match arch {
        Arch::X86 => "CPUID: not an x86 processor",
        _ => "PVR: not a POWER processor",
    };
    Error::new(
        ErrorKind::Unsupported,
        format!("cannot read this machine's {what}"),
    )
}
