//! Compare: can this guest run on (or migrate to) this host?
//!
//! **libvirt stage** (`ppc64Compute`), stopping at the first failure:
//!
//! ```text
//! 1. legacy names read as their family (POWER7_v2.3 → POWER7)
//! 2. guest arch, if written, must be ppc64/ppc64le        else incompatible (arch)
//! 3. guest vendor, if written, must equal the host's       else incompatible (vendor)
//! 4. host model must be in the map                        else error
//! 5. guest model := host model      for host-model (after the compat check below),
//!                                       host-passthrough, maximum
//!                := lookup(name)    for custom guests and host CPUs (unknown: error)
//!    compat check (host-model naming power<N>): error outside the map's range,
//!                                       incompatible (compat) when N > host generation
//! 6. identical iff guest model = host model                else incompatible (model)
//! ```
//!
//! **QEMU stage**, every rule the inputs allow, adding reasons:
//!
//! ```text
//! compat  guest in mode M (host-model naming M): the host family must support M
//!         (skipped when libvirt already found M newer than the host)
//! threads guest in mode M with <topology threads=T>: T ≤ M.max_vthreads
//! raw     guest in raw mode with a known PVR (a host CPU / dump being migrated), host PVR
//!         known: the host's class must pvr_match the guest's PVR
//! ```
//!
//! The verdict is identical when no reason is recorded, incompatible otherwise: POWER
//! has no superset (a POWER7 guest on a POWER8 host is incompatible; crossing
//! generations needs host-model plus a compat level).
use crate::{convert_legacy, model_name, Cpu, Error, Ppc64, Pvr};
use cpucompat_lattice::Relation;
use cpucompat_xml::model::{CpuKind, Mode};
use std::fmt;

/// One reason a guest does not run on a host, naming the rule that failed.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Reason {
    /// libvirt: the guest names another architecture.
    Arch {
        /// The guest's arch.
        guest: String,
    },
    /// libvirt: the guest names a vendor the host lacks.
    Vendor {
        /// The guest's vendor.
        guest: String,
    },
    /// libvirt: the models differ.
    Model {
        /// The host's model.
        host: String,
        /// The guest's model.
        guest: String,
    },
    /// libvirt: the compat level is newer than the host generation.
    CompatNewer {
        /// The compat level.
        compat: String,
        /// The host model.
        host: String,
    },
    /// QEMU: the host family cannot run the compat mode.
    CompatUnsupported {
        /// The compat mode.
        compat: String,
        /// The host's QEMU family.
        family: String,
        /// The QEMU release of the table.
        qemu: String,
    },
    /// QEMU: the table has no such compat mode.
    CompatUnknownToQemu {
        /// The compat mode.
        compat: String,
        /// The QEMU release of the table.
        qemu: String,
    },
    /// QEMU: more threads per core than the compat mode allows.
    Threads {
        /// The guest's threads per core.
        threads: u32,
        /// The compat mode.
        compat: String,
        /// The mode's limit.
        max: u32,
    },
    /// QEMU: a raw-mode guest's PVR does not match the host's class.
    RawPvr {
        /// The guest's PVR.
        guest: Pvr,
        /// The host's class.
        host_class: String,
        /// The host's PVR.
        host: Pvr,
    },
    /// QEMU: the host PVR matches no QEMU class, so a raw-mode guest cannot land.
    RawNoClass {
        /// The host's PVR.
        host: Pvr,
    },
}

impl Reason {
    /// The rule that failed: `libvirt-arch`, `libvirt-vendor`, `libvirt-model`,
    /// `libvirt-compat`, `qemu-compat`, `qemu-threads` or `qemu-raw-pvr`.
    pub fn rule(&self) -> &'static str {
        match self {
            Reason::Arch { .. } => "libvirt-arch",
            Reason::Vendor { .. } => "libvirt-vendor",
            Reason::Model { .. } => "libvirt-model",
            Reason::CompatNewer { .. } => "libvirt-compat",
            Reason::CompatUnsupported { .. } | Reason::CompatUnknownToQemu { .. } => "qemu-compat",
            Reason::Threads { .. } => "qemu-threads",
            Reason::RawPvr { .. } | Reason::RawNoClass { .. } => "qemu-raw-pvr",
        }
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::Arch { guest } => {
                write!(f, "guest CPU arch {guest} does not match host arch ppc64")
            }
            Reason::Vendor { guest } => {
                write!(f, "host CPU vendor does not match required CPU vendor {guest}")
            }
            Reason::Model { host, guest } => write!(
                f,
                "host CPU model {host} does not match required CPU model {guest}"
            ),
            Reason::CompatNewer { compat, host } => write!(
                f,
                "compatibility mode {compat} is newer than host CPU model {host}"
            ),
            Reason::CompatUnsupported {
                compat,
                family,
                qemu,
            } => write!(
                f,
                "QEMU {qemu}: host family {family} does not support compatibility mode {compat}"
            ),
            Reason::CompatUnknownToQemu { compat, qemu } => {
                write!(f, "QEMU {qemu} has no compatibility mode {compat}")
            }
            Reason::Threads {
                threads,
                compat,
                max,
            } => write!(
                f,
                "guest has {threads} threads per core but compatibility mode {compat} allows at most {max}"
            ),
            Reason::RawPvr {
                guest,
                host_class,
                host,
            } => write!(
                f,
                "raw-mode guest with PVR {guest} cannot run on host class {host_class} (PVR {host}): \
                 QEMU needs the same processor family and DD class"
            ),
            Reason::RawNoClass { host } => write!(
                f,
                "host PVR {host} matches no QEMU CPU class, so no raw-mode guest can run on it"
            ),
        }
    }
}

/// The outcome of a compare.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verdict {
    reasons: Vec<Reason>,
}

