//! What a pool of hosts offers, class by class: [`PoolReport`].
//!
//! ```text
//! baseline        Engine::baseline over the classes (as `cpucompat baseline` prints it;
//!                 POWER: the compat baseline when the models differ)
//! cluster mode    the richest named model every class runs with no extra feature
//! without C       the baseline of every other class: the features the pool would regain
//!                 without C's hosts, and the cluster mode it would reach
//! holds down      C does when the pool regains anything without it (features, a level,
//!                 a cluster mode, or a baseline at all)
//! blocks          the versioned models every other class runs and C does not
//! --level vN      classes below x86-64-vN are left out (and named, with what they lack);
//!                 everything above is computed over the others
//! --split K       see the split module
//! ```
//!
//! Bounds (a pool of many distinct CPUs stays answerable): the per-class "without it"
//! baselines are computed up to [`WITHOUT_LIMIT`] classes (one baseline of the others per
//! class), the diagram up to [`DIAGRAM_LIMIT`] classes (a compare per pair); beyond,
//! [`PoolReport::without_computed`] says so, and a diagram is refused.
//!
//! The pool's baseline is computed over one CPU per class, which is the baseline of every
//! host: a baseline is a meet, and a meet does not change when an input is repeated (the
//! fleet tests check it against `Engine::baseline` over every host).
use super::classes::{ClassId, Fleet, HostNames};
use super::hasse::{self, Hasse, HasseNode};
use super::levels::X86Level;
use super::measure::{baseline_of, ClusterMode, Models, PoolBaseline, Richness, Usable};
use super::platforms::Platforms;
use super::split;
use crate::error::{Error, ErrorKind};
use crate::{Arch, BaselineOptions, Cpu};
use serde::Serialize;

/// The most classes whose "without it" baselines are computed.
pub const WITHOUT_LIMIT: usize = 1000;

/// The most classes a Hasse diagram is drawn for.
pub const DIAGRAM_LIMIT: usize = 200;

/// What to compute besides the baseline, cluster mode and classes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PoolOptions {
    /// How the baseline is computed and presented (`--features`, `--migratable`).
    pub baseline: BaselineOptions,
    /// Leave out classes below this x86-64 level (x86 only).
    pub level: Option<X86Level>,
    /// Propose this many sub-pools.
    pub split: Option<usize>,
    /// Order the classes into a Hasse diagram ([`PoolReport::diagram`]).
    pub diagram: bool,
    /// Leave out the per-class "without it" baselines (one baseline per class).
    pub skip_without: bool,
}

/// What the pool would be without one class.
#[derive(Clone, Debug, Serialize)]
pub struct Without {
    /// The baseline's model without the class.
    pub baseline_model: Option<String>,
    /// Why there would still be no baseline, if so.
    pub baseline_error: Option<String>,
    /// How rich that baseline would be.
    pub richness: Option<Richness>,
    /// The features the pool would regain, in the engine's order.
    pub gained: Vec<String>,
    /// The cluster mode it would reach (POWER: the compat mode), when different.
    pub cluster_mode: Option<String>,
    /// Whether the class alone holds the pool down.
    pub holds_down: bool,
    /// Versioned models every other class runs and this one does not, richest first.
    pub blocks: Vec<String>,
}

/// One class as the report shows it.
#[derive(Clone, Debug, Serialize)]
pub struct ClassReport {
    /// Its number.
    pub id: ClassId,
    /// How many hosts.
    pub host_count: usize,
    /// Every host, by name.
    pub hosts: HostNames,
    /// The host CPU's model.
    pub model: Option<String>,
    /// Its vendor.
    pub vendor: Option<String>,
    /// Its PVR (POWER).
    pub pvr: Option<String>,
    /// How many features it has.
    pub features: usize,
    /// Its x86-64 level.
    pub x86_level: Option<X86Level>,
    /// The richest named model it runs with no extra feature (POWER: compat mode).
    pub runs: Option<String>,
    /// Left out by `--level`: the level features it lacks.
    pub below_level: Option<Vec<String>>,
    /// The pool without it (when the pool has another class).
    pub without: Option<Without>,
}

/// One proposed sub-pool.
#[derive(Clone, Debug, Serialize)]
pub struct SubPool {
    /// Its classes.
    pub classes: Vec<ClassId>,
    /// How many hosts.
    pub hosts: usize,
    /// Its baseline.
    pub baseline: Option<PoolBaseline>,
    /// Why it has none.
    pub baseline_error: Option<String>,
    /// Its cluster mode.
    pub cluster_mode: Option<ClusterMode>,
}

