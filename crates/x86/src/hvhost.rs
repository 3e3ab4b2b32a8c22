//! The hypervisor as libvirt's QEMU driver sees it: one emulator binary and one
//! accelerator, read from libvirt's QEMU capabilities cache or from `virsh
//! domcapabilities` ([`cpucompat_xml::qemucaps`]). `hypervisor-cpu-compare` and
//! `hypervisor-cpu-baseline` ([`X86::hypervisor_compare`], [`X86::hypervisor_baseline`])
//! answer against a [`QemuHost`].
//!
//! Selection (libvirt's emulator lookup), in this order:
//!
//! 1. the description must be for an x86 guest arch (`x86_64`, `i686`);
//! 2. `kvm` needs QEMU's `kvm` flag: "the accel 'kvm' is not supported by 'BINARY' on
//!    this host" (other accelerators are not checked: they simply have no data);
//! 3. a `--machine` must be a machine type (or alias) of that accelerator: "the machine
//!    'M' is not supported by emulator 'BINARY'". The machine changes nothing else.
//!
//! What a [`QemuHost`] holds:
//!
//! * QEMU's CPU definitions of the accelerator in QEMU's order, each with `usable` and its
//!   blockers (QEMU's order, duplicates kept, renamed to libvirt's spelling);
//! * the **host-model** CPU (libvirt's "reported" host-model), recomputed as libvirt does
//!   when it loads the cache — it is not stored in it:
//!
//!   ```text
//!   no host-model  if the guest arch is not native to the host (x86_64 runs x86_64 and
//!                  i686), or the accelerator has no <hostCPU>, or the decode fails
//!   data  = every boolean property that is true (the migratable mark is ignored),
//!           renamed, names the catalog lacks skipped; minus the MSR features when
//!           QEMU lacks the `cpu-unavailable-features` flag
//!         + leaf 0 from the `vendor` string, leaf 1 from `family`/`model`/`stepping`
//!   host-model = guest decode of data restricted to QEMU's definitions, whose
//!                blockers become `disable` (see `decode`), fallback='forbid'
//!   ```
//!
//!   (a cache copied from a host must be paired with the `cpu_map` installed there);
//! * the baseline's **feature filter F**: the names of *all* `<hostCPU>` properties (true,
//!   false, numbers, strings), renamed; those marked `migratable='no'` are remembered
//!   for `--migratable`; no `<hostCPU>`, no filter;
//! * `migratability`: whether QEMU reported migratable marks.
//!
//! From domcapabilities the host-model is taken as printed (it is exactly the recomputed
//! one), the definitions are the `custom` list (only names the `cpu_map` knows, no
//! `host`; blockers sorted and de-duplicated), and there is no filter F and no
//! migratability: the gaps of [`cpucompat_xml::qemucaps`]'s list.
use cpucompat_catalog::Location;
use cpucompat_lattice::FeatureSet;
use cpucompat_xml::model::{CpuDef, CpuKind, Fallback};
use cpucompat_xml::qemucaps::{Accel, DomainCaps, PropValue, QemuCaps, Usable};

use crate::hypervisor::qemu_to_libvirt;
use crate::{HypervisorModels, X86Error, X86};

/// One QEMU CPU definition as libvirt keeps it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QemuDefinition {
    /// The definition name.
    pub name: String,
    /// QEMU's usable flag.
    pub usable: Usable,
    /// The blockers, libvirt spelling, in the description's order (QEMU's order with
    /// duplicates from a cache; sorted from domcapabilities).
    pub blockers: Vec<String>,
}

/// Where a [`QemuHost`] was read from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HostSource {
    /// libvirt's QEMU capabilities cache: everything the QEMU driver uses.
    Cache,
    /// `virsh domcapabilities`: no QEMU-only definitions, sorted blockers, no filter F.
    DomainCaps,
}

