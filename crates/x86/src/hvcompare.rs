//! Compare against what the hypervisor can provide (libvirt's `hypervisor-cpu-compare` on
//! x86, `qemuDomainCheckCPU`), given QEMU's host-model CPU and its model list.
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
use cpucompat_contract::{Comparison, Reason, Rule, Verdict};
use cpucompat_xml::model::{CpuDef, CpuKind, Policy};
use cpucompat_xml::qemucaps::Usable;

use crate::{named_model, QemuHost, X86Error, X86};

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
    pub comparison: Comparison,
}

fn superset() -> Comparison {
    Comparison::new(Verdict::Superset, vec![], vec![], vec![], vec![])
}

impl X86 {
    /// `virsh hypervisor-cpu-compare` as libvirt 11.3's QEMU driver answers it (see the
    /// module docs): `cpu` against the host-model of `host`.
    ///
    /// # Errors
    /// [`X86Error::NoHostModel`] when `host` has no host-model, before `cpu` is looked at;
    /// [`X86Error::NotInCatalog`] for a model QEMU defines but the catalog lacks (unless
    /// the usable shortcut answered); [`X86Error::UnknownModel`] or
    /// [`X86Error::UnknownFeature`] for a name the compat check cannot look up (only once
    /// its arch and vendor checks pass) or, in the unusable check, in the host-model.
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
            let msg = format!(
                "Host CPU does not provide required features: {}",
                missing.join(", ")
            );
            let reason = Reason::new(Rule::QemuBlockers, msg, Some(model.pos));
            Comparison::new(Verdict::Incompatible, vec![reason], missing, vec![], vec![])
        };
        Ok(HypervisorComparison {
            route: CompareRoute::Unusable,
            comparison,
        })
    }
}
