//! A hypervisor's CPU model list: QEMU's `query-cpu-definitions` reply, as libvirt keeps
//! it (model name → `unavailable-features`, i.e. the features that block the model on this
//! host), plus the feature names QEMU's `query-cpu-model-expansion` reported, when present.
//!
//! QEMU spells some features differently from libvirt's `cpu_map`; blocker names are
//! translated with libvirt's fixed table ([`qemu_to_libvirt`]); names the catalog does not
//! know are later ignored. Decode with a model list only tries the listed models and
//! disables each listed blocker (see the `decode` module); baseline also intersects with
//! the known features.
//!
//! [`X86::qmp_expansion_data`](crate::X86::qmp_expansion_data) reads the CPU of a
//! `query-cpu-model-expansion` reply as raw data, so that decoding it gives the host-model
//! CPU libvirt computes from QEMU.
//!
//! Input: one reply (`{"return": [...]}`), a bare array of definitions, or a transcript of
//! several QMP replies one after another (libvirt's `x86_64-cpuid-*.json` files). A list
//! counts as `query-cpu-definitions` when an entry has `unavailable-features` or a
//! `typename` ending in `-cpu`; replies of other shapes and `{"error": ...}` replies are
//! skipped.
use std::collections::BTreeMap;

use cpucompat_xml::model::{CpuData, CpuDataItem, Pos};
use serde_json::Value;

use crate::X86Error;

/// QEMU's feature spellings that libvirt's `cpu_map` names differently.
const RENAMES: [(&str, &str); 12] = [
    ("cmp-legacy", "cmp_legacy"),
    ("ds-cpl", "ds_cpl"),
    ("fxsr-opt", "fxsr_opt"),
    ("kvm-pv-eoi", "kvm_pv_eoi"),
    ("kvm-pv-unhalt", "kvm_pv_unhalt"),
    ("lahf-lm", "lahf_lm"),
    ("nodeid-msr", "nodeid_msr"),
    ("pclmulqdq", "pclmuldq"),
    ("perfctr-core", "perfctr_core"),
    ("perfctr-nb", "perfctr_nb"),
    ("tsc-adjust", "tsc_adjust"),
    (
        "vmx-invept-single-context-noglobals",
        "vmx-invvpid-single-context-noglobals",
    ),
];

/// libvirt's name of a QEMU feature name (unchanged when no translation applies).
pub fn qemu_to_libvirt(name: &str) -> &str {
    RENAMES
        .iter()
        .find(|(q, _)| *q == name)
        .map_or(name, |(_, l)| l)
}

/// A hypervisor's model list with blockers (libvirt names).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HypervisorModels {
    /// In the hypervisor's order.
    models: Vec<(String, Vec<String>)>,
    index: BTreeMap<String, usize>,
    known: Option<Vec<String>>,
}

impl HypervisorModels {
    /// A list from `(model, QEMU blocker names)` pairs; blockers are translated.
    pub fn new<I, S, B>(models: I) -> HypervisorModels
    where
        I: IntoIterator<Item = (S, B)>,
        S: Into<String>,
        B: IntoIterator,
        B::Item: AsRef<str>,
    {
        let mut h = HypervisorModels::default();
        for (name, blockers) in models {
            h.insert(
                name.into(),
                blockers
                    .into_iter()
                    .map(|b| qemu_to_libvirt(b.as_ref()).to_string())
                    .collect(),
            );
        }
        h
    }

    fn insert(&mut self, name: String, blockers: Vec<String>) {
        match self.index.get(&name) {
            Some(&i) => self.models[i].1 = blockers,
            None => {
                self.index.insert(name.clone(), self.models.len());
                self.models.push((name, blockers));
            }
        }
    }

    /// Also restricts baselines to these features (QEMU names; translated).
    #[must_use]
    pub fn with_known_features<I: IntoIterator<Item = S>, S: AsRef<str>>(
        mut self,
        names: I,
    ) -> HypervisorModels {
        self.known = Some(
            names
                .into_iter()
                .map(|n| qemu_to_libvirt(n.as_ref()).to_string())
                .collect(),
        );
        self
    }

