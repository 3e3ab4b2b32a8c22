//! Compare against what the hypervisor can provide (libvirt's `hypervisor-cpu-compare` on
//! x86, `qemuDomainCheckCPU`), given QEMU's host-model CPU and its model list.
//!
//! For a custom guest naming model `M`:
//!
//! 1. QEMU lists `M` with no blockers (usable) and the guest only *disables* features →
//!    superset (libvirt skips its own check);
//! 2. `M` has `<check partial='compat'/>` in the catalog, or QEMU does not list `M` →
//!    the classic [`X86::compare`] of the host-model CPU with the guest;
//! 3. otherwise (`-vN` models, models without the compat flag) libvirt's
//!    `virCPUCompareUnusable`: every blocker of `M` must be explicitly disabled by the guest
//!    and every feature the guest requires explicitly must be in the host-model CPU; then
//!    superset, else incompatible, "Host CPU does not provide required features: …"
//!    (the blockers not disabled, then the missing required features, in that order).
//!
//! Guests without a model (host-model, host-passthrough) go to the classic compare.
//!
//! # libvirt 11.3's QEMU driver, exactly: [`X86::hypervisor_compare`]
//!
//! `virsh hypervisor-cpu-compare` on x86 compares the CPU with the hypervisor's
//! host-model ([`QemuHost`]), in this order:
//!
//! 1. no host-model for the accelerator → error ("QEMU 'BINARY' does not support
//!    reporting CPU model for virttype 'V'"), before the CPU is even looked at;
//! 2. **usable shortcut**: the CPU names a model, every `<feature>` it lists is
//!    `disable` (none at all qualifies; a host-type CPU's features have no policy and never
//!    qualify), and QEMU's definition of exactly that name is `usable='yes'` →
//!    superset. Nothing else is looked at: not the vendor, the arch, `match='strict'`, nor
//!    whether the catalog knows the name;
//! 3. **choice**: the compat check when the CPU names no model or QEMU has no definition
//!    of that name; a name QEMU has but the catalog lacks → error "unknown CPU model M";
//!    otherwise the catalog model's `<check partial='compat'/>` flag decides;
//! 4. **compat check**: libvirt's `x86Compute` of the host-model and the CPU as written
//!    (the mode is not looked at; unknown names are errors), see `compare`;
//! 5. **unusable check** (`virCPUCompareUnusable`):
//!
//!    ```text
//!    missing = [b ∈ blockers(M), QEMU's order, duplicates kept | the CPU does not
//!               list b as disable]
//!            ++ [f ∈ the CPU's require features, in order | f is not require in the
//!               host-model expanded to its full feature list]
//!    missing = [] → superset, else incompatible:
//!                   "Host CPU does not provide required features: a, b, ..."
//!    ```
//!
//!    so never identical; the model's own features, the vendor, the arch and the match
//!    are not checked; `force`/`optional`/`forbid`/`disable` and a host-type CPU's
//!    features are ignored; an unknown name is just missing.
use cpucompat_lattice::Relation;
use cpucompat_xml::model::{CpuDef, CpuKind, Mode, Policy};
use cpucompat_xml::qemucaps::Usable;

use crate::{named_model, HypervisorModels, QemuHost, X86Comparison, X86Error, X86};

/// Which of libvirt's checks decided a [`X86::hypervisor_compare`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CompareRoute {
    /// QEMU calls the model usable and the CPU only disables features.
    UsableShortcut,
    /// libvirt's own feature arithmetic against the host-model.
    Compat,
    /// QEMU's blockers plus the CPU's explicit `require` features.
    Unusable,
}

/// The answer of [`X86::hypervisor_compare`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HypervisorComparison {
    /// The check that decided.
    pub route: CompareRoute,
    /// The verdict; `reasons[0]` is libvirt's message when incompatible.
    pub comparison: X86Comparison,
}

fn superset() -> X86Comparison {
    X86Comparison {
        result: Relation::Superset,
        reasons: vec![],
        missing: vec![],
        forbidden: vec![],
        extra: vec![],
    }
}

