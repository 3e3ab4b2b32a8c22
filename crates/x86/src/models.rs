//! Runnable models: which catalog models a host can run, and what blocks the others
//! (the custom-model list of libvirt's domain capabilities).
//!
//! ```text
//! blockers(M) = features(M) − features(host)          usable(M) ⇔ blockers(M) = ∅
//! ```
//!
//! Models are listed in catalog order; blockers in catalog order. `vendor` is the model's
//! (resolved) vendor and `canonical` the versioned name an unversioned model is an alias of
//! (e.g. `Skylake-Client` → `Skylake-Client-v1`).
use cpucompat_xml::model::CpuDef;

use crate::{X86Error, X86};

/// One catalog model as seen from a host.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModelUsability {
    /// The model name.
    pub name: String,
    /// Whether the host has every feature of the model.
    pub usable: bool,
    /// The model's features the host lacks, catalog order.
    pub blockers: Vec<String>,
    /// The model's vendor, if it has one.
    pub vendor: Option<String>,
    /// The versioned model this one is an alias of, if any.
    pub canonical: Option<String>,
}

impl X86 {
    /// Every catalog model, usable or not on `host`, with its blockers.
    ///
    /// # Errors
    /// [`X86Error::UnknownModel`] or [`X86Error::UnknownFeature`] for a name in `host` the
    /// catalog does not know.
    pub fn runnable_models(&self, host: &CpuDef) -> Result<Vec<ModelUsability>, X86Error> {
        let have = self.features_of(host)?;
        let models = self.cat.models();
        Ok(models
            .iter()
            .map(|m| {
                let blockers = m.features - have;
                ModelUsability {
                    name: m.name.to_string(),
                    usable: blockers.is_empty(),
                    blockers: self.names(&blockers),
                    vendor: m.vendor.map(|v| self.vendor_name(v).to_string()),
                    canonical: m.canonical.map(|c| models[c].name.to_string()),
                }
            })
            .collect())
    }

    /// Whether a definition has a feature (its policy −1 view; libvirt's
    /// `virCPUCheckFeature`); an unknown name is an error.
    ///
    /// # Errors
    /// [`X86Error::UnknownFeature`] when the catalog lacks `name` (without a position); as
    /// [`X86::features_of`] for the names `cpu` uses.
    pub fn has_feature(&self, cpu: &CpuDef, name: &str) -> Result<bool, X86Error> {
        let bit = self.feature(name, Default::default())?;
        Ok(self.features_of(cpu)?.contains(bit))
    }

    /// A model's full feature list, catalog order.
    ///
    /// # Errors
    /// [`X86Error::UnknownModel`] when the catalog lacks `model` (without a position).
    pub fn expand_model(&self, model: &str) -> Result<Vec<String>, X86Error> {
        let i = self.model_index(model, Default::default())?;
        Ok(self.names(&self.cat.models()[i].features))
    }
}
