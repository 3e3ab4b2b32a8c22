//! `virsh hypervisor-cpu-baseline` on x86, as libvirt 11.3's QEMU driver computes it
//! (`qemuConnectBaselineHypervisorCPU`): the x86 baseline of `baseline`, charged with
//! what QEMU says about this host.
//!
//! Given the input CPUs (each as its XML makes it: a `<cpu>` with `<arch>` is a host CPU)
//! and a [`QemuHost`]:
//!
//! 1. no CPU definitions for the accelerator → "QEMU 'BINARY' does not support any CPU
//!    models for virttype 'V'";
//! 2. the feature filter F = every `<hostCPU>` property name (true or false, numbers and
//!    strings alike, renamed); with `--migratable` the ones QEMU marked
//!    `migratable='no'` are left out; without a `<hostCPU>` (or from domcapabilities)
//!    there is no filter;
//! 3. who drops non-migratable features: with a filter, and unless `--migratable` was
//!    asked of a QEMU that reported no migratable marks, only QEMU's marks count (so
//!    `invtsc` survives `--migratable` under TCG, where QEMU did not mark it); otherwise
//!    the catalog's `migratable='no'` features are dropped from the result;
//! 4. every CPU needs a model ("no CPU model specified at index N", the first);
//! 5. the baseline itself (`baseline`): intersection of the CPUs, `∩ F`, "CPUs are
//!    incompatible" when empty, libvirt's vendor rules, then a guest decode whose
//!    candidates are QEMU's **whole** definition list (usable or not) with each
//!    candidate's blockers disabled unless they are extra features; so the answer depends
//!    on the host and the accelerator, and models QEMU lacks are never the result;
//! 6. the result always gets `fallback='forbid'`;
//! 7. `--features`: every feature listed (model features as `require`, explicit ones,
//!    removed ones as `disable`), sorted by name.
//!
//! `<maxphysaddr>` (the result gets `limit` = the smallest when every input has one above
//! 0) is outside [`CpuDef`]: [`cpucompat_xml::qemucaps::baseline_maxphysaddr`].
use cpucompat_xml::model::{CpuDef, Fallback};

use crate::{BaselineOptions, QemuHost, X86Error, X86};

/// How to compute a [`X86::hypervisor_baseline`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HypervisorBaselineOptions {
    /// List every feature of the result (`--features`).
    pub expand_features: bool,
    /// `--migratable`.
    pub migratable: bool,
}

impl X86 {
    /// `virsh hypervisor-cpu-baseline` of `cpus` on `host` (see the module docs).
    ///
    /// # Errors
    /// [`X86Error::NoHypervisorModels`] when QEMU has no CPU definitions for the
    /// accelerator; then as [`X86::baseline`] ([`X86Error::NoModel`], unknown names, vendor
    /// errors, [`X86Error::Incompatible`] when the intersection with QEMU's features is
    /// empty, [`X86Error::NoSuitableModel`] when no QEMU definition expresses it), and with
    /// `expand_features` as [`X86::expand`].
    pub fn hypervisor_baseline(
        &self,
        host: &QemuHost,
        cpus: &[CpuDef],
        opts: &HypervisorBaselineOptions,
    ) -> Result<CpuDef, X86Error> {
        if host.definitions().is_empty() {
            return Err(X86Error::NoHypervisorModels {
                emulator: host.emulator().to_string(),
                virttype: host.accel().virttype().to_string(),
            });
        }
        let mut models = host.models();
        let mut drop_non_migratable = opts.migratable;
        if let Some(f) = host.filter() {
            let known = f
                .known
                .iter()
                .filter(|n| !(opts.migratable && f.non_migratable.contains(n)));
            models = models.with_known_features(known);
            if !opts.migratable || host.migratability() {
                drop_non_migratable = false;
            }
        }
        let inner = BaselineOptions {
            expand_features: false,
            migratable: drop_non_migratable,
            hypervisor: Some(models),
        };
        let mut cpu = self.baseline(cpus, &inner)?;
        if let Some(m) = &mut cpu.model {
            m.fallback = Some(Fallback::Forbid);
        }
        if opts.expand_features {
            cpu = self.expand(&cpu)?;
        }
        Ok(cpu)
    }
}
