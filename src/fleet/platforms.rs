//! Ready configuration for the platforms operators run: OpenStack Nova's `[libvirt]`
//! section, a KubeVirt VMI's `spec.domain.cpu` with the node selector its pod gets, and the
//! libvirt domain `<cpu>` element.
//!
//! All three say the same thing: the cluster mode plus, as `require`d features, what the
//! pool's migratable baseline has beyond it (x86: `invtsc` and other features that block
//! migration are left out, whatever `--migratable` says, since a cluster CPU exists to
//! migrate). The element is checked against every class before it is offered.
//!
//! * Nova (`nova/conf/libvirt.py`): `cpu_mode = custom`; `cpu_models` is ordered, and an
//!   instance gets the first model whose features hold every CPU trait its flavor
//!   requires, so the list runs from older models every host also runs up to the cluster
//!   mode; `cpu_model_extra_flags` are `+flag`s applied to whichever model is chosen.
//! * KubeVirt: `spec.domain.cpu.model` and `features` (policy `require`); the
//!   virt-controller then selects nodes labelled `cpu-model.node.kubevirt.io/<model>` and
//!   `cpu-feature.node.kubevirt.io/<feature>` for each required feature. A model on
//!   KubeVirt's default obsolete list never gets a node label: a warning says so.
//! * POWER: the compat mode as libvirt writes it (`host-model` naming `powerN`); Nova and
//!   KubeVirt get no snippet.
use super::hasse::runs;
use super::measure::{baseline_of, ClusterMode, Models, PoolBaseline, Usable};
use crate::error::Error;
use crate::xml::model::{CpuDef, Fallback, Feature, Policy};
use crate::{Arch, BaselineOptions, Cpu, Engine};
use serde::Serialize;
use std::fmt::Write as _;

/// KubeVirt's default `obsoleteCPUModels` (virt-handler's node-labeller): models that get
/// no `cpu-model` node label unless the cluster configures its own list.
pub const KUBEVIRT_OBSOLETE: [&str; 17] = [
    "486",
    "pentium",
    "pentium2",
    "pentium3",
    "pentiumpro",
    "coreduo",
    "n270",
    "core2duo",
    "Conroe",
    "athlon",
    "phenom",
    "qemu64",
    "qemu32",
    "kvm64",
    "kvm32",
    "Opteron_G1",
    "Opteron_G2",
];

/// Nova's `[libvirt]` CPU options.
#[derive(Clone, Debug, Serialize)]
pub struct Nova {
    /// `cpu_mode`.
    pub cpu_mode: String,
    /// `cpu_models`, in order.
    pub cpu_models: Vec<String>,
    /// `cpu_model_extra_flags`.
    pub cpu_model_extra_flags: Vec<String>,
    /// The `nova.conf` lines.
    pub snippet: String,
}

/// A KubeVirt CPU feature.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct KubeVirtFeature {
    /// The libvirt feature name.
    pub name: String,
    /// `require`, `disable` …
    pub policy: String,
}

/// KubeVirt's VMI CPU and the node selector it gets.
#[derive(Clone, Debug, Serialize)]
pub struct KubeVirt {
    /// `spec.domain.cpu.model`.
    pub model: String,
    /// `spec.domain.cpu.features`.
    pub features: Vec<KubeVirtFeature>,
    /// The node labels the VMI's pod selects.
    pub node_selector: Vec<String>,
    /// A warning, when the labels would never be set.
    pub warning: Option<String>,
    /// The YAML.
    pub snippet: String,
}

/// The three snippets.
#[derive(Clone, Debug, Serialize)]
pub struct Platforms {
    /// The libvirt domain `<cpu>` element.
    pub libvirt: String,
    /// Whether every class of the pool runs that element (checked by compare).
    pub runs_everywhere: bool,
    /// Nova (x86, s390x).
    pub nova: Option<Nova>,
    /// KubeVirt (x86, s390x).
    pub kubevirt: Option<KubeVirt>,
}

