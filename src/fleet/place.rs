//! Where can a guest start ([`place`]), and where can it live-migrate from a given source
//! ([`migrate`])?
//!
//! Both answer per class of the candidate hosts, with the engine's compare (on s390x
//! judged by QEMU with the class's host as the host model, as `hypervisor-cpu-compare`
//! does). A class that cannot take the guest lists the rules that fail: the adapters'
//! (`libvirt-missing`, `qemu-compat` …), and the fleet's own:
//!
//! | rule | when |
//! | --- | --- |
//! | `x86-64-level` | `--level vN` is asked and the CPU the guest gets there is below it |
//! | `source` | the guest does not start on the migration source, so it goes nowhere |
//! | `libvirt-invtsc` | the live CPU has `invtsc` and no TSC frequency is set: libvirt's source refuses every migration ("domain has 'invtsc' CPU feature but TSC frequency is not specified") |
//!
//! A migration moves the guest's *live* CPU, which libvirt computes on the source at start
//! and which the destination must run (libvirt's per-mode rules, `fleet-semantics` §2):
//!
//! | guest | live CPU on the source (then compared with each destination) |
//! | --- | --- |
//! | x86 custom, host-model | libvirt's update against the source's migratable CPU ([`crate::X86Ext::update`]): `host-model` and `match='minimum'` become the source's model and features, optional features are resolved |
//! | x86 host-passthrough, maximum | the source's CPU without the features that block migration (QEMU's `migratable=on`: the baseline of the source alone with `--migratable`); libvirt checks nothing, so this is the only safe reading (a warning says so) |
//! | POWER compat mode (`host-model` naming `powerN`) | the compat mode itself: the destination must support it |
//! | POWER custom, host-passthrough, plain host-model | the source's CPU with its PVR: raw mode, so QEMU needs the same family and DD class |
//! | s390x custom | the guest as QEMU reads it, compared by QEMU on each destination |
//! | s390x host-model, host-passthrough, max | the source's CPU as a model ([`crate::Engine::guest_of`]): what libvirt expands a host-model guest to at start |
use super::classes::{ClassId, Fleet, HostNames};
use super::levels::X86Level;
use crate::error::{Error, ErrorKind};
use crate::xml::model::Mode;
use crate::{Arch, Cpu, Engine, Verdict};
use serde::Serialize;

/// What a placement also checks.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PlaceOptions {
    /// The guest's CPU must reach this x86-64 level on the host.
    pub level: Option<X86Level>,
    /// The domain sets a TSC frequency (`<clock><timer name='tsc' frequency=…/>`), so an
    /// `invtsc` guest may migrate.
    pub tsc_frequency: bool,
}

/// A rule that fails, and its message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Obstacle {
    /// The rule (`libvirt-missing`, `x86-64-level`, `source` …).
    pub rule: String,
    /// One line.
    pub message: String,
}

impl Obstacle {
    fn new(rule: &str, message: impl Into<String>) -> Obstacle {
        Obstacle {
            rule: rule.to_string(),
            message: message.into(),
        }
    }
}

impl std::fmt::Display for Obstacle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.rule, self.message)
    }
}

/// One class of candidate hosts, judged.
#[derive(Clone, Debug, Serialize)]
pub struct Target {
    /// The class.
    pub class: ClassId,
    /// Its hosts, by name.
    pub hosts: HostNames,
    /// The hosts' model.
    pub model: Option<String>,
    /// Whether the guest runs (or arrives) there.
    pub fits: bool,
    /// The compare's verdict (none when the source already refused).
    pub verdict: Option<Verdict>,
    /// Why not.
    pub reasons: Vec<Obstacle>,
    /// Features the guest needs that the hosts lack.
    pub missing: Vec<String>,
    /// Features the guest forbids that the hosts have.
    pub forbidden: Vec<String>,
    /// The x86-64 level of the CPU the guest gets there (x86).
    pub x86_level: Option<X86Level>,
}