/// A proposed split (see the split module).
#[derive(Clone, Debug, Serialize)]
pub struct Split {
    /// How many sub-pools.
    pub k: usize,
    /// Whether the answer is exact (up to 12 classes) or the heuristic's.
    pub exact: bool,
    /// How it was found.
    pub method: String,
    /// The sub-pools, poorest first.
    pub pools: Vec<SubPool>,
    /// The poorest sub-pool's richness (`None`: some sub-pool has no baseline).
    pub poorest: Option<Richness>,
}

/// What a pool offers (see the module documentation). Serialized as documented in
/// [`crate::fleet`].
#[derive(Clone, Debug, Serialize)]
pub struct PoolReport {
    #[serde(serialize_with = "super::ser_arch")]
    arch: Arch,
    catalog: String,
    hosts: usize,
    classes: Vec<ClassReport>,
    level: Option<X86Level>,
    baseline: Option<PoolBaseline>,
    baseline_error: Option<String>,
    cluster_mode: Option<ClusterMode>,
    held_down_by: Vec<ClassId>,
    without_computed: bool,
    split: Option<Split>,
    platforms: Option<Platforms>,
    diagram: Option<Hasse>,
}

impl PoolReport {
    /// The architecture.
    pub fn arch(&self) -> Arch {
        self.arch
    }

    /// The catalog decided with.
    pub fn catalog(&self) -> &str {
        &self.catalog
    }

    /// How many hosts.
    pub fn hosts(&self) -> usize {
        self.hosts
    }

    /// Every class, in number order (those below `--level` included, marked).
    pub fn classes(&self) -> &[ClassReport] {
        &self.classes
    }

    /// The level asked for.
    pub fn level(&self) -> Option<X86Level> {
        self.level
    }

    /// The pool baseline (of the classes at or above the level).
    pub fn baseline(&self) -> Option<&PoolBaseline> {
        self.baseline.as_ref()
    }

    /// Why the pool has no baseline.
    pub fn baseline_error(&self) -> Option<&str> {
        self.baseline_error.as_deref()
    }

    /// The cluster mode.
    pub fn cluster_mode(&self) -> Option<&ClusterMode> {
        self.cluster_mode.as_ref()
    }

    /// The classes that alone hold the pool down.
    pub fn held_down_by(&self) -> &[ClassId] {
        &self.held_down_by
    }

    /// Whether the per-class "without it" baselines were computed (not when asked to skip
    /// them, nor beyond [`WITHOUT_LIMIT`] classes).
    pub fn without_computed(&self) -> bool {
        self.without_computed
    }

    /// The proposed split, when asked.
    pub fn split(&self) -> Option<&Split> {
        self.split.as_ref()
    }

    /// Ready configuration for Nova, KubeVirt and libvirt.
    pub fn platforms(&self) -> Option<&Platforms> {
        self.platforms.as_ref()
    }

    /// The Hasse diagram, when asked.
    pub fn diagram(&self) -> Option<&Hasse> {
        self.diagram.as_ref()
    }

    /// The classes left out by the level.
    pub fn below_level(&self) -> impl Iterator<Item = &ClassReport> {
        self.classes.iter().filter(|c| c.below_level.is_some())
    }