impl X86<'_> {
    /// `hypervisor-cpu-compare`: `host_model` is the CPU the hypervisor offers (e.g. the
    /// guest decode of QEMU's expansion), `hv` its model list with blockers.
    pub fn compare_hypervisor(
        &self,
        host_model: &CpuDef,
        guest: &CpuDef,
        hv: &HypervisorModels,
    ) -> Result<X86Comparison, X86Error> {
        let model = match named_model(guest) {
            Some(m) if guest.mode == Mode::Custom => m,
            _ => return self.compare(host_model, guest),
        };
        let index = self.model_index(&model.name, model.pos)?;
        let Some(blockers) = hv.blockers(&model.name) else {
            return self.compare(host_model, guest);
        };
        let only_disables = guest
            .features
            .iter()
            .all(|f| guest.policy_of(f) == Policy::Disable);
        if blockers.is_empty() && only_disables {
            return Ok(X86Comparison {
                result: Relation::Superset,
                reasons: vec![],
                missing: vec![],
                forbidden: vec![],
                extra: vec![],
            });
        }
        if self.cat.models()[index].check_compat {
            return self.compare(host_model, guest);
        }
        let have = self.features_of(host_model)?;
        let mut missing: Vec<String> = blockers
            .iter()
            .filter(|b| {
                !guest
                    .features
                    .iter()
                    .any(|f| f.name == **b && guest.policy_of(f) == Policy::Disable)
            })
            .cloned()
            .collect();
        for f in &guest.features {
            if guest.policy_of(f) == Policy::Require {
                let bit = self.feature(&f.name, f.pos)?;
                if !have.contains(bit) && !missing.contains(&f.name) {
                    missing.push(f.name.clone());
                }
            }
        }
        let (result, reasons) = if missing.is_empty() {
            (Relation::Superset, vec![])
        } else {
            (
                Relation::Incompatible,
                vec![format!(
                    "Host CPU does not provide required features: {}",
                    missing.join(", ")
                )],
            )
        };
        Ok(X86Comparison {
            result,
            reasons,
            missing,
            forbidden: vec![],
            extra: vec![],
        })
    }

    /// `virsh hypervisor-cpu-compare` as libvirt 11.3's QEMU driver answers it (see the
    /// module docs): `cpu` against the host-model of `host`.
    pub fn hypervisor_compare(
        &self,
        host: &QemuHost,
        cpu: &CpuDef,
    ) -> Result<HypervisorComparison, X86Error> {
        let Some(host_model) = host.host_model() else {
            return Err(X86Error::NoHostModel {
                emulator: host.emulator().to_string(),
                virttype: host.accel().virttype().to_string(),
            });
        };
        let model = named_model(cpu);
        let definition = model.and_then(|m| host.definition(&m.name));
        let only_disables = cpu
            .features
            .iter()
            .all(|f| cpu.kind == CpuKind::Guest && f.policy == Some(Policy::Disable));
        if only_disables && definition.is_some_and(|d| d.usable == Usable::Yes) {
            return Ok(HypervisorComparison {
                route: CompareRoute::UsableShortcut,
                comparison: superset(),
            });
        }
        let (Some(model), Some(definition)) = (model, definition) else {
            return Ok(HypervisorComparison {
                route: CompareRoute::Compat,
                comparison: self.compute(host_model, cpu)?,
            });
        };
        let Some(index) = self.cat.model(&model.name) else {
            return Err(X86Error::NotInCatalog {
                name: model.name.clone(),
                pos: crate::error::known(model.pos),
            });
        };
        if self.cat.models()[index].check_compat {
            return Ok(HypervisorComparison {
                route: CompareRoute::Compat,
                comparison: self.compute(host_model, cpu)?,
            });
        }
        let disabled = |name: &str| {
            cpu.kind == CpuKind::Guest
                && cpu
                    .features
                    .iter()
                    .any(|f| f.name == name && f.policy == Some(Policy::Disable))
        };
        let mut missing: Vec<String> = definition
            .blockers
            .iter()
            .filter(|b| !disabled(b))
            .cloned()
            .collect();
        if cpu.kind == CpuKind::Guest {
            let have = self.features_of(host_model)?;
            for f in &cpu.features {
                if cpu.policy_of(f) != Policy::Require {
                    continue;
                }
                let provided = self.cat.feature(&f.name).is_some_and(|b| have.contains(b));
                if !provided {
                    missing.push(f.name.clone());
                }
            }
        }
        let comparison = if missing.is_empty() {
            superset()
        } else {
            X86Comparison {
                result: Relation::Incompatible,
                reasons: vec![format!(
                    "Host CPU does not provide required features: {}",
                    missing.join(", ")
                )],
                missing,
                forbidden: vec![],
                extra: vec![],
            }
        };
        Ok(HypervisorComparison {
            route: CompareRoute::Unusable,
            comparison,
        })
    }
}
