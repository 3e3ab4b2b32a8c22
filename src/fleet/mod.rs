//! Fleet planning: what a pool of hosts offers, where a guest can start or migrate, what a
//! change to the pool or to the catalogs does — built only from the engine's own answers
//! ([`Engine::read_pool`], [`Engine::baseline`], [`Engine::compare`],
//! [`Engine::usability`], [`Engine::expand`], [`Engine::features`], [`Engine::point`],
//! [`Engine::guest_of`], [`Engine::for_host`], the x86 extension's update and the POWER
//! extension's compat baseline). Nothing here decides what an adapter decides.
//!
//! | question | entry point | answer |
//! | --- | --- | --- |
//! | which CPU classes, baseline and cluster mode does a pool have, and which classes hold it down? | [`Fleet::read`], [`PoolReport::new`] | [`PoolReport`] |
//! | how to split it into K pools with the richest poorest pool? | [`PoolOptions::split`] | [`Split`] |
//! | where can this guest start? | [`place`] | [`Placement`] |
//! | where can it live-migrate from this host? | [`migrate`] | [`Placement`] |
//! | what if hosts come and go? | [`WhatIf::new`] | [`WhatIf`] |
//! | what does a catalog upgrade change? | [`upgrade_check`], [`catalog_diff`] | [`UpgradeCheck`] |
//! | which x86-64 level is a CPU? | [`x86_level`], [`X86Level::of`] | [`X86Level`] |
//!
//! ```
//! use cpucompat::fleet::{Fleet, PoolOptions, PoolReport};
//! use cpucompat::{Arch, Engine, Input};
//!
//! let engine = Engine::new(Arch::X86)?;
//! let hosts = "<hosts>
//!   <cpu><arch>x86_64</arch><model>Skylake-Client-v4</model></cpu>
//!   <cpu><arch>x86_64</arch><model>Skylake-Client-v4</model></cpu>
//!   <cpu><arch>x86_64</arch><model>Haswell-v4</model></cpu>
//! </hosts>";
//! let fleet = Fleet::read(&engine, [Input::from_text("pool.xml", hosts)])?;
//! assert_eq!((fleet.hosts(), fleet.class_count()), (3, 2));
//! let report = PoolReport::new(&fleet, &PoolOptions::default())?;
//! assert_eq!(report.cluster_mode().unwrap().model, "Haswell-v4");
//! // The Haswell host (class C2) alone holds the pool down.
//! assert_eq!(report.held_down_by()[0].to_string(), "C2");
//! let without = report.classes()[1].without.as_ref().unwrap();
//! assert!(!without.gained.is_empty());
//! assert_eq!(without.cluster_mode.as_deref(), Some("Skylake-Client-v4"));
//! # Ok::<(), cpucompat::Error>(())
//! ```
//!
//! # JSON
//!
//! Every result serializes (serde) into the shape the command line prints with
//! `--format json`:
//!
//! ```text
//! PoolReport  {"arch", "catalog", "hosts": n, "level": "v3"|null,
//!              "classes": [{"id": "C1", "host_count", "hosts": [name], "model", "vendor",
//!                           "pvr", "features": n, "x86_level", "runs",
//!                           "below_level": [feature]|null,
//!                           "without": {"baseline_model", "baseline_error", "richness",
//!                                       "gained": [feature], "cluster_mode",
//!                                       "holds_down", "blocks": [model]}|null}],
//!              "baseline": PoolBaseline|null, "baseline_error": string|null,
//!              "cluster_mode": {"model", "alias_of", "features", "x86_level"}|null,
//!              "held_down_by": ["C2"], "without_computed": bool,
//!              "split": {"k", "exact", "method", "poorest": Richness|null,
//!                        "pools": [{"classes", "hosts", "baseline", "baseline_error",
//!                                   "cluster_mode"}]}|null,
//!              "platforms": {"libvirt": xml, "runs_everywhere",
//!                            "nova": {"cpu_mode", "cpu_models", "cpu_model_extra_flags",
//!                                     "snippet"}|null,
//!                            "kubevirt": {"model", "features", "node_selector", "warning",
//!                                         "snippet"}|null}|null,
//!              "diagram": {"nodes": [{"id", "class", "model", "runs", "hosts",
//!                                     "host_names", "features", "x86_level", "layer"}],
//!                          "edges": [[lower, upper]]}|null}
//! PoolBaseline {"model", "x86_level", "compat_mode", "richness": {"level", "features"},
//!               "features": [name], "cpu": <cpu JSON>, "xml": string}
//! Placement   {"arch", "catalog", "guest": {"name", "mode", "model", "features",
//!              "x86_level"}, "source": {"name", "model", "starts", "reasons", "live"}|null,
//!              "warnings": [string], "hosts", "fitting_hosts",
//!              "targets": [{"class", "hosts", "model", "fits", "verdict", "reasons":
//!                           [{"rule", "message"}], "missing", "forbidden", "x86_level"}]}
//! WhatIf      {"before": PoolSummary, "after": PoolSummary, "new_classes", "gone_classes",
//!              "gained", "lost", "guests": [{"name", "model", "before": Reach,
//!              "after": Reach, "status"}]}
//! UpgradeCheck {"catalogs": {"from", "to", "changed": [{"model", "added", "removed",
//!               "details"}], "added", "dropped", "renamed": [[old, new]]},
//!               "hosts", "guests": [{"name", "model", "model_change", "invalid_after",
//!               "features_added", "features_removed", "before": Reach, "after": Reach,
//!               "lost_hosts": [{"host", "reasons"}], "gained_hosts", "status"}]}
//! Reach       {"starts": hosts, "targets": hosts}
//! ```
//!
//! [`Engine::read_pool`]: crate::Engine::read_pool
//! [`Engine::baseline`]: crate::Engine::baseline
//! [`Engine::compare`]: crate::Engine::compare
//! [`Engine::usability`]: crate::Engine::usability
//! [`Engine::expand`]: crate::Engine::expand
//! [`Engine::features`]: crate::Engine::features
//! [`Engine::point`]: crate::Engine::point
//! [`Engine::guest_of`]: crate::Engine::guest_of
//! [`Engine::for_host`]: crate::Engine::for_host
mod classes;
mod hasse;
mod levels;
mod measure;
mod place;
mod platforms;
mod pool;
mod split;
mod upgrade;
mod whatif;

pub use classes::{Class, ClassId, Fleet, HostNames};
pub use hasse::{Hasse, HasseNode};
pub use levels::{X86Level, LEVELS};
pub use measure::{x86_level, ClusterMode, PoolBaseline, Richness};
pub use place::{migrate, place, GuestInfo, Obstacle, PlaceOptions, Placement, SourceInfo, Target};
pub use platforms::{KubeVirt, KubeVirtFeature, Nova, Platforms, KUBEVIRT_OBSOLETE};
pub use pool::{
    ClassReport, PoolOptions, PoolReport, Split, SubPool, Without, DIAGRAM_LIMIT, WITHOUT_LIMIT,
};
pub use split::{EXACT_LIMIT, HEURISTIC_LIMIT};
pub use upgrade::{
    catalog_diff, upgrade_check, CatalogDiff, GuestUpgrade, LostHost, ModelChange, UpgradeCheck,
};
pub use whatif::{reach, GuestImpact, PoolSummary, Reach, WhatIf};

/// An architecture as JSON: its canonical name.
fn ser_arch<S: serde::Serializer>(a: &crate::Arch, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(a.as_str())
}