/// The baseline's feature filter: the features this QEMU knows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FeatureFilter {
    /// Every `<hostCPU>` property name, libvirt spelling, in the cache's order.
    pub known: Vec<String>,
    /// Those marked `migratable='no'`.
    pub non_migratable: Vec<String>,
}

/// One emulator and accelerator, as `hypervisor-cpu-compare`/`-baseline` see them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QemuHost {
    emulator: String,
    arch: String,
    accel: Accel,
    source: HostSource,
    definitions: Vec<QemuDefinition>,
    host_model: Option<CpuDef>,
    filter: Option<FeatureFilter>,
    migratability: bool,
}

impl QemuHost {
    /// The emulator binary's path (libvirt's messages quote it).
    pub fn emulator(&self) -> &str {
        &self.emulator
    }

    /// The guest architecture (`x86_64` or `i686`).
    pub fn arch(&self) -> &str {
        &self.arch
    }

    /// The accelerator.
    pub fn accel(&self) -> Accel {
        self.accel
    }

    /// Where the description came from.
    pub fn source(&self) -> HostSource {
        self.source
    }

    /// QEMU's CPU definitions in QEMU's order.
    pub fn definitions(&self) -> &[QemuDefinition] {
        &self.definitions
    }

    /// The definition named exactly `name`.
    pub fn definition(&self, name: &str) -> Option<&QemuDefinition> {
        self.definitions.iter().find(|d| d.name == name)
    }

    /// The host-model CPU (`fallback='forbid'`), when there is one.
    pub fn host_model(&self) -> Option<&CpuDef> {
        self.host_model.as_ref()
    }

    /// The baseline's feature filter, when the description has one.
    pub fn filter(&self) -> Option<&FeatureFilter> {
        self.filter.as_ref()
    }

    /// Whether QEMU reported migratable marks (`<hostCPU migratability='yes'>`).
    pub fn migratability(&self) -> bool {
        self.migratability
    }

    /// The definitions as a decode model list (blockers included).
    pub fn models(&self) -> HypervisorModels {
        HypervisorModels::new(
            self.definitions
                .iter()
                .map(|d| (d.name.clone(), d.blockers.clone())),
        )
    }
}

/// libvirt's `virQEMUCapsGuestIsNative`, for the x86 guests this adapter handles: an
/// x86_64 host runs x86_64 and i686 guests natively, an i686 host i686 ones.
fn is_native(host_arch: &str, guest_arch: &str) -> bool {
    host_arch == guest_arch || (host_arch == "x86_64" && guest_arch == "i686")
}

fn is_x86(arch: &str) -> bool {
    matches!(arch, "x86_64" | "i686")
}

