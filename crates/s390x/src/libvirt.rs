//! libvirt's view of s390x: `<cpu>` definitions in, `<cpu>` definitions out.
//!
//! libvirt's s390 driver decides nothing itself: `hypervisor-cpu-compare` and
//! `hypervisor-cpu-baseline` turn each `<cpu>` into a QEMU model (`CpuModelInfo`) and ask
//! QEMU. The translation, as libvirt does it:
//!
//! * mode `host-passthrough` → `host`, `maximum` → `max`, `host-model` → `host` (or,
//!   when it names a model as domcapabilities does, that model);
//!   `custom` → the `<model>` name (none: "cpu parameter is missing a model name");
//! * a feature becomes a boolean prop: `require`/`force` (and every feature of a host CPU)
//!   → `true`; `disable`/`forbid`/`optional` → `false`.
//!
//! The answers go the other way as a guest `<cpu mode='custom' match='exact'>` with
//! `<model fallback='forbid'>X-base</model>` and one `<feature>` per prop, in QEMU's reply
//! order: `true` → `require`, `false` → `disable` (libvirt drops the `false` ones; we keep
//! them so that the definition means exactly the computed model).
use crate::error::ModelError;
use crate::model::{CpuModel, Engine, Expansion, Prop};
use cpucompat_contract::{Error, ErrorKind};
use cpucompat_lattice::Relation;
use cpucompat_xml::model::{CpuDef, CpuKind, Fallback, Feature, Mode, Policy};

/// The QEMU model a libvirt `<cpu>` asks for.
///
/// # Errors
/// A custom CPU without a model ("cpu parameter is missing a model name", libvirt's
/// words); a model or feature QEMU refuses, with QEMU's message, at the position of the
/// `<model>` or `<feature>` that names it.
pub fn model_of(engine: &Engine<'_>, cpu: &CpuDef) -> Result<CpuModel, Error> {
    let name = match (cpu.kind, cpu.mode, cpu.model_name()) {
        // A host-model CPU with a model (domcapabilities' expansion) is that model.
        (CpuKind::Guest, Mode::HostModel, Some(n)) => n,
        (CpuKind::Guest, Mode::HostPassthrough | Mode::HostModel, _) => "host",
        (CpuKind::Guest, Mode::Maximum, _) => "max",
        _ => cpu.model_name().ok_or_else(|| {
            Error::new(ErrorKind::Invalid, "cpu parameter is missing a model name").at(cpu.pos)
        })?,
    };
    let at = cpu.model.as_ref().map_or(cpu.pos, |m| m.pos);
    let resolved = engine.resolve(name).map_err(|e| Error::from(e).at(at))?;
    let mut model = resolved.model;
    for f in &cpu.features {
        let on = matches!(cpu.policy_of(f), Policy::Require | Policy::Force);
        let prop = Prop {
            name: f.name.clone(),
            value: on.into(),
        };
        let r = crate::model::Resolved { model, ..resolved };
        model = engine
            .apply(name, &r, std::slice::from_ref(&prop))
            .map_err(|e: ModelError| Error::from(e).at(f.pos))?;
    }
    Ok(model)
}

/// libvirt's verdict from QEMU's comparison of host (A) with guest (B): identical,
/// superset (the guest runs), or incompatible (`subset` and `incompatible` alike).
pub fn verdict(r: Relation) -> Relation {
    match r {
        Relation::Identical | Relation::Superset => r,
        _ => Relation::Incompatible,
    }
}

/// A guest `<cpu>` for an expansion: `X-base` plus one feature per prop.
pub fn cpu_of(e: &Expansion<'_>) -> CpuDef {
    let keys: Vec<&str> = crate::qdict::order(e.props.iter().map(|p| p.0).collect());
    let features = keys
        .into_iter()
        .map(|k| {
            let on = e.props.iter().any(|p| p.0 == k && p.1);
            Feature::new(k, Some(if on { Policy::Require } else { Policy::Disable }))
        })
        .collect();
    CpuDef {
        features,
        ..CpuDef::custom_guest(&e.name, Fallback::Forbid)
    }
}
