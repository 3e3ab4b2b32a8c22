//! Baseline (libvirt's and the compat-mode one) and libvirt's update.
//!
//! **libvirt baseline** (`virCPUppc64Baseline`): the first CPU's model must be in the map
//! and every CPU must name exactly that model (no legacy conversion, so `power8e` next to
//! `POWER8` fails). Vendors, CPU by CPU: an unknown vendor is an error; with a model that
//! has a vendor, a different one is an error; with a model that has none, all vendors
//! written must agree. The result is a custom guest `match='exact'` with the model and
//! `fallback='forbid'`, naming a vendor only when the model has none and a CPU gave one.
//!
//! **Compat-mode baseline** (our extension): for a pool of hosts, the highest compat
//! level every host supports, as a `host-model` guest naming it. With `S(h)` the modes
//! host `h`'s QEMU family supports that libvirt can also name (`power<N>` in the map's
//! range) and accepts on that host (libvirt reads the host's generation from its model
//! name, QEMU from its PVR: a map whose model names and PVR patterns disagree must satisfy
//! both), and `top(h) = max S(h)` on the chain:
//!
//! ```text
//! baseline(pool) = meet { top(h) | h ∈ pool }       (Level::meet, i.e. the minimum)
//! ```
//!
//! Each `S(h)` is a down-set of the chain of nameable modes, so the meet lies in every
//! `S(h)`: every host runs it, and adding a host can only lower it.
//!
//! **Update** (`virCPUppc64Update`): a custom guest gets `match='exact'`; host-model,
//! host-passthrough and maximum guests are left as they are. A written model's fallback
//! reads as `allow` when absent, as libvirt's parser defaults it.
use crate::{convert_legacy, empty_def, model_name, model_ref, CompatMode, Cpu, Error, Ppc64};
use cpucompat_lattice::Level;
use cpucompat_xml::model::{CpuDef, CpuKind, Fallback, Match, Mode};

/// The result of a compat-mode baseline.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompatBaseline {
    mode: &'static CompatMode,
    def: CpuDef,
}

impl CompatBaseline {
    /// The compat mode every host supports.
    pub fn mode(&self) -> &'static CompatMode {
        self.mode
    }
    /// Its point on the chain.
    pub fn level(&self) -> Level {
        self.mode.level()
    }
    /// The `host-model` guest naming it.
    pub fn def(&self) -> &CpuDef {
        &self.def
    }
}

impl Ppc64 {
    /// libvirt's baseline: see the module documentation.
    ///
    /// # Errors
    /// As [`Ppc64::baseline_iter`].
    pub fn baseline(&self, cpus: &[CpuDef]) -> Result<CpuDef, Error> {
        self.baseline_iter(cpus)
    }

    /// libvirt's baseline of a stream of definitions, in `O(1)` memory: the same rules
    /// and errors as [`Ppc64::baseline`].
    ///
    /// # Errors
    /// [`Error::NoCpus`] for no CPU; [`Error::NoModel`] when the first CPU names no model;
    /// [`Error::UnknownModel`] when the map lacks it; [`Error::BaselineModels`] for a CPU
    /// naming another model (or none); [`Error::UnknownVendor`] for a vendor the map lacks;
    /// [`Error::VendorOfModel`] for a vendor other than the model's;
    /// [`Error::VendorsDiffer`] when the model has no vendor and the CPUs name different
    /// ones.
    pub fn baseline_iter<I, B>(&self, cpus: I) -> Result<CpuDef, Error>
    where
        I: IntoIterator<Item = B>,
        B: std::borrow::Borrow<CpuDef>,
    {
        let mut it = cpus.into_iter().peekable();
        let first = it.peek().ok_or(Error::NoCpus)?.borrow();
        let first_name = model_name(first).ok_or(Error::NoModel("first"))?;
        let model = self
            .map
            .model(first_name)
            .ok_or_else(|| Error::UnknownModel(first_name.to_string()))?;
        let mut vendor: Option<String> = None;
        for cpu in it {
            let cpu = cpu.borrow();
            let name = model_name(cpu).unwrap_or("");
            if name != model.name() {
                return Err(Error::BaselineModels {
                    first: model.name().to_string(),
                    found: name.to_string(),
                });
            }
            let Some(v) = cpu.vendor.as_deref() else {
                continue;
            };
            if !self.map.vendors().iter().any(|k| k == v) {
                return Err(Error::UnknownVendor(v.to_string()));
            }
            match model.vendor() {
                Some(mv) if mv != v => {
                    return Err(Error::VendorOfModel {
                        model: model.name().to_string(),
                        model_vendor: mv.to_string(),
                        vendor: v.to_string(),
                    })
                }
                Some(_) => {}
                None => match &vendor {
                    None => vendor = Some(v.to_string()),
                    Some(seen) if seen != v => return Err(Error::VendorsDiffer),
                    Some(_) => {}
                },
            }
        }
        let mut out = empty_def(CpuKind::Guest, Mode::Custom);
        out.match_ = Some(Match::Exact);
        let mut m = model_ref(model.name());
        m.fallback = Some(Fallback::Forbid);
        out.model = Some(m);
        out.vendor = vendor;
        Ok(out)
    }