impl X86 {
    /// The hypervisor of a capabilities cache for one accelerator, on a host of
    /// `host_arch` (libvirt's name: `x86_64`, `aarch64`, ...; the arch the cache was
    /// written on), with an optional `--machine`.
    ///
    /// # Errors
    /// [`X86Error::HypervisorArch`] for a cache of a non-x86 guest arch;
    /// [`X86Error::AccelNotSupported`] for `kvm` when QEMU lacks the `kvm` flag;
    /// [`X86Error::MachineNotSupported`] for a `machine` that is neither a machine type nor
    /// an alias of the accelerator. A host-model that fails to decode is not an error: the
    /// host has none.
    pub fn qemu_host(
        &self,
        caps: &QemuCaps,
        accel: Accel,
        host_arch: &str,
        machine: Option<&str>,
    ) -> Result<QemuHost, X86Error> {
        if !is_x86(&caps.arch) {
            return Err(X86Error::HypervisorArch {
                arch: caps.arch.clone(),
            });
        }
        if accel == Accel::Kvm && !caps.has_flag("kvm") {
            return Err(X86Error::AccelNotSupported {
                virttype: accel.virttype().to_string(),
                emulator: caps.emulator.clone(),
            });
        }
        if let Some(m) = machine {
            let known = caps
                .machines_for(accel)
                .any(|t| t.name == m || t.alias.as_deref() == Some(m));
            if !known {
                return Err(X86Error::MachineNotSupported {
                    machine: m.to_string(),
                    emulator: caps.emulator.clone(),
                });
            }
        }
        let definitions: Vec<QemuDefinition> = caps
            .definitions_for(accel)
            .map(|d| QemuDefinition {
                name: d.name.clone(),
                usable: d.usable,
                blockers: d
                    .blockers
                    .iter()
                    .map(|b| qemu_to_libvirt(b).to_string())
                    .collect(),
            })
            .collect();
        let info = caps.host_cpu(accel);
        let mut host = QemuHost {
            emulator: caps.emulator.clone(),
            arch: caps.arch.clone(),
            accel,
            source: HostSource::Cache,
            definitions,
            host_model: None,
            filter: info.map(|h| FeatureFilter {
                known: h
                    .props
                    .iter()
                    .map(|p| qemu_to_libvirt(&p.name).to_string())
                    .collect(),
                non_migratable: h
                    .props
                    .iter()
                    .filter(|p| p.migratable == Some(false))
                    .map(|p| qemu_to_libvirt(&p.name).to_string())
                    .collect(),
            }),
            migratability: info.is_some_and(|h| h.migratability),
        };
        if let (Some(info), true) = (info, is_native(host_arch, &caps.arch)) {
            let mut features = FeatureSet::EMPTY;
            let (mut vendor, mut family, mut model, mut stepping) = (None, 0, 0, 0);
            for p in &info.props {
                let name = qemu_to_libvirt(&p.name);
                match &p.value {
                    PropValue::Boolean(true) => {
                        if let Some(b) = self.cat.feature(name) {
                            features.insert(b);
                        }
                    }
                    PropValue::String(s) if name == "vendor" => vendor = Some(s.as_str()),
                    PropValue::Number(n) => {
                        let n = u32::try_from(*n).unwrap_or(0);
                        match name {
                            "family" => family = n,
                            "model" => model = n,
                            "stepping" => stepping = n,
                            _ => {}
                        }
                    }
                    _ => {}
                }
            }
            if !caps.has_flag("cpu-unavailable-features") {
                features = features
                    .iter()
                    .filter(|&b| {
                        !matches!(
                            self.cat.features()[b.index()].location,
                            Location::Msr { .. }
                        )
                    })
                    .collect();
            }
            let data = self.expansion_data(&features, vendor, family, model, stepping);
            // A decode failure means no host-model (libvirt swallows it at load time).
            host.host_model = self
                .decode(&data, CpuKind::Guest, Some(&host.models()))
                .ok();
        }
        Ok(host)
    }

    /// The hypervisor of a `virsh domcapabilities` document: its host-model as printed
    /// (only when `fallback='forbid'`, as libvirt requires), its custom models, no filter.
    ///
    /// # Errors
    /// [`X86Error::HypervisorArch`] for a document of a non-x86 guest arch.
    pub fn qemu_host_from_domcaps(&self, caps: &DomainCaps) -> Result<QemuHost, X86Error> {
        if !is_x86(&caps.arch) {
            return Err(X86Error::HypervisorArch {
                arch: caps.arch.clone(),
            });
        }
        let accel = Accel::from_virttype(&caps.domain).unwrap_or(Accel::Kvm);
        let host_model = caps.host_model.clone().filter(|c| {
            c.model.as_ref().and_then(|m| m.fallback) == Some(Fallback::Forbid)
                && c.model_name().is_some()
        });
        Ok(QemuHost {
            emulator: caps.path.clone().unwrap_or_default(),
            arch: caps.arch.clone(),
            accel,
            source: HostSource::DomainCaps,
            definitions: caps
                .custom_models
                .iter()
                .map(|m| QemuDefinition {
                    name: m.name.clone(),
                    usable: m.usable,
                    blockers: m.blockers.clone(),
                })
                .collect(),
            host_model,
            filter: None,
            migratability: false,
        })
    }
}