    /// Reads QMP JSON: a `query-cpu-definitions` reply alone, or a transcript of replies.
    ///
    /// # Errors
    /// [`X86Error::Qmp`] for text that is not a stream of JSON values (with line and
    /// column), a definition without a `name` string, or `unavailable-features` that is not
    /// an array of strings; [`X86Error::NoDefinitions`] when no reply is a
    /// `query-cpu-definitions` list.
    pub fn from_qmp_json(text: &str) -> Result<HypervisorModels, X86Error> {
        let mut h = HypervisorModels::default();
        let mut found = false;
        for value in serde_json::Deserializer::from_str(text).into_iter::<Value>() {
            let value = value.map_err(json_error)?;
            if value.get("error").is_some() {
                continue;
            }
            let ret = value.get("return").unwrap_or(&value);
            match ret {
                Value::Array(defs) if defs.iter().any(looks_like_definition) => {
                    found = true;
                    for d in defs {
                        let (name, blockers) = definition(d)?;
                        h.insert(name, blockers);
                    }
                }
                Value::Object(o) => {
                    if let Some(props) = o
                        .get("model")
                        .and_then(|m| m.get("props"))
                        .and_then(Value::as_object)
                    {
                        h.known = Some(
                            props
                                .keys()
                                .map(|k| qemu_to_libvirt(k).to_string())
                                .collect(),
                        );
                    }
                }
                _ => {}
            }
        }
        if !found {
            return Err(X86Error::NoDefinitions);
        }
        Ok(h)
    }

    /// Whether the hypervisor offers `model`.
    pub fn contains(&self, model: &str) -> bool {
        self.index.contains_key(model)
    }

    /// The blockers of `model` (libvirt names), or `None` when it is not offered.
    pub fn blockers(&self, model: &str) -> Option<&[String]> {
        self.index.get(model).map(|&i| self.models[i].1.as_slice())
    }

    /// Model names in the hypervisor's order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.models.iter().map(|(n, _)| n.as_str())
    }

    /// Features the hypervisor reported knowing (libvirt names), if it did.
    pub fn known_features(&self) -> Option<&[String]> {
        self.known.as_deref()
    }
}

/// A `query-cpu-definitions` entry, as opposed to another command's list (machines, ...):
/// it has `unavailable-features`, or a QOM type name ending in `-cpu`.
fn looks_like_definition(d: &Value) -> bool {
    d.get("unavailable-features").is_some()
        || d.get("typename")
            .and_then(Value::as_str)
            .is_some_and(|t| t.ends_with("-cpu"))
}

fn definition(d: &Value) -> Result<(String, Vec<String>), X86Error> {
    let shape = |message: &str| X86Error::Qmp {
        message: message.to_string(),
        pos: None,
    };
    let name = d
        .get("name")
        .and_then(Value::as_str)
        .ok_or_else(|| shape("a CPU definition has no \"name\" string"))?;
    let blockers = match d.get("unavailable-features") {
        None => Vec::new(),
        Some(Value::Array(a)) => a
            .iter()
            .map(|b| {
                b.as_str()
                    .map(|s| qemu_to_libvirt(s).to_string())
                    .ok_or_else(|| shape("\"unavailable-features\" holds a non-string"))
            })
            .collect::<Result<_, _>>()?,
        Some(_) => return Err(shape("\"unavailable-features\" is not an array")),
    };
    Ok((name.to_string(), blockers))
}

fn json_error(e: serde_json::Error) -> X86Error {
    let full = e.to_string();
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    let message = full.strip_suffix(&suffix).unwrap_or(&full).to_string();
    X86Error::Qmp {
        message,
        pos: (e.line() != 0).then(|| Pos {
            line: e.line() as u32,
            column: e.column() as u32,
        }),
    }
}

