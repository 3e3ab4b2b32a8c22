//! What a (sub-)pool can offer: its baseline, how rich that baseline is, and its cluster
//! mode. Every value here is an engine answer; this module only collects them.
//!
//! ```text
//! baseline(P)      = Engine::baseline(P)                    x86, s390x
//!                  = Engine::baseline(P), else the compat    POWER (a pool of one model
//!                    baseline (host-model + compat mode)     keeps its raw-mode baseline)
//! richness(P)      = (level, |features|) of point(baseline(P)); POWER: the compat mode's
//!                    level (no feature bits); compared level first
//! cluster mode(P)  = the richest named model every class of P runs with no extra
//!                    feature (Engine::usability), x86 and s390x; POWER: the compat mode
//! ```
//!
//! Named models are ranked by level (s390x generation and GA), then feature count, then
//! versioned names before the aliases that point to them (`Haswell-v4` before
//! `Haswell-noTSX-IBRS`, as QEMU advises for a stable guest ABI), then catalog order.
use super::levels::X86Level;
use crate::error::Error;
use crate::{Arch, BaselineOptions, Cpu, Details, Engine};
use serde::Serialize;
use std::collections::HashMap;

/// How rich a baseline is: its level (s390x generation and GA, POWER compat mode; 0 on
/// x86), then how many features it has. Larger is richer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Default)]
pub struct Richness {
    /// The level's rank on the architecture's chain.
    pub level: u32,
    /// The number of features.
    pub features: u32,
}

/// A pool's baseline with what the fleet module reads off it.
#[derive(Clone, Debug)]
pub struct PoolBaseline {
    cpu: Cpu,
    features: Vec<String>,
    x86_level: Option<X86Level>,
    compat_mode: Option<String>,
    richness: Richness,
}

impl PoolBaseline {
    /// The baseline CPU (a guest definition).
    pub fn cpu(&self) -> &Cpu {
        &self.cpu
    }

    /// Its model.
    pub fn model(&self) -> Option<&str> {
        self.cpu.model()
    }

    /// Every feature it has (x86: catalog order; s390x: bit order; POWER: none).
    pub fn features(&self) -> &[String] {
        &self.features
    }

    /// Its x86-64 level (x86).
    pub fn x86_level(&self) -> Option<X86Level> {
        self.x86_level
    }

    /// The POWER compat mode every host of the pool supports.
    pub fn compat_mode(&self) -> Option<&str> {
        self.compat_mode.as_deref()
    }

    /// How rich it is.
    pub fn richness(&self) -> Richness {
        self.richness
    }
}

impl Serialize for PoolBaseline {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("PoolBaseline", 7)?;
        st.serialize_field("model", &self.model())?;
        st.serialize_field("x86_level", &self.x86_level)?;
        st.serialize_field("compat_mode", &self.compat_mode)?;
        st.serialize_field("richness", &self.richness)?;
        st.serialize_field("features", &self.features)?;
        st.serialize_field("cpu", &self.cpu.to_json())?;
        st.serialize_field("xml", &self.cpu.to_xml())?;
        st.end()
    }
}

/// The x86-64 level of a CPU on an x86 engine (`None` elsewhere, or below v1).
///
/// # Errors
/// A CPU read by another engine.
pub fn x86_level(engine: &Engine, cpu: &Cpu) -> Result<Option<X86Level>, Error> {
    if engine.arch() != Arch::X86 {
        return Ok(None);
    }
    Ok(X86Level::of(&engine.features(cpu)?))
}

/// The baseline of some CPUs, measured (see the module documentation).
///
/// # Errors
/// No common CPU (the engine's error, naming the CPU where the fold failed).
pub(crate) fn baseline_of(
    engine: &Engine,
    cpus: &[&Cpu],
    opts: &BaselineOptions,
) -> Result<PoolBaseline, Error> {
    if let Some(ppc) = engine.ppc64() {
        let compat = ppc.compat_baseline(cpus.iter().copied());
        let plain = engine.baseline(cpus.iter().copied(), opts);
        let (cpu, mode) = match (plain, compat) {
            (Ok(b), Ok((c, _))) => (b.into_cpu(), Some(c)),
            (Err(_), Ok((c, cpu))) => (cpu, Some(c)),
            (Ok(b), Err(_)) => (b.into_cpu(), None),
            (Err(_), Err(e)) => return Err(e),
        };
        let level = match &mode {
            Some(c) => c.level().rank(),
            None => engine.point(&cpu)?.level.rank(),
        };
        return Ok(PoolBaseline {
            cpu,
            features: Vec::new(),
            x86_level: None,
            compat_mode: mode.map(|c| c.mode().name().to_string()),
            richness: Richness { level, features: 0 },
        });
    }
    let cpu = engine.baseline(cpus.iter().copied(), opts)?.into_cpu();
    let point = engine.point(&cpu)?;
    let features = engine.feature_names(&point.features);
    Ok(PoolBaseline {
        x86_level: (engine.arch() == Arch::X86)
            .then(|| X86Level::of(&features))
            .flatten(),
        richness: Richness {
            level: point.level.rank(),
            features: features.len() as u32,
        },
        features,
        cpu,
        compat_mode: None,
    })
}

