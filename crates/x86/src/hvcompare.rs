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
use cpucompat_contract::{Comparison, Reason, Rule, Verdict};
use cpucompat_xml::model::{CpuDef, Mode, Policy};

use crate::{named_model, HypervisorModels, X86Error, X86};

impl X86 {
    /// `hypervisor-cpu-compare`: `host_model` is the CPU the hypervisor offers (e.g. the
    /// guest decode of QEMU's expansion), `hv` its model list with blockers.
    pub fn compare_hypervisor(
        &self,
        host_model: &CpuDef,
        guest: &CpuDef,
        hv: &HypervisorModels,
    ) -> Result<Comparison, X86Error> {
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
            return Ok(Comparison::new(
                Verdict::Superset,
                vec![],
                vec![],
                vec![],
                vec![],
            ));
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
        let reasons = if missing.is_empty() {
            vec![]
        } else {
            let msg = format!(
                "Host CPU does not provide required features: {}",
                missing.join(", ")
            );
            vec![Reason::new(Rule::QemuBlockers, msg, Some(model.pos))]
        };
        Ok(Comparison::new(
            Verdict::Superset,
            reasons,
            missing,
            vec![],
            vec![],
        ))
    }
}