/// The guest, as judged.
#[derive(Clone, Debug, Serialize)]
pub struct GuestInfo {
    /// Where it was read.
    pub name: Option<String>,
    /// `custom`, `host-model`, `host-passthrough`, `maximum`.
    pub mode: String,
    /// Its model (POWER `host-model`: the compat mode).
    pub model: Option<String>,
    /// How many features it denotes (custom guests).
    pub features: usize,
    /// Its x86-64 level (custom x86 guests).
    pub x86_level: Option<X86Level>,
}

/// The migration source, as judged.
#[derive(Clone, Debug, Serialize)]
pub struct SourceInfo {
    /// The source host.
    pub name: Option<String>,
    /// Its model.
    pub model: Option<String>,
    /// Whether the guest starts there.
    pub starts: bool,
    /// Why it does not start, or why the source refuses to migrate it.
    pub reasons: Vec<Obstacle>,
    /// The live CPU carried to the destinations (libvirt XML).
    pub live: Option<String>,
}

/// Where a guest can go.
#[derive(Clone, Debug, Serialize)]
pub struct Placement {
    #[serde(serialize_with = "super::ser_arch")]
    arch: Arch,
    catalog: String,
    guest: GuestInfo,
    source: Option<SourceInfo>,
    warnings: Vec<String>,
    hosts: usize,
    fitting_hosts: usize,
    targets: Vec<Target>,
}

impl Placement {
    /// The guest.
    pub fn guest(&self) -> &GuestInfo {
        &self.guest
    }

    /// The migration source, for [`migrate`].
    pub fn source(&self) -> Option<&SourceInfo> {
        self.source.as_ref()
    }

    /// Warnings about the answer (libvirt checks nothing for host-passthrough …).
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// How many candidate hosts.
    pub fn hosts(&self) -> usize {
        self.hosts
    }

    /// How many candidate hosts take the guest.
    pub fn fitting_hosts(&self) -> usize {
        self.fitting_hosts
    }

    /// Every class of candidates, in number order.
    pub fn targets(&self) -> &[Target] {
        &self.targets
    }

    /// Whether at least one host takes the guest.
    pub fn fits_somewhere(&self) -> bool {
        self.fitting_hosts > 0
    }

    /// The architecture.
    pub fn arch(&self) -> Arch {
        self.arch
    }
}

fn mode_name(m: Mode) -> &'static str {
    match m {
        Mode::Custom => "custom",
        Mode::HostModel => "host-model",
        Mode::HostPassthrough => "host-passthrough",
        Mode::Maximum => "maximum",
    }
}

fn guest_info(engine: &Engine, guest: &Cpu) -> Result<GuestInfo, Error> {
    let def = guest.definition();
    let features = if def.mode == Mode::Custom {
        engine.features(guest)?
    } else {
        Vec::new()
    };
    Ok(GuestInfo {
        name: guest.input().map(str::to_string),
        mode: mode_name(def.mode).to_string(),
        model: def.model_name().map(str::to_string),
        x86_level: (engine.arch() == Arch::X86 && def.mode == Mode::Custom)
            .then(|| X86Level::of(&features))
            .flatten(),
        features: features.len(),
    })
}

/// The guest as `judge` (an engine for one host) reads it: on s390x a `host-model`,
/// `host-passthrough` or `max` guest is that host's CPU.
fn as_judged(judge: &Engine, guest: &Cpu) -> Result<Cpu, Error> {
    if judge.arch() == Arch::S390x {
        judge
            .cpu(guest.definition().clone())
            .map_err(|e| guest.locate(e))
    } else {
        Ok(guest.clone())
    }
}

/// The features of the CPU a guest gets on `host` (x86), for the level check.
fn features_on(engine: &Engine, guest: &Cpu, host: &Cpu) -> Result<Option<Vec<String>>, Error> {
    let Some(x86) = engine.x86() else {
        return Ok(None);
    };
    match guest.definition().mode {
        Mode::HostPassthrough | Mode::Maximum => Ok(Some(engine.features(host)?)),
        _ => match x86.update(guest, host) {
            Ok(c) => Ok(Some(engine.features(&c)?)),
            Err(_) => Ok(None),
        },
    }
}