impl Platforms {
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        engine: &Engine,
        baseline: &PoolBaseline,
        mode: Option<&ClusterMode>,
        cpus: &[&Cpu],
        models: Option<&Models>,
        usable: Option<&Usable>,
        hosts: usize,
        classes: usize,
    ) -> Result<Platforms, Error> {
        let (Some(mode), Some(models), Some(usable)) = (mode, models, usable) else {
            // POWER (or no named model runs everywhere): the baseline as it is.
            let cpu = baseline.cpu();
            return Ok(Platforms {
                libvirt: cpu.to_xml(),
                runs_everywhere: all_run(engine, cpus, cpu)?,
                nova: None,
                kubevirt: None,
            });
        };
        let migratable = if engine.arch() == Arch::X86 {
            let opts = BaselineOptions {
                expand_features: false,
                migratable: true,
            };
            baseline_of(engine, cpus, &opts)?
        } else {
            baseline.clone()
        };
        // The cluster mode plus the baseline's other features, when the engine accepts
        // that and every class runs it; else the (migratable) baseline as it is (an
        // s390x cluster mode cannot always carry features of a later generation).
        let own = engine.expand(&mode.model)?;
        let extra: Vec<String> = migratable
            .features()
            .iter()
            .filter(|f| !own.features().contains(f))
            .cloned()
            .collect();
        let mut def = CpuDef::custom_guest(&mode.model, Fallback::Forbid);
        def.features = extra
            .iter()
            .map(|f| Feature::new(f, Some(Policy::Require)))
            .collect();
        let on_mode = match engine.cpu(def) {
            Ok(cpu) if all_run(engine, cpus, &cpu)? => Some(cpu),
            _ => None,
        };
        let (cpu, model, features, chain) = match on_mode {
            Some(cpu) => {
                let features: Vec<(String, Policy)> =
                    extra.into_iter().map(|f| (f, Policy::Require)).collect();
                let chain = models.chain_below(usable, &mode.model, 2);
                (cpu, mode.model.clone(), features, chain)
            }
            None => {
                let cpu = migratable.cpu().clone();
                let def = cpu.definition();
                let model = def.model_name().unwrap_or_default().to_string();
                let features: Vec<(String, Policy)> = def
                    .features
                    .iter()
                    .map(|f| (f.name.clone(), def.policy_of(f)))
                    .collect();
                (cpu, model.clone(), features, vec![model])
            }
        };
        let runs_everywhere = all_run(engine, cpus, &cpu)?;
        let required: Vec<&str> = features
            .iter()
            .filter(|(_, p)| matches!(p, Policy::Require | Policy::Force))
            .map(|(n, _)| n.as_str())
            .collect();
        let head = format!(
            "{hosts} host{} in {classes} CPU class{}: every host runs {model} with {} feature{} more or less",
            if hosts == 1 { "" } else { "s" },
            if classes == 1 { "" } else { "es" },
            features.len(),
            if features.len() == 1 { "" } else { "s" }
        );
        let flags: Vec<String> = features
            .iter()
            .map(|(f, p)| match p {
                Policy::Disable | Policy::Forbid => format!("-{f}"),
                _ => format!("+{f}"),
            })
            .collect();
        let mut nova = String::new();
        let _ = writeln!(nova, "# cpucompat pool: {head}");
        let _ = writeln!(
            nova,
            "# Nova gives an instance the first model holding every CPU trait its flavor requires:"
        );
        let _ = writeln!(
            nova,
            "# instances without CPU traits get {}; list only {} to give them the cluster mode.",
            chain.first().map_or(model.as_str(), String::as_str),
            model
        );
        let _ = writeln!(nova, "[libvirt]");
        let _ = writeln!(nova, "cpu_mode = custom");
        let _ = writeln!(nova, "cpu_models = {}", chain.join(","));
        if !flags.is_empty() {
            let _ = writeln!(nova, "cpu_model_extra_flags = {}", flags.join(","));
        }
        let _ = writeln!(nova, "[workarounds]");
        let _ = writeln!(nova, "skip_cpu_compare_on_dest = False");
        let mut selector = vec![format!("cpu-model.node.kubevirt.io/{model}")];
        selector.extend(
            required
                .iter()
                .map(|f| format!("cpu-feature.node.kubevirt.io/{f}")),
        );
        let base = model.strip_suffix("-v1").unwrap_or(&model);
        let warning = KUBEVIRT_OBSOLETE.contains(&base).then(|| {
            format!(
                "{model} is on KubeVirt's default obsoleteCPUModels list: no node gets its cpu-model label unless spec.configuration.obsoleteCPUModels is set without it"
            )
        });
        let mut kv = String::new();
        let _ = writeln!(kv, "# cpucompat pool: {head}");
        if let Some(w) = &warning {
            let _ = writeln!(kv, "# warning: {w}");
        }
        let _ = writeln!(kv, "spec:");
        let _ = writeln!(kv, "  domain:");
        let _ = writeln!(kv, "    cpu:");
        let _ = writeln!(kv, "      model: {model}");
        if !features.is_empty() {
            let _ = writeln!(kv, "      features:");
            for (f, p) in &features {
                let _ = writeln!(kv, "      - {{name: {f}, policy: {}}}", p.as_str());
            }
        }
        let _ = writeln!(
            kv,
            "# virt-controller gives the VMI's pod this node selector:"
        );
        let _ = writeln!(kv, "#   nodeSelector:");
        for l in &selector {
            let _ = writeln!(kv, "#     {l}: \"true\"");
        }
        Ok(Platforms {
            libvirt: cpu.to_xml(),
            runs_everywhere,
            nova: Some(Nova {
                cpu_mode: "custom".into(),
                cpu_models: chain,
                cpu_model_extra_flags: flags,
                snippet: nova,
            }),
            kubevirt: Some(KubeVirt {
                model,
                features: features
                    .iter()
                    .map(|(f, p)| KubeVirtFeature {
                        name: f.clone(),
                        policy: p.as_str().to_string(),
                    })
                    .collect(),
                node_selector: selector,
                warning,
                snippet: kv,
            }),
        })
    }
}

fn all_run(engine: &Engine, hosts: &[&Cpu], guest: &Cpu) -> Result<bool, Error> {
    for h in hosts {
        if !runs(engine, h, guest)? {
            return Ok(false);
        }
    }
    Ok(true)
}