/// A named model every host of a pool runs (see the module documentation).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ClusterMode {
    /// The model (POWER: the compat mode).
    pub model: String,
    /// The model it is an alias of, if any.
    pub alias_of: Option<String>,
    /// How many features it has.
    pub features: usize,
    /// Its x86-64 level (x86).
    pub x86_level: Option<X86Level>,
}

/// The engine's named models, ranked, and each class's usable set.
pub(crate) struct Models {
    names: Vec<String>,
    alias_of: Vec<Option<String>>,
    vendors: Vec<Option<String>>,
    features: Vec<usize>,
    levels: Vec<Option<X86Level>>,
    rank: Vec<(u32, usize, bool, usize)>,
    by_name: HashMap<String, usize>,
}

/// Which models of [`Models`] a CPU runs, one flag per model.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Usable(Vec<bool>);

impl Usable {
    pub(crate) fn all(n: usize) -> Usable {
        Usable(vec![true; n])
    }

    pub(crate) fn and(&mut self, other: &Usable) {
        for (a, b) in self.0.iter_mut().zip(&other.0) {
            *a &= *b;
        }
    }
}

impl Models {
    /// The engine's migration-safe models with their rank; `None` on POWER (whose cluster mode is a
    /// compat mode).
    pub(crate) fn of(engine: &Engine) -> Result<Option<Models>, Error> {
        if engine.arch() == Arch::Ppc64 {
            return Ok(None);
        }
        let mut m = Models {
            names: Vec::new(),
            alias_of: Vec::new(),
            vendors: Vec::new(),
            features: Vec::new(),
            levels: Vec::new(),
            rank: Vec::new(),
            by_name: HashMap::new(),
        };
        // s390x: `max` and `host` change with the host and the QEMU release; only
        // migration-safe definitions can be a cluster mode.
        let unsafe_names: Vec<String> = engine.s390x().map_or_else(Vec::new, |s| {
            s.definitions()
                .into_iter()
                .filter(|d| !d.migration_safe)
                .map(|d| d.name)
                .collect()
        });
        for info in engine.models() {
            if unsafe_names.iter().any(|n| n == info.name()) {
                continue;
            }
            let i = m.names.len();
            let e = engine.expand(info.name())?;
            let level = match e.details() {
                Details::S390x { generation, ga, .. } => {
                    cpucompat_lattice::Level::pair(u16::from(*generation), u16::from(*ga)).rank()
                }
                _ => 0,
            };
            m.by_name.insert(info.name().to_string(), i);
            m.names.push(info.name().to_string());
            m.alias_of.push(info.canonical().map(str::to_string));
            m.vendors.push(info.vendor().map(str::to_string));
            m.features.push(e.features().len());
            m.levels.push(
                (engine.arch() == Arch::X86)
                    .then(|| X86Level::of(e.features()))
                    .flatten(),
            );
            m.rank
                .push((level, e.features().len(), info.canonical().is_none(), i));
        }
        Ok(Some(m))
    }

    pub(crate) fn len(&self) -> usize {
        self.names.len()
    }

    /// The models `cpu` runs with no extra feature.
    pub(crate) fn usable(&self, engine: &Engine, cpu: &Cpu) -> Result<Usable, Error> {
        let mut u = vec![false; self.names.len()];
        for m in engine.usability(cpu)? {
            if let Some(&i) = self.by_name.get(m.name()) {
                u[i] = m.usable();
            }
        }
        Ok(Usable(u))
    }

    /// The richest model of a usable set.
    pub(crate) fn best(&self, usable: &Usable) -> Option<ClusterMode> {
        (0..self.names.len())
            .filter(|&i| usable.0[i])
            .max_by_key(|&i| self.rank[i])
            .map(|i| self.mode(i))
    }

    fn mode(&self, i: usize) -> ClusterMode {
        ClusterMode {
            model: self.names[i].clone(),
            alias_of: self.alias_of[i].clone(),
            features: self.features[i],
            x86_level: self.levels[i],
        }
    }

    /// Versioned models (no aliases) in `a` and not in `b`, richest first.
    pub(crate) fn only_in(&self, a: &Usable, b: &Usable) -> Vec<String> {
        let mut v: Vec<usize> = (0..self.names.len())
            .filter(|&i| a.0[i] && !b.0[i] && self.alias_of[i].is_none())
            .collect();
        v.sort_by(|x, y| self.rank[*y].cmp(&self.rank[*x]));
        v.into_iter().map(|i| self.names[i].clone()).collect()
    }

    /// Up to `n` versioned models of a usable set ranked just below `top` and of its
    /// vendor, poorest first, then `top` (Nova's ordered `cpu_models`).
    pub(crate) fn chain_below(&self, usable: &Usable, top: &str, n: usize) -> Vec<String> {
        let Some(&t) = self.by_name.get(top) else {
            return Vec::new();
        };
        let mut v: Vec<usize> = (0..self.names.len())
            .filter(|&i| usable.0[i] && self.alias_of[i].is_none() && i != t)
            .filter(|&i| self.rank[i] < self.rank[t] && self.vendors[i] == self.vendors[t])
            .collect();
        v.sort_by_key(|&i| self.rank[i]);
        let skip = v.len().saturating_sub(n);
        v.into_iter()
            .skip(skip)
            .chain(std::iter::once(t))
            .map(|i| self.names[i].clone())
            .collect()
    }
}