fn level_obstacle(level: X86Level, features: &[String]) -> Option<(Obstacle, Option<X86Level>)> {
    let have = X86Level::of(features);
    (have < Some(level)).then(|| {
        let missing = level.missing(features);
        let got = have.map_or_else(|| "below x86-64".to_string(), |l| format!("x86-64-{l}"));
        (
            Obstacle::new(
                "x86-64-level",
                format!(
                    "the guest's CPU here is {got}, not x86-64-{level}: it lacks {}",
                    missing.join(", ")
                ),
            ),
            have,
        )
    })
}

fn judge_class(
    engine: &Engine,
    fleet: &Fleet,
    id: ClassId,
    guest: &Cpu,
    level_features: impl Fn(&Cpu) -> Result<Option<Vec<String>>, Error>,
    opts: &PlaceOptions,
) -> Result<Target, Error> {
    let class = fleet
        .class(id)
        .ok_or_else(|| Error::new(ErrorKind::Argument, format!("no class {id}")))?;
    let host = class.cpu();
    let judge = engine.for_host(host)?;
    let g = as_judged(&judge, guest)?;
    let cmp = judge.compare(host, &g)?;
    let mut reasons: Vec<Obstacle> = cmp
        .reasons()
        .iter()
        .map(|r| Obstacle::new(r.rule().as_str(), r.message()))
        .collect();
    let features = level_features(host)?;
    let mut x86_level = features.as_ref().and_then(|f| X86Level::of(f));
    if let (Some(l), Some(f)) = (opts.level, &features) {
        if let Some((o, have)) = level_obstacle(l, f) {
            reasons.push(o);
            x86_level = have;
        }
    }
    Ok(Target {
        class: id,
        hosts: fleet.host_names(class),
        model: host.model().map(str::to_string),
        fits: reasons.is_empty(),
        verdict: Some(cmp.verdict()),
        reasons,
        missing: cmp.missing().to_vec(),
        forbidden: cmp.forbidden().to_vec(),
        x86_level,
    })
}

fn check_level(engine: &Engine, opts: &PlaceOptions) -> Result<(), Error> {
    if opts.level.is_some() && engine.arch() != Arch::X86 {
        return Err(Error::new(
            ErrorKind::Argument,
            "x86-64 levels are an x86 notion: --level does not apply",
        ));
    }
    Ok(())
}

fn finish(
    engine: &Engine,
    guest: GuestInfo,
    source: Option<SourceInfo>,
    warnings: Vec<String>,
    fleet: &Fleet,
    targets: Vec<Target>,
) -> Placement {
    let fitting_hosts = targets
        .iter()
        .filter(|t| t.fits)
        .map(|t| t.hosts.len())
        .sum();
    Placement {
        arch: engine.arch(),
        catalog: engine.catalog(),
        guest,
        source,
        warnings,
        hosts: fleet.hosts(),
        fitting_hosts,
        targets,
    }
}

/// Where `guest` can start, among `hosts`.
///
/// # Errors
/// `--level` off x86; CPUs of another engine; a guest that cannot be judged.
pub fn place(guest: &Cpu, hosts: &Fleet, opts: &PlaceOptions) -> Result<Placement, Error> {
    let engine = hosts.engine();
    check_level(engine, opts)?;
    let mut targets = Vec::new();
    for class in hosts.classes() {
        let t = judge_class(
            engine,
            hosts,
            class.id(),
            guest,
            |h| features_on(engine, guest, h),
            opts,
        )?;
        targets.push(t);
    }
    let info = guest_info(engine, guest)?;
    Ok(finish(engine, info, None, Vec::new(), hosts, targets))
}