impl Verdict {
    /// `Identical` when the guest runs, `Incompatible` otherwise (POWER has no superset).
    pub fn relation(&self) -> Relation {
        if self.reasons.is_empty() {
            Relation::Identical
        } else {
            Relation::Incompatible
        }
    }

    /// Whether the guest runs on the host.
    pub fn is_compatible(&self) -> bool {
        self.reasons.is_empty()
    }

    /// Why not, in the order the rules ran.
    pub fn reasons(&self) -> &[Reason] {
        &self.reasons
    }
}

const PPC64_ARCHES: [&str; 2] = ["ppc64", "ppc64le"];

impl Ppc64 {
    /// Compares `guest` with `host`: see the module documentation.
    ///
    /// # Errors
    /// Only once the guest's arch and vendor pass (a mismatch there is a reason, not an
    /// error): [`Error::NoModel`] when the host, or a custom guest or host CPU, names no
    /// model; [`Error::UnknownModel`] when the map lacks such a model (after legacy names
    /// are converted); for a `host-model` guest naming a compat level,
    /// [`Error::HostWithoutCompat`] or [`Error::UnknownCompatMode`] as
    /// [`LibvirtMap::compat_fits`](crate::LibvirtMap::compat_fits).
    pub fn compare(&self, host: &Cpu, guest: &Cpu) -> Result<Verdict, Error> {
        let mut reasons = Vec::new();
        let compat = self.libvirt_stage(host, guest, &mut reasons)?;
        self.qemu_stage(host, guest, compat.as_deref(), &mut reasons);
        Ok(Verdict { reasons })
    }

    /// libvirt's stage; returns the compat level a host-model guest names.
    fn libvirt_stage(
        &self,
        host: &Cpu,
        guest: &Cpu,
        reasons: &mut Vec<Reason>,
    ) -> Result<Option<String>, Error> {
        let g = &guest.def;
        let guest_name = model_name(g).map(convert_legacy);
        let compat = match (g.kind, g.mode) {
            (CpuKind::Guest, Mode::HostModel) => guest_name.map(str::to_string),
            _ => None,
        };
        if let Some(arch) = &g.arch {
            if !PPC64_ARCHES.contains(&arch.as_str()) {
                reasons.push(Reason::Arch {
                    guest: arch.clone(),
                });
                return Ok(compat);
            }
        }
        if let Some(v) = &g.vendor {
            if host.def.vendor.as_ref() != Some(v) {
                reasons.push(Reason::Vendor { guest: v.clone() });
                return Ok(compat);
            }
        }
        let host_name = host.model_name().ok_or(Error::NoModel("host"))?;
        let host_model = self
            .map
            .model(host_name)
            .ok_or_else(|| Error::UnknownModel(host_name.to_string()))?;
        let guest_model = match (g.kind, g.mode) {
            (CpuKind::Guest, Mode::HostModel) => {
                if let Some(c) = &compat {
                    if !self.map.compat_fits(host_model.name(), c)? {
                        reasons.push(Reason::CompatNewer {
                            compat: c.clone(),
                            host: host_model.name().to_string(),
                        });
                        return Ok(compat);
                    }
                }
                host_model
            }
            (CpuKind::Guest, Mode::HostPassthrough | Mode::Maximum) => host_model,
            (CpuKind::Guest, Mode::Custom) | (CpuKind::Host, _) => {
                let name = guest_name.ok_or(Error::NoModel("guest"))?;
                self.map
                    .model(name)
                    .ok_or_else(|| Error::UnknownModel(name.to_string()))?
            }
        };
        if guest_model.name() != host_model.name() {
            reasons.push(Reason::Model {
                host: host_model.name().to_string(),
                guest: guest_model.name().to_string(),
            });
        }
        Ok(compat)
    }

    /// QEMU's stage: compat-mode support, thread limit, raw-mode PVR match.
    fn qemu_stage(&self, host: &Cpu, guest: &Cpu, compat: Option<&str>, reasons: &mut Vec<Reason>) {
        let qemu = self.qemu;
        let release = qemu.release().to_string();
        if let Some(c) = compat {
            match qemu.compat_mode(c) {
                None => {
                    // libvirt already refused names it does not know; this is a level
                    // libvirt accepts but this QEMU lacks (power11 on 7.2).
                    if self.map.compat_level(c).is_some() {
                        reasons.push(Reason::CompatUnknownToQemu {
                            compat: c.to_string(),
                            qemu: release,
                        });
                    }
                }
                Some(mode) => {
                    let newer = reasons
                        .iter()
                        .any(|r| matches!(r, Reason::CompatNewer { .. }));
                    if let Some(family) = self.host_family(host) {
                        if !newer && !qemu.supports(family, mode) {
                            reasons.push(Reason::CompatUnsupported {
                                compat: c.to_string(),
                                family: family.name().to_string(),
                                qemu: release,
                            });
                        }
                    }
                    if let Some(t) = guest.def.topology {
                        if t.threads > mode.max_vthreads() {
                            reasons.push(Reason::Threads {
                                threads: t.threads,
                                compat: c.to_string(),
                                max: mode.max_vthreads(),
                            });
                        }
                    }
                }
            }
            return;
        }
        // No compat level: the guest runs in raw mode, with its source's PVR.
        if let (Some(gp), Some(hp)) = (guest.pvr, host.pvr) {
            match qemu.class_for_pvr(hp) {
                None => reasons.push(Reason::RawNoClass { host: hp }),
                Some(class) => {
                    if !qemu.pvr_matches(class, gp) {
                        reasons.push(Reason::RawPvr {
                            guest: gp,
                            host_class: class.name().to_string(),
                            host: hp,
                        });
                    }
                }
            }
        }
    }
}