    /// The highest compat level libvirt can name that a host supports.
    ///
    /// # Errors
    /// [`Error::HostFamilyUnknown`] when QEMU cannot place the host in a family (neither
    /// its PVR nor its model's PVR patterns).
    pub fn host_top_mode(&self, host: &Cpu) -> Result<Option<&'static CompatMode>, Error> {
        let name = || host.model_name().unwrap_or("(unnamed)").to_string();
        let family = self
            .host_family(host)
            .ok_or_else(|| Error::HostFamilyUnknown(name()))?;
        // libvirt's own check of a host-model guest's compat level (by the host's model
        // name), as compare makes it.
        let model = host
            .model_name()
            .and_then(|n| self.map.model(convert_legacy(n)));
        let libvirt_accepts = |m: &CompatMode| {
            model.is_some_and(|h| self.map.compat_fits(h.name(), m.name()).unwrap_or(false))
        };
        Ok(self
            .qemu
            .compat_modes()
            .iter()
            .filter(|m| self.map.compat_level(m.name()).is_some())
            .filter(|m| self.qemu.supports(family, m))
            .filter(|m| libvirt_accepts(m))
            .max_by_key(|m| m.level()))
    }

    /// The compat-mode baseline of a pool of hosts: see the module documentation.
    ///
    /// # Errors
    /// As [`Ppc64::compat_baseline_iter`].
    pub fn compat_baseline(&self, hosts: &[Cpu]) -> Result<CompatBaseline, Error> {
        self.compat_baseline_iter(hosts)
    }

    /// The compat-mode baseline of a stream of hosts, in `O(1)` memory.
    ///
    /// # Errors
    /// [`Error::HostFamilyUnknown`] as [`Ppc64::host_top_mode`];
    /// [`Error::BaselineNoCompat`] when a host supports no compat mode libvirt can name;
    /// [`Error::NoCpus`] for an empty pool.
    pub fn compat_baseline_iter<I, B>(&self, hosts: I) -> Result<CompatBaseline, Error>
    where
        I: IntoIterator<Item = B>,
        B: std::borrow::Borrow<Cpu>,
    {
        let mut meet: Option<Level> = None;
        for h in hosts {
            let top = self
                .host_top_mode(h.borrow())?
                .ok_or(Error::BaselineNoCompat)?;
            meet = Some(meet.map_or(top.level(), |l| l.meet(top.level())));
        }
        let meet = meet.ok_or(Error::NoCpus)?;
        let mode = self.qemu.mode_at(meet).ok_or(Error::BaselineNoCompat)?;
        let mut def = empty_def(CpuKind::Guest, Mode::HostModel);
        let mut m = model_ref(mode.name());
        m.fallback = Some(Fallback::Allow);
        def.model = Some(m);
        Ok(CompatBaseline { mode, def })
    }

    /// libvirt's update of a guest against a host: see the module documentation.
    pub fn update(&self, guest: &CpuDef) -> CpuDef {
        let mut out = guest.clone();
        if out.kind == CpuKind::Guest && out.mode == Mode::Custom {
            out.match_ = Some(Match::Exact);
        }
        if let Some(m) = out.model.as_mut() {
            if out.kind == CpuKind::Guest && m.fallback.is_none() && !m.name.is_empty() {
                m.fallback = Some(Fallback::Allow);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use crate::{Cpu, Error, LibvirtMap, LibvirtModel, Ppc64, QemuTable};
    use cpucompat_xml::model::CpuDef;

    fn map() -> LibvirtMap {
        LibvirtMap::new(
            "test",
            vec!["IBM".into(), "Other".into()],
            vec![
                LibvirtModel::new(
                    "POWER9",
                    Some("IBM".into()),
                    vec![(0x004e_0000, 0xffff_0000)],
                ),
                LibvirtModel::new("Generic", None, vec![(0x1234_0000, 0xffff_0000)]),
            ],
        )
        .unwrap()
    }

    fn host(model: &str, vendor: Option<&str>) -> CpuDef {
        let mut c = Cpu::host_named(model).def;
        c.vendor = vendor.map(str::to_string);
        c
    }

    #[test]
    fn baseline_errors_name_what_differs() {
        let m = map();
        let ctx = Ppc64::new(std::sync::Arc::new(m), QemuTable::newest().unwrap());
        let err = |cpus: &[CpuDef]| ctx.baseline(cpus).unwrap_err().to_string();
        assert_eq!(err(&[]), "no CPUs given");
        assert_eq!(err(&[host("POWER99", None)]), "unknown CPU model POWER99");
        assert_eq!(
            err(&[host("POWER9", Some("Other"))]),
            "CPU vendor Other differs from vendor IBM of model POWER9"
        );
        assert_eq!(
            err(&[host("Generic", Some("IBM")), host("Generic", Some("Other"))]),
            "CPU vendors do not match"
        );
        assert_eq!(
            err(&[host("Generic", Some("Acme"))]),
            "unknown CPU vendor Acme"
        );
        let mut bare = host("POWER9", None);
        bare.model = None;
        assert_eq!(err(&[bare]), "the first CPU names no model");
    }

    #[test]
    fn baseline_names_a_vendor_only_for_models_without_one() {
        let m = map();
        let ctx = Ppc64::new(std::sync::Arc::new(m), QemuTable::newest().unwrap());
        let b = ctx
            .baseline(&[host("Generic", None), host("Generic", Some("Other"))])
            .unwrap();
        assert_eq!(b.vendor.as_deref(), Some("Other"));
        let b = ctx.baseline(&[host("POWER9", Some("IBM"))]).unwrap();
        assert_eq!(b.vendor, None);
    }

    #[test]
    fn compat_baseline_errors() {
        let m = map();
        let ctx = Ppc64::new(std::sync::Arc::new(m), QemuTable::newest().unwrap());
        assert_eq!(ctx.compat_baseline(&[]).unwrap_err(), Error::NoCpus);
        assert_eq!(
            ctx.compat_baseline(&[Cpu::host_named("Generic")])
                .unwrap_err()
                .to_string(),
            "host CPU Generic has no QEMU family, so its compat modes are unknown"
        );
        // A map naming no POWER<N> model: libvirt can name no compat level at all.
        let none = LibvirtMap::new(
            "t",
            vec![],
            vec![LibvirtModel::new(
                "P9",
                None,
                vec![(0x004e_0000, 0xffff_0000)],
            )],
        )
        .unwrap();
        let ctx = Ppc64::new(std::sync::Arc::new(none), QemuTable::newest().unwrap());
        assert_eq!(
            ctx.compat_baseline(&[Cpu::host_named("P9")])
                .unwrap_err()
                .to_string(),
            "no compatibility mode is supported by every host"
        );
    }

    #[test]
    fn compat_baseline_is_what_libvirt_accepts_on_the_host_model() {
        // Found by the law_ppc64 fuzz target: a map whose POWER8 carries POWER11's PVR
        // pattern. QEMU (by the PVR) places the host in the POWER11 family, libvirt (by the
        // name) refuses a compat level above power8 on it; the baseline must satisfy both.
        let odd = LibvirtMap::new(
            "t",
            vec!["IBM".into()],
            vec![
                LibvirtModel::new(
                    "POWER8",
                    Some("IBM".into()),
                    vec![(0x0082_0000, 0xffff_0000)],
                ),
                LibvirtModel::new(
                    "POWER11",
                    Some("IBM".into()),
                    vec![(0x0082_0000, 0xffff_0000)],
                ),
            ],
        )
        .unwrap();
        let ctx = Ppc64::new(std::sync::Arc::new(odd), QemuTable::newest().unwrap());
        let mode = |name: &str| {
            ctx.compat_baseline(&[Cpu::host_named(name)])
                .map(|b| b.mode().name().to_string())
        };
        assert_eq!(mode("POWER8"), Ok("power8".to_string()));
        assert_eq!(mode("POWER11"), Ok("power11".to_string()));
    }
}