/// The live CPU a guest started on `source` carries to a destination (see the module
/// documentation), and warnings about it.
pub(crate) fn live_cpu(
    engine: &Engine,
    guest: &Cpu,
    source: &Cpu,
) -> Result<(Cpu, Vec<String>), Error> {
    let mode = guest.definition().mode;
    match engine.arch() {
        Arch::X86 => {
            if matches!(mode, Mode::HostPassthrough | Mode::Maximum) {
                let w = format!(
                    "libvirt does not check {} CPUs when migrating: the source's CPU is compared with each destination; migrate only between identical hosts (CPU, microcode, QEMU)",
                    mode_name(mode)
                );
                // QEMU's `migratable=on` (libvirt's default for new domains) leaves out
                // the features that block migration: the source's migratable CPU.
                let opts = crate::BaselineOptions {
                    expand_features: false,
                    migratable: true,
                };
                let live = engine.baseline([source], &opts)?.into_cpu();
                return Ok((live, vec![w]));
            }
            let x86 = engine.x86().ok_or_else(|| {
                Error::new(ErrorKind::Argument, "an x86 guest needs an x86 engine")
            })?;
            Ok((x86.update(guest, source)?, Vec::new()))
        }
        Arch::Ppc64 => {
            let compat = mode == Mode::HostModel && guest.model().is_some();
            if compat {
                Ok((guest.clone(), Vec::new()))
            } else {
                Ok((engine.guest_of(source)?, Vec::new()))
            }
        }
        Arch::S390x => {
            if mode == Mode::Custom {
                return Ok((as_judged(&engine.for_host(source)?, guest)?, Vec::new()));
            }
            let mut w = Vec::new();
            if matches!(mode, Mode::HostPassthrough | Mode::Maximum) {
                w.push(format!(
                    "{} guests carry the source's CPU: it is compared with each destination",
                    mode_name(mode)
                ));
            }
            Ok((engine.guest_of(source)?, w))
        }
    }
}

/// Where `guest`, running on `source`, can live-migrate to, among `hosts`.
///
/// # Errors
/// As [`place`].
pub fn migrate(
    guest: &Cpu,
    source: &Cpu,
    hosts: &Fleet,
    opts: &PlaceOptions,
) -> Result<Placement, Error> {
    let engine = hosts.engine();
    check_level(engine, opts)?;
    let info = guest_info(engine, guest)?;
    let judge = engine.for_host(source)?;
    let start = judge.compare(source, &as_judged(&judge, guest)?)?;
    let mut src = SourceInfo {
        name: source.input().map(str::to_string),
        model: source.model().map(str::to_string),
        starts: start.runs(),
        reasons: start
            .reasons()
            .iter()
            .map(|r| Obstacle::new(r.rule().as_str(), r.message()))
            .collect(),
        live: None,
    };
    let refuse = |why: Obstacle, hosts: &Fleet| -> Vec<Target> {
        hosts
            .classes()
            .map(|c| Target {
                class: c.id(),
                hosts: hosts.host_names(c),
                model: c.cpu().model().map(str::to_string),
                fits: false,
                verdict: None,
                reasons: vec![why.clone()],
                missing: Vec::new(),
                forbidden: Vec::new(),
                x86_level: None,
            })
            .collect()
    };
    if !start.runs() {
        let name = src.name.clone().unwrap_or_else(|| "the source".into());
        let why = Obstacle::new(
            "source",
            format!("the guest does not start on {name}, so it cannot migrate from there"),
        );
        let targets = refuse(why, hosts);
        return Ok(finish(engine, info, Some(src), Vec::new(), hosts, targets));
    }
    let (live, warnings) = live_cpu(engine, guest, source)?;
    src.live = Some(live.to_xml());
    if engine.arch() == Arch::X86
        && !opts.tsc_frequency
        && engine.features(&live)?.iter().any(|f| f == "invtsc")
    {
        let why = Obstacle::new(
            "libvirt-invtsc",
            "domain has 'invtsc' CPU feature but TSC frequency is not specified",
        );
        src.reasons.push(why.clone());
        let targets = refuse(why, hosts);
        return Ok(finish(engine, info, Some(src), warnings, hosts, targets));
    }
    let live_features = if engine.arch() == Arch::X86 {
        Some(engine.features(&live)?)
    } else {
        None
    };
    let mut targets = Vec::new();
    for class in hosts.classes() {
        let t = judge_class(
            engine,
            hosts,
            class.id(),
            &live,
            |_| Ok(live_features.clone()),
            opts,
        )?;
        targets.push(t);
    }
    Ok(finish(engine, info, Some(src), warnings, hosts, targets))
}
