//! Translate: re-express a guest whose model the hypervisor lacks with one it has
//! (libvirt's `virCPUTranslate` / `virCPUx86Translate`).
//!
//! Nothing changes for `host-model`/`host-passthrough` guests or when the hypervisor lists
//! the model. Otherwise (`fallback='forbid'` is an error):
//!
//! ```text
//! data   = features(cpu)                      (policy −1 view: model + require + force
//!                                               − disable − forbid)
//!          + the model's vendor (leaf 0) + the model's first signature (leaf 1, stepping 0)
//! result = guest decode of data restricted to the hypervisor's models
//!          then every explicit feature sets its policy on the same-named entry, or is
//!          appended, in document order (so a required feature the new model already has
//!          stays listed)
//! ```
//!
//! The vendor and fallback of the definition are kept.
use cpucompat_xml::model::{CpuDef, CpuKind, Fallback, Feature, Mode, Pos};

use crate::decode::Request;
use crate::{named_model, HypervisorModels, X86Error, X86};

impl X86 {
    /// The guest re-expressed with one of `models`, when its own model is not among them.
    ///
    /// # Errors
    /// [`X86Error::ModelNotSupported`] when the model is not among `models` and the guest
    /// has `fallback='forbid'`; [`X86Error::UnknownModel`] or [`X86Error::UnknownFeature`]
    /// for a name the catalog does not know; [`X86Error::NoSuitableModel`] when none of
    /// `models` can express the guest.
    pub fn translate(&self, cpu: &CpuDef, models: &HypervisorModels) -> Result<CpuDef, X86Error> {
        if matches!(cpu.mode, Mode::HostModel | Mode::HostPassthrough) {
            return Ok(cpu.clone());
        }
        let Some(model) = named_model(cpu) else {
            return Ok(cpu.clone());
        };
        if models.contains(&model.name) {
            return Ok(cpu.clone());
        }
        if model.fallback == Some(Fallback::Forbid) {
            return Err(X86Error::ModelNotSupported {
                name: model.name.clone(),
                pos: crate::error::known(model.pos),
            });
        }
        let info = &self.cat.models()[self.model_index(&model.name, model.pos)?];
        let features = self.features_of(cpu)?;
        let vendor = info
            .vendor
            .map(|v| self.vendor_name(v))
            .or(cpu.vendor.as_deref());
        let signature = info
            .signatures
            .first()
            .map(|s| crate::make_signature(s.family, s.model, 0));
        let data = self.encode(&features, vendor, signature);
        let det = self.detect(&data)?;
        let req = Request {
            kind: CpuKind::Guest,
            hv: Some(models),
            preferred: &[],
            migratable: false,
        };
        let decoded = self.decode_detected(&det, &req)?;
        let mut list: Vec<Feature> = decoded
            .features
            .iter()
            .map(|&(b, p)| Feature {
                name: self.cat.feature_name(b).to_string(),
                policy: Some(p),
                pos: Pos::default(),
            })
            .collect();
        for f in &cpu.features {
            let p = cpu.policy_of(f);
            match list.iter_mut().find(|g| g.name == f.name) {
                Some(g) => g.policy = Some(p),
                None => list.push(Feature {
                    name: f.name.clone(),
                    policy: Some(p),
                    pos: f.pos,
                }),
            }
        }
        let mut out = cpu.clone();
        if let Some(m) = &mut out.model {
            m.name = self.cat.models()[decoded.model].name.to_string();
        }
        out.features = list;
        Ok(out)
    }
}