    /// Analyses a pool.
    ///
    /// # Errors
    /// An empty pool; `--level` off x86; a split that cannot be made (0 sub-pools, more
    /// sub-pools than classes, more classes than the split handles); a diagram of more
    /// than [`DIAGRAM_LIMIT`] classes; a CPU the engine cannot judge.
    pub fn new(fleet: &Fleet, opts: &PoolOptions) -> Result<PoolReport, Error> {
        let engine = fleet.engine();
        if opts.level.is_some() && engine.arch() != Arch::X86 {
            return Err(Error::new(
                ErrorKind::Argument,
                "x86-64 levels are an x86 notion: --level does not apply",
            ));
        }
        let all: Vec<ClassId> = fleet.classes().map(|c| c.id()).collect();
        if all.is_empty() {
            return Err(Error::new(ErrorKind::NoAnswer, "the pool has no hosts"));
        }
        let models = Models::of(engine)?;
        let mut rows = Vec::with_capacity(all.len());
        let mut usable: Vec<Option<Usable>> = Vec::with_capacity(all.len());
        let mut eligible: Vec<usize> = Vec::new();
        for (n, &id) in all.iter().enumerate() {
            let Some(class) = fleet.class(id) else {
                continue;
            };
            let cpu = class.cpu();
            let def = cpu.definition();
            let features = engine.features(cpu)?;
            let x86_level = (engine.arch() == Arch::X86)
                .then(|| X86Level::of(&features))
                .flatten();
            let u = match &models {
                Some(m) => Some(m.usable(engine, cpu)?),
                None => None,
            };
            let runs = match (&models, &u) {
                (Some(m), Some(u)) => m.best(u).map(|c| c.model),
                _ => engine
                    .ppc64()
                    .and_then(|p| p.compat_baseline([cpu]).ok())
                    .map(|(b, _)| b.mode().name().to_string()),
            };
            let below_level = match opts.level {
                Some(l) if x86_level < Some(l) => Some(l.missing(&features)),
                _ => None,
            };
            if below_level.is_none() {
                eligible.push(n);
            }
            rows.push(ClassReport {
                id,
                host_count: class.len(),
                hosts: fleet.host_names(class),
                model: def.model_name().map(str::to_string),
                vendor: def.vendor.clone(),
                pvr: match engine.ppc64() {
                    Some(p) => p.pvr_of(cpu)?.map(|v| v.to_string()),
                    None => None,
                },
                features: features.len(),
                x86_level,
                runs,
                below_level,
                without: None,
            });
            usable.push(u);
        }
        let cpu_of = |n: usize| fleet.class(all[n]).map(|c| c.cpu());
        let cpus_of =
            |ns: &[usize]| -> Vec<&Cpu> { ns.iter().filter_map(|&n| cpu_of(n)).collect() };
        let cluster_of = |ns: &[usize], b: Option<&PoolBaseline>| -> Option<ClusterMode> {
            match &models {
                Some(m) => {
                    let mut u = Usable::all(m.len());
                    for &n in ns {
                        if let Some(x) = &usable[n] {
                            u.and(x);
                        }
                    }
                    m.best(&u)
                }
                None => b.and_then(|b| b.compat_mode()).map(|name| ClusterMode {
                    model: name.to_string(),
                    alias_of: None,
                    features: 0,
                    x86_level: None,
                }),
            }
        };
        let (baseline, baseline_error) = if eligible.is_empty() {
            let l = opts
                .level
                .map_or_else(String::new, |l| format!("x86-64-{l}"));
            (None, Some(format!("no host of the pool reaches {l}")))
        } else {
            match baseline_of(engine, &cpus_of(&eligible), &opts.baseline) {
                Ok(b) => (Some(b), None),
                Err(e) => (None, Some(e.to_string())),
            }
        };
        let cluster_mode = if eligible.is_empty() {
            None
        } else {
            cluster_of(&eligible, baseline.as_ref())
        };
        // Without each class.
        let quick = BaselineOptions {
            expand_features: false,
            ..opts.baseline
        };
        let mut held_down_by = Vec::new();
        let without_computed =
            eligible.len() > 1 && !opts.skip_without && eligible.len() <= WITHOUT_LIMIT;
        if without_computed {
            for &n in &eligible {
                let others: Vec<usize> = eligible.iter().copied().filter(|&m| m != n).collect();
                let b = baseline_of(engine, &cpus_of(&others), &quick);
                let mode = cluster_of(&others, b.as_ref().ok());
                let (gained, richness, model, error) = match &b {
                    Ok(b) => {
                        let have = baseline.as_ref().map(|x| x.features()).unwrap_or(&[]);
                        let gained: Vec<String> = b
                            .features()
                            .iter()
                            .filter(|f| !have.contains(f))
                            .cloned()
                            .collect();
                        (
                            gained,
                            Some(b.richness()),
                            b.model().map(str::to_string),
                            None,
                        )
                    }
                    Err(e) => (Vec::new(), None, None, Some(e.to_string())),
                };
                let cluster_changed =
                    mode.as_ref().map(|m| &m.model) != cluster_mode.as_ref().map(|m| &m.model);
                let holds_down = !gained.is_empty()
                    || richness > baseline.as_ref().map(|b| b.richness())
                    || (cluster_changed && mode.is_some());
                let blocks = match (&models, &usable[n]) {
                    (Some(m), Some(mine)) => {
                        let mut u = Usable::all(m.len());
                        for &o in &others {
                            if let Some(x) = &usable[o] {
                                u.and(x);
                            }
                        }
                        m.only_in(&u, mine)
                    }
                    _ => Vec::new(),
                };
                if holds_down {
                    held_down_by.push(all[n]);
                }
                rows[n].without = Some(Without {
                    baseline_model: model,
                    baseline_error: error,
                    richness,
                    gained,
                    cluster_mode: if cluster_changed {
                        mode.map(|m| m.model)
                    } else {
                        None
                    },
                    holds_down,
                    blocks,
                });
            }
        }
        let split = match opts.split {
            Some(k) => {
                let cpus = cpus_of(&eligible);
                let part = split::split(engine, &cpus, k, &quick)?;
                let mut pools = Vec::new();
                for g in &part.groups {
                    let ns: Vec<usize> = g.iter().map(|&i| eligible[i]).collect();
                    let b = baseline_of(engine, &cpus_of(&ns), &opts.baseline);
                    let cluster = cluster_of(&ns, b.as_ref().ok());
                    let (baseline, baseline_error) = match b {
                        Ok(b) => (Some(b), None),
                        Err(e) => (None, Some(e.to_string())),
                    };
                    pools.push(SubPool {
                        classes: ns.iter().map(|&n| all[n]).collect(),
                        hosts: ns.iter().map(|&n| rows[n].host_count).sum(),
                        baseline,
                        baseline_error,
                        cluster_mode: cluster,
                    });
                }
                let score = |p: &SubPool| p.baseline.as_ref().map(|b| b.richness());
                pools.sort_by(|a, b| score(a).cmp(&score(b)).then(a.classes.cmp(&b.classes)));
                let poorest = pools.iter().map(score).min().flatten();
                Some(Split {
                    k,
                    exact: part.exact,
                    method: if part.exact {
                        format!(
                            "exact: every sub-pool of the {} classes has its real baseline, and every partition is searched",
                            eligible.len()
                        )
                    } else {
                        format!(
                            "heuristic ({} classes, more than {}): greedy merging by the richest meet of lattice points, then single-class moves; real baselines of the result",
                            eligible.len(),
                            split::EXACT_LIMIT
                        )
                    },
                    pools,
                    poorest,
                })
            }
            None => None,
        };
        let platforms = match (&baseline, &cluster_mode) {
            (Some(b), mode) => Some(Platforms::new(
                engine,
                b,
                mode.as_ref(),
                &cpus_of(&eligible),
                models.as_ref(),
                {
                    let mut u = models.as_ref().map(|m| Usable::all(m.len()));
                    if let Some(u) = &mut u {
                        for &n in &eligible {
                            if let Some(x) = &usable[n] {
                                u.and(x);
                            }
                        }
                    }
                    u
                }
                .as_ref(),
                fleet.hosts(),
                eligible.len(),
            )?),
            _ => None,
        };
        if opts.diagram && eligible.len() > DIAGRAM_LIMIT {
            return Err(Error::new(
                ErrorKind::Argument,
                format!(
                    "the diagram draws at most {DIAGRAM_LIMIT} CPU classes; this pool has {}",
                    eligible.len()
                ),
            ));
        }
        let diagram = if opts.diagram {
            let ids: Vec<ClassId> = eligible.iter().map(|&n| all[n]).collect();
            let le = hasse::order(fleet, &ids)?;
            let with_bottom = baseline.is_some();
            let m = ids.len() + usize::from(with_bottom);
            let mut full = vec![vec![false; m]; m];
            let off = usize::from(with_bottom);
            for i in 0..ids.len() {
                for j in 0..ids.len() {
                    full[i + off][j + off] = le[i][j];
                }
            }
            if with_bottom {
                for row in full.iter_mut() {
                    row[0] = false;
                }
                for x in full[0].iter_mut() {
                    *x = true;
                }
            }
            let (edges, layer) = hasse::reduce(&full);
            let mut nodes = Vec::with_capacity(m);
            if let Some(b) = &baseline {
                nodes.push(HasseNode {
                    id: "baseline".into(),
                    class: None,
                    model: b.model().map(str::to_string),
                    runs: cluster_mode
                        .as_ref()
                        .map(|c| c.model.clone())
                        .or_else(|| b.compat_mode().map(str::to_string)),
                    hosts: eligible.iter().map(|&n| rows[n].host_count).sum(),
                    host_names: Vec::new(),
                    features: b.features().len(),
                    x86_level: b.x86_level().map(|l| l.to_string()),
                    layer: layer[0],
                });
            }
            for (i, &n) in eligible.iter().enumerate() {
                let r = &rows[n];
                nodes.push(HasseNode {
                    id: r.id.to_string(),
                    class: Some(r.id),
                    model: r.model.clone(),
                    runs: r.runs.clone(),
                    hosts: r.host_count,
                    host_names: r.hosts.first(3),
                    features: r.features,
                    x86_level: r.x86_level.map(|l| l.to_string()),
                    layer: layer[i + off],
                });
            }
            Some(Hasse { nodes, edges })
        } else {
            None
        };
        Ok(PoolReport {
            arch: engine.arch(),
            catalog: engine.catalog(),
            hosts: fleet.hosts(),
            classes: rows,
            level: opts.level,
            baseline,
            baseline_error,
            cluster_mode,
            held_down_by,
            without_computed,
            split,
            platforms,
            diagram,
        })
    }
}