impl crate::X86 {
    /// The CPU QEMU reports in a `query-cpu-model-expansion` reply (alone or in a
    /// transcript), as raw data: every `true` boolean property the catalog names (QEMU
    /// spellings translated), the `vendor` string in leaf 0 and `family`/`model`/`stepping`
    /// in leaf 1 (libvirt's `virQEMUCapsInitCPUModelX86`). Decode it as a guest, with the
    /// hypervisor's model list when it has one, to get the host-model CPU libvirt shows.
    ///
    /// # Errors
    /// [`X86Error::Qmp`] for text that is not a stream of JSON values (with line and
    /// column), up to the first reply with `model.props`; [`X86Error::NoExpansion`] when no
    /// reply has one.
    pub fn qmp_expansion_data(&self, text: &str) -> Result<CpuData, X86Error> {
        for value in serde_json::Deserializer::from_str(text).into_iter::<Value>() {
            let value = value.map_err(json_error)?;
            let Some(props) = value
                .get("return")
                .unwrap_or(&value)
                .get("model")
                .and_then(|m| m.get("props"))
                .and_then(Value::as_object)
            else {
                continue;
            };
            let mut features = cpucompat_lattice::FeatureSet::EMPTY;
            let (mut family, mut model, mut stepping) = (0u32, 0u32, 0u32);
            let mut vendor = None;
            for (name, v) in props {
                let name = qemu_to_libvirt(name);
                match v {
                    Value::Bool(true) => {
                        if let Some(b) = self.catalog().feature(name) {
                            features.insert(b);
                        }
                    }
                    Value::String(s) if name == "vendor" => vendor = Some(s.clone()),
                    Value::Number(n) => {
                        let n = n.as_u64().unwrap_or(0) as u32;
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
            let data = self.expansion_data(&features, vendor.as_deref(), family, model, stepping);
            return Ok(data);
        }
        Err(X86Error::NoExpansion)
    }

    /// Raw data for an expansion's properties (libvirt's `virQEMUCapsInitCPUModelX86`):
    /// the features, the `vendor` string (e.g. `GenuineIntel`) in leaf 0 and the
    /// `family`/`model`/`stepping` signature in leaf 1.
    pub(crate) fn expansion_data(
        &self,
        features: &cpucompat_lattice::FeatureSet,
        vendor: Option<&str>,
        family: u32,
        model: u32,
        stepping: u32,
    ) -> CpuData {
        let signature = crate::make_signature(family, model, stepping);
        let mut data = self.encode(features, None, Some(signature));
        if let Some(regs) = vendor.and_then(crate::data::vendor_regs) {
            data.items.retain(|i| {
                !matches!(
                    i,
                    CpuDataItem::Cpuid {
                        leaf: 0,
                        subleaf: 0,
                        ..
                    }
                )
            });
            data.items.insert(
                0,
                CpuDataItem::Cpuid {
                    leaf: 0,
                    subleaf: 0,
                    regs: [0, regs[0], regs[2], regs[1]],
                },
            );
        }
        data
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_transcript_yields_definitions_blockers_and_known_features() {
        let text = r#"{"return": {"model": {"name": "base", "props": {"pclmulqdq": true, "vmx": false}}}, "id": "x"}
{"return": [{"name": "EPYC-IBPB", "unavailable-features": ["rdtscp", "ds-cpl"]},
            {"name": "qemu64", "unavailable-features": []}], "id": "definitions"}"#;
        let h = HypervisorModels::from_qmp_json(text).unwrap();
        assert_eq!(
            h.blockers("EPYC-IBPB").unwrap(),
            &["rdtscp".to_string(), "ds_cpl".to_string()]
        );
        assert!(h.contains("qemu64"));
        assert!(!h.contains("Penryn"));
        assert_eq!(h.names().collect::<Vec<_>>(), ["EPYC-IBPB", "qemu64"]);
        assert_eq!(
            h.known_features().unwrap(),
            &["pclmuldq".to_string(), "vmx".to_string()]
        );
    }

    #[test]
    fn bad_json_names_line_and_column() {
        let err = HypervisorModels::from_qmp_json("{\"return\": [\n  {\"name\": }]}").unwrap_err();
        assert_eq!(err.to_string(), "invalid QMP reply: expected value");
        assert_eq!(
            err.pos(),
            Some(Pos {
                line: 2,
                column: 12
            })
        );
    }

    #[test]
    fn shape_errors_and_missing_definitions_are_reported() {
        let err = HypervisorModels::from_qmp_json(
            r#"{"return": [{"nam": "x", "typename": "x-x86_64-cpu"}]}"#,
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid QMP reply: a CPU definition has no \"name\" string"
        );
        let err = HypervisorModels::from_qmp_json(r#"{"return": {}}"#).unwrap_err();
        assert_eq!(err, X86Error::NoDefinitions);
        // Another command's list (query-machines) is not a model list.
        let err =
            HypervisorModels::from_qmp_json(r#"{"return": [{"name": "pc-q35-7.2"}]}"#).unwrap_err();
        assert_eq!(err, X86Error::NoDefinitions);
    }
}
